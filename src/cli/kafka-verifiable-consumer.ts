/**
 * kafka-verifiable-consumer: the group consumer Kafka's system tests drive (VerifiableConsumer), with
 * its flags and JSON-lines events on stdout ("timestamp" and "name" first):
 *   startup_complete
 *   partitions_assigned  {"partitions":[{"topic":"t","partition":0},…]}   after every join
 *   partitions_revoked   {"partitions":[…]}                              before a rejoin and on close
 *   records_consumed     {"count":N,"partitions":[{"topic","partition","count","minOffset","maxOffset"}]}
 *   record_data          {"key","value","topic","partition","offset"}     with --verbose, per record
 *   offsets_committed    {"offsets":[{"topic","partition","offset"}],"success":true}  (or "error":…,
 *                        "success":false); after each poll unless --enable-autocommit
 *   shutdown_complete
 * as Kafka's tool: records_consumed "count" is everything the poll returned, the per-partition
 * counts what was processed (less only when --max-messages cuts a poll). It stops after
 * --max-messages or on SIGTERM / SIGINT, then closes (leaving the group) and prints
 * shutdown_complete. The classic group protocol only, with the range or round-robin assignor.
 * Argument errors use argparse's `verifiable-consumer: error: …` form and exit 1; a broker that
 * cannot be reached at start is one line on stderr and exit 1.
 */
import { Consumer, type ConsumerOptions, type TopicPartitionList } from '../client/consumer.js';
import type { ConsumedRecord } from '../client/records.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { consumerOptionsFromProps } from './tool/client-props.js';
import { ConfigFileError, exceptionName, loadPropertiesFile, logLine, messageOf, runTool, validateClientProps } from './tool/common.js';
import { commonArgs, connect, event, intArg, onStopSignal, requireArg } from './tool/verifiable.js';

const ASSIGNORS: Record<string, 'range' | 'roundrobin'> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
  range: 'range',
  roundrobin: 'roundrobin',
};

const spec: ToolSpec = {
  name: 'verifiable-consumer',
  errorStyle: 'argparse',
  summary: 'This tool consumes messages from a specific topic and emits consumer events (e.g. group rebalances, received messages, and offsets committed) as JSON objects to STDOUT.',
  options: [
    {
      name: 'assignment-strategy',
      argName: 'ASSIGNMENT_STRATEGY',
      description: 'Set assignment strategy (e.g. org.apache.kafka.clients.consumer.RoundRobinAssignor); Samsa supports RangeAssignor and RoundRobinAssignor',
      defaultText: 'org.apache.kafka.clients.consumer.RangeAssignor',
    },
    { name: 'bootstrap-server', argName: 'HOST1:PORT1[,HOST2:PORT2[...]]', description: 'REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. Comma-separated list of Kafka brokers in the form HOST1:PORT1,HOST2:PORT2,...' },
    { name: 'broker-list', argName: 'HOST1:PORT1[,HOST2:PORT2[...]]', description: 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  Comma-separated list of Kafka brokers in the form HOST1:PORT1,HOST2:PORT2,...' },
    { name: 'consumer.config', argName: 'CONFIG_FILE', description: 'Consumer config properties file (config options shared with command line parameters will be overridden).' },
    { name: 'enable-autocommit', description: 'Enable offset auto-commit on consumer' },
    { name: 'group-id', argName: 'GROUP_ID', description: 'The groupId shared among members of the consumer group' },
    { name: 'group-instance-id', argName: 'GROUP_INSTANCE_ID', description: 'A unique identifier of the consumer instance' },
    { name: 'group-protocol', argName: 'GROUP_PROTOCOL', description: 'Group protocol (must be one of CLASSIC, CONSUMER); Samsa supports CLASSIC', defaultText: 'classic' },
    { name: 'help', description: 'show this help message and exit' },
    { name: 'max-messages', argName: 'MAX-MESSAGES', description: 'Consume this many messages. If -1 (the default), the consumer will consume until the process is killed externally', defaultText: '-1' },
    { name: 'reset-policy', argName: 'RESET_POLICY', description: "Set reset policy (must be either 'earliest', 'latest', or 'none'", defaultText: 'earliest' },
    { name: 'session-timeout', argName: 'TIMEOUT_MS', description: "Set the consumer's session timeout", defaultText: '30000' },
    { name: 'topic', argName: 'TOPIC', description: 'Consumes messages from this topic.' },
    { name: 'verbose', description: 'Enable to log individual consumed records' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

const LOGGER = 'org.apache.kafka.tools.VerifiableConsumer';

const partitionsField = (partitions: TopicPartitionList): { partitions: TopicPartitionList } => ({
  partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
});

function consumerProps(args: ParsedArgs): Record<string, string> {
  const file = args.get('consumer.config');
  if (file === undefined) return {};
  try {
    const props = loadPropertiesFile(file);
    validateClientProps(props, file);
    return props;
  } catch (e) {
    if (e instanceof ConfigFileError) throw new UsageError(e.message);
    throw e;
  }
}

function consumerOptions(args: ParsedArgs, props: Record<string, string>): ConsumerOptions {
  const protocol = (args.get('group-protocol') ?? 'classic').toLowerCase();
  if (protocol === 'consumer') throw new UsageError('argument --group-protocol: CONSUMER (KIP-848) is not supported by Samsa yet; use CLASSIC');
  if (protocol !== 'classic') throw new UsageError(`argument --group-protocol: invalid value '${args.get('group-protocol')}' (must be one of CLASSIC, CONSUMER)`);
  const strategy = args.get('assignment-strategy') ?? 'org.apache.kafka.clients.consumer.RangeAssignor';
  const assignor = ASSIGNORS[strategy];
  if (assignor === undefined) {
    throw new UsageError(`argument --assignment-strategy: ${strategy} is not supported by Samsa yet (use org.apache.kafka.clients.consumer.RangeAssignor or RoundRobinAssignor)`);
  }
  const reset = args.get('reset-policy') ?? 'earliest';
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
    throw new UsageError(`Invalid value ${reset} for configuration auto.offset.reset: String must be one of: latest, earliest, none`);
  }
  const instanceId = args.get('group-instance-id') ?? props['group.instance.id'];
  const base = consumerOptionsFromProps(props, (m) => logLine('WARN', m, 'org.apache.kafka.clients.consumer.KafkaConsumer'));
  return {
    ...base,
    groupId: requireArg(args, 'group-id'),
    groupInstanceId: instanceId === undefined || instanceId === '' ? null : instanceId,
    autoOffsetReset: reset,
    sessionTimeoutMs: intArg(args, 'session-timeout', 30_000),
    enableAutoCommit: args.has('enable-autocommit'),
    assignor,
    onPartitionsRevoked: (partitions) => event('partitions_revoked', partitionsField(partitions)),
    onPartitionsAssigned: (partitions) => event('partitions_assigned', partitionsField(partitions)),
  };
}

interface Summary {
  topic: string;
  partition: number;
  count: number;
  minOffset: number;
  maxOffset: number;
}

/** Per-partition summaries of `records` (in order of first appearance) and the offsets to commit. */
function summarize(records: ConsumedRecord[]): Summary[] {
  const byPartition = new Map<string, Summary>();
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`;
    const s = byPartition.get(key);
    if (s) {
      s.count++;
      s.maxOffset = r.offset;
    } else {
      byPartition.set(key, { topic: r.topic, partition: r.partition, count: 1, minOffset: r.offset, maxOffset: r.offset });
    }
  }
  return [...byPartition.values()];
}

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

async function main(args: ParsedArgs): Promise<number> {
  const common = commonArgs(args, spec);
  if (common === null) return 0;
  const { topic, bootstrap, maxMessages } = common;
  const verbose = args.has('verbose');
  const props = consumerProps(args);
  const copts = consumerOptions(args, props);
  const client = await connect(props, bootstrap, 'verifiable-consumer');
  if (client === null) return 1;
  const consumer = new Consumer(client, copts);
  let stop = false;
  onStopSignal(() => {
    stop = true;
    consumer.wakeup();
  });

  let consumed = 0;
  let exitCode = 0;
  const finished = (): boolean => maxMessages >= 0 && consumed >= maxMessages;
  event('startup_complete');
  try {
    consumer.subscribe([topic]);
    while (!stop && !finished()) {
      const records = await consumer.poll(1000);
      if (records.length === 0) continue;
      const take = maxMessages >= 0 ? Math.min(records.length, maxMessages - consumed) : records.length;
      const processed = records.slice(0, take);
      if (take < records.length) {
        // Stop right after the last processed record, so a commit on close does not skip the rest.
        for (const s of summarize(records.slice(take))) consumer.seek(s.topic, s.partition, s.minOffset);
      }
      if (verbose) {
        for (const r of processed) event('record_data', { key: text(r.key), value: text(r.value), topic: r.topic, partition: r.partition, offset: r.offset });
      }
      const summaries = summarize(processed);
      consumed += take;
      event('records_consumed', { count: records.length, partitions: summaries });
      if (!copts.enableAutoCommit && summaries.length > 0) {
        const offsets = summaries.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.maxOffset + 1 }));
        try {
          await consumer.commit(offsets);
          event('offsets_committed', { offsets, success: true });
        } catch (e) {
          event('offsets_committed', { offsets, error: messageOf(e), success: false });
        }
      }
    }
  } catch (e) {
    // Kafka logs the error and still closes cleanly with shutdown_complete.
    logLine('ERROR', `Error during processing, terminating consumer process: ${exceptionName(e)}: ${messageOf(e)}`, LOGGER);
    exitCode = 1;
  } finally {
    await consumer.close().catch((e: Error) => logLine('WARN', `closing the consumer failed: ${e.message}`, LOGGER));
    await client.close();
  }
  event('shutdown_complete');
  return exitCode;
}

await runTool(spec, main);
