/**
 * The brokers and topics pages: cluster view, topic list, one topic in detail, and the topic
 * mutations (create, delete, add partitions, edit configs). All of it through Kafka requests
 * (Metadata, DescribeCluster, ListOffsets, DescribeLogDirs, DescribeConfigs, CreateTopics,
 * DeleteTopics, CreatePartitions, IncrementalAlterConfigs), so it works against any Kafka cluster.
 */
import { ConfigSourceName, ResourceType } from '../client/admin.js';
import type { ClusterMetadata, TopicMetadata } from '../client/index.js';
import { tpKey } from '../client/offsets.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { HttpError, leaderSizes, type ConsoleContext } from './context.js';
import type { BrokerView, ClusterView, ConfigView, PartitionView, TopicDetail, TopicSummary } from './types.js';

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const PARTITIONS_MAX = 10_000;
/** Config source of a value set on the topic itself (anything else is inherited). */
const DYNAMIC_TOPIC_CONFIG = 1;

function liveTopics(md: ClusterMetadata): TopicMetadata[] {
  return [...md.topics.values()].filter((t) => t.errorCode === ErrorCode.NONE).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function isUnderReplicated(p: { replicas: number[]; isr: number[] }): boolean {
  return p.isr.length < p.replicas.length;
}

export async function clusterView(ctx: ConsoleContext): Promise<ClusterView> {
  const [cluster, md] = await Promise.all([ctx.admin.describeCluster(), ctx.metadata()]);
  const topics = liveTopics(md);
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  const named = new Set<number>();
  let partitionCount = 0;
  let under = 0;
  let offline = 0;
  for (const t of topics) {
    for (const p of t.partitions) {
      partitionCount++;
      if (isUnderReplicated(p)) under++;
      if (p.leader < 0) offline++;
      else leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      for (const r of p.replicas) {
        replicas.set(r, (replicas.get(r) ?? 0) + 1);
        named.add(r);
      }
    }
  }
  const logDirs = await ctx.logDirsByBroker(cluster.brokers.map((b) => b.nodeId));
  const brokers: BrokerView[] = cluster.brokers.map((b) => {
    const dirs = logDirs.get(b.nodeId);
    const failed = dirs instanceof Error || dirs === undefined;
    const views = failed
      ? []
      : dirs.map((d) => ({
          dir: d.logDir,
          sizeBytes: d.replicas.reduce((s, r) => s + r.sizeBytes, 0),
          totalBytes: d.totalBytes,
          usableBytes: d.usableBytes,
          error: d.error ? d.error.message : null,
        }));
    return {
      id: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      isController: b.nodeId === cluster.controllerId,
      leaderCount: leaders.get(b.nodeId) ?? 0,
      replicaCount: replicas.get(b.nodeId) ?? 0,
      diskBytes: failed ? null : views.reduce((s, d) => s + d.sizeBytes, 0),
      logDirs: views,
      error: dirs instanceof Error ? dirs.message : null,
    };
  });
  const live = new Set(cluster.brokers.map((b) => b.nodeId));
  return {
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    brokers,
    missingBrokerIds: [...named].filter((id) => !live.has(id)).sort((a, b) => a - b),
    topicCount: topics.length,
    partitionCount,
    underReplicatedPartitions: under,
    offlinePartitions: offline,
  };
}

export async function topicList(ctx: ConsoleContext): Promise<TopicSummary[]> {
  const md = await ctx.metadata();
  const topics = liveTopics(md);
  const tps = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
  const leaderOf = (topic: string, partition: number): number => md.topics.get(topic)?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
  const [offsets, logDirs] = await Promise.all([ctx.partitionOffsets(md, tps), ctx.logDirsByBroker([...md.brokers.keys()])]);
  const sizes = leaderSizes(logDirs, leaderOf);
  return topics.map((t) => {
    let sizeBytes: number | null = 0;
    let messages: number | null = 0;
    for (const p of t.partitions) {
      const key = tpKey(t.name, p.partition);
      const size = sizes.get(key);
      sizeBytes = size === undefined || sizeBytes === null ? null : sizeBytes + size;
      const o = offsets.get(key);
      messages = o === null || o === undefined || messages === null ? null : messages + (o.latest - o.earliest);
    }
    return {
      name: t.name,
      internal: t.isInternal,
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      underReplicated: t.partitions.filter(isUnderReplicated).length,
      offline: t.partitions.filter((p) => p.leader < 0).length,
      sizeBytes,
      messages,
    };
  });
}

/** The topic's metadata, or a 404 naming it. */
export async function requireTopic(ctx: ConsoleContext, name: string): Promise<{ md: ClusterMetadata; topic: TopicMetadata }> {
  if (!TOPIC_NAME.test(name)) throw new HttpError(400, `'${name}' is not a valid topic name (letters, digits, '.', '_', '-'; at most 249)`);
  const md = await ctx.client.refreshMetadata([name]);
  const topic = md.topics.get(name);
  if (!topic || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new HttpError(404, `topic '${name}' does not exist`);
  if (topic.errorCode !== ErrorCode.NONE) throw new HttpError(502, `topic '${name}': the cluster answered ${topic.errorCode}`);
  return { md, topic };
}

export async function topicDetail(ctx: ConsoleContext, name: string): Promise<TopicDetail> {
  const { md, topic } = await requireTopic(ctx, name);
  const tps = topic.partitions.map((p) => ({ topic: name, partition: p.partition }));
  const leaderOf = (_t: string, partition: number): number => topic.partitions.find((p) => p.partition === partition)?.leader ?? -1;
  const [offsets, logDirs, configs] = await Promise.all([
    ctx.partitionOffsets(md, tps),
    ctx.logDirsByBroker([...md.brokers.keys()], [name]),
    ctx.admin.describeConfigs([{ type: ResourceType.TOPIC, name }]).then(
      (r) => r[0] ?? null,
      (err: Error) => err,
    ),
  ]);
  const sizes = leaderSizes(logDirs, leaderOf);
  const partitions: PartitionView[] = topic.partitions.map((p) => {
    const o = offsets.get(tpKey(name, p.partition)) ?? null;
    return {
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offline,
      underReplicated: isUnderReplicated(p),
      earliest: o?.earliest ?? null,
      latest: o?.latest ?? null,
      sizeBytes: sizes.get(tpKey(name, p.partition)) ?? null,
      error: p.errorCode === ErrorCode.NONE ? null : `error code ${p.errorCode}`,
    };
  });
  let configViews: ConfigView[] = [];
  let configsError: string | null = null;
  if (configs instanceof Error) configsError = configs.message;
  else if (configs?.error) configsError = configs.error.message;
  else if (configs) {
    configViews = configs.entries
      .map((e) => ({
        name: e.name,
        value: e.sensitive ? null : e.value,
        source: ConfigSourceName[e.source] ?? 'UNKNOWN',
        readOnly: e.readOnly,
        sensitive: e.sensitive,
        isDefault: e.source !== DYNAMIC_TOPIC_CONFIG,
      }))
      // Values set on the topic first, then the inherited ones; by name within each.
      .sort((a, b) => (a.isDefault !== b.isDefault ? (a.isDefault ? 1 : -1) : a.name < b.name ? -1 : 1));
  }
  return { name, topicId: topic.topicId, internal: topic.isInternal, partitions, configs: configViews, configsError };
}

// ---- mutations --------------------------------------------------------------------------------

function optionalInt(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `${what} must be an object of name: value strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw new HttpError(400, `${what}.${k} must be a string`);
    out[k] = String(x);
  }
  return out;
}

function firstError(results: Array<{ error: Error | null }>): void {
  const failed = results.find((r) => r.error !== null);
  if (failed?.error) throw failed.error;
}

export async function createTopic(ctx: ConsoleContext, body: Record<string, unknown>): Promise<{ name: string }> {
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') throw new HttpError(400, `'${name}' is not a valid topic name (letters, digits, '.', '_', '-'; at most 249)`);
  const numPartitions = optionalInt(body, 'partitions', 1, PARTITIONS_MAX);
  const replicationFactor = optionalInt(body, 'replicationFactor', 1, 32_767);
  const configs = stringMap(body.configs, 'configs');
  firstError(await ctx.admin.createTopics([{ name, numPartitions: numPartitions ?? -1, replicationFactor: replicationFactor ?? -1, configs }]));
  return { name };
}

export async function deleteTopic(ctx: ConsoleContext, name: string, body: Record<string, unknown>): Promise<{ name: string }> {
  if (body.confirm !== name) throw new HttpError(400, `to delete topic '${name}', send {"confirm": "${name}"}`);
  await requireTopic(ctx, name);
  firstError(await ctx.admin.deleteTopics([name]));
  return { name };
}

export async function addPartitions(ctx: ConsoleContext, name: string, body: Record<string, unknown>): Promise<{ name: string; partitions: number }> {
  const count = optionalInt(body, 'count', 1, PARTITIONS_MAX);
  if (count === undefined) throw new HttpError(400, 'count (the new total number of partitions) is required');
  const { topic } = await requireTopic(ctx, name);
  if (count <= topic.partitions.length) throw new HttpError(400, `topic '${name}' already has ${topic.partitions.length} partitions; count must be larger (partitions cannot be removed)`);
  firstError(await ctx.admin.createPartitions([{ name, count }]));
  return { name, partitions: count };
}

export async function alterTopicConfigs(ctx: ConsoleContext, name: string, body: Record<string, unknown>): Promise<{ name: string }> {
  const set = stringMap(body.set, 'set');
  const del = body.delete ?? [];
  if (!Array.isArray(del) || del.some((k) => typeof k !== 'string')) throw new HttpError(400, 'delete must be a list of config names');
  const ops = [
    ...Object.entries(set).map(([k, value]) => ({ name: k, op: 'set' as const, value })),
    ...(del as string[]).map((k) => ({ name: k, op: 'delete' as const })),
  ];
  if (ops.length === 0) throw new HttpError(400, 'nothing to change: send {"set": {"name": "value"}} and/or {"delete": ["name"]}');
  await requireTopic(ctx, name);
  firstError(await ctx.admin.incrementalAlterConfigs([{ type: ResourceType.TOPIC, name, ops }]));
  return { name };
}
