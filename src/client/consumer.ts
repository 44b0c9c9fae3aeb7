/**
 * Consumer: reads records from assigned partitions (assign()) or, with a groupId, from the
 * partitions a classic consumer group gives it (subscribe()). Lifecycle: create over a KafkaClient,
 * assign() or subscribe(), call poll() in a loop, close() (commits and leaves the group).
 *
 * Fetching: one Fetch in flight per leader broker, covering every assigned partition it leads
 * whose buffer has room; a partition keeps at most one fetched-but-unreturned response while the
 * next fetch is already on its way (prefetch), so poll() rarely waits for a round trip. Each
 * partition has a fetch position (next offset to ask for) and a consumed position (next offset
 * poll() returns); seek() and resets bump the partition's epoch so responses already in flight for
 * the old position are dropped.
 *
 * Starting offsets: a number, 'earliest', 'latest' or { timestampMs } per partition; in a group the
 * committed offset, else autoOffsetReset. OFFSET_OUT_OF_RANGE resets by autoOffsetReset ('none'
 * makes poll() throw). NOT_LEADER_OR_FOLLOWER and friends refresh metadata and retry.
 *
 * Groups (classic protocol): FindCoordinator, JoinGroup (member id handshake, KIP-394), SyncGroup
 * with the range assignor run by the leader, Heartbeat on a timer, OffsetFetch for starting
 * positions, OffsetCommit (auto-commit every autoCommitIntervalMs and on rebalance/close),
 * LeaveGroup on close. A broker that does not offer these APIs fails with UnsupportedVersionError
 * naming the missing API.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../protocol/messages/fetch.js';
import { heartbeatApi, type HeartbeatResponse } from '../protocol/messages/heartbeat.js';
import { joinGroupApi, type JoinGroupResponse } from '../protocol/messages/join-group.js';
import { leaveGroupApi } from '../protocol/messages/leave-group.js';
import { offsetCommitApi, type OffsetCommitResponse } from '../protocol/messages/offset-commit.js';
import { syncGroupApi, type SyncGroupResponse } from '../protocol/messages/sync-group.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import type { KafkaClient } from './client.js';
import type { KafkaConnection } from './connection.js';
import { ConnectionError, KafkaError, needsMetadataRefresh, TimeoutError } from './errors.js';
import {
  assignRange,
  assignRoundRobin,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  RANGE_ASSIGNOR,
  ROUND_ROBIN_ASSIGNOR,
} from './group-protocol.js';
import { EARLIEST_TIMESTAMP, fetchCommittedOffsets, findCoordinator, LATEST_TIMESTAMP, listOffsets, tpKey } from './offsets.js';
import { decodeRecordSet, type ConsumedRecord } from './records.js';

export type { ConsumedRecord } from './records.js';

export type OffsetSpec = number | 'earliest' | 'latest' | { timestampMs: number };
export type ResetPolicy = 'earliest' | 'latest' | 'none';
/** Where a partition starts: an offset spec, or 'none' (fail when there is no valid offset). */
type StartSpec = OffsetSpec | 'none';

export interface ConsumerOptions {
  groupId?: string;
  groupInstanceId?: string | null;
  /** Where to start when there is no (valid) offset. Default 'latest'. */
  autoOffsetReset?: ResetPolicy;
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  fetchMaxWaitMs?: number;
  fetchMinBytes?: number;
  fetchMaxBytes?: number;
  maxPartitionFetchBytes?: number;
  /** Records returned by one poll() at most. Default 500. */
  maxPollRecords?: number;
  checkCrcs?: boolean;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Default true with a groupId. */
  enableAutoCommit?: boolean;
  autoCommitIntervalMs?: number;
  clientRack?: string;
  /** Metadata requests may create missing topics (broker permitting). Default true. */
  allowAutoTopicCreation?: boolean;
  onWarning?: (message: string) => void;
  /** The assignor this member offers and, as group leader, runs: 'range' (default) or 'roundrobin'. */
  assignor?: 'range' | 'roundrobin';
  /**
   * Rebalance listener (Kafka's ConsumerRebalanceListener, eager protocol): `revoked` runs before
   * the member rejoins a group it was in (after the pre-rebalance auto-commit) and before it leaves
   * on close, with every partition it owned; `assigned` runs after each SyncGroup with its new
   * partitions (possibly none).
   */
  onPartitionsRevoked?: (partitions: TopicPartitionList) => void;
  onPartitionsAssigned?: (partitions: TopicPartitionList) => void;
}

export type TopicPartitionList = Array<{ topic: string; partition: number }>;

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset?: OffsetSpec;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset poll() returns; -1 while a reset is pending. */
  position: number;
  /** Next offset to fetch. */
  fetchOffset: number;
  /** Where to reset to when position is -1. */
  reset: StartSpec | null;
  epoch: number;
  inFlight: boolean;
  buffered: number;
  retryAtMs: number;
  highWatermark: number;
  removed: boolean;
}

interface Completed {
  ps: PartitionState;
  epoch: number;
  records: ConsumedRecord[];
  nextOffset: number;
  taken: number;
}

const CONSUMER_GROUP_APIS = [joinGroupApi, syncGroupApi, heartbeatApi];
/** The last Fetch version that names topics (v13+ use topic ids). */
const FETCH_BY_NAME_VERSION_MAX = 12;

export class Consumer {
  readonly groupId: string | null;
  #client: KafkaClient;
  #opts: Required<Omit<ConsumerOptions, 'groupId' | 'groupInstanceId' | 'clientRack' | 'onWarning' | 'onPartitionsRevoked' | 'onPartitionsAssigned'>> & {
    groupInstanceId: string | null;
    clientRack: string;
  };
  #onWarning: (message: string) => void;
  #onRevoked: (partitions: TopicPartitionList) => void;
  #onAssigned: (partitions: TopicPartitionList) => void;
  #partitions = new Map<string, PartitionState>();
  #completed: Completed[] = [];
  #nodesInFlight = new Set<number>();
  #wakers: Array<() => void> = [];
  #error: Error | null = null;
  #closed = false;
  #metadataRefresh: Promise<void> | null = null;

  // group state
  #subscription: string[] | null = null;
  #coordinator: KafkaConnection | null = null;
  #memberId = '';
  #generationId = -1;
  #needsRejoin = false;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #lastCommitMs = 0;
  #committing: Promise<void> | null = null;

  constructor(client: KafkaClient, opts: ConsumerOptions = {}) {
    this.#client = client;
    this.groupId = opts.groupId ?? null;
    this.#opts = {
      autoOffsetReset: opts.autoOffsetReset ?? 'latest',
      isolationLevel: opts.isolationLevel ?? 'read_uncommitted',
      fetchMaxWaitMs: opts.fetchMaxWaitMs ?? 500,
      fetchMinBytes: opts.fetchMinBytes ?? 1,
      fetchMaxBytes: opts.fetchMaxBytes ?? 52_428_800,
      maxPartitionFetchBytes: opts.maxPartitionFetchBytes ?? 1_048_576,
      maxPollRecords: opts.maxPollRecords ?? 500,
      checkCrcs: opts.checkCrcs ?? true,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 300_000,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 3_000,
      enableAutoCommit: opts.enableAutoCommit ?? opts.groupId !== undefined,
      autoCommitIntervalMs: opts.autoCommitIntervalMs ?? 5_000,
      allowAutoTopicCreation: opts.allowAutoTopicCreation ?? true,
      groupInstanceId: opts.groupInstanceId ?? null,
      clientRack: opts.clientRack ?? '',
      assignor: opts.assignor ?? 'range',
    };
    if (!['earliest', 'latest', 'none'].includes(this.#opts.autoOffsetReset)) {
      throw new Error(`auto.offset.reset must be earliest, latest or none, got '${this.#opts.autoOffsetReset}'`);
    }
    if (this.#opts.assignor !== 'range' && this.#opts.assignor !== 'roundrobin') {
      throw new Error(`assignor must be range or roundrobin, got '${String(this.#opts.assignor)}'`);
    }
    this.#onWarning = opts.onWarning ?? (() => undefined);
    this.#onRevoked = opts.onPartitionsRevoked ?? (() => undefined);
    this.#onAssigned = opts.onPartitionsAssigned ?? (() => undefined);
  }

  /** The owned partitions, sorted by topic then partition (what the rebalance listener is told). */
  #ownedPartitions(): TopicPartitionList {
    return [...this.#partitions.values()]
      .map((p) => ({ topic: p.topic, partition: p.partition }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** Assigned partitions (with their consumed positions; -1 while unresolved). */
  assignment(): Array<{ topic: string; partition: number; position: number; highWatermark: number }> {
    return [...this.#partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, position: p.position, highWatermark: p.highWatermark }));
  }

  /** Replaces the assignment with these partitions (manual assignment, no group membership). */
  assign(partitions: TopicPartitionOffset[]): void {
    if (this.#subscription) throw new Error('assign() cannot be combined with subscribe()');
    this.#setAssignment(partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset ?? this.#opts.autoOffsetReset })));
  }

  /** Joins the group (on the next poll) for these topics. Needs a groupId. */
  subscribe(topics: string[]): void {
    if (this.groupId === null) throw new Error('subscribe() needs a group id (group.id)');
    if (topics.length === 0) throw new Error('subscribe() needs at least one topic');
    this.#subscription = [...new Set(topics)].sort();
    this.#needsRejoin = true;
  }

  /** Moves a partition's position; the next poll() returns records from there. */
  seek(topic: string, partition: number, offset: OffsetSpec): void {
    const ps = this.#partitions.get(tpKey(topic, partition));
    if (!ps) throw new Error(`${topic}-${partition} is not assigned to this consumer`);
    this.#resetTo(ps, offset);
    this.#completed = this.#completed.filter((c) => c.ps !== ps);
  }

  /** The next offset poll() returns for a partition (-1 while unresolved). */
  position(topic: string, partition: number): number {
    return this.#partitions.get(tpKey(topic, partition))?.position ?? -1;
  }

  /**
   * Returns the records available now, or waits up to timeoutMs for some. An empty array means none
   * arrived in time. Throws on fatal errors (e.g. OFFSET_OUT_OF_RANGE with autoOffsetReset 'none').
   */
  async poll(timeoutMs: number): Promise<ConsumedRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) return [];
      this.#throwIfFailed();
      if (this.#subscription && (this.#needsRejoin || !this.#coordinator)) await this.#joinGroup(deadline);
      this.#maybeAutoCommit();
      await this.#resolvePositions();
      const records = this.#takeCompleted();
      if (records.length > 0) return records;
      this.#sendFetches();
      const now = Date.now();
      if (now >= deadline) return [];
      await this.#waitForWake(deadline - now);
    }
  }

  /** Commits consumed positions (or the given offsets) for the group. */
  async commit(offsets?: Array<{ topic: string; partition: number; offset: number }>): Promise<void> {
    if (this.groupId === null) throw new Error('commit() needs a group id (group.id)');
    const list =
      offsets ??
      [...this.#partitions.values()].filter((p) => p.position >= 0).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.position }));
    if (list.length === 0) return;
    const conn = await this.#coordinatorConnection();
    const byTopic = new Map<string, Array<{ partition: number; offset: number }>>();
    for (const o of list) {
      let l = byTopic.get(o.topic);
      if (!l) byTopic.set(o.topic, (l = []));
      l.push(o);
    }
    const res = await conn.request<OffsetCommitResponse>(offsetCommitApi, {
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.#subscription ? this.#generationId : -1,
      memberId: this.#subscription ? this.#memberId : '',
      groupInstanceId: this.#opts.groupInstanceId,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
      })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE) continue;
        if (p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || p.errorCode === ErrorCode.ILLEGAL_GENERATION || p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
          this.#needsRejoin = true;
          if (p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
        }
        if (p.errorCode === ErrorCode.NOT_COORDINATOR || p.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.#dropCoordinator();
        throw new KafkaError(p.errorCode, `Offset commit for ${t.name}-${p.partitionIndex} failed: ${new KafkaError(p.errorCode).message}`);
      }
    }
    this.#lastCommitMs = Date.now();
  }

  /** Commits (when auto-commit is on), leaves the group, stops fetching. Does not close the client. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stopHeartbeat();
    if (this.groupId !== null && this.#opts.enableAutoCommit && this.#coordinator && !this.#coordinator.closed) {
      await this.commit().catch((err: Error) => this.#onWarning(`offset commit on close failed: ${err.message}`));
    }
    this.#closed = true;
    if (this.#subscription && this.#generationId >= 0 && this.#partitions.size > 0) this.#onRevoked(this.#ownedPartitions());
    if (this.#subscription && this.#memberId !== '' && this.#coordinator && !this.#coordinator.closed) {
      await this.#coordinator
        .request(leaveGroupApi, {
          groupId: this.groupId,
          memberId: this.#memberId,
          members: [{ memberId: this.#memberId, groupInstanceId: this.#opts.groupInstanceId, reason: 'the consumer is being closed' }],
        })
        .catch((err: Error) => this.#onWarning(`leaving group ${this.groupId} failed: ${err.message}`));
    }
    this.#wake();
  }

  /** Wakes a pending poll() so it returns early (e.g. on Ctrl-C). */
  wakeup(): void {
    this.#wake();
  }

  // -------------------------------------------------------------------------------------------
  // assignment and positions

  #setAssignment(list: Array<{ topic: string; partition: number; offset: StartSpec }>): void {
    const next = new Map<string, PartitionState>();
    for (const item of list) {
      const key = tpKey(item.topic, item.partition);
      const ps: PartitionState = this.#partitions.get(key) ?? {
        topic: item.topic,
        partition: item.partition,
        position: -1,
        fetchOffset: -1,
        reset: null,
        epoch: 0,
        inFlight: false,
        buffered: 0,
        retryAtMs: 0,
        highWatermark: -1,
        removed: false,
      };
      this.#resetTo(ps, item.offset);
      next.set(key, ps);
    }
    for (const [key, ps] of this.#partitions) {
      if (!next.has(key)) {
        ps.removed = true;
        ps.epoch++;
      }
    }
    this.#partitions = next;
    this.#completed = this.#completed.filter((c) => !c.ps.removed);
  }

  #resetTo(ps: PartitionState, offset: StartSpec): void {
    ps.epoch++;
    ps.buffered = 0;
    if (typeof offset === 'number' && offset >= 0) {
      ps.position = offset;
      ps.fetchOffset = offset;
      ps.reset = null;
    } else {
      ps.position = -1;
      ps.fetchOffset = -1;
      ps.reset = typeof offset === 'number' ? 'latest' : offset;
    }
  }

  async #resolvePositions(): Promise<void> {
    const pending = [...this.#partitions.values()].filter((p) => p.position < 0);
    if (pending.length === 0) return;
    const none = pending.find((p) => p.reset === 'none');
    if (none) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `no valid offset for ${none.topic}-${none.partition} and auto.offset.reset is none`);
    }
    const answers = await listOffsets(
      this.#client,
      pending.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        timestamp: p.reset === 'earliest' ? EARLIEST_TIMESTAMP : typeof p.reset === 'object' && p.reset !== null ? p.reset.timestampMs : LATEST_TIMESTAMP,
      })),
      this.#isolation(),
    );
    for (let i = 0; i < pending.length; i++) {
      const ps = pending[i]!;
      let offset = answers[i]!.offset;
      if (offset < 0) {
        // A timestamp after the last record: start at the end.
        const [latest] = await listOffsets(this.#client, [{ topic: ps.topic, partition: ps.partition, timestamp: LATEST_TIMESTAMP }], this.#isolation());
        offset = latest!.offset;
      }
      ps.position = offset;
      ps.fetchOffset = offset;
      ps.reset = null;
    }
  }

  #isolation(): number {
    return this.#opts.isolationLevel === 'read_committed' ? 1 : 0;
  }

  #takeCompleted(): ConsumedRecord[] {
    let out: ConsumedRecord[] = [];
    const max = this.#opts.maxPollRecords;
    while (this.#completed.length > 0 && out.length < max) {
      const c = this.#completed[0]!;
      if (c.epoch !== c.ps.epoch || c.ps.removed) {
        this.#completed.shift();
        continue;
      }
      const room = max - out.length;
      const available = c.records.length - c.taken;
      if (available <= room) {
        out = out.length === 0 && c.taken === 0 ? c.records : out.concat(c.taken === 0 ? c.records : c.records.slice(c.taken));
        c.ps.position = c.nextOffset;
        c.ps.buffered--;
        this.#completed.shift();
      } else {
        const part = c.records.slice(c.taken, c.taken + room);
        out = out.concat(part);
        c.taken += room;
        c.ps.position = part[part.length - 1]!.offset + 1;
      }
    }
    if (out.length > 0) this.#sendFetches(); // buffers have room again: fetch ahead
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // fetching

  #sendFetches(): void {
    if (this.#closed) return;
    const now = Date.now();
    const byNode = new Map<number, PartitionState[]>();
    let needMetadata = false;
    for (const ps of this.#partitions.values()) {
      if (ps.position < 0 || ps.inFlight || ps.buffered > 0 || ps.retryAtMs > now) continue;
      const leader = this.#client.leaderOf(ps.topic, ps.partition);
      if (leader < 0) {
        needMetadata = true;
        continue;
      }
      if (this.#nodesInFlight.has(leader)) continue;
      let l = byNode.get(leader);
      if (!l) byNode.set(leader, (l = []));
      l.push(ps);
    }
    if (needMetadata) this.#refreshMetadata();
    for (const [node, list] of byNode) this.#fetchFrom(node, list);
  }

  #fetchFrom(node: number, list: PartitionState[]): void {
    this.#nodesInFlight.add(node);
    const epochs = new Map<PartitionState, number>();
    const offsets = new Map<PartitionState, number>();
    const byTopic = new Map<string, PartitionState[]>();
    for (const ps of list) {
      ps.inFlight = true;
      epochs.set(ps, ps.epoch);
      offsets.set(ps, ps.fetchOffset);
      let l = byTopic.get(ps.topic);
      if (!l) byTopic.set(ps.topic, (l = []));
      l.push(ps);
    }
    // Fetch v13+ names topics by id (KIP-516): send the ids metadata gave us; when one is missing
    // stay at v12 (topics by name). Responses are matched by name or by id either way.
    const ids = new Map<string, string>();
    for (const topic of byTopic.keys()) {
      const id = this.#client.cachedTopic(topic)?.topicId;
      if (id && id !== ZERO_UUID) ids.set(topic, id);
    }
    const byId = new Map<string, string>([...ids].map(([name, id]) => [id, name]));
    const body = {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: this.#opts.fetchMaxWaitMs,
      minBytes: this.#opts.fetchMinBytes,
      maxBytes: this.#opts.fetchMaxBytes,
      isolationLevel: this.#isolation(),
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, ps]) => ({
        topic,
        topicId: ids.get(topic) ?? ZERO_UUID,
        partitions: ps.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: BigInt(p.fetchOffset),
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: this.#opts.maxPartitionFetchBytes,
        })),
      })),
      forgottenTopicsData: [],
      rackId: this.#opts.clientRack,
    };
    const done = (): void => {
      this.#nodesInFlight.delete(node);
      for (const ps of list) ps.inFlight = false;
      this.#wake();
      if (!this.#closed) this.#sendFetches();
    };
    this.#client
      .requestNode<FetchResponse>(node, fetchApi, body, {
        timeoutMs: this.#client.requestTimeoutMs + this.#opts.fetchMaxWaitMs,
        ...(ids.size < byTopic.size ? { versionMax: FETCH_BY_NAME_VERSION_MAX } : {}),
      })
      .then((res) => this.#onFetchResponse(res, byTopic, byId, epochs, offsets))
      .then(done, (err: Error) => {
        if (err instanceof ConnectionError || err instanceof TimeoutError || (err instanceof KafkaError && err.retriable)) {
          for (const ps of list) ps.retryAtMs = Date.now() + this.#client.retryBackoffMs * 5;
          this.#refreshMetadata();
        } else {
          this.#error ??= err;
        }
        done();
      });
  }

  async #onFetchResponse(
    res: FetchResponse,
    byTopic: Map<string, PartitionState[]>,
    byId: Map<string, string>,
    epochs: Map<PartitionState, number>,
    offsets: Map<PartitionState, number>,
  ): Promise<void> {
    if (res.errorCode && res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
    for (const t of res.responses) {
      const states = byTopic.get(t.topic || (byId.get(t.topicId) ?? ''));
      if (!states) continue;
      for (const p of t.partitions) {
        const ps = states.find((s) => s.partition === p.partitionIndex);
        if (!ps || ps.removed || epochs.get(ps) !== ps.epoch) continue;
        const code = p.errorCode;
        if (code === ErrorCode.NONE) {
          ps.highWatermark = Number(p.highWatermark);
          const records: ConsumedRecord[] = [];
          const fetchOffset = offsets.get(ps)!;
          const { nextOffset } = p.records
            ? await decodeRecordSet(
                p.records,
                {
                  topic: ps.topic,
                  partition: ps.partition,
                  fetchOffset,
                  checkCrcs: this.#opts.checkCrcs,
                  abortedTransactions: this.#isolation() === 1 ? p.abortedTransactions : null,
                },
                records,
              )
            : { nextOffset: fetchOffset };
          if (epochs.get(ps) !== ps.epoch) continue; // seeked while decoding
          if (nextOffset > fetchOffset) {
            ps.fetchOffset = nextOffset;
            ps.buffered++;
            this.#completed.push({ ps, epoch: ps.epoch, records, nextOffset, taken: 0 });
          }
        } else if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const policy = this.#opts.autoOffsetReset;
          if (policy === 'none') {
            this.#error ??= new KafkaError(code, `offset ${offsets.get(ps)} is out of range for ${ps.topic}-${ps.partition} and auto.offset.reset is none`);
          } else {
            this.#onWarning(`offset ${offsets.get(ps)} is out of range for ${ps.topic}-${ps.partition}; resetting to ${policy}`);
            this.#resetTo(ps, policy);
          }
        } else if (needsMetadataRefresh(code) || new KafkaError(code).retriable) {
          ps.retryAtMs = Date.now() + this.#client.retryBackoffMs * 5;
          this.#refreshMetadata();
        } else {
          this.#error ??= new KafkaError(code, `fetching ${ps.topic}-${ps.partition} failed: ${new KafkaError(code).message}`);
        }
      }
    }
  }

  #refreshMetadata(): void {
    if (this.#metadataRefresh) return;
    const topics = [...new Set([...this.#partitions.values()].map((p) => p.topic))];
    this.#metadataRefresh = this.#client
      .refreshMetadata(topics)
      .then(
        () => undefined,
        () => undefined, // fetches wait for leaders and retry; a dead cluster surfaces through them
      )
      .finally(() => {
        this.#metadataRefresh = null;
        this.#wake();
      });
  }

  #wake(): void {
    const ws = this.#wakers;
    this.#wakers = [];
    for (const w of ws) w();
  }

  #waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(ms, 1000));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakers.push(done);
    });
  }

  #throwIfFailed(): void {
    if (this.#error) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // group membership

  async #coordinatorConnection(): Promise<KafkaConnection> {
    if (this.#coordinator && !this.#coordinator.closed) return this.#coordinator;
    const b = await findCoordinator(this.#client, this.groupId!);
    const conn = await this.#client.connectionTo(b.host, b.port);
    for (const api of CONSUMER_GROUP_APIS) {
      if (!conn.supports(api)) {
        throw new KafkaError(
          ErrorCode.UNSUPPORTED_VERSION,
          `the broker at ${conn.address} does not support consumer groups yet (no ${api.name}); consume without a group (no --group) instead`,
        );
      }
    }
    this.#coordinator = conn;
    return conn;
  }

  #dropCoordinator(): void {
    this.#coordinator = null;
    this.#needsRejoin = true;
  }

  async #joinGroup(deadline: number): Promise<void> {
    this.#stopHeartbeat();
    if (this.#opts.enableAutoCommit && this.#generationId >= 0 && this.#partitions.size > 0) {
      await this.commit().catch((err: Error) => this.#onWarning(`offset commit before rebalance failed: ${err.message}`));
    }
    if (this.#generationId >= 0) this.#onRevoked(this.#ownedPartitions());
    const topics = this.#subscription!;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) return;
      if (attempt > 0) {
        if (Date.now() > deadline + this.#opts.rebalanceTimeoutMs) throw new TimeoutError(`joining group ${this.groupId} timed out`);
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** Math.min(attempt, 4), 1000)));
      }
      let conn: KafkaConnection;
      try {
        conn = await this.#coordinatorConnection();
      } catch (err) {
        if (err instanceof KafkaError && err.retriable && attempt < 20) continue;
        throw err;
      }
      let join: JoinGroupResponse;
      try {
        join = await conn.request<JoinGroupResponse>(
          joinGroupApi,
          {
            groupId: this.groupId,
            sessionTimeoutMs: this.#opts.sessionTimeoutMs,
            rebalanceTimeoutMs: this.#opts.rebalanceTimeoutMs,
            memberId: this.#memberId,
            groupInstanceId: this.#opts.groupInstanceId,
            protocolType: CONSUMER_PROTOCOL_TYPE,
            protocols: [{ name: this.#opts.assignor === 'roundrobin' ? ROUND_ROBIN_ASSIGNOR : RANGE_ASSIGNOR, metadata: encodeSubscription(topics) }],
            reason: null,
          },
          { timeoutMs: this.#opts.rebalanceTimeoutMs + 5_000 },
        );
      } catch (err) {
        if (err instanceof ConnectionError && attempt < 20) {
          this.#coordinator = null;
          continue;
        }
        throw err;
      }
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.#memberId = join.memberId;
        attempt = -1; // immediate rejoin with the assigned id
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.#memberId = '';
        continue;
      }
      if (join.errorCode === ErrorCode.NOT_COORDINATOR || join.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
        this.#coordinator = null;
        continue;
      }
      if (join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || join.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) continue;
      if (join.errorCode !== ErrorCode.NONE) throw new KafkaError(join.errorCode, `joining group ${this.groupId} failed: ${new KafkaError(join.errorCode).message}`);
      this.#memberId = join.memberId;
      this.#generationId = join.generationId;
      const protocolName = join.protocolName ?? (this.#opts.assignor === 'roundrobin' ? ROUND_ROBIN_ASSIGNOR : RANGE_ASSIGNOR);
      const assignments = join.leader === join.memberId && !join.skipAssignment ? await this.#assign(join.members, protocolName) : [];
      const sync = await conn.request<SyncGroupResponse>(
        syncGroupApi,
        {
          groupId: this.groupId,
          generationId: this.#generationId,
          memberId: this.#memberId,
          groupInstanceId: this.#opts.groupInstanceId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocolName,
          assignments,
        },
        { timeoutMs: this.#opts.rebalanceTimeoutMs + 5_000 },
      );
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || sync.errorCode === ErrorCode.ILLEGAL_GENERATION) {
        if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
        continue;
      }
      if (sync.errorCode === ErrorCode.NOT_COORDINATOR || sync.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
        this.#coordinator = null;
        continue;
      }
      if (sync.errorCode !== ErrorCode.NONE) throw new KafkaError(sync.errorCode, `syncing group ${this.groupId} failed: ${new KafkaError(sync.errorCode).message}`);
      const assignment = decodeAssignment(sync.assignment);
      await this.#applyGroupAssignment(conn, assignment.partitions);
      this.#needsRejoin = false;
      this.#onAssigned(this.#ownedPartitions());
      this.#lastCommitMs = Date.now();
      this.#startHeartbeat();
      return;
    }
  }

  /** The leader's job: range-assign every member's subscription. */
  async #assign(members: JoinGroupResponse['members'], protocolName: string): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const subs = members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata).topics }));
    const topics = [...new Set(subs.flatMap((s) => s.topics))];
    const md = await this.#client.refreshMetadata(topics, { allowAutoTopicCreation: this.#opts.allowAutoTopicCreation });
    const counts = new Map<string, number>();
    for (const [name, t] of md.topics) if (t.errorCode === ErrorCode.NONE) counts.set(name, t.partitions.length);
    const plan = protocolName === ROUND_ROBIN_ASSIGNOR ? assignRoundRobin(subs, counts) : assignRange(subs, counts);
    return subs.map((s) => ({ memberId: s.memberId, assignment: encodeAssignment(plan.get(s.memberId) ?? []) }));
  }

  async #applyGroupAssignment(conn: KafkaConnection, partitions: Array<{ topic: string; partitions: number[] }>): Promise<void> {
    const committed = partitions.length === 0 ? [] : await fetchCommittedOffsets(conn, this.groupId!, partitions);
    const byKey = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
    const list: Array<{ topic: string; partition: number; offset: StartSpec }> = [];
    for (const tp of partitions) {
      for (const partition of tp.partitions) {
        const c = byKey.get(tpKey(tp.topic, partition));
        list.push({ topic: tp.topic, partition, offset: c !== undefined && c >= 0 ? c : this.#opts.autoOffsetReset });
      }
    }
    // Keep positions of partitions we already own (same generation of data, fresher than the commit).
    const keep = new Map<string, number>();
    for (const [key, ps] of this.#partitions) if (ps.position >= 0) keep.set(key, ps.position);
    this.#setAssignment(list.map((x) => ({ ...x, offset: keep.get(tpKey(x.topic, x.partition)) ?? x.offset })));
    if (list.length > 0) await this.#client.refreshMetadata([...new Set(list.map((x) => x.topic))]).catch(() => undefined); // fetches refresh again if needed
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#heartbeatTimer = setInterval(() => {
      const conn = this.#coordinator;
      if (!conn || conn.closed) {
        this.#dropCoordinator();
        this.#wake();
        return;
      }
      conn
        .request<HeartbeatResponse>(heartbeatApi, {
          groupId: this.groupId,
          generationId: this.#generationId,
          memberId: this.#memberId,
          groupInstanceId: this.#opts.groupInstanceId,
        })
        .then(
          (res) => {
            if (res.errorCode === ErrorCode.NONE) return;
            if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
            if (res.errorCode === ErrorCode.NOT_COORDINATOR || res.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.#coordinator = null;
            this.#needsRejoin = true;
            this.#wake();
          },
          () => {
            this.#dropCoordinator();
            this.#wake();
          },
        );
    }, this.#opts.heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
  }

  #maybeAutoCommit(): void {
    if (!this.#opts.enableAutoCommit || this.groupId === null || this.#committing) return;
    if (Date.now() - this.#lastCommitMs < this.#opts.autoCommitIntervalMs) return;
    if (!this.#subscription && this.#partitions.size === 0) return;
    this.#lastCommitMs = Date.now();
    this.#committing = this.commit()
      .catch((err: Error) => this.#onWarning(`auto-commit failed: ${err.message}`))
      .finally(() => {
        this.#committing = null;
      });
  }
}
