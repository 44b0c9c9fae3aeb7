/**
 * kafka-console-producer: one record per line of standard input, with Kafka 3.x's flags
 * (--bootstrap-server or the old --broker-list, --property parse.key/key.separator/...,
 * --producer-property, --producer.config, --compression-codec, --request-required-acks, --sync, ...).
 *
 * Piped input is read in chunks and produced in batches (the producer's linger/batch size), with
 * backpressure: reading pauses while the producer's buffer is full. On a terminal a `>` prompt is
 * shown before each line, as Kafka does. Every delivery failure is logged on stderr; the exit code
 * is 1 if any record was not acknowledged, else 0.
 */
import { KafkaClient } from '../client/client.js';
import { ConnectionError } from '../client/errors.js';
import { Producer, type ProducerOptions, type ProducerRecord } from '../client/producer.js';
import type { RecordHeader } from '../client/records.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { producerOptionsFromProps } from './tool/client-props.js';
import {
  clientSettings,
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

const LOGGER = 'org.apache.kafka.clients.producer.internals.ErrorLoggingCallback';

const spec: ToolSpec = {
  name: 'kafka-console-producer',
  summary: 'This tool helps to read data from standard input and publish it to Kafka.',
  options: [
    { name: 'batch-size', argName: 'Integer: size', description: 'Number of messages to send in a single batch if they are not being sent synchronously.', defaultText: '16384' },
    { name: 'bootstrap-server', argName: 'String: server to connect to', description: 'REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.' },
    { name: 'broker-list', argName: 'String: broker-list', description: 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. The broker list string in the form HOST1:PORT1,HOST2:PORT2.' },
    {
      name: 'compression-codec',
      kind: 'optional',
      argName: 'String: compression-codec',
      impliedValue: 'gzip',
      description: "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without value, then it defaults to 'gzip'",
    },
    { name: 'help', description: 'Print usage information.' },
    { name: 'line-reader', argName: 'String: reader_class', description: 'Not supported by Samsa: lines are always read as text (kafka.tools.LineMessageReader behaviour).' },
    { name: 'max-block-ms', argName: 'Long: max block on send', description: 'The max time that the producer will block for during a send request.', defaultText: '60000' },
    { name: 'max-memory-bytes', argName: 'Long: total memory in bytes', description: 'The total memory used by the producer to buffer records waiting to be sent to the server.', defaultText: '33554432' },
    { name: 'max-partition-memory-bytes', argName: 'Long: memory in bytes per partition', description: 'The buffer size allocated for a partition (the batch size).', defaultText: '16384' },
    { name: 'message-send-max-retries', argName: 'Integer', description: 'Brokers can fail receiving the message for multiple reasons; this is the number of retries before the producer gives up and drops this message.', defaultText: '3' },
    { name: 'metadata-expiry-ms', argName: 'Long: metadata expiration interval', description: 'Accepted for compatibility; metadata is refreshed whenever a leader moves.', defaultText: '300000' },
    { name: 'producer-property', argName: 'String: producer_prop', multiple: true, description: 'A mechanism to pass user-defined properties in the form key=value to the producer.' },
    { name: 'producer.config', argName: 'String: config file', description: 'Producer config properties file. Note that [producer-property] takes precedence over this config.' },
    {
      name: 'property',
      argName: 'String: prop',
      multiple: true,
      description:
        'A mechanism to pass user-defined properties in the form key=value to the message reader: parse.key (default false), key.separator (default \\t), ignore.error (default false), parse.headers (default false), headers.delimiter (default \\t), headers.separator (default ,), headers.key.separator (default :), null.marker.',
    },
    { name: 'reader-config', argName: 'String: config file', description: 'Config properties file for the message reader. Note that [property] takes precedence over this config.' },
    { name: 'request-required-acks', argName: 'String: request required acks', description: 'The required `acks` of the producer requests', defaultText: '-1' },
    { name: 'request-timeout-ms', argName: 'Integer: request timeout ms', description: 'The ack timeout of the producer requests. Value must be non-negative and non-zero.', defaultText: '1500' },
    { name: 'retry-backoff-ms', argName: 'Long', description: 'Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata.', defaultText: '100' },
    { name: 'socket-buffer-size', argName: 'Integer: size', description: 'Accepted for compatibility; the operating system default is used.', defaultText: '102400' },
    { name: 'sync', description: 'If set message send requests to the brokers are synchronously, one at a time as they arrive.' },
    { name: 'timeout', argName: 'Long: timeout_ms', description: 'If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms.', defaultText: '5 (Kafka: 1000)' },
    { name: 'topic', argName: 'String: topic', description: 'REQUIRED: The topic id to produce messages to.' },
    { name: 'version', description: 'Display Kafka version.' },
    { name: 'zookeeper', argName: 'String: hosts', description: 'Samsa extension: find the brokers registered in this ZooKeeper (host:port[/chroot]) instead of naming them.' },
  ],
};

interface ReaderSettings {
  parseKey: boolean;
  keySeparator: string;
  ignoreError: boolean;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | undefined;
}

class LineError extends Error {}

function readerSettings(props: Record<string, string>): ReaderSettings {
  const bool = (k: string): boolean => (props[k] ?? 'false').trim().toLowerCase() === 'true';
  const settings: ReaderSettings = {
    parseKey: bool('parse.key'),
    keySeparator: props['key.separator'] ?? '\t',
    ignoreError: bool('ignore.error'),
    parseHeaders: bool('parse.headers'),
    headersDelimiter: props['headers.delimiter'] ?? '\t',
    headersSeparator: props['headers.separator'] ?? ',',
    headersKeySeparator: props['headers.key.separator'] ?? ':',
    nullMarker: props['null.marker'],
  };
  if (settings.keySeparator === '') throw new UsageError('key.separator must not be empty');
  return settings;
}

/** Turns one line into a record, as Kafka's LineMessageReader does. */
function parseLine(line: string, lineNumber: number, topic: string, r: ReaderSettings): ProducerRecord {
  let rest = line;
  let headers: RecordHeader[] | undefined;
  if (r.parseHeaders) {
    const i = rest.indexOf(r.headersDelimiter);
    if (i < 0) {
      if (!r.ignoreError) throw new LineError(`No headers delimiter found on line number ${lineNumber}: '${line}'`);
    } else {
      const text = rest.slice(0, i);
      rest = rest.slice(i + r.headersDelimiter.length);
      headers = [];
      if (text !== '') {
        for (const h of text.split(r.headersSeparator)) {
          const k = h.indexOf(r.headersKeySeparator);
          if (k < 0) headers.push({ key: h, value: null });
          else {
            const value = h.slice(k + r.headersKeySeparator.length);
            headers.push({ key: h.slice(0, k), value: r.nullMarker !== undefined && value === r.nullMarker ? null : value });
          }
        }
      }
    }
  }
  let key: string | null = null;
  let value: string | null = rest;
  if (r.parseKey) {
    const i = rest.indexOf(r.keySeparator);
    if (i < 0) {
      if (!r.ignoreError) throw new LineError(`No key separator found on line number ${lineNumber}: '${line}'`);
    } else {
      key = rest.slice(0, i);
      value = rest.slice(i + r.keySeparator.length);
    }
  }
  if (r.nullMarker !== undefined) {
    if (key === r.nullMarker) key = null;
    if (value === r.nullMarker) value = null;
  }
  return headers ? { topic, key, value, headers } : { topic, key, value };
}

/** Producer options: the tool's flags override the same keys of the property files. */
function producerOptions(args: ParsedArgs, props: Record<string, string>, warn: (m: string) => void): ProducerOptions {
  const merged = { ...props };
  const set = (key: string, value: string | number | undefined): void => {
    if (value !== undefined) merged[key] = String(value);
  };
  set('acks', args.get('request-required-acks'));
  set('compression.type', args.has('compression-codec') ? args.get('compression-codec') : undefined);
  set('batch.size', args.int('max-partition-memory-bytes', { min: 1 }) ?? args.int('batch-size', { min: 1 }));
  set('linger.ms', args.int('timeout', { min: 0 }));
  set('retries', args.int('message-send-max-retries', { min: 0 }));
  set('request.timeout.ms', args.int('request-timeout-ms', { min: 1 }));
  set('max.block.ms', args.int('max-block-ms', { min: 0 }));
  set('buffer.memory', args.int('max-memory-bytes', { min: 1 }));
  set('retry.backoff.ms', args.int('retry-backoff-ms', { min: 0 }));
  return producerOptionsFromProps(merged, warn);
}

async function main(args: ParsedArgs): Promise<number> {
  if (!args.has('topic')) throw new UsageError('Missing required argument "[topic]"');
  if (args.has('line-reader')) throw new UsageError('--line-reader is not supported by Samsa: lines are always read as text');
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  const topic = args.get('topic')!;
  let props: Record<string, string> = {};
  let readerProps: Record<string, string> = {};
  try {
    if (args.has('producer.config')) props = loadPropertiesFile(args.get('producer.config')!);
    for (const p of args.all('producer-property')) {
      const [k, v] = parseKeyValue(p, '--producer-property');
      props[k] = v;
    }
    validateClientProps(props, args.get('producer.config') ?? '--producer-property');
    if (args.has('reader-config')) readerProps = loadPropertiesFile(args.get('reader-config')!);
    for (const p of args.all('property')) {
      const [k, v] = parseKeyValue(p, '--property');
      readerProps[k] = v;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    logLine('ERROR', `Error loading the producer configuration: ${messageOf(e)}`, 'kafka.tools.ConsoleProducer$');
    return 1;
  }
  const reader = readerSettings(readerProps);
  const warn = (m: string): void => logLine('WARN', m, 'org.apache.kafka.clients.producer.KafkaProducer');
  const popts = producerOptions(args, props, warn);
  let bootstrap: string;
  try {
    bootstrap = await resolveBootstrap(args, { props, brokerListOption: true });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    logLine('ERROR', messageOf(e), 'kafka.tools.ConsoleProducer$');
    return 1;
  }
  const settings = clientSettings(props);
  const client = new KafkaClient({
      security: settings.security,
    bootstrapServers: bootstrap,
    clientId: settings.clientId ?? 'console-producer',
    connectTimeoutMs: settings.connectTimeoutMs ?? 5000,
    requestTimeoutMs: settings.requestTimeoutMs,
    startHint: START_HINT,
  });
  const producer = new Producer(client, popts);
  const sync = args.has('sync');
  const tty = process.stdin.isTTY === true;

  let failed = 0;
  let sent = 0;
  let fatal: Error | null = null;
  const onDelivery = (record: ProducerRecord) => (e: Error | null) => {
    if (!e) return;
    failed++;
    if (e instanceof ConnectionError && e.reason !== 'CLOSED') {
      // Nothing to send to: stop reading and say so once instead of once per line.
      fatal ??= e;
      return;
    }
    if (failed <= 20) {
      const keyText = record.key === null || record.key === undefined ? 'null' : `${Buffer.byteLength(record.key)} bytes`;
      const valueText = record.value === null ? 'null' : `${Buffer.byteLength(record.value)} bytes`;
      logLine('ERROR', `Error when sending message to topic ${topic} with key: ${keyText}, value: ${valueText} with error: ${messageOf(e)}`, LOGGER);
    }
  };

  let lineNumber = 0;
  let partial = '';
  const prompt = (): void => {
    if (tty) out('>');
  };

  const handleLine = async (raw: string): Promise<void> => {
    lineNumber++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const record = parseLine(line, lineNumber, topic, reader);
    sent++;
    if (sync) {
      await new Promise<void>((resolve) => producer.send(record, (e) => (onDelivery(record)(e), resolve())));
      await producer.flush();
    } else if (!producer.send(record, onDelivery(record))) {
      await producer.waitForCapacity();
    }
  };

  const stdin = process.stdin;
  stdin.setEncoding('utf8');
  let interrupted = false;
  await new Promise<void>((resolve) => {
    let busy = Promise.resolve();
    const finish = (): void => {
      busy = busy.then(async () => {
        if (partial !== '' && fatal === null) {
          const last = partial;
          partial = '';
          try {
            await handleLine(last);
          } catch (e) {
            fatal = e as Error;
          }
        }
        resolve();
      });
    };
    process.once('SIGINT', () => {
      interrupted = true;
      stdin.pause();
      finish();
    });
    prompt();
    stdin.on('data', (chunk: string) => {
      if (fatal !== null) return;
      const text = partial + chunk;
      const lines = text.split('\n');
      partial = lines.pop()!;
      stdin.pause();
      busy = busy.then(async () => {
        for (const l of lines) {
          if (fatal !== null) break;
          try {
            await handleLine(l);
          } catch (e) {
            fatal = e as Error;
            break;
          }
          if (tty) prompt();
        }
        if (fatal !== null) finish();
        else if (!interrupted) stdin.resume();
      });
    });
    stdin.on('end', finish);
    stdin.on('error', finish);
  });
  try {
    await producer.close();
  } finally {
    await client.close();
  }
  if (fatal !== null) {
    const f = fatal as Error;
    const text = f instanceof LineError || f instanceof ConnectionError ? f.message : `Error when reading input: ${messageOf(f)}`;
    logLine('ERROR', text, 'kafka.tools.ConsoleProducer$');
    return 1;
  }
  if (failed > 0) {
    if (failed > 20) logLine('ERROR', `${failed - 20} more messages failed (not shown)`, LOGGER);
    logLine('ERROR', `${failed} of ${sent} messages were not acknowledged by the broker`, 'kafka.tools.ConsoleProducer$');
    return 1;
  }
  return 0;
}

await runTool(spec, main);
