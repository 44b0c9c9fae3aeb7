/**
 * Goal: the tail cache (src/storage/tail-cache.ts) never changes what a read returns, only where it
 * comes from: for any append history (leader and follower appends, segment rolls, truncation,
 * retention, a gap in the offsets) and any read (offset inside or at the start of a batch, small
 * and large maxBytes, minOneMessage on and off, a maxOffset such as the high watermark), a log with
 * the cache answers the same first batch as the same log read from its files, and whole batches
 * that the file read also returns (the file read stops at a segment's end, the cache may not).
 * The broker-wide byte bound holds across partitions, and evicted ranges are read from the files.
 *
 * Method: two PartitionLogs over the memory disk receive the same appends, one with a
 * TailCacheBudget and one without; a seeded generator drives appends, truncations and reads and
 * compares every answer. Unit checks cover eviction order, the bound, clearing on truncation and a
 * non-contiguous append, and that cached bytes are copies (changing the appended buffer afterwards
 * changes nothing read).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { TailCache, TailCacheBudget } from '../../src/storage/tail-cache.js';
import { buildBatch } from '../helpers/batches.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { fixture, settle } from './support.js';


function batchesOf(records: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < records.length; at += batch.totalBytes(records, at)) out.push(records.subarray(at, at + batch.totalBytes(records, at)));
  return out;
}

/** Batches with offsets already set (as a follower receives them), `count` batches of 1-3 records from `baseOffset`. */
function followerBatches(baseOffset: number, count: number, next: () => number): Buffer {
  const parts: Buffer[] = [];
  let offset = baseOffset;
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(next() * 3);
    const b = buildBatch({ records: Array.from({ length: n }, (_, j) => ({ value: Buffer.alloc(1 + Math.floor(next() * 300), (offset + j) % 251) })) });
    batch.setBaseOffset(b, offset);
    parts.push(b);
    offset += n;
  }
  return Buffer.concat(parts);
}

async function pair(budgetBytes: number, segmentBytes: number): Promise<{ cached: PartitionLog; plain: PartitionLog; budget: TailCacheBudget }> {
  const budget = new TailCacheBudget(budgetBytes);
  const a = fixture({ segmentBytes });
  const b = fixture({ segmentBytes });
  return { cached: await a.open({ tailCacheBudget: budget }), plain: await b.open(), budget };
}

describe('tail cache', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`answers like the files under random appends, truncations and reads (seed ${seed})`, async () => {
      const next = seededRandom(seed);
      // Small budgets force eviction; small segments force rolls inside the cached range.
      const { cached, plain, budget } = await pair(seed % 2 === 0 ? 8 * 1024 : 1 << 20, seed % 3 === 0 ? 4096 : 64 * 1024);
      for (let step = 0; step < 300; step++) {
        const r = next();
        if (r < 0.45) {
          const recs = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({ value: Buffer.alloc(Math.floor(next() * 400), step % 251) }));
          const b1 = buildBatch({ records: recs });
          const b2 = Buffer.from(b1);
          const [x, y] = await Promise.all([cached.appendAsLeader(b1, { leaderEpoch: 0 }), plain.appendAsLeader(b2, { leaderEpoch: 0 })]);
          assert.deepEqual(x, y);
          b1.fill(0); // the cache holds a copy: scribbling over the request buffer changes nothing
        } else if (r < 0.55) {
          // A follower append, sometimes after a gap (offsets jump, as on a leader with a gap).
          const base = cached.logEndOffset + (next() < 0.2 ? 1 + Math.floor(next() * 5) : 0);
          const recs = followerBatches(base, 1 + Math.floor(next() * 3), next);
          await cached.appendAsFollower(Buffer.from(recs));
          await plain.appendAsFollower(Buffer.from(recs));
        } else if (r < 0.6 && cached.logEndOffset > 0) {
          const to = Math.floor(next() * cached.logEndOffset);
          await cached.truncateTo(to);
          await plain.truncateTo(to);
        } else if (cached.logEndOffset > cached.logStartOffset) {
          const end = cached.logEndOffset;
          const fetchOffset = cached.logStartOffset + Math.floor(next() * (end - cached.logStartOffset));
          const maxBytes = next() < 0.3 ? Math.floor(next() * 200) : Math.floor(next() * 8000);
          const minOneMessage = next() < 0.5;
          const maxOffset = next() < 0.3 ? fetchOffset + 1 + Math.floor(next() * (end - fetchOffset)) : undefined;
          const opts = { minOneMessage, ...(maxOffset === undefined ? {} : { maxOffset }) };
          const got = await cached.read(fetchOffset, maxBytes, opts);
          const want = await plain.read(fetchOffset, maxBytes, opts);
          const g = batchesOf(got.records);
          const w = batchesOf(want.records);
          const what = `step ${step}: read(${fetchOffset}, ${maxBytes}, ${JSON.stringify(opts)}) logEnd ${end}`;
          assert.equal(got.firstOffset, want.firstOffset, what);
          assert.equal(g.length === 0, w.length === 0, `${what}: ${g.length} batches vs ${w.length} from the files`);
          // The same batches as far as both go; beyond the file read's segment end the cache may
          // return more, never more than maxBytes (past the first batch) nor past maxOffset.
          for (let i = 0; i < Math.min(g.length, w.length); i++) assert.ok(g[i]!.equals(w[i]!), `${what}: batch ${i} differs`);
          if (g.length > 1) assert.ok(got.records.length <= maxBytes, `${what}: ${got.records.length} bytes > maxBytes`);
          for (const b of g) assert.ok(batch.lastOffset(b) < (maxOffset ?? end), `${what}: batch past maxOffset`);
          if (g.length < w.length) assert.fail(`${what}: the cache returned fewer batches (${g.length}) than the files (${w.length})`);
        }
        assert.ok(budget.bytes <= budget.bytesMax, `budget ${budget.bytes} > ${budget.bytesMax}`);
      }
      assert.ok(budget.hits > 20 && budget.misses > 5, `both paths exercised: ${budget.hits} hits, ${budget.misses} misses`);
      await cached.close();
      await plain.close();
      assert.equal(budget.bytes, 0, 'a closed log gives its cache back');
      await settle();
    });
  }

  it('evicts the oldest appends broker-wide, and evicted offsets are read from the files', async () => {
    const budget = new TailCacheBudget(16 * 1024);
    const f1 = fixture();
    const f2 = fixture();
    const l1 = await f1.open({ tailCacheBudget: budget });
    const l2 = await f2.open({ tailCacheBudget: budget });
    const big = (v: number): Buffer => buildBatch({ records: [{ value: Buffer.alloc(1500, v) }] });
    for (let i = 0; i < 20; i++) {
      await l1.appendAsLeader(big(i), { leaderEpoch: 0 });
      await l2.appendAsLeader(big(100 + i), { leaderEpoch: 0 });
      assert.ok(budget.bytes <= budget.bytesMax);
    }
    // Both partitions keep their newest appends; the oldest of each went first.
    for (const [log, v0] of [[l1, 0], [l2, 100]] as const) {
      for (const offset of [0, 10, 19]) {
        const { records } = await log.read(offset, 1 << 20, { minOneMessage: true });
        const first = batchesOf(records)[0]!;
        assert.equal(batch.baseOffset(first), offset);
        assert.equal(first.at(-2), v0 + offset, `value of offset ${offset}`); // the record ends: value, then its header count (0)
      }
    }
    await l1.close();
    await l2.close();
    assert.equal(budget.bytes, 0);
  });

  it('keeps a contiguous range: a gap or a truncation drops what was cached', () => {
    const budget = new TailCacheBudget(1 << 20);
    const cache = new TailCache(budget);
    const at = (base: number): Buffer => {
      const b = buildBatch({ records: [{ value: 'x' }, { value: 'y' }] });
      batch.setBaseOffset(b, base);
      return b;
    };
    cache.append(at(0), 2);
    cache.append(at(2), 4);
    assert.equal(cache.entryCount, 2);
    assert.equal(cache.read(2, 1000, true, 4, 4)?.firstOffset, 2);
    assert.equal(cache.read(1, 1000, true, 4, 4)?.firstOffset, 0, 'an offset inside a batch returns that batch');
    cache.append(at(10), 12); // a gap: 4..9 never passed through here
    assert.equal(cache.entryCount, 1);
    assert.equal(cache.read(2, 1000, true, 12, 12), null, 'offsets before the gap are a miss');
    cache.clear();
    assert.equal(cache.entryCount, 0);
    assert.equal(budget.bytes, 0);
  });

  it('packs small appends into shared chunks: no object per append, a read of many appends is one buffer', () => {
    const budget = new TailCacheBudget(64 << 20);
    const cache = new TailCache(budget);
    let next = 0;
    for (let i = 0; i < 500; i++) {
      const b = buildBatch({ records: [{ value: Buffer.alloc(100, i % 251) }, { value: 'k' }] });
      batch.setBaseOffset(b, next);
      next += 2;
      cache.append(b, next);
    }
    assert.equal(cache.entryCount, 500);
    // ~500 x 190 bytes in chunks of 4, 8, 16, 32 and 64 KiB: the budget is charged their capacity.
    assert.ok(budget.bytes >= 500 * 150 && budget.bytes <= 4096 * (1 + 2 + 4 + 8 + 16) + 5 * 256, `charged ${budget.bytes}`);
    const whole = cache.read(0, 1 << 20, true, next, next)!;
    assert.equal(batchesOf(whole.records).length, 500, 'a read across chunks returns every batch');
    assert.equal(batchesOf(whole.records).at(-1)!.at(-2), 'k'.charCodeAt(0));
    const a = cache.read(next - 6, 1 << 20, true, next, next)!;
    const b = cache.read(next - 4, 1 << 20, true, next, next)!;
    assert.equal(batchesOf(a.records).length, 3);
    assert.equal(batchesOf(b.records).length, 2);
    cache.clear();
    assert.equal(budget.bytes, 0);
  });

  it('reuses evicted chunk buffers, and what a read returned never changes afterwards', () => {
    const budget = new TailCacheBudget(64 * 1024); // chunks of 4 KiB (1/1024 of the bound is less)
    const cache = new TailCache(budget);
    let next = 0;
    const appendOne = (fill: number): void => {
      const b = buildBatch({ records: [{ value: Buffer.alloc(1000, fill) }] });
      batch.setBaseOffset(b, next);
      next += 1;
      cache.append(b, next);
    };
    for (let i = 0; i < 8; i++) appendOne(1);
    const before = cache.read(0, 1, true, next, next)!; // one batch: a single piece of one chunk
    const copyOfBefore = Buffer.from(before.records);
    assert.equal(batchesOf(before.records).length, 1);
    // Enough appends to evict everything above several times over: buffers come back from the free list.
    for (let i = 0; i < 400; i++) appendOne(2);
    assert.ok(budget.freeBytes > 0, 'evicted chunks were kept for reuse');
    assert.ok(budget.bytes + budget.freeBytes <= budget.bytesMax + 4 * budget.chunkBytesMax, `bounded: ${budget.bytes} + ${budget.freeBytes}`);
    assert.deepEqual(before.records, copyOfBefore, 'a read is a copy: reusing the chunk it came from does not change it');
    assert.equal(cache.read(0, 1 << 20, true, next, next), null, 'the old offsets were evicted');
    const last = cache.read(next - 1, 1 << 20, true, next, next)!;
    assert.equal(batchesOf(last.records)[0]!.at(-2), 2);
    cache.clear();
    assert.equal(budget.bytes, 0);
    assert.ok(budget.freeBytes <= 4 * budget.chunkBytesMax);
  });

  it('caches nothing with a zero budget, and never an append larger than a quarter of it', () => {
    const off = new TailCache(new TailCacheBudget(0));
    off.append(buildBatch({ records: [{ value: 'x' }] }), 1);
    assert.equal(off.entryCount, 0);
    const budget = new TailCacheBudget(4096);
    const small = new TailCache(budget);
    small.append(buildBatch({ records: [{ value: Buffer.alloc(2000) }] }), 1);
    assert.equal(small.entryCount, 0);
    assert.equal(budget.bytes, 0);
  });
});
