/**
 * Goal: the controller's partition decisions follow Kafka's rules: leaders come from the ISR in
 * assignment order, dead and stopping brokers leave the ISR, no unclean leader unless enabled,
 * preferred election, every change bumps the leader epoch, and a broker that restarted (its
 * registration epoch moved since the state recorded it) no longer counts as in sync — the fix for
 * the data loss the simulator found (seeds 7 and 12: a power-failed leader restarting before its
 * old ZooKeeper session expired kept leading with a truncated log).
 * Method: pure function calls (src/cluster/leader-election.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialState, nextState, withEpochs, type ClusterView } from '../../src/cluster/leader-election.js';

const view = (live: number[], opts: { stopping?: number[]; unclean?: boolean } = {}): ClusterView => ({
  live: new Set(live),
  stopping: new Set(opts.stopping ?? []),
  uncleanLeaderElection: opts.unclean ?? false,
});

describe('leader election', () => {
  it('a new partition is led by its first live replica with all live replicas in sync', () => {
    assert.deepEqual(initialState([1, 2, 0], view([0, 1, 2])), { leader: 1, leaderEpoch: 0, isr: [1, 2, 0] });
    assert.deepEqual(initialState([1, 2, 0], view([0, 2])), { leader: 2, leaderEpoch: 0, isr: [2, 0] });
  });

  it('nothing changes while the leader and the ISR are alive', () => {
    assert.equal(nextState([1, 2, 0], { leader: 1, leaderEpoch: 3, isr: [1, 2, 0] }, view([0, 1, 2])), null);
  });

  it('a dead leader is replaced by the next in-sync replica, which drops the dead one from the ISR', () => {
    assert.deepEqual(nextState([1, 2, 0], { leader: 1, leaderEpoch: 3, isr: [1, 2, 0] }, view([0, 2])), { leader: 2, leaderEpoch: 4, isr: [2, 0] });
  });

  it('skips live replicas that are out of sync', () => {
    assert.deepEqual(nextState([1, 2, 0], { leader: 1, leaderEpoch: 0, isr: [1, 0] }, view([0, 2])), { leader: 0, leaderEpoch: 1, isr: [0] });
  });

  it('a dead follower leaves the ISR and the epoch bumps', () => {
    assert.deepEqual(nextState([1, 2, 0], { leader: 1, leaderEpoch: 0, isr: [1, 2, 0] }, view([0, 1])), { leader: 1, leaderEpoch: 1, isr: [1, 0] });
  });

  it('no in-sync replica alive: no leader (unclean election disabled), the ISR is kept', () => {
    assert.deepEqual(nextState([1, 2], { leader: 1, leaderEpoch: 5, isr: [1] }, view([2])), { leader: -1, leaderEpoch: 6, isr: [1] });
    // and it stays that way until an in-sync replica returns
    assert.equal(nextState([1, 2], { leader: -1, leaderEpoch: 6, isr: [1] }, view([2])), null);
    assert.deepEqual(nextState([1, 2], { leader: -1, leaderEpoch: 6, isr: [1] }, view([1, 2])), { leader: 1, leaderEpoch: 7, isr: [1] });
  });

  it('unclean election enabled: an out-of-sync live replica leads', () => {
    assert.deepEqual(nextState([1, 2], { leader: 1, leaderEpoch: 5, isr: [1] }, view([2], { unclean: true })), { leader: 2, leaderEpoch: 6, isr: [2] });
  });

  it('controlled shutdown moves leadership to another in-sync replica and removes the stopping broker from the ISR', () => {
    assert.deepEqual(nextState([1, 2, 0], { leader: 1, leaderEpoch: 0, isr: [1, 2, 0] }, view([0, 1, 2], { stopping: [1] })), { leader: 2, leaderEpoch: 1, isr: [2, 0] });
    assert.deepEqual(nextState([2, 1, 0], { leader: 2, leaderEpoch: 0, isr: [2, 1, 0] }, view([0, 1, 2], { stopping: [1] })), { leader: 2, leaderEpoch: 1, isr: [2, 0] });
  });

  it('controlled shutdown of the only in-sync replica keeps it leading', () => {
    assert.equal(nextState([1, 2], { leader: 1, leaderEpoch: 0, isr: [1] }, view([1, 2], { stopping: [1] })), null);
  });

  it('preferred election moves leadership back to replicas[0] when it is in sync', () => {
    assert.deepEqual(nextState([0, 1, 2], { leader: 1, leaderEpoch: 4, isr: [1, 2, 0] }, view([0, 1, 2]), true), { leader: 0, leaderEpoch: 5, isr: [1, 2, 0] });
    assert.equal(nextState([0, 1, 2], { leader: 1, leaderEpoch: 4, isr: [1, 2] }, view([0, 1, 2]), true), null);
  });
});

describe('leader election with broker epochs', () => {
  const epochs = (map: Record<number, string>): ClusterView => ({ ...view(Object.keys(map).map(Number)), brokerEpochs: new Map(Object.entries(map).map(([k, v]) => [Number(k), v])) });
  const recorded = { leader: 0, leaderEpoch: 3, isr: [0, 1, 2], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0', 'a1', 'a2'] };

  it('records the epochs of the leader and the ISR members it elects', () => {
    assert.deepEqual(initialState([1, 2, 0], epochs({ 0: 'e0', 1: 'e1', 2: 'e2' })), { leader: 1, leaderEpoch: 0, isr: [1, 2, 0], leaderBrokerEpoch: 'e1', isrBrokerEpochs: ['e1', 'e2', 'e0'] });
  });

  it('nothing changes while every member keeps its epoch', () => {
    assert.equal(nextState([0, 1, 2], recorded, epochs({ 0: 'a0', 1: 'a1', 2: 'a2' })), null);
  });

  it('a restarted leader loses leadership to an in-sync member and leaves the ISR', () => {
    assert.deepEqual(nextState([0, 1, 2], recorded, epochs({ 0: 'b0', 1: 'a1', 2: 'a2' })), { leader: 1, leaderEpoch: 4, isr: [1, 2], leaderBrokerEpoch: 'a1', isrBrokerEpochs: ['a1', 'a2'] });
  });

  it('a restarted follower leaves the ISR; the leader stays at a new epoch', () => {
    assert.deepEqual(nextState([0, 1, 2], recorded, epochs({ 0: 'a0', 1: 'b1', 2: 'a2' })), { leader: 0, leaderEpoch: 4, isr: [0, 2], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0', 'a2'] });
  });

  it('the last ISR member restarted: it leads again at a new epoch (nobody has more of the data)', () => {
    const alone = { leader: 0, leaderEpoch: 7, isr: [0], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0'] };
    assert.deepEqual(nextState([0, 1], alone, epochs({ 0: 'b0', 1: 'a1' })), { leader: 0, leaderEpoch: 8, isr: [0], leaderBrokerEpoch: 'b0', isrBrokerEpochs: ['b0'] });
  });

  it('states written without epochs are not judged by them', () => {
    assert.equal(nextState([0, 1, 2], { leader: 0, leaderEpoch: 3, isr: [0, 1, 2] }, epochs({ 0: 'b0', 1: 'b1', 2: 'b2' })), null);
  });

  describe('every ISR member restarted (seed 30034)', () => {
    const both = { leader: -1, leaderEpoch: 2, isr: [2, 1], isrBrokerEpochs: ['a2', 'a1'] };
    const ends = (map: Record<number, [number, number]>): Map<number, Map<string, { lastEpoch: number; logEndOffset: number }>> =>
      new Map(Object.entries(map).map(([id, [lastEpoch, logEndOffset]]) => [Number(id), new Map([['t/0', { lastEpoch, logEndOffset }]])]));

    it('waits while a member is down: no leader, and the ISR keeps the epochs it recorded', () => {
      const v = { ...epochs({ 1: 'b1' }), logEnds: ends({ 1: [0, 0] }) };
      assert.equal(nextState([0, 1, 2], both, v, false, 't/0'), null, 'already leaderless: nothing to write');
      const led = { ...both, leader: 2, leaderBrokerEpoch: 'a2' };
      assert.deepEqual(nextState([0, 1, 2], led, v, false, 't/0'), { leader: -1, leaderEpoch: 3, isr: [2, 1], isrBrokerEpochs: ['a2', 'a1'] });
    });

    it('a restarted leader does not lead again while the other ISR members are down (seed 80266)', () => {
      // 0 lost power and came back empty; 2 and 1, which hold the data, are down
      const s = { leader: 0, leaderEpoch: 0, isr: [0, 2, 1], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0', 'a2', 'a1'] };
      const v = { ...epochs({ 0: 'b0' }), logEnds: ends({ 0: [0, 0] }) };
      assert.deepEqual(nextState([0, 2, 1], s, v, false, 't/0'), { leader: -1, leaderEpoch: 1, isr: [0, 2, 1], isrBrokerEpochs: ['a0', 'a2', 'a1'] });
      const noEnds = epochs({ 0: 'b0' });
      assert.equal(nextState([0, 2, 1], s, noEnds, false, 't/0')?.leader, -1, 'without published log ends too');
    });

    it('once all are back, the longest log (last epoch, then log end) leads alone; an empty log never wins', () => {
      const v = { ...epochs({ 1: 'b1', 2: 'b2' }), logEnds: ends({ 1: [0, 0], 2: [0, 610] }) };
      assert.deepEqual(nextState([0, 1, 2], both, v, false, 't/0'), { leader: 2, leaderEpoch: 3, isr: [2], leaderBrokerEpoch: 'b2', isrBrokerEpochs: ['b2'] });
      const newerEpoch = { ...epochs({ 1: 'b1', 2: 'b2' }), logEnds: ends({ 1: [3, 500], 2: [2, 610] }) };
      assert.equal(nextState([0, 1, 2], both, newerEpoch, false, 't/0')?.leader, 1);
      const missing = { ...epochs({ 1: 'b1', 2: 'b2' }), logEnds: new Map([[1, new Map()], [2, new Map([['t/0', { lastEpoch: 0, logEndOffset: 5 }]])]]) };
      assert.equal(nextState([0, 1, 2], both, missing, false, 't/0')?.leader, 2, 'no log: nothing');
    });

    it('an ISR change never passes a restarted member off as in sync', () => {
      const s = { leader: 0, leaderEpoch: 3, isr: [0, 1, 2], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0', 'a1', 'a2'] };
      // the leader shrinks the ISR to [0, 1] while 1 has restarted (new epoch b1): 1 keeps a1
      assert.deepEqual(withEpochs({ leader: 0, leaderEpoch: 3, isr: [0, 1] }, epochs({ 0: 'a0', 1: 'b1', 2: 'a2' }), s), { leader: 0, leaderEpoch: 3, isr: [0, 1], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0', 'a1'] });
      // ...and is still seen as restarted
      assert.deepEqual(nextState([0, 1, 2], { leader: 0, leaderEpoch: 3, isr: [0, 1], leaderBrokerEpoch: 'a0', isrBrokerEpochs: ['a0', 'a1'] }, epochs({ 0: 'a0', 1: 'b1', 2: 'a2' }))?.isr, [0]);
    });
  });
});
