/**
 * kafka-reassign-partitions: moves partition replicas between brokers, with Kafka's flags, JSON
 * formats and output (ReassignPartitionsCommand), through the brokers (--bootstrap-server, the
 * AlterPartitionReassignments / ListPartitionReassignments APIs) or, as older Kafka did, through
 * ZooKeeper (--zookeeper):
 *   --generate --topics-to-move-json-file f --broker-list "1,2"
 *       prints `Current partition replica assignment` and `Proposed partition reassignment
 *       configuration`, each followed by one line of JSON (nothing is changed);
 *   --execute --reassignment-json-file f [--throttle B/s]
 *       prints the current assignment (to save for a rollback) and starts the moves; --throttle
 *       sets leader/follower.replication.throttled.rate on the brokers involved and the topics'
 *       leader/follower.replication.throttled.replicas (dynamic configs), as Kafka does;
 *   --verify --reassignment-json-file f [--preserve-throttles]
 *       `Status of partition reassignment:` then, per partition, `… is completed.` / `… is still in
 *       progress.`; once all are complete, the throttles are removed;
 *   --list (bootstrap only)   the reassignments in progress;
 *   --cancel --reassignment-json-file f [--preserve-throttles] (bootstrap only)   puts them back.
 * See docs/CLI.md for what differs from Kafka.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Admin, ResourceType } from '../client/admin.js';
import { KafkaClient } from '../client/client.js';
import { type Coordination, isCoordinationError, json, parseJson } from '../cluster/coordination/coordination.js';
import { ZookeeperCoordination } from '../cluster/coordination/zookeeper.js';
import { AssignmentError, assignReplicas } from '../cluster/replica-assignment.js';
import { paths, parseReassignment, type ReassignTarget, type TopicAssignmentDoc } from '../cluster/zk/layout.js';
import { NodeClock } from '../io/node/clock.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { adminClientOptions, BootstrapError, ConfigFileError, err, exceptionName, messageOf, out, runTool } from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-reassign-partitions',
  summary: 'This tool helps to move topic partitions between replicas.',
  options: [
    { name: 'additional', description: 'Execute this reassignment in addition to any other ongoing ones (always the case in Samsa with --bootstrap-server).' },
    { name: 'bootstrap-server', argName: 'String: Server(s) to use for bootstrapping', description: 'the server(s) to use for bootstrapping.' },
    { name: 'broker-list', argName: 'String: brokerlist', description: 'The list of brokers to which the partitions need to be reassigned in the form "0,1,2". This is required if --topics-to-move-json-file is used to generate reassignment configuration' },
    { name: 'cancel', description: 'Cancel an active reassignment.' },
    { name: 'command-config', argName: 'String: Admin client property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'disable-rack-aware', description: 'Disable rack aware replica assignment' },
    { name: 'execute', description: 'Kick off the reassignment as specified by the --reassignment-json-file option.' },
    { name: 'generate', description: 'Generate a candidate partition reassignment configuration. Note that this only generates a candidate assignment, it does not execute it.' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'list', description: 'List all active partition reassignments.' },
    { name: 'preserve-throttles', description: 'Do not modify broker or topic throttles.' },
    {
      name: 'reassignment-json-file',
      argName: 'String: manual assignment json file path',
      description:
        'The JSON file with the partition reassignment configuration. The format to use is - \n{"partitions":\n\t[{"topic": "foo",\n\t  "partition": 1,\n\t  "replicas": [1,2,3] }],\n"version":1\n}',
    },
    { name: 'throttle', argName: 'Long: throttle', description: 'The movement of partitions between brokers will be throttled to this value (bytes/sec).', defaultText: '-1' },
    {
      name: 'topics-to-move-json-file',
      argName: 'String: topics to reassign json file path',
      description: 'Generate a reassignment configuration to move the partitions of the specified topics to the list of brokers specified by the --broker-list option. The format to use is - \n{"topics":\n\t[{"topic": "foo"},{"topic": "foo1"}],\n"version":1\n}',
    },
    { name: 'verify', description: 'Verify if the reassignment completed as specified by the --reassignment-json-file option. If there is a throttle engaged for the replicas specified, and the rebalance has completed, the throttle will be removed' },
    { name: 'version', description: 'Display Kafka version.' },
    { name: 'zookeeper', argName: 'String: urls', description: 'DEPRECATED in Kafka, honoured by Samsa: the connection string for the zookeeper connection in the form host:port[/chroot].' },
  ],
};

/** Kafka's AdminCommandFailedException and friends: the message alone on stderr, exit 1. */
class CommandFailed extends Error {}

interface Assignment {
  topic: string;
  partition: number;
  replicas: number[];
}

/** What the tool needs from the cluster, through the brokers or through ZooKeeper. */
interface Backend {
  brokers(): Promise<Array<{ id: number; rack: string | null }>>;
  /** Replicas per partition, or null when the topic does not exist. */
  assignment(topic: string): Promise<number[][] | null>;
  /** Partitions being reassigned ("topic-partition"). */
  inProgress(): Promise<Set<string>>;
  start(targets: ReassignTarget[]): Promise<void>;
  close(): Promise<void>;
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

class ZkBackend implements Backend {
  private constructor(readonly coord: Coordination) {}

  static async open(connect: string): Promise<ZkBackend> {
    const coord = new ZookeeperCoordination({ connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 5000, clock: new NodeClock(), log: pino({ level: 'silent' }) });
    try {
      await coord.start();
    } catch (e) {
      throw new CommandFailed(`cannot reach ZooKeeper at ${connect}: ${messageOf(e)}`);
    }
    return new ZkBackend(coord);
  }

  async brokers(): Promise<Array<{ id: number; rack: string | null }>> {
    const ids = ((await this.coord.children(paths.brokerIds)) ?? []).filter((x) => /^\d+$/.test(x)).map(Number).sort((a, b) => a - b);
    return ids.map((id) => ({ id, rack: null }));
  }

  private async doc(topic: string): Promise<TopicAssignmentDoc | null> {
    const node = await this.coord.get(paths.topic(topic));
    return node ? parseJson<TopicAssignmentDoc>(node.data) : null;
  }

  async assignment(topic: string): Promise<number[][] | null> {
    const doc = await this.doc(topic);
    if (!doc) return null;
    const r: number[][] = [];
    for (let p = 0; doc.partitions[String(p)] !== undefined; p++) r.push(doc.partitions[String(p)]!);
    return r;
  }

  async inProgress(): Promise<Set<string>> {
    const out = new Set<string>();
    const node = await this.coord.get(paths.reassignPartitions);
    if (node) {
      try {
        for (const a of parseReassignment(node.data.toString('utf8'))) out.add(`${a.topic}-${a.partition}`);
      } catch (e) {
        throw new CommandFailed(`${paths.reassignPartitions} in ZooKeeper is not readable: ${messageOf(e)}`);
      }
    }
    for (const topic of (await this.coord.children(paths.topics)) ?? []) {
      const doc = await this.doc(topic);
      for (const p of Object.keys({ ...(doc?.adding_replicas ?? {}), ...(doc?.removing_replicas ?? {}) })) out.add(`${topic}-${p}`);
    }
    return out;
  }

  async start(targets: ReassignTarget[]): Promise<void> {
    try {
      await this.coord.create(paths.reassignPartitions, json({ version: 1, partitions: targets }));
    } catch (e) {
      if (isCoordinationError(e, 'nodeExists')) throw new CommandFailed('There is an existing assignment running.');
      throw e;
    }
  }

  close(): Promise<void> {
    return this.coord.close();
  }
}

class AdminBackend implements Backend {
  constructor(
    readonly client: KafkaClient,
    readonly admin: Admin,
  ) {}

  async brokers(): Promise<Array<{ id: number; rack: string | null }>> {
    return (await this.admin.describeCluster()).brokers.map((b) => ({ id: b.nodeId, rack: b.rack }));
  }

  async assignment(topic: string): Promise<number[][] | null> {
    const [t] = await this.admin.describeTopics([topic]);
    if (!t || t.partitions.length === 0) return null;
    return t.partitions.map((p) => p.replicas);
  }

  async inProgress(): Promise<Set<string>> {
    return new Set((await this.admin.listPartitionReassignments()).map((r) => `${r.topic}-${r.partition}`));
  }

  async start(targets: ReassignTarget[]): Promise<void> {
    const results = await this.admin.alterPartitionReassignments(targets.map((t) => ({ topic: t.topic, partition: t.partition, replicas: t.replicas })));
    const failed = results.filter((r) => r.error !== null);
    if (failed.length > 0) {
      throw new CommandFailed(`Error reassigning partition(s):\n${failed.map((r) => `${r.topic}-${r.partition}: ${exceptionName(r.error)}: ${r.error!.message}`).join('\n')}`);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

async function generate(backend: Backend, args: ParsedArgs): Promise<void> {
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
  const live = new Map((await backend.brokers()).map((b) => [b.id, b]));
  const unknown = brokers.filter((b) => !live.has(b));
  if (unknown.length > 0) throw new CommandFailed(`The following brokers are not registered: ${unknown.join(', ')}`);
  const rackAware = !args.has('disable-rack-aware');
  const current: Assignment[] = [];
  const proposed: Assignment[] = [];
  for (const topic of topics) {
    const parts = await backend.assignment(topic);
    if (!parts) throw new CommandFailed(`Topic ${topic} not found`);
    parts.forEach((replicas, partition) => current.push({ topic, partition, replicas }));
    const rf = parts[0]?.length ?? 1;
    let next: number[][];
    try {
      next = assignReplicas({
        brokers: brokers.map((id) => ({ id, rack: rackAware ? (live.get(id)?.rack ?? null) : null })),
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
    if (new Set(a.replicas).size !== a.replicas.length) throw new CommandFailed(`Partition replica lists may not contain duplicate entries: ${key} contains [${a.replicas.join(', ')}]`);
  }
  return list;
}

/** The current replicas of each wanted partition; CommandFailed for a missing topic, partition or broker. */
async function currentOf(backend: Backend, wanted: ReassignTarget[]): Promise<Assignment[]> {
  const live = new Set((await backend.brokers()).map((b) => b.id));
  const current: Assignment[] = [];
  const docs = new Map<string, number[][]>();
  for (const a of wanted) {
    let parts = docs.get(a.topic);
    if (!parts) {
      const found = await backend.assignment(a.topic);
      if (!found) throw new CommandFailed(`Topic ${a.topic} not found`);
      docs.set(a.topic, (parts = found));
    }
    const replicas = parts[a.partition];
    if (!replicas) throw new CommandFailed(`Partition ${a.topic}-${a.partition} not found`);
    const unknown = a.replicas.filter((r) => !live.has(r));
    if (unknown.length > 0) throw new CommandFailed(`The proposed assignment contains non-existent brokerIDs: ${unknown.join(',')}`);
    current.push({ topic: a.topic, partition: a.partition, replicas });
  }
  return current;
}

/**
 * Kafka's throttle: leader.replication.throttled.rate and follower.replication.throttled.rate on
 * every broker that holds or will hold a moving replica, leader.replication.throttled.replicas
 * (the current replicas) and follower.replication.throttled.replicas (the joining ones) per topic.
 */
async function setThrottles(admin: Admin, current: Assignment[], wanted: ReassignTarget[], rate: number): Promise<void> {
  const brokers = new Set<number>();
  const leaders = new Map<string, string[]>();
  const followers = new Map<string, string[]>();
  for (const a of wanted) {
    const before = current.find((c) => c.topic === a.topic && c.partition === a.partition)!.replicas;
    if (before.length === a.replicas.length && before.every((r, i) => r === a.replicas[i])) continue;
    for (const r of [...before, ...a.replicas]) brokers.add(r);
    leaders.set(a.topic, [...(leaders.get(a.topic) ?? []), ...before.map((r) => `${a.partition}:${r}`)]);
    followers.set(a.topic, [...(followers.get(a.topic) ?? []), ...a.replicas.filter((r) => !before.includes(r)).map((r) => `${a.partition}:${r}`)]);
  }
  const results = await admin.incrementalAlterConfigs([
    ...[...brokers].sort((x, y) => x - y).map((id) => ({
      type: ResourceType.BROKER,
      name: String(id),
      ops: [
        { name: 'leader.replication.throttled.rate', op: 'set' as const, value: String(rate) },
        { name: 'follower.replication.throttled.rate', op: 'set' as const, value: String(rate) },
      ],
    })),
    ...[...leaders.keys()].map((topic) => ({
      type: ResourceType.TOPIC,
      name: topic,
      ops: [
        { name: 'leader.replication.throttled.replicas', op: 'set' as const, value: leaders.get(topic)!.join(',') },
        { name: 'follower.replication.throttled.replicas', op: 'set' as const, value: (followers.get(topic) ?? []).join(',') },
      ],
    })),
  ]);
  const failed = results.find((r) => r.error !== null);
  if (failed) throw new CommandFailed(`Unable to set the throttle on ${failed.type === ResourceType.BROKER ? 'broker' : 'topic'} ${failed.name}: ${failed.error!.message}`);
}

/** Removes the throttles of setThrottles from every broker and the given topics. */
async function clearThrottles(admin: Admin, topics: string[]): Promise<string[]> {
  const brokers = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
  await admin.incrementalAlterConfigs([
    ...brokers.map((id) => ({
      type: ResourceType.BROKER,
      name: String(id),
      ops: [
        { name: 'leader.replication.throttled.rate', op: 'delete' as const },
        { name: 'follower.replication.throttled.rate', op: 'delete' as const },
      ],
    })),
    ...topics.map((topic) => ({
      type: ResourceType.TOPIC,
      name: topic,
      ops: [
        { name: 'leader.replication.throttled.replicas', op: 'delete' as const },
        { name: 'follower.replication.throttled.replicas', op: 'delete' as const },
      ],
    })),
  ]);
  return brokers.map(String);
}

async function execute(backend: Backend, args: ParsedArgs): Promise<void> {
  const wanted = readReassignmentFile(args);
  const rate = args.int('throttle') ?? -1;
  if (rate !== -1 && rate < 1) throw new UsageError(`Option throttle must be a positive number of bytes/sec, got ${rate}`);
  if (backend instanceof ZkBackend && rate !== -1) throw new CommandFailed('--throttle needs --bootstrap-server (the throttles are dynamic configs set through the brokers)');
  const running = await backend.inProgress();
  if (backend instanceof ZkBackend && running.size > 0) throw new CommandFailed('There is an existing assignment running.');
  if (backend instanceof AdminBackend && !args.has('additional')) {
    const clash = wanted.filter((a) => running.has(`${a.topic}-${a.partition}`));
    if (clash.length > 0) throw new CommandFailed(`Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.`);
  }
  const current = await currentOf(backend, wanted);
  out(`Current partition replica assignment\n\n${formatAssignment(current)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  if (backend instanceof AdminBackend && rate !== -1) {
    await setThrottles(backend.admin, current, wanted, rate);
    out(`Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\nThe inter-broker throttle limit was set to ${rate} B/s\n`);
  }
  await backend.start(wanted);
  out(`Successfully started partition reassignments for ${wanted.map((a) => `${a.topic}-${a.partition}`).join(',')}\n`);
}

async function verify(backend: Backend, args: ParsedArgs): Promise<void> {
  const wanted = readReassignmentFile(args);
  const running = await backend.inProgress();
  const lines = ['Status of partition reassignment:'];
  let allDone = true;
  for (const a of wanted) {
    const name = `${a.topic}-${a.partition}`;
    const replicas = (await backend.assignment(a.topic))?.[a.partition];
    if (running.has(name)) {
      lines.push(`Reassignment of partition ${name} is still in progress.`);
      allDone = false;
    } else if (replicas && replicas.length === a.replicas.length && replicas.every((r, i) => r === a.replicas[i])) {
      lines.push(`Reassignment of partition ${name} is completed.`);
    } else {
      lines.push(`There is no active reassignment of partition ${name}, but replica set is ${replicas?.join(',') ?? '(none)'} rather than ${a.replicas.join(',')}.`);
      allDone = false;
    }
  }
  out(`${lines.join('\n')}\n`);
  if (backend instanceof AdminBackend && allDone && !args.has('preserve-throttles')) {
    const topics = [...new Set(wanted.map((a) => a.topic))].sort();
    const brokers = await clearThrottles(backend.admin, topics);
    out(`\nClearing broker-level throttles on brokers ${brokers.join(',')}\n${topics.map((t) => `Clearing topic-level throttles on topic ${t}`).join('\n')}\n`);
  }
}

async function list(backend: AdminBackend): Promise<void> {
  const ongoing = await backend.admin.listPartitionReassignments();
  if (ongoing.length === 0) {
    out('No partition reassignments found.\n');
    return;
  }
  const lines = ongoing.map((r) => `${r.topic}-${r.partition}: replicas: ${r.replicas.join(',')}. adding: ${r.addingReplicas.join(',')}. removing: ${r.removingReplicas.join(',')}.`);
  out(`Current partition reassignments:\n${lines.join('\n')}\n`);
}

async function cancel(backend: AdminBackend, args: ParsedArgs): Promise<void> {
  const wanted = readReassignmentFile(args);
  const running = await backend.inProgress();
  const active = wanted.filter((a) => running.has(`${a.topic}-${a.partition}`));
  if (active.length === 0) {
    out('None of the specified partition reassignments are active.\n');
  } else {
    const results = await backend.admin.alterPartitionReassignments(active.map((a) => ({ topic: a.topic, partition: a.partition, replicas: null })));
    const failed = results.filter((r) => r.error !== null);
    const ok = results.filter((r) => r.error === null);
    if (ok.length > 0) out(`Successfully cancelled partition reassignments for: ${ok.map((r) => `${r.topic}-${r.partition}`).join(',')}\n`);
    if (failed.length > 0) throw new CommandFailed(`Error cancelling partition reassignment(s):\n${failed.map((r) => `${r.topic}-${r.partition}: ${r.error!.message}`).join('\n')}`);
  }
  if (!args.has('preserve-throttles')) await clearThrottles(backend.admin, [...new Set(wanted.map((a) => a.topic))]);
}

async function main(args: ParsedArgs): Promise<number> {
  const actions = ['generate', 'execute', 'verify', 'list', 'cancel'].filter((a) => args.has(a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --generate, --execute, --verify, --cancel, or --list');
  const action = actions[0]!;
  if (args.has('bootstrap-server') === args.has('zookeeper')) throw new UsageError('Please specify exactly one of --bootstrap-server or --zookeeper');
  if (args.has('zookeeper') && (action === 'list' || action === 'cancel')) throw new UsageError(`--${action} needs --bootstrap-server (the ListPartitionReassignments / AlterPartitionReassignments APIs)`);
  let backend: Backend | undefined;
  try {
    if (args.has('zookeeper')) {
      backend = await ZkBackend.open(args.get('zookeeper')!);
    } else {
      const client = new KafkaClient(await adminClientOptions(args, 'reassign-partitions'));
      backend = new AdminBackend(client, new Admin(client));
    }
    if (action === 'generate') await generate(backend, args);
    else if (action === 'execute') await execute(backend, args);
    else if (action === 'verify') await verify(backend, args);
    else if (action === 'list') await list(backend as AdminBackend);
    else await cancel(backend as AdminBackend, args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof CommandFailed || e instanceof BootstrapError || e instanceof ConfigFileError) err(`${e.message}\n`);
    else err(`Error: ${exceptionName(e)}: ${messageOf(e)}\n`);
    return 1;
  } finally {
    await backend?.close();
  }
}

await runTool(spec, main);
