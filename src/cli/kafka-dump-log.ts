/**
 * kafka-dump-log: prints a partition's on-disk files offline, with Kafka 3.x's flags and output
 * (DumpLogSegments): `--files a.log,b.index,c.timeindex,d.snapshot,e.txnindex,leader-epoch-checkpoint`, each
 * introduced by `Dumping <file>`; `--print-data-log`, `--deep-iteration`, `--skip-record-metadata`,
 * `--offsets-decoder` (__consumer_offsets records as JSON), `--index-sanity-check`,
 * `--verify-index-only`, `--max-bytes`, `--max-message-size`, the StringDecoder key/value decoders.
 * Reads files only (no broker needed), through the broker's own storage code (see dump-log/).
 *
 * Exit codes: 0 when every file could be read (corrupt content is reported in Kafka's words:
 * "Found N invalid bytes at the end of …", index "Mismatches in :…", "Non-consecutive offsets in …",
 * printed after all files), 1 when a file is missing or unreadable, fails --index-sanity-check, or an
 * option is wrong or unsupported (one line on stderr, never a stack trace).
 */
import * as path from 'node:path';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { err, out, runTool } from './tool/common.js';
import { IndexFindings, dumpLeaderEpochCheckpoint, dumpOffsetIndex, dumpProducerSnapshot, dumpTimeIndex, dumpTxnIndex } from './dump-log/index-dump.js';
import { dumpLog, MAX_BYTES_UNLIMITED, type NonConsecutive } from './dump-log/log-dump.js';
import { DumpFileError } from './dump-log/segment-files.js';

const STRING_DECODER = 'kafka.serializer.StringDecoder';

const spec: ToolSpec = {
  name: 'kafka-dump-log',
  summary: 'This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.',
  options: [
    { name: 'cluster-metadata-decoder', description: 'if set, log data will be parsed as cluster metadata records. (Not supported by Samsa: its KRaft metadata log holds whole-state JSON records; --print-data-log shows them.)' },
    { name: 'deep-iteration', description: 'if set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.' },
    { name: 'files', argName: 'String: file1, file2, ...', description: 'REQUIRED: The comma separated list of data and index log files to be dumped.' },
    { name: 'help', description: 'Print usage information.' },
    {
      name: 'index-sanity-check',
      description: 'if set, just checks the index sanity without printing its content. This is the same check that is executed on broker startup to determine if an index needs rebuilding or not.',
    },
    { name: 'key-decoder-class', argName: 'String', description: 'if set, used to deserialize the keys. This class should implement kafka.serializer.Decoder trait. Custom jar should be available in kafka/libs directory.', defaultText: STRING_DECODER },
    { name: 'max-bytes', argName: 'Integer: size', description: 'Limit the amount of total batches read in bytes avoiding reading the whole .log file(s).', defaultText: String(MAX_BYTES_UNLIMITED) },
    { name: 'max-message-size', argName: 'Integer: size', description: 'Size of largest message.', defaultText: '5242880' },
    { name: 'offsets-decoder', description: 'if set, log data will be parsed as offset data from the __consumer_offsets topic.' },
    { name: 'print-data-log', description: 'if set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.' },
    { name: 'skip-record-metadata', description: 'whether to skip printing metadata for each record.' },
    { name: 'transaction-log-decoder', description: 'if set, log data will be parsed as transaction metadata from the __transaction_state topic. (Not supported by Samsa yet: use kafka-transactions describe.)' },
    { name: 'value-decoder-class', argName: 'String', description: 'if set, used to deserialize the messages. This class should implement kafka.serializer.Decoder trait. Custom jar should be available in kafka/libs directory.', defaultText: STRING_DECODER },
    { name: 'verify-index-only', description: 'if set, just verify the index log without printing its content.' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

function checkDecoder(args: ParsedArgs, option: string): void {
  const name = args.get(option);
  if (name === undefined || name === STRING_DECODER || name === 'StringDecoder') return;
  throw new UsageError(`--${option} ${name} is not supported by Samsa: only ${STRING_DECODER} (the default) is`);
}

function checkOptions(args: ParsedArgs): void {
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  if (!args.has('files')) throw new UsageError('Missing required argument "[files]"');
  checkDecoder(args, 'key-decoder-class');
  checkDecoder(args, 'value-decoder-class');
  if (args.has('transaction-log-decoder')) {
    throw new UsageError('--transaction-log-decoder is not supported yet: see a transaction\'s state with kafka-transactions --bootstrap-server HOST:PORT describe --transactional-id ID');
  }
  if (args.has('cluster-metadata-decoder')) {
    throw new UsageError('--cluster-metadata-decoder is not supported: Samsa\'s KRaft metadata log (__cluster_metadata-0) holds whole-state JSON records, not Kafka\'s metadata records; read them with --print-data-log');
  }
}

type Kind = 'log' | 'index' | 'timeindex' | 'snapshot' | 'txnindex' | 'epochs' | 'unknown';

function kindOf(file: string): Kind {
  const name = path.basename(file);
  if (name === 'leader-epoch-checkpoint') return 'epochs';
  const suffix: Record<string, Kind> = { '.log': 'log', '.index': 'index', '.timeindex': 'timeindex', '.snapshot': 'snapshot', '.txnindex': 'txnindex' };
  return suffix[path.extname(name)] ?? 'unknown';
}

async function main(args: ParsedArgs): Promise<number> {
  checkOptions(args);
  const files = args
    .get('files')!
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (files.length === 0) throw new UsageError('Option [files] requires at least one file name');
  const offsetsDecoder = args.has('offsets-decoder');
  const printData = args.has('print-data-log') || offsetsDecoder;
  const logOpts = {
    printData,
    deepIteration: args.has('deep-iteration') || printData,
    skipRecordMetadata: args.has('skip-record-metadata'),
    maxBytes: args.int('max-bytes', { min: 0 }) ?? MAX_BYTES_UNLIMITED,
    decoder: offsetsDecoder ? ('offsets' as const) : ('string' as const),
  };
  args.int('max-message-size', { min: 1 }); // accepted for compatibility: batches are always read whole
  const indexOpts = { sanityOnly: args.has('index-sanity-check'), verifyOnly: args.has('verify-index-only') };
  const findings = new IndexFindings();
  const nonConsecutive: NonConsecutive = new Map();
  let failed = false;
  for (const file of files) {
    out(`Dumping ${file}\n`);
    const absolutePath = path.resolve(file);
    try {
      switch (kindOf(file)) {
        case 'log':
          await dumpLog(file, absolutePath, logOpts, nonConsecutive);
          break;
        case 'index':
          if (!(await dumpOffsetIndex(file, absolutePath, indexOpts, findings))) failed = true;
          break;
        case 'timeindex':
          if (!(await dumpTimeIndex(file, absolutePath, indexOpts, findings))) failed = true;
          break;
        case 'snapshot':
          await dumpProducerSnapshot(file);
          break;
        case 'txnindex':
          await dumpTxnIndex(file);
          break;
        case 'epochs':
          await dumpLeaderEpochCheckpoint(file);
          break;
        case 'unknown':
          err(`Ignoring unknown file ${file}\n`);
          break;
      }
    } catch (e) {
      if (!(e instanceof DumpFileError)) throw e;
      err(`${e.message}\n`);
      failed = true;
    }
  }
  findings.print();
  const lines: string[] = [];
  for (const [file, pairs] of nonConsecutive) {
    lines.push(`Non-consecutive offsets in ${file}`);
    // Kafka keeps these newest first.
    for (const [first, second] of [...pairs].reverse()) lines.push(`  ${first} is followed by ${second}`);
  }
  if (lines.length > 0) err(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

await runTool(spec, main);
