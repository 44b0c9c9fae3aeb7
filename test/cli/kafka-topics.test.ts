/**
 * Goal: bin/kafka-topics behaves as Kafka 3.x's tool does for a user following a tutorial: the
 * single-broker part of Kafka's quickstart works command for command with --bootstrap-server
 * (create, list, describe, produce lines, consume --from-beginning --max-messages, delete), the
 * output formats match Kafka's line by line (values may vary), and failures — missing topic,
 * broker down, bad flag, bad config file — give Kafka's messages and a non-zero exit code.
 *
 * Method: one in-process broker on 127.0.0.1:0 with a temp data dir (test/helpers/broker.ts); every
 * tool runs as a child process through its bin/ wrapper. "Broker down" is a port that was just
 * released, so nothing listens there.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBroker, type StartedBroker } from '../helpers/broker.js';
import { assertLines, closedPort, LOG_LINE, lines, tool, toolOk } from './tools.js';

const TOPIC_LINE = (topic: string, partitions: number, configs = '.*') =>
  new RegExp(`^Topic: ${topic}\\tTopicId: [A-Za-z0-9_-]{22}\\tPartitionCount: ${partitions}\\tReplicationFactor: 1\\tConfigs: ${configs}$`);
const PARTITION_LINE = (topic: string, p: number) => new RegExp(`^\\tTopic: ${topic}\\tPartition: ${p}\\tLeader: 0\\tReplicas: 0\\tIsr: 0$`);

describe('kafka-topics and the single-broker quickstart', () => {
  let b: StartedBroker;
  let bs: string;

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0'] });
    bs = b.bootstrap;
  });
  after(async () => {
    await b?.stop();
  });

  it('walks through the quickstart with --bootstrap-server', async () => {
    // bin/kafka-topics --create ... --replication-factor 1 --partitions 1 --topic test
    let r = await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--replication-factor', '1', '--partitions', '1', '--topic', 'test']);
    assert.equal(r.stdout, 'Created topic test.\n');
    // bin/kafka-topics --list
    r = await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs]);
    assert.ok(lines(r.stdout).includes('test'), r.stdout);
    // bin/kafka-topics --describe --topic test
    r = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', bs, '--topic', 'test']);
    assertLines(r.stdout, [TOPIC_LINE('test', 1), PARTITION_LINE('test', 0)], 'describe');
    // bin/kafka-topics --delete --topic entere (a topic that does not exist)
    r = await tool('kafka-topics', ['--delete', '--bootstrap-server', bs, '--topic', 'entere']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "Error while executing topic command : Topic 'entere' does not exist as expected\n");
    assertLines(r.stderr, [/ERROR .*Topic 'entere' does not exist as expected \(kafka\.admin\.TopicCommand\$\)$/], 'delete stderr');
    // bin/kafka-console-producer --broker-list ... --topic test, then type two lines
    r = await toolOk('kafka-console-producer', ['--broker-list', bs, '--topic', 'test'], { input: 'This is a message\nThis is another message\n' });
    assert.equal(r.stdout, '', 'no prompt when stdin is not a terminal');
    // bin/kafka-console-consumer --topic test --from-beginning
    r = await toolOk('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', 'test', '--from-beginning', '--max-messages', '2']);
    assert.equal(r.stdout, 'This is a message\nThis is another message\n');
    assert.equal(r.stderr, 'Processed a total of 2 messages\n');
    // bin/kafka-topics --delete --topic test
    r = await toolOk('kafka-topics', ['--delete', '--bootstrap-server', bs, '--topic', 'test']);
    assert.equal(r.stdout, '');
    r = await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs]);
    assert.ok(!lines(r.stdout).includes('test'), r.stdout);
  });

  it('answers to the .sh names too', async () => {
    const r = await toolOk('kafka-topics.sh', ['--create', '--bootstrap-server', bs, '--topic', 'dotsh', '--partitions', '2']);
    assert.equal(r.stdout, 'Created topic dotsh.\n');
    const d = await toolOk('kafka-topics.sh', ['--describe', '--bootstrap-server', bs, '--topic', 'dotsh']);
    assertLines(d.stdout, [TOPIC_LINE('dotsh', 2), PARTITION_LINE('dotsh', 0), PARTITION_LINE('dotsh', 1)], 'describe .sh');
  });

  it('creates with --config, --if-not-exists, and alters partitions and configs', async () => {
    let r = await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'cfg', '--partitions', '1', '--config', 'retention.ms=3600000', '--config', 'cleanup.policy=compact']);
    assert.equal(r.stdout, 'Created topic cfg.\n');
    r = await tool('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'cfg']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "Error while executing topic command : Topic 'cfg' already exists.\n");
    assertLines(r.stderr, [/ERROR org\.apache\.kafka\.common\.errors\.TopicExistsException: Topic 'cfg' already exists\. \(kafka\.admin\.TopicCommand\$\)$/], 'exists');
    r = await toolOk('kafka-topics', ['--create', '--if-not-exists', '--bootstrap-server', bs, '--topic', 'cfg']);
    assert.equal(r.stdout, '');
    r = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', bs, '--topic', 'cfg']);
    assertLines(r.stdout, [TOPIC_LINE('cfg', 1, '(?=.*cleanup\\.policy=compact)(?=.*retention\\.ms=3600000).*'), PARTITION_LINE('cfg', 0)], 'describe with configs');

    r = await toolOk('kafka-topics', ['--alter', '--bootstrap-server', bs, '--topic', 'cfg', '--partitions', '3']);
    assert.equal(r.stdout, '');
    r = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', bs, '--topic', 'cfg']);
    assertLines(r.stdout, [TOPIC_LINE('cfg', 3), PARTITION_LINE('cfg', 0), PARTITION_LINE('cfg', 1), PARTITION_LINE('cfg', 2)], 'after alter');
    // Partitions can only grow.
    r = await tool('kafka-topics', ['--alter', '--bootstrap-server', bs, '--topic', 'cfg', '--partitions', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Error while executing topic command : .*3.*2.*\n$/);
    // --alter --config (Samsa accepts it; Kafka 3.x points to kafka-configs).
    await toolOk('kafka-topics', ['--alter', '--bootstrap-server', bs, '--topic', 'cfg', '--config', 'retention.ms=7200000']);
    r = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', bs, '--topic', 'cfg']);
    assert.match(lines(r.stdout)[0]!, /retention\.ms=7200000/);
    // --if-exists on a missing topic is quiet success for alter, delete and describe.
    for (const action of ['--alter', '--delete', '--describe']) {
      const extra = action === '--alter' ? ['--partitions', '5'] : [];
      r = await toolOk('kafka-topics', [action, '--if-exists', '--bootstrap-server', bs, '--topic', 'missing-topic', ...extra]);
      assert.equal(r.stdout, '', action);
    }
    // The period/underscore warning Kafka prints before creating such a topic.
    r = await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'my.dotted']);
    assertLines(r.stdout, [/^WARNING: Due to limitations in metric names, topics with a period \('\.'\) or underscore \('_'\) could collide\./, /^Created topic my\.dotted\.$/], 'dotted');
  });

  it('lists one name per line, sorted, and describes every topic without --topic', async () => {
    for (const t of ['list-b', 'list-a']) await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', t]);
    const r = await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs]);
    const names = lines(r.stdout);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('list-a') && names.includes('list-b'));
    const d = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', bs]);
    for (const l of lines(d.stdout)) assert.match(l, /^(Topic: \S+\tTopicId: \S+\tPartitionCount: \d+\tReplicationFactor: 1\tConfigs: .*|\tTopic: \S+\tPartition: \d+\tLeader: 0\tReplicas: 0\tIsr: 0)$/);
    // --topic is a regular expression for --list / --describe, as in Kafka.
    const re = await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs, '--topic', 'list-.*']);
    assert.deepEqual(lines(re.stdout), ['list-a', 'list-b']);
  });

  it('describing a missing topic fails with its name', async () => {
    const r = await tool('kafka-topics', ['--describe', '--bootstrap-server', bs, '--topic', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "Error while executing topic command : Topic 'nope' does not exist as expected\n");
  });

  it('reports a broker that is down in one line, fast', async () => {
    const port = await closedPort();
    const started = Date.now();
    const r = await tool('kafka-topics', ['--list', '--bootstrap-server', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assertLines(r.stdout, [new RegExp(`^Error while executing topic command : cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\) — is a broker running\\? start one with \`samsa start\``)], 'down');
    assertLines(r.stderr, [LOG_LINE], 'down stderr');
    assert.ok(Date.now() - started < 10_000, 'fails fast instead of retrying for minutes');
  });

  it('rejects a bad flag, a missing action and a missing --bootstrap-server', async () => {
    let r = await tool('kafka-topics', ['--list', '--bootstrap-server', bs, '--bogus']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assertLines(r.stderr, [/^bogus is not a recognized option$/, /^Run 'kafka-topics --help' for the list of options\.$/], 'bad flag');
    r = await tool('kafka-topics', ['--bootstrap-server', bs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Command must include exactly one action: --list, --describe, --create, --alter or --delete\n/);
    r = await tool('kafka-topics', ['--list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Missing required argument "\[bootstrap-server\]"\n/);
    r = await tool('kafka-topics', ['--create', '--bootstrap-server', bs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Missing required argument "\[topic\]"\n/);
    r = await tool('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'x', '--partitions', 'many']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /partitions/);
    // A unique prefix of an option is accepted, as with Kafka's parser.
    r = await toolOk('kafka-topics', ['--list', '--bootstrap', bs]);
    assert.ok(r.stdout.length >= 0);
  });

  it('reports a bad --command-config file', async () => {
    let r = await tool('kafka-topics', ['--list', '--bootstrap-server', bs, '--command-config', '/nonexistent/admin.properties']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Error while executing topic command : /nonexistent/admin.properties (No such file or directory)\n');
    const dir = path.dirname(b.dataDir);
    const bad = path.join(dir, `bad-${process.pid}.properties`);
    await writeFile(bad, 'request.timeout.ms=soon\n');
    r = await tool('kafka-topics', ['--list', '--bootstrap-server', bs, '--command-config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Error while executing topic command : Invalid value soon for configuration request\.timeout\.ms: Not a number of type INT/);
    const good = path.join(dir, `good-${process.pid}.properties`);
    await writeFile(good, `# admin client settings\nclient.id=topics-test\nrequest.timeout.ms=10000\nbootstrap.servers=${bs}\n`);
    r = await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs, '--command-config', good]);
    assert.equal(r.stderr, '');
  });

  it('prints help and version', async () => {
    const r = await toolOk('kafka-topics', ['--help']);
    assert.match(r.stdout, /^This tool helps to create, delete, describe, or change a topic\./);
    assert.match(r.stdout, /^Option\s+Description$/m);
    assert.match(r.stdout, /^--bootstrap-server <String: server to\s+REQUIRED/m);
    const v = await toolOk('kafka-topics', ['--version']);
    assert.match(v.stdout, /^\d+\.\d+\.\d+ \(Samsa\)\n$/);
  });

  it('starts fast: --list answers well under a second', async () => {
    // Warm the disk cache once, then take the best of three (the machine may be busy with other tests).
    await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs]);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      await toolOk('kafka-topics', ['--list', '--bootstrap-server', bs]);
      times.push(Date.now() - t);
    }
    const best = Math.min(...times);
    assert.ok(best < 1000, `kafka-topics --list took ${times.join(', ')} ms`);
  });
});
