/**
 * Goal: no acknowledged write is lost while leaders are killed (kill -9), paused past their ZooKeeper
 * session (SIGSTOP/SIGCONT), stopped (SIGTERM, controlled shutdown) and restarted. Reports counts of
 * acknowledged, lost and duplicated records; lost must be 0.
 *
 * Method: three brokers and a real ZooKeeper (test/helpers/cluster.ts); topic `no-loss` with 3
 * partitions, replication factor 3, min.insync.replicas=2. A kafkajs producer (acks=all, retries)
 * sends numbered records, 10 per request, one request at a time (round-robin over partitions) until the chaos script is done
 * (bounded by RECORDS_MAX); a request that resolves is "acknowledged". The chaos script, one broker
 * down at a time, waits for the ISR to be whole again after each step. Finally kcat reads every
 * partition from the beginning: every acknowledged number must be there, in order per partition.
 * Needs the replication data path ([replication]): follower fetch, ISR, high watermark, truncation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireKcat, sleep } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { startCluster, ZK_SESSION_TIMEOUT_MS, type Cluster } from '../helpers/cluster.js';

const TOPIC = 'no-loss';
const PARTITIONS = 3;
const RECORDS_MAX = Number(process.env.SAMSA_NO_LOSS_RECORDS_MAX ?? 50_000);
const PER_REQUEST = 10;

describe('[replication] no acknowledged record is lost across kill -9, pause and restart of leaders', () => {
  let c: Cluster;
  before(async () => {
    await requireKcat();
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=5000'] });
  });
  after(async () => {
    await c?.stopAll();
  });

  it('acknowledged = consumed; lost = 0', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({
      brokers: c.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 10_000,
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    await admin.disconnect();
    for (let p = 0; p < PARTITIONS; p++) await c.waitForPartition(TOPIC, p, (x) => x.isr.length === 3 && x.leader >= 0, 'full ISR');

    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    await producer.connect();
    const acked = new Map<number, number[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
    let failedSends = 0;
    let chaosDone = false;
    const produceLoop = (async () => {
      for (let n = 0, request = 0; n < RECORDS_MAX && !chaosDone; request++) {
        const partition = request % PARTITIONS;
        const numbers = Array.from({ length: PER_REQUEST }, (_, i) => n + i);
        n += PER_REQUEST;
        try {
          await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: numbers.map((x) => ({ partition, key: `k${partition}`, value: String(x) })) });
          acked.get(partition)!.push(...numbers);
        } catch {
          failedSends++; // not acknowledged: the client gave up; allowed to be missing (or present)
        }
      }
    })();

    const whole = async (): Promise<void> => {
      for (let p = 0; p < PARTITIONS; p++) await c.waitForPartition(TOPIC, p, (x) => x.isr.length === 3 && x.leader >= 0, 'ISR whole again', 60_000);
    };
    const steps: string[] = [];
    try {
      await sleep(2000);
      // 1. kill -9 the leader of partition 0, then bring it back
      let victim = await c.waitForLeader(TOPIC, 0);
      await c.kill(victim);
      await c.waitForLeader(TOPIC, 0, { not: victim, timeoutMs: 20_000 });
      await sleep(1000);
      await c.restart(victim);
      await whole();
      steps.push(`killed ${victim}`);
      // 2. pause the leader of partition 1 past its session, then resume it
      victim = await c.waitForLeader(TOPIC, 1);
      c.pause(victim);
      try {
        await c.waitForLeader(TOPIC, 1, { not: victim, timeoutMs: 20_000 });
        await sleep(1000);
      } finally {
        c.resume(victim);
      }
      await whole();
      steps.push(`paused ${victim} past ${ZK_SESSION_TIMEOUT_MS} ms`);
      // 3. controlled shutdown of the leader of partition 2, then restart
      victim = await c.waitForLeader(TOPIC, 2);
      assert.equal(await c.stop(victim), 0);
      await c.restart(victim);
      await whole();
      steps.push(`stopped ${victim}`);
      // 4. kill -9 again, this time whoever leads partition 1
      victim = await c.waitForLeader(TOPIC, 1);
      await c.kill(victim);
      await c.waitForLeader(TOPIC, 1, { not: victim, timeoutMs: 20_000 });
      await c.restart(victim);
      await whole();
      steps.push(`killed ${victim}`);
      await sleep(1000);
    } finally {
      chaosDone = true;
      await produceLoop;
      await producer.disconnect();
    }

    let ackedCount = 0;
    let lost = 0;
    let duplicated = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const got = (await kcatConsume(c.liveBootstrap(), TOPIC, { partition: p, timeoutMs: 60_000 })).map((r) => Number(r.value));
      const seen = new Map<number, number>();
      for (const n of got) seen.set(n, (seen.get(n) ?? 0) + 1);
      for (const n of seen.values()) if (n > 1) duplicated += n - 1;
      const mine = acked.get(p)!;
      ackedCount += mine.length;
      const missing = mine.filter((n) => !seen.has(n));
      lost += missing.length;
      // per partition, acknowledged records come back in the order they were acknowledged
      const firstIndex = new Map<number, number>();
      got.forEach((n, i) => {
        if (!firstIndex.has(n)) firstIndex.set(n, i);
      });
      const order = mine.filter((n) => firstIndex.has(n)).map((n) => firstIndex.get(n)!);
      for (let i = 1; i < order.length; i++) assert.ok(order[i]! > order[i - 1]!, `partition ${p}: acknowledged records out of order`);
      if (missing.length > 0) process.stdout.write(`# partition ${p}: lost ${missing.slice(0, 20).join(',')}${missing.length > 20 ? '...' : ''}\n`);
    }
    process.stdout.write(`# chaos: ${steps.join('; ')}\n# acknowledged ${ackedCount}, lost ${lost}, duplicated ${duplicated}, failed sends ${failedSends}\n`);
    assert.ok(ackedCount > 100, `only ${ackedCount} records were acknowledged`);
    assert.equal(lost, 0, `${lost} acknowledged records lost`);
  });
});
