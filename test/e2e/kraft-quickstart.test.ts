/**
 * Goal: Kafka 3.x's KRaft quickstart works command for command with config/kraft/server.properties
 * as shipped, and Kafka 4.x's variant (format --standalone) with the same file:
 *
 *   KAFKA_CLUSTER_ID="$(bin/kafka-storage random-uuid)"
 *   bin/kafka-storage format -t $KAFKA_CLUSTER_ID -c config/kraft/server.properties
 *   bin/kafka-server-start config/kraft/server.properties
 *   bin/kafka-topics --create --topic quickstart-events --bootstrap-server localhost:9092
 *   bin/kafka-topics --describe --topic quickstart-events --bootstrap-server localhost:9092
 *   bin/kafka-console-producer --topic quickstart-events --bootstrap-server localhost:9092
 *   bin/kafka-console-consumer --topic quickstart-events --from-beginning --bootstrap-server localhost:9092
 *   bin/kafka-metadata-quorum --bootstrap-server localhost:9092 describe --status
 *
 * plus what the KRaft mode promises: metadata survives a restart (it lives in the node's metadata
 * log, __cluster_metadata-0, not in ZooKeeper), the leader epoch grows at each start, an
 * unformatted dir and a multi-voter quorum are refused with one line, and kafka-storage's own
 * answers (already formatted, info, a ZooKeeper-mode file) match Kafka's.
 *
 * Method: a copy of the shipped file with only the edits a test must make to run beside others:
 * ephemeral ports for 9092/9093 (in listeners, advertised.listeners and the voter) and a temp dir
 * for /tmp/kraft-combined-logs. Every command is the real bin/ wrapper as a child process; the
 * broker is stopped with SIGTERM and restarted from the same file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir, spawnCaptured, waitFor, withTimeout, type CapturedProcess } from '../helpers/broker.js';
import { freePort } from '../helpers/cluster.js';
import { assertLines, BIN, lines, ROOT, tool, toolOk } from '../cli/tools.js';

const TOPIC = 'quickstart-events';
const EVENTS = ['This is my first event', 'This is my second event'];

/** A copy of config/kraft/server.properties with private ports and dir (see the header). */
function kraftProperties(brokerPort: number, controllerPort: number, logDir: string): string {
  const original = readFileSync(path.join(ROOT, 'config', 'kraft', 'server.properties'), 'utf8');
  const replaced: Array<[RegExp, string]> = [
    [/^listeners=PLAINTEXT:\/\/:9092,CONTROLLER:\/\/:9093$/m, `listeners=PLAINTEXT://:${brokerPort},CONTROLLER://:${controllerPort}`],
    [/^advertised\.listeners=PLAINTEXT:\/\/localhost:9092$/m, `advertised.listeners=PLAINTEXT://localhost:${brokerPort}`],
    [/^controller\.quorum\.voters=1@localhost:9093$/m, `controller.quorum.voters=1@localhost:${controllerPort}`],
    [/^log\.dirs=\/tmp\/kraft-combined-logs$/m, `log.dirs=${logDir}`],
  ];
  let text = original;
  for (const [line, value] of replaced) {
    assert.match(text, line, `config/kraft/server.properties has ${line}`);
    text = text.replace(line, value);
  }
  assert.match(text, /^process\.roles=broker,controller$/m);
  assert.match(text, /^node\.id=1$/m);
  return text;
}

describe('the KRaft quickstart, command for command, with config/kraft/server.properties', () => {
  let dir: string;
  let file: string;
  let logDir: string;
  let bootstrap: string;
  let controllerPort: number;
  let broker: CapturedProcess | undefined;
  let clusterId = '';

  async function startBroker(): Promise<void> {
    broker = spawnCaptured(path.join(BIN, 'kafka-server-start'), [file], { ...process.env, SAMSA_LOG_PRETTY: '0' });
    await waitFor(
      () => {
        if (broker!.hasExited()) throw new Error(`the broker exited:\n${broker!.out.join('').slice(-3000)}`);
        return /\[KafkaServer id=1\] started/.test(broker!.out.join(''));
      },
      { timeoutMs: 30_000, what: 'the KRaft node to start' },
    );
  }

  async function stopBroker(): Promise<void> {
    broker!.child.kill('SIGTERM');
    const exit = await withTimeout(broker!.exited, 20_000, 'the broker to stop');
    assert.equal(exit.code, 0, broker!.out.join('').slice(-2000));
  }

  before(async () => {
    dir = await makeTempDir('samsa-kraft-');
    logDir = path.join(dir, 'kraft-combined-logs');
    const brokerPort = await freePort();
    controllerPort = await freePort();
    bootstrap = `localhost:${brokerPort}`;
    file = path.join(dir, 'server.properties');
    await writeFile(file, kraftProperties(brokerPort, controllerPort, logDir));
  });

  after(async () => {
    if (broker && !broker.hasExited()) {
      broker.child.kill('SIGKILL');
      await withTimeout(broker.exited, 10_000, 'the broker to die').catch(() => undefined); // best effort at teardown
    }
    if (dir) await removeDir(dir);
  });

  it('kafka-server-start on the unformatted dir says to run kafka-storage format (one line, exit 1)', async () => {
    const r = await tool('kafka-server-start', [file], { env: { ...process.env, SAMSA_LOG_PRETTY: '0' } });
    assert.equal(r.code, 1);
    const errLines = lines(r.stderr);
    assert.equal(errLines.length, 1, r.stderr);
    assert.match(errLines[0]!, /^samsa: No meta\.properties found in .*kraft-combined-logs \(have you run kafka-storage to format the directory\?\): run bin\/kafka-storage format/);
  });

  it('KAFKA_CLUSTER_ID="$(bin/kafka-storage random-uuid)"', async () => {
    const r = await toolOk('kafka-storage', ['random-uuid']);
    clusterId = r.stdout.trim();
    assert.match(clusterId, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    const again = await toolOk('kafka-storage.sh', ['random-uuid']);
    assert.notEqual(again.stdout.trim(), clusterId, 'a new id each time');
  });

  it('bin/kafka-storage format -t $KAFKA_CLUSTER_ID -c config/kraft/server.properties', async () => {
    const r = await toolOk('kafka-storage', ['format', '-t', clusterId, '-c', file]);
    assertLines(r.stdout, [/^Formatting .*kraft-combined-logs with metadata\.version 3\.7-IV4\.$/], 'format');
    const meta = readFileSync(path.join(logDir, 'meta.properties'), 'utf8');
    assert.match(meta, new RegExp(`^cluster\\.id=${clusterId}$`, 'm'));
    assert.match(meta, /^node\.id=1$/m);
    assert.match(meta, /^version=1$/m);
    assert.match(meta, /^directory\.id=[A-Za-z0-9_-]{22}$/m);
    // Formatting again is refused as Kafka refuses it; --ignore-formatted makes it a no-op.
    const again = await tool('kafka-storage', ['format', '-t', clusterId, '-c', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Log directory .* is already formatted\. Use --ignore-formatted to ignore this directory and format the others\.$/m);
    const ignored = await toolOk('kafka-storage', ['format', '--ignore-formatted', '-t', clusterId, '-c', file]);
    assert.equal(ignored.stdout, 'All of the log directories are already formatted.\n');
    // Kafka 4.x's form (--standalone) is accepted on this file: its static voter is this node.
    const standalone = await toolOk('kafka-storage', ['format', '--standalone', '-g', '-t', clusterId, '-c', file]);
    assert.equal(standalone.stdout, 'All of the log directories are already formatted.\n');
  });

  it('kafka-storage info and the answers for wrong input', async () => {
    const info = await toolOk('kafka-storage', ['info', '-c', file]);
    assertLines(info.stdout, [/^Found log directory:$/, /^ {2}.*kraft-combined-logs$/, new RegExp(`^Found metadata: \\{cluster\\.id=${clusterId}, directory\\.id=[A-Za-z0-9_-]{22}, node\\.id=1, version=1\\}$`)], 'info');
    const legacy = await tool('kafka-storage', ['format', '-t', clusterId, '-c', path.join(ROOT, 'config', 'server.properties')]);
    assert.equal(legacy.code, 1);
    assert.match(legacy.stderr, /^The kafka configuration file appears to be for a legacy cluster\. Formatting is only supported for clusters in KRaft mode\..*config\/kraft\/server\.properties\.$/m);
    const badId = await tool('kafka-storage', ['format', '-t', 'not-a-uuid', '-c', file]);
    assert.equal(badId.code, 1);
    assert.match(badId.stderr, /^Cluster ID string not-a-uuid does not appear to be a valid UUID/);
    const noConfig = await tool('kafka-storage', ['format', '-t', clusterId]);
    assert.equal(noConfig.code, 1);
    assert.match(noConfig.stderr, /argument --config\/-c is required/);
    for (const r of [legacy, badId, noConfig]) assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it('bin/kafka-server-start config/kraft/server.properties', async () => {
    await startBroker();
  });

  it('kafka-topics --create and --describe', async () => {
    const created = await toolOk('kafka-topics', ['--create', '--topic', TOPIC, '--bootstrap-server', bootstrap]);
    assertLines(created.stdout, [/^Created topic quickstart-events\.$/], 'create');
    const described = await toolOk('kafka-topics', ['--describe', '--topic', TOPIC, '--bootstrap-server', bootstrap]);
    assertLines(
      described.stdout,
      [/^Topic: quickstart-events\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: .*$/, /^\tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1$/],
      'describe',
    );
  });

  it('kafka-console-producer writes events; kafka-console-consumer --from-beginning reads them', async () => {
    await toolOk('kafka-console-producer', ['--topic', TOPIC, '--bootstrap-server', bootstrap], { input: `${EVENTS.join('\n')}\n` });
    const r = await toolOk('kafka-console-consumer', ['--topic', TOPIC, '--from-beginning', '--bootstrap-server', bootstrap, '--max-messages', '2', '--timeout-ms', '20000']);
    assert.deepEqual(lines(r.stdout), EVENTS);
  });

  it('kafka-metadata-quorum describe --status and --replication answer for the single voter', async () => {
    const status = await toolOk('kafka-metadata-quorum', ['--bootstrap-server', bootstrap, 'describe', '--status']);
    assertLines(
      status.stdout,
      [
        new RegExp(`^ClusterId: +${clusterId}$`),
        /^LeaderId: +1$/,
        /^LeaderEpoch: +1$/,
        /^HighWatermark: +[1-9]\d*$/,
        /^MaxFollowerLag: +0$/,
        /^MaxFollowerLagTimeMs: +0$/,
        /^CurrentVoters: +\[1\]$/,
        /^CurrentObservers: +\[\]$/,
      ],
      'describe --status',
    );
    const replication = await toolOk('kafka-metadata-quorum', ['--bootstrap-controller', `localhost:${controllerPort}`, 'describe', '--replication']);
    assertLines(replication.stdout, [/^NodeId +LogEndOffset +Lag +LastFetchTimestamp +LastCaughtUpTimestamp +Status$/, /^1 +[1-9]\d* +0 +\d{13} +\d{13} +Leader$/], 'describe --replication');
  });

  it('a second broker on the same directory is refused with one line', async () => {
    const r = await tool('kafka-server-start', [file, '--override', 'listeners=PLAINTEXT://:0,CONTROLLER://:0'], { env: { ...process.env, SAMSA_LOG_PRETTY: '0' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^samsa: log dir .*kraft-combined-logs \(log\.dirs\) is in use by process \d+: another broker is running on the same directory/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it('after a restart the topic, its events and the cluster id are still there; the leader epoch grew', async () => {
    await stopBroker();
    assert.ok(existsSync(path.join(logDir, '__cluster_metadata-0', '00000000000000000000.log')), 'the metadata log is in the log dir');
    await startBroker();
    const list = await toolOk('kafka-topics', ['--list', '--bootstrap-server', bootstrap]);
    assert.ok(lines(list.stdout).includes(TOPIC), list.stdout);
    const r = await toolOk('kafka-console-consumer', ['--topic', TOPIC, '--from-beginning', '--bootstrap-server', bootstrap, '--max-messages', '2', '--timeout-ms', '20000']);
    assert.deepEqual(lines(r.stdout), EVENTS);
    const status = await toolOk('kafka-metadata-quorum', ['--bootstrap-server', bootstrap, 'describe', '--status']);
    assert.match(status.stdout, new RegExp(`^ClusterId: +${clusterId}$`, 'm'));
    assert.match(status.stdout, /^LeaderEpoch: +2$/m);
    await stopBroker();
  });

  it('a quorum of three voters is refused with one line until the Raft quorum exists', async () => {
    const r = await tool('kafka-server-start', [file, '--override', `controller.quorum.voters=1@localhost:${controllerPort},2@localhost:1,3@localhost:2`], { env: { ...process.env, SAMSA_LOG_PRETTY: '0' } });
    assert.equal(r.code, 1);
    assertLines(r.stderr, [/^samsa: Invalid value .* for configuration controller\.quorum\.voters: Names 3 voters \(1, 2, 3\); Samsa runs KRaft with a single voter/], 'three voters');
  });

  it('a cluster id that differs between the metadata log and meta.properties is refused', async () => {
    const metaFile = path.join(logDir, 'meta.properties');
    const meta = readFileSync(metaFile, 'utf8');
    const other = 'AAAAAAAAAAAAAAAAAAAAAA';
    await writeFile(metaFile, meta.replace(/^cluster\.id=.*$/m, `cluster.id=${other}`));
    try {
      const r = await tool('kafka-server-start', [file], { env: { ...process.env, SAMSA_LOG_PRETTY: '0' } });
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.match(r.stderr, new RegExp(`belongs to cluster ${clusterId}, not ${other}`));
    } finally {
      await writeFile(metaFile, meta);
    }
  });
});
