/**
 * kafka-leader-election: leader election on demand, with Kafka 3.x's flags and output
 * (LeaderElectionCommand):
 *   --bootstrap-server h:p --election-type PREFERRED|UNCLEAN
 *   (--topic t --partition p | --all-topic-partitions | --path-to-json-file f)
 * prints `Successfully completed leader election (PREFERRED) for partitions t-0, …`,
 * `Valid replica already elected for partitions t-1, …` and, per failure,
 * `Error completing leader election (PREFERRED) for partition: t-2: <exception>: <message>`; any
 * failure ends with `N replica(s) could not be elected` on stderr and exit 1.
 * Sends one ElectLeaders request to the controller (retrying on NOT_CONTROLLER and lost
 * connections). See docs/CLI.md.
 */
import { readFileSync } from 'node:fs';
import { KafkaClient } from '../client/client.js';
import { KafkaError } from '../client/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { electLeadersApi, type ElectLeadersResponse } from '../protocol/messages/elect-leaders.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import {
  clientSettings,
  err,
  exceptionName,
  loadPropertiesFile,
  messageOf,
  out,
  reportFailure,
  resolveBootstrap,
  runTool,
  START_HINT,
  validateClientProps,
} from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-leader-election',
  summary: 'This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas.',
  options: [
    { name: 'admin.config', argName: 'String: config file', description: 'Configuration properties files to pass to the admin client' },
    {
      name: 'all-topic-partitions',
      description:
        'Perform election on all of the eligible topic partitions based on the type of election (see the --election-type flag). Not allowed if --topic or --path-to-json-file is specified.',
    },
    {
      name: 'bootstrap-server',
      argName: 'String: host:port',
      description: 'A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.',
    },
    {
      name: 'election-type',
      argName: '[PREFERRED,UNCLEAN]: election type',
      description:
        'Type of election to attempt. Possible values are "preferred" for preferred leader election or "unclean" for unclean leader election. If preferred election is selection, the election is only performed if the current leader is not the preferred leader for the topic partition. If unclean election is selected, the election is only performed if there are no leader for the topic partition. REQUIRED.',
    },
    { name: 'help', description: 'Print usage information.' },
    { name: 'partition', argName: 'Integer: partition id', description: 'Partition id for which to perform an election. REQUIRED if --topic is specified.' },
    {
      name: 'path-to-json-file',
      argName: 'String: Path to JSON file',
      description:
        'The JSON file with the list of partition for which leader elections should be performed. This is an example format. \n{"partitions":\n\t[{"topic": "foo", "partition": 1},\n\t {"topic": "foobar", "partition": 2}]\n}\nNot allowed if --all-topic-partitions or --topic flags are specified.',
    },
    { name: 'topic', argName: 'String: topic name', description: 'Name of topic for which to perform an election. Not allowed if --path-to-json-file or --all-topic-partitions is specified.' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

type ElectionType = 'PREFERRED' | 'UNCLEAN';
interface TP {
  topic: string;
  partition: number;
}

/** Thrown for Kafka's AdminCommandFailedException: the message alone on stderr, exit 1. */
class CommandFailed extends Error {}

function electionTypeOf(args: ParsedArgs): ElectionType {
  const v = args.get('election-type')!.trim().toUpperCase();
  if (v !== 'PREFERRED' && v !== 'UNCLEAN') throw new UsageError(`Cannot parse argument '${args.get('election-type')}' of option election-type (expected PREFERRED or UNCLEAN)`);
  return v;
}

/** Kafka's checks, in Kafka's order and wording. */
function validate(args: ParsedArgs): void {
  const missing: string[] = [];
  if (!args.has('election-type')) missing.push('election-type');
  if (!args.has('bootstrap-server')) missing.push('bootstrap-server');
  if (missing.length > 0) throw new UsageError(`Missing required option(s): ${missing.join(', ')}`);
  const exclusive = ['topic', 'all-topic-partitions', 'path-to-json-file'];
  if (exclusive.filter((o) => args.has(o)).length !== 1) {
    throw new UsageError(`One and only one of the following options is required: ${exclusive.join(', ')}`);
  }
  if (args.has('topic') && !args.has('partition')) throw new UsageError('Missing required option(s): partition');
  if (!args.has('topic') && args.has('partition')) throw new UsageError('Option partition is only allowed if topic is used');
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
}

/** {"partitions":[{"topic":"foo","partition":1},…]} → the list; CommandFailed on bad content. */
export function parseElectionJson(text: string, file: string): TP[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CommandFailed(`${file} is not valid JSON: ${messageOf(e)}`);
  }
  const list = (doc as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(list)) throw new CommandFailed(`Replica election data is missing "partitions" field (in ${file})`);
  const seen = new Set<string>();
  const dup = new Set<string>();
  const out: TP[] = [];
  for (const e of list as unknown[]) {
    const { topic, partition } = (e ?? {}) as { topic?: unknown; partition?: unknown };
    if (typeof topic !== 'string' || typeof partition !== 'number' || !Number.isInteger(partition)) {
      throw new CommandFailed(`Invalid entry ${JSON.stringify(e)} in ${file}: expected {"topic": "name", "partition": N}`);
    }
    const key = `${topic}-${partition}`;
    if (seen.has(key)) dup.add(key);
    seen.add(key);
    out.push({ topic, partition });
  }
  if (dup.size > 0) throw new CommandFailed(`Replica election data contains duplicate partitions: ${[...dup].join(',')}`);
  if (out.length === 0) throw new CommandFailed(`Replica election data is empty (in ${file})`);
  return out;
}

function partitionsOf(args: ParsedArgs): TP[] | null {
  if (args.has('all-topic-partitions')) return null;
  if (args.has('topic')) return [{ topic: args.get('topic')!, partition: args.int('partition', { min: 0 })! }];
  const file = args.get('path-to-json-file')!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CommandFailed(code === 'ENOENT' ? `${file} (No such file or directory)` : `${file}: ${messageOf(e)}`);
  }
  return parseElectionJson(text, file);
}

function grouped(tps: TP[]): Array<{ topic: string; partitions: number[] }> {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    let l = m.get(tp.topic);
    if (!l) m.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

async function elect(client: KafkaClient, type: ElectionType, partitions: TP[] | null): Promise<ElectLeadersResponse> {
  const body = { electionType: type === 'PREFERRED' ? 0 : 1, topicPartitions: partitions === null ? null : grouped(partitions), timeoutMs: 30_000 };
  return client.retry(async () => {
    let controller = client.controllerId;
    if (controller < 0 || !client.brokers.has(controller)) controller = (await client.refreshMetadata([])).controllerId;
    const conn = controller >= 0 && client.brokers.has(controller) ? await client.connectionToNode(controller) : await client.anyConnection();
    // v0 has no election type: it always means preferred.
    if (type === 'UNCLEAN' && conn.supports(electLeadersApi) && conn.versionFor(electLeadersApi) < 1) {
      throw new CommandFailed(`the broker at ${conn.address} supports only preferred leader election (ElectLeaders v0)`);
    }
    const res = await conn.request<ElectLeadersResponse>(electLeadersApi, body, { timeoutMs: 60_000 });
    if (res.errorCode === ErrorCode.NOT_CONTROLLER || res.replicaElectionResults.some((t) => t.partitionResult.some((p) => p.errorCode === ErrorCode.NOT_CONTROLLER))) {
      throw new KafkaError(ErrorCode.NOT_CONTROLLER);
    }
    return res;
  });
}

async function main(args: ParsedArgs): Promise<number> {
  validate(args);
  const type = electionTypeOf(args);
  let client: KafkaClient | undefined;
  try {
    const partitions = partitionsOf(args);
    const props = args.has('admin.config') ? loadPropertiesFile(args.get('admin.config')!) : {};
    validateClientProps(props, args.get('admin.config') ?? '');
    const bootstrap = await resolveBootstrap(args, { props });
    const settings = clientSettings(props);
    client = new KafkaClient({
      security: settings.security,
      bootstrapServers: bootstrap,
      clientId: settings.clientId ?? 'samsa-leader-election',
      requestTimeoutMs: settings.requestTimeoutMs ?? 60_000,
      connectTimeoutMs: settings.connectTimeoutMs ?? 5000,
      startHint: START_HINT,
    });
    let res: ElectLeadersResponse;
    try {
      res = await elect(client, type, partitions);
    } catch (e) {
      if (e instanceof CommandFailed) throw e;
      out('Error while making request\n');
      throw e;
    }
    if (res.errorCode !== ErrorCode.NONE) {
      const e = new KafkaError(res.errorCode);
      throw new CommandFailed(`${exceptionName(e)}: ${e.message}`);
    }
    const succeeded: string[] = [];
    const noop: string[] = [];
    const failed: Array<[string, KafkaError]> = [];
    for (const t of res.replicaElectionResults) {
      for (const p of t.partitionResult) {
        const name = `${t.topic}-${p.partitionId}`;
        if (p.errorCode === ErrorCode.NONE) succeeded.push(name);
        else if (p.errorCode === ErrorCode.ELECTION_NOT_NEEDED) noop.push(name);
        else failed.push([name, new KafkaError(p.errorCode, p.errorMessage)]);
      }
    }
    if (succeeded.length > 0) out(`Successfully completed leader election (${type}) for partitions ${succeeded.join(', ')}\n`);
    if (noop.length > 0) out(`Valid replica already elected for partitions ${noop.join(', ')}\n`);
    if (failed.length > 0) {
      for (const [name, e] of failed) out(`Error completing leader election (${type}) for partition: ${name}: ${exceptionName(e)}: ${e.message}\n`);
      err(`${failed.length} replica(s) could not be elected\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    return reportFailure(e, [CommandFailed]);
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
