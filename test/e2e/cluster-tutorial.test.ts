/**
 * Goal: Kafka's multi-broker quickstart, step for step, against Samsa brokers coordinated by a
 * real ZooKeeper: start ZooKeeper and three brokers, create `my-replicated-topic` with replication
 * factor 3, describe it (one leader, replicas = ISR = all three), produce with kcat, `kill -9` the
 * leader, see a new leader from the ISR with the dead broker gone from the ISR within 15 s, and
 * consume every message from the beginning. Then: the killed broker restarts and registers again;
 * a paused leader (SIGSTOP past its ZooKeeper session) is replaced and, after SIGCONT, does not
 * acknowledge acks=all writes; SIGTERM performs a controlled shutdown (leadership moves first); a
 * broker killed and restarted at once waits for its previous session to expire before registering.
 *
 * Method: test/helpers/cluster.ts (ZooKeeper via bin/zookeeper-server-start, brokers as child
 * processes). Metadata through kcat -L -J, topic creation through the kafkajs admin client.
 *
 * Needs the replication data path (src/replication, the replication engineer's work): the steps
 * marked [replication] read data that only followers have after the leader died, and the ISR
 * re-expansion of a restarted broker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kcat, requireKcat } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { startCluster, ZK_SESSION_TIMEOUT_MS, type Cluster } from '../helpers/cluster.js';
import { RawConnection, buildBatch } from '../helpers/raw-kafka.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const TOPIC = 'my-replicated-topic';
const MESSAGES = ['my test message 1', 'my test message 2'];
const FAILOVER_MS_MAX = 15_000;

describe('cluster tutorial: ZooKeeper, three brokers, replicated topic, kill -9 of the leader', () => {
  let c: Cluster;
  let firstLeader = -1;

  before(async () => {
    await requireKcat();
    c = await startCluster({ brokers: 3 });
  });
  after(async () => {
    await c?.stopAll();
  });

  it('creates my-replicated-topic with replication factor 3', async () => {
    await c.createTopic(TOPIC, { partitions: 1, replicationFactor: 3 });
    firstLeader = await c.waitForLeader(TOPIC, 0);
  });

  it('describes it: one leader, replicas and ISR are all three brokers', async () => {
    const [p] = await c.describe(TOPIC);
    assert.ok(p);
    assert.equal(p.leader, firstLeader);
    assert.deepEqual([...p.replicas].sort(), [0, 1, 2]);
    assert.deepEqual([...p.isr].sort(), [0, 1, 2]);
    assert.equal(p.leader, p.replicas[0], 'the preferred replica leads a new topic');
  });

  it('produces messages with kcat (acks=all)', async () => {
    await kcat(['-b', c.bootstrap, '-q', '-P', '-t', TOPIC, '-X', 'acks=all', '-X', 'message.timeout.ms=20000'], { input: `${MESSAGES.join('\n')}\n`, timeoutMs: 30_000 });
    const got = await kcatConsume(c.bootstrap, TOPIC, { timeoutMs: 30_000 });
    assert.deepEqual(got.map((r) => r.value), MESSAGES);
  });

  it(`kill -9 of the leader: a new leader from the ISR within ${FAILOVER_MS_MAX / 1000} s, the dead broker gone from the ISR`, async () => {
    const before = (await c.describe(TOPIC))[0]!;
    const started = Date.now();
    await c.kill(firstLeader);
    const p = await c.waitForPartition(TOPIC, 0, (x) => x.leader >= 0 && x.leader !== firstLeader && !x.isr.includes(firstLeader), 'new leader, dead broker out of the ISR', FAILOVER_MS_MAX);
    const tookMs = Date.now() - started;
    process.stdout.write(`# failover after kill -9 took ${tookMs} ms (session timeout ${ZK_SESSION_TIMEOUT_MS} ms)\n`);
    assert.ok(before.isr.includes(p.leader), `new leader ${p.leader} came from the ISR ${before.isr}`);
    assert.deepEqual([...p.replicas].sort(), [0, 1, 2]);
  });

  it('[replication] consumes every message from the beginning after the failover', async () => {
    const got = await kcatConsume(c.liveBootstrap(), TOPIC, { timeoutMs: 30_000 });
    assert.deepEqual(got.map((r) => r.value), MESSAGES);
  });

  it('the killed broker restarts and registers again', async () => {
    await c.restart(firstLeader);
    await c.waitForPartition(TOPIC, 0, (x) => x.leader >= 0, 'a leader');
    const r = await kcat(['-b', c.bootstrap, '-m', '5', '-q', '-L', '-J'], { timeoutMs: 15_000 });
    const ids = (JSON.parse(r.stdout) as { brokers: Array<{ id: number }> }).brokers.map((b) => b.id).sort();
    assert.deepEqual(ids, [0, 1, 2]);
  });

  it('[replication] the restarted broker catches up and rejoins the ISR', async () => {
    await c.waitForPartition(TOPIC, 0, (x) => x.isr.length === 3, 'ISR back to three', 30_000);
  });

  it('a paused leader (SIGSTOP past its session) is replaced and, resumed, does not acknowledge acks=all writes', async () => {
    const leader = await c.waitForLeader(TOPIC, 0);
    const port = c.broker(leader).port;
    c.pause(leader);
    try {
      await c.waitForLeader(TOPIC, 0, { not: leader, timeoutMs: FAILOVER_MS_MAX });
    } finally {
      c.resume(leader);
    }
    // Straight to the old leader, acks=all: it must refuse (NOT_LEADER_OR_FOLLOWER or any error), never succeed.
    const conn = await RawConnection.connect(port);
    try {
      const res = await conn.request<ProduceResponse>(
        produceApi,
        7,
        { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: buildBatch([{ key: null, value: Buffer.from('zombie write') }]) }] }] },
        20_000,
      );
      const code = res.responses[0]!.partitionResponses[0]!.errorCode;
      process.stdout.write(`# the resumed ex-leader answered acks=all with error code ${code}\n`);
      assert.notEqual(code, ErrorCode.NONE, 'a replaced leader acknowledged an acks=all write');
      // It noticed on its own that its session could be gone, and stopped leading.
      assert.match(c.broker(leader).output(), /suspending|session expired/);
    } finally {
      conn.close();
    }
    // The old leader comes back as a follower: the partition still has one leader, not the zombie's write.
    await c.waitForLeader(TOPIC, 0);
  });

  it('SIGTERM is a controlled shutdown: leadership moves away before the broker exits', async () => {
    const leader = await c.waitForLeader(TOPIC, 0);
    const p = (await c.describe(TOPIC))[0]!;
    const code = await c.stop(leader);
    assert.equal(code, 0);
    if (p.isr.length > 1) {
      // Another in-sync replica existed: it leads now, with no session-timeout wait.
      const q = await c.waitForPartition(TOPIC, 0, (x) => x.leader >= 0 && x.leader !== leader, 'leader moved', 3000);
      assert.ok(p.isr.includes(q.leader));
    }
    await c.restart(leader);
  });

  it('a broker killed and restarted at once waits for its old session to expire, then registers again', async () => {
    const victim = await c.waitForLeader(TOPIC, 0);
    await c.kill(victim);
    await c.restart(victim); // its old registration is still there: the new process waits for it to go
    assert.match(c.broker(victim).output(), /previous registration of this broker id still exists/);
    const r = await kcat(['-b', c.liveBootstrap(), '-m', '5', '-q', '-L', '-J'], { timeoutMs: 15_000 });
    assert.deepEqual((JSON.parse(r.stdout) as { brokers: Array<{ id: number }> }).brokers.map((b) => b.id).sort(), [0, 1, 2]);
    const p = await c.waitForPartition(TOPIC, 0, (x) => x.leader >= 0, 'a leader');
    assert.notEqual(p.leader, -1);
  });
});
