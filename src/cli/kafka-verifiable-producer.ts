/**
 * kafka-verifiable-producer: the producer Kafka's system tests drive (VerifiableProducer), with its
 * flags and JSON-lines output. It produces the increasing integers 0, 1, 2, … (as strings, or
 * "<prefix>.<n>" with --value-prefix) to --topic and prints, one JSON object per line:
 *   {"timestamp":…,"name":"startup_complete"}
 *   {"timestamp":…,"name":"producer_send_success","key":null,"value":"0","topic":"t","partition":0,"offset":0}
 *   {"timestamp":…,"name":"producer_send_error","key":null,"value":"7","topic":"t","exception":"class …","message":"…"}
 *   {"timestamp":…,"name":"shutdown_complete"}
 *   {"timestamp":…,"name":"tool_data","sent":N,"acked":N,"target_throughput":-1,"avg_throughput":123.4}
 * It stops after --max-messages (-1: until stopped) or on SIGTERM / SIGINT; either way it flushes,
 * then prints shutdown_complete and tool_data, as Kafka's shutdown hook does. Retries are off
 * (retries=0, as in Kafka) unless the config file sets them. Argument errors use argparse's
 * `verifiable-producer: error: …` form and exit 1; a broker that cannot be reached at start is one
 * line on stderr and exit 1 (Kafka would instead report every send as failed after max.block.ms).
 */
import { Producer } from '../client/producer.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { producerOptionsFromProps } from './tool/client-props.js';
import { ConfigFileError, exceptionName, loadPropertiesFile, logLine, messageOf, runTool, validateClientProps } from './tool/common.js';
import { commonArgs, connect, event, intArg, onStopSignal } from './tool/verifiable.js';

const spec: ToolSpec = {
  name: 'verifiable-producer',
  errorStyle: 'argparse',
  summary:
    'This tool produces increasing integers to the specified topic and prints JSON metadata to stdout on each "send" request, making externally visible which messages have been acked and which have not.',
  options: [
    { name: 'acks', argName: 'ACKS', description: 'Acks required on each produced message. See Kafka docs on acks for details.', defaultText: '-1' },
    { name: 'bootstrap-server', argName: 'HOST1:PORT1[,HOST2:PORT2[...]]', description: 'REQUIRED: The server(s) to connect to. Comma-separated list of Kafka brokers in the form HOST1:PORT1,HOST2:PORT2,...' },
    { name: 'broker-list', argName: 'HOST1:PORT1[,HOST2:PORT2[...]]', description: 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. Comma-separated list of Kafka brokers in the form HOST1:PORT1,HOST2:PORT2,...' },
    { name: 'command-config', argName: 'CONFIG-FILE', description: 'Config properties file (config options shared with command line parameters will be overridden).' },
    { name: 'help', description: 'show this help message and exit' },
    { name: 'max-messages', argName: 'MAX-MESSAGES', description: 'Produce this many messages. If -1, produce messages until the process is killed externally.', defaultText: '-1' },
    { name: 'message-create-time', argName: 'CREATE-TIME', description: 'Send messages with creation time starting at the arguments value, in milliseconds since epoch', defaultText: '-1' },
    { name: 'producer.config', argName: 'CONFIG_FILE', description: 'Producer config properties file.' },
    {
      name: 'repeating-keys',
      argName: 'REPEATING-KEYS',
      description: 'If specified, each produced record will have a key starting at 0 increment by 1 up to the number specified (exclusive), then the key is set to 0 again',
    },
    { name: 'throughput', argName: 'THROUGHPUT', description: 'If set >= 0, throttle maximum message throughput to *approximately* THROUGHPUT messages/sec.', defaultText: '-1' },
    { name: 'topic', argName: 'TOPIC', description: 'Produce messages to this topic.' },
    { name: 'value-prefix', argName: 'VALUE-PREFIX', description: 'If specified, each produced value will have this prefix with a dot separator' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

/** How many unthrottled sends run before yielding to the event loop (delivery reports, signals). */
const SENDS_PER_TURN = 256;

/** The properties the producer runs with: Kafka's fixed ones, then the config file over them. */
function producerProps(args: ParsedArgs, acks: number): Record<string, string> {
  if (args.has('producer.config') && args.has('command-config')) throw new UsageError('Options --producer.config and --command-config are mutually exclusive.');
  const file = args.get('producer.config') ?? args.get('command-config');
  let fromFile: Record<string, string> = {};
  if (file !== undefined) {
    try {
      fromFile = loadPropertiesFile(file);
      validateClientProps(fromFile, file);
    } catch (e) {
      if (e instanceof ConfigFileError) throw new UsageError(e.message);
      throw e;
    }
  }
  return { acks: String(acks), retries: '0', ...fromFile };
}

async function main(args: ParsedArgs): Promise<number> {
  const common = commonArgs(args, spec);
  if (common === null) return 0;
  const { topic, bootstrap, maxMessages } = common;
  const throughput = intArg(args, 'throughput', -1);
  const acks = intArg(args, 'acks', -1);
  if (![0, 1, -1].includes(acks)) throw new UsageError(`argument --acks: invalid choice: '${acks}' (choose from {0,1,-1})`);
  const createTimeArg = intArg(args, 'message-create-time', -1);
  const valuePrefix = intArg(args, 'value-prefix', null);
  const repeatingKeys = intArg(args, 'repeating-keys', null);
  if (repeatingKeys !== null && repeatingKeys <= 0) throw new UsageError(`argument --repeating-keys: must be at least 1, got ${repeatingKeys}`);
  const props = producerProps(args, acks);
  const warn = (m: string): void => logLine('WARN', m, 'org.apache.kafka.clients.producer.KafkaProducer');
  const popts = producerOptionsFromProps(props, warn);
  const client = await connect(props, bootstrap, 'verifiable-producer');
  if (client === null) return 1;
  const producer = new Producer(client, popts);

  let stop = false;
  let wakeStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wakeStop = resolve));
  onStopSignal(() => {
    stop = true;
    wakeStop();
  });

  let sent = 0;
  let acked = 0;
  let keyCounter = 0;
  let createTime = createTimeArg === -1 ? null : createTimeArg;
  const startMs = Date.now();
  event('startup_complete');
  const limit = maxMessages < 0 ? Number.MAX_SAFE_INTEGER : maxMessages;
  for (let i = 0; i < limit && !stop; i++) {
    let key: string | null = null;
    if (repeatingKeys !== null) {
      key = String(keyCounter++);
      if (keyCounter === repeatingKeys) keyCounter = 0;
    }
    const value = valuePrefix === null ? String(i) : `${valuePrefix}.${i}`;
    const timestampMs = createTime ?? undefined;
    if (createTime !== null) createTime += Date.now() - startMs;
    sent++;
    const accepted = producer.send({ topic, key, value, timestampMs }, (e, meta) => {
      if (e === null && meta !== null) {
        acked++;
        event('producer_send_success', { key, value, topic: meta.topic, partition: meta.partition, offset: meta.offset });
      } else {
        event('producer_send_error', { key, value, topic, exception: `class ${exceptionName(e)}`, message: messageOf(e) });
      }
    });
    if (!accepted) await Promise.race([producer.waitForCapacity(), stopped]);
    if (throughput === 0) {
      await stopped; // Kafka's throttler never lets a zero target send again
    } else if (throughput > 0) {
      const dueMs = startMs + ((i + 1) * 1000) / throughput;
      const waitMs = dueMs - Date.now();
      if (waitMs > 0) await Promise.race([new Promise((r) => setTimeout(r, waitMs)), stopped]);
    } else if (i % SENDS_PER_TURN === SENDS_PER_TURN - 1) {
      await new Promise((r) => setImmediate(r));
    }
  }
  try {
    await producer.close();
  } finally {
    await client.close();
  }
  event('shutdown_complete');
  const elapsedMs = Math.max(Date.now() - startMs, 1);
  event('tool_data', { sent, acked, target_throughput: throughput, avg_throughput: (1000 * acked) / elapsedMs });
  return 0;
}

await runTool(spec, main);
