/**
 * kafka-console-consumer: prints records to standard output, with Kafka 3.x's flags and its
 * DefaultMessageFormatter properties (print.timestamp, print.partition, print.offset,
 * print.headers, print.key, print.value, key.separator, line.separator, headers.separator,
 * null.literal). Values are written as raw bytes, one record per line.
 *
 * Without --group the tool assigns itself every partition of the topic (or the one --partition
 * names) and starts at --offset / --from-beginning / the end; with --group (or group.id in
 * --consumer.config) it joins that consumer group and commits its offsets. On exit — Ctrl-C,
 * --max-messages reached, or --timeout-ms without a record — it prints `Processed a total of N
 * messages` on stderr, as Kafka does.
 */
import { KafkaClient } from '../client/client.js';
import { Consumer, type ConsumerOptions, type OffsetSpec } from '../client/consumer.js';
import type { ConsumedRecord } from '../client/records.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { consumerOptionsFromProps } from './tool/client-props.js';
import {
  clientSettings,
  err,
  loadPropertiesFile,
  logLine,
  messageOf,
  out,
  parseKeyValue,
  resolveBootstrap,
  runTool,
  START_HINT,
  validateClientProps,
} from './tool/common.js';

const LOGGER = 'kafka.tools.ConsoleConsumer$';

const spec: ToolSpec = {
  name: 'kafka-console-consumer',
  summary: 'This tool helps to read data from Kafka topics and outputs it to standard output.',
  options: [
    { name: 'bootstrap-server', argName: 'String: server to connect to', description: 'REQUIRED: The server(s) to connect to.' },
    { name: 'consumer-property', argName: 'String: consumer_prop', multiple: true, description: 'A mechanism to pass user-defined properties in the form key=value to the consumer.' },
    { name: 'consumer.config', argName: 'String: config file', description: 'Consumer config properties file. Note that [consumer-property] takes precedence over this config.' },
    { name: 'enable-systest-events', description: 'Not supported by Samsa.' },
    { name: 'formatter', argName: 'String: class', description: 'Only kafka.tools.DefaultMessageFormatter (the default) is supported.', defaultText: 'kafka.tools.DefaultMessageFormatter' },
    { name: 'formatter-config', argName: 'String: config file', description: 'Config properties file to initialize the message formatter. Note that [property] takes precedence over this config.' },
    { name: 'from-beginning', description: 'If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.' },
    { name: 'group', argName: 'String: consumer group id', description: 'The consumer group id of the consumer.' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'include', argName: 'String: Java regex (String)', description: 'Regular expression specifying list of topics to include for consumption.' },
    { name: 'isolation-level', argName: 'String', description: 'Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.', defaultText: 'read_uncommitted' },
    { name: 'key-deserializer', argName: 'String: deserializer for key', description: 'Accepted for compatibility; keys are printed as bytes.' },
    { name: 'max-messages', argName: 'Integer: num_messages', description: 'The maximum number of messages to consume before exiting. If not set, consumption is continual.' },
    {
      name: 'offset',
      argName: 'String: consume offset',
      description: "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end",
      defaultText: 'latest',
    },
    { name: 'partition', argName: 'Integer: partition', description: 'The partition to consume from. Consumption starts from the end of the partition unless \'--offset\' is specified.' },
    {
      name: 'property',
      argName: 'String: prop',
      multiple: true,
      description:
        'The properties to initialize the message formatter. Default properties include: print.timestamp=true|false print.key=true|false print.offset=true|false print.partition=true|false print.headers=true|false print.value=true|false key.separator=<key.separator> line.separator=<line.separator> headers.separator=<line.separator> null.literal=<null.literal>',
    },
    { name: 'skip-message-on-error', description: 'If there is an error when processing a message, skip it instead of halt.' },
    { name: 'timeout-ms', argName: 'Integer: timeout_ms', description: 'If specified, exit if no message is available for consumption for the specified interval.' },
    { name: 'topic', argName: 'String: topic', description: 'The topic to consume on.' },
    { name: 'value-deserializer', argName: 'String: deserializer for values', description: 'Accepted for compatibility; values are printed as bytes.' },
    { name: 'version', description: 'Display Kafka version.' },
    { name: 'whitelist', argName: 'String: Java regex (String)', description: 'DEPRECATED, use --include instead; ignored if --include specified.' },
    { name: 'zookeeper', argName: 'String: urls', description: 'Samsa extension (removed from Kafka): find the brokers registered in this ZooKeeper (host:port[/chroot]).' },
  ],
};

interface Formatter {
  timestamp: boolean;
  key: boolean;
  offset: boolean;
  partition: boolean;
  headers: boolean;
  value: boolean;
  keySeparator: Buffer;
  lineSeparator: Buffer;
  headersSeparator: Buffer;
  nullLiteral: Buffer;
}

function formatter(props: Record<string, string>): Formatter {
  const bool = (k: string, d: boolean): boolean => {
    const v = props[k];
    return v === undefined ? d : v.trim().toLowerCase() === 'true';
  };
  const text = (k: string, d: string): Buffer => Buffer.from(unescape(props[k] ?? d), 'utf8');
  return {
    timestamp: bool('print.timestamp', false),
    key: bool('print.key', false),
    offset: bool('print.offset', false),
    partition: bool('print.partition', false),
    headers: bool('print.headers', false),
    value: bool('print.value', true),
    keySeparator: text('key.separator', '\t'),
    lineSeparator: text('line.separator', '\n'),
    headersSeparator: text('headers.separator', ','),
    nullLiteral: text('null.literal', 'null'),
  };
}

/** Command lines often carry a literal backslash-t: turn \t, \n, \r into the characters. */
function unescape(s: string): string {
  return s.replace(/\\([tnr\\])/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]!);
}

/** Appends one record as Kafka's DefaultMessageFormatter writes it. */
function formatRecord(r: ConsumedRecord, f: Formatter, parts: Buffer[]): void {
  const sep = (more: boolean): void => {
    parts.push(more ? f.keySeparator : f.lineSeparator);
  };
  if (f.timestamp) {
    parts.push(Buffer.from(r.timestampMs >= 0 ? `${r.timestampType}:${r.timestampMs}` : 'NO_TIMESTAMP'));
    sep(f.partition || f.offset || f.headers || f.key || f.value);
  }
  if (f.partition) {
    parts.push(Buffer.from(`Partition:${r.partition}`));
    sep(f.offset || f.headers || f.key || f.value);
  }
  if (f.offset) {
    parts.push(Buffer.from(`Offset:${r.offset}`));
    sep(f.headers || f.key || f.value);
  }
  if (f.headers) {
    if (r.headers.length === 0) parts.push(Buffer.from('NO_HEADERS'));
    r.headers.forEach((h, i) => {
      if (i > 0) parts.push(f.headersSeparator);
      parts.push(Buffer.from(`${h.key}:`));
      parts.push(h.value ?? f.nullLiteral);
    });
    sep(f.key || f.value);
  }
  if (f.key) {
    parts.push(r.key ?? f.nullLiteral);
    sep(f.value);
  }
  if (f.value) {
    parts.push(r.value ?? f.nullLiteral);
    parts.push(f.lineSeparator);
  }
}

function checkArgs(args: ParsedArgs): void {
  const topicish = ['topic', 'include', 'whitelist'].filter((o) => args.has(o));
  if (topicish.length === 0 || (args.has('topic') && topicish.length > 1)) throw new UsageError('Exactly one of whitelist/topic is required.');
  if (args.has('partition') && !args.has('topic')) throw new UsageError('The topic is required when partition is specified.');
  if (args.has('offset') && !args.has('partition')) throw new UsageError('The partition is required when offset is specified.');
  if (args.has('from-beginning') && args.has('offset')) throw new UsageError('Options from-beginning and offset cannot be specified together.');
  if (args.has('enable-systest-events')) throw new UsageError('--enable-systest-events is not supported by Samsa');
  const fmt = args.get('formatter');
  if (fmt !== undefined && fmt !== 'kafka.tools.DefaultMessageFormatter' && fmt !== 'org.apache.kafka.tools.consumer.DefaultMessageFormatter') {
    throw new UsageError(`--formatter ${fmt} is not supported by Samsa (only kafka.tools.DefaultMessageFormatter)`);
  }
  const iso = args.get('isolation-level');
  if (iso !== undefined && iso !== 'read_committed' && iso !== 'read_uncommitted') {
    throw new UsageError(`Invalid value ${iso} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`);
  }
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
}

function startOffset(args: ParsedArgs): OffsetSpec {
  const o = args.get('offset');
  if (o === undefined) return args.has('from-beginning') ? 'earliest' : 'latest';
  const t = o.trim().toLowerCase();
  if (t === 'earliest' || t === 'latest') return t;
  if (/^\d+$/.test(t)) return Number(t);
  throw new UsageError(`The provided offset value '${o}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
}

async function main(args: ParsedArgs): Promise<number> {
  checkArgs(args);
  let props: Record<string, string> = {};
  let fprops: Record<string, string> = {};
  try {
    if (args.has('consumer.config')) props = loadPropertiesFile(args.get('consumer.config')!);
    for (const p of args.all('consumer-property')) {
      const [k, v] = parseKeyValue(p, '--consumer-property');
      props[k] = v;
    }
    validateClientProps(props, args.get('consumer.config') ?? '--consumer-property');
    if (args.has('formatter-config')) fprops = loadPropertiesFile(args.get('formatter-config')!);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    logLine('ERROR', `Error loading the consumer configuration: ${messageOf(e)}`, LOGGER);
    return 1;
  }
  for (const p of args.all('property')) {
    const [k, v] = parseKeyValue(p, '--property');
    fprops[k] = v;
  }
  const groups = [args.get('group'), props['group.id']].filter((g): g is string => g !== undefined);
  if (new Set(groups).size > 1) {
    throw new UsageError("The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match.");
  }
  const groupId = groups[0];
  const fmt = formatter(fprops);
  const maxMessages = args.int('max-messages', { min: 0 });
  const timeoutMs = args.int('timeout-ms', { min: 0 });
  const offset = startOffset(args);
  const partition = args.int('partition', { min: 0 });
  const isolation = (args.get('isolation-level') ?? props['isolation.level'] ?? 'read_uncommitted') as 'read_committed' | 'read_uncommitted';

  let bootstrap: string;
  try {
    bootstrap = await resolveBootstrap(args, { props });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    logLine('ERROR', messageOf(e), LOGGER);
    return 1;
  }
  const settings = clientSettings(props);
  const client = new KafkaClient({
      security: settings.security,
    bootstrapServers: bootstrap,
    clientId: settings.clientId ?? 'console-consumer',
    connectTimeoutMs: settings.connectTimeoutMs ?? 5000,
    requestTimeoutMs: settings.requestTimeoutMs,
    startHint: START_HINT,
  });
  const reset = (props['auto.offset.reset'] ?? (args.has('from-beginning') ? 'earliest' : 'latest')) as 'earliest' | 'latest' | 'none';
  const copts: ConsumerOptions = {
    ...consumerOptionsFromProps({ ...props, 'isolation.level': isolation }, (m) => logLine('WARN', m, 'org.apache.kafka.clients.consumer.KafkaConsumer')),
    autoOffsetReset: args.has('from-beginning') ? 'earliest' : reset,
  };
  if (groupId !== undefined) copts.groupId = groupId;
  const consumer = new Consumer(client, copts);

  let processed = 0;
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
    consumer.wakeup();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let exitCode = 0;
  let usage: UsageError | null = null;
  try {
    const topics = await resolveTopics(client, args);
    if (groupId !== undefined && partition === undefined) {
      consumer.subscribe(topics);
    } else {
      const assignment: Array<{ topic: string; partition: number; offset: OffsetSpec }> = [];
      for (const topic of topics) {
        const md = await client.topicMetadata(topic, { allowAutoTopicCreation: true });
        if (partition !== undefined) {
          if (!md.partitions.some((p) => p.partition === partition)) {
            throw new Error(`Partition ${partition} of topic ${topic} does not exist (the topic has ${md.partitions.length} partition(s))`);
          }
          assignment.push({ topic, partition, offset });
        } else {
          for (const p of md.partitions) assignment.push({ topic, partition: p.partition, offset });
        }
      }
      consumer.assign(assignment);
    }
    let lastRecordMs = Date.now();
    // --timeout-ms counts from when the consumer is ready to read (after joining its group).
    let ready = false;
    while (!stopping) {
      if (maxMessages !== undefined && processed >= maxMessages) break;
      const waitMs = timeoutMs !== undefined ? Math.max(0, Math.min(1000, lastRecordMs + timeoutMs - Date.now())) : 1000;
      const records = await consumer.poll(waitMs);
      if (!ready && consumer.assignment().length > 0 && consumer.assignment().every((p) => p.position >= 0)) {
        ready = true;
        if (records.length === 0) lastRecordMs = Date.now();
      }
      if (records.length === 0) {
        if (timeoutMs !== undefined && Date.now() - lastRecordMs >= timeoutMs) {
          logLine('ERROR', 'Error processing message, terminating consumer process: ', LOGGER);
          err('org.apache.kafka.common.errors.TimeoutException\n');
          break;
        }
        continue;
      }
      lastRecordMs = Date.now();
      const take = maxMessages !== undefined ? Math.min(records.length, maxMessages - processed) : records.length;
      const parts: Buffer[] = [];
      for (let i = 0; i < take; i++) formatRecord(records[i]!, fmt, parts);
      processed += take;
      if (take < records.length) {
        // Stop exactly after the last printed record so a group commit does not skip the rest.
        const last = records[take - 1]!;
        consumer.seek(last.topic, last.partition, last.offset + 1);
      }
      if (!out(Buffer.concat(parts))) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
    }
  } catch (e) {
    if (e instanceof UsageError) usage = e;
    else {
      logLine('ERROR', `Error processing message, terminating consumer process: ${messageOf(e)}`, LOGGER);
      exitCode = 1;
    }
  } finally {
    await consumer.close().catch((e: Error) => logLine('WARN', `closing the consumer failed: ${e.message}`, LOGGER));
    await client.close();
    if (usage === null) err(`Processed a total of ${processed} messages\n`);
  }
  if (usage !== null) throw usage;
  return exitCode;
}

/** The topic, or every topic matching --include (a regular expression over whole names). */
async function resolveTopics(client: KafkaClient, args: ParsedArgs): Promise<string[]> {
  const topic = args.get('topic');
  if (topic !== undefined) return [topic];
  const pattern = args.get('include') ?? args.get('whitelist')!;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new UsageError(`Invalid regular expression '${pattern}': ${messageOf(e)}`);
  }
  const md = await client.refreshMetadata(null);
  const topics = [...md.topics.values()].filter((t) => !t.isInternal && re.test(t.name)).map((t) => t.name).sort();
  if (topics.length === 0) throw new Error(`no topic matches --include '${pattern}'`);
  return topics;
}

await runTool(spec, main);
