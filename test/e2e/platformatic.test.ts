/**
 * Goal: @platformatic/kafka 1.x, a modern pure-TypeScript client that negotiates the newest API
 * versions both sides implement (CreateTopics v7, DeleteTopics v6, Metadata v12, Produce v9,
 * Fetch v12 or v13, ListOffsets v7 against Samsa), administers topics, produces with each codec it can use
 * here, and reads records back without a consumer group.
 *
 * Method: one in-process broker. The Admin creates a topic (flexible CreateTopics, topic id
 * returned), sees it in Metadata, and deletes another. The Producer sends keyed records with
 * headers and acks=all per codec (none, gzip, snappy, lz4; zstd only when this Node has zlib zstd,
 * which Node 20 does not), and the stored batches must carry that codec. Reading back uses the
 * Consumer's group-free APIs, because its streaming `consume()` always joins a consumer group (not
 * implemented yet): `listOffsets()` for the earliest and latest offsets, and `fetch()` (one Fetch
 * request to a node) in a bounded loop from offset 0, from a middle offset, and at the end (empty,
 * after a short wait). The library uses the newest Fetch both sides have: up to v12 the request
 * names the topic (so its `topicId` field carries the name), from v13 it carries the topic id
 * that CreateTopics returned; the test asks ApiVersions which applies. (The library's own stream
 * always puts the topic id there, so it needs a broker with Fetch v13+.)
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, Producer, ProduceAcks, compressionsAlgorithms, stringSerializers, type CompressionAlgorithmValue } from '@platformatic/kafka';
import { startBroker, type StartedBroker } from '../helpers/broker.js';
import { RawConnection, scanBatches } from '../helpers/raw-kafka.js';
import { apiVersionsApi, type ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js';

const PER_SEND = 250;
const SENDS = 4;
const TOTAL = PER_SEND * SENDS;
const CODECS: CompressionAlgorithmValue[] = ['none', 'gzip', 'snappy', 'lz4', ...(compressionsAlgorithms.zstd.available ? (['zstd'] as const) : [])];

const CODEC_IDS: Record<CompressionAlgorithmValue, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

interface Fetched {
  offset: number;
  key: string;
  value: string;
  headers: Array<[string, string]>;
}

describe('@platformatic/kafka against Samsa', () => {
  let b: StartedBroker;
  let admin: Admin;
  let producer: Producer<string, string, string, string>;
  let consumer: Consumer;
  /** The Fetch version the library picks: its newest (17) capped by what the broker advertises. */
  let fetchVersion = 0;
  const topicIds = new Map<string, string>();
  /** Fetch names topics up to v12 and identifies them by topic id from v13 on. */
  const topicRef = (topic: string): string => (fetchVersion >= 13 ? topicIds.get(topic)! : topic);

  before(async () => {
    b = await startBroker({ overrides: ['num.partitions=1', 'log.segment.delete.delay.ms=0'] });
    const common = { bootstrapBrokers: [b.bootstrap], retries: 2, timeout: 10_000 };
    admin = new Admin({ clientId: 'samsa-e2e-admin', ...common });
    producer = new Producer({ clientId: 'samsa-e2e-producer', serializers: stringSerializers, autocreateTopics: false, ...common });
    // A groupId is mandatory in the options; no group API is ever called (no consume(), no commit()).
    consumer = new Consumer({ clientId: 'samsa-e2e-consumer', groupId: 'samsa-e2e-unused', ...common });
    const raw = await RawConnection.connect(b.port);
    try {
      const av = await raw.request<ApiVersionsResponse>(apiVersionsApi, 3, { clientSoftwareName: 'samsa-e2e', clientSoftwareVersion: '1' });
      fetchVersion = Math.min(17, av.apiKeys.find((k) => k.apiKey === 1)!.maxVersion);
    } finally {
      raw.close();
    }
  });

  after(async () => {
    await consumer?.close(true);
    await producer?.close(true);
    await admin?.close();
    await b?.stop();
  });

  /** Fetches partition 0 of `topic` from `from` until `until` (exclusive); bounded by attempts and time. */
  async function fetchRange(topic: string, from: number, until: number): Promise<Fetched[]> {
    const out: Fetched[] = [];
    let next = from;
    const deadline = Date.now() + 20_000;
    for (let attempt = 0; next < until && attempt < 200 && Date.now() < deadline; attempt++) {
      const res = await consumer.fetch({
        node: 0,
        maxWaitTime: 100,
        topics: [{ topicId: topicRef(topic), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(next), lastFetchedEpoch: -1, partitionMaxBytes: 64 * 1024 }] }],
      });
      assert.equal(res.responses[0]!.topicId, topicRef(topic));
      const part = res.responses[0]!.partitions[0]!;
      assert.equal(part.errorCode, 0, `fetch ${topic} at ${next}: error ${part.errorCode}`);
      for (const batch of part.records ?? []) {
        for (const r of batch.records) {
          const offset = Number(batch.firstOffset) + r.offsetDelta;
          if (offset < next) continue; // a batch that starts before the requested offset
          out.push({
            offset,
            key: r.key?.toString() ?? '',
            value: r.value?.toString() ?? '',
            headers: r.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? '']),
          });
          next = offset + 1;
        }
      }
    }
    return out;
  }

  const expected = (codec: string, i: number): Fetched => ({
    offset: i,
    key: `key-${i}`,
    value: `value-${i}-${codec}`,
    headers: [['idx', String(i)]],
  });

  it('Admin creates topics (CreateTopics v7 gives topic ids) and sees them in Metadata', async () => {
    const created = await admin.createTopics({ topics: [...CODECS.map((c) => `pk-${c}`), 'pk-doomed'], partitions: 1, replicas: 1 });
    assert.equal(created.length, CODECS.length + 1);
    for (const t of created) topicIds.set(t.name, t.id);
    for (const t of created) {
      assert.equal(t.partitions, 1);
      assert.equal(t.replicas, 1);
      assert.match(t.id, /^[0-9a-f-]{36}$/);
      assert.notEqual(t.id, '00000000-0000-0000-0000-000000000000', `${t.name} has no topic id`);
    }
    const md = await admin.metadata({ topics: created.map((t) => t.name) });
    assert.deepEqual([...md.brokers.keys()], [0]);
    assert.equal(md.brokers.get(0)!.port, b.port);
    for (const t of created) {
      const mt = md.topics.get(t.name);
      assert.ok(mt, `${t.name} missing from metadata`);
      assert.equal(mt.id, t.id, 'Metadata v12 reports the same topic id CreateTopics returned');
      assert.equal(mt.partitionsCount, 1);
      assert.equal(mt.partitions[0]!.leader, 0);
    }
  });

  it('Admin deletes a topic (DeleteTopics v6)', async () => {
    assert.ok((await admin.listTopics()).includes('pk-doomed'));
    await admin.deleteTopics({ topics: ['pk-doomed'] });
    assert.ok(!(await admin.listTopics()).includes('pk-doomed'), 'the deleted topic is still listed');
  });

  for (const codec of CODECS) {
    describe(`codec ${codec}`, () => {
      const topic = `pk-${codec}`;

      it(`Producer.send() with acks=all gets consecutive offsets for ${TOTAL} records`, async () => {
        for (let s = 0; s < SENDS; s++) {
          const messages = Array.from({ length: PER_SEND }, (_, j) => {
            const i = s * PER_SEND + j;
            return { topic, partition: 0, key: `key-${i}`, value: `value-${i}-${codec}`, headers: { idx: String(i) } };
          });
          const result = await producer.send({ messages, acks: ProduceAcks.ALL, compression: codec });
          assert.deepEqual(result.offsets, [{ topic, partition: 0, offset: BigInt(s * PER_SEND) }], `send ${s}: base offset`);
        }
        const dir = path.join(b.dataDir, `${topic}-0`);
        const codes: number[] = [];
        for (const f of (await readdir(dir)).filter((x) => x.endsWith('.log'))) {
          for (const batch of scanBatches(await readFile(path.join(dir, f))).batches) codes.push(batch.compression);
        }
        assert.ok(codes.length >= SENDS, `${codes.length} batches on disk`);
        assert.ok(codes.every((c) => c === CODEC_IDS[codec]), `stored batch codecs ${codes} (expected all ${CODEC_IDS[codec]})`);
      });

      it('Consumer.listOffsets() gives earliest 0 and latest = records sent', async () => {
        const latest = await consumer.listOffsets({ topics: [topic] });
        const earliest = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
        assert.deepEqual(latest.get(topic), [BigInt(TOTAL)]);
        assert.deepEqual(earliest.get(topic), [0n]);
      });

      it('Consumer.fetch() without a group reads every record back from 0, and from a middle offset', async (t) => {
        t.diagnostic(`@platformatic/kafka uses Fetch v${fetchVersion}`);
        assert.deepEqual(await fetchRange(topic, 0, TOTAL), Array.from({ length: TOTAL }, (_, i) => expected(codec, i)));
        const middle = Math.floor(TOTAL / 2) + 7;
        assert.deepEqual(
          await fetchRange(topic, middle, TOTAL),
          Array.from({ length: TOTAL - middle }, (_, i) => expected(codec, middle + i)),
        );
      });

      it('Consumer.fetch() at the end waits and returns no records', async () => {
        const t0 = Date.now();
        const res = await consumer.fetch({
          node: 0,
          maxWaitTime: 300,
          topics: [{ topicId: topicRef(topic), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(TOTAL), lastFetchedEpoch: -1, partitionMaxBytes: 65536 }] }],
        });
        const part = res.responses[0]!.partitions[0]!;
        assert.equal(part.errorCode, 0);
        assert.equal(part.highWatermark, BigInt(TOTAL));
        assert.equal((part.records ?? []).reduce((n, batch) => n + batch.records.length, 0), 0);
        assert.ok(Date.now() - t0 >= 250, `an empty fetch should wait about maxWaitTime (300 ms), took ${Date.now() - t0} ms`);
      });
    });
  }
});
