/**
 * kafka-consumer-groups: list, describe and delete consumer groups, reset and delete their committed
 * offsets, with Kafka 3.x's flags and output (kafka.admin.ConsumerGroupCommand):
 *   --list [--state [s1,s2]]         one group per line, or a GROUP / STATE table
 *   --describe --group g | --all-groups [--offsets | --members [--verbose] | --state]
 *                                    the offsets view (GROUP TOPIC PARTITION CURRENT-OFFSET
 *                                    LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID) by default
 *   --reset-offsets --group g --topic t[:p,…] | --all-topics --to-earliest | --to-latest |
 *     --to-offset N | --shift-by N | --to-datetime T | --by-duration D | --to-current
 *     [--dry-run | --execute]        prints GROUP TOPIC PARTITION NEW-OFFSET; --execute commits
 *                                    (only while the group has no active members)
 *   --delete --group g               "Deletion of requested consumer groups ('g') was successful."
 *   --delete-offsets --group g --topic t
 * Differences from Kafka: failures exit 1 (Kafka's tool prints "Error: …" and exits 0), and a
 * broker that cannot be reached fails at once with a hint instead of retrying until the timeout.
 */
import type { Admin, GroupDescription } from '../client/admin.js';
import type { KafkaClient } from '../client/client.js';
import { KafkaError } from '../client/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import {
  BootstrapError,
  clientSettings,
  ConfigFileError,
  err,
  exceptionName,
  loadPropertiesFile,
  logLine,
  messageOf,
  out,
  resolveBootstrap,
  runTool,
  START_HINT,
  validateClientProps,
} from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-consumer-groups',
  summary: 'This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.',
  options: [
    { name: 'all-groups', description: 'Apply to all consumer groups.' },
    { name: 'all-topics', description: 'Consider all topics assigned to a group in the `reset-offsets` process.' },
    { name: 'bootstrap-server', argName: 'String: server to connect to', description: 'REQUIRED: The server(s) to connect to.' },
    { name: 'by-duration', argName: 'String: duration', description: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'" },
    { name: 'command-config', argName: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client and Consumer.' },
    { name: 'delete', description: 'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2' },
    { name: 'delete-offsets', description: 'Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.' },
    { name: 'describe', description: 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.' },
    { name: 'dry-run', description: 'Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.' },
    { name: 'execute', description: 'Execute operation. Supported operations: reset-offsets.' },
    { name: 'group', argName: 'String: consumer group', multiple: true, description: 'The consumer group we wish to act on.' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'list', description: 'List all consumer groups.' },
    {
      name: 'members',
      description: "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members",
    },
    {
      name: 'offsets',
      description:
        "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.",
    },
    {
      name: 'reset-offsets',
      description:
        'Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive. Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --to-offset, --to-current. To define the scope use --all-topics or --topic.',
    },
    { name: 'shift-by', argName: 'Long: number-of-offsets', description: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative." },
    {
      name: 'state',
      kind: 'optional',
      argName: 'String',
      description:
        "When specified with '--describe', includes the state of the group. When specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states (--list --state stable,empty).",
    },
    {
      name: 'timeout',
      argName: 'Long: timeout (ms)',
      defaultText: '5000',
      description: 'The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes.',
    },
    { name: 'to-current', description: 'Reset offsets to current offset.' },
    { name: 'to-datetime', argName: 'String: datetime', description: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'" },
    { name: 'to-earliest', description: 'Reset offsets to earliest offset.' },
    { name: 'to-latest', description: 'Reset offsets to latest offset.' },
    { name: 'to-offset', argName: 'Long: offset', description: 'Reset offsets to a specific offset.' },
    {
      name: 'topic',
      argName: 'String: topic',
      multiple: true,
      description:
        'The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.',
    },
    {
      name: 'verbose',
      description: "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.",
    },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

const LOGGER = 'kafka.admin.ConsumerGroupCommand$';
const MISSING = '-';
const STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'];
const SCENARIOS = ['to-offset', 'shift-by', 'to-datetime', 'by-duration', 'to-earliest', 'to-latest', 'to-current'];

/** Java's %-Ns: left-aligned, padded to at least n. */
const pad = (s: string | number, n: number): string => String(s).padEnd(n);

/** Kafka's printError: a blank line, then "Error: msg", on stdout. */
function printError(msg: string): void {
  out(`\nError: ${msg}\n`);
}

type Action = 'list' | 'describe' | 'delete' | 'reset-offsets' | 'delete-offsets';

function cantUse(a: string, b: string): UsageError {
  return new UsageError(`Option "[${a}]" can't be used with option "[${b}]"`);
}

function checkArgs(args: ParsedArgs): Action {
  const actions = (['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets'] as const).filter((a) => args.has(a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets');
  const action = actions[0]!;
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  const hasGroups = args.has('group') || args.has('all-groups');
  for (const o of ['members', 'verbose', 'offsets']) if (args.has(o) && action !== 'describe') throw new UsageError(`Option [${o}] is available only with [describe]`);
  if (args.has('state') && action !== 'describe' && action !== 'list') throw new UsageError('Option [state] is available only with [describe] or [list]');
  if (action === 'describe') {
    if (!hasGroups) throw new UsageError('Option [describe] takes one of these options: [all-groups], [group]');
    if (['members', 'offsets', 'state'].filter((o) => args.has(o)).length > 1) throw new UsageError('Option [describe] takes at most one of these options: [members], [offsets], [state]');
    if (args.has('state') && args.get('state') !== '') throw new UsageError('Option [describe] does not take a value for [state]');
  }
  if (action === 'delete') {
    if (!hasGroups) throw new UsageError('Option [delete] takes one of these options: [all-groups], [group]');
    if (args.has('topic')) throw new UsageError('The consumer does not support topic-specific offset deletion from a consumer group.');
  }
  if (action === 'delete-offsets') {
    if (!args.has('group') || !args.has('topic')) throw new UsageError('Option [delete-offsets] takes the following options: [group], [topic]');
    if (args.all('group').length > 1) throw new UsageError('Option [delete-offsets] supports one consumer group at the time');
  }
  if (action === 'reset-offsets') {
    if (args.has('dry-run') && args.has('execute')) throw new UsageError('Option [reset-offsets] only accepts one of [execute] and [dry-run]');
    if (!hasGroups) throw new UsageError('Option [reset-offsets] takes one of these options: [all-groups], [group]');
    const given = SCENARIOS.filter((s) => args.has(s));
    if (given.length > 1) throw cantUse(given[0]!, given[1]!);
    if (given.length === 0) throw new UsageError(`Option [reset-offsets] requires one of the following scenarios: ${SCENARIOS.map((s) => `--${s}`).join(', ')}`);
    if (!args.has('topic') && !args.has('all-topics')) throw new UsageError('One of the reset scopes should be defined: --all-topics, --topic.');
    if (args.has('topic') && args.has('all-topics')) throw cantUse('topic', 'all-topics');
  } else {
    for (const s of [...SCENARIOS, 'dry-run', 'execute', 'all-topics']) if (args.has(s)) throw cantUse(s, action);
  }
  if (args.has('group') && args.has('all-groups')) throw cantUse('group', 'all-groups');
  if (args.has('group') && action === 'list') throw cantUse('group', 'list');
  if (args.has('topic') && (action === 'list' || action === 'describe')) throw cantUse('topic', action);
  args.int('timeout', { min: 1 });
  return action;
}

interface Ctx {
  args: ParsedArgs;
  client: KafkaClient;
  admin: Admin;
}

/** Groups named by --group, or every consumer group for --all-groups (sorted, as Kafka's TreeMap). */
async function groupIds(ctx: Ctx): Promise<string[]> {
  if (ctx.args.has('all-groups')) return (await consumerGroups(ctx)).map((g) => g.groupId);
  return [...new Set(ctx.args.all('group'))].sort();
}

/** Groups of the consumer protocol (or not yet known), as Kafka's listConsumerGroups. */
async function consumerGroups(ctx: Ctx): Promise<Array<{ groupId: string; state: string }>> {
  const all = await ctx.admin.listGroups();
  return all.filter((g) => g.protocolType === 'consumer' || g.protocolType === '');
}

async function describeOne(ctx: Ctx, groupId: string): Promise<GroupDescription & { missing: boolean }> {
  const [g] = await ctx.admin.describeGroups([groupId]);
  if (!g) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no description of group '${groupId}'`);
  if (g.error && g.error.code !== ErrorCode.GROUP_ID_NOT_FOUND) throw g.error;
  const missing = g.error !== null || g.state === 'Dead';
  return { ...g, state: missing ? 'Dead' : g.state, missing };
}

/**
 * Kafka's shouldPrintMemberState: Dead → "Error: Consumer group 'g' does not exist."; Empty → a
 * note on stderr; rebalancing → a warning on stderr. True when there are rows to print.
 */
function shouldPrint(groupId: string, state: string, rows: number): boolean {
  if (state === 'Dead') printError(`Consumer group '${groupId}' does not exist.`);
  else if (state === 'Empty') err(`\nConsumer group '${groupId}' has no active members.\n`);
  else if (state === 'PreparingRebalance' || state === 'CompletingRebalance') err(`\nWarning: Consumer group '${groupId}' is rebalancing.\n`);
  return state !== 'Dead' && rows > 0;
}

interface TP {
  topic: string;
  partition: number;
}
const tpKey = (t: string, p: number): string => `${t}\u0000${p}`;
const tpName = (tp: TP): string => `${tp.topic}-${tp.partition}`;
const byTp = (a: TP, b: TP): number => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1);

/** Offsets for the given spec (-2 earliest, -1 latest, or a timestamp); null where a partition cannot be asked. */
async function offsetsFor(ctx: Ctx, tps: TP[], timestamp: number): Promise<Map<string, number | null>> {
  const result = new Map<string, number | null>();
  if (tps.length === 0) return result;
  try {
    const answers = await ctx.admin.listOffsets(tps.map((tp) => ({ ...tp, timestamp })));
    for (const a of answers) result.set(tpKey(a.topic, a.partition), a.offset);
  } catch (e) {
    if (!(e instanceof KafkaError)) throw e;
    // One topic is gone (or a partition is): ask per topic so the others still get their offsets.
    for (const topic of new Set(tps.map((t) => t.topic))) {
      const mine = tps.filter((t) => t.topic === topic);
      try {
        const answers = await ctx.admin.listOffsets(mine.map((tp) => ({ ...tp, timestamp })));
        for (const a of answers) result.set(tpKey(a.topic, a.partition), a.offset);
      } catch (e2) {
        if (!(e2 instanceof KafkaError)) throw e2;
        for (const tp of mine) result.set(tpKey(tp.topic, tp.partition), null);
      }
    }
  }
  return result;
}

async function committedOffsets(ctx: Ctx, groupId: string): Promise<Map<string, TP & { offset: number }>> {
  const list = await ctx.admin.fetchCommittedOffsets(groupId);
  return new Map(list.filter((c) => c.offset >= 0).map((c) => [tpKey(c.topic, c.partition), c]));
}

// ---- --list ---------------------------------------------------------------------------------

async function list(ctx: Ctx): Promise<number> {
  const groups = await consumerGroups(ctx);
  if (!ctx.args.has('state')) {
    out(groups.map((g) => `${g.groupId}\n`).join(''));
    return 0;
  }
  const value = ctx.args.get('state') ?? '';
  let wanted: Set<string> | null = null;
  if (value.trim() !== '') {
    const parsed = value.split(',').map((s) => s.trim());
    const bad = parsed.filter((s) => !STATES.some((x) => x.toLowerCase() === s.toLowerCase()));
    if (bad.length > 0) throw new UsageError(`Invalid state list '${value}'. Valid states are: ${STATES.join(', ')}`);
    wanted = new Set(parsed.map((s) => s.toLowerCase()));
  }
  const shown = groups.filter((g) => wanted === null || wanted.has(g.state.toLowerCase()));
  const width = Math.max(15, ...shown.map((g) => g.groupId.length));
  out(`${pad('GROUP', width)} STATE\n${shown.map((g) => `${pad(g.groupId, width)} ${g.state}\n`).join('')}`);
  return 0;
}

// ---- --describe -----------------------------------------------------------------------------

interface OffsetRow {
  group: string;
  topic: string;
  partition: number;
  offset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string;
  host: string;
  clientId: string;
}

/** The rows of the offsets view: assigned partitions by member (most partitions first), then committed ones no member owns. */
async function collectOffsetRows(ctx: Ctx, g: GroupDescription): Promise<OffsetRow[]> {
  const committed = await committedOffsets(ctx, g.groupId);
  const owned: Array<TP & { consumerId: string; host: string; clientId: string }> = [];
  const assigned = new Set<string>();
  const members = g.members
    .map((m) => ({ m, tps: m.assignment.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))).sort(byTp) }))
    .filter((x) => x.tps.length > 0)
    .sort((a, b) => b.tps.length - a.tps.length);
  for (const { m, tps } of members) {
    for (const tp of tps) {
      assigned.add(tpKey(tp.topic, tp.partition));
      owned.push({ ...tp, consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  const unowned = [...committed.values()]
    .filter((c) => !assigned.has(tpKey(c.topic, c.partition)))
    .sort(byTp)
    .map((c) => ({ topic: c.topic, partition: c.partition, consumerId: MISSING, host: MISSING, clientId: MISSING }));
  const all = [...owned, ...unowned];
  const ends = await offsetsFor(ctx, all, -1);
  return all.map((r) => {
    const offset = committed.get(tpKey(r.topic, r.partition))?.offset ?? null;
    const end = ends.get(tpKey(r.topic, r.partition)) ?? null;
    return { group: g.groupId, ...r, offset, logEndOffset: end, lag: offset !== null && end !== null ? end - offset : null };
  });
}

function printOffsetRows(rows: OffsetRow[]): void {
  const gw = Math.max(15, ...rows.map((r) => r.group.length));
  const tw = Math.max(15, ...rows.map((r) => r.topic.length));
  const cw = Math.max(15, ...rows.map((r) => r.consumerId.length));
  const hw = Math.max(15, ...rows.map((r) => r.host.length));
  const line = (c: Array<string | number>): string =>
    `${pad(c[0]!, gw)} ${pad(c[1]!, tw)} ${pad(c[2]!, 10)} ${pad(c[3]!, 15)} ${pad(c[4]!, 15)} ${pad(c[5]!, 15)} ${pad(c[6]!, cw)} ${pad(c[7]!, hw)} ${c[8]}\n`;
  let text = `\n${line(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'])}`;
  for (const r of rows) text += line([r.group, r.topic, r.partition, r.offset ?? MISSING, r.logEndOffset ?? MISSING, r.lag ?? MISSING, r.consumerId, r.host, r.clientId]);
  out(text);
}

function printMembers(g: GroupDescription, verbose: boolean): void {
  const ms = g.members.map((m) => ({
    consumerId: m.memberId,
    instance: m.groupInstanceId ?? '',
    host: m.clientHost,
    clientId: m.clientId,
    n: m.assignment.reduce((s, a) => s + a.partitions.length, 0),
    assignment:
      m.assignment.length === 0 || m.assignment.every((a) => a.partitions.length === 0)
        ? MISSING
        : m.assignment
            .filter((a) => a.partitions.length > 0)
            .map((a) => `${a.topic}(${[...a.partitions].sort((x, y) => x - y).join(',')})`)
            .sort()
            .join(', '),
  }));
  const gw = Math.max(15, g.groupId.length);
  const cw = Math.max(15, ...ms.map((m) => m.consumerId.length));
  const iw = Math.max(17, ...ms.map((m) => m.instance.length));
  const hw = Math.max(15, ...ms.map((m) => m.host.length));
  const kw = Math.max(15, ...ms.map((m) => m.clientId.length));
  const withInstance = ms.some((m) => m.instance !== '');
  const line = (group: string, id: string, inst: string, host: string, client: string, n: string | number): string =>
    withInstance ? `${pad(group, gw)} ${pad(id, cw)} ${pad(inst, iw)} ${pad(host, hw)} ${pad(client, kw)} ${pad(n, 15)} ` : `${pad(group, gw)} ${pad(id, cw)} ${pad(host, hw)} ${pad(client, kw)} ${pad(n, 15)} `;
  let text = `\n${line('GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS')}${verbose ? 'ASSIGNMENT' : ''}\n`;
  for (const m of ms) text += `${line(g.groupId, m.consumerId, m.instance, m.host, m.clientId, m.n)}${verbose ? m.assignment : ''}\n`;
  out(text);
}

function printState(g: GroupDescription): void {
  const coordinator = `${g.coordinator.host}:${g.coordinator.port} (${g.coordinator.nodeId})`;
  const w = Math.max(25, coordinator.length);
  const line = (a: string, b: string, c: string, d: string, e: string | number): string => `\n${pad(a, w)} ${pad(b, 25)} ${pad(c, 20)} ${pad(d, 15)} ${e}`;
  out(`${line('GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS')}${line(g.groupId, coordinator, g.protocol, g.state, g.members.length)}\n`);
}

async function describe(ctx: Ctx): Promise<number> {
  const ids = await groupIds(ctx);
  const verbose = ctx.args.has('verbose');
  let failed = false;
  for (const id of ids) {
    const g = await describeOne(ctx, id);
    if (g.missing) failed = true;
    if (ctx.args.has('members')) {
      if (shouldPrint(id, g.state, g.members.length)) printMembers(g, verbose);
    } else if (ctx.args.has('state')) {
      if (shouldPrint(id, g.state, 1)) printState(g);
    } else {
      const rows = g.missing ? [] : await collectOffsetRows(ctx, g);
      if (shouldPrint(id, g.state, rows.length)) printOffsetRows(rows);
    }
  }
  if (failed) err(`List the groups with: kafka-consumer-groups --bootstrap-server ${ctx.args.get('bootstrap-server') ?? '<host:port>'} --list\n`);
  return failed ? 1 : 0;
}

// ---- --reset-offsets ------------------------------------------------------------------------

/** Kafka's Utils.getDateTime: ISO-8601 with a 'T'; no zone means UTC. */
function parseDateTime(text: string): number {
  const parts = text.split('T');
  if (parts.length < 2) throw new UsageError(`Error parsing timestamp. It does not contain a 'T' according to ISO8601 format: ${text}`);
  const time = parts[1]!;
  const withZone = /[+\-Z]/.test(time) ? text : `${text}Z`;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$/.test(withZone)) {
    throw new UsageError(`Unparseable date: "${text}" (expected YYYY-MM-DDTHH:mm:SS.sss, optionally with a zone such as Z or +01:00)`);
  }
  const ms = Date.parse(withZone.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new UsageError(`Unparseable date: "${text}"`);
  return ms;
}

/** java.time.Duration.parse for PnDTnHnMnS; milliseconds. */
function parseDuration(text: string): number {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+(?:[.,]\d{0,9})?)S)?)?$/i.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined && m[4] === undefined && m[5] === undefined) || /T$/i.test(text)) {
    throw new UsageError(`Text cannot be parsed to a Duration: ${text} (expected PnDTnHnMnS, e.g. PT1H or P1DT30M)`);
  }
  const n = (s: string | undefined): number => (s === undefined ? 0 : Number(s.replace(',', '.')));
  const ms = (n(m[2]) * 86_400 + n(m[3]) * 3600 + n(m[4]) * 60 + n(m[5])) * 1000;
  return m[1] === '-' ? -ms : ms;
}

async function topicPartitionsToReset(ctx: Ctx, topics: string[]): Promise<TP[]> {
  const outList: TP[] = [];
  const bare: string[] = [];
  for (const arg of topics) {
    if (!arg.includes(':')) {
      bare.push(arg);
      continue;
    }
    const parts = arg.split(':');
    if (parts.length !== 2 || parts[0] === '') throw new UsageError(`Invalid topic arg '${arg}', expected topic name and partitions`);
    for (const p of parts[1]!.split(',')) {
      if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition '${p}' specified in topic arg '${arg}''`);
      outList.push({ topic: parts[0]!, partition: Number(p.trim()) });
    }
  }
  if (bare.length > 0) {
    for (const t of await ctx.admin.describeTopics(bare)) {
      if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode, `Topic '${t.name}' does not exist.`);
      for (const p of t.partitions) outList.push({ topic: t.name, partition: p.partition });
    }
    for (const b of bare) if (!outList.some((tp) => tp.topic === b)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${b}' does not exist.`);
  }
  const seen = new Set<string>();
  return outList.filter((tp) => (seen.has(tpKey(tp.topic, tp.partition)) ? false : (seen.add(tpKey(tp.topic, tp.partition)), true))).sort(byTp);
}

function required(map: Map<string, number | null>, tp: TP, what: string): number {
  const v = map.get(tpKey(tp.topic, tp.partition));
  if (v === undefined || v === null || v < 0) throw new UsageError(`Error getting ${what} offset of topic partition: ${tpName(tp)}`);
  return v;
}

/** Clamps requested offsets into [log start, log end], warning like Kafka. */
async function checkRange(ctx: Ctx, requested: Array<TP & { offset: number }>): Promise<Array<TP & { offset: number }>> {
  const starts = await offsetsFor(ctx, requested, -2);
  const ends = await offsetsFor(ctx, requested, -1);
  return requested.map((r) => {
    const end = required(ends, r, 'ending');
    const start = required(starts, r, 'starting');
    if (r.offset > end) {
      logLine('WARN', `New offset (${r.offset}) is higher than latest offset for topic partition ${tpName(r)}. Value will be set to ${end}`, LOGGER);
      return { ...r, offset: end };
    }
    if (r.offset < start) {
      logLine('WARN', `New offset (${r.offset}) is lower than earliest offset for topic partition ${tpName(r)}. Value will be set to ${start}`, LOGGER);
      return { ...r, offset: start };
    }
    return r;
  });
}

async function byTimestamp(ctx: Ctx, tps: TP[], timestamp: number): Promise<Array<TP & { offset: number }>> {
  const found = await offsetsFor(ctx, tps, timestamp);
  const empty = tps.filter((tp) => (found.get(tpKey(tp.topic, tp.partition)) ?? -1) < 0);
  for (const tp of empty) out(`\nWarn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.\n`);
  const ends = await offsetsFor(ctx, empty, -1);
  return tps.map((tp) => {
    const v = found.get(tpKey(tp.topic, tp.partition));
    return { ...tp, offset: v !== undefined && v !== null && v >= 0 ? v : required(ends, tp, 'offset by timestamp of') };
  });
}

async function prepareOffsets(ctx: Ctx, groupId: string, tps: TP[]): Promise<Array<TP & { offset: number }>> {
  const a = ctx.args;
  if (a.has('to-offset')) {
    const n = longArg(a, 'to-offset');
    return checkRange(ctx, tps.map((tp) => ({ ...tp, offset: n })));
  }
  if (a.has('to-earliest')) {
    const starts = await offsetsFor(ctx, tps, -2);
    return tps.map((tp) => ({ ...tp, offset: required(starts, tp, 'starting') }));
  }
  if (a.has('to-latest')) {
    const ends = await offsetsFor(ctx, tps, -1);
    return tps.map((tp) => ({ ...tp, offset: required(ends, tp, 'ending') }));
  }
  if (a.has('shift-by')) {
    const by = longArg(a, 'shift-by');
    const committed = await committedOffsets(ctx, groupId);
    return checkRange(
      ctx,
      tps.map((tp) => {
        const c = committed.get(tpKey(tp.topic, tp.partition));
        if (!c) throw new UsageError(`Cannot shift offset for partition ${tpName(tp)} since there is no current committed offset`);
        return { ...tp, offset: c.offset + by };
      }),
    );
  }
  if (a.has('to-datetime')) return byTimestamp(ctx, tps, parseDateTime(a.get('to-datetime')!));
  if (a.has('by-duration')) return byTimestamp(ctx, tps, Math.max(0, Date.now() - parseDuration(a.get('by-duration')!))); // before 1970: from the start
  // --to-current: the committed offset, or the log end where there is none.
  const committed = await committedOffsets(ctx, groupId);
  const without = tps.filter((tp) => !committed.has(tpKey(tp.topic, tp.partition)));
  const ends = await offsetsFor(ctx, without, -1);
  return tps.map((tp) => ({ ...tp, offset: committed.get(tpKey(tp.topic, tp.partition))?.offset ?? required(ends, tp, 'ending') }));
}

function longArg(a: ParsedArgs, name: string): number {
  const v = a.get(name)!.trim();
  if (!/^[-+]?\d+$/.test(v)) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
  return Number(v);
}

async function resetOffsets(ctx: Ctx): Promise<number> {
  const execute = ctx.args.has('execute');
  if (!execute && !ctx.args.has('dry-run')) {
    err(
      'WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n',
    );
  }
  // Validate the scenario's argument before talking to the broker.
  if (ctx.args.has('to-datetime')) parseDateTime(ctx.args.get('to-datetime')!);
  if (ctx.args.has('by-duration')) parseDuration(ctx.args.get('by-duration')!);
  for (const o of ['to-offset', 'shift-by']) if (ctx.args.has(o)) longArg(ctx.args, o);

  const ids = await groupIds(ctx);
  const plans: Array<{ groupId: string; offsets: Array<TP & { offset: number }> }> = [];
  let failed = false;
  for (const id of ids) {
    const g = await describeOne(ctx, id);
    if (g.state !== 'Empty' && g.state !== 'Dead') {
      printError(`Assignments can only be reset if the group '${id}' is inactive, but the current state is ${g.state}.`);
      err(`Stop the group's consumers first (they must leave the group), then run this again.\n`);
      failed = true;
      plans.push({ groupId: id, offsets: [] });
      continue;
    }
    const tps = ctx.args.has('all-topics')
      ? [...(await committedOffsets(ctx, id)).values()].map((c) => ({ topic: c.topic, partition: c.partition })).sort(byTp)
      : await topicPartitionsToReset(ctx, ctx.args.all('topic'));
    const offsets = await prepareOffsets(ctx, id, tps);
    if (execute && offsets.length > 0) {
      const results = await ctx.admin.commitGroupOffsets(id, offsets);
      const bad = results.find((r) => r.error);
      if (bad) {
        if (bad.error!.code === ErrorCode.UNKNOWN_MEMBER_ID || bad.error!.code === ErrorCode.ILLEGAL_GENERATION || bad.error!.code === ErrorCode.REBALANCE_IN_PROGRESS) {
          throw new KafkaError(bad.error!.code, `Commit cannot be completed since the group '${id}' has active members (${bad.error!.message}); stop its consumers first`);
        }
        throw new KafkaError(bad.error!.code, `offset commit for ${bad.topic}-${bad.partition} failed: ${bad.error!.message}`);
      }
    }
    plans.push({ groupId: id, offsets });
  }
  if (plans.length > 0) {
    let text = `\n${pad('GROUP', 30)} ${pad('TOPIC', 30)} ${pad('PARTITION', 10)} ${pad('NEW-OFFSET', 15)}\n`;
    for (const p of plans) for (const o of p.offsets) text += `${pad(p.groupId, 30)} ${pad(o.topic, 30)} ${pad(o.partition, 10)} ${pad(o.offset, 15)}\n`;
    out(text);
  }
  return failed ? 1 : 0;
}

// ---- --delete / --delete-offsets --------------------------------------------------------------

function javaException(e: KafkaError): string {
  const special: Record<number, string> = {
    [ErrorCode.NON_EMPTY_GROUP]: 'org.apache.kafka.common.errors.GroupNotEmptyException',
  };
  return `${special[e.code] ?? exceptionName(e)}: ${e.message}`;
}

async function deleteGroups(ctx: Ctx): Promise<number> {
  const ids = await groupIds(ctx);
  const results = await ctx.admin.deleteGroups(ids);
  const ok = results.filter((r) => r.error === null).map((r) => r.groupId);
  const failed = results.filter((r) => r.error !== null);
  const quoted = (xs: string[]): string => xs.map((x) => `'${x}'`).join(', ');
  if (failed.length === 0) {
    out(`Deletion of requested consumer groups (${quoted(ok)}) was successful.\n`);
    return 0;
  }
  printError('Deletion of some consumer groups failed:');
  let text = '';
  for (const f of failed) text += `* Group '${f.groupId}' could not be deleted due to: ${javaException(f.error!)}\n`;
  if (ok.length > 0) text += `\nThese consumer groups were deleted successfully: ${quoted(ok)}\n`;
  out(text);
  if (failed.some((f) => f.error!.code === ErrorCode.NON_EMPTY_GROUP)) err('A group with active members cannot be deleted: stop its consumers first.\n');
  return 1;
}

async function deleteOffsets(ctx: Ctx): Promise<number> {
  const groupId = ctx.args.get('group')!;
  const topics = ctx.args.all('topic');
  const statuses = new Map<string, { tp: TP; error: string | null }>();
  const known: TP[] = [];
  const bare: string[] = [];
  for (const t of topics) {
    if (t.includes(':')) known.push(...(await topicPartitionsToReset(ctx, [t])));
    else bare.push(t);
  }
  if (bare.length > 0) {
    for (const t of await ctx.admin.describeTopics(bare)) {
      if (t.errorCode !== ErrorCode.NONE) statuses.set(tpKey(t.name, -1), { tp: { topic: t.name, partition: -1 }, error: new KafkaError(t.errorCode).message });
      else for (const p of t.partitions) known.push({ topic: t.name, partition: p.partition });
    }
  }
  let top: KafkaError | null = null;
  if (known.length > 0) {
    const res = await ctx.admin.deleteGroupOffsets(groupId, known);
    top = res.error;
    const byKey = new Map(res.partitions.map((p) => [tpKey(p.topic, p.partition), p.error]));
    for (const tp of known) {
      const e = byKey.get(tpKey(tp.topic, tp.partition)) ?? top;
      if (e && !top) top = e;
      statuses.set(tpKey(tp.topic, tp.partition), { tp, error: e ? e.message : null });
    }
  }
  let failed = top !== null || [...statuses.values()].some((s) => s.error !== null);
  const code = top?.code ?? ErrorCode.NONE;
  if (code === ErrorCode.NONE && !failed) out(`Request succeed for deleting offsets with topic ${topics.join(', ')} group ${groupId}\n`);
  else if (code === ErrorCode.NONE) printError('Encounter some partition level error, see the follow-up details:');
  else if (code === ErrorCode.INVALID_GROUP_ID) printError(`'${groupId}' is not valid.`);
  else if (code === ErrorCode.GROUP_ID_NOT_FOUND) printError(`'${groupId}' does not exist.`);
  else if (code === ErrorCode.NON_EMPTY_GROUP) printError(`Deleting offsets of a consumer group '${groupId}' is forbidden if the group is not empty.`);
  else if (code === ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) printError('Encounter some partition level error, see the follow-up details:');
  else printError(`Encounter some unknown error: ${top!.type}`);
  failed = failed || code !== ErrorCode.NONE;
  let text = `\n${pad('TOPIC', 30)} ${pad('PARTITION', 15)} ${pad('STATUS', 15)}\n`;
  const rows = [...statuses.values()].sort((a, b) => {
    const ka = a.tp.topic + String(a.tp.partition);
    const kb = b.tp.topic + String(b.tp.partition);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const r of rows) text += `${pad(r.tp.topic, 30)} ${pad(r.tp.partition >= 0 ? r.tp.partition : 'Not Provided', 15)} ${pad(r.error !== null ? `Error: ${r.error}` : 'Successful', 15)}\n`;
  out(text);
  if (code === ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC) err('The group\'s active members still subscribe to this topic: stop them (or change their subscription) first.\n');
  return failed ? 1 : 0;
}

// ---- main -----------------------------------------------------------------------------------

async function main(args: ParsedArgs): Promise<number> {
  const action = checkArgs(args);
  let client: KafkaClient | undefined;
  try {
    const props = args.has('command-config') ? loadPropertiesFile(args.get('command-config')!) : {};
    validateClientProps(props, args.get('command-config') ?? '');
    const bootstrap = await resolveBootstrap(args, { props });
    const settings = clientSettings(props);
    const [{ KafkaClient }, { Admin }] = await Promise.all([import('../client/client.js'), import('../client/admin.js')]);
    client = new KafkaClient({
      security: settings.security,
      bootstrapServers: bootstrap,
      clientId: settings.clientId ?? 'samsa-consumer-groups',
      requestTimeoutMs: args.int('timeout') ?? settings.requestTimeoutMs ?? 5000,
      connectTimeoutMs: settings.connectTimeoutMs ?? 5000,
      retryBackoffMs: settings.retryBackoffMs,
      startHint: START_HINT,
    });
    const ctx: Ctx = { args, client, admin: new Admin(client) };
    switch (action) {
      case 'list':
        return await list(ctx);
      case 'describe':
        return await describe(ctx);
      case 'reset-offsets':
        return await resetOffsets(ctx);
      case 'delete':
        return await deleteGroups(ctx);
      case 'delete-offsets':
        return await deleteOffsets(ctx);
    }
    return 1;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const detail = e instanceof ConfigFileError || e instanceof BootstrapError ? messageOf(e) : e instanceof KafkaError ? `${exceptionName(e)}: ${e.message}` : messageOf(e);
    printError(`Executing consumer group command failed due to ${detail}`);
    return 1;
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
