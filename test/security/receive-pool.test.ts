/**
 * Goal: the receive pool (queued.max.request.bytes) works as Kafka's memory pool: a connection
 * claims a whole frame once its size is known; a claim that does not fit is refused (the
 * connection stops reading) and waits in arrival order; a granted connection is never stopped, so
 * it can always finish its frame; released claims wake waiting ones only while they fit; one claim
 * always fits when nothing else is held.
 * Method: unit test with plain member objects that count their resumes; no sockets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReceivePool, type PoolMember } from '../../src/server/receive-pool.js';

function member(): PoolMember & { resumes: number } {
  return {
    poolHeldBytes: 0,
    poolWantedBytes: 0,
    resumes: 0,
    poolResume() {
      this.resumes++;
    },
  };
}

const KIB = 1024;

describe('ReceivePool', () => {
  it('grants whole-frame claims that fit, refuses the rest and wakes them in order as claims are released', () => {
    const pool = new ReceivePool(256 * KIB);
    const [a, b, c, d] = [member(), member(), member(), member()];
    assert.equal(pool.request(a, 200 * KIB, 10 * KIB), true, 'fits: granted');
    assert.equal(pool.request(b, 100 * KIB, 1 * KIB), false, 'does not fit: b stops');
    assert.equal(pool.request(c, 10 * KIB, 2 * KIB), false, 'fits, but b waits first: c stops too');
    assert.equal(pool.usedBytes, 203 * KIB, 'a claim granted plus what the refused ones really buffer');
    assert.equal(pool.request(a, 250 * KIB, 250 * KIB) === false, true, 'a larger claim by a granted member waits like any other');
    assert.equal(pool.request(d, 0, 0), true, 'a member claiming nothing is never stopped');
    // a's frame is dispatched: its claim is released and b, then c, are granted.
    assert.equal(pool.request(a, 0, 0), true);
    assert.deepEqual([b.resumes, c.resumes], [1, 1]);
    assert.equal(pool.usedBytes, 110 * KIB);
    assert.equal(pool.waitingCount, 0);
  });

  it('never stops a granted member while it fills its claim, and lets one claim through when nothing else is held', () => {
    const pool = new ReceivePool(100 * KIB);
    const a = member();
    assert.equal(pool.request(a, 300 * KIB, 4), true, 'larger than the bound, but alone: granted');
    for (let got = 64 * KIB; got < 300 * KIB; got += 64 * KIB) assert.equal(pool.request(a, 300 * KIB, got), true);
    const b = member();
    assert.equal(pool.request(b, 8 * KIB, 4), false);
    pool.remove(a);
    assert.equal(b.resumes, 1, 'a closed: its claim frees room for b');
    assert.equal(pool.usedBytes, 8 * KIB);
  });

  it('wakes only as many waiting claims as fit, oldest first', () => {
    const pool = new ReceivePool(256 * KIB);
    const big = member();
    pool.request(big, 256 * KIB, 256 * KIB);
    const waiters = Array.from({ length: 10 }, () => member());
    for (const w of waiters) assert.equal(pool.request(w, 64 * KIB, 0), false);
    pool.request(big, 128 * KIB, 128 * KIB); // two 64 KiB claims fit
    assert.deepEqual(waiters.map((w) => w.resumes), [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    pool.remove(big); // two more
    assert.deepEqual(waiters.map((w) => w.resumes), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert.equal(pool.usedBytes, 256 * KIB);
    for (const w of waiters.slice(0, 4)) pool.request(w, 0, 0); // their frames are dispatched
    assert.deepEqual(waiters.map((w) => w.resumes), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], 'four more fit');
    assert.equal(pool.waitingCount, 2);
  });

  it('frees the bytes of a removed member and refuses a non-positive bound', () => {
    const pool = new ReceivePool(100);
    const a = member();
    pool.request(a, 150, 150);
    const b = member();
    pool.request(b, 10, 10);
    pool.remove(b);
    pool.remove(a);
    assert.equal(pool.usedBytes, 0);
    assert.equal(pool.waitingCount, 0);
    assert.throws(() => new ReceivePool(0), /positive bound/);
  });
});
