/**
 * The "consumer" embedded protocol of classic consumer groups: what a member puts in JoinGroup's
 * protocol metadata (its subscription) and what the leader hands out through SyncGroup (each
 * member's assignment), plus the range assignor. Written from the protocol description:
 *
 *   Subscription v0-3: version int16, topics [string], userData nullable bytes,
 *     v1+ ownedPartitions [topic string, partitions [int32]], v2+ generationId int32, v3+ rackId nullable string
 *   Assignment v0-3: version int16, assignedPartitions [topic string, partitions [int32]], userData nullable bytes
 *
 * All in the classic (non-compact) encoding. We write subscription v0 and assignment v0, which every
 * client reads, and read any version (fields beyond the ones we know are ignored).
 */
import { Reader, Writer } from '../protocol/primitives.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const RANGE_ASSIGNOR = 'range';

export interface Subscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: Array<{ topic: string; partitions: number[] }>;
  /** v2+; -1 before. */
  generationId: number;
  /** v3+; null before. */
  rackId: string | null;
}

export interface Assignment {
  version: number;
  partitions: Array<{ topic: string; partitions: number[] }>;
  userData: Buffer | null;
}

export function encodeSubscription(topics: string[], userData: Buffer | null = null): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.arrayLength(topics.length, false);
  for (const t of topics) w.string(t, false);
  w.bytes(userData, false);
  return w.toBuffer();
}

function readTopicPartitions(r: Reader): Array<{ topic: string; partitions: number[] }> {
  const n = r.arrayLength(false, true);
  const out: Array<{ topic: string; partitions: number[] }> = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string(false, false)!;
    const count = r.arrayLength(false, true);
    const partitions: number[] = [];
    for (let j = 0; j < count; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return out;
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = new Reader(buf);
  const version = r.int16();
  const n = r.arrayLength(false, true);
  const topics: string[] = [];
  for (let i = 0; i < n; i++) topics.push(r.string(false, false)!);
  const userData = r.remaining > 0 ? r.bytes(false, true) : null;
  const ownedPartitions = version >= 1 && r.remaining > 0 ? readTopicPartitions(r) : [];
  const generationId = version >= 2 && r.remaining >= 4 ? r.int32() : -1;
  const rackId = version >= 3 && r.remaining >= 2 ? r.string(false, true) : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeAssignment(partitions: Array<{ topic: string; partitions: number[] }>, userData: Buffer | null = null): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.arrayLength(partitions.length, false);
  for (const tp of partitions) {
    w.string(tp.topic, false);
    w.arrayLength(tp.partitions.length, false);
    for (const p of tp.partitions) w.int32(p);
  }
  w.bytes(userData, false);
  return w.toBuffer();
}

export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, partitions: [], userData: null };
  const r = new Reader(buf);
  const version = r.int16();
  const partitions = readTopicPartitions(r);
  const userData = r.remaining > 0 ? r.bytes(false, true) : null;
  return { version, partitions, userData };
}

/**
 * Range assignment: for each topic, the members subscribed to it in member-id order each get a
 * contiguous range of partitions; the first (partitions % members) get one extra.
 * Returns memberId → [{topic, partitions}].
 */
export function assignRange(
  members: Array<{ memberId: string; topics: string[] }>,
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, Array<{ topic: string; partitions: number[] }>> {
  const out = new Map<string, Array<{ topic: string; partitions: number[] }>>();
  for (const m of members) out.set(m.memberId, []);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const count = partitionCounts.get(topic) ?? 0;
    if (count === 0) continue;
    const subscribed = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    const per = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    subscribed.forEach((memberId, i) => {
      const start = i * per + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      if (length === 0) return;
      const partitions: number[] = [];
      for (let p = start; p < start + length; p++) partitions.push(p);
      out.get(memberId)!.push({ topic, partitions });
    });
  }
  return out;
}

export const ROUND_ROBIN_ASSIGNOR = 'roundrobin';

/**
 * Round-robin assignment (Kafka's RoundRobinAssignor): every subscribed partition, topics in name
 * order and partitions ascending, is dealt to the members in member-id order, one at a time,
 * skipping members not subscribed to the partition's topic. Returns memberId → [{topic, partitions}].
 */
export function assignRoundRobin(
  members: Array<{ memberId: string; topics: string[] }>,
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, Array<{ topic: string; partitions: number[] }>> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const owned = new Map<string, Map<string, number[]>>(sorted.map((m) => [m.memberId, new Map()]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  let next = 0;
  for (const topic of topics) {
    const count = partitionCounts.get(topic) ?? 0;
    for (let p = 0; p < count; p++) {
      // Bounded: at most one full turn of the member list finds a subscriber (the topic came from one).
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next % sorted.length]!;
        next++;
        if (!m.topics.includes(topic)) continue;
        const byTopic = owned.get(m.memberId)!;
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(p);
        break;
      }
    }
  }
  const out = new Map<string, Array<{ topic: string; partitions: number[] }>>();
  for (const [memberId, byTopic] of owned) out.set(memberId, [...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
  return out;
}
