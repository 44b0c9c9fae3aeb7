/**
 * kafka-acls: add, list and remove ACLs with Kafka 3.x's flags and output:
 *   --add | --remove | --list
 *   --allow-principal P / --deny-principal P (repeatable), --allow-host H / --deny-host H (default *)
 *   --operation OP (repeatable; default All), --topic T / --group G / --transactional-id X
 *   (repeatable), --cluster, --delegation-token D, --resource-pattern-type literal|prefixed|match|any
 *   --producer [--idempotent] / --consumer conveniences, --principal P (list filter), --force
 * Output: "Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`:"
 * then one tab-indented "(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)" per
 * ACL, and after --add/--remove the "Current ACLs for resource ..." listing, as Kafka prints it.
 * Brokers: --bootstrap-server, or the old `--authorizer-properties zookeeper.connect=H:P`, which
 * here finds the brokers registered in that ZooKeeper and talks to them (Samsa's brokers write
 * ACLs to the same ZooKeeper nodes Kafka's old tool wrote).
 */
import { createInterface } from 'node:readline/promises';
import { KafkaClient } from '../client/client.js';
import { createAcls, deleteAcls, describeAcls, type AclCreation, type AclFilterFields } from '../client/security-admin.js';
import { AclOperation, CLUSTER_NAME, operationCode, operationName, PatternType, Permission, ResourceType } from '../security/acl.js';
import { ParsedArgs, UsageError, type ToolSpec } from './tool/args.js';
import { adminClientOptions, err, out, reportFailure, runTool } from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-acls',
  summary: 'This tool helps to manage acls on kafka.',
  options: [
    { name: 'add', description: 'Indicates you are trying to add ACLs.' },
    { name: 'allow-host', argName: 'allow-host', multiple: true, description: 'Host from which principals listed in --allow-principal will have access. If you have specified --allow-principal then the default for this option will be set to * which allows access from all hosts.' },
    { name: 'allow-principal', argName: 'allow-principal', multiple: true, description: 'principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. For example, User:* is the wild card indicating all users.' },
    { name: 'authorizer-properties', argName: 'authorizer-properties', multiple: true, description: 'DEPRECATED: the properties required to configure an instance of the Authorizer; Samsa reads zookeeper.connect=host:port from it and talks to the brokers registered there.' },
    { name: 'bootstrap-server', argName: 'server to connect to', description: 'A list of host/port pairs to use for establishing the connection to the Kafka cluster.' },
    { name: 'cluster', description: 'Add/Remove cluster ACLs.' },
    { name: 'command-config', argName: 'command-config', description: 'A property file containing configs to be passed to Admin Client.' },
    { name: 'consumer', description: 'Convenience option to add/remove ACLs for consumer role. This will generate ACLs that allows READ, DESCRIBE on topic and READ on group.' },
    { name: 'delegation-token', argName: 'delegation-token', multiple: true, description: 'Delegation token to which ACLs should be added or removed.' },
    { name: 'deny-host', argName: 'deny-host', multiple: true, description: 'Host from which principals listed in --deny-principal will be denied access.' },
    { name: 'deny-principal', argName: 'deny-principal', multiple: true, description: 'principal is in principalType:name format. By default anyone not added through --allow-principal is denied access.' },
    { name: 'force', description: 'Assume Yes to all queries and do not prompt.' },
    { name: 'group', argName: 'group', multiple: true, description: 'Consumer Group to which the ACLs should be added or removed. A value of * indicates the ACLs should apply to all groups.' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'idempotent', description: 'Enable idempotence for the producer. This should be used in combination with the --producer option.' },
    { name: 'list', description: 'List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.' },
    { name: 'operation', argName: 'operation', multiple: true, description: 'Operation that is being allowed or denied. Valid operation names are: Describe, DescribeConfigs, Alter, IdempotentWrite, Read, Delete, Create, ClusterAction, All, CreateTokens, DescribeTokens, Write, AlterConfigs (default: All)' },
    { name: 'principal', argName: 'principal', multiple: true, description: 'List ACLs for the specified principal. principal is in principalType:name format. Multiple --principal option can be passed.' },
    { name: 'producer', description: 'Convenience option to add/remove ACLs for producer role. This will generate ACLs that allows WRITE, DESCRIBE and CREATE on topic.' },
    { name: 'remove', description: 'Indicates you are trying to remove ACLs.' },
    { name: 'resource-pattern-type', argName: 'ANY|MATCH|LITERAL|PREFIXED', description: "The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, e.g. 'literal' or 'prefixed'. When listing or removing acls, a specific pattern type can be used to list or remove acls from specific resource patterns, or use the filter values of 'any' or 'match' (default: LITERAL)" },
    { name: 'topic', argName: 'topic', multiple: true, description: 'topic to which ACLs should be added or removed. A value of * indicates ACL should apply to all topics.' },
    { name: 'transactional-id', argName: 'transactional-id', multiple: true, description: 'The transactionalId to which ACLs should be added or removed. A value of * indicates the ACLs should apply to all transactionalIds.' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

class CommandError extends Error {}

interface Resource {
  type: number;
  name: string;
}
interface Ace {
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

const TYPE_TEXT: Record<number, string> = { 2: 'TOPIC', 3: 'GROUP', 4: 'CLUSTER', 5: 'TRANSACTIONAL_ID', 6: 'DELEGATION_TOKEN' };
const PATTERN_TEXT: Record<number, string> = { 1: 'ANY', 2: 'MATCH', 3: 'LITERAL', 4: 'PREFIXED' };
const opText = (code: number): string => operationName(code).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
const aceText = (a: Ace): string => `(principal=${a.principal}, host=${a.host}, operation=${opText(a.operation)}, permissionType=${a.permission === Permission.DENY ? 'DENY' : 'ALLOW'})`;
const patternText = (r: Resource, pattern: number, filter = false): string =>
  `${filter ? 'ResourcePatternFilter' : 'ResourcePattern'}(resourceType=${TYPE_TEXT[r.type]}, name=${r.name}, patternType=${PATTERN_TEXT[pattern]})`;

function action(args: ParsedArgs): 'add' | 'remove' | 'list' {
  const actions = (['add', 'remove', 'list'] as const).filter((a) => args.has(a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --add, --remove. ');
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  return actions[0]!;
}

function patternType(args: ParsedArgs, act: string): number {
  const text = (args.get('resource-pattern-type') ?? 'literal').toUpperCase();
  const code = { ANY: PatternType.ANY, MATCH: PatternType.MATCH, LITERAL: PatternType.LITERAL, PREFIXED: PatternType.PREFIXED }[text];
  if (code === undefined) throw new UsageError(`Unrecognised pattern type: ${args.get('resource-pattern-type')}; use literal, prefixed, match or any`);
  if (act === 'add' && (code === PatternType.ANY || code === PatternType.MATCH)) {
    throw new UsageError(`A '--resource-pattern-type' value of '${text}' is not valid when adding acls.`);
  }
  return code;
}

/** The resources named on the command line, with the operations each gets (--producer/--consumer expand). */
function resourcesAndOps(args: ParsedArgs, act: string): Array<{ resource: Resource; ops: number[] }> {
  const topics = args.all('topic').map((name) => ({ type: ResourceType.TOPIC as number, name }));
  const groups = args.all('group').map((name) => ({ type: ResourceType.GROUP as number, name }));
  const txns = args.all('transactional-id').map((name) => ({ type: ResourceType.TRANSACTIONAL_ID as number, name }));
  const tokens = args.all('delegation-token').map((name) => ({ type: ResourceType.DELEGATION_TOKEN as number, name }));
  const cluster = args.has('cluster') ? [{ type: ResourceType.CLUSTER as number, name: CLUSTER_NAME }] : [];
  const producer = args.has('producer');
  const consumer = args.has('consumer');
  if ((producer || consumer) && args.has('operation')) throw new UsageError('Option "[operation]" can\'t be used with option "[producer]" or "[consumer]"');
  if (producer && topics.length === 0) throw new UsageError('With --producer you must specify a --topic');
  if (args.has('idempotent') && !producer) throw new UsageError('Option "[idempotent]" can only be used with option "[producer]"');
  if (consumer && (topics.length === 0 || groups.length === 0 || cluster.length > 0 || (!producer && txns.length > 0))) {
    throw new UsageError('With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.');
  }
  if (producer || consumer) {
    const out: Array<{ resource: Resource; ops: number[] }> = [];
    if (producer) {
      out.push(...topics.map((resource) => ({ resource, ops: [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE] })));
      out.push(...txns.map((resource) => ({ resource, ops: [AclOperation.WRITE, AclOperation.DESCRIBE] })));
      if (args.has('idempotent')) out.push({ resource: { type: ResourceType.CLUSTER, name: CLUSTER_NAME }, ops: [AclOperation.IDEMPOTENT_WRITE] });
    }
    if (consumer) {
      out.push(...topics.map((resource) => ({ resource, ops: [AclOperation.READ, AclOperation.DESCRIBE] })));
      out.push(...groups.map((resource) => ({ resource, ops: [AclOperation.READ] })));
    }
    return mergeOps(out);
  }
  const all = [...topics, ...groups, ...txns, ...tokens, ...cluster];
  if (all.length === 0 && act !== 'list') throw new UsageError('You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>');
  const ops = args.all('operation').map((o) => {
    const code = operationCode(o);
    if (code === null) throw new UsageError(`Unrecognised operation: ${o}; valid: Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, CreateTokens, DescribeTokens, All`);
    return code as number;
  });
  const chosen = ops.length > 0 ? [...new Set(ops)] : [AclOperation.ALL as number];
  const valid: Record<number, number[]> = {
    [ResourceType.TOPIC]: [3, 4, 5, 6, 7, 8, 10, 11, 2],
    [ResourceType.GROUP]: [3, 6, 8, 2],
    [ResourceType.CLUSTER]: [5, 9, 10, 7, 11, 12, 8, 13, 2],
    [ResourceType.TRANSACTIONAL_ID]: [8, 4, 2],
    [ResourceType.DELEGATION_TOKEN]: [8, 2],
  };
  if (act === 'add') {
    for (const r of all) {
      const bad = chosen.filter((o) => !valid[r.type]!.includes(o));
      if (bad.length > 0) throw new UsageError(`ResourceType ${TYPE_TEXT[r.type]} only supports operations ${valid[r.type]!.map(opText).join(',')}`);
    }
  }
  return all.map((resource) => ({ resource, ops: chosen }));
}

function mergeOps(list: Array<{ resource: Resource; ops: number[] }>): Array<{ resource: Resource; ops: number[] }> {
  const merged = new Map<string, { resource: Resource; ops: number[] }>();
  for (const x of list) {
    const key = `${x.resource.type}:${x.resource.name}`;
    const m = merged.get(key);
    if (m) m.ops = [...new Set([...m.ops, ...x.ops])];
    else merged.set(key, { resource: x.resource, ops: [...x.ops] });
  }
  return [...merged.values()];
}

function principalsAndHosts(args: ParsedArgs, kind: 'allow' | 'deny'): Array<{ principal: string; host: string }> {
  const principals = args.all(`${kind}-principal`);
  for (const p of principals) if (!/^[^:]+:.+$/.test(p)) throw new UsageError(`Invalid principal ${p}: expected principalType:name, e.g. User:alice`);
  let hosts = args.all(`${kind}-host`);
  if (hosts.length > 0 && principals.length === 0) throw new UsageError(`The --${kind}-host option is only valid together with --${kind}-principal`);
  if (hosts.length === 0) hosts = ['*'];
  return principals.flatMap((principal) => hosts.map((host) => ({ principal, host })));
}

function acesOf(args: ParsedArgs, ops: number[]): Ace[] {
  const aces: Ace[] = [];
  for (const [kind, permission] of [
    ['allow', Permission.ALLOW],
    ['deny', Permission.DENY],
  ] as const) {
    for (const { principal, host } of principalsAndHosts(args, kind)) for (const operation of ops) aces.push({ principal, host, operation, permission });
  }
  return aces;
}

async function confirm(args: ParsedArgs, question: string): Promise<boolean> {
  if (args.has('force')) return true;
  if (!process.stdin.isTTY) {
    throw new CommandError(`${question.trim()} needs an answer: add --force to remove ACLs without a prompt`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(`${question}\n`)).trim().toLowerCase().startsWith('y');
  } finally {
    rl.close();
  }
}

const filterOf = (r: Resource | null, pattern: number, ace: Partial<Ace> = {}): AclFilterFields => ({
  resourceTypeFilter: r?.type ?? ResourceType.ANY,
  resourceNameFilter: r?.name ?? null,
  patternTypeFilter: r === null ? PatternType.ANY : pattern,
  principalFilter: ace.principal ?? null,
  hostFilter: ace.host ?? null,
  operation: ace.operation ?? AclOperation.ANY,
  permissionType: ace.permission ?? Permission.ANY,
});

async function list(client: KafkaClient, resources: Resource[], pattern: number, principals: string[]): Promise<void> {
  const filters = resources.length > 0 ? resources.map((r) => filterOf(r, pattern)) : [filterOf(null, PatternType.ANY)];
  const found = new Map<string, { resource: Resource; pattern: number; aces: Ace[] }>();
  for (const f of filters) {
    for (const r of await describeAcls(client, f)) {
      const key = `${r.resourceType}:${r.patternType}:${r.resourceName}`;
      const entry = found.get(key) ?? { resource: { type: r.resourceType, name: r.resourceName }, pattern: r.patternType, aces: [] };
      for (const a of r.acls) {
        if (principals.length > 0 && !principals.includes(a.principal)) continue;
        if (!entry.aces.some((x) => x.principal === a.principal && x.host === a.host && x.operation === a.operation && x.permission === a.permissionType)) {
          entry.aces.push({ principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType });
        }
      }
      if (entry.aces.length > 0) found.set(key, entry);
    }
  }
  for (const p of principals.length > 0 ? principals : [null]) {
    const label = p === null ? null : p;
    for (const e of found.values()) {
      const aces = label === null ? e.aces : e.aces.filter((a) => a.principal === label);
      if (aces.length === 0) continue;
      const head = label === null ? 'Current ACLs for resource' : `ACLs for principal \`${label}\``;
      out(`${head}${label === null ? '' : '\nCurrent ACLs for resource'} \`${patternText(e.resource, e.pattern)}\`: \n ${aces.map((a) => `\t${aceText(a)}`).join('\n')} \n\n`);
    }
  }
}

async function add(client: KafkaClient, args: ParsedArgs, pattern: number): Promise<void> {
  const targets = resourcesAndOps(args, 'add');
  for (const { resource, ops } of targets) {
    const aces = acesOf(args, ops);
    if (aces.length === 0) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
    out(`Adding ACLs for resource \`${patternText(resource, pattern)}\`: \n ${aces.map((a) => `\t${aceText(a)}`).join('\n')} \n\n`);
    const creations: AclCreation[] = aces.map((a) => ({ resourceType: resource.type, resourceName: resource.name, resourcePatternType: pattern, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission }));
    const failure = (await createAcls(client, creations)).find((e) => e !== null);
    if (failure) throw failure;
  }
  await list(client, targets.map((t) => t.resource), pattern, []);
}

async function remove(client: KafkaClient, args: ParsedArgs, pattern: number): Promise<void> {
  const targets = resourcesAndOps(args, 'remove');
  for (const { resource, ops } of targets) {
    const aces = args.has('allow-principal') || args.has('deny-principal') ? acesOf(args, ops) : [];
    const question =
      aces.length === 0
        ? `Are you sure you want to delete all ACLs for resource filter \`${patternText(resource, pattern, true)}\`? (y/n)`
        : `Are you sure you want to remove ACLs: \n ${aces.map((a) => `\t${aceText(a)}`).join('\n')} \n from resource filter \`${patternText(resource, pattern, true)}\`? (y/n)`;
    if (!(await confirm(args, question))) continue;
    const filters = aces.length === 0 ? [filterOf(resource, pattern)] : aces.map((a) => filterOf(resource, pattern, a));
    await deleteAcls(client, filters);
  }
  await list(client, targets.map((t) => t.resource), pattern, []);
}

/** The old `--authorizer-properties zookeeper.connect=...` form becomes a --zookeeper lookup. */
function withAuthorizerProperties(args: ParsedArgs): ParsedArgs {
  const props = args.all('authorizer-properties');
  if (props.length === 0) return args;
  if (args.has('bootstrap-server')) throw new UsageError('Only one of --bootstrap-server or --authorizer-properties may be specified');
  const connect = props.map((p) => /^zookeeper\.connect=(.+)$/.exec(p.trim())?.[1]).find((v) => v !== undefined);
  if (connect === undefined) throw new UsageError('--authorizer-properties must include zookeeper.connect=host:port (Samsa finds the brokers registered there)');
  const values = new Map(args.values);
  values.set('zookeeper', [connect]);
  return new ParsedArgs(values, args.positional, args.argv);
}

async function main(parsed: ParsedArgs): Promise<number> {
  const act = action(parsed);
  const pattern = patternType(parsed, act);
  if (act === 'list' && (parsed.has('allow-principal') || parsed.has('deny-principal'))) throw new UsageError('Option "[list]" can\'t be used with option "[allow-principal]" or "[deny-principal]"; use --principal');
  if (act !== 'list' && parsed.has('principal')) throw new UsageError('The --principal option is only valid with --list');
  if (act === 'list') resourcesAndOps(parsed, 'list'); // validates the resource options
  const args = withAuthorizerProperties(parsed);
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient(await adminClientOptions(args, 'samsa-acls'));
    if (act === 'add') await add(client, args, pattern);
    else if (act === 'remove') await remove(client, args, pattern);
    else {
      const resources = resourcesAndOps(args, 'list').map((t) => t.resource);
      await list(client, resources, pattern, args.all('principal'));
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    err('Error while executing ACL command: ');
    return reportFailure(e, [CommandError]);
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
