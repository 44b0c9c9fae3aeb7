/**
 * Goal: bin/kafka-console-producer and bin/kafka-console-consumer accept Kafka 3.x's flags and
 * print what Kafka prints: keys with parse.key/key.separator, every compression codec, acks
 * levels and --sync, fast piped bulk input, the DefaultMessageFormatter properties
 * (print.key/timestamp/partition/offset, key.separator), --partition/--offset, --timeout-ms,
 * --group with committed offsets, --isolation-level, `Processed a total of N messages` on exit
 * (limit, timeout, Ctrl-C), and clear failures (bad config file, broker down, unparsable line).
 *
 * Method: one in-process broker on 127.0.0.1:0 with a temp dir; the tools run as child processes
 * through bin/; what they produced is checked by reading it back with the console consumer (and
 * record counts against the broker's high watermarks via kafka-topics-independent ListOffsets in
 * our client).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../src/client/admin.js';
import { KafkaClient } from '../../src/client/client.js';
import { startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { BIN, closedPort, LOG_LINE, assertLines, lines, tool, toolOk } from './tools.js';

describe('kafka-console-producer and kafka-console-consumer', () => {
  let b: StartedBroker;
  let bs: string;
  let client: KafkaClient;
  let admin: Admin;

  const endOffsets = async (topic: string): Promise<number[]> => {
    const md = await client.topicMetadata(topic, { refresh: true });
    const r = await admin.listOffsets(md.partitions.map((p) => ({ topic, partition: p.partition, timestamp: -1 })));
    return r.map((x) => x.offset);
  };
  const consume = (topic: string, extra: string[]) =>
    toolOk('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', topic, '--from-beginning', ...extra]);

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'num.partitions=1'] });
    bs = b.bootstrap;
    client = new KafkaClient({ bootstrapServers: bs });
    admin = new Admin(client);
  });
  after(async () => {
    await client?.close();
    await b?.stop();
  });

  it('produces keyed lines and prints keys, timestamps, partitions and offsets', async () => {
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'keyed']);
    await toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'keyed', '--property', 'parse.key=true', '--property', 'key.separator=:'], {
      input: 'user1:first:with colon\nuser2:second\n',
    });
    let r = await consume('keyed', ['--max-messages', '2', '--property', 'print.key=true']);
    assert.equal(r.stdout, 'user1\tfirst:with colon\nuser2\tsecond\n');
    r = await consume('keyed', [
      '--max-messages', '2',
      '--property', 'print.key=true',
      '--property', 'print.timestamp=true',
      '--property', 'print.partition=true',
      '--property', 'print.offset=true',
      '--property', 'key.separator= | ',
    ]);
    assertLines(r.stdout, [/^CreateTime:\d{13} \| Partition:0 \| Offset:0 \| user1 \| first:with colon$/, /^CreateTime:\d{13} \| Partition:0 \| Offset:1 \| user2 \| second$/], 'formatter');
    assert.equal(r.stderr, 'Processed a total of 2 messages\n');
    // A line without the separator stops the producer with Kafka's message.
    const bad = await tool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'keyed', '--property', 'parse.key=true'], { input: 'no separator here\n' });
    assert.equal(bad.code, 1);
    assertLines(bad.stderr, [/ERROR No key separator found on line number 1: 'no separator here' \(kafka\.tools\.ConsoleProducer\$\)$/], 'parse error');
  });

  it('round-trips every compression codec, acks level and --sync', async () => {
    const runs: Array<[string, string[]]> = [
      ['c-none', ['--compression-codec', 'none']],
      ['c-gzip', ['--compression-codec']], // no value means gzip, as in Kafka
      ['c-snappy', ['--compression-codec', 'snappy']],
      ['c-lz4', ['--compression-codec', 'lz4']],
      ['c-zstd', ['--compression-codec', 'zstd']],
      ['acks0', ['--request-required-acks', '0']],
      ['acks1', ['--request-required-acks', '1']],
      ['sync', ['--sync', '--request-required-acks', 'all']],
      ['viaprop', ['--producer-property', 'compression.type=lz4', '--producer-property', 'linger.ms=1']],
    ];
    const input = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(i)}`).join('\n') + '\n';
    await Promise.all(runs.map(([topic, flags]) => toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', topic, ...flags], { input })));
    for (const [topic] of runs) {
      if (topic === 'acks0') await waitFor(async () => (await endOffsets(topic))[0] === 50, { timeoutMs: 5000, what: 'acks=0 records to land' });
      const r = await consume(topic, ['--max-messages', '50']);
      assert.equal(r.stdout, input, topic);
    }
  });

  it('is fast for piped bulk input, keeps every line, and exits 0', async () => {
    const n = 20_000;
    const input = Array.from({ length: n }, (_, i) => `record-${i}`).join('\n') + '\n';
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'bulk', '--partitions', '3']);
    const started = Date.now();
    await toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'bulk'], { input });
    const ms = Date.now() - started;
    const ends = await endOffsets('bulk');
    assert.equal(ends.reduce((a, x) => a + x, 0), n);
    assert.ok(ms < 15_000, `${n} lines took ${ms} ms`);
    const r = await consume('bulk', ['--max-messages', String(n)]);
    const got = lines(r.stdout);
    assert.equal(got.length, n);
    assert.equal(new Set(got).size, n);
    assert.equal(r.stderr, `Processed a total of ${n} messages\n`);
  });

  it('reads one partition from an offset, and stops after --timeout-ms', async () => {
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'parts', '--partitions', '2']);
    await toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'parts', '--property', 'parse.key=true'], {
      input: Array.from({ length: 40 }, (_, i) => `k${i}\tv${i}`).join('\n') + '\n',
    });
    const ends = await endOffsets('parts');
    assert.equal(ends[0]! + ends[1]!, 40);
    assert.ok(ends[1]! >= 2, 'keys spread over both partitions');
    const r = await tool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'parts', '--partition', '1', '--offset', '1', '--timeout-ms', '1500', '--property', 'print.offset=true']);
    assert.equal(r.code, 0);
    const got = lines(r.stdout);
    assert.equal(got.length, ends[1]! - 1);
    got.forEach((l, i) => assert.match(l, new RegExp(`^Offset:${i + 1}\\tv\\d+$`)));
    assertLines(
      r.stderr,
      [/ERROR Error processing message, terminating consumer process: {2}\(kafka\.tools\.ConsoleConsumer\$\)$/, /^org\.apache\.kafka\.common\.errors\.TimeoutException$/, new RegExp(`^Processed a total of ${ends[1]! - 1} messages$`)],
      'timeout stderr',
    );
    // --offset needs --partition; --from-beginning and --offset exclude each other.
    let bad = await tool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'parts', '--offset', '3']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^The partition is required when offset is specified\.\n/);
    bad = await tool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'parts', '--partition', '0', '--offset', '3', '--from-beginning']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Options from-beginning and offset cannot be specified together\.\n/);
  });

  it('prints the total on Ctrl-C', async () => {
    await toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'sigint'], { input: 'one\ntwo\nthree\n' });
    const child = spawn(path.join(BIN, 'kafka-console-consumer'), ['--bootstrap-server', bs, '--topic', 'sigint', '--from-beginning'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (errText += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => out === 'one\ntwo\nthree\n', { timeoutMs: 10_000, what: `the three records (got ${JSON.stringify(out)})` });
    child.kill('SIGINT');
    const code = await withTimeout(exited, 10_000, 'the consumer to exit after SIGINT');
    assert.equal(code, 0);
    assert.equal(errText, 'Processed a total of 3 messages\n');
  });

  it('consumes as a group and resumes from the committed offset', async () => {
    await toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'grouped'], { input: 'a\nb\nc\nd\n' });
    let r = await toolOk('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'grouped', '--group', 'cli-group', '--from-beginning', '--max-messages', '2']);
    assert.equal(r.stdout, 'a\nb\n');
    r = await toolOk('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'grouped', '--group', 'cli-group', '--from-beginning', '--max-messages', '2']);
    assert.equal(r.stdout, 'c\nd\n', 'the second run starts after the offsets the first one committed');
    const committed = await admin.fetchCommittedOffsets('cli-group');
    assert.deepEqual(committed.map((c) => [c.topic, c.partition, c.offset]), [['grouped', 0, 4]]);
  });

  it('reads committed data with --isolation-level read_committed', async () => {
    await toolOk('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 'iso'], { input: 'x\ny\n' });
    const r = await consume('iso', ['--isolation-level', 'read_committed', '--max-messages', '2']);
    assert.equal(r.stdout, 'x\ny\n');
    const bad = await tool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'iso', '--isolation-level', 'sometimes']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /isolation\.level/);
  });

  it('fails clearly on a bad config file, a broker that is down, and a bad flag', async () => {
    let r = await tool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 't', '--producer.config', '/nonexistent/producer.properties'], { input: 'x\n' });
    assert.equal(r.code, 1);
    assertLines(r.stderr, [/ERROR Error loading the producer configuration: \/nonexistent\/producer\.properties \(No such file or directory\)/], 'producer config');
    r = await tool('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 't', '--consumer.config', '/nonexistent/consumer.properties']);
    assert.equal(r.code, 1);
    assertLines(r.stderr, [/ERROR Error loading the consumer configuration: \/nonexistent\/consumer\.properties \(No such file or directory\)/], 'consumer config');

    const port = await closedPort();
    r = await tool('kafka-console-producer', ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 't'], { input: 'x\ny\n' });
    assert.equal(r.code, 1);
    assertLines(r.stderr, [new RegExp(`ERROR cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\) — is a broker running\\?`)], 'producer down');
    for (const l of lines(r.stderr)) assert.match(l, LOG_LINE);
    r = await tool('kafka-console-consumer', ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 't']);
    assert.equal(r.code, 1);
    assertLines(r.stderr, [new RegExp(`ERROR .*cannot connect to 127\\.0\\.0\\.1:${port}`), /^Processed a total of 0 messages$/], 'consumer down');

    r = await tool('kafka-console-producer', ['--bootstrap-server', bs, '--topic', 't', '--no-such-flag']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^no-such-flag is not a recognized option\n/);
    r = await tool('kafka-console-consumer', ['--bootstrap-server', bs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Exactly one of whitelist\/topic is required\.\n/);
    r = await tool('kafka-console-producer', ['--bootstrap-server', bs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Missing required argument "\[topic\]"\n/);
  });
});
