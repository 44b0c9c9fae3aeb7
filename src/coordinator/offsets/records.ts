/**
 * The records of `__consumer_offsets`, in Kafka's own formats so that Kafka tools (the console
 * consumer's offsets formatter, kafka-dump-log --offsets-decoder) can read a Samsa log, and so that
 * state written by either can be loaded by the other. Written from the record format facts:
 *
 *   key   int16 version, then by version:
 *     0, 1  offset commit      group string, topic string, partition int32
 *     2     group metadata     group string
 *     3+    KIP-848 records (consumer group / share group state) — not written by us; skipped on load
 *
 *   offset commit value (we write v3; we read 0-3)
 *     int16 version | offset int64 | leaderEpoch int32 (v3+) | metadata string |
 *     commitTimestamp int64 | expireTimestamp int64 (v1 only)
 *
 *   group metadata value (we write v3; we read 0-3)
 *     int16 version | protocolType string | generation int32 | protocol nullable string |
 *     leader nullable string | currentStateTimestamp int64 (v2+) |
 *     members int32 count × [ memberId string | groupInstanceId nullable string (v3+) |
 *       clientId string | clientHost string | rebalanceTimeout int32 (v1+) | sessionTimeout int32 |
 *       subscription bytes | assignment bytes ]
 *
 * Strings are int16 length + UTF-8 (-1 = null), bytes int32 length + data. A null record value is a
 * tombstone: the offset (or the whole group) was deleted, and compaction eventually drops the key.
 *
 * Value version 4 (flexible, compact encodings) exists in newer Kafka; we neither write nor read it
 * (a v4 value is reported as unsupported and skipped, so the loader never guesses).
 */
import { DecodeError, Reader, Writer } from '../../protocol/primitives.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  kind: 'group';
  group: string;
}

/** A key we do not interpret (KIP-848 and later record types). */
export interface OtherKey {
  kind: 'other';
  version: number;
}

export type OffsetsTopicKey = OffsetCommitKey | GroupMetadataKey | OtherKey;

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only value v1 carries it; -1 otherwise. */
  expireTimestampMs: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's selected protocol (for consumers: its subscription). */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown (values before v2). */
  currentStateTimestampMs: number;
  members: StoredMember[];
}

export class OffsetsRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsRecordError';
  }
}

// ---------------------------------------------------------------------------------------------
// keys

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer(64).int16(OFFSET_COMMIT_KEY_VERSION).string(group, false).string(topic, false).int32(partition).toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer(32).int16(GROUP_METADATA_KEY_VERSION).string(group, false).toBuffer();
}

export function decodeKey(key: Buffer): OffsetsTopicKey {
  return decoding('key', () => {
    const r = new Reader(key);
    const version = r.int16();
    if (version === 0 || version === 1) {
      const group = r.string(false, false)!;
      const topic = r.string(false, false)!;
      const partition = r.int32();
      return { kind: 'offset', group, topic, partition };
    }
    if (version === 2) return { kind: 'group', group: r.string(false, false)! };
    if (version < 0) throw new OffsetsRecordError(`negative key version ${version}`);
    return { kind: 'other', version };
  });
}

// ---------------------------------------------------------------------------------------------
// values

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  return new Writer(64 + v.metadata.length * 3)
    .int16(OFFSET_COMMIT_VALUE_VERSION)
    .int64(BigInt(v.offset))
    .int32(v.leaderEpoch)
    .string(v.metadata, false)
    .int64(BigInt(v.commitTimestampMs))
    .toBuffer();
}

export function decodeOffsetCommitValue(value: Buffer): OffsetCommitValue {
  return decoding('offset commit value', () => {
    const r = new Reader(value);
    const version = r.int16();
    if (version < 0 || version > 3) throw new OffsetsRecordError(`unsupported offset commit value version ${version}`);
    const offset = safeNumber(r.int64(), 'offset');
    const leaderEpoch = version >= 3 ? r.int32() : -1;
    const metadata = r.string(false, false)!;
    const commitTimestampMs = safeNumber(r.int64(), 'commitTimestamp');
    const expireTimestampMs = version === 1 ? safeNumber(r.int64(), 'expireTimestamp') : -1;
    return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
  });
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256)
    .int16(GROUP_METADATA_VALUE_VERSION)
    .string(v.protocolType, false)
    .int32(v.generation)
    .string(v.protocol, false)
    .string(v.leader, false)
    .int64(BigInt(v.currentStateTimestampMs))
    .arrayLength(v.members.length, false);
  for (const m of v.members) {
    w.string(m.memberId, false)
      .string(m.groupInstanceId, false)
      .string(m.clientId, false)
      .string(m.clientHost, false)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription, false)
      .bytes(m.assignment, false);
  }
  return w.toBuffer();
}

export function decodeGroupMetadataValue(value: Buffer): GroupMetadataValue {
  return decoding('group metadata value', () => {
    const r = new Reader(value);
    const version = r.int16();
    if (version < 0 || version > 3) throw new OffsetsRecordError(`unsupported group metadata value version ${version}`);
    const protocolType = r.string(false, false)!;
    const generation = r.int32();
    const protocol = r.string(false, true);
    const leader = r.string(false, true);
    const currentStateTimestampMs = version >= 2 ? safeNumber(r.int64(), 'currentStateTimestamp') : -1;
    const count = r.arrayLength(false, false);
    const members: StoredMember[] = [];
    for (let i = 0; i < count; i++) {
      const memberId = r.string(false, false)!;
      const groupInstanceId = version >= 3 ? r.string(false, true) : null;
      const clientId = r.string(false, false)!;
      const clientHost = r.string(false, false)!;
      const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
      const sessionTimeoutMs = r.int32();
      // Copies: the loader keeps these long after the read buffer is gone.
      const subscription = Buffer.from(r.bytes(false, false)!);
      const assignment = Buffer.from(r.bytes(false, false)!);
      members.push({
        memberId,
        groupInstanceId,
        clientId,
        clientHost,
        rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
        sessionTimeoutMs,
        subscription,
        assignment,
      });
    }
    return { protocolType, generation, protocol, leader, currentStateTimestampMs, members };
  });
}

function safeNumber(v: bigint, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new OffsetsRecordError(`${what} ${v} is not a safe integer`);
  return n;
}

/** Runs a decoder, turning the reader's truncation errors into OffsetsRecordError. */
function decoding<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError) throw new OffsetsRecordError(`malformed ${what}: ${err.message}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// partitioning

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The __consumer_offsets partition holding a group: abs(hashCode(groupId)) % partitions, with
 * Kafka's abs (Integer.MIN_VALUE maps to 0), so every group lands on the same partition as in Kafka.
 */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const h = javaStringHashCode(groupId);
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitions;
}
