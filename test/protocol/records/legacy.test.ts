/**
 * Goal: the legacy (magic 0/1) message-set codec in src/protocol/records/legacy.ts reads what the
 * protocol documents, writes what old clients read, converts to and from record batch v2 without
 * losing offsets, keys, values, timestamps or codecs, and meets any damaged input with
 * RecordBatchError only (its kind naming the Kafka error), never another throw.
 * Method: messages are also built by hand in this file (offset, size, CRC-32 from node:zlib,
 * magic, attributes, timestamp, key, value) so the decoder is checked against the layout, not only
 * against our own encoder; round trips for magic 0/1 × every legacy codec; wrappers' inner offsets
 * (relative for magic 1, absolute for magic 0) and LogAppendTime; the magic-0 LZ4 header-checksum
 * quirk (KAFKA-3160/KIP-57) in both directions, checked against lz4-napi; xerial snappy framing;
 * CRC mismatches outer and inner; up-conversion (one v2 batch, codec kept or overridden, size
 * limits, keyless indexes); down-conversion (control batches skipped, headers dropped, fetch
 * offset, byte budget, zstd); and a fast-check mutation fuzz (outer CRCs resealed so mutations
 * reach the fields, and mutated inner sets wrapped in valid gzip wrappers).
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as lz4 from 'lz4-napi';
import { batch, BATCH_LENGTH_PREFIX_BYTES } from '../../../src/protocol/records/batch.js';
import { buildRecordBatch, readRecords, type RecordInput } from '../../../src/protocol/records/builder.js';
import {
  breakLz4HeaderChecksum,
  decodeLegacyRecords,
  downConvertRecordBatches,
  encodeLegacyMessageSet,
  encodeLegacyWrapper,
  readMessageSet,
  upConvertLegacyRecordSet,
  type LegacyMagic,
  type LegacyRecordInput,
} from '../../../src/protocol/records/legacy.js';
import { isXerialSnappy } from '../../../src/protocol/records/compression.js';
import { RecordBatchError, validateRecordSet } from '../../../src/protocol/records/validate.js';
import { xxhash32 } from '../../../src/protocol/records/xxhash32.js';

const DECODE = { partialTail: 'error' } as const;
const TS = 1_700_000_000_000;

/** One entry written by hand from the documented layout. */
function handMessage(magic: number, offset: number, attributes: number, timestampMs: number, key: Buffer | null, value: Buffer | null): Buffer {
  const field = (b: Buffer | null): Buffer => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b === null ? -1 : b.length);
    return b === null ? len : Buffer.concat([len, b]);
  };
  const head = Buffer.alloc(magic === 1 ? 10 : 2);
  head.writeInt8(magic, 0);
  head.writeUInt8(attributes, 1);
  if (magic === 1) head.writeBigInt64BE(BigInt(timestampMs), 2);
  const body = Buffer.concat([head, field(key), field(value)]);
  const prefix = Buffer.alloc(16);
  prefix.writeBigInt64BE(BigInt(offset), 0);
  prefix.writeInt32BE(body.length + 4, 8);
  prefix.writeUInt32BE(zlib.crc32(body), 12);
  return Buffer.concat([prefix, body]);
}

function sample(n: number, magic: LegacyMagic): LegacyRecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    offset: i,
    timestampMs: magic === 1 ? TS + i : -1,
    key: i % 3 === 2 ? null : Buffer.from(`key-${i}`),
    value: i % 4 === 3 ? null : Buffer.from(`value ${i} `.repeat(1 + (i % 5))),
  }));
}

function plain(m: { offset: number; timestampMs?: number; key: Buffer | null; value: Buffer | null }): object {
  return { offset: m.offset, timestampMs: m.timestampMs ?? -1, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null };
}

async function expectKind(p: Promise<unknown> | (() => unknown), kind: string, detail?: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof RecordBatchError, `expected RecordBatchError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (detail) assert.match(err.detail, detail);
    return;
  }
  assert.fail(`expected a ${kind} RecordBatchError`);
}

describe('legacy message sets: decoding the documented layout', () => {
  it('reads hand-built magic 0 and magic 1 messages, null keys and values included', async () => {
    const set = Buffer.concat([
      handMessage(0, 7, 0, 0, Buffer.from('a'), Buffer.from('one')),
      handMessage(1, 8, 0, TS, null, Buffer.from('two')),
      handMessage(1, 9, 0x08, TS + 5, Buffer.from('c'), null),
    ]);
    const out = await decodeLegacyRecords(set, DECODE);
    assert.deepEqual(out.map(plain), [
      { offset: 7, timestampMs: -1, key: 'a', value: 'one' },
      { offset: 8, timestampMs: TS, key: null, value: 'two' },
      { offset: 9, timestampMs: TS + 5, key: 'c', value: null },
    ]);
    assert.deepEqual(out.map((m) => [m.magic, m.codec, m.logAppendTime]), [[0, 0, false], [1, 0, false], [1, 0, true]]);
  });

  it('resolves inner offsets of a hand-built gzip wrapper: relative for magic 1, absolute for magic 0', async () => {
    for (const magic of [0, 1] as const) {
      const inner = Buffer.concat([0, 1, 2].map((i) => handMessage(magic, magic === 1 ? i : 100 + i, 0, TS + i, Buffer.from(`k${i}`), Buffer.from(`v${i}`))));
      const wrapper = handMessage(magic, magic === 1 ? 41 : 102, 1, TS + 2, null, zlib.gzipSync(inner));
      const out = await decodeLegacyRecords(wrapper, DECODE);
      assert.deepEqual(out.map((m) => m.offset), magic === 1 ? [39, 40, 41] : [100, 101, 102]);
      assert.deepEqual(out.map((m) => m.timestampMs), magic === 1 ? [TS, TS + 1, TS + 2] : [-1, -1, -1]);
      assert.ok(out.every((m) => m.codec === 1));
    }
  });

  it('gives every inner message the wrapper timestamp when the wrapper is LogAppendTime', async () => {
    const inner = Buffer.concat([0, 1].map((i) => handMessage(1, i, 0, 5 + i, null, Buffer.from('x'))));
    const out = await decodeLegacyRecords(handMessage(1, 1, 0x01 | 0x08, TS, null, zlib.gzipSync(inner)), DECODE);
    assert.deepEqual(out.map((m) => [m.timestampMs, m.logAppendTime]), [[TS, true], [TS, true]]);
  });
});

describe('legacy message sets: round trips', () => {
  for (const magic of [0, 1] as const) {
    for (const codec of [0, 1, 2, 3]) {
      it(`magic ${magic}, codec ${codec}: encode → decode gives the records back`, async () => {
        const records = sample(25, magic).map((r) => ({ ...r, offset: r.offset + 1000 }));
        const set = codec === 0 ? encodeLegacyMessageSet(magic, records) : await encodeLegacyWrapper(magic, codec, records);
        const out = await decodeLegacyRecords(set, DECODE);
        assert.deepEqual(out.map(plain), records.map(plain));
        assert.ok(out.every((m) => m.magic === magic && m.codec === codec));
      });
    }
  }

  it('writes snappy wrappers in xerial framing, as Java writers do', async () => {
    const wrapper = await encodeLegacyWrapper(1, 2, sample(3, 1));
    const [outer] = readMessageSet(wrapper, DECODE);
    assert.ok(isXerialSnappy(outer!.value!));
  });
});

describe('legacy message sets: the magic-0 LZ4 header checksum (KAFKA-3160, KIP-57)', () => {
  const hcAt = 6; // 4-byte frame magic, FLG, BD: our frames carry no content size or dictionary id

  it('magic 0 wrappers carry the checksum over frame magic + descriptor; magic 1 the correct one', async () => {
    for (const magic of [0, 1] as const) {
      const [outer] = readMessageSet(await encodeLegacyWrapper(magic, 3, sample(4, magic)), DECODE);
      const frame = outer!.value!;
      const broken = (xxhash32(frame.subarray(0, hcAt)) >>> 8) & 0xff;
      const correct = (xxhash32(frame.subarray(4, hcAt)) >>> 8) & 0xff;
      assert.notEqual(broken, correct);
      assert.equal(frame[hcAt], magic === 0 ? broken : correct);
      if (magic === 0) assert.throws(() => lz4.decompressFrameSync(frame), /HeaderChecksum/);
      else assert.ok(lz4.decompressFrameSync(frame).length > 0);
    }
  });

  it('decodes a magic-0 LZ4 wrapper written by an old client (broken checksum) and refuses a broken one in magic 1', async () => {
    const inner = Buffer.concat([0, 1].map((i) => handMessage(0, i, 0, 0, Buffer.from(`k${i}`), Buffer.from(`v${i}`))));
    const frame = breakLz4HeaderChecksum(Buffer.from(lz4.compressFrameSync(inner)));
    const out = await decodeLegacyRecords(handMessage(0, 1, 3, 0, null, frame), DECODE);
    assert.deepEqual(out.map((m) => m.key?.toString()), ['k0', 'k1']);
    const inner1 = Buffer.concat([0, 1].map((i) => handMessage(1, i, 0, TS, null, Buffer.from('v'))));
    const frame1 = breakLz4HeaderChecksum(Buffer.from(lz4.compressFrameSync(inner1)));
    await expectKind(decodeLegacyRecords(handMessage(1, 1, 3, TS, null, frame1), DECODE), 'invalidRecord', /lz4/);
  });
});

describe('legacy message sets: errors', () => {
  const good = handMessage(1, 0, 0, TS, Buffer.from('k'), Buffer.from('value'));

  it('answers CRC-32 mismatches with corruptMessage, outside and inside a wrapper', async () => {
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 1;
    await expectKind(decodeLegacyRecords(bad, DECODE), 'corruptMessage', /CRC-32/);
    const inner = Buffer.from(handMessage(1, 0, 0, TS, null, Buffer.from('inner')));
    inner[inner.length - 1]! ^= 1;
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 1, TS, null, zlib.gzipSync(inner)), DECODE), 'corruptMessage', /CRC-32/);
  });

  it('names the structural faults', async () => {
    const nested = handMessage(1, 0, 1, TS, null, zlib.gzipSync(handMessage(1, 0, 1, TS, null, zlib.gzipSync(good))));
    await expectKind(decodeLegacyRecords(nested, DECODE), 'invalidRecord', /nested/);
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 1, TS, null, zlib.gzipSync(handMessage(0, 0, 0, 0, null, null))), DECODE), 'invalidRecord', /magic 0 inside/);
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 1, TS, null, zlib.gzipSync(Buffer.alloc(0))), DECODE), 'invalidRecord', /no messages/);
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 1, TS, null, null), DECODE), 'invalidRecord', /null value/);
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 4, TS, null, Buffer.from('x')), DECODE), 'invalidRecord', /codec id 4/);
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 1, TS, null, Buffer.from('not gzip')), DECODE), 'invalidRecord', /gzip/);
    await expectKind(decodeLegacyRecords(handMessage(1, 0, 0, -5, null, null), DECODE), 'invalidRecord', /timestamp -5/);
    await expectKind(decodeLegacyRecords(Buffer.concat([good, good.subarray(0, 20)]), DECODE), 'corruptMessage', /runs past/);
    assert.equal(readMessageSet(Buffer.concat([good, good.subarray(0, 20)]), { partialTail: 'ignore' }).length, 1);
    const magic7 = Buffer.from(good);
    magic7.writeInt8(7, 16);
    await expectKind(decodeLegacyRecords(magic7, DECODE), 'corruptMessage', /unknown magic 7/);
    const v2 = await buildRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
    await expectKind(decodeLegacyRecords(Buffer.concat([good, v2]), DECODE), 'invalidRecord', /magic 2/);
    // A key length that runs past the message, with the CRC recomputed so the field check is reached.
    const longKey = Buffer.from(good);
    longKey.writeInt32BE(1000, 26);
    longKey.writeUInt32BE(zlib.crc32(longKey.subarray(16)), 12);
    await expectKind(decodeLegacyRecords(longKey, DECODE), 'invalidRecord', /key length 1000/);
    await expectKind(decodeLegacyRecords(good, { ...DECODE, entryBytesMax: good.length - 1 }), 'messageTooLarge');
  });

  it('caps the decompressed bytes of all wrappers together', async () => {
    const wrapper = await encodeLegacyWrapper(1, 1, [{ offset: 0, key: null, value: Buffer.alloc(100_000) }]);
    await expectKind(decodeLegacyRecords(Buffer.concat([wrapper, wrapper]), { ...DECODE, maxDecompressedBytes: 150_000 }), 'messageTooLarge');
  });
});

describe('up-conversion (Produce v0-2)', () => {
  it('turns a set of several wrappers into one v2 batch with their codec, deltas 0..n-1 and the timestamps', async () => {
    const first = await encodeLegacyWrapper(1, 2, sample(5, 1));
    const second = await encodeLegacyWrapper(1, 2, sample(4, 1).map((r) => ({ ...r, timestampMs: TS + 100 })));
    const up = await upConvertLegacyRecordSet(Buffer.concat([first, second]), { maxBatchBytes: 1 << 20, targetCompression: null });
    assert.equal(up.recordCount, 9);
    assert.equal(up.sourceCompression, 2);
    assert.equal(batch.compression(up.batch), 2);
    const v = validateRecordSet(up.batch, { maxBatchBytes: 1 << 20, deepValidate: true });
    assert.ok(v.ok && v.batchCount === 1 && v.recordCount === 9 && v.producerId === -1n);
    const records = await readRecords(up.batch);
    assert.deepEqual(records.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(records.map((r) => r.timestampMs), [TS, TS + 1, TS + 2, TS + 3, TS + 4, TS + 100, TS + 100, TS + 100, TS + 100]);
    assert.deepEqual(records.map((r) => r.key?.toString() ?? null), [...sample(5, 1), ...sample(4, 1)].map((r) => r.key?.toString() ?? null));
    assert.deepEqual(up.keyless, [2, 7]);
  });

  it('gives magic 0 records NO_TIMESTAMP, keeps plain sets uncompressed and honours a topic codec', async () => {
    const plainSet = encodeLegacyMessageSet(0, sample(6, 0));
    const up = await upConvertLegacyRecordSet(plainSet, { maxBatchBytes: 1 << 20, targetCompression: null });
    assert.equal(batch.compression(up.batch), 0);
    assert.ok((await readRecords(up.batch)).every((r) => r.timestampMs === -1));
    const forced = await upConvertLegacyRecordSet(plainSet, { maxBatchBytes: 1 << 20, targetCompression: 4 });
    assert.equal(batch.compression(forced.batch), 4);
    assert.deepEqual((await readRecords(forced.batch)).map((r) => r.value?.toString() ?? null), sample(6, 0).map((r) => r.value?.toString() ?? null));
  });

  it('checks max.message.bytes on each incoming message and on the converted batch', async () => {
    const set = encodeLegacyMessageSet(1, sample(50, 1));
    await expectKind(upConvertLegacyRecordSet(set, { maxBatchBytes: 40, targetCompression: null }), 'messageTooLarge', /message at 0/);
    await expectKind(upConvertLegacyRecordSet(set, { maxBatchBytes: 200, targetCompression: null }), 'messageTooLarge', /converted record batch/);
  });
});

describe('down-conversion (Fetch v0-3)', () => {
  const records: RecordInput[] = Array.from({ length: 6 }, (_, i) => ({
    key: i === 1 ? null : Buffer.from(`k${i}`),
    value: Buffer.from(`v${i}`),
    headers: [{ key: 'h', value: Buffer.from('dropped') }],
    timestampMs: TS + i,
  }));

  /** Offsets 10-12 plain, 13 a control batch, 14-16 lz4 with LogAppendTime (maxTimestamp TS + 5). */
  async function storedLog(): Promise<Buffer> {
    return Buffer.concat([
      await buildRecordBatch({ baseOffset: 10, records: records.slice(0, 3) }),
      await buildRecordBatch({ baseOffset: 13, records: [{ key: Buffer.from('ctl'), value: Buffer.alloc(6) }], control: true }),
      await buildRecordBatch({ baseOffset: 14, records: records.slice(3), compression: 3, timestampType: 'logAppend' }),
    ]);
  }

  for (const toMagic of [0, 1] as const) {
    it(`converts to magic ${toMagic}: offsets and keys kept, control batch skipped, headers dropped, codec kept`, async () => {
      const stored = await storedLog();
      const out = await downConvertRecordBatches(stored, { toMagic, fetchOffset: 10, bytesMax: 1 << 20, minOneMessage: true });
      assert.equal(out.full, false);
      assert.equal(out.nextOffset, 17);
      const messages = await decodeLegacyRecords(out.records, DECODE);
      assert.deepEqual(messages.map((m) => m.offset), [10, 11, 12, 14, 15, 16]);
      assert.deepEqual(messages.map((m) => m.key?.toString() ?? null), ['k0', null, 'k2', 'k3', 'k4', 'k5']);
      assert.deepEqual(messages.map((m) => m.codec), [0, 0, 0, 3, 3, 3]);
      assert.ok(messages.every((m) => m.magic === toMagic));
      if (toMagic === 1) {
        assert.deepEqual(messages.slice(0, 3).map((m) => m.timestampMs), [TS, TS + 1, TS + 2]);
        // The LogAppendTime batch: its maxTimestamp on every record, and the type bit kept.
        assert.ok(messages.slice(3).every((m) => m.logAppendTime && m.timestampMs === TS + 5));
      } else {
        assert.ok(messages.every((m) => m.timestampMs === -1));
      }
    });
  }

  it('drops records below the fetch offset from uncompressed batches only, and stops at the byte budget', async () => {
    const stored = await storedLog();
    const from11 = await decodeLegacyRecords((await downConvertRecordBatches(stored, { toMagic: 1, fetchOffset: 11, bytesMax: 1 << 20, minOneMessage: true })).records, DECODE);
    assert.deepEqual(from11.map((m) => m.offset), [11, 12, 14, 15, 16]);
    const small = await downConvertRecordBatches(stored, { toMagic: 1, fetchOffset: 10, bytesMax: 80, minOneMessage: true });
    assert.equal(small.full, true);
    assert.deepEqual((await decodeLegacyRecords(small.records, DECODE)).map((m) => m.offset), [10, 11]);
    assert.equal(small.nextOffset, 12);
    assert.ok(small.records.length <= 80);
    const tiny = await downConvertRecordBatches(stored, { toMagic: 1, fetchOffset: 10, bytesMax: 10, minOneMessage: true });
    assert.deepEqual((await decodeLegacyRecords(tiny.records, DECODE)).map((m) => m.offset), [10]);
    const none = await downConvertRecordBatches(stored, { toMagic: 1, fetchOffset: 10, bytesMax: 10, minOneMessage: false });
    assert.equal(none.records.length, 0);
    assert.equal(none.full, true);
  });

  it('stops before a zstd batch, which no legacy codec can carry', async () => {
    const stored = Buffer.concat([
      await buildRecordBatch({ baseOffset: 0, records: records.slice(0, 2) }),
      await buildRecordBatch({ baseOffset: 2, records: records.slice(2, 4), compression: 4 }),
    ]);
    const out = await downConvertRecordBatches(stored, { toMagic: 1, fetchOffset: 0, bytesMax: 1 << 20, minOneMessage: true });
    assert.equal(out.zstdAt, 2);
    assert.deepEqual((await decodeLegacyRecords(out.records, DECODE)).map((m) => m.offset), [0, 1]);
  });

  it('up- then down-conversion returns what an old producer sent, for every magic and legacy codec', async () => {
    for (const magic of [0, 1] as const) {
      for (const codec of [0, 1, 2, 3]) {
        const sent = sample(12, magic);
        const set = codec === 0 ? encodeLegacyMessageSet(magic, sent) : await encodeLegacyWrapper(magic, codec, sent);
        const up = await upConvertLegacyRecordSet(set, { maxBatchBytes: 1 << 20, targetCompression: null });
        const down = await downConvertRecordBatches(up.batch, { toMagic: magic, fetchOffset: 0, bytesMax: 1 << 20, minOneMessage: true });
        assert.deepEqual((await decodeLegacyRecords(down.records, DECODE)).map(plain), sent.map(plain), `magic ${magic} codec ${codec}`);
      }
    }
  });
});

describe('legacy message sets: mutation fuzz', () => {
  type Mutation = { kind: 'flip'; position: number; mask: number } | { kind: 'truncate'; length: number } | { kind: 'int32'; position: number; value: number };
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), position: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
    fc.record({ kind: fc.constant('int32' as const), position: fc.nat(), value: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
  );

  function mutate(source: Buffer, mutations: Mutation[]): Buffer {
    let b = Buffer.from(source);
    for (const m of mutations) {
      if (b.length === 0) break;
      if (m.kind === 'flip') b[m.position % b.length]! ^= m.mask;
      else if (m.kind === 'truncate') b = b.subarray(0, m.length % b.length);
      else if (b.length >= 4) b.writeInt32BE(m.value, m.position % (b.length - 3));
    }
    return b;
  }

  /** Recomputes the CRC-32 of every entry whose framing still holds, so mutations reach the fields. */
  function resealAll(b: Buffer): void {
    for (let at = 0; at + 17 <= b.length; ) {
      const size = b.readInt32BE(at + 8);
      if (size < 14 || at + 12 + size > b.length) return;
      b.writeUInt32BE(zlib.crc32(b.subarray(at + 16, at + 12 + size)), at + 12);
      at += 12 + size;
    }
  }

  async function expectTypedOutcome(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      // Expected for damaged bytes; anything but RecordBatchError fails the property.
      assert.ok(err instanceof RecordBatchError, `untyped failure: ${String(err)}`);
    }
  }

  let sources: Buffer[] = [];
  const build = async (): Promise<Buffer[]> => {
    if (sources.length > 0) return sources;
    const parts: Buffer[] = [];
    for (const magic of [0, 1] as const) {
      parts.push(encodeLegacyMessageSet(magic, sample(6, magic)));
      for (const codec of [1, 2, 3]) parts.push(await encodeLegacyWrapper(magic, codec, sample(6, magic)));
    }
    sources = [Buffer.concat(parts.slice(0, 4)), Buffer.concat(parts.slice(4)), ...parts];
    return sources;
  };

  it('decoding and up-conversion fail only with RecordBatchError', { timeout: 120_000 }, async () => {
    const all = await build();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: all.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 5 }), fc.boolean(), async (which, mutations, reseal) => {
        const b = mutate(all[which]!, mutations);
        if (reseal) resealAll(b);
        await expectTypedOutcome(decodeLegacyRecords(b, { partialTail: 'error', maxDecompressedBytes: 1 << 20 }));
        await expectTypedOutcome(decodeLegacyRecords(b, { partialTail: 'ignore', maxDecompressedBytes: 1 << 20 }));
        await expectTypedOutcome(upConvertLegacyRecordSet(b, { maxBatchBytes: 1 << 20, targetCompression: null, maxDecompressedBytes: 1 << 20 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated inner message sets inside valid gzip wrappers fail only with RecordBatchError', { timeout: 120_000 }, async () => {
    const inner = encodeLegacyMessageSet(1, sample(8, 1));
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), async (mutations, reseal) => {
        const b = mutate(inner, mutations);
        if (reseal) resealAll(b);
        await expectTypedOutcome(decodeLegacyRecords(handMessage(1, 7, 1, TS, null, zlib.gzipSync(b)), DECODE));
      }),
      { numRuns: 1000 },
    );
  });

  it('down-conversion of damaged stored batches fails only with RecordBatchError', { timeout: 120_000 }, async () => {
    const stored = Buffer.concat([
      await buildRecordBatch({ records: [{ key: null, value: Buffer.from('a'.repeat(50)) }, { key: Buffer.from('k'), value: null }] }),
      await buildRecordBatch({ baseOffset: 2, records: [{ key: null, value: Buffer.from('b'.repeat(50)) }], compression: 1 }),
    ]);
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const b = mutate(stored, mutations);
        for (let at = 0; at + 21 <= b.length; ) {
          const total = b.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
          if (total < 61 || at + total > b.length) break;
          batch.resealCrc(b, at);
          at += total;
        }
        await expectTypedOutcome(downConvertRecordBatches(b, { toMagic: 1, fetchOffset: 0, bytesMax: 1 << 20, minOneMessage: true }));
      }),
      { numRuns: 1000 },
    );
  });
});
