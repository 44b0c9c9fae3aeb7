/**
 * Goal: a ZooKeeper ensemble of three with one member killed keeps the cluster working: brokers
 * stay registered (their sessions move to the surviving members), topics can still be created,
 * a broker's death still moves leadership, and records produced before and after are consumed.
 *
 * Method: test/helpers/cluster.ts with `zookeepers: 3` (three real ZooKeeper servers, quorum 2);
 * the ensemble's leader is killed with SIGKILL (the harder case: the survivors elect a new one).
 * Needs the replication data path for the records to survive the broker kill ([replication]).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kcat, requireKcat } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { fourLetterWord, startCluster, type Cluster } from '../helpers/cluster.js';

describe('cluster on a three-member ZooKeeper ensemble', () => {
  let c: Cluster;

  before(async () => {
    await requireKcat();
    c = await startCluster({ brokers: 3, zookeepers: 3 });
  });
  after(async () => {
    await c?.stopAll();
  });

  it('keeps working with one ZooKeeper member killed', async () => {
    await c.createTopic('before-zk-loss', { partitions: 3, replicationFactor: 3 });
    await kcat(['-b', c.bootstrap, '-q', '-P', '-t', 'before-zk-loss', '-p', '0', '-X', 'acks=all'], { input: 'a\nb\nc\n', timeoutMs: 30_000 });

    let zkLeader = c.zookeeper.nodes[0]!;
    for (const n of c.zookeeper.nodes) if (/Mode: leader/.test(await fourLetterWord(n.clientPort, 'srvr'))) zkLeader = n;
    await zkLeader.kill();

    // The survivors elect a leader and serve; the brokers' sessions survive.
    await c.createTopic('after-zk-loss', { partitions: 2, replicationFactor: 3 });
    const r = await kcat(['-b', c.bootstrap, '-m', '5', '-q', '-L', '-J'], { timeoutMs: 15_000 });
    assert.deepEqual((JSON.parse(r.stdout) as { brokers: Array<{ id: number }> }).brokers.map((b) => b.id).sort(), [0, 1, 2]);

    // A broker failure is still handled by the controller through the remaining quorum.
    const leader = await c.waitForLeader('before-zk-loss', 0);
    await c.kill(leader);
    const next = await c.waitForLeader('before-zk-loss', 0, { not: leader, timeoutMs: 15_000 });
    assert.notEqual(next, leader);
    await kcat(['-b', c.liveBootstrap(), '-q', '-P', '-t', 'before-zk-loss', '-p', '0', '-X', 'acks=all'], { input: 'd\n', timeoutMs: 30_000 });
  });

  it('[replication] every record produced before and after is consumed', async () => {
    const got = await kcatConsume(c.liveBootstrap(), 'before-zk-loss', { partition: 0, timeoutMs: 30_000 });
    assert.deepEqual(got.map((x) => x.value), ['a', 'b', 'c', 'd']);
  });
});
