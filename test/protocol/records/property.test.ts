/**
 * Goal: (1) for any record set and every codec, build → validate (shallow and deep) → readRecords
 * gives back the input; (2) no damage to a valid record set makes validateRecordSet throw, hang
 * or answer outside its four error kinds, and the decoders behind it (deep validation,
 * readRecords, recompression) only fail with our typed errors.
 * Method: fast-check generated records (null/empty/binary keys and values, unicode header keys,
 * optional timestamps) per codec; mutation fuzz over a mixed-codec record set with byte flips,
 * truncations, insertions and int32 overwrites, half of them with the CRC resealed so the
 * mutation reaches record parsing and the decompressors. Each test has a time budget.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { batch, BATCH_LENGTH_PREFIX_BYTES } from '../../../src/protocol/records/batch.js';
import { buildRecordBatch, buildRecordBatchSync, readRecords, type RecordInput } from '../../../src/protocol/records/builder.js';
import { CompressionError } from '../../../src/protocol/records/compression.js';
import { recompressBatch } from '../../../src/protocol/records/recompress.js';
import { RecordBatchError, validateRecordSet, validateRecordSetDeep } from '../../../src/protocol/records/validate.js';
import { assertSameRecords } from './helpers.js';

const KINDS = new Set(['corruptMessage', 'messageTooLarge', 'unsupportedForMessageFormat', 'invalidRecord']);
const LIMIT = { maxBatchBytes: 1 << 22, maxDecompressedBytes: 1 << 24 };

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.option(bytes(64), { nil: null }),
    value: fc.option(fc.oneof(bytes(2000), fc.string({ maxLength: 500 }).map((s) => Buffer.from(s.repeat(4)))), { nil: null }),
    headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 20 }), value: fc.option(bytes(40), { nil: null }) }), { maxLength: 4 }),
    timestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ['key', 'value'] },
);

describe('property: build → validate → read', () => {
  for (let codec = 0; codec <= 4; codec++) {
    it(`round-trips random record sets with codec ${codec}`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(recordArb, { minLength: 1, maxLength: 40 }),
          fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
          fc.integer({ min: 0, max: 2 ** 40 }),
          async (records, baseTimestampMs, baseOffset) => {
            const b = await buildRecordBatch({ records, compression: codec, baseTimestampMs, baseOffset });
            const v = validateRecordSet(b, { ...LIMIT, deepValidate: true });
            assert.ok(v.ok, v.ok ? '' : `${v.error}: ${v.detail}`);
            assert.equal(v.recordCount, records.length);
            assert.ok((await validateRecordSetDeep(b, LIMIT)).ok);
            let defaultTs = baseTimestampMs ?? Math.min(...records.map((r) => r.timestampMs ?? Number.POSITIVE_INFINITY));
            if (defaultTs === Number.POSITIVE_INFINITY) defaultTs = -1;
            assertSameRecords(await readRecords(b), records, baseOffset, defaultTs);
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});

/** A record set of four batches, one per compressed codec plus an uncompressed one. */
function baseSet(): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < 30; i++) {
    records.push({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i} `.repeat(i % 9)), headers: [{ key: 'h', value: i % 2 ? null : Buffer.from('x') }], timestampMs: 1_700_000_000_000 + i });
  }
  return Buffer.concat([0, 1, 2, 3, 4].map((compression, i) => buildRecordBatchSync({ records: records.slice(i * 5, i * 5 + 10), compression })));
}

type Mutation =
  | { kind: 'flip'; position: number; mask: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'insert'; position: number; data: number[] }
  | { kind: 'int32'; position: number; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), position: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), position: fc.nat(), data: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('int32' as const), position: fc.nat(), value: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
);

function mutate(source: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(source);
  for (const m of mutations) {
    if (b.length === 0) break;
    if (m.kind === 'flip') b[m.position % b.length]! ^= m.mask;
    else if (m.kind === 'truncate') b = b.subarray(0, m.length % b.length);
    else if (m.kind === 'insert') {
      const at = m.position % b.length;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.data), b.subarray(at)]);
    } else if (b.length >= 4) b.writeInt32BE(m.value, m.position % (b.length - 3));
  }
  return b;
}

/** Recomputes the CRC of every batch whose framing still holds, so mutations reach the records. */
function resealAll(b: Buffer): void {
  for (let at = 0; at + 21 <= b.length; ) {
    const total = b.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
    if (total < 61 || at + total > b.length) return;
    batch.resealCrc(b, at);
    at += total;
  }
}

function assertTypedResult(v: ReturnType<typeof validateRecordSet>): void {
  if (!v.ok) {
    assert.ok(KINDS.has(v.error), v.error);
    assert.equal(typeof v.detail, 'string');
  }
}

async function expectTypedRejection(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    // Expected outcome for damaged bytes; anything but our two error types fails the property.
    assert.ok(err instanceof RecordBatchError || err instanceof CompressionError, `untyped failure: ${String(err)}`);
  }
}

describe('property: mutation fuzz', () => {
  const source = baseSet();

  it('the base set is valid', () => {
    const v = validateRecordSet(source, { ...LIMIT, deepValidate: true });
    assert.ok(v.ok && v.batchCount === 5 && v.codecMask === 0b11111);
  });

  it('validateRecordSet never throws and answers with a known kind', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (mutations, reseal) => {
        const b = mutate(source, mutations);
        if (reseal) resealAll(b);
        assertTypedResult(validateRecordSet(b, LIMIT));
        assertTypedResult(validateRecordSet(b, { ...LIMIT, deepValidate: true }));
        assertTypedResult(validateRecordSet(b, { ...LIMIT, allowEmptyBatches: true, maxBatchBytes: 300 }));
      }),
      { numRuns: 3000 },
    );
  });

  it('deep validation, readRecords and recompression fail only with typed errors', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 4 }), async (mutations, target) => {
        const b = mutate(source, mutations);
        resealAll(b);
        assertTypedResult(await validateRecordSetDeep(b, LIMIT));
        // Walk whatever batches still frame, and push each through the object-level decoders.
        for (let at = 0; at + 61 <= b.length; ) {
          const total = b.readInt32BE(at + 8) + BATCH_LENGTH_PREFIX_BYTES;
          if (total < 61 || at + total > b.length) break;
          const one = b.subarray(at, at + total);
          await expectTypedRejection(readRecords(one));
          await expectTypedRejection(recompressBatch(one, target));
          at += total;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('every truncation of the set is rejected without throwing', () => {
    for (let length = 1; length < source.length; length += 7) {
      const v = validateRecordSet(source.subarray(0, length), { ...LIMIT, deepValidate: true });
      // A cut exactly at a batch boundary leaves a valid shorter set.
      if (v.ok) assert.ok(v.batchCount < 5);
      else assertTypedResult(v);
    }
  });
});
