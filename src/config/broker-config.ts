/**
 * Broker configuration: the table of every key Samsa accepts (Kafka's broker keys, their types,
 * defaults and validators, plus a few `samsa.` keys), and `loadBrokerConfig()`, which merges a
 * properties file, environment variables and `--override` arguments into one immutable BrokerConfig.
 *
 * Lifecycle: main.ts calls loadBrokerConfig() once at boot and hands the frozen result to every
 * component. Nothing re-reads configuration while the broker runs (no dynamic broker configs yet,
 * so DescribeConfigs reports every broker key as read-only).
 *
 * Precedence, lowest first: table default < file < environment (KAFKA_*, SAMSA_*) < --override.
 * Unknown keys are warnings; invalid values throw ConfigError with one line naming the key, the
 * value, the rule it broke and where it came from.
 *
 * Derived values follow Kafka's rules:
 * - broker id: node.id wins over broker.id, both set and different is an error; neither set gives 0.
 * - listeners: when unset, built from the legacy `host.name` and `port` as PLAINTEXT://host.name:port.
 * - advertised.listeners: when unset, the legacy advertised.host.name/advertised.port (each falling
 *   back to host.name/port) if either is set, else the listeners minus controller listeners.
 *   A host of '' or 0.0.0.0 in a derived advertised listener becomes 'localhost'. Kafka uses the
 *   machine's canonical host name for '' and rejects 0.0.0.0; 'localhost' is the default we accept
 *   for a single-machine broker, and anyone exposing the broker sets advertised.listeners. An
 *   explicit advertised listener on 0.0.0.0 is still rejected, as Kafka does.
 * - log.dirs overrides log.dir; retention ms > minutes > hours (negative means unlimited, -1);
 *   roll and roll jitter ms > hours; log.flush.interval.ms falls back to
 *   log.flush.scheduler.interval.ms; zookeeper.connection.timeout.ms falls back to the session timeout.
 */
import assert from 'node:assert/strict';
import {
  ConfigError,
  atLeast,
  between,
  closestName,
  configTypeName,
  formatConfigValue,
  invalidValueMessage,
  listOf,
  oneOf,
  parseAndValidate,
  assertDefaultsValid,
  INT_MAX_STRING,
  LONG_MAX_STRING,
  type ConfigKeyDef,
  type ConfigSourceName,
  type ConfigTypeName,
  type ConfigValue,
} from './config-def.js';
import { configFromEnv } from './env-overrides.js';
import { inlineWriteGuard } from '../io/disk.js';
import {
  SECURITY_PROTOCOLS,
  parseHostPort,
  parseListeners,
  parseQuorumVoters,
  parseSecurityProtocolMap,
  parseZookeeperConnect,
  type Listener,
  type QuorumVoter,
} from './listeners.js';
import { brokerMessageFormatWarning, MESSAGE_FORMAT_VERSION_DEFAULT, messageFormatVersionValidator } from './message-format-version.js';
import { isDynamicBrokerKey } from './dynamic-keys.js';
import { parseProperties } from './properties.js';
import { AUTHORIZER_CLASS_VALIDATOR, SECURITY_ACL_QUOTA_KEYS } from './security-keys.js';

export { ConfigError } from './config-def.js';
export { ConfigSource, ConfigType } from './config-def.js';
export type { ConfigSourceName, ConfigTypeName } from './config-def.js';
export type { Listener, QuorumVoter } from './listeners.js';

export interface BrokerKeyDef extends ConfigKeyDef {
  /** Set when Samsa's default differs from Kafka's: Kafka's value and why we differ. */
  readonly kafkaDefault?: { value: string | null; reason: string };
  /** Accepted for compatibility but has no effect in Samsa; a non-default value earns this warning. */
  readonly ignoredNote?: string;
  /** Password-like: DescribeConfigs hides the value. Implied by type 'password'. */
  readonly sensitive?: boolean;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

const portRange = between(0, 65_535);
const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];
const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'];
const CLEANUP_POLICIES = ['compact', 'delete'];

/**
 * Every broker key Samsa knows, as data. Kafka's keys keep Kafka's type (as DescribeConfigs reports
 * it), default and validator; string-typed keys that hold lists (listeners, log.dirs, ...) are split
 * by the loader. Order is the order DescribeConfigs lists them in.
 */
export const BROKER_CONFIG_KEYS: readonly BrokerKeyDef[] = [
  // Identity and cluster membership
  { name: 'broker.id', type: 'int', default: '-1', validator: atLeast(-1), doc: 'Broker id; node.id is the newer name. Neither set means 0 in Samsa.' },
  { name: 'node.id', type: 'int', default: '-1', validator: atLeast(-1), doc: 'Node id (KRaft name of broker.id); wins when both are set.' },
  { name: 'broker.id.generation.enable', type: 'boolean', default: 'true', doc: 'Kafka generates ids above reserved.broker.max.id; Samsa never generates, it only enforces the bound.' },
  { name: 'reserved.broker.max.id', type: 'int', default: '1000', validator: atLeast(0), doc: 'Highest broker.id a user may set while broker.id.generation.enable is true.' },
  { name: 'broker.rack', type: 'string', default: null, doc: 'Rack of this broker, for rack-aware replica placement.' },
  { name: 'process.roles', type: 'list', default: '', validator: listOf('broker', 'controller'), doc: 'KRaft mode: broker,controller runs a single combined node whose metadata lives in its metadata log (needs kafka-storage format).' },
  { name: 'controller.quorum.voters', type: 'list', default: '', doc: 'KRaft voters as ID@HOST:PORT; Samsa runs one voter (this node) until its Raft quorum lands.' },
  { name: 'controller.quorum.bootstrap.servers', type: 'list', default: '', doc: 'KRaft (Kafka 3.8+): controllers to contact when the voter set comes from kafka-storage format --standalone.' },
  { name: 'controller.listener.names', type: 'string', default: null, doc: 'Comma-separated listener names used by controllers; not advertised to clients.' },
  { name: 'metadata.log.dir', type: 'string', default: null, doc: 'Directory for cluster metadata; defaults to the first log dir.' },
  { name: 'zookeeper.connect', type: 'string', default: null, doc: 'ZooKeeper connection string host:port[,host:port...][/chroot]; unset runs a single embedded node.' },
  { name: 'zookeeper.connection.timeout.ms', type: 'int', default: null, validator: atLeast(0), doc: 'Time to wait for the first ZooKeeper connection; unset means zookeeper.session.timeout.ms.' },
  { name: 'zookeeper.session.timeout.ms', type: 'int', default: '6000', validator: atLeast(1), doc: 'ZooKeeper session timeout: how long after losing contact a broker is declared dead. 6000 in Samsa (Kafka 0.8-2.4; 18000 in Kafka 2.5+), see docs/ARCHITECTURE.md.' },
  { name: 'zookeeper.max.in.flight.requests', type: 'int', default: '10', validator: atLeast(1), doc: 'Unacknowledged ZooKeeper requests allowed at once.' },
  { name: 'zookeeper.set.acl', type: 'boolean', default: 'false', doc: 'Create ZooKeeper nodes with secure ACLs.' },

  // Network
  { name: 'listeners', type: 'string', default: 'PLAINTEXT://:9092', doc: 'Comma-separated NAME://HOST:PORT to listen on; empty host = all interfaces, port 0 = any free port. Unset: built from host.name and port.' },
  { name: 'advertised.listeners', type: 'string', default: null, doc: 'Listeners published to clients and other brokers; unset: derived from listeners.' },
  { name: 'listener.security.protocol.map', type: 'string', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'LISTENER_NAME:SECURITY_PROTOCOL pairs.' },
  { name: 'inter.broker.listener.name', type: 'string', default: null, doc: 'Listener brokers use to talk to each other; set this or security.inter.broker.protocol, not both.' },
  { name: 'security.inter.broker.protocol', type: 'string', default: 'PLAINTEXT', validator: oneOf(...SECURITY_PROTOCOLS), doc: 'Security protocol between brokers, naming the listener of the same name.' },
  { name: 'port', type: 'int', default: '9092', validator: portRange, doc: 'Legacy: port of the default listener when listeners is unset.' },
  { name: 'host.name', type: 'string', default: '', doc: 'Legacy: host of the default listener when listeners is unset.' },
  { name: 'advertised.host.name', type: 'string', default: null, doc: 'Legacy: advertised host when advertised.listeners is unset.' },
  { name: 'advertised.port', type: 'int', default: null, validator: portRange, doc: 'Legacy: advertised port when advertised.listeners is unset.' },
  { name: 'socket.send.buffer.bytes', type: 'int', default: '102400', validator: atLeast(-1), doc: 'SO_SNDBUF of client sockets; -1 = OS default.' },
  { name: 'socket.receive.buffer.bytes', type: 'int', default: '102400', validator: atLeast(-1), doc: 'SO_RCVBUF of client sockets; -1 = OS default.' },
  { name: 'socket.request.max.bytes', type: 'int', default: '104857600', validator: atLeast(1), doc: 'Largest request accepted.' },
  { name: 'num.network.threads', type: 'int', default: '3', validator: atLeast(1), doc: 'Threads serving network requests.' },
  { name: 'num.io.threads', type: 'int', default: '8', validator: atLeast(1), doc: 'Threads processing requests.' },
  { name: 'queued.max.requests', type: 'int', default: '500', validator: atLeast(1), doc: 'Requests queued before the network stops reading.' },
  { name: 'connections.max.idle.ms', type: 'long', default: '600000', doc: 'A client connection with nothing read or written for this long, and no request in progress, is closed; negative = never.' },
  { name: 'queued.max.request.bytes', type: 'long', default: '-1', doc: 'Bytes of received request data (partial and unprocessed frames) held over all connections before the broker stops reading from connections that want more; -1 or 0 = Samsa\'s default bound, the larger of 256 MiB and socket.request.max.bytes. When set, at least socket.request.max.bytes.' },
  { name: 'samsa.request.receive.timeout.ms', type: 'long', default: '60000', validator: atLeast(-1), doc: 'Samsa: a request frame must arrive completely within this long of its first byte, or the connection is closed (slow-loris senders; a trickle of bytes keeps connections.max.idle.ms from firing). -1 = off.' },
  { name: 'max.connections', type: 'int', default: INT_MAX_STRING, validator: atLeast(0), doc: 'Connections accepted by the broker at once.' },
  { name: 'max.connections.per.ip', type: 'int', default: INT_MAX_STRING, validator: atLeast(0), doc: 'Connections accepted from one address at once.' },

  // Security
  { name: 'ssl.keystore.location', type: 'string', default: null, doc: 'Key store file for SSL listeners.' },
  { name: 'ssl.keystore.password', type: 'password', default: null, doc: 'Key store password.' },
  { name: 'ssl.keystore.type', type: 'string', default: 'JKS', doc: 'Key store format.' },
  { name: 'ssl.key.password', type: 'password', default: null, doc: 'Private key password.' },
  { name: 'ssl.truststore.location', type: 'string', default: null, doc: 'Trust store file.' },
  { name: 'ssl.truststore.password', type: 'password', default: null, doc: 'Trust store password.' },
  { name: 'ssl.truststore.type', type: 'string', default: 'JKS', doc: 'Trust store format.' },
  { name: 'ssl.client.auth', type: 'string', default: 'none', validator: oneOf('required', 'requested', 'none'), doc: 'Whether SSL listeners ask clients for certificates.' },
  { name: 'ssl.enabled.protocols', type: 'list', default: 'TLSv1.2,TLSv1.3', doc: 'TLS versions enabled.' },
  { name: 'ssl.endpoint.identification.algorithm', type: 'string', default: 'https', doc: 'Host name verification of peers; empty disables it.' },
  { name: 'sasl.enabled.mechanisms', type: 'list', default: 'GSSAPI', doc: 'SASL mechanisms offered to clients.' },
  { name: 'sasl.mechanism.inter.broker.protocol', type: 'string', default: 'GSSAPI', doc: 'SASL mechanism between brokers.' },
  { name: 'sasl.jaas.config', type: 'password', default: null, doc: 'JAAS login configuration; per listener and mechanism as listener.name.<listener>.<mechanism>.sasl.jaas.config.' },
  { name: 'ssl.keystore.certificate.chain', type: 'password', default: null, doc: 'PEM certificate chain (with ssl.keystore.type=PEM), instead of ssl.keystore.location.' },
  { name: 'ssl.keystore.key', type: 'password', default: null, doc: 'PEM private key (with ssl.keystore.type=PEM), instead of ssl.keystore.location.' },
  { name: 'ssl.truststore.certificates', type: 'password', default: null, doc: 'PEM trusted certificates (with ssl.truststore.type=PEM), instead of ssl.truststore.location.' },
  { name: 'ssl.principal.mapping.rules', type: 'string', default: 'DEFAULT', doc: 'Rules mapping a client certificate subject DN to a principal name: RULE:pattern/replacement/[LU], ..., DEFAULT.' },
  { name: 'ssl.cipher.suites', type: 'list', default: '', doc: 'Cipher suites allowed (IANA or OpenSSL names); empty = the defaults.' },
  { name: 'ssl.protocol', type: 'string', default: 'TLSv1.3', doc: 'TLS protocol family; the versions in force come from ssl.enabled.protocols.' },
  { name: 'connections.max.reauth.ms', type: 'long', default: '0', validator: atLeast(0), doc: 'KIP-368: SASL sessions last at most this long, then the client must re-authenticate or is disconnected; 0 = forever.' },
  { name: 'sasl.server.max.receive.size', type: 'int', default: '524288', validator: atLeast(1), doc: 'Largest SASL token (or request before authentication) accepted.' },
  { name: 'sasl.oauthbearer.jwks.endpoint.url', type: 'string', default: null, doc: 'OAUTHBEARER: JWKS with the keys that sign tokens (file:// or http(s):// on 127.0.0.1); unset = unsecured (alg none) tokens.' },
  { name: 'sasl.oauthbearer.expected.audience', type: 'list', default: '', doc: 'OAUTHBEARER: a token must name one of these audiences (aud); empty = not checked.' },
  { name: 'sasl.oauthbearer.expected.issuer', type: 'string', default: null, doc: 'OAUTHBEARER: a token must have this issuer (iss); unset = not checked.' },
  { name: 'sasl.oauthbearer.sub.claim.name', type: 'string', default: 'sub', doc: 'OAUTHBEARER: the claim naming the principal.' },
  { name: 'sasl.oauthbearer.scope.claim.name', type: 'string', default: 'scope', doc: 'OAUTHBEARER: the claim holding the scopes.' },
  { name: 'sasl.oauthbearer.clock.skew.seconds', type: 'int', default: '30', validator: atLeast(0), doc: 'OAUTHBEARER: allowed clock difference when checking exp/iat/nbf.' },
  { name: 'sasl.server.callback.handler.class', type: 'class', default: null, doc: 'Accepted; OAUTHBEARER validation follows sasl.oauthbearer.jwks.endpoint.url.' },
  { name: 'sasl.login.callback.handler.class', type: 'class', default: null, doc: 'Accepted, not loaded.' },
  { name: 'authorizer.class.name', type: 'string', default: '', validator: AUTHORIZER_CLASS_VALIDATOR, doc: 'Authorizer; empty means no authorization. Kafka\'s AclAuthorizer and StandardAuthorizer class names both enable the ACL authorizer (docs/SECURITY.md).' },
  ...SECURITY_ACL_QUOTA_KEYS,
  { name: 'create.topic.policy.class.name', type: 'class', default: null, doc: 'Policy class for CreateTopics; accepted, not loaded.' },
  { name: 'alter.config.policy.class.name', type: 'class', default: null, doc: 'Policy class for AlterConfigs; accepted, not loaded.' },

  // Topics
  { name: 'num.partitions', type: 'int', default: '1', validator: atLeast(1), doc: 'Partitions of an auto-created topic.' },
  { name: 'default.replication.factor', type: 'int', default: '1', validator: atLeast(1), doc: 'Replication factor of an auto-created topic.' },
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true', doc: 'Create a topic when a client asks for metadata of one that does not exist.' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true', doc: 'Allow DeleteTopics.' },
  { name: 'min.insync.replicas', type: 'int', default: '1', validator: atLeast(1), doc: 'Replicas that must have a write for acks=all to succeed.' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', doc: 'Allow an out-of-sync replica to become leader (may lose data).' },
  { name: 'auto.leader.rebalance.enable', type: 'boolean', default: 'true', doc: 'Move leadership back to preferred replicas periodically.' },
  { name: 'leader.imbalance.per.broker.percentage', type: 'int', default: '10', validator: atLeast(0), doc: 'Imbalance that triggers a leader rebalance.' },
  { name: 'leader.imbalance.check.interval.seconds', type: 'long', default: '300', validator: atLeast(1), doc: 'How often leader imbalance is checked.' },
  { name: 'compression.type', type: 'string', default: 'producer', validator: oneOf(...COMPRESSION_TYPES), doc: 'Compression of stored batches; producer keeps what the producer sent.' },
  { name: 'message.max.bytes', type: 'int', default: '1048588', validator: atLeast(0), doc: 'Largest record batch accepted.' },
  { name: 'fetch.max.bytes', type: 'int', default: '57671680', validator: atLeast(1024), doc: 'Largest fetch response built for one request.' },

  // Log storage
  { name: 'log.dir', type: 'string', default: '/tmp/kafka-logs', doc: 'Log directory, used when log.dirs is unset.' },
  { name: 'log.dirs', type: 'string', default: null, doc: 'Comma-separated log directories; overrides log.dir.' },
  { name: 'num.recovery.threads.per.data.dir', type: 'int', default: '1', validator: atLeast(1), doc: 'Threads per data dir for recovery at startup and flush at shutdown.', ignoredNote: 'Samsa recovers log directories on its event loop, so the value has no effect' },
  { name: 'log.segment.bytes', type: 'int', default: '1073741824', validator: atLeast(64), doc: 'Size at which a segment is rolled (Samsa: at least 64; Kafka allows 14).' },
  { name: 'log.roll.ms', type: 'long', default: null, validator: atLeast(1), doc: 'Age at which a segment is rolled; overrides log.roll.hours.' },
  { name: 'log.roll.hours', type: 'int', default: '168', validator: atLeast(1), doc: 'Age in hours at which a segment is rolled.' },
  { name: 'log.roll.jitter.ms', type: 'long', default: null, validator: atLeast(0), doc: 'Random jitter subtracted from the roll time; overrides log.roll.jitter.hours.' },
  { name: 'log.roll.jitter.hours', type: 'int', default: '0', validator: atLeast(0), doc: 'Roll jitter in hours.' },
  { name: 'log.retention.ms', type: 'long', default: null, doc: 'Time to keep a segment; -1 = unlimited. Overrides minutes and hours.' },
  { name: 'log.retention.minutes', type: 'int', default: null, doc: 'Retention in minutes; overrides hours.' },
  { name: 'log.retention.hours', type: 'int', default: '168', doc: 'Retention in hours.' },
  { name: 'log.retention.bytes', type: 'long', default: '-1', doc: 'Partition size beyond which old segments are deleted; -1 = unlimited.' },
  { name: 'log.retention.check.interval.ms', type: 'long', default: '300000', validator: atLeast(1), doc: 'How often retention is checked.' },
  { name: 'log.index.interval.bytes', type: 'int', default: '4096', validator: atLeast(0), doc: 'Bytes of log between offset index entries.' },
  { name: 'log.index.size.max.bytes', type: 'int', default: '10485760', validator: atLeast(12), doc: 'Largest offset or time index file.' },
  { name: 'samsa.log.inline.write.bytes.max', type: 'int', default: '1048576', validator: atLeast(0), doc: `Samsa: log writes up to this size are made by the broker's main thread directly into the page cache (write(2) does not wait for the device), saving a thread-pool round trip per append; larger writes, fsyncs and reads use the thread pool. Should writes keep blocking (${inlineWriteGuard.stallsMax} over ${inlineWriteGuard.stallMs} ms within ${inlineWriteGuard.stallWindowMs / 1000} s and among ${inlineWriteGuard.stallRunWrites} consecutive writes, or one over ${inlineWriteGuard.stallAloneMs} ms) or take over ${inlineWriteGuard.shareMax * 100}% of the main thread's time in ${inlineWriteGuard.shareWindowMs / 1000} s at over ${inlineWriteGuard.costlyWriteMsMin * 1000} µs each on average, writes use the thread pool for ${inlineWriteGuard.backoffMsMin / 1000} s, doubling up to ${inlineWriteGuard.backoffMsMax / 1000} s while it recurs. 0 = every write through the thread pool.` },
  { name: 'samsa.log.tail.cache.bytes', type: 'long', default: '67108864', validator: atLeast(0), doc: 'Samsa: memory for copies of the latest appends of every partition (one bound for the broker), from which fetches at the log tail (followers, caught-up consumers) are answered without a file read. 0 = off.' },
  { name: 'samsa.log.write.behind.bytes', type: 'int', default: '16777216', validator: atLeast(0), doc: 'Samsa: once this many bytes of a partition\'s active segment are written but not fsynced, the segment is fsynced in the background, one partition at a time for the broker. Keeps the page cache from holding a whole segment until it rolls, whose fsync (several partitions rolling together) made every other write on the machine wait tens of milliseconds. Not a durability setting: the recovery point still moves only with a flush (log.flush.*, a roll, shutdown). 0 = off (the operating system writes the bytes out when it chooses).' },
  { name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX_STRING, validator: atLeast(1), doc: 'Messages appended before a forced flush.' },
  { name: 'log.flush.interval.ms', type: 'long', default: null, doc: 'Time a message may stay unflushed; unset means log.flush.scheduler.interval.ms.' },
  { name: 'log.flush.scheduler.interval.ms', type: 'long', default: LONG_MAX_STRING, doc: 'How often the flusher checks whether a log needs flushing.' },
  { name: 'log.flush.offset.checkpoint.interval.ms', type: 'int', default: '60000', validator: atLeast(0), doc: 'How often recovery points are checkpointed.' },
  { name: 'log.segment.delete.delay.ms', type: 'long', default: '60000', validator: atLeast(0), doc: 'Delay before a deleted segment file is removed.' },
  { name: 'log.preallocate', type: 'boolean', default: 'false', doc: 'Preallocate segment files.' },
  { name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', validator: oneOf(...TIMESTAMP_TYPES), doc: 'Timestamp stored with records: the producer\'s (CreateTime) or the broker\'s (LogAppendTime).' },
  { name: 'log.message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), doc: 'Largest allowed gap between a CreateTime timestamp and the broker clock.' },
  { name: 'log.message.timestamp.before.max.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), doc: 'How far in the past a CreateTime timestamp may be.' },
  { name: 'log.message.timestamp.after.max.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), doc: 'How far in the future a CreateTime timestamp may be.' },
  { name: 'log.message.downconversion.enable', type: 'boolean', default: 'true', doc: 'Down-convert batches for old fetch versions.' },
  { name: 'log.message.format.version', type: 'string', default: MESSAGE_FORMAT_VERSION_DEFAULT, validator: messageFormatVersionValidator, doc: 'Deprecated (KIP-724): accepted and ignored; batches are always stored as v2 and converted for old clients.' },
  { name: 'log.cleanup.policy', type: 'list', default: 'delete', validator: listOf(...CLEANUP_POLICIES), doc: 'delete, compact, or both.' },
  { name: 'log.cleaner.enable', type: 'boolean', default: 'true', doc: 'Run the log cleaner for compacted topics.' },
  { name: 'log.cleaner.threads', type: 'int', default: '1', validator: atLeast(0), doc: 'Log cleaner threads.' },
  { name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000', validator: atLeast(0), doc: 'How long delete tombstones are kept in compacted topics.' },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5', validator: between(0, 1), doc: 'Dirty ratio at which a log is eligible for cleaning.' },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0', validator: atLeast(0), doc: 'Minimum age of a record before it can be compacted.' },
  { name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(1), doc: 'Maximum age of a record before it must be compacted.' },
  { name: 'log.local.retention.ms', type: 'long', default: '-2', validator: atLeast(-2), doc: 'Tiered storage local retention; -2 = same as retention.' },
  { name: 'log.local.retention.bytes', type: 'long', default: '-2', validator: atLeast(-2), doc: 'Tiered storage local size bound; -2 = same as retention.' },

  // Group coordinator and offsets
  { name: 'offsets.topic.replication.factor', type: 'short', default: '1', validator: atLeast(1), doc: 'Replication factor of __consumer_offsets.', kafkaDefault: { value: '3', reason: 'a single broker with no config file must serve consumer groups; clusters set 3 in server.properties' } },
  { name: 'offsets.topic.num.partitions', type: 'int', default: '50', validator: atLeast(1), doc: 'Partitions of __consumer_offsets (do not change after creation).' },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', validator: atLeast(1), doc: 'Segment size of __consumer_offsets.' },
  { name: 'offsets.retention.minutes', type: 'int', default: '10080', validator: atLeast(1), doc: 'How long committed offsets of an empty group are kept.' },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', validator: atLeast(1), doc: 'How often stale offsets are looked for.' },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: '3000', validator: atLeast(0), doc: 'Wait for more members before the first rebalance of a new group.' },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000', doc: 'Smallest session timeout a member may ask for.' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', doc: 'Largest session timeout a member may ask for.' },
  { name: 'group.max.size', type: 'int', default: INT_MAX_STRING, validator: atLeast(1), doc: 'Members allowed in one group.' },

  // Transactions
  { name: 'transaction.state.log.replication.factor', type: 'short', default: '1', validator: atLeast(1), doc: 'Replication factor of __transaction_state.', kafkaDefault: { value: '3', reason: 'as offsets.topic.replication.factor: transactions must work on one broker without a config file' } },
  { name: 'transaction.state.log.min.isr', type: 'int', default: '1', validator: atLeast(1), doc: 'min.insync.replicas of __transaction_state.', kafkaDefault: { value: '2', reason: 'must not exceed the replication factor default of 1' } },
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '50', validator: atLeast(1), doc: 'Partitions of __transaction_state.' },
  { name: 'transaction.state.log.segment.bytes', type: 'int', default: '104857600', validator: atLeast(1), doc: 'Segment size of __transaction_state.' },
  { name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', validator: atLeast(1), doc: 'Idle time after which a transactional id expires.' },
  { name: 'transaction.max.timeout.ms', type: 'int', default: '900000', validator: atLeast(1), doc: 'Largest transaction timeout a producer may ask for.' },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: '10000', validator: atLeast(1), doc: 'How often the transaction coordinator aborts transactions past their timeout.' },
  { name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: '3600000', validator: atLeast(1), doc: 'How often the transaction coordinator removes expired transactional ids.' },

  // Replication
  { name: 'replica.lag.time.max.ms', type: 'long', default: '30000', doc: 'A follower that has not caught up for this long leaves the ISR.' },
  { name: 'leader.replication.throttled.rate', type: 'long', default: '9223372036854775807', validator: atLeast(0), doc: 'Bytes/s a leader serves to throttled follower replicas (leader.replication.throttled.replicas); a dynamic config.' },
  { name: 'follower.replication.throttled.rate', type: 'long', default: '9223372036854775807', validator: atLeast(0), doc: 'Bytes/s a follower fetches for its throttled replicas (follower.replication.throttled.replicas); a dynamic config.' },
  { name: 'replica.fetch.max.bytes', type: 'int', default: '1048576', validator: atLeast(0), doc: 'Bytes a follower asks for per partition.' },
  { name: 'replica.fetch.min.bytes', type: 'int', default: '1', doc: 'Bytes a follower waits for.' },
  { name: 'max.incremental.fetch.session.cache.slots', type: 'int', default: '1000', validator: atLeast(0), doc: 'Fetch sessions (KIP-227) kept at once; 0 = every fetch is served without a session.' },
  { name: 'min.incremental.fetch.session.eviction.ms', type: 'int', default: '120000', validator: atLeast(0), doc: 'A fetch session unused this long may give its place to a new one when the cache is full.' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: '500', doc: 'Longest a follower fetch waits on the leader.' },
  { name: 'replica.fetch.response.max.bytes', type: 'int', default: '10485760', validator: atLeast(0), doc: 'Bytes a follower fetch response may hold.' },
  { name: 'replica.fetch.backoff.ms', type: 'int', default: '1000', validator: atLeast(0), doc: 'Pause after a follower fetch error.' },
  { name: 'replica.socket.timeout.ms', type: 'int', default: '30000', doc: 'Socket timeout of follower fetches.' },
  { name: 'replica.socket.receive.buffer.bytes', type: 'int', default: '65536', doc: 'SO_RCVBUF of follower connections.' },
  { name: 'replica.high.watermark.checkpoint.interval.ms', type: 'long', default: '5000', doc: 'How often high watermarks are checkpointed.' },
  { name: 'num.replica.fetchers', type: 'int', default: '1', doc: 'Fetcher loops per source broker.' },
  { name: 'controlled.shutdown.enable', type: 'boolean', default: 'true', doc: 'Move leadership away before shutting down.' },
  { name: 'controlled.shutdown.max.retries', type: 'int', default: '3', doc: 'Attempts at a controlled shutdown.' },
  { name: 'controlled.shutdown.retry.backoff.ms', type: 'long', default: '5000', doc: 'Pause between controlled shutdown attempts.' },

  // Admin HTTP listener and observability (docs/METRICS.md). Off by default, like Kafka, which
  // exposes nothing over HTTP: several brokers on one machine (the multi-broker quickstart copies
  // server.properties) never collide on a fixed port. `samsa start` turns it on at 127.0.0.1:9644.
  { name: 'admin.listeners', type: 'string', default: '', doc: 'Admin HTTP listeners (read-only: /metrics, /health, /ready, the web console): http://HOST:PORT[,http://HOST:PORT]; empty host = all interfaces, port 0 = any free port. Empty (the default) = off; samsa start uses http://127.0.0.1:9644.' },
  { name: 'samsa.metrics.partition.log.enable', type: 'boolean', default: 'false', doc: 'Samsa: expose per-partition log size, segment count and start/end offsets in /metrics (kafka_log_log_*; 4 series per partition replica, so off by default).' },
  { name: 'samsa.slow.request.threshold.ms', type: 'long', default: '1000', validator: atLeast(-1), doc: 'Samsa: log (info) every request that takes longer than this, with API, version, client id, correlation id and phase times; the waits of Fetch, JoinGroup and SyncGroup (chosen by the client) do not count. -1 = off.' },
  { name: 'samsa.request.log.sample.rate', type: 'double', default: '0', validator: between(0, 1), doc: 'Samsa: share of requests (0..1) logged at info with their phase times, for a view of production traffic without debug logging. 0 = off.' },
];

assertDefaultsValid(BROKER_CONFIG_KEYS);

const KEYS_BY_NAME: ReadonlyMap<string, BrokerKeyDef> = new Map(BROKER_CONFIG_KEYS.map((def) => [def.name, def]));

/** Per-listener keys such as listener.name.sasl_ssl.plain.sasl.jaas.config: accepted, kept raw. */
const LISTENER_PREFIXED_KEY = /^listener\.name\.[a-z0-9_.-]+\.[a-z]/;

export function isKnownBrokerKey(name: string): boolean {
  return KEYS_BY_NAME.has(name) || LISTENER_PREFIXED_KEY.test(name);
}

export function brokerKeyDef(name: string): BrokerKeyDef | undefined {
  return KEYS_BY_NAME.get(name);
}

/** The whole broker configuration, every value parsed and derived. Deeply frozen (the two Maps excepted: do not mutate them). */
export interface BrokerConfig {
  brokerId: number;
  brokerRack: string | null;
  processRoles: string[];
  controllerQuorumVoters: QuorumVoter[];
  controllerListenerNames: string[];
  metadataLogDir: string | null;
  zookeeperConnect: string | null;
  zookeeperConnectionTimeoutMs: number;
  zookeeperSessionTimeoutMs: number;
  zookeeperMaxInFlightRequests: number;
  zookeeperSetAcl: boolean;

  listeners: Listener[];
  advertisedListeners: Listener[];
  /** Upper-case listener name → security protocol. */
  listenerSecurityProtocolMap: Map<string, string>;
  interBrokerListenerName: string;
  socketSendBufferBytes: number;
  socketReceiveBufferBytes: number;
  socketRequestMaxBytes: number;
  numNetworkThreads: number;
  numIoThreads: number;
  queuedMaxRequests: number;
  connectionsMaxIdleMs: number;
  /** queued.max.request.bytes as set (<= 0: Samsa's default bound, see limits.queuedRequestBytesDefault). */
  queuedMaxRequestBytes: number;
  /** samsa.request.receive.timeout.ms (-1 = off). */
  requestReceiveTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;

  sslKeystoreLocation: string | null;
  sslKeystorePassword: string | null;
  sslKeystoreType: string;
  sslKeyPassword: string | null;
  sslTruststoreLocation: string | null;
  sslTruststorePassword: string | null;
  sslTruststoreType: string;
  sslClientAuth: 'required' | 'requested' | 'none';
  sslEnabledProtocols: string[];
  saslEnabledMechanisms: string[];
  saslMechanismInterBrokerProtocol: string;
  authorizerClassName: string;

  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  minInsyncReplicas: number;
  uncleanLeaderElectionEnable: boolean;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalancePerBrokerPercentage: number;
  leaderImbalanceCheckIntervalSeconds: number;
  compressionType: string;
  messageMaxBytes: number;
  fetchMaxBytes: number;

  logDirs: string[];
  numRecoveryThreadsPerDataDir: number;
  logSegmentBytes: number;
  /** log.roll.ms, else log.roll.hours in ms. */
  logRollMs: number;
  /** log.roll.jitter.ms, else log.roll.jitter.hours in ms. */
  logRollJitterMs: number;
  /** log.retention.ms, else .minutes, else .hours, in ms; -1 = unlimited. */
  logRetentionMs: number;
  logRetentionBytes: number;
  logRetentionCheckIntervalMs: number;
  logIndexIntervalBytes: number;
  logIndexSizeMaxBytes: number;
  logFlushIntervalMessages: number;
  /** samsa.log.inline.write.bytes.max (0 = every write through the thread pool). */
  logInlineWriteBytesMax: number;
  /** samsa.log.tail.cache.bytes (0 = off). */
  logTailCacheBytes: number;
  /** samsa.log.write.behind.bytes (0 = off). */
  logWriteBehindBytes: number;
  /** log.flush.interval.ms, else log.flush.scheduler.interval.ms. */
  logFlushIntervalMs: number;
  logFlushSchedulerIntervalMs: number;
  logFlushOffsetCheckpointIntervalMs: number;
  logSegmentDeleteDelayMs: number;
  logPreallocate: boolean;
  logMessageTimestampType: 'CreateTime' | 'LogAppendTime';
  logMessageTimestampDifferenceMaxMs: number;
  logMessageTimestampBeforeMaxMs: number;
  logMessageTimestampAfterMaxMs: number;
  logMessageDownconversionEnable: boolean;
  /** Deprecated, ignored (KIP-724); kept for DescribeConfigs and the topic key's default. */
  logMessageFormatVersion: string;
  logCleanupPolicy: string[];
  logCleanerEnable: boolean;
  logCleanerThreads: number;
  logCleanerDeleteRetentionMs: number;
  logCleanerMinCleanableRatio: number;
  logCleanerMinCompactionLagMs: number;
  logCleanerMaxCompactionLagMs: number;
  logLocalRetentionMs: number;
  logLocalRetentionBytes: number;

  offsetsTopicReplicationFactor: number;
  offsetsTopicNumPartitions: number;
  offsetsTopicSegmentBytes: number;
  offsetsRetentionMinutes: number;
  offsetsRetentionCheckIntervalMs: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;

  transactionStateLogReplicationFactor: number;
  transactionStateLogMinIsr: number;
  transactionStateLogNumPartitions: number;
  transactionStateLogSegmentBytes: number;
  transactionalIdExpirationMs: number;
  transactionMaxTimeoutMs: number;
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  transactionRemoveExpiredTransactionCleanupIntervalMs: number;

  replicaLagTimeMaxMs: number;
  /** Bytes/s for throttled replicas, leader and follower side (Number.MAX_SAFE_INTEGER: unthrottled). */
  leaderReplicationThrottledRate: number;
  followerReplicationThrottledRate: number;
  replicaFetchMaxBytes: number;
  replicaFetchMinBytes: number;
  replicaFetchWaitMaxMs: number;
  /** max.incremental.fetch.session.cache.slots (KIP-227 sessions kept; 0 = none). */
  fetchSessionCacheSlots: number;
  /** min.incremental.fetch.session.eviction.ms */
  fetchSessionEvictionMs: number;
  replicaFetchResponseMaxBytes: number;
  replicaFetchBackoffMs: number;
  replicaSocketTimeoutMs: number;
  replicaSocketReceiveBufferBytes: number;
  replicaHighWatermarkCheckpointIntervalMs: number;
  numReplicaFetchers: number;
  controlledShutdownEnable: boolean;
  controlledShutdownMaxRetries: number;
  controlledShutdownRetryBackoffMs: number;

  /** admin.listeners: empty = no admin HTTP listener. */
  adminListeners: ReadonlyArray<{ host: string; port: number }>;
  metricsPartitionLogEnable: boolean;
  /** -1 = off. */
  slowRequestThresholdMs: number;
  requestLogSampleRate: number;

  /** Every key as given statically (file, env, override merged; unknown keys included), for DescribeConfigs. */
  raw: Map<string, string>;
  /** The dynamic layers in force (kafka-configs --entity-type brokers); empty at boot until the controller's image arrives. */
  dynamic: DynamicBrokerConfigs;
}

export interface LoadBrokerConfigOptions {
  /** Path of a .properties file. */
  file?: string;
  /** "key=value" strings from --override. */
  overrides?: string[];
  /** Environment to read KAFKA_* and SAMSA_* from; process.env when omitted. */
  env?: NodeJS.ProcessEnv;
  /**
   * Reads the file; required with `file`. Entry points pass io/node/text-file.ts's
   * readTextFileSync (configuration is read once at boot, before a Disk exists); tests may pass a fake.
   */
  readTextFile?: (path: string) => string;
  /**
   * The static values of an earlier load (BrokerConfig.raw), used instead of file, env and
   * overrides when the effective config is rebuilt with new dynamic values (withDynamicConfigs).
   */
  staticValues?: ReadonlyMap<string, string>;
  /** Dynamic broker configs (kafka-configs --entity-type brokers): they win over static values, per broker over the cluster default. */
  dynamic?: DynamicBrokerConfigs;
}

/** The dynamic layers of a broker's configuration, as stored by the controller. */
export interface DynamicBrokerConfigs {
  /** --entity-default: every broker. */
  clusterDefault: Readonly<Record<string, string>>;
  /** --entity-name <this broker's id>. */
  broker: Readonly<Record<string, string>>;
}

const NO_DYNAMIC: DynamicBrokerConfigs = Object.freeze({ clusterDefault: Object.freeze({}), broker: Object.freeze({}) });

type Origin =
  | { kind: 'file'; path: string; line: number }
  | { kind: 'env'; variable: string }
  | { kind: 'override'; text: string }
  | { kind: 'static' }
  | { kind: 'dynamic'; scope: 'clusterDefault' | 'broker' };

interface GivenValue {
  value: string;
  origin: Origin;
}

function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'file':
      return `in ${origin.path} line ${origin.line}`;
    case 'env':
      return `from environment variable ${origin.variable}`;
    case 'override':
      return `from --override ${origin.text}`;
    case 'static':
      return 'in the static config';
    case 'dynamic':
      return origin.scope === 'broker' ? 'as a dynamic config of this broker' : 'as a cluster-wide dynamic config';
  }
}

/**
 * Loads the broker configuration. Throws ConfigError for an unreadable file, a malformed
 * --override, or any invalid value; returns warnings for unknown, repeated or ignored keys.
 */
export function loadBrokerConfig(opts: LoadBrokerConfigOptions = {}): { config: BrokerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const given = new Map<string, GivenValue>();

  if (opts.file !== undefined) {
    const path = opts.file;
    let text: string;
    try {
      assert.ok(opts.readTextFile !== undefined, 'loadBrokerConfig({ file }) needs readTextFile');
      text = opts.readTextFile(path);
    } catch (error) {
      // Converted to the one-line error the CLI prints; the cause stays attached for debugging.
      const reason = error instanceof Error ? error.message : String(error);
      throw Object.assign(new ConfigError(`Cannot read config file ${path}: ${reason}`), { cause: error });
    }
    for (const [key, entry] of parseProperties(text, path)) {
      if (entry.earlierLines.length > 0) {
        warnings.push(
          `Configuration '${key}' is set more than once in ${path} (lines ${[...entry.earlierLines, entry.line].join(', ')}); the last one wins`,
        );
      }
      given.set(key, { value: entry.value, origin: { kind: 'file', path, line: entry.line } });
    }
  }

  const fromEnv = configFromEnv(opts.env ?? process.env, isKnownBrokerKey);
  warnings.push(...fromEnv.warnings);
  for (const entry of fromEnv.entries) {
    given.set(entry.key, { value: entry.value, origin: { kind: 'env', variable: entry.variable } });
  }

  for (const text of opts.overrides ?? []) {
    const equals = text.indexOf('=');
    const key = text.slice(0, equals).trim();
    if (equals < 0 || key === '') {
      throw new ConfigError(`Invalid --override '${text}': expected key=value, e.g. --override num.partitions=3`);
    }
    given.set(key, { value: text.slice(equals + 1), origin: { kind: 'override', text } });
  }
  for (const [key, value] of opts.staticValues ?? []) given.set(key, { value, origin: { kind: 'static' } });
  const staticRaw = new Map([...given].map(([key, entry]) => [key, entry.value]));
  const dynamic = opts.dynamic ?? NO_DYNAMIC;
  for (const [key, value] of Object.entries(dynamic.clusterDefault)) given.set(key, { value, origin: { kind: 'dynamic', scope: 'clusterDefault' } });
  for (const [key, value] of Object.entries(dynamic.broker)) given.set(key, { value, origin: { kind: 'dynamic', scope: 'broker' } });

  const values = new Map<string, ConfigValue>();
  for (const def of BROKER_CONFIG_KEYS) {
    const entry = given.get(def.name);
    const raw = entry?.value ?? def.default;
    if (raw === null) {
      values.set(def.name, null);
      continue;
    }
    const result = parseAndValidate(def.type, raw, def.validator);
    if (!result.ok) {
      assert.ok(entry !== undefined, `default of ${def.name} was checked at module load`);
      throw new ConfigError(invalidValueMessage(def.name, raw, result.reason, describeOrigin(entry.origin), def.type), def.name);
    }
    values.set(def.name, result.value);
  }

  for (const [key, entry] of given) {
    const def = KEYS_BY_NAME.get(key);
    if (def === undefined) {
      if (LISTENER_PREFIXED_KEY.test(key)) continue;
      const hint = closestName(key, KEYS_BY_NAME.keys());
      warnings.push(
        `Unknown configuration '${key}' (ignored) ${describeOrigin(entry.origin)}${hint === null ? '' : `; did you mean '${hint}'?`}`,
      );
    } else if (def.ignoredNote !== undefined && formatConfigValue(def.type, values.get(key)!) !== def.default) {
      warnings.push(`Configuration ${key}=${entry.value.trim()} is accepted but ignored: ${def.ignoredNote}`);
    } else if (key === 'log.message.format.version') {
      const warning = brokerMessageFormatWarning(entry.value.trim());
      if (warning !== null) warnings.push(warning);
    }
  }

  const config = { ...buildBrokerConfig(new TypedValues(values, given), warnings), raw: staticRaw, dynamic };
  return { config: deepFreeze(config), warnings };
}

/**
 * The effective config of a running broker after its dynamic configs changed: the same static
 * values, with `dynamic` laid over them. Throws ConfigError (naming the key and the dynamic origin)
 * when a dynamic value is invalid.
 */
export function withDynamicConfigs(config: BrokerConfig, dynamic: DynamicBrokerConfigs): BrokerConfig {
  return loadBrokerConfig({ staticValues: config.raw, dynamic, env: {} }).config;
}

/** Freezes the config, its arrays and the objects in them. Maps cannot be frozen; nobody may mutate them either. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Typed reads of parsed values; a wrong name or type here is our bug, hence the asserts. */
class TypedValues {
  readonly #values: Map<string, ConfigValue>;
  readonly #given: Map<string, GivenValue>;

  constructor(values: Map<string, ConfigValue>, given: Map<string, GivenValue>) {
    this.#values = values;
    this.#given = given;
  }

  #get(name: string, types: string[]): ConfigValue {
    const def = KEYS_BY_NAME.get(name);
    assert.ok(def !== undefined, `config key ${name} is in the table`);
    assert.ok(types.includes(def.type), `config key ${name} is read as ${types.join('/')}, declared ${def.type}`);
    return this.#values.get(name) ?? null;
  }

  isSet(name: string): boolean {
    assert.ok(KEYS_BY_NAME.has(name), `config key ${name} is in the table`);
    return this.#given.has(name);
  }
  numberOrNull(name: string): number | null {
    const value = this.#get(name, ['int', 'short', 'long', 'double']);
    assert.ok(value === null || typeof value === 'number');
    return value;
  }
  number(name: string): number {
    const value = this.numberOrNull(name);
    assert.ok(value !== null, `${name} has a default`);
    return value;
  }
  bool(name: string): boolean {
    const value = this.#get(name, ['boolean']);
    assert.ok(typeof value === 'boolean', `${name} has a default`);
    return value;
  }
  stringOrNull(name: string): string | null {
    const value = this.#get(name, ['string', 'class', 'password']);
    assert.ok(value === null || typeof value === 'string');
    return value;
  }
  string(name: string): string {
    const value = this.stringOrNull(name);
    assert.ok(value !== null, `${name} has a default`);
    return value;
  }
  list(name: string): string[] {
    const value = this.#get(name, ['list']);
    assert.ok(Array.isArray(value), `${name} has a default`);
    return value;
  }
  /** One line for a derived-value error, blaming `name` with the value the user gave (or its default). */
  error(name: string, reason: string, shownValue?: string): ConfigError {
    const entry = this.#given.get(name);
    const def = KEYS_BY_NAME.get(name);
    assert.ok(def !== undefined);
    const value = shownValue ?? entry?.value ?? def.default;
    return new ConfigError(
      invalidValueMessage(name, value, reason, entry === undefined ? null : describeOrigin(entry.origin), def.type),
      name,
    );
  }
  raw(): Map<string, string> {
    return new Map([...this.#given].map(([key, entry]) => [key, entry.value]));
  }
}

/** Splits a comma-separated string-typed value (listeners, log.dirs, ...). */
function splitList(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/\s*,\s*/);
}

const ADVERTISED_HOST_FOR_ANY = 'localhost';

function advertisable(listener: Listener): Listener {
  return listener.host === '' || listener.host === '0.0.0.0' ? { ...listener, host: ADVERTISED_HOST_FOR_ANY } : listener;
}

function buildBrokerConfig(v: TypedValues, warnings: string[]): Omit<BrokerConfig, 'dynamic'> {
  const brokerId = resolveBrokerId(v);

  const protocolMap = parseSecurityProtocolMap(splitList(v.string('listener.security.protocol.map')));
  if (!protocolMap.ok) throw v.error('listener.security.protocol.map', protocolMap.reason);
  const controllerListenerNames = splitList(v.stringOrNull('controller.listener.names') ?? '').map((name) => name.toUpperCase());
  if (!v.isSet('listener.security.protocol.map')) {
    // Kafka maps controller listeners to PLAINTEXT when the map is left at its default.
    for (const name of controllerListenerNames) if (!protocolMap.value.has(name)) protocolMap.value.set(name, 'PLAINTEXT');
  }
  const listeners = resolveListeners(v, protocolMap.value, warnings);
  const advertisedListeners = resolveAdvertisedListeners(v, protocolMap.value, listeners, controllerListenerNames, warnings);
  const processRoles = v.list('process.roles');
  const interBrokerListenerName = resolveInterBrokerListener(v, advertisedListeners, processRoles);

  const voters = parseQuorumVoters(v.list('controller.quorum.voters'));
  if (!voters.ok) throw v.error('controller.quorum.voters', voters.reason);
  if (processRoles.length > 0) checkKraftSingleNode(v, processRoles, voters.value, brokerId, listeners, controllerListenerNames);

  const logDirs = v.isSet('log.dirs') ? splitList(v.string('log.dirs')) : splitList(v.string('log.dir'));
  const logDirsKey = v.isSet('log.dirs') ? 'log.dirs' : 'log.dir';
  if (v.isSet('log.dirs') && v.isSet('log.dir') && v.string('log.dir') !== v.string('log.dirs')) {
    // Kafka's rule; a copied server.properties with an added log.dir= line keeps its log.dirs= line.
    warnings.push(`Configuration log.dir=${v.string('log.dir')} is ignored because log.dirs=${v.string('log.dirs')} is set; edit the log.dirs line instead`);
  }
  if (logDirs.length === 0) throw v.error(logDirsKey, 'At least one log directory must be defined via log.dirs or log.dir');
  if (new Set(logDirs).size !== logDirs.length) throw v.error(logDirsKey, 'A log directory is listed twice');

  const logRetentionMs = resolveRetentionMs(v);
  const zookeeperSessionTimeoutMs = v.number('zookeeper.session.timeout.ms');
  const zookeeperConnect = emptyToNull(v.stringOrNull('zookeeper.connect'));
  if (zookeeperConnect !== null) {
    const parsed = parseZookeeperConnect(zookeeperConnect);
    if (!parsed.ok) throw v.error('zookeeper.connect', parsed.reason);
    if (processRoles.length > 0) {
      throw v.error('zookeeper.connect', 'process.roles is set too: a broker runs either with ZooKeeper (zookeeper.connect) or in KRaft mode (process.roles), not both; remove one of them');
    }
  }

  return {
    brokerId,
    brokerRack: v.stringOrNull('broker.rack'),
    processRoles,
    controllerQuorumVoters: voters.value,
    controllerListenerNames,
    metadataLogDir: v.stringOrNull('metadata.log.dir'),
    zookeeperConnect,
    zookeeperConnectionTimeoutMs: v.numberOrNull('zookeeper.connection.timeout.ms') ?? zookeeperSessionTimeoutMs,
    zookeeperSessionTimeoutMs,
    zookeeperMaxInFlightRequests: v.number('zookeeper.max.in.flight.requests'),
    zookeeperSetAcl: v.bool('zookeeper.set.acl'),

    listeners,
    advertisedListeners,
    listenerSecurityProtocolMap: protocolMap.value,
    interBrokerListenerName,
    socketSendBufferBytes: v.number('socket.send.buffer.bytes'),
    socketReceiveBufferBytes: v.number('socket.receive.buffer.bytes'),
    socketRequestMaxBytes: v.number('socket.request.max.bytes'),
    numNetworkThreads: v.number('num.network.threads'),
    numIoThreads: v.number('num.io.threads'),
    queuedMaxRequests: v.number('queued.max.requests'),
    connectionsMaxIdleMs: v.number('connections.max.idle.ms'),
    queuedMaxRequestBytes: queuedMaxRequestBytes(v),
    requestReceiveTimeoutMs: v.number('samsa.request.receive.timeout.ms'),
    maxConnections: v.number('max.connections'),
    maxConnectionsPerIp: v.number('max.connections.per.ip'),

    sslKeystoreLocation: v.stringOrNull('ssl.keystore.location'),
    sslKeystorePassword: v.stringOrNull('ssl.keystore.password'),
    sslKeystoreType: v.string('ssl.keystore.type'),
    sslKeyPassword: v.stringOrNull('ssl.key.password'),
    sslTruststoreLocation: v.stringOrNull('ssl.truststore.location'),
    sslTruststorePassword: v.stringOrNull('ssl.truststore.password'),
    sslTruststoreType: v.string('ssl.truststore.type'),
    sslClientAuth: v.string('ssl.client.auth') as BrokerConfig['sslClientAuth'],
    sslEnabledProtocols: v.list('ssl.enabled.protocols'),
    saslEnabledMechanisms: v.list('sasl.enabled.mechanisms'),
    saslMechanismInterBrokerProtocol: v.string('sasl.mechanism.inter.broker.protocol'),
    authorizerClassName: v.string('authorizer.class.name'),

    numPartitions: v.number('num.partitions'),
    defaultReplicationFactor: v.number('default.replication.factor'),
    autoCreateTopicsEnable: v.bool('auto.create.topics.enable'),
    deleteTopicEnable: v.bool('delete.topic.enable'),
    minInsyncReplicas: v.number('min.insync.replicas'),
    uncleanLeaderElectionEnable: v.bool('unclean.leader.election.enable'),
    autoLeaderRebalanceEnable: v.bool('auto.leader.rebalance.enable'),
    leaderImbalancePerBrokerPercentage: v.number('leader.imbalance.per.broker.percentage'),
    leaderImbalanceCheckIntervalSeconds: v.number('leader.imbalance.check.interval.seconds'),
    compressionType: v.string('compression.type'),
    messageMaxBytes: v.number('message.max.bytes'),
    fetchMaxBytes: v.number('fetch.max.bytes'),

    logDirs,
    numRecoveryThreadsPerDataDir: v.number('num.recovery.threads.per.data.dir'),
    logSegmentBytes: v.number('log.segment.bytes'),
    logRollMs: v.numberOrNull('log.roll.ms') ?? v.number('log.roll.hours') * HOUR_MS,
    logRollJitterMs: v.numberOrNull('log.roll.jitter.ms') ?? v.number('log.roll.jitter.hours') * HOUR_MS,
    logRetentionMs,
    logRetentionBytes: v.number('log.retention.bytes'),
    logRetentionCheckIntervalMs: v.number('log.retention.check.interval.ms'),
    logIndexIntervalBytes: v.number('log.index.interval.bytes'),
    logIndexSizeMaxBytes: v.number('log.index.size.max.bytes'),
    logFlushIntervalMessages: v.number('log.flush.interval.messages'),
    logTailCacheBytes: v.number('samsa.log.tail.cache.bytes'),
    logWriteBehindBytes: v.number('samsa.log.write.behind.bytes'),
    logInlineWriteBytesMax: v.number('samsa.log.inline.write.bytes.max'),
    logFlushIntervalMs: v.numberOrNull('log.flush.interval.ms') ?? v.number('log.flush.scheduler.interval.ms'),
    logFlushSchedulerIntervalMs: v.number('log.flush.scheduler.interval.ms'),
    logFlushOffsetCheckpointIntervalMs: v.number('log.flush.offset.checkpoint.interval.ms'),
    logSegmentDeleteDelayMs: v.number('log.segment.delete.delay.ms'),
    logPreallocate: v.bool('log.preallocate'),
    logMessageTimestampType: v.string('log.message.timestamp.type') as BrokerConfig['logMessageTimestampType'],
    logMessageTimestampDifferenceMaxMs: v.number('log.message.timestamp.difference.max.ms'),
    logMessageTimestampBeforeMaxMs: v.number('log.message.timestamp.before.max.ms'),
    logMessageTimestampAfterMaxMs: v.number('log.message.timestamp.after.max.ms'),
    logMessageDownconversionEnable: v.bool('log.message.downconversion.enable'),
    logMessageFormatVersion: v.string('log.message.format.version'),
    logCleanupPolicy: v.list('log.cleanup.policy'),
    logCleanerEnable: v.bool('log.cleaner.enable'),
    logCleanerThreads: v.number('log.cleaner.threads'),
    logCleanerDeleteRetentionMs: v.number('log.cleaner.delete.retention.ms'),
    logCleanerMinCleanableRatio: v.number('log.cleaner.min.cleanable.ratio'),
    logCleanerMinCompactionLagMs: v.number('log.cleaner.min.compaction.lag.ms'),
    logCleanerMaxCompactionLagMs: v.number('log.cleaner.max.compaction.lag.ms'),
    logLocalRetentionMs: v.number('log.local.retention.ms'),
    logLocalRetentionBytes: v.number('log.local.retention.bytes'),

    offsetsTopicReplicationFactor: v.number('offsets.topic.replication.factor'),
    offsetsTopicNumPartitions: v.number('offsets.topic.num.partitions'),
    offsetsTopicSegmentBytes: v.number('offsets.topic.segment.bytes'),
    offsetsRetentionMinutes: v.number('offsets.retention.minutes'),
    offsetsRetentionCheckIntervalMs: v.number('offsets.retention.check.interval.ms'),
    groupInitialRebalanceDelayMs: v.number('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: v.number('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: v.number('group.max.session.timeout.ms'),
    groupMaxSize: v.number('group.max.size'),

    transactionStateLogReplicationFactor: v.number('transaction.state.log.replication.factor'),
    transactionStateLogMinIsr: v.number('transaction.state.log.min.isr'),
    transactionStateLogNumPartitions: v.number('transaction.state.log.num.partitions'),
    transactionStateLogSegmentBytes: v.number('transaction.state.log.segment.bytes'),
    transactionalIdExpirationMs: v.number('transactional.id.expiration.ms'),
    transactionMaxTimeoutMs: v.number('transaction.max.timeout.ms'),
    transactionAbortTimedOutTransactionCleanupIntervalMs: v.number('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    transactionRemoveExpiredTransactionCleanupIntervalMs: v.number('transaction.remove.expired.transaction.cleanup.interval.ms'),

    replicaLagTimeMaxMs: v.number('replica.lag.time.max.ms'),
    leaderReplicationThrottledRate: v.number('leader.replication.throttled.rate'),
    followerReplicationThrottledRate: v.number('follower.replication.throttled.rate'),
    replicaFetchMaxBytes: v.number('replica.fetch.max.bytes'),
    replicaFetchMinBytes: v.number('replica.fetch.min.bytes'),
    replicaFetchWaitMaxMs: v.number('replica.fetch.wait.max.ms'),
    fetchSessionCacheSlots: v.number('max.incremental.fetch.session.cache.slots'),
    fetchSessionEvictionMs: v.number('min.incremental.fetch.session.eviction.ms'),
    replicaFetchResponseMaxBytes: v.number('replica.fetch.response.max.bytes'),
    replicaFetchBackoffMs: v.number('replica.fetch.backoff.ms'),
    replicaSocketTimeoutMs: v.number('replica.socket.timeout.ms'),
    replicaSocketReceiveBufferBytes: v.number('replica.socket.receive.buffer.bytes'),
    replicaHighWatermarkCheckpointIntervalMs: v.number('replica.high.watermark.checkpoint.interval.ms'),
    numReplicaFetchers: v.number('num.replica.fetchers'),
    controlledShutdownEnable: v.bool('controlled.shutdown.enable'),
    controlledShutdownMaxRetries: v.number('controlled.shutdown.max.retries'),
    controlledShutdownRetryBackoffMs: v.number('controlled.shutdown.retry.backoff.ms'),

    adminListeners: resolveAdminListeners(v),
    metricsPartitionLogEnable: v.bool('samsa.metrics.partition.log.enable'),
    slowRequestThresholdMs: v.number('samsa.slow.request.threshold.ms'),
    requestLogSampleRate: v.number('samsa.request.log.sample.rate'),

    raw: v.raw(),
  };
}

/** `admin.listeners`: http://HOST:PORT items (https waits for the security work). */
function resolveAdminListeners(v: TypedValues): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const item of splitList(v.string('admin.listeners'))) {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/.exec(item);
    if (m === null) throw v.error('admin.listeners', `Listener '${item}' is not of the form http://HOST:PORT (e.g. http://127.0.0.1:9644)`);
    if (m[1]!.toLowerCase() !== 'http') throw v.error('admin.listeners', `Listener '${item}': only http:// is supported (https comes with the security work); use http://HOST:PORT`);
    const hostPort = parseHostPort(m[2]!);
    if (!hostPort.ok) throw v.error('admin.listeners', `Listener '${item}': ${hostPort.reason}`);
    const clash = out.find((o) => o.port === hostPort.value.port && o.port !== 0);
    if (clash) throw v.error('admin.listeners', `Port ${hostPort.value.port} is listed twice`);
    out.push(hostPort.value);
  }
  return out;
}

function emptyToNull(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}

function resolveBrokerId(v: TypedValues): number {
  const nodeId = v.isSet('node.id') ? v.number('node.id') : null;
  const brokerId = v.isSet('broker.id') ? v.number('broker.id') : null;
  if (nodeId !== null && brokerId !== null && nodeId !== brokerId) {
    throw v.error('node.id', `Differs from broker.id=${brokerId}; set only one of them, or both to the same id`);
  }
  const id = nodeId ?? brokerId ?? 0;
  const key = nodeId !== null ? 'node.id' : 'broker.id';
  if (id < 0) throw v.error(key, 'Samsa does not generate broker ids; set an id of 0 or more');
  if (nodeId === null && brokerId !== null && v.bool('broker.id.generation.enable')) {
    const reservedMax = v.number('reserved.broker.max.id');
    if (brokerId > reservedMax) {
      throw v.error('broker.id', `Value must be at most reserved.broker.max.id=${reservedMax} while broker.id.generation.enable is true`);
    }
  }
  return id;
}

function resolveListeners(v: TypedValues, protocols: Map<string, string>, warnings: string[]): Listener[] {
  if (v.isSet('listeners')) {
    for (const legacy of ['port', 'host.name']) {
      if (v.isSet(legacy)) warnings.push(`Configuration ${legacy} is ignored because listeners is set`);
    }
    const parsed = parseListeners(splitList(v.string('listeners')), protocols, true);
    if (!parsed.ok) throw v.error('listeners', parsed.reason);
    if (parsed.value.length === 0) throw v.error('listeners', 'At least one listener is needed, e.g. PLAINTEXT://:9092');
    return parsed.value;
  }
  const hostName = v.string('host.name');
  const parsed = parseListeners([`PLAINTEXT://${bracketIpv6(hostName)}:${v.number('port')}`], protocols, true);
  if (!parsed.ok) throw v.error('host.name', parsed.reason);
  return parsed.value;
}

function resolveAdvertisedListeners(
  v: TypedValues,
  protocols: Map<string, string>,
  listeners: Listener[],
  controllerListenerNames: string[],
  warnings: string[],
): Listener[] {
  let advertised: Listener[];
  if (v.isSet('advertised.listeners')) {
    for (const legacy of ['advertised.host.name', 'advertised.port']) {
      if (v.isSet(legacy)) warnings.push(`Configuration ${legacy} is ignored because advertised.listeners is set`);
    }
    const parsed = parseListeners(splitList(v.string('advertised.listeners')), protocols, false);
    if (!parsed.ok) throw v.error('advertised.listeners', parsed.reason);
    if (parsed.value.some((listener) => listener.host === '0.0.0.0')) {
      throw v.error('advertised.listeners', 'Cannot advertise the non-routable address 0.0.0.0; use a host name or address clients can reach');
    }
    advertised = parsed.value;
  } else if (v.isSet('advertised.host.name') || v.isSet('advertised.port')) {
    const host = v.stringOrNull('advertised.host.name') ?? v.string('host.name');
    const port = v.numberOrNull('advertised.port') ?? v.number('port');
    const parsed = parseListeners([`PLAINTEXT://${bracketIpv6(host)}:${port}`], protocols, false);
    if (!parsed.ok) throw v.error('advertised.host.name', parsed.reason);
    advertised = parsed.value;
  } else {
    advertised = listeners.filter((listener) => !controllerListenerNames.includes(listener.name));
  }
  const listenerNames = new Set(listeners.map((listener) => listener.name));
  const stray = advertised.find((listener) => !listenerNames.has(listener.name));
  if (stray !== undefined) {
    const key = v.isSet('advertised.listeners') ? 'advertised.listeners' : 'advertised.host.name';
    throw v.error(key, `Advertised listener ${stray.name} is not among listeners (${[...listenerNames].join(', ')}); advertised names must be a subset of listener names`);
  }
  return advertised.map(advertisable);
}

/**
 * KRaft mode as far as Samsa runs it today: one combined node (process.roles=broker,controller)
 * that is the only voter. Everything else is refused with one line naming the key and the way out,
 * until the built-in Raft quorum exists (docs/ARCHITECTURE.md, "KRaft single node").
 */
function checkKraftSingleNode(v: TypedValues, roles: string[], voters: QuorumVoter[], nodeId: number, listeners: Listener[], controllerListenerNames: string[]): void {
  const combined = roles.includes('broker') && roles.includes('controller');
  if (!combined) {
    throw v.error(
      'process.roles',
      `Samsa runs KRaft as one combined node only (process.roles=broker,controller) until its built-in Raft quorum lands; a ${roles.join(',')}-only node needs a separate controller quorum. For a cluster today use ZooKeeper (zookeeper.connect) or \`samsa cluster start\``,
    );
  }
  if (!v.isSet('node.id') && !v.isSet('broker.id')) throw v.error('node.id', 'KRaft mode (process.roles is set) needs node.id, e.g. node.id=1');
  if (voters.length > 1) {
    throw v.error(
      'controller.quorum.voters',
      `Names ${voters.length} voters (${voters.map((x) => x.nodeId).join(', ')}); Samsa runs KRaft with a single voter until its built-in Raft quorum lands. Use one voter (${nodeId}@localhost:9093), or run a cluster with ZooKeeper (zookeeper.connect) or \`samsa cluster start --brokers 3\``,
    );
  }
  if (voters.length === 1 && voters[0]!.nodeId !== nodeId) {
    throw v.error('controller.quorum.voters', `The only voter is node ${voters[0]!.nodeId}, but this node is ${nodeId} (node.id); a combined node must be the voter`);
  }
  if (voters.length === 0 && v.list('controller.quorum.bootstrap.servers').length === 0) {
    throw v.error('controller.quorum.voters', 'KRaft mode needs controller.quorum.voters (e.g. 1@localhost:9093) or controller.quorum.bootstrap.servers');
  }
  if (controllerListenerNames.length === 0) throw v.error('controller.listener.names', 'KRaft mode needs controller.listener.names, e.g. CONTROLLER (and CONTROLLER://:9093 in listeners)');
  const names = new Set(listeners.map((l) => l.name));
  const missing = controllerListenerNames.find((n) => !names.has(n));
  if (missing !== undefined) throw v.error('controller.listener.names', `Names ${missing}, which is not in listeners; add ${missing}://:9093 to listeners`);
  if (listeners.every((l) => controllerListenerNames.includes(l.name))) {
    throw v.error('listeners', 'A combined node needs a broker listener besides the controller listener, e.g. listeners=PLAINTEXT://:9092,CONTROLLER://:9093');
  }
}

function resolveInterBrokerListener(v: TypedValues, advertised: Listener[], processRoles: string[]): string {
  if (v.isSet('inter.broker.listener.name') && v.isSet('security.inter.broker.protocol')) {
    throw v.error('inter.broker.listener.name', 'Set either inter.broker.listener.name or security.inter.broker.protocol, not both');
  }
  const key = v.isSet('inter.broker.listener.name') ? 'inter.broker.listener.name' : 'security.inter.broker.protocol';
  const name = (v.stringOrNull('inter.broker.listener.name') ?? v.string('security.inter.broker.protocol')).toUpperCase();
  const controllerOnly = processRoles.length > 0 && !processRoles.includes('broker');
  if (!controllerOnly && !advertised.some((listener) => listener.name === name)) {
    const names = advertised.map((listener) => listener.name).join(', ');
    throw v.error(key, `The inter-broker listener ${name} is not an advertised listener; set inter.broker.listener.name to one of: ${names}`, name);
  }
  return name;
}

function resolveRetentionMs(v: TypedValues): number {
  const ms = v.numberOrNull('log.retention.ms');
  const minutes = v.numberOrNull('log.retention.minutes');
  const [key, retentionMs] =
    ms !== null
      ? ['log.retention.ms', ms]
      : minutes !== null
        ? ['log.retention.minutes', minutes * MINUTE_MS]
        : ['log.retention.hours', v.number('log.retention.hours') * HOUR_MS];
  if (retentionMs === 0) throw v.error(key, 'Retention must be -1 (unlimited) or at least 1 ms');
  return retentionMs < 0 ? -1 : retentionMs;
}

function bracketIpv6(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export interface DescribedConfig {
  name: string;
  /** null when the key has no value or is sensitive. */
  value: string | null;
  source: ConfigSourceName;
  isSensitive: boolean;
  /** False for the keys dynamic broker configs may change (config/dynamic-broker-config.ts). */
  readOnly: boolean;
  type: ConfigTypeName;
  documentation: string;
}

/** Every broker key with its value and source, in table order, for DescribeConfigs on a broker. */
export function describeBrokerConfigs(config: BrokerConfig): DescribedConfig[] {
  return BROKER_CONFIG_KEYS.map((def) => {
    const isSensitive = def.type === 'password' || def.sensitive === true;
    const layers = brokerConfigLayers(config, def.name);
    const top = layers[0];
    return {
      name: def.name,
      value: isSensitive ? null : (top?.value ?? def.default),
      source: top?.source ?? 'DEFAULT_CONFIG',
      isSensitive,
      readOnly: !isDynamicBrokerKey(def.name),
      type: configTypeName(def.type),
      documentation: def.doc,
    };
  });
}

/**
 * Where a broker key's value comes from, strongest first (Kafka's synonyms): a dynamic value of this
 * broker, the cluster-wide dynamic default, the static config; the built-in default is not listed.
 * Values are normalised as the config parsed them.
 */
export function brokerConfigLayers(config: BrokerConfig, name: string): Array<{ value: string; source: ConfigSourceName }> {
  const def = KEYS_BY_NAME.get(name);
  assert.ok(def !== undefined, `config key ${name} is in the table`);
  const normalised = (given: string): string => {
    const parsed = parseAndValidate(def.type, given, def.validator);
    return parsed.ok ? (formatConfigValue(def.type, parsed.value) ?? given) : given;
  };
  const out: Array<{ value: string; source: ConfigSourceName }> = [];
  const broker = config.dynamic.broker[name];
  if (broker !== undefined) out.push({ value: normalised(broker), source: 'DYNAMIC_BROKER_CONFIG' });
  const clusterDefault = config.dynamic.clusterDefault[name];
  if (clusterDefault !== undefined) out.push({ value: normalised(clusterDefault), source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
  const given = config.raw.get(name);
  if (given !== undefined) out.push({ value: normalised(given), source: 'STATIC_BROKER_CONFIG' });
  return out;
}

/** queued.max.request.bytes: -1, or at least socket.request.max.bytes (Kafka's rule: one largest request must fit). */
function queuedMaxRequestBytes(v: TypedValues): number {
  const bytes = v.number('queued.max.request.bytes');
  const requestMax = v.number('socket.request.max.bytes');
  if (bytes > 0 && bytes < requestMax) {
    throw v.error('queued.max.request.bytes', `Must be -1 or 0 (Samsa's default bound) or at least socket.request.max.bytes (${requestMax}), so that one largest request fits; raise it or lower socket.request.max.bytes`);
  }
  return bytes;
}
