/**
 * Goal: with several listeners (e.g. INTERNAL for replication and EXTERNAL for clients), replica
 * fetchers connect to the leader's endpoint on inter.broker.listener.name, not to whichever
 * endpoint the leader registered first; clients get the endpoints of the listener their request
 * came in on (Metadata, DescribeCluster, FindCoordinator), and brokers without that listener are
 * left out. The ZooKeeper registration's endpoint list reaches the image whole.
 *
 * Method: unit tests. brokerOf() parses registrations as Kafka writes them; brokerEndpoint() and
 * brokersOnListener() are pure. A ReplicaManager (real storage in a temp dir) follows a partition
 * led by broker 2, registered with EXTERNAL first and INTERNAL second; its Connector is a recorder
 * that refuses every connection, so the test sees exactly which host:port the fetcher dialled.
 * The Metadata handler is called with a context whose listenerName differs.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { brokerEndpoint, brokersOnListener, MetadataImage, type BrokerInfo } from '../../src/cluster/metadata-image.js';
import { brokerOf, registrationOf } from '../../src/cluster/zk/layout.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { toLogConfig } from '../../src/config/topic-config.js';
import type { RequestContext } from '../../src/handlers/handler.js';
import { metadataHandler } from '../../src/handlers/metadata.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeDisk } from '../../src/io/node/disk.js';
import { limits } from '../../src/limits.js';
import { logger } from '../../src/log.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import type { Connector } from '../../src/replication/connector.js';
import { Purgatory } from '../../src/replication/purgatory.js';
import { ReplicaManager } from '../../src/replication/replica-manager.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { makeTempDir, removeDir, sleep, waitFor } from '../helpers/broker.js';
import { ScriptedController } from './fixture.js';

const LEADER: BrokerInfo = {
  id: 2,
  host: 'ext.example',
  port: 19092,
  rack: null,
  endpoints: [
    { listener: 'EXTERNAL', host: 'ext.example', port: 19092 },
    { listener: 'INTERNAL', host: '127.0.0.1', port: 29092 },
  ],
};

describe('inter-broker listener endpoint selection', () => {
  it('brokerOf keeps every endpoint of a registration, the first as host/port', () => {
    const reg = registrationOf({ id: 7, host: 'x', port: 1, rack: 'r1' }, 0, [
      { name: 'EXTERNAL', host: 'ext.example', port: 9094, protocol: 'PLAINTEXT' },
      { name: 'INTERNAL', host: '::1', port: 9093, protocol: 'PLAINTEXT' },
    ]);
    assert.deepEqual(reg.endpoints, ['EXTERNAL://ext.example:9094', 'INTERNAL://::1:9093']);
    const b = brokerOf(7, { ...reg, endpoints: ['external://ext.example:9094', 'INTERNAL://[::1]:9093'] });
    assert.equal(b.host, 'ext.example');
    assert.equal(b.port, 9094);
    assert.equal(b.rack, 'r1');
    assert.deepEqual(b.endpoints, [
      { listener: 'EXTERNAL', host: 'ext.example', port: 9094 },
      { listener: 'INTERNAL', host: '::1', port: 9093 },
    ]);
    // An old registration without endpoints: host/port only, no endpoint list.
    const old = brokerOf(8, { ...reg, host: 'h', port: 5, endpoints: [] });
    assert.deepEqual([old.host, old.port, old.endpoints], ['h', 5, undefined]);
  });

  it('brokerEndpoint picks the named listener; none named or no list: the first; missing: null', () => {
    assert.deepEqual(brokerEndpoint(LEADER, 'INTERNAL'), { host: '127.0.0.1', port: 29092 });
    assert.deepEqual(brokerEndpoint(LEADER, 'internal'), { host: '127.0.0.1', port: 29092 });
    assert.deepEqual(brokerEndpoint(LEADER, 'EXTERNAL'), { host: 'ext.example', port: 19092 });
    assert.deepEqual(brokerEndpoint(LEADER, undefined), { host: 'ext.example', port: 19092 });
    assert.equal(brokerEndpoint(LEADER, 'REPLICATION'), null);
    const plain: BrokerInfo = { id: 3, host: 'h', port: 1, rack: null };
    assert.deepEqual(brokerEndpoint(plain, 'INTERNAL'), { host: 'h', port: 1 });
  });

  it('Metadata answers with the endpoints of the listener the request came in on', async () => {
    const other: BrokerInfo = { id: 4, host: 'only-ext', port: 1, rack: null, endpoints: [{ listener: 'EXTERNAL', host: 'only-ext', port: 1 }] };
    const image = new MetadataImage('c', 2, new Map([[2, LEADER], [4, other]]), new Map());
    assert.deepEqual(brokersOnListener(image, 'INTERNAL').map((b) => [b.id, b.host, b.port]), [[2, '127.0.0.1', 29092]]);
    const ask = async (listenerName: string): Promise<MetadataResponse> => {
      const ctx = { apiVersion: 9, listenerName, image, broker: { controller: { image } } } as unknown as RequestContext;
      return (await metadataHandler.handle(ctx, { topics: [], allowAutoTopicCreation: false })) as MetadataResponse;
    };
    const internal = await ask('INTERNAL');
    assert.deepEqual(internal.brokers.map((b) => [b.nodeId, b.host, b.port]), [[2, '127.0.0.1', 29092]]);
    const external = await ask('EXTERNAL');
    assert.deepEqual(external.brokers.map((b) => [b.nodeId, b.host, b.port]), [[2, 'ext.example', 19092], [4, 'only-ext', 1]]);
  });

  describe('replica fetcher', () => {
    const dirs: string[] = [];
    after(async () => {
      for (const d of dirs) await removeDir(d);
    });

    async function follower(leader: BrokerInfo): Promise<{ dialled: string[]; stop: () => Promise<void> }> {
      const dir = await makeTempDir('samsa-ibl-');
      dirs.push(dir);
      const { config } = loadBrokerConfig({
        overrides: [
          'broker.id=1',
          `log.dirs=${path.join(dir, 'data')}`,
          'listeners=EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0',
          'listener.security.protocol.map=EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT',
          'inter.broker.listener.name=INTERNAL',
          'replica.fetch.backoff.ms=50',
        ],
        env: {},
      });
      assert.equal(config.interBrokerListenerName, 'INTERNAL');
      const clock = new NodeClock();
      const disk = new NodeDisk();
      await disk.mkdir(path.join(dir, 'data'));
      const logs = new LogManager({ disk, clock, logDirs: config.logDirs, defaults: toLogConfig(config, {}) });
      await logs.open();
      const dialled: string[] = [];
      const connector: Connector = {
        connect(host, port) {
          dialled.push(`${host}:${port}`);
          return Promise.reject(new Error('refused by the recording connector'));
        },
      };
      const controller = new ScriptedController();
      // A follower that only fetches: no ISR changes to send, so no controller handle is needed.
      const replicas = new ReplicaManager(1, config, logs, new Purgatory(clock, limits.purgatoryEntriesMax, () => undefined), logger('ibl'), { clock, connector });
      controller.subscribe(1, (image) => replicas.applyImage(image));
      await controller.registerBroker(leader);
      await controller.registerBroker({ id: 1, host: '127.0.0.1', port: 1, rack: null });
      await controller.addTopic('t', [[2, 1]]);
      return {
        dialled,
        async stop() {
          await replicas.shutdown();
          await logs.close();
        },
      };
    }

    it('dials the leader on inter.broker.listener.name, not its first endpoint', async () => {
      const f = await follower(LEADER);
      try {
        await waitFor(() => f.dialled.length >= 2, { timeoutMs: 5000, intervalMs: 20, what: 'the fetcher to dial the leader twice' });
        assert.deepEqual([...new Set(f.dialled)], ['127.0.0.1:29092']);
      } finally {
        await f.stop();
      }
    });

    it('does not dial a leader that has no endpoint on that listener', async () => {
      const externalOnly: BrokerInfo = { ...LEADER, endpoints: [LEADER.endpoints![0]!] };
      const f = await follower(externalOnly);
      try {
        await sleep(400); // several fetch backoffs (50 ms): a wrong fallback would have dialled by now
        assert.deepEqual(f.dialled, []);
      } finally {
        await f.stop();
      }
    });
  });
});
