/**
 * Per-request measurements, as Kafka's RequestMetrics splits a request's life (kafka.network:
 * type=RequestMetrics), and the slow-request log and request sampling built on them.
 *
 * Phases of one request (monotonic clock, ms), set by server/dispatcher.ts and connection.ts:
 *   receivedMs      the whole frame has been read (dispatch() is called at once)
 *   handlerStartMs  header and body decoded; the handler is called        → queue = start − received
 *   remote*         the handler waits in a purgatory: acks=all replication, Fetch min bytes/max
 *                   wait, a JoinGroup/SyncGroup parked for its group (first wait start .. last wait end)
 *   handlerDoneMs   the handler returned its response                      → local = done − start − remote
 *   sendStartMs     encoded, and every earlier response of the connection went (in-order hold)
 *                                                                          → responseQueue = sendStart − done
 *   sendDoneMs      the socket took the bytes (writev returned true, or the next drain event)
 *                                                                          → responseSend, total = sendDone − received
 * A RequestTiming is the one small record each request allocates for this; counting itself adds
 * to numbers in place in RequestTypeMetrics resolved by array index.
 */
import type { Logger } from 'pino';
import type { Random } from '../io/random.js';
import { ApiKey, apiName } from '../protocol/api-keys.js';
import { Counter, Histogram } from './exposition.js';

/**
 * Upper bounds (seconds) of every request-time histogram; +Inf implied. 15 buckets: a produce or
 * fetch at the log tail takes tens to hundreds of microseconds, so the sub-millisecond bounds are
 * what tell a millisecond tail of the broker's own from one outside it (docs/PERFORMANCE.md).
 */
export const REQUEST_TIME_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

const API_SLOTS = 128;
/** Kafka reports Fetch under two request names: FetchConsumer and FetchFollower. */
export const FETCH_CONSUMER_SLOT = API_SLOTS;
export const FETCH_FOLLOWER_SLOT = API_SLOTS + 1;
const SLOT_COUNT = API_SLOTS + 2;
const VERSION_SLOTS = 32;

/** APIs that wait by design (the client chose how long); their remote time does not make them slow. */
const LONG_POLL = new Set<number>([ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.SyncGroup]);

export class RequestTiming {
  handlerStartMs = -1;
  handlerDoneMs = -1;
  remoteStartMs = -1;
  remoteEndMs = -1;
  #remoteDepth = 0;
  sendStartMs = -1;
  responseBytes = 0;
  /** Slot in RequestMetrics (apiKey, or the FetchConsumer/FetchFollower slots). */
  slot: number;

  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    readonly receivedMs: number,
    readonly requestBytes: number,
  ) {
    this.slot = apiKey;
  }

  clientId: string | null = null;
  clientAddress = '';

  /** A wait in a purgatory begins (nests: several partitions may wait at once). */
  enterRemote(nowMs: number): void {
    if (this.#remoteDepth++ === 0 && this.remoteStartMs < 0) this.remoteStartMs = nowMs;
  }

  leaveRemote(nowMs: number): void {
    if (this.#remoteDepth === 0) return;
    if (--this.#remoteDepth === 0) this.remoteEndMs = nowMs;
  }

  get remoteMs(): number {
    return this.remoteStartMs >= 0 && this.remoteEndMs >= this.remoteStartMs ? this.remoteEndMs - this.remoteStartMs : 0;
  }
}

/** One request name's series (kafka.network:type=RequestMetrics,request=<name>). */
export class RequestTypeMetrics {
  readonly requestsByVersion: Array<Counter | undefined> = new Array<Counter | undefined>(VERSION_SLOTS);
  readonly requestBytes = new Counter();
  readonly responseBytes = new Counter();
  /** error code → responses' errorCode fields with that value (NONE included, as Kafka counts it). */
  readonly errors = new Map<number, Counter>();
  readonly requestQueueTime = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);
  readonly localTime = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);
  readonly remoteTime = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);
  readonly responseQueueTime = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);
  readonly responseSendTime = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);
  readonly totalTime = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);

  constructor(readonly name: string) {}

  countError(code: number): void {
    let c = this.errors.get(code);
    if (!c) {
      c = new Counter();
      this.errors.set(code, c);
    }
    c.value++;
  }
}

/** What the slow-request log and the sampler read (from the broker's effective config). */
export interface RequestLogSettings {
  /** samsa.slow.request.threshold.ms; < 0 disables. */
  readonly slowRequestThresholdMs: number;
  /** samsa.request.log.sample.rate, 0..1. */
  readonly requestLogSampleRate: number;
}

export class RequestMetrics {
  /** Request metrics per slot, created when the first request of that name completes. */
  readonly slots: Array<RequestTypeMetrics | undefined> = new Array<RequestTypeMetrics | undefined>(SLOT_COUNT);
  /** Requests logged as slow, and sampled (for tests and for the log's own health). */
  slowRequestsLogged = 0;
  sampledRequestsLogged = 0;

  constructor(
    private readonly log: Logger,
    private readonly settings: () => RequestLogSettings,
    /** The broker's Random (sampling). */
    private readonly random: Random,
  ) {}

  of(slot: number): RequestTypeMetrics {
    let m = this.slots[slot];
    if (!m) {
      const name = slot === FETCH_CONSUMER_SLOT ? 'FetchConsumer' : slot === FETCH_FOLLOWER_SLOT ? 'FetchFollower' : apiName(slot);
      m = new RequestTypeMetrics(name);
      this.slots[slot] = m;
    }
    return m;
  }

  /** Counts every errorCode field of a handler's response (top level, per topic, per partition). */
  countErrors(t: RequestTiming, response: object): void {
    countErrorFields(this.of(t.slot), response, 0);
  }

  /** The response has gone (or none is sent): every phase is known. */
  complete(t: RequestTiming, sendDoneMs: number): void {
    if (t.slot < 0 || t.slot >= SLOT_COUNT || t.handlerStartMs < 0) return; // never reached a handler
    const m = this.of(t.slot);
    const v = t.apiVersion >= 0 && t.apiVersion < VERSION_SLOTS ? t.apiVersion : VERSION_SLOTS - 1;
    (m.requestsByVersion[v] ??= new Counter()).value++;
    m.requestBytes.value += t.requestBytes;
    m.responseBytes.value += t.responseBytes;
    const handlerDoneMs = t.handlerDoneMs >= 0 ? t.handlerDoneMs : sendDoneMs;
    const sendStartMs = t.sendStartMs >= 0 ? t.sendStartMs : handlerDoneMs;
    const queueMs = Math.max(0, t.handlerStartMs - t.receivedMs);
    const remoteMs = t.remoteMs;
    const localMs = Math.max(0, handlerDoneMs - t.handlerStartMs - remoteMs);
    const responseQueueMs = Math.max(0, sendStartMs - handlerDoneMs);
    const responseSendMs = Math.max(0, sendDoneMs - sendStartMs);
    const totalMs = Math.max(0, sendDoneMs - t.receivedMs);
    m.requestQueueTime.observe(queueMs / 1000);
    m.localTime.observe(localMs / 1000);
    m.remoteTime.observe(remoteMs / 1000);
    m.responseQueueTime.observe(responseQueueMs / 1000);
    m.responseSendTime.observe(responseSendMs / 1000);
    m.totalTime.observe(totalMs / 1000);

    const s = this.settings();
    const consideredMs = LONG_POLL.has(t.apiKey) ? totalMs - remoteMs : totalMs;
    const slow = s.slowRequestThresholdMs >= 0 && consideredMs > s.slowRequestThresholdMs;
    const sampled = !slow && s.requestLogSampleRate > 0 && (s.requestLogSampleRate >= 1 || this.random.int(1_000_000) < s.requestLogSampleRate * 1_000_000);
    if (!slow && !sampled) return;
    const fields = {
      api: m.name,
      v: t.apiVersion,
      correlationId: t.correlationId,
      clientId: t.clientId,
      client: t.clientAddress,
      totalMs: round(totalMs),
      requestQueueMs: round(queueMs),
      localMs: round(localMs),
      remoteMs: round(remoteMs),
      responseQueueMs: round(responseQueueMs),
      responseSendMs: round(responseSendMs),
      requestBytes: t.requestBytes,
      responseBytes: t.responseBytes,
    };
    if (slow) {
      this.slowRequestsLogged++;
      this.log.info(fields, `slow request: ${m.name} v${t.apiVersion} took ${round(totalMs)} ms (samsa.slow.request.threshold.ms=${s.slowRequestThresholdMs})`);
    } else {
      this.sampledRequestsLogged++;
      this.log.info(fields, `sampled request: ${m.name} v${t.apiVersion} took ${round(totalMs)} ms`);
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Depth bound: responses are a few levels deep (topics → partitions → fields). */
const WALK_DEPTH_MAX = 6;

function countErrorFields(m: RequestTypeMetrics, o: object, depth: number): void {
  if (depth > WALK_DEPTH_MAX || Buffer.isBuffer(o)) return;
  if (Array.isArray(o)) {
    for (const item of o) if (item !== null && typeof item === 'object') countErrorFields(m, item as object, depth + 1);
    return;
  }
  const rec = o as Record<string, unknown>;
  for (const k in rec) {
    const v = rec[k];
    if (k === 'errorCode') {
      if (typeof v === 'number') m.countError(v);
    } else if (v !== null && typeof v === 'object') {
      countErrorFields(m, v, depth + 1);
    }
  }
}
