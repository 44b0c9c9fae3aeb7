/**
 * Record batch v2 (magic 2) header view. Batches travel as Buffers from socket to segment and back;
 * this file reads and patches header fields in place, never building per-record objects.
 *
 * Layout (big-endian), 61-byte header then records:
 *   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
 *   16 magic int8 | 17 crc uint32 (CRC32C of bytes 21..end) | 21 attributes int16
 *   23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64
 *   43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32
 * Attributes: bits 0-2 compression, bit 3 timestamp type (1 = LogAppendTime), bit 4 transactional,
 * bit 5 control, bit 6 hasDeleteHorizonMs.
 * baseOffset and partitionLeaderEpoch lie outside the CRC, so assigning offsets costs no re-checksum.
 */
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const BATCH_LENGTH_PREFIX_BYTES = 12;
export const BATCH_MAGIC_OFFSET = 16;
export const BATCH_CRC_OFFSET = 17;
export const BATCH_ATTRIBUTES_OFFSET = 21;

export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

export const batch = {
  baseOffset: (b: Buffer, at = 0): number => Number(b.readBigInt64BE(at)),
  setBaseOffset: (b: Buffer, offset: number, at = 0): void => {
    b.writeBigInt64BE(BigInt(offset), at);
  },
  batchLength: (b: Buffer, at = 0): number => b.readInt32BE(at + 8),
  /** Whole batch size in bytes, including baseOffset and batchLength. */
  totalBytes: (b: Buffer, at = 0): number => b.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES,
  partitionLeaderEpoch: (b: Buffer, at = 0): number => b.readInt32BE(at + 12),
  setPartitionLeaderEpoch: (b: Buffer, epoch: number, at = 0): void => {
    b.writeInt32BE(epoch, at + 12);
  },
  magic: (b: Buffer, at = 0): number => b.readInt8(at + BATCH_MAGIC_OFFSET),
  crc: (b: Buffer, at = 0): number => b.readUInt32BE(at + BATCH_CRC_OFFSET),
  attributes: (b: Buffer, at = 0): number => b.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET),
  compression: (b: Buffer, at = 0): number => b.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK,
  isTransactional: (b: Buffer, at = 0): boolean => (b.readInt16BE(at + 21) & ATTR_TRANSACTIONAL) !== 0,
  isControl: (b: Buffer, at = 0): boolean => (b.readInt16BE(at + 21) & ATTR_CONTROL) !== 0,
  lastOffsetDelta: (b: Buffer, at = 0): number => b.readInt32BE(at + 23),
  lastOffset: (b: Buffer, at = 0): number => Number(b.readBigInt64BE(at)) + b.readInt32BE(at + 23),
  baseTimestamp: (b: Buffer, at = 0): number => Number(b.readBigInt64BE(at + 27)),
  maxTimestamp: (b: Buffer, at = 0): number => Number(b.readBigInt64BE(at + 35)),
  producerId: (b: Buffer, at = 0): bigint => b.readBigInt64BE(at + 43),
  producerEpoch: (b: Buffer, at = 0): number => b.readInt16BE(at + 51),
  baseSequence: (b: Buffer, at = 0): number => b.readInt32BE(at + 53),
  recordCount: (b: Buffer, at = 0): number => b.readInt32BE(at + 57),
  /** CRC32C over attributes..end of the batch starting at `at`. */
  computeCrc: (b: Buffer, at = 0): number =>
    crc32c(b.subarray(at + BATCH_ATTRIBUTES_OFFSET, at + BATCH_LENGTH_PREFIX_BYTES + b.readInt32BE(at + 8))),
  crcValid: (b: Buffer, at = 0): boolean => batch.computeCrc(b, at) === b.readUInt32BE(at + BATCH_CRC_OFFSET),
  /** Rewrites the stored CRC after a change inside the CRC-covered range (e.g. LogAppendTime). */
  resealCrc: (b: Buffer, at = 0): void => {
    b.writeUInt32BE(batch.computeCrc(b, at), at + BATCH_CRC_OFFSET);
  },
};

// --- Added for validate.ts / builder.ts / recompress.ts -------------------------------------------

export const BATCH_MAGIC_V2 = 2;
/** Smallest legal batchLength: a header with no records (61 - 12). */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - BATCH_LENGTH_PREFIX_BYTES;
export const BATCH_LAST_OFFSET_DELTA_OFFSET = 23;
export const BATCH_BASE_TIMESTAMP_OFFSET = 27;
export const BATCH_MAX_TIMESTAMP_OFFSET = 35;
export const BATCH_PRODUCER_ID_OFFSET = 43;
export const BATCH_RECORD_COUNT_OFFSET = 57;
/** Records (or the compressed records payload) start right after the header. */
export const BATCH_RECORDS_OFFSET = BATCH_HEADER_BYTES;
export const ATTR_DELETE_HORIZON = 0x40;
/** Kafka's "no timestamp" value for timestamps and maxTimestamp. */
export const NO_TIMESTAMP = -1;

/**
 * Reads an int64 as a JS number without allocating a BigInt (exact within ±2^53; beyond that the
 * value is rounded, which only happens for garbage timestamps and is harmless for comparisons).
 */
export function readInt64Number(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 0x100000000 + b.readUInt32BE(at + 4);
}

/** Writes a safe-integer number as int64 without allocating a BigInt. */
export function writeInt64Number(b: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / 0x100000000);
  b.writeInt32BE(hi, at);
  b.writeUInt32BE(value - hi * 0x100000000, at + 4);
}
