/**
 * kafka-transactions: the transactional state of producers, with Kafka 3.x's commands, flags,
 * table output and messages (TransactionsCommand, KIP-664). Kafka builds it on argparse4j with
 * subcommands, so errors read `kafka-transactions: error: argument --topic is required`:
 *   --bootstrap-server h:p [--command-config f] COMMAND
 *   list                                  TransactionalId / Coordinator / ProducerId / TransactionState
 *   describe --transactional-id id        CoordinatorId … TopicPartitions of one transactional id
 *   describe-producers --topic t --partition p [--broker-id b]
 *   abort --topic t --partition p (--start-offset o | --producer-id i --producer-epoch e --coordinator-epoch c)
 *   find-hanging (--broker-id b | --topic t [--partition p]) [--max-transaction-timeout minutes]
 * Tables are Kafka's: columns padded to the widest cell, each followed by a tab. A failed request
 * prints `<what failed>: <message>. Enable debug logging for additional detail.` and exits 1.
 * Differences: the global options may also follow the command (argparse4j wants them first), and
 * options of another command are refused with argparse's "unrecognized arguments".
 */
import { KafkaClient } from '../client/client.js';
import { KafkaError } from '../client/errors.js';
import { abortTransaction, describeProducers, describeProducersOf, describeTransaction, listTransactions, type AbortSpec, type ProducerState } from '../client/txn-admin.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { adminClientOptions, err, messageOf, out, reportFailure, runTool, SAMSA_VERSION, ToolExit } from './tool/common.js';

const TOOL = 'kafka-transactions';
const DESCRIPTION = 'This tool is used to analyze the transactional state of producers in the cluster. It can be used to detect and recover from hanging transactions.';
/** Partitions per DescribeProducers round in find-hanging (Kafka batches by 500 too). */
const FIND_HANGING_BATCH = 500;

type ArgType = 'String' | 'Integer' | 'Long' | 'Short';

interface CommandArg {
  name: string;
  type: ArgType;
  help: string;
  required?: boolean;
}

interface Command {
  name: string;
  help: string;
  args: CommandArg[];
  run(client: KafkaClient, args: ParsedArgs): Promise<void>;
}

const GLOBAL_OPTIONS = ['bootstrap-server', 'command-config', 'help', 'version'];

const topicArg = (help = 'topic name', required = true): CommandArg => ({ name: 'topic', type: 'String', help, required });
const partitionArg: CommandArg = { name: 'partition', type: 'Integer', help: 'partition number' };

const commands: Command[] = [
  { name: 'list', help: 'list transactions', args: [], run: runList },
  {
    name: 'describe',
    help: 'describe the state of an active transactional-id',
    args: [{ name: 'transactional-id', type: 'String', help: 'transactional id', required: true }],
    run: runDescribe,
  },
  {
    name: 'describe-producers',
    help: 'describe the states of active producers for a topic partition',
    args: [{ name: 'broker-id', type: 'Integer', help: 'optional broker id to describe the producer state on a specific replica' }, topicArg(), { ...partitionArg, required: true }],
    run: runDescribeProducers,
  },
  {
    name: 'abort',
    help: 'abort a hanging transaction (requires administrative privileges)',
    args: [
      topicArg(),
      { ...partitionArg, required: true },
      { name: 'start-offset', type: 'Long', help: 'start offset of the transaction to abort (brokers on 3.0 and above)' },
      { name: 'producer-id', type: 'Long', help: 'producer id (older brokers: with --producer-epoch and --coordinator-epoch)' },
      { name: 'producer-epoch', type: 'Short', help: 'producer epoch' },
      { name: 'coordinator-epoch', type: 'Integer', help: 'coordinator epoch' },
    ],
    run: runAbort,
  },
  {
    name: 'find-hanging',
    help: 'find hanging transactions',
    args: [
      { name: 'broker-id', type: 'Integer', help: 'broker id to search for hanging transactions' },
      { name: 'max-transaction-timeout', type: 'Integer', help: 'maximum transaction timeout in minutes to limit the scope of the search (default: 15)' },
      topicArg('topic name to limit search to', false),
      partitionArg,
    ],
    run: runFindHanging,
  },
];

const spec: ToolSpec = {
  name: TOOL,
  summary: DESCRIPTION,
  errorStyle: 'argparse',
  options: [
    { name: 'bootstrap-server', argName: 'host:port', description: 'hostname and port for the broker to connect to, in the form `host:port` (multiple comma-separated entries can be given)' },
    { name: 'command-config', argName: 'FILE', description: 'property file containing configs to be passed to admin client' },
    { name: 'help', description: 'show this help message and exit' },
    { name: 'version', description: 'show the version of this Kafka distribution and exit' },
    ...[...new Map(commands.flatMap((c) => c.args).map((a) => [a.name, a])).values()].map((a) => ({ name: a.name, argName: a.name.toUpperCase().replace(/-/g, '_'), description: a.help })),
  ],
};

// ------------------------------------------------------------------------------- help and arguments

function pad(left: string, text: string): string {
  return left.length >= 23 ? `${left}\n${' '.repeat(25)}${text}\n` : `${left.padEnd(25)}${text}\n`;
}

function mainHelp(): string {
  let s = `usage: ${TOOL} [-h] [-v] [--command-config FILE] --bootstrap-server host:port COMMAND ...\n\n${DESCRIPTION}\n\noptional arguments:\n`;
  s += pad('  -h, --help', 'show this help message and exit');
  s += pad('  -v, --version', 'show the version of this Kafka distribution and exit');
  s += pad('  --command-config FILE', 'property file containing configs to be passed to admin client');
  s += pad('  --bootstrap-server host:port', 'hostname and port for the broker to connect to, in the form `host:port` (multiple comma-separated entries can be given)');
  s += '\ncommands:\n  COMMAND\n';
  for (const c of commands) s += pad(`    ${c.name}`, c.help);
  return s;
}

function commandHelp(c: Command): string {
  const usage = c.args.map((a) => (a.required ? `--${a.name} ${metavar(a)}` : `[--${a.name} ${metavar(a)}]`)).join(' ');
  let s = `usage: ${TOOL} ${c.name} [-h]${usage ? ` ${usage}` : ''}\n\noptional arguments:\n`;
  s += pad('  -h, --help', 'show this help message and exit');
  for (const a of c.args) s += pad(`  --${a.name} ${metavar(a)}`, a.help);
  return s;
}

function metavar(a: CommandArg): string {
  return a.name.toUpperCase().replace(/-/g, '_');
}

const RANGES: Record<Exclude<ArgType, 'String'>, [bigint, bigint]> = {
  Integer: [-(2n ** 31n), 2n ** 31n - 1n],
  Long: [-(2n ** 63n), 2n ** 63n - 1n],
  Short: [-(2n ** 15n), 2n ** 15n - 1n],
};

/** A numeric argument as argparse4j converts it; null when absent. */
function numArg(args: ParsedArgs, name: string, type: Exclude<ArgType, 'String'>): bigint | null {
  const v = args.get(name);
  if (v === undefined) return null;
  const [min, max] = RANGES[type];
  if (!/^-?\d+$/.test(v) || BigInt(v) < min || BigInt(v) > max) {
    throw new UsageError(`argument --${name}: could not convert '${v}' to ${type} (For input string: "${v}")`);
  }
  return BigInt(v);
}

function intOf(args: ParsedArgs, name: string): number | null {
  const v = numArg(args, name, 'Integer');
  return v === null ? null : Number(v);
}

/** The command named on the line, after checking its arguments the way argparse4j would. */
function chooseCommand(args: ParsedArgs): Command {
  const [name, ...extra] = args.positional;
  if (name === undefined) throw new UsageError('too few arguments');
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`argument COMMAND: invalid choice: '${name}' (choose from ${commands.map((c) => `'${c.name}'`).join(', ')})`);
  const foreign = [...args.values.keys()].filter((k) => !GLOBAL_OPTIONS.includes(k) && !command.args.some((a) => a.name === k));
  if (extra.length > 0 || foreign.length > 0) throw new UsageError(`unrecognized arguments: '${[...foreign.map((k) => `--${k}`), ...extra].join(' ')}'`);
  for (const a of command.args) {
    if (a.required && !args.has(a.name)) throw new UsageError(`argument --${a.name} is required`);
    if (a.type !== 'String') numArg(args, a.name, a.type);
  }
  if (args.get('bootstrap-server') === undefined) throw new UsageError('argument --bootstrap-server is required');
  return command;
}

/** Kafka's printErrorAndExit: the message (and the cause's), on stderr, exit 1. */
function fail(message: string, cause?: unknown): never {
  err(cause === undefined ? `${message}\n` : `${message}: ${messageOf(cause)}. Enable debug logging for additional detail.\n`);
  throw new ToolExit(1);
}

/** Kafka's prettyPrintTable: each column padded to its widest cell, then a tab. */
function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (row: string[]): string => `${row.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join('')}\n`;
  out([headers, ...rows].map(line).join(''));
}

// ------------------------------------------------------------------------------- commands

async function runList(client: KafkaClient): Promise<void> {
  let byBroker;
  try {
    byBroker = await listTransactions(client);
  } catch (e) {
    fail('Failed to list transactions', e);
  }
  const rows: string[][] = [];
  for (const [brokerId, listings] of byBroker) {
    for (const l of listings) rows.push([l.transactionalId, String(brokerId), String(l.producerId), l.state]);
  }
  printTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows);
}

async function runDescribe(client: KafkaClient, args: ParsedArgs): Promise<void> {
  const transactionalId = args.get('transactional-id')!;
  let d;
  try {
    d = await describeTransaction(client, transactionalId);
  } catch (e) {
    fail(`Failed to describe transaction state of transactional-id \`${transactionalId}\``, e);
  }
  const started = d.transactionStartTimeMs >= 0;
  printTable(
    ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
    [
      [
        String(d.coordinatorId),
        transactionalId,
        String(d.producerId),
        String(d.producerEpoch),
        d.state,
        String(d.transactionTimeoutMs),
        started ? String(d.transactionStartTimeMs) : 'None',
        started ? String(Date.now() - d.transactionStartTimeMs) : 'None',
        d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(','),
      ],
    ],
  );
}

async function runDescribeProducers(client: KafkaClient, args: ParsedArgs): Promise<void> {
  const topic = args.get('topic')!;
  const partition = intOf(args, 'partition')!;
  const brokerId = intOf(args, 'broker-id');
  let producers: ProducerState[];
  try {
    producers = await describeProducers(client, topic, partition, brokerId);
  } catch (e) {
    fail(`Failed to describe producers for partition ${topic}-${partition} on ${brokerId === null ? 'leader' : `broker ${brokerId}`}`, e);
  }
  printTable(
    ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
    producers.map((p) => [
      String(p.producerId),
      String(p.producerEpoch),
      String(p.coordinatorEpoch),
      String(p.lastSequence),
      String(p.lastTimestampMs),
      p.currentTxnStartOffset >= 0 ? String(p.currentTxnStartOffset) : 'None',
    ]),
  );
}

function describeSpec(s: AbortSpec): string {
  return `AbortTransactionSpec(topicPartition=${s.topic}-${s.partition}, producerId=${s.producerId}, producerEpoch=${s.producerEpoch}, coordinatorEpoch=${s.coordinatorEpoch})`;
}

async function runAbort(client: KafkaClient, args: ParsedArgs): Promise<void> {
  const topic = args.get('topic')!;
  const partition = intOf(args, 'partition')!;
  const startOffset = numArg(args, 'start-offset', 'Long');
  const producerId = numArg(args, 'producer-id', 'Long');
  if (startOffset === null && producerId === null) {
    fail(
      'The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)',
    );
  }
  let abortSpec: AbortSpec;
  if (startOffset === null) {
    const producerEpoch = numArg(args, 'producer-epoch', 'Short');
    if (producerEpoch === null) fail('Missing required argument --producer-epoch');
    const coordinatorEpoch = intOf(args, 'coordinator-epoch');
    if (coordinatorEpoch === null) fail('Missing required argument --coordinator-epoch');
    // -1 (no marker seen yet, as DescribeProducers shows it): 0 is at most any real coordinator epoch.
    abortSpec = { topic, partition, producerId: producerId!, producerEpoch: Number(producerEpoch), coordinatorEpoch: Math.max(0, coordinatorEpoch) };
  } else {
    let producers: ProducerState[];
    try {
      producers = await describeProducers(client, topic, partition);
    } catch (e) {
      fail(`Failed to validate producer state for partition ${topic}-${partition}`, e);
    }
    const found = producers.find((p) => p.currentTxnStartOffset >= 0 && BigInt(p.currentTxnStartOffset) === startOffset);
    if (!found) fail(`Could not find any open transactions starting at offset ${startOffset} on partition ${topic}-${partition}`);
    abortSpec = { topic, partition, producerId: found.producerId, producerEpoch: found.producerEpoch, coordinatorEpoch: Math.max(0, found.coordinatorEpoch) };
  }
  try {
    await abortTransaction(client, abortSpec);
  } catch (e) {
    fail(`Failed to abort transaction ${describeSpec(abortSpec)}`, e);
  }
}

async function runFindHanging(client: KafkaClient, args: ParsedArgs): Promise<void> {
  const brokerId = intOf(args, 'broker-id');
  const topic = args.get('topic') ?? null;
  const partition = intOf(args, 'partition');
  if (topic === null && brokerId === null) fail('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search');
  if (partition !== null && topic === null) fail('The --partition argument requires --topic to be provided');
  const maxTimeoutMs = (intOf(args, 'max-transaction-timeout') ?? 15) * 60_000;

  // The partitions to search: one, a topic's, or every partition with a replica on --broker-id.
  let partitions: Array<{ topic: string; partition: number }>;
  if (topic !== null && partition !== null) partitions = [{ topic, partition }];
  else {
    let md;
    try {
      md = await client.refreshMetadata(topic === null ? null : [topic]);
    } catch (e) {
      fail(topic === null ? 'Failed to list topics' : 'Failed to describe 1 topics', e);
    }
    partitions = [];
    for (const t of md.topics.values()) {
      if (t.errorCode !== ErrorCode.NONE) fail(`Failed to describe 1 topics`, new KafkaError(t.errorCode));
      for (const p of t.partitions) if (brokerId === null || p.replicas.includes(brokerId)) partitions.push({ topic: t.name, partition: p.partition });
    }
  }

  const nowMs = Date.now();
  const candidates: Array<{ topic: string; partition: number; producer: ProducerState }> = [];
  for (let i = 0; i < partitions.length; i += FIND_HANGING_BATCH) {
    const chunk = partitions.slice(i, i + FIND_HANGING_BATCH);
    let results;
    try {
      results = await describeProducersOf(client, chunk, brokerId);
    } catch (e) {
      fail(`Failed to describe producers for ${chunk.length} partitions on broker ${brokerId ?? 'leader'}`, e);
    }
    for (const r of results) {
      if (r.error !== null) fail(`Failed to describe producers for ${chunk.length} partitions on broker ${brokerId ?? 'leader'}`, r.error);
      for (const p of r.producers) if (p.currentTxnStartOffset >= 0 && nowMs - p.lastTimestampMs > maxTimeoutMs) candidates.push({ topic: r.topic, partition: r.partition, producer: p });
    }
  }

  const hanging: typeof candidates = [];
  if (candidates.length > 0) {
    const producerIds = [...new Set(candidates.map((c) => c.producer.producerId))];
    const transactionalIds = new Map<bigint, string>();
    try {
      for (const listings of (await listTransactions(client, { producerIds })).values()) {
        for (const l of listings) if (producerIds.includes(l.producerId)) transactionalIds.set(l.producerId, l.transactionalId);
      }
    } catch (e) {
      fail(`Failed to list transactions for ${producerIds.length} producers`, e);
    }
    const described = new Map<string, Set<string> | null>();
    for (const id of new Set(transactionalIds.values())) {
      try {
        const d = await describeTransaction(client, id);
        described.set(id, new Set(d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`)));
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) described.set(id, null);
        else fail(`Failed to describe ${transactionalIds.size} transactions`, e);
      }
    }
    // Hanging: no transactional id owns the producer any more, or its coordinator no longer counts
    // the partition in the transaction (it will never write a marker there).
    for (const c of candidates) {
      const id = transactionalIds.get(c.producer.producerId);
      const inTxn = id === undefined ? null : described.get(id);
      if (!inTxn || !inTxn.has(`${c.topic}-${c.partition}`)) hanging.push(c);
    }
  }
  printTable(
    ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'],
    hanging.map((h) => [
      h.topic,
      String(h.partition),
      String(h.producer.producerId),
      String(h.producer.producerEpoch),
      String(h.producer.coordinatorEpoch),
      String(h.producer.currentTxnStartOffset),
      String(h.producer.lastTimestampMs),
      String(Math.floor((nowMs - h.producer.lastTimestampMs) / 60_000)),
    ]),
  );
}

// ------------------------------------------------------------------------------- main

async function main(args: ParsedArgs): Promise<number> {
  const command = chooseCommand(args);
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient(await adminClientOptions(args, 'samsa-transactions'));
    await command.run(client, args);
    return 0;
  } catch (e) {
    if (e instanceof ToolExit) throw e;
    // Reaching the cluster failed (or a config/bootstrap error): one line, as the other tools print it.
    return reportFailure(e, []);
  } finally {
    await client?.close();
  }
}

// --help and --version are answered before main: the main help, or the named command's.
const argv = process.argv.slice(2);
const asksHelp = argv.some((a) => a === '-h' || a === '--help');
const named = commands.find((c) => argv.includes(c.name));
const early = asksHelp ? (named ? commandHelp(named) : mainHelp()) : argv.some((a) => a === '-v' || a === '--version') ? `${SAMSA_VERSION} (Samsa)\n` : null;
if (early !== null) {
  out(early);
  await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  process.exit(0);
}
await runTool(spec, main);
