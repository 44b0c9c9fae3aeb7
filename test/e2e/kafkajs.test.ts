/**
 * Goal: KafkaJS 2.x, the most used pure-JavaScript client, can administer topics on Samsa and
 * produce with every codec it supports (none and gzip built in, snappy via kafkajs-snappy, lz4 via
 * kafkajs-lz4; KafkaJS has no zstd).
 *
 * Method: one in-process broker. The admin client creates topics (several partitions), sees
 * TOPIC_ALREADY_EXISTS as `false` on a second create, lists them, fetches their metadata (leader,
 * replicas, ISR per partition) and offsets, and deletes one: it disappears from the topic list and
 * its partition directories disappear from the data dir. The producer sends keyed records with
 * headers in several send() calls per codec; the offsets it reports are checked, and the records
 * are read back with kcat (KafkaJS's own consumer needs consumer groups, which are not implemented
 * yet): every record once, per-partition order kept, keys, values and headers intact, and the
 * stored batches carry the codec.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { requireKcat, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { byPartition, kcatConsume } from '../helpers/kcat.js';
import { scanBatches } from '../helpers/raw-kafka.js';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
// kafkajs-snappy has no types and kafkajs-lz4's types describe an ES default export the CommonJS
// module does not have, so both are loaded with require, as KafkaJS users do.
const require = createRequire(import.meta.url);
type CodecFactory = () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
const SnappyCodec = require('kafkajs-snappy') as CodecFactory;
const LZ4Codec = require('kafkajs-lz4') as new () => { codec: CodecFactory };
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;

const PARTITIONS = 3;
const SENDS = 10;
const PER_SEND = 200;
const CODECS = [
  { name: 'none', type: CompressionTypes.None, id: 0 },
  { name: 'gzip', type: CompressionTypes.GZIP, id: 1 },
  { name: 'snappy', type: CompressionTypes.Snappy, id: 2 },
  { name: 'lz4', type: CompressionTypes.LZ4, id: 3 },
] as const;

async function partitionDirs(dataDir: string, topic: string): Promise<string[]> {
  const re = new RegExp(`^${topic.replace(/[-.]/g, '\\$&')}-\\d+(\\..*)?$`);
  return (await readdir(dataDir)).filter((d) => re.test(d));
}

describe('KafkaJS against Samsa', () => {
  let b: StartedBroker;
  let admin: Admin;
  let producer: Producer;
  let kafka: InstanceType<typeof Kafka>;

  before(async () => {
    await requireKcat();
    b = await startBroker({ overrides: ['log.segment.delete.delay.ms=0'] });
    kafka = new Kafka({ clientId: 'samsa-e2e-kafkajs', brokers: [b.bootstrap], logLevel: logLevel.ERROR, retry: { retries: 3 } });
    admin = kafka.admin();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await b?.stop();
  });

  describe('admin', () => {
    it('creates topics with the requested partition count, and reports an existing one as not created', async () => {
      const created = await admin.createTopics({
        topics: [
          ...CODECS.map((c) => ({ topic: `kjs-${c.name}`, numPartitions: PARTITIONS })),
          { topic: 'kjs-doomed', numPartitions: 2 },
        ],
        waitForLeaders: true,
        timeout: 10_000,
      });
      assert.equal(created, true);
      const again = await admin.createTopics({ topics: [{ topic: 'kjs-none', numPartitions: 1 }], timeout: 10_000 });
      assert.equal(again, false, 'creating an existing topic must answer TOPIC_ALREADY_EXISTS, which KafkaJS turns into false');
    });

    it('lists the topics', async () => {
      const topics = await admin.listTopics();
      for (const c of CODECS) assert.ok(topics.includes(`kjs-${c.name}`), `kjs-${c.name} missing from ${topics}`);
      assert.ok(topics.includes('kjs-doomed'));
    });

    it('fetches topic metadata: every partition led by broker 0, replicas and ISR [0]', async () => {
      const md = await admin.fetchTopicMetadata({ topics: ['kjs-none', 'kjs-doomed'] });
      const byName = new Map(md.topics.map((t) => [t.name, t]));
      assert.deepEqual(
        byName.get('kjs-none')!.partitions.map((p) => p.partitionId).sort(),
        Array.from({ length: PARTITIONS }, (_, i) => i),
      );
      assert.equal(byName.get('kjs-doomed')!.partitions.length, 2);
      for (const t of md.topics) {
        for (const p of t.partitions) {
          assert.equal(p.partitionErrorCode, 0, `${t.name}/${p.partitionId}`);
          assert.equal(p.leader, 0);
          assert.deepEqual(p.replicas, [0]);
          assert.deepEqual(p.isr, [0]);
        }
      }
    });

    it('deletes a topic: gone from the list and from the data dir', async () => {
      // A producer of its own: KafkaJS keeps refreshing metadata for every topic it ever sent to, and
      // would fail its later sends once this topic is gone (Apache Kafka answers the same way).
      const oneOff = kafka.producer({ allowAutoTopicCreation: false });
      await oneOff.connect();
      try {
        await oneOff.send({ topic: 'kjs-doomed', messages: [{ key: 'a', value: 'x', partition: 0 }, { key: 'b', value: 'y', partition: 1 }] });
      } finally {
        await oneOff.disconnect();
      }
      assert.deepEqual((await partitionDirs(b.dataDir, 'kjs-doomed')).sort(), ['kjs-doomed-0', 'kjs-doomed-1']);
      await admin.deleteTopics({ topics: ['kjs-doomed'], timeout: 10_000 });
      assert.ok(!(await admin.listTopics()).includes('kjs-doomed'), 'deleted topic still listed');
      await waitFor(async () => (await partitionDirs(b.dataDir, 'kjs-doomed')).length === 0, {
        timeoutMs: 10_000,
        what: `the directories of kjs-doomed to leave ${b.dataDir} (still there: ${(await partitionDirs(b.dataDir, 'kjs-doomed')).join(', ')})`,
      });
    });
  });

  describe('producer', () => {
    for (const codec of CODECS) {
      it(`sends ${SENDS * PER_SEND} keyed records with headers using ${codec.name}; kcat reads them back intact`, async () => {
        const topic = `kjs-${codec.name}`;
        const nextOffset = new Map<number, number>();
        for (let s = 0; s < SENDS; s++) {
          const messages = Array.from({ length: PER_SEND }, (_, j) => {
            const i = s * PER_SEND + j;
            return { key: `key-${i}`, value: `value-${i}-${codec.name}`, headers: { idx: String(i), codec: codec.name } };
          });
          const meta = await producer.send({ topic, compression: codec.type, acks: -1, messages });
          for (const m of meta) {
            assert.equal(m.errorCode, 0);
            assert.equal(Number(m.baseOffset), nextOffset.get(m.partition) ?? 0, `send ${s}, partition ${m.partition}: base offset`);
          }
          // Each partition's next base offset is its high watermark after this send (ListOffsets latest).
          const offsets = await admin.fetchTopicOffsets(topic);
          for (const o of offsets) nextOffset.set(o.partition, Number(o.high));
        }

        const records = await kcatConsume(b.bootstrap, topic);
        const total = SENDS * PER_SEND;
        assert.equal(records.length, total);
        const seen = new Uint8Array(total);
        for (const [p, list] of byPartition(records)) {
          let previous = -1;
          list.forEach((r, n) => {
            assert.equal(r.offset, n, `partition ${p}: offsets dense from 0`);
            const i = Number(r.key.slice(4));
            assert.ok(i > previous, `partition ${p}: record ${i} after ${previous}`);
            previous = i;
            assert.equal(seen[i], 0, `record ${i} twice`);
            seen[i] = 1;
            assert.equal(r.value, `value-${i}-${codec.name}`);
            assert.equal(r.headers, `idx=${i},codec=${codec.name}`);
          });
        }
        const offsets = await admin.fetchTopicOffsets(topic);
        const parts = byPartition(records);
        for (const o of offsets) {
          assert.equal(Number(o.low), 0);
          assert.equal(Number(o.high), parts.get(o.partition)?.length ?? 0, `partition ${o.partition} high watermark`);
        }

        let batches = 0;
        for (const dir of await partitionDirs(b.dataDir, topic)) {
          for (const f of (await readdir(path.join(b.dataDir, dir))).filter((x) => x.endsWith('.log'))) {
            for (const batch of scanBatches(await readFile(path.join(b.dataDir, dir, f))).batches) {
              assert.equal(batch.compression, codec.id, `${dir}/${f}: batch at ${batch.position}`);
              batches++;
            }
          }
        }
        assert.ok(batches > 0, 'no batches on disk');
      });
    }
  });
});
