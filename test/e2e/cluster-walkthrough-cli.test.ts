/**
 * Goal: the classic Kafka multi-broker walkthrough, command for command, with our bin/ tools —
 * the way a new user types it with the tutorial open:
 *
 *   bin/zookeeper-server-start config/zookeeper.properties
 *   bin/kafka-server-start config/server.properties              (and server-1/server-2 copies)
 *   bin/kafka-topics --create --zookeeper … --replication-factor 3 --partitions 1 --topic my-replicated-topic
 *   bin/kafka-topics --describe --zookeeper … --topic my-replicated-topic
 *   bin/kafka-console-producer --broker-list … --topic my-replicated-topic
 *   bin/kafka-console-consumer --bootstrap-server … --from-beginning --topic my-replicated-topic
 *   kill -9 <leader>;  describe again (new leader, dead broker gone from Isr);  consume again
 *
 * then the part the old tutorial did with kafka-preferred-replica-election: restart the killed
 * broker, wait until it is back in the ISR, and `kafka-leader-election --election-type PREFERRED`
 * moves leadership back to the preferred replica. Output is compared line by line with Kafka's.
 *
 * Method: everything is started through the real commands, as child processes, from copies of the
 * files as shipped with exactly the tutorial's edits: ZooKeeper with bin/zookeeper-server-start and
 * config/zookeeper.properties, three brokers with bin/kafka-server-start and copies of
 * config/server.properties in which the tutorial's lines are edited — broker.id=N, the port
 * (broker 1 the 0.9 way, `port=9093` added; broker 2 the 1.x way, the commented `listeners=` line
 * uncommented) and log.dir — and nothing else: no session timeout, no tickTime, zookeeper.connect
 * as shipped. The only other changes are the ones a test must make to run beside other tests:
 * ephemeral ports instead of 2181/9092-9094 (in clientPort, zookeeper.connect and the port edits)
 * and temp dirs instead of /tmp/kafka-logs and /tmp/zookeeper. The failover time after kill -9 is
 * therefore the one users get with the shipped defaults; it is printed, and checked only loosely
 * (well under the 18 s of Kafka's newer default) since timing belongs in benchmarks. A last block
 * checks the tools against a single embedded node (no ZooKeeper).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brokersFromZooKeeper } from '../../src/client/zookeeper.js';
import { makeTempDir, removeDir, run, startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { fourLetterWord, freePort } from '../helpers/cluster.js';
import { assertLines, BIN, lines, ROOT, tool, toolOk } from '../cli/tools.js';

const TOPIC = 'my-replicated-topic';
const MESSAGES = ['my test message 1', 'my test message 2', 'my test message 3'];
/** Kafka's default before 2.5; this test only checks that failover is clearly faster than that. */
const KAFKA_NEWER_SESSION_TIMEOUT_MS = 18_000;

interface Child {
  child: ChildProcess;
  out: string[];
  exited: Promise<unknown>;
  done(): boolean;
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => out.push(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => out.push(s));
  let finished = false;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      finished = true;
      resolve({ code, signal });
    });
    child.on('error', (e) => {
      out.push(`spawn error: ${e.message}\n`);
      finished = true;
      resolve({ code: -1 });
    });
  });
  return { child, out, exited, done: () => finished };
}

/** Replaces one line of a shipped file, failing the test if the file no longer has that line. */
function edit(text: string, line: RegExp, replacement: string): string {
  assert.match(text, line, `the shipped file has a line matching ${line}`);
  return text.replace(line, replacement);
}

/**
 * `cp config/server.properties config/server-N.properties` and the tutorial's edits (see the
 * header): broker.id, the port and log.dir. Broker 0 keeps the file's own listener (port 9092 as
 * shipped, made ephemeral here with port=); zookeeper.connect is the shipped line pointed at the
 * test's ZooKeeper port.
 */
function brokerProperties(id: number, port: number, logDir: string, zkPort: number): string {
  let text = readFileSync(path.join(ROOT, 'config', 'server.properties'), 'utf8');
  text = edit(text, /^zookeeper\.connect=localhost:2181$/m, `zookeeper.connect=localhost:${zkPort}`);
  text = edit(text, /^broker\.id=0$/m, `broker.id=${id}`);
  text = edit(text, /^log\.dirs=\/tmp\/kafka-logs$/m, `log.dir=${logDir}`);
  if (id === 2) text = edit(text, /^#listeners=PLAINTEXT:\/\/:9092$/m, `listeners=PLAINTEXT://:${port}`);
  else text += `port=${port}\n`;
  assert.doesNotMatch(text, /^zookeeper\.session\.timeout\.ms=/m, 'the shipped file leaves the session timeout at its default');
  return text;
}

interface Described {
  leader: number;
  replicas: number[];
  isr: number[];
}

const PARTITION_LINE = new RegExp(`^\\tTopic: ${TOPIC}\\tPartition: 0\\tLeader: (\\d+|none)\\tReplicas: ([\\d,]+)\\tIsr: ([\\d,]*)(\\tOffline: [\\d,]+)?$`);

function parseDescribe(stdout: string): Described {
  assertLines(stdout, [new RegExp(`^Topic: ${TOPIC}\\tTopicId: [A-Za-z0-9_-]{22}\\tPartitionCount: 1\\tReplicationFactor: 3\\tConfigs: .*$`), PARTITION_LINE], 'kafka-topics --describe');
  const m = PARTITION_LINE.exec(lines(stdout)[1]!)!;
  const ids = (s: string): number[] => (s === '' ? [] : s.split(',').map(Number));
  return { leader: m[1] === 'none' ? -1 : Number(m[1]), replicas: ids(m[2]!), isr: ids(m[3]!) };
}

describe('the classic walkthrough with bin/ tools: ZooKeeper, three brokers, kill -9 of the leader, preferred election', () => {
  let dir: string;
  let zk: Child | undefined;
  let zkConnect: string;
  let bootstrap: string;
  const ports = new Map<number, number>();
  const propsFiles = new Map<number, string>();
  const brokers = new Map<number, Child>();
  let firstLeader = -1;
  let preferred = -1;
  const t0 = Date.now();
  const mark = (what: string): void => void process.stdout.write(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);

  const brokerEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KAFKA_') && !k.startsWith('SAMSA_')) env[k] = v;
    return { ...env, SAMSA_LOG_PRETTY: '0', SAMSA_LOG_LEVEL: 'info' };
  };

  async function startBrokerProcess(id: number): Promise<void> {
    // bin/kafka-server-start config/server-N.properties &
    const b = launch(path.join(BIN, 'kafka-server-start'), [propsFiles.get(id)!], brokerEnv());
    brokers.set(id, b);
    await waitFor(
      () => {
        if (b.done()) throw new Error(`broker ${id} exited:\n${b.out.join('').slice(-4000)}`);
        return /listening on PLAINTEXT:\/\//.test(b.out.join(''));
      },
      { timeoutMs: 60_000, intervalMs: 50, what: `broker ${id} to listen` },
    );
  }

  async function describeTopic(): Promise<Described> {
    const r = await toolOk('kafka-topics', ['--describe', '--zookeeper', zkConnect, '--topic', TOPIC]);
    return parseDescribe(r.stdout);
  }

  async function waitForDescribe(check: (d: Described) => boolean, what: string, timeoutMs: number): Promise<Described> {
    let last: Described | null = null;
    try {
      const found = await waitFor(
        async () => {
          const r = await tool('kafka-topics', ['--describe', '--zookeeper', zkConnect, '--topic', TOPIC]);
          if (r.code !== 0) return null;
          last = parseDescribe(r.stdout);
          return check(last) ? last : null;
        },
        { timeoutMs, intervalMs: 250, what },
      );
      return found!;
    } catch (e) {
      throw new Error(`${String(e)}; last describe: ${JSON.stringify(last)}`);
    }
  }

  async function consume(args: string[]): Promise<string[]> {
    const r = await toolOk('kafka-console-consumer', [...args, '--topic', TOPIC, '--from-beginning', '--max-messages', String(MESSAGES.length), '--timeout-ms', '20000']);
    assert.match(r.stderr, new RegExp(`Processed a total of ${MESSAGES.length} messages`));
    return lines(r.stdout);
  }

  before(async () => {
    dir = await makeTempDir('samsa-walkthrough-');
    // bin/zookeeper-server-start config/zookeeper.properties  (a copy: dataDir and clientPort made private)
    const zkPort = await freePort();
    let zkProps = readFileSync(path.join(ROOT, 'config', 'zookeeper.properties'), 'utf8');
    zkProps = edit(zkProps, /^dataDir=\/tmp\/zookeeper$/m, `dataDir=${path.join(dir, 'zookeeper')}`);
    zkProps = edit(zkProps, /^clientPort=2181$/m, `clientPort=${zkPort}`);
    const zkFile = path.join(dir, 'zookeeper.properties');
    await writeFile(zkFile, zkProps);
    zk = launch(path.join(BIN, 'zookeeper-server-start'), [zkFile], { ...process.env, ZOOKEEPER_LOG_LEVEL: 'warn', ZOOKEEPER_HEAP_OPTS: '-Xmx256m' });
    await waitFor(
      async () => {
        if (zk!.done()) throw new Error(`ZooKeeper exited:\n${zk!.out.join('').slice(-3000)}`);
        return /Mode: standalone/.test(await fourLetterWord(zkPort, 'srvr'));
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'ZooKeeper to serve' },
    );
    zkConnect = `localhost:${zkPort}`;
    mark('ZooKeeper serves');

    // cp config/server.properties config/server-1.properties … (edited), then start all three.
    for (const id of [0, 1, 2]) {
      ports.set(id, await freePort());
      const file = path.join(dir, id === 0 ? 'server.properties' : `server-${id}.properties`);
      await writeFile(file, brokerProperties(id, ports.get(id)!, path.join(dir, `kafka-logs${id === 0 ? '' : `-${id}`}`), zkPort));
      propsFiles.set(id, file);
    }
    bootstrap = [0, 1, 2].map((id) => `localhost:${ports.get(id)}`).join(',');
    await Promise.all([0, 1, 2].map((id) => startBrokerProcess(id)));
    await waitFor(async () => (await brokersFromZooKeeper(zkConnect).catch(() => [])).length === 3, { timeoutMs: 30_000, intervalMs: 200, what: 'three brokers registered in ZooKeeper' });
    mark('three brokers registered');
  });

  after(async () => {
    for (const b of brokers.values()) {
      if (!b.done()) {
        b.child.kill('SIGKILL');
        await withTimeout(b.exited, 10_000, 'a broker to die').catch(() => undefined); // best effort at teardown
      }
    }
    if (zk && !zk.done()) {
      zk.child.kill('SIGKILL');
      await withTimeout(zk.exited, 10_000, 'ZooKeeper to die').catch(() => undefined);
    }
    if (dir && !process.env.SAMSA_KEEP_CLUSTER_DIR) await removeDir(dir);
  });

  it('kafka-topics --create --zookeeper … --replication-factor 3 --partitions 1 --topic my-replicated-topic', async () => {
    const r = await toolOk('kafka-topics', ['--create', '--zookeeper', zkConnect, '--replication-factor', '3', '--partitions', '1', '--topic', TOPIC]);
    assertLines(r.stdout, [/^Created topic my-replicated-topic\.$/], 'kafka-topics --create');
  });

  it('kafka-topics --describe --zookeeper shows Leader: X Replicas: a,b,c Isr: a,b,c', async () => {
    const d = await waitForDescribe((x) => x.leader >= 0 && x.isr.length === 3, 'a leader and a full ISR', 15_000);
    assert.deepEqual([...d.replicas].sort(), [0, 1, 2]);
    assert.deepEqual([...d.isr].sort(), [0, 1, 2]);
    assert.equal(d.leader, d.replicas[0], 'the preferred (first) replica leads a new topic');
    firstLeader = d.leader;
    preferred = d.replicas[0]!;
    mark(`described: leader ${d.leader}, replicas ${d.replicas.join(',')}`);
  });

  it('a typo in the ZooKeeper port (localhost:218192, found in real tutorials) gets one line naming it, exit 1', async () => {
    const r = await tool('kafka-topics', ['--describe', '--zookeeper', 'localhost:218192', '--topic', TOPIC]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, 'no stack trace');
    assert.match(r.stdout + r.stderr, /Invalid --zookeeper value 'localhost:218192': Port 218192 is out of range 0-65535/);
  });

  it('kafka-console-producer --broker-list … sends one record per line', async () => {
    const r = await toolOk('kafka-console-producer', ['--broker-list', bootstrap, '--topic', TOPIC], { input: `${MESSAGES.join('\n')}\n` });
    assert.equal(r.stderr.trim(), '', 'no delivery errors');
  });

  it('kafka-console-consumer --bootstrap-server … --from-beginning reads them, and so does --zookeeper', async () => {
    assert.deepEqual(await consume(['--bootstrap-server', bootstrap]), MESSAGES);
    assert.deepEqual(await consume(['--zookeeper', zkConnect]), MESSAGES);
  });

  it('a broker that pauses for two seconds (SIGSTOP, SIGCONT) is not expelled with the shipped defaults', async () => {
    const before = await describeTopic();
    const follower = before.replicas.find((id) => id !== before.leader)!;
    const b = brokers.get(follower)!;
    b.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 2000));
    b.child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 1500)); // longer than one ZooKeeper tick: an expiry would show by now
    const ids = (await brokersFromZooKeeper(zkConnect)).map((x) => x.id).sort();
    assert.deepEqual(ids, [0, 1, 2], 'the paused broker is still registered');
    const after = await describeTopic();
    assert.equal(after.leader, before.leader, 'leadership did not move');
    assert.deepEqual([...after.isr].sort(), [0, 1, 2], 'the ISR is whole');
  });

  it('kill -9 of the leader: --describe shows a new leader and the dead broker gone from Isr', async () => {
    const victim = brokers.get(firstLeader)!;
    victim.child.kill('SIGKILL');
    await withTimeout(victim.exited, 10_000, `broker ${firstLeader} to die`);
    mark(`killed broker ${firstLeader} (kill -9)`);
    const started = Date.now();
    const d = await waitForDescribe((x) => x.leader >= 0 && x.leader !== firstLeader && !x.isr.includes(firstLeader), 'a new leader and the dead broker out of the ISR', 30_000);
    const failoverMs = Date.now() - started;
    mark(`new leader ${d.leader} after ${failoverMs} ms with the shipped defaults; Isr: ${d.isr.join(',')}`);
    assert.ok(failoverMs < KAFKA_NEWER_SESSION_TIMEOUT_MS * 0.75, `failover took ${failoverMs} ms; the shipped defaults aim at 6-8 s`);
    assert.deepEqual([...d.replicas].sort(), [0, 1, 2], 'the assignment does not change');
    assert.equal(d.isr.length, 2);
  });

  it('consuming again from the beginning gets every message', async () => {
    const live = [0, 1, 2].filter((id) => id !== firstLeader).map((id) => `localhost:${ports.get(id)}`).join(',');
    assert.deepEqual(await consume(['--bootstrap-server', live]), MESSAGES);
    assert.deepEqual(await consume(['--zookeeper', zkConnect]), MESSAGES);
  });

  it('kafka-leader-election: the preferred replica is dead, so it cannot be elected (exit 1); UNCLEAN is not needed', async () => {
    const live = [0, 1, 2].filter((id) => id !== firstLeader).map((id) => `localhost:${ports.get(id)}`).join(',');
    const r = await tool('kafka-leader-election', ['--bootstrap-server', live, '--election-type', 'PREFERRED', '--topic', TOPIC, '--partition', '0']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assertLines(
      r.stdout,
      [/^Error completing leader election \(PREFERRED\) for partition: my-replicated-topic-0: org\.apache\.kafka\.common\.errors\.PreferredLeaderNotAvailableException: .+$/],
      'preferred election with the preferred replica dead',
    );
    assert.match(r.stderr, /^1 replica\(s\) could not be elected$/m);
    const u = await toolOk('kafka-leader-election', ['--bootstrap-server', live, '--election-type', 'UNCLEAN', '--topic', TOPIC, '--partition', '0']);
    assertLines(u.stdout, [/^Valid replica already elected for partitions my-replicated-topic-0$/], 'unclean election with a live leader');
  });

  it('the killed broker restarts (bin/kafka-server-start config/server-N.properties) and rejoins the ISR', async () => {
    await startBrokerProcess(firstLeader);
    mark(`restarted broker ${firstLeader}`);
    const d = await waitForDescribe((x) => x.isr.includes(firstLeader) && x.isr.length === 3, `broker ${firstLeader} back in the ISR`, 30_000);
    mark(`ISR ${d.isr.join(',')}, leader ${d.leader}`);
    assert.notEqual(d.leader, preferred, 'leadership does not move back by itself (auto rebalance runs every 300 s)');
  });

  it('kafka-leader-election --election-type PREFERRED moves leadership back to the preferred replica', async () => {
    const r = await toolOk('kafka-leader-election', ['--bootstrap-server', bootstrap, '--election-type', 'PREFERRED', '--topic', TOPIC, '--partition', '0']);
    assertLines(r.stdout, [/^Successfully completed leader election \(PREFERRED\) for partitions my-replicated-topic-0$/], 'kafka-leader-election');
    const d = await describeTopic();
    assert.equal(d.leader, preferred, `leader is the preferred replica ${preferred} again`);
    assert.deepEqual([...d.isr].sort(), [0, 1, 2]);
    mark(`preferred election: leader ${d.leader}`);

    // Asked again (as a JSON file, the old tool's input), nothing needs doing.
    const json = path.join(dir, 'election.json');
    await writeFile(json, JSON.stringify({ partitions: [{ topic: TOPIC, partition: 0 }] }));
    const again = await toolOk('kafka-leader-election.sh', ['--bootstrap-server', bootstrap, '--election-type', 'preferred', '--path-to-json-file', json]);
    assertLines(again.stdout, [/^Valid replica already elected for partitions my-replicated-topic-0$/], 'kafka-leader-election again');
    // And every partition: none needs an election, so nothing is listed (as Kafka's KRaft controller answers).
    const all = await toolOk('kafka-leader-election', ['--bootstrap-server', bootstrap, '--election-type', 'PREFERRED', '--all-topic-partitions']);
    assert.equal(all.stdout, '');
    // samsa's equivalent agrees.
    const samsa = await toolOk('samsa', ['topic', 'elect-leaders', TOPIC, '-b', bootstrap, '--json']);
    assert.deepEqual(JSON.parse(samsa.stdout), [{ topic: TOPIC, partition: 0, status: 'not needed', leader: preferred }]);
    // The data is all there, read from the restored leader.
    assert.deepEqual(await consume(['--bootstrap-server', `localhost:${ports.get(preferred)}`]), MESSAGES);
  });
});

describe('kafka-leader-election and kafka-reassign-partitions against a single embedded node', () => {
  let b: StartedBroker;
  before(async () => {
    b = await startBroker();
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', b.bootstrap, '--topic', 'solo', '--partitions', '2']);
  });
  after(async () => {
    await b?.stop();
  });

  it('preferred election is never needed on one node; an unknown partition is an error', async () => {
    const r = await toolOk('kafka-leader-election', ['--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--topic', 'solo', '--partition', '1']);
    assertLines(r.stdout, [/^Valid replica already elected for partitions solo-1$/], 'single node');
    const missing = await tool('kafka-leader-election', ['--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--topic', 'solo', '--partition', '7']);
    assert.equal(missing.code, 1);
    assertLines(missing.stdout, [/^Error completing leader election \(PREFERRED\) for partition: solo-7: org\.apache\.kafka\.common\.errors\.UnknownTopicOrPartitionException: .+$/], 'unknown partition');
    const unclean = await toolOk('kafka-leader-election', ['--bootstrap-server', b.bootstrap, '--election-type', 'unclean', '--all-topic-partitions']);
    assert.equal(unclean.stdout, '');
    const samsa = await toolOk('samsa', ['topic', 'elect-leaders', 'solo', '-b', b.bootstrap]);
    assertLines(samsa.stdout, [/^TOPIC\s+PARTITION\s+LEADER\s+RESULT$/, /^solo\s+0\s+0\s+already preferred$/, /^solo\s+1\s+0\s+already preferred$/], 'samsa topic elect-leaders');
    const samsaMissing = await tool('samsa', ['topic', 'elect-leaders', 'nope', '-b', b.bootstrap]);
    assert.equal(samsaMissing.code, 1);
    assert.match(samsaMissing.stderr, /topic 'nope' does not exist/);
  });

  it('checks its flags as Kafka does', async () => {
    const noType = await tool('kafka-leader-election', ['--bootstrap-server', b.bootstrap, '--all-topic-partitions']);
    assert.equal(noType.code, 1);
    assert.match(noType.stderr, /^Missing required option\(s\): election-type$/m);
    const two = await tool('kafka-leader-election', ['--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--all-topic-partitions', '--topic', 'solo', '--partition', '0']);
    assert.equal(two.code, 1);
    assert.match(two.stderr, /One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file/);
    const noPartition = await tool('kafka-leader-election', ['--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--topic', 'solo']);
    assert.equal(noPartition.code, 1);
    assert.match(noPartition.stderr, /^Missing required option\(s\): partition$/m);
  });

  it('kafka-reassign-partitions on one node: nothing in progress; only this broker can hold a replica', async () => {
    const list = await toolOk('kafka-reassign-partitions', ['--bootstrap-server', b.bootstrap, '--list']);
    assert.equal(list.stdout, 'No partition reassignments found.\n');
    const dir = await makeTempDir('samsa-reassign-solo-');
    try {
      const plan = path.join(dir, 'plan.json');
      await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'solo', partition: 0, replicas: [5] }] }));
      for (const name of ['kafka-reassign-partitions', 'kafka-reassign-partitions.sh']) {
        const r = await run(path.join(BIN, name), ['--bootstrap-server', b.bootstrap, '--execute', '--reassignment-json-file', plan], { timeoutMs: 10_000 });
        assert.equal(r.code, 1);
        assert.equal(lines(r.stderr).length, 1);
        assert.match(r.stderr, /^The proposed assignment contains non-existent brokerIDs: 5$/m);
      }
      await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'solo', partition: 0, replicas: [0] }] }));
      const same = await toolOk('kafka-reassign-partitions', ['--bootstrap-server', b.bootstrap, '--execute', '--reassignment-json-file', plan]);
      assert.match(same.stdout, /^Successfully started partition reassignments for solo-0$/m);
      const verify = await toolOk('kafka-reassign-partitions', ['--bootstrap-server', b.bootstrap, '--verify', '--reassignment-json-file', plan]);
      assert.match(verify.stdout, /^Reassignment of partition solo-0 is completed\.$/m);
      const cancel = await toolOk('kafka-reassign-partitions', ['--bootstrap-server', b.bootstrap, '--cancel', '--reassignment-json-file', plan]);
      assert.equal(cancel.stdout, 'None of the specified partition reassignments are active.\n');
    } finally {
      await removeDir(dir);
    }
  });
});
