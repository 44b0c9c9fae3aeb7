/**
 * Goal: buildRecordBatch writes exactly the v2 layout (header fields, record encoding, CRC32C)
 * and readRecords gives back what was built, for every codec; bad stored bytes raise typed errors.
 * Method: one batch compared byte for byte with a hand-encoded expectation, header fields read
 * back through batch.ts, build/read round trips with all options, sync/async parity, then
 * damaged batches through readRecords.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../../src/protocol/records/batch.js';
import {
  buildRecordBatch,
  buildRecordBatchSync,
  readRecords,
  readRecordsSync,
  type RecordInput,
} from '../../../src/protocol/records/builder.js';
import { CompressionError } from '../../../src/protocol/records/compression.js';
import { crc32c } from '../../../src/protocol/records/crc32c.js';
import { RecordBatchError } from '../../../src/protocol/records/validate.js';
import { assertSameRecords, resealed, text, withPayload } from './helpers.js';

const RECORDS: RecordInput[] = [
  { key: text('k1'), value: text('v1'), timestampMs: 1_700_000_000_010, headers: [{ key: 'trace', value: text('abc') }] },
  { key: null, value: text('no key'), timestampMs: 1_700_000_000_000 },
  { key: text('tombstone'), value: null, timestampMs: 1_700_000_000_020, headers: [{ key: 'ünïcödé ✓', value: null }] },
  { key: Buffer.alloc(0), value: Buffer.alloc(0) },
];

describe('buildRecordBatch layout', () => {
  it('matches a hand-encoded single-record batch byte for byte', () => {
    const b = buildRecordBatchSync({
      baseOffset: 5,
      partitionLeaderEpoch: 7,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 9,
      records: [{ key: text('a'), value: text('b'), timestampMs: 1000 }],
    });
    const expected = Buffer.concat([
      Buffer.from('0000000000000005', 'hex'), // baseOffset
      Buffer.from('0000003a', 'hex'), // batchLength 58 = 49 + 9
      Buffer.from('00000007', 'hex'), // partitionLeaderEpoch
      Buffer.from('02', 'hex'), // magic
      Buffer.from('00000000', 'hex'), // crc, filled below
      Buffer.from('0000', 'hex'), // attributes
      Buffer.from('00000000', 'hex'), // lastOffsetDelta
      Buffer.from('00000000000003e8', 'hex'), // baseTimestamp 1000
      Buffer.from('00000000000003e8', 'hex'), // maxTimestamp 1000
      Buffer.from('000000000000002a', 'hex'), // producerId 42
      Buffer.from('0003', 'hex'), // producerEpoch
      Buffer.from('00000009', 'hex'), // baseSequence
      Buffer.from('00000001', 'hex'), // recordCount
      // length 8 (zigzag 0x10), attributes, tsDelta 0, offsetDelta 0, key len 1 'a', value len 1 'b', 0 headers
      Buffer.from('10' + '00' + '00' + '00' + '02' + '61' + '02' + '62' + '00', 'hex'),
    ]);
    expected.writeUInt32BE(crc32c(expected.subarray(21)), 17);
    assert.equal(b.toString('hex'), expected.toString('hex'));
  });

  it('fills every header field from the options', () => {
    const b = buildRecordBatchSync({
      baseOffset: 1_000_000_000_000,
      partitionLeaderEpoch: 12,
      records: RECORDS,
      compression: 3,
      producerId: 123_456_789_012n,
      producerEpoch: 32_000,
      baseSequence: 2_000_000_000,
      timestampType: 'logAppend',
      transactional: true,
    });
    assert.equal(batch.baseOffset(b), 1_000_000_000_000);
    assert.equal(batch.totalBytes(b), b.length);
    assert.equal(batch.partitionLeaderEpoch(b), 12);
    assert.equal(batch.magic(b), 2);
    assert.equal(batch.compression(b), 3);
    assert.equal(batch.attributes(b) & 0x08, 0x08);
    assert.equal(batch.isTransactional(b), true);
    assert.equal(batch.isControl(b), false);
    assert.equal(batch.lastOffsetDelta(b), 3);
    assert.equal(batch.baseTimestamp(b), 1_700_000_000_000);
    assert.equal(batch.maxTimestamp(b), 1_700_000_000_020);
    assert.equal(batch.producerId(b), 123_456_789_012n);
    assert.equal(batch.producerEpoch(b), 32_000);
    assert.equal(batch.baseSequence(b), 2_000_000_000);
    assert.equal(batch.recordCount(b), 4);
    assert.ok(batch.crcValid(b));
  });

  it('defaults to a non-idempotent producer batch at offset 0', () => {
    const b = buildRecordBatchSync({ records: [{ key: null, value: text('x') }], control: true });
    assert.equal(batch.baseOffset(b), 0);
    assert.equal(batch.partitionLeaderEpoch(b), -1);
    assert.equal(batch.producerId(b), -1n);
    assert.equal(batch.producerEpoch(b), -1);
    assert.equal(batch.baseSequence(b), -1);
    assert.equal(batch.isControl(b), true);
    // No timestamps anywhere: NO_TIMESTAMP.
    assert.equal(batch.baseTimestamp(b), -1);
    assert.equal(batch.maxTimestamp(b), -1);
  });

  it('produces identical bytes sync and async for every codec', async () => {
    for (let codec = 0; codec <= 4; codec++) {
      const sync = buildRecordBatchSync({ records: RECORDS, compression: codec });
      const async = await buildRecordBatch({ records: RECORDS, compression: codec });
      assert.equal(async.toString('hex'), sync.toString('hex'), `codec ${codec}`);
    }
  });

  it('asserts on input only our own code can get wrong', () => {
    assert.throws(() => buildRecordBatchSync({ records: [] }), assert.AssertionError);
    assert.throws(() => buildRecordBatchSync({ records: RECORDS, compression: 5 }), assert.AssertionError);
    assert.throws(
      () => buildRecordBatchSync({ records: [{ key: null, value: null, offsetDelta: 2 }, { key: null, value: null, offsetDelta: 1 }] }),
      assert.AssertionError,
    );
    assert.throws(() => buildRecordBatchSync({ records: RECORDS, lastOffsetDelta: 1 }), assert.AssertionError);
  });
});

describe('readRecords', () => {
  for (let codec = 0; codec <= 4; codec++) {
    it(`round-trips records with codec ${codec}`, async () => {
      const b = await buildRecordBatch({ baseOffset: 100, records: RECORDS, compression: codec });
      // RECORDS[3] has no timestamp: it takes the base timestamp (the smallest given).
      assertSameRecords(await readRecords(b), RECORDS, 100, 1_700_000_000_000);
      assertSameRecords(readRecordsSync(b), RECORDS, 100, 1_700_000_000_000);
    });
  }

  it('keeps offset gaps and a larger lastOffsetDelta (compacted batches)', async () => {
    const records: RecordInput[] = [
      { key: text('a'), value: text('1'), offsetDelta: 0 },
      { key: text('b'), value: text('2'), offsetDelta: 5 },
      { key: text('c'), value: text('3'), offsetDelta: 9 },
    ];
    const b = await buildRecordBatch({ baseOffset: 50, records, lastOffsetDelta: 12, baseTimestampMs: 77, compression: 1 });
    assert.equal(batch.lastOffset(b), 62);
    assert.deepEqual((await readRecords(b)).map((r) => r.offset), [50, 55, 59]);
    assertSameRecords(await readRecords(b), records, 50, 77);
  });

  it('reports LogAppendTime batches with maxTimestamp for every record', async () => {
    const b = await buildRecordBatch({ records: RECORDS, timestampType: 'logAppend' });
    for (const r of await readRecords(b)) assert.equal(r.timestampMs, 1_700_000_000_020);
  });

  it('handles many records in one batch', async () => {
    const records: RecordInput[] = [];
    for (let i = 0; i < 100_000; i++) records.push({ key: text(`key-${i}`), value: text(`value-${i}`), timestampMs: 1_700_000_000_000 + i });
    for (const codec of [0, 4]) {
      const b = await buildRecordBatch({ records, compression: codec });
      const out = await readRecords(b);
      assert.equal(out.length, 100_000);
      assert.equal(out[99_999]!.value!.toString(), 'value-99999');
      assert.equal(out[99_999]!.timestampMs, 1_700_000_099_999);
    }
  });

  it('throws typed errors for damaged batches', async () => {
    const b = buildRecordBatchSync({ records: RECORDS });
    const flipped = Buffer.from(b);
    flipped[b.length - 1]! ^= 1;
    await assert.rejects(readRecords(flipped), (e: unknown) => e instanceof RecordBatchError && e.kind === 'corruptMessage');
    // Without the CRC check the flip lands in the last record's header count → invalidRecord or data change.
    assert.doesNotThrow(() => {
      try {
        readRecordsSync(flipped, { verifyCrc: false });
      } catch (e) {
        assert.ok(e instanceof RecordBatchError, String(e));
      }
    });
    const magic1 = resealed(b, (c) => c.writeInt8(1, 16));
    assert.throws(() => readRecordsSync(magic1), (e: unknown) => e instanceof RecordBatchError && e.kind === 'unsupportedForMessageFormat');
    assert.throws(() => readRecordsSync(b.subarray(0, b.length - 1)), (e: unknown) => e instanceof RecordBatchError && e.kind === 'corruptMessage');
    assert.throws(() => readRecordsSync(b.subarray(0, 30)), (e: unknown) => e instanceof RecordBatchError && e.kind === 'corruptMessage');
    const countTooHigh = resealed(b, (c) => c.writeInt32BE(5, 57));
    assert.throws(() => readRecordsSync(countTooHigh), (e: unknown) => e instanceof RecordBatchError && e.kind === 'invalidRecord');
    const garbage = withPayload(b, 4, Buffer.from('definitely not zstd'));
    await assert.rejects(readRecords(garbage), (e: unknown) => e instanceof CompressionError && e.kind === 'corrupt');
  });
});
