/**
 * Browser helpers shared by the console's views: element building (text only: no innerHTML
 * anywhere in the console, so data can never become markup), the /v1 API calls, formatting.
 */

type Child = Node | string | number | null | undefined | false;
type Props = {
  class?: string;
  /** Attributes set with setAttribute (never event handlers: use `on`). */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: Partial<Record<keyof HTMLElementEventMap, (ev: Event) => void>>;
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.class) el.className = props.class;
  for (const [k, v] of Object.entries(props?.attrs ?? {})) {
    if (v === undefined || v === false) continue;
    if (/^on/i.test(k)) throw new Error(`h(): event attribute ${k} refused; use props.on`);
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [k, fn] of Object.entries(props?.on ?? {})) if (fn) el.addEventListener(k, fn);
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function table(headers: Array<string | [string, 'num']>, rows: HTMLTableRowElement[], attrs: Record<string, string> = {}): HTMLTableElement {
  return h(
    'table',
    { attrs },
    h('thead', null, h('tr', null, ...headers.map((x) => (Array.isArray(x) ? h('th', { class: 'num' }, x[0]) : h('th', null, x))))),
    h('tbody', null, ...rows),
  );
}

export function td(v: Child, num = false): HTMLTableCellElement {
  return h('td', num ? { class: 'num' } : null, v);
}

export function badge(text: string, kind: '' | 'ok' | 'warn' | 'bad' = ''): HTMLSpanElement {
  return h('span', { class: kind === '' ? 'badge' : `badge ${kind}` }, text);
}

export function notice(text: string, kind: 'error' | 'ok'): HTMLDivElement {
  return h('div', { class: `notice ${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' } }, text);
}

export function link(text: string, hash: string): HTMLAnchorElement {
  return h('a', { attrs: { href: hash } }, text);
}

/** `#/topics/<name>`-style links: every part escaped, so a name cannot change the route. */
export function route(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

// ---- API ----------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new ApiError(res.status, (body as { error?: string } | null)?.error ?? `HTTP ${res.status}`);
  return body as T;
}

export async function getJson<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return answer<T>(await fetch(qs === '' ? path : `${path}?${qs}`, { headers: { accept: 'application/json' } }));
}

/** A change: POST with a JSON body and the console's same-origin header (see routes.ts). */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-samsa-console': '1' }, body: JSON.stringify(body) }));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---- formatting -------------------------------------------------------------------------------

export function fmtBytes(n: number | null): string {
  if (n === null || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function fmtNum(n: number | null): string {
  return n === null ? '–' : n.toLocaleString('en-US');
}

export function fmtTime(ms: number): string {
  if (ms < 0) return '–';
  const d = new Date(ms);
  const p = (x: number, w = 2): string => String(x).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export const isReadOnly = (): boolean => document.body.dataset.readOnly === '1';

/** "a=1\nb=2" → {a: '1', b: '2'}; blank lines skipped; throws naming a bad line. */
export function parsePairs(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const i = line.indexOf('=');
    if (i <= 0) throw new Error(`'${line}' is not name=value`);
    out.push([line.slice(0, i).trim(), line.slice(i + 1)]);
  }
  return out;
}
