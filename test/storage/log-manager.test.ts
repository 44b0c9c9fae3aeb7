/**
 * Goal: LogManager finds, creates, deletes and recovers partition logs across log dirs, keeps the
 * checkpoint files and the clean-shutdown marker right, and runs retention and flushing from Clock
 * intervals. Method: the in-memory Disk and a manual clock; restarts are a new LogManager over the
 * same Disk, crashes are MemoryDisk.crash().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { decodeOffsetCheckpoint } from '../../src/storage/checkpoint-file.js';
import { isStorageError } from '../../src/storage/errors.js';
import { CLEAN_SHUTDOWN_FILE, LogManager, parsePartitionDirName } from '../../src/storage/log-manager.js';
import { buildBatch } from '../helpers/batches.js';
import { ManualClock, settle, testConfig } from './support.js';

function manager(disk: MemoryDisk, clock: ManualClock, logDirs = ['/d1', '/d2'], overrides = {}): LogManager {
  return new LogManager({ disk, clock, logDirs, defaults: testConfig(overrides) });
}

const produce = (n: number, value = 'v') => buildBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `${value}${i}` })) });

describe('parsePartitionDirName', () => {
  it('takes the partition after the last dash and keeps dashes and dots in topics', () => {
    assert.deepEqual(parsePartitionDirName('orders-0'), { topic: 'orders', partition: 0 });
    assert.deepEqual(parsePartitionDirName('my-topic.v2-17'), { topic: 'my-topic.v2', partition: 17 });
    assert.deepEqual(parsePartitionDirName('__consumer_offsets-49'), { topic: '__consumer_offsets', partition: 49 });
    assert.deepEqual(parsePartitionDirName('a-b-c-3'), { topic: 'a-b-c', partition: 3 });
    for (const bad of ['orders', 'orders-', '-3', 'orders-x', 'orders-1.abc-delete', 'orders-1.abc-future', 'orders-1e3']) {
      assert.equal(parsePartitionDirName(bad), null, bad);
    }
  });
});

describe('LogManager', () => {
  it('creates logs in the least loaded log dir and finds them again after a restart', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock);
    await lm.open();
    const names: [string, number][] = [['orders', 0], ['orders', 1], ['my-topic.v2', 10], ['a-b', 3]];
    for (const [t, p] of names) {
      const log = await lm.createLog(t, p);
      await log.appendAsLeader(produce(2, t), { leaderEpoch: 0 });
    }
    assert.deepEqual(names.map(([t, p]) => lm.logDirOf(t, p)), ['/d1', '/d2', '/d1', '/d2']);
    assert.equal(lm.getLog('my-topic.v2', 10)!.dir, '/d1/my-topic.v2-10');
    assert.equal(await lm.createLog('orders', 0), lm.getLog('orders', 0), 'createLog returns an existing log');
    const [x, y] = await Promise.all([lm.createLog('fresh', 0), lm.createLog('fresh', 0)]);
    assert.equal(x, y);
    await lm.close();

    const lm2 = manager(disk, clock);
    await lm2.open();
    assert.equal(lm2.allLogs().length, 5);
    for (const [t, p] of names) {
      const log = lm2.getLog(t, p)!;
      assert.equal(log.logEndOffset, 2, `${t}-${p}`);
    }
    assert.equal(lm2.getLog('nope', 0), undefined);
    await lm2.close();
  });

  it('writes the clean-shutdown marker and Kafka-format checkpoints at close, and removes the marker at open', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock, ['/d1']);
    await lm.open();
    assert.equal(await disk.stat(`/d1/${CLEAN_SHUTDOWN_FILE}`), null);
    const log = await lm.createLog('orders', 0);
    await log.appendAsLeader(produce(3), { leaderEpoch: 0 });
    log.highWatermark = log.logEndOffset;
    await log.deleteRecordsBefore(1);
    await lm.close();
    assert.notEqual(await disk.stat(`/d1/${CLEAN_SHUTDOWN_FILE}`), null);
    assert.equal((await disk.readFile('/d1/recovery-point-offset-checkpoint')).toString(), '0\n1\norders 0 3\n');
    assert.equal((await disk.readFile('/d1/log-start-offset-checkpoint')).toString(), '0\n1\norders 0 1\n');

    const lm2 = manager(disk, clock, ['/d1']);
    await lm2.open();
    assert.equal(await disk.stat(`/d1/${CLEAN_SHUTDOWN_FILE}`), null);
    assert.equal(lm2.getLog('orders', 0)!.logStartOffset, 1, 'log start offset persisted');
    await lm2.close();
  });

  it('persists a moved log start offset right away, so a crash keeps it', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock, ['/d1']);
    await lm.open();
    const log = await lm.createLog('orders', 0);
    await log.appendAsLeader(produce(5), { leaderEpoch: 0 });
    await log.flush();
    log.highWatermark = log.logEndOffset;
    await log.deleteRecordsBefore(4);
    disk.crash();
    const lm2 = manager(disk, clock, ['/d1']);
    await lm2.open();
    const reopened = lm2.getLog('orders', 0)!;
    assert.equal(reopened.logStartOffset, 4);
    assert.equal(reopened.logEndOffset, 5);
    await lm2.close();
  });

  it('recovers after a crash without the marker, losing only unflushed data', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock, ['/d1']);
    await lm.open();
    const log = await lm.createLog('orders', 0);
    await log.appendAsLeader(produce(4), { leaderEpoch: 0 });
    await log.flush();
    await lm.checkpoint();
    await log.appendAsLeader(produce(4), { leaderEpoch: 0 });
    disk.crash({ keepUnsyncedBytes: (_p, n) => Math.floor(n / 2) });
    const lm2 = manager(disk, clock, ['/d1']);
    await lm2.open();
    const reopened = lm2.getLog('orders', 0)!;
    assert.equal(reopened.logEndOffset, 4);
    const { records } = await reopened.read(0, 1 << 20, { minOneMessage: true });
    assert.equal(records.readInt32BE(57), 4);
    await lm2.close();
  });

  it('deleteLog renames the directory for deletion and removes it; open cleans leftovers', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock, ['/d1']);
    await lm.open();
    const log = await lm.createLog('orders', 0);
    await log.appendAsLeader(produce(2), { leaderEpoch: 0 });
    await lm.deleteLog('orders', 0);
    assert.equal(lm.getLog('orders', 0), undefined);
    assert.equal(log.closed, true);
    await settle();
    assert.deepEqual(disk.listFiles().filter((p) => p.includes('orders')), []);
    await assert.rejects(lm.deleteLog('orders', 0), (e) => isStorageError(e, 'logNotFound'));
    await lm.close();
    assert.equal((await disk.readFile('/d1/recovery-point-offset-checkpoint')).toString(), '0\n0\n');

    await disk.mkdir('/d1/orders-3.0123456789abcdef-delete');
    await disk.writeFileAtomic('/d1/orders-3.0123456789abcdef-delete/00000000000000000000.log', Buffer.from('x'));
    const lm2 = manager(disk, clock, ['/d1']);
    await lm2.open();
    await settle();
    assert.equal(lm2.allLogs().length, 0);
    assert.equal(await disk.stat('/d1/orders-3.0123456789abcdef-delete'), null);
    await lm2.close();
  });

  it('refuses the same partition in two log dirs', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    await disk.mkdir('/d1/orders-0');
    await disk.mkdir('/d2/orders-0');
    const lm = manager(disk, clock);
    await assert.rejects(lm.open(), (e) => isStorageError(e, 'invalidConfig'));
  });

  it('runs retention and time-based flushes from Clock intervals and stops them at close', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock, ['/d1'], { segmentBytes: 300, retentionMs: 60_000, flushIntervalMs: 5_000 });
    await lm.open();
    const log = await lm.createLog('orders', 0);
    for (let i = 0; i < 20; i++) await log.appendAsLeader(produce(1, `value-${i}-`), { leaderEpoch: 0 });
    await settle();
    const segments = log.segmentBaseOffsets().length;
    assert.ok(segments > 3);
    lm.startBackgroundTasks({ retentionCheckIntervalMs: 30_000, flushCheckIntervalMs: 1_000 });
    assert.equal(clock.pendingTimers, 2);

    await log.appendAsLeader(produce(1), { leaderEpoch: 0 });
    assert.ok(log.recoveryPoint < log.logEndOffset);
    clock.advance(1_000);
    await settle();
    assert.ok(log.recoveryPoint < log.logEndOffset, 'not due yet');
    // One tick at a time: a tick that is still running makes the next one skip, as in production.
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await settle();
    }
    assert.equal(log.recoveryPoint, log.logEndOffset, 'flushed once flushIntervalMs passed');
    const checkpoint = decodeOffsetCheckpoint(await disk.readFile('/d1/recovery-point-offset-checkpoint'));
    assert.ok(checkpoint instanceof Map);
    assert.equal(checkpoint.get('orders-0'), log.logEndOffset);

    // Records carry the builder's timestamps, which is where the manual clock started.
    clock.advance(30_000);
    await settle();
    assert.equal(log.segmentBaseOffsets().length, segments, 'nothing older than retentionMs yet');
    for (let i = 0; i < 2; i++) {
      clock.advance(30_000);
      await settle();
    }
    assert.equal(log.segmentBaseOffsets().length, 1, 'all but the active segment expired');
    assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
    await lm.close();
    assert.equal(clock.pendingTimers, 0);
  });

  it('leaves the marker out of a log dir whose log went offline', async () => {
    const disk = new MemoryDisk();
    const clock = new ManualClock();
    const lm = manager(disk, clock, ['/d1', '/d2']);
    await lm.open();
    const a = await lm.createLog('a', 0);
    const b = await lm.createLog('b', 0);
    assert.equal(lm.logDirOf('b', 0), '/d2');
    disk.failWritesAfter(10, { pathIncludes: '/d2/b-0/' });
    await assert.rejects(b.appendAsLeader(produce(3), { leaderEpoch: 0 }), (e) => isStorageError(e, 'diskFull'));
    await a.appendAsLeader(produce(3), { leaderEpoch: 0 });
    disk.clearFaults();
    await lm.close();
    assert.notEqual(await disk.stat(`/d1/${CLEAN_SHUTDOWN_FILE}`), null);
    assert.equal(await disk.stat(`/d2/${CLEAN_SHUTDOWN_FILE}`), null);
    const lm2 = manager(disk, clock, ['/d1', '/d2']);
    await lm2.open();
    assert.equal(lm2.getLog('b', 0)!.logEndOffset, 0);
    assert.equal(lm2.getLog('a', 0)!.logEndOffset, 3);
    await lm2.close();
  });
});
