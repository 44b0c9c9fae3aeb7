/**
 * kafka-topics: create, list, describe, alter and delete topics, with Kafka 3.x's flags and output
 * (`Created topic test.`, one name per line for --list, the tab-separated --describe lines). Errors
 * print `Error while executing topic command : <message>` on stdout (as Kafka does) plus an ERROR
 * log line on stderr, and exit 1. See docs/CLI.md for what is supported.
 */
import { Admin, DEFAULT_CONFIG_SOURCE, ResourceType } from '../client/admin.js';
import { KafkaClient, type TopicMetadata } from '../client/client.js';
import { ConnectionError, KafkaError } from '../client/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import {
  adminClientOptions,
  BootstrapError,
  ConfigFileError,
  exceptionName,
  kafkaTopicId,
  logLine,
  messageOf,
  out,
  parseKeyValue,
  runTool,
} from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-topics',
  summary: 'This tool helps to create, delete, describe, or change a topic.',
  options: [
    { name: 'alter', description: 'Alter the number of partitions and replica assignment of a topic (and, in Samsa, its configs via --config).' },
    { name: 'at-min-isr-partitions', description: 'if set when describing topics, only show partitions whose isr count is equal to the configured minimum.' },
    { name: 'bootstrap-server', argName: 'String: server to connect to', description: 'REQUIRED: The Kafka server to connect to (or use --zookeeper to look brokers up).' },
    { name: 'command-config', argName: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client.' },
    {
      name: 'config',
      argName: 'String: name=value',
      multiple: true,
      description: 'A topic configuration override for the topic being created or altered. May be given several times.',
    },
    { name: 'create', description: 'Create a new topic.' },
    { name: 'delete', description: 'Delete a topic' },
    { name: 'delete-config', argName: 'String: name', multiple: true, description: 'A topic configuration override to be removed for an existing topic (with --alter).' },
    { name: 'describe', description: 'List details for the given topics.' },
    { name: 'exclude-internal', description: 'exclude internal topics when running list or describe command. The internal topics will be listed by default' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'if-exists', description: 'if set when altering or deleting or describing topics, the action will only execute if the topic exists.' },
    { name: 'if-not-exists', description: 'if set when creating topics, the action will only execute if the topic does not already exist.' },
    { name: 'list', description: 'List all available topics.' },
    {
      name: 'partitions',
      argName: 'Integer: # of partitions',
      description: 'The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected). If not supplied for create, defaults to the cluster default.',
    },
    {
      name: 'replica-assignment',
      argName: 'String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...',
      description: 'A list of manual partition-to-broker assignments for the topic being created or altered.',
    },
    {
      name: 'replication-factor',
      argName: 'Integer: replication factor',
      description: 'The replication factor for each partition in the topic being created. If not supplied, defaults to the cluster default.',
    },
    {
      name: 'topic',
      argName: 'String: topic',
      description:
        'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the \'\\\' prefix to escape regular expression symbols; e.g. "test\\.topic".',
    },
    { name: 'topic-id', argName: 'String: topic-id', description: 'The topic-id to describe. This is used only with --bootstrap-server option for describing topics.' },
    { name: 'topics-with-overrides', description: 'if set when describing topics, only show topics that have overridden configs' },
    { name: 'unavailable-partitions', description: 'if set when describing topics, only show partitions whose leader is not available' },
    { name: 'under-min-isr-partitions', description: 'if set when describing topics, only show partitions whose isr count is less than the configured minimum.' },
    { name: 'under-replicated-partitions', description: 'if set when describing topics, only show under replicated partitions' },
    { name: 'version', description: 'Display Kafka version.' },
    {
      name: 'zookeeper',
      argName: 'String: hosts',
      description: 'DEPRECATED in Kafka, honoured by Samsa: the ZooKeeper connection string (host:port[/chroot]) where brokers are registered; the tool finds them there.',
    },
  ],
};

const ACTIONS = ['list', 'describe', 'create', 'alter', 'delete'] as const;

function fromKafkaTopicId(id: string): string {
  const hex = Buffer.from(id, 'base64url').toString('hex');
  if (hex.length !== 32) throw new UsageError(`Invalid topic id '${id}'`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

class CommandError extends Error {}

function checkArgs(args: ParsedArgs): (typeof ACTIONS)[number] {
  const actions = ACTIONS.filter((a) => args.has(a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --create, --alter or --delete');
  const action = actions[0]!;
  if (['create', 'alter', 'delete'].includes(action) && !args.has('topic')) throw new UsageError('Missing required argument "[topic]"');
  const onlyWith = (opt: string, allowed: string[]): void => {
    if (args.has(opt) && !allowed.includes(action)) {
      throw new UsageError(`Option "[${opt}]" can't be used with option "[${action}]"`);
    }
  };
  onlyWith('partitions', ['create', 'alter']);
  onlyWith('replication-factor', ['create']);
  onlyWith('replica-assignment', ['create', 'alter']);
  onlyWith('config', ['create', 'alter']);
  onlyWith('delete-config', ['alter']);
  onlyWith('if-not-exists', ['create']);
  onlyWith('if-exists', ['alter', 'delete', 'describe']);
  for (const o of ['under-replicated-partitions', 'unavailable-partitions', 'under-min-isr-partitions', 'at-min-isr-partitions', 'topics-with-overrides', 'topic-id']) {
    onlyWith(o, ['describe']);
  }
  onlyWith('exclude-internal', ['list', 'describe']);
  if (action === 'create' && args.has('replica-assignment') && (args.has('partitions') || args.has('replication-factor'))) {
    throw new UsageError('Option "[replica-assignment]" can\'t be used with option "[partitions]" or "[replication-factor]"');
  }
  if (action === 'alter' && !args.has('partitions') && !args.has('config') && !args.has('delete-config') && !args.has('replica-assignment')) {
    throw new UsageError('Option "[alter]" needs at least one of "[partitions]", "[config]" or "[delete-config]"');
  }
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  return action;
}

function parseReplicaAssignment(s: string): number[][] {
  return s.split(',').map((part, i) => {
    const ids = part.split(':').map((x) => x.trim());
    if (ids.some((x) => !/^\d+$/.test(x))) throw new UsageError(`Invalid replica assignment '${s}': partition ${i} has a broker id that is not a number`);
    const nums = ids.map(Number);
    if (new Set(nums).size !== nums.length) throw new UsageError(`Partition replica lists may not contain duplicate entries: ${part}`);
    return nums;
  });
}

function parseConfigs(list: string[]): Record<string, string> {
  const configs: Record<string, string> = {};
  for (const c of list) {
    const [k, v] = parseKeyValue(c, '--config');
    configs[k] = v;
  }
  return configs;
}

/** Topics matching --topic (Kafka treats it as a regular expression matching the whole name). */
function matchTopics(all: string[], pattern: string | undefined): string[] {
  if (pattern === undefined) return all;
  if (all.includes(pattern)) return [pattern];
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    return []; // not a valid regular expression: only an exact name could match, and none did
  }
  return all.filter((t) => re.test(t));
}

function ensureTopicExists(found: string[], requested: string | undefined, requireExists: boolean): void {
  if (requested !== undefined && requireExists && found.length === 0) {
    throw new CommandError(`Topic '${requested}' does not exist as expected`);
  }
}

async function create(admin: Admin, args: ParsedArgs): Promise<void> {
  const topic = args.get('topic')!;
  const partitions = args.int('partitions');
  const replicationFactor = args.int('replication-factor');
  if (partitions !== undefined && partitions < 1) throw new CommandError('The partitions must be greater than 0');
  if (replicationFactor !== undefined && (replicationFactor < 1 || replicationFactor > 32767)) {
    throw new CommandError('The replication factor must be between 1 and 32767');
  }
  const assignment = args.has('replica-assignment') ? parseReplicaAssignment(args.get('replica-assignment')!) : undefined;
  if (topic.includes('.') || topic.includes('_')) {
    out("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n");
  }
  const [result] = await admin.createTopics([
    { name: topic, numPartitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1, ...(assignment ? { assignments: assignment } : {}), configs: parseConfigs(args.all('config')) },
  ]);
  if (result!.error) {
    if (result!.error.code === ErrorCode.TOPIC_ALREADY_EXISTS && args.has('if-not-exists')) return;
    throw result!.error;
  }
  out(`Created topic ${topic}.\n`);
}

async function list(admin: Admin, args: ParsedArgs): Promise<void> {
  const topics = await admin.listTopics({ includeInternal: !args.has('exclude-internal') });
  const matched = matchTopics(topics, args.get('topic'));
  if (matched.length > 0) out(`${matched.join('\n')}\n`);
}

async function describe(admin: Admin, args: ParsedArgs): Promise<void> {
  let topics: TopicMetadata[];
  const requested = args.get('topic');
  if (args.has('topic-id')) {
    const id = fromKafkaTopicId(args.get('topic-id')!);
    topics = (await admin.describeTopics(null)).filter((t) => t.topicId === id && t.errorCode === ErrorCode.NONE);
    if (topics.length === 0 && !args.has('if-exists')) throw new CommandError(`Topic '${args.get('topic-id')}' does not exist as expected`);
  } else {
    const all = (await admin.describeTopics(null)).filter((t) => t.errorCode === ErrorCode.NONE && !(args.has('exclude-internal') && t.isInternal));
    const names = matchTopics(
      all.map((t) => t.name),
      requested,
    );
    ensureTopicExists(names, requested, !args.has('if-exists'));
    const wanted = new Set(names);
    topics = all.filter((t) => wanted.has(t.name));
  }
  if (topics.length === 0) return;
  const configs = await admin.describeConfigs(topics.map((t) => ({ type: ResourceType.TOPIC, name: t.name })));
  const configsByTopic = new Map(configs.map((c) => [c.name, c]));
  const liveBrokers = new Set((await admin.client.refreshMetadata([])).brokers.keys());
  const onlyPartitions = ['under-replicated-partitions', 'unavailable-partitions', 'under-min-isr-partitions', 'at-min-isr-partitions'].some((o) => args.has(o));
  const lines: string[] = [];
  for (const t of topics) {
    const cfg = configsByTopic.get(t.name);
    const overrides = (cfg?.entries ?? []).filter((e) => e.source !== DEFAULT_CONFIG_SOURCE);
    if (args.has('topics-with-overrides') && !overrides.some((e) => e.source === 1)) continue;
    const minIsr = Number(cfg?.entries.find((e) => e.name === 'min.insync.replicas')?.value ?? 1);
    const partitions = t.partitions.filter((p) => {
      if (args.has('under-replicated-partitions') && !(p.isr.length < p.replicas.length)) return false;
      if (args.has('unavailable-partitions') && !(p.leader < 0 || !liveBrokers.has(p.leader))) return false;
      if (args.has('under-min-isr-partitions') && !(p.isr.length < minIsr)) return false;
      if (args.has('at-min-isr-partitions') && !(p.isr.length === minIsr)) return false;
      return true;
    });
    if (!onlyPartitions) {
      const configText = overrides.map((e) => `${e.name}=${e.sensitive ? 'null' : (e.value ?? 'null')}`).join(',');
      const rf = t.partitions[0]?.replicas.length ?? 0;
      lines.push(`Topic: ${t.name}\tTopicId: ${kafkaTopicId(t.topicId)}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configText}`);
    }
    for (const p of partitions) {
      const leader = p.leader >= 0 ? String(p.leader) : 'none';
      const offline = p.offline.length > 0 ? `\tOffline: ${p.offline.join(',')}` : '';
      lines.push(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${offline}`);
    }
  }
  if (lines.length > 0) out(`${lines.join('\n')}\n`);
}

async function alter(admin: Admin, args: ParsedArgs): Promise<void> {
  const all = await admin.listTopics({ includeInternal: true });
  const names = matchTopics(all, args.get('topic'));
  ensureTopicExists(names, args.get('topic'), !args.has('if-exists'));
  if (names.length === 0) return;
  if (args.has('partitions')) {
    const count = args.int('partitions')!;
    const assignment = args.has('replica-assignment') ? parseReplicaAssignment(args.get('replica-assignment')!) : undefined;
    const current = await admin.describeTopics(names);
    const results = await admin.createPartitions(
      names.map((name) => {
        const existing = current.find((t) => t.name === name)?.partitions.length ?? 0;
        return { name, count, ...(assignment ? { assignments: assignment.slice(existing) } : {}) };
      }),
    );
    const failed = results.find((r) => r.error);
    if (failed) throw failed.error!;
  }
  const set = parseConfigs(args.all('config'));
  const del = args.all('delete-config');
  if (Object.keys(set).length > 0 || del.length > 0) {
    const results = await admin.incrementalAlterConfigs(
      names.map((name) => ({
        type: ResourceType.TOPIC,
        name,
        ops: [...Object.entries(set).map(([k, v]) => ({ name: k, op: 'set' as const, value: v })), ...del.map((k) => ({ name: k, op: 'delete' as const }))],
      })),
    );
    const failed = results.find((r) => r.error);
    if (failed) throw failed.error!;
  }
}

async function remove(admin: Admin, args: ParsedArgs): Promise<void> {
  const all = await admin.listTopics({ includeInternal: true });
  const names = matchTopics(all, args.get('topic'));
  ensureTopicExists(names, args.get('topic'), !args.has('if-exists'));
  if (names.length === 0) return;
  const internal = (await admin.describeTopics(names)).filter((t) => t.isInternal).map((t) => t.name);
  if (internal.length > 0) throw new CommandError(`Topic ${internal[0]} is a kafka internal topic and is not allowed to be marked for deletion.`);
  const results = await admin.deleteTopics(names);
  const failed = results.find((r) => r.error && !(args.has('if-exists') && r.error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  if (failed) throw failed.error!;
}

async function main(args: ParsedArgs): Promise<number> {
  const action = checkArgs(args);
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient(await adminClientOptions(args, 'samsa-topics'));
    const admin = new Admin(client);
    if (action === 'create') await create(admin, args);
    else if (action === 'list') await list(admin, args);
    else if (action === 'describe') await describe(admin, args);
    else if (action === 'alter') await alter(admin, args);
    else await remove(admin, args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    out(`Error while executing topic command : ${messageOf(e)}\n`);
    const name = e instanceof CommandError || e instanceof ConfigFileError || e instanceof BootstrapError ? 'java.lang.IllegalArgumentException' : exceptionName(e);
    logLine('ERROR', `${name}: ${messageOf(e).split('\n')[0]}`, 'kafka.admin.TopicCommand$');
    if (!(e instanceof Error)) throw e;
    if (!(e instanceof KafkaError) && !(e instanceof CommandError) && !(e instanceof ConfigFileError) && !(e instanceof BootstrapError) && !(e instanceof ConnectionError) && e.name !== 'TimeoutError') {
      // An unexpected failure (a bug): keep the stack for the report.
      process.stderr.write(`${e.stack}\n`);
    }
    return 1;
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
