/**
 * Topics pages: the list (with a create form) and one topic (partitions with under-replicated and
 * offline ones highlighted, add partitions, configs with edit and reset, delete).
 */
import type { View, ViewContext } from './app.js';
import type { ConfigView, TopicDetail, TopicSummary } from '../types.js';
import { badge, errorText, fill, fmtBytes, fmtNum, getJson, h, isReadOnly, link, notice, parsePairs, postJson, route, table, td } from './dom.js';

/** A form whose submit runs `action`, showing its error or success in `out`. */
export function actionForm(testId: string, fields: HTMLElement[], buttonText: string, action: () => Promise<string>, opts: { danger?: boolean } = {}): HTMLFormElement {
  const out = h('div', { attrs: { 'data-result': testId } });
  const button = h('button', { class: opts.danger ? 'danger' : '', attrs: { type: 'submit', disabled: isReadOnly() } }, buttonText);
  const form = h('form', { attrs: { 'data-form': testId } }, ...fields, button, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    action()
      .then((text) => fill(out, notice(text, 'ok')))
      .catch((err: unknown) => fill(out, notice(errorText(err), 'error')))
      .finally(() => {
        button.disabled = isReadOnly();
      });
  });
  return form;
}

export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLLabelElement {
  return h('label', null, label, input);
}

function topicRow(name: string, s: TopicSummary): HTMLTableRowElement {
  const kind = s.offline > 0 ? 'bad' : s.underReplicated > 0 ? 'warn' : '';
  return h(
    'tr',
    { class: kind, attrs: { 'data-topic': name } },
    td(link(name, route('topics', name))),
    td(s.internal ? badge('internal') : ''),
    td(s.partitions, true),
    td(s.replicationFactor, true),
    td(s.underReplicated > 0 ? badge(String(s.underReplicated), 'warn') : '0', true),
    td(s.offline > 0 ? badge(String(s.offline), 'bad') : '0', true),
    td(fmtNum(s.messages), true),
    td(fmtBytes(s.sizeBytes), true),
    td(link('messages', route('topics', name, 'messages'))),
  );
}

export function topicsView(ctx: ViewContext): View {
  const name = h('input', { attrs: { name: 'name', required: true, placeholder: 'orders', pattern: '[a-zA-Z0-9._\\-]+' } });
  const partitions = h('input', { attrs: { name: 'partitions', type: 'number', min: 1, placeholder: 'default' } });
  const replicas = h('input', { attrs: { name: 'replicationFactor', type: 'number', min: 1, placeholder: 'default' } });
  const configs = h('textarea', { attrs: { name: 'configs', placeholder: 'retention.ms=86400000\ncleanup.policy=compact' } });
  const showInternal = h('input', { attrs: { type: 'checkbox' } });
  const create = actionForm(
    'create-topic',
    [field('Name', name), field('Partitions', partitions), field('Replication factor', replicas), field('Configs (name=value per line)', configs)],
    'Create topic',
    async () => {
      const body = { name: name.value.trim(), partitions: partitions.value, replicationFactor: replicas.value, configs: Object.fromEntries(parsePairs(configs.value)) };
      await postJson('/v1/topics', body);
      ctx.refresh();
      return `Created topic ${body.name}`;
    },
  );
  const list = h('div');
  showInternal.addEventListener('change', () => ctx.refresh());
  ctx.root.append(h('h1', null, 'Topics'), h('details', { class: 'panel' }, h('summary', null, 'Create a topic'), create), h('label', { class: 'inline' }, showInternal, 'show internal topics'), list);
  return {
    async update() {
      const topics = (await getJson<TopicSummary[]>('/v1/topics')).filter((t) => showInternal.checked || !t.internal);
      fill(
        list,
        topics.length === 0
          ? h('p', { class: 'muted' }, 'No topics yet.')
          : table(['Topic', '', ['Partitions', 'num'], ['Replicas', 'num'], ['Under-replicated', 'num'], ['Offline', 'num'], ['Messages', 'num'], ['Size', 'num'], ''], topics.map((t) => topicRow(t.name, t)), { 'data-table': 'topics' }),
      );
    },
  };
}

function configRows(topic: string, configs: ConfigView[], after: () => void): HTMLTableRowElement[] {
  return configs.map((c) =>
    h(
      'tr',
      { attrs: { 'data-config': c.name } },
      td(c.name),
      td(c.sensitive ? '(sensitive)' : (c.value ?? 'null')),
      td(c.isDefault ? h('span', { class: 'muted' }, c.source) : badge('set on topic', 'ok')),
      td(
        c.isDefault || c.readOnly || isReadOnly()
          ? ''
          : h(
              'button',
              {
                class: 'secondary',
                on: {
                  click: () => {
                    postJson(`/v1/topics/${encodeURIComponent(topic)}/configs`, { delete: [c.name] }).then(after, (err: unknown) => alert(errorText(err)));
                  },
                },
              },
              'reset to default',
            ),
      ),
    ),
  );
}

export function topicView(ctx: ViewContext): View {
  const name = ctx.params[0] ?? '';
  const api = `/v1/topics/${encodeURIComponent(name)}`;
  const summary = h('div');
  const parts = h('div');
  const configs = h('div');
  const count = h('input', { attrs: { type: 'number', min: 1, name: 'count' } });
  const addPartitions = actionForm('add-partitions', [field('New total partitions', count)], 'Add partitions', async () => {
    await postJson(`${api}/partitions`, { count: Number(count.value) });
    ctx.refresh();
    return `Topic ${name} now has ${count.value} partitions`;
  });
  const pairs = h('textarea', { attrs: { name: 'set', placeholder: 'retention.ms=3600000' } });
  const editConfigs = actionForm('set-configs', [field('Set configs (name=value per line)', pairs)], 'Save configs', async () => {
    const set = Object.fromEntries(parsePairs(pairs.value));
    await postJson(`${api}/configs`, { set });
    ctx.refresh();
    return `Saved ${Object.keys(set).join(', ')}`;
  });
  const confirm = h('input', { attrs: { name: 'confirm', placeholder: name, autocomplete: 'off' } });
  const del = actionForm(
    'delete-topic',
    [field(`Type the topic name to delete it`, confirm)],
    'Delete topic',
    async () => {
      const resume = ctx.stop(); // no refresh may ask for the topic once it is gone
      try {
        await postJson(`${api}/delete`, { confirm: confirm.value });
      } catch (err) {
        resume();
        throw err;
      }
      location.hash = '#/topics';
      return `Deleted ${name}`;
    },
    { danger: true },
  );
  ctx.root.append(
    h('h1', null, 'Topic ', h('span', { attrs: { 'data-topic-name': name } }, name)),
    h('div', { class: 'toolbar' }, link('Browse messages', route('topics', name, 'messages')), link('All topics', '#/topics')),
    summary,
    h('h2', null, 'Partitions'),
    parts,
    h('details', { class: 'panel' }, h('summary', null, 'Add partitions'), addPartitions),
    h('h2', null, 'Configs'),
    h('details', { class: 'panel' }, h('summary', null, 'Edit configs'), editConfigs),
    configs,
    h('details', { class: 'panel' }, h('summary', null, 'Delete this topic'), del),
  );
  return {
    async update() {
      const t = await getJson<TopicDetail>(api);
      const under = t.partitions.filter((p) => p.underReplicated).length;
      const offline = t.partitions.filter((p) => p.leader < 0).length;
      fill(
        summary,
        h(
          'p',
          null,
          `${t.partitions.length} partitions, replication factor ${t.partitions[0]?.replicas.length ?? 0}, id ${t.topicId} `,
          t.internal ? badge('internal') : null,
          ' ',
          under > 0 ? badge(`${under} under-replicated`, 'warn') : badge('all in sync', 'ok'),
          ' ',
          offline > 0 ? badge(`${offline} offline`, 'bad') : null,
        ),
      );
      const rows = t.partitions.map((p) =>
        h(
          'tr',
          { class: p.leader < 0 ? 'bad' : p.underReplicated ? 'warn' : '', attrs: { 'data-partition': p.partition, 'data-under-replicated': p.underReplicated ? '1' : '0' } },
          td(p.partition, true),
          td(p.leader >= 0 ? p.leader : badge('none', 'bad')),
          td(p.replicas.join(', ')),
          td(p.isr.join(', ')),
          td(p.underReplicated ? badge('under-replicated', 'warn') : badge('in sync', 'ok')),
          td(fmtNum(p.earliest), true),
          td(fmtNum(p.latest), true),
          td(p.earliest === null || p.latest === null ? '–' : fmtNum(p.latest - p.earliest), true),
          td(fmtBytes(p.sizeBytes), true),
          td(link('browse', `${route('topics', name, 'messages')}?partition=${p.partition}`)),
        ),
      );
      fill(parts, table([['#', 'num'], 'Leader', 'Replicas', 'ISR', 'State', ['Start offset', 'num'], ['End offset', 'num'], ['Messages', 'num'], ['Size', 'num'], ''], rows, { 'data-table': 'partitions' }));
      if (!count.value) count.value = String(t.partitions.length + 1);
      fill(
        configs,
        t.configsError ? notice(`configs: ${t.configsError}`, 'error') : null,
        table(['Name', 'Value', 'Source', ''], configRows(name, t.configs, () => ctx.refresh()), { 'data-table': 'configs' }),
      );
    },
  };
}
