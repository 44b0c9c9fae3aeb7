/**
 * WriteTxnMarkers (v0-1), partition-leader side: the transaction coordinator asks this broker to
 * write COMMIT/ABORT markers to partitions it leads. Each (marker, partition) is appended as leader
 * with acks=all and, for `__consumer_offsets` partitions, the group coordinator then commits or
 * drops the transaction's pending offsets (coordinator/txn/marker-writer.ts). Per partition the
 * answer is NONE or the append's error (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
 * NOT_ENOUGH_REPLICAS, TRANSACTION_COORDINATOR_FENCED, INVALID_PRODUCER_EPOCH, ...), which the
 * coordinator retries or gives up on.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { writeTxnMarkersApi, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../protocol/messages/write-txn-markers.js';
import { allowedOnCluster, Op } from './authz.js';
import { defineHandler } from './handler.js';

export const writeTxnMarkersHandler = defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>(writeTxnMarkersApi, async (ctx, req) => {
  const writer = ctx.broker.txnMarkers;
  // Only brokers (and kafka-transactions abort, run by an operator) write markers: ClusterAction.
  const refusal = !allowedOnCluster(ctx, Op.CLUSTER_ACTION) ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : writer ? null : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (refusal === null) return writer!.write(req);
  return {
    markers: req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: refusal })) })),
    })),
  };
});
