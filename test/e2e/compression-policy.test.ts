/**
 * Goal: the topic-level `compression.type` is honoured: a codec name makes the broker recompress
 * batches that arrive with another codec; `producer` (the default) keeps what the producer sent.
 * Method: an in-process broker; topics created by kafkajs admin with compression.type zstd,
 * uncompressed and producer; kcat produces 2,000 keyed records with a different codec into each;
 * the segment files are scanned for the codec of every stored batch, and kcat reads every record
 * back unchanged.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { kcat, makeTempDir, removeDir, requireKcat, runOk, startBroker, type StartedBroker } from '../helpers/broker.js';
import { scanBatches } from '../helpers/raw-kafka.js';

const RECORDS = 2000;
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

const cases = [
  { topic: 'policy-zstd', policy: 'zstd', produceWith: 'none', storedCodec: CODEC_IDS.zstd! },
  { topic: 'policy-uncompressed', policy: 'uncompressed', produceWith: 'gzip', storedCodec: CODEC_IDS.none! },
  { topic: 'policy-lz4', policy: 'lz4', produceWith: 'snappy', storedCodec: CODEC_IDS.lz4! },
  { topic: 'policy-producer', policy: 'producer', produceWith: 'gzip', storedCodec: CODEC_IDS.gzip! },
];

describe('topic compression.type', () => {
  let b: StartedBroker;
  let work: string;

  before(async () => {
    await requireKcat();
    b = await startBroker();
    work = await makeTempDir('samsa-compression-');
    const admin = new Kafka({ brokers: [b.bootstrap], clientId: 'compression-policy', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: cases.map((c) => ({ topic: c.topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: c.policy }] })),
      });
    } finally {
      await admin.disconnect();
    }
  });

  after(async () => {
    await b?.stop();
    if (work) await removeDir(work);
  });

  for (const c of cases) {
    it(`${c.policy}: ${c.produceWith} batches are stored as codec ${c.storedCodec} and read back unchanged`, async () => {
      const file = path.join(work, `${c.topic}.txt`);
      const lines: string[] = [];
      for (let i = 0; i < RECORDS; i++) lines.push(`k${i}:value-${i}-${'xyz'.repeat(1 + (i % 5))}`);
      await writeFile(file, lines.join('\n') + '\n');
      await runOk('kcat', ['-b', b.bootstrap, '-P', '-t', c.topic, '-K', ':', '-z', c.produceWith, '-l', file], { timeoutMs: 60_000 });

      let stored = 0;
      const dir = path.join(b.dataDir, `${c.topic}-0`);
      for (const f of await readdir(dir)) {
        if (!f.endsWith('.log')) continue;
        const { batches, trailingBytes } = scanBatches(await readFile(path.join(dir, f)));
        assert.equal(trailingBytes, 0, `${f}: no partial batch`);
        for (const batch of batches) {
          assert.equal(batch.compression, c.storedCodec, `${f} batch at ${batch.position} has codec ${batch.compression}`);
          stored += batch.recordCount;
        }
      }
      assert.equal(stored, RECORDS);

      const out = await kcat(['-b', b.bootstrap, '-C', '-t', c.topic, '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n'], { timeoutMs: 60_000 });
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(out.stdout.trimEnd().split('\n'), lines);
    });
  }
});
