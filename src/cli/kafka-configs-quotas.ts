/**
 * kafka-configs for client quotas (users and client ids), kept apart from kafka-configs.ts's topic
 * and broker code: `--entity-type users|clients --entity-name X | --entity-default` (both types
 * may be given, for a (user, client-id) entity; also `--user`, `--client`, `--user-defaults`,
 * `--client-defaults`), `--alter --add-config producer_byte_rate=1048576,consumer_byte_rate=...`,
 * `--delete-config k`, `--describe`. Uses AlterClientQuotas / DescribeClientQuotas; prints Kafka's
 * lines: "Completed updating config for user alice." and "Quota configs for user-principal 'alice'
 * are producer_byte_rate=1048576.0".
 */
import type { KafkaClient } from '../client/client.js';
import { alterClientQuotas, describeClientQuotas, type QuotaEntityPart, type QuotaFilterComponent } from '../client/security-admin.js';
import { UsageError, type ParsedArgs } from './tool/args.js';
import { out } from './tool/common.js';

type Part = { type: 'user' | 'client-id'; name: string | null };

/** True when the command names a user or client entity (then this module handles it). */
export function isQuotaCommand(args: ParsedArgs): boolean {
  const types = args.all('entity-type');
  return types.includes('users') || types.includes('clients') || ['user', 'client', 'user-defaults', 'client-defaults'].some((o) => args.has(o));
}

function partsOf(args: ParsedArgs): Part[] {
  const parts: Part[] = [];
  if (args.has('user')) parts.push({ type: 'user', name: args.get('user')! });
  if (args.has('user-defaults')) parts.push({ type: 'user', name: null });
  if (args.has('client')) parts.push({ type: 'client-id', name: args.get('client')! });
  if (args.has('client-defaults')) parts.push({ type: 'client-id', name: null });
  const types = args.all('entity-type');
  const names = args.all('entity-name');
  const defaults = args.has('entity-default');
  if (types.length > 0) {
    if (parts.length > 0) throw new UsageError('Use either --entity-type with --entity-name/--entity-default or the --user/--client shorthands, not both');
    if (types.length > 2 || names.length > types.length) throw new UsageError('Each --entity-name must follow its --entity-type (at most users and clients)');
    types.forEach((t, i) => {
      if (t !== 'users' && t !== 'clients') throw new UsageError(`Only users and clients may be combined (got ${t})`);
      const name = names[i];
      if (name === undefined && !defaults && args.has('alter')) throw new UsageError('an entity name must be specified with --alter');
      parts.push({ type: t === 'users' ? 'user' : 'client-id', name: name ?? (defaults ? null : '') });
    });
  }
  if (new Set(parts.map((p) => p.type)).size !== parts.length) throw new UsageError('Each entity type may be given once');
  return parts;
}

function parseQuotaValues(text: string): Array<[string, number]> {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const value = Number(p.slice(i + 1));
      if (i <= 0 || !Number.isFinite(value)) throw new UsageError(`Invalid quota config '${p}': expected key=number, e.g. producer_byte_rate=1048576`);
      return [p.slice(0, i).trim(), value];
    });
}

const describeName = (p: QuotaEntityPart): string =>
  p.entityName === null ? `the default ${p.entityType === 'user' ? 'user-principal' : 'client-id'}` : `${p.entityType === 'user' ? 'user-principal' : 'client-id'} '${p.entityName}'`;
const formatNumber = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));

export async function quotaCommand(client: KafkaClient, args: ParsedArgs, action: 'describe' | 'alter'): Promise<void> {
  const parts = partsOf(args);
  if (action === 'alter') {
    if (args.has('add-config-file')) throw new UsageError('--add-config-file is not supported for users and clients; use --add-config');
    const add = args.has('add-config') ? parseQuotaValues(args.get('add-config')!) : [];
    const del = args
      .all('delete-config')
      .flatMap((d) => d.split(','))
      .map((d) => d.trim())
      .filter((d) => d !== '');
    const scram = add.find(([k]) => k.startsWith('SCRAM-'));
    if (scram) throw new UsageError(`${scram[0]} credentials are not handled by this command on this build`);
    const entity = parts.map((p) => ({ entityType: p.type, entityName: p.name }));
    await alterClientQuotas(client, entity, [...add.map(([key, value]) => ({ key, value, remove: false })), ...del.map((key) => ({ key, value: 0, remove: true }))]);
    const what = parts.map((p) => `${p.type === 'user' ? 'user' : 'client'} ${p.name ?? '<default>'}`).join(', ');
    out(`Completed updating config for ${what}.\n`);
    return;
  }
  const components: QuotaFilterComponent[] = parts.map((p) => ({ entityType: p.type, matchType: p.name === null ? 1 : p.name === '' ? 2 : 0, match: p.name === '' ? null : p.name }));
  const entries = await describeClientQuotas(client, components, components.length > 0);
  for (const e of entries) {
    const values = Object.entries(e.values)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${formatNumber(v)}`)
      .join(', ');
    out(`Quota configs for ${e.entity.map(describeName).join(', ')} are ${values}\n`);
  }
}
