/**
 * Goal: a KafkaJS consumer group works against Samsa as against Kafka while membership changes:
 * three consumers share a 6-partition topic; while records are being produced one member leaves and
 * a new one joins; afterwards every produced record was processed, and no partition was ever owned
 * by two members at once.
 *
 * Method: one in-process broker (group.initial.rebalance.delay.ms=0, short sessions). Ownership is
 * reconstructed from each consumer's own instrumentation: a GROUP_JOIN event starts ownership of
 * the partitions in its memberAssignment; the consumer's next JoinGroup or LeaveGroup request (its
 * REQUEST event's sentAt: KafkaJS uses the eager protocol, so it stops processing before it
 * rejoins or leaves) ends it. The test checks that (1) every record a consumer processed lay in one
 * of its ownership intervals for that partition, (2) for each partition the intervals of different
 * consumers never overlap (the broker must not finish a rebalance before every owner rejoined), and
 * (3) every produced value was processed at least once (commits happen per batch, so a record may be
 * processed twice around a rebalance, never zero times).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import { sleep, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'groups-kafkajs-jobs';
const GROUP = 'groups-kafkajs';
const PARTITIONS = 6;
const BATCHES = 60;
const PER_BATCH = 10;

interface Interval {
  consumer: string;
  start: number;
  end: number;
  partitions: Set<number>;
}

interface Tracked {
  name: string;
  consumer: Consumer;
  joins: Array<{ t: number; partitions: number[] }>;
  /** sentAt of each JoinGroup / LeaveGroup request. */
  rejoinsOrLeaves: number[];
  processed: Array<{ t: number; partition: number; value: string }>;
  stoppedAt: number | null;
}

describe('KafkaJS consumer group with members leaving and joining', () => {
  let b: StartedBroker;
  let kafka: InstanceType<typeof Kafka>;
  let producer: Producer;
  const members: Tracked[] = [];

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000', 'offsets.topic.num.partitions=5'] });
    kafka = new Kafka({ clientId: 'samsa-groups-kafkajs', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  after(async () => {
    for (const m of members) {
      // Members the test already stopped are skipped; a failing disconnect is reported, not hidden.
      if (m.stoppedAt === null) await m.consumer.disconnect().catch((err: unknown) => console.error(`cleanup: disconnecting ${m.name} failed`, err));
    }
    await producer?.disconnect();
    await b?.stop();
  });

  async function startMember(name: string): Promise<Tracked> {
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    const m: Tracked = { name, consumer, joins: [], rejoinsOrLeaves: [], processed: [], stoppedAt: null };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.joins.push({ t: Date.now(), partitions: (e.payload.memberAssignment[TOPIC] ?? []).slice().sort((x, y) => x - y) });
    });
    consumer.on(consumer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'JoinGroup' || e.payload.apiName === 'LeaveGroup') m.rejoinsOrLeaves.push(e.payload.sentAt);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        m.processed.push({ t: Date.now(), partition, value: message.value!.toString() });
      },
    });
    members.push(m);
    return m;
  }

  function intervalsOf(m: Tracked, endOfTest: number): Interval[] {
    return m.joins.map((j) => {
      const next = m.rejoinsOrLeaves.filter((t) => t > j.t).sort((x, y) => x - y)[0];
      return { consumer: m.name, start: j.t, end: next ?? m.stoppedAt ?? endOfTest, partitions: new Set(j.partitions) };
    });
  }

  it('processes every record exactly where it is owned while a member leaves and another joins', async () => {
    const [c1, c2, c3] = [await startMember('c1'), await startMember('c2'), await startMember('c3')];
    // Settled: the latest assignments of the three cover all partitions, each owning some.
    await waitFor(
      () => {
        const latest = [c1, c2, c3].map((m) => m.joins.at(-1)?.partitions ?? []);
        return latest.every((p) => p.length > 0) && new Set(latest.flat()).size === PARTITIONS;
      },
      { timeoutMs: 30_000, what: 'three members sharing six partitions' },
    );

    const produced: string[] = [];
    let c4: Tracked | null = null;
    for (let i = 0; i < BATCHES; i++) {
      const messages = Array.from({ length: PER_BATCH }, (_, j) => ({ key: `k${i}-${j}`, value: `v${i * PER_BATCH + j}` }));
      await producer.send({ topic: TOPIC, messages });
      produced.push(...messages.map((x) => x.value));
      if (i === Math.floor(BATCHES / 3)) {
        // c2 leaves mid-stream.
        await c2.consumer.disconnect();
        c2.stoppedAt = Date.now();
      }
      if (i === Math.floor((2 * BATCHES) / 3)) c4 = await startMember('c4');
      await sleep(40);
    }
    const all = (): Set<string> => new Set(members.flatMap((m) => m.processed.map((p) => p.value)));
    await waitFor(() => produced.every((v) => all().has(v)), { timeoutMs: 45_000, what: `all ${produced.length} records processed` });
    assert.ok(c4 && c4.joins.length > 0, 'the new member joined the group');
    assert.ok(c4.joins.at(-1)!.partitions.length > 0, 'and got partitions');
    assert.ok(c2.joins.length > 0);

    // Stop everyone (their LeaveGroup closes their last interval), then check ownership.
    for (const m of members) {
      if (m.stoppedAt === null) {
        await m.consumer.disconnect();
        m.stoppedAt = Date.now();
      }
    }
    const endOfTest = Date.now();
    const intervals = members.flatMap((m) => intervalsOf(m, endOfTest));
    for (const m of members) {
      const mine = intervals.filter((iv) => iv.consumer === m.name);
      for (const p of m.processed) {
        const owner = mine.find((iv) => iv.start <= p.t && p.t <= iv.end && iv.partitions.has(p.partition));
        assert.ok(owner, `${m.name} processed partition ${p.partition} at ${p.t} outside its ownership`);
      }
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const owners = intervals.filter((iv) => iv.partitions.has(p)).sort((x, y) => x.start - y.start);
      for (let i = 1; i < owners.length; i++) {
        const prev = owners[i - 1]!;
        const cur = owners[i]!;
        assert.ok(
          prev.consumer === cur.consumer || prev.end <= cur.start,
          `partition ${p} owned by ${prev.consumer} [${prev.start}, ${prev.end}] and ${cur.consumer} [${cur.start}, ${cur.end}] at once`,
        );
      }
    }
    // The group ends Empty, with committed offsets at the log end of every partition.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeGroups([GROUP]);
      assert.equal(described.groups[0]!.state, 'Empty');
      const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      const ends = await admin.fetchTopicOffsets(TOPIC);
      for (const e of ends) {
        const c = committed[0]!.partitions.find((x) => x.partition === e.partition)!;
        assert.equal(c.offset, e.high, `partition ${e.partition} committed at its end`);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
