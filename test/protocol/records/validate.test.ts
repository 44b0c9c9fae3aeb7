/**
 * Goal: validateRecordSet accepts every well-formed Produce record set and answers each fault
 * with the documented error kind (corruptMessage / unsupportedForMessageFormat / messageTooLarge /
 * invalidRecord), including faults that only deep validation of compressed batches can see.
 * Method: build valid batches with the builder, then damage one aspect at a time (resealing the
 * CRC when the fault must get past the CRC check) and check kind, batch index and position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRecordBatchSync, type RecordInput } from '../../../src/protocol/records/builder.js';
import { compressSync } from '../../../src/protocol/records/compression.js';
import {
  validateCompressedBatch,
  validateRecordSet,
  validateRecordSetDeep,
  type CompressedBatchValidation,
  type RecordSetErrorKind,
  type RecordSetValidation,
} from '../../../src/protocol/records/validate.js';
import { resealed, text, withPayload } from './helpers.js';

const RECORDS: RecordInput[] = [
  { key: text('a'), value: text('1'), timestampMs: 1000, headers: [{ key: 'h', value: text('x') }, { key: 'n', value: null }] },
  { key: null, value: text('22'), timestampMs: 3000 },
  { key: text('c'), value: null, timestampMs: 2000 },
];
const LIMIT = { maxBatchBytes: 1 << 20 };

function plainBatch(extra: Partial<Parameters<typeof buildRecordBatchSync>[0]> = {}): Buffer {
  return buildRecordBatchSync({ records: RECORDS, ...extra });
}

function expectError(v: RecordSetValidation | CompressedBatchValidation, error: RecordSetErrorKind, batchIndex = 0, position?: number): void {
  assert.equal(v.ok, false, 'expected a failure');
  if (v.ok) return;
  assert.equal(v.error, error, v.detail);
  assert.equal(v.batchIndex, batchIndex, v.detail);
  if (position !== undefined) assert.equal(v.position, position);
  assert.ok(v.detail.length > 0);
}

/** One legacy message set entry: offset, messageSize, crc (left 0: magic is checked first), magic,
 * attributes, [timestamp for magic 1], key -1 (null), value "x". */
function legacyMessage(magic: 0 | 1): Buffer {
  const body = Buffer.concat([
    Buffer.from([magic, 0]),
    Buffer.alloc(magic === 1 ? 8 : 0),
    Buffer.from('ffffffff' + '00000001', 'hex'),
    Buffer.from('x'),
  ]);
  const out = Buffer.alloc(16 + body.length);
  out.writeInt32BE(4 + body.length, 8);
  body.copy(out, 16);
  return out;
}

describe('validateRecordSet: accepted sets', () => {
  it('summarises one uncompressed batch', () => {
    const b = plainBatch({ producerId: 9n, producerEpoch: 2, baseSequence: 40, transactional: true });
    const v = validateRecordSet(b, LIMIT);
    assert.ok(v.ok);
    assert.deepEqual(v, {
      ok: true,
      batchCount: 1,
      recordCount: 3,
      offsetCount: 3,
      firstBatchCompression: 0,
      codecMask: 1,
      maxTimestamp: 3000,
      producerId: 9n,
      producerEpoch: 2,
      baseSequence: 40,
      transactional: true,
      hasControlBatch: false,
    });
  });

  it('summarises several batches with mixed codecs', () => {
    const set = Buffer.concat([
      plainBatch({ compression: 2 }),
      buildRecordBatchSync({ records: [{ key: null, value: text('z'), timestampMs: 9000 }], compression: 4 }),
      plainBatch({ control: true }),
    ]);
    for (const deepValidate of [false, true]) {
      const v = validateRecordSet(set, { ...LIMIT, deepValidate });
      assert.ok(v.ok);
      assert.equal(v.batchCount, 3);
      assert.equal(v.recordCount, 7);
      assert.equal(v.offsetCount, 7);
      assert.equal(v.firstBatchCompression, 2);
      assert.equal(v.codecMask, (1 << 2) | (1 << 4) | 1);
      assert.equal(v.maxTimestamp, 9000);
      assert.equal(v.hasControlBatch, true);
    }
  });

  it('accepts a batch of exactly maxBatchBytes', () => {
    const b = plainBatch();
    assert.ok(validateRecordSet(b, { maxBatchBytes: b.length }).ok);
    expectError(validateRecordSet(b, { maxBatchBytes: b.length - 1 }), 'messageTooLarge');
  });

  it('ignores changes outside the CRC (baseOffset, partitionLeaderEpoch)', () => {
    const b = plainBatch();
    b.writeBigInt64BE(123n, 0);
    b.writeInt32BE(99, 12);
    assert.ok(validateRecordSet(b, LIMIT).ok);
  });
});

describe('validateRecordSet: framing faults', () => {
  it('rejects an empty record set', () => {
    expectError(validateRecordSet(Buffer.alloc(0), LIMIT), 'invalidRecord');
  });

  it('reports magic 0 and 1 as unsupportedForMessageFormat', () => {
    expectError(validateRecordSet(legacyMessage(0), LIMIT), 'unsupportedForMessageFormat');
    expectError(validateRecordSet(legacyMessage(1), LIMIT), 'unsupportedForMessageFormat');
    expectError(validateRecordSet(Buffer.concat([plainBatch(), legacyMessage(1)]), LIMIT), 'unsupportedForMessageFormat', 1);
  });

  it('reports an unknown magic as corruptMessage', () => {
    expectError(validateRecordSet(resealed(plainBatch(), (c) => c.writeInt8(3, 16)), LIMIT), 'corruptMessage');
    expectError(validateRecordSet(resealed(plainBatch(), (c) => c.writeInt8(-1, 16)), LIMIT), 'corruptMessage');
  });

  it('reports trailing partial batches of any length as corruptMessage', () => {
    const b = plainBatch();
    for (const cut of [1, 11, 12, 16, 17, 40, 61, b.length - 1]) {
      expectError(validateRecordSet(Buffer.concat([b, b.subarray(0, cut)]), LIMIT), 'corruptMessage', 1, b.length);
    }
  });

  it('reports batchLength below 49 as corruptMessage', () => {
    const b = plainBatch();
    b.writeInt32BE(48, 8);
    expectError(validateRecordSet(b, LIMIT), 'corruptMessage');
    b.writeInt32BE(-1, 8);
    expectError(validateRecordSet(b, LIMIT), 'corruptMessage');
  });

  it('reports CRC32C mismatches as corruptMessage', () => {
    const b = plainBatch();
    for (const position of [21, 30, 60, 61, b.length - 1]) {
      const copy = Buffer.from(b);
      copy[position]! ^= 0x10;
      expectError(validateRecordSet(copy, LIMIT), 'corruptMessage');
    }
    const copy = Buffer.from(b);
    copy.writeUInt32BE(copy.readUInt32BE(17) ^ 1, 17);
    expectError(validateRecordSet(copy, LIMIT), 'corruptMessage');
  });

  it('checks the size limit per batch, baseOffset and batchLength included', () => {
    const small = plainBatch();
    const big = buildRecordBatchSync({ records: [{ key: null, value: Buffer.alloc(5000) }] });
    expectError(validateRecordSet(Buffer.concat([small, big]), { maxBatchBytes: 5000 }), 'messageTooLarge', 1, small.length);
  });
});

describe('validateRecordSet: record faults inside CRC-valid batches', () => {
  it('rejects unknown codec ids', () => {
    expectError(validateRecordSet(resealed(plainBatch(), (c) => c.writeInt16BE(5, 21)), LIMIT), 'invalidRecord');
  });

  it('checks recordCount and lastOffsetDelta', () => {
    const b = plainBatch();
    expectError(validateRecordSet(resealed(b, (c) => c.writeInt32BE(-1, 57)), LIMIT), 'invalidRecord');
    expectError(validateRecordSet(resealed(b, (c) => c.writeInt32BE(3, 23)), LIMIT), 'invalidRecord');
    // Count and delta agree with each other but not with the records present.
    const more = resealed(b, (c) => {
      c.writeInt32BE(4, 57);
      c.writeInt32BE(3, 23);
    });
    expectError(validateRecordSet(more, LIMIT), 'invalidRecord');
    const fewer = resealed(b, (c) => {
      c.writeInt32BE(2, 57);
      c.writeInt32BE(1, 23);
    });
    expectError(validateRecordSet(fewer, LIMIT), 'invalidRecord');
  });

  it('accepts empty batches only when allowed', () => {
    const header = resealed(plainBatch().subarray(0, 61), (c) => {
      c.writeInt32BE(49, 8);
      c.writeInt32BE(0, 57);
      c.writeInt32BE(4, 23);
    });
    expectError(validateRecordSet(header, LIMIT), 'invalidRecord');
    assert.ok(validateRecordSet(header, { ...LIMIT, allowEmptyBatches: true }).ok);
  });

  it('rejects records that do not exactly fill the batch', () => {
    const b = plainBatch();
    const extra = resealed(Buffer.concat([b, Buffer.from([0])]), (c) => c.writeInt32BE(c.length - 12, 8));
    expectError(validateRecordSet(extra, LIMIT), 'invalidRecord');
    // First record's length varint one larger / smaller than its content.
    expectError(validateRecordSet(resealed(b, (c) => (c[61] = c[61]! + 2)), LIMIT), 'invalidRecord');
    expectError(validateRecordSet(resealed(b, (c) => (c[61] = c[61]! - 2)), LIMIT), 'invalidRecord');
  });

  it('rejects offset deltas out of sequence', () => {
    // Record 0: length, attributes, timestampDelta (1 byte), then offsetDelta at 64.
    const b = plainBatch();
    assert.equal(b[64], 0);
    expectError(validateRecordSet(resealed(b, (c) => (c[64] = 2)), LIMIT), 'invalidRecord');
  });

  it('rejects negative lengths and overlong varints', () => {
    const b = plainBatch();
    // Record 0's key length sits at 65 (zigzag 2 = length 1); -2 is zigzag 3.
    assert.equal(b[65], 2);
    expectError(validateRecordSet(resealed(b, (c) => (c[65] = 3)), LIMIT), 'invalidRecord');
    expectError(validateRecordSet(resealed(b, (c) => (c[65] = 0x80)), LIMIT), 'invalidRecord');
  });

  it('rejects a timestampDelta outside ±2^52 ms, which the record reader could not read back', () => {
    // One record; its timestampDelta (1 byte at 63) is replaced by a 9-byte varlong. Found by the
    // fuzzer: validation skipped the varlong, so such a batch was stored but readRecords refused it.
    const b = buildRecordBatchSync({ records: [{ key: null, value: text('v'), timestampMs: 1000 }] });
    const withDelta = (varlong: number[]): Buffer =>
      resealed(Buffer.concat([b.subarray(0, 63), Buffer.from(varlong), b.subarray(64)]), (c) => {
        c[61] = c[61]! + varlong.length - 1; // record length (1-byte varint, zigzag: +2 per byte)
        c[61] = c[61]! + varlong.length - 1;
        c.writeInt32BE(c.length - 12, 8);
      });
    expectError(validateRecordSet(withDelta([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]), LIMIT), 'invalidRecord');
    // 2^41 (zigzag of 2^40) is far out but in range: accepted.
    assert.ok(validateRecordSet(withDelta([0x80, 0x80, 0x80, 0x80, 0x80, 0x40]), LIMIT).ok);
  });

  it('rejects a compressed batch whose payload is empty', () => {
    const b = withPayload(plainBatch(), 1, Buffer.alloc(0));
    expectError(validateRecordSet(b, LIMIT), 'invalidRecord');
  });
});

describe('deep validation of compressed batches', () => {
  const records = plainBatch().subarray(61);

  it('accepts real payloads and reports their size', async () => {
    for (let codec = 1; codec <= 4; codec++) {
      const b = withPayload(plainBatch(), codec, compressSync(codec, records));
      assert.ok(validateRecordSet(b, { ...LIMIT, deepValidate: true }).ok);
      assert.ok((await validateRecordSetDeep(b, LIMIT)).ok);
      assert.deepEqual(await validateCompressedBatch(b), { ok: true, recordCount: 3, uncompressedBytes: records.length });
    }
    assert.deepEqual(await validateCompressedBatch(plainBatch()), { ok: true, recordCount: 3, uncompressedBytes: records.length });
  });

  it('finds garbage payloads that shallow validation cannot see', async () => {
    for (let codec = 1; codec <= 4; codec++) {
      const b = withPayload(plainBatch(), codec, Buffer.from('this is not a compressed payload at all'));
      assert.ok(validateRecordSet(b, LIMIT).ok);
      expectError(validateRecordSet(b, { ...LIMIT, deepValidate: true }), 'invalidRecord');
      expectError(await validateRecordSetDeep(Buffer.concat([plainBatch(), b]), LIMIT), 'invalidRecord', 1, plainBatch().length);
      expectError(await validateCompressedBatch(b), 'invalidRecord');
    }
  });

  it('finds a record count that disagrees with the payload', async () => {
    const b = withPayload(plainBatch(), 3, compressSync(3, records));
    const fewer = resealed(b, (c) => {
      c.writeInt32BE(2, 57);
      c.writeInt32BE(1, 23);
    });
    assert.ok(validateRecordSet(fewer, LIMIT).ok);
    expectError(validateRecordSet(fewer, { ...LIMIT, deepValidate: true }), 'invalidRecord');
    expectError(await validateCompressedBatch(fewer), 'invalidRecord');
  });

  it('reports payloads that expand past the limit as messageTooLarge', async () => {
    const b = withPayload(plainBatch(), 1, compressSync(1, records));
    expectError(validateRecordSet(b, { ...LIMIT, deepValidate: true, maxDecompressedBytes: 10 }), 'messageTooLarge');
    expectError(await validateRecordSetDeep(b, { ...LIMIT, maxDecompressedBytes: 10 }), 'messageTooLarge');
  });

  it('checks framing itself when handed unvalidated bytes', async () => {
    const b = withPayload(plainBatch(), 2, compressSync(2, records));
    expectError(await validateCompressedBatch(b.subarray(0, b.length - 1)), 'corruptMessage');
    expectError(await validateCompressedBatch(Buffer.concat([b, b])), 'corruptMessage');
  });
});
