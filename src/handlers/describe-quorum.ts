/**
 * DescribeQuorum (v0-2): the state of the KRaft metadata quorum, for `kafka-metadata-quorum
 * describe --status|--replication`. Served only in KRaft mode (the handler table leaves it out
 * otherwise, as Kafka's ZooKeeper-mode brokers do). Samsa's quorum is one voter, this node, so the
 * leader is this node, every voter is caught up and the high watermark is the metadata log's end.
 * Any partition other than __cluster_metadata-0 is UNKNOWN_TOPIC_OR_PARTITION, as Kafka answers.
 */
import { METADATA_TOPIC } from '../cluster/kraft/metadata-log.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { describeQuorumApi, type DescribeQuorumRequest, type DescribeQuorumResponse } from '../protocol/messages/describe-quorum.js';
import { defineHandler } from './handler.js';
import { allowedOnCluster, Op } from './authz.js';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const describeQuorumHandler = defineHandler<DescribeQuorumRequest, DescribeQuorumResponse>(describeQuorumApi, (ctx, request) => {
  const quorum = ctx.broker.quorum;
  // Authorization (Kafka's): Describe on the cluster.
  if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', topics: [], nodes: [] };
  const only = request.topics.length === 1 && request.topics[0]!.topicName === METADATA_TOPIC && request.topics[0]!.partitions.length === 1 && request.topics[0]!.partitions[0]!.partitionIndex === 0;
  if (quorum === undefined || !only) {
    return {
      errorCode: quorum === undefined ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: quorum === undefined ? 'This broker is not in KRaft mode' : `Only ${METADATA_TOPIC}-0 has a quorum`,
      topics: [],
      nodes: [],
    };
  }
  const s = quorum.status();
  const nowMs = BigInt(ctx.broker.clock.nowMs());
  const hw = BigInt(s.highWatermark);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            leaderId: s.leaderId,
            leaderEpoch: s.leaderEpoch,
            highWatermark: hw,
            // The leader reports its own replica as fetched and caught up now (Kafka does the same).
            currentVoters: s.voters.map((id) => ({ replicaId: id, replicaDirectoryId: ZERO_UUID, logEndOffset: hw, lastFetchTimestamp: nowMs, lastCaughtUpTimestamp: nowMs })),
            observers: [],
          },
        ],
      },
    ],
    nodes: s.voters.map((nodeId) => ({
      nodeId,
      listeners: quorum.endpoints.filter((e) => e.nodeId === nodeId).map((e) => ({ name: e.name, host: e.host, port: e.port })),
    })),
  };
});
