/**
 * Goal: bin/kafka-configs describes and alters topic configs (and describes broker configs) with
 * Kafka 3.x's flags and output — "Completed updating config for topic t.", "Dynamic configs for
 * topic t are:" followed by "  key=value sensitive=false synonyms={...}" lines — and fails like
 * Kafka for a missing topic, an unknown key to delete, a bad flag and a bad config file.
 *
 * Method: one in-process broker on 127.0.0.1:0; the tool runs as a child process through bin/, and
 * the effect of each alteration is checked with --describe and with kafka-topics --describe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type StartedBroker } from '../helpers/broker.js';
import { assertLines, closedPort, lines, tool, toolOk } from './tools.js';

describe('kafka-configs', () => {
  let b: StartedBroker;
  let bs: string;

  before(async () => {
    b = await startBroker();
    bs = b.bootstrap;
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', 'conf']);
  });
  after(async () => {
    await b?.stop();
  });

  it('adds, describes and deletes topic configs', async () => {
    let r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'topics', '--entity-name', 'conf', '--describe']);
    assertLines(r.stdout, [/^Dynamic configs for topic conf are:$/], 'empty describe');

    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'topics', '--entity-name', 'conf', '--alter', '--add-config', 'retention.ms=1000,cleanup.policy=[compact,delete]']);
    assert.equal(r.stdout, 'Completed updating config for topic conf.\n');
    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'topics', '--entity-name', 'conf', '--describe']);
    assertLines(
      r.stdout,
      [
        /^Dynamic configs for topic conf are:$/,
        /^ {2}cleanup\.policy=compact,delete sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup\.policy=compact,delete(, .+)?\}$/,
        /^ {2}retention\.ms=1000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=1000(, .+)?\}$/,
      ],
      'describe after add',
    );
    const t = await toolOk('kafka-topics', ['--describe', '--bootstrap-server', bs, '--topic', 'conf']);
    assert.match(lines(t.stdout)[0]!, /Configs: (?=.*retention\.ms=1000)(?=.*cleanup\.policy=compact,delete)/);

    // The --topic shorthand and --delete-config.
    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--alter', '--delete-config', 'retention.ms']);
    assert.equal(r.stdout, 'Completed updating config for topic conf.\n');
    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--describe']);
    assert.equal(lines(r.stdout).length, 2);
    assert.match(r.stdout, /cleanup\.policy=compact,delete/);
    assert.doesNotMatch(r.stdout, /retention\.ms/);

    // --all lists every config, defaults included.
    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--describe', '--all']);
    assert.match(lines(r.stdout)[0]!, /^All configs for topic conf are:$/);
    assert.ok(lines(r.stdout).length > 10);
    for (const l of lines(r.stdout).slice(1)) assert.match(l, /^ {2}\S+=.* sensitive=(true|false) synonyms=\{.*\}$/);
  });

  it('describes broker configs', async () => {
    let r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'brokers', '--entity-name', '0', '--describe']);
    assert.match(lines(r.stdout)[0]!, /^Dynamic configs for broker 0 are:$/);
    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--broker', '0', '--describe', '--all']);
    assert.match(lines(r.stdout)[0]!, /^All configs for broker 0 are:$/);
    assert.ok(lines(r.stdout).some((l) => /^ {2}log\.dirs=/.test(l)), 'log.dirs is listed');
    r = await toolOk('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'brokers', '--entity-default', '--describe']);
    assert.match(lines(r.stdout)[0]!, /^Default configs for brokers in the cluster are:$/);
  });

  it('fails like Kafka for a missing topic, an unknown key and bad input', async () => {
    let r = await tool('kafka-configs', ['--bootstrap-server', bs, '--topic', 'nope', '--describe']);
    assert.equal(r.code, 1);
    assertLines(
      r.stderr,
      [/^Error while executing config command with args '--bootstrap-server \S+ --topic nope --describe'$/, /^org\.apache\.kafka\.common\.errors\.UnknownTopicOrPartitionException: .*'nope' does not exist\.$/],
      'missing topic',
    );
    r = await tool('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--alter', '--delete-config', 'no.such.key']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Invalid config\(s\): no\.such\.key/);
    r = await tool('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--alter', '--add-config', 'retention.ms']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /all configs to be added must be in the format "key=val"/);
    r = await tool('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--alter']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter\n/);
    r = await tool('kafka-configs', ['--bootstrap-server', bs, '--describe']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^At least one entity type must be specified\n/);
    r = await tool('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--describe', '--wat']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^wat is not a recognized option\n/);
    r = await tool('kafka-configs', ['--bootstrap-server', bs, '--topic', 'conf', '--describe', '--command-config', '/nonexistent/x.properties']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/nonexistent\/x\.properties \(No such file or directory\)/);
    const port = await closedPort();
    r = await tool('kafka-configs', ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 'conf', '--describe']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
  });
});
