/**
 * KafkaConnection: one TCP connection to one broker. Owned by a KafkaClient (or a tool that talks to
 * a single broker); lives until close() or until the broker hangs up, after which it is dead for
 * good (the client opens a new one).
 *
 * - Requests are pipelined: every call writes its frame at once and gets a fresh correlation id;
 *   responses (which a broker sends in request order) are matched back by that id. Writes issued in
 *   the same tick go out as one gathered write (cork until the next tick).
 * - Versions: right after connecting we send ApiVersions (v3, falling back to the version the broker
 *   names when it answers UNSUPPORTED_VERSION) and from then on every request uses the highest
 *   version both sides implement. An API the broker does not offer fails with
 *   UnsupportedVersionError naming it.
 * - Timeouts: each request has a deadline (requestTimeoutMs unless the caller gives one); a single
 *   sweep timer checks them. A request that times out closes the connection, as Kafka's client
 *   does, since the response stream can no longer be trusted to line up.
 * - Errors: connecting failures become ConnectionError with a message that names the address and
 *   the fix; everything in flight when the socket dies is rejected with a ConnectionError.
 *
 * This is client code for our tools and tests, not part of the broker, so it uses node:net directly
 * instead of the io/ interfaces (which model the server side).
 */
import net from 'node:net';
import { ApiCodec, type Struct } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../protocol/header.js';
import { apiVersionsApi, type ApiVersionsResponse } from '../protocol/messages/api-versions.js';
import { Reader, Writer } from '../protocol/primitives.js';
import type { ApiDef } from '../protocol/schema.js';
import { ConnectionError, KafkaError, TimeoutError, UnsupportedVersionError } from './errors.js';

export const CLIENT_SOFTWARE_NAME = 'samsa-client';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Default 30 s; a request may pass its own. */
  requestTimeoutMs?: number;
  /** Hint appended when nothing listens at the address (default: start one with `samsa start`). */
  startHint?: string;
}

export interface RequestOptions {
  /** Use exactly this version instead of the negotiated one. */
  version?: number;
  /** Upper bound on the version (for callers that only understand older shapes). */
  versionMax?: number;
  timeoutMs?: number;
}

interface Pending {
  codec: ApiCodec;
  version: number;
  headerVersion: number;
  deadlineMs: number;
  resolve(value: Struct): void;
  reject(err: Error): void;
}

const codecs = new Map<number, ApiCodec>();
export function codecFor(api: ApiDef): ApiCodec {
  let c = codecs.get(api.apiKey);
  if (!c) {
    c = new ApiCodec(api);
    codecs.set(api.apiKey, c);
  }
  return c;
}

const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
const SWEEP_INTERVAL_MS = 100;
const CLOSE_FLUSH_MS_MAX = 1000;
const DEFAULT_START_HINT = 'is a broker running? start one with `samsa start`';

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function connectError(err: NodeJS.ErrnoException, host: string, port: number, hint: string): ConnectionError {
  const address = formatAddress(host, port);
  const code = err.code ?? 'UNKNOWN';
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError(`cannot connect to ${address} (connection refused) — ${hint}`, address, code, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConnectionError(`cannot connect to ${address}: unknown host '${host}' — check the address`, address, code, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionError(`cannot connect to ${address}: host unreachable — check the address`, address, code, { cause: err });
    default:
      return new ConnectionError(`cannot connect to ${address}: ${err.message}`, address, code, { cause: err });
  }
}

function openSocket(host: string, port: number, timeoutMs: number, hint: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      const address = formatAddress(host, port);
      reject(new ConnectionError(`cannot connect to ${address}: no answer within ${timeoutMs} ms — ${hint}`, address, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(connectError(err, host, port, hint));
    });
  });
}

export class KafkaConnection {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** The broker's [min, max] per API key, from ApiVersions. */
  readonly brokerVersions = new Map<number, { min: number; max: number }>();

  #socket: net.Socket;
  #clientId: string;
  #requestTimeoutMs: number;
  #pending = new Map<number, Pending>();
  #nextCorrelationId = 1;
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  #corked = false;
  #closed = false;
  #closeListeners: Array<(err: Error) => void> = [];
  #sweepTimer: NodeJS.Timeout | null = null;
  #chosen = new Map<number, number>();

  private constructor(socket: net.Socket, opts: ConnectionOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.address = formatAddress(opts.host, opts.port);
    this.#socket = socket;
    this.#clientId = opts.clientId ?? CLIENT_SOFTWARE_NAME;
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#fail(new ConnectionError(`connection to ${this.address} failed: ${err.message}`, this.address, err.code ?? 'UNKNOWN', { cause: err }));
    });
    socket.on('close', () => {
      this.#fail(new ConnectionError(`connection to ${this.address} was closed by the broker`, this.address, 'CLOSED'));
    });
  }

  /** Opens the socket and negotiates versions. */
  static async connect(opts: ConnectionOptions): Promise<KafkaConnection> {
    const socket = await openSocket(opts.host, opts.port, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT, opts.startHint ?? DEFAULT_START_HINT);
    const conn = new KafkaConnection(socket, opts);
    try {
      await conn.#negotiate();
    } catch (err) {
      conn.#fail(err as Error);
      throw err;
    }
    return conn;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inflight(): number {
    return this.#pending.size;
  }

  /** True when the kernel buffer is full; wait with waitForDrain() before writing much more. */
  get needsDrain(): boolean {
    return this.#socket.writableNeedDrain;
  }

  waitForDrain(): Promise<void> {
    if (!this.#socket.writableNeedDrain || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  onClose(listener: (err: Error) => void): void {
    if (this.#closed) listener(new ConnectionError(`connection to ${this.address} is closed`, this.address, 'CLOSED'));
    else this.#closeListeners.push(listener);
  }

  /** Whether the broker offers this API at a version we implement. */
  supports(api: ApiDef): boolean {
    return this.#versionFor(api, undefined) >= 0;
  }

  /** The version requests of this API will use (throws UnsupportedVersionError when there is none). */
  versionFor(api: ApiDef, versionMax?: number): number {
    const v = this.#versionFor(api, versionMax);
    if (v < 0) {
      const range = this.brokerVersions.get(api.apiKey);
      const why = range
        ? `offers versions ${range.min}-${range.max}, this client needs ${api.versionMin}-${versionMax ?? api.versionMax}`
        : 'does not offer it';
      throw new UnsupportedVersionError(`the broker at ${this.address} does not support ${api.name} (it ${why})`);
    }
    return v;
  }

  #versionFor(api: ApiDef, versionMax: number | undefined): number {
    if (versionMax === undefined) {
      const cached = this.#chosen.get(api.apiKey);
      if (cached !== undefined) return cached;
    }
    const range = this.brokerVersions.get(api.apiKey);
    let v = -1;
    if (range) {
      const hi = Math.min(range.max, api.versionMax, versionMax ?? Number.MAX_SAFE_INTEGER);
      const lo = Math.max(range.min, api.versionMin);
      if (hi >= lo) v = hi;
    }
    if (versionMax === undefined) this.#chosen.set(api.apiKey, v);
    return v;
  }

  /** Sends a request and resolves with the decoded response body. */
  request<T>(api: ApiDef, body: object, opts: RequestOptions = {}): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ConnectionError(`connection to ${this.address} is closed`, this.address, 'CLOSED'));
    }
    let version: number;
    try {
      version = opts.version ?? this.versionFor(api, opts.versionMax);
    } catch (err) {
      return Promise.reject(err);
    }
    const codec = codecFor(api);
    const flexible = codec.isFlexible(version);
    const correlationId = this.#write(codec, version, flexible, body);
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(correlationId, {
        codec,
        version,
        headerVersion: responseHeaderVersion(api.apiKey, flexible),
        deadlineMs: Date.now() + (opts.timeoutMs ?? this.#requestTimeoutMs),
        resolve: resolve as (v: Struct) => void,
        reject,
      });
      this.#startSweep();
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendNoResponse(api: ApiDef, body: object, opts: RequestOptions = {}): void {
    if (this.#closed) throw new ConnectionError(`connection to ${this.address} is closed`, this.address, 'CLOSED');
    const version = opts.version ?? this.versionFor(api, opts.versionMax);
    const codec = codecFor(api);
    this.#write(codec, version, codec.isFlexible(version), body);
  }

  /**
   * Closes the connection: requests still waiting for an answer fail, but bytes already written
   * (an acks=0 produce) are flushed first. Resolves when the socket is gone (at most ~1 s).
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const socket = this.#socket;
    const gone = new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, CLOSE_FLUSH_MS_MAX);
      timer.unref();
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#fail(new ConnectionError(`connection to ${this.address} was closed`, this.address, 'CLOSED'), true);
    return gone;
  }

  // -------------------------------------------------------------------------------------------

  #write(codec: ApiCodec, version: number, flexible: boolean, body: object): number {
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = correlationId === 0x7fffffff ? 1 : correlationId + 1;
    const w = new Writer(256);
    w.int32(0); // frame size, patched below
    const headerFlexible = requestHeaderVersion(codec.def.apiKey, flexible) >= 2;
    encodeRequestHeader(w, { apiKey: codec.def.apiKey, apiVersion: version, correlationId, clientId: this.#clientId }, headerFlexible);
    codec.encodeRequest(version, body as Struct, w);
    const size = w.length - 4;
    const chunks = w.toChunks();
    chunks[0]!.writeInt32BE(size, 0);
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    for (const c of chunks) this.#socket.write(c);
    return correlationId;
  }

  async #negotiate(): Promise<void> {
    const res = await this.request<ApiVersionsResponse>(
      apiVersionsApi,
      { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION },
      { version: apiVersionsApi.versionMax, timeoutMs: 10_000 },
    );
    let answer = res;
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      // The broker answered in v0 with the versions it has; ask again at its highest.
      const mine = res.apiKeys.find((k) => k.apiKey === apiVersionsApi.apiKey);
      const v = Math.min(mine?.maxVersion ?? 0, apiVersionsApi.versionMax);
      answer = await this.request<ApiVersionsResponse>(apiVersionsApi, {}, { version: v, timeoutMs: 10_000 });
    }
    if (answer.errorCode !== ErrorCode.NONE) throw new KafkaError(answer.errorCode, `ApiVersions failed at ${this.address}`);
    for (const k of answer.apiKeys) this.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
    while (this.#bufferedBytes >= 4) {
      const size = this.#peekSize();
      if (size < 0) {
        this.#fail(new ConnectionError(`broker at ${this.address} sent a frame of negative size ${size}`, this.address, 'PROTOCOL'));
        return;
      }
      if (this.#bufferedBytes < 4 + size) return;
      const frame = this.#take(4 + size).subarray(4);
      this.#onFrame(frame);
      if (this.#closed) return;
    }
  }

  #peekSize(): number {
    // The caller made sure 4 bytes are buffered; merge leading chunks until the first holds them.
    while (this.#chunks[0]!.length < 4) {
      const a = this.#chunks.shift()!;
      const b = this.#chunks.shift()!;
      this.#chunks.unshift(Buffer.concat([a, b]));
    }
    return this.#chunks[0]!.readInt32BE(0);
  }

  /** Removes and returns the first n buffered bytes (a view when they sit in one chunk). */
  #take(n: number): Buffer {
    this.#bufferedBytes -= n;
    const first = this.#chunks[0]!;
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0]!;
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.#chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.#chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    return out;
  }

  #onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.#fail(new ConnectionError(`broker at ${this.address} sent a truncated response`, this.address, 'PROTOCOL'));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const p = this.#pending.get(correlationId);
    if (!p) {
      this.#fail(new ConnectionError(`broker at ${this.address} answered unknown correlation id ${correlationId}`, this.address, 'PROTOCOL'));
      return;
    }
    this.#pending.delete(correlationId);
    try {
      const r = new Reader(frame, 0);
      decodeResponseHeader(r, p.headerVersion);
      let version = p.version;
      // An ApiVersions answer to a version the broker lacks comes in v0 form (error 35 first).
      if (p.codec.def.apiKey === apiVersionsApi.apiKey && version > 0 && r.remaining >= 2 && frame.readInt16BE(r.offset) === ErrorCode.UNSUPPORTED_VERSION) {
        version = 0;
      }
      p.resolve(p.codec.decodeResponse(version, r));
    } catch (err) {
      p.reject(new Error(`cannot decode ${p.codec.def.name} v${p.version} response from ${this.address}: ${(err as Error).message}`, { cause: err }));
    }
  }

  #startSweep(): void {
    if (this.#sweepTimer) return;
    this.#sweepTimer = setInterval(() => {
      if (this.#pending.size === 0) {
        clearInterval(this.#sweepTimer!);
        this.#sweepTimer = null;
        return;
      }
      const now = Date.now();
      for (const [, p] of this.#pending) {
        if (p.deadlineMs <= now) {
          this.#fail(new TimeoutError(`${p.codec.def.name} request to ${this.address} timed out`));
          return;
        }
      }
    }, SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
  }

  #fail(err: Error, graceful = false): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    if (graceful) this.#socket.end();
    else this.#socket.destroy();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const l of listeners) l(err);
  }
}
