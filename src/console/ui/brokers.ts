/** Brokers page: cluster totals, then one row per live broker (and a warning for missing ones). */
import type { View, ViewContext } from './app.js';
import type { ClusterView } from '../types.js';
import { badge, fill, fmtBytes, fmtNum, getJson, h, table, td } from './dom.js';

function card(label: string, value: string | number, kind: '' | 'warn' | 'bad' = '', testId?: string): HTMLDivElement {
  return h('div', { class: kind === '' ? 'card' : `card ${kind}`, attrs: { 'data-card': testId } }, h('div', { class: 'num' }, String(value)), h('div', { class: 'label' }, label));
}

export function brokersView(ctx: ViewContext): View {
  const title = h('h1', null, 'Brokers');
  const body = h('div');
  ctx.root.append(title, body);
  return {
    async update() {
      const c = await getJson<ClusterView>('/v1/cluster');
      const rows = c.brokers.map((b) =>
        h(
          'tr',
          { attrs: { 'data-broker': b.id } },
          td(b.id, true),
          td(`${b.host}:${b.port}`),
          td(b.rack ?? '–'),
          td(b.isController ? badge('controller', 'ok') : ''),
          td(fmtNum(b.leaderCount), true),
          td(fmtNum(b.replicaCount), true),
          td(b.error ? h('span', { attrs: { title: b.error } }, 'unavailable') : fmtBytes(b.diskBytes), true),
          td(b.logDirs.map((d) => `${d.dir}${d.totalBytes > 0 ? ` (${fmtBytes(d.usableBytes)} free of ${fmtBytes(d.totalBytes)})` : ''}${d.error ? ` ${d.error}` : ''}`).join('; ')),
        ),
      );
      fill(
        body,
        h(
          'div',
          { class: 'cards' },
          card('cluster id', c.clusterId ?? '–'),
          card('controller', c.controllerId >= 0 ? c.controllerId : 'none', c.controllerId >= 0 ? '' : 'bad'),
          card('live brokers', c.brokers.length, '', 'brokers'),
          card('topics', c.topicCount),
          card('partitions', c.partitionCount),
          card('under-replicated', c.underReplicatedPartitions, c.underReplicatedPartitions > 0 ? 'warn' : '', 'under-replicated'),
          card('offline', c.offlinePartitions, c.offlinePartitions > 0 ? 'bad' : '', 'offline'),
        ),
        c.missingBrokerIds.length > 0
          ? h('div', { class: 'notice error', attrs: { 'data-missing-brokers': c.missingBrokerIds.join(',') } }, `Brokers named as replicas but not live: ${c.missingBrokerIds.join(', ')}`)
          : null,
        table(['ID', 'Address', 'Rack', 'Role', ['Leader partitions', 'num'], ['Replicas', 'num'], ['Disk used', 'num'], 'Log directories'], rows, { 'data-table': 'brokers' }),
      );
    },
  };
}
