/**
 * The console's browser entry: a hash router over the views and the live-update loop. A view
 * builds its page once (forms keep what the user typed) and exposes update(), which re-reads its
 * data from /v1 and redraws the data parts; the loop calls it every `refreshMs` (2 s, or the
 * page's ?refresh=<ms>) while the view is shown, one call at a time.
 */
import { brokersView } from './brokers.js';
import { errorText } from './dom.js';
import { groupsView, groupView } from './groups.js';
import { messagesView } from './messages.js';
import { metricsView } from './metrics.js';
import { topicsView, topicView } from './topics.js';

export interface View {
  update(): Promise<void>;
  /** Called when the user leaves the view. */
  dispose?(): void;
}

export interface ViewContext {
  root: HTMLElement;
  /** Path parts after the view name, decoded. */
  params: string[];
  query: URLSearchParams;
  /** Re-runs update() now (after a change the user made). */
  refresh(): void;
  /**
   * Pauses this view's refresh loop (before a change that removes what it shows, e.g. deleting its
   * topic); the returned function resumes it (the change failed).
   */
  stop(): () => void;
  setStatus(text: string, error?: boolean): void;
}

type Factory = (ctx: ViewContext) => View;

function pick(parts: string[]): { nav: string; factory: Factory } {
  const [first, second, third] = parts;
  if (first === 'topics' && second !== undefined && third === 'messages') return { nav: 'topics', factory: messagesView };
  if (first === 'topics' && second !== undefined) return { nav: 'topics', factory: topicView };
  if (first === 'topics') return { nav: 'topics', factory: topicsView };
  if (first === 'groups' && second !== undefined) return { nav: 'groups', factory: groupView };
  if (first === 'groups') return { nav: 'groups', factory: groupsView };
  if (first === 'metrics') return { nav: 'metrics', factory: metricsView };
  return { nav: 'brokers', factory: brokersView };
}

const refreshMs = ((): number => {
  const v = Number(new URLSearchParams(location.search).get('refresh'));
  return Number.isFinite(v) && v >= 200 ? v : 2000;
})();

interface Shown {
  view: View;
  generation: number;
  running: boolean;
  /** refresh() was asked for while an update ran: run another right after it. */
  again: boolean;
}

let current: Shown | null = null;
let generation = 0;
let timer: number | undefined;

function setStatus(text: string, error = false): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('error', error);
}

async function tick(gen: number): Promise<void> {
  const shown = current;
  if (!shown || shown.generation !== gen) return;
  if (shown.running) {
    shown.again = true;
    return;
  }
  shown.running = true;
  window.clearTimeout(timer);
  try {
    await shown.view.update();
    if (current === shown) setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    if (current === shown) setStatus(errorText(err), true);
  } finally {
    shown.running = false;
  }
  if (current !== shown) return;
  if (shown.again) {
    shown.again = false;
    void tick(gen);
  } else {
    timer = window.setTimeout(() => void tick(gen), refreshMs);
  }
}

function show(): void {
  const hash = location.hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = hash.split('?', 2);
  let parts: string[];
  try {
    parts = pathPart.split('/').filter((p) => p !== '').map(decodeURIComponent);
  } catch {
    parts = [];
  }
  const { nav, factory } = pick(parts);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) a.classList.toggle('active', a.dataset.nav === nav);
  current?.view.dispose?.();
  window.clearTimeout(timer);
  const gen = ++generation;
  const root = document.getElementById('view')!;
  root.replaceChildren();
  const ctx: ViewContext = {
    root,
    params: parts.slice(1),
    query: new URLSearchParams(queryPart),
    refresh: () => void tick(gen),
    stop: () => {
      const shown = current;
      if (shown?.generation !== gen) return () => {};
      window.clearTimeout(timer);
      shown.generation = -1; // tick(gen) no longer matches: no further update of this view
      return () => {
        if (current !== shown) return;
        shown.generation = gen;
        void tick(gen);
      };
    },
    setStatus,
  };
  current = { view: factory(ctx), generation: gen, running: false, again: false };
  void tick(gen);
}

window.addEventListener('hashchange', show);
show();
