/**
 * kafka-dump-log --offsets-decoder: a __consumer_offsets record as the JSON Kafka 3.x prints,
 *   key:     {"type":"1","data":{"group":"g","topic":"t","partition":0}}      (offset commit, key v0/v1)
 *            {"type":"2","data":{"group":"g"}}                                 (group metadata)
 *   payload: {"version":"3","data":{"offset":5,"leaderEpoch":0,"metadata":"","commitTimestamp":…}}
 *            {"version":"3","data":{"protocolType":"consumer","generation":1,"protocol":"range",
 *              "leader":"m1","currentStateTimestamp":…,"members":[{"memberId":…,"groupInstanceId":null,
 *              "clientId":…,"clientHost":…,"rebalanceTimeout":…,"sessionTimeout":…,
 *              "subscription":{"topics":["t"],"userData":null},
 *              "assignment":{"assignedPartitions":[{"topic":"t","partitions":[0]}],"userData":null}}]}}
 *            <DELETE>                                                          (a tombstone)
 * Each record version shows only the fields it has. For "consumer" groups the members' subscription
 * and assignment are decoded (their fields by their own version); other protocol types show the
 * bytes in base64, as Kafka's JSON does for bytes. Record formats: coordinator/offsets/records.ts.
 */
import { decodeAssignment, decodeSubscription } from '../../client/group-protocol.js';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  OffsetsRecordError,
  type StoredMember,
} from '../../coordinator/offsets/records.js';

export interface ParsedRecord {
  /** What follows "key: ", or null to print no key. */
  key: string | null;
  /** What follows "payload: ", or null to print no payload. */
  payload: string | null;
}

const base64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));

function subscriptionJson(bytes: Buffer): unknown {
  const s = decodeSubscription(bytes);
  const out: Record<string, unknown> = { topics: s.topics, userData: base64(s.userData) };
  if (s.version >= 1) out['ownedPartitions'] = s.ownedPartitions;
  if (s.version >= 2) out['generationId'] = s.generationId;
  if (s.version >= 3) out['rackId'] = s.rackId;
  return out;
}

function assignmentJson(bytes: Buffer): unknown {
  const a = decodeAssignment(bytes);
  return { assignedPartitions: a.partitions, userData: base64(a.userData) };
}

/** A consumer member's protocol bytes decoded; anything unreadable stays base64 rather than failing the dump. */
function protocolBytes(bytes: Buffer, consumer: boolean, decode: (b: Buffer) => unknown): unknown {
  if (!consumer) return bytes.toString('base64');
  try {
    return decode(bytes);
  } catch {
    // Not in the consumer protocol's format after all: show the raw bytes.
    return bytes.toString('base64');
  }
}

function memberJson(m: StoredMember, version: number, consumer: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { memberId: m.memberId };
  if (version >= 3) out['groupInstanceId'] = m.groupInstanceId;
  out['clientId'] = m.clientId;
  out['clientHost'] = m.clientHost;
  if (version >= 1) out['rebalanceTimeout'] = m.rebalanceTimeoutMs;
  out['sessionTimeout'] = m.sessionTimeoutMs;
  out['subscription'] = protocolBytes(m.subscription, consumer, subscriptionJson);
  out['assignment'] = protocolBytes(m.assignment, consumer, assignmentJson);
  return out;
}

function offsetCommitValueJson(value: Buffer): string {
  const version = value.readInt16BE(0);
  const v = decodeOffsetCommitValue(value);
  const data: Record<string, unknown> = { offset: v.offset };
  if (version >= 3) data['leaderEpoch'] = v.leaderEpoch;
  data['metadata'] = v.metadata;
  data['commitTimestamp'] = v.commitTimestampMs;
  if (version === 1) data['expireTimestamp'] = v.expireTimestampMs;
  return JSON.stringify({ version: String(version), data });
}

function groupMetadataValueJson(value: Buffer): string {
  const version = value.readInt16BE(0);
  const v = decodeGroupMetadataValue(value);
  const data: Record<string, unknown> = { protocolType: v.protocolType, generation: v.generation, protocol: v.protocol, leader: v.leader };
  if (version >= 2) data['currentStateTimestamp'] = v.currentStateTimestampMs;
  data['members'] = v.members.map((m) => memberJson(m, version, v.protocolType === 'consumer'));
  return JSON.stringify({ version: String(version), data });
}

/** Decodes one __consumer_offsets record; a malformed one is described in its key text instead of failing the dump. */
export function parseOffsetsRecord(key: Buffer | null, value: Buffer | null): ParsedRecord {
  if (key === null) return { key: 'Failed to decode message using offset topic decoder (message had a missing key)', payload: null };
  try {
    if (value !== null && value.length < 2) throw new OffsetsRecordError(`value of ${value.length} bytes is too short`);
    const k = decodeKey(key);
    if (k.kind === 'offset') {
      const data = { group: k.group, topic: k.topic, partition: k.partition };
      return { key: JSON.stringify({ type: String(key.readInt16BE(0)), data }), payload: value === null ? '<DELETE>' : offsetCommitValueJson(value) };
    }
    if (k.kind === 'group') {
      return { key: JSON.stringify({ type: '2', data: { group: k.group } }), payload: value === null ? '<DELETE>' : groupMetadataValueJson(value) };
    }
    return { key: `Unknown record type ${k.version} (Samsa decodes offset commit and group metadata records)`, payload: null };
  } catch (e) {
    if (!(e instanceof OffsetsRecordError)) throw e;
    return { key: `Failed to decode message using offset topic decoder: ${e.message}`, payload: null };
  }
}
