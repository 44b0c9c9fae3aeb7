/**
 * Goal: every start-up failure a user can cause gets one line on stderr — naming the value, where
 * it came from and the fix — exit code 1, and no stack trace: ZooKeeper not running (the classic
 * tutorial's first stumble), malformed host:port values in zookeeper.connect / listeners / port,
 * a port already taken, a log dir that is a file or in use by another broker, a dir formatted for
 * the other mode, and a broker pointed at another cluster's ZooKeeper (meta.properties mismatch).
 *
 * Method: the real `bin/kafka-server-start` with a copy of the shipped config/server.properties
 * (log dir and port made private to the test; the failing value given with --override, as a user
 * edits one line), run to completion. Where another broker is needed (port taken, dir in use) it
 * runs in this process; the cluster-id case uses a real ZooKeeper (test/helpers/cluster.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir, spawnCaptured, startBroker, waitFor, withTimeout, type RunResult, type StartedBroker } from '../helpers/broker.js';
import { freePort, startZooKeeper, type ZooKeeperEnsemble } from '../helpers/cluster.js';
import { BIN, closedPort, lines, ROOT, tool } from '../cli/tools.js';

function assertOneLine(r: RunResult, pattern: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit 1\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, `${what}: no stack trace\n${r.stderr}`);
  const errLines = lines(r.stderr);
  assert.equal(errLines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
  assert.match(errLines[0]!, pattern, what);
}

describe('kafka-server-start refuses what it cannot run with one line, exit 1', () => {
  let dir: string;
  let file: string;
  const env = { ...process.env, SAMSA_LOG_PRETTY: '0', SAMSA_LOG_LEVEL: 'warn' };
  const start = (...overrides: string[]): Promise<RunResult> => tool('kafka-server-start', [file, ...overrides.flatMap((o) => ['--override', o])], { env, timeoutMs: 60_000 });

  before(async () => {
    dir = await makeTempDir('samsa-startup-');
    file = path.join(dir, 'server.properties');
    const shipped = readFileSync(path.join(ROOT, 'config', 'server.properties'), 'utf8');
    assert.match(shipped, /^zookeeper\.connect=localhost:2181$/m, 'the shipped file is the ZooKeeper-mode file');
    await writeFile(file, shipped.replace(/^log\.dirs=.*$/m, `log.dirs=${path.join(dir, 'logs')}`) + `port=${await freePort()}\n`);
  });

  after(async () => {
    if (dir) await removeDir(dir);
  });

  it('ZooKeeper not running: waits zookeeper.connection.timeout.ms, then names the address, the key and both fixes', async () => {
    const port = await closedPort();
    const startedMs = Date.now();
    const r = await start(`zookeeper.connect=localhost:${port}`, 'zookeeper.connection.timeout.ms=1500');
    const elapsedMs = Date.now() - startedMs;
    assertOneLine(
      r,
      new RegExp(
        `^samsa: cannot reach ZooKeeper at localhost:${port} \\(zookeeper\\.connect\\): nothing answered within 1500 ms \\(zookeeper\\.connection\\.timeout\\.ms\\)\\. ` +
          'Start ZooKeeper first \\(bin/zookeeper-server-start config/zookeeper\\.properties\\), or run without it: `npm start`, `samsa start`, or KRaft mode with config/kraft/server\\.properties$',
      ),
      'no ZooKeeper',
    );
    assert.ok(elapsedMs >= 1500, `waited the connection timeout (${elapsedMs} ms)`);
  });

  it('malformed host:port values name the key and the value', async () => {
    const cases: Array<[string, RegExp]> = [
      ['zookeeper.connect=localhost:218192', /Invalid value localhost:218192 for configuration zookeeper\.connect: Port 218192 is out of range 0-65535/],
      ['zookeeper.connect=localhost:', /for configuration zookeeper\.connect: Port '' is not a number/],
      ['zookeeper.connect=localhost:2181,,localhost:2182', /for configuration zookeeper\.connect: The connection string has an empty server entry/],
      ['zookeeper.connect=localhost:0', /for configuration zookeeper\.connect: Entry 'localhost:0' has port 0/],
      ['zookeeper.connect=::1:2181', /for configuration zookeeper\.connect: .*looks like an IPv6 address; put it in brackets/],
      ['listeners=PLAINTEXT://:99999', /for configuration listeners: .*Port 99999 is out of range 0-65535/],
      ['listeners=PLAINTEXT://localhost', /for configuration listeners: .*has no port; write HOST:PORT/],
      ['listeners=garbage', /for configuration listeners: Listener 'garbage' is not of the form NAME:\/\/HOST:PORT/],
      ['port=-5', /for configuration port/],
    ];
    for (const [override, pattern] of cases) {
      const r = await start(override);
      assertOneLine(r, new RegExp(`^samsa: .*${pattern.source}`), override);
    }
  });

  describe('with another broker running', () => {
    let other: StartedBroker;
    before(async () => {
      other = await startBroker();
    });
    after(async () => {
      await other?.stop();
    });

    it('a port already in use', async () => {
      const r = await start(`listeners=PLAINTEXT://127.0.0.1:${other.port}`, 'zookeeper.connect=');
      assertOneLine(r, new RegExp(`^samsa: cannot listen on PLAINTEXT://127\\.0\\.0\\.1:${other.port} \\(listeners\\): the port is already in use — is another broker \\(or Kafka\\) running\\?`), 'port in use');
    });

    it('a log dir in use by another broker', async () => {
      const r = await start(`log.dirs=${other.dataDir}`, 'zookeeper.connect=');
      assertOneLine(r, new RegExp(`^samsa: log dir ${other.dataDir} \\(log\\.dirs\\) is in use by process ${process.pid}: another broker is running on the same directory`), 'dir in use');
    });
  });

  it('a log dir that cannot be a directory', async () => {
    const r = await start('log.dirs=/etc/passwd/logs', 'zookeeper.connect=');
    assertOneLine(r, /^samsa: cannot use log dir \/etc\/passwd\/logs \(log\.dirs\): a part of the path is a file, not a directory/, 'dir under a file');
  });

  it('a dir formatted for KRaft, started in ZooKeeper mode', async () => {
    const kraftDir = path.join(dir, 'kraft');
    const kraftFile = path.join(dir, 'kraft.properties');
    await writeFile(kraftFile, `process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:1\nlisteners=PLAINTEXT://:0,CONTROLLER://:0\ncontroller.listener.names=CONTROLLER\nlog.dirs=${kraftDir}\n`);
    const formatted = await tool('kafka-storage', ['format', '-t', 'MkU3OEVBNTcwNTJENDM2Qk', '-c', kraftFile]);
    assert.equal(formatted.code, 0, formatted.stderr);
    const r = await start(`log.dirs=${kraftDir}`, 'zookeeper.connect=localhost:1');
    assertOneLine(r, new RegExp(`^samsa: ${kraftDir} is formatted for KRaft mode \\(kafka-storage format\\), but this broker runs with ZooKeeper`), 'KRaft dir in ZooKeeper mode');
  });

  it('-daemon must come first, as in Kafka', async () => {
    const r = await tool('kafka-server-start', [file, '-daemon'], { env });
    assertOneLine(r, /^samsa: -daemon must come first: kafka-server-start -daemon config\/server\.properties$/, '-daemon last');
  });

  describe('a broker pointed at another cluster', () => {
    let zk: ZooKeeperEnsemble;
    before(async () => {
      zk = await startZooKeeper({ dir: path.join(dir, 'zk') });
    });
    after(async () => {
      await zk?.stop();
    });

    it("refuses a ZooKeeper whose cluster id is not the one in meta.properties (Kafka's InconsistentClusterIdException)", async () => {
      const logs = path.join(dir, 'cluster-logs');
      // First run: cluster A (its own chroot) writes meta.properties with A's cluster id.
      const broker = spawnCaptured(path.join(BIN, 'kafka-server-start'), [file, '--override', `zookeeper.connect=${zk.connect}/cluster-a`, '--override', `log.dirs=${logs}`], { ...env, SAMSA_LOG_LEVEL: 'info' });
      try {
        await waitFor(
          () => {
            if (broker.hasExited()) throw new Error(`the broker exited:\n${broker.out.join('')}`);
            return /\[KafkaServer id=0\] started/.test(broker.out.join(''));
          },
          { timeoutMs: 30_000, what: 'the broker to join cluster A' },
        );
      } finally {
        broker.child.kill('SIGTERM');
        await withTimeout(broker.exited, 20_000, 'the broker to stop');
      }
      const meta = readFileSync(path.join(logs, 'meta.properties'), 'utf8');
      assert.match(meta, /^version=0$/m);
      assert.match(meta, /^broker\.id=0$/m);
      const stored = /^cluster\.id=(.+)$/m.exec(meta)?.[1];
      assert.ok(stored, meta);
      // Second run: the same dir pointed at cluster B.
      const r = await start(`zookeeper.connect=${zk.connect}/cluster-b`, `log.dirs=${logs}`);
      assertOneLine(r, new RegExp(`^samsa: The Cluster ID \\S+ doesn't match stored clusterId ${stored} in .*meta\\.properties\\. The broker is trying to join the wrong cluster\\. Configured zookeeper\\.connect may be wrong`), 'wrong cluster');
      // And another broker.id on that dir is refused too (Kafka's InconsistentBrokerIdException).
      const id = await start(`zookeeper.connect=${zk.connect}/cluster-a`, `log.dirs=${logs}`, 'broker.id=7');
      assertOneLine(id, /^samsa: Configured broker\.id 7 doesn't match stored broker\.id 0 in .*meta\.properties\. If you moved your data/, 'wrong broker id');
    });
  });
});
