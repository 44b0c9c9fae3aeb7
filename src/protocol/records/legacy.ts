/**
 * Legacy message sets (magic 0 and 1, the formats of Kafka before 0.11): decoding with CRC checks,
 * encoding, and conversion to and from record batch v2 (magic 2), which is all Samsa stores.
 * Callers: handlers/produce.ts (up-conversion of Produce v0-2) and handlers/fetch-down-convert.ts
 * (down-conversion for Fetch v0-3). The v2 path never comes here: validate.ts reports magic 0/1 and
 * only then does the produce handler call this file.
 *
 * Byte layout (big-endian). A message set is entries back to back, without a count:
 *   entry   := offset int64 | messageSize int32 | message (messageSize bytes)
 *   message := crc uint32 | magic int8 | attributes int8 | [timestamp int64: magic 1 only] |
 *              keyLength int32 (-1 = null) | key | valueLength int32 (-1 = null) | value
 * crc is CRC-32 (IEEE, zlib's polynomial; not the CRC32C of v2) over magic..end of the message.
 * attributes: bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4; zstd exists only from magic 2),
 * bit 3 timestamp type (magic 1: 0 CreateTime, 1 LogAppendTime), bits 4-7 unused.
 * Smallest message: 14 bytes (magic 0) or 22 (magic 1), with null key and value. The magic byte
 * sits at byte 16 of an entry, where a v2 batch keeps its own magic, so one read tells the formats
 * apart (validate.ts does it and reports unsupportedForMessageFormat).
 *
 * Compression wraps messages: a wrapper message with codec != 0 (key null) carries as its value the
 * compressed bytes of an inner message set of uncompressed messages of the same magic.
 * - magic 0: inner offsets are absolute (producers write 0..n-1); the wrapper's offset is that of
 *   the last inner message.
 * - magic 1 (KIP-31): inner offsets are relative (0..n-1, with gaps after compaction); the wrapper's
 *   offset is the absolute offset of the last inner message, so inner message i has the absolute
 *   offset wrapperOffset - lastRelative + relative_i.
 * - magic 1 timestamps (KIP-32): with CreateTime every inner message keeps its own timestamp and the
 *   wrapper holds the largest; with LogAppendTime the wrapper's timestamp (the broker's clock)
 *   applies to every inner message and the inner timestamps are ignored.
 * Codec quirks: Java writers frame snappy the xerial way (we read raw blocks too and write xerial).
 * LZ4 payloads are LZ4 frames, but in magic 0 the frame header checksum byte (HC) was computed over
 * the frame's magic number plus its descriptor instead of the descriptor alone (KAFKA-3160). KIP-57
 * kept that broken byte for magic 0 and uses the correct one from magic 1 on: we repair it before
 * decoding a magic-0 payload and write it broken when encoding one, as Kafka does.
 *
 * Conversions (Kafka's behaviour; KIP-31/32, KIP-283 for bounded down-conversion):
 * - up (Produce v0-2): every record of the set goes into ONE v2 batch: offsets become deltas
 *   0..n-1 (the log assigns real ones), keys, values and timestamps are kept (magic 0 has none:
 *   NO_TIMESTAMP, -1; a LogAppendTime topic stamps the batch when it is appended), no headers, no
 *   producer id. A set holding compressed wrappers becomes a batch compressed with the wrappers'
 *   codec (or the topic's compression.type when that names a codec), a set of plain messages an
 *   uncompressed batch. The new batch is checked against max.message.bytes again.
 * - down (Fetch v0-3): each stored batch becomes messages of the client's magic, in order, until a
 *   byte budget is used: an uncompressed batch gives one message per record (records below the
 *   fetch offset are dropped), a compressed batch one wrapper with the batch's own codec holding
 *   all its records (old clients skip inner offsets below the one they asked for). Control batches
 *   are skipped; headers are dropped (no place for them before magic 2); a zstd batch cannot be
 *   expressed and stops the conversion (the handler answers UNSUPPORTED_COMPRESSION_TYPE).
 *
 * Errors: every fault in client or stored bytes throws RecordBatchError (validate.ts), whose kind
 * names the Kafka error: corruptMessage (framing, CRC, truncation), invalidRecord (structure inside
 * a CRC-valid message: nested compression, inner magic differing from the wrapper's, an empty or
 * null wrapper, a payload that does not decompress, a timestamp out of range), messageTooLarge (a
 * message over the limit, a payload expanding past the cap). No other error escapes on any input
 * (fuzzed in test/protocol/records/legacy.test.ts).
 */
import { crc32 as nativeCrc32 } from '@node-rs/crc32';
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_LOG_APPEND,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC_OFFSET,
  BATCH_MAGIC_V2,
  batch,
  Compression,
  NO_TIMESTAMP,
  readInt64Number,
  writeInt64Number,
} from './batch.js';
import { buildRecordBatch, readRecords, type RecordOutput } from './builder.js';
import {
  CODEC_LZ4,
  CODEC_SNAPPY,
  compress,
  compressSnappyXerial,
  CompressionError,
  decompress,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
} from './compression.js';
import { RecordBatchError } from './validate.js';
import { xxhash32 } from './xxhash32.js';

export type LegacyMagic = 0 | 1;

/** offset int64 + messageSize int32: the bytes of an entry before its message. */
export const LEGACY_LOG_OVERHEAD_BYTES = 12;
const ENTRY_CRC_OFFSET = 12;
const ENTRY_MAGIC_OFFSET = 16;
const ENTRY_ATTRIBUTES_OFFSET = 17;
const ENTRY_TIMESTAMP_OFFSET = 18;
/** crc + magic + attributes + keyLength + valueLength (+ timestamp for magic 1). */
const MESSAGE_BYTES_MIN: readonly [number, number] = [14, 22];
const ATTR_CODEC_MASK = 0x07;
const ATTR_LOG_APPEND_TIME = 0x08;
/** The codecs a legacy message can name. */
const LEGACY_CODEC_MAX = Compression.Lz4;
/** Timestamps we accept from magic 1 messages: NO_TIMESTAMP or [0, 2^52) ms (≈142,000 years). */
const TIMESTAMP_MS_MAX = 2 ** 52 - 1;
const LZ4_FRAME_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);

/** One message as decoded: a plain message, or an inner message of a wrapper (offset resolved). */
export interface LegacyMessage {
  /** Absolute offset (for inner messages of magic 1: resolved from the wrapper's). */
  offset: number;
  magic: LegacyMagic;
  /** Codec of the message that carried this one: 0 for plain messages, the wrapper's for inner ones. */
  codec: number;
  logAppendTime: boolean;
  /** NO_TIMESTAMP (-1) for magic 0. */
  timestampMs: number;
  /** Views into the input (or its decompressed payload), not copies. */
  key: Buffer | null;
  value: Buffer | null;
}

export interface ReadMessageSetOptions {
  /** A truncated last entry: 'error' (Produce: the client sent it whole) or 'ignore' (a fetched set). */
  partialTail: 'error' | 'ignore';
  /** Largest entry (12 + messageSize) accepted: the topic's max.message.bytes. Default unlimited. */
  entryBytesMax?: number;
}

export interface DecodeLegacyOptions extends ReadMessageSetOptions {
  /** Cap on the decompressed bytes of all wrappers together (default DECOMPRESSED_BYTES_MAX_DEFAULT). */
  maxDecompressedBytes?: number;
}

export function crc32(data: Buffer): number {
  return nativeCrc32(data) >>> 0;
}

function corrupt(detail: string): RecordBatchError {
  return new RecordBatchError('corruptMessage', detail);
}

function invalid(detail: string): RecordBatchError {
  return new RecordBatchError('invalidRecord', detail);
}

/** Reads a nullable int32-length byte field of the message ending at `end`; returns [value, next position]. */
function readBytesField(buf: Buffer, pos: number, end: number, what: string, at: number): [Buffer | null, number] {
  const length = buf.readInt32BE(pos);
  pos += 4;
  if (length === -1) return [null, pos];
  if (length < -1 || length > end - pos) throw invalid(`message at ${at}: ${what} length ${length} outside [-1, ${end - pos}]`);
  return [buf.subarray(pos, pos + length), pos + length];
}

/**
 * Shallow parse: every entry of a message set, CRC-32 checked, wrappers not opened (their `value`
 * is the compressed payload, `codec` their own). Throws RecordBatchError.
 */
export function readMessageSet(buf: Buffer, opts: ReadMessageSetOptions): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let at = 0;
  while (at < buf.length) {
    const remaining = buf.length - at;
    if (remaining <= ENTRY_MAGIC_OFFSET) {
      if (opts.partialTail === 'ignore') break;
      throw corrupt(`trailing partial message: ${remaining} bytes at ${at}`);
    }
    const messageBytes = buf.readInt32BE(at + 8);
    const magic = buf.readInt8(at + ENTRY_MAGIC_OFFSET);
    if (magic === BATCH_MAGIC_V2) throw invalid(`record batch (magic 2) at ${at} inside a magic 0/1 message set`);
    if (magic !== 0 && magic !== 1) throw corrupt(`unknown magic ${magic} at ${at}`);
    if (messageBytes < MESSAGE_BYTES_MIN[magic]) throw corrupt(`message at ${at}: size ${messageBytes} < ${MESSAGE_BYTES_MIN[magic]}`);
    const entryBytes = LEGACY_LOG_OVERHEAD_BYTES + messageBytes;
    if (entryBytes > remaining) {
      if (opts.partialTail === 'ignore') break;
      throw corrupt(`message at ${at} of ${entryBytes} bytes runs past the ${remaining} remaining`);
    }
    if (opts.entryBytesMax !== undefined && entryBytes > opts.entryBytesMax) {
      throw new RecordBatchError('messageTooLarge', `message at ${at} of ${entryBytes} bytes exceeds ${opts.entryBytesMax}`);
    }
    const end = at + entryBytes;
    const storedCrc = buf.readUInt32BE(at + ENTRY_CRC_OFFSET);
    const crc = crc32(buf.subarray(at + ENTRY_MAGIC_OFFSET, end));
    if (crc !== storedCrc) throw corrupt(`message at ${at}: CRC-32 mismatch: stored ${storedCrc}, computed ${crc}`);
    const attributes = buf[at + ENTRY_ATTRIBUTES_OFFSET]!;
    let pos = at + ENTRY_TIMESTAMP_OFFSET;
    let timestampMs = NO_TIMESTAMP;
    if (magic === 1) {
      timestampMs = readInt64Number(buf, pos);
      pos += 8;
      if (timestampMs !== NO_TIMESTAMP && (timestampMs < 0 || timestampMs > TIMESTAMP_MS_MAX)) {
        throw invalid(`message at ${at}: timestamp ${timestampMs} out of range`);
      }
    }
    const [key, afterKey] = readBytesField(buf, pos, end - 4, 'key', at);
    const [value, afterValue] = readBytesField(buf, afterKey, end, 'value', at);
    if (afterValue !== end) throw invalid(`message at ${at}: fields end at ${afterValue}, size says ${end}`);
    out.push({
      offset: readInt64Number(buf, at),
      magic,
      codec: attributes & ATTR_CODEC_MASK,
      logAppendTime: magic === 1 && (attributes & ATTR_LOG_APPEND_TIME) !== 0,
      timestampMs,
      key,
      value,
    });
    at = end;
  }
  return out;
}

/** Position of the header checksum byte of the LZ4 frame at the start of `payload`, or -1. */
function lz4HeaderChecksumAt(payload: Buffer): number {
  if (payload.length < 7 || payload.compare(LZ4_FRAME_MAGIC, 0, 4, 0, 4) !== 0) return -1;
  const flg = payload[4]!;
  const at = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
  return at < payload.length ? at : -1;
}

/** A copy of a magic-0 LZ4 payload with the frame header checksum recomputed the correct way. */
export function repairLz4HeaderChecksum(payload: Buffer): Buffer {
  const at = lz4HeaderChecksumAt(payload);
  if (at < 0) return payload; // not a frame: the decoder reports it
  const fixed = Buffer.from(payload);
  fixed[at] = (xxhash32(payload.subarray(4, at)) >>> 8) & 0xff;
  return fixed;
}

/** Rewrites (in place) the frame header checksum the magic-0 way: over the frame magic too. */
export function breakLz4HeaderChecksum(frame: Buffer): Buffer {
  const at = lz4HeaderChecksumAt(frame);
  if (at >= 0) frame[at] = (xxhash32(frame.subarray(0, at)) >>> 8) & 0xff;
  return frame;
}

/**
 * Deep decode: every record of a message set in order, wrappers decompressed and their inner
 * messages resolved to absolute offsets and effective timestamps. Throws RecordBatchError.
 */
export async function decodeLegacyRecords(buf: Buffer, opts: DecodeLegacyOptions): Promise<LegacyMessage[]> {
  const outer = readMessageSet(buf, opts);
  let inflatedBudget = opts.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
  const out: LegacyMessage[] = [];
  for (const wrapper of outer) {
    if (wrapper.codec === Compression.None) {
      out.push(wrapper);
      continue;
    }
    if (wrapper.codec > LEGACY_CODEC_MAX) throw invalid(`compression codec id ${wrapper.codec} does not exist for magic ${wrapper.magic}`);
    if (wrapper.value === null) throw invalid(`compressed message at offset ${wrapper.offset} has a null value`);
    const payload = wrapper.codec === CODEC_LZ4 && wrapper.magic === 0 ? repairLz4HeaderChecksum(wrapper.value) : wrapper.value;
    let inflated: Buffer;
    try {
      inflated = await decompress(wrapper.codec, payload, { maxDecompressedBytes: inflatedBudget });
    } catch (err) {
      // Expected for bad client payloads: decompress rejects only with CompressionError.
      if (!(err instanceof CompressionError)) throw err;
      throw new RecordBatchError(err.kind === 'tooLarge' ? 'messageTooLarge' : 'invalidRecord', err.message, { cause: err });
    }
    inflatedBudget -= inflated.length;
    const inner = readMessageSet(inflated, { partialTail: 'error' });
    if (inner.length === 0) throw invalid(`compressed message at offset ${wrapper.offset} holds no messages`);
    const lastRelative = inner[inner.length - 1]!.offset;
    for (const m of inner) {
      if (m.magic !== wrapper.magic) throw invalid(`inner message of magic ${m.magic} inside a magic ${wrapper.magic} wrapper`);
      if (m.codec !== Compression.None) throw invalid('compressed message nested inside a compressed message');
      out.push({
        offset: wrapper.magic === 1 ? wrapper.offset - lastRelative + m.offset : m.offset,
        magic: m.magic,
        codec: wrapper.codec,
        logAppendTime: wrapper.logAppendTime,
        timestampMs: wrapper.logAppendTime ? wrapper.timestampMs : m.timestampMs,
        key: m.key,
        value: m.value,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// encoding

export interface LegacyRecordInput {
  /** Absolute offset. */
  offset: number;
  /** Ignored for magic 0; default NO_TIMESTAMP. */
  timestampMs?: number;
  key: Buffer | null;
  value: Buffer | null;
}

function messageBytes(magic: LegacyMagic, key: Buffer | null, value: Buffer | null): number {
  return MESSAGE_BYTES_MIN[magic] + (key?.length ?? 0) + (value?.length ?? 0);
}

function writeBytesField(out: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return out.writeInt32BE(-1, pos);
  pos = out.writeInt32BE(b.length, pos);
  return pos + b.copy(out, pos);
}

/** Writes one entry at `pos`; returns its end. */
function writeEntry(
  out: Buffer,
  pos: number,
  magic: LegacyMagic,
  offset: number,
  attributes: number,
  timestampMs: number,
  key: Buffer | null,
  value: Buffer | null,
): number {
  const start = pos;
  writeInt64Number(out, pos, offset);
  out.writeInt32BE(messageBytes(magic, key, value), pos + 8);
  pos += ENTRY_MAGIC_OFFSET;
  out.writeInt8(magic, pos++);
  out.writeUInt8(attributes, pos++);
  if (magic === 1) {
    writeInt64Number(out, pos, timestampMs);
    pos += 8;
  }
  pos = writeBytesField(out, pos, key);
  pos = writeBytesField(out, pos, value);
  out.writeUInt32BE(crc32(out.subarray(start + ENTRY_MAGIC_OFFSET, pos)), start + ENTRY_CRC_OFFSET);
  return pos;
}

/** Uncompressed messages, offsets as given; `logAppendTime` sets the magic-1 timestamp-type bit. */
export function encodeLegacyMessageSet(magic: LegacyMagic, records: readonly LegacyRecordInput[], logAppendTime = false): Buffer {
  let total = 0;
  for (const r of records) total += LEGACY_LOG_OVERHEAD_BYTES + messageBytes(magic, r.key, r.value);
  const out = Buffer.allocUnsafe(total);
  const attributes = magic === 1 && logAppendTime ? ATTR_LOG_APPEND_TIME : 0;
  let pos = 0;
  for (const r of records) pos = writeEntry(out, pos, magic, r.offset, attributes, r.timestampMs ?? NO_TIMESTAMP, r.key, r.value);
  return out;
}

/** Compresses an inner message set with `codec` the way legacy writers do (xerial snappy, magic-0 LZ4 checksum). */
async function compressLegacyPayload(magic: LegacyMagic, codec: number, inner: Buffer): Promise<Buffer> {
  if (codec === CODEC_SNAPPY) return compressSnappyXerial(inner);
  const out = await compress(codec, inner);
  return codec === CODEC_LZ4 && magic === 0 ? breakLz4HeaderChecksum(Buffer.from(out)) : out;
}

/**
 * One wrapper entry holding `records` (absolute offsets, ascending) compressed with `codec` (1-3).
 * `logAppendTimeMs` (magic 1) marks the wrapper and its messages LogAppendTime with that time.
 */
export async function encodeLegacyWrapper(
  magic: LegacyMagic,
  codec: number,
  records: readonly LegacyRecordInput[],
  logAppendTimeMs: number | null = null,
): Promise<Buffer> {
  if (codec < 1 || codec > LEGACY_CODEC_MAX) throw new RangeError(`legacy codec must be 1-3, got ${codec}`);
  if (records.length === 0) throw new RangeError('a wrapper needs at least one record');
  const first = records[0]!.offset;
  const last = records[records.length - 1]!.offset;
  const logAppendTime = magic === 1 && logAppendTimeMs !== null;
  let maxTimestampMs = NO_TIMESTAMP;
  const inner = records.map((r) => {
    const timestampMs = logAppendTime ? logAppendTimeMs : (r.timestampMs ?? NO_TIMESTAMP);
    if (timestampMs > maxTimestampMs) maxTimestampMs = timestampMs;
    return { offset: magic === 1 ? r.offset - first : r.offset, timestampMs, key: r.key, value: r.value };
  });
  const payload = await compressLegacyPayload(magic, codec, encodeLegacyMessageSet(magic, inner, logAppendTime));
  const out = Buffer.allocUnsafe(LEGACY_LOG_OVERHEAD_BYTES + messageBytes(magic, null, payload));
  const attributes = codec | (logAppendTime ? ATTR_LOG_APPEND_TIME : 0);
  writeEntry(out, 0, magic, last, attributes, maxTimestampMs, null, payload);
  return out;
}

// ---------------------------------------------------------------------------------------------
// up-conversion (Produce v0-2)

export interface UpConvertOptions {
  /** Topic max.message.bytes: bound for each incoming entry and for the resulting batch. */
  maxBatchBytes: number;
  /** Codec the topic's compression.type demands, or null (`producer`): keep the wrappers' codec. */
  targetCompression: number | null;
  maxDecompressedBytes?: number;
}

export interface UpConverted {
  /** One v2 batch (baseOffset 0, offsets to be assigned by the log). */
  batch: Buffer;
  recordCount: number;
  /** Codec of the (last) compressed wrapper, 0 when the set had none. */
  sourceCompression: number;
  /** Indexes (in the set, in order) of records without a key. */
  keyless: number[];
}

/** Converts the magic 0/1 `records` of one Produce partition into a v2 batch. Throws RecordBatchError. */
export async function upConvertLegacyRecordSet(records: Buffer, opts: UpConvertOptions): Promise<UpConverted> {
  const decodeOpts: DecodeLegacyOptions = { partialTail: 'error', entryBytesMax: opts.maxBatchBytes };
  if (opts.maxDecompressedBytes !== undefined) decodeOpts.maxDecompressedBytes = opts.maxDecompressedBytes;
  const messages = await decodeLegacyRecords(records, decodeOpts);
  if (messages.length === 0) throw invalid('message set holds no messages');
  let sourceCompression = 0;
  const keyless: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.codec !== 0) sourceCompression = m.codec;
    if (m.key === null) keyless.push(i);
  }
  const v2 = await buildRecordBatch({
    records: messages.map((m) => ({ key: m.key, value: m.value, timestampMs: m.timestampMs })),
    compression: opts.targetCompression ?? sourceCompression,
  });
  if (v2.length > opts.maxBatchBytes) {
    throw new RecordBatchError('messageTooLarge', `converted record batch of ${v2.length} bytes exceeds ${opts.maxBatchBytes}`);
  }
  return { batch: v2, recordCount: messages.length, sourceCompression, keyless };
}

// ---------------------------------------------------------------------------------------------
// down-conversion (Fetch v0-3)

export interface DownConvertOptions {
  toMagic: LegacyMagic;
  /** Records of uncompressed batches below this offset are left out. */
  fetchOffset: number;
  /** Byte budget for the converted set. */
  bytesMax: number;
  /** Return the first message (or wrapper) even when it alone exceeds bytesMax. */
  minOneMessage: boolean;
  maxDecompressedBytes?: number;
}

export interface DownConverted {
  records: Buffer;
  /** Offset after the last batch fully converted (or skipped): where reading may continue. */
  nextOffset: number;
  /** The budget stopped the conversion before the input was used up. */
  full: boolean;
  /** A zstd batch stopped the conversion (at nextOffset). */
  zstdAt: number | null;
}

/**
 * A v2 timestamp as magic 1 can carry it: NO_TIMESTAMP or [0, 2^52). A v2 batch may hold any
 * int64 (a raw producer can send a negative one); writing that into a magic 1 message would give
 * old clients a message that legacy readers, ours included, refuse (found by the fuzzer).
 */
function legacyTimestamp(timestampMs: number): number {
  return timestampMs >= 0 && timestampMs <= TIMESTAMP_MS_MAX ? timestampMs : NO_TIMESTAMP;
}

function legacyInput(r: RecordOutput): LegacyRecordInput {
  return { offset: r.offset, timestampMs: legacyTimestamp(r.timestampMs), key: r.key, value: r.value };
}

/**
 * Converts whole v2 batches (as a log read returns them) into a message set of `toMagic`, stopping
 * at the byte budget. Throws RecordBatchError for batches that do not decode.
 */
export async function downConvertRecordBatches(batches: Buffer, opts: DownConvertOptions): Promise<DownConverted> {
  const parts: Buffer[] = [];
  let used = 0;
  let nextOffset = opts.fetchOffset;
  const fits = (bytes: number): boolean => used + bytes <= opts.bytesMax || (used === 0 && opts.minOneMessage);
  const readOpts = { maxDecompressedBytes: opts.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT };
  for (let at = 0; at < batches.length; ) {
    if (batches.length - at < BATCH_HEADER_BYTES) throw corrupt(`partial batch at ${at}`);
    const totalBytes = batch.totalBytes(batches, at);
    if (totalBytes < BATCH_HEADER_BYTES || totalBytes > batches.length - at) throw corrupt(`batch at ${at} of ${totalBytes} bytes does not fit`);
    const one = batches.subarray(at, at + totalBytes);
    at += totalBytes;
    if (one.readInt8(BATCH_MAGIC_OFFSET) !== BATCH_MAGIC_V2) throw corrupt(`stored batch of magic ${one.readInt8(BATCH_MAGIC_OFFSET)}`);
    const attributes = batch.attributes(one);
    const codec = batch.compression(one);
    if ((attributes & ATTR_CONTROL) !== 0) {
      nextOffset = Math.max(nextOffset, batch.lastOffset(one) + 1);
      continue;
    }
    if (codec === Compression.Zstd) return { records: Buffer.concat(parts), nextOffset, full: false, zstdAt: nextOffset };
    let records: RecordOutput[];
    try {
      records = await readRecords(one, readOpts);
    } catch (err) {
      // Stored bytes that do not decompress are corrupt; keep the one error type of this file.
      if (!(err instanceof CompressionError)) throw err;
      throw corrupt(err.message);
    }
    const logAppendTime = (attributes & ATTR_TIMESTAMP_LOG_APPEND) !== 0;
    if (codec === Compression.None) {
      const taken: LegacyRecordInput[] = [];
      let full = false;
      for (const r of records) {
        if (r.offset < opts.fetchOffset) continue;
        const bytes = LEGACY_LOG_OVERHEAD_BYTES + messageBytes(opts.toMagic, r.key, r.value);
        if (!fits(bytes)) {
          full = true;
          break;
        }
        taken.push(legacyInput(r));
        used += bytes;
        nextOffset = r.offset + 1;
      }
      if (taken.length > 0) parts.push(encodeLegacyMessageSet(opts.toMagic, taken, logAppendTime));
      if (full) return { records: Buffer.concat(parts), nextOffset, full: true, zstdAt: null };
    } else if (records.length > 0) {
      const wrapper = await encodeLegacyWrapper(opts.toMagic, codec, records.map(legacyInput), logAppendTime ? legacyTimestamp(batch.maxTimestamp(one)) : null);
      if (!fits(wrapper.length)) return { records: Buffer.concat(parts), nextOffset, full: true, zstdAt: null };
      parts.push(wrapper);
      used += wrapper.length;
    }
    nextOffset = Math.max(nextOffset, batch.lastOffset(one) + 1);
  }
  return { records: parts.length === 1 ? parts[0]! : Buffer.concat(parts), nextOffset, full: false, zstdAt: null };
}
