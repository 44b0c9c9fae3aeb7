/**
 * Goal: the files we ship in config/ are valid and are what Kafka's tutorials expect:
 * config/server.properties is the ZooKeeper-mode file (zookeeper.connect=localhost:2181 active, as in
 * Kafka's own file), config/kraft/server.properties the KRaft quickstart's combined node; both load
 * with no warnings; the client and ZooKeeper files parse.
 * Method: load the real files from the repository (found relative to this compiled test in
 * dist/test/config/) with an empty environment.
 */
import { readTextFileSync } from '../../src/io/node/text-file.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { parsePropertiesToMap } from '../../src/config/properties.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const configFile = (name: string) => `${repoRoot}config/${name}`;

test('config/server.properties loads without warnings', () => {
  const { config, warnings } = loadBrokerConfig({ file: configFile('server.properties'), env: {}, readTextFile: readTextFileSync });
  assert.deepEqual(warnings, []);
  assert.equal(config.brokerId, 0);
  assert.deepEqual(config.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 }]);
  assert.deepEqual(config.logDirs, ['/tmp/kafka-logs']);
  assert.equal(config.numPartitions, 1);
  assert.equal(config.offsetsTopicReplicationFactor, 1);
  assert.equal(config.transactionStateLogReplicationFactor, 1);
  assert.equal(config.transactionStateLogMinIsr, 1);
  assert.equal(config.logRetentionMs, 168 * 3_600_000);
  assert.equal(config.logSegmentBytes, 1_073_741_824);
  assert.equal(config.logRetentionCheckIntervalMs, 300_000);
  assert.equal(config.groupInitialRebalanceDelayMs, 0);
  assert.equal(config.zookeeperConnect, 'localhost:2181', 'ZooKeeper mode, as Kafka ships its file');
  assert.equal(config.zookeeperConnectionTimeoutMs, 18_000);
  assert.equal(config.zookeeperSessionTimeoutMs, 6000, 'the default: failover within seconds after a crash');
  assert.deepEqual(config.processRoles, []);
});

test('config/kraft/server.properties is the KRaft quickstart\'s single combined node', () => {
  const { config, warnings } = loadBrokerConfig({ file: configFile('kraft/server.properties'), env: {}, readTextFile: readTextFileSync });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.processRoles, ['broker', 'controller']);
  assert.equal(config.brokerId, 1);
  assert.deepEqual(config.controllerQuorumVoters, [{ nodeId: 1, host: 'localhost', port: 9093 }]);
  assert.deepEqual(config.controllerListenerNames, ['CONTROLLER']);
  assert.deepEqual(
    config.listeners.map((l) => `${l.name}://${l.host}:${l.port}`),
    ['PLAINTEXT://:9092', 'CONTROLLER://:9093'],
  );
  assert.deepEqual(config.advertisedListeners.map((l) => `${l.name}://${l.host}:${l.port}`), ['PLAINTEXT://localhost:9092'], 'controller listeners are not advertised to clients');
  assert.deepEqual(config.logDirs, ['/tmp/kraft-combined-logs']);
  assert.equal(config.zookeeperConnect, null);
});

test('config/zookeeper.properties, producer.properties and consumer.properties parse', () => {
  const zookeeper = parsePropertiesToMap(readFileSync(configFile('zookeeper.properties'), 'utf8'));
  assert.deepEqual(Object.fromEntries(zookeeper), { dataDir: '/tmp/zookeeper', clientPort: '2181', maxClientCnxns: '0', 'admin.enableServer': 'false', tickTime: '1000' });
  const producer = parsePropertiesToMap(readFileSync(configFile('producer.properties'), 'utf8'));
  assert.equal(producer.get('bootstrap.servers'), 'localhost:9092');
  const consumer = parsePropertiesToMap(readFileSync(configFile('consumer.properties'), 'utf8'));
  assert.equal(consumer.get('bootstrap.servers'), 'localhost:9092');
  assert.equal(consumer.get('group.id'), 'test-consumer-group');
});
