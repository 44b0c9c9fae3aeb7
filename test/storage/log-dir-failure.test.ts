/**
 * Goal: a broker whose every log dir has failed (here: the disk filled up) stops, as Kafka does
 * ("all log dirs have failed"), instead of staying leader of partitions it can no longer write —
 * found by the disk-full fault of the real-process fault runs (test/faults), where such a leader
 * kept its partitions unavailable until someone restarted it. A failure in one log dir of several
 * only fails that dir.
 *
 * Method: Broker.start in this process on an in-memory disk (src/io/memory/disk.ts) whose writes
 * to segment files fail with ENOSPC after a budget, real sockets on 127.0.0.1; kafkajs produces
 * until a produce fails; the broker's onFatal listener must hear one reason naming the log dir. A
 * LogManager with two log dirs gets a write failure in one: onLogDirFailure names that dir alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { toLogConfig } from '../../src/config/topic-config.js';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeNet } from '../../src/io/node/net.js';
import { NodeRandom } from '../../src/io/node/random.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { waitFor } from '../helpers/broker.js';
import { buildBatch } from '../helpers/raw-kafka.js';

process.env.SAMSA_LOG_LEVEL ??= process.env.SAMSA_TEST_LOG_LEVEL ?? 'silent';

describe('log dir failure', () => {
  it('a broker whose only log dir fails on a full disk raises a fatal failure naming the dir', async () => {
    const disk = new MemoryDisk();
    const { config } = loadBrokerConfig({ overrides: ['log.dirs=/data/kafka-logs', 'listeners=PLAINTEXT://127.0.0.1:0'], env: {} });
    const broker = await Broker.start(config, { clock: new NodeClock(), disk, net: new NodeNet(), random: new NodeRandom() });
    const reasons: string[] = [];
    broker.onFatal((reason) => reasons.push(reason));
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.listeners[0]!.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 0 } });
    try {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'full', numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      await admin.disconnect();
      await producer.connect();
      await producer.send({ topic: 'full', acks: -1, messages: [{ value: 'before the disk fills' }] });
      assert.deepEqual(reasons, []);
      disk.failWritesAfter(8 * 1024, { pathIncludes: '.log' });
      let failed = 0;
      for (let i = 0; i < 50 && failed === 0; i++) {
        await producer.send({ topic: 'full', acks: -1, messages: [{ value: 'x'.repeat(1024) }] }).catch(() => failed++);
      }
      assert.ok(failed > 0, 'a produce failed once the disk was full');
      await waitFor(() => reasons.length > 0, { timeoutMs: 5000, what: 'the fatal failure' });
      assert.equal(reasons.length, 1);
      assert.match(reasons[0]!, /all log dirs in \/data\/kafka-logs have failed/);
      assert.match(reasons[0]!, /ENOSPC|no space/i);
    } finally {
      await producer.disconnect().catch(() => undefined); // the broker may have closed it
      await broker.stop().catch(() => undefined); // its log is offline: closing may report that
    }
  });

  it('with two log dirs, a failure in one fails that dir only', async () => {
    const disk = new MemoryDisk();
    const { config } = loadBrokerConfig({ overrides: ['log.dirs=/d1,/d2'], env: {} });
    const failures: Array<{ dir: string; failed: string[] }> = [];
    await disk.mkdir('/d1');
    await disk.mkdir('/d2');
    const logs = new LogManager({
      disk,
      clock: new NodeClock(),
      logDirs: config.logDirs,
      defaults: toLogConfig(config, {}),
      onLogDirFailure: (dir, failed) => failures.push({ dir, failed: [...failed] }),
    });
    await logs.open();
    try {
      const a = await logs.createLog('a', 0);
      const b = await logs.createLog('b', 0);
      assert.notEqual(a.dir.split('/')[1], b.dir.split('/')[1], 'the two logs sit in different dirs');
      const failing = a.dir.split('/').slice(0, 2).join('/');
      disk.failWritesAfter(0, { pathIncludes: a.dir });
      await assert.rejects(a.appendAsLeader(buildBatch([{ key: null, value: Buffer.from('v') }]), { leaderEpoch: 0 }), /ENOSPC|no space/i);
      assert.deepEqual(failures, [{ dir: failing, failed: [failing] }]);
      assert.deepEqual([...logs.failedLogDirs], [failing]);
    } finally {
      await logs.close().catch(() => undefined); // one log is offline
    }
  });
});
