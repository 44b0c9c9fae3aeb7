/**
 * Splits a byte stream into size-prefixed Kafka frames (int32 size, then `size` bytes). Chunks are
 * kept in a list; a frame that sits inside one chunk is returned as a subarray view, and bytes are
 * copied only when a frame spans chunks. The size is checked against `frameBytesMax` as soon as the
 * 4-byte prefix is readable, before any of the frame is buffered.
 * Reads smaller than SMALL_READ_BYTES are copied into a shared tail buffer rather than kept as
 * chunks of their own: each Buffer object costs a few hundred bytes beyond its data, so a sender
 * trickling one byte per packet would otherwise make the broker hold ~300x what it sent.
 */
const SMALL_READ_BYTES = 512;
const TAIL_BYTES = 16 * 1024;

export type FrameResult = { kind: 'frame'; frame: Buffer } | { kind: 'tooLarge'; sizeBytes: number } | { kind: 'none' };

export class FrameSplitter {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Where small reads are gathered; append-only, so frames cut from it stay valid. */
  private tail: Buffer | null = null;
  private tailFill = 0;

  constructor(private frameBytesMax: number) {}

  /** Changes the bound (Connection raises it once the first request is complete). */
  setFrameBytesMax(bytes: number): void {
    this.frameBytesMax = bytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bufferedBytes += chunk.length;
    if (chunk.length >= SMALL_READ_BYTES) {
      this.chunks.push(chunk);
      return;
    }
    if (this.tail === null || this.tailFill + chunk.length > this.tail.length) {
      this.tail = Buffer.allocUnsafeSlow(TAIL_BYTES);
      this.tailFill = 0;
    }
    chunk.copy(this.tail, this.tailFill);
    const last = this.chunks.length > 0 ? this.chunks[this.chunks.length - 1]! : null;
    if (last !== null && last.buffer === this.tail.buffer && last.byteOffset + last.length === this.tail.byteOffset + this.tailFill) {
      // The last chunk ends where the tail's written bytes end: grow it in place.
      this.chunks[this.chunks.length - 1] = this.tail.subarray(last.byteOffset - this.tail.byteOffset, this.tailFill + chunk.length);
    } else {
      this.chunks.push(this.tail.subarray(this.tailFill, this.tailFill + chunk.length));
    }
    this.tailFill += chunk.length;
  }

  get buffered(): number {
    return this.bufferedBytes;
  }

  /**
   * What the buffered bytes will need (the receive pool's claim): the whole frame (4 + size) when
   * the first buffered frame is still arriving and its size is readable, else the bytes buffered.
   */
  claimBytes(): number {
    if (this.bufferedBytes < 4) return this.bufferedBytes;
    const size = this.readSize();
    return size >= 0 && size <= this.frameBytesMax ? Math.max(this.bufferedBytes, 4 + size) : this.bufferedBytes;
  }

  /** True when bytes are buffered but the frame they start is not complete yet (waiting for the sender). */
  hasPartialFrame(): boolean {
    if (this.bufferedBytes === 0) return false;
    if (this.bufferedBytes < 4) return true;
    const size = this.readSize();
    return size >= 0 && size <= this.frameBytesMax && this.bufferedBytes < 4 + size;
  }

  /** Returns the next complete frame, a size violation, or none (wait for more bytes). */
  next(): FrameResult {
    if (this.bufferedBytes < 4) return { kind: 'none' };
    const size = this.readSize();
    if (size < 0 || size > this.frameBytesMax) return { kind: 'tooLarge', sizeBytes: size };
    if (this.bufferedBytes < 4 + size) return { kind: 'none' };
    this.consume(4);
    return { kind: 'frame', frame: this.consume(size) };
  }

  private readSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.alloc(4);
    let filled = 0;
    for (const c of this.chunks) {
      const n = Math.min(4 - filled, c.length);
      c.copy(head, filled, 0, n);
      filled += n;
      if (filled === 4) break;
    }
    return head.readInt32BE(0);
  }

  private consume(n: number): Buffer {
    // A zero-size frame may end the buffered bytes exactly: there is no first chunk to cut from.
    if (n === 0) return Buffer.alloc(0);
    this.bufferedBytes -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(n - filled, c.length);
      c.copy(out, filled, 0, take);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}
