/**
 * Goal: the production Disk (node:fs) honours the Disk contract, and PartitionLog / LogManager work
 * on a real file system: append, roll, close, reopen (clean and after damage) in a temp directory.
 * Method: fs.mkdtemp under os.tmpdir(), removed after each test; real clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, stat } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { diskErrorCode } from '../../src/io/disk.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeDisk } from '../../src/io/node/disk.js';
import { batch } from '../../src/protocol/records/batch.js';
import { CLEAN_SHUTDOWN_FILE, LogManager } from '../../src/storage/log-manager.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { buildBatch, splitBatches } from '../helpers/batches.js';
import { testConfig } from './support.js';

let tmp = '';
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'samsa-storage-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * A scripted clock for the inline-write guard: an inline write reads the clock at its start and its
 * end (allowed() reads it too, but only during a backoff, after these tests' assertions), so reads
 * pair up per write: before write i's start `gapMs` passes, during it `writeMsOf(i)`.
 */
function writeClock(writeMsOf: (write: number) => number, gapMs: number): { nowMs: () => number; t: () => number } {
  let t = 0;
  let reads = 0;
  return {
    nowMs: () => {
      reads++;
      t += reads % 2 === 0 ? writeMsOf(reads / 2 - 1) : gapMs;
      return t;
    },
    t: () => t,
  };
}

describe('NodeDisk', () => {
  it('writes small buffers inline and large ones through the thread pool, with the same bytes on disk', async () => {
    const disk = new NodeDisk({ inlineWriteBytesMax: 1024 });
    const h = await disk.open(path.join(tmp, 'w'), 'c+');
    const small = Buffer.alloc(1000, 1);
    const large = Buffer.alloc(5000, 2);
    assert.equal(await h.write(small, 0), 1000);
    assert.equal(await h.write(large, 1000), 5000);
    assert.equal(await h.write(Buffer.from('xyz'), 10), 3, 'an inline write at a position inside the file');
    assert.deepEqual(disk.writeStats(), { inline: 2, pooled: 1, slow: 0, costly: 0 });
    const back = Buffer.alloc(6000);
    assert.equal(await h.read(back, 0, 6000, 0), 6000);
    const want = Buffer.concat([small, large]);
    want.write('xyz', 10);
    assert.ok(back.equals(want));
    await h.close();
    const off = new NodeDisk({ inlineWriteBytesMax: 0 });
    const h2 = await off.open(path.join(tmp, 'w2'), 'c+');
    await h2.write(Buffer.from('a'), 0);
    assert.deepEqual(off.writeStats(), { inline: 0, pooled: 1, slow: 0, costly: 0 }, '0 turns inline writes off');
    await h2.close();
  });

  it('sends writes to the thread pool for a while once inline writes keep stalling, not after one slow write', async () => {
    const stalls: number[] = [];
    // Every write counts as slow here (threshold -1 ms): the third within a second moves writes to the pool.
    const disk = new NodeDisk({ inlineWriteBytesMax: 1024, inlineWriteStallMs: -1, onInlineWriteStall: (ms) => stalls.push(ms) });
    const h = await disk.open(path.join(tmp, 's'), 'c+');
    for (let i = 0; i < 6; i++) await h.write(Buffer.from([i]), i);
    assert.deepEqual(disk.writeStats(), { inline: 3, pooled: 3, slow: 3, costly: 0 });
    assert.equal(stalls.length, 1);
    const back = Buffer.alloc(6);
    await h.read(back, 0, 6, 0);
    assert.deepEqual([...back], [0, 1, 2, 3, 4, 5]);
    await h.close();
  });

  it('takes slow writes far apart among fast ones for preemption, not a stall; slow writes close together still stall', async () => {
    // The writes named in `slow` take 20 ms, the others 5 µs, back to back.
    const slow = new Set<number>();
    const clock = writeClock((i) => (slow.has(i) ? 20 : 0.005), 0);
    const stalls: number[] = [];
    const disk = new NodeDisk({ inlineWriteBytesMax: 1024, inlineWriteNowMs: clock.nowMs, onInlineWriteStall: (ms) => stalls.push(ms) });
    const h = await disk.open(path.join(tmp, 'apart'), 'c+');
    // Three 20-ms writes within 1 s of each other but 40 writes apart: a busy scheduler, not throttling.
    for (const i of [10, 50, 90]) slow.add(i);
    let i = 0;
    for (; i < 120; i++) await h.write(Buffer.from([i % 256]), i);
    assert.ok(clock.t() < 1000, `the slow writes were within a second (${clock.t()} ms)`);
    assert.deepEqual(disk.writeStats(), { inline: 120, pooled: 0, slow: 3, costly: 0 });
    assert.deepEqual(stalls, []);
    // Three within a few writes of each other: the kernel is making writes wait, so writes go to the pool.
    for (const j of [130, 133, 136]) slow.add(j);
    for (; i < 137; i++) await h.write(Buffer.from([i % 256]), i);
    assert.equal(stalls.length, 1);
    assert.deepEqual(disk.writeStats(), { inline: 137, pooled: 0, slow: 6, costly: 0 });
    await h.write(Buffer.from([1]), i);
    assert.equal(disk.writeStats().pooled, 1, 'the next write goes to the pool');
    await h.close();
  });

  it('backs off for 1 s at first and twice as long when stalls come back soon after', async () => {
    const backoffs: number[] = [];
    const disk = new NodeDisk({ inlineWriteBytesMax: 1024, inlineWriteStallMs: -1, onInlineWriteStall: (_ms, backoffMs) => backoffs.push(backoffMs) });
    const h = await disk.open(path.join(tmp, 'b'), 'c+');
    for (let i = 0; i < 4; i++) await h.write(Buffer.from([i]), i);
    assert.deepEqual(backoffs, [1000]);
    assert.deepEqual(disk.writeStats(), { inline: 3, pooled: 1, slow: 3, costly: 0 });
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 4; i < 8; i++) await h.write(Buffer.from([i]), i);
    assert.deepEqual(backoffs, [1000, 2000], 'stalls within a minute of the last backoff double it');
    assert.deepEqual(disk.writeStats(), { inline: 6, pooled: 2, slow: 6, costly: 0 });
    await h.close();
  });

  it('sends writes to the thread pool for a while once inline writes take more than their share of the time, without any stalling', async () => {
    const costly: Array<[number, number]> = [];
    // A share of 0 makes any measured window too costly; the window is 20 ms here instead of 1 s.
    const disk = new NodeDisk({ inlineWriteBytesMax: 1024, inlineWriteShareMax: 0, inlineWriteShareWindowMs: 20, inlineWriteCostlyWriteMsMin: 0, onInlineWriteCostly: (share, backoffMs) => costly.push([share, backoffMs]) });
    const h = await disk.open(path.join(tmp, 'share'), 'c+');
    const startMs = performance.now();
    let i = 0;
    while (disk.writeStats().costly === 0 && performance.now() - startMs < 2000) {
      await h.write(Buffer.from([i % 256]), i);
      i++;
    }
    assert.equal(costly.length, 1, 'the first window over its share moves writes to the pool');
    assert.ok(costly[0]![0] > 0 && costly[0]![0] <= 1, `share ${costly[0]![0]}`);
    assert.equal(costly[0]![1], 1000, 'for the first backoff, 1 s');
    const inlineBefore = disk.writeStats().inline;
    await h.write(Buffer.from([1]), i);
    assert.deepEqual(disk.writeStats(), { inline: inlineBefore, pooled: 1, slow: 0, costly: 1 }, 'the next write goes to the pool');
    await h.close();
    // The same writes within their share (all of the time) stay inline.
    const calm = new NodeDisk({ inlineWriteBytesMax: 1024, inlineWriteShareMax: 1, inlineWriteShareWindowMs: 20, onInlineWriteCostly: () => assert.fail('not costly') });
    const h2 = await calm.open(path.join(tmp, 'calm'), 'c+');
    const calmStartMs = performance.now();
    for (let j = 0; performance.now() - calmStartMs < 60; j++) await h2.write(Buffer.from([j % 256]), j);
    assert.equal(calm.writeStats().pooled, 0);
    assert.equal(calm.writeStats().costly, 0);
    await h2.close();
  });

  it('keeps many cheap writes inline even when together they pass their share; the same share in costly writes moves them', async () => {
    // Each write takes `writeMs`; 1 ms of the loop's other work passes between writes.
    const run = async (name: string, writeMs: number): Promise<{ costly: number; pooled: number }> => {
      const disk = new NodeDisk({ inlineWriteBytesMax: 1024, inlineWriteShareMax: 0.001, inlineWriteShareWindowMs: 100, inlineWriteNowMs: writeClock(() => writeMs, 1).nowMs, onInlineWriteCostly: () => undefined });
      const h = await disk.open(path.join(tmp, name), 'c+');
      for (let i = 0; i < 300 && disk.writeStats().pooled === 0; i++) await h.write(Buffer.from([i % 256]), i);
      await h.close();
      return disk.writeStats();
    };
    // 5 µs writes: 0.5% of the time, over the (test's) 0.1% share, but cheaper than a pool round trip each.
    assert.deepEqual(await run('cheap', 0.005), { inline: 300, pooled: 0, slow: 0, costly: 0 });
    // 50 µs writes over the same share: to the pool.
    const costly = await run('costly', 0.05);
    assert.equal(costly.costly, 1);
    assert.equal(costly.pooled, 1);
  });

  it('an inline write error (a closed file) rejects the write like a pooled one', async () => {
    const disk = new NodeDisk({ inlineWriteBytesMax: 1024 });
    const h = await disk.open(path.join(tmp, 'c'), 'c+');
    await h.close();
    await assert.rejects(h.write(Buffer.from('late'), 0), (e) => typeof diskErrorCode(e) === 'string');
  });

  it('implements the Disk contract on the real file system', async () => {
    const disk = new NodeDisk();
    const dir = path.join(tmp, 'a', 'b');
    await disk.mkdir(dir);
    await disk.mkdir(dir);
    const file = path.join(dir, 'f');
    await assert.rejects(disk.open(file, 'r'), (e) => diskErrorCode(e) === 'ENOENT');
    const h = await disk.open(file, 'c+');
    assert.equal(await h.write(Buffer.from('hello world'), 0), 11);
    await h.write(Buffer.from('W'), 6);
    await h.sync();
    const buf = Buffer.alloc(32);
    assert.equal(await h.read(buf, 0, 32, 0), 11);
    assert.equal(buf.subarray(0, 11).toString(), 'hello World');
    await h.truncate(5);
    assert.equal(await h.size(), 5);
    await h.close();
    const again = await disk.open(file, 'c+');
    assert.equal(await again.size(), 5, "'c+' does not truncate");
    await again.close();
    assert.deepEqual(await disk.stat(file), { sizeBytes: 5, isDirectory: false });
    assert.equal(await disk.stat(path.join(dir, 'missing')), null);
    await disk.writeFileAtomic(path.join(dir, 'cp'), Buffer.from('0\n0\n'));
    assert.equal((await disk.readFile(path.join(dir, 'cp'))).toString(), '0\n0\n');
    assert.deepEqual((await disk.readdir(dir)).map((e) => e.name).sort(), ['cp', 'f']);
    await disk.rename(file, `${file}.deleted`);
    await disk.syncDir(dir);
    assert.ok((await disk.freeBytes(dir)) > 0);
    await disk.rm(path.join(tmp, 'a'));
    assert.equal(await disk.stat(dir), null);
    await disk.rm(path.join(tmp, 'never-existed'));
  });
});

describe('storage on the real file system', () => {
  it('appends, rolls, reopens cleanly and recovers a cut tail', async () => {
    const disk = new NodeDisk();
    const clock = new NodeClock();
    const dir = path.join(tmp, 'orders-0');
    const open = (cleanShutdown: boolean) =>
      PartitionLog.open({ disk, clock, dir, topic: 'orders', partition: 0, config: testConfig({ segmentBytes: 8192, indexIntervalBytes: 512 }), cleanShutdown });
    const log = await open(false);
    const batches: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const b = buildBatch({ records: [{ key: `k${i}`, value: Buffer.alloc(200, i) }] });
      await log.appendAsLeader(b, { leaderEpoch: 0 });
      batches.push(b);
    }
    const bases = log.segmentBaseOffsets();
    assert.ok(bases.length > 2);
    await log.close();
    const reopened = await open(true);
    assert.equal(reopened.logEndOffset, 100);
    const all: Buffer[] = [];
    for (let offset = 0; offset < 100; ) {
      const { records } = await reopened.read(offset, 1 << 20, { minOneMessage: true });
      const parts = splitBatches(records);
      all.push(...parts);
      offset = batch.lastOffset(parts.at(-1)!) + 1;
    }
    assert.deepEqual(all, batches);
    await reopened.close();

    const last = path.join(dir, `${String(bases.at(-1)).padStart(20, '0')}.log`);
    await truncate(last, (await stat(last)).size - 3);
    const recovered = await open(false);
    assert.equal(recovered.logEndOffset, 99);
    await recovered.close();
  });

  it('LogManager writes the marker and checkpoints and reopens its logs', async () => {
    const disk = new NodeDisk();
    const clock = new NodeClock();
    const logDirs = [path.join(tmp, 'd1'), path.join(tmp, 'd2')];
    const lm = new LogManager({ disk, clock, logDirs, defaults: testConfig() });
    await lm.open();
    const a = await lm.createLog('my-topic.v2', 3);
    await a.appendAsLeader(buildBatch({ records: [{ value: 'x' }, { value: 'y' }] }), { leaderEpoch: 0 });
    await lm.createLog('other', 0);
    lm.startBackgroundTasks({ retentionCheckIntervalMs: 60_000, flushCheckIntervalMs: 60_000 });
    await lm.close();
    assert.ok(await disk.stat(path.join(logDirs[0]!, CLEAN_SHUTDOWN_FILE)));
    assert.equal((await disk.readFile(path.join(logDirs[0]!, 'recovery-point-offset-checkpoint'))).toString(), '0\n1\nmy-topic.v2 3 2\n');
    const lm2 = new LogManager({ disk, clock, logDirs, defaults: testConfig() });
    await lm2.open();
    assert.equal(lm2.getLog('my-topic.v2', 3)!.logEndOffset, 2);
    assert.equal(lm2.logDirOf('other', 0), logDirs[1]);
    await lm2.deleteLog('other', 0);
    await lm2.close();
    assert.deepEqual((await disk.readdir(logDirs[1]!)).map((e) => e.name).filter((n) => !n.startsWith('.') && !n.includes('checkpoint')), []);
  });
});
