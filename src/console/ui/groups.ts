/** Consumer-group pages: the list, and one group (members, lag per partition, lag over time, reset). */
import type { View, ViewContext } from './app.js';
import type { GroupDetail, GroupSummary } from '../types.js';
import { lineChart } from './chart.js';
import { badge, fill, fmtNum, getJson, h, link, postJson, route, table, td } from './dom.js';
import { actionForm, field } from './topics.js';

function stateBadge(state: string): HTMLSpanElement {
  return badge(state, state === 'Stable' ? 'ok' : state === 'Dead' ? 'bad' : state === 'Empty' ? '' : 'warn');
}

export function groupsView(ctx: ViewContext): View {
  const list = h('div');
  ctx.root.append(h('h1', null, 'Consumer groups'), list);
  return {
    async update() {
      const groups = await getJson<GroupSummary[]>('/v1/groups');
      fill(
        list,
        groups.length === 0
          ? h('p', { class: 'muted' }, 'No consumer groups.')
          : table(
              ['Group', 'State', 'Protocol type', ['Coordinator', 'num']],
              groups.map((g) => h('tr', { attrs: { 'data-group': g.groupId } }, td(link(g.groupId, route('groups', g.groupId))), td(stateBadge(g.state)), td(g.protocolType), td(g.coordinator, true))),
              { 'data-table': 'groups' },
            ),
      );
    },
  };
}

export function groupView(ctx: ViewContext): View {
  const id = ctx.params[0] ?? '';
  const api = `/v1/groups/${encodeURIComponent(id)}`;
  const summary = h('div');
  const chart = h('div');
  const offsets = h('div');
  const members = h('div');
  const to = h('select', { attrs: { name: 'to' } }, ...['earliest', 'latest', 'offset', 'timestamp'].map((v) => h('option', { attrs: { value: v } }, v)));
  const value = h('input', { attrs: { name: 'value', placeholder: 'offset or time in ms' } });
  const topic = h('input', { attrs: { name: 'topic', placeholder: 'all committed topics' } });
  const reset = actionForm('reset-offsets', [field('Reset to', to), field('Value', value), field('Topic', topic)], 'Reset offsets', async () => {
    const r = await postJson<{ offsets: Array<{ topic: string; partition: number; offset: number }> }>(`${api}/reset-offsets`, { to: to.value, value: value.value, topic: topic.value });
    ctx.refresh();
    return `Reset ${r.offsets.length} partition(s): ${r.offsets.map((o) => `${o.topic}-${o.partition}→${o.offset}`).join(', ')}`;
  });
  ctx.root.append(
    h('h1', null, 'Group ', h('span', { attrs: { 'data-group-name': id } }, id)),
    summary,
    chart,
    h('h2', null, 'Lag per partition'),
    offsets,
    h('h2', null, 'Members'),
    members,
    h('details', { class: 'panel' }, h('summary', null, 'Reset offsets (only while the group has no members)'), reset),
  );
  return {
    async update() {
      const g = await getJson<GroupDetail>(api);
      fill(
        summary,
        h(
          'div',
          { class: 'cards' },
          h('div', { class: 'card' }, h('div', { class: 'num' }, stateBadge(g.state)), h('div', { class: 'label' }, 'state')),
          h('div', { class: 'card', attrs: { 'data-card': 'total-lag' } }, h('div', { class: 'num', attrs: { 'data-total-lag': g.totalLag ?? '' } }, fmtNum(g.totalLag)), h('div', { class: 'label' }, 'total lag')),
          h('div', { class: 'card' }, h('div', { class: 'num' }, g.members.length), h('div', { class: 'label' }, 'members')),
          h('div', { class: 'card' }, h('div', { class: 'num' }, `${g.coordinator.id}`), h('div', { class: 'label' }, `coordinator ${g.coordinator.host}:${g.coordinator.port}`)),
        ),
      );
      fill(chart, lineChart('Total lag over time', 'records', [{ name: 'lag', points: g.lagHistory }], { testId: 'lag' }));
      fill(
        offsets,
        table(
          ['Topic', ['Partition', 'num'], ['Committed', 'num'], ['End', 'num'], ['Lag', 'num'], 'Member'],
          g.offsets.map((o) =>
            h(
              'tr',
              { class: o.lag !== null && o.lag > 0 ? 'warn' : '', attrs: { 'data-tp': `${o.topic}-${o.partition}` } },
              td(link(o.topic, route('topics', o.topic))),
              td(o.partition, true),
              td(o.committed < 0 ? '–' : fmtNum(o.committed), true),
              td(fmtNum(o.end), true),
              td(h('span', { attrs: { 'data-lag': o.lag ?? '' } }, fmtNum(o.lag)), true),
              td(o.clientId ? `${o.clientId} (${o.memberId})` : '–'),
            ),
          ),
          { 'data-table': 'group-offsets' },
        ),
      );
      fill(
        members,
        g.members.length === 0
          ? h('p', { class: 'muted' }, 'No active members.')
          : table(
              ['Member', 'Client id', 'Host', 'Assignment'],
              g.members.map((m) => h('tr', null, td(m.memberId), td(m.clientId), td(m.clientHost), td(m.assignment.map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; ')))),
              { 'data-table': 'members' },
            ),
      );
    },
  };
}
