/**
 * Goal: `--zookeeper host:port` is honoured as the issue asks: where brokers are registered in that
 * ZooKeeper (under /brokers/ids/<id>, Kafka's JSON with endpoints/host/port) the tools find them
 * and work — the walkthrough's `kafka-topics --create/--list/--delete --zookeeper` and
 * `kafka-console-consumer --zookeeper … --from-beginning`; where nothing answers, the tool says so
 * in one line and suggests --bootstrap-server; where ZooKeeper answers but no broker is
 * registered, it says that.
 *
 * Method: a real ZooKeeper (Debian's package, started by test/helpers/cluster.ts) and an in-process
 * broker. The broker's registration is written by the test itself (as a ZooKeeper-mode broker
 * would write it) under a chroot of its own, so this tests the tools' lookup independently of the
 * cluster mode. A missing ZooKeeper installation fails the test with the package to install.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { makeTempDir, removeDir, startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { startZooKeeper, type ZooKeeperEnsemble } from '../helpers/cluster.js';
import { assertLines, BIN, closedPort, lines, tool, toolOk } from './tools.js';

/** A port p such that p, p+1, … p+n-1 are all free right now. */
async function freePortRun(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await closedPort();
    if (base + n > 65535) continue;
    const servers: net.Server[] = [];
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const s = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(base + i, () => resolve(true));
      });
      if (ok) servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return base;
  }
  throw new Error('no run of free ports found');
}

function zkCall<T>(fn: (cb: (err: Error | zookeeper.Exception | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(new Error(String(err))) : resolve(v))));
}

describe('--zookeeper in the Kafka tools', () => {
  let dir: string;
  let zk: ZooKeeperEnsemble;
  let b: StartedBroker;
  let connect: string;

  before(async () => {
    dir = await makeTempDir('samsa-cli-zk-');
    zk = await startZooKeeper({ dir });
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0'] });
    const client = zookeeper.createClient(zk.connect);
    await new Promise<void>((resolve) => {
      client.once('connected', () => resolve());
      client.connect();
    });
    const registration = JSON.stringify({
      listener_security_protocol_map: { PLAINTEXT: 'PLAINTEXT' },
      endpoints: [`PLAINTEXT://127.0.0.1:${b.port}`],
      jmx_port: -1,
      host: '127.0.0.1',
      timestamp: String(Date.now()),
      port: b.port,
      version: 5,
    });
    await zkCall<string>((cb) => client.mkdirp('/samsa-cli/brokers/ids', cb));
    await zkCall<string>((cb) => client.create('/samsa-cli/brokers/ids/0', Buffer.from(registration), cb));
    await zkCall<string>((cb) => client.mkdirp('/samsa-cli-empty/brokers/ids', cb));
    client.close();
    connect = `${zk.connect}/samsa-cli`;
  });
  after(async () => {
    await b?.stop();
    await zk?.stop();
    if (dir) await removeDir(dir);
  });

  it('runs the walkthrough commands with --zookeeper', async () => {
    let r = await toolOk('kafka-topics', ['--create', '--zookeeper', connect, '--replication-factor', '1', '--partitions', '1', '--topic', 'test']);
    assert.equal(r.stdout, 'Created topic test.\n');
    r = await toolOk('kafka-topics', ['--list', '--zookeeper', connect]);
    assert.ok(lines(r.stdout).includes('test'));
    r = await tool('kafka-topics', ['--delete', '--zookeeper', connect, '--topic', 'entere']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "Error while executing topic command : Topic 'entere' does not exist as expected\n");
    await toolOk('kafka-console-producer', ['--broker-list', b.bootstrap, '--topic', 'test'], { input: 'This is a message\nThis is another message\n' });
    r = await toolOk('kafka-console-consumer', ['--zookeeper', connect, '--topic', 'test', '--from-beginning', '--max-messages', '2']);
    assert.equal(r.stdout, 'This is a message\nThis is another message\n');
    assert.equal(r.stderr, 'Processed a total of 2 messages\n');
    r = await toolOk('kafka-topics', ['--describe', '--zookeeper', connect, '--topic', 'test']);
    assertLines(r.stdout, [/^Topic: test\tTopicId: \S{22}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: .*$/, /^\tTopic: test\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0$/], 'describe');
  });

  it('samsa cluster start runs three brokers that the tools find through ZooKeeper; one Ctrl-C stops them', async () => {
    const base = await freePortRun(3);
    const zkConnect = `${zk.connect}/samsa-cli-cluster`;
    const child = spawn(path.join(BIN, 'samsa'), ['cluster', 'start', '--brokers', '3', '--zookeeper', zkConnect, '--base-port', String(base), '--data-dir', path.join(dir, 'cluster')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (x: string) => (out += x));
    child.stderr!.setEncoding('utf8').on('data', (x: string) => (out += x));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /Bootstrap servers/.test(out) || child.exitCode !== null, { timeoutMs: 30_000, what: `the cluster banner; output so far:\n${out.slice(-3000)}` });
      assert.equal(child.exitCode, null, out);
      assert.match(out, new RegExp(`Bootstrap servers +localhost:${base},localhost:${base + 1},localhost:${base + 2}`));
      // The walkthrough's replicated topic, through --zookeeper.
      let r = await toolOk('kafka-topics', ['--create', '--zookeeper', zkConnect, '--replication-factor', '3', '--partitions', '1', '--topic', 'my-replicated-topic']);
      assert.equal(r.stdout, 'Created topic my-replicated-topic.\n');
      r = await toolOk('kafka-topics', ['--describe', '--zookeeper', zkConnect, '--topic', 'my-replicated-topic']);
      assertLines(
        r.stdout,
        [
          /^Topic: my-replicated-topic\tTopicId: \S{22}\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: .*$/,
          /^\tTopic: my-replicated-topic\tPartition: 0\tLeader: [012]\tReplicas: [012],[012],[012]\tIsr: [012],[012],[012]$/,
        ],
        'replicated describe',
      );
    } finally {
      child.kill('SIGINT');
    }
    const code = await withTimeout(exited, 30_000, 'samsa cluster start to stop after one SIGINT');
    assert.equal(code, 0, out);
    assert.match(out, /stopped \(exit codes 0, 0, 0\)/);
  });

  it('says when ZooKeeper answers but no broker is registered', async () => {
    const r = await tool('kafka-topics', ['--list', '--zookeeper', `${zk.connect}/samsa-cli-empty`]);
    assert.equal(r.code, 1);
    assertLines(
      r.stdout,
      [/^Error while executing topic command : ZooKeeper at \S+\/samsa-cli-empty answered, but no broker is registered under \/brokers\/ids: start a broker with zookeeper\.connect=\S+, or use --bootstrap-server host:port$/],
      'no brokers',
    );
  });

  it('says in one line when nothing answers, and suggests --bootstrap-server', async () => {
    const port = await closedPort();
    const started = Date.now();
    let r = await tool('kafka-topics', ['--list', '--zookeeper', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assertLines(
      r.stdout,
      [new RegExp(`^Error while executing topic command : cannot reach ZooKeeper at 127\\.0\\.0\\.1:${port} \\(nothing answered within 3 s\\); Samsa's tools talk to brokers directly: use --bootstrap-server localhost:9092 instead$`)],
      'unreachable',
    );
    assert.ok(Date.now() - started < 10_000, 'gives up after the short connect timeout');
    r = await tool('kafka-console-consumer', ['--zookeeper', `127.0.0.1:${port}`, '--topic', 'test']);
    assert.equal(r.code, 1);
    assertLines(r.stderr, [/ERROR cannot reach ZooKeeper at .* use --bootstrap-server localhost:9092 instead \(kafka\.tools\.ConsoleConsumer\$\)$/], 'consumer');
    r = await tool('kafka-topics', ['--list', '--zookeeper', `127.0.0.1:${port}`, '--bootstrap-server', b.bootstrap]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Only one of --bootstrap-server or --zookeeper must be specified\n/);
  });
});
