/**
 * Errors raised by the client. Three families, so callers (the CLI tools) can print one useful line:
 * - `KafkaError`: a broker answered with a Kafka error code (name, code, retriable, optional
 *   broker message).
 * - `ConnectionError`: the socket could not be opened or was lost; the message names the address and,
 *   when nothing listens there, the fix (`is a broker running? start one with \`samsa start\``).
 * - `TimeoutError`: a request or a wait took longer than its deadline.
 * `UnsupportedVersionError` (a KafkaError) says which API the broker does not offer;
 * `AuthenticationError` (a KafkaError, SASL_AUTHENTICATION_FAILED) that the broker refused our
 * SASL credentials. TLS failures are ConnectionErrors whose message names the setting to fix.
 */
import { ErrorCode, errorName } from '../protocol/error-codes.js';

/** Codes after which the same request may succeed, usually with fresh metadata (Kafka's RetriableException family). */
const RETRIABLE = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
]);

/** Codes that mean "ask for metadata again before retrying". */
const STALE_METADATA = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
]);

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}

export function needsMetadataRefresh(code: number): boolean {
  return STALE_METADATA.has(code);
}

/** Plain-language text for the codes users meet at the command line. */
const DEFAULT_MESSAGES: Record<number, string> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
  [ErrorCode.LEADER_NOT_AVAILABLE]: 'There is no leader for this topic-partition as we are in the middle of a leadership election.',
  [ErrorCode.NOT_LEADER_OR_FOLLOWER]: 'This server is not the leader for that topic-partition.',
  [ErrorCode.REQUEST_TIMED_OUT]: 'The request timed out.',
  [ErrorCode.MESSAGE_TOO_LARGE]: 'The request included a message larger than the max message size the server will accept.',
  [ErrorCode.INVALID_TOPIC_EXCEPTION]: 'The request attempted to perform an operation on an invalid topic.',
  [ErrorCode.TOPIC_ALREADY_EXISTS]: 'Topic with this name already exists.',
  [ErrorCode.INVALID_PARTITIONS]: 'Number of partitions is below 1.',
  [ErrorCode.INVALID_REPLICATION_FACTOR]: 'Replication factor is below 1 or larger than the number of available brokers.',
  [ErrorCode.INVALID_CONFIG]: 'Configuration is invalid.',
  [ErrorCode.UNSUPPORTED_VERSION]: 'The version of API is not supported.',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'The group id does not exist.',
  [ErrorCode.NON_EMPTY_GROUP]: 'The group is not empty.',
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]: 'The consumer group is actively subscribed to the topic',
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: 'The coordinator is not available.',
  [ErrorCode.NOT_COORDINATOR]: 'This is not the correct coordinator.',
  [ErrorCode.REBALANCE_IN_PROGRESS]: 'The group is rebalancing, so a rejoin is needed.',
  [ErrorCode.UNKNOWN_MEMBER_ID]: 'The coordinator is not aware of this member.',
  [ErrorCode.ILLEGAL_GENERATION]: 'Specified group generation id is not valid.',
  [ErrorCode.OFFSET_OUT_OF_RANGE]: 'The requested offset is not within the range of offsets maintained by the server.',
  [ErrorCode.TOPIC_DELETION_DISABLED]: 'Topic deletion is disabled.',
  [ErrorCode.POLICY_VIOLATION]: 'Request parameters do not satisfy the configured policy.',
  [ErrorCode.INVALID_REQUEST]: 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker.',
  [ErrorCode.CORRUPT_MESSAGE]: 'This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.',
  [ErrorCode.RECORD_LIST_TOO_LARGE]: 'The request included message batch larger than the configured segment size on the server.',
  [ErrorCode.INVALID_REQUIRED_ACKS]: 'Produce request specified an invalid value for required acks.',
  [ErrorCode.NOT_ENOUGH_REPLICAS]: 'Messages are rejected since there are fewer in-sync replicas than required.',
  [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE]: 'The requesting client does not support the compression type of given partition.',
};

export class KafkaError extends Error {
  override name = 'KafkaError';
  /** Kafka's name for the code, e.g. UNKNOWN_TOPIC_OR_PARTITION. */
  readonly type: string;
  readonly retriable: boolean;
  constructor(
    readonly code: number,
    message?: string | null,
    options?: { cause?: unknown },
  ) {
    super(message ?? DEFAULT_MESSAGES[code] ?? errorName(code), options);
    this.type = errorName(code);
    this.retriable = isRetriable(code);
  }
}

export class UnsupportedVersionError extends KafkaError {
  override name = 'UnsupportedVersionError';
  constructor(message: string) {
    super(ErrorCode.UNSUPPORTED_VERSION, message);
  }
}

/** The broker refused our SASL credentials (SASL_AUTHENTICATION_FAILED), or could not prove it knows them (SCRAM). Not retriable. */
export class AuthenticationError extends KafkaError {
  override name = 'AuthenticationError';
  constructor(message: string) {
    super(ErrorCode.SASL_AUTHENTICATION_FAILED, message);
  }
}

export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(
    message: string,
    readonly address: string,
    /** The socket error code (ECONNREFUSED, ENOTFOUND, ...), or 'CLOSED' when the broker hung up. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The TLS handshake failed (untrusted or mismatched certificate, refused client certificate, not a TLS listener). */
export class TlsHandshakeError extends ConnectionError {
  override name = 'TlsHandshakeError';
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Throws a KafkaError for a non-zero code; `what` becomes part of the default message. */
export function throwIfError(code: number, message?: string | null): void {
  if (code !== ErrorCode.NONE) throw new KafkaError(code, message);
}

/** The message a CLI prints for any error: Kafka errors by text, connection errors with their fix. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
