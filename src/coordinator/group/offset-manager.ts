/**
 * OffsetManager: committed offsets of classic groups (OffsetCommit, OffsetFetch, OffsetDelete) and
 * their expiry. Offsets live in the group's CoordinatorShard and in `__consumer_offsets` as offset
 * commit records (key v1, value v3); a tombstone deletes one.
 *
 * Commit rules, in Kafka's order: a Dead group answers COORDINATOR_NOT_AVAILABLE; a fenced static
 * instance FENCED_INSTANCE_ID; generation -1 ("standalone", e.g. assign() + commit() or an admin
 * tool) is accepted only while the group has no members (an unknown group is created Empty for it);
 * a group in CompletingRebalance answers REBALANCE_IN_PROGRESS; otherwise the member must be known
 * (UNKNOWN_MEMBER_ID) and of the current generation (ILLEGAL_GENERATION). Commits during
 * PreparingRebalance from the current generation are accepted: consumers commit while revoking.
 * Per partition: unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION, metadata longer than
 * offset.metadata.max.bytes → OFFSET_METADATA_TOO_LARGE; the other partitions still commit.
 *
 * TxnOffsetCommit (`txnCommit`): same partition checks, KIP-447 group checks (see there); the
 * offsets are written as the producer's transactional batch and held pending in the group until
 * the transaction's marker arrives (CoordinatorShard.completeTransaction). OffsetFetch never shows a
 * pending offset: it answers the committed one, or UNSTABLE_OFFSET_COMMIT (offset -1) with
 * requireStable. A plain tombstone (OffsetDelete, DeleteGroups, expiry) also drops the pending
 * offsets of its partition; expiry skips partitions with a pending offset and keeps their group.
 *
 * Expiry (offsets.retention.minutes, checked every offsets.retention.check.interval.ms): once a
 * group is Empty its offsets expire that long after it became Empty (offsets-only groups: after each
 * commit); a Stable consumer group loses only offsets of topics no member subscribes to. An Empty
 * group left with no offsets is removed (group metadata tombstone).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';
import type { MetadataImage } from '../../cluster/metadata-image.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { writeFailureCode, type Appended, type WriteFailure } from '../offsets/offsets-topic-log.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../offsets/records.js';
import { ClassicGroup, inFlightKey, type CommittedOffset } from './classic-group.js';
import type { ClassicRebalancer } from './classic-rebalance.js';
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from './consumer-protocol.js';
import type { CoordinatorShard, TxnProducer } from './coordinator-shard.js';

/** Tombstones written per batch by the expiry pass. */
const EXPIRY_BATCH_RECORDS_MAX = 1000;

export interface OffsetSettings {
  metadataMaxBytes: number;
  retentionMs: number;
}

export interface OffsetManagerContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: OffsetSettings;
  readonly rebalancer: ClassicRebalancer;
  image(): MetadataImage;
}

export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestampMs: number; committedMetadata: string | null }>;
  }>;
}

export interface TxnCommitRequest extends CommitRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export type PartitionResults = Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;

interface Accepted {
  topic: string;
  partition: number;
  value: CommittedOffset;
  slot: { errorCode: number };
}

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export type FetchedTopics = Array<{ name: string; partitions: FetchedPartition[] }>;

export function offsetWriteErrorCode(failure: WriteFailure): number {
  return writeFailureCode(failure, { tooLarge: ErrorCode.INVALID_COMMIT_OFFSET_SIZE, invalidProducerEpoch: ErrorCode.INVALID_PRODUCER_EPOCH });
}

/** Every partition of the request answered with one code. */
export function allPartitions(topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>, errorCode: number): PartitionResults {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

export class OffsetManager {
  constructor(private readonly ctx: OffsetManagerContext) {}

  // ------------------------------------------------------------------------------- OffsetCommit

  async commit(shard: CoordinatorShard, req: CommitRequest): Promise<PartitionResults> {
    const found = this.#groupForCommit(shard, req);
    if (typeof found === 'number') return allPartitions(req.topics, found);
    const { group, created } = found;
    const groupError = this.#checkCommitter(group, req);
    if (groupError !== ErrorCode.NONE) return this.#rejected(shard, group, created, req, groupError);
    return this.#store(shard, group, created, req, null);
  }

  /**
   * TxnOffsetCommit: the same per-partition checks, written as a transactional batch of the
   * producer and held pending until its transaction completes. Group checks as Kafka's (KIP-447):
   * an unknown group is created for generation -1 (else ILLEGAL_GENERATION); a Dead group answers
   * COORDINATOR_NOT_AVAILABLE; generation -1 on an Empty group passes; a request naming a member,
   * instance or generation (v3+) must name a known member (UNKNOWN_MEMBER_ID), the instance's current
   * member (FENCED_INSTANCE_ID) and the current generation (ILLEGAL_GENERATION). Unlike OffsetCommit
   * there is no REBALANCE_IN_PROGRESS, and v0-2 requests (no membership fields) pass on any group.
   */
  async txnCommit(shard: CoordinatorShard, req: TxnCommitRequest): Promise<PartitionResults> {
    const found = this.#groupForCommit(shard, req);
    if (typeof found === 'number') return allPartitions(req.topics, found);
    const { group, created } = found;
    const groupError = checkTxnCommitter(group, req);
    if (groupError !== ErrorCode.NONE) return this.#rejected(shard, group, created, req, groupError);
    return this.#store(shard, group, created, req, { producerId: req.producerId, producerEpoch: req.producerEpoch });
  }

  /** The group to commit to; an unknown one is created (Empty) for generation -1, else ILLEGAL_GENERATION. */
  #groupForCommit(shard: CoordinatorShard, req: CommitRequest): { group: ClassicGroup; created: boolean } | number {
    const group = shard.groups.get(req.groupId);
    if (group) return { group, created: false };
    // Generation -1: the group does not use the coordinator for membership; allow the commit.
    if (req.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
    const createdGroup = new ClassicGroup(req.groupId, this.ctx.clock.nowMs());
    shard.groups.set(req.groupId, createdGroup);
    return { group: createdGroup, created: true };
  }

  #rejected(shard: CoordinatorShard, group: ClassicGroup, created: boolean, req: CommitRequest, errorCode: number): PartitionResults {
    if (created) dropIfUnused(shard, group);
    return allPartitions(req.topics, errorCode);
  }

  /** Per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE, or a record to write. */
  #validated(req: CommitRequest): { results: PartitionResults; accepted: Accepted[]; records: Array<{ key: Buffer; value: Buffer }> } {
    const nowMs = this.ctx.clock.nowMs();
    const image = this.ctx.image();
    const results: PartitionResults = [];
    const records: Array<{ key: Buffer; value: Buffer }> = [];
    const accepted: Accepted[] = [];
    for (const t of req.topics) {
      const partitions: PartitionResults[number]['partitions'] = [];
      results.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        const slot: { partitionIndex: number; errorCode: number } = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
        partitions.push(slot);
        const metadata = p.committedMetadata ?? '';
        if (image.partition(t.name, p.partitionIndex) === undefined) {
          slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (metadata.length > this.ctx.settings.metadataMaxBytes) {
          slot.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        } else {
          const value: CommittedOffset = {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata,
            commitTimestampMs: p.commitTimestampMs >= 0 ? p.commitTimestampMs : nowMs,
            expireTimestampMs: -1,
          };
          records.push({ key: encodeOffsetCommitKey(req.groupId, t.name, p.partitionIndex), value: encodeOffsetCommitValue(value) });
          accepted.push({ topic: t.name, partition: p.partitionIndex, value, slot });
        }
      }
    }
    return { results, accepted, records };
  }

  /** Writes the accepted offsets (plain, or pending in `txn`) and applies them once written. */
  async #store(shard: CoordinatorShard, group: ClassicGroup, created: boolean, req: CommitRequest, txn: TxnProducer | null): Promise<PartitionResults> {
    const { results, accepted, records } = this.#validated(req);
    if (records.length === 0) {
      if (created) dropIfUnused(shard, group);
      return results;
    }
    // A member's plain commit counts as a heartbeat (Kafka reschedules its session).
    if (txn === null && req.generationId >= 0) this.ctx.rebalancer.touch(group, req.memberId);
    for (const a of accepted) adjust(group.commitsInFlight, inFlightKey(a.topic, a.partition), +1);
    let outcome: WriteFailure | Appended;
    try {
      outcome = await shard.append(records, txn);
    } finally {
      for (const a of accepted) adjust(group.commitsInFlight, inFlightKey(a.topic, a.partition), -1);
    }
    if (typeof outcome === 'string') {
      const code = offsetWriteErrorCode(outcome);
      for (const a of accepted) a.slot.errorCode = code;
      if (created && shard.groups.get(req.groupId) === group) dropIfUnused(shard, group);
      return results;
    }
    // A group deleted while the commit was written keeps nothing (the tombstones came after it).
    if (group.is('Dead')) return results;
    for (const a of accepted) {
      const value = { ...a.value, recordOffset: outcome.baseOffset };
      if (txn === null) group.setOffset(a.topic, a.partition, value);
      else group.addPendingTxnOffset(txn.producerId, { topic: a.topic, partition: a.partition, value });
    }
    if (txn !== null) shard.noteOpenTxn(txn.producerId, group.groupId);
    return results;
  }

  #checkCommitter(group: ClassicGroup, req: CommitRequest): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticFenced(req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    if (!group.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------------------------- OffsetFetch

  /** `topics` null: every committed offset of the group. Unknown partitions answer offset -1. */
  fetch(group: ClassicGroup | undefined, topics: Array<{ name: string; partitionIndexes: number[] }> | null, requireStable: boolean): FetchedTopics {
    const row = (topic: string, partition: number): FetchedPartition => {
      const c = group?.offset(topic, partition);
      const unstable =
        requireStable && group !== undefined && ((group.commitsInFlight.get(inFlightKey(topic, partition)) ?? 0) > 0 || group.hasPendingTxnOffset(topic, partition));
      if (unstable) return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      return {
        partitionIndex: partition,
        committedOffset: c ? c.offset : -1,
        committedLeaderEpoch: c ? c.leaderEpoch : -1,
        metadata: c ? c.metadata : '',
        errorCode: ErrorCode.NONE,
      };
    };
    if (topics === null) {
      if (!group) return [];
      return [...group.offsets].map(([name, byPartition]) => ({ name, partitions: [...byPartition.keys()].sort((a, b) => a - b).map((p) => row(name, p)) }));
    }
    return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => row(t.name, p)) }));
  }

  // ------------------------------------------------------------------------------- OffsetDelete

  /** KIP-496. The caller resolved the shard; returns the top-level code and per-partition codes. */
  async deleteOffsets(
    shard: CoordinatorShard,
    groupId: string,
    topics: Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>,
  ): Promise<{ errorCode: number; topics: PartitionResults }> {
    const group = shard.groups.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (!group.is('Empty') && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const subscribed = this.#subscribedTopics(group);
    const image = this.ctx.image();
    const results = allPartitions(topics, ErrorCode.NONE);
    const toDelete: Array<{ topic: string; partition: number }> = [];
    results.forEach((t, i) => {
      for (const p of t.partitions) {
        if (subscribed === 'all' || subscribed.has(t.name)) p.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else if (image.partition(t.name, p.partitionIndex) === undefined && group.offset(t.name, p.partitionIndex) === undefined) {
          p.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (group.offset(t.name, p.partitionIndex) !== undefined) toDelete.push({ topic: topics[i]!.name, partition: p.partitionIndex });
      }
    });
    if (toDelete.length > 0) {
      const failure = await shard.write(toDelete.map((d) => ({ key: encodeOffsetCommitKey(groupId, d.topic, d.partition), value: null })));
      if (failure !== null) return { errorCode: offsetWriteErrorCode(failure), topics: [] };
      // A plain tombstone also ends every open transaction's offset of the partition (loading does the same).
      for (const d of toDelete) {
        group.deleteOffset(d.topic, d.partition);
        group.dropPendingTxnOffset(d.topic, d.partition);
      }
      this.ctx.log.info({ group: groupId, partitions: toDelete.length }, 'deleted committed offsets');
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  /** Topics the group's members subscribe to; 'all' when a subscription cannot be read (be conservative). */
  #subscribedTopics(group: ClassicGroup): Set<string> | 'all' {
    const out = new Set<string>();
    if (group.is('Empty') || group.protocolName === null) return out;
    for (const m of group.members.values()) {
      const metadata = m.protocols.find((p) => p.name === group.protocolName)?.metadata;
      const topics = metadata === undefined ? null : subscribedTopics(metadata);
      if (topics === null) return 'all';
      for (const t of topics) out.add(t);
    }
    return out;
  }

  // ------------------------------------------------------------------------------- expiry

  /** One expiry pass over a shard. Returns the offsets expired and groups removed. */
  async expire(shard: CoordinatorShard): Promise<{ offsets: number; groups: number }> {
    let offsets = 0;
    let groups = 0;
    for (const group of [...shard.groups.values()]) {
      if (!shard.active) break;
      const expired = this.#expiredOffsets(group);
      for (let i = 0; i < expired.length; i += EXPIRY_BATCH_RECORDS_MAX) {
        const chunk = expired.slice(i, i + EXPIRY_BATCH_RECORDS_MAX);
        const failure = await shard.write(chunk.map((e) => ({ key: encodeOffsetCommitKey(group.groupId, e.topic, e.partition), value: null })));
        if (failure !== null) {
          this.ctx.log.warn({ group: group.groupId, failure }, 'writing offset expiry tombstones failed; retrying next pass');
          break;
        }
        for (const e of chunk) {
          // A newer commit since the pass started stays.
          if (group.offset(e.topic, e.partition) === e.value) group.deleteOffset(e.topic, e.partition);
        }
        offsets += chunk.length;
      }
      if (expired.length > 0) this.ctx.log.info({ group: group.groupId, offsets: expired.length }, 'expired committed offsets');
      if (group.is('Empty') && !group.hasOffsets && !group.hasPendingTxnOffsets && group.pendingMembers.size === 0 && shard.groups.get(group.groupId) === group) {
        group.transitionTo('Dead', this.ctx.clock.nowMs());
        const failure = await shard.write([{ key: encodeGroupMetadataKey(group.groupId), value: null }]);
        if (shard.groups.get(group.groupId) === group) shard.groups.delete(group.groupId);
        if (failure === null) {
          groups++;
          this.ctx.log.info({ group: group.groupId }, 'removed empty group without offsets');
        }
      }
    }
    return { offsets, groups };
  }

  #expiredOffsets(group: ClassicGroup): Array<{ topic: string; partition: number; value: CommittedOffset }> {
    const nowMs = this.ctx.clock.nowMs();
    const retentionMs = this.ctx.settings.retentionMs;
    const out: Array<{ topic: string; partition: number; value: CommittedOffset }> = [];
    // An offset with a transactional commit pending is not expired under it (Kafka does the same).
    const isExpired = (c: CommittedOffset, baseMs: number, topic: string, partition: number): boolean =>
      (c.expireTimestampMs >= 0 ? nowMs >= c.expireTimestampMs : nowMs - baseMs >= retentionMs) && !group.hasPendingTxnOffset(topic, partition);
    if (group.is('Empty')) {
      for (const [topic, byPartition] of group.offsets) {
        for (const [partition, c] of byPartition) {
          const baseMs = group.protocolType !== null ? group.currentStateTimestampMs : c.commitTimestampMs;
          if (isExpired(c, baseMs, topic, partition)) out.push({ topic, partition, value: c });
        }
      }
    } else if (group.is('Stable') && group.protocolType === CONSUMER_PROTOCOL_TYPE) {
      const subscribed = this.#subscribedTopics(group);
      if (subscribed === 'all') return out;
      for (const [topic, byPartition] of group.offsets) {
        if (subscribed.has(topic)) continue;
        for (const [partition, c] of byPartition) if (isExpired(c, c.commitTimestampMs, topic, partition)) out.push({ topic, partition, value: c });
      }
    }
    return out;
  }
}

/**
 * KIP-447's checks for a transactional commit (Kafka's ClassicGroup offset-commit validation with
 * isTransactional set).
 */
function checkTxnCommitter(group: ClassicGroup, req: CommitRequest): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
  if (req.generationId < 0 && req.memberId === '' && req.groupInstanceId === null) return ErrorCode.NONE;
  if (req.groupInstanceId !== null) {
    const current = group.staticMembers.get(req.groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== req.memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  if (!group.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  return ErrorCode.NONE;
}

/** A group this request created that ended up holding nothing goes again. */
function dropIfUnused(shard: CoordinatorShard, group: ClassicGroup): void {
  const unused = group.is('Empty') && group.size === 0 && !group.hasOffsets && !group.hasPendingTxnOffsets;
  if (unused && shard.groups.get(group.groupId) === group) shard.groups.delete(group.groupId);
}

function adjust(counts: Map<string, number>, key: string, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
