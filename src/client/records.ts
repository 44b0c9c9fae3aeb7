/**
 * Record batches (magic 2) on the client side: an incremental builder for the producer and a
 * decoder for the consumer. Layout as in protocol/records/batch.ts.
 *
 * Why not protocol/records/builder.ts: that builder takes a finished list of record objects, and
 * its module loads every compression codec (three native libraries, ~100 ms) at import time. The
 * producer instead appends each record's bytes straight into the batch buffer as it arrives (no
 * per-record object), and both directions load the codecs only when a batch is actually compressed,
 * which keeps the command-line tools' start-up short.
 *
 * Builder lifecycle: create with a capacity, tryAppend() until it returns false (full) or the
 * producer decides to send, then seal() (uncompressed, synchronous) or sealCompressed() (async), after
 * which the builder must not be used again.
 */
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_LOG_APPEND, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES } from '../protocol/records/batch.js';
import { crc32c } from '../protocol/records/crc32c.js';

export interface RecordHeader {
  key: string;
  value: Buffer | string | null;
}

export type Bytes = Buffer | string | null;

type CompressionModule = typeof import('../protocol/records/compression.js');
let compressionModule: Promise<CompressionModule> | null = null;
/** The codecs, loaded on first use. */
export function loadCompression(): Promise<CompressionModule> {
  compressionModule ??= import('../protocol/records/compression.js');
  return compressionModule;
}

export const CODECS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Codec id for a Kafka compression.type name (also accepts 'uncompressed'); undefined if unknown. */
export function codecId(name: string): number | undefined {
  const n = name.trim().toLowerCase();
  if (n === 'uncompressed' || n === '') return 0;
  return CODECS[n];
}

function sizeOfUnsignedVarint(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

function sizeOfVarint(v: number): number {
  return sizeOfUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
}

function sizeOfVarlong(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function writeUnsignedVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUnsignedVarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
}

function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

function bytesLength(b: Bytes): number {
  if (b === null) return -1;
  return typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : b.length;
}

function fieldSize(len: number): number {
  return len < 0 ? 1 : sizeOfVarint(len) + len;
}

function writeField(buf: Buffer, pos: number, b: Bytes, len: number): number {
  pos = writeVarint(buf, pos, len);
  if (len <= 0) return pos;
  if (typeof b === 'string') return pos + buf.write(b, pos, len, 'utf8');
  return pos + (b as Buffer).copy(buf, pos);
}

function writeInt64(b: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / 0x100000000);
  b.writeInt32BE(hi, at);
  b.writeUInt32BE(value - hi * 0x100000000, at + 4);
}

function readInt64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 0x100000000 + b.readUInt32BE(at + 4);
}

/** The encoded size of one record including its length prefix (what tryAppend adds). */
export function recordSize(timestampDelta: number, offsetDelta: number, key: Bytes, value: Bytes, headers: readonly RecordHeader[] | null | undefined): number {
  let body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + fieldSize(bytesLength(key)) + fieldSize(bytesLength(value));
  const hs = headers ?? [];
  body += sizeOfVarint(hs.length);
  for (const h of hs) body += fieldSize(Buffer.byteLength(h.key, 'utf8')) + fieldSize(bytesLength(h.value));
  return sizeOfVarint(body) + body;
}

/**
 * First buffer of a batch: small (from Node's shared pool), doubled as records arrive up to the
 * capacity. A producer with many partitions holds one open batch per partition; allocating
 * batch.size for each made 100 producers × 100 keyed partitions hold ~160 MB of mostly empty
 * buffers and spend a fifth of their CPU in allocation and GC (bench P6).
 */
const BATCH_INITIAL_BYTES = 2048;

export class RecordBatchBuilder {
  #buf: Buffer;
  #pos = BATCH_HEADER_BYTES;
  #count = 0;
  #baseTimestampMs = -1;
  #maxTimestampMs = -1;
  readonly capacityBytes: number;

  constructor(capacityBytes: number) {
    this.capacityBytes = Math.max(capacityBytes, BATCH_HEADER_BYTES + 64);
    this.#buf = Buffer.allocUnsafe(Math.min(this.capacityBytes, BATCH_INITIAL_BYTES));
  }

  get count(): number {
    return this.#count;
  }
  /** Bytes used so far (header included). */
  get sizeBytes(): number {
    return this.#pos;
  }
  get baseTimestampMs(): number {
    return this.#baseTimestampMs;
  }

  /**
   * Appends a record; returns false without writing when it would overflow the capacity of a
   * non-empty batch. A record larger than the capacity goes alone into a grown buffer.
   */
  tryAppend(timestampMs: number, key: Bytes, value: Bytes, headers: readonly RecordHeader[] | null | undefined): boolean {
    if (this.#count === 0) {
      this.#baseTimestampMs = timestampMs;
      this.#maxTimestampMs = timestampMs;
    }
    const tsDelta = timestampMs - this.#baseTimestampMs;
    const offsetDelta = this.#count;
    const keyLen = bytesLength(key);
    const valueLen = bytesLength(value);
    const hs = headers ?? null;
    let body = 1 + sizeOfVarlong(tsDelta) + sizeOfVarint(offsetDelta) + fieldSize(keyLen) + fieldSize(valueLen);
    if (hs === null) body += 1;
    else {
      body += sizeOfVarint(hs.length);
      for (const h of hs) body += fieldSize(Buffer.byteLength(h.key, 'utf8')) + fieldSize(bytesLength(h.value));
    }
    const total = sizeOfVarint(body) + body;
    if (this.#pos + total > this.#buf.length) {
      const needed = this.#pos + total;
      if (needed > this.capacityBytes && this.#count > 0) return false;
      // Double up to the capacity (a record larger than the capacity gets a buffer of its own size).
      const grown = Buffer.allocUnsafe(needed > this.capacityBytes ? needed : Math.min(this.capacityBytes, Math.max(needed, this.#buf.length * 2)));
      this.#buf.copy(grown, 0, 0, this.#pos);
      this.#buf = grown;
    }
    const buf = this.#buf;
    let pos = writeVarint(buf, this.#pos, body);
    buf[pos++] = 0; // record attributes
    pos = writeVarlong(buf, pos, tsDelta);
    pos = writeVarint(buf, pos, offsetDelta);
    pos = writeField(buf, pos, key, keyLen);
    pos = writeField(buf, pos, value, valueLen);
    if (hs === null) buf[pos++] = 0;
    else {
      pos = writeVarint(buf, pos, hs.length);
      for (const h of hs) {
        pos = writeField(buf, pos, h.key, Buffer.byteLength(h.key, 'utf8'));
        pos = writeField(buf, pos, h.value, bytesLength(h.value));
      }
    }
    this.#pos = pos;
    this.#count++;
    if (timestampMs > this.#maxTimestampMs) this.#maxTimestampMs = timestampMs;
    return true;
  }

  /** Finishes an uncompressed batch; returns a view of the builder's buffer. */
  seal(): Buffer {
    const out = this.#buf.subarray(0, this.#pos);
    this.#writeHeader(out, 0);
    return out;
  }

  /** Finishes a batch compressed with `codec` (1-4); codec 0 is seal(). */
  async sealCompressed(codec: number, level?: number): Promise<Buffer> {
    if (codec === 0) return this.seal();
    const { compress } = await loadCompression();
    const payload = await compress(codec, this.#buf.subarray(BATCH_HEADER_BYTES, this.#pos), level === undefined ? undefined : { level });
    const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
    payload.copy(out, BATCH_HEADER_BYTES);
    this.#writeHeader(out, codec);
    return out;
  }

  #writeHeader(out: Buffer, codec: number): void {
    writeInt64(out, 0, 0); // baseOffset: the broker assigns it
    out.writeInt32BE(out.length - 12, 8);
    out.writeInt32BE(-1, 12); // partitionLeaderEpoch
    out.writeInt8(2, 16); // magic
    out.writeInt16BE(codec & ATTR_COMPRESSION_MASK, 21);
    out.writeInt32BE(this.#count - 1, 23); // lastOffsetDelta
    writeInt64(out, 27, this.#baseTimestampMs);
    writeInt64(out, 35, this.#maxTimestampMs);
    writeInt64(out, 43, -1); // producerId
    out.writeInt16BE(-1, 51); // producerEpoch
    out.writeInt32BE(-1, 53); // baseSequence
    out.writeInt32BE(this.#count, 57);
    out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  }
}

// ---------------------------------------------------------------------------------------------
// decoding

export interface ConsumedHeader {
  key: string;
  value: Buffer | null;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestampMs: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** Views into the fetched (or decompressed) bytes. */
  key: Buffer | null;
  value: Buffer | null;
  headers: ConsumedHeader[];
  leaderEpoch: number;
}

export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
}

export interface DecodeOptions {
  topic: string;
  partition: number;
  /** Records below this offset are skipped (a fetch may start inside a batch). */
  fetchOffset: number;
  checkCrcs: boolean;
  /** read_committed: aborted transactions from the Fetch response (sorted or not). */
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  /** Decode the records of control batches too (dump tools); consumers leave this off. */
  includeControl?: boolean;
}

export interface DecodeResult {
  /** Offset to fetch next: after the last complete batch seen (fetchOffset when none was complete). */
  nextOffset: number;
}

const NO_HEADERS: ConsumedHeader[] = [];

/**
 * Decodes every complete batch in a Fetch response's record set into `out`. A trailing partial
 * batch (the broker may cut the set at the byte limit) is ignored. Control batches (unless
 * includeControl) and, with abortedTransactions, records of aborted transactions are skipped but
 * still advance nextOffset.
 */
export async function decodeRecordSet(records: Buffer, opts: DecodeOptions, out: ConsumedRecord[]): Promise<DecodeResult> {
  let pos = 0;
  let nextOffset = opts.fetchOffset;
  const aborted = opts.abortedTransactions && opts.abortedTransactions.length > 0
    ? [...opts.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0))
    : null;
  let abortedIndex = 0;
  const abortingProducers = new Set<bigint>();
  while (pos + 12 <= records.length) {
    const batchLength = records.readInt32BE(pos + 8);
    const total = batchLength + 12;
    if (batchLength < 49 || pos + total > records.length) break; // partial batch at the end
    const magic = records.readInt8(pos + 16);
    if (magic !== 2) throw new CorruptRecordError(`${opts.topic}-${opts.partition}: record batch with magic ${magic} at offset ${readInt64(records, pos)} is not supported`);
    const b = records.subarray(pos, pos + total);
    pos += total;
    const baseOffset = readInt64(b, 0);
    const lastOffset = baseOffset + b.readInt32BE(23);
    if (opts.checkCrcs && crc32c(b.subarray(21)) !== b.readUInt32BE(17)) {
      throw new CorruptRecordError(`${opts.topic}-${opts.partition}: record batch at offset ${baseOffset} fails its CRC check`);
    }
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
    if (lastOffset < opts.fetchOffset) continue;
    const attributes = b.readInt16BE(21);
    const producerId = b.readBigInt64BE(43);
    if (aborted) {
      while (abortedIndex < aborted.length && Number(aborted[abortedIndex]!.firstOffset) <= lastOffset) {
        abortingProducers.add(aborted[abortedIndex]!.producerId);
        abortedIndex++;
      }
    }
    if ((attributes & ATTR_CONTROL) !== 0) {
      // An abort/commit marker ends that producer's transaction.
      abortingProducers.delete(producerId);
      if (!opts.includeControl) continue;
    }
    if (aborted && (attributes & ATTR_TRANSACTIONAL) !== 0 && abortingProducers.has(producerId)) continue;
    const codec = attributes & ATTR_COMPRESSION_MASK;
    let data = b;
    let start = BATCH_HEADER_BYTES;
    if (codec !== 0) {
      const { decompress } = await loadCompression();
      data = await decompress(codec, b.subarray(BATCH_HEADER_BYTES));
      start = 0;
    }
    parseBatchRecords(b, data, start, baseOffset, attributes, opts, out);
  }
  return { nextOffset };
}

function parseBatchRecords(b: Buffer, data: Buffer, start: number, baseOffset: number, attributes: number, opts: DecodeOptions, out: ConsumedRecord[]): void {
  const count = b.readInt32BE(57);
  const baseTimestampMs = readInt64(b, 27);
  const logAppend = (attributes & ATTR_TIMESTAMP_LOG_APPEND) !== 0;
  const maxTimestampMs = readInt64(b, 35);
  const leaderEpoch = b.readInt32BE(12);
  const end = data.length;
  let pos = start;
  const bad = (what: string): never => {
    throw new CorruptRecordError(`${opts.topic}-${opts.partition}: batch at offset ${baseOffset}: ${what}`);
  };
  const uvarint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) bad('truncated varint');
      const byte = data[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) bad('varint too long');
    }
  };
  const varint = (): number => {
    const u = uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  };
  const bytes = (): Buffer | null => {
    const len = varint();
    if (len < 0) return null;
    if (pos + len > end) bad('field overruns the batch');
    const v = data.subarray(pos, pos + len);
    pos += len;
    return v;
  };
  for (let i = 0; i < count; i++) {
    const length = varint();
    const recordEnd = pos + length;
    if (length < 1 || recordEnd > end) bad(`record ${i} has bad length ${length}`);
    pos++; // attributes
    const timestampDelta = varint();
    const offsetDelta = varint();
    const key = bytes();
    const value = bytes();
    const headerCount = varint();
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      headers = [];
      for (let h = 0; h < headerCount; h++) {
        const hk = bytes();
        headers.push({ key: hk === null ? '' : hk.toString('utf8'), value: bytes() });
      }
    }
    pos = recordEnd;
    const offset = baseOffset + offsetDelta;
    if (offset < opts.fetchOffset) continue;
    out.push({
      topic: opts.topic,
      partition: opts.partition,
      offset,
      timestampMs: logAppend ? maxTimestampMs : baseTimestampMs + timestampDelta,
      timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
      key,
      value,
      headers,
      leaderEpoch,
    });
  }
}
