/**
 * xxHash32 (seeded), written from the xxHash specification. Used only for the LZ4 frame header
 * checksum byte (HC = (xxh32(frame descriptor) >> 8) & 0xff), which legacy message sets get wrong on
 * purpose (KIP-57, see legacy.ts). Not on any hot path: inputs are a few bytes.
 */
const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME4 = 668265263;
const PRIME5 = 374761393;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, PRIME2)) >>> 0, 13), PRIME1) >>> 0;
}

/** xxHash32 of `data` with `seed` (default 0), as an unsigned 32-bit number. */
export function xxhash32(data: Uint8Array, seed = 0): number {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const length = view.length;
  let pos = 0;
  let acc: number;
  if (length >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) >>> 0;
    let v2 = (seed + PRIME2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - PRIME1) >>> 0;
    for (; pos + 16 <= length; pos += 16) {
      v1 = round(v1, view.readUInt32LE(pos));
      v2 = round(v2, view.readUInt32LE(pos + 4));
      v3 = round(v3, view.readUInt32LE(pos + 8));
      v4 = round(v4, view.readUInt32LE(pos + 12));
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    acc = (seed + PRIME5) >>> 0;
  }
  acc = (acc + length) >>> 0;
  for (; pos + 4 <= length; pos += 4) {
    acc = Math.imul(rotl((acc + Math.imul(view.readUInt32LE(pos), PRIME3)) >>> 0, 17), PRIME4) >>> 0;
  }
  for (; pos < length; pos++) {
    acc = Math.imul(rotl((acc + Math.imul(view[pos]!, PRIME5)) >>> 0, 11), PRIME1) >>> 0;
  }
  acc ^= acc >>> 15;
  acc = Math.imul(acc, PRIME2) >>> 0;
  acc ^= acc >>> 13;
  acc = Math.imul(acc, PRIME3) >>> 0;
  acc ^= acc >>> 16;
  return acc >>> 0;
}
