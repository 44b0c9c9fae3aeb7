/**
 * Http: how the broker serves its admin HTTP listener (metrics, health, the console). Read-only,
 * small requests: the implementation reads the request line, headers and a bounded body, answers
 * bad HTTP itself (400 malformed, 413 body too large, 431 headers too large, 408 too slow) without
 * calling the handler, and calls `handler` once per well-formed request. A handler that throws gets
 * a 500 from the caller (src/admin/http.ts catches); the implementation never crashes on input.
 * Production: io/node/http.ts over node:http. The simulator and unit tests: io/sim/memory-http.ts
 * (no sockets; requests are handed to the handler directly).
 */
import type { Listener } from './net.js';

export interface HttpRequestIn {
  method: string;
  /** The request target as sent (`/metrics?x=1`); the router splits path and query. */
  url: string;
  /** Lower-case header names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** host:port of the client, for logs. */
  remoteAddress: string;
}

export interface HttpResponseOut {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface HttpServerLimits {
  /** Largest request body read; a larger one is answered 413 and the connection closed. */
  bodyBytesMax: number;
  /** Largest request line plus headers; larger is answered 431. */
  headerBytesMax: number;
  /** A request must arrive completely within this time, else 408. */
  requestTimeoutMs: number;
}

export interface Http {
  listen(host: string, port: number, limits: HttpServerLimits, handler: (req: HttpRequestIn) => Promise<HttpResponseOut>): Promise<Listener>;
}
