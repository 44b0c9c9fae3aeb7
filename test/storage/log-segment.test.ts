/**
 * Goal: one LogSegment keeps its .log byte-exact, indexes every indexIntervalBytes, persists and
 * reloads its index files, rebuilds them identically by scanning, and truncates at batch
 * boundaries. Method: a segment on the memory disk fed with builder batches at a non-zero base.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { logger } from '../../src/log.js';
import { batch } from '../../src/protocol/records/batch.js';
import { LogSegment, parseSegmentFileName, segmentFileName } from '../../src/storage/log-segment.js';
import { buildBatch, splitBatches } from '../helpers/batches.js';

const BASE = 5000;
const log = logger('test');

/** 40 batches of 2 records at offsets BASE+2i, timestamps 100+i (with a dip at i=20). */
function batchesFrom(base: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const b = buildBatch({ baseOffset: base + 2 * i, records: [{ value: Buffer.alloc(100, i) }, { value: 'x', timestampMs: i === 20 ? 5 : 100 + i }], baseTimestampMs: 50 + i });
    parts.push(b);
  }
  return Buffer.concat(parts);
}

async function newSegment(disk: MemoryDisk): Promise<LogSegment> {
  await disk.mkdir('/p');
  return LogSegment.create(disk, '/p', BASE, { segmentIndexBytes: 1 << 20 }, 0);
}

describe('segment file names', () => {
  it('are the base offset in 20 digits', () => {
    assert.equal(segmentFileName(0, '.log'), '00000000000000000000.log');
    assert.equal(segmentFileName(1234567, '.timeindex'), '00000000000001234567.timeindex');
    assert.equal(parseSegmentFileName('00000000000001234567.index', '.index'), 1234567);
    assert.equal(parseSegmentFileName('00000000000001234567.index', '.log'), null);
    assert.equal(parseSegmentFileName('0000000000000123456.log', '.log'), null);
    assert.equal(parseSegmentFileName('0000000000000123456x.log', '.log'), null);
  });
});

describe('LogSegment', () => {
  it('appends verbatim, indexes sparsely and reads from any offset', async () => {
    const disk = new MemoryDisk();
    const seg = await newSegment(disk);
    const records = batchesFrom(BASE);
    await seg.append(records, 1000, 42);
    assert.equal(seg.sizeBytes, records.length);
    assert.equal(seg.nextOffset, BASE + 80);
    assert.deepEqual(disk.fileBytes('/p/00000000000000005000.log'), records);
    const batchBytes = splitBatches(records)[0]!.length;
    assert.equal(seg.offsetIndex.entries, Math.floor((records.length - batchBytes) / (Math.floor(1000 / batchBytes + 1) * batchBytes)));
    assert.equal(seg.maxTimestamp, 139);
    assert.equal(seg.offsetOfMaxTimestamp, BASE + 78);
    for (const offset of [BASE, BASE + 1, BASE + 33, BASE + 79]) {
      const r = await seg.read(offset, 1, true, Number.MAX_SAFE_INTEGER, 1000);
      assert.ok(r);
      assert.equal(r.firstOffset, offset - ((offset - BASE) % 2));
      assert.equal(batch.baseOffset(r.records), r.firstOffset);
      assert.equal(r.records.length, batchBytes);
    }
    assert.equal(await seg.read(BASE + 80, 1000, true, Number.MAX_SAFE_INTEGER, 1000), null);
    await seg.close();
  });

  it('writes its indexes on flush and reloads or rebuilds them identically', async () => {
    const disk = new MemoryDisk();
    const seg = await newSegment(disk);
    await seg.append(batchesFrom(BASE), 1000, 42);
    seg.markInactive();
    await seg.flush();
    const index = disk.fileBytes('/p/00000000000000005000.index');
    const timeIndex = disk.fileBytes('/p/00000000000000005000.timeindex');
    assert.deepEqual(index, seg.offsetIndex.store.bytes);
    assert.deepEqual(timeIndex, seg.timeIndex.store.bytes);
    assert.equal(seg.timeIndex.lastEntry()!.timestampMs, 139, 'closing entry holds the largest timestamp');
    await seg.close();
    for (const mode of ['trust', 'recover'] as const) {
      const { segment, problem } = await LogSegment.open({ disk, dir: '/p', baseOffset: BASE, limits: { segmentIndexBytes: 1 << 20 }, mode, nextSegmentBaseOffset: null, indexIntervalBytes: 1000, nowMs: 0, log });
      assert.equal(problem, null);
      assert.equal(segment.nextOffset, BASE + 80, mode);
      assert.equal(segment.maxTimestamp, 139, mode);
      assert.deepEqual(segment.offsetIndex.store.bytes, index, mode);
      segment.markInactive();
      await segment.flush();
      assert.deepEqual(disk.fileBytes('/p/00000000000000005000.timeindex'), timeIndex, mode);
      await segment.close();
    }
  });

  it('finds records by timestamp inside batches', async () => {
    const disk = new MemoryDisk();
    const seg = await newSegment(disk);
    await seg.append(batchesFrom(BASE), 200, 0);
    assert.deepEqual(await seg.findOffsetForTimestamp(0, 0), { offset: BASE, timestampMs: 50 });
    assert.deepEqual(await seg.findOffsetForTimestamp(51, 0), { offset: BASE + 1, timestampMs: 100 });
    assert.deepEqual(await seg.findOffsetForTimestamp(125, 0), { offset: BASE + 51, timestampMs: 125 });
    assert.deepEqual(await seg.findOffsetForTimestamp(125, BASE + 60), { offset: BASE + 61, timestampMs: 130 });
    assert.equal(await seg.findOffsetForTimestamp(140, 0), null);
    assert.deepEqual(await seg.findMaxTimestampRecord(0), { offset: BASE + 79, timestampMs: 139 });
    await seg.close();
  });

  it('truncates whole batches and keeps its indexes consistent', async () => {
    const disk = new MemoryDisk();
    const seg = await newSegment(disk);
    const records = batchesFrom(BASE);
    await seg.append(records, 300, 0);
    await seg.flush();
    const parts = splitBatches(records);
    const dropped = await seg.truncateTo(BASE + 51);
    assert.equal(dropped, Buffer.concat(parts.slice(25)).length);
    assert.equal(seg.nextOffset, BASE + 50);
    assert.equal(seg.sizeBytes, Buffer.concat(parts.slice(0, 25)).length);
    assert.equal(seg.maxTimestamp, 124);
    assert.ok(seg.offsetIndex.offsetAt(seg.offsetIndex.entries - 1) < BASE + 50);
    assert.deepEqual(disk.fileBytes('/p/00000000000000005000.index'), seg.offsetIndex.store.bytes);
    assert.equal(await seg.truncateTo(BASE + 50), 0);
    await seg.append(buildBatch({ baseOffset: BASE + 50, records: [{ value: 'new' }] }), 300, 0);
    assert.equal(seg.nextOffset, BASE + 51);
    await seg.close();
  });

  it('never serves a batch at an offset it was not written at, whatever bit of a baseOffset flipped', async () => {
    // The CRC does not cover baseOffset: the read pins each batch between its neighbours, the index
    // entry it starts from and the segment's end (the simulator found this gap, seed 185).
    const disk = new MemoryDisk();
    const seg = await newSegment(disk);
    const records = batchesFrom(BASE);
    await seg.append(records, 500, 0);
    const parts = splitBatches(records);
    const positions = parts.map((_, i) => Buffer.concat(parts.slice(0, i)).length);
    const file = await disk.open('/p/00000000000000005000.log', 'r+');
    let refused = 0;
    for (const victim of [0, 1, 7, 20, 38, 39]) {
      for (let bit = 0; bit < 12; bit++) {
        const at = positions[victim]! + 7 - Math.floor(bit / 8);
        const original = Buffer.from(records.subarray(at, at + 1));
        await file.write(Buffer.from([original[0]! ^ (1 << bit % 8)]), at);
        for (let offset = BASE; offset < BASE + 80; offset += 3) {
          let r: Awaited<ReturnType<LogSegment['read']>>;
          try {
            r = await seg.read(offset, 600, true, Number.MAX_SAFE_INTEGER, 500);
          } catch (err) {
            assert.equal((err as { kind?: string }).kind, 'corruptBatch');
            refused++;
            continue;
          }
          assert.ok(r, `offset ${offset} must be found`);
          for (let i = 0, pos = 0; pos < r.records.length; pos += batch.totalBytes(r.records, pos), i++) {
            const b = batch.baseOffset(r.records, pos);
            assert.equal((b - BASE) % 2, 0, `victim ${victim} bit ${bit}: batch at ${b} was never written`);
            if (i === 0) assert.ok(b <= offset && offset <= batch.lastOffset(r.records, pos), `victim ${victim} bit ${bit}: read of ${offset} got ${b}`);
          }
        }
        await file.write(original, at);
      }
    }
    assert.ok(refused > 0);
    await file.close();
    await seg.close();
  });
});
