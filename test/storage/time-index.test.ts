/**
 * Goal: TimeIndex keeps strictly increasing timestamps, answers "where to start scanning" lookups
 * and validates files as documented in src/storage/time-index.ts. Method: hand-built entries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeIndex } from '../../src/storage/time-index.js';

describe('TimeIndex', () => {
  it('stores 12-byte (int64 timestamp, int32 relativeOffset) entries and skips non-increasing timestamps', () => {
    const index = new TimeIndex(100, 10);
    index.maybeAppend(5000, 100);
    index.maybeAppend(5000, 110);
    index.maybeAppend(4000, 120);
    index.maybeAppend(-1, 130);
    index.maybeAppend(7000, 140);
    assert.equal(index.entries, 2);
    const b = index.store.bytes;
    assert.equal(b.length, 24);
    assert.equal(b.readBigInt64BE(0), 5000n);
    assert.equal(b.readInt32BE(8), 0);
    assert.equal(b.readBigInt64BE(12), 7000n);
    assert.equal(b.readInt32BE(20), 40);
    assert.deepEqual(index.lastEntry(), { timestampMs: 7000, offset: 140 });
  });

  it('lookup returns the offset of the last entry strictly older than the timestamp', () => {
    const index = new TimeIndex(0, 100);
    for (let i = 1; i <= 50; i++) index.maybeAppend(i * 100, i * 10);
    assert.equal(index.lookup(50), -1);
    assert.equal(index.lookup(100), -1);
    assert.equal(index.lookup(101), 10);
    assert.equal(index.lookup(2550), 250);
    assert.equal(index.lookup(1e15), 500);
  });

  it('honours maxEntries unless forced, and truncates by offset', () => {
    const index = new TimeIndex(0, 2);
    index.maybeAppend(1, 1);
    index.maybeAppend(2, 2);
    index.maybeAppend(3, 3);
    assert.equal(index.entries, 2);
    index.maybeAppend(3, 3, true);
    assert.equal(index.entries, 3);
    index.truncateToOffset(2);
    assert.deepEqual(index.lastEntry(), { timestampMs: 1, offset: 1 });
  });

  it('validates files', () => {
    const index = new TimeIndex(0, 100);
    index.maybeAppend(10, 1);
    index.maybeAppend(20, 5);
    const bytes = Buffer.from(index.store.bytes);
    assert.equal(new TimeIndex(0, 100).load(bytes, 100), null);
    assert.match(new TimeIndex(0, 100).load(bytes.subarray(0, 20), 100)!, /multiple of 12/);
    assert.match(new TimeIndex(0, 100).load(bytes, 3)!, /past the segment/);
    assert.match(new TimeIndex(0, 100).load(Buffer.concat([bytes.subarray(12), bytes.subarray(0, 12)]), 100)!, /does not increase/);
  });
});
