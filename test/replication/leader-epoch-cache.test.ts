/**
 * Goal: the leader epoch cache keeps Kafka's leader-epoch-checkpoint semantics — entries only for
 * newer epochs, start offsets that never go back, truncation from the end, OffsetForLeaderEpoch
 * lookups (the epoch's end is the next epoch's start; the latest epoch ends at the log end), and a
 * file that survives a reopen and is cut back to the log end after a crash.
 *
 * Method: LeaderEpochCache on the real disk in a temp dir; file contents checked as text.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { NodeDisk } from '../../src/io/node/disk.js';
import { LeaderEpochCache, LEADER_EPOCH_CHECKPOINT_FILE, decodeLeaderEpochCheckpoint } from '../../src/storage/leader-epoch-cache.js';
import { makeTempDir, removeDir } from '../helpers/broker.js';

describe('LeaderEpochCache', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await removeDir(d);
  });
  const fresh = async (): Promise<string> => {
    const d = await makeTempDir('samsa-epochs-');
    dirs.push(d);
    return d;
  };

  it('assigns newer epochs only and answers end offsets as Kafka does', async () => {
    const dir = await fresh();
    const disk = new NodeDisk();
    const cache = await LeaderEpochCache.load(disk, dir, 0, () => assert.fail('no file yet'));
    assert.deepEqual(cache.endOffsetFor(0, 0), { epoch: -1, endOffset: -1 });
    assert.equal(cache.assign(1, 0), true);
    assert.equal(cache.assign(1, 5), false, 'same epoch: ignored');
    assert.equal(cache.assign(0, 7), false, 'older epoch: ignored');
    assert.equal(cache.assign(3, 10), true);
    assert.equal(cache.assign(5, 20), true);
    assert.deepEqual(cache.endOffsetFor(5, 42), { epoch: 5, endOffset: 42 }, 'latest epoch ends at the log end');
    assert.deepEqual(cache.endOffsetFor(3, 42), { epoch: 3, endOffset: 20 });
    assert.deepEqual(cache.endOffsetFor(4, 42), { epoch: 3, endOffset: 20 }, 'unknown epoch: the largest one below it');
    assert.deepEqual(cache.endOffsetFor(0, 42), { epoch: 0, endOffset: 0 }, 'older than all: ends where the first starts');
    assert.deepEqual(cache.endOffsetFor(9, 42), { epoch: -1, endOffset: -1 }, 'newer than all: undefined');
    // A newer epoch starting at the same offset replaces entries that cover no records.
    cache.assign(6, 20);
    assert.deepEqual(cache.entries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 6, startOffset: 20 },
    ]);
    cache.truncateFromEnd(15);
    await cache.flushed();
    assert.equal(await readFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8'), '0\n2\n1 0\n3 10\n');
  });

  it('reloads the file and drops entries past the log end', async () => {
    const dir = await fresh();
    await writeFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), '0\n3\n0 0\n2 100\n4 300\n');
    const cache = await LeaderEpochCache.load(new NodeDisk(), dir, 250, () => assert.fail('well formed'));
    assert.deepEqual(cache.entries, [
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 100 },
    ]);
    await cache.flushed();
    assert.equal(await readFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8'), '0\n2\n0 0\n2 100\n');
  });

  it('treats a malformed file as empty and says why', async () => {
    const dir = await fresh();
    await writeFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), '0\n2\n3 10\n1 20\n');
    const why: string[] = [];
    const cache = await LeaderEpochCache.load(new NodeDisk(), dir, 100, (w) => why.push(w));
    assert.equal(cache.entries.length, 0);
    assert.equal(why.length, 1);
    assert.equal(typeof decodeLeaderEpochCheckpoint(Buffer.from('1\n0\n')), 'string');
  });
});
