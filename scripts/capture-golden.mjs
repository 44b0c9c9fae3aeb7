#!/usr/bin/env node
/**
 * Captures golden request fixtures from real Kafka clients for test/protocol/golden.test.ts.
 *
 * Starts a throwaway fake broker on 127.0.0.1 (port 0) that records every request frame it receives
 * and answers just well enough for clients to go on to their next request (ApiVersions, Metadata
 * pointing back at itself, empty but successful answers to everything else), then drives kcat
 * (librdkafka), kafkajs and @platformatic/kafka through producer, consumer, group and admin flows.
 * The first frame per (API, version, client) is written to
 *   test/protocol/golden/<api>-v<version>-<client>.hex
 * as the hex of the request frame without its 4-byte size prefix (header + body).
 *
 * Some scenarios advertise lower maximum versions in ApiVersions so that clients fall back to older
 * versions and we capture those too. The answers are built with our own codec (dist/), so run
 * `npx tsc -p .` first. This is a developer tool, not part of the test run:
 *   node scripts/capture-golden.mjs [--only kcat|kafkajs|kafkapython|platformatic] [--force]
 * Existing fixtures are kept unless --force is given.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'src', 'protocol');
const { ApiCodec } = await import(path.join(dist, 'codec.js'));
const { Reader, Writer } = await import(path.join(dist, 'primitives.js'));
const { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } = await import(path.join(dist, 'header.js'));
const { allApis } = await import(path.join(dist, 'messages', 'index.js'));
const { apiName } = await import(path.join(dist, 'api-keys.js'));

const outDir = path.join(root, 'test', 'protocol', 'golden');
const args = process.argv.slice(2);
const force = args.includes('--force');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

const codecs = new Map(allApis.map((def) => [def.apiKey, new ApiCodec(def)]));
const kebab = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TOPIC = 'golden-topic';
const GROUP = 'golden-group';
const CLUSTER_ID = 'golden-cluster-id-0001';
const PRODUCER_ID = 4242n;

function topicIdOf(name) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hex = (h.toString(16).padStart(8, '0') + '0000000000000000000000000001').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One fake broker; `caps` lowers the advertised maximum version per API key. */
class FakeBroker {
  constructor(client, caps = {}) {
    this.client = client;
    this.caps = caps;
    this.topics = new Map([[TOPIC, 1]]);
    this.captured = [];
    this.errors = [];
    this.sockets = new Set();
    this.server = net.createServer((s) => this.onConnection(s));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    return this;
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  onConnection(socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        this.onFrame(socket, frame);
      }
    });
  }

  onFrame(socket, frame) {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const codec = codecs.get(apiKey);
    const name = apiName(apiKey);
    if (socket.rawSasl) {
      // After SaslHandshake v0 the client sends a raw SASL token, not a Kafka request; we stop here.
      socket.destroy();
      return;
    }
    if (!codec) {
      this.errors.push(`${name} v${version}: API not implemented (or a raw SASL token after SaslHandshake v0)`);
      socket.destroy();
      return;
    }
    if (!codec.supports(version) || (apiKey === 18 && version > (this.caps[18] ?? version))) {
      if (apiKey === 18) {
        // As Kafka does: answer in v0 with UNSUPPORTED_VERSION and our ranges; the client retries.
        this.reply(socket, 18, 0, correlationId, { errorCode: 35, apiKeys: this.apiKeys() });
        return;
      }
      this.errors.push(`${name} v${version}: version not advertised`);
      socket.destroy();
      return;
    }
    const flexible = codec.isFlexible(version);
    let header;
    let request;
    let trailing = 0;
    try {
      const r = new Reader(frame);
      header = decodeRequestHeader(r, flexible);
      request = codec.decodeRequest(version, r);
      trailing = frame.length - r.offset;
    } catch (err) {
      const dump = path.join(os.tmpdir(), `golden-bad-${kebab(name)}-v${version}-${this.client}.hex`);
      writeFileSync(dump, frame.toString('hex') + '\n');
      this.errors.push(`${name} v${version}: decode failed: ${err.message} (frame in ${dump})`);
      this.captured.push({ apiKey, name, version, frame, bad: true });
      socket.destroy();
      return;
    }
    if (trailing > 0) {
      // Kafka ignores bytes after the body, so we answer; but such a frame is not golden material.
      this.errors.push(`${name} v${version}: ${trailing} trailing byte(s) after the body (client bug?), not saved`);
      this.captured.push({ apiKey, name, version, frame, bad: true });
    } else {
      this.captured.push({ apiKey, name, version, frame, header, request });
    }
    let body;
    try {
      body = this.answer(apiKey, version, request, header);
    } catch (err) {
      this.errors.push(`${name} v${version}: answer failed: ${err.stack}`);
      socket.destroy();
      return;
    }
    if (body === null) return; // acks=0 produce
    if (apiKey === 17 && version === 0) socket.rawSasl = true;
    const delay = apiKey === 1 ? Math.min(request.maxWaitMs, 100) : 0;
    setTimeout(() => this.reply(socket, apiKey, version, correlationId, body), delay);
  }

  reply(socket, apiKey, version, correlationId, body) {
    if (socket.destroyed) return;
    const codec = codecs.get(apiKey);
    const w = new Writer();
    w.int32(0);
    encodeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, codec.isFlexible(version)));
    codec.encodeResponse(version, body, w);
    const buf = Buffer.from(w.toBuffer());
    buf.writeInt32BE(buf.length - 4, 0);
    socket.write(buf);
  }

  apiKeys() {
    return allApis.map((d) => ({
      apiKey: d.apiKey,
      minVersion: d.versionMin,
      maxVersion: Math.min(d.versionMax, this.caps[d.apiKey] ?? d.versionMax),
    }));
  }

  metadataTopic(name) {
    const n = this.topics.get(name);
    if (n === undefined) return { errorCode: 3, name, topicId: topicIdOf(name), partitions: [] };
    const partitions = [];
    for (let i = 0; i < n; i++) {
      partitions.push({ partitionIndex: i, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
    }
    return { errorCode: 0, name, topicId: topicIdOf(name), isInternal: false, partitions };
  }

  answer(apiKey, version, req, header) {
    const self = { nodeId: 1, host: '127.0.0.1', port: this.port, rack: null };
    switch (apiKey) {
      case 18:
        return { errorCode: 0, apiKeys: this.apiKeys() };
      case 3: {
        let names;
        if (req.topics === null || (version === 0 && req.topics.length === 0)) names = [...this.topics.keys()];
        else {
          names = req.topics.map((t) => t.name);
          if (req.allowAutoTopicCreation) for (const n of names) if (!this.topics.has(n)) this.topics.set(n, 1);
        }
        return { brokers: [self], clusterId: CLUSTER_ID, controllerId: 1, topics: names.map((n) => this.metadataTopic(n)) };
      }
      case 0:
        if (req.acks === 0) return null;
        return {
          responses: req.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 0, baseOffset: 0n, logStartOffset: 0n })),
          })),
        };
      case 1:
        return {
          sessionId: 0,
          responses: req.topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partition,
              errorCode: 0,
              highWatermark: 0n,
              lastStableOffset: 0n,
              logStartOffset: 0n,
              abortedTransactions: null,
              records: Buffer.alloc(0), // kafka-python 2.0 cannot read a null record set
            })),
          })),
        };
      case 2:
        return {
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              errorCode: 0,
              oldStyleOffsets: [0n],
              timestamp: -1n,
              offset: 0n,
              leaderEpoch: 0,
            })),
          })),
        };
      case 8:
        return {
          topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
        };
      case 9: {
        const topicsFor = (topics) =>
          (topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1n, metadata: '', errorCode: 0 })),
          }));
        if (version >= 8) return { groups: req.groups.map((g) => ({ groupId: g.groupId, topics: topicsFor(g.topics), errorCode: 0 })) };
        return { topics: topicsFor(req.topics), errorCode: 0 };
      }
      case 10:
        if (version >= 4) return { coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: 1, host: self.host, port: self.port, errorCode: 0 })) };
        return { errorCode: 0, nodeId: 1, host: self.host, port: self.port };
      case 11: {
        const memberId = req.memberId || `${header.clientId ?? 'client'}-member-1`;
        const protocol = req.protocols[0];
        return {
          errorCode: 0,
          generationId: 1,
          protocolType: req.protocolType,
          protocolName: protocol?.name ?? '',
          leader: memberId,
          memberId,
          members: [{ memberId, groupInstanceId: req.groupInstanceId ?? null, metadata: protocol?.metadata ?? Buffer.alloc(0) }],
        };
      }
      case 12:
        return { errorCode: 0 };
      case 13:
        return { errorCode: 0, members: (req.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: 0 })) };
      case 14: {
        const mine = req.assignments.find((a) => a.memberId === req.memberId);
        return { errorCode: 0, protocolType: req.protocolType, protocolName: req.protocolName, assignment: mine?.assignment ?? Buffer.alloc(0) };
      }
      case 15:
        return {
          groups: req.groups.map((g) => ({ errorCode: 0, groupId: g, groupState: 'Empty', protocolType: 'consumer', protocolData: '', members: [] })),
        };
      case 16:
        return { errorCode: 0, groups: [{ groupId: GROUP, protocolType: 'consumer', groupState: 'Empty' }] };
      case 17:
        return { errorCode: 0, mechanisms: ['PLAIN'] };
      case 19:
        return {
          topics: req.topics.map((t) => {
            const n = t.numPartitions > 0 ? t.numPartitions : Math.max(1, t.assignments.length);
            this.topics.set(t.name, n);
            return { name: t.name, topicId: topicIdOf(t.name), errorCode: 0, errorMessage: null, numPartitions: n, replicationFactor: 1, configs: [] };
          }),
        };
      case 20: {
        const names = version >= 6 ? req.topics.map((t) => t.name) : req.topicNames;
        for (const n of names) this.topics.delete(n);
        return { responses: names.map((n) => ({ name: n, topicId: topicIdOf(n ?? ''), errorCode: 0 })) };
      }
      case 21:
        return {
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: p.offset < 0n ? 0n : p.offset, errorCode: 0 })),
          })),
        };
      case 22:
        return { errorCode: 0, producerId: PRODUCER_ID, producerEpoch: 0 };
      case 23:
        return {
          topics: req.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => ({ errorCode: 0, partition: p.partition, leaderEpoch: p.leaderEpoch, endOffset: 0n })),
          })),
        };
      case 32:
        return {
          results: req.resources.map((r) => ({
            errorCode: 0,
            errorMessage: null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [
              { name: 'cleanup.policy', value: 'delete', readOnly: false, isDefault: true, configSource: 5, isSensitive: false, synonyms: [], configType: 2, documentation: null },
            ],
          })),
        };
      case 33:
      case 44:
        return { responses: req.resources.map((r) => ({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
      case 35:
        return { errorCode: 0, results: [{ errorCode: 0, logDir: '/tmp/golden', topics: [], totalBytes: 1000n, usableBytes: 500n }] };
      case 37:
        return { results: req.topics.map((t) => ({ name: t.name, errorCode: 0, errorMessage: null })) };
      case 42:
        return { results: req.groupsNames.map((g) => ({ groupId: g, errorCode: 0 })) };
      case 43:
        return { errorCode: 0, replicaElectionResults: [] };
      case 47:
        return {
          errorCode: 0,
          topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
        };
      case 60:
        return { errorCode: 0, clusterId: CLUSTER_ID, controllerId: 1, brokers: [{ brokerId: 1, host: self.host, port: self.port, rack: null }] };
      case 61:
        return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, errorCode: 0, activeProducers: [] })) })) };
      case 68:
        return {
          errorCode: 0,
          memberId: req.memberId || 'golden-member',
          memberEpoch: Math.max(1, req.memberEpoch + 1),
          heartbeatIntervalMs: 1000,
          assignment: { topicPartitions: [{ topicId: topicIdOf(TOPIC), partitions: [0] }] },
        };
      default:
        throw new Error(`no fake answer for ${apiName(apiKey)}`);
    }
  }
}

function run(cmd, argv, { input, timeoutMs = 10000, signal = 'SIGTERM' } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', () => {});
    const timer = setTimeout(() => child.kill(signal), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

const saved = [];
function save(broker) {
  mkdirSync(outDir, { recursive: true });
  for (const c of broker.captured) {
    if (c.bad) continue;
    const file = path.join(outDir, `${kebab(c.name)}-v${c.version}-${broker.client}.hex`);
    if (saved.includes(file)) continue;
    if (existsSync(file) && !force) continue;
    writeFileSync(file, c.frame.toString('hex') + '\n');
    saved.push(file);
  }
  for (const e of new Set(broker.errors)) console.error(`[${broker.client}] ${e}`);
  const seen = [...new Set(broker.captured.map((c) => `${c.name} v${c.version}`))];
  console.log(`[${broker.client}] ${seen.join(', ')}`);
}

async function scenario(client, caps, fn) {
  const broker = await new FakeBroker(client, caps).start();
  try {
    let timer;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('scenario timed out')), 40000)));
    await Promise.race([fn(broker.port, broker), timeout]).finally(() => clearTimeout(timer));
  } catch (err) {
    console.error(`[${client}] scenario failed: ${err?.stack ?? err}`);
  }
  await sleep(100);
  await broker.stop();
  save(broker);
}

// ---------------------------------------------------------------- kcat (librdkafka)
async function kcatScenarios(caps = {}) {
  const base = (port) => ['-b', `127.0.0.1:${port}`, '-X', 'client.id=kcat-golden'];
  await scenario('kcat', caps, async (port) => {
    await run('kcat', [...base(port), '-L']);
    await run('kcat', [...base(port), '-L', '-t', TOPIC]);
  });
  // SASL/PLAIN: captures SaslHandshake (the fake broker then drops the connection at authentication).
  await scenario('kcat', caps, async (port) => {
    const sasl = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=golden', '-X', 'sasl.password=secret'];
    await run('kcat', [...base(port), ...sasl, '-L'], { timeoutMs: 2500 });
  });
  await scenario('kcat', caps, async (port) => {
    await run('kcat', [...base(port), '-P', '-t', TOPIC, '-p', '0', '-k', 'k1'], { input: 'hello\n' });
    await run('kcat', [...base(port), '-P', '-t', TOPIC, '-p', '0', '-X', 'enable.idempotence=true'], { input: 'idem\n' });
    await run('kcat', [...base(port), '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e'], { timeoutMs: 5000 });
    await run('kcat', [...base(port), '-C', '-t', TOPIC, '-p', '0', '-o', '-1', '-e', '-X', 'isolation.level=read_uncommitted'], { timeoutMs: 5000 });
  });
  await scenario('kcat', caps, async (port) => {
    await run('kcat', [...base(port), '-G', GROUP, TOPIC, '-X', 'heartbeat.interval.ms=300', '-X', 'auto.commit.interval.ms=300'], { timeoutMs: 6000 });
  });
}

// ---------------------------------------------------------------- kafkajs
async function kafkajsScenarios(caps = {}) {
  const require = createRequire(path.join(root, 'package.json'));
  const { Kafka, logLevel } = require('kafkajs');
  const make = (port) =>
    new Kafka({ clientId: 'kafkajs-golden', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  await scenario('kafkajs', caps, async (port) => {
    const kafka = make(port);
    const admin = kafka.admin();
    await admin.connect();
    const step = async (what, p) => {
      try {
        await p;
      } catch (err) {
        console.error(`[kafkajs] ${what}: ${err.message}`);
      }
    };
    await step('createTopics', admin.createTopics({ topics: [{ topic: 'golden-created', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: false }));
    await step('fetchTopicMetadata', admin.fetchTopicMetadata({ topics: [TOPIC] }));
    await step('createPartitions', admin.createPartitions({ topicPartitions: [{ topic: 'golden-created', count: 3 }] }));
    await step('describeConfigs', admin.describeConfigs({ resources: [{ type: 2, name: TOPIC, configNames: ['cleanup.policy'] }], includeSynonyms: false }));
    await step('alterConfigs', admin.alterConfigs({ resources: [{ type: 2, name: TOPIC, configEntries: [{ name: 'retention.ms', value: '1000' }] }] }));
    await step('listGroups', admin.listGroups());
    await step('describeGroups', admin.describeGroups([GROUP]));
    await step('fetchOffsets', admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }));
    await step('fetchTopicOffsets', admin.fetchTopicOffsets(TOPIC));
    await step('setOffsets', admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '5' }] }));
    await step('deleteTopicRecords', admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '0' }] }));
    await step('deleteGroups', admin.deleteGroups([GROUP]));
    await step('describeCluster', admin.describeCluster());
    await step('deleteTopics', admin.deleteTopics({ topics: ['golden-created'] }));
    await admin.disconnect();
  });
  await scenario('kafkajs', caps, async (port) => {
    const kafka = new Kafka({
      clientId: 'kafkajs-golden',
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      sasl: { mechanism: 'plain', username: 'golden', password: 'secret' },
    });
    const admin = kafka.admin();
    await admin.connect().catch(() => {});
  });
  await scenario('kafkajs', caps, async (port) => {
    const kafka = make(port);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: [{ key: 'k1', value: 'hello', headers: { h: 'v' } }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: GROUP, heartbeatInterval: 300, sessionTimeout: 6000 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await sleep(2500);
    await consumer.disconnect();
  });
}

// ---------------------------------------------------------------- kafka-python 2.0 (system python3)
const KAFKA_PYTHON = String.raw`
import sys, time
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient, TopicPartition, OffsetAndMetadata
from kafka.admin import NewTopic, NewPartitions, ConfigResource, ConfigResourceType
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
common = dict(bootstrap_servers=bootstrap, client_id='kafka-python-golden', request_timeout_ms=4000)
def step(what, fn):
    try:
        fn()
    except Exception as e:
        print('[kafkapython] %s: %r' % (what, e), file=sys.stderr)
admin = KafkaAdminClient(**common)
step('create_topics', lambda: admin.create_topics([NewTopic('golden-created', 2, 1)]))
step('create_partitions', lambda: admin.create_partitions({'golden-created': NewPartitions(3)}))
step('describe_configs', lambda: admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]))
step('alter_configs', lambda: admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'retention.ms': '1000'})]))
step('list_consumer_groups', lambda: admin.list_consumer_groups())
step('describe_consumer_groups', lambda: admin.describe_consumer_groups([group]))
step('list_consumer_group_offsets', lambda: admin.list_consumer_group_offsets(group))
step('delete_topics', lambda: admin.delete_topics(['golden-created']))
step('close admin', admin.close)
producer = KafkaProducer(**common)
step('send', lambda: producer.send(topic, key=b'k1', value=b'hello', partition=0).get(timeout=5))
step('close producer', producer.close)
consumer = KafkaConsumer(topic, group_id=group, auto_offset_reset='earliest', consumer_timeout_ms=1500, heartbeat_interval_ms=300,
                         session_timeout_ms=6000, **dict(common, request_timeout_ms=7000))
step('poll', lambda: [m for m in consumer])
step('commit', lambda: consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(5, '')}))
step('close consumer', consumer.close)
`;

async function kafkaPythonScenarios(caps = {}) {
  await scenario('kafkapython', caps, async (port) => {
    const r = await run('/usr/bin/python3', ['-c', KAFKA_PYTHON, `127.0.0.1:${port}`, TOPIC, GROUP], { timeoutMs: 30000 });
    if (r.stderr.trim()) console.error(r.stderr.trim());
  });
}

// ---------------------------------------------------------------- @platformatic/kafka
async function platformaticScenarios(caps = {}) {
  const { Admin, Producer, Consumer, stringSerializers, stringDeserializers } = await import('@platformatic/kafka');
  const opts = (port) => ({ clientId: 'platformatic-golden', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 0 });
  await scenario('platformatic', caps, async (port) => {
    const admin = new Admin(opts(port));
    const step = async (what, p) => {
      try {
        await p;
      } catch (err) {
        console.error(`[platformatic] ${what}: ${err.message}`);
      }
    };
    await step('createTopics', admin.createTopics({ topics: ['golden-created'], partitions: 2, replicas: 1 }));
    await step('metadata', admin.metadata({ topics: [TOPIC] }));
    await step('createPartitions', admin.createPartitions({ topics: [{ name: 'golden-created', count: 3 }] }));
    await step('listGroups', admin.listGroups());
    await step('describeGroups', admin.describeGroups({ groups: [GROUP] }));
    await step('describeConfigs', admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: TOPIC }] }));
    await step('alterConfigs', admin.alterConfigs({ resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', value: '1000' }] }] }));
    await step(
      'incrementalAlterConfigs',
      admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value: '2000' }] }] }),
    );
    await step('describeLogDirs', admin.describeLogDirs({ topics: [{ name: TOPIC, partitions: [0] }] }));
    await step('listConsumerGroupOffsets', admin.listConsumerGroupOffsets({ groups: [GROUP] }));
    await step('listOffsets', admin.listOffsets({ topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }));
    await step('alterConsumerGroupOffsets', admin.alterConsumerGroupOffsets({ groupId: GROUP, topics: [{ name: TOPIC, partitionOffsets: [{ partition: 0, offset: 5n }] }] }));
    await step('deleteRecords', admin.deleteRecords({ topics: [{ name: TOPIC, partitions: [{ partition: 0, offset: 0n }] }] }));
    await step('deleteConsumerGroupOffsets', admin.deleteConsumerGroupOffsets({ groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }] }));
    await step('deleteGroups', admin.deleteGroups({ groups: [GROUP] }));
    await step('deleteTopics', admin.deleteTopics({ topics: ['golden-created'] }));
    await admin.close();
  });
  await scenario('platformatic', caps, async (port) => {
    const producer = new Producer({ ...opts(port), serializers: stringSerializers, idempotent: true });
    try {
      await producer.send({ messages: [{ topic: TOPIC, key: 'k1', value: 'hello', partition: 0 }] });
    } catch (err) {
      console.error(`[platformatic] send: ${err.message}`);
    }
    await producer.close();
    const consumer = new Consumer({ ...opts(port), groupId: GROUP, deserializers: stringDeserializers, maxWaitTime: 100 });
    try {
      const stream = await consumer.consume({ autocommit: 300, topics: [TOPIC], sessionTimeout: 6000, heartbeatInterval: 300, mode: 'earliest' });
      stream.on('data', () => {});
      stream.on('error', (err) => console.error(`[platformatic] stream: ${err.message}`));
      await sleep(2000);
      await stream.close();
    } catch (err) {
      console.error(`[platformatic] consume: ${err.message}`);
    }
    await consumer.close(true);
  });
  // KIP-848 consumer group protocol (ConsumerGroupHeartbeat).
  await scenario('platformatic', caps, async (port) => {
    const consumer = new Consumer({ ...opts(port), groupId: 'golden-group-848', groupProtocol: 'consumer', deserializers: stringDeserializers, maxWaitTime: 100 });
    try {
      const stream = await consumer.consume({ autocommit: false, topics: [TOPIC], mode: 'earliest' });
      stream.on('data', () => {});
      stream.on('error', (err) => console.error(`[platformatic] stream: ${err.message}`));
      await sleep(1500);
      await stream.close();
    } catch (err) {
      console.error(`[platformatic] consume (848): ${err.message}`);
    }
    await consumer.close(true);
  });
}

// Advertising lower maxima makes clients fall back to older versions: lowest we implement, and midway.
const capped = (pick) => Object.fromEntries(allApis.map((d) => [d.apiKey, pick(d)]));
const lowCaps = capped((d) => d.versionMin);
const midCaps = capped((d) => Math.floor((d.versionMin + d.versionMax) / 2));

if (!only || only === 'kcat') {
  await kcatScenarios();
  await kcatScenarios(lowCaps);
  await kcatScenarios(midCaps);
}
if (!only || only === 'kafkajs') {
  await kafkajsScenarios();
  // kafkajs needs Metadata v1+ (v0 cannot express "no topics") and OffsetFetch v1+.
  await kafkajsScenarios({ ...lowCaps, 3: 1, 9: 1 });
  await kafkajsScenarios(midCaps);
}
if (!only || only === 'kafkapython') {
  await kafkaPythonScenarios();
}
if (!only || only === 'platformatic') {
  await platformaticScenarios();
  // @platformatic/kafka implements only recent versions; these caps select its older ones. Metadata
  // stays at 12: below 10 it has no topic ids for Fetch v13, and its Metadata v11 request is malformed
  // (it still writes includeClusterAuthorizedOperations, which v11 removed).
  await platformaticScenarios({ 0: 7, 2: 5, 11: 6, 12: 4, 13: 4, 14: 4, 22: 3, 32: 3, 35: 2, 37: 1 });
  await platformaticScenarios({ 0: 8, 2: 6, 11: 7, 35: 3, 37: 2 });
  // Fetch capped at 12 records its v12 quirk (topic id text in the topic name field).
  await platformaticScenarios({ 11: 8, 1: 12 });
}
console.log(`wrote ${saved.length} fixture(s) to ${path.relative(root, outDir)}`);
process.exit(0);
