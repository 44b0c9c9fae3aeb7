/**
 * Goal: zigzag varint/varlong encoding matches the record format and rejects malformed input
 * with a typed DecodeError instead of wrong values or crashes.
 * Method: hand-computed byte vectors for the edges (0, -1, int32 limits, 2^52), fast-check round
 * trips with size agreement, then truncated / overlong / out-of-range inputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DecodeError,
  readUnsignedVarint,
  readVarint,
  readVarlong,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  skipVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
  type Cursor,
} from '../../../src/protocol/records/varint.js';

function encodeVarint(v: number): Buffer {
  const b = Buffer.alloc(5);
  return b.subarray(0, writeVarint(b, 0, v));
}
function encodeVarlong(v: number): Buffer {
  const b = Buffer.alloc(10);
  return b.subarray(0, writeVarlong(b, 0, v));
}
function at(b: Buffer): Cursor {
  return { pos: 0, end: b.length };
}

describe('varint', () => {
  it('encodes known values as zigzag groups', () => {
    assert.equal(encodeVarint(0).toString('hex'), '00');
    assert.equal(encodeVarint(-1).toString('hex'), '01');
    assert.equal(encodeVarint(1).toString('hex'), '02');
    assert.equal(encodeVarint(63).toString('hex'), '7e');
    assert.equal(encodeVarint(64).toString('hex'), '8001');
    assert.equal(encodeVarint(-65).toString('hex'), '8101');
    assert.equal(encodeVarint(2147483647).toString('hex'), 'feffffff0f');
    assert.equal(encodeVarint(-2147483648).toString('hex'), 'ffffffff0f');
  });

  it('round-trips every int32 and agrees with sizeOfVarint', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
        const b = encodeVarint(v);
        assert.equal(b.length, sizeOfVarint(v));
        const cur = at(b);
        assert.equal(readVarint(b, cur), v);
        assert.equal(cur.pos, b.length);
      }),
    );
  });

  it('round-trips unsigned varints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const b = Buffer.alloc(5);
        const n = writeUnsignedVarint(b, 0, v);
        assert.equal(n, sizeOfUnsignedVarint(v));
        assert.equal(readUnsignedVarint(b, { pos: 0, end: n }), v);
      }),
    );
  });

  it('rejects truncated, overlong and out-of-range input', () => {
    assert.throws(() => readVarint(Buffer.from([0x80]), at(Buffer.from([0x80]))), (e: unknown) => e instanceof DecodeError && e.reason === 'truncated');
    const six = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    assert.throws(() => readVarint(six, at(six)), (e: unknown) => e instanceof DecodeError && e.reason === 'overlong');
    const wide = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10]);
    assert.throws(() => readVarint(wide, at(wide)), (e: unknown) => e instanceof DecodeError && e.reason === 'outOfRange');
    // The cursor's end bounds reads even when the buffer continues.
    const b = Buffer.from([0x80, 0x01]);
    assert.throws(() => readVarint(b, { pos: 0, end: 1 }), DecodeError);
  });

  it('leaves the cursor untouched on failure', () => {
    const b = Buffer.from([0x02, 0x80]);
    const cur = { pos: 1, end: 2 };
    assert.throws(() => readVarint(b, cur), DecodeError);
    assert.equal(cur.pos, 1);
  });
});

describe('varlong', () => {
  it('encodes known values', () => {
    assert.equal(encodeVarlong(0).toString('hex'), '00');
    assert.equal(encodeVarlong(-1).toString('hex'), '01');
    assert.equal(encodeVarlong(1_700_000_000_000).length, 6);
    assert.equal(encodeVarlong(2 ** 52 - 1).toString('hex'), 'feffffffffffff0f');
    assert.equal(encodeVarlong(-(2 ** 52)).toString('hex'), 'ffffffffffffff0f');
  });

  it('round-trips values in [-(2^52), 2^52 - 1] and agrees with sizeOfVarlong', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }), (v) => {
        const b = encodeVarlong(v);
        assert.equal(b.length, sizeOfVarlong(v));
        const cur = at(b);
        assert.equal(readVarlong(b, cur), v);
        assert.equal(cur.pos, b.length);
        const skip = at(b);
        skipVarlong(b, skip);
        assert.equal(skip.pos, b.length);
      }),
    );
  });

  it('rejects values a number cannot hold exactly, overlong and truncated input', () => {
    // Unsigned 2^55 (a value of 2^54): more than a number holds exactly.
    const big = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    assert.throws(() => readVarlong(big, at(big)), (e: unknown) => e instanceof DecodeError && e.reason === 'outOfRange');
    const eleven = Buffer.alloc(11, 0x80);
    assert.throws(() => readVarlong(eleven, at(eleven)), (e: unknown) => e instanceof DecodeError && e.reason === 'overlong');
    assert.throws(() => skipVarlong(eleven, at(eleven)), (e: unknown) => e instanceof DecodeError && e.reason === 'overlong');
    const cut = Buffer.from([0xff, 0xff]);
    assert.throws(() => readVarlong(cut, at(cut)), (e: unknown) => e instanceof DecodeError && e.reason === 'truncated');
  });

  it('asserts on values our own code should never write', () => {
    assert.throws(() => writeVarlong(Buffer.alloc(10), 0, 2 ** 52), assert.AssertionError);
    assert.throws(() => writeVarint(Buffer.alloc(5), 0, 2 ** 31), assert.AssertionError);
  });
});
