/**
 * Wire primitives over Buffer: fixed-width big-endian integers, unsigned/zigzag varints, (compact)
 * strings and bytes, UUIDs and tagged-field sections. `Reader` validates every length against the
 * bytes left and throws `DecodeError` (their input, never an assertion); `Writer` grows a scratch
 * buffer and keeps large byte fields (record batches) as separate chunks so they are never copied.
 */
import { limits } from '../limits.js';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export class Reader {
  offset: number;
  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new DecodeError(`truncated ${what}: need ${n} bytes at ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.offset++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1, 'varint');
      const byte = this.buf[this.offset++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffff) throw new DecodeError('varint overflows 32 bits');
        return result;
      }
      shift += 7;
    }
    throw new DecodeError('varint longer than 5 bytes');
  }
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }
  uuid(): string {
    this.need(16, 'uuid');
    const hex = this.buf.toString('hex', this.offset, this.offset + 16);
    this.offset += 16;
    return uuidFromHex(hex);
  }

  /** Length of a string/bytes/array: int16/int32 in classic versions, uvarint-1 in compact ones. -1 = null. */
  private length(compact: boolean, wide: boolean): number {
    if (compact) return this.uvarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  string(compact: boolean, nullable: boolean): string | null {
    const n = this.length(compact, false);
    if (n < 0) {
      if (n === -1 && nullable) return null;
      throw new DecodeError(`invalid string length ${n}`);
    }
    this.need(n, 'string');
    const s = this.buf.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return s;
  }

  /** Returns a view into the frame (no copy). */
  bytes(compact: boolean, nullable: boolean): Buffer | null {
    const n = this.length(compact, true);
    if (n < 0) {
      if (n === -1 && nullable) return null;
      throw new DecodeError(`invalid bytes length ${n}`);
    }
    this.need(n, 'bytes');
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  arrayLength(compact: boolean, nullable: boolean): number {
    const n = this.length(compact, true);
    if (n < 0) {
      if (n === -1 && nullable) return -1;
      throw new DecodeError(`invalid array length ${n}`);
    }
    // Every entry takes at least one byte, so a length beyond the bytes left is a lie.
    if (n > this.remaining || n > limits.arrayEntriesMax) throw new DecodeError(`array length ${n} exceeds the frame`);
    return n;
  }

  skip(n: number): void {
    this.need(n, 'skip');
    this.offset += n;
  }
}

export function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const SCRATCH_BYTES_INITIAL = 1024;
/** Byte fields at least this large are kept as their own chunk instead of being copied. */
const CHUNK_BYTES_MIN = 4096;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private chunkedBytes = 0;

  constructor(initialBytes = SCRATCH_BYTES_INITIAL) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.chunkedBytes + (this.pos - this.start);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Flush what we have as a chunk and start a new scratch buffer big enough.
    this.flushScratch();
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    this.pos = 0;
    this.start = 0;
  }

  private flushScratch(): void {
    if (this.pos > this.start) {
      const chunk = this.buf.subarray(this.start, this.pos);
      this.chunks.push(chunk);
      this.chunkedBytes += chunk.length;
    }
    this.start = this.pos;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }
  uvarint(v: number): this {
    this.ensure(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  uuid(v: string): this {
    const hex = v.replace(/-/g, '');
    this.ensure(16);
    this.buf.write(hex.padStart(32, '0'), this.pos, 16, 'hex');
    this.pos += 16;
    return this;
  }

  private writeLength(n: number, compact: boolean, wide: boolean): void {
    if (compact) this.uvarint(n + 1);
    else if (wide) this.int32(n);
    else this.int16(n);
  }

  string(v: string | null, compact: boolean): this {
    if (v === null) {
      this.writeLength(-1, compact, false);
      return this;
    }
    const n = Buffer.byteLength(v, 'utf8');
    this.writeLength(n, compact, false);
    this.ensure(n);
    this.buf.write(v, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  bytes(v: Buffer | null, compact: boolean): this {
    if (v === null) {
      this.writeLength(-1, compact, true);
      return this;
    }
    this.writeLength(v.length, compact, true);
    return this.raw(v);
  }

  arrayLength(n: number, compact: boolean): this {
    this.writeLength(n, compact, true);
    return this;
  }

  /** Appends bytes; large ones become their own chunk (no copy). */
  raw(v: Buffer): this {
    if (v.length >= CHUNK_BYTES_MIN) {
      this.flushScratch();
      this.chunks.push(v);
      this.chunkedBytes += v.length;
      return this;
    }
    this.ensure(v.length);
    v.copy(this.buf, this.pos);
    this.pos += v.length;
    return this;
  }

  /** The encoded bytes as a chunk list (for writev / cork). */
  toChunks(): Buffer[] {
    this.flushScratch();
    return this.chunks;
  }

  /** The encoded bytes as one Buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.chunkedBytes);
  }
}
