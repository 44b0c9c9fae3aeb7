/**
 * Fuzz targets for src/protocol/records/ (record batches v2, legacy message sets, codecs).
 *
 * Inputs start with a flags byte that tells the harness how to prepare the rest, so mutations
 * get past the checksums and the compression into the structure behind them (the preparation is
 * deterministic: a saved input replays exactly):
 *   records / records-async: bit0 compress each framed batch's records with its codec bits,
 *     bit1 reseal each framed batch's CRC32C, bit2 allowEmptyBatches, bit3 down-convert to magic 1
 *     (else 0), bits4-6 target codec for recompression (mod 5).
 *   legacy: bit0 reseal each entry's CRC-32, bit1 wrap the rest as the inner set of one compressed
 *     message (codec bits2-3, 0 → gzip; magic bit4), bit5 partialTail 'ignore', bit6 up-convert to
 *     zstd (else keep the producer's codec).
 *   compression: codec id (low 3 bits; 5-7 must fail cleanly), bit7 also round-trip the payload.
 *
 * Contracts (from the files' headers): validateRecordSet / validateRecordSetDeep /
 * validateCompressedBatch never throw; readRecords(Sync), keylessRecordIndexes, recompressBatch
 * throw RecordBatchError or CompressionError; legacy.ts throws RecordBatchError only;
 * decompress(Sync) throws CompressionError only. Oracles: sync and async variants agree; shallow
 * and deep validation agree where both apply; a batch that passes deep validation reads back
 * recordCount records; recompression keeps the records; our own conversions (up and down) produce
 * bytes our own readers accept with the same records.
 */
import { isDeepStrictEqual } from 'node:util';
import { BATCH_HEADER_BYTES, BATCH_LENGTH_PREFIX_BYTES, batch } from '../../../src/protocol/records/batch.js';
import { buildRecordBatchSync, keylessRecordIndexes, readRecords, readRecordsSync, type RecordInput, type RecordOutput } from '../../../src/protocol/records/builder.js';
import { compressSync, CompressionError, decompress, decompressSync } from '../../../src/protocol/records/compression.js';
import {
  crc32,
  decodeLegacyRecords,
  downConvertRecordBatches,
  encodeLegacyMessageSet,
  readMessageSet,
  upConvertLegacyRecordSet,
  type LegacyMessage,
} from '../../../src/protocol/records/legacy.js';
import { recompressBatch } from '../../../src/protocol/records/recompress.js';
import { RecordBatchError, validateCompressedBatch, validateRecordSet, validateRecordSetDeep } from '../../../src/protocol/records/validate.js';
import { Finding, type FuzzTarget } from '../target.js';

const BATCH_BYTES_MAX = 1 << 20;
const DECOMPRESSED_BYTES_MAX = 1 << 20;
const ALLOCATION_BYTES_MAX = 8 * DECOMPRESSED_BYTES_MAX;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs `fn`; the listed error classes are documented rejections, anything else is a finding. */
async function expect<T>(what: string, fn: () => T | Promise<T>, allowed: ReadonlyArray<new (...a: never[]) => Error>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (allowed.some((cls) => err instanceof cls)) {
      const e = err as Error & { kind?: string };
      return { ok: false, error: `${e.name}:${e.kind ?? ''}` };
    }
    throw new Finding(`${what} threw ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

function expectSync<T>(what: string, fn: () => T, allowed: ReadonlyArray<new (...a: never[]) => Error>): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (allowed.some((cls) => err instanceof cls)) {
      const e = err as Error & { kind?: string };
      return { ok: false, error: `${e.name}:${e.kind ?? ''}` };
    }
    throw new Finding(`${what} threw ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Finding(message);
}

const READ_ERRORS = [RecordBatchError, CompressionError] as const;
const LEGACY_ERRORS = [RecordBatchError] as const;
const NO_ERRORS = [] as const;

/** Start and total size of every batch whose framing holds, in order; stops at the first that does not. */
function framedBatches(b: Buffer): Array<{ at: number; total: number }> {
  const out: Array<{ at: number; total: number }> = [];
  for (let at = 0; at + BATCH_HEADER_BYTES <= b.length; ) {
    const total = b.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
    if (total < BATCH_HEADER_BYTES || at + total > b.length) break;
    out.push({ at, total });
    at += total;
  }
  return out;
}

/** Applies the records flags: compress framed batches' records with their codec, reseal CRCs. */
export function prepareRecordSet(input: Buffer): { set: Buffer; flags: number } {
  if (input.length === 0) return { set: input, flags: 0 };
  const flags = input[0]!;
  let set: Buffer = Buffer.from(input.subarray(1));
  if ((flags & 0x01) !== 0) {
    const parts: Buffer[] = [];
    let end = 0;
    for (const { at, total } of framedBatches(set)) {
      const one = set.subarray(at, at + total);
      const codec = batch.compression(one);
      const payload = codec >= 1 && codec <= 4 ? compressSync(codec, one.subarray(BATCH_HEADER_BYTES)) : one.subarray(BATCH_HEADER_BYTES);
      const rebuilt = Buffer.concat([one.subarray(0, BATCH_HEADER_BYTES), payload]);
      rebuilt.writeInt32BE(rebuilt.length - BATCH_LENGTH_PREFIX_BYTES, 8);
      parts.push(rebuilt);
      end = at + total;
    }
    parts.push(set.subarray(end));
    set = Buffer.concat(parts);
  }
  if ((flags & 0x02) !== 0) for (const { at } of framedBatches(set)) batch.resealCrc(set, at);
  return { set, flags };
}

function plainRecords(records: RecordOutput[]): unknown[] {
  return records.map((r) => [r.offset, r.timestampMs, r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null, r.headers.map((h) => [h.key, h.value?.toString('hex') ?? null])]);
}

// ---------------------------------------------------------------------------------------------
// seeds

function recordsOf(n: number, salt: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 1 ? null : Buffer.from(`k${salt}-${i}`),
    value: i % 4 === 2 ? null : Buffer.from(`value-${salt}-${i}-`.repeat(1 + (i % 3))),
    headers: i % 2 === 0 ? [{ key: 'h', value: Buffer.from('v') }, { key: 'n', value: null }] : [],
    timestampMs: 1_700_000_000_000 + i * 7,
  }));
}

function v2Seeds(): Buffer[] {
  const batches: Buffer[] = [];
  for (let codec = 0; codec <= 4; codec++) {
    batches.push(buildRecordBatchSync({ records: recordsOf(1, codec), compression: codec }));
    batches.push(buildRecordBatchSync({ records: recordsOf(4, codec), compression: codec, producerId: 42n, producerEpoch: 1, baseSequence: 0, transactional: codec === 1 }));
  }
  batches.push(buildRecordBatchSync({ records: [{ key: Buffer.from([0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 1]) }], control: true, transactional: true }));
  batches.push(buildRecordBatchSync({ records: recordsOf(3, 9), baseOffset: 100, timestampType: 'logAppend', lastOffsetDelta: 5 }));
  const seeds: Buffer[] = [];
  for (const flags of [0x00, 0x03, 0x12, 0x2b, 0x46]) {
    for (const b of batches) seeds.push(Buffer.concat([Buffer.from([flags]), b]));
    seeds.push(Buffer.concat([Buffer.from([flags]), batches[0]!, batches[3]!, batches[4]!]));
  }
  // Uncompressed plaintext with codec bits set: flag bit0 compresses them in the harness.
  for (let codec = 1; codec <= 4; codec++) {
    const plain = buildRecordBatchSync({ records: recordsOf(3, codec) });
    plain.writeInt16BE(codec, 21);
    seeds.push(Buffer.concat([Buffer.from([0x03]), plain]));
  }
  return seeds;
}

const recordDictionary: Buffer[] = [
  Buffer.from([0x02]), // magic 2
  Buffer.from([0x00, 0x01]), Buffer.from([0x00, 0x02]), Buffer.from([0x00, 0x03]), Buffer.from([0x00, 0x04]), Buffer.from([0x00, 0x20]),
  Buffer.from([0x1f, 0x8b, 0x08]), // gzip
  Buffer.from([0x04, 0x22, 0x4d, 0x18]), // lz4 frame
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd frame
  Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]), // xerial snappy
  Buffer.from([0x00, 0x00, 0x00, 0x31]), // batchLength 49
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // int64 -1
];

// ---------------------------------------------------------------------------------------------
// records (synchronous API)

export const recordsTarget: FuzzTarget = {
  name: 'records',
  description: 'record sets v2: validateRecordSet shallow + deep (sync), readRecordsSync per batch; agreement oracles',
  coverageScope: /\/dist\/src\/protocol\/records\//,
  maxInputBytes: 8192,
  batchSize: 200,
  allocationBytesMax: ALLOCATION_BYTES_MAX,
  dictionary: recordDictionary,
  seeds: () => v2Seeds(),
  run(input) {
    const { set, flags } = prepareRecordSet(input);
    const base = { maxBatchBytes: BATCH_BYTES_MAX, allowEmptyBatches: (flags & 0x04) !== 0, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX };
    const shallow = expectSync('validateRecordSet', () => validateRecordSet(set, base), NO_ERRORS);
    const deep = expectSync('validateRecordSet(deep)', () => validateRecordSet(set, { ...base, deepValidate: true }), NO_ERRORS);
    if (!shallow.ok || !deep.ok) return;
    // Deep validation looks inside batch i before checking batch i+1, so it may refuse earlier.
    if (!shallow.value.ok) {
      check(!deep.value.ok && deep.value.batchIndex <= shallow.value.batchIndex, 'deep validation accepted a set shallow validation refused, or refused it later');
      if (!deep.value.ok && deep.value.batchIndex === shallow.value.batchIndex) check(isDeepStrictEqual(shallow.value, deep.value), 'deep and shallow validation refuse the same batch differently');
    }
    if (deep.value.ok) check(isDeepStrictEqual(shallow.value, deep.value), 'deep validation summary differs from the shallow one');
    for (const { at, total } of framedBatches(set)) {
      const one = set.subarray(at, at + total);
      const read = expectSync('readRecordsSync', () => readRecordsSync(one, { maxDecompressedBytes: DECOMPRESSED_BYTES_MAX }), READ_ERRORS);
      const alone = validateRecordSet(one, { ...base, deepValidate: true });
      if (alone.ok) {
        check(read.ok, `a batch that passes deep validation does not read: ${read.ok ? '' : read.error}`);
        if (read.ok) check(read.value.length === alone.recordCount, `read ${read.value.length} records, recordCount says ${alone.recordCount}`);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// records-async (async API, recompression, down-conversion)

export const recordsAsyncTarget: FuzzTarget = {
  name: 'records-async',
  description: 'record sets v2: validateRecordSetDeep, validateCompressedBatch, readRecords, keylessRecordIndexes, recompressBatch, downConvertRecordBatches',
  coverageScope: /\/dist\/src\/protocol\/records\//,
  maxInputBytes: 8192,
  batchSize: 100,
  allocationBytesMax: ALLOCATION_BYTES_MAX,
  dictionary: recordDictionary,
  seeds: () => v2Seeds(),
  async run(input) {
    const { set, flags } = prepareRecordSet(input);
    const opts = { maxBatchBytes: BATCH_BYTES_MAX, allowEmptyBatches: (flags & 0x04) !== 0, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX };
    const deepSync = validateRecordSet(set, { ...opts, deepValidate: true });
    const deep = await expect('validateRecordSetDeep', () => validateRecordSetDeep(set, opts), NO_ERRORS);
    // Both must accept or refuse alike. The first fault reported may differ: the async variant
    // checks every header first, the sync one looks inside batch i before reading batch i+1.
    if (deep.ok) {
      check(deep.value.ok === deepSync.ok, 'validateRecordSetDeep and validateRecordSet(deepValidate) disagree on accepting the set');
      if (deep.value.ok) check(isDeepStrictEqual(deep.value, deepSync), 'validateRecordSetDeep and validateRecordSet(deepValidate) summaries differ');
    }
    for (const { at, total } of framedBatches(set)) {
      const one = set.subarray(at, at + total);
      await expect('validateCompressedBatch', () => validateCompressedBatch(one, opts), NO_ERRORS);
      const readAsync = await expect('readRecords', () => readRecords(one, opts), READ_ERRORS);
      const readSync = expectSync('readRecordsSync', () => readRecordsSync(one, opts), READ_ERRORS);
      check(
        readAsync.ok === readSync.ok && (readAsync.ok ? isDeepStrictEqual(plainRecords(readAsync.value), plainRecords((readSync as { value: RecordOutput[] }).value)) : readAsync.error === (readSync as { error: string }).error),
        'readRecords and readRecordsSync disagree',
      );
      const target = ((flags >> 4) & 0x07) % 5;
      const recompressed = await expect('recompressBatch', () => recompressBatch(one, target, opts), READ_ERRORS);
      if (recompressed.ok && readSync.ok && recompressed.value !== one) {
        const again = await expect('readRecords(recompressed)', () => readRecords(recompressed.value, opts), READ_ERRORS);
        check(again.ok, `a recompressed batch does not read: ${again.ok ? '' : again.error}`);
        if (again.ok) check(isDeepStrictEqual(plainRecords(again.value), plainRecords(readSync.value)), 'recompression changed the records');
      }
    }
    const shallow = validateRecordSet(set, opts);
    if (shallow.ok) {
      const keyless = await expect('keylessRecordIndexes', () => keylessRecordIndexes(set, opts), READ_ERRORS);
      if (deepSync.ok) check(keyless.ok, 'keylessRecordIndexes failed on a set that passes deep validation');
      const down = await expect(
        'downConvertRecordBatches',
        () => downConvertRecordBatches(set, { toMagic: (flags & 0x08) !== 0 ? 1 : 0, fetchOffset: 0, bytesMax: 1 << 16, minOneMessage: true, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX }),
        LEGACY_ERRORS,
      );
      if (down.ok && down.value.records.length > 0) {
        const back = await expect('decodeLegacyRecords(down-converted)', () => decodeLegacyRecords(down.value.records, { partialTail: 'error' }), LEGACY_ERRORS);
        check(back.ok, `our own down-converted message set does not decode: ${back.ok ? '' : back.error}`);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// legacy (magic 0/1)

const ENTRY_MAGIC_OFFSET = 16;

/** Entries (start, size) whose framing holds. */
function framedEntries(b: Buffer): Array<{ at: number; total: number }> {
  const out: Array<{ at: number; total: number }> = [];
  for (let at = 0; at + ENTRY_MAGIC_OFFSET + 1 <= b.length; ) {
    const total = b.readInt32BE(at + 8) + 12;
    if (total < ENTRY_MAGIC_OFFSET + 1 || at + total > b.length) break;
    out.push({ at, total });
    at += total;
  }
  return out;
}

function resealLegacy(b: Buffer): void {
  for (const { at, total } of framedEntries(b)) b.writeUInt32BE(crc32(b.subarray(at + ENTRY_MAGIC_OFFSET, at + total)), at + 12);
}

/** One compressed wrapper entry holding `inner` (raw bytes) as its value, CRC sealed. */
function wrapRaw(magic: 0 | 1, codec: number, inner: Buffer): Buffer {
  const payload = compressSync(codec, inner);
  const head = magic === 1 ? 22 : 14;
  const out = Buffer.alloc(12 + head + payload.length);
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(head + payload.length, 8);
  out.writeInt8(magic, 16);
  out.writeUInt8(codec, 17);
  let pos = 18;
  if (magic === 1) {
    out.writeBigInt64BE(1_700_000_000_000n, pos);
    pos += 8;
  }
  out.writeInt32BE(-1, pos); // null key
  out.writeInt32BE(payload.length, pos + 4);
  payload.copy(out, pos + 8);
  out.writeUInt32BE(crc32(out.subarray(16)), 12);
  return out;
}

export function prepareLegacy(input: Buffer): { set: Buffer; flags: number } {
  if (input.length === 0) return { set: input, flags: 0 };
  const flags = input[0]!;
  let set: Buffer = Buffer.from(input.subarray(1));
  if ((flags & 0x01) !== 0) resealLegacy(set);
  if ((flags & 0x02) !== 0) set = wrapRaw(((flags >> 4) & 1) as 0 | 1, ((flags >> 2) & 3) || 1, set);
  return { set, flags };
}

function legacySeeds(): Buffer[] {
  const records = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: i, timestampMs: 1_700_000_000_000 + i, key: i === 1 ? null : Buffer.from(`k${i}`), value: i === 2 ? null : Buffer.from(`v${i}`.repeat(3)) }));
  const seeds: Buffer[] = [];
  for (const magic of [0, 1] as const) {
    const plain = encodeLegacyMessageSet(magic, records(3));
    seeds.push(Buffer.concat([Buffer.from([0x00]), plain]), Buffer.concat([Buffer.from([0x01]), plain]));
    for (let codec = 1; codec <= 3; codec++) seeds.push(Buffer.concat([Buffer.from([0x02 | (codec << 2) | (magic << 4)]), plain]));
    seeds.push(Buffer.concat([Buffer.from([0x41]), encodeLegacyMessageSet(magic, records(2), true)]));
  }
  return seeds;
}

function plainLegacy(messages: LegacyMessage[]): unknown[] {
  return messages.map((m) => [m.key?.toString('hex') ?? null, m.value?.toString('hex') ?? null]);
}

export const legacyTarget: FuzzTarget = {
  name: 'legacy',
  description: 'magic 0/1 message sets: readMessageSet, decodeLegacyRecords, upConvertLegacyRecordSet (+ the v2 batch it builds)',
  coverageScope: /\/dist\/src\/protocol\/records\//,
  maxInputBytes: 8192,
  batchSize: 100,
  allocationBytesMax: ALLOCATION_BYTES_MAX,
  dictionary: [...recordDictionary, Buffer.from([0x00]), Buffer.from([0x01]), Buffer.from([0x00, 0x00, 0x00, 0x0e]), Buffer.from([0x00, 0x00, 0x00, 0x16])],
  seeds: () => legacySeeds(),
  async run(input) {
    const { set, flags } = prepareLegacy(input);
    const partialTail = (flags & 0x20) !== 0 ? 'ignore' : 'error';
    expectSync('readMessageSet', () => readMessageSet(set, { partialTail, entryBytesMax: BATCH_BYTES_MAX }), LEGACY_ERRORS);
    const decoded = await expect('decodeLegacyRecords', () => decodeLegacyRecords(set, { partialTail, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX }), LEGACY_ERRORS);
    const up = await expect(
      'upConvertLegacyRecordSet',
      () => upConvertLegacyRecordSet(set, { maxBatchBytes: BATCH_BYTES_MAX, targetCompression: (flags & 0x40) !== 0 ? 4 : null, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX }),
      LEGACY_ERRORS,
    );
    if (!up.ok) return;
    const v = validateRecordSet(up.value.batch, { maxBatchBytes: BATCH_BYTES_MAX, deepValidate: true, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX });
    check(v.ok, `the up-converted batch fails validation: ${v.ok ? '' : v.detail}`);
    const read = await expect('readRecords(up-converted)', () => readRecords(up.value.batch, { maxDecompressedBytes: DECOMPRESSED_BYTES_MAX }), READ_ERRORS);
    check(read.ok && read.value.length === up.value.recordCount, 'the up-converted batch does not read back its records');
    if (read.ok && decoded.ok && partialTail === 'error') {
      check(isDeepStrictEqual(plainRecords(read.value).map((r) => (r as unknown[]).slice(2, 4)), plainLegacy(decoded.value)), 'up-conversion changed keys or values');
    }
  },
};

// ---------------------------------------------------------------------------------------------
// compression

export const compressionTarget: FuzzTarget = {
  name: 'compression',
  description: 'codec id + payload: decompressSync and decompress (gzip, snappy raw/xerial, lz4 frame, zstd, bad ids) agree; round trip',
  coverageScope: /\/dist\/src\/protocol\/records\/compression/,
  maxInputBytes: 8192,
  batchSize: 200,
  allocationBytesMax: ALLOCATION_BYTES_MAX,
  dictionary: recordDictionary,
  seeds() {
    const text = Buffer.from('compressible text, compressible text, compressible text; 0123456789'.repeat(8));
    const seeds: Buffer[] = [];
    for (let codec = 0; codec <= 4; codec++) {
      seeds.push(Buffer.concat([Buffer.from([codec]), compressSync(codec, text)]));
      seeds.push(Buffer.concat([Buffer.from([codec | 0x80]), text.subarray(0, 100)]));
    }
    seeds.push(Buffer.concat([Buffer.from([2]), Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]), Buffer.from([0, 0, 0, 3]), compressSync(2, Buffer.from('x'))]));
    return seeds;
  },
  async run(input) {
    if (input.length === 0) return;
    const codec = input[0]! & 0x07;
    const payload = input.subarray(1);
    const opts = { maxDecompressedBytes: DECOMPRESSED_BYTES_MAX };
    const sync = expectSync('decompressSync', () => decompressSync(codec, payload, opts), [CompressionError]);
    const async = await expect('decompress', () => decompress(codec, payload, opts), [CompressionError]);
    check(sync.ok === async.ok, `decompressSync and decompress disagree on codec ${codec}: ${sync.ok ? 'ok' : sync.error} vs ${async.ok ? 'ok' : async.error}`);
    if (sync.ok && async.ok) check(sync.value.equals(async.value), `decompressSync and decompress give different bytes for codec ${codec}`);
    if ((input[0]! & 0x80) !== 0 && codec <= 4) {
      const packed = compressSync(codec, payload);
      const back = expectSync('decompressSync(round trip)', () => decompressSync(codec, packed, opts), NO_ERRORS);
      check(back.ok && back.value.equals(payload), `codec ${codec} round trip changed ${payload.length} bytes`);
    }
  },
};
