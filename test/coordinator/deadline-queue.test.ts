/**
 * Goal: the coordinator's single-timer deadline queue fires each key once, in deadline order, and
 * honours rescheduling and cancellation. Method: a ManualClock; counts the Clock timers it arms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineQueue } from '../../src/coordinator/group/deadline-queue.js';
import { ManualClock } from './support.js';

describe('DeadlineQueue', () => {
  it('fires in deadline order, reschedules and cancels by key and prefix, with one timer', () => {
    const clock = new ManualClock();
    const q = new DeadlineQueue(clock, (err) => assert.fail(String(err)));
    const fired: string[] = [];
    q.schedule('a', 300, () => fired.push('a'));
    q.schedule('b', 100, () => fired.push('b'));
    q.schedule('c', 200, () => fired.push('c'));
    q.schedule('g|1', 50, () => fired.push('g1'));
    q.schedule('g|2', 60, () => fired.push('g2'));
    assert.ok(clock.pendingTimers <= 1, 'one armed timer for all deadlines');
    q.schedule('b', 400, () => fired.push('b2')); // a heartbeat moves b's deadline
    q.cancel('c');
    q.cancelPrefix('g|');
    clock.advance(350);
    assert.deepEqual(fired, ['a']);
    clock.advance(50);
    assert.deepEqual(fired, ['a', 'b2']);
    assert.equal(q.size, 0);
    assert.ok(clock.pendingTimers <= 1);
  });

  it('stays bounded when a key is rescheduled many times', () => {
    const clock = new ManualClock();
    const q = new DeadlineQueue(clock, (err) => assert.fail(String(err)));
    let n = 0;
    for (let i = 0; i < 10_000; i++) q.schedule('member', 1000, () => n++);
    clock.advance(1000);
    assert.equal(n, 1);
  });
});
