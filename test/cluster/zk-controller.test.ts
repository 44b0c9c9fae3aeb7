/**
 * Goal: ZkController's cluster logic — registration in Kafka's ZooKeeper layout, one active
 * controller fenced by the controller epoch, topic creation from any broker, leader election from
 * the ISR when a broker's session ends, ISR changes by the leader as conditional writes,
 * controlled shutdown, preferred-leader election, topic deletion, partitions and configs — every
 * broker's image agreeing on the outcome.
 * Method: three ZkControllers on one in-memory coordination tree (fake-coordination.ts), each with
 * its own session; sessions are expired and suspended by hand. Real timers (short waits).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ZkController } from '../../src/cluster/zk-controller.js';
import { paths, kafkaIdToUuid, uuidToKafkaId } from '../../src/cluster/zk/layout.js';
import type { MetadataImage } from '../../src/cluster/metadata-image.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeRandom } from '../../src/io/node/random.js';
import { FakeEnsemble, type FakeSession } from './fake-coordination.js';

const log = pino({ level: process.env.SAMSA_TEST_LOG_LEVEL ?? 'silent' });

interface Member {
  id: number;
  session: FakeSession;
  controller: ZkController;
}

async function until<T>(check: () => T, what: string, timeoutMs = 3000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

class TestCluster {
  readonly zk = new FakeEnsemble();
  readonly members = new Map<number, Member>();

  async add(id: number, opts: { rack?: string; unclean?: boolean; autoRebalance?: boolean; register?: boolean } = {}): Promise<Member> {
    const session = this.zk.session();
    const controller = await ZkController.open({
      brokerId: id,
      coordination: session,
      clock: new NodeClock(),
      random: new NodeRandom(),
      log,
      defaults: {
        numPartitions: 1,
        replicationFactor: 1,
        deleteTopicEnable: true,
        uncleanLeaderElectionEnable: opts.unclean ?? false,
        autoLeaderRebalanceEnable: opts.autoRebalance ?? false,
        leaderImbalancePerBrokerPercentage: 10,
        leaderImbalanceCheckIntervalMs: opts.autoRebalance ? 100 : 300_000,
      },
      adminWaitMs: 3000,
    });
    const m = { id, session, controller };
    if (opts.register === false) return m;
    await controller.register({ id, host: '127.0.0.1', port: 9092 + id, rack: opts.rack ?? null });
    this.members.set(id, m);
    return m;
  }

  get(id: number): Member {
    return this.members.get(id)!;
  }

  controllerMember(): Member | undefined {
    return [...this.members.values()].find((m) => m.controller.isActiveController);
  }

  /** Waits until every member's image satisfies `check`. */
  allSee(check: (img: MetadataImage) => boolean, what: string, ids?: number[]): Promise<boolean> {
    const who = ids ?? [...this.members.keys()];
    return until(() => who.every((id) => check(this.get(id).controller.image)), what);
  }

  async closeAll(): Promise<void> {
    for (const m of this.members.values()) {
      await m.controller.close();
      await m.session.close();
    }
  }
}

describe('ZkController', () => {
  let c: TestCluster;
  afterEach(async () => c?.closeAll());

  async function threeBrokers(): Promise<TestCluster> {
    c = new TestCluster();
    for (const id of [0, 1, 2]) await c.add(id);
    await c.allSee((img) => img.brokers.size === 3, 'three brokers');
    return c;
  }

  it('registers brokers in Kafka\'s format and elects exactly one controller with an epoch', async () => {
    await threeBrokers();
    const reg = c.zk.json(paths.broker(1)) as Record<string, unknown>;
    assert.equal(reg.version, 5);
    assert.equal(reg.host, '127.0.0.1');
    assert.equal(reg.port, 9093);
    assert.deepEqual(reg.endpoints, ['PLAINTEXT://127.0.0.1:9093']);
    assert.deepEqual(reg.listener_security_protocol_map, { PLAINTEXT: 'PLAINTEXT' });
    assert.equal(reg.jmx_port, -1);
    assert.equal(c.zk.nodes.get(paths.broker(1))!.owner, c.get(1).session.sessionId, 'ephemeral, owned by the broker\'s session');
    const active = [...c.members.values()].filter((m) => m.controller.isActiveController);
    assert.equal(active.length, 1);
    assert.equal((c.zk.json(paths.controller) as { brokerid: number }).brokerid, active[0]!.id);
    assert.equal(c.zk.nodes.get(paths.controllerEpoch)!.data.toString(), '1');
    await c.allSee((img) => img.controllerId === active[0]!.id, 'controller id in every image');
    const clusterIds = new Set([...c.members.values()].map((m) => m.controller.image.clusterId));
    assert.equal(clusterIds.size, 1);
  });

  it('creates a topic from a non-controller broker; every image shows leaders, replicas and a full ISR', async () => {
    await threeBrokers();
    const nonController = [...c.members.values()].find((m) => !m.controller.isActiveController)!;
    const r = await nonController.controller.createTopic({ name: 'my-replicated-topic', numPartitions: 3, replicationFactor: 3, assignments: [], configs: { 'retention.ms': '1000' }, validateOnly: false });
    assert.equal(r.ok, true, JSON.stringify(r));
    await c.allSee((img) => img.topics.get('my-replicated-topic')?.partitions.every((p) => p.leader !== -1) ?? false, 'leaders everywhere');
    const t = nonController.controller.image.topics.get('my-replicated-topic')!;
    for (const p of t.partitions) {
      assert.equal(p.replicas.length, 3);
      assert.equal(p.leader, p.replicas[0]);
      assert.deepEqual([...p.isr].sort(), [0, 1, 2]);
      assert.equal(p.leaderEpoch, 0);
      assert.equal(p.partitionEpoch, 0);
    }
    assert.deepEqual(t.configs, { 'retention.ms': '1000' });
    const doc = c.zk.json(paths.topic('my-replicated-topic')) as { version: number; partitions: Record<string, number[]>; topic_id: string };
    assert.equal(doc.version, 3);
    assert.equal(kafkaIdToUuid(doc.topic_id), t.topicId);
    assert.equal(uuidToKafkaId(t.topicId), doc.topic_id);
    // Kafka's state document, plus the broker epochs (the registrations' creating transactions) of the leader and the ISR.
    const epochOf = (id: number): string => String((c.zk.nodes.get(paths.broker(id)) as { czxid: number }).czxid);
    const isr0 = [...t.partitions[0]!.isr];
    assert.deepEqual(c.zk.json(paths.state('my-replicated-topic', 0)), {
      controller_epoch: 1,
      leader: t.partitions[0]!.leader,
      version: 1,
      leader_epoch: 0,
      isr: isr0,
      leader_broker_epoch: epochOf(t.partitions[0]!.leader),
      isr_broker_epochs: isr0.map(epochOf),
    });
    const again = await c.get(2).controller.createTopic({ name: 'my-replicated-topic', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    assert.equal(again.ok, false);
    const tooMany = await c.get(2).controller.createTopic({ name: 'rf4', numPartitions: 1, replicationFactor: 4, assignments: [], configs: {}, validateOnly: false });
    assert.deepEqual(tooMany.ok ? null : tooMany.error, 'invalidReplicationFactor');
  });

  it('keeps resyncing after failed reads: a failed resync does not block the next read failure\'s retry', async () => {
    await threeBrokers();
    const a = c.controllerMember()!;
    const b = [...c.members.values()].find((m) => m !== a)!;
    const create = (name: string): Promise<unknown> => a.controller.createTopic({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    // A resync that fails (the session looks alive but every call fails) retries on its timer...
    b.session.partitioned = true;
    b.session.suspend();
    b.session.unsuspend();
    await create('first'); // ...and the watch that fires meanwhile fails its read too
    await new Promise((r) => setTimeout(r, 200));
    b.session.partitioned = false;
    await c.allSee((img) => img.topics.has('first'), 'first topic seen after the retry', [b.id]);
    // Once that retry succeeded, a later read failure must schedule its own resync.
    b.session.partitioned = true;
    await create('second');
    await new Promise((r) => setTimeout(r, 200));
    b.session.partitioned = false;
    await c.allSee((img) => img.topics.has('second'), 'second topic seen after the next read failure', [b.id]);
  });

  it('when the leader\'s session expires, a new leader comes from the ISR, the dead broker leaves the ISR, the epoch bumps', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[1, 2, 0]], configs: {}, validateOnly: false });
    await c.allSee((img) => img.partition('t', 0)?.leader === 1, 'leader 1');
    c.zk.expire(c.get(1).session);
    // broker 1 stops leading immediately (its own image), the others elect broker 2
    await until(() => c.get(1).controller.image.partition('t', 0)?.leader !== 1, 'broker 1 to stop leading');
    await c.allSee((img) => img.partition('t', 0)?.leader === 2, 'leader 2 after expiry', [0, 2]);
    const p = c.get(0).controller.image.partition('t', 0)!;
    assert.deepEqual([...p.isr], [2, 0]);
    assert.equal(p.leaderEpoch, 1);
    // broker 1 re-registers on its new session and is back in the broker list (not in the ISR: the leader decides)
    await c.allSee((img) => img.brokers.has(1), 'broker 1 back');
    assert.equal(c.get(1).controller.image.partition('t', 0)?.leader, 2);
  });

  it('the controller\'s death moves controllership; the new controller bumps the epoch and a deposed controller\'s writes fail', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[0, 1, 2]], configs: {}, validateOnly: false });
    await c.allSee((img) => img.partition('t', 0)?.leader === 0, 'leader 0');
    const old = c.controllerMember()!;
    c.zk.expire(old.session);
    await until(() => [...c.members.values()].some((m) => m !== old && m.controller.isActiveController), 'a new controller');
    assert.equal(c.zk.nodes.get(paths.controllerEpoch)!.data.toString(), '2');
    // A write fenced on the old epoch version fails, as every controller write is
    await assert.rejects(
      old.session.multi([
        { op: 'check', path: paths.controllerEpoch, version: 0 },
        { op: 'set', path: paths.state('t', 0), data: Buffer.from('{}'), version: -1 },
      ]),
      /bad version/,
    );
  });

  it('alterPartitionIsr: the leader shrinks and expands its ISR conditionally; stale epochs are refused', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[0, 1, 2]], configs: {}, validateOnly: false });
    await c.allSee((img) => img.partition('t', 0)?.leader === 0, 'leader 0');
    const p = c.get(0).controller.image.partition('t', 0)!;
    const shrink = await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [0, 1] });
    assert.deepEqual(shrink, { ok: true, partitionEpoch: p.partitionEpoch + 1 });
    await c.allSee((img) => img.partition('t', 0)?.isr.length === 2, 'ISR [0,1] everywhere');
    assert.equal(c.get(2).controller.image.partition('t', 0)!.leaderEpoch, p.leaderEpoch, 'leader epoch unchanged by an ISR change');
    const stale = await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [0, 1, 2] });
    assert.deepEqual(stale, { ok: false, error: 'fenced' });
    const notLeader = await c.get(1).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 1, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1, isr: [1] });
    assert.deepEqual(notLeader, { ok: false, error: 'fenced' });
    const badIsr = await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1, isr: [1, 2] });
    assert.deepEqual(badIsr, { ok: false, error: 'invalidRequest' });
    const expand = await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1, isr: [0, 1, 2] });
    assert.equal(expand.ok, true);
    // a suspended session refuses ISR changes and the broker leads nothing in its own image
    c.get(0).session.suspend();
    await until(() => c.get(0).controller.image.partition('t', 0)!.leader === -1, 'suspended broker leads nothing');
    const q = c.get(0).controller.image.partition('t', 0)!;
    const whileSuspended = await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: q.leaderEpoch, partitionEpoch: q.partitionEpoch, isr: [0] });
    assert.deepEqual(whileSuspended, { ok: false, error: 'fenced' });
    c.get(0).session.unsuspend();
    await until(() => c.get(0).controller.image.partition('t', 0)!.leader === 0, 'leads again after the session is confirmed');
  });

  it('no in-sync replica left: the partition has no leader (unclean election off) until one returns', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[1, 2]], configs: {}, validateOnly: false });
    await c.allSee((img) => img.partition('t', 0)?.leader === 1, 'leader 1');
    const p = c.get(1).controller.image.partition('t', 0)!;
    const shrink = await c.get(1).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 1, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [1] });
    assert.equal(shrink.ok, true);
    await c.allSee((img) => img.partition('t', 0)?.isr.length === 1, 'ISR [1]');
    c.zk.expire(c.get(1).session);
    // broker 1 comes back on a new session; meanwhile nobody else may lead
    await c.allSee((img) => img.partition('t', 0)?.leader === 1 && img.brokers.has(1), 'broker 1 leads again when it returns', [0, 2]);
    const state = c.zk.json(paths.state('t', 0)) as { leader: number; isr: number[] };
    assert.deepEqual(state.isr, [1]);
  });

  it('controlled shutdown moves leadership away before the broker leaves', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: 3, replicationFactor: 3, assignments: [], configs: {}, validateOnly: false });
    await c.allSee((img) => img.topics.get('t')?.partitions.every((p) => p.leader !== -1) ?? false, 'leaders');
    const left = await c.get(1).controller.controlledShutdown(3000);
    assert.equal(left, 0);
    await c.allSee((img) => img.topics.get('t')!.partitions.every((p) => p.leader !== 1 && !p.isr.includes(1)), 'broker 1 leads nothing and is in no ISR');
  });

  it('controlled shutdown of every broker at once does not wait for peers that are stopping too', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: 6, replicationFactor: 3, assignments: [], configs: {}, validateOnly: false });
    await c.allSee((img) => img.topics.get('t')?.partitions.every((p) => p.leader !== -1 && p.isr.length === 3) ?? false, 'leaders and full ISRs');
    // Every broker leads some partition whose ISR holds the other two: before the fix each waited the
    // whole budget for a peer that could take over, but every peer was leaving as well.
    const leaders = new Set(c.get(0).controller.image.topics.get('t')!.partitions.map((p) => p.leader));
    assert.equal(leaders.size, 3, 'leadership spread over the three brokers');
    const budgetMs = 10_000;
    const started = Date.now();
    const left = await Promise.all([0, 1, 2].map((id) => c.get(id).controller.controlledShutdown(budgetMs)));
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs < budgetMs / 2, `all three finished in ${elapsedMs} ms, well inside the ${budgetMs} ms budget`);
    assert.deepEqual(left, [0, 0, 0], 'no broker leads a partition that a replica staying up could lead');
    // Partitions whose other replicas were all stopping keep a leader: nobody could take them over.
    const img = c.get(0).controller.image;
    assert.ok(img.topics.get('t')!.partitions.every((p) => p.leader !== -1), 'every partition still has a leader');
  });

  it('preferred-leader election moves leadership back to the first replica', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[2, 0, 1]], configs: {}, validateOnly: false });
    await c.allSee((img) => img.partition('t', 0)?.leader === 2, 'leader 2');
    c.zk.expire(c.get(2).session);
    await c.allSee((img) => img.partition('t', 0)?.leader === 0, 'leader 0', [0, 1]);
    await c.allSee((img) => img.brokers.has(2), 'broker 2 back');
    // the leader lets broker 2 back into the ISR (the replication layer does this when it catches up)
    const p = c.get(0).controller.image.partition('t', 0)!;
    assert.equal((await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [0, 1, 2] })).ok, true);
    const results = await c.get(1).controller.electPreferredLeaders([{ topic: 't', partition: 0 }]);
    assert.deepEqual(results, [{ topic: 't', partition: 0, result: 'elected' }]);
    await c.allSee((img) => img.partition('t', 0)?.leader === 2, 'leader 2 again');
    assert.deepEqual(await c.get(0).controller.electPreferredLeaders([{ topic: 't', partition: 0 }, { topic: 'nope', partition: 0 }]), [
      { topic: 't', partition: 0, result: 'electionNotNeeded' },
      { topic: 'nope', partition: 0, result: 'unknownTopicOrPartition' },
    ]);
  });

  it('adds partitions, alters configs and deletes topics through ZooKeeper from any broker', async () => {
    await threeBrokers();
    await c.get(0).controller.createTopic({ name: 't', numPartitions: 2, replicationFactor: 2, assignments: [], configs: {}, validateOnly: false });
    assert.deepEqual(await c.get(1).controller.createPartitions('t', 5, [], false), { ok: true });
    await c.allSee((img) => img.topics.get('t')?.partitions.length === 5 && img.topics.get('t')!.partitions.every((p) => p.leader !== -1), 'five partitions with leaders');
    assert.deepEqual(await c.get(2).controller.alterTopicConfigs('t', { 'cleanup.policy': 'compact' }, 'incremental', false), { ok: true });
    await c.allSee((img) => img.topics.get('t')?.configs['cleanup.policy'] === 'compact', 'config everywhere');
    assert.deepEqual(c.zk.json(paths.configTopic('t')), { version: 1, config: { 'cleanup.policy': 'compact' } });
    assert.deepEqual(await c.get(1).controller.deleteTopic('t'), { ok: true });
    await c.allSee((img) => !img.topics.has('t'), 'topic gone everywhere');
    assert.equal(c.zk.nodes.has(paths.topic('t')), false);
    assert.equal(c.zk.nodes.has(paths.configTopic('t')), false);
    assert.equal(c.zk.nodes.has(paths.deleteTopic('t')), false);
  });

  it('adopts a topic written straight into ZooKeeper by an older tool (no topic_id): the controller adds one', async () => {
    await threeBrokers();
    const writer = c.zk.session();
    await writer.create(paths.topic('legacy'), Buffer.from(JSON.stringify({ version: 1, partitions: { '0': [0, 1], '1': [1, 2] } })));
    await c.allSee((img) => img.topics.get('legacy')?.partitions.every((p) => p.leader !== -1) ?? false, 'leaders for the legacy topic');
    const doc = await until(() => (c.zk.json(paths.topic('legacy')) as { topic_id?: string }).topic_id, 'a topic_id');
    await c.allSee((img) => img.topics.get('legacy')?.topicId === kafkaIdToUuid(doc), 'the same id everywhere');
    await writer.close();
  });

  it('rack-aware assignment when every broker has broker.rack', async () => {
    c = new TestCluster();
    const racks = ['a', 'a', 'b', 'b'];
    for (const id of [0, 1, 2, 3]) await c.add(id, { rack: racks[id]! });
    await c.allSee((img) => img.brokers.size === 4, 'four brokers');
    assert.equal((c.zk.json(paths.broker(2)) as { rack: string }).rack, 'b');
    await c.get(0).controller.createTopic({ name: 'r', numPartitions: 8, replicationFactor: 2, assignments: [], configs: {}, validateOnly: false });
    for (const p of c.get(0).controller.image.topics.get('r')!.partitions) {
      assert.notEqual(racks[p.replicas[0]!], racks[p.replicas[1]!], `partition ${p.partition} replicas ${p.replicas} on distinct racks`);
    }
  });

  it('automatic preferred-leader election (auto.leader.rebalance.enable) moves leadership back', async () => {
    c = new TestCluster();
    for (const id of [0, 1, 2]) await c.add(id, { autoRebalance: true });
    await c.allSee((img) => img.brokers.size === 3, 'three brokers');
    await c.get(0).controller.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[2, 0, 1]], configs: {}, validateOnly: false });
    await c.allSee((img) => img.partition('t', 0)?.leader === 2, 'leader 2');
    c.zk.expire(c.get(2).session);
    await c.allSee((img) => img.partition('t', 0)?.leader === 0 && img.brokers.has(2), 'leader 0, broker 2 back', [0, 1]);
    const p = c.get(0).controller.image.partition('t', 0)!;
    assert.equal((await c.get(0).controller.alterPartitionIsr({ topic: 't', partition: 0, leaderId: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [0, 1, 2] })).ok, true);
    await c.allSee((img) => img.partition('t', 0)?.leader === 2, 'preferred leader 2 again, without being asked');
  });

  it('a broker restarted before its old session expired waits for the old registration to go, then registers', async () => {
    await threeBrokers();
    const old = c.get(1);
    // "kill -9": the process is gone but ZooKeeper keeps the session (and /brokers/ids/1) until it expires
    await old.controller.close();
    c.members.delete(1);
    const restarted = await c.add(1, { register: false });
    let registered = false;
    const done = restarted.controller.register({ id: 1, host: '127.0.0.1', port: 9999, rack: null }).then(() => (registered = true));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(registered, false, 'must not take over a live session\'s registration');
    c.zk.expire(old.session);
    await done;
    assert.equal((c.zk.json(paths.broker(1)) as { port: number }).port, 9999);
    await c.allSee((img) => img.brokers.get(1)?.port === 9999, 'new endpoint everywhere');
    await old.session.close();
  });
});
