/**
 * A minimal record batch v2 builder for tests, written independently of src/protocol/records so that
 * storage tests do not trust the code under test to produce their input. Uncompressed only.
 *
 * Record layout: length varint | attributes int8 (0) | timestampDelta varlong | offsetDelta varint |
 * keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value | headerCount varint |
 * per header: keyLength varint, key, valueLength varint (-1 = null), value. Varints are zigzag.
 * Batch header: see src/protocol/records/batch.ts; the CRC32C covers attributes..end.
 */
import { crc32c } from '../../src/protocol/records/crc32c.js';

export interface TestRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** Default: baseTimestampMs + the record's index. */
  timestampMs?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  records: TestRecord[];
  compression?: 0;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  transactional?: boolean;
  /** Timestamp of records without one. Default 1_700_000_000_000. */
  baseTimestampMs?: number;
  /** Gaps between offset deltas (as after compaction): record i gets offsetDelta offsetDeltas[i]. */
  offsetDeltas?: number[];
}

export const DEFAULT_BASE_TIMESTAMP_MS = 1_700_000_000_000;

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function pushVarint(out: number[], n: number): void {
  let v = zigzag(n);
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function toBytes(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function pushBytes(out: number[], b: Buffer | null): void {
  if (b === null) {
    pushVarint(out, -1);
    return;
  }
  pushVarint(out, b.length);
  for (const x of b) out.push(x);
}

export function buildBatch(opts: BuildBatchOptions): Buffer {
  if (opts.records.length === 0) throw new Error('a batch needs at least one record');
  const fallbackTs = opts.baseTimestampMs ?? DEFAULT_BASE_TIMESTAMP_MS;
  const timestamps = opts.records.map((r, i) => r.timestampMs ?? fallbackTs + i);
  const baseTimestamp = timestamps[0]!;
  const maxTimestamp = Math.max(...timestamps);
  const offsetDeltas = opts.offsetDeltas ?? opts.records.map((_, i) => i);
  const body: number[] = [];
  opts.records.forEach((r, i) => {
    const rec: number[] = [];
    rec.push(0);
    pushVarint(rec, timestamps[i]! - baseTimestamp);
    pushVarint(rec, offsetDeltas[i]!);
    pushBytes(rec, toBytes(r.key));
    pushBytes(rec, toBytes(r.value));
    const headers = r.headers ?? [];
    pushVarint(rec, headers.length);
    for (const h of headers) {
      pushBytes(rec, Buffer.from(h.key, 'utf8'));
      pushBytes(rec, toBytes(h.value));
    }
    pushVarint(body, rec.length);
    for (const x of rec) body.push(x);
  });
  const buf = Buffer.alloc(61 + body.length);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(opts.transactional ? 0x10 : 0, 21);
  buf.writeInt32BE(offsetDeltas[offsetDeltas.length - 1]!, 23);
  buf.writeBigInt64BE(BigInt(baseTimestamp), 27);
  buf.writeBigInt64BE(BigInt(maxTimestamp), 35);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  buf.writeInt16BE(opts.producerEpoch ?? -1, 51);
  buf.writeInt32BE(opts.baseSequence ?? -1, 53);
  buf.writeInt32BE(opts.records.length, 57);
  Buffer.from(body).copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

/** `count` batches of `recordsPerBatch` records with values of `valueBytes` bytes, concatenated. */
export function buildBatches(count: number, recordsPerBatch = 1, valueBytes = 10, opts: { baseTimestampMs?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(
      buildBatch({
        records: Array.from({ length: recordsPerBatch }, (_, j) => ({ value: Buffer.alloc(valueBytes, (i * recordsPerBatch + j) % 251) })),
        ...(opts.baseTimestampMs !== undefined ? { baseTimestampMs: opts.baseTimestampMs + i * recordsPerBatch } : {}),
      }),
    );
  }
  return Buffer.concat(parts);
}

/** Splits concatenated batches into views of each batch. */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const total = buf.readInt32BE(at + 8) + 12;
    out.push(buf.subarray(at, at + total));
    at += total;
  }
  return out;
}

/** Reads one batch's records back (uncompressed): offsets, timestamps, values. */
export function readRecords(batchBuf: Buffer): { offset: number; timestampMs: number; key: Buffer | null; value: Buffer | null }[] {
  const baseOffset = Number(batchBuf.readBigInt64BE(0));
  const baseTimestamp = Number(batchBuf.readBigInt64BE(27));
  const count = batchBuf.readInt32BE(57);
  let pos = 61;
  const readVarint = (): number => {
    let raw = 0;
    let scale = 1;
    for (;;) {
      const b = batchBuf[pos++]!;
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  };
  const readBytes = (): Buffer | null => {
    const len = readVarint();
    if (len < 0) return null;
    const b = batchBuf.subarray(pos, pos + len);
    pos += len;
    return b;
  };
  const out: { offset: number; timestampMs: number; key: Buffer | null; value: Buffer | null }[] = [];
  for (let i = 0; i < count; i++) {
    const len = readVarint();
    const end = pos + len;
    pos++; // attributes
    const tsDelta = readVarint();
    const offsetDelta = readVarint();
    const key = readBytes();
    const value = readBytes();
    out.push({ offset: baseOffset + offsetDelta, timestampMs: baseTimestamp + tsDelta, key, value });
    pos = end;
  }
  return out;
}
