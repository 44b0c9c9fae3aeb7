/**
 * Walking record batches stored in a segment file, header by header, without per-record objects.
 * Used by reads (find the batch holding an offset, decide where a fetch ends), by recovery (check
 * every batch: magic 2, sane batchLength, CRC32C, increasing offsets) and by timestamp lookups.
 *
 * BatchReader keeps one window of the file in memory and refills it only when a batch header (or,
 * when CRCs are checked, a whole batch) falls outside it, so a walk costs about one read per window.
 * The few operations that must look inside a batch (ListOffsets by timestamp) use findRecord(),
 * which reads record headers of an uncompressed batch.
 */
import type { FileHandle } from '../io/disk.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_LOG_APPEND,
  BATCH_ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_PREFIX_BYTES,
  BATCH_MAGIC_OFFSET,
  batch,
} from '../protocol/records/batch.js';

/** Smallest legal batchLength: a header with no records. */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - BATCH_LENGTH_PREFIX_BYTES;

const EMPTY = Buffer.alloc(0);

export class BatchReader {
  readonly #file: FileHandle;
  readonly #endPosition: number;
  readonly #chunkBytes: number;
  #buf: Buffer = EMPTY;
  #bufPosition = 0;

  /** Reads `file` below `endPosition` (the visible end), `chunkBytes` at a time at least. */
  constructor(file: FileHandle, endPosition: number, chunkBytes: number) {
    this.#file = file;
    this.#endPosition = endPosition;
    this.#chunkBytes = chunkBytes;
  }

  get endPosition(): number {
    return this.#endPosition;
  }

  /** The current window; valid until the next ensure(). */
  get buffer(): Buffer {
    return this.#buf;
  }

  /**
   * Makes file bytes [position, position + length) available in `buffer` and returns where
   * `position` sits in it, or -1 when the file holds fewer bytes (below endPosition).
   */
  async ensure(position: number, length: number): Promise<number> {
    if (position >= this.#bufPosition && position + length <= this.#bufPosition + this.#buf.length) {
      return position - this.#bufPosition;
    }
    if (position + length > this.#endPosition) return -1;
    const size = Math.min(Math.max(this.#chunkBytes, length), this.#endPosition - position);
    const buf = Buffer.allocUnsafe(size);
    const n = await this.#file.read(buf, 0, size, position);
    this.#buf = buf.subarray(0, n);
    this.#bufPosition = position;
    return n >= length ? 0 : -1;
  }

  /** File bytes [start, end): a view of the window when it is inside, else a fresh read. Null on a short read. */
  async slice(start: number, end: number): Promise<Buffer | null> {
    const at = await this.ensure(start, end - start);
    return at < 0 ? null : this.#buf.subarray(at, at + end - start);
  }
}

/** What a walk tells its visitor about one batch. One object is reused: copy what you keep. */
export interface BatchInfo {
  position: number;
  baseOffset: number;
  lastOffset: number;
  totalBytes: number;
  maxTimestamp: number;
  recordCount: number;
}

export interface WalkResult {
  /** File position after the last batch the walk consumed. */
  endPosition: number;
  /** 'end': reached the end; 'visitor': the visitor stopped before a batch; 'torn'/'corrupt': a bad batch at endPosition. */
  stopped: 'end' | 'visitor' | 'torn' | 'corrupt';
  /** For 'torn' and 'corrupt': what was wrong. */
  reason: string;
  /** lastOffset of the last batch consumed, or the previousLastOffset given. */
  lastOffset: number;
}

/**
 * Walks batches from `startPosition` to the reader's end. Each batch's header is checked (batchLength,
 * magic 2, lastOffsetDelta, offsets increasing past `previousLastOffset`) and, with `verifyCrc`, its
 * CRC32C. `visit` returns false to stop *before* the batch it was shown; that batch is then not consumed.
 */
export async function walkBatches(
  reader: BatchReader,
  startPosition: number,
  opts: { verifyCrc: boolean; previousLastOffset?: number },
  visit: (info: BatchInfo, buf: Buffer, at: number) => boolean,
): Promise<WalkResult> {
  const end = reader.endPosition;
  const info: BatchInfo = { position: 0, baseOffset: 0, lastOffset: 0, totalBytes: 0, maxTimestamp: 0, recordCount: 0 };
  let position = startPosition;
  let lastOffset = opts.previousLastOffset ?? -1;
  const stop = (stopped: WalkResult['stopped'], reason: string): WalkResult => ({ endPosition: position, stopped, reason, lastOffset });

  while (position < end) {
    const remaining = end - position;
    if (remaining < BATCH_LENGTH_PREFIX_BYTES) return stop('torn', `${remaining} bytes left, less than a batch prefix`);
    let at = await reader.ensure(position, Math.min(BATCH_HEADER_BYTES, remaining));
    if (at < 0) return stop('torn', 'file shorter than expected');
    let buf = reader.buffer;
    const batchLength = buf.readInt32BE(at + 8);
    if (batchLength < BATCH_LENGTH_MIN) return stop('corrupt', `batchLength ${batchLength} below ${BATCH_LENGTH_MIN}`);
    const totalBytes = batchLength + BATCH_LENGTH_PREFIX_BYTES;
    if (remaining >= BATCH_HEADER_BYTES && buf.readInt8(at + BATCH_MAGIC_OFFSET) !== 2) {
      return stop('corrupt', `magic ${buf.readInt8(at + BATCH_MAGIC_OFFSET)} is not 2`);
    }
    if (totalBytes > remaining) return stop('torn', `batch of ${totalBytes} bytes runs past the end (${remaining} bytes left)`);
    const baseOffset = Number(buf.readBigInt64BE(at));
    const lastOffsetDelta = batch.lastOffsetDelta(buf, at);
    if (lastOffsetDelta < 0) return stop('corrupt', `lastOffsetDelta ${lastOffsetDelta} is negative`);
    if (!Number.isSafeInteger(baseOffset) || baseOffset <= lastOffset) {
      return stop('corrupt', `baseOffset ${baseOffset} does not follow offset ${lastOffset}`);
    }
    if (opts.verifyCrc) {
      at = await reader.ensure(position, totalBytes);
      if (at < 0) return stop('torn', 'file shorter than expected');
      buf = reader.buffer;
      if (!batch.crcValid(buf, at)) return stop('corrupt', `CRC mismatch in batch at offset ${baseOffset}`);
    }
    info.position = position;
    info.baseOffset = baseOffset;
    info.lastOffset = baseOffset + lastOffsetDelta;
    info.totalBytes = totalBytes;
    info.maxTimestamp = batch.maxTimestamp(buf, at);
    info.recordCount = batch.recordCount(buf, at);
    if (!visit(info, buf, at)) return stop('visitor', '');
    lastOffset = info.lastOffset;
    position += totalBytes;
  }
  return stop('end', '');
}

/** Reads a zigzag varint (up to 64 bits, as a number) at `pos`; returns [value, nextPos] or null when malformed. */
function readVarlong(buf: Buffer, pos: number, end: number): [number, number] | null {
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return null;
    const b = buf[pos++]!;
    raw += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      return [value, pos];
    }
    scale *= 128;
  }
  return null;
}

/**
 * Inside one whole batch at `buf[at..]`: the first record with offset >= `offsetMin` whose timestamp
 * satisfies `accept`. For LogAppendTime batches every record carries the batch maxTimestamp. For
 * compressed batches (records unreadable without decompression) the answer is per batch: offset
 * max(baseOffset, offsetMin) with the batch maxTimestamp, when that timestamp is accepted.
 * Returns null when no record qualifies, and 'malformed' when record framing is broken.
 */
export function findRecord(
  buf: Buffer,
  at: number,
  offsetMin: number,
  accept: (timestampMs: number) => boolean,
): { offset: number; timestampMs: number } | null | 'malformed' {
  const baseOffset = batch.baseOffset(buf, at);
  const lastOffset = baseOffset + batch.lastOffsetDelta(buf, at);
  const maxTimestamp = batch.maxTimestamp(buf, at);
  const attributes = buf.readInt16BE(at + BATCH_ATTRIBUTES_OFFSET);
  if ((attributes & ATTR_TIMESTAMP_LOG_APPEND) !== 0 || (attributes & ATTR_COMPRESSION_MASK) !== 0) {
    if (lastOffset < offsetMin || !accept(maxTimestamp)) return null;
    return { offset: Math.max(baseOffset, offsetMin), timestampMs: maxTimestamp };
  }
  const baseTimestamp = batch.baseTimestamp(buf, at);
  const end = at + batch.totalBytes(buf, at);
  const count = batch.recordCount(buf, at);
  let pos = at + BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const len = readVarlong(buf, pos, end);
    if (!len || len[0] < 0) return 'malformed';
    const bodyEnd = len[1] + len[0];
    if (bodyEnd > end) return 'malformed';
    const tsDelta = readVarlong(buf, len[1] + 1, bodyEnd); // skip the attributes byte
    if (!tsDelta) return 'malformed';
    const offsetDelta = readVarlong(buf, tsDelta[1], bodyEnd);
    if (!offsetDelta) return 'malformed';
    const offset = baseOffset + offsetDelta[0];
    const timestampMs = baseTimestamp + tsDelta[0];
    if (offset >= offsetMin && accept(timestampMs)) return { offset, timestampMs };
    pos = bodyEnd;
  }
  return null;
}
