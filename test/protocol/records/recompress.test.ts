/**
 * Goal: recompressBatch re-encodes a batch with another codec without changing anything a
 * consumer or the log can observe: same records (offset deltas, timestamps, keys, values,
 * headers), same header fields except codec bits, batchLength and a fresh valid CRC.
 * Method: every source × target codec pair on a batch with all header options set, compared
 * through readRecords and a byte diff of the header; then the pass-through and failure cases.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../../src/protocol/records/batch.js';
import { buildRecordBatchSync, readRecords, type BuildRecordBatchOptions, type RecordInput } from '../../../src/protocol/records/builder.js';
import { CompressionError } from '../../../src/protocol/records/compression.js';
import { recompressBatch } from '../../../src/protocol/records/recompress.js';
import { RecordBatchError, validateRecordSet } from '../../../src/protocol/records/validate.js';
import { plain, text, withPayload } from './helpers.js';

const RECORDS: RecordInput[] = [];
for (let i = 0; i < 200; i++) {
  RECORDS.push({
    key: i % 7 === 0 ? null : text(`key-${i}`),
    value: i % 11 === 0 ? null : text(`value-${i}-`.repeat(i % 13)),
    timestampMs: 1_700_000_000_000 + ((i * 37) % 1000),
    headers: i % 3 === 0 ? [{ key: `h${i}`, value: text('x') }, { key: 'n', value: null }] : [],
    offsetDelta: i * 2, // gaps, as after compaction
  });
}
const OPTIONS: BuildRecordBatchOptions = {
  baseOffset: 4242,
  partitionLeaderEpoch: 17,
  records: RECORDS,
  producerId: 77n,
  producerEpoch: 5,
  baseSequence: 1000,
  transactional: true,
  lastOffsetDelta: 450,
};

/** Header bytes that must survive recompression: all but batchLength (8-11), crc (17-20), attributes codec bits. */
function stableHeader(b: Buffer): string {
  const h = Buffer.from(b.subarray(0, 61));
  h.fill(0, 8, 12);
  h.fill(0, 17, 21);
  h.writeInt16BE(h.readInt16BE(21) & ~7, 21);
  return h.toString('hex');
}

describe('recompressBatch', () => {
  for (let source = 0; source <= 4; source++) {
    for (let target = 0; target <= 4; target++) {
      if (source === target) continue;
      it(`codec ${source} → ${target} keeps records and header`, async () => {
        const input = buildRecordBatchSync({ ...OPTIONS, compression: source });
        const out = await recompressBatch(input, target);
        assert.equal(batch.compression(out), target);
        assert.equal(batch.totalBytes(out), out.length);
        assert.ok(batch.crcValid(out));
        assert.equal(stableHeader(out), stableHeader(input));
        assert.deepEqual((await readRecords(out)).map(plain), (await readRecords(input)).map(plain));
      });
    }
  }

  it('produces batches the validator accepts, for producer-shaped input', async () => {
    const input = buildRecordBatchSync({ records: RECORDS.map((r) => ({ ...r, offsetDelta: undefined })), compression: 2 });
    for (let target = 0; target <= 4; target++) {
      const out = await recompressBatch(input, target);
      const v = validateRecordSet(out, { maxBatchBytes: 1 << 24, deepValidate: true });
      assert.ok(v.ok, v.ok ? '' : v.detail);
    }
  });

  it('returns the input itself when the codec already matches', async () => {
    const input = buildRecordBatchSync({ ...OPTIONS, compression: 3 });
    assert.equal(await recompressBatch(input, 3), input);
  });

  it('leaves control batches alone', async () => {
    const input = buildRecordBatchSync({ records: [{ key: text('k'), value: text('v') }], control: true });
    assert.equal(await recompressBatch(input, 4), input);
  });

  it('rejects damaged input with typed errors', async () => {
    const input = buildRecordBatchSync({ ...OPTIONS, compression: 1 });
    const flipped = Buffer.from(input);
    flipped[100]! ^= 1;
    await assert.rejects(recompressBatch(flipped, 4), (e: unknown) => e instanceof RecordBatchError && e.kind === 'corruptMessage');
    await assert.rejects(recompressBatch(input.subarray(0, 40), 4), (e: unknown) => e instanceof RecordBatchError);
    const garbage = withPayload(input, 1, Buffer.from('not gzip'));
    await assert.rejects(recompressBatch(garbage, 4), (e: unknown) => e instanceof CompressionError);
    const short = withPayload(input, 0, buildRecordBatchSync({ records: RECORDS.slice(0, 3) }).subarray(61));
    await assert.rejects(recompressBatch(short, 4), (e: unknown) => e instanceof RecordBatchError && e.kind === 'invalidRecord');
  });

  it('asserts on a target that is not a codec id', async () => {
    await assert.rejects(recompressBatch(buildRecordBatchSync(OPTIONS), 5), assert.AssertionError);
  });
});
