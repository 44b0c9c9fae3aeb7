/**
 * Zigzag varints as used inside record batch v2 records (record length, deltas, key/value/header
 * lengths). Stateless functions over a Buffer plus a caller-owned `Cursor`, so a walker over a
 * whole batch allocates one cursor and no per-record objects.
 *
 * Error convention (chosen once for the whole records layer): readers THROW a `DecodeError` on
 * malformed input (truncated, more than 5/10 bytes, value out of range). The throw only happens on
 * bad input, so the common path pays nothing; callers that face client bytes (validate.ts) catch it
 * once per batch and turn it into an error result. Writers take values from our own code, so a bad
 * value there is our bug and trips an assertion instead.
 *
 * Encoding facts: varint = zigzag(int32) in 7-bit groups, low group first, high bit = "more";
 * at most 5 bytes. varlong = zigzag(int64), at most 10 bytes. The JS side keeps varlongs as
 * `number`, so decoded varlongs must lie in [-(2^52), 2^52 - 1] (±142,000 years in ms): anything
 * wider is rejected as 'outOfRange' rather than silently rounded.
 */
import assert from 'node:assert/strict';

export type DecodeErrorReason = 'truncated' | 'overlong' | 'outOfRange';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly reason: DecodeErrorReason,
    /** Byte position in the buffer where the offending varint started. */
    readonly position: number,
  ) {
    super(`malformed varint at ${position}: ${reason}`);
  }
}

/** A read position and the exclusive end it must not pass. Owned by the caller, reused across reads. */
export interface Cursor {
  pos: number;
  end: number;
}

const TWO_POW_28 = 0x10000000;
/** Largest unsigned (pre-zigzag) varlong we accept: 2^53 - 1, exactly representable. */
const UNSIGNED_VARLONG_MAX = Number.MAX_SAFE_INTEGER;

/** Reads an unsigned (non-zigzag) varint of at most 5 bytes holding a uint32. */
export function readUnsignedVarint(buf: Buffer, cur: Cursor): number {
  const start = cur.pos;
  const end = cur.end;
  let pos = start;
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw new DecodeError('truncated', start);
    const b = buf[pos++]!;
    if (shift === 28) {
      // 5th byte: carries bits 28..31 only, and must be the last.
      if ((b & 0x80) !== 0) throw new DecodeError('overlong', start);
      if ((b & 0x70) !== 0) throw new DecodeError('outOfRange', start);
      result = (result | (b << 28)) >>> 0;
      break;
    }
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  cur.pos = pos;
  return result >>> 0;
}

/** Reads a zigzag varint (int32). */
export function readVarint(buf: Buffer, cur: Cursor): number {
  const u = readUnsignedVarint(buf, cur);
  return (u >>> 1) ^ -(u & 1);
}

/** Reads a zigzag varlong as a number; see the header for the accepted range. */
export function readVarlong(buf: Buffer, cur: Cursor): number {
  const start = cur.pos;
  const end = cur.end;
  let pos = start;
  // Accumulate in float: exact while the value stays below 2^53, checked below.
  let u = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new DecodeError('truncated', start);
    if (i === 10) throw new DecodeError('overlong', start);
    const b = buf[pos++]!;
    u += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) break;
    scale *= 128;
  }
  if (u > UNSIGNED_VARLONG_MAX) throw new DecodeError('outOfRange', start);
  cur.pos = pos;
  // Zigzag without 32-bit operators: even → u/2, odd → -(u+1)/2.
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Advances past a varint (≤5 bytes) without decoding it. */
export function skipVarint(buf: Buffer, cur: Cursor): void {
  readUnsignedVarint(buf, cur);
}

/** Advances past a varlong (≤10 bytes) without decoding it: the validator's hot path. */
export function skipVarlong(buf: Buffer, cur: Cursor): void {
  const start = cur.pos;
  const end = cur.end;
  let pos = start;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new DecodeError('truncated', start);
    if (i === 10) throw new DecodeError('overlong', start);
    if ((buf[pos++]! & 0x80) === 0) break;
  }
  cur.pos = pos;
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export function sizeOfUnsignedVarint(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < TWO_POW_28) return 4;
  return 5;
}

export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint(zigzag32(value));
}

function zigzagLong(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function sizeOfVarlong(value: number): number {
  let u = zigzagLong(value);
  let size = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

/** Writes an unsigned varint (uint32) at `pos`; returns the position after it. */
export function writeUnsignedVarint(buf: Buffer, pos: number, value: number): number {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `unsigned varint out of range: ${value}`);
  let v = value;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes a zigzag varint (int32) at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  assert(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff, `varint out of range: ${value}`);
  return writeUnsignedVarint(buf, pos, zigzag32(value));
}

/** Writes a zigzag varlong at `pos`; returns the position after it. Range as in the header. */
export function writeVarlong(buf: Buffer, pos: number, value: number): number {
  assert(Number.isSafeInteger(value), `varlong not a safe integer: ${value}`);
  let u = zigzagLong(value);
  assert(u <= UNSIGNED_VARLONG_MAX, `varlong out of range: ${value}`);
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}
