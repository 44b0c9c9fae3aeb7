/**
 * AlterPartitionReassignments (v0-1, KIP-455): starts, replaces or cancels (replicas null) the
 * reassignment of partitions; kafka-reassign-partitions --bootstrap-server --execute / --cancel.
 * The controller validates each partition (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
 * NO_REASSIGNMENT_IN_PROGRESS for a cancellation of nothing) and starts the work, which continues
 * in the background; the answer does not wait for the data to move. Only the active controller
 * answers (top-level NOT_CONTROLLER elsewhere; the admin client retries on the controller).
 * v1's allowReplicationFactorChange=false refuses a change of a partition's replica count
 * (INVALID_REPLICATION_FACTOR), as KIP-860 specifies.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  alterPartitionReassignmentsApi,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../protocol/messages/alter-partition-reassignments.js';
import type { ReassignmentChange } from '../cluster/controller.js';
import { adminErrorCode } from './errors.js';
import { defineHandler } from './handler.js';
import { allowedOnCluster, Op } from './authz.js';

export const alterPartitionReassignmentsHandler = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(
  alterPartitionReassignmentsApi,
  async (ctx, req) => {
    // Authorization (Kafka's): Alter on the cluster; nothing moves without it.
    if (!allowedOnCluster(ctx, Op.ALTER)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', responses: [] };
    const changes: ReassignmentChange[] = [];
    const refusedRf = new Set<string>();
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const current = ctx.image.partition(t.name, p.partitionIndex);
        if (ctx.apiVersion >= 1 && !req.allowReplicationFactorChange && p.replicas !== null && current && p.replicas.length !== current.replicas.length) {
          refusedRf.add(`${t.name}/${p.partitionIndex}`);
          continue;
        }
        changes.push({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas });
      }
    }
    const outcomes = await ctx.broker.controller.alterPartitionReassignments(changes);
    if (outcomes.length > 0 && outcomes.every((o) => !o.result.ok && o.result.error === 'notController')) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null, responses: [] };
    }
    const byKey = new Map(outcomes.map((o) => [`${o.topic}/${o.partition}`, o.result]));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const key = `${t.name}/${p.partitionIndex}`;
          if (refusedRf.has(key)) {
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'The replication factor is changed from the current one, but allowReplicationFactorChange is false.' };
          }
          const r = byKey.get(key);
          if (r === undefined || r.ok) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
          ctx.log.info({ topic: t.name, partition: p.partitionIndex, error: r.error }, `reassignment refused: ${r.message}`);
          return { partitionIndex: p.partitionIndex, errorCode: adminErrorCode(r.error), errorMessage: r.message };
        }),
      })),
    };
  },
);
