/**
 * ConsumerGroupHeartbeat (key 68), version 0, flexible (KIP-848 next-generation consumer groups).
 * Request: groupId, memberId, memberEpoch (0 to join, -1 to leave, -2 static leave), instanceId,
 * rackId, rebalanceTimeoutMs, subscribedTopicNames, serverAssignor, topicPartitions[topicId,
 * partitions] (the member's current assignment). Nullable fields are null when unchanged since the
 * previous heartbeat.
 * Response: throttleTimeMs, errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs,
 * assignment (nullable struct: null = unchanged)[topicPartitions[topicId, partitions]].
 * (v1 adds subscribedTopicRegex; we stop at 0.)
 */
import { f, type ApiDef } from '../schema.js';

export const consumerGroupHeartbeatApi: ApiDef = {
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: 0,
  request: [
    f('groupId', 'string'),
    f('memberId', 'string'),
    f('memberEpoch', 'int32'),
    f('instanceId', 'string', '0+', { nullable: '0+', default: null }),
    f('rackId', 'string', '0+', { nullable: '0+', default: null }),
    f('rebalanceTimeoutMs', 'int32', '0+', { default: -1 }),
    f('subscribedTopicNames', 'string[]', '0+', { nullable: '0+', default: null }),
    f('serverAssignor', 'string', '0+', { nullable: '0+', default: null }),
    f('topicPartitions', [f('topicId', 'uuid'), f('partitions', 'int32[]')], '0+', { nullable: '0+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('memberId', 'string', '0+', { nullable: '0+', default: null }),
    f('memberEpoch', 'int32'),
    f('heartbeatIntervalMs', 'int32'),
    f('assignment', [f('topicPartitions', [f('topicId', 'uuid'), f('partitions', 'int32[]')])], '0+', {
      struct: true,
      nullable: '0+',
      default: null,
    }),
  ],
};

export interface ConsumerGroupHeartbeatTopicPartitions {
  topicId: string;
  partitions: number[];
}

export interface ConsumerGroupHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  serverAssignor: string | null;
  topicPartitions: ConsumerGroupHeartbeatTopicPartitions[] | null;
}

export interface ConsumerGroupHeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: ConsumerGroupHeartbeatTopicPartitions[] } | null;
}
