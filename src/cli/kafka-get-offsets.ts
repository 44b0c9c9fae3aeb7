/**
 * kafka-get-offsets: topic-partition offsets, with Kafka 3.5+'s flags and output (GetOffsetShell):
 *   --bootstrap-server h:p (or the old --broker-list) [--topic REGEX] [--partitions 0,1]
 *   [--topic-partitions 't1:0,t2:0-3,t3:5-,t4:-3,t5'] [--time -1|latest|-2|earliest|-3|max-timestamp|<ms>]
 *   [--exclude-internal-topics] [--command-config f]
 * prints one `topic:partition:offset` line per partition, sorted by the "topic-partition" string as
 * Kafka does (so t-10 comes before t-2). Partitions without an answer (a timestamp after the last
 * record) print nothing. A partition that fails prints `Skip getting offsets for topic-partition t-0
 * due to error: …` on stderr and the others still print; anything fatal prints `Error occurred: …`
 * on stderr and exits 1. Topic patterns are regular expressions matched against the whole name.
 */
import { Admin } from '../client/admin.js';
import { KafkaClient } from '../client/client.js';
import { KafkaError } from '../client/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, type OffsetAnswer, type OffsetQuery } from '../client/offsets.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { adminClientOptions, err, exceptionName, messageOf, out, runTool } from './tool/common.js';

const TIME_HELP = '<timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered';

const spec: ToolSpec = {
  name: 'kafka-get-offsets',
  summary: 'An interactive shell for getting topic-partition offsets.',
  options: [
    { name: 'bootstrap-server', argName: 'String: HOST1:PORT1,...,HOST3:PORT3', description: 'REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.' },
    { name: 'broker-list', argName: 'String: HOST1:PORT1,...,HOST3:PORT3', description: 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.' },
    { name: 'command-config', argName: 'String: config file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'exclude-internal-topics', description: 'By default, internal topics are included. If specified, internal topics are excluded.' },
    { name: 'help', description: 'Print usage information.' },
    {
      name: 'partitions',
      argName: 'String: partition ids',
      description: 'Comma separated list of partition ids to get the offsets for. If not present, all partitions of the authorized topics are queried. Cannot be used if --topic-partitions is present.',
    },
    {
      name: 'time',
      argName: `String: ${TIME_HELP}`,
      description: 'timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than recently committed record timestamp is given.]',
      defaultText: 'latest',
    },
    {
      name: 'topic',
      argName: 'String: topic',
      description: 'The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized topics are queried. Cannot be used if --topic-partitions is present.',
    },
    {
      name: 'topic-partitions',
      argName: 'String: topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3',
      description:
        "Comma separated list of topic-partition patterns to get the offsets for, with the format of '([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?'. The first group is an optional regex for the topic name, if omitted, it matches any topic name. The section after ':' describes a 'partition' pattern, which can be: a number, a range in the format of 'NUMBER-NUMBER' (lower inclusive, upper exclusive), an inclusive lower bound in the format of 'NUMBER-', an exclusive upper bound in the format of '-NUMBER' or may be omitted to accept all partitions.",
    },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

/** Kafka's TerseException: printed as `Error occurred: <message>`, exit 1. */
class CommandError extends Error {}

/** A rule: topic regex plus a partition test. A partition is wanted when any rule accepts it. */
interface Rule {
  topic: RegExp;
  partition: (p: number) => boolean;
}

/** Kafka's IncludeList: commas mean "or", spaces and surrounding quotes are dropped, the whole name must match. */
function includeList(pattern: string): RegExp {
  const normalized = pattern.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${normalized})$`);
  } catch {
    throw new CommandError(`${normalized} is an invalid regex.`);
  }
}

const RULE_PATTERN = /^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$/;
const INT32_MAX = 2_147_483_647;

function parseRule(spec: string): Rule {
  const m = RULE_PATTERN.exec(spec);
  if (!m) throw new CommandError(`Invalid rule specification: ${spec}`);
  const group = (i: number): string | null => (m[i] !== undefined && m[i] !== '' ? m[i]! : null);
  const topic = includeList(group(1) ?? '.*');
  if (group(2) !== null) {
    const only = Number(group(2));
    return { topic, partition: (p) => p === only };
  }
  const lower = group(3) !== null ? Number(group(3)) : 0;
  const upper = group(4) !== null ? Number(group(4)) : INT32_MAX;
  return { topic, partition: (p) => p >= lower && p < upper };
}

function rulesOf(args: ParsedArgs): Rule[] {
  if (args.has('topic-partitions')) return args.get('topic-partitions')!.split(',').map(parseRule);
  const topic = includeList(args.get('topic') ?? '.*');
  const text = args.get('partitions') ?? '';
  if (text === '') return [{ topic, partition: () => true }];
  const ids = text.split(',').map((s) => {
    if (!/^\s*-?\d+\s*$/.test(s)) throw new CommandError(`--partitions expects a comma separated list of numeric partition ids, but received: ${text}`);
    return Number(s);
  });
  const set = new Set(ids);
  return [{ topic, partition: (p) => set.has(p) }];
}

/** --time: the words, -1/-2/-3 (and -4/-5, which without tiered storage mean earliest / nothing), or a timestamp. */
function timestampOf(text: string): number | null {
  const words: Record<string, number | null> = {
    latest: LATEST_TIMESTAMP,
    earliest: EARLIEST_TIMESTAMP,
    'max-timestamp': MAX_TIMESTAMP,
    'earliest-local': EARLIEST_TIMESTAMP,
    'latest-tiered': null,
  };
  if (text in words) return words[text]!;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new CommandError(`Malformed time argument ${text}. Please use ${TIME_HELP.replace('<timestamp> / ', '')}, or a specified long format timestamp`);
  }
  const n = Number(text);
  if (n === -4) return EARLIEST_TIMESTAMP;
  if (n === -5) return null;
  return n;
}

function tpName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Offsets for every query; a partition whose lookup fails is reported and left out, as Kafka does. */
async function lookUp(admin: Admin, queries: OffsetQuery[]): Promise<OffsetAnswer[]> {
  try {
    return await admin.listOffsets(queries);
  } catch (e) {
    if (!(e instanceof KafkaError)) throw e;
  }
  // One of them failed: ask one by one to name the failing partitions and keep the others.
  const answers: OffsetAnswer[] = [];
  for (const q of queries) {
    try {
      answers.push(...(await admin.listOffsets([q])));
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      err(`Skip getting offsets for topic-partition ${tpName(q.topic, q.partition)} due to error: ${exceptionName(e)}: ${e.message}\n`);
    }
  }
  return answers;
}

async function main(args: ParsedArgs): Promise<number> {
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  if (!args.has('bootstrap-server') && !args.has('broker-list')) throw new UsageError('Missing required argument "[bootstrap-server]"');
  let client: KafkaClient | undefined;
  try {
    if (args.has('topic-partitions') && (args.has('topic') || args.has('partitions'))) {
      throw new CommandError('--topic-partitions cannot be used with --topic or --partitions');
    }
    const timestamp = timestampOf(args.get('time') ?? 'latest');
    const rules = rulesOf(args);
    const excludeInternal = args.has('exclude-internal-topics');
    client = new KafkaClient(await adminClientOptions(args, 'GetOffsetShell', { brokerListOption: true }));
    const admin = new Admin(client);
    const names = (await admin.listTopics({ includeInternal: !excludeInternal })).filter((t) => rules.some((r) => r.topic.test(t)));
    const topics = names.length === 0 ? [] : await admin.describeTopics(names);
    const queries: OffsetQuery[] = [];
    for (const t of topics) {
      if (excludeInternal && t.isInternal) continue;
      for (const p of t.partitions) {
        if (rules.some((r) => r.topic.test(t.name) && r.partition(p.partition))) queries.push({ topic: t.name, partition: p.partition, timestamp: timestamp ?? LATEST_TIMESTAMP });
      }
    }
    if (queries.length === 0) throw new CommandError('Could not match any topic-partitions with the specified filters');
    if (timestamp === null) return 0; // latest-tiered: nothing is tiered, so no partition has an offset
    const answers = (await lookUp(admin, queries)).filter((a) => a.offset >= 0);
    answers.sort((a, b) => {
      const x = tpName(a.topic, a.partition);
      const y = tpName(b.topic, b.partition);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    if (answers.length > 0) out(answers.map((a) => `${a.topic}:${a.partition}:${a.offset}\n`).join(''));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    err(`Error occurred: ${messageOf(e)}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
