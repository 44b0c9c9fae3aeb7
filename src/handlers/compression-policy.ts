/**
 * The broker/topic `compression.type` policy: `producer` keeps what the producer sent; a codec name
 * (`uncompressed`, `gzip`, `snappy`, `lz4`, `zstd`) makes the broker recompress batches that use
 * another codec. Recompression decodes and re-encodes records, so it runs only when configured.
 */
import { batch } from '../protocol/records/batch.js';
import { recompressBatch } from '../protocol/records/recompress.js';

const CODECS: Record<string, number> = { uncompressed: 0, none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** The codec id to enforce, or null for `producer`. */
export function targetCompression(policy: string): number | null {
  if (policy === 'producer') return null;
  return CODECS[policy] ?? null;
}

/** Recompresses each batch of a validated record set whose codec differs from `target`. */
export async function recompressRecordSet(records: Buffer, target: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let changed = false;
  for (let at = 0; at < records.length; ) {
    const size = batch.totalBytes(records, at);
    const one = records.subarray(at, at + size);
    if (batch.compression(one) !== target && !batch.isControl(one)) {
      parts.push(await recompressBatch(one, target));
      changed = true;
    } else {
      parts.push(one);
    }
    at += size;
  }
  return changed ? Buffer.concat(parts) : records;
}
