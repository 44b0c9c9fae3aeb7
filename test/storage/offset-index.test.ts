/**
 * Goal: OffsetIndex lookups, truncation and file validation match the format documented in
 * src/storage/offset-index.ts. Method: fill an index by hand and check the bytes and answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetIndex } from '../../src/storage/offset-index.js';

function sample(): OffsetIndex {
  const index = new OffsetIndex(1000, 1000);
  // Batches starting at 1000+10k at position 500k, every one indexed except the first.
  for (let k = 1; k <= 100; k++) index.append(1000 + 10 * k, 500 * k);
  return index;
}

describe('OffsetIndex', () => {
  it('stores 8-byte big-endian (relativeOffset, position) entries', () => {
    const index = new OffsetIndex(1000, 10);
    index.append(1005, 4096);
    index.append(1300, 9000);
    assert.deepEqual(index.store.bytes, Buffer.from([0, 0, 0, 5, 0, 0, 0x10, 0, 0, 0, 1, 0x2c, 0, 0, 0x23, 0x28]));
  });

  it('finds the last entry at or before an offset with binary search', () => {
    const index = sample();
    assert.equal(index.lookup(1000), 0);
    assert.equal(index.lookup(1009), 0);
    assert.equal(index.lookup(1010), 500);
    assert.equal(index.lookup(1019), 500);
    assert.equal(index.lookup(1555), 55 * 500);
    assert.equal(index.lookup(999_999), 100 * 500);
    assert.equal(index.lookupBefore(1555), 54 * 500);
    assert.equal(index.lookupBefore(1010), 0);
    assert.equal(new OffsetIndex(0, 10).lookup(77), 0);
  });

  it('grows past its initial capacity and reports fullness by maxEntries', () => {
    const index = new OffsetIndex(0, 3);
    index.append(1, 10);
    index.append(2, 20);
    assert.equal(index.isFull, false);
    index.append(3, 30);
    assert.equal(index.isFull, true);
    const big = new OffsetIndex(0, 1_000_000);
    for (let i = 1; i <= 5000; i++) big.append(i, i * 2);
    assert.equal(big.entries, 5000);
    assert.equal(big.lookup(4321), 8642);
  });

  it('truncates entries at and after an offset', () => {
    const index = sample();
    index.truncateToOffset(1555);
    assert.equal(index.entries, 55);
    assert.equal(index.lookup(99999), 55 * 500);
    index.truncateToOffset(1550);
    assert.equal(index.entries, 54);
    index.truncateToOffset(0);
    assert.equal(index.entries, 0);
  });

  it('refuses non-monotonic appends (our bug)', () => {
    const index = sample();
    assert.throws(() => index.append(1500, 999_999), assert.AssertionError);
    assert.throws(() => index.append(999_999, 100), assert.AssertionError);
  });

  it('loads a valid file and explains an invalid one', () => {
    const bytes = Buffer.from(sample().store.bytes);
    const loaded = new OffsetIndex(1000, 1000);
    assert.equal(loaded.load(bytes, 100_000), null);
    assert.equal(loaded.lookup(1555), 55 * 500);
    assert.match(new OffsetIndex(1000, 1000).load(bytes.subarray(0, 13), 100_000)!, /multiple of 8/);
    assert.match(new OffsetIndex(1000, 1000).load(bytes, 1000)!, /past the log end/);
    const swapped = Buffer.concat([bytes.subarray(8, 16), bytes.subarray(0, 8)]);
    assert.match(new OffsetIndex(1000, 1000).load(swapped, 100_000)!, /does not increase/);
  });
});
