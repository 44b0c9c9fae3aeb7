/**
 * A pre-built record batch v2 template for the perf tools: up to `recordsMax` records, each with a
 * null key, a `recordSize`-byte value and no headers, all with timestampDelta 0. A batch of k
 * records is the template's first k records, so building one is a single copy plus a header patch
 * and one native CRC32C over the batch: no per-record work and no allocation on the hot path.
 *
 * Value bytes are random upper-case letters, as Kafka's ProducerPerformance sends. The first 16
 * bytes of the first record's value may be overwritten per batch (stamp) by the end-to-end latency
 * tool; CRC is computed after that.
 */
import { crc32c } from '../../protocol/records/crc32c.js';

export const BATCH_HEADER_BYTES = 61;

function zigzag(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function varintBytes(v: number): number {
  let u = zigzag(v);
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

function writeVarint(b: Buffer, at: number, v: number): number {
  let u = zigzag(v);
  while (u >= 0x80) {
    b[at++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  b[at++] = u;
  return at;
}

export class BatchTemplate {
  readonly template: Buffer;
  /** recordEnd[k] = bytes of a batch holding the first k records (header included). */
  private readonly recordEnd: Int32Array;
  /** Byte position of the first record's value inside the batch. */
  readonly firstValueAt: number;

  constructor(
    readonly recordSize: number,
    readonly recordsMax: number,
  ) {
    const value = Buffer.allocUnsafe(recordSize);
    for (let i = 0; i < recordSize; i++) value[i] = 65 + Math.floor(Math.random() * 26);
    const ends = new Int32Array(recordsMax + 1);
    let size = BATCH_HEADER_BYTES;
    ends[0] = size;
    for (let i = 0; i < recordsMax; i++) {
      const body = 1 + 1 + varintBytes(i) + 1 + varintBytes(recordSize) + recordSize + 1;
      size += varintBytes(body) + body;
      ends[i + 1] = size;
    }
    const b = Buffer.alloc(size);
    let at = BATCH_HEADER_BYTES;
    let firstValueAt = -1;
    for (let i = 0; i < recordsMax; i++) {
      const body = 1 + 1 + varintBytes(i) + 1 + varintBytes(recordSize) + recordSize + 1;
      at = writeVarint(b, at, body);
      b[at++] = 0; // attributes
      at = writeVarint(b, at, 0); // timestampDelta
      at = writeVarint(b, at, i); // offsetDelta
      at = writeVarint(b, at, -1); // key: null
      at = writeVarint(b, at, recordSize);
      if (i === 0) firstValueAt = at;
      value.copy(b, at);
      at += recordSize;
      at = writeVarint(b, at, 0); // headers
    }
    if (at !== size) throw new Error(`template size ${at} != ${size}`);
    b.writeBigInt64BE(0n, 0);
    b.writeInt32BE(-1, 12); // partitionLeaderEpoch
    b.writeInt8(2, 16); // magic
    b.writeInt16BE(0, 21); // attributes: no compression, CreateTime
    b.writeBigInt64BE(-1n, 43); // producerId
    b.writeInt16BE(-1, 51); // producerEpoch
    b.writeInt32BE(-1, 53); // baseSequence
    this.template = b;
    this.recordEnd = ends;
    this.firstValueAt = firstValueAt;
  }

  /** Bytes of a batch holding k records. */
  bytesFor(k: number): number {
    return this.recordEnd[k]!;
  }

  /** Records of `recordSize` that fit a batch of at most `batchBytes` (at least 1). */
  static recordsPerBatch(recordSize: number, batchBytes: number): number {
    const per = recordSize + 8; // value + record overhead for small offset deltas
    return Math.max(1, Math.floor((batchBytes - BATCH_HEADER_BYTES) / per));
  }

  /**
   * Writes a k-record batch at dst[at..] with the given timestamp (ms); `stamp` (optional) writes
   * two float64s into the first record's value before the CRC. Returns the batch's byte length.
   */
  writeInto(dst: Buffer, at: number, k: number, timestampMs: number, stampA = -1, stampB = -1): number {
    const n = this.recordEnd[k]!;
    this.template.copy(dst, at, 0, n);
    dst.writeInt32BE(n - 12, at + 8);
    dst.writeInt32BE(k - 1, at + 23);
    const hi = Math.floor(timestampMs / 4294967296);
    const lo = timestampMs >>> 0;
    dst.writeInt32BE(hi, at + 27);
    dst.writeUInt32BE(lo, at + 31);
    dst.writeInt32BE(hi, at + 35);
    dst.writeUInt32BE(lo, at + 39);
    dst.writeInt32BE(k, at + 57);
    if (stampA >= 0 && this.recordSize >= 16) {
      dst.writeDoubleBE(stampA, at + this.firstValueAt);
      dst.writeDoubleBE(stampB, at + this.firstValueAt + 8);
    }
    dst.writeUInt32BE(crc32c(dst.subarray(at + 21, at + n)), at + 17);
    return n;
  }
}
