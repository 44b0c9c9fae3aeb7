/**
 * Kafka's ZooKeeper layout: the node paths, the JSON documents stored in them (Kafka's formats, so
 * Kafka's ZooKeeper-reading tools understand a Samsa cluster and the other way round), and the
 * conversions between those documents and the broker's own types.
 *
 * Shared by the ZooKeeper-mode controller (zk-controller.ts and the rest of src/cluster/zk/) and by
 * the `--zookeeper` tools (src/cli/kafka-reassign-partitions.ts, src/client/zookeeper.ts). Pure data
 * and functions, no state and no lifecycle; it imports nothing at run time beyond node:crypto, so
 * the client library can use it without pulling in the controller.
 */
import { createHash } from 'node:crypto';
import type { BrokerEndpoint, BrokerInfo } from '../metadata-image.js';
import type { LogEnd, PartitionState } from '../leader-election.js';
export type { LogEnd } from '../leader-election.js';

/** Attempts at a read-modify-write of a shared node (configs, the reassignment request) before giving up. */
export const CONFIG_WRITE_ATTEMPTS_MAX = 10;

export const paths = {
  clusterId: '/cluster/id',
  brokerIds: '/brokers/ids',
  broker: (id: number) => `/brokers/ids/${id}`,
  topics: '/brokers/topics',
  topic: (t: string) => `/brokers/topics/${t}`,
  partitions: (t: string) => `/brokers/topics/${t}/partitions`,
  partition: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}`,
  state: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  seqid: '/brokers/seqid',
  configTopics: '/config/topics',
  configTopic: (t: string) => `/config/topics/${t}`,
  configChanges: '/config/changes',
  configBrokers: '/config/brokers',
  configUsers: '/config/users',
  /** User configs (SCRAM credentials, quotas), the name sanitized as Kafka does (URL-encoded). */
  configUser: (user: string) => `/config/users/${sanitizeEntityName(user)}`,
  /** Dynamic broker configs: '' is the cluster-wide default, Kafka's `<default>` node. */
  configBroker: (entity: string) => `/config/brokers/${entity === '' ? '<default>' : entity}`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  deleteTopics: '/admin/delete_topics',
  deleteTopic: (t: string) => `/admin/delete_topics/${t}`,
  preferredElection: '/admin/preferred_replica_election',
  reassignPartitions: '/admin/reassign_partitions',
  isrChanges: '/isr_change_notification',
  controlledShutdown: '/samsa/controlled_shutdown',
  controlledShutdownOf: (id: number) => `/samsa/controlled_shutdown/${id}`,
  /** Samsa's own: what each broker's replicas held when it last registered (logEndsDoc). */
  replicaLogEnds: '/samsa/replica_log_ends',
  replicaLogEndsOf: (id: number) => `/samsa/replica_log_ends/${id}`,
} as const;

/**
 * Kafka's Sanitizer: the name URL-encoded (UTF-8) with only letters, digits, '.', '-', '_' and '~'
 * left as they are, so any user name is one ZooKeeper path segment.
 */
export function sanitizeEntityName(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function desanitizeEntityName(segment: string): string {
  return decodeURIComponent(segment);
}

/** The persistent nodes every broker makes sure exist before reading the cluster state. */
export const PERSISTENT_PATHS = [
  paths.brokerIds,
  paths.topics,
  paths.seqid,
  paths.configTopics,
  paths.configChanges,
  paths.configBrokers,
  paths.deleteTopics,
  paths.isrChanges,
  paths.controlledShutdown,
  paths.replicaLogEnds,
  '/cluster',
  '/admin',
];

/** JSON documents, in Kafka's formats. */
export interface BrokerRegistration {
  version: 5;
  host: string;
  port: number;
  endpoints: string[];
  listener_security_protocol_map: Record<string, string>;
  jmx_port: number;
  features: Record<string, unknown>;
  timestamp: string;
  rack?: string;
}
export interface TopicAssignmentDoc {
  version: 3;
  partitions: Record<string, number[]>;
  topic_id: string;
  adding_replicas: Record<string, number[]>;
  removing_replicas: Record<string, number[]>;
}
export interface PartitionStateDoc {
  controller_epoch: number;
  leader: number;
  version: 1;
  leader_epoch: number;
  isr: number[];
  /**
   * Samsa's additions (Kafka's ZooKeeper brokers ignore unknown fields): the registration epochs
   * (czxid of /brokers/ids/<id>) of the leader and of each ISR member when they were recorded in
   * sync, so a restarted broker is recognised (leader-election.ts, "Broker epochs").
   */
  leader_broker_epoch?: string;
  isr_broker_epochs?: Array<string | null>;
}
/** /config/topics/<t> and /config/brokers/<entity>. */
export interface ConfigDoc {
  version?: 1;
  config?: Record<string, string>;
}
/** One partition of /admin/reassign_partitions (and of kafka-reassign-partitions' JSON files). */
export interface ReassignTarget {
  topic: string;
  partition: number;
  replicas: number[];
}

/** An assignment document in the current format (version 3, with topic_id). */
export function assignmentDoc(replicas: readonly number[][], topicId: string, adding: Record<string, number[]>, removing: Record<string, number[]>): TopicAssignmentDoc {
  return {
    version: 3,
    partitions: Object.fromEntries(replicas.map((r, p) => [String(p), r])),
    topic_id: uuidToKafkaId(topicId),
    adding_replicas: adding,
    removing_replicas: removing,
  };
}

/** A partition state document written under controller epoch `controllerEpoch`. */
export function stateDoc(controllerEpoch: number, s: PartitionState): PartitionStateDoc {
  const doc: PartitionStateDoc = { controller_epoch: controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: s.isr };
  if (s.leaderBrokerEpoch !== undefined) doc.leader_broker_epoch = s.leaderBrokerEpoch;
  if (s.isrBrokerEpochs !== undefined && s.isrBrokerEpochs.length === s.isr.length) doc.isr_broker_epochs = s.isrBrokerEpochs;
  return doc;
}

/** The PartitionState of a state document (epochs only when recorded consistently). */
export function stateOf(doc: PartitionStateDoc): PartitionState {
  const s: PartitionState = { leader: doc.leader, leaderEpoch: doc.leader_epoch, isr: doc.isr };
  if (typeof doc.leader_broker_epoch === 'string') s.leaderBrokerEpoch = doc.leader_broker_epoch;
  if (Array.isArray(doc.isr_broker_epochs) && doc.isr_broker_epochs.length === doc.isr.length) s.isrBrokerEpochs = doc.isr_broker_epochs;
  return s;
}

/** Topics without a topic_id in ZooKeeper (written by older tools) get one derived from the name until the controller adds a real one. */
export function nameDerivedId(topic: string): string {
  const hex = createHash('sha256').update(`samsa-topic-id:${topic}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Kafka stores topic ids as base64url of the 16 UUID bytes; the image uses the RFC 4122 text form. */
export function uuidToKafkaId(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}
export function kafkaIdToUuid(id: string): string {
  const hex = Buffer.from(id, 'base64url').toString('hex').padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function registrationOf(broker: BrokerInfo, nowMs: number, endpoints?: Array<{ name: string; host: string; port: number; protocol: string }>): BrokerRegistration {
  const eps = endpoints ?? [{ name: 'PLAINTEXT', host: broker.host, port: broker.port, protocol: 'PLAINTEXT' }];
  const reg: BrokerRegistration = {
    version: 5,
    host: broker.host,
    port: broker.port,
    endpoints: eps.map((e) => `${e.name}://${e.host}:${e.port}`),
    listener_security_protocol_map: Object.fromEntries(eps.map((e) => [e.name, e.protocol])),
    jmx_port: -1,
    features: {},
    timestamp: String(nowMs),
  };
  if (broker.rack !== null) reg.rack = broker.rack;
  return reg;
}

/** Splits one registration endpoint (`LISTENER://host:port`, IPv6 hosts in brackets); null when it is not one. */
export function parseEndpoint(ep: string): { listener: string; host: string; port: number } | null {
  const m = /^([^:]+):\/\/\[?([^\]]*?)\]?:(\d+)$/.exec(ep);
  return m ? { listener: m[1]!, host: m[2]!, port: Number(m[3]) } : null;
}

/**
 * The broker a registration describes: every endpoint by listener (names upper case), the first as
 * host/port, else the legacy host/port.
 */
export function brokerOf(id: number, reg: BrokerRegistration): BrokerInfo {
  const endpoints: BrokerEndpoint[] = [];
  for (const text of reg.endpoints ?? []) {
    const e = parseEndpoint(text);
    if (e) endpoints.push(Object.freeze({ listener: e.listener.toUpperCase(), host: e.host, port: e.port }));
  }
  const first = endpoints[0];
  const host = first?.host ?? reg.host;
  const port = first?.port ?? reg.port;
  return Object.freeze({ id, host, port, rack: reg.rack ?? null, ...(endpoints.length > 0 ? { endpoints: Object.freeze(endpoints) } : {}) });
}

/** Parses Kafka's reassignment JSON ({"version":1,"partitions":[{"topic","partition","replicas"}]}); throws on a malformed document. */
export function parseReassignment(text: string): ReassignTarget[] {
  const doc = JSON.parse(text) as { partitions?: unknown };
  if (!doc || !Array.isArray(doc.partitions)) throw new Error('expected {"version":1,"partitions":[...]}');
  return doc.partitions.map((x: unknown) => {
    const e = x as { topic?: unknown; partition?: unknown; replicas?: unknown };
    if (typeof e.topic !== 'string' || !Number.isInteger(e.partition) || !Array.isArray(e.replicas) || e.replicas.length === 0 || !e.replicas.every((r) => Number.isInteger(r))) {
      throw new Error(`malformed partition entry ${JSON.stringify(x)}`);
    }
    const replicas = e.replicas as number[];
    if (new Set(replicas).size !== replicas.length) throw new Error(`duplicate replicas in ${JSON.stringify(x)}`);
    return { topic: e.topic, partition: e.partition as number, replicas: [...replicas] };
  });
}

/**
 * `/samsa/replica_log_ends/<id>` (Samsa's own node; Kafka's tools ignore it), written by a broker
 * right before it registers: {"version":1,"partitions":{"<topic>":{"<partition>":[lastEpoch,logEnd]}}}.
 * The controller reads it when every in-sync replica of a partition restarted (leader-election.ts).
 */
export interface LogEndsDoc {
  version: 1;
  partitions: Record<string, Record<string, [number, number]>>;
}

/** One replica's LogEnd, named. */
export type ReplicaLogEnd = { topic: string; partition: number } & LogEnd;

export function logEndsDoc(ends: Iterable<ReplicaLogEnd>): LogEndsDoc {
  const partitions: LogEndsDoc['partitions'] = {};
  for (const e of ends) (partitions[e.topic] ??= {})[String(e.partition)] = [e.lastEpoch, e.logEndOffset];
  return { version: 1, partitions };
}

/** "topic/partition" → LogEnd; entries that are not [int, int] are skipped. */
export function parseLogEnds(doc: unknown): Map<string, LogEnd> {
  const out = new Map<string, LogEnd>();
  const partitions = (doc as Partial<LogEndsDoc> | null)?.partitions;
  if (partitions === null || typeof partitions !== 'object') return out;
  for (const [topic, byPartition] of Object.entries(partitions)) {
    if (byPartition === null || typeof byPartition !== 'object') continue;
    for (const [partition, end] of Object.entries(byPartition)) {
      if (!Array.isArray(end) || !Number.isSafeInteger(end[0]) || !Number.isSafeInteger(end[1])) continue;
      out.set(`${topic}/${partition}`, { lastEpoch: end[0], logEndOffset: end[1] });
    }
  }
  return out;
}
