/**
 * Goal: bin/kafka-get-offsets prints `topic:partition:offset` lines as Kafka 3.5+'s GetOffsetShell
 * does for every --time form (latest/-1, earliest/-2, max-timestamp/-3, a timestamp), the topic
 * regex, --partitions, --topic-partitions ranges, --exclude-internal-topics and the old
 * --broker-list, sorted by "topic-partition" text; bin/kafka-delete-records moves low watermarks
 * (offset -1: the high watermark) with Kafka's output, and get-offsets and kcat then see the new
 * start; both fail bad input and an unreachable broker with one line and exit code 1.
 *
 * Method: one in-process broker on 127.0.0.1:0 with a temp dir; kcat produces records (with a
 * pause whose time stamp splits them), the tools run through bin/ as child processes, and kcat
 * reads the partitions back after deletion.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, makeTempDir, removeDir, sleep, startBroker, type StartedBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { closedPort, lines, tool, toolOk } from './tools.js';

describe('kafka-get-offsets and kafka-delete-records', () => {
  let b: StartedBroker;
  let bs: string;
  let dir: string;
  let splitMs: number;

  const produce = (topic: string, partition: number, values: string[]) =>
    kcat(['-P', '-b', bs, '-t', topic, '-p', String(partition)], { input: `${values.join('\n')}\n` });
  const offsets = async (args: string[]): Promise<string[]> => lines((await toolOk('kafka-get-offsets', ['--bootstrap-server', bs, ...args])).stdout);
  const jsonFile = async (name: string, content: string): Promise<string> => {
    const f = path.join(dir, name);
    await writeFile(f, content);
    return f;
  };

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=2'] });
    bs = b.bootstrap;
    dir = await makeTempDir('samsa-offsets-tools-');
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'go', '--partitions', '3']);
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'many', '--partitions', '12']);
    await produce('go', 0, ['a', 'b', 'c']);
    await produce('go', 1, ['x', 'y', 'z', 'w']);
    await sleep(50);
    splitMs = Date.now();
    await sleep(20);
    await produce('go', 0, ['d', 'e']);
    // A group makes __consumer_offsets exist (an internal topic for --exclude-internal-topics).
    await toolOk('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'go', '--group', 'go-group', '--from-beginning', '--max-messages', '1']);
  });
  after(async () => {
    await b?.stop();
    if (dir) await removeDir(dir);
  });

  it('answers each --time form', async () => {
    assert.deepEqual(await offsets(['--topic', 'go']), ['go:0:5', 'go:1:4', 'go:2:0']);
    assert.deepEqual(await offsets(['--topic', 'go', '--time', 'latest']), ['go:0:5', 'go:1:4', 'go:2:0']);
    assert.deepEqual(await offsets(['--topic', 'go', '--time', '-1']), ['go:0:5', 'go:1:4', 'go:2:0']);
    assert.deepEqual(await offsets(['--topic', 'go', '--time', 'earliest']), ['go:0:0', 'go:1:0', 'go:2:0']);
    assert.deepEqual(await offsets(['--topic', 'go', '--time', '-2']), ['go:0:0', 'go:1:0', 'go:2:0']);
    for (const time of ['max-timestamp', '-3']) {
      const got = await offsets(['--topic', 'go', '--time', time]);
      // The empty partition has no record, so no line; the others name a record of their newest batch.
      assert.equal(got.length, 2, got.join('\n'));
      assert.match(got[0]!, /^go:0:[34]$/);
      assert.match(got[1]!, /^go:1:[0-3]$/);
    }
    // The first record at or after the time stamp: only partition 0 has one.
    assert.deepEqual(await offsets(['--topic', 'go', '--time', String(splitMs)]), ['go:0:3']);
    assert.deepEqual(await offsets(['--topic', 'go', '--time', '0']), ['go:0:0', 'go:1:0']);
  });

  it('filters topics and partitions and sorts as Kafka does', async () => {
    assert.deepEqual(await offsets(['--topic', 'go', '--partitions', '0,2']), ['go:0:5', 'go:2:0']);
    assert.deepEqual(await offsets(['--topic-partitions', 'go:0-2,many:10']), ['go:0:5', 'go:1:4', 'many:10:0']);
    assert.deepEqual(await offsets(['--topic-partitions', 'go:1-,go:-1']), ['go:0:5', 'go:1:4', 'go:2:0']);
    const many = await offsets(['--topic', 'ma.y']);
    assert.deepEqual(many.slice(0, 5), ['many:0:0', 'many:1:0', 'many:10:0', 'many:11:0', 'many:2:0']);
    assert.equal(many.length, 12);
    const all = await offsets([]);
    assert.ok(all.some((l) => l.startsWith('__consumer_offsets:')), 'internal topics are included by default');
    const external = await offsets(['--exclude-internal-topics']);
    assert.ok(!external.some((l) => l.startsWith('__consumer_offsets:')));
    assert.equal(external.length, 15);
    const old = await toolOk('kafka-get-offsets.sh', ['--broker-list', bs, '--topic', 'go']);
    assert.deepEqual(lines(old.stdout), ['go:0:5', 'go:1:4', 'go:2:0']);
  });

  it('fails bad input and an unreachable broker with one line and exit code 1', async () => {
    const fails = async (args: string[], line: string | RegExp): Promise<void> => {
      const r = await tool('kafka-get-offsets', args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const first = lines(r.stderr)[0]!;
      if (typeof line === 'string') assert.equal(first, line);
      else assert.match(first, line);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    };
    await fails(['--topic', 'go'], 'Missing required argument "[bootstrap-server]"');
    await fails(['--bootstrap-server', bs, '--time', 'soon'], /^Error occurred: Malformed time argument soon\. Please use -1 or latest \/ -2 or earliest \/ -3 or max-timestamp/);
    await fails(['--bootstrap-server', bs, '--topic', 'go', '--topic-partitions', 'go:0'], 'Error occurred: --topic-partitions cannot be used with --topic or --partitions');
    await fails(['--bootstrap-server', bs, '--topic', 'nothing-like-this'], 'Error occurred: Could not match any topic-partitions with the specified filters');
    await fails(['--bootstrap-server', bs, '--topic-partitions', 'go:x'], 'Error occurred: Invalid rule specification: go:x');
    await fails(['--bootstrap-server', bs, '--partitions', 'one'], 'Error occurred: --partitions expects a comma separated list of numeric partition ids, but received: one');
    const port = await closedPort();
    const r = await tool('kafka-get-offsets', ['--bootstrap-server', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^Error occurred: cannot connect to 127\\.0\\.0\\.1:${port}`));
  });

  it('deletes records and reports the new low watermarks', async () => {
    const f = await jsonFile(
      'delete.json',
      JSON.stringify({ partitions: [{ topic: 'go', partition: 0, offset: 3 }, { topic: 'go', partition: 1, offset: -1 }, { topic: 'go', partition: 2, offset: 7 }], version: 1 }),
    );
    const r = await toolOk('kafka-delete-records', ['--bootstrap-server', bs, '--offset-json-file', f]);
    assert.deepEqual(lines(r.stdout), [
      'Executing records delete operation',
      'Records delete operation completed:',
      'partition: go-0\tlow_watermark: 3',
      'partition: go-1\tlow_watermark: 4',
      'partition: go-2\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.',
    ]);
    assert.deepEqual(await offsets(['--topic', 'go', '--time', 'earliest']), ['go:0:3', 'go:1:4', 'go:2:0']);
    const left = await kcatConsume(bs, 'go', { partition: 0 });
    assert.deepEqual(
      left.map((x) => [x.offset, x.value]),
      [
        [3, 'd'],
        [4, 'e'],
      ],
    );
    assert.deepEqual(await kcatConsume(bs, 'go', { partition: 1 }), []);
    // Deleting below the current start changes nothing; an unknown topic is that partition's error.
    const again = await jsonFile('again.json', '{"partitions":[{"topic":"go","partition":0,"offset":1},{"topic":"gone","partition":0,"offset":1}]}');
    const r2 = await toolOk('kafka-delete-records.sh', ['--bootstrap-server', bs, '--offset-json-file', again]);
    assert.deepEqual(lines(r2.stdout).slice(2), [
      'partition: go-0\tlow_watermark: 3',
      'partition: gone-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.',
    ]);
  });

  it('fails bad offset files and an unreachable broker with one line and exit code 1', async () => {
    const fails = async (args: string[], line: string | RegExp): Promise<void> => {
      const r = await tool('kafka-delete-records', args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing was executed');
      const first = lines(r.stderr)[0]!;
      if (typeof line === 'string') assert.equal(first, line);
      else assert.match(first, line);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    };
    const good = await jsonFile('good.json', '{"partitions":[{"topic":"go","partition":0,"offset":1}],"version":1}');
    await fails(['--bootstrap-server', bs], 'Missing required argument "[offset-json-file]"');
    await fails(['--offset-json-file', good], 'Missing required argument "[bootstrap-server]"');
    await fails(['--bootstrap-server', bs, '--offset-json-file', path.join(dir, 'nope.json')], `${path.join(dir, 'nope.json')} (No such file or directory)`);
    await fails(['--bootstrap-server', bs, '--offset-json-file', await jsonFile('bad.json', '{"partitions": [')], /^The input string is not a valid JSON \(/);
    await fails(['--bootstrap-server', bs, '--offset-json-file', await jsonFile('v2.json', '{"partitions":[],"version":2}')], 'Not supported version field value 2');
    await fails(['--bootstrap-server', bs, '--offset-json-file', await jsonFile('nop.json', '{"version":1}')], 'Missing partitions field');
    await fails(
      ['--bootstrap-server', bs, '--offset-json-file', await jsonFile('dup.json', '{"partitions":[{"topic":"go","partition":0,"offset":1},{"topic":"go","partition":0,"offset":2}]}')],
      'Offset json file contains duplicate topic partitions: go-0',
    );
    await fails(['--bootstrap-server', bs, '--offset-json-file', await jsonFile('entry.json', '{"partitions":[{"topic":"go","offset":1}]}')], /^Invalid entry \{"topic":"go","offset":1\} in /);
    const port = await closedPort();
    const r = await tool('kafka-delete-records', ['--bootstrap-server', `127.0.0.1:${port}`, '--offset-json-file', good]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`));
  });
});
