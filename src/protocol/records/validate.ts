/**
 * Validation of the `records` bytes of one partition in a Produce request: one or more record
 * batches v2 back to back (layout in batch.ts). Called by handlers/produce.ts on every request, so
 * the default path only scans integers: batch headers, CRC32C (native) and, for uncompressed
 * batches, the varint structure of each record. No per-record objects, no BigInt per record.
 *
 * Which error for which fault (the rule behind the choices below):
 * - corruptMessage: the bytes cannot be framed as batches, so they were plausibly damaged on the
 *   way (trailing partial batch, batchLength < 49, unknown magic, CRC32C mismatch). Clients retry.
 * - unsupportedForMessageFormat: magic 0/1 message sets; we only store magic 2 (the produce handler
 *   up-converts them for Produce v0-2 with legacy.ts, so this kind is a routing signal there).
 * - messageTooLarge: a batch's total size (incl. baseOffset and batchLength) > maxBatchBytes, or a
 *   compressed payload that expands past maxDecompressedBytes (deep validation).
 * - invalidRecord: inside a CRC-valid batch, i.e. exactly what the producer encoded, and wrong:
 *   bad record count or lastOffsetDelta, records that do not parse (a timestampDelta outside
 *   ±2^52 ms counts: varint.ts range) or do not exactly fill the
 *   batch, unknown codec id 5-7, a compressed payload that does not decompress. Not retriable,
 *   since a retry would resend the same bytes.
 * Policy that needs the request version (exactly one batch for Produce v3+, zstd only from v7,
 * no control batches from clients) stays in the handler; the summary reports what it needs.
 *
 * Deep validation (decompress and walk compressed batches) is off by default. `deepValidate: true`
 * does it synchronously (tools, tests, recovery); `validateRecordSetDeep` / `validateCompressedBatch`
 * do it asynchronously for callers that must look inside on a live path.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  BATCH_ATTRIBUTES_OFFSET,
  BATCH_CRC_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LAST_OFFSET_DELTA_OFFSET,
  BATCH_LENGTH_MIN,
  BATCH_LENGTH_PREFIX_BYTES,
  BATCH_MAGIC_OFFSET,
  BATCH_MAGIC_V2,
  BATCH_MAX_TIMESTAMP_OFFSET,
  BATCH_PRODUCER_ID_OFFSET,
  BATCH_RECORD_COUNT_OFFSET,
  NO_TIMESTAMP,
  readInt64Number,
} from './batch.js';
import { CompressionError, decompress, decompressSync, isCodecId, type DecompressOptions } from './compression.js';
import { crc32c } from './crc32c.js';
import { DecodeError, readVarint, readVarlong, type Cursor } from './varint.js';

export type RecordSetErrorKind = 'corruptMessage' | 'messageTooLarge' | 'unsupportedForMessageFormat' | 'invalidRecord';

export interface RecordSetSummary {
  ok: true;
  batchCount: number;
  /** Sum of the batches' recordCount fields. */
  recordCount: number;
  /** Sum of lastOffsetDelta + 1: how many offsets appending the set consumes. */
  offsetCount: number;
  firstBatchCompression: number;
  /** Bit (1 << codec) set for every codec used by some batch (Produce < v7 must not carry zstd). */
  codecMask: number;
  /** Largest header maxTimestamp over all batches, NO_TIMESTAMP (-1) if none is set. */
  maxTimestamp: number;
  /** Producer fields of the first batch (Produce v3+ carries exactly one batch per partition). */
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
  hasControlBatch: boolean;
}

export interface RecordSetFailure {
  ok: false;
  error: RecordSetErrorKind;
  detail: string;
  /** Index of the offending batch, and its byte position in the record set. */
  batchIndex: number;
  position: number;
}

export type RecordSetValidation = RecordSetSummary | RecordSetFailure;

export interface ValidateOptions {
  /** Largest accepted batch, baseOffset and batchLength included (topic max.message.bytes). */
  maxBatchBytes: number;
  /** Also decompress compressed batches (synchronously) and walk their records. Default false. */
  deepValidate?: boolean;
  /** Cap for deep validation's decompressed payloads; see compression.ts for the default. */
  maxDecompressedBytes?: number;
  /** Accept batches with recordCount 0 (compacted logs keep them; producers never send them). */
  allowEmptyBatches?: boolean;
}

/** A structural fault found while decoding a batch outside the validator (readRecords, recompress). */
export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
  constructor(
    readonly kind: RecordSetErrorKind,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind}: ${detail}`, options);
  }
}

/** The shortest record: length varint (1) + attributes, timestampDelta, offsetDelta, key, value, headers. */
const RECORD_BYTES_MIN = 7;
const RECORD_BODY_BYTES_MIN = 6;

/**
 * Walks `count` records laid out in buf[start, end) and checks they parse and exactly fill the
 * range. `contiguous` requires offsetDelta === index (what producers write); otherwise deltas must
 * strictly increase and stay ≤ lastOffsetDelta (compacted batches have gaps). Returns null when
 * fine, else a detail string. Allocates nothing on success beyond one cursor.
 */
export function checkRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  lastOffsetDelta: number,
  contiguous: boolean,
): string | null {
  if (count < 0) return `negative record count ${count}`;
  if (count > (end - start) / RECORD_BYTES_MIN) return `recordCount ${count} cannot fit in ${end - start} bytes`;
  const cur: Cursor = { pos: start, end };
  let previousDelta = -1;
  try {
    for (let i = 0; i < count; i++) {
      cur.end = end;
      if (cur.pos >= end) return `batch holds ${i} records, recordCount says ${count}`;
      const recordStart = cur.pos;
      const bodyBytes = readVarint(buf, cur);
      if (bodyBytes < RECORD_BODY_BYTES_MIN || bodyBytes > end - cur.pos) {
        return `record ${i} at ${recordStart}: length ${bodyBytes} outside [${RECORD_BODY_BYTES_MIN}, ${end - cur.pos}]`;
      }
      const recordEnd = cur.pos + bodyBytes;
      cur.end = recordEnd;
      cur.pos++; // attributes: unused in v2
      // timestampDelta: read, not skipped, so that the ±2^52 range of varint.ts holds for what we
      // store; a record outside it could not be read back (compaction, down-conversion, tools).
      readVarlong(buf, cur);
      const offsetDelta = readVarint(buf, cur);
      if (contiguous ? offsetDelta !== i : offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta) {
        return `record ${i} at ${recordStart}: offsetDelta ${offsetDelta} out of sequence`;
      }
      previousDelta = offsetDelta;
      for (let field = 0; field < 2; field++) {
        const length = readVarint(buf, cur); // key, then value; -1 = null
        if (length < -1 || length > recordEnd - cur.pos) return `record ${i} at ${recordStart}: bad key/value length ${length}`;
        if (length > 0) cur.pos += length;
      }
      const headerCount = readVarint(buf, cur);
      if (headerCount < 0 || headerCount > (recordEnd - cur.pos) / 2) {
        return `record ${i} at ${recordStart}: bad header count ${headerCount}`;
      }
      for (let h = 0; h < headerCount; h++) {
        const keyBytes = readVarint(buf, cur); // header keys are non-null strings
        if (keyBytes < 0 || keyBytes > recordEnd - cur.pos) return `record ${i} at ${recordStart}: bad header key length ${keyBytes}`;
        cur.pos += keyBytes;
        const valueBytes = readVarint(buf, cur);
        if (valueBytes < -1 || valueBytes > recordEnd - cur.pos) return `record ${i} at ${recordStart}: bad header value length ${valueBytes}`;
        if (valueBytes > 0) cur.pos += valueBytes;
      }
      if (cur.pos !== recordEnd) return `record ${i} at ${recordStart}: fields end at ${cur.pos}, length says ${recordEnd}`;
    }
  } catch (err) {
    // Expected for malformed client bytes: a varint ran past its record or was overlong.
    if (err instanceof DecodeError) return `record varint at ${err.position}: ${err.reason}`;
    throw err;
  }
  if (cur.pos !== end) return `${end - cur.pos} bytes after the last of ${count} records`;
  return null;
}

function failure(error: RecordSetErrorKind, detail: string, batchIndex: number, position: number): RecordSetFailure {
  return { ok: false, error, detail, batchIndex, position };
}

/** The per-batch checks that need no decompression. Returns null when the batch at `at` is fine. */
function checkBatchShallow(
  records: Buffer,
  at: number,
  index: number,
  opts: ValidateOptions,
): RecordSetFailure | null {
  const remaining = records.length - at;
  if (remaining < BATCH_MAGIC_OFFSET + 1) {
    return failure('corruptMessage', `trailing partial batch: ${remaining} bytes`, index, at);
  }
  const magic = records.readInt8(at + BATCH_MAGIC_OFFSET);
  if (magic === 0 || magic === 1) {
    return failure('unsupportedForMessageFormat', `magic ${magic} message set; only magic 2 is accepted`, index, at);
  }
  if (magic !== BATCH_MAGIC_V2) return failure('corruptMessage', `unknown magic ${magic}`, index, at);
  const batchLength = records.readInt32BE(at + 8);
  if (batchLength < BATCH_LENGTH_MIN) return failure('corruptMessage', `batchLength ${batchLength} < ${BATCH_LENGTH_MIN}`, index, at);
  const totalBytes = batchLength + BATCH_LENGTH_PREFIX_BYTES;
  if (totalBytes > remaining) {
    return failure('corruptMessage', `batch of ${totalBytes} bytes runs past the ${remaining} remaining`, index, at);
  }
  if (totalBytes > opts.maxBatchBytes) {
    return failure('messageTooLarge', `batch of ${totalBytes} bytes exceeds ${opts.maxBatchBytes}`, index, at);
  }
  const end = at + totalBytes;
  const storedCrc = records.readUInt32BE(at + BATCH_CRC_OFFSET);
  const crc = crc32c(records.subarray(at + BATCH_ATTRIBUTES_OFFSET, end));
  if (crc !== storedCrc) {
    return failure('corruptMessage', `CRC32C mismatch: stored ${storedCrc}, computed ${crc}`, index, at);
  }
  const attributes = records.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  if (!isCodecId(codec)) return failure('invalidRecord', `unknown compression codec id ${codec}`, index, at);
  const recordCount = records.readInt32BE(at + BATCH_RECORD_COUNT_OFFSET);
  const lastOffsetDelta = records.readInt32BE(at + BATCH_LAST_OFFSET_DELTA_OFFSET);
  if (recordCount < 0) return failure('invalidRecord', `negative recordCount ${recordCount}`, index, at);
  if (recordCount === 0) {
    if (opts.allowEmptyBatches !== true) return failure('invalidRecord', 'batch has no records', index, at);
    if (lastOffsetDelta < -1) return failure('invalidRecord', `lastOffsetDelta ${lastOffsetDelta} < -1`, index, at);
  } else if (lastOffsetDelta !== recordCount - 1) {
    return failure('invalidRecord', `lastOffsetDelta ${lastOffsetDelta} inconsistent with recordCount ${recordCount}`, index, at);
  }
  const recordsStart = at + BATCH_HEADER_BYTES;
  if (codec === 0) {
    const detail = checkRecords(records, recordsStart, end, recordCount, lastOffsetDelta, true);
    if (detail !== null) return failure('invalidRecord', detail, index, at);
  } else if (recordCount > 0 && recordsStart === end) {
    return failure('invalidRecord', `compressed batch of ${recordCount} records has an empty payload`, index, at);
  }
  return null;
}

/** Maps a decompression failure to the validation result. */
function compressionFailure(err: CompressionError, index: number, at: number): RecordSetFailure {
  return failure(err.kind === 'tooLarge' ? 'messageTooLarge' : 'invalidRecord', err.message, index, at);
}

/** Walks the records of an already decompressed payload of the batch at `at`. */
function checkInflated(records: Buffer, at: number, inflated: Buffer, index: number): RecordSetFailure | null {
  const count = records.readInt32BE(at + BATCH_RECORD_COUNT_OFFSET);
  const lastOffsetDelta = records.readInt32BE(at + BATCH_LAST_OFFSET_DELTA_OFFSET);
  const detail = checkRecords(inflated, 0, inflated.length, count, lastOffsetDelta, true);
  return detail === null ? null : failure('invalidRecord', `inside compressed payload: ${detail}`, index, at);
}

/**
 * Validates the record set of one Produce partition (see the header for the error rules).
 * Never throws on any input bytes; assertion-free on client data.
 */
export function validateRecordSet(records: Buffer, opts: ValidateOptions): RecordSetValidation {
  if (records.length === 0) return failure('invalidRecord', 'record set holds no batches', 0, 0);
  const summary: RecordSetSummary = {
    ok: true,
    batchCount: 0,
    recordCount: 0,
    offsetCount: 0,
    firstBatchCompression: 0,
    codecMask: 0,
    maxTimestamp: NO_TIMESTAMP,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    hasControlBatch: false,
  };
  let at = 0;
  let index = 0;
  while (at < records.length) {
    const bad = checkBatchShallow(records, at, index, opts);
    if (bad !== null) return bad;
    const totalBytes = records.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
    const attributes = records.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET);
    const codec = attributes & ATTR_COMPRESSION_MASK;
    if (codec !== 0 && opts.deepValidate === true) {
      const deep = checkCompressedSync(records, at, totalBytes, index, opts);
      if (deep !== null) return deep;
    }
    const recordCount = records.readInt32BE(at + BATCH_RECORD_COUNT_OFFSET);
    if (index === 0) {
      summary.firstBatchCompression = codec;
      summary.producerId = records.readBigInt64BE(at + BATCH_PRODUCER_ID_OFFSET);
      summary.producerEpoch = records.readInt16BE(at + BATCH_PRODUCER_ID_OFFSET + 8);
      summary.baseSequence = records.readInt32BE(at + BATCH_PRODUCER_ID_OFFSET + 10);
      summary.transactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
    }
    summary.codecMask |= 1 << codec;
    summary.hasControlBatch ||= (attributes & ATTR_CONTROL) !== 0;
    summary.recordCount += recordCount;
    summary.offsetCount += records.readInt32BE(at + BATCH_LAST_OFFSET_DELTA_OFFSET) + 1;
    const maxTimestamp = readInt64Number(records, at + BATCH_MAX_TIMESTAMP_OFFSET);
    if (maxTimestamp > summary.maxTimestamp) summary.maxTimestamp = maxTimestamp;
    summary.batchCount++;
    index++;
    at += totalBytes;
  }
  return summary;
}

function checkCompressedSync(
  records: Buffer,
  at: number,
  totalBytes: number,
  index: number,
  opts: DecompressOptions,
): RecordSetFailure | null {
  const codec = records.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
  let inflated: Buffer;
  try {
    inflated = decompressSync(codec, records.subarray(at + BATCH_HEADER_BYTES, at + totalBytes), opts);
  } catch (err) {
    // Expected for bad client payloads: decompressSync throws only CompressionError.
    if (err instanceof CompressionError) return compressionFailure(err, index, at);
    throw err;
  }
  return checkInflated(records, at, inflated, index);
}

export interface CompressedBatchSummary {
  ok: true;
  recordCount: number;
  /** Size of the records once decompressed (the payload itself for codec 0). */
  uncompressedBytes: number;
}

export type CompressedBatchValidation = CompressedBatchSummary | RecordSetFailure;

export interface CompressedBatchOptions extends DecompressOptions {
  /** As in ValidateOptions; default false. */
  allowEmptyBatches?: boolean;
}

/**
 * Looks inside one batch (exactly one, `batch.length` = its total size): decompresses the payload
 * off the event loop where the codec allows, and checks the records parse and match recordCount.
 * Header and CRC are checked first, so this is safe on unvalidated bytes too. Never throws on input.
 */
export async function validateCompressedBatch(
  batchBytes: Buffer,
  opts: CompressedBatchOptions = {},
): Promise<CompressedBatchValidation> {
  const header = checkBatchShallow(batchBytes, 0, 0, {
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
    allowEmptyBatches: opts.allowEmptyBatches === true,
  });
  if (header !== null) return header;
  const totalBytes = batchBytes.readInt32BE(8) + BATCH_LENGTH_PREFIX_BYTES;
  if (totalBytes !== batchBytes.length) {
    return failure('corruptMessage', `buffer of ${batchBytes.length} bytes holds a batch of ${totalBytes}`, 0, 0);
  }
  const codec = batchBytes.readInt16BE(BATCH_ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
  const payload = batchBytes.subarray(BATCH_HEADER_BYTES);
  let inflated: Buffer;
  try {
    inflated = await decompress(codec, payload, opts);
  } catch (err) {
    // Expected for bad client payloads: decompress rejects only with CompressionError.
    if (err instanceof CompressionError) return compressionFailure(err, 0, 0);
    throw err;
  }
  const bad = codec === 0 ? null : checkInflated(batchBytes, 0, inflated, 0);
  if (bad !== null) return bad;
  return { ok: true, recordCount: batchBytes.readInt32BE(BATCH_RECORD_COUNT_OFFSET), uncompressedBytes: inflated.length };
}

/** `validateRecordSet` plus asynchronous deep validation of every compressed batch. */
export async function validateRecordSetDeep(records: Buffer, opts: ValidateOptions): Promise<RecordSetValidation> {
  const shallow = validateRecordSet(records, { ...opts, deepValidate: false });
  if (!shallow.ok) return shallow;
  let at = 0;
  for (let index = 0; at < records.length; index++) {
    const totalBytes = records.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
    if ((records.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) !== 0) {
      const deep = await validateCompressedBatch(records.subarray(at, at + totalBytes), opts);
      if (!deep.ok) return { ...deep, batchIndex: index, position: at };
    }
    at += totalBytes;
  }
  return shallow;
}
