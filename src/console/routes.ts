/**
 * The web console as one HTTP handler, independent of any HTTP server: the broker's admin listener
 * mounts it, and `samsa console` runs it on its own node:http server (server.ts).
 *
 * Paths it owns (it answers null for every other path, so the host can serve /metrics, /health...):
 *   GET  /                      the page (a single page; the part after # picks the view)
 *   GET  /console/app.css       styles
 *   GET  /console/<module>.js   the browser code (compiled from ui/*.ts by `npm run build`)
 *   GET  /v1/cluster            brokers, controller, disk use
 *   GET  /v1/topics             topic list           POST /v1/topics                      create
 *   GET  /v1/topics/<t>         partitions, configs  POST /v1/topics/<t>/delete           delete
 *   GET  /v1/topics/<t>/messages?partition&offset|timestamp|from=end&limit&q&scan
 *                                                    POST /v1/topics/<t>/messages         produce
 *                                                    POST /v1/topics/<t>/partitions       add partitions
 *                                                    POST /v1/topics/<t>/configs          edit configs
 *   GET  /v1/groups             group list
 *   GET  /v1/groups/<g>         members, offsets, lag POST /v1/groups/<g>/reset-offsets   reset offsets
 *   GET  /v1/metrics            throughput and latency series
 *
 * Safety: every response carries a Content-Security-Policy that allows only the console's own
 * scripts and styles (no inline script), so even a rendering bug cannot run a message's contents.
 * A mutation must be a POST with a JSON body, the header `X-Samsa-Console: 1` and, when the
 * browser sends Origin, an Origin whose host is the Host it was sent to. A custom header cannot be
 * sent by another site's page without a CORS preflight, which this handler never approves, so a
 * hostile page cannot create, delete or produce through a user's browser. `readOnly` refuses every
 * mutation. See docs/CONSOLE.md.
 */
import type { ClientSecurity } from '../client/security.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminHttpHandler, AdminHttpRequest, AdminHttpResponse } from '../admin/http-types.js';
import { ConsoleContext, HttpError, httpErrorOf } from './context.js';
import { groupDetail, groupList, resetOffsets } from './groups.js';
import { browse, parseBrowseQuery, produce } from './messages.js';
import { metricsOverview } from './metrics.js';
import { CONSOLE_CSS, consolePage } from './page.js';
import { addPartitions, alterTopicConfigs, clusterView, createTopic, deleteTopic, topicDetail, topicList } from './topics.js';

export type { AdminHttpHandler, AdminHttpRequest, AdminHttpResponse };

export interface ConsoleOptions {
  /** Brokers to bootstrap from (host:port). */
  bootstrapServers: string[];
  /** The broker's Prometheus endpoint (e.g. http://127.0.0.1:9644/metrics) for the metrics page. */
  metricsUrl?: string;
  /** Refuse every mutation (create, delete, produce, reset, config changes). */
  readOnly?: boolean;
  clientId?: string;
  /** Per Kafka request (default 10 s). */
  requestTimeoutMs?: number;
  /** TLS / SASL towards the brokers (client/security.ts); default PLAINTEXT. */
  security?: ClientSecurity;
}

export const MUTATION_HEADER = 'x-samsa-console';
const BODY_BYTES_MAX = 2 * 1024 * 1024;
const UI_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ui');
const MODULE_PATH = /^\/console\/([a-z][a-z0-9-]*)\.js$/;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function respond(status: number, contentType: string, body: string | Buffer): AdminHttpResponse {
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': contentType }, body };
}

function json(status: number, value: unknown): AdminHttpResponse {
  return respond(status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function jsonBody(req: AdminHttpRequest): Record<string, unknown> {
  if (req.body.length > BODY_BYTES_MAX) throw new HttpError(413, `request body is ${req.body.length} bytes; at most ${BODY_BYTES_MAX}`);
  const text = req.body.toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** The same-origin rules for mutations (see the header comment); throws 403/415 with the fix. */
function checkMutation(req: AdminHttpRequest, readOnly: boolean): void {
  if (readOnly) throw new HttpError(403, 'this console is read-only: it refuses changes (started with --read-only)');
  if (req.headers[MUTATION_HEADER] !== '1') throw new HttpError(403, `changes need the header 'X-Samsa-Console: 1' (the console's pages send it); see docs/CONSOLE.md`);
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, `changes need a JSON body with Content-Type: application/json, got '${type}'`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new HttpError(403, `bad Origin header '${origin}'`);
    }
    if (originHost !== req.headers.host) throw new HttpError(403, `cross-origin change refused: Origin ${origin} is not this console (${req.headers.host ?? 'no Host'})`);
  }
}

function segment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `bad URL escape in '${s}'`);
  }
}

export function createConsoleHandler(opts: ConsoleOptions): { handler: AdminHttpHandler; close(): Promise<void> } {
  if (opts.bootstrapServers.length === 0) throw new Error('the console needs at least one bootstrap server (host:port)');
  const ctx = new ConsoleContext({ bootstrapServers: opts.bootstrapServers, clientId: opts.clientId, requestTimeoutMs: opts.requestTimeoutMs, security: opts.security });
  const metricsUrl = opts.metricsUrl ?? null;
  const readOnly = opts.readOnly ?? false;
  const modules = new Map<string, Promise<Buffer>>();

  async function asset(name: string): Promise<AdminHttpResponse> {
    let p = modules.get(name);
    if (!p) {
      p = readFile(path.join(UI_DIR, `${name}.js`));
      modules.set(name, p);
      p.catch(() => modules.delete(name)); // a missing file is answered below; retried next time
    }
    try {
      return respond(200, 'text/javascript; charset=utf-8', await p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return json(404, { error: `no console module '${name}.js' (built files missing? run npm run build)` });
      throw err;
    }
  }

  type Route = (req: AdminHttpRequest, m: RegExpExecArray) => Promise<unknown>;
  const gets: Array<[RegExp, Route]> = [
    [/^\/v1\/cluster$/, () => clusterView(ctx)],
    [/^\/v1\/topics$/, () => topicList(ctx)],
    [/^\/v1\/topics\/([^/]+)$/, (_r, m) => topicDetail(ctx, segment(m[1]!))],
    [/^\/v1\/topics\/([^/]+)\/messages$/, (r, m) => browse(ctx, segment(m[1]!), parseBrowseQuery(r.query))],
    [/^\/v1\/groups$/, () => groupList(ctx)],
    [/^\/v1\/groups\/([^/]+)$/, (_r, m) => groupDetail(ctx, segment(m[1]!))],
    [/^\/v1\/metrics$/, () => metricsOverview(ctx, metricsUrl)],
  ];
  const posts: Array<[RegExp, Route]> = [
    [/^\/v1\/topics$/, (r) => createTopic(ctx, jsonBody(r))],
    [/^\/v1\/topics\/([^/]+)\/delete$/, (r, m) => deleteTopic(ctx, segment(m[1]!), jsonBody(r))],
    [/^\/v1\/topics\/([^/]+)\/messages$/, (r, m) => produce(ctx, segment(m[1]!), jsonBody(r))],
    [/^\/v1\/topics\/([^/]+)\/partitions$/, (r, m) => addPartitions(ctx, segment(m[1]!), jsonBody(r))],
    [/^\/v1\/topics\/([^/]+)\/configs$/, (r, m) => alterTopicConfigs(ctx, segment(m[1]!), jsonBody(r))],
    [/^\/v1\/groups\/([^/]+)\/reset-offsets$/, (r, m) => resetOffsets(ctx, segment(m[1]!), jsonBody(r))],
  ];

  async function api(req: AdminHttpRequest): Promise<AdminHttpResponse> {
    const table = req.method === 'GET' ? gets : req.method === 'POST' ? posts : [];
    for (const [re, route] of table) {
      const m = re.exec(req.path);
      if (!m) continue;
      if (req.method === 'POST') checkMutation(req, readOnly);
      return json(200, await route(req, m));
    }
    const elsewhere = [...gets, ...posts].some(([re]) => re.test(req.path));
    if (elsewhere) return json(405, { error: `method ${req.method} not allowed at ${req.path} (GET reads, POST changes)` });
    return json(404, { error: `no console API at ${req.path}` });
  }

  const handler: AdminHttpHandler = async (req) => {
    const p = req.path;
    const owned = p === '/' || p === '/index.html' || p.startsWith('/console/') || p === '/console' || p.startsWith('/v1/');
    if (!owned) return null;
    try {
      if (p.startsWith('/v1/')) return await api(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: `method ${req.method} not allowed for ${p}` });
      if (p === '/' || p === '/index.html' || p === '/console' || p === '/console/') return respond(200, 'text/html; charset=utf-8', consolePage({ readOnly }));
      if (p === '/console/app.css') return respond(200, 'text/css; charset=utf-8', CONSOLE_CSS);
      const m = MODULE_PATH.exec(p);
      if (m) return await asset(m[1]!);
      return json(404, { error: `no console file at ${p}` });
    } catch (err) {
      const { status, message } = httpErrorOf(err);
      return json(status, { error: message });
    }
  };

  return { handler, close: () => ctx.close() };
}
