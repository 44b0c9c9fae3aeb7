/**
 * The /metrics scrape: every family Samsa exposes, written from BrokerMetrics' counters and from
 * the broker's state read now. docs/METRICS.md lists each family with its type, labels, meaning
 * and Kafka JMX equivalent; keep the two in step (test/metrics/metrics-docs.test.ts checks it).
 *
 * Series bound: families labelled by request name grow with the APIs clients actually use (about
 * 80 series per API: 6 time histograms of 13 series each); per-topic families with the topics
 * that saw traffic; per-group families with the groups coordinated here; per-partition log
 * families only with `samsa.metrics.partition.log.enable=true`. An idle broker exposes the
 * broker-wide families only.
 */
import type { MetadataImage } from '../cluster/metadata-image.js';
import type { GroupMetricsView } from '../coordinator/group/group-coordinator.js';
import { inlineWriteGuard, type DiskWriteStats } from '../io/disk.js';
import type { WriteBehindStats } from '../storage/write-behind.js';
import type { ProcessStats } from '../io/process-stats.js';
import { gcPauseBucketsSeconds } from '../io/process-stats.js';
import type { Partition } from '../replication/partition.js';
import { errorName } from '../protocol/error-codes.js';
import { CONTROLLER_EVENTS, type BrokerMetrics, type TopicMetrics } from './broker-metrics.js';
import { ExpositionWriter, type ExpositionFormat, type Labels } from './exposition.js';
import type { RequestTypeMetrics } from './request-metrics.js';
import { ZK_SESSION_STATES } from './zk-metrics.js';

export interface ConnectionStats {
  listener: string;
  open: number;
  created: number;
  closed: number;
}

/** What a scrape reads, wired by broker.ts. */
export interface MetricsSources {
  readonly brokerId: number;
  readonly metrics: BrokerMetrics;
  image(): MetadataImage;
  /** Replicas hosted here. */
  partitions(): Iterable<Partition>;
  minInsyncReplicas(topic: string): number;
  isrShrinks(): number;
  isrExpands(): number;
  replicationBytesIn(): number;
  producePurgatorySize(): number;
  fetchPurgatorySize(): number;
  isActiveController(): boolean;
  connections(): ConnectionStats[];
  /** The receive pool (queued.max.request.bytes): request bytes held now and the bound. */
  receivePool(): { usedBytes: number; bytesMax: number };
  groups(): GroupMetricsView | null;
  readonly process: ProcessStats | null;
  /** samsa.metrics.partition.log.enable */
  partitionLogMetrics(): boolean;
  /** Log dirs configured, and those failed. */
  logDirs(): { total: number; offline: number };
  /** The tail cache (samsa.log.tail.cache.bytes): bytes held, and reads answered from it or not. */
  tailCache(): { bytes: number; hits: number; misses: number };
  /** Log file writes by where they ran (io/node/disk.ts), when the disk tells. */
  diskWrites(): DiskWriteStats | null;
  /** Background fsyncs of active segments (samsa.log.write.behind.bytes). */
  writeBehind(): WriteBehindStats;
  /** Fetch sessions (KIP-227) held, and the partitions they cache. */
  fetchSessions(): { sessions: number; partitions: number };
}

const one = (v: number): Array<readonly [Labels | null, number]> => [[null, v]];

export function collectMetrics(src: MetricsSources, format: ExpositionFormat): ExpositionWriter {
  const w = new ExpositionWriter(format);
  const m = src.metrics;
  const image = src.image();
  writeRequestMetrics(w, m.requests.slots);
  writeTopicMetrics(w, m, image, src.replicationBytesIn());
  writeReplicaMetrics(w, src);
  writeControllerMetrics(w, src, image);
  writeGroupMetrics(w, src);
  writeNetworkMetrics(w, src);
  if (src.process) writeProcessMetrics(w, src.process);
  w.gauge('kafka_server_kafkaserver_brokerstate', 'Broker state as Kafka numbers it: 0 not running, 1 starting, 2 recovering logs, 3 running, 6 pending controlled shutdown, 7 shutting down.', one(m.state));
  w.gauge('kafka_log_logmanager_offlinelogdirectorycount', 'Log directories that failed (I/O error); the broker stops when all have.', one(src.logDirs().offline));
  const tail = src.tailCache();
  w.gauge('samsa_log_tail_cache_bytes', 'Memory held by copies of the latest appends (samsa.log.tail.cache.bytes), chunk buffers kept for reuse included.', one(tail.bytes));
  w.counter('samsa_log_tail_cache_hits', 'Log reads answered from the tail cache.', one(tail.hits));
  const writes = src.diskWrites();
  if (writes !== null) {
    const g = inlineWriteGuard;
    w.counter('samsa_log_writes', 'File writes by where they ran: inline on the event loop (samsa.log.inline.write.bytes.max) or in the thread pool.', [
      [[['path', 'inline']], writes.inline],
      [[['path', 'pool']], writes.pooled],
    ]);
    w.counter('samsa_log_slow_inline_writes', `Inline writes slower than ${g.stallMs} ms (${g.stallsMax} within ${g.stallWindowMs / 1000} s and among ${g.stallRunWrites} consecutive writes, or one over ${g.stallAloneMs} ms, send writes to the thread pool for ${g.backoffMsMin / 1000}-${g.backoffMsMax / 1000} s).`, one(writes.slow));
    w.counter('samsa_log_costly_inline_writes', `Times inline writes took over ${g.shareMax * 100}% of the event loop in ${g.shareWindowMs / 1000} s (at over ${g.costlyWriteMsMin * 1000} µs each on average) and writes moved to the thread pool for ${g.backoffMsMin / 1000}-${g.backoffMsMax / 1000} s.`, one(writes.costly));
  }
  const wb = src.writeBehind();
  w.counter('samsa_log_write_behind_syncs', 'Background fsyncs of an active segment started because samsa.log.write.behind.bytes of it were unsynced.', one(wb.syncs));
  w.gauge('samsa_log_write_behind_queued', 'Partitions waiting for their write-behind fsync (one runs at a time).', one(wb.queued));
  const sessions = src.fetchSessions();
  w.gauge('kafka_server_fetchsessioncache_numincrementalfetchsessions', 'Fetch sessions (KIP-227) held (max.incremental.fetch.session.cache.slots).', one(sessions.sessions));
  w.gauge('kafka_server_fetchsessioncache_numincrementalfetchpartitionscached', 'Partitions held by all fetch sessions.', one(sessions.partitions));
  w.counter('samsa_log_tail_cache_misses', 'Log reads (with the tail cache on) that went to the segment files.', one(tail.misses));
  w.counter('samsa_request_log_slow', 'Requests logged as slow (samsa.slow.request.threshold.ms).', one(m.requests.slowRequestsLogged));
  w.counter('samsa_request_log_sampled', 'Requests logged by sampling (samsa.request.log.sample.rate).', one(m.requests.sampledRequestsLogged));
  return w;
}

function writeRequestMetrics(w: ExpositionWriter, slots: ReadonlyArray<RequestTypeMetrics | undefined>): void {
  const used = slots.filter((s): s is RequestTypeMetrics => s !== undefined);
  const req = (r: RequestTypeMetrics): Labels => [['request', r.name]];
  w.counter(
    'kafka_network_requestmetrics_requests',
    'Requests answered (or, for acks=0 produces, handled), by request name and version.',
    used.flatMap((r) => r.requestsByVersion.flatMap((c, v) => (c ? [[[['request', r.name], ['version', String(v)]], c.value] as const] : []))),
  );
  w.counter('kafka_network_requestmetrics_request_bytes', 'Bytes of request frames (size prefix excluded), by request name.', used.map((r) => [req(r), r.requestBytes.value] as const));
  w.counter('kafka_network_requestmetrics_response_bytes', 'Bytes of response frames (size prefix included), by request name.', used.map((r) => [req(r), r.responseBytes.value] as const));
  w.counter(
    'kafka_network_requestmetrics_errors',
    'errorCode fields in responses (top level, per topic, per partition), by request name and error, NONE included.',
    used.flatMap((r) => [...r.errors].sort((a, b) => a[0] - b[0]).map(([code, c]) => [[['request', r.name], ['error', errorName(code)]], c.value] as const)),
  );
  const phases: Array<[string, (r: RequestTypeMetrics) => RequestTypeMetrics['totalTime'], string]> = [
    ['requestqueuetime', (r) => r.requestQueueTime, 'from the whole request read to the handler starting (decode included)'],
    ['localtime', (r) => r.localTime, 'in the handler, purgatory waits excluded'],
    ['remotetime', (r) => r.remoteTime, 'waiting in a purgatory: acks=all replication, fetch min bytes, a parked JoinGroup/SyncGroup'],
    ['responsequeuetime', (r) => r.responseQueueTime, 'from the handler answering to the response being written: encoding and in-order hold behind earlier responses'],
    ['responsesendtime', (r) => r.responseSendTime, 'writing the response until the socket took it'],
    ['totaltime', (r) => r.totalTime, 'from the request read to its response sent'],
  ];
  for (const [name, pick, what] of phases) {
    w.histogram(`kafka_network_requestmetrics_${name}_seconds`, `Request time ${what}, by request name.`, used.map((r) => [req(r), pick(r)] as const));
  }
}

function writeTopicMetrics(w: ExpositionWriter, m: BrokerMetrics, image: MetadataImage, replicationBytesIn: number): void {
  for (const name of [...m.topics.keys()]) if (!image.topics.has(name)) m.topics.delete(name);
  const topics = [...m.topics].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const fams: Array<[string, (t: TopicMetrics) => number, string]> = [
    ['bytesin', (t) => t.bytesIn.value, 'Record bytes appended by producers (replication excluded).'],
    ['bytesout', (t) => t.bytesOut.value, 'Record bytes sent to consumers (replication excluded).'],
    ['messagesin', (t) => t.messagesIn.value, 'Records appended by producers.'],
    ['totalproducerequests', (t) => t.totalProduceRequests.value, 'Produce requests, counted per partition.'],
    ['failedproducerequests', (t) => t.failedProduceRequests.value, 'Produce requests that failed, counted per partition.'],
    ['totalfetchrequests', (t) => t.totalFetchRequests.value, 'Consumer fetch requests, counted per partition.'],
    ['failedfetchrequests', (t) => t.failedFetchRequests.value, 'Consumer fetch requests that failed, counted per partition.'],
  ];
  for (const [name, pick, help] of fams) {
    w.counter(`kafka_server_brokertopicmetrics_${name}`, `${help} Without a topic label: all topics.`, [
      [null, pick(m.allTopics)] as const,
      ...topics.map(([topic, t]) => [[['topic', topic]] as Labels, pick(t)] as const),
    ]);
  }
  w.counter('kafka_server_brokertopicmetrics_replicationbytesin', 'Record bytes this broker appended as a follower.', one(replicationBytesIn));
  w.counter('kafka_server_brokertopicmetrics_replicationbytesout', 'Record bytes this broker sent to followers.', one(m.replicationBytesOut.value));
}

function writeReplicaMetrics(w: ExpositionWriter, src: MetricsSources): void {
  let partitions = 0;
  let leaders = 0;
  let underReplicated = 0;
  let underMinIsr = 0;
  let atMinIsr = 0;
  let offlineReplicas = 0;
  const logSeries: Array<{ labels: Labels; size: number; segments: number; start: number; end: number }> = [];
  const perPartition = src.partitionLogMetrics();
  for (const p of src.partitions()) {
    partitions++;
    if (p.log.offline) offlineReplicas++;
    if (p.isLeader) {
      leaders++;
      const minIsr = src.minInsyncReplicas(p.topic);
      if (p.isr.length < p.replicas.length) underReplicated++;
      if (p.isr.length < minIsr) underMinIsr++;
      else if (p.isr.length === minIsr) atMinIsr++;
    }
    if (perPartition && !p.log.offline) {
      logSeries.push({ labels: [['topic', p.topic], ['partition', String(p.partition)]], size: p.log.sizeBytes(), segments: p.log.segmentCount, start: p.log.logStartOffset, end: p.log.logEndOffset });
    }
  }
  w.gauge('kafka_server_replicamanager_partitioncount', 'Partition replicas hosted on this broker.', one(partitions));
  w.gauge('kafka_server_replicamanager_leadercount', 'Partitions this broker leads.', one(leaders));
  w.gauge('kafka_server_replicamanager_underreplicatedpartitions', 'Partitions led here whose ISR is smaller than their replica set.', one(underReplicated));
  w.gauge('kafka_server_replicamanager_underminisrpartitioncount', 'Partitions led here whose ISR is smaller than min.insync.replicas (acks=all produces fail).', one(underMinIsr));
  w.gauge('kafka_server_replicamanager_atminisrpartitioncount', 'Partitions led here whose ISR is exactly min.insync.replicas.', one(atMinIsr));
  w.gauge('kafka_server_replicamanager_offlinereplicacount', 'Replicas hosted here whose log is offline (failed log dir).', one(offlineReplicas));
  w.counter('kafka_server_replicamanager_isrshrinks', 'ISR shrinks of partitions led here (a follower fell behind replica.lag.time.max.ms), as confirmed by the controller.', one(src.isrShrinks()));
  w.counter('kafka_server_replicamanager_isrexpands', 'ISR expansions of partitions led here (a follower caught up), as confirmed by the controller.', one(src.isrExpands()));
  w.gauge('kafka_server_delayedoperationpurgatory_purgatorysize', 'Requests waiting in a purgatory: Produce (acks=all) and Fetch (min bytes, consumers and followers).', [
    [[['delayedoperation', 'Produce']], src.producePurgatorySize()],
    [[['delayedoperation', 'Fetch']], src.fetchPurgatorySize()],
  ]);
  if (perPartition) {
    w.gauge('kafka_log_log_size', 'Bytes of the partition log on disk (every segment).', logSeries.map((s) => [s.labels, s.size] as const));
    w.gauge('kafka_log_log_numlogsegments', 'Segments of the partition log.', logSeries.map((s) => [s.labels, s.segments] as const));
    w.gauge('kafka_log_log_logstartoffset', 'First offset of the partition log.', logSeries.map((s) => [s.labels, s.start] as const));
    w.gauge('kafka_log_log_logendoffset', 'Offset the next record appended to the partition log gets.', logSeries.map((s) => [s.labels, s.end] as const));
  }
}

function writeControllerMetrics(w: ExpositionWriter, src: MetricsSources, image: MetadataImage): void {
  const active = src.isActiveController();
  let offline = 0;
  let partitions = 0;
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      partitions++;
      if (p.leader < 0) offline++;
    }
  }
  w.gauge('kafka_controller_kafkacontroller_activecontrollercount', '1 on the active controller, 0 elsewhere; the sum over a cluster should be 1.', one(active ? 1 : 0));
  // Kafka reports the cluster-wide counts on the active controller only; other brokers report 0.
  w.gauge('kafka_controller_kafkacontroller_offlinepartitionscount', 'Partitions without a leader (active controller only; 0 elsewhere).', one(active ? offline : 0));
  w.gauge('kafka_controller_kafkacontroller_globalpartitioncount', 'Partitions in the cluster (active controller only; 0 elsewhere).', one(active ? partitions : 0));
  w.gauge('kafka_controller_kafkacontroller_globaltopiccount', 'Topics in the cluster (active controller only; 0 elsewhere).', one(active ? image.topics.size : 0));
  w.counter(
    'kafka_controller_controllerstats_events',
    'Controller events of this broker (ZooKeeper mode): ControllerChange (became the active controller), ControllerResign (stopped being it), Reconcile (a pass of the active controller over the cluster state).',
    CONTROLLER_EVENTS.map((e) => [[['event', e]], src.metrics.controllerEvents.get(e)!.value] as const),
  );
  const zk = src.metrics.zk;
  if (zk !== null) {
    w.gauge('kafka_server_sessionexpirelistener_sessionstate', 'ZooKeeper session state: 1 for the current state, 0 for the others.', ZK_SESSION_STATES.map((s) => [[['state', s]], zk.sessionState === s ? 1 : 0] as const));
    w.counter('kafka_server_sessionexpirelistener_zookeeperdisconnects', 'ZooKeeper disconnections of this broker.', one(zk.disconnects));
    w.counter('kafka_server_sessionexpirelistener_zookeeperexpires', 'ZooKeeper session expirations of this broker.', one(zk.expires));
    w.counter('kafka_server_sessionexpirelistener_zookeepersyncconnects', 'Reconnections of the ZooKeeper session after a disconnect.', one(zk.syncConnects));
    w.histogram('kafka_server_zookeeperclientmetrics_zookeeperrequestlatency_seconds', 'Latency of ZooKeeper requests made by this broker.', [[null, zk.requestLatency]]);
  }
}

function writeGroupMetrics(w: ExpositionWriter, src: MetricsSources): void {
  const view = src.groups();
  if (view === null) return;
  const byState = new Map<string, number>(['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'].map((s) => [s, 0]));
  let offsets = 0;
  const members: Array<readonly [Labels, number]> = [];
  const lag: Array<readonly [Labels, number]> = [];
  const hw = new Map<string, number>();
  for (const p of src.partitions()) hw.set(`${p.topic}\u0000${p.partition}`, p.log.highWatermark);
  for (const g of view.groups) {
    byState.set(g.state, (byState.get(g.state) ?? 0) + 1);
    members.push([[['group', g.groupId]], g.members]);
    for (const [topic, parts] of g.offsets) {
      let sum = 0;
      let known = 0;
      for (const [partition, committed] of parts) {
        offsets++;
        const end = hw.get(`${topic}\u0000${partition}`);
        if (end === undefined) continue; // not hosted here: unknown (docs/METRICS.md)
        known++;
        sum += Math.max(0, end - committed.offset);
      }
      if (known > 0) lag.push([[['consumergroup', g.groupId], ['topic', topic]], sum]);
    }
  }
  w.gauge('kafka_coordinator_group_groupmetadatamanager_numgroups', 'Consumer groups coordinated by this broker, by state.', [...byState].map(([s, n]) => [[['state', s]], n] as const));
  w.gauge('kafka_coordinator_group_groupmetadatamanager_numoffsets', 'Committed offsets held by this broker as group coordinator.', one(offsets));
  w.gauge('samsa_group_members', 'Members of each consumer group coordinated here.', members);
  w.counter('kafka_server_group_coordinator_metrics_group_completed_rebalance', 'Rebalances (join phases that produced a new generation) completed by groups coordinated here.', one(view.completedRebalances));
  w.gauge('kafka_consumergroup_lag_sum', 'Per group and topic: sum over partitions of high watermark minus committed offset, for partitions with a replica on this broker.', lag);
}

function writeNetworkMetrics(w: ExpositionWriter, src: MetricsSources): void {
  const conns = src.connections();
  const l = (c: { listener: string }): Labels => [['listener', c.listener]];
  w.gauge('kafka_server_socketservermetrics_connection_count', 'Open client connections, by listener.', conns.map((c) => [l(c), c.open] as const));
  w.counter('kafka_server_socketservermetrics_connection_creation', 'Client connections accepted, by listener.', conns.map((c) => [l(c), c.created] as const));
  w.counter('kafka_server_socketservermetrics_connection_close', 'Client connections closed, by listener.', conns.map((c) => [l(c), c.closed] as const));
  const pool = src.receivePool();
  w.gauge('kafka_network_socketserver_memorypoolused', 'Bytes of received request frames not yet dispatched, over all connections (queued.max.request.bytes).', one(pool.usedBytes));
  w.gauge('kafka_network_socketserver_memorypoolavailable', 'Bytes the receive pool can still take before connections stop being read (may be negative by one read per connection).', one(pool.bytesMax - pool.usedBytes));
}

function writeProcessMetrics(w: ExpositionWriter, stats: ProcessStats): void {
  const s = stats.sample();
  w.counter('process_cpu_seconds', 'User and system CPU time of the broker process.', one(s.cpuUserSeconds + s.cpuSystemSeconds));
  w.gauge('process_resident_memory_bytes', 'Resident set size.', one(s.residentMemoryBytes));
  w.gauge('process_start_time_seconds', 'Start time of the process, seconds since the epoch.', one(s.startTimeSeconds));
  if (s.openFds !== null) w.gauge('process_open_fds', 'Open file descriptors.', one(s.openFds));
  if (s.maxFds !== null) w.gauge('process_max_fds', 'File descriptor limit.', one(s.maxFds));
  w.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use.', one(s.heapUsedBytes));
  w.gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved.', one(s.heapTotalBytes));
  w.gauge('nodejs_external_memory_bytes', 'Memory of Buffers and other objects outside the V8 heap.', one(s.externalMemoryBytes));
  w.gauge('nodejs_eventloop_lag_seconds', 'Event-loop delay since the previous scrape (10 ms resolution), as its median (p50), 99th percentile (p99) and largest value (max).', [
    [[['stat', 'p50']], s.eventLoopLagP50Seconds],
    [[['stat', 'p99']], s.eventLoopLagP99Seconds],
    [[['stat', 'max']], s.eventLoopLagMaxSeconds],
  ]);
  w.gauge('nodejs_eventloop_utilization_ratio', 'Share of time the event loop was busy since the previous scrape (0..1).', one(s.eventLoopUtilization));
  w.counter('nodejs_eventloop_active_seconds', 'Time the event loop spent running callbacks since the process started.', one(s.eventLoopActiveSeconds));
  w.counter('nodejs_eventloop_idle_seconds', 'Time the event loop spent waiting for events since the process started.', one(s.eventLoopIdleSeconds));
  w.histogram(
    'nodejs_gc_duration_seconds',
    'Garbage-collection pauses, by kind (minor, major, incremental, weakcb).',
    s.gc.map((g) => [[['kind', g.kind]], { bounds: gcPauseBucketsSeconds, counts: g.bucketCounts, sum: g.pauseSecondsSum, count: g.count }] as const),
  );
}
