/**
 * Goal: leader changes keep every acknowledged write. A replica that wrote a tail the new leader
 * never had truncates it (OffsetForLeaderEpoch against the new leader, leader epoch cache) and then
 * copies the new leader byte for byte; a leader that loses leadership answers its waiting acks=all
 * produces with NOT_LEADER_OR_FOLLOWER instead of acknowledging them; follower fetches and
 * OffsetForLeaderEpoch with a stale or future leader epoch are fenced; and across repeated leader
 * crashes and elections no write that was acknowledged with acks=all is lost.
 *
 * Method: three in-process brokers (Broker.start) over real sockets with the scripted controller
 * (test/replication/fixture.ts); crashes stop a node (its data dir stays, the controller is not
 * told) and elections are published by the test as the ZooKeeper controller would (new leader
 * from the ISR, epoch + 1).
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { offsetForLeaderEpochApi, type OffsetForLeaderEpochResponse } from '../../src/protocol/messages/offset-for-leader-epoch.js';
import { RawConnection } from '../helpers/raw-kafka.js';
import { consumeAll, logBytes, produce, startCluster, waitUntil, type Cluster } from './fixture.js';

describe('failover', () => {
  let c: Cluster | null = null;
  afterEach(async () => {
    await c?.stopAll();
    c = null;
  });
  after(async () => {
    await c?.stopAll();
  });

  it('truncates the divergent tail of a returning leader and converges byte for byte', async () => {
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=30000'] });
    await c.controller.addTopic('div', [[1, 2, 3]]);
    for (let i = 0; i < 3; i++) assert.equal((await produce(c.node(1).port, 'div', 0, [`c${i}`], { acks: -1 })).errorCode, ErrorCode.NONE);
    await waitUntil('followers to catch up', () => [2, 3].every((id) => c!.node(id).logs.getLog('div', 0)!.logEndOffset === 3));
    // Followers crash; the leader takes acks=1 writes only it has (the divergent tail).
    await c.crash(2);
    await c.crash(3);
    for (let i = 0; i < 4; i++) assert.equal((await produce(c.node(1).port, 'div', 0, [`lost${i}`], { acks: 1 })).errorCode, ErrorCode.NONE);
    assert.equal(c.node(1).logs.getLog('div', 0)!.logEndOffset, 7);
    await c.crash(1);
    // Replica 2 returns and is elected (epoch 1) with 3; they take new writes.
    await c.restart(2);
    await c.restart(3);
    await c.controller.elect('div', 0, 2, [2, 3]);
    for (let i = 0; i < 2; i++) assert.equal((await produce(c.node(2).port, 'div', 0, [`new${i}`, `new${i}b`], { acks: -1 })).errorCode, ErrorCode.NONE);
    // Old leader 1 comes back as a follower of 2: it must drop offsets 3..6 and copy 2's log.
    await c.restart(1);
    await waitUntil('replica 1 to rejoin the ISR', () => c!.controller.partition('div', 0).isr.includes(1));
    const leaderBytes = await logBytes(c.node(2), 'div', 0);
    for (const id of [1, 3]) assert.ok(leaderBytes.equals(await logBytes(c.node(id), 'div', 0)), `replica ${id} equals the leader`);
    const values = (await consumeAll(c.node(2).port, 'div', 0)).map((r) => r.value);
    assert.deepEqual(values, ['c0', 'c1', 'c2', 'new0', 'new0b', 'new1', 'new1b']);
    const entries = c.node(1).replicas.partitionState('div', 0)!.epochs.entries;
    assert.deepEqual(entries, [
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 3 },
    ]);
  });

  it('fails waiting acks=all produces with NOT_LEADER_OR_FOLLOWER when leadership moves', async () => {
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=30000'] });
    await c.controller.addTopic('moved', [[1, 2, 3]]);
    assert.equal((await produce(c.node(1).port, 'moved', 0, ['a'], { acks: -1 })).errorCode, ErrorCode.NONE);
    await c.crash(3); // in the ISR but gone: acks=all waits
    const waiting = produce(c.node(1).port, 'moved', 0, ['never-acked'], { acks: -1, timeoutMs: 20_000 });
    await waitUntil('the write to reach the leader log', () => c!.node(1).logs.getLog('moved', 0)!.logEndOffset === 2);
    // The controller replaces broker 1 (as after its ZooKeeper session expired): it leads nothing now.
    await c.controller.elect('moved', 0, 2, [2]);
    const r = await waiting;
    assert.equal(r.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('a replaced leader that never hears of it does not acknowledge acks=all writes', async () => {
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=500'] });
    await c.controller.addTopic('stale', [[1, 2, 3]]);
    assert.equal((await produce(c.node(1).port, 'stale', 0, ['a'], { acks: -1 })).errorCode, ErrorCode.NONE);
    // Broker 1 is cut off from the controller (a paused process, an expired session): the others
    // learn that 2 leads at epoch 1, broker 1 still believes it leads at epoch 0.
    c.controller.cutOff(1);
    await c.controller.elect('stale', 0, 2, [2, 3]);
    const r = await produce(c.node(1).port, 'stale', 0, ['must-not-ack'], { acks: -1, timeoutMs: 2000 });
    assert.notEqual(r.errorCode, ErrorCode.NONE);
    // Its attempt to shrink the ISR to itself was fenced by the leader epoch.
    assert.ok(c.controller.isrChanges.some((ch) => ch.leaderId === 1 && ch.leaderEpoch === 0));
    assert.deepEqual([...c.controller.partition('stale', 0).isr], [2, 3]);
    assert.equal(c.node(1).logs.getLog('stale', 0)!.highWatermark, 1);
  });

  it('fences follower fetches and OffsetForLeaderEpoch by leader epoch', async () => {
    c = await startCluster({ brokers: 3 });
    await c.controller.addTopic('fence', [[1, 2, 3]]);
    await c.controller.elect('fence', 0, 1); // epoch 1
    await produce(c.node(1).port, 'fence', 0, ['x', 'y'], { acks: -1 });
    const conn = await RawConnection.connect(c.node(1).port);
    try {
      const fetchAt = async (epoch: number): Promise<number> => {
        const res = await conn.request<FetchResponse>(fetchApi, 12, {
          replicaId: 99,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: 'fence', partitions: [{ partition: 0, currentLeaderEpoch: epoch, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
        return res.responses[0]!.partitions[0]!.errorCode;
      };
      assert.equal(await fetchAt(0), ErrorCode.FENCED_LEADER_EPOCH);
      assert.equal(await fetchAt(2), ErrorCode.UNKNOWN_LEADER_EPOCH);
      assert.equal(await fetchAt(1), ErrorCode.NONE);
      const ofle = async (current: number, epoch: number) =>
        (
          await conn.request<OffsetForLeaderEpochResponse>(offsetForLeaderEpochApi, 4, {
            replicaId: 2,
            topics: [{ topic: 'fence', partitions: [{ partition: 0, currentLeaderEpoch: current, leaderEpoch: epoch }] }],
          })
        ).topics[0]!.partitions[0]!;
      assert.equal((await ofle(0, 0)).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
      assert.equal((await ofle(5, 0)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
      // Epoch 0 ended where epoch 1 started (offset 0: nothing was written in epoch 0).
      const e0 = await ofle(1, 0);
      assert.equal(e0.errorCode, ErrorCode.NONE);
      assert.equal(e0.endOffset, 0n);
      const e1 = await ofle(1, 1);
      assert.deepEqual([e1.leaderEpoch, e1.endOffset], [1, 2n]);
      const e7 = await ofle(1, 7);
      assert.deepEqual([e7.leaderEpoch, e7.endOffset], [-1, -1n]);
    } finally {
      conn.close();
    }
    // A broker that does not lead answers NOT_LEADER_OR_FOLLOWER.
    const follower = await RawConnection.connect(c.node(2).port);
    try {
      const res = await follower.request<OffsetForLeaderEpochResponse>(offsetForLeaderEpochApi, 4, {
        replicaId: 3,
        topics: [{ topic: 'fence', partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 1 }] }],
      });
      assert.equal(res.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      follower.close();
    }
  });

  it('loses no acknowledged write across repeated leader crashes (bounded loop)', async () => {
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=1000'] });
    const cluster = c;
    await cluster.controller.addTopic('noloss', [[1, 2, 3]], { 'min.insync.replicas': '2' });
    const acked = new Set<string>();
    let attempts = 0;
    let next = 0;
    const ROUNDS = 4;
    const WRITES_PER_ROUND = 15;
    for (let round = 0; round < ROUNDS; round++) {
      // Produce with acks=all (retrying against the current leader) while nothing fails.
      for (let i = 0; i < WRITES_PER_ROUND; i++) {
        const value = `r${round}-${next++}`;
        for (let retry = 0; retry < 50; retry++) {
          attempts++;
          const leader = cluster.controller.partition('noloss', 0).leader;
          let code: number;
          try {
            code = (await produce(cluster.node(leader).port, 'noloss', 0, [value], { acks: -1, timeoutMs: 2000 })).errorCode;
          } catch {
            code = -1;
          }
          if (code === ErrorCode.NONE) {
            acked.add(value);
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      // Fire a few writes without waiting, then crash the leader mid-flight.
      const leader = cluster.controller.partition('noloss', 0).leader;
      const inflight = [0, 1, 2].map(async () => {
        const value = `r${round}-inflight-${next++}`;
        try {
          const r = await produce(cluster.node(leader).port, 'noloss', 0, [value], { acks: -1, timeoutMs: 3000 });
          if (r.errorCode === ErrorCode.NONE) acked.add(value);
        } catch {
          // connection closed by the crash: not acknowledged
        }
      });
      await new Promise((r) => setTimeout(r, round * 3));
      await cluster.crash(leader);
      await Promise.all(inflight);
      // The controller elects another ISR member (clean election) and drops the dead one.
      const p = cluster.controller.partition('noloss', 0);
      const candidates = p.isr.filter((id) => id !== leader);
      assert.ok(candidates.length > 0, `round ${round}: an ISR member survives (${JSON.stringify(p.isr)})`);
      // Vary which ISR member wins, so the new leader is sometimes the one that fetched last.
      await cluster.controller.elect('noloss', 0, candidates[round % candidates.length]!, candidates);
      await cluster.restart(leader);
      await waitUntil(`round ${round}: the old leader to rejoin the ISR`, () => cluster.controller.partition('noloss', 0).isr.length === 3, 20_000);
    }
    const leader = cluster.controller.partition('noloss', 0).leader;
    const read = (await consumeAll(cluster.node(leader).port, 'noloss', 0)).map((r) => r.value);
    const seen = new Set(read);
    const lost = [...acked].filter((v) => !seen.has(v));
    const duplicated = read.length - seen.size;
    console.log(`# no-loss: attempts ${attempts}, acknowledged ${acked.size}, read ${read.length}, lost ${lost.length}, duplicated ${duplicated}`);
    assert.deepEqual(lost, [], 'every acknowledged write is readable');
    // Per partition order: acknowledged writes of the main loop appear in the order they were acknowledged.
    const order = read.filter((v) => acked.has(v) && !v.includes('inflight'));
    const expected = [...acked].filter((v) => !v.includes('inflight'));
    assert.deepEqual(order, expected);
    for (const id of [1, 2, 3]) {
      await waitUntil(`replica ${id} to match the leader`, async () => (await logBytes(cluster.node(id), 'noloss', 0)).equals(await logBytes(cluster.node(leader), 'noloss', 0)));
    }
  });
});
