/**
 * Goal: clients of the classic Kafka tutorial's era (message format v0/v1: magic 0/1 message sets,
 * Produce v0-2, Fetch v0-3, no ApiVersions request) work against Samsa as they did against Kafka 3.x,
 * side by side with modern clients on the same topics; the compacted-topic rule for keyless records
 * and the deprecated message.format.version config behave as in Kafka 3.x.
 *
 * Method: one broker run as the real CLI (child process, so its log can be searched for warnings).
 * Old clients: confluent-kafka-python (librdkafka 2.0.2) with api.version.request=false and
 * broker.version.fallback=0.9.0.0 (Produce v1 with magic 0, Fetch v1, Metadata v0, the v0 group
 * APIs), and kafka-python 2.0.2 with api_version=(0, 9) (magic 0) and (0, 10) (magic 1 with
 * timestamps). Modern client: confluent-kafka-python with defaults (record batches v2). For each old
 * client and each codec (none, gzip, snappy, lz4), in both directions on separate topics: the old
 * producer's keyed records (explicit CreateTime timestamps, one null value) are read by the modern
 * consumer, and the modern producer's by the old consumer, which commits through its group; the
 * test compares offsets, keys, values and timestamps (kept where the format carries them: magic 1;
 * magic 0 has none), checks the committed offset, and reads the stored batches with a raw Fetch v12
 * to check the producer's codec was kept. kafka-python compresses every message set when given a
 * codec, so each of its stored batches must carry it. librdkafka sends a set uncompressed when
 * compressing would not shrink it (under load a lone first record can make its own set), so what
 * it sent is read from its own debug log (message count, MsgVersion, ApiVersion, codec of each
 * set): Produce v1, magic 0, the requested codec (gzip, snappy, and lz4 with the magic-0 frame
 * checksum quirk) on every set of 10 or more messages, and the stored batches must be exactly those
 * sets (record count and codec, in order); its Fetch requests are v1. Raw requests check the
 * refusals: Produce v9 of keyless records to a compacted topic (INVALID_RECORD with per-record
 * errors, nothing stored), Fetch v3 at zstd data (UNSUPPORTED_COMPRESSION_TYPE) and of a topic with
 * message.downconversion.enable=false (UNSUPPORTED_VERSION); and pipelined Produce v2 requests on
 * one connection (a gzip set the broker converts on the thread pool, then plain sets it converts
 * at once) are stored in the order they were sent, as by Kafka, which handles a connection's
 * requests one at a time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lastJsonLine, requirePythonModule, runPython, spawnBroker, type SpawnedBroker } from '../helpers/broker.js';
import { RawConnection, buildBatch, decodeResponseFrame, encodeRequestFrame, scanBatches, type BatchInfo } from '../helpers/raw-kafka.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { listOffsetsApi, type ListOffsetsResponse } from '../../src/protocol/messages/list-offsets.js';
import { metadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { encodeLegacyMessageSet, encodeLegacyWrapper, type LegacyRecordInput } from '../../src/protocol/records/legacy.js';

const N = 60;
const TS = 1_700_000_000_000;
const CODECS = ['none', 'gzip', 'snappy', 'lz4'] as const;
type Codec = (typeof CODECS)[number];
const CODEC_ID: Record<Codec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3 };
/** Codec names as librdkafka's debug log writes them. */
const RDK_CODEC_ID: Record<string, number> = { uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/**
 * One script for every client and role; argv[1] is a JSON spec. Prints one JSON line.
 * Record i: key "k<i>", value "value-<i> " repeated (null for i = 5), CreateTime TS + i.
 */
const CLIENT = String.raw`
import json, sys, time
spec = json.loads(sys.argv[1])
bootstrap, topic, n, mode = spec['bootstrap'], spec.get('topic'), spec.get('n', 0), spec['mode']
TS = ${TS}
def key(i): return None if spec.get('keyless') else ('k%d' % i).encode()
def value(i): return None if i == 5 else (('value-%d ' % i) * (1 + i % 4)).encode()
def text(b): return None if b is None else b.decode()
out = {}
if spec['client'] == 'confluent':
    from confluent_kafka import Producer, Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
    base = {'bootstrap.servers': bootstrap}
    if spec.get('fallback'):
        base.update({'api.version.request': False, 'broker.version.fallback': spec['fallback']})
    if mode == 'produce':
        p = Producer(dict(base, **{'compression.codec': spec['codec'], 'linger.ms': 20, 'debug': 'msg,protocol', 'message.timeout.ms': 20000}))
        reports = []
        def cb(err, msg): reports.append([None if err is None else err.name(), msg.offset()])
        for i in range(n):
            p.produce(topic, key=key(i), value=value(i), partition=0, timestamp=TS + i, on_delivery=cb)
        p.flush(30)
        out['reports'] = reports
    elif mode == 'consume':
        c = Consumer(dict(base, **{'group.id': spec['group'], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                                   'fetch.wait.max.ms': 100, 'debug': 'protocol', 'session.timeout.ms': 10000}))
        c.subscribe([topic])
        got, deadline = [], time.time() + 40
        while time.time() < deadline and len(got) < n:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                out.setdefault('errors', []).append(m.error().name())
                continue
            ts = m.timestamp()
            got.append([m.offset(), text(m.key()), text(m.value()), ts[0], ts[1]])
        c.commit(asynchronous=False)
        out['committed'] = c.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        c.close()
        out['records'] = got
    elif mode == 'admin':
        a = AdminClient(base)
        results = {}
        for name, configs in spec['create'].items():
            try:
                a.create_topics([NewTopic(name, 1, 1, config=configs)])[name].result(15)
                results[name] = None
            except Exception as e:
                results[name] = e.args[0].name()
        for name, configs in spec.get('alter', {}).items():
            try:
                list(a.alter_configs([ConfigResource('topic', name, set_config=configs)]).values())[0].result(15)
                results['alter ' + name] = None
            except Exception as e:
                results['alter ' + name] = e.args[0].name()
        described = {}
        for name in spec.get('describe', []):
            entries = list(a.describe_configs([ConfigResource('topic', name)]).values())[0].result(15)
            described[name] = {k: v.value for k, v in entries.items()}
        out['results'] = results
        out['described'] = described
else:
    from kafka import KafkaProducer, KafkaConsumer, TopicPartition
    version = tuple(spec['apiVersion'])
    if mode == 'produce':
        p = KafkaProducer(bootstrap_servers=[bootstrap], api_version=version, acks=1, linger_ms=20, retries=0,
                          compression_type=None if spec['codec'] == 'none' else spec['codec'])
        futures = [p.send(topic, key=key(i), value=value(i), partition=0, timestamp_ms=TS + i) for i in range(n)]
        p.flush(30)
        reports = []
        for f in futures:
            try:
                reports.append([None, f.get(timeout=10).offset])
            except Exception as e:
                reports.append([type(e).__name__, -1])
        out['reports'] = reports
        p.close(timeout=5)
    elif mode == 'consume':
        c = KafkaConsumer(bootstrap_servers=[bootstrap], api_version=version, group_id=spec['group'],
                          enable_auto_commit=False, auto_offset_reset='earliest', fetch_max_wait_ms=100)
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        c.seek_to_beginning(tp)
        got, deadline = [], time.time() + 40
        while time.time() < deadline and len(got) < n:
            for records in c.poll(timeout_ms=300).values():
                for r in records:
                    got.append([r.offset, text(r.key), text(r.value), r.timestamp_type, r.timestamp])
        c.commit()
        out['committed'] = c.committed(tp)
        c.close()
        out['records'] = got
print(json.dumps(out))
`;

interface Spec {
  client: 'confluent' | 'kafka-python';
  mode: 'produce' | 'consume' | 'admin';
  topic?: string;
  n?: number;
  codec?: Codec | 'zstd';
  fallback?: string;
  apiVersion?: number[];
  group?: string;
  keyless?: boolean;
  create?: Record<string, Record<string, string>>;
  alter?: Record<string, Record<string, string>>;
  describe?: string[];
}

interface ClientRun<T> {
  out: T;
  stderr: string;
}

type Row = [offset: number, key: string | null, value: string | null, timestampType: number | null, timestampMs: number | null];

const key = (i: number): string => `k${i}`;
const value = (i: number): string | null => (i === 5 ? null : `value-${i} `.repeat(1 + (i % 4)));

interface OldClient {
  name: string;
  slug: string;
  spec: Pick<Spec, 'client' | 'fallback' | 'apiVersion'>;
  magic: 0 | 1;
}

const OLD_CLIENTS: OldClient[] = [
  {
    name: 'confluent-kafka-python (librdkafka 2.0.2), api.version.request=false, broker.version.fallback=0.9.0.0',
    slug: 'rdk09',
    spec: { client: 'confluent', fallback: '0.9.0.0' },
    magic: 0,
  },
  { name: 'kafka-python 2.0.2, api_version=(0, 9)', slug: 'kp09', spec: { client: 'kafka-python', apiVersion: [0, 9] }, magic: 0 },
  { name: 'kafka-python 2.0.2, api_version=(0, 10)', slug: 'kp010', spec: { client: 'kafka-python', apiVersion: [0, 10] }, magic: 1 },
];
const MODERN: Pick<Spec, 'client'> = { client: 'confluent' };

/** librdkafka's debug line for each produced message set: what it really sent. */
const RDK_PRODUCE = /Produce MessageSet with (\d+) message\(s\) \(\d+ bytes, ApiVersion (\d+), MsgVersion (\d+), .*?, (\w+)\)/g;
/** A set this large (of the records below) shrinks with every codec, so librdkafka always compresses it. */
const RDK_SET_ALWAYS_COMPRESSED = 10;

describe('clients of the message format v0/v1 era against Samsa', () => {
  let b: SpawnedBroker;

  async function runClient<T>(spec: Spec): Promise<ClientRun<T>> {
    const r = await runPython(CLIENT, [JSON.stringify({ bootstrap: b.bootstrap, ...spec })], { timeoutMs: 90_000 });
    return { out: lastJsonLine<T>(r.stdout), stderr: r.stderr };
  }

  async function produce(spec: Omit<Spec, 'mode'>): Promise<ClientRun<{ reports: Array<[string | null, number]> }>> {
    const run = await runClient<{ reports: Array<[string | null, number]> }>({ n: N, ...spec, mode: 'produce' });
    assert.deepEqual(
      run.out.reports,
      Array.from({ length: N }, (_, i) => [null, i]),
      `every record delivered at offsets 0..${N - 1}`,
    );
    return run;
  }

  async function consume(spec: Omit<Spec, 'mode'>): Promise<ClientRun<{ records: Row[]; committed: number; errors?: string[] }>> {
    const run = await runClient<{ records: Row[]; committed: number; errors?: string[] }>({ n: N, ...spec, mode: 'consume' });
    assert.equal(run.out.errors, undefined, `consumer errors: ${JSON.stringify(run.out.errors)}`);
    assert.deepEqual(
      run.out.records.map((r) => [r[0], r[1], r[2]]),
      Array.from({ length: N }, (_, i) => [i, key(i), value(i)]),
    );
    assert.equal(run.out.committed, N, 'the group committed the end of what it read');
    return run;
  }

  /** The stored batches of partition 0, read with a raw Fetch v12 (no conversion). */
  async function storedBatches(topic: string): Promise<BatchInfo[]> {
    const c = await RawConnection.connect(b.port);
    try {
      const res = await c.request<FetchResponse>(fetchApi, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 22,
        isolationLevel: 0,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 22 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE);
      return scanBatches(p.records!).batches;
    } finally {
      c.close();
    }
  }

  before(async () => {
    await requirePythonModule('confluent_kafka');
    await requirePythonModule('kafka');
    // kafka-python compresses snappy and lz4 through these (Debian python3-snappy, python3-lz4, and
    // python3-xxhash for the magic-0 LZ4 framing); scripts/install-test-deps.sh installs them.
    await requirePythonModule('snappy');
    await requirePythonModule('lz4');
    await requirePythonModule('xxhash');
    b = await spawnBroker({ overrides: ['num.partitions=1', 'auto.create.topics.enable=true'] });
    // The modern producer writes one topic per codec; every old consumer reads them.
    for (const codec of CODECS) await produce({ ...MODERN, topic: `modern-${codec}`, codec });
  });
  after(async () => {
    await b?.cleanup();
  });

  for (const old of OLD_CLIENTS) {
    describe(old.name, () => {
      for (const codec of CODECS) {
        it(`${codec}: old producer → modern consumer; codec and (magic 1) timestamps kept`, async (t) => {
          const topic = `old-${old.slug}-${codec}`;
          const sent = await produce({ ...old.spec, topic, codec });
          const stored = (await storedBatches(topic)).map((x) => ({ records: x.recordCount, codec: x.compression }));
          if (old.spec.client === 'confluent') {
            const sets = [...sent.stderr.matchAll(RDK_PRODUCE)].map((m) => ({ records: Number(m[1]), apiVersion: Number(m[2]), msgVersion: Number(m[3]), codec: m[4]! }));
            assert.ok(sets.length > 0, 'librdkafka debug shows the produced message sets');
            assert.ok(sets.every((s) => s.apiVersion <= 1 && s.msgVersion === 0), `librdkafka sent Produce v0-1 with magic 0: ${JSON.stringify(sets[0])}`);
            t.diagnostic(`librdkafka sent (records:codec): ${sets.map((s) => `${s.records}:${s.codec}`).join(', ')} (asked for ${codec})`);
            // librdkafka 2.0.2 in this mode compresses with every legacy codec (lz4 with the magic-0
            // header checksum), but sends a set uncompressed when compressing would not shrink it:
            // record 0 alone (36 bytes) with gzip or lz4, when linger.ms ran out after the first
            // produce() on a loaded machine. Sets of RDK_SET_ALWAYS_COMPRESSED records always shrink.
            const wanted = codec === 'none' ? 'uncompressed' : codec;
            assert.ok(sets.every((s) => s.codec === wanted || s.codec === 'uncompressed'), `only ${wanted} or uncompressed sets`);
            assert.ok(sets.some((s) => s.codec === wanted), `at least one set sent with ${wanted}`);
            assert.ok(
              sets.every((s) => s.records < RDK_SET_ALWAYS_COMPRESSED || s.codec === wanted),
              `every set of ${RDK_SET_ALWAYS_COMPRESSED} or more records sent with ${wanted}`,
            );
            assert.deepEqual(
              stored,
              sets.map((s) => ({ records: s.records, codec: RDK_CODEC_ID[s.codec] })),
              'one stored v2 batch per message set sent, with its record count and codec',
            );
          } else {
            // kafka-python 2.0.2's LegacyRecordBatchBuilder compresses every set when given a codec.
            assert.deepEqual([...new Set(stored.map((x) => x.codec))], [CODEC_ID[codec]], 'the stored v2 batches carry the codec the producer used');
          }
          const read = await consume({ ...MODERN, topic, group: `modern-reads-${topic}` });
          for (const [i, row] of read.out.records.entries()) {
            // Magic 1 carries CreateTime (type 1 in confluent-kafka); magic 0 carries none (-1).
            if (old.magic === 1) assert.deepEqual([row[3], row[4]], [1, TS + i]);
            else assert.equal(row[4], -1, `record ${i} of a magic-0 producer has no timestamp`);
          }
        });

        it(`${codec}: modern producer → old consumer (group commit)`, async (t) => {
          const topic = `modern-${codec}`;
          const read = await consume({ ...old.spec, topic, group: `old-${old.slug}-${codec}` });
          if (old.spec.client === 'confluent') {
            const versions = new Set([...read.stderr.matchAll(/Sent FetchRequest \(v(\d+)/g)].map((m) => Number(m[1])));
            t.diagnostic(`librdkafka fetched with Fetch v${[...versions].join(', v')}`);
            assert.ok([...versions].every((v) => v <= 1), 'librdkafka used Fetch v0-1 (magic 0)');
          }
          for (const [i, row] of read.out.records.entries()) {
            if (old.magic === 1) assert.deepEqual([row[3], row[4]], [0, TS + i], `record ${i}: kafka-python CreateTime (type 0) and the producer's timestamp`);
            else if (old.spec.client === 'confluent') assert.equal(row[3], 0, `record ${i}: TIMESTAMP_NOT_AVAILABLE from magic 0`);
            else assert.deepEqual([row[3], row[4]], [null, null], `record ${i}: kafka-python has no timestamp for magic 0`);
          }
        });
      }
    });
  }

  describe('keyless records on a compacted topic (Kafka: INVALID_RECORD, nothing stored)', () => {
    const topic = 'compacted-keys';

    async function logEndOffset(): Promise<bigint> {
      const c = await RawConnection.connect(b.port);
      try {
        const res = await c.request<ListOffsetsResponse>(listOffsetsApi, 1, {
          replicaId: -1,
          topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
        });
        return res.topics[0]!.partitions[0]!.offset;
      } finally {
        c.close();
      }
    }

    before(async () => {
      const admin = await runClient<{ results: Record<string, string | null> }>({ ...MODERN, mode: 'admin', create: { [topic]: { 'cleanup.policy': 'compact' } } });
      assert.deepEqual(admin.out.results, { [topic]: null });
    });

    it('Produce v9 lists each keyless record in recordErrors with Kafka\'s message; nothing is stored', async () => {
      const c = await RawConnection.connect(b.port);
      try {
        const meta = await c.request<MetadataResponse>(metadataApi, 4, { topics: [{ name: topic }], allowAutoTopicCreation: false });
        assert.equal(meta.topics[0]!.errorCode, ErrorCode.NONE);
        const records = [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }, { key: null, value: null }];
        const res = await c.request<ProduceResponse>(produceApi, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatch(records) }] }],
        });
        const p = res.responses[0]!.partitionResponses[0]!;
        const message = `Compacted topic cannot accept message without key in topic partition ${topic}-0`;
        assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
        assert.equal(p.baseOffset, -1n);
        assert.deepEqual(p.recordErrors, [
          { batchIndex: 1, batchIndexErrorMessage: message },
          { batchIndex: 2, batchIndexErrorMessage: message },
        ]);
        assert.equal(
          p.errorMessage,
          `One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: ` +
            `[RecordError(batchIndex=1, message='${message}'), RecordError(batchIndex=2, message='${message}')]`,
        );
      } finally {
        c.close();
      }
      assert.equal(await logEndOffset(), 0n);
    });

    it('a modern client and an old one (up-converted magic 1) both get INVALID_RECORD; keyed records are accepted', async () => {
      const modern = await runClient<{ reports: Array<[string | null, number]> }>({ ...MODERN, mode: 'produce', topic, codec: 'gzip', n: 3, keyless: true });
      assert.deepEqual(modern.out.reports.map((r) => r[0]), ['INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD']);
      const old = await runClient<{ reports: Array<[string | null, number]> }>({ client: 'kafka-python', apiVersion: [0, 10], mode: 'produce', topic, codec: 'none', n: 2, keyless: true });
      assert.ok(old.out.reports.every((r) => r[0] !== null && r[1] === -1), `kafka-python sends fail: ${JSON.stringify(old.out.reports)}`);
      assert.equal(await logEndOffset(), 0n, 'nothing stored');
      const keyed = await runClient<{ reports: Array<[string | null, number]> }>({ client: 'kafka-python', apiVersion: [0, 9], mode: 'produce', topic, codec: 'gzip', n: 2 });
      assert.deepEqual(keyed.out.reports, [[null, 0], [null, 1]]);
      assert.equal(await logEndOffset(), 2n);
    });
  });

  describe('where down-conversion cannot happen (Kafka\'s answers)', () => {
    async function fetchV(version: number, topic: string, fetchOffset = 0): Promise<number> {
      const c = await RawConnection.connect(b.port);
      try {
        const res = await c.request<FetchResponse>(fetchApi, version, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(fetchOffset), partitionMaxBytes: 1 << 20 }] }],
        });
        return res.responses[0]!.partitions[0]!.errorCode;
      } finally {
        c.close();
      }
    }

    it('zstd data read with Fetch v3 answers UNSUPPORTED_COMPRESSION_TYPE (no legacy codec for zstd)', async () => {
      await produce({ ...MODERN, topic: 'modern-zstd', codec: 'zstd' });
      // librdkafka may have sent record 0 alone and uncompressed (zstd would not shrink it): a
      // Fetch v3 from there converts it and stops before the zstd data.
      const batches = await storedBatches('modern-zstd');
      const zstdAt = batches.findIndex((x) => x.compression === RDK_CODEC_ID.zstd);
      assert.ok(zstdAt >= 0, `a zstd batch is stored: ${JSON.stringify(batches)}`);
      assert.ok(batches.slice(0, zstdAt).every((x) => x.compression === 0), 'only uncompressed batches before it');
      if (zstdAt > 0) assert.equal(await fetchV(3, 'modern-zstd', 0), ErrorCode.NONE);
      assert.equal(await fetchV(3, 'modern-zstd', batches[zstdAt]!.baseOffset), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
      assert.equal(await fetchV(4, 'modern-zstd', batches[zstdAt]!.baseOffset), ErrorCode.NONE);
    });

    it('a topic with message.downconversion.enable=false answers Fetch v1 with UNSUPPORTED_VERSION', async () => {
      const admin = await runClient<{ results: Record<string, string | null> }>({ ...MODERN, mode: 'admin', create: { 'no-downconversion': { 'message.downconversion.enable': 'false' } } });
      assert.deepEqual(admin.out.results, { 'no-downconversion': null });
      assert.equal(await fetchV(1, 'no-downconversion'), ErrorCode.UNSUPPORTED_VERSION);
      assert.equal(await fetchV(4, 'no-downconversion'), ErrorCode.NONE);
    });
  });

  it('pipelined Produce v2 requests on one connection are stored in the order they were sent', async () => {
    const topic = 'pipelined-order';
    const records = (n: number, tag: string): LegacyRecordInput[] =>
      Array.from({ length: n }, (_, i) => ({ offset: i, timestampMs: TS + i, key: Buffer.from(`${tag}${i}`), value: Buffer.from(`value-${i} `.repeat(8)) }));
    // The gzip wrapper goes through the thread pool twice (gunzip, gzip), the plain sets not at all:
    // before appends were ordered per connection, the plain sets overtook it.
    const sets = [
      { records: 2000, codec: 1, bytes: await encodeLegacyWrapper(1, 1, records(2000, 'a')) },
      { records: 1, codec: 0, bytes: encodeLegacyMessageSet(1, records(1, 'b')) },
      { records: 3, codec: 0, bytes: encodeLegacyMessageSet(0, records(3, 'c')) },
      { records: 10, codec: 2, bytes: await encodeLegacyWrapper(0, 2, records(10, 'd')) },
    ];
    const baseOffsets = sets.map((_, i) => sets.slice(0, i).reduce((sum, x) => sum + x.records, 0));
    const c = await RawConnection.connect(b.port);
    try {
      const meta = await c.request<MetadataResponse>(metadataApi, 4, { topics: [{ name: topic }], allowAutoTopicCreation: true });
      assert.equal(meta.topics[0]!.errorCode, ErrorCode.NONE);
      const frames = sets.map((set, i) =>
        encodeRequestFrame(produceApi, 2, 100 + i, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: set.bytes }] }] }),
      );
      await c.write(Buffer.concat(frames));
      const answers: Array<[number, number, bigint]> = [];
      for (let i = 0; i < sets.length; i++) {
        const res = decodeResponseFrame<ProduceResponse>(produceApi, 2, await c.readFrame(20_000));
        const p = res.body.responses[0]!.partitionResponses[0]!;
        answers.push([res.correlationId, p.errorCode, p.baseOffset]);
      }
      assert.deepEqual(
        answers,
        sets.map((_, i) => [100 + i, ErrorCode.NONE, BigInt(baseOffsets[i]!)]),
        'each request answered in order, its records after those of the request sent before it',
      );
    } finally {
      c.close();
    }
    assert.deepEqual(
      (await storedBatches(topic)).map((x) => [x.baseOffset, x.recordCount, x.compression]),
      sets.map((set, i) => [baseOffsets[i], set.records, set.codec]),
    );
  });

  it('message.format.version is accepted on CreateTopics and AlterConfigs, with a warning in the broker log (KIP-724)', async () => {
    const admin = await runClient<{ results: Record<string, string | null>; described: Record<string, Record<string, string>> }>({
      ...MODERN,
      mode: 'admin',
      create: { 'mfv-old': { 'message.format.version': '0.10.0' }, 'mfv-current': { 'message.format.version': '3.0-IV1' }, 'mfv-bad': { 'message.format.version': 'banana' } },
      alter: { 'mfv-current': { 'message.format.version': '0.9.0' } },
      describe: ['mfv-old', 'mfv-current'],
    });
    assert.deepEqual(admin.out.results, { 'mfv-old': null, 'mfv-current': null, 'mfv-bad': 'INVALID_CONFIG', 'alter mfv-current': null });
    assert.equal(admin.out.described['mfv-old']!['message.format.version'], '0.10.0');
    assert.equal(admin.out.described['mfv-current']!['message.format.version'], '0.9.0');
    const warnings = b.logs().filter((l) => l.level === 40 && l.msg.includes('message.format.version'));
    const says = (v: string, topic: string): boolean => warnings.some((w) => w.msg.includes(`with value \`${v}\` is ignored for \`${topic}\``));
    assert.ok(says('0.10.0', 'mfv-old'), `warning for the create: ${JSON.stringify(warnings.map((w) => w.msg))}`);
    assert.ok(says('0.9.0', 'mfv-current'), 'warning for the alter');
    assert.ok(!says('3.0-IV1', 'mfv-current'), 'no warning for a v2 format version');
    // The topic works as any other: an old producer and a modern consumer.
    await produce({ client: 'kafka-python', apiVersion: [0, 9], topic: 'mfv-old', codec: 'gzip' });
    await consume({ ...MODERN, topic: 'mfv-old', group: 'mfv-reader' });
  });
});
