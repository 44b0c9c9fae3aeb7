/**
 * Goal: the broker's background file work (src/storage/background-queue.ts) runs one task at a
 * time, in order, whatever the logs: retired segments of several logs are removed one after
 * another, and a write-behind sync waits for a removal ahead of it (so background work never holds
 * more than one thread of the thread pool). Method: the queue alone with tasks the test settles,
 * then PartitionLogs over a memory disk whose removals of `*.deleted` segment files wait until the
 * test releases them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { BackgroundQueue } from '../../src/storage/background-queue.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { WriteBehind } from '../../src/storage/write-behind.js';
import { buildBatch } from '../helpers/batches.js';
import { ManualClock, settle, testConfig } from './support.js';

/** A memory disk whose removals of `*.log.deleted` files wait until the test releases them, in the order they started. */
class GatedRemovalDisk extends MemoryDisk {
  running = 0;
  maxRunning = 0;
  removed = 0;
  readonly #waiting: Array<() => void> = [];

  override async rm(target: string): Promise<void> {
    if (target.endsWith('.log.deleted')) {
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.running--;
      this.removed++;
    }
    return super.rm(target);
  }

  /** Lets the oldest waiting removal finish; false when none waits. */
  release(): boolean {
    const next = this.#waiting.shift();
    next?.();
    return next !== undefined;
  }
}

async function appendBytes(log: PartitionLog, batches: number, valueBytes: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    await log.appendAsLeader(buildBatch({ records: [{ value: Buffer.alloc(valueBytes, i % 251) }] }), { leaderEpoch: 0 });
  }
}

describe('BackgroundQueue', () => {
  it('runs tasks one at a time in the order queued; each caller gets its own outcome, and a failure does not stop the queue', async () => {
    const q = new BackgroundQueue();
    const order: string[] = [];
    const gates: Array<() => void> = [];
    const task = (name: string, fail = false) => () =>
      new Promise<string>((resolve, reject) => {
        order.push(`start ${name}`);
        gates.push(() => {
          order.push(`end ${name}`);
          if (fail) reject(new Error(`${name} failed`));
          else resolve(name);
        });
      });
    const a = q.run(task('a'));
    const b = q.run(task('b', true));
    const c = q.run(task('c'));
    await settle();
    assert.deepEqual(order, ['start a']);
    assert.deepEqual(q.stats(), { started: 1, queued: 2 });
    gates.shift()!();
    assert.equal(await a, 'a');
    await settle();
    assert.deepEqual(order, ['start a', 'end a', 'start b']);
    gates.shift()!();
    await assert.rejects(b, /b failed/);
    await settle();
    gates.shift()!();
    assert.equal(await c, 'c');
    assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.deepEqual(q.stats(), { started: 3, queued: 0 });
  });

  it('removes the retired segments of several logs one at a time, and a write-behind sync waits for the removals queued before it', async () => {
    const disk = new GatedRemovalDisk();
    const clock = new ManualClock();
    const background = new BackgroundQueue();
    const writeBehind = new WriteBehind(300, background);
    const config = testConfig({ segmentBytes: 500, retentionBytes: 0 });
    const logs = await Promise.all(
      [0, 1, 2].map((p) => PartitionLog.open({ disk, clock, dir: `/data/t-${p}`, topic: 't', partition: p, config, background, writeBehind })),
    );
    for (const log of logs) await appendBytes(log, 6, 100);
    await settle();
    for (const log of logs) assert.ok((await log.applyRetention()) > 0);
    await settle();
    const deletedLogs = () => disk.listFiles().filter((f) => f.endsWith('.log.deleted'));
    const retired = deletedLogs().length;
    assert.ok(retired >= 3, `every log retired segments (${retired})`);
    assert.equal(disk.running, 1, 'one removal at a time');
    // Log 0 goes past bytesMax now: its sync queues behind the removals already waiting.
    const syncsBefore = writeBehind.stats().syncs;
    await appendBytes(logs[0]!, 2, 100);
    await settle();
    assert.equal(writeBehind.stats().queued, 1, 'the sync waits for its turn');
    assert.equal(writeBehind.stats().syncs, syncsBefore);
    while (disk.release()) await settle();
    assert.equal(disk.maxRunning, 1, 'never two removals at once');
    assert.equal(disk.removed, retired);
    assert.deepEqual(deletedLogs(), []);
    assert.equal(writeBehind.stats().queued, 0);
    assert.equal(writeBehind.stats().syncs, syncsBefore + 1, 'the sync ran once the removals were done');
    assert.deepEqual(background.stats().queued, 0);
    for (const log of logs) await log.close();
  });
});
