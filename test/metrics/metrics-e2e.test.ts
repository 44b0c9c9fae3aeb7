/**
 * Goal: after a known workload, /metrics on a single broker reports exactly what happened —
 * requests per API and version, errors per code, bytes and messages in and out per topic, request
 * phases (a fetch that waited shows remote time), log size and offsets, consumer group count,
 * members, rebalances and lag — in an exposition a strict parser accepts in both formats; and an
 * idle broker with 10 topics stays within a few hundred series.
 *
 * Method: one in-process broker with its admin listener on a free port and per-partition log
 * metrics on. Real clients over real sockets: a raw protocol client (test/helpers/raw-kafka.ts)
 * where request counts must be exact (3 produces of 10-record batches, one to a missing
 * partition, two consumer fetches of which one waits for data), kcat for a produce/consume round
 * trip, kafkajs for a consumer group (two members join one after the other, consume, commit,
 * leave; then 7 more records are produced). Counters are compared as deltas between scrapes, so
 * requests of other steps cannot blur them; lag is read from the broker, computed there from
 * committed offsets and the high watermark.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { kcat, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { RawConnection, buildBatch } from '../helpers/raw-kafka.js';
import { fetchApi } from '../../src/protocol/messages/fetch.js';
import { produceApi } from '../../src/protocol/messages/produce.js';
import { sumOf, valueOf, type Exposition } from './prom-parser.js';
import { scrape } from './scrape.js';

const { Kafka, logLevel } = kafkajs;

describe('metrics after a known workload (single broker)', () => {
  let b: StartedBroker;
  let adminPort: number;
  let kafka: InstanceType<typeof Kafka>;

  before(async () => {
    b = await startBroker({
      overrides: ['admin.listeners=http://127.0.0.1:0', 'samsa.metrics.partition.log.enable=true', 'group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000', 'offsets.topic.num.partitions=3', 'num.partitions=1'],
    });
    adminPort = b.broker.adminListeners[0]!.port;
    kafka = new Kafka({ clientId: 'metrics-e2e', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'raw', numPartitions: 1 }, { topic: 'kc', numPartitions: 1 }, { topic: 'grp', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
  });

  after(async () => {
    await b?.stop();
  });

  const delta = (before: Exposition, after: Exposition, name: string, labels: Record<string, string> = {}): number => sumOf(after, name, labels) - sumOf(before, name, labels);

  it('counts a raw client\'s produces and fetches exactly, with phases, errors, bytes and log state', async () => {
    const c = await RawConnection.connect(b.port);
    try {
      const batches = [0, 1, 2].map((i) => buildBatch(Array.from({ length: 10 }, (_, j) => ({ key: null, value: Buffer.from(`v-${i}-${j}`) }))));
      const batchBytes = batches.reduce((n, x) => n + x.length, 0);
      const s0 = await scrape(adminPort);
      for (const batch of batches) {
        const r = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(produceApi, 9, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: 'raw', partitionData: [{ index: 0, records: batch }] }],
        });
        assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
      }
      const missing = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(produceApi, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'raw', partitionData: [{ index: 5, records: batches[0] }] }],
      });
      assert.equal(missing.responses[0]!.partitionResponses[0]!.errorCode, 3, 'UNKNOWN_TOPIC_OR_PARTITION');
      const fetchBody = (offset: bigint, maxWaitMs: number) => ({
        replicaId: -1,
        maxWaitMs,
        minBytes: 1,
        maxBytes: 10 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'raw', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 10 * 1024 * 1024 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      type FetchAnswer = { responses: Array<{ partitions: Array<{ errorCode: number; records: Buffer | null }> }> };
      const all = await c.request<FetchAnswer>(fetchApi, 11, fetchBody(0n, 500));
      assert.equal(all.responses[0]!.partitions[0]!.records!.length, batchBytes, 'the whole log in one fetch');
      const waited = await c.request<FetchAnswer>(fetchApi, 11, fetchBody(30n, 300)); // nothing new: waits maxWaitMs
      assert.equal(waited.responses[0]!.partitions[0]!.records?.length ?? 0, 0);
      const s1 = (await waitFor(async () => {
        const s = await scrape(adminPort);
        return delta(s0, s, 'kafka_network_requestmetrics_requests_total', { request: 'FetchConsumer' }) === 2 ? s : null;
      }, { timeoutMs: 5000, what: 'the second fetch to be counted' }))!;

      assert.equal(delta(s0, s1, 'kafka_network_requestmetrics_requests_total', { request: 'Produce', version: '9' }), 4);
      assert.equal(delta(s0, s1, 'kafka_network_requestmetrics_requests_total', { request: 'FetchConsumer', version: '11' }), 2);
      assert.equal(delta(s0, s1, 'kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'NONE' }), 3);
      assert.equal(delta(s0, s1, 'kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'UNKNOWN_TOPIC_OR_PARTITION' }), 1);
      assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'raw' }), 30);
      assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: 'raw' }), batchBytes);
      assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_totalproducerequests_total', { topic: 'raw' }), 4);
      assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: 'raw' }), 1);
      assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: 'raw' }), batchBytes);
      assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_totalfetchrequests_total', { topic: 'raw' }), 2);
      assert.equal(valueOf(s1, 'kafka_log_log_size', { topic: 'raw', partition: '0' }), batchBytes, 'log size = bytes appended');
      assert.equal(valueOf(s1, 'kafka_log_log_logendoffset', { topic: 'raw', partition: '0' }), 30);
      assert.equal(valueOf(s1, 'kafka_log_log_logstartoffset', { topic: 'raw', partition: '0' }), 0);
      assert.equal(valueOf(s1, 'kafka_log_log_numlogsegments', { topic: 'raw', partition: '0' }), 1);
      // Phases: the second fetch waited ~300 ms in the purgatory (remote), the first did not.
      assert.equal(delta(s0, s1, 'kafka_network_requestmetrics_remotetime_seconds_count', { request: 'FetchConsumer' }), 2);
      assert.equal(delta(s0, s1, 'kafka_network_requestmetrics_remotetime_seconds_bucket', { request: 'FetchConsumer', le: '0.1' }), 1);
      const remoteSum = delta(s0, s1, 'kafka_network_requestmetrics_remotetime_seconds_sum', { request: 'FetchConsumer' });
      assert.ok(remoteSum >= 0.25 && remoteSum < 5, `remote time ${remoteSum} s covers the 300 ms wait`);
      const totalSum = delta(s0, s1, 'kafka_network_requestmetrics_totaltime_seconds_sum', { request: 'FetchConsumer' });
      assert.ok(totalSum >= remoteSum, 'total includes remote');
      for (const phase of ['requestqueuetime', 'localtime', 'responsequeuetime', 'responsesendtime', 'totaltime']) {
        assert.equal(delta(s0, s1, `kafka_network_requestmetrics_${phase}_seconds_count`, { request: 'Produce' }), 4, phase);
      }
      assert.ok(delta(s0, s1, 'kafka_network_requestmetrics_request_bytes_total', { request: 'Produce' }) > batchBytes);
      assert.ok(valueOf(s1, 'kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' }) >= 1);
    } finally {
      c.close();
    }
  });

  it('counts a kcat round trip: messages in, bytes in = bytes out = log size', async () => {
    const s0 = await scrape(adminPort);
    const lines = Array.from({ length: 40 }, (_, i) => `kcat-line-${i}`).join('\n') + '\n';
    await kcat(['-b', b.bootstrap, '-P', '-t', 'kc', '-p', '0', '-X', 'linger.ms=5'], { input: lines, timeoutMs: 30_000 });
    const got = await kcatConsume(b.bootstrap, 'kc', { partition: 0 });
    assert.equal(got.length, 40);
    const s1 = await scrape(adminPort);
    const size = valueOf(s1, 'kafka_log_log_size', { topic: 'kc', partition: '0' });
    assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'kc' }), 40);
    assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: 'kc' }), size);
    assert.equal(delta(s0, s1, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: 'kc' }), size);
    assert.equal(valueOf(s1, 'kafka_log_log_logendoffset', { topic: 'kc', partition: '0' }), 40);
    // The all-topics series (no topic label) moved by the same amount.
    assert.equal(valueOf(s1, 'kafka_server_brokertopicmetrics_messagesin_total') - valueOf(s0, 'kafka_server_brokertopicmetrics_messagesin_total'), 40);
  });

  it('reports a consumer group: two rebalances, two members, lag from committed offsets and the high watermark', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'grp', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })) });
    const s0 = await scrape(adminPort);
    const consumed = new Set<string>();
    const consumers = [0, 1].map(() => kafka.consumer({ groupId: 'metrics-group', sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 }));
    const joins = [0, 0];
    try {
      for (const [i, consumer] of consumers.entries()) {
        consumer.on(consumer.events.GROUP_JOIN, () => joins[i]!++);
        await consumer.connect();
        await consumer.subscribe({ topic: 'grp', fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void consumed.add(String(message.value)) });
        await waitFor(() => joins[i]! >= 1, { timeoutMs: 30_000, what: `consumer ${i} to join` });
        await waitFor(async () => {
          const s = await scrape(adminPort);
          return valueOf(s, 'kafka_coordinator_group_groupmetadatamanager_numgroups', { state: 'Stable' }) === 1 && valueOf(s, 'samsa_group_members', { group: 'metrics-group' }) === i + 1;
        }, { timeoutMs: 30_000, what: `the group to be stable with ${i + 1} member(s)` });
        const s = await scrape(adminPort);
        assert.equal(delta(s0, s, 'kafka_server_group_coordinator_metrics_group_completed_rebalance_total'), i + 1, `rebalances after member ${i + 1} joined`);
      }
      await waitFor(() => consumed.size === 20, { timeoutMs: 30_000, what: 'all 20 records consumed' });
      // kafkajs commits after processing (auto commit): lag reaches 0 on the broker.
      await waitFor(async () => sumOf(await scrape(adminPort), 'kafka_consumergroup_lag_sum', { consumergroup: 'metrics-group', topic: 'grp' }) === 0 && (await scrape(adminPort)).samples.some((x) => x.name === 'kafka_consumergroup_lag_sum' && x.labels.consumergroup === 'metrics-group'), {
        timeoutMs: 30_000,
        what: 'the group\'s lag to reach 0',
      });
    } finally {
      for (const consumer of consumers) await consumer.disconnect();
    }
    await producer.send({ topic: 'grp', messages: Array.from({ length: 7 }, (_, i) => ({ value: `late${i}`, partition: i % 2 })) });
    await producer.disconnect();
    const s2 = await scrape(adminPort);
    assert.equal(valueOf(s2, 'kafka_consumergroup_lag_sum', { consumergroup: 'metrics-group', topic: 'grp' }), 7, 'lag = 7 records produced after the last commit');
    assert.equal(valueOf(s2, 'kafka_coordinator_group_groupmetadatamanager_numgroups', { state: 'Empty' }), 1);
    assert.equal(valueOf(s2, 'samsa_group_members', { group: 'metrics-group' }), 0);
    assert.equal(valueOf(s2, 'kafka_coordinator_group_groupmetadatamanager_numoffsets'), 2);
  });

  it('serves OpenMetrics on request, and the 0.0.4 format otherwise, both parsed strictly', async () => {
    const om = await scrape(adminPort, 'openmetrics');
    const text = await scrape(adminPort, 'prometheus');
    assert.ok(om.text.endsWith('# EOF\n'));
    assert.equal(om.families.size, text.families.size);
    assert.equal(valueOf(om, 'kafka_server_kafkaserver_brokerstate'), 3, 'RUNNING');
    assert.equal(valueOf(text, 'kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.ok(valueOf(text, 'process_resident_memory_bytes') > 0);
    assert.ok(valueOf(text, 'nodejs_heap_size_used_bytes') > 0);
    assert.ok(valueOf(text, 'process_open_fds') > 0);
  });
});

describe('series count of an idle broker', () => {
  it('stays within a few hundred series with 10 topics', async () => {
    const b = await startBroker({ overrides: ['admin.listeners=http://127.0.0.1:0'] });
    try {
      const kafka = new Kafka({ clientId: 'metrics-idle', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: Array.from({ length: 10 }, (_, i) => ({ topic: `idle-${i}`, numPartitions: 3 })), waitForLeaders: true });
      await admin.disconnect();
      const port = b.broker.adminListeners[0]!.port;
      const first = await scrape(port);
      const second = await scrape(port);
      const count = second.samples.length;
      console.log(`idle broker, 10 topics x 3 partitions: ${count} series in ${second.families.size} families`);
      // 413 since the request-time histograms got sub-millisecond buckets (15 per histogram, six
      // per request name the admin client used): the bound guards against series per partition.
      assert.ok(count <= 450, `an idle broker with 10 topics exposes ${count} series (bound: 450)`);
      assert.equal(second.families.size, first.families.size, 'scraping creates no new families');
      assert.equal(valueOf(second, 'kafka_server_replicamanager_partitioncount'), 30);
      assert.equal(valueOf(second, 'kafka_server_replicamanager_leadercount'), 30);
      assert.equal(valueOf(second, 'kafka_controller_kafkacontroller_globaltopiccount'), 10);
      assert.ok(!second.samples.some((s) => s.name.startsWith('kafka_log_log_')), 'per-partition log series are off by default');
    } finally {
      await b.stop();
    }
  });
});
