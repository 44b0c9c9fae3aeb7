/**
 * Record batch payload codecs, by the codec id stored in attribute bits 0-2:
 *   0 none (identity), 1 gzip (node:zlib), 2 snappy (npm `snappy`), 3 lz4 (npm `lz4-napi`, LZ4 frame
 *   format), 4 zstd (npm `zstd-napi` native binding).
 * Callers: builder.ts / recompress.ts / validate.ts (deep validation), later fetch down-conversion
 * and compaction. Never on the Produce hot path: batches are stored as received.
 *
 * Every failure on input bytes becomes a `CompressionError` (kinds 'corrupt', 'tooLarge',
 * 'unsupportedCodec'); library exceptions are converted, never leaked or swallowed. Output size is
 * capped by `maxDecompressedBytes` (default DECOMPRESSED_BYTES_MAX_DEFAULT) so a small hostile
 * payload cannot expand without bound.
 *
 * Format notes, written from the format descriptions (not from any client's code):
 * - snappy: Kafka clients send either one raw snappy block (librdkafka, kafkajs-snappy, and what we
 *   write) or the xerial/snappy-java stream (Java client): 8-byte magic 82 'SNAPPY' 00, int32 version,
 *   int32 compat, then repeated [int32 BE length][raw snappy block]. We detect the magic like the
 *   clients do; a raw block starting with those exact 8 bytes would be misread, as in every client.
 * - lz4: Kafka v2 batches use the LZ4 frame format (magic 04 22 4D 18). lz4-napi decodes a frame but
 *   silently ignores bytes after the first frame and accepts a frame whose end mark / content
 *   checksum is cut off, so we walk the frame structure ourselves first (header, block sizes, end
 *   mark, checksum flags) to know exact frame boundaries; concatenated and skippable frames are
 *   accepted, anything else is 'corrupt'. The old broken header-checksum variant (KAFKA-3160) only
 *   concerns magic 0 message sets; legacy.ts repairs it before and reproduces it after these
 *   functions. We write frames with independent 64 KiB blocks and no checksums, the shape the Java
 *   client's reader requires (it rejects dependent blocks).
 * - snappy for legacy message sets is written in xerial framing (compressSnappyXerial), as Kafka does.
 * - zstd: producers (Java's zstd-jni stream, librdkafka) write frames WITHOUT a content size, so we
 *   always use streaming decompression through our own loop over `DCtx.decompressStream`. We do not
 *   use zstd-napi's high-level `decompress`: it shares one context that stays poisoned after a
 *   failed frame (every later call throws), and it returns partial output for a truncated frame
 *   without content size. zstd-napi has no async API, so the async zstd functions run synchronously
 *   (≈1 GB/s, so a 1 MiB batch costs about a millisecond); gzip, snappy and lz4 async variants run
 *   on the libuv thread pool.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import zstd from 'zstd-napi/binding.js';
import type { CCtx, DCtx } from 'zstd-napi/binding.js';

export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_SNAPPY = 2;
export const CODEC_LZ4 = 3;
export const CODEC_ZSTD = 4;
export type CodecId = 0 | 1 | 2 | 3 | 4;

export const CODEC_NAMES: readonly string[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function isCodecId(id: number): id is CodecId {
  return id === 0 || id === 1 || id === 2 || id === 3 || id === 4;
}

/** Upper bound on one decompressed batch payload unless the caller passes its own limit. */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Kafka's default zstd level (and zstd's). */
export const ZSTD_LEVEL_DEFAULT = 3;

export type CompressionErrorKind = 'corrupt' | 'tooLarge' | 'unsupportedCodec';

export class CompressionError extends Error {
  override readonly name = 'CompressionError';
  constructor(
    readonly kind: CompressionErrorKind,
    readonly codec: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${CODEC_NAMES[codec] ?? `codec ${codec}`}: ${message}`, options);
  }
}

export interface DecompressOptions {
  /** Reject payloads that expand past this many bytes (default DECOMPRESSED_BYTES_MAX_DEFAULT). */
  maxDecompressedBytes?: number;
}

export interface CompressOptions {
  /** gzip 1-9 or zstd level; ignored by snappy and lz4. */
  level?: number;
}

function unsupported(codec: number): CompressionError {
  return new CompressionError('unsupportedCodec', codec, `unknown compression codec id ${codec}`);
}

/** Converts a library exception into our typed error; keeps the original as `cause`. */
function corrupt(codec: number, err: unknown): CompressionError {
  if (err instanceof CompressionError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new CompressionError('corrupt', codec, text, { cause: err });
}

function tooLarge(codec: number, limit: number): CompressionError {
  return new CompressionError('tooLarge', codec, `decompressed payload exceeds ${limit} bytes`);
}

function limitOf(opts: DecompressOptions | undefined): number {
  return opts?.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
}

// ---------------------------------------------------------------------------------------------
// gzip

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

function gzipOptions(opts: CompressOptions | undefined): zlib.ZlibOptions {
  return opts?.level === undefined ? {} : { level: opts.level };
}

function gzipError(err: unknown, limit: number): CompressionError {
  // zlib signals the output cap with a RangeError coded ERR_BUFFER_TOO_LARGE.
  if ((err as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(CODEC_GZIP, limit);
  return corrupt(CODEC_GZIP, err);
}

// ---------------------------------------------------------------------------------------------
// snappy

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic (8) + version int32 + compatible-version int32. */
const XERIAL_HEADER_BYTES = 16;

export function isXerialSnappy(data: Buffer): boolean {
  return data.length >= XERIAL_MAGIC.length && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

/** The uncompressed length a raw snappy block announces in its leading uvarint (≤ 5 bytes). */
function snappyAnnouncedLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new CompressionError('corrupt', CODEC_SNAPPY, 'truncated block length');
    const b = block[i]!;
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return result;
  }
  throw new CompressionError('corrupt', CODEC_SNAPPY, 'block length varint too long');
}

/**
 * Splits a snappy payload into raw blocks (one for raw snappy, one per xerial chunk) and checks
 * the announced total against the limit before anything is allocated.
 */
function snappyBlocks(data: Buffer, limit: number): Buffer[] {
  const blocks: Buffer[] = [];
  if (!isXerialSnappy(data)) {
    blocks.push(data);
  } else {
    if (data.length < XERIAL_HEADER_BYTES) throw new CompressionError('corrupt', CODEC_SNAPPY, 'truncated xerial header');
    let pos = XERIAL_HEADER_BYTES;
    while (pos < data.length) {
      if (data.length - pos < 4) throw new CompressionError('corrupt', CODEC_SNAPPY, 'truncated xerial chunk length');
      const length = data.readInt32BE(pos);
      pos += 4;
      if (length <= 0 || length > data.length - pos) {
        throw new CompressionError('corrupt', CODEC_SNAPPY, `bad xerial chunk length ${length} at ${pos - 4}`);
      }
      blocks.push(data.subarray(pos, pos + length));
      pos += length;
    }
  }
  let total = 0;
  for (const block of blocks) {
    total += snappyAnnouncedLength(block);
    if (total > limit) throw tooLarge(CODEC_SNAPPY, limit);
  }
  return blocks;
}

function snappyDecompressSync(data: Buffer, limit: number): Buffer {
  try {
    const blocks = snappyBlocks(data, limit);
    const parts = blocks.map((block) => snappy.uncompressSync(block, { asBuffer: true }) as Buffer);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  } catch (err) {
    throw corrupt(CODEC_SNAPPY, err);
  }
}

/** Uncompressed bytes per xerial chunk: snappy-java's default block size. */
const XERIAL_CHUNK_BYTES = 32 * 1024;

/**
 * Snappy in the xerial/snappy-java stream framing (header, version 1, compatible version 1, then
 * [int32 BE length][raw block] per 32 KiB of input): what Kafka's Java code writes into legacy
 * (magic 0/1) compressed messages, and what old Java consumers require there.
 */
export async function compressSnappyXerial(data: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  let at = 0;
  do {
    const block = await snappy.compress(data.subarray(at, at + XERIAL_CHUNK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
    at += XERIAL_CHUNK_BYTES;
  } while (at < data.length);
  return Buffer.concat(parts);
}

async function snappyDecompressAsync(data: Buffer, limit: number): Promise<Buffer> {
  try {
    const blocks = snappyBlocks(data, limit);
    const parts: Buffer[] = [];
    for (const block of blocks) parts.push((await snappy.uncompress(block, { asBuffer: true })) as Buffer);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  } catch (err) {
    throw corrupt(CODEC_SNAPPY, err);
  }
}

// ---------------------------------------------------------------------------------------------
// lz4 (frame format)

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_BLOCK_MAX_BYTES = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/** A data frame inside an lz4 payload, located by `lz4Frames`. */
interface Lz4Frame {
  start: number;
  end: number;
}

function lz4Corrupt(message: string): CompressionError {
  return new CompressionError('corrupt', CODEC_LZ4, message);
}

/**
 * Walks the frame structure without decompressing: frame header (magic, FLG, BD, optional content
 * size and dictionary id, header checksum byte), then blocks (uint32 LE size, high bit = stored
 * uncompressed; optional 4-byte block checksum) until the zero end mark, then the optional 4-byte
 * content checksum. Checksums themselves are verified by lz4-napi.
 */
function lz4Frames(data: Buffer, limit: number): Lz4Frame[] {
  const frames: Lz4Frame[] = [];
  let pos = 0;
  let totalBound = 0;
  if (data.length === 0) throw lz4Corrupt('empty payload');
  while (pos < data.length) {
    if (data.length - pos < 4) throw lz4Corrupt(`truncated frame magic at ${pos}`);
    const magic = data.readUInt32LE(pos);
    if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      if (data.length - pos < 8) throw lz4Corrupt(`truncated skippable frame at ${pos}`);
      const size = data.readUInt32LE(pos + 4);
      if (size > data.length - pos - 8) throw lz4Corrupt(`truncated skippable frame at ${pos}`);
      pos += 8 + size;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw lz4Corrupt(`bad frame magic 0x${magic.toString(16)} at ${pos}`);
    const start = pos;
    pos += 4;
    if (data.length - pos < 3) throw lz4Corrupt('truncated frame header');
    const flg = data[pos]!;
    const bd = data[pos + 1]!;
    if (flg >> 6 !== 1) throw lz4Corrupt(`unsupported frame version ${flg >> 6}`);
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw lz4Corrupt('reserved frame header bits set');
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(bd >> 4) & 0x07]!;
    if (blockMaxBytes === 0) throw lz4Corrupt(`bad block max size code ${(bd >> 4) & 0x07}`);
    const headerBytes = 2 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0) + 1;
    if (data.length - pos < headerBytes) throw lz4Corrupt('truncated frame header');
    let contentSize = -1;
    if (hasContentSize) {
      const lo = data.readUInt32LE(pos + 2);
      const hi = data.readUInt32LE(pos + 6);
      contentSize = hi * 0x100000000 + lo;
    }
    pos += headerBytes;
    for (;;) {
      if (data.length - pos < 4) throw lz4Corrupt('truncated block size (missing end mark)');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMaxBytes) throw lz4Corrupt(`block of ${size} bytes exceeds max ${blockMaxBytes}`);
      const trailer = blockChecksum ? 4 : 0;
      if (data.length - pos < size + trailer) throw lz4Corrupt('truncated block');
      pos += size + trailer;
    }
    if (contentChecksum) {
      if (data.length - pos < 4) throw lz4Corrupt('truncated content checksum');
      pos += 4;
    }
    // Content size, when announced, lets us refuse an oversized frame before decoding it.
    if (contentSize >= 0) {
      totalBound += contentSize;
      if (totalBound > limit) throw tooLarge(CODEC_LZ4, limit);
    }
    frames.push({ start, end: pos });
  }
  if (frames.length === 0) throw lz4Corrupt('no data frame');
  return frames;
}

function lz4Join(parts: Buffer[], limit: number): Buffer {
  const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (out.length > limit) throw tooLarge(CODEC_LZ4, limit);
  return out;
}

function lz4DecompressSync(data: Buffer, limit: number): Buffer {
  const frames = lz4Frames(data, limit);
  try {
    return lz4Join(
      frames.map((f) => lz4.decompressFrameSync(data.subarray(f.start, f.end))),
      limit,
    );
  } catch (err) {
    throw corrupt(CODEC_LZ4, err);
  }
}

async function lz4DecompressAsync(data: Buffer, limit: number): Promise<Buffer> {
  const frames = lz4Frames(data, limit);
  try {
    const parts: Buffer[] = [];
    for (const f of frames) parts.push(await lz4.decompressFrame(data.subarray(f.start, f.end)));
    return lz4Join(parts, limit);
  } catch (err) {
    throw corrupt(CODEC_LZ4, err);
  }
}

// ---------------------------------------------------------------------------------------------
// zstd

let zstdCctx: CCtx | null = null;
let zstdDctx: DCtx | null = null;
/** Smallest output chunk for streaming decompression: zstd's recommended size (one block). */
const ZSTD_OUT_CHUNK_BYTES_MIN = zstd.dStreamOutSize();
/** Largest output chunk: a chunk's unused tail stays allocated behind the result. */
const ZSTD_OUT_CHUNK_BYTES_MAX = 8 * 1024 * 1024;

function zstdCompressSync(data: Buffer, level: number): Buffer {
  zstdCctx ??= new zstd.CCtx();
  // One-shot compress at `level` (ignores sticky parameters); output is one frame with content size.
  const out = Buffer.allocUnsafe(zstd.compressBound(data.length));
  const n = zstdCctx.compress(out, data, level);
  return out.subarray(0, n);
}

/**
 * Streams every frame in `data` (skippable frames included, as zstd allows) into chunks. Node runs
 * this synchronously, so the shared context is never used by two calls at once; it is reset at the
 * start of each call, which also clears any state left by a previous failed frame.
 */
function zstdDecompressSync(data: Buffer, limit: number): Buffer {
  zstdDctx ??= new zstd.DCtx();
  const dctx = zstdDctx;
  dctx.reset(zstd.ResetDirective.sessionOnly);
  if (data.length === 0) throw new CompressionError('corrupt', CODEC_ZSTD, 'empty payload');
  const chunks: Buffer[] = [];
  let total = 0;
  let src = data;
  // Hint returned by the last decompressStream call: 0 means "frame complete and flushed".
  let hint = -1;
  const chunkBytes = Math.min(Math.max(ZSTD_OUT_CHUNK_BYTES_MIN, data.length * 4), ZSTD_OUT_CHUNK_BYTES_MAX, limit + 1);
  try {
    for (;;) {
      const out = Buffer.allocUnsafe(chunkBytes);
      const [ret, produced, consumed] = dctx.decompressStream(out, src);
      hint = ret;
      total += produced;
      if (total > limit) throw tooLarge(CODEC_ZSTD, limit);
      if (produced > 0) chunks.push(out.subarray(0, produced));
      src = src.subarray(consumed);
      // Done when the input is used up and either the last frame is complete (ret 0: decoded and
      // flushed) or the decoder left room in the output (it has nothing more to give). Calling
      // again after ret 0 with no input would open a new, empty frame and look truncated.
      if (src.length === 0 && (ret === 0 || produced < out.length)) break;
      // With input left, a call that neither consumes nor produces can never make progress.
      if (produced === 0 && consumed === 0 && src.length > 0) {
        throw new CompressionError('corrupt', CODEC_ZSTD, 'decoder made no progress');
      }
    }
  } catch (err) {
    dctx.reset(zstd.ResetDirective.sessionOnly);
    throw corrupt(CODEC_ZSTD, err);
  }
  if (hint !== 0) {
    dctx.reset(zstd.ResetDirective.sessionOnly);
    throw new CompressionError('corrupt', CODEC_ZSTD, 'truncated frame');
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

// ---------------------------------------------------------------------------------------------
// public API

/** Compresses `data` with `codec`. Codec 0 returns `data` itself. Throws CompressionError. */
export function compressSync(codec: number, data: Buffer, opts?: CompressOptions): Buffer {
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      return zlib.gzipSync(data, gzipOptions(opts));
    case CODEC_SNAPPY:
      return snappy.compressSync(data);
    case CODEC_LZ4:
      return lz4.compressFrameSync(data);
    case CODEC_ZSTD:
      return zstdCompressSync(data, opts?.level ?? ZSTD_LEVEL_DEFAULT);
    default:
      throw unsupported(codec);
  }
}

/** Async `compressSync`: gzip, snappy and lz4 run off the event loop; zstd runs inline. */
export async function compress(codec: number, data: Buffer, opts?: CompressOptions): Promise<Buffer> {
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      return gzipAsync(data, gzipOptions(opts));
    case CODEC_SNAPPY:
      return snappy.compress(data);
    case CODEC_LZ4:
      return lz4.compressFrame(data);
    case CODEC_ZSTD:
      return zstdCompressSync(data, opts?.level ?? ZSTD_LEVEL_DEFAULT);
    default:
      throw unsupported(codec);
  }
}

/** Decompresses a batch payload. Codec 0 returns `data` itself. Throws CompressionError only. */
export function decompressSync(codec: number, data: Buffer, opts?: DecompressOptions): Buffer {
  const limit = limitOf(opts);
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      try {
        return zlib.gunzipSync(data, { maxOutputLength: limit });
      } catch (err) {
        throw gzipError(err, limit);
      }
    case CODEC_SNAPPY:
      return snappyDecompressSync(data, limit);
    case CODEC_LZ4:
      return lz4DecompressSync(data, limit);
    case CODEC_ZSTD:
      return zstdDecompressSync(data, limit);
    default:
      throw unsupported(codec);
  }
}

/** Async `decompressSync`; rejects with CompressionError only. */
export async function decompress(codec: number, data: Buffer, opts?: DecompressOptions): Promise<Buffer> {
  const limit = limitOf(opts);
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      try {
        return await gunzipAsync(data, { maxOutputLength: limit });
      } catch (err) {
        throw gzipError(err, limit);
      }
    case CODEC_SNAPPY:
      return snappyDecompressAsync(data, limit);
    case CODEC_LZ4:
      return lz4DecompressAsync(data, limit);
    case CODEC_ZSTD:
      return zstdDecompressSync(data, limit);
    default:
      throw unsupported(codec);
  }
}
