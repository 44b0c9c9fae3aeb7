/**
 * kafka-configs: describe and alter topic and broker configs, with Kafka 3.x's flags and output:
 *   --entity-type topics|brokers (or the shorthands --topic, --broker, --broker-defaults)
 *   --describe [--all]   → "Dynamic configs for topic t are:" / "All configs for broker 0 are:" and
 *                          one "  key=value sensitive=false synonyms={...}" line per entry
 *   --alter --add-config k1=v1,k2=[a,b] --delete-config k3
 *                        → "Completed updating config for topic t."
 * Alterations use IncrementalAlterConfigs. Users and clients (client quotas) are handled by
 * kafka-configs-quotas.ts; IPs and broker loggers are not supported (a clear error says so). Failures print Kafka's "Error while executing config command
 * with args '...'" and the cause on stderr, exit 1.
 */
import { Admin, ConfigSourceName, ResourceType, type ConfigEntry, type ConfigOp } from '../client/admin.js';
import { KafkaClient } from '../client/client.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { isQuotaCommand, quotaCommand } from './kafka-configs-quotas.js';
import {
  adminClientOptions,
  BootstrapError,
  ConfigFileError,
  err,
  exceptionName,
  loadPropertiesFile,
  messageOf,
  out,
  runTool,
} from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-configs',
  summary: 'This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip',
  options: [
    {
      name: 'add-config',
      argName: 'String',
      description:
        "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'.",
    },
    { name: 'add-config-file', argName: 'String', description: 'Path to a properties file with configs to add.' },
    { name: 'all', description: 'List all configs for the given topic or broker entity (includes static configuration when the entity type is brokers)' },
    { name: 'alter', description: 'Alter the configuration for the entity.' },
    { name: 'bootstrap-server', argName: 'String: server to connect to', description: 'The Kafka server to connect to. This is required for describing and altering broker configs.' },
    { name: 'broker', argName: 'String', description: 'The broker\'s ID.' },
    { name: 'broker-defaults', description: 'The config defaults for all brokers.' },
    { name: 'command-config', argName: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'delete-config', argName: 'String', multiple: true, description: 'config keys to remove \'k1,k2\'' },
    { name: 'describe', description: 'List configs for the given entity.' },
    { name: 'entity-default', description: 'Default entity name for clients/users/brokers/ips (applies to corresponding entity type in command line)' },
    { name: 'entity-name', argName: 'String', multiple: true, description: 'Name of entity (topic name/client id/user principal name/broker id/ip)' },
    { name: 'entity-type', argName: 'String', multiple: true, description: 'Type of entity (topics/clients/users/brokers/broker-loggers/ips)' },
    { name: 'user', argName: 'String', description: 'The user\'s principal name (client quotas).' },
    { name: 'user-defaults', description: 'The config defaults for all users (client quotas).' },
    { name: 'client', argName: 'String', description: 'The client\'s ID (client quotas).' },
    { name: 'client-defaults', description: 'The config defaults for all clients (client quotas).' },
    { name: 'force', description: 'Suppress console prompts' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'topic', argName: 'String', description: 'The topic\'s name.' },
    { name: 'version', description: 'Display Kafka version.' },
    { name: 'zookeeper', argName: 'String: urls', description: 'Samsa extension: find the brokers registered in this ZooKeeper (host:port[/chroot]) and talk to them.' },
  ],
};

type Entity = { kind: 'topics' | 'brokers'; name: string | null; isDefault: boolean };

class CommandError extends Error {}

function entityOf(args: ParsedArgs): Entity {
  const shorthand: Entity[] = [];
  if (args.has('topic')) shorthand.push({ kind: 'topics', name: args.get('topic')!, isDefault: false });
  if (args.has('broker')) shorthand.push({ kind: 'brokers', name: args.get('broker')!, isDefault: false });
  if (args.has('broker-defaults')) shorthand.push({ kind: 'brokers', name: '', isDefault: true });
  const type = args.get('entity-type');
  if (shorthand.length > 0) {
    if (type !== undefined || shorthand.length > 1) throw new UsageError('Only one entity type may be specified (--entity-type or one of --topic, --broker, --broker-defaults)');
    return shorthand[0]!;
  }
  if (type === undefined) throw new UsageError('At least one entity type must be specified');
  const unsupported = ['ips', 'broker-loggers'];
  if (unsupported.includes(type)) throw new UsageError(`--entity-type ${type} is not supported by Samsa yet (topics and brokers are)`);
  if (type !== 'topics' && type !== 'brokers') throw new UsageError(`Invalid entity type ${type}, the entity type must be one of users, brokers, topics, clients, ips, broker-loggers`);
  if (args.has('entity-default')) {
    if (type !== 'brokers') throw new UsageError('--entity-default is only supported for brokers in Samsa');
    return { kind: 'brokers', name: '', isDefault: true };
  }
  const name = args.get('entity-name') ?? null;
  if (type === 'brokers' && name !== null && !/^\d+$/.test(name)) {
    throw new UsageError(`The entity name for brokers must be a valid integer broker id, but it is: ${name}`);
  }
  return { kind: type, name, isDefault: false };
}

/** Kafka's parsing of --add-config: comma-separated k=v, where [..] groups a value holding commas. */
function parseAddConfig(text: string): Array<[string, string]> {
  const pairs: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      pairs.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') pairs.push(current);
  return pairs
    .filter((p) => p.trim() !== '')
    .map((p) => {
      const i = p.indexOf('=');
      if (i <= 0) throw new CommandError('Invalid entity config: all configs to be added must be in the format "key=val".');
      let v = p.slice(i + 1).trim();
      if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
      return [p.slice(0, i).trim(), v] as [string, string];
    });
}

function checkArgs(args: ParsedArgs): 'describe' | 'alter' {
  const actions = (['describe', 'alter'] as const).filter((a) => args.has(a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --describe, --alter');
  const action = actions[0]!;
  if (action === 'alter' && !args.has('add-config') && !args.has('delete-config') && !args.has('add-config-file')) {
    throw new UsageError('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter');
  }
  if (action === 'describe' && (args.has('add-config') || args.has('delete-config'))) {
    throw new UsageError('Option "[add-config]" can\'t be used with option "[describe]"');
  }
  if (args.has('all') && action !== 'describe') throw new UsageError('Option "[all]" can\'t be used with option "[alter]"');
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  return action;
}

function formatEntry(e: ConfigEntry): string {
  const synonyms = e.synonyms.map((s) => `${ConfigSourceName[s.source] ?? 'UNKNOWN'}:${s.name}=${e.sensitive ? 'null' : (s.value ?? 'null')}`).join(', ');
  return `  ${e.name}=${e.sensitive ? 'null' : (e.value ?? 'null')} sensitive=${e.sensitive} synonyms={${synonyms}}`;
}

async function describe(admin: Admin, args: ParsedArgs, entity: Entity): Promise<void> {
  const all = args.has('all');
  let names: string[];
  if (entity.name !== null) names = [entity.name];
  else if (entity.kind === 'topics') names = await admin.listTopics({ includeInternal: true });
  else names = (await admin.describeCluster()).brokers.map((b) => String(b.nodeId));
  if (entity.kind === 'brokers' && entity.isDefault) names = [''];
  const type = entity.kind === 'topics' ? ResourceType.TOPIC : ResourceType.BROKER;
  const results = await admin.describeConfigs(
    names.map((name) => ({ type, name })),
    { includeSynonyms: true },
  );
  const lines: string[] = [];
  for (const r of results) {
    if (r.error) throw r.error;
    let entries = r.entries;
    if (!all) {
      const dynamic = entity.kind === 'topics' ? [1] : entity.isDefault ? [4] : [3];
      entries = entries.filter((e) => dynamic.includes(e.source));
    }
    const what = entity.kind === 'topics' ? `topic ${r.name}` : entity.isDefault ? null : `broker ${r.name}`;
    if (what === null) lines.push(all ? 'All configs for brokers in the cluster are:' : 'Default configs for brokers in the cluster are:');
    else lines.push(`${all ? 'All' : 'Dynamic'} configs for ${what} are:`);
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) lines.push(formatEntry(e));
  }
  if (lines.length > 0) out(`${lines.join('\n')}\n`);
}

async function alter(admin: Admin, args: ParsedArgs, entity: Entity): Promise<void> {
  if (entity.name === null && !entity.isDefault) throw new UsageError('an entity name must be specified with --alter');
  const add: Array<[string, string]> = [];
  if (args.has('add-config-file')) add.push(...Object.entries(loadPropertiesFile(args.get('add-config-file')!)));
  if (args.has('add-config')) add.push(...parseAddConfig(args.get('add-config')!));
  const del = args
    .all('delete-config')
    .flatMap((d) => d.split(','))
    .map((d) => d.trim())
    .filter((d) => d !== '');
  const type = entity.kind === 'topics' ? ResourceType.TOPIC : ResourceType.BROKER;
  const name = entity.isDefault ? '' : entity.name!;
  if (del.length > 0) {
    // Kafka refuses to delete keys the entity does not know.
    const [current] = await admin.describeConfigs([{ type, name }]);
    if (current!.error) throw current!.error;
    const known = new Set(current!.entries.map((e) => e.name));
    const invalid = del.filter((d) => !known.has(d));
    if (invalid.length > 0 && entity.kind === 'topics') throw new CommandError(`Invalid config(s): ${invalid.join(',')}`);
  }
  const ops: Array<{ name: string; op: ConfigOp; value?: string | null }> = [
    ...add.map(([k, v]) => ({ name: k, op: 'set' as const, value: v })),
    ...del.map((k) => ({ name: k, op: 'delete' as const })),
  ];
  const [result] = await admin.incrementalAlterConfigs([{ type, name, ops }]);
  if (result!.error) throw result!.error;
  if (entity.kind === 'topics') out(`Completed updating config for topic ${name}.\n`);
  else if (entity.isDefault) out('Completed updating default config for brokers in the cluster.\n');
  else out(`Completed updating config for broker ${name}.\n`);
}

async function main(args: ParsedArgs): Promise<number> {
  const action = checkArgs(args);
  const quotas = isQuotaCommand(args); // users / clients: kafka-configs-quotas.ts
  const entity = quotas ? null : entityOf(args);
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient(await adminClientOptions(args, 'samsa-configs'));
    const admin = new Admin(client);
    if (entity === null) await quotaCommand(client, args, action);
    else if (action === 'describe') await describe(admin, args, entity);
    else await alter(admin, args, entity);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    err(`Error while executing config command with args '${args.argv.join(' ')}'\n`);
    const name = e instanceof CommandError || e instanceof ConfigFileError || e instanceof BootstrapError ? 'java.lang.IllegalArgumentException' : exceptionName(e);
    err(`${name}: ${messageOf(e)}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
