/**
 * Goal: partition reassignment in ZooKeeper mode moves the data. A topic with replication factor 2
 * on brokers [0,1] gets N records (acks=all); `kafka-reassign-partitions --execute --zookeeper`
 * moves it to [1,2]; `--verify` reports it completed within 30 s; Metadata shows replicas [1,2]
 * with ISR ⊆ {1,2}; broker 0's copy (its partition directory) is deleted; every record is still
 * consumable — and still is after kill -9 of broker 1, read from broker 2 alone.
 *
 * Method: test/helpers/cluster.ts (real ZooKeeper, three broker processes), the real bin/ tools,
 * kcat as the client. --generate is checked for its two headings and JSON.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, makeTempDir, removeDir, requireKcat, sleep } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { lines, toolOk } from '../cli/tools.js';

const TOPIC = 'moving';
const N = 200;
const RECORDS = Array.from({ length: N }, (_, i) => `record-${i}`);

/**
 * Every record, read with kcat -e. Right after a leader change the new leader's high watermark may
 * still be the one it knew as a follower (it advances once its followers fetch in the new epoch,
 * as in Kafka), so kcat may stop early: read again until all N are visible (bounded).
 */
async function consumeAll(bootstrap: string): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = (await kcatConsume(bootstrap, TOPIC, { timeoutMs: 30_000 })).map((r) => r.value);
    if (got.length >= N || Date.now() > deadline) return got;
    await sleep(200);
  }
}

describe('kafka-reassign-partitions: move a replicated partition from [0,1] to [1,2]', () => {
  let c: Cluster;
  let dir: string;
  let planFile: string;

  before(async () => {
    await requireKcat();
    c = await startCluster({ brokers: 3 });
    dir = await makeTempDir('samsa-reassign-');
    planFile = path.join(dir, 'reassign.json');
    await writeFile(planFile, JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [1, 2] }] }));
  });
  after(async () => {
    await c?.stopAll();
    if (dir) await removeDir(dir);
  });

  it('creates the topic on [0,1] and produces with acks=all', async () => {
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', c.bootstrap, '--topic', TOPIC, '--replica-assignment', '0:1']);
    await c.waitForPartition(TOPIC, 0, (p) => p.leader >= 0 && p.isr.length === 2, 'leader and both replicas in sync');
    await kcat(['-b', c.bootstrap, '-q', '-P', '-t', TOPIC, '-p', '0', '-X', 'acks=all', '-X', 'message.timeout.ms=20000'], { input: `${RECORDS.join('\n')}\n`, timeoutMs: 30_000 });
    assert.ok(existsSync(path.join(c.broker(0).dataDir, `${TOPIC}-0`)), 'broker 0 holds a copy before the move');
    assert.ok(!existsSync(path.join(c.broker(2).dataDir, `${TOPIC}-0`)), 'broker 2 holds none');
  });

  it('--generate prints the current and a proposed assignment', async () => {
    const topicsFile = path.join(dir, 'topics.json');
    await writeFile(topicsFile, JSON.stringify({ topics: [{ topic: TOPIC }], version: 1 }));
    const r = await toolOk('kafka-reassign-partitions', ['--zookeeper', c.zookeeperConnect, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '1,2']);
    const l = lines(r.stdout).filter((x) => x !== '');
    assert.equal(l[0], 'Current partition replica assignment');
    assert.deepEqual(JSON.parse(l[1]!), { version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [0, 1], log_dirs: ['any', 'any'] }] });
    assert.equal(l[2], 'Proposed partition reassignment configuration');
    const proposed = JSON.parse(l[3]!) as { partitions: Array<{ replicas: number[] }> };
    assert.deepEqual([...proposed.partitions[0]!.replicas].sort(), [1, 2]);
  });

  it('--execute then --verify until completed (≤ 30 s); metadata shows [1,2]; broker 0 deleted its copy', async () => {
    const ex = await toolOk('kafka-reassign-partitions', ['--zookeeper', c.zookeeperConnect, '--execute', '--reassignment-json-file', planFile]);
    assert.match(ex.stdout, /^Current partition replica assignment$/m);
    assert.match(ex.stdout, /"replicas":\[0,1\]/);
    assert.match(ex.stdout, /^Successfully started partition reassignments for moving-0$/m);
    const started = Date.now();
    let last = '';
    for (;;) {
      const v = await toolOk('kafka-reassign-partitions', ['--zookeeper', c.zookeeperConnect, '--verify', '--reassignment-json-file', planFile]);
      last = v.stdout;
      assert.match(last, /^Status of partition reassignment:$/m);
      if (/^Reassignment of partition moving-0 is completed\.$/m.test(last)) break;
      assert.match(last, /^Reassignment of partition moving-0 is still in progress\.$/m);
      assert.ok(Date.now() - started < 30_000, `not completed after 30 s:\n${last}`);
      await sleep(300);
    }
    process.stdout.write(`# reassignment completed after ${Date.now() - started} ms\n`);
    const p = await c.waitForPartition(TOPIC, 0, (x) => x.replicas.length === 2 && x.leader >= 1, 'replicas [1,2] with a leader', 15_000);
    assert.deepEqual(p.replicas, [1, 2]);
    assert.ok(p.isr.length > 0 && p.isr.every((id) => id === 1 || id === 2), `ISR ${p.isr} ⊆ {1,2}`);
    assert.ok([1, 2].includes(p.leader));
    const gone = path.join(c.broker(0).dataDir, `${TOPIC}-0`);
    for (let i = 0; existsSync(gone) && i < 50; i++) await sleep(100);
    assert.ok(!existsSync(gone), 'broker 0 deleted its copy');
    assert.ok(existsSync(path.join(c.broker(2).dataDir, `${TOPIC}-0`)), 'broker 2 holds a copy');
  });

  it('every record is consumable; after kill -9 of broker 1, still every record, from broker 2', async () => {
    assert.deepEqual(await consumeAll(c.bootstrap), RECORDS);
    await c.waitForPartition(TOPIC, 0, (x) => x.isr.includes(1) && x.isr.includes(2), 'both new replicas in sync', 15_000);
    await c.kill(1);
    await c.waitForPartition(TOPIC, 0, (x) => x.leader === 2, 'broker 2 leads', 20_000);
    assert.deepEqual(await consumeAll(c.broker(2).bootstrap), RECORDS);
  });
});
