/**
 * Goal: kafka-reassign-partitions over --bootstrap-server (AlterPartitionReassignments and
 * ListPartitionReassignments, KIP-455) moves a partition between brokers while a producer runs,
 * with no acknowledged record lost; --throttle slows the move to the rate given (the leader and
 * follower replication throttles are honoured) and --verify removes the throttle afterwards;
 * --list shows a move in progress; --cancel puts a partition back on its original replicas; the
 * errors Kafka's tool gives (unknown broker, no reassignment to cancel) come out the same way.
 *
 * Method: three brokers and a real ZooKeeper (test/helpers/cluster.ts), the real bin/ tools. The
 * topic starts on [0,1] with about 2 MB preloaded, so a move throttled to 400 KB/s must take
 * seconds (checked loosely: at least half the bytes/rate bound) where an unthrottled one takes a
 * fraction of a second. A kafkajs producer (acks=all, retries) sends numbered records during the
 * move; afterwards kcat reads the partition: every acknowledged number must be there. The cancel
 * case moves the partition again under a 1 KB/s throttle, so it stays in progress until cancelled.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, makeTempDir, removeDir, requireKcat, sleep } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { lines, tool, toolOk } from '../cli/tools.js';

const TOPIC = 'moving';
const PRELOAD_RECORDS = 2000;
const PRELOAD_VALUE = 'p'.repeat(1000);
const THROTTLE_BYTES_PER_SEC = 400_000;

describe('kafka-reassign-partitions --bootstrap-server: move with a producer running, throttle, list, cancel', () => {
  let c: Cluster;
  let dir: string;
  const plan = (replicas: number[]): string => JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas }] });
  const reassign = (...args: string[]) => tool('kafka-reassign-partitions', ['--bootstrap-server', c.bootstrap, ...args]);

  before(async () => {
    await requireKcat();
    c = await startCluster({ brokers: 3 });
    dir = await makeTempDir('samsa-reassign-bootstrap-');
  });
  after(async () => {
    await c?.stopAll();
    if (dir) await removeDir(dir);
  });

  it('preloads ~2 MB on [0,1]; --list finds nothing to report', async () => {
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', c.bootstrap, '--topic', TOPIC, '--replica-assignment', '0:1']);
    await c.waitForPartition(TOPIC, 0, (p) => p.leader >= 0 && p.isr.length === 2, 'leader and both replicas in sync');
    const input = Array.from({ length: PRELOAD_RECORDS }, () => PRELOAD_VALUE).join('\n');
    await kcat(['-b', c.bootstrap, '-q', '-P', '-t', TOPIC, '-p', '0', '-X', 'acks=all', '-X', 'message.timeout.ms=30000'], { input: `${input}\n`, timeoutMs: 60_000 });
    const r = await reassign('--list');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'No partition reassignments found.\n');
  });

  it('refuses a plan naming a broker that does not exist, as Kafka does', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, plan([1, 7]));
    const r = await reassign('--execute', '--reassignment-json-file', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^The proposed assignment contains non-existent brokerIDs: 7$/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it('--execute --throttle moves [0,1] → [1,2] while a producer runs: throttled, listed, verified, nothing lost', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    await producer.connect();
    const acked: number[] = [];
    let stop = false;
    const produceLoop = (async () => {
      for (let n = 0; !stop && n < 100_000; n += 5) {
        const numbers = [n, n + 1, n + 2, n + 3, n + 4];
        try {
          await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: numbers.map((x) => ({ partition: 0, value: `n${x}` })) });
          acked.push(...numbers);
        } catch {
          // Not acknowledged: may or may not be stored; only acknowledged records are checked.
        }
        await sleep(20);
      }
    })();

    const file = path.join(dir, 'move.json');
    await writeFile(file, plan([1, 2]));
    const startedMs = Date.now();
    const ex = await reassign('--execute', '--reassignment-json-file', file, '--throttle', String(THROTTLE_BYTES_PER_SEC));
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /"replicas":\[0,1\]/);
    assert.match(ex.stdout, /^Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed\.$/m);
    assert.match(ex.stdout, new RegExp(`^The inter-broker throttle limit was set to ${THROTTLE_BYTES_PER_SEC} B/s$`, 'm'));
    assert.match(ex.stdout, /^Successfully started partition reassignments for moving-0$/m);

    // The throttle is in place as dynamic configs: broker rates and the topic's throttled replicas.
    const broker2 = await toolOk('kafka-configs', ['--bootstrap-server', c.bootstrap, '--entity-type', 'brokers', '--entity-name', '2', '--describe']);
    assert.match(broker2.stdout, new RegExp(`^ {2}follower\\.replication\\.throttled\\.rate=${THROTTLE_BYTES_PER_SEC} `, 'm'));
    const topicCfg = await toolOk('kafka-configs', ['--bootstrap-server', c.bootstrap, '--entity-type', 'topics', '--entity-name', TOPIC, '--describe']);
    assert.match(topicCfg.stdout, /^ {2}follower\.replication\.throttled\.replicas=0:2 /m);
    assert.match(topicCfg.stdout, /^ {2}leader\.replication\.throttled\.replicas=0:0,0:1 /m);

    const listed = await reassign('--list');
    assert.match(listed.stdout, /^Current partition reassignments:\nmoving-0: replicas: [0-2,]+\. adding: 2\. removing: 0\.$/m);

    let last = '';
    for (;;) {
      const v = await reassign('--verify', '--reassignment-json-file', file);
      assert.equal(v.code, 0, v.stderr);
      last = v.stdout;
      if (/^Reassignment of partition moving-0 is completed\.$/m.test(last)) break;
      assert.match(last, /^Reassignment of partition moving-0 is still in progress\.$/m);
      assert.ok(Date.now() - startedMs < 60_000, `not completed after 60 s:\n${last}`);
      await sleep(300);
    }
    const tookMs = Date.now() - startedMs;
    const boundMs = ((PRELOAD_RECORDS * PRELOAD_VALUE.length) / THROTTLE_BYTES_PER_SEC) * 1000;
    process.stdout.write(`# throttled move of ~${PRELOAD_RECORDS * PRELOAD_VALUE.length} bytes took ${tookMs} ms (bytes/rate = ${boundMs} ms)\n`);
    assert.ok(tookMs >= boundMs * 0.5, `the throttle held the move back (${tookMs} ms for a ${boundMs} ms bound)`);
    assert.match(last, /^Clearing broker-level throttles on brokers 0,1,2$/m);
    assert.match(last, /^Clearing topic-level throttles on topic moving$/m);
    const cleared = await toolOk('kafka-configs', ['--bootstrap-server', c.bootstrap, '--entity-type', 'brokers', '--entity-name', '2', '--describe']);
    assert.deepEqual(lines(cleared.stdout), ['Dynamic configs for broker 2 are:']);

    stop = true;
    await produceLoop;
    await producer.disconnect();
    const p = await c.waitForPartition(TOPIC, 0, (x) => x.replicas.length === 2 && x.replicas.includes(1) && x.replicas.includes(2) && x.leader >= 1, 'replicas [1,2]');
    assert.deepEqual(p.replicas, [1, 2]);
    const stored = new Set((await kcatConsume(c.bootstrap, TOPIC, { timeoutMs: 60_000 })).map((r) => r.value));
    const lost = acked.filter((n) => !stored.has(`n${n}`));
    process.stdout.write(`# acknowledged during the move: ${acked.length}, lost: ${lost.length}\n`);
    assert.ok(acked.length > 0, 'the producer made progress during the move');
    assert.deepEqual(lost, [], 'no acknowledged record is lost');
  });

  it('--cancel puts a partition in progress back on its original replicas', async () => {
    const file = path.join(dir, 'back.json');
    await writeFile(file, plan([0, 1]));
    const ex = await reassign('--execute', '--reassignment-json-file', file, '--throttle', '1000');
    assert.equal(ex.code, 0, ex.stderr);
    const listed = await reassign('--list');
    assert.match(listed.stdout, /^moving-0: replicas: .*\. adding: [01,]+\. removing: [12,]+\.$/m);
    const cancelled = await reassign('--cancel', '--reassignment-json-file', file);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout, 'Successfully cancelled partition reassignments for: moving-0\n');
    const p = await c.waitForPartition(TOPIC, 0, (x) => x.replicas.length === 2, 'back on two replicas');
    assert.deepEqual([...p.replicas].sort(), [1, 2], 'the original replicas');
    assert.equal((await reassign('--list')).stdout, 'No partition reassignments found.\n');
    const again = await reassign('--cancel', '--reassignment-json-file', file);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, 'None of the specified partition reassignments are active.\n');
    // --cancel cleared the throttle it does not preserve.
    const cleared = await toolOk('kafka-configs', ['--bootstrap-server', c.bootstrap, '--entity-type', 'brokers', '--entity-name', '0', '--describe']);
    assert.deepEqual(lines(cleared.stdout), ['Dynamic configs for broker 0 are:']);
  });
});
