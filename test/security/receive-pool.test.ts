/**
 * Goal: the receive pool (queued.max.request.bytes) stops exactly the connections that hold bytes
 * while the total is over its bound, never one that holds nothing, and wakes the waiting ones in
 * arrival order as bytes are released — as many as the free room allows, not all at once.
 * Method: unit test with plain member objects that count their resumes; no sockets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReceivePool, type PoolMember } from '../../src/server/receive-pool.js';

function member(): PoolMember & { resumes: number } {
  return {
    poolHeldBytes: 0,
    poolReservedBytes: 0,
    resumes: 0,
    poolResume() {
      this.resumes++;
    },
  };
}

const KIB = 1024;

describe('ReceivePool', () => {
  it('stops members holding bytes once over the bound and wakes them in order as bytes are released', () => {
    const pool = new ReceivePool(256 * KIB);
    const [a, b, c, d] = [member(), member(), member(), member()];
    assert.equal(pool.update(a, 200 * KIB), true, 'under the bound: keep reading');
    assert.equal(pool.update(b, 100 * KIB), false, 'over the bound: b stops');
    assert.equal(pool.update(c, 10 * KIB), false, 'still over: c stops');
    assert.equal(pool.update(d, 0), true, 'a member holding nothing never stops');
    assert.equal(pool.usedBytes, 310 * KIB);
    assert.equal(pool.waitingCount, 2);
    // a dispatches its frame: 110 KiB held, 146 KiB free -> room for b (64 KiB read-ahead) and c.
    assert.equal(pool.update(a, 0), true);
    assert.deepEqual([b.resumes, c.resumes], [1, 1]);
    assert.equal(pool.waitingCount, 0);
  });

  it('wakes only as many waiting members as the free room allows, oldest first, each reserving one read', () => {
    const pool = new ReceivePool(256 * KIB);
    const big = member();
    pool.update(big, 256 * KIB);
    const waiters = Array.from({ length: 10 }, () => member());
    for (const w of waiters) assert.equal(pool.update(w, 1), false);
    pool.update(big, 128 * KIB); // 128 KiB - 10 bytes free: two reads of 64 KiB fit
    assert.deepEqual(waiters.map((w) => w.resumes), [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    pool.remove(big); // 256 KiB - 10 bytes - 128 KiB reserved: two more
    assert.deepEqual(waiters.map((w) => w.resumes), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    // Each woken member reports after its read (nothing new here): its reservation is freed and the
    // next ones wake, so every waiter is woken once without a burst beyond the room.
    for (let round = 0; round < 10 && waiters.some((w) => w.resumes === 0); round++) {
      for (const w of waiters) if (w.poolReservedBytes > 0) assert.equal(pool.update(w, 1), true);
    }
    assert.equal(waiters.every((w) => w.resumes === 1), true);
    assert.equal(pool.waitingCount, 0);
    assert.equal(pool.usedBytes, 10);
  });

  it('frees the bytes of a removed member and refuses a non-positive bound', () => {
    const pool = new ReceivePool(100);
    const a = member();
    pool.update(a, 150);
    pool.remove(a);
    assert.equal(pool.usedBytes, 0);
    assert.equal(pool.waitingCount, 0);
    assert.throws(() => new ReceivePool(0), /positive bound/);
  });
});
