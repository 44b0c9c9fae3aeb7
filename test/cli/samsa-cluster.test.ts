/**
 * Goal: `samsa cluster start` brings up a whole cluster in one command, as rpk's `container start`
 * does: its own ZooKeeper (Debian's package, never on 2181 unasked) and three brokers, a banner with
 * the bootstrap servers, the ZooKeeper address and the data directory; a topic with replication
 * factor 3 works with a real client; one SIGINT stops every process (no broker or ZooKeeper left)
 * and exits 0; a second start with the same --dir brings back the same brokers on the same ports
 * with the topic and its records; a broker that dies is reported while the others keep running;
 * user mistakes (bad --brokers, a port in use, a directory that cannot be written, ZooKeeper not
 * installed, a second start while one runs) get one `error:` line (plus a hint), exit 1, no stack trace.
 *
 * Method: bin/samsa runs as a child process exactly as a user would run it, with `--base-port 0`
 * (free ports, so nothing here touches 9092-9094 or 2181) and a temp --dir. Topics are created with
 * bin/kafka-topics, records produced and consumed with kcat. Which processes belong to the cluster
 * is read from /proc (command lines containing the temp dir), independently of the command's own
 * bookkeeping. "ZooKeeper not installed" is simulated with ZOOKEEPER_JAR pointing at no file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, makeTempDir, removeDir, requireKcat, sleep, waitFor, withTimeout } from '../helpers/broker.js';
import { fourLetterWord } from '../helpers/cluster.js';
import { BIN, tool, toolOk } from './tools.js';

/** pid and command line of every process whose command line mentions `needle`. */
function processesMentioning(needle: string): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // the process ended while we looked
    }
    if (cmdline.includes(needle)) found.push({ pid: Number(name), cmdline });
  }
  return found;
}

const brokerProcs = (dir: string) => processesMentioning(dir).filter((p) => p.cmdline.includes('main.js'));
const zookeeperProcs = (dir: string) => processesMentioning(dir).filter((p) => p.cmdline.includes('QuorumPeerMain'));

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  bootstrap: string;
  zookeeper: string;
}

/** Starts `samsa cluster start` and waits for its banner. */
async function startCluster(args: string[]): Promise<Run> {
  const child = spawn(path.join(BIN, 'samsa'), ['cluster', 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (x: string) => (out += x));
  child.stderr!.setEncoding('utf8').on('data', (x: string) => (out += x));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => /Stop all with Ctrl-C/.test(out) || child.exitCode !== null, { timeoutMs: 40_000, what: `the cluster banner; output so far:\n${out.slice(-3000)}` });
  assert.equal(child.exitCode, null, `samsa cluster start exited early:\n${out}`);
  const bootstrap = /Bootstrap servers +(\S+)/.exec(out)?.[1];
  const zookeeper = /ZooKeeper +(\S+) \(started by samsa\)/.exec(out)?.[1];
  assert.ok(bootstrap && zookeeper, `banner names the bootstrap servers and ZooKeeper:\n${out}`);
  return { child, output: () => out, exited, bootstrap, zookeeper };
}

/** One SIGINT; asserts exit code 0 and a clean stop of brokers and ZooKeeper; returns the output. */
async function interrupt(run: Run, brokerCodes: string): Promise<string> {
  const started = Date.now();
  run.child.kill('SIGINT');
  const code = await withTimeout(run.exited, 40_000, 'samsa cluster start to stop after one SIGINT');
  const out = run.output();
  assert.equal(code, 0, out);
  assert.match(out, new RegExp(`brokers stopped \\(exit codes ${brokerCodes}\\)\\nZooKeeper stopped\\n`));
  // In parallel, not one by one waiting on each other: well under the 15 s a stuck controlled shutdown takes.
  assert.ok(Date.now() - started < 12_000, `stopped in ${Date.now() - started} ms`);
  return out;
}

const portOf = (hostPort: string): number => Number(hostPort.split(':').pop());

describe('samsa cluster start', () => {
  let tmp: string;
  let dir: string;
  let first: Run | undefined;
  let second: Run | undefined;
  const records = ['one', 'two', 'three', 'four', 'five'];

  before(async () => {
    await requireKcat();
    tmp = await makeTempDir('samsa-cli-cluster-');
    dir = path.join(tmp, 'cluster');
  });
  after(async () => {
    for (const r of [first, second]) if (r && r.child.exitCode === null) r.child.kill('SIGKILL');
    // Whatever a failed test left behind: no process of this cluster may outlive the test.
    for (const p of processesMentioning(tmp)) process.kill(p.pid, 'SIGKILL');
    if (tmp) await removeDir(tmp);
  });

  it('starts ZooKeeper and three brokers, serves a replicated topic to kcat, and one SIGINT stops every process', async () => {
    first = await startCluster(['--brokers', '3', '--dir', dir, '--base-port', '0']);
    const out = first.output();
    assert.match(out, new RegExp(`Data directory +${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    const ports = first.bootstrap.split(',').map(portOf);
    assert.equal(ports.length, 3);
    const zkPort = portOf(first.zookeeper);
    for (const p of [...ports, zkPort]) assert.ok(![9092, 9093, 9094, 2181].includes(p), `port ${p} is not a well-known one`);
    assert.match(await fourLetterWord(zkPort, 'srvr'), /Mode: standalone/);
    assert.equal(brokerProcs(dir).length, 3, 'three broker processes');
    assert.equal(zookeeperProcs(dir).length, 1, 'one ZooKeeper process');
    assert.ok(existsSync(path.join(dir, 'zookeeper', 'version-2')), 'ZooKeeper keeps its data under the cluster dir');
    // Each broker's admin listener (console, /metrics) is named in the banner and answers.
    const adminUrls = [...(/Console, metrics +(.*)\n/.exec(out)?.[1] ?? '').matchAll(/http:\/\/localhost:(\d+)/g)].map((m) => `http://127.0.0.1:${m[1]}`);
    assert.equal(adminUrls.length, 3, `three admin URLs in the banner:\n${out}`);
    for (const url of adminUrls) assert.equal((await fetch(`${url}/health`)).status, 200, `${url}/health`);

    await toolOk('kafka-topics', ['--create', '--bootstrap-server', first.bootstrap, '--topic', 'replicated', '--partitions', '2', '--replication-factor', '3']);
    await kcat(['-P', '-b', first.bootstrap, '-t', 'replicated', '-X', 'acks=all'], { input: `${records.join('\n')}\n` });
    const md = JSON.parse((await kcat(['-L', '-J', '-b', first.bootstrap, '-t', 'replicated'])).stdout) as {
      brokers: Array<{ id: number }>;
      topics: Array<{ partitions: Array<{ replicas: unknown[]; isrs: unknown[] }> }>;
    };
    assert.deepEqual(md.brokers.map((b) => b.id).sort(), [0, 1, 2]);
    for (const p of md.topics[0]!.partitions) assert.equal(p.replicas.length, 3);
    const consumed = (await kcat(['-C', '-b', first.bootstrap, '-t', 'replicated', '-o', 'beginning', '-e', '-q'])).stdout;
    assert.deepEqual(consumed.split('\n').filter(Boolean).sort(), [...records].sort());

    const stopOut = await interrupt(first, '0, 0, 0');
    assert.match(stopOut, /SIGINT: stopping 3 broker\(s\), then ZooKeeper…/);
    assert.doesNotMatch(stopOut, /\n\s+at /, 'no stack trace');
    assert.deepEqual(processesMentioning(tmp), [], 'no broker or ZooKeeper process is left');
    assert.equal(existsSync(path.join(dir, 'running.json')), false);
    const file = JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { brokers: Array<{ id: number; port: number }>; zookeeper: { port: number } };
    assert.deepEqual(file, { version: 1, brokers: ports.map((port, id) => ({ id, port })), zookeeper: { port: zkPort } });
  });

  it('a second start with the same --dir brings back the same brokers, ports, topic and records; a dead broker is reported and the rest keep running', async () => {
    assert.ok(first, 'runs after the first test');
    second = await startCluster(['--dir', dir]);
    assert.equal(second.bootstrap, first.bootstrap, 'same ports (they were free)');
    assert.equal(second.zookeeper, first.zookeeper);
    const described = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', second.bootstrap, '--topic', 'replicated']);
    assert.match(described.stdout, /PartitionCount: 2\tReplicationFactor: 3/);
    const consumed = (await kcat(['-C', '-b', second.bootstrap, '-t', 'replicated', '-o', 'beginning', '-e', '-q'])).stdout;
    assert.deepEqual(consumed.split('\n').filter(Boolean).sort(), [...records].sort());

    // While it runs, the same directory cannot be started a second time.
    const again = await tool('samsa', ['cluster', 'start', '--dir', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`^error: a cluster from \\S+ is already running \\(samsa pid ${second.child.pid}\\)\\nhint: .*Ctrl-C`));

    const victim = brokerProcs(dir).find((p) => p.cmdline.includes('broker.id=1 '));
    assert.ok(victim, 'broker 1 runs');
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => /broker-1 exited unexpectedly/.test(second!.output()), { timeoutMs: 10_000, what: 'the report of broker-1\'s death' });
    assert.match(second.output(), /broker-1 exited unexpectedly \(killed by SIGKILL\); broker-0, broker-2 keep running/);
    await sleep(300);
    assert.equal(second.child.exitCode, null, 'samsa cluster start keeps running');
    assert.equal(brokerProcs(dir).length, 2);
    assert.match(await fourLetterWord(portOf(second.zookeeper), 'srvr'), /Mode: standalone/);

    await interrupt(second, '0, SIGKILL, 0');
    assert.deepEqual(processesMentioning(tmp), [], 'no broker or ZooKeeper process is left');
  });

  it('one SIGINT while the cluster is still starting stops what was started and exits 0', async () => {
    const early = path.join(tmp, 'early');
    const child = spawn(path.join(BIN, 'samsa'), ['cluster', 'start', '--dir', early, '--base-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (x: string) => (out += x));
    child.stderr!.setEncoding('utf8').on('data', (x: string) => (out += x));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // running.json appears when the first child (ZooKeeper) has been spawned.
    await waitFor(() => existsSync(path.join(early, 'running.json')) || child.exitCode !== null, { timeoutMs: 20_000, intervalMs: 5, what: 'the first child process' });
    child.kill('SIGINT');
    assert.equal(await withTimeout(exited, 30_000, 'samsa cluster start to stop'), 0, out);
    assert.match(out, /SIGINT: stopping /);
    assert.doesNotMatch(out, /error:|\n\s+at /);
    assert.deepEqual(processesMentioning(early), [], 'no process of the half-started cluster is left');
  });

  it('answers user mistakes with one error line and exit 1, before starting anything', async () => {
    const fails = async (args: string[], expected: RegExp, env?: NodeJS.ProcessEnv): Promise<void> => {
      const r = await tool('samsa', ['cluster', 'start', ...args], env ? { env } : {});
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    };
    const fresh = path.join(tmp, 'fresh');
    await fails(['--brokers', 'abc', '--dir', fresh], /^error: --brokers must be a number of brokers from 1 to 32, got 'abc'\n$/);
    await fails(['--brokers', '0', '--dir', fresh], /^error: --brokers must be a number of brokers from 1 to 32, got '0'\n$/);
    await fails(['--base-port', '-1', '--dir', fresh], /^error: --base-port must be a port number \(0: free ports\), got '-1'\n$/);
    const aFile = path.join(tmp, 'a-file');
    writeFileSync(aFile, 'not a directory');
    await fails(['--dir', path.join(aFile, 'cluster'), '--base-port', '0'], /^error: cannot use \S+ for the cluster's data: a part of the path is a file\nhint: +choose another directory with --dir <dir>\n$/);
    await fails(['--dir', fresh, '--base-port', '0'], /^error: ZooKeeper is not installed: run `sudo apt-get install -y zookeeper`\n$/, { ZOOKEEPER_JAR: path.join(tmp, 'no-such.jar') });

    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      await fails(['--dir', fresh, '--base-port', String(port)], new RegExp(`^error: port ${port} \\(for broker-0\\) is already in use — is another broker running\\?\\nhint: .*--base-port 0\\n$`));
      await fails(['--dir', fresh, '--base-port', '0', '--zookeeper-port', String(port)], new RegExp(`^error: port ${port} \\(--zookeeper-port\\) is already in use`));
    } finally {
      await new Promise((r) => busy.close(r));
    }
    // The cluster of the first tests, started with other settings.
    await fails(['--dir', dir, '--brokers', '2'], /^error: \S+ holds a cluster of 3 broker\(s\), not 2\nhint: +start it with --brokers 3/);
    await fails(['--dir', dir, '--zookeeper', '127.0.0.1:1'], /^error: \S+ holds a cluster with its own ZooKeeper/);
    assert.deepEqual(processesMentioning(tmp), [], 'nothing was started');
  });
});
