/**
 * Kafka client properties (from --producer.config / --consumer.config / --command-config files and
 * -property options) → our client's options. Tools put their own flags into the same property keys
 * first (e.g. --request-required-acks → acks), so one mapping serves every tool. Unknown keys are
 * ignored, as the tools document; numeric keys were validated by validateClientProps.
 */
import type { ConsumerOptions } from '../../client/consumer.js';
import type { ProducerOptions } from '../../client/producer.js';
import { codecId } from '../../client/records.js';
import { UsageError } from './args.js';
import { intProp } from './common.js';

const ACKS: Record<string, number> = { all: -1, '-1': -1, '0': 0, '1': 1 };

/** Producer options from properties; UsageError with Kafka's ConfigException wording for bad values. */
export function producerOptionsFromProps(props: Record<string, string>, warn: (m: string) => void): ProducerOptions {
  const acksText = (props['acks'] ?? '-1').trim().toLowerCase();
  const acks = ACKS[acksText];
  if (acks === undefined) throw new UsageError(`Invalid value ${acksText} for configuration acks: String must be one of: all, -1, 0, 1`);
  const codecName = props['compression.type'] ?? 'none';
  const codec = codecId(codecName);
  if (codec === undefined) throw new UsageError(`Invalid value ${codecName} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`);
  const opts: ProducerOptions = {
    acks,
    compression: codec,
    lingerMs: intProp(props, 'linger.ms') ?? 5,
    batchSizeBytes: intProp(props, 'batch.size') ?? 16384,
    requestTimeoutMs: intProp(props, 'request.timeout.ms') ?? 30_000,
    maxBlockMs: intProp(props, 'max.block.ms') ?? 60_000,
    bufferMemoryBytes: intProp(props, 'buffer.memory') ?? 33_554_432,
    retryBackoffMs: intProp(props, 'retry.backoff.ms') ?? 100,
    maxInFlightPerBroker: intProp(props, 'max.in.flight.requests.per.connection') ?? 5,
    deliveryTimeoutMs: intProp(props, 'delivery.timeout.ms') ?? 120_000,
    maxRequestSizeBytes: intProp(props, 'max.request.size') ?? 1_048_576,
    onWarning: warn,
  };
  const retries = intProp(props, 'retries');
  if (retries !== undefined) opts.retries = retries;
  return opts;
}

/** Consumer options from properties (group.id and the reset policy are the tool's business). */
export function consumerOptionsFromProps(props: Record<string, string>, warn: (m: string) => void): ConsumerOptions {
  const isolation = props['isolation.level'] ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new UsageError(`Invalid value ${isolation} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`);
  }
  const opts: ConsumerOptions = {
    isolationLevel: isolation,
    fetchMaxWaitMs: intProp(props, 'fetch.max.wait.ms') ?? 500,
    fetchMinBytes: intProp(props, 'fetch.min.bytes') ?? 1,
    fetchMaxBytes: intProp(props, 'fetch.max.bytes') ?? 52_428_800,
    maxPartitionFetchBytes: intProp(props, 'max.partition.fetch.bytes') ?? 1_048_576,
    maxPollRecords: intProp(props, 'max.poll.records') ?? 500,
    sessionTimeoutMs: intProp(props, 'session.timeout.ms') ?? 45_000,
    heartbeatIntervalMs: intProp(props, 'heartbeat.interval.ms') ?? 3_000,
    rebalanceTimeoutMs: intProp(props, 'max.poll.interval.ms') ?? 300_000,
    enableAutoCommit: (props['enable.auto.commit'] ?? 'true').toLowerCase() === 'true',
    autoCommitIntervalMs: intProp(props, 'auto.commit.interval.ms') ?? 5_000,
    checkCrcs: (props['check.crcs'] ?? 'true').toLowerCase() === 'true',
    onWarning: warn,
  };
  if (props['group.instance.id']) opts.groupInstanceId = props['group.instance.id'];
  if (props['client.rack']) opts.clientRack = props['client.rack'];
  return opts;
}
