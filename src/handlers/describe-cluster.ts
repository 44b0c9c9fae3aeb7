/**
 * DescribeCluster (v0-1, KIP-700): the brokers, cluster id and controller id from the request's
 * metadata image, as Kafka's broker answers (AuthHelper.computeDescribeClusterResponse).
 * - endpointType (v1; v0 implies 1 = brokers): this is a broker endpoint, so 2 (controllers) is
 *   MISMATCHED_ENDPOINT_TYPE and any other value UNSUPPORTED_ENDPOINT_TYPE; in v0 both would be
 *   INVALID_REQUEST. The messages are Kafka's.
 * - controllerId is -1 when the controller is not among the listed brokers (Kafka does the same).
 * - clusterAuthorizedOperations: only when asked for; with no authorizer every operation Kafka
 *   supports on the CLUSTER resource is allowed, encoded as Kafka's 32-bit field. When not asked,
 *   Integer.MIN_VALUE (the schema default).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeClusterApi, type DescribeClusterRequest, type DescribeClusterResponse } from '../protocol/messages/describe-cluster.js';
import { brokersOnListener } from '../cluster/metadata-image.js';
import { defineHandler } from './handler.js';
import { allowedOnCluster, Op } from './authz.js';

/** Error codes newer than our table's end (Kafka 3.7+, KIP-919). */
const MISMATCHED_ENDPOINT_TYPE = 114;
const UNSUPPORTED_ENDPOINT_TYPE = 115;

const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

/** AclOperation codes Kafka allows on the CLUSTER resource (AclEntry.supportedOperations). */
const CLUSTER_OPERATIONS = [Op.CREATE, Op.ALTER, Op.DESCRIBE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE];

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Kafka's Utils.to32BitField: one bit per operation code. */
function to32BitField(codes: readonly number[]): number {
  let field = 0;
  for (const code of codes) field |= 1 << code;
  return field;
}

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>(describeClusterApi, (ctx, req) => {
  const image = ctx.image;
  const endpointType = ctx.apiVersion >= 1 ? req.endpointType : EndpointType.BROKER;
  const base: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: EndpointType.BROKER,
    clusterId: image.clusterId,
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
  // Authorization (Kafka's): Describe on the cluster.
  if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { ...base, clusterId: '', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
  if (endpointType !== EndpointType.BROKER && endpointType !== EndpointType.CONTROLLER) {
    return {
      ...base,
      clusterId: '',
      errorCode: ctx.apiVersion === 0 ? ErrorCode.INVALID_REQUEST : UNSUPPORTED_ENDPOINT_TYPE,
      errorMessage: `Unsupported endpoint type ${endpointType}`,
    };
  }
  if (endpointType === EndpointType.CONTROLLER) {
    return {
      ...base,
      clusterId: '',
      errorCode: ctx.apiVersion === 0 ? ErrorCode.INVALID_REQUEST : MISMATCHED_ENDPOINT_TYPE,
      errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
    };
  }
  const brokers = brokersOnListener(image, ctx.listenerName)
    .sort((a, b) => a.id - b.id)
    .map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack }));
  return {
    ...base,
    controllerId: image.brokers.has(image.controllerId) ? image.controllerId : -1,
    brokers,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
      ? to32BitField(CLUSTER_OPERATIONS)
      : AUTHORIZED_OPERATIONS_OMITTED,
  };
});
