/**
 * Building record batches v2 from record objects, and reading them back into objects. For our own
 * tools (CLI producer/consumer, dump-log), tests, compaction and the fetch/compat paths that must
 * look inside; never the Produce/Fetch hot path, which moves batches as bytes.
 *
 * Building sizes every record first (one pass computing varint sizes and UTF-8 lengths), then
 * writes into a single allocation; compressed batches add the codec's output buffer and one copy.
 * Builder input comes from our code, so bad input (empty record list, deltas out of order, codec
 * id outside 0-4) is our bug and trips an assertion. Reading faces stored or client bytes, so it
 * throws typed errors: RecordBatchError (validate.ts) for structure, CompressionError for payloads.
 *
 * Record layout (inside the batch, or inside the decompressed payload):
 *   length varint | attributes int8 (unused, 0) | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *   headerCount varint | headers: keyLength varint, key (UTF-8), valueLength varint (-1 = null), value
 */
import assert from 'node:assert/strict';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_ATTRIBUTES_OFFSET,
  BATCH_BASE_TIMESTAMP_OFFSET,
  BATCH_CRC_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LAST_OFFSET_DELTA_OFFSET,
  BATCH_LENGTH_PREFIX_BYTES,
  BATCH_MAGIC_OFFSET,
  BATCH_MAGIC_V2,
  BATCH_MAX_TIMESTAMP_OFFSET,
  BATCH_PRODUCER_ID_OFFSET,
  BATCH_RECORD_COUNT_OFFSET,
  NO_TIMESTAMP,
  readInt64Number,
  writeInt64Number,
} from './batch.js';
import { compress, compressSync, decompress, decompressSync, isCodecId, type DecompressOptions } from './compression.js';
import { crc32c } from './crc32c.js';
import { RecordBatchError } from './validate.js';
import {
  DecodeError,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
  type Cursor,
} from './varint.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the batch's base timestamp. */
  timestampMs?: number;
  /** Defaults to the record's index; set to keep gaps (compaction) when re-encoding. */
  offsetDelta?: number;
}

export interface BuildRecordBatchOptions {
  baseOffset?: number;
  /** Default -1 (NO_PARTITION_LEADER_EPOCH), as producers send it. */
  partitionLeaderEpoch?: number;
  records: RecordInput[];
  /** Codec id 0-4; default 0. */
  compression?: number;
  /** Defaults -1 / -1 / -1: a non-idempotent producer. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  timestampType?: 'create' | 'logAppend';
  transactional?: boolean;
  control?: boolean;
  /** Default: the smallest record timestamp, or NO_TIMESTAMP (-1) when no record has one. */
  baseTimestampMs?: number;
  /** Default: the last record's offsetDelta. Larger only for compacted batches. */
  lastOffsetDelta?: number;
  /** Codec level (gzip, zstd). */
  compressionLevel?: number;
}

export interface RecordOutput {
  offset: number;
  timestampMs: number;
  /** Views into the batch (or its decompressed payload), not copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface ReadRecordsOptions extends DecompressOptions {
  /** Check the batch CRC32C before decoding (default true). */
  verifyCrc?: boolean;
}

const INT32_MAX = 0x7fffffff;
const NO_HEADERS: readonly RecordHeader[] = [];

interface Plan {
  baseTimestampMs: number;
  maxTimestampMs: number;
  lastOffsetDelta: number;
  /** Encoded size of each record body, i.e. without its own length prefix. */
  bodyBytes: number[];
  totalRecordBytes: number;
}

function nullableBytes(b: Buffer | null): number {
  return b === null ? sizeOfVarint(-1) : sizeOfVarint(b.length) + b.length;
}

/** First pass: timestamps, offset deltas and every record's encoded size. */
function plan(opts: BuildRecordBatchOptions): Plan {
  const records = opts.records;
  assert(records.length > 0, 'a record batch needs at least one record');
  let minTs = Number.POSITIVE_INFINITY;
  for (const r of records) {
    if (r.timestampMs !== undefined) {
      assert(Number.isSafeInteger(r.timestampMs), `timestamp not an integer: ${r.timestampMs}`);
      if (r.timestampMs < minTs) minTs = r.timestampMs;
    }
  }
  const baseTimestampMs = opts.baseTimestampMs ?? (minTs === Number.POSITIVE_INFINITY ? NO_TIMESTAMP : minTs);
  assert(Number.isSafeInteger(baseTimestampMs), `base timestamp not an integer: ${baseTimestampMs}`);
  let maxTimestampMs = Number.NEGATIVE_INFINITY;
  let previousDelta = -1;
  const bodyBytes: number[] = new Array<number>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = r.timestampMs ?? baseTimestampMs;
    if (ts > maxTimestampMs) maxTimestampMs = ts;
    const offsetDelta = r.offsetDelta ?? i;
    assert(Number.isInteger(offsetDelta) && offsetDelta > previousDelta && offsetDelta <= INT32_MAX, `offsetDelta ${offsetDelta} out of order`);
    previousDelta = offsetDelta;
    let body = 1 + sizeOfVarlong(ts - baseTimestampMs) + sizeOfVarint(offsetDelta) + nullableBytes(r.key) + nullableBytes(r.value);
    const headers = r.headers ?? NO_HEADERS;
    body += sizeOfVarint(headers.length);
    for (const h of headers) {
      const keyBytes = Buffer.byteLength(h.key, 'utf8');
      body += sizeOfVarint(keyBytes) + keyBytes + nullableBytes(h.value);
    }
    bodyBytes[i] = body;
    total += sizeOfVarint(body) + body;
  }
  const lastOffsetDelta = opts.lastOffsetDelta ?? previousDelta;
  assert(lastOffsetDelta >= previousDelta && lastOffsetDelta <= INT32_MAX, `lastOffsetDelta ${lastOffsetDelta} below the last record's`);
  return { baseTimestampMs, maxTimestampMs, lastOffsetDelta, bodyBytes, totalRecordBytes: total };
}

function writeNullableBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

/** Second pass: writes the records at `pos` in `buf`; returns the end position. */
function writeRecords(buf: Buffer, pos: number, opts: BuildRecordBatchOptions, p: Plan): number {
  const records = opts.records;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const body = p.bodyBytes[i]!;
    pos = writeVarint(buf, pos, body);
    const bodyStart = pos;
    buf[pos++] = 0; // attributes
    pos = writeVarlong(buf, pos, (r.timestampMs ?? p.baseTimestampMs) - p.baseTimestampMs);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeNullableBytes(buf, pos, r.key);
    pos = writeNullableBytes(buf, pos, r.value);
    const headers = r.headers ?? NO_HEADERS;
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      pos = writeVarint(buf, pos, Buffer.byteLength(h.key, 'utf8'));
      pos += buf.write(h.key, pos, 'utf8');
      pos = writeNullableBytes(buf, pos, h.value);
    }
    assert.equal(pos - bodyStart, body, 'record size plan and write disagree');
  }
  return pos;
}

function attributesOf(opts: BuildRecordBatchOptions, codec: number): number {
  let attributes = codec;
  if (opts.timestampType === 'logAppend') attributes |= ATTR_TIMESTAMP_LOG_APPEND;
  if (opts.transactional === true) attributes |= ATTR_TRANSACTIONAL;
  if (opts.control === true) attributes |= ATTR_CONTROL;
  return attributes;
}

/** Fills the 61-byte header of `out` (records/payload already in place) and seals the CRC. */
function writeHeader(out: Buffer, opts: BuildRecordBatchOptions, p: Plan, codec: number): void {
  const producerEpoch = opts.producerEpoch ?? -1;
  const baseSequence = opts.baseSequence ?? -1;
  assert(producerEpoch >= -1 && producerEpoch <= 0x7fff, `producerEpoch out of range: ${producerEpoch}`);
  writeInt64Number(out, 0, opts.baseOffset ?? 0);
  out.writeInt32BE(out.length - BATCH_LENGTH_PREFIX_BYTES, 8);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  out.writeInt8(BATCH_MAGIC_V2, BATCH_MAGIC_OFFSET);
  out.writeInt16BE(attributesOf(opts, codec), BATCH_ATTRIBUTES_OFFSET);
  out.writeInt32BE(p.lastOffsetDelta, BATCH_LAST_OFFSET_DELTA_OFFSET);
  writeInt64Number(out, BATCH_BASE_TIMESTAMP_OFFSET, p.baseTimestampMs);
  writeInt64Number(out, BATCH_MAX_TIMESTAMP_OFFSET, p.maxTimestampMs);
  out.writeBigInt64BE(opts.producerId ?? -1n, BATCH_PRODUCER_ID_OFFSET);
  out.writeInt16BE(producerEpoch, BATCH_PRODUCER_ID_OFFSET + 8);
  out.writeInt32BE(baseSequence, BATCH_PRODUCER_ID_OFFSET + 10);
  out.writeInt32BE(opts.records.length, BATCH_RECORD_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(BATCH_ATTRIBUTES_OFFSET)), BATCH_CRC_OFFSET);
}

function codecOf(opts: BuildRecordBatchOptions): number {
  const codec = opts.compression ?? 0;
  assert(isCodecId(codec), `compression must be a codec id 0-4, got ${codec}`);
  return codec;
}

/** Header + payload in one buffer. */
function assemble(opts: BuildRecordBatchOptions, p: Plan, codec: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
  payload.copy(out, BATCH_HEADER_BYTES);
  writeHeader(out, opts, p, codec);
  return out;
}

/** Builds one batch; synchronous compression (blocks the event loop for the codec's run time). */
export function buildRecordBatchSync(opts: BuildRecordBatchOptions): Buffer {
  const codec = codecOf(opts);
  const p = plan(opts);
  if (codec === 0) {
    const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + p.totalRecordBytes);
    writeRecords(out, BATCH_HEADER_BYTES, opts, p);
    writeHeader(out, opts, p, codec);
    return out;
  }
  const raw = Buffer.allocUnsafe(p.totalRecordBytes);
  writeRecords(raw, 0, opts, p);
  const level = opts.compressionLevel === undefined ? undefined : { level: opts.compressionLevel };
  return assemble(opts, p, codec, compressSync(codec, raw, level));
}

/** Builds one batch; compression runs off the event loop where the codec allows (see compression.ts). */
export async function buildRecordBatch(opts: BuildRecordBatchOptions): Promise<Buffer> {
  const codec = codecOf(opts);
  if (codec === 0) return buildRecordBatchSync(opts);
  const p = plan(opts);
  const raw = Buffer.allocUnsafe(p.totalRecordBytes);
  writeRecords(raw, 0, opts, p);
  const level = opts.compressionLevel === undefined ? undefined : { level: opts.compressionLevel };
  return assemble(opts, p, codec, await compress(codec, raw, level));
}

// ---------------------------------------------------------------------------------------------
// reading

/** Header checks shared by the readers; throws RecordBatchError. Returns the codec id. */
function checkBatchForRead(b: Buffer, opts: ReadRecordsOptions | undefined): number {
  if (b.length < BATCH_HEADER_BYTES) throw new RecordBatchError('corruptMessage', `${b.length} bytes is shorter than a batch header`);
  const magic = b.readInt8(BATCH_MAGIC_OFFSET);
  if (magic !== BATCH_MAGIC_V2) {
    const kind = magic === 0 || magic === 1 ? 'unsupportedForMessageFormat' : 'corruptMessage';
    throw new RecordBatchError(kind, `magic ${magic}`);
  }
  const totalBytes = b.readInt32BE(8) + BATCH_LENGTH_PREFIX_BYTES;
  if (totalBytes !== b.length) throw new RecordBatchError('corruptMessage', `buffer of ${b.length} bytes holds a batch of ${totalBytes}`);
  if (opts?.verifyCrc !== false) {
    const crc = crc32c(b.subarray(BATCH_ATTRIBUTES_OFFSET));
    if (crc !== b.readUInt32BE(BATCH_CRC_OFFSET)) throw new RecordBatchError('corruptMessage', 'CRC32C mismatch');
  }
  const codec = b.readInt16BE(BATCH_ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
  if (!isCodecId(codec)) throw new RecordBatchError('invalidRecord', `unknown compression codec id ${codec}`);
  return codec;
}

function readNullableBytes(buf: Buffer, cur: Cursor): Buffer | null {
  const length = readVarint(buf, cur);
  if (length === -1) return null;
  if (length < -1 || length > cur.end - cur.pos) throw new RecordBatchError('invalidRecord', `bad length ${length} at ${cur.pos}`);
  const out = buf.subarray(cur.pos, cur.pos + length);
  cur.pos += length;
  return out;
}

/** Decodes the records of batch `b` found in buf (the batch itself, or its decompressed payload). */
function parseRecords(b: Buffer, buf: Buffer, start: number): RecordOutput[] {
  const count = b.readInt32BE(BATCH_RECORD_COUNT_OFFSET);
  if (count < 0 || count > buf.length - start) throw new RecordBatchError('invalidRecord', `bad recordCount ${count}`);
  const baseOffset = readInt64Number(b, 0);
  const baseTimestampMs = readInt64Number(b, BATCH_BASE_TIMESTAMP_OFFSET);
  const logAppendTime = (b.readInt16BE(BATCH_ATTRIBUTES_OFFSET) & ATTR_TIMESTAMP_LOG_APPEND) !== 0;
  const maxTimestampMs = readInt64Number(b, BATCH_MAX_TIMESTAMP_OFFSET);
  const out: RecordOutput[] = [];
  const cur: Cursor = { pos: start, end: buf.length };
  try {
    for (let i = 0; i < count; i++) {
      cur.end = buf.length;
      const length = readVarint(buf, cur);
      if (length < 1 || length > buf.length - cur.pos) throw new RecordBatchError('invalidRecord', `record ${i}: bad length ${length}`);
      const recordEnd = cur.pos + length;
      cur.end = recordEnd;
      cur.pos++; // attributes
      const timestampDelta = readVarlong(buf, cur);
      const offsetDelta = readVarint(buf, cur);
      const key = readNullableBytes(buf, cur);
      const value = readNullableBytes(buf, cur);
      const headerCount = readVarint(buf, cur);
      if (headerCount < 0 || headerCount > recordEnd - cur.pos) throw new RecordBatchError('invalidRecord', `record ${i}: bad header count ${headerCount}`);
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const hk = readNullableBytes(buf, cur);
        if (hk === null) throw new RecordBatchError('invalidRecord', `record ${i}: null header key`);
        headers.push({ key: hk.toString('utf8'), value: readNullableBytes(buf, cur) });
      }
      if (cur.pos !== recordEnd) throw new RecordBatchError('invalidRecord', `record ${i}: fields end at ${cur.pos}, length says ${recordEnd}`);
      out.push({
        offset: baseOffset + offsetDelta,
        // With LogAppendTime the broker's time lives in maxTimestamp and applies to every record.
        timestampMs: logAppendTime ? maxTimestampMs : baseTimestampMs + timestampDelta,
        key,
        value,
        headers,
      });
    }
  } catch (err) {
    // Expected for malformed bytes: convert the varint reader's error into the batch-level one.
    if (err instanceof DecodeError) throw new RecordBatchError('invalidRecord', err.message, { cause: err });
    throw err;
  }
  if (cur.pos !== buf.length) throw new RecordBatchError('invalidRecord', `${buf.length - cur.pos} bytes after the last record`);
  return out;
}

/**
 * Decodes every record of one batch (exactly one: `b.length` must be its total size). Throws
 * RecordBatchError or CompressionError on bad bytes. Synchronous decompression.
 */
export function readRecordsSync(b: Buffer, opts?: ReadRecordsOptions): RecordOutput[] {
  const codec = checkBatchForRead(b, opts);
  if (codec === 0) return parseRecords(b, b, BATCH_HEADER_BYTES);
  return parseRecords(b, decompressSync(codec, b.subarray(BATCH_HEADER_BYTES), opts), 0);
}

/** `readRecordsSync` with asynchronous decompression. */
export async function readRecords(b: Buffer, opts?: ReadRecordsOptions): Promise<RecordOutput[]> {
  const codec = checkBatchForRead(b, opts);
  if (codec === 0) return parseRecords(b, b, BATCH_HEADER_BYTES);
  return parseRecords(b, await decompress(codec, b.subarray(BATCH_HEADER_BYTES), opts), 0);
}

/**
 * Indexes (counted across the whole record set, in order) of the records that have no key, for
 * the compacted-topic rule of Produce. Only called for topics with cleanup.policy=compact, so the
 * decompression it needs costs nothing elsewhere. `recordSet` must have passed validateRecordSet.
 */
export async function keylessRecordIndexes(recordSet: Buffer, opts?: ReadRecordsOptions): Promise<number[]> {
  const keyless: number[] = [];
  let index = 0;
  for (let at = 0; at < recordSet.length; ) {
    const totalBytes = recordSet.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
    for (const r of await readRecords(recordSet.subarray(at, at + totalBytes), opts)) {
      if (r.key === null) keyless.push(index);
      index++;
    }
    at += totalBytes;
  }
  return keyless;
}
