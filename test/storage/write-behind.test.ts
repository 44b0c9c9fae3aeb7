/**
 * Goal: write-behind (src/storage/write-behind.ts) gets an active segment's bytes to the disk once
 * bytesMax of them are unsynced, one fsync at a time for all logs, without moving the recovery
 * point (only a flush does, with the indexes), and a failing sync takes the log offline like any
 * other I/O failure. Method: PartitionLogs over the memory disk, whose crash() drops unsynced
 * bytes, so what survives a crash shows what was synced; a disk whose sync() waits on the test
 * shows that only one sync runs at a time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileHandle } from '../../src/io/disk.js';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { isStorageError } from '../../src/storage/errors.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { WriteBehind } from '../../src/storage/write-behind.js';
import { buildBatch } from '../helpers/batches.js';
import { fixture, ManualClock, settle, testConfig } from './support.js';

const LOG_FILE = '/data/orders-0/00000000000000000000.log';

async function appendBytes(log: PartitionLog, batches: number, valueBytes: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    await log.appendAsLeader(buildBatch({ records: [{ value: Buffer.alloc(valueBytes, i % 251) }] }), { leaderEpoch: 0 });
  }
}

describe('WriteBehind', () => {
  it('syncs the active segment once bytesMax is unsynced; a crash then keeps those bytes, and the recovery point stays', async () => {
    const f = fixture();
    const wb = new WriteBehind(1000);
    const log = await f.open({ writeBehind: wb });
    await appendBytes(log, 3, 100); // ~3 × 170 bytes: under bytesMax
    await settle();
    assert.equal(wb.stats().syncs, 0);
    await appendBytes(log, 3, 100); // past 1000 bytes with the 6th
    await settle();
    assert.equal(wb.stats().syncs, 1);
    const syncedBytes = f.disk.fileBytes(LOG_FILE).length;
    assert.ok(syncedBytes >= 1000);
    await appendBytes(log, 2, 100); // unsynced again, under bytesMax
    await settle();
    assert.equal(wb.stats().syncs, 1);
    assert.ok(f.disk.fileBytes(LOG_FILE).length > syncedBytes);
    assert.equal(log.recoveryPoint, 0, 'write-behind is not a flush');
    f.disk.crash();
    assert.equal(f.disk.fileBytes(LOG_FILE).length, syncedBytes, 'the bytes written before the sync survived the crash, the later ones did not');
  });

  it('without write-behind the same appends are all lost in a crash', async () => {
    const f = fixture();
    const log = await f.open({ writeBehind: new WriteBehind(0) });
    await appendBytes(log, 8, 100);
    await settle();
    f.disk.crash();
    assert.equal(f.disk.fileBytes(LOG_FILE).length, 0);
  });

  it('runs one sync at a time across logs, in the order asked, one queued entry per log', async () => {
    const disk = new SlowSyncDisk();
    const clock = new ManualClock();
    const wb = new WriteBehind(500);
    const logs = await Promise.all(
      [0, 1, 2].map((p) => PartitionLog.open({ disk, clock, dir: `/data/t-${p}`, topic: 't', partition: p, config: testConfig(), writeBehind: wb })),
    );
    for (const log of logs) await appendBytes(log, 4, 200);
    // More appends while the first sync waits: the queued logs must not queue twice.
    for (const log of logs) await appendBytes(log, 4, 200);
    await settle();
    assert.equal(disk.syncsRunning, 1);
    assert.deepEqual(disk.syncOrder, ['/data/t-0/00000000000000000000.log']);
    assert.equal(wb.stats().queued, 2);
    while (disk.release()) await settle();
    assert.equal(disk.maxSyncsRunning, 1);
    // log 0 synced its first 4 batches, then asked again for the 4 appended while it synced.
    assert.deepEqual(disk.syncOrder, ['/data/t-0', '/data/t-1', '/data/t-2', '/data/t-0'].map((d) => `${d}/00000000000000000000.log`));
    for (const log of logs) await log.close();
  });

  it('a failing sync takes the log offline with one clear error, and close still works', async () => {
    const f = fixture();
    const log = await f.open({ writeBehind: new WriteBehind(500) });
    f.disk.failSyncs('EIO');
    await appendBytes(log, 1, 600); // one append past bytesMax
    await settle();
    assert.ok(log.offline);
    await assert.rejects(appendBytes(log, 1, 10), (err: unknown) => isStorageError(err) && err.kind === 'logOffline' && /write-behind sync failed/.test(err.message));
    await log.close();
  });

  it('close waits for a queued sync of its segment', async () => {
    const disk = new SlowSyncDisk();
    const log = await PartitionLog.open({ disk, clock: new ManualClock(), dir: '/data/t-0', topic: 't', partition: 0, config: testConfig(), writeBehind: new WriteBehind(500) });
    await appendBytes(log, 4, 200);
    await settle();
    assert.equal(disk.syncsRunning, 1);
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false, 'the segment file stays open while its sync runs');
    while (disk.release()) await settle();
    await closing;
    assert.equal(closed, true);
  });
});

/** A memory disk whose .log fsyncs wait until the test releases them. */
class SlowSyncDisk extends MemoryDisk {
  syncsRunning = 0;
  maxSyncsRunning = 0;
  readonly syncOrder: string[] = [];
  readonly #waiting: Array<() => void> = [];

  override async open(filePath: string, mode: Parameters<MemoryDisk['open']>[1]): Promise<FileHandle> {
    const handle = await super.open(filePath, mode);
    if (!filePath.endsWith('.log')) return handle;
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      this.syncOrder.push(filePath);
      this.syncsRunning++;
      this.maxSyncsRunning = Math.max(this.maxSyncsRunning, this.syncsRunning);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.syncsRunning--;
      await sync();
    };
    return handle;
  }

  /** Lets the oldest waiting sync finish; false when none waits. */
  release(): boolean {
    const next = this.#waiting.shift();
    next?.();
    return next !== undefined;
  }
}
