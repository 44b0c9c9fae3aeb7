/**
 * ReplicaFetcher: the follower side of replication for the partitions this broker follows on one
 * source (leader) broker that fall to this fetcher (num.replica.fetchers per source broker, chosen
 * by ReplicaManager's fetcherIndex as Kafka does) — Kafka's ReplicaFetcherThread. One TCP
 * connection (BrokerClient), one loop:
 *
 *  1. Partitions that just started following (new leader or new leader epoch) first truncate any
 *     divergent tail: one OffsetForLeaderEpoch (v4, replicaId = us) for all of them, asking for the
 *     end offset of our latest epoch; we truncate to min(leader's end offset, our own end of that
 *     epoch) and repeat when the leader answered an older epoch than ours (each round removes our
 *     newest epoch, so it converges). Without any epoch we fall back to our high watermark.
 *  2. Then one Fetch (v12, replicaId = us, currentLeaderEpoch per partition) for all fetching
 *     partitions, in a fetch session (KIP-227): the first request is full and opens it, later ones
 *     list only the partitions whose position changed and forget those no longer fetched, and the
 *     leader answers only partitions with something new. A session error
 *     (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, ...) or a new connection starts a
 *     new session with a full request. The leader parks it in its fetch purgatory until data arrives or
 *     replica.fetch.wait.max.ms passes, so replication is prompt without polling. Fetched batches
 *     are CRC-checked and appended as follower (offsets and bytes as the leader wrote them), new
 *     partitionLeaderEpoch values go into the leader epoch cache, and our high watermark becomes
 *     min(leader's, our log end).
 *
 * Errors: a partition error (fenced / unknown epoch, not leader, ...) pauses that partition for
 * replica.fetch.backoff.ms (a new image usually moves it elsewhere first); a connection error
 * closes the client and retries with exponential backoff from 50 ms up to replica.fetch.backoff.ms.
 *
 * Owner: ReplicaManager, which adds and removes partitions as images change and stops the fetcher
 * when it has none left. A response for a partition that was removed or re-added meanwhile is
 * dropped (entries are compared by identity).
 */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Clock, Timer } from '../io/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { fetchApi, type FetchRequest, type FetchResponse, type FetchResponsePartition } from '../protocol/messages/fetch.js';
import {
  offsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../protocol/messages/offset-for-leader-epoch.js';
import { BATCH_HEADER_BYTES, batch } from '../protocol/records/batch.js';
import type { Struct } from '../protocol/codec.js';
import { StorageError } from '../storage/errors.js';
import { UNDEFINED_OFFSET } from '../storage/leader-epoch-cache.js';
import { BrokerClient } from './broker-client.js';
import type { Connector } from './connector.js';
import type { Partition } from './partition.js';

const FETCH_VERSION = 12;
const NO_TOPIC_ID = '00000000-0000-0000-0000-000000000000';
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;
const CONNECT_BACKOFF_MS_MIN = 50;
/** How soon a fetcher whose every partition is held back by its throttle looks again. */
const THROTTLE_RECHECK_MS = 100;

export interface FetcherDeps {
  localBrokerId: number;
  /** The broker's current config (it changes with dynamic broker configs). */
  readonly config: BrokerConfig;
  /** Follower replication throttle (throttle.ts): partitions it names are left out while the quota is exceeded. */
  throttle: { throttled(p: Partition): boolean; exceeded(): boolean; record(bytes: number): void };
  clock: Clock;
  connector: Connector;
  /** The source broker's current endpoint, from the latest image; null when it is not registered. */
  endpoint(brokerId: number): { host: string; port: number } | null;
  log: Logger;
  /** Record bytes appended to a local replica (metrics). */
  onAppended?(bytes: number): void;
}

/** What the leader's fetch session holds for one partition (the values last sent). */
interface SessionPartition {
  topic: string;
  partition: number;
  fetchOffset: number;
  logStartOffset: number;
  leaderEpoch: number;
}

interface Entry {
  readonly p: Partition;
  readonly leaderEpoch: number;
  state: 'truncating' | 'fetching';
  delayUntilMs: number;
}

export class ReplicaFetcher {
  private readonly entries = new Map<string, Entry>();
  private client: BrokerClient | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private connectBackoffMs = CONNECT_BACKOFF_MS_MIN;
  /** The fetch session with the source broker: id 0 = none (the next request is full and opens one). */
  private session = { id: 0, epoch: 0, partitions: new Map<string, SessionPartition>() };

  constructor(
    readonly sourceBrokerId: number,
    /** This fetcher's index among the num.replica.fetchers fetchers of its source broker. */
    readonly fetcherId: number,
    private readonly deps: FetcherDeps,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string, p: Partition, leaderEpoch: number): boolean {
    const e = this.entries.get(key);
    return e !== undefined && e.p === p && e.leaderEpoch === leaderEpoch;
  }

  /** Starts (or restarts, with truncation) replicating `p` from this source at `leaderEpoch`. */
  addPartition(key: string, p: Partition, leaderEpoch: number): void {
    this.entries.set(key, { p, leaderEpoch, state: 'truncating', delayUntilMs: 0 });
    this.wake();
    if (this.running === null && !this.stopped) {
      this.running = this.run().catch((err: unknown) => {
        this.deps.log.error({ err, source: this.sourceBrokerId }, 'replica fetcher crashed');
        throw err;
      });
    }
  }

  removePartition(key: string): void {
    if (this.entries.delete(key)) this.wake();
  }

  /** Stops the loop and closes the connection; resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.client?.close();
    this.wake();
    try {
      await this.running;
    } catch {
      // already logged
    }
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: Timer | null = null;
      const done = (): void => {
        timer?.cancel();
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      timer = this.deps.clock.setTimer(Math.max(0, ms), done, { unref: true });
    });
  }

  private async run(): Promise<void> {
    const { config, clock, log } = this.deps;
    while (!this.stopped) {
      for (const [key, e] of this.entries) if (e.p.log.closed || e.p.log.offline) this.entries.delete(key);
      if (this.entries.size === 0) {
        // Idle: release the connection until a partition is added.
        this.client?.close();
        this.client = null;
        await this.sleep(60_000);
        continue;
      }
      const client = await this.connected();
      if (client === null) continue;
      const nowMs = clock.monotonicMs();
      const ready = [...this.entries].filter(([, e]) => e.delayUntilMs <= nowMs);
      if (ready.length === 0) {
        const next = Math.min(...[...this.entries.values()].map((e) => e.delayUntilMs));
        await this.sleep(next - nowMs);
        continue;
      }
      try {
        const truncating = ready.filter(([, e]) => e.state === 'truncating');
        if (truncating.length > 0) {
          await this.truncate(client, truncating);
          continue;
        }
        await this.fetch(client, ready);
        this.connectBackoffMs = CONNECT_BACKOFF_MS_MIN;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err; // our bug: crash, as everywhere else
        if (this.stopped) return;
        log.warn({ source: this.sourceBrokerId, err: (err as Error).message }, 'replica fetch failed; reconnecting');
        client.close();
        this.client = null;
        await this.sleep(this.nextConnectBackoff(config.replicaFetchBackoffMs));
      }
    }
  }

  private nextConnectBackoff(maxMs: number): number {
    const ms = this.connectBackoffMs;
    this.connectBackoffMs = Math.min(Math.max(maxMs, CONNECT_BACKOFF_MS_MIN), this.connectBackoffMs * 2);
    return ms;
  }

  private async connected(): Promise<BrokerClient | null> {
    if (this.client !== null && !this.client.closed) return this.client;
    this.client = null;
    const { config, clock, connector, log } = this.deps;
    const endpoint = this.deps.endpoint(this.sourceBrokerId);
    if (endpoint === null) {
      await this.sleep(this.nextConnectBackoff(config.replicaFetchBackoffMs));
      return null;
    }
    const client = new BrokerClient(connector, clock, `samsa-replica-fetcher-${this.deps.localBrokerId}-${this.fetcherId}`, endpoint.host, endpoint.port, config.replicaSocketTimeoutMs);
    try {
      await client.connect();
    } catch (err) {
      log.debug({ source: this.sourceBrokerId, err: (err as Error).message }, 'replica fetcher could not connect');
      await this.sleep(this.nextConnectBackoff(config.replicaFetchBackoffMs));
      return null;
    }
    if (this.stopped) {
      client.close();
      return null;
    }
    this.client = client;
    this.resetSession();
    return client;
  }

  private resetSession(): void {
    this.session = { id: 0, epoch: 0, partitions: new Map() };
  }

  private delay(e: Entry, ms: number): void {
    e.delayUntilMs = this.deps.clock.monotonicMs() + ms;
  }

  private current(key: string, e: Entry): boolean {
    return this.entries.get(key) === e && e.p.role === 'follower' && e.p.leaderEpoch === e.leaderEpoch && !this.stopped;
  }

  // ---------------------------------------------------------------- truncation

  private async truncate(client: BrokerClient, ready: Array<[string, Entry]>): Promise<void> {
    const { config, log } = this.deps;
    const asking: Array<[string, Entry]> = [];
    for (const [key, e] of ready) {
      if (e.p.epochs.latestEpoch < 0) {
        // No epochs known (empty or legacy log): Kafka's fallback, truncate to the high watermark.
        await this.truncateEntry(key, e, e.p.log.highWatermark, true);
      } else {
        asking.push([key, e]);
      }
    }
    if (asking.length === 0) return;
    const byTopic = new Map<string, OffsetForLeaderEpochRequest['topics'][number]['partitions']>();
    for (const [, e] of asking) {
      let list = byTopic.get(e.p.topic);
      if (!list) byTopic.set(e.p.topic, (list = []));
      list.push({ partition: e.p.partition, currentLeaderEpoch: e.leaderEpoch, leaderEpoch: e.p.epochs.latestEpoch });
    }
    const request: OffsetForLeaderEpochRequest = {
      replicaId: this.deps.localBrokerId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
    const asked = new Map(asking.map(([key, e]) => [key, { e, requestedEpoch: e.p.epochs.latestEpoch }]));
    const response = await client.request<OffsetForLeaderEpochResponse>(offsetForLeaderEpochApi, OFFSET_FOR_LEADER_EPOCH_VERSION, request as unknown as Struct);
    const answered = new Set<string>();
    for (const t of response.topics) {
      for (const r of t.partitions) {
        const key = `${t.topic}-${r.partition}`;
        const a = asked.get(key);
        if (!a || answered.has(key)) continue;
        answered.add(key);
        const { e, requestedEpoch } = a;
        if (!this.current(key, e)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          log.debug({ topic: e.p.topic, partition: e.p.partition, errorCode: r.errorCode }, 'OffsetForLeaderEpoch failed; will retry');
          this.delay(e, config.replicaFetchBackoffMs);
          continue;
        }
        const leaderEndOffset = Number(r.endOffset);
        if (r.leaderEpoch < 0 || leaderEndOffset === UNDEFINED_OFFSET) {
          await this.truncateEntry(key, e, e.p.log.highWatermark, true);
          continue;
        }
        if (r.leaderEpoch === requestedEpoch) {
          await this.truncateEntry(key, e, Math.min(leaderEndOffset, e.p.log.logEndOffset), true);
          continue;
        }
        // The leader does not have our latest epoch: cut back to where its epoch ended on both sides.
        const local = e.p.epochs.endOffsetFor(r.leaderEpoch, e.p.log.logEndOffset);
        const localEnd = local.endOffset === UNDEFINED_OFFSET ? e.p.log.highWatermark : local.endOffset;
        const target = Math.min(leaderEndOffset, localEnd);
        await this.truncateEntry(key, e, target, local.epoch === r.leaderEpoch);
      }
    }
    for (const [key, { e }] of asked) if (!answered.has(key) && this.current(key, e)) this.delay(e, config.replicaFetchBackoffMs);
  }

  private async truncateEntry(key: string, e: Entry, offset: number, done: boolean): Promise<void> {
    const p = e.p;
    const op = (async () => {
      if (offset < p.log.logEndOffset) {
        this.deps.log.info({ topic: p.topic, partition: p.partition, from: p.log.logEndOffset, to: offset, leaderEpoch: e.leaderEpoch }, 'truncating divergent follower tail');
        await p.log.truncateTo(Math.max(0, offset));
      }
      p.epochs.truncateFromEnd(p.log.logEndOffset);
    })();
    p.fetcherOp = op;
    await op;
    if (this.current(key, e) && done) e.state = 'fetching';
  }

  // ---------------------------------------------------------------- fetch

  private async fetch(client: BrokerClient, ready: Array<[string, Entry]>): Promise<void> {
    const { config, throttle } = this.deps;
    const byTopic = new Map<string, FetchRequest['topics'][number]['partitions']>();
    const sent = new Map<string, { e: Entry; fetchOffset: number; throttled: boolean }>();
    const overQuota = throttle.exceeded();
    const session = this.session;
    const incremental = session.id !== 0;
    const wanted = new Map<string, SessionPartition>();
    let heldBack = 0;
    for (const [key, e] of ready) {
      const throttled = throttle.throttled(e.p);
      if (throttled && overQuota) {
        heldBack++; // follower.replication.throttled.rate reached: this replica waits for the window to clear
        continue;
      }
      const fetchOffset = e.p.log.logEndOffset;
      sent.set(key, { e, fetchOffset, throttled });
      const position = { topic: e.p.topic, partition: e.p.partition, fetchOffset, logStartOffset: e.p.log.logStartOffset, leaderEpoch: e.leaderEpoch };
      wanted.set(key, position);
      // In a session, a partition whose position the leader already has is not listed again.
      const known = session.partitions.get(key);
      if (incremental && known && known.fetchOffset === fetchOffset && known.logStartOffset === position.logStartOffset && known.leaderEpoch === e.leaderEpoch) continue;
      let list = byTopic.get(e.p.topic);
      if (!list) byTopic.set(e.p.topic, (list = []));
      list.push({
        partition: e.p.partition,
        currentLeaderEpoch: e.leaderEpoch,
        fetchOffset: BigInt(fetchOffset),
        lastFetchedEpoch: -1,
        logStartOffset: BigInt(e.p.log.logStartOffset),
        partitionMaxBytes: config.replicaFetchMaxBytes,
      });
    }
    if (sent.size === 0) {
      assert.ok(heldBack > 0, 'a fetch round has partitions');
      await this.sleep(THROTTLE_RECHECK_MS);
      return;
    }
    const request: FetchRequest = {
      clusterId: null,
      replicaId: this.deps.localBrokerId,
      maxWaitMs: config.replicaFetchWaitMaxMs,
      minBytes: config.replicaFetchMinBytes,
      maxBytes: config.replicaFetchResponseMaxBytes,
      isolationLevel: 0,
      sessionId: session.id,
      sessionEpoch: session.epoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, topicId: NO_TOPIC_ID, partitions })),
      forgottenTopicsData: incremental ? forgotten(session.partitions, wanted) : [],
      rackId: '',
    };
    const response = await client.request<FetchResponse>(fetchApi, FETCH_VERSION, request as unknown as Struct);
    if (response.errorCode !== ErrorCode.NONE) {
      // A session the leader no longer has (restart, eviction) or out of step: start a new one.
      this.deps.log.debug({ source: this.sourceBrokerId, errorCode: response.errorCode, sessionId: session.id }, 'fetch session refused; opening a new one');
      this.resetSession();
      return;
    }
    if (response.sessionId === 0) {
      this.resetSession(); // the leader keeps no session for us (cache full, or sessions off): full requests
    } else {
      this.session = { id: response.sessionId, epoch: incremental ? nextEpoch(session.epoch) : 1, partitions: wanted };
    }
    const work: Array<Promise<void>> = [];
    for (const t of response.responses) {
      for (const r of t.partitions) {
        const key = `${t.topic}-${r.partitionIndex}`;
        const s = sent.get(key);
        if (!s) continue;
        sent.delete(key);
        if (s.throttled) throttle.record(r.records?.length ?? 0);
        work.push(this.processPartition(key, s.e, s.fetchOffset, r));
      }
    }
    await Promise.all(work);
  }

  private async processPartition(key: string, e: Entry, fetchOffset: number, r: FetchResponsePartition): Promise<void> {
    const { config, log } = this.deps;
    if (!this.current(key, e) || e.state !== 'fetching') return;
    const p = e.p;
    switch (r.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        log.warn({ topic: p.topic, partition: p.partition, fetchOffset, leaderLogStartOffset: String(r.logStartOffset) }, 'follower fetch offset out of range; re-checking divergence');
        e.state = 'truncating';
        this.delay(e, config.replicaFetchBackoffMs);
        return;
      default:
        log.debug({ topic: p.topic, partition: p.partition, errorCode: r.errorCode }, 'follower fetch partition error; backing off');
        this.delay(e, config.replicaFetchBackoffMs);
        return;
    }
    const records = r.records;
    if (records !== null && records.length > 0) {
      if (p.log.logEndOffset !== fetchOffset) return; // the log moved meanwhile; fetch again
      const usable = this.usableBatches(records, fetchOffset);
      if (usable === null) {
        log.warn({ topic: p.topic, partition: p.partition, fetchOffset }, 'follower fetch returned a corrupt or misaligned batch; retrying');
        this.delay(e, config.replicaFetchBackoffMs);
        return;
      }
      if (usable.length > 0) {
        const op = p.log.appendAsFollower(usable);
        p.fetcherOp = op;
        try {
          await op;
          this.deps.onAppended?.(usable.length);
        } catch (err) {
          // Our log failed (offline, closed): this partition pauses; the others go on.
          if (!(err instanceof StorageError)) throw err;
          log.warn({ topic: p.topic, partition: p.partition, err: err.message }, 'follower append failed');
          this.delay(e, config.replicaFetchBackoffMs);
          return;
        }
        for (let at = 0; at < usable.length; at += batch.totalBytes(usable, at)) {
          p.epochs.assign(batch.partitionLeaderEpoch(usable, at), batch.baseOffset(usable, at));
        }
      }
    }
    if (!this.current(key, e)) return;
    p.log.highWatermark = Math.min(Number(r.highWatermark), p.log.logEndOffset);
    // DeleteRecords / retention on the leader: follow its log start offset (up to our high watermark).
    const leaderLogStartOffset = Math.min(Number(r.logStartOffset), p.log.highWatermark);
    if (leaderLogStartOffset > p.log.logStartOffset) {
      const op = p.log.deleteRecordsBefore(leaderLogStartOffset);
      p.fetcherOp = op;
      try {
        await op;
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        log.warn({ topic: p.topic, partition: p.partition, err: err.message }, 'following the leader log start offset failed');
      }
    }
  }

  /**
   * The whole, CRC-valid batches of `records` that start at `fetchOffset` and follow each other;
   * a trailing partial batch is dropped. Null when the first batch does not start at fetchOffset or
   * a batch is corrupt (peer bytes are validated, never asserted).
   */
  private usableBatches(records: Buffer, fetchOffset: number): Buffer | null {
    let at = 0;
    let expected = fetchOffset;
    while (at + BATCH_HEADER_BYTES <= records.length) {
      const total = batch.totalBytes(records, at);
      if (total < BATCH_HEADER_BYTES) return null;
      if (at + total > records.length) break;
      if (batch.magic(records, at) !== 2 || !batch.crcValid(records, at)) return null;
      const base = batch.baseOffset(records, at);
      // Offsets must not go back; a gap (base > expected) is the leader's own gap and is kept.
      if (!Number.isSafeInteger(base) || base < expected || batch.lastOffsetDelta(records, at) < 0) return null;
      expected = batch.lastOffset(records, at) + 1;
      at += total;
    }
    return records.subarray(0, at);
  }
}

/** KIP-227: the epoch after `epoch` (1 after 2^31-1; 0 only ever opens a session). */
function nextEpoch(epoch: number): number {
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/** The session's partitions that this round does not fetch, as forgottenTopicsData. */
function forgotten(inSession: ReadonlyMap<string, SessionPartition>, wanted: ReadonlyMap<string, SessionPartition>): FetchRequest['forgottenTopicsData'] {
  const byTopic = new Map<string, number[]>();
  for (const [key, p] of inSession) {
    if (wanted.has(key)) continue;
    let list = byTopic.get(p.topic);
    if (!list) byTopic.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, topicId: NO_TOPIC_ID, partitions }));
}
