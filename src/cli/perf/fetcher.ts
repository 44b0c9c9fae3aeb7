/**
 * The perf consumer's fetch loop pieces: ListOffsets for the start, one Fetch of every partition,
 * and an allocation-free walk over the returned batches that counts records and key+value bytes.
 */
import { fetchApi } from '../../protocol/messages/fetch.js';
import { listOffsetsApi } from '../../protocol/messages/list-offsets.js';
import type { PerfConnection } from './wire.js';

const FETCH_VERSION = 11;

/** Reads a zigzag varint at b[at]; returns value, advancing cur[0]. */
function varint(b: Buffer, cur: Int32Array): number {
  let at = cur[0]!;
  let u = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++]!;
    u |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
    shift += 7;
  }
  cur[0] = at;
  return (u >>> 1) ^ -(u & 1);
}

function varlongSkip(b: Buffer, cur: Int32Array): void {
  let at = cur[0]!;
  while (b[at++]! >= 0x80);
  cur[0] = at;
}

export interface ConsumeTally {
  messages: number;
  bytes: number;
  /** next offset to fetch */
  nextOffset: number;
}

const cur = new Int32Array(1);

/**
 * Counts records of uncompressed batches in `records` with offset >= from, up to `limit` messages.
 * Compressed batches count their recordCount and the batch payload bytes (no decompression).
 */
export function tallyRecords(records: Buffer, from: number, limit: number, t: ConsumeTally, onBatch?: (b: Buffer, at: number) => void): void {
  let at = 0;
  while (at + 61 <= records.length && t.messages < limit) {
    const total = records.readInt32BE(at + 8) + 12;
    if (at + total > records.length) break; // partial batch at the end of a fetch
    const base = records.readUInt32BE(at) * 4294967296 + records.readUInt32BE(at + 4);
    const lastOffsetDelta = records.readInt32BE(at + 23);
    const count = records.readInt32BE(at + 57);
    const compression = records.readInt16BE(at + 21) & 7;
    if (base + lastOffsetDelta >= from) {
      if (onBatch) onBatch(records, at);
      if (compression !== 0) {
        const take = Math.min(count, limit - t.messages);
        t.messages += take;
        t.bytes += total - 61;
      } else {
        cur[0] = at + 61;
        for (let i = 0; i < count && t.messages < limit; i++) {
          const len = varint(records, cur);
          const recordEnd = cur[0]! + len;
          cur[0]++; // attributes
          varlongSkip(records, cur); // timestampDelta
          const offsetDelta = varint(records, cur);
          if (base + offsetDelta >= from) {
            const keyLen = varint(records, cur);
            if (keyLen > 0) cur[0] += keyLen;
            const valueLen = varint(records, cur);
            t.messages++;
            t.bytes += Math.max(0, keyLen) + Math.max(0, valueLen);
          }
          cur[0] = recordEnd;
        }
      }
    }
    t.nextOffset = Math.max(t.nextOffset, base + lastOffsetDelta + 1);
    at += total;
  }
}

export async function earliestOffsets(conn: PerfConnection, topic: string, partitions: number, timestamp = -2n): Promise<number[]> {
  const resp = (await conn.request(listOffsetsApi, 2, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
  })) as { topics: Array<{ partitions: Array<{ partitionIndex: number; errorCode: number; offset: bigint }> }> };
  const out = new Array<number>(partitions).fill(0);
  for (const p of resp.topics[0]?.partitions ?? []) {
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
    out[p.partitionIndex] = Number(p.offset);
  }
  return out;
}

interface FetchPartitionResp {
  partitionIndex: number;
  errorCode: number;
  records: Buffer | null;
}

/** One Fetch of every partition from `offsets`; updates offsets and the tally. */
export async function fetchOnce(
  conn: PerfConnection,
  topic: string,
  offsets: number[],
  partitionMaxBytes: number,
  maxWaitMs: number,
  limit: number,
  tally: ConsumeTally,
  onBatch?: (b: Buffer, at: number) => void,
): Promise<number> {
  const resp = (await conn.request(fetchApi, FETCH_VERSION, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: offsets.map((o, i) => ({ partition: i, fetchOffset: BigInt(o), partitionMaxBytes })) }],
    forgottenTopicsData: [],
    rackId: '',
  })) as { errorCode: number; responses: Array<{ partitions: FetchPartitionResp[] }> };
  if (resp.errorCode !== 0) throw new Error(`Fetch error ${resp.errorCode}`);
  let got = 0;
  for (const p of resp.responses[0]?.partitions ?? []) {
    if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
    if (!p.records || p.records.length === 0) continue;
    const before = tally.messages;
    const t: ConsumeTally = { messages: tally.messages, bytes: tally.bytes, nextOffset: offsets[p.partitionIndex]! };
    tallyRecords(p.records, offsets[p.partitionIndex]!, limit, t, onBatch);
    tally.messages = t.messages;
    tally.bytes = t.bytes;
    offsets[p.partitionIndex] = t.nextOffset;
    got += t.messages - before;
  }
  return got;
}


export type FetchResponseParts = Array<{ partition: number; records: Buffer }>;

/** Sends one Fetch of every partition from `offsets` (copied now) and resolves with the record sets. */
export async function sendFetch(conn: PerfConnection, topic: string, offsets: readonly number[], partitionMaxBytes: number, maxWaitMs: number): Promise<FetchResponseParts> {
  const resp = (await conn.request(fetchApi, FETCH_VERSION, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: offsets.map((o, i) => ({ partition: i, fetchOffset: BigInt(o), partitionMaxBytes })) }],
    forgottenTopicsData: [],
    rackId: '',
  })) as { errorCode: number; responses: Array<{ partitions: FetchPartitionResp[] }> };
  if (resp.errorCode !== 0) throw new Error(`Fetch error ${resp.errorCode}`);
  const out: FetchResponseParts = [];
  for (const p of resp.responses[0]?.partitions ?? []) {
    if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
    if (p.records && p.records.length > 0) out.push({ partition: p.partitionIndex, records: p.records });
  }
  return out;
}

/**
 * Advances `offsets` past the complete batches of a response, reading batch headers only (so the
 * next Fetch can go out before the records are walked). Returns the records those batches hold at
 * or after the fetch offsets (exact for uncompressed batches that start at the fetch offset, which
 * is every batch after the first).
 */
export function advanceOffsets(parts: FetchResponseParts, offsets: number[]): number {
  let records = 0;
  for (const { partition, records: b } of parts) {
    const from = offsets[partition]!;
    let next = from;
    let at = 0;
    while (at + 61 <= b.length) {
      const total = b.readInt32BE(at + 8) + 12;
      if (at + total > b.length) break;
      const base = b.readUInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
      const last = base + b.readInt32BE(at + 23);
      if (last >= from) records += last + 1 - Math.max(base, from);
      next = Math.max(next, last + 1);
      at += total;
    }
    offsets[partition] = next;
  }
  return records;
}
