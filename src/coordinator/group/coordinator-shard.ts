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
 * Owned by GroupCoordinator.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';
import { BATCH_ATTRIBUTES_OFFSET, ATTR_CONTROL, batch } from '../../protocol/records/batch.js';
import { buildRecordBatchSync, readRecords, type RecordInput } from '../../protocol/records/builder.js';
import { CompressionError } from '../../protocol/records/compression.js';
import { RecordBatchError } from '../../protocol/records/validate.js';
import type { OffsetsTopicLog, WriteFailure } from '../offsets/offsets-topic-log.js';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  OffsetsRecordError,
  type GroupMetadataValue,
} from '../offsets/records.js';
import { ClassicGroup, GroupMember, type CommittedOffset } from './classic-group.js';

/** Bytes read per step while loading. */
const LOAD_READ_BYTES = 1 << 20;

export type ShardStatus = 'loading' | 'active' | 'closed';

export class CoordinatorShard {
  readonly partition: number;
  readonly groups = new Map<string, ClassicGroup>();
  #status: ShardStatus = 'loading';

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
    const metadata = new Map<string, GroupMetadataValue | null>();
    const offsets = new Map<string, Map<string, Map<number, CommittedOffset | null>>>();
    let offset = bounds.startOffset;
    let records = 0;
    while (offset < bounds.endOffset) {
      if (this.#status === 'closed') return false;
      const chunk = await this.offsetsLog.read(this.partition, offset, LOAD_READ_BYTES, bounds.endOffset);
      if (chunk.length === 0) break;
      for (let at = 0; at < chunk.length; at += batch.totalBytes(chunk, at)) {
        const one = chunk.subarray(at, at + batch.totalBytes(chunk, at));
        offset = batch.baseOffset(one) + batch.lastOffsetDelta(one) + 1;
        if ((one.readInt16BE(BATCH_ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0) continue;
        records += await this.#replayBatch(one, metadata, offsets);
      }
    }
    if (this.#status === 'closed') return false;
    this.#install(metadata, offsets);
    this.#status = 'active';
    this.log.info(
      { partition: this.partition, groups: this.groups.size, records, endOffset: bounds.endOffset, durationMs: Math.round(this.clock.monotonicMs() - startedMs) },
      'loaded group metadata and offsets',
    );
    return true;
  }

  async #replayBatch(
    one: Buffer,
    metadata: Map<string, GroupMetadataValue | null>,
    offsets: Map<string, Map<string, Map<number, CommittedOffset | null>>>,
  ): Promise<number> {
    let decoded;
    try {
      decoded = await readRecords(one);
    } catch (err) {
      if (!(err instanceof RecordBatchError || err instanceof CompressionError)) throw err;
      // Storage checked the CRC, so this batch was written malformed by some producer: skip it.
      this.log.warn({ partition: this.partition, baseOffset: batch.baseOffset(one), err: err.message }, 'skipping undecodable batch in __consumer_offsets');
      return 0;
    }
    for (const rec of decoded) {
      if (rec.key === null) continue;
      try {
        const key = decodeKey(rec.key);
        if (key.kind === 'offset') {
          let byTopic = offsets.get(key.group);
          if (!byTopic) offsets.set(key.group, (byTopic = new Map()));
          let byPartition = byTopic.get(key.topic);
          if (!byPartition) byTopic.set(key.topic, (byPartition = new Map()));
          byPartition.set(key.partition, rec.value === null ? null : decodeOffsetCommitValue(rec.value));
        } else if (key.kind === 'group') {
          metadata.set(key.group, rec.value === null ? null : decodeGroupMetadataValue(rec.value));
        }
        // Other key versions are KIP-848 record types this coordinator does not use.
      } catch (err) {
        if (!(err instanceof OffsetsRecordError)) throw err;
        this.log.warn({ partition: this.partition, offset: rec.offset, err: err.message }, 'skipping unreadable __consumer_offsets record');
      }
    }
    return decoded.length;
  }

  #install(metadata: Map<string, GroupMetadataValue | null>, offsets: Map<string, Map<string, Map<number, CommittedOffset | null>>>): void {
    const nowMs = this.clock.nowMs();
    for (const [groupId, value] of metadata) {
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
    for (const [groupId, byTopic] of offsets) {
      for (const [topic, byPartition] of byTopic) {
        for (const [partition, value] of byPartition) {
          if (value === null) continue;
          let group = this.groups.get(groupId);
          if (!group) {
            group = new ClassicGroup(groupId, nowMs);
            this.groups.set(groupId, group);
          }
          group.setOffset(topic, partition, value);
        }
      }
    }
  }

  /** Appends `records` (keys and values already encoded) as one batch stamped with the broker's clock. */
  async write(records: Array<Pick<RecordInput, 'key' | 'value'>>): Promise<WriteFailure | null> {
    if (this.#status !== 'active') return 'notLeader';
    const timestampMs = this.clock.nowMs();
    const bytes = buildRecordBatchSync({ records: records.map((r) => ({ key: r.key, value: r.value, timestampMs })) });
    const failure = await this.offsetsLog.append(this.partition, bytes);
    // Leadership may have moved while the append was in flight.
    if (failure === null && this.#status !== 'active') return 'notLeader';
    return failure;
  }
}
