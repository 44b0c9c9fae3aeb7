/**
 * Recompression for topics whose compression.type names a codec other than the producer's
 * (called per batch by handlers/compression-policy.ts, after validateRecordSet passed).
 *
 * The records are carried over byte for byte: the payload is decompressed, its record structure
 * checked (count, lengths, increasing offset deltas), and the same record bytes are compressed
 * with the target codec. Offset deltas, timestamps, keys, values, headers and even the unused
 * per-record attributes byte are therefore identical; the header keeps every field (baseOffset,
 * partitionLeaderEpoch, lastOffsetDelta, timestamps, producer fields, timestamp type,
 * transactional/delete-horizon bits) except the codec bits, batchLength and the CRC, which is
 * recomputed. Control batches are returned unchanged: they are always stored uncompressed.
 */
import assert from 'node:assert/strict';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  BATCH_ATTRIBUTES_OFFSET,
  BATCH_CRC_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LAST_OFFSET_DELTA_OFFSET,
  BATCH_LENGTH_PREFIX_BYTES,
  BATCH_MAGIC_OFFSET,
  BATCH_MAGIC_V2,
  BATCH_RECORD_COUNT_OFFSET,
} from './batch.js';
import { compress, decompress, isCodecId, type CompressOptions, type DecompressOptions } from './compression.js';
import { crc32c } from './crc32c.js';
import { checkRecords, RecordBatchError } from './validate.js';

export interface RecompressOptions extends DecompressOptions, CompressOptions {}

/**
 * Returns `b` re-encoded with `targetCompression` (codec id 0-4), or `b` itself when it already
 * uses that codec or is a control batch. `b` must hold exactly one batch. Rejects with
 * RecordBatchError (bad header, CRC, records) or CompressionError (payload does not decompress).
 */
export async function recompressBatch(b: Buffer, targetCompression: number, opts: RecompressOptions = {}): Promise<Buffer> {
  assert(isCodecId(targetCompression), `target compression must be a codec id 0-4, got ${targetCompression}`);
  if (b.length < BATCH_HEADER_BYTES) throw new RecordBatchError('corruptMessage', `${b.length} bytes is shorter than a batch header`);
  const magic = b.readInt8(BATCH_MAGIC_OFFSET);
  if (magic !== BATCH_MAGIC_V2) {
    throw new RecordBatchError(magic === 0 || magic === 1 ? 'unsupportedForMessageFormat' : 'corruptMessage', `magic ${magic}`);
  }
  if (b.readInt32BE(8) + BATCH_LENGTH_PREFIX_BYTES !== b.length) {
    throw new RecordBatchError('corruptMessage', `buffer of ${b.length} bytes does not hold exactly one batch`);
  }
  const attributes = b.readInt16BE(BATCH_ATTRIBUTES_OFFSET);
  const source = attributes & ATTR_COMPRESSION_MASK;
  if (source === targetCompression || (attributes & ATTR_CONTROL) !== 0) return b;
  if (!isCodecId(source)) throw new RecordBatchError('invalidRecord', `unknown compression codec id ${source}`);
  if (crc32c(b.subarray(BATCH_ATTRIBUTES_OFFSET)) !== b.readUInt32BE(BATCH_CRC_OFFSET)) {
    throw new RecordBatchError('corruptMessage', 'CRC32C mismatch');
  }

  const records = await decompress(source, b.subarray(BATCH_HEADER_BYTES), opts);
  const count = b.readInt32BE(BATCH_RECORD_COUNT_OFFSET);
  const lastOffsetDelta = b.readInt32BE(BATCH_LAST_OFFSET_DELTA_OFFSET);
  const bad = checkRecords(records, 0, records.length, count, lastOffsetDelta, false);
  if (bad !== null) throw new RecordBatchError('invalidRecord', bad);
  const payload = await compress(targetCompression, records, opts);

  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
  b.copy(out, 0, 0, BATCH_HEADER_BYTES);
  payload.copy(out, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - BATCH_LENGTH_PREFIX_BYTES, 8);
  out.writeInt16BE((attributes & ~ATTR_COMPRESSION_MASK) | targetCompression, BATCH_ATTRIBUTES_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(BATCH_ATTRIBUTES_OFFSET)), BATCH_CRC_OFFSET);
  return out;
}
