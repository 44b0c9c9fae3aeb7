/**
 * DescribeProducers (key 61, v0, KIP-664): the producer state of partitions hosted here — for each
 * producer its epoch, last sequence and timestamp, the coordinator epoch of its last marker and the
 * first offset of its open transaction (-1: none). Any replica answers from its own log (what
 * `kafka-transactions describe-producers --broker-id` asks for), so a follower's view can be
 * compared with the leader's. A partition the metadata does not know answers
 * UNKNOWN_TOPIC_OR_PARTITION; one known but not hosted here NOT_LEADER_OR_FOLLOWER (Kafka's codes).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeProducersApi, type DescribeProducersRequest, type DescribeProducersResponse } from '../protocol/messages/describe-producers.js';
import { deniedNames, Op, Res } from './authz.js';
import { defineHandler, type RequestContext } from './handler.js';

type PartitionAnswer = DescribeProducersResponse['topics'][number]['partitions'][number];

function answer(ctx: RequestContext, topic: string, partition: number): PartitionAnswer {
  const none = (errorCode: number, errorMessage: string): PartitionAnswer => ({ partitionIndex: partition, errorCode, errorMessage, activeProducers: [] });
  if (ctx.image.partition(topic, partition) === undefined) return none(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`);
  const hosted = ctx.broker.replicas.partitionState(topic, partition);
  if (hosted === undefined) return none(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${ctx.broker.brokerId} has no replica of ${topic}-${partition}`);
  return {
    partitionIndex: partition,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    activeProducers: hosted.log.producers().map((p) => ({
      producerId: p.producerId,
      producerEpoch: p.epoch,
      lastSequence: p.lastSequence,
      lastTimestamp: BigInt(p.lastTimestampMs),
      coordinatorEpoch: p.coordinatorEpoch,
      currentTxnStartOffset: BigInt(p.currentTxnStartOffset),
    })),
  };
}

export const describeProducersHandler = defineHandler<DescribeProducersRequest, DescribeProducersResponse>(describeProducersApi, (ctx, req) => {
  // Kafka's check: Read on each topic.
  const denied = deniedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
  const refused = (p: number): PartitionAnswer => ({ partitionIndex: p, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.', activeProducers: [] });
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => (denied.has(t.name) ? refused(p) : answer(ctx, t.name, p))) })),
  };
});
