/**
 * CoordinatorShard: the groups of one `__consumer_offsets` partition led by this broker. In a
 * cluster each broker coordinates exactly the groups whose partition it leads, so a shard is the
 * unit that moves between brokers: it is created (and loaded from the log) when this broker becomes
 * the partition's leader and closed when it stops being it.
 *
 * Loading replays the partition from its start to the leader's log end offset (OffsetsTopicLog.bounds
 * says why not the high watermark): the last record of each key wins, tombstones delete. Groups with stored members come back Stable (their members must
 * heartbeat within their session timeouts), groups without members Empty, and groups known only
 * from committed offsets (standalone commits) Empty with no protocol type. Until loading finishes,
 * requests for these groups are answered COORDINATOR_LOAD_IN_PROGRESS.
 *
 * Writes are one record batch per operation (all offsets of one OffsetCommit, or one group
 * metadata record), appended as leader; the in-memory state changes only after the append succeeded.
 *
 * Transactions (KIP-98/447): a TxnOffsetCommit is one TRANSACTIONAL batch carrying the producer's
 * id and epoch; its offsets stay pending (ClassicGroup.pendingTxnOffsets) until the transaction's
 * COMMIT or ABORT marker is written to this partition (GroupCoordinator.completeTransaction), and
 * loading replays the same thing in log order: a transactional offset record is pending for its
 * producer, a marker commits (each offset replacing the committed one unless a plain commit was
 * written later in the log) or drops them, a plain tombstone deletes the committed offset and every
 * pending one of that partition. Transactional appends are serialised per shard because each takes
 * the next sequence of its producer in this partition (producer state checks them as for any
 * idempotent batch). A marker completed while the shard is still loading is applied once it has loaded.
 * Owned by GroupCoordinator.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';
import { batch } from '../../protocol/records/batch.js';
import { buildRecordBatchSync, readRecords, type RecordInput } from '../../protocol/records/builder.js';
import { CompressionError } from '../../protocol/records/compression.js';
import { RecordBatchError } from '../../protocol/records/validate.js';
import { readControlRecord } from '../../storage/control-batch.js';
import type { Appended, OffsetsTopicLog, WriteFailure } from '../offsets/offsets-topic-log.js';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  OffsetsRecordError,
  type GroupMetadataValue,
} from '../offsets/records.js';
import { ClassicGroup, GroupMember, inFlightKey, laterInLog, type CommittedOffset, type PendingTxnOffset } from './classic-group.js';

/** Bytes read per step while loading. */
const LOAD_READ_BYTES = 1 << 20;
const INT32_MAX = 0x7fffffff;

/** The producer of a transactional write. */
export interface TxnProducer {
  producerId: bigint;
  producerEpoch: number;
}

/** group → `topic\0partition` → offset. */
type OffsetsByGroup = Map<string, Map<string, PendingTxnOffset>>;

/** What loading has read so far, applied in log order. */
class Replay {
  readonly metadata = new Map<string, GroupMetadataValue | null>();
  readonly committed: OffsetsByGroup = new Map();
  /** producerId → offsets of its open transaction. */
  readonly pending = new Map<bigint, OffsetsByGroup>();

  offset(producerId: bigint | null, group: string, topic: string, partition: number, value: CommittedOffset | null): void {
    const key = inFlightKey(topic, partition);
    if (producerId === null) {
      if (value !== null) byGroup(this.committed, group).set(key, { topic, partition, value });
      else {
        this.committed.get(group)?.delete(key);
        for (const groups of this.pending.values()) groups.get(group)?.delete(key);
      }
      return;
    }
    let groups = this.pending.get(producerId);
    if (!groups) this.pending.set(producerId, (groups = new Map()));
    if (value !== null) byGroup(groups, group).set(key, { topic, partition, value });
    else groups.get(group)?.delete(key);
  }

  marker(producerId: bigint, commit: boolean): void {
    const groups = this.pending.get(producerId);
    this.pending.delete(producerId);
    if (!groups || !commit) return;
    for (const [group, entries] of groups) {
      for (const [key, entry] of entries) {
        const current = this.committed.get(group)?.get(key);
        if (laterInLog(entry.value, current?.value)) byGroup(this.committed, group).set(key, entry);
      }
    }
  }
}

function byGroup(map: OffsetsByGroup, group: string): Map<string, PendingTxnOffset> {
  let entries = map.get(group);
  if (!entries) map.set(group, (entries = new Map()));
  return entries;
}

export type ShardStatus = 'loading' | 'active' | 'closed';

export class CoordinatorShard {
  readonly partition: number;
  readonly groups = new Map<string, ClassicGroup>();
  #status: ShardStatus = 'loading';
  /** producerId → groups holding offsets of its open transaction. */
  readonly #openTxns = new Map<bigint, Set<string>>();
  #completionsWhileLoading: Array<{ producerId: bigint; commit: boolean }> = [];
  /** Transactional appends, one at a time (each takes its producer's next sequence). */
  #txnAppends: Promise<unknown> = Promise.resolve();

  constructor(
    partition: number,
    private readonly offsetsLog: OffsetsTopicLog,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.partition = partition;
  }

  get status(): ShardStatus {
    return this.#status;
  }

  get active(): boolean {
    return this.#status === 'active';
  }

  close(): void {
    this.#status = 'closed';
  }

  /** Not closed (a method, so checks after an await are not narrowed away). */
  #open(): boolean {
    return this.#status !== 'closed';
  }

  /**
   * Replays the partition into `groups`. Returns false when the shard was closed meanwhile or the
   * partition cannot be read as leader (the caller drops the shard; a later image retries).
   */
  async load(): Promise<boolean> {
    const startedMs = this.clock.monotonicMs();
    const bounds = await this.offsetsLog.bounds(this.partition);
    if (bounds === null || !this.#open()) return false;
    const replay = new Replay();
    let offset = bounds.startOffset;
    let records = 0;
    while (offset < bounds.endOffset) {
      if (this.#status === 'closed') return false;
      const chunk = await this.offsetsLog.read(this.partition, offset, LOAD_READ_BYTES, bounds.endOffset);
      if (chunk.length === 0) break;
      for (let at = 0; at < chunk.length; at += batch.totalBytes(chunk, at)) {
        const one = chunk.subarray(at, at + batch.totalBytes(chunk, at));
        offset = batch.baseOffset(one) + batch.lastOffsetDelta(one) + 1;
        records += await this.#replayBatch(one, replay);
      }
    }
    if (this.#status === 'closed') return false;
    this.#install(replay);
    this.#status = 'active';
    for (const c of this.#completionsWhileLoading.splice(0)) this.completeTransaction(c.producerId, c.commit);
    this.log.info(
      { partition: this.partition, groups: this.groups.size, records, endOffset: bounds.endOffset, durationMs: Math.round(this.clock.monotonicMs() - startedMs) },
      'loaded group metadata and offsets',
    );
    return true;
  }

  async #replayBatch(one: Buffer, replay: Replay): Promise<number> {
    if (batch.isControl(one)) {
      // COMMIT / ABORT of a producer's transaction; other control types (none are written here) are skipped.
      const marker = readControlRecord(one);
      if (marker !== null) replay.marker(marker.producerId, marker.commit);
      return 1;
    }
    let decoded;
    try {
      decoded = await readRecords(one);
    } catch (err) {
      if (!(err instanceof RecordBatchError || err instanceof CompressionError)) throw err;
      // Storage checked the CRC, so this batch was written malformed by some producer: skip it.
      this.log.warn({ partition: this.partition, baseOffset: batch.baseOffset(one), err: err.message }, 'skipping undecodable batch in __consumer_offsets');
      return 0;
    }
    const baseOffset = batch.baseOffset(one);
    const producerId = batch.isTransactional(one) ? batch.producerId(one) : null;
    for (const rec of decoded) {
      if (rec.key === null) continue;
      try {
        const key = decodeKey(rec.key);
        if (key.kind === 'offset') {
          const value = rec.value === null ? null : { ...decodeOffsetCommitValue(rec.value), recordOffset: baseOffset };
          replay.offset(producerId, key.group, key.topic, key.partition, value);
        } else if (key.kind === 'group') {
          replay.metadata.set(key.group, rec.value === null ? null : decodeGroupMetadataValue(rec.value));
        }
        // Other key versions are KIP-848 record types this coordinator does not use.
      } catch (err) {
        if (!(err instanceof OffsetsRecordError)) throw err;
        this.log.warn({ partition: this.partition, offset: rec.offset, err: err.message }, 'skipping unreadable __consumer_offsets record');
      }
    }
    return decoded.length;
  }

  #install(replay: Replay): void {
    const nowMs = this.clock.nowMs();
    for (const [groupId, value] of replay.metadata) {
      if (value === null) continue;
      const state = value.members.length > 0 && value.protocol !== null ? 'Stable' : 'Empty';
      const group = new ClassicGroup(groupId, value.currentStateTimestampMs >= 0 ? value.currentStateTimestampMs : nowMs, state);
      group.generationId = value.generation;
      group.protocolType = value.protocolType === '' ? null : value.protocolType;
      if (state === 'Stable') {
        group.protocolName = value.protocol;
        for (const m of value.members) {
          const member = new GroupMember({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            rebalanceTimeoutMs: m.rebalanceTimeoutMs,
            sessionTimeoutMs: m.sessionTimeoutMs,
            protocolType: value.protocolType,
            protocols: [{ name: value.protocol!, metadata: m.subscription }],
          });
          member.assignment = m.assignment;
          member.isNew = false;
          group.add(member);
        }
        group.leaderId = value.leader !== null && group.members.has(value.leader) ? value.leader : group.leaderId;
      }
      this.groups.set(groupId, group);
    }
    const groupOf = (groupId: string): ClassicGroup => {
      let group = this.groups.get(groupId);
      if (!group) this.groups.set(groupId, (group = new ClassicGroup(groupId, nowMs)));
      return group;
    };
    for (const [groupId, entries] of replay.committed) {
      for (const e of entries.values()) groupOf(groupId).setOffset(e.topic, e.partition, e.value);
    }
    for (const [producerId, groups] of replay.pending) {
      for (const [groupId, entries] of groups) {
        if (entries.size === 0) continue;
        const group = groupOf(groupId);
        for (const e of entries.values()) group.addPendingTxnOffset(producerId, e);
        this.noteOpenTxn(producerId, groupId);
      }
    }
  }

  // ------------------------------------------------------------------------------- transactions

  /** Records that `groupId` holds offsets of the producer's open transaction. */
  noteOpenTxn(producerId: bigint, groupId: string): void {
    let groups = this.#openTxns.get(producerId);
    if (!groups) this.#openTxns.set(producerId, (groups = new Set()));
    groups.add(groupId);
  }

  /**
   * The producer's COMMIT/ABORT marker was written to this partition: its pending offsets become
   * committed or are dropped. While loading it waits for the load to finish (the replay may or may
   * not have seen the marker; applying it again finds nothing pending). Returns the offsets committed.
   */
  completeTransaction(producerId: bigint, commit: boolean): number {
    if (this.#status === 'loading') {
      this.#completionsWhileLoading.push({ producerId, commit });
      return 0;
    }
    if (this.#status === 'closed') return 0;
    const groups = this.#openTxns.get(producerId);
    this.#openTxns.delete(producerId);
    let applied = 0;
    for (const groupId of groups ?? []) {
      const group = this.groups.get(groupId);
      if (group && !group.is('Dead')) applied += group.completeTxn(producerId, commit);
    }
    return applied;
  }

  /** Appends `records` (keys and values already encoded) as one batch stamped with the broker's clock. */
  async write(records: Array<Pick<RecordInput, 'key' | 'value'>>): Promise<WriteFailure | null> {
    const r = await this.append(records);
    return typeof r === 'string' ? r : null;
  }

  /**
   * Like write, returning where the batch landed. With `txn`: a transactional batch of that
   * producer (TxnOffsetCommit), queued behind the shard's other transactional appends.
   */
  append(records: Array<Pick<RecordInput, 'key' | 'value'>>, txn: TxnProducer | null = null): Promise<WriteFailure | Appended> {
    if (txn === null) return this.#append(records, null);
    const run = this.#txnAppends.then(() => this.#append(records, txn));
    // The queue only orders appends; each caller gets its own outcome (or error) from `run`.
    this.#txnAppends = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #append(records: Array<Pick<RecordInput, 'key' | 'value'>>, txn: TxnProducer | null): Promise<WriteFailure | Appended> {
    if (this.#status !== 'active') return 'notLeader';
    const timestampMs = this.clock.nowMs();
    const input = records.map((r) => ({ key: r.key, value: r.value, timestampMs }));
    let bytes: Buffer;
    if (txn === null) bytes = buildRecordBatchSync({ records: input });
    else {
      const last = this.offsetsLog.producerSequence(this.partition, txn.producerId);
      const baseSequence = last !== null && last.epoch === txn.producerEpoch ? (last.lastSequence === INT32_MAX ? 0 : last.lastSequence + 1) : 0;
      bytes = buildRecordBatchSync({ records: input, producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence, transactional: true });
    }
    const outcome = await this.offsetsLog.append(this.partition, bytes);
    // Leadership may have moved while the append was in flight.
    if (typeof outcome !== 'string' && this.#status !== 'active') return 'notLeader';
    return outcome;
  }
}
