/**
 * Goal: kcat (librdkafka 2.0.2), a real and unmodified client, can produce to and consume from
 * Samsa with every codec it has (none, gzip, snappy, lz4, zstd), and its metadata views (-L, -L -J)
 * describe our broker and topics.
 *
 * Method: one in-process broker (ephemeral port, temp data dir, auto-created topics with 2
 * partitions). For each codec, a generated file of 100,000 keyed records (key:value lines, two
 * headers per record from -H) is produced with `kcat -P -l -z <codec>` into its own topic; then:
 *   - `-o beginning -e` returns every record exactly once, each partition's offsets run 0..n-1 with
 *     no gap, and within a partition the records come back in the order they were produced, with
 *     the same key, value and headers;
 *   - the segment files hold the records in batches compressed with that codec (at least 90% of
 *     them: librdkafka may send a batch plain when compressing does not shrink it), which proves
 *     the codec was really used. librdkafka decides from our ApiVersions answer whether the
 *     broker "supports" a codec and silently sends plain batches otherwise, so this is the check
 *     that catches a wrong advertisement;
 *   - `-o end -e` returns nothing;
 *   - `-o -5 -e` returns exactly the last 5 records of each partition.
 * Record count per codec can be lowered with SAMSA_E2E_KCAT_RECORDS for quick local runs.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, makeTempDir, removeDir, requireKcat, startBroker, type StartedBroker } from '../helpers/broker.js';
import { KCAT_FORMAT, byPartition, parseKcatRecords, type KcatRecord } from '../helpers/kcat.js';
import { scanBatches } from '../helpers/raw-kafka.js';

const RECORDS = Number(process.env.SAMSA_E2E_KCAT_RECORDS ?? 100_000);
const PARTITIONS = 2;
const CODECS = [
  { name: 'none', id: 0 },
  { name: 'gzip', id: 1 },
  { name: 'snappy', id: 2 },
  { name: 'lz4', id: 3 },
  { name: 'zstd', id: 4 },
] as const;
const keyOf = (i: number): string => `key-${i}`;
const valueOf = (codec: string, i: number): string => `value-${i}-${codec}-${'abcdefghij'.repeat(1 + (i % 4))}`;
const headersOf = (codec: string): string => `source=samsa-e2e,codec=${codec}`;

describe('kcat against Samsa', () => {
  let b: StartedBroker;
  let work: string;
  const kcatBase = (): string[] => ['-b', `127.0.0.1:${b.port}`, '-m', '15', '-q'];

  before(async () => {
    await requireKcat();
    b = await startBroker({ overrides: [`num.partitions=${PARTITIONS}`, 'auto.create.topics.enable=true'] });
    work = await makeTempDir('samsa-e2e-kcat-');
  });

  after(async () => {
    await b?.stop();
    if (work) await removeDir(work);
  });

  for (const codec of CODECS) {
    describe(`codec ${codec.name}`, () => {
      const topic = `kcat-${codec.name}`;
      /** Partition sizes as consumed from the beginning, for the tail checks. */
      const sizes = new Map<number, number>();
      let all: KcatRecord[] = [];

      it(`produces ${RECORDS} keyed records with headers (-P -l -K: -H -z ${codec.name})`, async () => {
        const file = path.join(work, `${codec.name}.txt`);
        const lines: string[] = [];
        for (let i = 0; i < RECORDS; i++) lines.push(`${keyOf(i)}:${valueOf(codec.name, i)}`);
        await writeFile(file, lines.join('\n') + '\n');
        await kcat(
          [...kcatBase(), '-P', '-t', topic, '-K', ':', '-H', 'source=samsa-e2e', '-H', `codec=${codec.name}`, '-z', codec.name,
            '-X', 'message.timeout.ms=60000', '-l', file],
          { timeoutMs: 120_000 },
        );
      });

      it('consumes all of them from the beginning, in order per partition, with keys and headers', async () => {
        const r = await kcat([...kcatBase(), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', KCAT_FORMAT], { timeoutMs: 120_000 });
        all = parseKcatRecords(r.stdout);
        assert.equal(all.length, RECORDS, `expected ${RECORDS} records, got ${all.length}`);
        const seen = new Uint8Array(RECORDS);
        const parts = byPartition(all);
        assert.ok(parts.size >= 1 && parts.size <= PARTITIONS, `records came from partitions ${[...parts.keys()]}`);
        for (const [p, list] of parts) {
          sizes.set(p, list.length);
          let previousIndex = -1;
          list.forEach((rec, n) => {
            assert.equal(rec.offset, n, `partition ${p}: record #${n} has offset ${rec.offset} (offsets must be dense from 0)`);
            const i = Number(rec.key.slice('key-'.length));
            assert.ok(Number.isInteger(i) && i >= 0 && i < RECORDS, `partition ${p} offset ${n}: unexpected key ${rec.key}`);
            assert.ok(i > previousIndex, `partition ${p} offset ${n}: record ${i} came after ${previousIndex} (produce order lost)`);
            previousIndex = i;
            assert.equal(seen[i], 0, `record ${i} consumed twice`);
            seen[i] = 1;
            assert.equal(rec.value, valueOf(codec.name, i), `partition ${p} offset ${n}: value`);
            assert.equal(rec.headers, headersOf(codec.name), `partition ${p} offset ${n}: headers`);
          });
        }
      });

      it(`stores the producer's ${codec.name} batches as they came`, async () => {
        // librdkafka may send a batch uncompressed when compressing would not make it smaller;
        // our records compress well, so nearly all of them must sit in ${codec.name} batches.
        let inCodec = 0;
        let total = 0;
        for (const dir of await readdir(b.dataDir)) {
          if (!dir.startsWith(`${topic}-`)) continue;
          for (const f of await readdir(path.join(b.dataDir, dir))) {
            if (!f.endsWith('.log')) continue;
            const { batches } = scanBatches(await readFile(path.join(b.dataDir, dir, f)));
            for (const batch of batches) {
              assert.ok(
                batch.compression === codec.id || batch.compression === 0,
                `${dir}/${f} batch at ${batch.position} uses codec ${batch.compression}`,
              );
              if (batch.compression === codec.id) inCodec += batch.recordCount;
              total += batch.recordCount;
            }
          }
        }
        assert.equal(total, RECORDS, `records in the segment files of ${topic} under ${b.dataDir}`);
        assert.ok(inCodec >= 0.9 * total, `only ${inCodec} of ${total} records are stored in ${codec.name} batches (the producer sent them uncompressed?)`);
      });

      it('returns nothing when starting at the end (-o end -e)', async () => {
        const r = await kcat([...kcatBase(), '-C', '-t', topic, '-o', 'end', '-e', '-f', KCAT_FORMAT], { timeoutMs: 30_000 });
        assert.equal(r.stdout, '');
      });

      it('returns exactly the last 5 records of each partition (-o -5 -e)', async () => {
        assert.ok(sizes.size > 0, 'needs the consume-from-beginning test to have run');
        const r = await kcat([...kcatBase(), '-C', '-t', topic, '-o', '-5', '-e', '-f', KCAT_FORMAT], { timeoutMs: 30_000 });
        const tail = byPartition(parseKcatRecords(r.stdout));
        const full = byPartition(all);
        assert.deepEqual([...tail.keys()].sort(), [...full.keys()].sort());
        for (const [p, list] of tail) {
          const expected = full.get(p)!.slice(-5);
          assert.deepEqual(list, expected, `partition ${p}: tail`);
        }
      });
    });
  }

  it('kcat -J consume shows key, payload, headers and partition of the last records', async () => {
    const r = await kcat([...kcatBase(), '-C', '-J', '-t', 'kcat-none', '-p', '0', '-o', '-2', '-e'], { timeoutMs: 30_000 });
    const msgs = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(msgs.length, 2);
    for (const m of msgs) {
      assert.equal(m.topic, 'kcat-none');
      assert.equal(m.partition, 0);
      assert.equal(typeof m.offset, 'number');
      assert.match(String(m.key), /^key-\d+$/);
      const i = Number(String(m.key).slice(4));
      assert.equal(m.payload, valueOf('none', i));
      assert.deepEqual(m.headers, ['source', 'samsa-e2e', 'codec', 'none']);
      assert.ok(typeof m.ts === 'number' && m.ts > 1_600_000_000_000, `timestamp ${String(m.ts)}`);
    }
    assert.equal((msgs[1]!.offset as number) - (msgs[0]!.offset as number), 1);
  });

  it('kcat -L lists the broker and every topic with its partitions', async () => {
    const r = await kcat([...kcatBase(), '-L']);
    assert.match(r.stdout, new RegExp(`1 brokers:\\s+broker 0 at 127\\.0\\.0\\.1:${b.port}`));
    for (const c of CODECS) {
      assert.match(r.stdout, new RegExp(`topic "kcat-${c.name}" with ${PARTITIONS} partitions:`));
    }
    assert.match(r.stdout, /partition 0, leader 0, replicas: 0, isrs: 0/);
  });

  it('kcat -L -J gives JSON metadata: brokers, controller, topics, leaders, replicas, ISR', async () => {
    const r = await kcat([...kcatBase(), '-L', '-J']);
    const md = JSON.parse(r.stdout) as {
      brokers: Array<{ id: number; name: string }>;
      controllerid: number;
      topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
    };
    assert.deepEqual(md.brokers, [{ id: 0, name: `127.0.0.1:${b.port}` }]);
    assert.equal(md.controllerid, 0);
    for (const c of CODECS) {
      const t = md.topics.find((x) => x.topic === `kcat-${c.name}`);
      assert.ok(t, `topic kcat-${c.name} missing from ${r.stdout}`);
      assert.deepEqual(
        t.partitions.map((p) => p.partition).sort(),
        Array.from({ length: PARTITIONS }, (_, i) => i),
      );
      for (const p of t.partitions) {
        assert.equal(p.leader, 0);
        assert.deepEqual(p.replicas, [{ id: 0 }]);
        assert.deepEqual(p.isrs, [{ id: 0 }]);
      }
    }
  });
});
