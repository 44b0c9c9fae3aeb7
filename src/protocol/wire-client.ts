/**
 * WireClient: the client half of one Kafka connection, independent of how bytes travel. Every
 * request/response connection we open goes through it: our client library (client/connection.ts)
 * and the perf tools (cli/perf/wire.ts) over node:net (client/socket-stream.ts), replica fetchers
 * (replication/broker-client.ts) over the io `Net`, so the broker stays inside the I/O boundary.
 * The test helper test/helpers/raw-kafka.ts, which must send what no client sends, shares the
 * frame encoding and decoding below but not the pipeline.
 *
 * What it does, once for all of them:
 * - Request framing: int32 size, request header v1/v2 (the version follows the API version's
 *   flexibility), the body from our codec; large `bytes` fields (record sets) stay their own
 *   chunks, so they are never copied on the way to the socket.
 * - Correlation ids: one counter per connection, 1..2^31-1, then around again.
 * - Pipelining: a request is written at once; answers come back in request order (Kafka answers
 *   a connection's requests in order), so the pending requests are a FIFO and each response must
 *   carry the correlation id at its head. Anything else (a response without a request, another
 *   id, a frame of negative or oversized length) means the stream can no longer be trusted: the
 *   connection is closed and every pending request fails.
 * - Timeouts: each request has a deadline; one timer, armed for the earliest deadline (and left
 *   to lapse rather than cancelled when everything is answered), checks them. A request that times out closes the connection (as Kafka's NetworkClient does), since a
 *   late answer would otherwise be matched to the wrong request.
 * - Response framing: FrameSplitter (frame.ts) with `responseBytesMax`; frames inside one chunk are
 *   views, not copies. A body the codec cannot decode fails only its own request.
 *
 * What stays with the adapters: opening the transport and its error messages, the error classes
 * callers see (`error()` below), version negotiation (the client), backpressure and flush waits
 * (the node socket adapter), pre-built frames (the perf producer uses `takeCorrelationId` and
 * `sendFrame`).
 *
 * Lifecycle: built on a connected stream; dead for good after `close()` or any failure
 * (`closed`); owners make a new one. Time comes from the `timers` passed in (a Clock fits).
 */
import assert from 'node:assert/strict';
import { ApiKey } from './api-keys.js';
import { ApiCodec, type Struct } from './codec.js';
import { ErrorCode } from './error-codes.js';
import { FrameSplitter } from './frame.js';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from './header.js';
import { Reader, Writer } from './primitives.js';
import type { ApiDef } from './schema.js';

const codecs = new Map<ApiDef, ApiCodec>();

/** The codec of an API, built once per process. */
export function codecFor(api: ApiDef): ApiCodec {
  let c = codecs.get(api);
  if (!c) {
    c = new ApiCodec(api);
    codecs.set(api, c);
  }
  return c;
}

/** A whole request frame, size prefix included, as chunks (the first holds at least size and header). */
export function encodeRequestFrame(api: ApiDef, version: number, correlationId: number, clientId: string | null, body: Struct): Buffer[] {
  const codec = codecFor(api);
  const w = new Writer(256);
  w.int32(0); // frame size, patched below
  encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId }, requestHeaderVersion(api.apiKey, codec.isFlexible(version)) >= 2);
  codec.encodeRequest(version, body, w);
  const size = w.length - 4;
  const chunks = w.toChunks();
  chunks[0]!.writeInt32BE(size, 0);
  return chunks;
}

/** Decodes a response frame (without its size prefix) at exactly `version`. */
export function decodeResponseFrame<T = Struct>(api: ApiDef, version: number, frame: Buffer): { correlationId: number; body: T; trailingBytes: number } {
  const codec = codecFor(api);
  const r = new Reader(frame);
  const correlationId = decodeResponseHeader(r, responseHeaderVersion(api.apiKey, codec.isFlexible(version)));
  const body = codec.decodeResponse(version, r) as T;
  return { correlationId, body, trailingBytes: r.remaining };
}

/**
 * The version a response of `api` to a request at `version` is written in. A broker answers an
 * ApiVersions version it lacks in v0 form with UNSUPPORTED_VERSION (error code first, header v0).
 */
function answeredVersion(api: ApiDef, version: number, frame: Buffer): number {
  if (api.apiKey === ApiKey.ApiVersions && version > 0 && frame.length >= 6 && frame.readInt16BE(4) === ErrorCode.UNSUPPORTED_VERSION) return 0;
  return version;
}

/** A connected byte stream; adapters: client/socket-stream.ts (node:net), replication/connector.ts (io Net). */
export interface WireStream {
  /** Registers the receive side; called once, before any byte is delivered. `close` comes once, with the error that ended the stream, if any. */
  start(handlers: { data(chunk: Buffer): void; close(err: Error | null): void }): void;
  /**
   * Writes the chunks in order, as one gathered write where the transport can. `onFlushed`, when
   * given, runs once they are in the transport's hands (the chunks may then be reused), or the
   * stream died.
   */
  write(chunks: Buffer[], onFlushed?: () => void): void;
  /** Closes after what was written is flushed. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

/** The time source (a Clock satisfies it). */
export interface WireTimers {
  monotonicMs(): number;
  setTimer(delayMs: number, fn: () => void, opts?: { unref?: boolean }): { cancel(): void };
}

/**
 * Why a request failed: `closed` (closed here, or used after it died), `peerClosed` (the broker hung
 * up), `transport` (the stream failed; `cause` has the system error), `timeout`, `protocol` (the
 * broker sent something unreadable at the framing level: the connection is closed) and
 * `undecodable` (one response body did not decode: only that request fails).
 */
export type WireErrorKind = 'closed' | 'peerClosed' | 'transport' | 'timeout' | 'protocol' | 'undecodable';

export interface WireClientOptions {
  /** Request header clientId. */
  clientId: string | null;
  /** Names the peer in messages ("127.0.0.1:9092"). */
  peer: string;
  timers: WireTimers;
  /** Deadline of a request that does not name its own. */
  requestTimeoutMs: number;
  /** A larger response frame closes the connection. */
  responseBytesMax: number;
  /** Builds the error callers see (the adapter's own classes); default: a plain Error. */
  error?(kind: WireErrorKind, message: string, cause?: Error): Error;
}

/** A pre-built frame's answer: the whole response frame (header included), or why there is none. */
export type FrameCallback = (frame: Buffer | null, err: Error | null) => void;

interface Pending {
  correlationId: number;
  api: ApiDef;
  timeoutMs: number;
  deadlineMs: number;
  onFrame: FrameCallback;
}

const CORRELATION_ID_MAX = 0x7fffffff;
/** Slots of the FIFO consumed before it is compacted. */
const FIFO_COMPACT_AT = 1024;

export class WireClient {
  readonly peer: string;
  #stream: WireStream;
  #opts: WireClientOptions;
  #frames: FrameSplitter;
  /** Pending requests in send order; [#head, length) are live. */
  #pending: Array<Pending | undefined> = [];
  #head = 0;
  #nextCorrelationId = 1;
  #timer: { cancel(): void } | null = null;
  #timerDueMs = Infinity;
  #closeError: Error | null = null;
  #closeListeners: Array<(err: Error) => void> = [];

  constructor(stream: WireStream, opts: WireClientOptions) {
    this.peer = opts.peer;
    this.#stream = stream;
    this.#opts = opts;
    this.#frames = new FrameSplitter(opts.responseBytesMax);
    stream.start({
      data: (chunk) => this.#receive(chunk),
      close: (err) =>
        err === null
          ? this.#fail(this.#error('peerClosed', `connection to ${this.peer} was closed by the broker`))
          : this.#fail(this.#error('transport', `connection to ${this.peer} failed: ${err.message}`, err)),
    });
  }

  get closed(): boolean {
    return this.#closeError !== null;
  }

  /** Requests sent and not yet answered. */
  get inflight(): number {
    return this.#pending.length - this.#head;
  }

  /** Called once with the error the connection died with (at once if it is already dead). */
  onClose(listener: (err: Error) => void): void {
    if (this.#closeError) listener(this.#closeError);
    else this.#closeListeners.push(listener);
  }

  /** The next correlation id, for callers that build their own frames (`sendFrame`). */
  takeCorrelationId(): number {
    const id = this.#nextCorrelationId;
    this.#nextCorrelationId = id === CORRELATION_ID_MAX ? 1 : id + 1;
    return id;
  }

  /** Sends a request and resolves with the decoded response body; rejects with the adapter's error. */
  request<T>(api: ApiDef, version: number, body: Struct, timeoutMs?: number): Promise<T> {
    if (this.#closeError) return Promise.reject(this.#deadError());
    const frame = encodeRequestFrame(api, version, this.takeCorrelationId(), this.#opts.clientId, body);
    return new Promise<T>((resolve, reject) => {
      this.sendFrame(
        api,
        frame,
        (resp, err) => {
          if (err) {
            reject(err);
            return;
          }
          assert.ok(resp, 'a frame callback gets a frame or an error');
          try {
            resolve(decodeResponseFrame<T>(api, answeredVersion(api, version, resp), resp).body);
          } catch (e) {
            reject(this.#error('undecodable', `cannot decode ${api.name} v${version} response from ${this.peer}: ${(e as Error).message}`, e as Error));
          }
        },
        timeoutMs,
      );
    });
  }

  /** Sends a request that gets no response (Produce with acks=0); throws when the connection is dead. */
  send(api: ApiDef, version: number, body: Struct): void {
    if (this.#closeError) throw this.#deadError();
    this.#stream.write(encodeRequestFrame(api, version, this.takeCorrelationId(), this.#opts.clientId, body));
  }

  /**
   * Sends a complete request frame of `api` (size prefix included) that carries a correlation id
   * from `takeCorrelationId()`; `onResponse` gets the whole response frame, once, or the error.
   */
  sendFrame(api: ApiDef, frame: Buffer | Buffer[], onResponse: FrameCallback, timeoutMs?: number): void {
    if (this.#closeError) {
      onResponse(null, this.#deadError());
      return;
    }
    const chunks = Array.isArray(frame) ? frame : [frame];
    const first = chunks[0]!;
    if (first.length < 12 || first.readInt16BE(4) !== api.apiKey) assert.fail(`a ${api.name} request frame starts with its size and header`);
    const ms = timeoutMs ?? this.#opts.requestTimeoutMs;
    const deadlineMs = this.#opts.timers.monotonicMs() + ms;
    this.#pending.push({ correlationId: first.readInt32BE(8), api, timeoutMs: ms, deadlineMs, onFrame: onResponse });
    if (deadlineMs < this.#timerDueMs) this.#arm(deadlineMs);
    this.#stream.write(chunks);
  }

  /**
   * Sends a complete frame that gets no response (a pre-built acks=0 Produce); `onFlushed` runs
   * once the transport holds no reference to it any more.
   */
  sendFrameNoResponse(frame: Buffer | Buffer[], onFlushed?: () => void): void {
    if (this.#closeError) throw this.#deadError();
    this.#stream.write(Array.isArray(frame) ? frame : [frame], onFlushed);
  }

  /**
   * Closes the connection; pending requests fail with a `closed` error. `graceful`: bytes already
   * written (an acks=0 produce) are flushed first.
   */
  close(graceful = false): void {
    this.#fail(this.#error('closed', `connection to ${this.peer} was closed`), graceful);
  }

  // -------------------------------------------------------------------------------------------

  #error(kind: WireErrorKind, message: string, cause?: Error): Error {
    return this.#opts.error ? this.#opts.error(kind, message, cause) : new Error(message, cause ? { cause } : undefined);
  }

  #deadError(): Error {
    return this.#error('closed', `connection to ${this.peer} is closed`);
  }

  #receive(chunk: Buffer): void {
    if (this.#closeError) return;
    this.#frames.push(chunk);
    for (;;) {
      const next = this.#frames.next();
      if (next.kind === 'none') return;
      if (next.kind === 'tooLarge') {
        const what = next.sizeBytes < 0 ? `a frame of negative size ${next.sizeBytes}` : `a ${next.sizeBytes}-byte frame, over the ${this.#opts.responseBytesMax}-byte limit`;
        this.#fail(this.#error('protocol', `broker at ${this.peer} sent ${what}`));
        return;
      }
      this.#deliver(next.frame);
      if (this.#closeError) return;
    }
  }

  #deliver(frame: Buffer): void {
    const p = this.#pending[this.#head];
    if (p === undefined) {
      this.#fail(this.#error('protocol', `broker at ${this.peer} sent a response without a request`));
      return;
    }
    if (frame.length < 4) {
      this.#fail(this.#error('protocol', `broker at ${this.peer} sent a truncated ${p.api.name} response`));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    if (correlationId !== p.correlationId) {
      this.#fail(this.#error('protocol', `broker at ${this.peer} answered correlation id ${correlationId}, expected ${p.correlationId} (${p.api.name})`));
      return;
    }
    this.#pending[this.#head++] = undefined;
    // The deadline timer stays armed when nothing is pending: re-arming per request would cost a
    // timer per round trip; when it fires with nothing pending it simply lapses.
    if (this.#head === this.#pending.length) {
      this.#pending.length = 0;
      this.#head = 0;
    } else if (this.#head >= FIFO_COMPACT_AT && this.#head * 2 >= this.#pending.length) {
      this.#pending.splice(0, this.#head);
      this.#head = 0;
    }
    p.onFrame(frame, null);
  }

  #arm(dueMs: number): void {
    this.#timer?.cancel();
    this.#timerDueMs = dueMs;
    const delayMs = Math.max(1, Math.ceil(dueMs - this.#opts.timers.monotonicMs()));
    this.#timer = this.#opts.timers.setTimer(delayMs, () => this.#onTimer(), { unref: true });
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerDueMs = Infinity;
  }

  /** The deadline timer: fail on the first expired request, else re-arm for the earliest deadline. */
  #onTimer(): void {
    this.#timer = null;
    this.#timerDueMs = Infinity;
    if (this.#closeError) return;
    const nowMs = this.#opts.timers.monotonicMs();
    let earliestMs = Infinity;
    for (let i = this.#head; i < this.#pending.length; i++) {
      const p = this.#pending[i]!;
      if (p.deadlineMs <= nowMs) {
        this.#fail(this.#error('timeout', `${p.api.name} request to ${this.peer} timed out after ${p.timeoutMs} ms`));
        return;
      }
      earliestMs = Math.min(earliestMs, p.deadlineMs);
    }
    if (earliestMs !== Infinity) this.#arm(earliestMs);
  }

  #fail(err: Error, graceful = false): void {
    if (this.#closeError) return;
    this.#closeError = err;
    this.#disarm();
    if (graceful) this.#stream.end();
    else this.#stream.destroy();
    const pending = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    for (const p of pending) p!.onFrame(null, err);
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const l of listeners) l(err);
  }
}
