/**
 * The JSON shapes of the console's `/v1/...` API: written by the server (api.ts, messages.ts,
 * groups.ts, metrics.ts) and read by the browser code (ui/*.ts). Types only, so the browser's
 * compiled modules import nothing from here at run time.
 *
 * Offsets and sizes are plain numbers (safe to 2^53, as in src/client). `null` means "not known":
 * the broker that holds it did not answer, or the cluster does not report it.
 */

export interface LogDirView {
  dir: string;
  sizeBytes: number;
  /** -1 when the broker does not report it. */
  totalBytes: number;
  usableBytes: number;
  error: string | null;
}

export interface BrokerView {
  id: number;
  host: string;
  port: number;
  rack: string | null;
  isController: boolean;
  /** Partitions this broker leads. */
  leaderCount: number;
  /** Partition replicas assigned to this broker. */
  replicaCount: number;
  /** Sum of its replicas' sizes (DescribeLogDirs); null when it did not answer. */
  diskBytes: number | null;
  logDirs: LogDirView[];
  error: string | null;
}

export interface ClusterView {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerView[];
  /** Broker ids named as replicas but missing from the live broker list (down or gone). */
  missingBrokerIds: number[];
  topicCount: number;
  partitionCount: number;
  underReplicatedPartitions: number;
  offlinePartitions: number;
}

export interface TopicSummary {
  name: string;
  internal: boolean;
  partitions: number;
  replicationFactor: number;
  underReplicated: number;
  offline: number;
  /** Sum of the leaders' copies; null when some leader did not answer. */
  sizeBytes: number | null;
  /** Records between log start and end, summed (compacted topics hold fewer). */
  messages: number | null;
}

export interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  underReplicated: boolean;
  earliest: number | null;
  latest: number | null;
  sizeBytes: number | null;
  error: string | null;
}

export interface ConfigView {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  isDefault: boolean;
}

export interface TopicDetail {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: PartitionView[];
  configs: ConfigView[];
  configsError: string | null;
}

export interface HeaderView {
  key: string;
  /** base64; null for a null header value. */
  value: string | null;
}

export interface RecordView {
  partition: number;
  offset: number;
  timestampMs: number;
  timestampType: string;
  /** base64 of the raw bytes (the browser renders them as text, JSON or hex); null = null key/value. */
  key: string | null;
  value: string | null;
  headers: HeaderView[];
}

export interface MessagesPage {
  topic: string;
  partition: number;
  records: RecordView[];
  /** The offset the read started at (after resolving a timestamp or "from end"). */
  startOffset: number;
  /** Where the next page (or the live tail) continues. */
  nextOffset: number;
  earliest: number;
  latest: number;
  /** Records looked at (a search looks at more than it returns). */
  scanned: number;
  /** True when the read stopped at the partition's end. */
  reachedEnd: boolean;
}

export interface ProduceResult {
  partition: number;
  offset: number;
  timestampMs: number;
}

export interface GroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
  coordinator: number;
}

export interface GroupMemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupOffsetView {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  committed: number;
  /** Log end offset (high watermark); null when the leader did not answer. */
  end: number | null;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
}

export interface GroupDetail {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  coordinator: { id: number; host: string; port: number };
  members: GroupMemberView[];
  offsets: GroupOffsetView[];
  totalLag: number | null;
  /** Total lag over time, sampled whenever the group was looked at (oldest first). */
  lagHistory: Array<[number, number]>;
}

export interface SeriesView {
  name: string;
  unit: string;
  /** [time ms, value], oldest first. */
  points: Array<[number, number]>;
}

export interface MetricsOverview {
  /** 'prometheus': read from the broker's /metrics; 'offsets': derived by the console itself. */
  source: 'prometheus' | 'offsets';
  metricsUrl: string | null;
  /** Why the /metrics scrape failed (the page then falls back to offsets). */
  error: string | null;
  throughput: SeriesView[];
  latency: SeriesView[];
}

export interface ApiError {
  error: string;
}
