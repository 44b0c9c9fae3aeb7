/**
 * ListPartitionReassignments (v0, KIP-455): the partitions being reassigned, with their current
 * replicas and the replicas joining and leaving (kafka-reassign-partitions --list, --verify),
 * read from the request's metadata image. topics null lists every reassignment; named partitions
 * that do not exist are UNKNOWN_TOPIC_OR_PARTITION for the whole request, as in Kafka.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  listPartitionReassignmentsApi,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '../protocol/messages/list-partition-reassignments.js';
import { defineHandler } from './handler.js';
import { allowedOnCluster, Op } from './authz.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(listPartitionReassignmentsApi, (ctx, req) => {
  // Authorization (Kafka's): Describe on the cluster.
  if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', topics: [] };
  const wanted: Array<{ topic: string; partition: number }> = [];
  if (req.topics === null) {
    for (const t of ctx.image.topics.values()) for (const p of t.partitions) wanted.push({ topic: t.name, partition: p.partition });
  } else {
    for (const t of req.topics) {
      for (const partition of t.partitionIndexes) {
        if (!ctx.image.partition(t.name, partition)) {
          return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${t.name}-${partition}.`, topics: [] };
        }
        wanted.push({ topic: t.name, partition });
      }
    }
  }
  const byTopic = new Map<string, ListPartitionReassignmentsResponse['topics'][number]['partitions']>();
  for (const { topic, partition } of wanted) {
    const p = ctx.image.partition(topic, partition)!;
    const adding = p.addingReplicas ?? [];
    const removing = p.removingReplicas ?? [];
    if (adding.length === 0 && removing.length === 0) continue;
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push({ partitionIndex: partition, replicas: [...p.replicas], addingReplicas: [...adding], removingReplicas: [...removing] });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
});
