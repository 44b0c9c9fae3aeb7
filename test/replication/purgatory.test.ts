/**
 * Goal: the purgatory completes or expires each delayed operation exactly once and keeps its
 * bookkeeping right, also when an operation watches the same key more than once (a Fetch that
 * names one partition twice: found by the server fuzzer, where the expiry timer's assertion
 * "watched key has a set" killed the broker process).
 *
 * Method: a Purgatory on a ManualClock; operations count their tryComplete/onExpire calls. Time
 * is advanced by hand, so expiry happens inside the timer callback as in production.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/io/sim/manual-clock.js';
import { Purgatory, type DelayedOperation } from '../../src/replication/purgatory.js';

function counting(completeWhen: () => boolean): DelayedOperation & { completed: number; expired: number } {
  const op = {
    completed: 0,
    expired: 0,
    tryComplete(): boolean {
      if (!completeWhen()) return false;
      op.completed++;
      return true;
    },
    onExpire(): void {
      op.expired++;
    },
  };
  return op;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Purgatory', () => {
  it('expires an operation that watches the same key twice, once, without failing', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const purgatory = new Purgatory(clock, 10, (err) => errors.push(err));
    const op = counting(() => false);
    assert.equal(purgatory.watch(['t-0', 't-0', 't-1'], op, 100), true);
    assert.equal(purgatory.pending, 1);
    clock.advance(100);
    await settle();
    assert.deepEqual([op.expired, op.completed, purgatory.pending, errors.length], [1, 0, 0, 0]);
    purgatory.checkAndComplete('t-0'); // nothing left to wake
    assert.equal(op.completed, 0);
  });

  it('completes an operation that watches the same key twice, once, and cancels its expiry', async () => {
    const clock = new ManualClock();
    const purgatory = new Purgatory(clock, 10, (err) => assert.fail(String(err)));
    let ready = false;
    const op = counting(() => ready);
    purgatory.watch(['t-0', 't-0'], op, 100);
    purgatory.checkAndComplete('t-0');
    await settle();
    assert.equal(op.completed, 0, 'not ready yet');
    ready = true;
    purgatory.checkAndComplete('t-0');
    await settle();
    clock.advance(200);
    await settle();
    assert.deepEqual([op.completed, op.expired, purgatory.pending, clock.pendingTimers], [1, 0, 0, 0]);
  });

  it('refuses new operations when full and accepts them again after one finishes', async () => {
    const clock = new ManualClock();
    const purgatory = new Purgatory(clock, 2, (err) => assert.fail(String(err)));
    assert.equal(purgatory.watch(['a'], counting(() => false), 10), true);
    assert.equal(purgatory.watch(['b'], counting(() => false), 50), true);
    assert.equal(purgatory.watch(['c'], counting(() => false), 10), false);
    clock.advance(10);
    await settle();
    assert.equal(purgatory.pending, 1);
    assert.equal(purgatory.watch(['c'], counting(() => false), 10), true);
  });
});
