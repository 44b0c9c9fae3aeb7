/**
 * Goal: bin/kafka-log-dirs --describe prints Kafka 3.x's three parts ("Querying brokers for log
 * directories information", "Received log directory information from brokers …", one line of
 * JSON) and the JSON tells the truth: the broker's absolute log dir and, per partition replica, the
 * bytes its segment files hold on disk — on a single node, and in a 2-broker cluster where every
 * broker lists the replicas it follows as well as those it leads; --topic-list and --broker-list
 * filter; unknown brokers, a missing --describe and an unreachable broker fail with one line and exit 1.
 *
 * Method: an in-process broker (127.0.0.1:0, temp dir), then a 2-broker cluster of child processes
 * over a real ZooKeeper (test/helpers/cluster.ts); kcat produces; sizes are compared with the .log
 * files found in each broker's data dir.
 */
import assert from 'node:assert/strict';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { closedPort, lines, tool, toolOk } from './tools.js';

interface LogDirsJson {
  version: number;
  brokers: Array<{
    broker: number;
    logDirs: Array<{ logDir: string; error: string | null; partitions: Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }> }>;
  }>;
}

async function describeLogDirs(bootstrap: string, extra: string[] = []): Promise<{ brokersLine: string; doc: LogDirsJson }> {
  const r = await toolOk('kafka-log-dirs', ['--describe', '--bootstrap-server', bootstrap, ...extra]);
  const out = lines(r.stdout);
  assert.equal(out.length, 3, r.stdout);
  assert.equal(out[0], 'Querying brokers for log directories information');
  const doc = JSON.parse(out[2]!) as LogDirsJson;
  assert.deepEqual(Object.keys(doc), ['version', 'brokers']);
  assert.equal(doc.version, 1);
  for (const b of doc.brokers) {
    assert.deepEqual(Object.keys(b), ['broker', 'logDirs']);
    for (const d of b.logDirs) {
      assert.deepEqual(Object.keys(d), ['logDir', 'error', 'partitions']);
      for (const p of d.partitions) assert.deepEqual(Object.keys(p), ['partition', 'size', 'offsetLag', 'isFuture']);
    }
  }
  return { brokersLine: out[1]!, doc };
}

/** Bytes in the .log files of <dir>/<topic>-<partition>. */
async function bytesOnDisk(dir: string, partition: string): Promise<number> {
  const pdir = path.join(dir, partition);
  let total = 0;
  for (const f of await readdir(pdir)) if (f.endsWith('.log')) total += (await stat(path.join(pdir, f))).size;
  return total;
}

describe('kafka-log-dirs on one broker', () => {
  let b: StartedBroker;

  before(async () => {
    b = await startBroker();
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', b.bootstrap, '--topic', 'ld', '--partitions', '2']);
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', b.bootstrap, '--topic', 'ld-other', '--partitions', '1']);
    await kcat(['-P', '-b', b.bootstrap, '-t', 'ld', '-p', '0'], { input: Array.from({ length: 50 }, (_, i) => `value-${i}`).join('\n') });
    await kcat(['-P', '-b', b.bootstrap, '-t', 'ld', '-p', '1', '-z', 'gzip'], { input: 'a\nb\nc\n' });
  });
  after(async () => {
    await b?.stop();
  });

  it('describes the log dir and partition sizes as they are on disk', async () => {
    const { brokersLine, doc } = await describeLogDirs(b.bootstrap);
    assert.equal(brokersLine, 'Received log directory information from brokers 0');
    assert.equal(doc.brokers.length, 1);
    const [dir] = doc.brokers[0]!.logDirs;
    assert.equal(doc.brokers[0]!.broker, 0);
    assert.equal(dir!.logDir, path.resolve(b.dataDir));
    assert.equal(await realpath(dir!.logDir), await realpath(b.dataDir));
    assert.equal(dir!.error, null);
    const names = dir!.partitions.map((p) => p.partition);
    assert.deepEqual(names, ['ld-0', 'ld-1', 'ld-other-0']);
    for (const p of dir!.partitions) {
      assert.equal(p.size, await bytesOnDisk(b.dataDir, p.partition), p.partition);
      assert.equal(p.offsetLag, 0);
      assert.equal(p.isFuture, false);
    }
    assert.ok(dir!.partitions[0]!.size > 0 && dir!.partitions[1]!.size > 0);
    assert.equal(dir!.partitions[2]!.size, 0);
  });

  it('filters by --topic-list and --broker-list', async () => {
    const { doc } = await describeLogDirs(b.bootstrap, ['--topic-list', 'ld-other', '--broker-list', '0']);
    assert.deepEqual(
      doc.brokers[0]!.logDirs[0]!.partitions.map((p) => p.partition),
      ['ld-other-0'],
    );
    const sh = await toolOk('kafka-log-dirs.sh', ['--describe', '--bootstrap-server', b.bootstrap, '--topic-list', 'ld']);
    assert.deepEqual(
      (JSON.parse(lines(sh.stdout)[2]!) as LogDirsJson).brokers[0]!.logDirs[0]!.partitions.map((p) => p.partition),
      ['ld-0', 'ld-1'],
    );
  });

  it('fails unknown brokers, a missing --describe and an unreachable broker with one line and exit 1', async () => {
    let r = await tool('kafka-log-dirs', ['--describe', '--bootstrap-server', b.bootstrap, '--broker-list', '0,5']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), ['ERROR: The given brokers do not exist from --broker-list: 5. Current existent brokers: 0']);
    r = await tool('kafka-log-dirs', ['--bootstrap-server', b.bootstrap]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr)[0], 'Missing required argument "[describe]"');
    const port = await closedPort();
    r = await tool('kafka-log-dirs', ['--describe', '--bootstrap-server', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});

describe('kafka-log-dirs in a 2-broker cluster', () => {
  let c: Cluster;

  before(async () => {
    c = await startCluster({ brokers: 2 });
    await c.createTopic('ldc', { partitions: 2, replicationFactor: 2 });
    for (const partition of [0, 1]) {
      await kcat(['-P', '-b', c.bootstrap, '-t', 'ldc', '-p', String(partition), '-X', 'acks=all'], {
        input: Array.from({ length: 20 + partition * 10 }, (_, i) => `r${partition}-${i}`).join('\n'),
      });
    }
  });
  after(async () => {
    await c?.stopAll();
  });

  it('lists every replica on every broker, leaders and followers, with their sizes on disk', async () => {
    // Followers catch up asynchronously: wait until both brokers report the same sizes.
    const settled = await waitFor(
      async () => {
        const d = await describeLogDirs(c.bootstrap, ['--topic-list', 'ldc']);
        const sizes = d.doc.brokers.map((b) => JSON.stringify(b.logDirs[0]!.partitions.map((p) => [p.partition, p.size])));
        return sizes.length === 2 && sizes[0] === sizes[1] && !sizes[0]!.includes(',0]') ? d : null;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'both replicas of ldc to hold the same bytes' },
    );
    const { brokersLine, doc } = settled!;
    assert.equal(brokersLine, 'Received log directory information from brokers 0,1');
    assert.deepEqual(
      doc.brokers.map((b) => b.broker),
      [0, 1],
    );
    for (const b of doc.brokers) {
      const dataDir = c.broker(b.broker).dataDir;
      const [dir] = b.logDirs;
      assert.equal(await realpath(dir!.logDir), await realpath(dataDir));
      assert.deepEqual(
        dir!.partitions.map((p) => p.partition),
        ['ldc-0', 'ldc-1'],
      );
      for (const p of dir!.partitions) {
        assert.equal(p.size, await bytesOnDisk(dataDir, p.partition), `broker ${b.broker} ${p.partition}`);
        assert.equal(p.offsetLag, 0);
      }
    }
    const only1 = await describeLogDirs(c.bootstrap, ['--broker-list', '1', '--topic-list', 'ldc']);
    assert.equal(only1.brokersLine, 'Received log directory information from brokers 1');
    assert.deepEqual(
      only1.doc.brokers.map((b) => b.broker),
      [1],
    );
  });
});
