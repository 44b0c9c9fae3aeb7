/**
 * Goal: loadBrokerConfig turns a properties file, KAFKA_/SAMSA_ environment variables and --override
 * arguments into the BrokerConfig Kafka would derive from the same input: defaults, legacy
 * port/host.name, listeners, precedence, retention precedence, broker/node id, and one-line errors.
 * Method: in-memory "files" through the readTextFile option and an explicit env object, so no test
 * touches the disk or the real environment; assertions on the typed result, the warnings and the
 * exact ConfigError text.
 */
import { readTextFileSync } from '../../src/io/node/text-file.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDynamicBrokerKey } from '../../src/config/dynamic-keys.js';
import {
  BROKER_CONFIG_KEYS,
  ConfigError,
  describeBrokerConfigs,
  loadBrokerConfig,
  type LoadBrokerConfigOptions,
} from '../../src/config/broker-config.js';
import { envNameToKey } from '../../src/config/env-overrides.js';

const FILE = 'test.properties';
const HOUR_MS = 3_600_000;

function load(text: string | null, opts: Omit<LoadBrokerConfigOptions, 'file' | 'readTextFile'> = {}) {
  return loadBrokerConfig({
    ...(text === null ? {} : { file: FILE, readTextFile: () => text }),
    env: opts.env ?? {},
    overrides: opts.overrides ?? [],
  });
}

/** Asserts a ConfigError whose message is one line and equals or matches `expected`. */
function assertConfigError(fn: () => unknown, expected: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    if (typeof expected === 'string') assert.equal(error.message, expected);
    else assert.match(error.message, expected);
    return true;
  });
}

test('defaults with no file, no environment and no overrides', () => {
  const { config, warnings } = load(null);
  assert.deepEqual(warnings, []);
  assert.equal(config.brokerId, 0);
  assert.deepEqual(config.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 }]);
  assert.deepEqual(config.advertisedListeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 }]);
  assert.equal(config.interBrokerListenerName, 'PLAINTEXT');
  assert.deepEqual(config.logDirs, ['/tmp/kafka-logs']);
  assert.equal(config.numPartitions, 1);
  assert.equal(config.defaultReplicationFactor, 1);
  assert.equal(config.autoCreateTopicsEnable, true);
  assert.equal(config.deleteTopicEnable, true);
  assert.equal(config.messageMaxBytes, 1_048_588);
  assert.equal(config.socketRequestMaxBytes, 104_857_600);
  assert.equal(config.logSegmentBytes, 1_073_741_824);
  assert.equal(config.logRollMs, 168 * HOUR_MS);
  assert.equal(config.logRetentionMs, 168 * HOUR_MS);
  assert.equal(config.logRetentionBytes, -1);
  assert.equal(config.logRetentionCheckIntervalMs, 300_000);
  assert.equal(config.logIndexIntervalBytes, 4096);
  assert.equal(config.logIndexSizeMaxBytes, 10_485_760);
  assert.equal(config.logFlushIntervalMessages, Number.MAX_SAFE_INTEGER);
  assert.equal(config.logFlushSchedulerIntervalMs, Number.MAX_SAFE_INTEGER);
  assert.equal(config.logFlushIntervalMs, config.logFlushSchedulerIntervalMs);
  assert.equal(config.logMessageTimestampType, 'CreateTime');
  assert.deepEqual(config.logCleanupPolicy, ['delete']);
  assert.equal(config.compressionType, 'producer');
  assert.equal(config.logCleanerEnable, true);
  assert.equal(config.offsetsTopicNumPartitions, 50);
  assert.equal(config.offsetsRetentionMinutes, 10_080);
  assert.equal(config.groupInitialRebalanceDelayMs, 3000);
  assert.equal(config.zookeeperConnect, null);
  assert.equal(config.zookeeperSessionTimeoutMs, 6000);
  assert.equal(config.zookeeperConnectionTimeoutMs, 6000);
  assert.equal(config.minInsyncReplicas, 1);
  assert.equal(config.uncleanLeaderElectionEnable, false);
  assert.equal(config.replicaLagTimeMaxMs, 30_000);
  assert.equal(config.controlledShutdownEnable, true);
  assert.equal(config.autoLeaderRebalanceEnable, true);
  assert.equal(config.brokerRack, null);
  assert.equal(config.fetchMaxBytes, 57_671_680);
  assert.equal(config.connectionsMaxIdleMs, 600_000);
  assert.equal(config.queuedMaxRequestBytes, -1);
  assert.equal(config.requestReceiveTimeoutMs, 60_000);
  assert.deepEqual(config.adminListeners, []);
  assert.equal(config.slowRequestThresholdMs, 1000);
  assert.equal(config.requestLogSampleRate, 0);
  assert.equal(config.raw.size, 0);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.listeners) && Object.isFrozen(config.listeners[0]));
});

test('every table default parses and describes as DEFAULT_CONFIG', () => {
  const described = describeBrokerConfigs(load(null).config);
  assert.equal(described.length, BROKER_CONFIG_KEYS.length);
  for (const entry of described) {
    assert.equal(entry.source, 'DEFAULT_CONFIG', entry.name);
    assert.equal(entry.readOnly, !isDynamicBrokerKey(entry.name), `${entry.name}: read-only unless dynamic broker configs may change it`);
  }
  assert.ok(described.some((e) => !e.readOnly) && described.some((e) => e.readOnly));
});

test('legacy port and host.name build the listener when listeners is unset', () => {
  const { config, warnings } = load('port=9093\nhost.name=broker1.example\n');
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'broker1.example', port: 9093 }]);
  assert.deepEqual(config.advertisedListeners, config.listeners);
});

test('legacy advertised.host.name and advertised.port fall back to host.name and port', () => {
  const hostOnly = load('port=9093\nadvertised.host.name=public.example\n').config;
  assert.deepEqual(hostOnly.advertisedListeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'public.example', port: 9093 }]);
  const portOnly = load('host.name=10.0.0.5\nadvertised.port=19092\n').config;
  assert.deepEqual(portOnly.advertisedListeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '10.0.0.5', port: 19092 }]);
  assert.equal(portOnly.listeners[0]!.port, 9092);
});

test('legacy keys next to listeners are ignored with a warning', () => {
  const { config, warnings } = load('listeners=PLAINTEXT://:9094\nport=9093\n');
  assert.equal(config.listeners[0]!.port, 9094);
  assert.deepEqual(warnings, ['Configuration port is ignored because listeners is set']);
});

test('listeners: several names, protocol map, IPv6, port 0, names upper-cased', () => {
  const { config } = load(
    'listeners=internal://127.0.0.1:9092, EXTERNAL://[::1]:0,SSL://0.0.0.0:9093\n' +
      'listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,SSL:SSL\n' +
      'inter.broker.listener.name=INTERNAL\n',
  );
  assert.deepEqual(config.listeners, [
    { name: 'INTERNAL', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
    { name: 'EXTERNAL', securityProtocol: 'SASL_PLAINTEXT', host: '::1', port: 0 },
    { name: 'SSL', securityProtocol: 'SSL', host: '0.0.0.0', port: 9093 },
  ]);
  assert.equal(config.advertisedListeners[2]!.host, 'localhost', '0.0.0.0 is advertised as localhost');
  assert.equal(config.interBrokerListenerName, 'INTERNAL');
});

test('explicit advertised.listeners: empty host becomes localhost, names must be listeners', () => {
  const { config } = load('listeners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://:19092\n');
  assert.deepEqual(config.advertisedListeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 19092 }]);
  assertConfigError(
    () => load('advertised.listeners=PLAINTEXT://0.0.0.0:9092\n'),
    'Invalid value PLAINTEXT://0.0.0.0:9092 for configuration advertised.listeners: Cannot advertise the non-routable address 0.0.0.0; use a host name or address clients can reach (in test.properties line 1)',
  );
  assertConfigError(() => load('advertised.listeners=PLAINTEXT://a:1,SSL://a:2\n'), /advertised\.listeners: Advertised listener SSL is not among listeners/);
});

test('listener syntax and port range errors name the key and the fix', () => {
  assertConfigError(
    () => load('listeners=PLAINTEXT//:9092\n'),
    "Invalid value PLAINTEXT//:9092 for configuration listeners: Listener 'PLAINTEXT//:9092' is not of the form NAME://HOST:PORT (e.g. PLAINTEXT://:9092) (in test.properties line 1)",
  );
  assertConfigError(() => load('listeners=PLAINTEXT://:70000\n'), /Port 70000 is out of range 0-65535/);
  assertConfigError(() => load('listeners=PLAINTEXT://:abc\n'), /Port 'abc' is not a number/);
  assertConfigError(() => load('listeners=PLAINTEXT://host\n'), /has no port/);
  assertConfigError(() => load('listeners=PLAINTEXT://::1:9092\n'), /put it in brackets/);
  assertConfigError(() => load('port=65536\n'), 'Invalid value 65536 for configuration port: Value must be no more than 65535 (in test.properties line 1)');
  assertConfigError(() => load('listeners=PLAINTEXT://:9092,SSL://:9092\n'), /Each listener must have a different port/);
  assertConfigError(() => load('listeners=PLAINTEXT://:9092,plaintext://:9093\n'), /Each listener must have a different name/);
  assertConfigError(() => load('listeners=CLIENT://:9092\n'), /No security protocol defined for listener CLIENT; add CLIENT:PLAINTEXT/);
  assertConfigError(() => load('listener.security.protocol.map=A:TLS\n'), /unknown security protocol/);
  // Two listeners on port 0 are fine: each gets its own ephemeral port.
  assert.equal(load('listeners=PLAINTEXT://:0,SSL://:0\n').config.listeners.length, 2);
});

test('the inter-broker listener must be advertised, and only one of its two keys may be set', () => {
  assertConfigError(
    () => load('listeners=SSL://:9093\n'),
    /security\.inter\.broker\.protocol: The inter-broker listener PLAINTEXT is not an advertised listener; set inter\.broker\.listener\.name to one of: SSL/,
  );
  assertConfigError(() => load('inter.broker.listener.name=PLAINTEXT\nsecurity.inter.broker.protocol=PLAINTEXT\n'), /not both/);
});

test('precedence: file < environment < --override', () => {
  const text = 'num.partitions=2\nlog.retention.hours=10\ndefault.replication.factor=2\n';
  const env = { KAFKA_NUM_PARTITIONS: '3', KAFKA_LOG_RETENTION_HOURS: '20' };
  const { config } = load(text, { env, overrides: ['num.partitions=4'] });
  assert.equal(config.numPartitions, 4);
  assert.equal(config.logRetentionMs, 20 * HOUR_MS);
  assert.equal(config.defaultReplicationFactor, 2);
  assert.equal(config.raw.get('num.partitions'), '4');
  assert.equal(config.raw.get('log.retention.hours'), '20');
});

test('environment names: KAFKA_ and SAMSA_ prefixes, underscore runs, samsa. fallback, skipped variables', () => {
  assert.equal(envNameToKey('NUM_PARTITIONS'), 'num.partitions');
  assert.equal(envNameToKey('LISTENER_SECURITY_PROTOCOL_MAP'), 'listener.security.protocol.map');
  assert.equal(envNameToKey('FOO__BAR___BAZ'), 'foo_bar-baz');
  const { config, warnings } = load(null, {
    env: {
      KAFKA_NUM_PARTITIONS: '3',
      SAMSA_NUM_PARTITIONS: '5',
      SAMSA_SLOW_REQUEST_THRESHOLD_MS: '250',
      KAFKA_HEAP_OPTS: '-Xmx1G',
      SAMSA_LOG_LEVEL: 'debug',
      KAFKA_SERVICE_HOST: '10.0.0.1',
      KAFKA_PORT_9092_TCP_ADDR: '10.0.0.1',
      PATH: '/usr/bin',
    },
  });
  assert.equal(config.numPartitions, 5, 'SAMSA_ wins over KAFKA_');
  assert.equal(config.slowRequestThresholdMs, 250);
  assert.deepEqual(warnings, []);
});

test('a Kubernetes service link in KAFKA_PORT is skipped with a warning, not read as the port', () => {
  const { config, warnings } = load(null, { env: { KAFKA_PORT: 'tcp://10.0.0.1:9092' } });
  assert.equal(config.listeners[0]!.port, 9092);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /KAFKA_PORT=tcp:\/\/10\.0\.0\.1:9092 looks like a Kubernetes service link/);
});

test('unknown keys warn (with a hint when close to a known key) and are kept in raw', () => {
  const { config, warnings } = load('foo.bar=1\nnum.partition=3\nlistener.name.sasl_ssl.plain.sasl.jaas.config=x\n', {
    env: { KAFKA_SOME_THING: 'x' },
  });
  assert.deepEqual(warnings, [
    "Unknown configuration 'foo.bar' (ignored) in test.properties line 1",
    "Unknown configuration 'num.partition' (ignored) in test.properties line 2; did you mean 'num.partitions'?",
    "Unknown configuration 'some.thing' (ignored) from environment variable KAFKA_SOME_THING",
  ]);
  assert.equal(config.raw.get('foo.bar'), '1');
  assert.equal(config.numPartitions, 1);
});

test('a key repeated in the file warns and the last value wins', () => {
  const { config, warnings } = load('num.partitions=2\n\nnum.partitions=6\n');
  assert.equal(config.numPartitions, 6);
  assert.deepEqual(warnings, ["Configuration 'num.partitions' is set more than once in test.properties (lines 1, 3); the last one wins"]);
});

test('an accepted-but-ignored key warns only when set away from its default', () => {
  assert.deepEqual(load('num.recovery.threads.per.data.dir=1\n').warnings, []);
  const { warnings } = load('num.recovery.threads.per.data.dir=4\n');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^Configuration num\.recovery\.threads\.per\.data\.dir=4 is accepted but ignored: /);
});

test('invalid values give exactly one clear line naming key, value, rule and origin', () => {
  assertConfigError(
    () => load('# header\nnum.partitions=abc\n'),
    'Invalid value abc for configuration num.partitions: Not a number of type INT (in test.properties line 2)',
  );
  assertConfigError(
    () => load(null, { env: { KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'yes' } }),
    'Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false (from environment variable KAFKA_AUTO_CREATE_TOPICS_ENABLE)',
  );
  assertConfigError(
    () => load(null, { overrides: ['log.message.timestamp.type=AppendTime'] }),
    'Invalid value AppendTime for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime (from --override log.message.timestamp.type=AppendTime)',
  );
  assertConfigError(() => load('log.segment.bytes=13\n'), 'Invalid value 13 for configuration log.segment.bytes: Value must be at least 64 (in test.properties line 1)');
  assertConfigError(() => load('socket.request.max.bytes=0\n'), /socket\.request\.max\.bytes: Value must be at least 1/);
  assertConfigError(() => load('num.partitions=0\n'), /num\.partitions: Value must be at least 1/);
  assertConfigError(() => load('message.max.bytes=3000000000\n'), /Not a number of type INT \(must be between/);
  assertConfigError(() => load('log.retention.bytes=99999999999999999999\n'), /Not a number of type LONG/);
  assertConfigError(() => load('compression.type=brotli\n'), /String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer/);
  assertConfigError(() => load('log.cleanup.policy=delete,compacted\n'), /Item 'compacted' is not allowed/);
  assertConfigError(() => load('log.cleaner.min.cleanable.ratio=1.5\n'), /Value must be no more than 1/);
  assertConfigError(
    () => load('log.dirs=${file:/etc/secrets:dirs}\n'),
    /^Invalid value \$\{file:\/etc\/secrets:dirs\} for configuration log\.dirs: Config provider references like \$\{\.\.\.\} are not supported/,
  );
  assertConfigError(() => load('num.partitions=1\\n2\n'), 'Invalid value 1\\n2 for configuration num.partitions: Not a number of type INT (in test.properties line 1)');
  assertConfigError(() => load(null, { overrides: ['num.partitions='] }), "Invalid value '' for configuration num.partitions: Not a number of type INT (from --override num.partitions=)");
  assertConfigError(() => load('ssl.keystore.password=${env:PW}\n'), /^Invalid value \[hidden\] for configuration ssl\.keystore\.password/);
});

test('a malformed --override and an unreadable file are one-line ConfigErrors', () => {
  assertConfigError(() => load(null, { overrides: ['num.partitions'] }), "Invalid --override 'num.partitions': expected key=value, e.g. --override num.partitions=3");
  assertConfigError(
    () => loadBrokerConfig({ file: '/nonexistent/samsa/server.properties', env: {}, readTextFile: readTextFileSync }),
    /^Cannot read config file \/nonexistent\/samsa\/server\.properties: ENOENT/,
  );
});

test('retention precedence: ms > minutes > hours; negative is unlimited (-1); zero is rejected', () => {
  assert.equal(load('log.retention.hours=2\n').config.logRetentionMs, 2 * HOUR_MS);
  assert.equal(load('log.retention.hours=2\nlog.retention.minutes=30\n').config.logRetentionMs, 30 * 60_000);
  assert.equal(load('log.retention.hours=2\nlog.retention.minutes=30\nlog.retention.ms=1234\n').config.logRetentionMs, 1234);
  assert.equal(load('log.retention.ms=-1\n').config.logRetentionMs, -1);
  assert.equal(load('log.retention.hours=-1\n').config.logRetentionMs, -1);
  assert.equal(load('log.retention.minutes=-5\n').config.logRetentionMs, -1);
  assertConfigError(() => load('log.retention.ms=0\n'), /log\.retention\.ms: Retention must be -1 \(unlimited\) or at least 1 ms/);
});

test('roll, jitter, flush and ZooKeeper timeouts fall back like Kafka', () => {
  const a = load('log.roll.hours=1\nlog.roll.jitter.hours=1\nlog.flush.scheduler.interval.ms=2000\nzookeeper.session.timeout.ms=6000\n').config;
  assert.equal(a.logRollMs, HOUR_MS);
  assert.equal(a.logRollJitterMs, HOUR_MS);
  assert.equal(a.logFlushIntervalMs, 2000);
  assert.equal(a.zookeeperConnectionTimeoutMs, 6000);
  const b = load('log.roll.hours=1\nlog.roll.ms=500\nlog.flush.interval.ms=100\nzookeeper.connection.timeout.ms=1000\n').config;
  assert.equal(b.logRollMs, 500);
  assert.equal(b.logFlushIntervalMs, 100);
  assert.equal(b.zookeeperConnectionTimeoutMs, 1000);
});

test('log.dirs overrides log.dir and is a comma-separated list', () => {
  assert.deepEqual(load('log.dir=/a\n').config.logDirs, ['/a']);
  assert.deepEqual(load('log.dir=/a\nlog.dirs=/b, /c ,/d\n').config.logDirs, ['/b', '/c', '/d']);
  assertConfigError(() => load('log.dirs=\n'), /log\.dirs: At least one log directory/);
  assertConfigError(() => load('log.dirs=/b,/b\n'), /listed twice/);
});

test('broker.id and node.id: node.id wins, a mismatch is an error, neither gives 0', () => {
  assert.equal(load('broker.id=3\n').config.brokerId, 3);
  assert.equal(load('node.id=4\n').config.brokerId, 4);
  assert.equal(load('node.id=4\nbroker.id=4\n').config.brokerId, 4);
  assertConfigError(
    () => load('broker.id=1\nnode.id=2\n'),
    'Invalid value 2 for configuration node.id: Differs from broker.id=1; set only one of them, or both to the same id (in test.properties line 2)',
  );
  assertConfigError(() => load('broker.id=-1\n'), /broker\.id: Samsa does not generate broker ids/);
  assertConfigError(() => load('broker.id=1001\n'), /reserved\.broker\.max\.id=1000/);
  assert.equal(load('broker.id=1001\nbroker.id.generation.enable=false\n').config.brokerId, 1001);
});

test('KRaft keys are accepted and validated; controller listeners are not advertised', () => {
  const { config } = load(
    'process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n' +
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n',
  );
  assert.deepEqual(config.processRoles, ['broker', 'controller']);
  assert.deepEqual(config.controllerQuorumVoters, [{ nodeId: 1, host: 'localhost', port: 9093 }]);
  assert.deepEqual(config.advertisedListeners.map((l) => l.name), ['PLAINTEXT']);
  assert.equal(config.listeners[1]!.securityProtocol, 'PLAINTEXT');
  assertConfigError(() => load('process.roles=worker\n'), /Item 'worker' is not allowed/);
  assertConfigError(() => load('controller.quorum.voters=localhost:9093\n'), /not of the form ID@HOST:PORT/);
});

test('describeBrokerConfigs reports sources, normalised values and hides passwords', () => {
  const { config } = load('num.partitions= 3 \nlog.cleanup.policy=compact , delete\nssl.key.password=secret\nauto.create.topics.enable=FALSE\n');
  const byName = new Map(describeBrokerConfigs(config).map((entry) => [entry.name, entry]));
  assert.deepEqual(byName.get('num.partitions'), {
    name: 'num.partitions',
    value: '3',
    source: 'STATIC_BROKER_CONFIG',
    isSensitive: false,
    readOnly: true,
    type: 'INT',
    documentation: byName.get('num.partitions')!.documentation,
  });
  assert.equal(byName.get('log.cleanup.policy')!.value, 'compact,delete');
  assert.equal(byName.get('auto.create.topics.enable')!.value, 'false');
  assert.equal(byName.get('ssl.key.password')!.value, null);
  assert.equal(byName.get('ssl.key.password')!.isSensitive, true);
  assert.equal(byName.get('log.flush.interval.messages')!.value, '9223372036854775807');
  assert.equal(byName.get('log.retention.ms')!.value, null);
  assert.equal(byName.get('log.retention.hours')!.source, 'DEFAULT_CONFIG');
  assert.equal(config.sslKeyPassword, 'secret');
});

test('log.message.format.version is accepted and ignored (KIP-724), with a warning only below format v2', () => {
  const old = load('log.message.format.version=0.10.2\n');
  assert.equal(old.config.logMessageFormatVersion, '0.10.2');
  assert.equal(old.warnings.length, 1);
  assert.match(old.warnings[0]!, /^Broker configuration log\.message\.format\.version with value 0\.10\.2 is ignored: .*KIP-724/);
  assert.deepEqual(load('log.message.format.version=2.8\n').warnings, []);
  assert.equal(load(null).config.logMessageFormatVersion, '3.0-IV1');
  assertConfigError(() => load('log.message.format.version=0.10\n'), /log\.message\.format\.version.*Version `0\.10` is not a valid version/);
});

test('queued.max.request.bytes must leave room for one largest request', () => {
  assertConfigError(() => load(null, { overrides: ['queued.max.request.bytes=1000'] }), /queued\.max\.request\.bytes.*at least socket\.request\.max\.bytes \(104857600\)/);
  assert.equal(load(null, { overrides: ['queued.max.request.bytes=8388608', 'socket.request.max.bytes=8388608'] }).config.queuedMaxRequestBytes, 8_388_608);
  assert.equal(load(null, { overrides: ['queued.max.request.bytes=0'] }).config.queuedMaxRequestBytes, 0);
});
