/**
 * Goal: the Partition state machine applies Kafka's replication rules — the high watermark is the
 * minimum log end offset over the (maximal) ISR and never goes down, an ISR member that has not
 * fetched in the current epoch holds it, a follower is caught up when it fetches at the leader's
 * log end (or at the end the leader had at its previous fetch), lagging ISR members are reported
 * after replica.lag.time.max.ms, and a replica qualifies for the ISR at the high watermark and the
 * start of the leader epoch.
 *
 * Method: a Partition over a stub log (just offsets) and an in-memory epoch cache; time is passed
 * in as numbers, so no clock or I/O is involved.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PartitionInfo } from '../../src/cluster/metadata-image.js';
import { Partition } from '../../src/replication/partition.js';
import type { LeaderEpochCache } from '../../src/storage/leader-epoch-cache.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';

class StubLog {
  logStartOffset = 0;
  logEndOffset = 0;
  #hw = 0;
  get highWatermark(): number {
    return this.#hw;
  }
  set highWatermark(v: number) {
    this.#hw = Math.min(Math.max(v, this.logStartOffset), this.logEndOffset);
  }
}

function stubEpochs(): LeaderEpochCache {
  const entries: Array<{ epoch: number; startOffset: number }> = [];
  return {
    entries,
    assign(epoch: number, startOffset: number) {
      if (entries.length > 0 && entries.at(-1)!.epoch >= epoch) return false;
      entries.push({ epoch, startOffset });
      return true;
    },
  } as unknown as LeaderEpochCache;
}

const info = (over: Partial<PartitionInfo> = {}): PartitionInfo => ({
  partition: 0,
  leader: 1,
  leaderEpoch: 3,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  offline: [],
  partitionEpoch: 7,
  ...over,
});

async function leader(logEndOffset: number): Promise<{ p: Partition; log: StubLog }> {
  const log = new StubLog();
  log.logEndOffset = logEndOffset;
  const p = new Partition('t', 0, log as unknown as PartitionLog, stubEpochs(), 1);
  assert.equal(p.becomeLeader(info(), 1000), true);
  await p.leaderReady;
  return { p, log };
}

describe('Partition', () => {
  it('moves the high watermark to the minimum ISR log end offset, never down', async () => {
    const { p, log } = await leader(10);
    assert.equal(p.leaderEpochStartOffset, 10);
    assert.equal(p.maybeIncrementHighWatermark(), false, 'followers have not fetched yet');
    p.onFollowerFetch(2, 8, 1001);
    assert.equal(p.maybeIncrementHighWatermark(), false, 'replica 3 still unknown');
    p.onFollowerFetch(3, 6, 1002);
    assert.equal(p.maybeIncrementHighWatermark(), true);
    assert.equal(log.highWatermark, 6);
    p.onFollowerFetch(3, 10, 1003);
    p.maybeIncrementHighWatermark();
    assert.equal(log.highWatermark, 8);
    p.onFollowerFetch(2, 7, 1004); // an older fetch offset (impossible in practice) must not lower it
    assert.equal(p.maybeIncrementHighWatermark(), false);
    assert.equal(log.highWatermark, 8);
  });

  it('reports ISR members that stopped catching up, and not those at the log end', async () => {
    const { p, log } = await leader(10);
    p.onFollowerFetch(2, 10, 1100);
    p.onFollowerFetch(3, 10, 1100);
    log.logEndOffset = 20;
    p.onFollowerFetch(2, 10, 1200); // behind, but at the end the leader had at its previous fetch
    assert.deepEqual(p.outOfSyncReplicas(1100 + 500, 1000), []);
    assert.deepEqual(p.outOfSyncReplicas(1100 + 1001, 1000), [2, 3]);
    p.onFollowerFetch(2, 20, 2200);
    assert.deepEqual(p.outOfSyncReplicas(2300, 1000), [3]);
  });

  it('counts a pending ISR expansion for the high watermark and qualifies replicas at HW and epoch start', async () => {
    const { p, log } = await leader(10);
    p.updateFromImage(info({ isr: [1, 2], partitionEpoch: 8 }), 1000);
    p.onFollowerFetch(2, 10, 1001);
    p.maybeIncrementHighWatermark();
    assert.equal(log.highWatermark, 10);
    assert.deepEqual(p.onFollowerFetch(3, 9, 1002), { expandIsr: false }, 'below the high watermark');
    assert.deepEqual(p.onFollowerFetch(3, 10, 1003), { expandIsr: true });
    p.pendingIsr = [1, 2, 3];
    log.logEndOffset = 15;
    p.onFollowerFetch(2, 15, 1004);
    assert.equal(p.maybeIncrementHighWatermark(), false, 'replica 3 (being added) holds the high watermark');
    p.onFollowerFetch(3, 15, 1005);
    assert.equal(p.maybeIncrementHighWatermark(), true);
    assert.equal(log.highWatermark, 15);
  });

  it('changes role only on a new leader or epoch', async () => {
    const { p } = await leader(0);
    assert.equal(p.becomeLeader(info({ isr: [1, 2], partitionEpoch: 8 }), 2000), false, 'same epoch: ISR update only');
    assert.deepEqual(p.isr, [1, 2]);
    assert.equal(p.becomeFollower(info({ leader: 2, leaderEpoch: 4 })), true);
    assert.equal(p.isLeader, false);
    assert.equal(p.becomeFollower(info({ leader: 2, leaderEpoch: 4 })), false);
    assert.equal(p.becomeFollower(info({ leader: 2, leaderEpoch: 5 })), true);
    assert.equal(p.stop(info({ leader: -1 })), true);
  });
});
