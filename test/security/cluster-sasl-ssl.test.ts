/**
 * Goal: a 3-broker cluster whose inter-broker listener is SASL_SSL (SCRAM-SHA-512 between brokers,
 * TLS with host name verification) replicates, and a kill -9 of a leader fails over with no loss of
 * acknowledged records; the killed broker rejoins the ISR after a restart (it authenticates again).
 * Method: three brokers and a real ZooKeeper (helpers/cluster.ts), each with a PLAINTEXT client
 * listener and an INTERNAL SASL_SSL listener (PEM key store from helpers/certs.ts, SAN 127.0.0.1);
 * the brokers' SCRAM credential is created with kafka-configs after start (Kafka's users create it
 * the same way; the replica fetchers retry until it exists). The ISR reaching 3 proves replication
 * over INTERNAL; the leader logs `authenticated User:broker` on INTERNAL for both followers. A kafkajs producer
 * (acks=all) sends numbered records while the leader is killed; kcat then reads everything back.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAIN_JS, requireKcat, runOk, sleep, waitFor } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { freePort, startCluster, type Cluster } from '../helpers/cluster.js';
import { kcatConsume } from '../helpers/kcat.js';

const TOPIC = 'secure-replication';
const KAFKA_CONFIGS = path.join(path.dirname(MAIN_JS), 'cli/kafka-configs.js');

describe('3 brokers replicating over SASL_SSL', () => {
  let c: Cluster;
  let certs: TestCerts;
  before(async () => {
    await requireKcat();
    certs = await makeTestCerts();
    const internal = new Map<number, number>();
    for (const id of [0, 1, 2]) internal.set(id, await freePort());
    c = await startCluster({
      brokers: 3,
      overrides: [
        'replica.lag.time.max.ms=5000',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL',
        'inter.broker.listener.name=INTERNAL',
        'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
        'listener.name.internal.sasl.enabled.mechanisms=SCRAM-SHA-512',
        'listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.broker.keyAndCert}`,
        `ssl.truststore.location=${certs.caCert}`,
      ],
      brokerOverrides: (id, { port }) => [`listeners=PLAINTEXT://127.0.0.1:${port},INTERNAL://127.0.0.1:${internal.get(id)}`],
    });
    await runOk(
      process.execPath,
      [KAFKA_CONFIGS, '--bootstrap-server', c.broker(0).bootstrap, '--alter', '--add-config', 'SCRAM-SHA-512=[iterations=4096,password=broker-secret]', '--entity-type', 'users', '--entity-name', 'broker'],
      { timeoutMs: 30_000 },
    );
  });
  after(async () => {
    await c?.stopAll();
    await certs?.remove();
  });

  it('replicates (full ISR), fails over on kill -9 without losing acknowledged records, and the restarted broker rejoins', async () => {
    await c.createTopic(TOPIC, { partitions: 1, replicationFactor: 3 });
    await c.waitForPartition(TOPIC, 0, (p) => p.isr.length === 3, 'full ISR over the SASL_SSL listener', 60_000);
    // The followers fetch from the leader: it authenticated both of them on INTERNAL.
    const leader = await c.leaderOf(TOPIC, 0);
    await waitFor(() => (c.broker(leader).output().match(/"listener":"INTERNAL","mechanism":"SCRAM-SHA-512","principal":"User:broker"/g) ?? []).length >= 2, {
      timeoutMs: 30_000,
      what: `the leader (broker ${leader}) to log both followers authenticating on INTERNAL`,
    });

    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: 10_000, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    await producer.connect();
    const acked: number[] = [];
    let stop = false;
    const produceLoop = (async () => {
      for (let n = 0; !stop && n < 20_000; n += 10) {
        const numbers = Array.from({ length: 10 }, (_, i) => n + i);
        try {
          await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: numbers.map((x) => ({ value: String(x) })) });
          acked.push(...numbers);
        } catch {
          // not acknowledged: may be missing
        }
      }
    })();
    await sleep(1500);
    const victim = await c.leaderOf(TOPIC, 0);
    await c.kill(victim);
    await c.waitForLeader(TOPIC, 0, { not: victim, timeoutMs: 30_000 });
    await sleep(1500);
    stop = true;
    await produceLoop;
    await producer.disconnect();
    assert.ok(acked.length > 0, 'records were acknowledged');

    const consumed = new Set((await kcatConsume(c.liveBootstrap(), TOPIC)).map((r) => Number(r.value)));
    const lost = acked.filter((n) => !consumed.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged records lost`);

    await c.restart(victim);
    await c.waitForPartition(TOPIC, 0, (p) => p.isr.length === 3, 'the restarted broker back in the ISR', 60_000);
  });
});
