/**
 * Message browser: pages of one partition from an offset, a time or the end; older/newer pages;
 * search within a range; live tail; each key, value and header shown as text, pretty JSON or hex
 * (auto picks); and a form to produce a record. Records arrive as base64 and are only ever put in
 * the page as text.
 */
import type { View, ViewContext } from './app.js';
import type { MessagesPage, ProduceResult, RecordView, TopicDetail } from '../types.js';
import { errorText, fill, fmtNum, fmtTime, getJson, h, link, notice, parsePairs, postJson, route } from './dom.js';
import { actionForm, field } from './topics.js';

const SHOWN_BYTES_MAX = 64 * 1024;
const TAIL_KEPT_MAX = 500;
type Format = 'auto' | 'text' | 'json' | 'hex';

function bytesOf(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

function hexDump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** The text to show for some bytes in a format, and the format actually used. */
export function render(b64: string | null, format: Format): { text: string; used: string } {
  if (b64 === null) return { text: 'null', used: 'null' };
  const all = bytesOf(b64);
  const b = all.subarray(0, SHOWN_BYTES_MAX);
  const cut = all.length > b.length ? `\n… ${all.length - b.length} more bytes not shown` : '';
  if (format === 'hex') return { text: hexDump(b) + cut, used: 'hex' };
  let text: string | null = null;
  try {
    text = utf8.decode(b);
  } catch {
    text = null; // not UTF-8: hex in auto, lossy text in text
  }
  if (format === 'text') return { text: (text ?? utf8Lossy.decode(b)) + cut, used: 'text' };
  if (text !== null && cut === '') {
    const trimmed = text.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[') || format === 'json') {
      try {
        return { text: JSON.stringify(JSON.parse(text), null, 2), used: 'json' };
      } catch {
        if (format === 'json') return { text: `${text}\n(not valid JSON)`, used: 'text' };
      }
    }
  }
  if (text === null || /[\u0000-\u0008\u000e-\u001f]/.test(text)) return { text: hexDump(b) + cut, used: 'hex' };
  return { text: text + cut, used: 'text' };
}

function recordEl(r: RecordView, format: Format): HTMLElement {
  const key = render(r.key, format);
  const value = render(r.value, format);
  return h(
    'div',
    { class: 'msg', attrs: { 'data-offset': r.offset } },
    h('div', { class: 'meta' }, h('b', null, `offset ${r.offset}`), ` · partition ${r.partition}`, h('br'), `${fmtTime(r.timestampMs)}`, h('br'), `${r.timestampType} · value as ${value.used}`),
    h('pre', { class: 'data key', attrs: { 'data-field': 'key', title: `key as ${key.used}` } }, r.key === null ? '(no key)' : key.text),
    h(
      'div',
      null,
      h('pre', { class: 'data value', attrs: { 'data-field': 'value' } }, value.text),
      ...r.headers.map((x) => h('pre', { class: 'data header', attrs: { 'data-field': 'header' } }, `${x.key}: ${render(x.value, format).text}`)),
    ),
  );
}

export function messagesView(ctx: ViewContext): View {
  const topic = ctx.params[0] ?? '';
  const api = `/v1/topics/${encodeURIComponent(topic)}/messages`;
  const q = ctx.query;
  const partition = h('select', { attrs: { name: 'partition' } });
  const mode = h('select', { attrs: { name: 'mode' } }, h('option', { attrs: { value: 'end' } }, 'newest'), h('option', { attrs: { value: 'offset' } }, 'from offset'), h('option', { attrs: { value: 'time' } }, 'from time'));
  const offset = h('input', { attrs: { name: 'offset', type: 'number', min: 0, placeholder: '0' } });
  const time = h('input', { attrs: { name: 'time', type: 'datetime-local', step: 1 } });
  const limit = h('input', { attrs: { name: 'limit', type: 'number', min: 1, max: 500, value: 50 } });
  const search = h('input', { attrs: { name: 'q', placeholder: 'text in key, value or headers' } });
  const format = h('select', { attrs: { name: 'format' } }, ...(['auto', 'text', 'json', 'hex'] as const).map((f) => h('option', { attrs: { value: f } }, f)));
  const tail = h('input', { attrs: { type: 'checkbox', name: 'tail' } });
  const info = h('div', { class: 'muted', attrs: { 'data-info': 'page' } });
  const list = h('div', { class: 'messages', attrs: { 'data-list': 'messages' } });
  const error = h('div');
  if (q.get('offset')) {
    mode.value = 'offset';
    offset.value = q.get('offset')!;
  }

  let page: MessagesPage | null = null;
  let shown: RecordView[] = [];
  const draw = (): void => fill(list, ...(shown.length === 0 ? [h('p', { class: 'muted' }, 'No records in this range.')] : shown.map((r) => recordEl(r, format.value as Format))));

  async function load(params: Record<string, string | number | undefined>): Promise<void> {
    try {
      page = await getJson<MessagesPage>(api, { partition: partition.value, limit: limit.value, q: search.value, ...params });
      shown = page.records;
      fill(error);
      fill(
        info,
        `partition ${page.partition}: offsets ${fmtNum(page.earliest)}–${fmtNum(page.latest)} · showing ${page.records.length} from ${fmtNum(page.startOffset)}` +
          (search.value ? ` · ${fmtNum(page.scanned)} records searched up to offset ${fmtNum(page.nextOffset)}` : ''),
      );
      draw();
    } catch (err) {
      fill(error, notice(errorText(err), 'error'));
    }
  }

  function loadFromForm(): Promise<void> {
    if (mode.value === 'offset') return load({ offset: offset.value || '0' });
    if (mode.value === 'time') {
      const ms = time.value ? new Date(time.value).getTime() : NaN;
      if (!Number.isFinite(ms)) {
        fill(error, notice('pick a date and time to start from', 'error'));
        return Promise.resolve();
      }
      return load({ timestamp: ms });
    }
    return load({ from: 'end' });
  }

  const older = h('button', { class: 'secondary', attrs: { type: 'button' }, on: { click: () => void (page && load({ offset: Math.max(page.earliest, page.startOffset - Number(limit.value || 50)) })) } }, '← older');
  const newer = h('button', { class: 'secondary', attrs: { type: 'button' }, on: { click: () => void (page && load({ offset: page.nextOffset })) } }, 'newer →');
  const browseForm = h(
    'form',
    { attrs: { 'data-form': 'browse' } },
    field('Partition', partition),
    field('Start', mode),
    field('Offset', offset),
    field('Time', time),
    field('Records', limit),
    field('Search', search),
    field('Show as', format),
    h('button', { attrs: { type: 'submit' } }, 'Load'),
    older,
    newer,
    h('label', { class: 'inline' }, tail, 'live tail'),
  );
  browseForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadFromForm();
  });
  format.addEventListener('change', draw);

  const pKey = h('input', { attrs: { name: 'key', placeholder: '(none)' } });
  const pValue = h('textarea', { attrs: { name: 'value', placeholder: '{"hello": "world"}' } });
  const pHeaders = h('textarea', { attrs: { name: 'headers', placeholder: 'source=console' } });
  const pPartition = h('input', { attrs: { name: 'partition', type: 'number', min: 0, placeholder: 'by key' } });
  const produceForm = actionForm('produce', [field('Key', pKey), field('Value', pValue), field('Headers (name=value per line)', pHeaders), field('Partition', pPartition)], 'Produce', async () => {
    const headers = parsePairs(pHeaders.value).map(([key, value]) => ({ key, value }));
    const r = await postJson<ProduceResult>(api, { key: pKey.value === '' ? null : pKey.value, value: pValue.value, headers, partition: pPartition.value });
    if (String(r.partition) === partition.value && !tail.checked) await load({ from: 'end' });
    return `Produced to partition ${r.partition} at offset ${r.offset}`;
  });

  ctx.root.append(
    h('h1', null, 'Messages of ', link(topic, route('topics', topic))),
    browseForm,
    error,
    info,
    list,
    h('details', { class: 'panel' }, h('summary', null, 'Produce a message'), produceForm),
  );

  let started = false;
  return {
    async update() {
      if (!started) {
        const t = await getJson<TopicDetail>(`/v1/topics/${encodeURIComponent(topic)}`);
        fill(partition, ...t.partitions.map((p) => h('option', { attrs: { value: p.partition } }, `${p.partition} (${fmtNum(p.latest)} end)`)));
        const wanted = q.get('partition');
        if (wanted !== null && t.partitions.some((p) => String(p.partition) === wanted)) partition.value = wanted;
        partition.addEventListener('change', () => void loadFromForm());
        started = true;
        await loadFromForm();
        return;
      }
      if (!tail.checked || !page) return;
      const next = await getJson<MessagesPage>(api, { partition: page.partition, offset: page.nextOffset, limit: 200, q: search.value });
      if (next.records.length === 0 && next.nextOffset === page.nextOffset) return;
      shown = [...shown, ...next.records].slice(-TAIL_KEPT_MAX);
      page = { ...next, startOffset: shown[0]?.offset ?? next.startOffset, records: shown };
      fill(info, `partition ${page.partition}: offsets ${fmtNum(page.earliest)}–${fmtNum(page.latest)} · live tail, ${shown.length} shown, next ${fmtNum(page.nextOffset)}`);
      draw();
    },
  };
}
