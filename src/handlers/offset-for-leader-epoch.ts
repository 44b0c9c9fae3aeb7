/**
 * OffsetForLeaderEpoch (key 23): for each partition, the end offset of the requested leader epoch
 * on this leader's log — the largest epoch <= the requested one that the log knows, and the offset
 * where it ended (the start of the next epoch, or the log end offset for the current epoch); epoch
 * -1 / offset -1 when the log knows no such epoch. Followers (replicaId >= 0, v3+) use it after a
 * leader change to find and truncate a divergent tail; consumers (KIP-320) to detect truncation.
 * Only the leader answers (NOT_LEADER_OR_FOLLOWER otherwise); currentLeaderEpoch (v2+) is checked
 * (FENCED_LEADER_EPOCH when older than ours, UNKNOWN_LEADER_EPOCH when newer).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  offsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../protocol/messages/offset-for-leader-epoch.js';
import { codeForPartitionFailure } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { allowedOnCluster, deniedNames, Op, Res } from './authz.js';

type PartitionAnswer = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

function answer(ctx: RequestContext, topic: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number): PartitionAnswer {
  try {
    const r = ctx.broker.replicas.endOffsetForEpoch(topic, partition, ctx.apiVersion >= 2 ? currentLeaderEpoch : -1, leaderEpoch);
    return { errorCode: ErrorCode.NONE, partition, leaderEpoch: r.leaderEpoch, endOffset: BigInt(r.endOffset) };
  } catch (err) {
    return { errorCode: codeForPartitionFailure(err), partition, leaderEpoch: -1, endOffset: -1n };
  }
}

export const offsetForLeaderEpochHandler = defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
  offsetForLeaderEpochApi,
  (ctx, req) => {
    // Authorization (Kafka's): a follower (replicaId >= 0) needs ClusterAction on the cluster, a
    // consumer Describe on each topic; refused partitions answer TOPIC_AUTHORIZATION_FAILED.
    const follower = ctx.apiVersion >= 3 && req.replicaId >= 0;
    const clusterOk = !follower || allowedOnCluster(ctx, Op.CLUSTER_ACTION);
    const denied = follower ? new Set<string>() : deniedNames(ctx, Op.DESCRIBE, Res.TOPIC, req.topics.map((t) => t.topic));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) =>
          !clusterOk || denied.has(t.topic)
            ? { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n }
            : answer(ctx, t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch),
        ),
      })),
    };
  },
);
