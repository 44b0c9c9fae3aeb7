/** CRC32C (Castagnoli) as used by record batch v2, computed natively (SIMD) by @node-rs/crc32. */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(data: Buffer): number {
  return nativeCrc32c(data) >>> 0;
}
