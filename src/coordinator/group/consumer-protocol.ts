/**
 * The parts of the consumer embedded protocol (protocolType "consumer") the broker must look inside:
 * the topics a member subscribes to, from its JoinGroup metadata, and the partitions an assignment
 * gives it. Everything else in these bytes is the clients' business and is relayed untouched.
 *
 *   Subscription: version int16 | topics int32 count × string | userData nullable bytes |
 *                 ownedPartitions (v1+) | generationId (v2+) | rackId (v3+)
 *   Assignment:   version int16 | assignedPartitions int32 count × [topic string, partitions int32[]] |
 *                 userData nullable bytes
 *
 * Used for OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and offset expiry of a Stable consumer group
 * (offsets of topics nobody subscribes to expire). Bytes come from clients, so parsing returns null
 * on anything malformed instead of throwing; callers then assume the conservative answer.
 */
import { DecodeError, Reader } from '../../protocol/primitives.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Topics named in a consumer subscription, or null when the bytes are not one. */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const n = r.arrayLength(false, false);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string(false, false)!);
    return topics;
  } catch (err) {
    // Expected for clients that put something else here: the caller decides conservatively.
    if (err instanceof DecodeError) return null;
    throw err;
  }
}

/** topic → partitions of a consumer assignment, or null when the bytes are not one. */
export function assignedPartitions(assignment: Buffer): Map<string, number[]> | null {
  if (assignment.length === 0) return new Map();
  try {
    const r = new Reader(assignment);
    const version = r.int16();
    if (version < 0) return null;
    const n = r.arrayLength(false, false);
    const out = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const topic = r.string(false, false)!;
      const count = r.arrayLength(false, false);
      const partitions: number[] = [];
      for (let j = 0; j < count; j++) partitions.push(r.int32());
      out.set(topic, partitions);
    }
    return out;
  } catch (err) {
    // As above: not a consumer assignment.
    if (err instanceof DecodeError) return null;
    throw err;
  }
}
