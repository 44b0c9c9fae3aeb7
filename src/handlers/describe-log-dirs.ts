/**
 * DescribeLogDirs (v0-4): for each of this broker's log directories (log.dirs, as absolute paths),
 * the partition replicas it holds with their size in bytes, as Kafka's ReplicaManager.describeLogDirs
 * does: leaders and followers alike (in a cluster a broker lists every replica it hosts, so the same
 * partition appears under each of its replicas' brokers). `topics` null means every partition;
 * otherwise only the partitions named (unknown ones are simply absent, and a topic with none left is
 * omitted). offsetLag is Kafka's: max(highWatermark - logEndOffset, 0) (0 on a leader; on a follower
 * how far its log trails the high watermark the leader last told it). isFutureKey is false (no
 * replica movement between directories). A directory holding an offline log (an I/O error took it
 * offline) answers KAFKA_STORAGE_ERROR with no topics, as Kafka does for an offline directory.
 * totalBytes / usableBytes (v4) are -1 (unknown): handlers do not reach the file system. The
 * top-level errorCode (v3+) is 0: there is no authorisation to fail.
 */
import * as path from 'node:path';
import type { PartitionLog } from '../storage/partition-log.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { describeLogDirsApi, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../protocol/messages/describe-log-dirs.js';
import { defineHandler, type RequestContext } from './handler.js';
import { allowedOnCluster, Op } from './authz.js';

type DirResult = DescribeLogDirsResponse['results'][number];

const UNKNOWN_VOLUME_BYTES = -1n;

/** The partitions asked for: every one in the image when `topics` is null. */
function requested(ctx: RequestContext, topics: DescribeLogDirsRequest['topics']): Array<{ topic: string; partition: number }> {
  const out: Array<{ topic: string; partition: number }> = [];
  if (topics === null) {
    for (const t of ctx.image.topics.values()) for (const p of t.partitions) out.push({ topic: t.name, partition: p.partition });
    return out;
  }
  const seen = new Set<string>();
  for (const t of topics) {
    const info = ctx.image.topics.get(t.topic);
    if (!info) continue;
    for (const partition of t.partitions) {
      const key = `${t.topic}\u0000${partition}`;
      if (partition < 0 || partition >= info.partitions.length || seen.has(key)) continue;
      seen.add(key);
      out.push({ topic: t.topic, partition });
    }
  }
  return out;
}

/** The replica's log when this broker hosts the partition (as leader or follower), else null: not listed. */
function hostedLog(ctx: RequestContext, topic: string, partition: number): PartitionLog | null {
  return ctx.broker.replicas.partitionState(topic, partition)?.log ?? null;
}

export const describeLogDirsHandler = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>(describeLogDirsApi, (ctx, req) => {
  // Authorization (Kafka's): Describe on the cluster; without it no dir is listed.
  if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
  const dirs = ctx.broker.config.logDirs.map((d) => path.resolve(d));
  const byDir = new Map<string, Map<string, DirResult['topics'][number]['partitions']>>(dirs.map((d) => [d, new Map()]));
  const offlineDirs = new Set<string>();
  for (const { topic, partition } of requested(ctx, req.topics)) {
    const log = hostedLog(ctx, topic, partition);
    if (!log) continue;
    const dir = path.resolve(path.dirname(log.dir));
    const topics = byDir.get(dir);
    if (!topics) {
      ctx.log.warn({ topic, partition, dir: log.dir }, 'partition log lies outside every configured log dir; not listed');
      continue;
    }
    if (log.offline) offlineDirs.add(dir);
    let partitions = topics.get(topic);
    if (!partitions) {
      partitions = [];
      topics.set(topic, partitions);
    }
    const offsetLag = Math.max(log.highWatermark - log.logEndOffset, 0);
    partitions.push({ partitionIndex: partition, partitionSize: BigInt(log.sizeBytes()), offsetLag: BigInt(offsetLag), isFutureKey: false });
  }
  const results: DirResult[] = dirs.map((logDir) => {
    if (offlineDirs.has(logDir)) {
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir, topics: [], totalBytes: UNKNOWN_VOLUME_BYTES, usableBytes: UNKNOWN_VOLUME_BYTES };
    }
    const topics = [...byDir.get(logDir)!.entries()].map(([name, partitions]) => ({ name, partitions }));
    return { errorCode: ErrorCode.NONE, logDir, topics, totalBytes: UNKNOWN_VOLUME_BYTES, usableBytes: UNKNOWN_VOLUME_BYTES };
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
});
