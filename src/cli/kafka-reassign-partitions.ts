/**
 * kafka-reassign-partitions: moves partition replicas between brokers, with Kafka's flags, JSON
 * formats and output (ReassignPartitionsCommand), the ZooKeeper way:
 *   --zookeeper h:p[/chroot] --generate --topics-to-move-json-file f --broker-list "1,2"
 *       prints `Current partition replica assignment` and `Proposed partition reassignment
 *       configuration`, each followed by one line of JSON (nothing is changed);
 *   --zookeeper … --execute --reassignment-json-file f
 *       prints the current assignment (to save for a rollback) and writes
 *       /admin/reassign_partitions, which the active controller carries out (see
 *       src/cluster/zk-controller.ts, `reassign`);
 *   --zookeeper … --verify --reassignment-json-file f
 *       `Status of partition reassignment:` then, per partition,
 *       `Reassignment of partition t-0 is completed.` or `… is still in progress.`
 * --bootstrap-server (Kafka's AlterPartitionReassignments, API 45) is not implemented yet: one line
 * on stderr says to use --zookeeper. See docs/CLI.md.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { type Coordination, isCoordinationError, json, parseJson } from '../cluster/coordination/coordination.js';
import { ZookeeperCoordination } from '../cluster/coordination/zookeeper.js';
import { AssignmentError, assignReplicas } from '../cluster/replica-assignment.js';
import { paths, parseReassignment, type ReassignTarget, type TopicAssignmentDoc } from '../cluster/zk-controller.js';
import { NodeClock } from '../io/node/clock.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { err, messageOf, out, runTool } from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-reassign-partitions',
  summary:
    'This tool helps to move topic partitions between replicas. Samsa runs it against ZooKeeper (--zookeeper): the active controller carries out the reassignment.',
  options: [
    { name: 'bootstrap-server', argName: 'String: Server(s) to use for bootstrapping', description: 'Not supported by Samsa yet (AlterPartitionReassignments): use --zookeeper.' },
    { name: 'broker-list', argName: 'String: brokerlist', description: 'The list of brokers to which the partitions need to be reassigned in the form "0,1,2". This is required if --topics-to-move-json-file is used to generate reassignment configuration' },
    { name: 'execute', description: 'Kick off the reassignment as specified by the --reassignment-json-file option.' },
    { name: 'generate', description: 'Generate a candidate partition reassignment configuration. Note that this only generates a candidate assignment, it does not execute it.' },
    { name: 'help', description: 'Print usage information.' },
    {
      name: 'reassignment-json-file',
      argName: 'String: manual assignment json file path',
      description:
        'The JSON file with the partition reassignment configuration. The format to use is - \n{"partitions":\n\t[{"topic": "foo",\n\t  "partition": 1,\n\t  "replicas": [1,2,3] }],\n"version":1\n}',
    },
    {
      name: 'topics-to-move-json-file',
      argName: 'String: topics to reassign json file path',
      description: 'Generate a reassignment configuration to move the partitions of the specified topics to the list of brokers specified by the --broker-list option. The format to use is - \n{"topics":\n\t[{"topic": "foo"},{"topic": "foo1"}],\n"version":1\n}',
    },
    { name: 'verify', description: 'Verify if the reassignment completed as specified by the --reassignment-json-file option.' },
    { name: 'version', description: 'Display Kafka version.' },
    { name: 'zookeeper', argName: 'String: urls', description: 'The connection string for the zookeeper connection in the form host:port[/chroot].' },
  ],
};

/** Kafka's AdminCommandFailedException and friends: the message alone on stderr, exit 1. */
class CommandFailed extends Error {}

interface Assignment {
  topic: string;
  partition: number;
  replicas: number[];
}

function readJsonFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandFailed(`Unable to read ${file}: ${messageOf(e)}`);
  }
}

function formatAssignment(list: Assignment[]): string {
  const sorted = [...list].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return JSON.stringify({ version: 1, partitions: sorted.map((a) => ({ topic: a.topic, partition: a.partition, replicas: a.replicas, log_dirs: a.replicas.map(() => 'any') })) });
}

function parseBrokerList(s: string): number[] {
  const ids = s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (ids.length === 0 || ids.some((x) => !/^\d+$/.test(x))) throw new UsageError(`Invalid --broker-list '${s}': expected broker ids like "0,1,2"`);
  const nums = ids.map(Number);
  if (new Set(nums).size !== nums.length) throw new CommandFailed(`Duplicate broker ids in --broker-list: ${s}`);
  return nums;
}

class Zk {
  private constructor(readonly coord: Coordination) {}

  static async open(connect: string): Promise<Zk> {
    const coord = new ZookeeperCoordination({ connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 5000, clock: new NodeClock(), log: pino({ level: 'silent' }) });
    try {
      await coord.start();
    } catch (e) {
      throw new CommandFailed(`cannot reach ZooKeeper at ${connect}: ${messageOf(e)}`);
    }
    return new Zk(coord);
  }

  async brokers(): Promise<number[]> {
    return ((await this.coord.children(paths.brokerIds)) ?? []).filter((x) => /^\d+$/.test(x)).map(Number).sort((a, b) => a - b);
  }

  async topics(): Promise<string[]> {
    return (await this.coord.children(paths.topics)) ?? [];
  }

  async assignment(topic: string): Promise<TopicAssignmentDoc | null> {
    const node = await this.coord.get(paths.topic(topic));
    return node ? parseJson<TopicAssignmentDoc>(node.data) : null;
  }

  async pending(): Promise<ReassignTarget[] | null> {
    const node = await this.coord.get(paths.reassignPartitions);
    if (!node) return null;
    try {
      return parseReassignment(node.data.toString('utf8'));
    } catch {
      return [];
    }
  }

  close(): Promise<void> {
    return this.coord.close();
  }
}

function partitionsOf(doc: TopicAssignmentDoc): number[][] {
  const r: number[][] = [];
  for (let p = 0; doc.partitions[String(p)] !== undefined; p++) r.push(doc.partitions[String(p)]!);
  return r;
}

async function generate(zk: Zk, args: ParsedArgs): Promise<void> {
  if (!args.has('topics-to-move-json-file')) throw new UsageError('Missing required option(s): topics-to-move-json-file');
  if (!args.has('broker-list')) throw new UsageError('Missing required option(s): broker-list');
  const file = args.get('topics-to-move-json-file')!;
  let topics: string[];
  try {
    const doc = JSON.parse(readJsonFile(file)) as { topics?: Array<{ topic?: unknown }> };
    if (!Array.isArray(doc.topics)) throw new Error('expected {"topics":[{"topic":"foo"}],"version":1}');
    topics = doc.topics.map((t) => {
      if (typeof t.topic !== 'string') throw new Error(`malformed topic entry ${JSON.stringify(t)}`);
      return t.topic;
    });
  } catch (e) {
    if (e instanceof CommandFailed) throw e;
    throw new CommandFailed(`Invalid topics-to-move JSON in ${file}: ${messageOf(e)}`);
  }
  if (new Set(topics).size !== topics.length) throw new CommandFailed(`Duplicate topic entries in ${file}`);
  const brokers = parseBrokerList(args.get('broker-list')!);
  const live = new Set(await zk.brokers());
  const unknown = brokers.filter((b) => !live.has(b));
  if (unknown.length > 0) throw new CommandFailed(`The following brokers are not registered: ${unknown.join(', ')}`);
  const current: Assignment[] = [];
  const proposed: Assignment[] = [];
  for (const topic of topics) {
    const doc = await zk.assignment(topic);
    if (!doc) throw new CommandFailed(`Topic ${topic} not found`);
    const parts = partitionsOf(doc);
    parts.forEach((replicas, partition) => current.push({ topic, partition, replicas }));
    const rf = parts[0]?.length ?? 1;
    let next: number[][];
    try {
      next = assignReplicas({
        brokers: brokers.map((id) => ({ id, rack: null })),
        partitions: parts.length,
        replicationFactor: rf,
        startIndex: Math.floor(Math.random() * brokers.length),
        shift: Math.floor(Math.random() * brokers.length),
      });
    } catch (e) {
      if (e instanceof AssignmentError) throw new CommandFailed(e.message);
      throw e;
    }
    next.forEach((replicas, partition) => proposed.push({ topic, partition, replicas }));
  }
  out(`Current partition replica assignment\n${formatAssignment(current)}\n\nProposed partition reassignment configuration\n${formatAssignment(proposed)}\n`);
}

function readReassignmentFile(args: ParsedArgs): ReassignTarget[] {
  if (!args.has('reassignment-json-file')) throw new UsageError('Missing required option(s): reassignment-json-file');
  const file = args.get('reassignment-json-file')!;
  let list: ReassignTarget[];
  try {
    list = parseReassignment(readJsonFile(file));
  } catch (e) {
    if (e instanceof CommandFailed) throw e;
    throw new CommandFailed(`Invalid reassignment JSON in ${file}: ${messageOf(e)}`);
  }
  if (list.length === 0) throw new CommandFailed('Partition reassignment list cannot be empty');
  const seen = new Set<string>();
  for (const a of list) {
    const key = `${a.topic}-${a.partition}`;
    if (seen.has(key)) throw new CommandFailed(`Partition reassignment contains duplicate topic partitions: ${key}`);
    seen.add(key);
  }
  return list;
}

async function execute(zk: Zk, args: ParsedArgs): Promise<void> {
  const wanted = readReassignmentFile(args);
  if ((await zk.pending()) !== null) throw new CommandFailed('There is an existing assignment running.');
  const live = new Set(await zk.brokers());
  const current: Assignment[] = [];
  const docs = new Map<string, number[][]>();
  for (const a of wanted) {
    let parts = docs.get(a.topic);
    if (!parts) {
      const doc = await zk.assignment(a.topic);
      if (!doc) throw new CommandFailed(`Topic ${a.topic} not found`);
      parts = partitionsOf(doc);
      docs.set(a.topic, parts);
    }
    const replicas = parts[a.partition];
    if (!replicas) throw new CommandFailed(`Partition ${a.topic}-${a.partition} not found`);
    const unknown = a.replicas.filter((r) => !live.has(r));
    if (unknown.length > 0) throw new CommandFailed(`The proposed assignment contains non-existent brokerIDs: ${unknown.join(',')}`);
    current.push({ topic: a.topic, partition: a.partition, replicas });
  }
  out(`Current partition replica assignment\n\n${formatAssignment(current)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  try {
    await zk.coord.create(paths.reassignPartitions, json({ version: 1, partitions: wanted }));
  } catch (e) {
    if (isCoordinationError(e, 'nodeExists')) throw new CommandFailed('There is an existing assignment running.');
    throw e;
  }
  out(`Successfully started partition reassignments for ${wanted.map((a) => `${a.topic}-${a.partition}`).join(',')}\n`);
}

async function verify(zk: Zk, args: ParsedArgs): Promise<void> {
  const wanted = readReassignmentFile(args);
  const pending = await zk.pending();
  const pendingKeys = new Set((pending ?? []).map((a) => `${a.topic}-${a.partition}`));
  const lines = ['Status of partition reassignment:'];
  for (const a of wanted) {
    const name = `${a.topic}-${a.partition}`;
    const doc = await zk.assignment(a.topic);
    const replicas = doc ? partitionsOf(doc)[a.partition] : undefined;
    const inFlight = doc !== null && (doc.adding_replicas?.[String(a.partition)] !== undefined || doc.removing_replicas?.[String(a.partition)] !== undefined);
    if (pendingKeys.has(name) || inFlight) lines.push(`Reassignment of partition ${name} is still in progress.`);
    else if (replicas && replicas.length === a.replicas.length && replicas.every((r, i) => r === a.replicas[i])) lines.push(`Reassignment of partition ${name} is completed.`);
    else lines.push(`Reassignment of partition ${name} failed.`);
  }
  out(`${lines.join('\n')}\n`);
}

async function main(args: ParsedArgs): Promise<number> {
  if (args.has('bootstrap-server')) {
    err('kafka-reassign-partitions --bootstrap-server is not supported by Samsa yet (no AlterPartitionReassignments API); use --zookeeper host:port[/chroot] (the brokers\' zookeeper.connect) instead\n');
    return 1;
  }
  const actions = ['generate', 'execute', 'verify'].filter((a) => args.has(a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --generate, --execute or --verify');
  if (!args.has('zookeeper')) throw new UsageError('Missing required option(s): zookeeper');
  let zk: Zk | undefined;
  try {
    zk = await Zk.open(args.get('zookeeper')!);
    if (actions[0] === 'generate') await generate(zk, args);
    else if (actions[0] === 'execute') await execute(zk, args);
    else await verify(zk, args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof CommandFailed) err(`${e.message}\n`);
    else err(`Error: ${messageOf(e)}\n`);
    return 1;
  } finally {
    await zk?.close();
  }
}

await runTool(spec, main);
