/**
 * Fetch sessions (KIP-227, Fetch v7+): a fetcher that keeps asking for the same partitions opens
 * a session, after which its requests list only the partitions whose fetch position changed (plus
 * those to forget) and the answers carry only the partitions with something new: records, an
 * error, or a high watermark, last stable offset or log start offset different from the last one
 * sent in the session. Followers replicating many partitions (and Java consumers) stop sending and
 * receiving every partition every time.
 *
 * The request's (sessionId, sessionEpoch) decide, as in Kafka's FetchSession:
 *   (0, -1)  no session: a full fetch, answered with sessionId 0;
 *   (0, 0)   a full fetch that opens a session (sessionId 0 in the answer when the cache has no room);
 *   (s, -1)  closes session s, then a full fetch without a session;
 *   (s, 0)   closes session s and opens a new one with this full fetch;
 *   (s, e>0) an incremental fetch in session s: FETCH_SESSION_ID_NOT_FOUND when s is unknown,
 *            INVALID_FETCH_SESSION_EPOCH unless e is the epoch after the last one (1 after 2^31-1),
 *            FETCH_SESSION_TOPIC_ID_ERROR when the session named topics by name and this request
 *            by id or the reverse (v13 vs v12).
 * The cache holds max.incremental.fetch.session.cache.slots sessions. When full, a new session takes
 * the place of the least recently used one idle for min.incremental.fetch.session.eviction.ms, or
 * of the least recently used consumer session when the new one is a follower's; otherwise the fetch
 * runs without a session. Not done: Kafka's reordering of a session's partitions for fairness.
 */
import type { FetchRequest, FetchRequestPartition, FetchResponse } from '../protocol/messages/fetch.js';
import { ErrorCode } from '../protocol/error-codes.js';

const FINAL_EPOCH = -1;
const INITIAL_EPOCH = 0;
/** "Never sent": any first value differs, so a partition new to the session is always answered. */
const NOT_SENT = -2n;

/** A partition of a session: its last requested position, and what the session last answered. */
interface SessionPartition {
  topic: string;
  topicId: string;
  position: FetchRequestPartition;
  sentHighWatermark: bigint;
  sentLastStableOffset: bigint;
  sentLogStartOffset: bigint;
}

export class FetchSession {
  /** The epoch the next request of this session must carry. */
  nextEpoch = 1;
  lastUsedMs: number;
  /** Insertion-ordered: the order partitions are fetched in. */
  readonly partitions = new Map<string, SessionPartition>();

  constructor(
    readonly id: number,
    readonly replicaId: number,
    readonly usesTopicIds: boolean,
    nowMs: number,
  ) {
    this.lastUsedMs = nowMs;
  }

  key(t: { topic: string; topicId: string }, partition: number): string {
    return `${this.usesTopicIds ? t.topicId : t.topic}\u0000${partition}`;
  }

  /** Adds or updates the partitions a request lists and drops the forgotten ones. */
  apply(req: FetchRequest): void {
    for (const t of req.forgottenTopicsData) for (const p of t.partitions) this.partitions.delete(this.key(t, p));
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const key = this.key(t, p.partition);
        const known = this.partitions.get(key);
        if (known) known.position = p;
        else this.partitions.set(key, { topic: t.topic, topicId: t.topicId, position: p, sentHighWatermark: NOT_SENT, sentLastStableOffset: NOT_SENT, sentLogStartOffset: NOT_SENT });
      }
    }
  }

  /** The request as if it were full: every partition of the session with its last known position. */
  fullRequest(req: FetchRequest): FetchRequest {
    const topics: FetchRequest['topics'] = [];
    let last: FetchRequest['topics'][number] | null = null;
    for (const p of this.partitions.values()) {
      if (last === null || last.topic !== p.topic || last.topicId !== p.topicId) {
        last = { topic: p.topic, topicId: p.topicId, partitions: [] };
        topics.push(last);
      }
      last.partitions.push(p.position);
    }
    return { ...req, topics, forgottenTopicsData: [] };
  }

  /**
   * Records what the response tells the fetcher and, for an incremental fetch, leaves out the
   * partitions with nothing new. Sets the response's sessionId.
   */
  answer(response: FetchResponse, incremental: boolean): FetchResponse {
    const responses: FetchResponse['responses'] = [];
    for (const t of response.responses) {
      const partitions = t.partitions.filter((r) => {
        const s = this.partitions.get(this.key(t, r.partitionIndex));
        if (s === undefined) return true; // not in the session (cannot happen): answer it
        const changed =
          (r.records?.length ?? 0) > 0 ||
          r.errorCode !== ErrorCode.NONE ||
          r.highWatermark !== s.sentHighWatermark ||
          r.lastStableOffset !== s.sentLastStableOffset ||
          r.logStartOffset !== s.sentLogStartOffset;
        s.sentHighWatermark = r.highWatermark;
        s.sentLastStableOffset = r.lastStableOffset;
        s.sentLogStartOffset = r.logStartOffset;
        return changed || !incremental;
      });
      if (partitions.length > 0) responses.push({ ...t, partitions });
    }
    return { ...response, sessionId: this.id, responses };
  }
}

export type SessionResolution =
  /** A full fetch without a session (answer sessionId 0). */
  | { kind: 'sessionless'; request: FetchRequest }
  /** Answer only this top-level error. */
  | { kind: 'error'; errorCode: number }
  /** A fetch in a session: `request` lists every partition of the session; `incremental` filters the answer. */
  | { kind: 'session'; session: FetchSession; request: FetchRequest; incremental: boolean };

export interface FetchSessionLimits {
  /** max.incremental.fetch.session.cache.slots */
  slotsMax: number;
  /** min.incremental.fetch.session.eviction.ms */
  evictionMs: number;
}

export class FetchSessionCache {
  readonly #sessions = new Map<number, FetchSession>();
  #lastId = 0;

  constructor(private readonly limits: () => FetchSessionLimits) {}

  get size(): number {
    return this.#sessions.size;
  }

  /** Partitions held over all sessions (metrics). */
  get partitionCount(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += s.partitions.size;
    return n;
  }

  /** Decides how to serve a Fetch v7+ request (see the file comment). */
  resolve(req: FetchRequest, apiVersion: number, nowMs: number): SessionResolution {
    const { sessionId, sessionEpoch } = req;
    if (sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.#sessions.delete(sessionId);
      return { kind: 'sessionless', request: req };
    }
    if (sessionEpoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.#sessions.delete(sessionId);
      const session = this.#open(req.replicaId, apiVersion >= 13, nowMs);
      if (session === null) return { kind: 'sessionless', request: req };
      session.apply(req);
      return { kind: 'session', session, request: session.fullRequest(req), incremental: false };
    }
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.usesTopicIds !== apiVersion >= 13) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    if (sessionEpoch !== session.nextEpoch || req.replicaId !== session.replicaId) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    session.nextEpoch = session.nextEpoch === 0x7fffffff ? 1 : session.nextEpoch + 1;
    session.lastUsedMs = nowMs;
    // Most recently used last, so the first entries are the eviction candidates.
    this.#sessions.delete(sessionId);
    this.#sessions.set(sessionId, session);
    session.apply(req);
    return { kind: 'session', session, request: session.fullRequest(req), incremental: true };
  }

  #open(replicaId: number, usesTopicIds: boolean, nowMs: number): FetchSession | null {
    const { slotsMax, evictionMs } = this.limits();
    if (slotsMax <= 0) return null;
    if (this.#sessions.size >= slotsMax) {
      let victim: FetchSession | null = null;
      for (const s of this.#sessions.values()) {
        // Least recently used first: an idle one, or (for a follower) the first consumer session.
        if (nowMs - s.lastUsedMs >= evictionMs || (replicaId >= 0 && s.replicaId < 0)) {
          victim = s;
          break;
        }
      }
      if (victim === null) return null;
      this.#sessions.delete(victim.id);
    }
    let id = this.#lastId;
    do id = id === 0x7fffffff ? 1 : id + 1;
    while (this.#sessions.has(id));
    this.#lastId = id;
    const session = new FetchSession(id, replicaId, usesTopicIds, nowMs);
    this.#sessions.set(id, session);
    return session;
  }
}
