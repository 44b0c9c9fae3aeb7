/**
 * MurmurHash2 (32-bit) as Kafka's default partitioner uses it, written from the published algorithm:
 * seed 0x9747b28c, multiplier 0x5bd1e995, shift 24, the key read as little-endian 4-byte words,
 * the 1-3 tail bytes folded in, then the final avalanche (>>> 13, * m, >>> 15). A keyed record goes
 * to partition `(hash & 0x7fffffff) % partitionCount`, so our producer puts a key on the same
 * partition as the Java client, librdkafka's murmur2 partitioner and kafkajs do.
 *
 * `murmur2String` hashes a string's UTF-8 bytes; for pure ASCII it reads the char codes directly so
 * the common case allocates nothing.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

function finish(h: number, tail: number, tailBytes: number): number {
  if (tailBytes > 0) {
    h ^= tail;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

function mix(h: number, k: number): number {
  k = Math.imul(k, M);
  k ^= k >>> R;
  k = Math.imul(k, M);
  h = Math.imul(h, M);
  return h ^ k;
}

/** Kafka's murmur2 of a byte array, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const words = length >>> 2;
  for (let i = 0; i < words; i++) {
    const o = i << 2;
    const k = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    h = mix(h, k);
  }
  const rest = length & 3;
  const o = words << 2;
  let tail = 0;
  if (rest === 3) tail ^= data[o + 2]! << 16;
  if (rest >= 2) tail ^= data[o + 1]! << 8;
  if (rest >= 1) tail ^= data[o]!;
  return finish(h, tail, rest);
}

/** murmur2 of the UTF-8 encoding of `s`. */
export function murmur2String(s: string): number {
  const length = s.length;
  for (let i = 0; i < length; i++) {
    if (s.charCodeAt(i) > 0x7f) return murmur2(Buffer.from(s, 'utf8'));
  }
  let h = SEED ^ length;
  const words = length >>> 2;
  for (let i = 0; i < words; i++) {
    const o = i << 2;
    const k = s.charCodeAt(o) | (s.charCodeAt(o + 1) << 8) | (s.charCodeAt(o + 2) << 16) | (s.charCodeAt(o + 3) << 24);
    h = mix(h, k);
  }
  const rest = length & 3;
  const o = words << 2;
  let tail = 0;
  if (rest === 3) tail ^= s.charCodeAt(o + 2) << 16;
  if (rest >= 2) tail ^= s.charCodeAt(o + 1) << 8;
  if (rest >= 1) tail ^= s.charCodeAt(o);
  return finish(h, tail, rest);
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array | string, partitionCount: number): number {
  const h = typeof key === 'string' ? murmur2String(key) : murmur2(key);
  return (h & 0x7fffffff) % partitionCount;
}
