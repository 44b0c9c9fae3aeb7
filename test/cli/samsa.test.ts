/**
 * Goal: the `samsa` CLI works for someone who never used Kafka's scripts: `samsa start` brings up a
 * broker and says where to connect, `samsa topic create|list|describe|delete|produce|consume` and
 * `samsa group list|describe` do their job with readable tables and with --json for scripts,
 * errors name the fix (no broker → `samsa start`; existing/missing topic), `samsa cluster start`
 * refuses a bad --brokers in one line, and bin/kafka-server-stop stops a running broker.
 *
 * Method: `samsa start` runs as a child process on a free port with a temp data dir; every other
 * command runs as a child process against it (stdout is a pipe, so no colours). kafka-server-stop
 * is run with --match <that data dir> so it cannot touch brokers other tests started.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir, waitFor, withTimeout } from '../helpers/broker.js';
import { BIN, closedPort, lines, tool, toolOk } from './tools.js';

describe('samsa CLI', () => {
  let dir: string;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let out = '';
  let bs: string;
  const samsa = (args: string[], input?: string) => tool('samsa', [...args, '-b', bs], input === undefined ? {} : { input });
  const samsaOk = async (args: string[], input?: string) => {
    const r = await samsa(args, input);
    assert.equal(r.code, 0, `samsa ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    dir = await makeTempDir('samsa-cli-start-');
    const port = await closedPort();
    // --admin-port 0: a free port, so parallel runs never race for the default 9644.
    child = spawn(path.join(BIN, 'samsa'), ['start', '--port', String(port), '--host', '127.0.0.1', '--data-dir', path.join(dir, 'data'), '--admin-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // The banner can arrive in several chunks: wait for its last line.
    await waitFor(() => /Stop with Ctrl-C\./.test(out) || child.exitCode !== null, { timeoutMs: 20_000, what: 'samsa start to print its banner' });
    assert.equal(child.exitCode, null, `samsa start exited:\n${out}`);
    bs = `127.0.0.1:${port}`;
  });
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (dir) await removeDir(dir);
  });

  it('start prints a banner with the address to connect to, and the console/metrics URL', async () => {
    assert.match(out, new RegExp(`Bootstrap server +${bs.replace(/\./g, '\\.')}`));
    const url = /Console, metrics +(http:\/\/127\.0\.0\.1:\d+) /.exec(out);
    assert.ok(url, `no console URL in the banner:\n${out}`);
    const health = await fetch(`${url[1]}/health`);
    assert.equal(health.status, 200);
    assert.match(await (await fetch(`${url[1]}/metrics`)).text(), /^kafka_server_kafkaserver_brokerstate 3$/m);
    assert.match(out, new RegExp(`Data directory +${path.join(dir, 'data').replace(/[/.]/g, (m) => `\\${m}`)}`));
    assert.match(out, /Stop with Ctrl-C\./);
  });

  it('creates, lists, describes, produces, consumes and deletes topics', async () => {
    let r = await samsaOk(['topic', 'create', 'orders', '-p', '3', '-c', 'retention.ms=86400000']);
    assert.equal(r.stdout, '✓ topic orders created\n');
    r = await samsaOk(['topic', 'list']);
    assert.match(lines(r.stdout)[0]!, /^NAME\s+PARTITIONS\s+REPLICAS$/);
    assert.ok(lines(r.stdout).some((l) => /^orders\s+3\s+1$/.test(l)), r.stdout);
    r = await samsaOk(['topic', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as Array<{ name: string }>).find((t) => t.name === 'orders'),
      { name: 'orders', partitions: 3, replicas: 1, internal: false },
    );

    r = await samsaOk(['topic', 'produce', 'orders', 'first', 'second', '-k', 'cust-1']);
    assert.deepEqual(lines(r.stdout).map((l) => l.replace(/partition \d+ at offset \d+/, 'partition P at offset O')), [
      '✓ produced to orders partition P at offset O',
      '✓ produced to orders partition P at offset O',
    ]);
    const bulk = Array.from({ length: 1000 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
    r = await samsaOk(['topic', 'produce', 'orders', '-K', ':'], bulk);
    assert.match(r.stdout, /^✓ produced 1,000 records to orders in \d+ ms/);

    r = await samsaOk(['topic', 'describe', 'orders', '--json']);
    const d = JSON.parse(r.stdout) as { name: string; partitions: Array<{ partition: number; leader: number; highWatermark: number }>; configs: Record<string, { value: string; source: string }> };
    assert.equal(d.name, 'orders');
    assert.equal(d.partitions.length, 3);
    assert.equal(d.partitions.reduce((a, p) => a + p.highWatermark, 0), 1002);
    assert.deepEqual(d.configs['retention.ms'], { value: '86400000', source: 'DYNAMIC_TOPIC_CONFIG' });
    r = await samsaOk(['topic', 'describe', 'orders']);
    assert.match(r.stdout, /^NAME\s+orders$/m);
    assert.match(r.stdout, /^PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+LOG-START\s+HIGH-WATERMARK$/m);
    assert.match(r.stdout, /^retention\.ms\s+86400000\s+DYNAMIC_TOPIC_CONFIG$/m);

    r = await samsaOk(['topic', 'consume', 'orders', '--from-beginning', '-n', '1002', '-f', '%k=%v\\n']);
    const got = lines(r.stdout);
    assert.equal(got.length, 1002);
    assert.ok(got.includes('cust-1=first') && got.includes('cust-1=second') && got.includes('k999=v999'));
    r = await samsaOk(['topic', 'consume', 'orders', '-p', '0', '-o', '-1', '-n', '1', '--json']);
    const rec = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(rec), ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers']);
    assert.equal(rec.partition, 0);

    r = await samsaOk(['topic', 'delete', 'orders']);
    assert.equal(r.stdout, '✓ topic orders deleted\n');
  });

  it('errors name the fix', async () => {
    await samsaOk(['topic', 'create', 'dup']);
    let r = await samsa(['topic', 'create', 'dup']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: topic 'dup' already exists\nhint:  add --if-not-exists to ignore this, or look at it with `samsa topic describe dup`\n");
    r = await samsaOk(['topic', 'create', 'dup', '--if-not-exists']);
    assert.equal(r.stdout, '✓ topic dup already exists\n');
    r = await samsa(['topic', 'describe', 'ghost']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: topic 'ghost' does not exist\nhint: +see the topics there are with `samsa topic list`\n$/);
    r = await samsa(['topic', 'create', 'wide', '-r', '3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Replication factor: 3 larger than available brokers: 1\.\nhint: .*samsa cluster start/);
    const port = await closedPort();
    r = await tool('samsa', ['topic', 'list', '-b', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot connect to 127.0.0.1:${port} (connection refused) — is a broker running? start one with \`samsa start\`\n`);
    r = await tool('samsa', ['topic', 'frobnicate']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    // (samsa cluster start itself: test/cli/samsa-cluster.test.ts)
    r = await tool('samsa', ['cluster', 'start', '--brokers', '40']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: --brokers must be a number of brokers from 1 to 32, got '40'\n");
  });

  it('lists and describes consumer groups', async () => {
    await samsaOk(['topic', 'produce', 'gtopic', 'a', 'b', 'c']);
    let r = await samsaOk(['topic', 'consume', 'gtopic', '-g', 'billing', '--from-beginning', '-n', '2']);
    assert.equal(lines(r.stdout).length, 2);
    r = await samsaOk(['group', 'list']);
    assert.match(lines(r.stdout)[0]!, /^GROUP\s+STATE\s+PROTOCOL-TYPE\s+COORDINATOR$/);
    assert.ok(lines(r.stdout).some((l) => /^billing\s+\S+\s+consumer\s+0$/.test(l)), r.stdout);
    r = await samsaOk(['group', 'describe', 'billing', '--json']);
    const [g] = JSON.parse(r.stdout) as Array<{ group: string; offsets: Array<{ topic: string; partition: number; currentOffset: number; logEndOffset: number; lag: number }> }>;
    assert.equal(g!.group, 'billing');
    assert.deepEqual(
      g!.offsets.map((o) => [o.topic, o.currentOffset, o.logEndOffset, o.lag]),
      [['gtopic', 2, 3, 1]],
    );
  });

  it('has help that lists every command, with examples', async () => {
    const r = await toolOk('samsa', ['--help']);
    for (const cmd of ['start', 'cluster start', 'topic create', 'topic list', 'topic describe', 'topic delete', 'topic produce', 'topic consume', 'group list', 'group describe']) {
      assert.match(r.stdout, new RegExp(`^ {2}${cmd}\\b`, 'm'), cmd);
    }
    assert.match(r.stdout, /^Examples$/m);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colours when stdout is not a terminal');
    const sub = await toolOk('samsa', ['topic', 'consume', '--help']);
    assert.match(sub.stdout, /--from-beginning/);
    assert.match(sub.stdout, /Examples:/);
  });

  it('kafka-server-stop stops the broker cleanly', async () => {
    let r = await tool('kafka-server-stop', ['--match', path.join(dir, 'no-such-dir')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'No kafka server to stop\n');
    r = await toolOk('kafka-server-stop', ['--match', path.join(dir, 'data')]);
    const code = await withTimeout(exited, 20_000, 'samsa start to exit after kafka-server-stop');
    assert.equal(code, 0, out);
    assert.match(out, /stopped cleanly/);
  });
});
