/**
 * Authorizer: the question every handler asks ("may this request's principal do OP on RESOURCE?")
 * and Samsa's ACL authorizer, with Kafka's AclAuthorizer/StandardAuthorizer semantics:
 *
 * 1. A principal named in `super.users` (`User:admin;User:bob`) may do anything.
 * 2. The ACLs that apply to a resource are those on its exact name (LITERAL), on the wildcard `*`
 *    (LITERAL) and on every PREFIXED pattern the name starts with.
 * 3. None apply: allowed only when `allow.everyone.if.no.acl.found=true` (default false).
 * 4. A Deny for the principal (or `User:*`), the host (or `*`) and the operation (or All) wins.
 * 5. Else an Allow with the same matching decides. Allowing Read, Write, Delete or Alter also
 *    allows Describe; allowing AlterConfigs also allows DescribeConfigs (Kafka's implied operations).
 *
 * `authorizer.class.name` selects it: Kafka's `kafka.security.authorizer.AclAuthorizer`,
 * `org.apache.kafka.metadata.authorizer.StandardAuthorizer` (and the legacy
 * `kafka.security.auth.SimpleAclAuthorizer`) all mean this authorizer; empty means no authorization
 * (BrokerContext.authorizer is then undefined and handlers pay nothing).
 *
 * Decisions are memoised per (principal, host, operation, resource) until the ACLs change; the
 * memo is bounded (cleared when full).
 */
import type { KafkaPrincipal } from './principal.js';
import { ANONYMOUS } from './principal.js';
import { AclOperation, type AclEntry, type AclOperationCode, PatternType, operationCode, type ResourceTypeCode, WILDCARD, permissionCode, Permission } from './acl.js';
import type { PatternAcls, SecurityState } from './security-store.js';

/** What a handler passes: who is asking and from where (a RequestContext satisfies it). */
export interface AuthzSubject {
  readonly principal?: KafkaPrincipal;
  /** `host:port` as the connection reports it. */
  readonly clientAddress: string;
}

export interface Authorizer {
  authorize(subject: AuthzSubject, op: AclOperationCode, resourceType: ResourceTypeCode, name: string): boolean;
  /** The batch form: the subset of `names` allowed. */
  authorizeMany(subject: AuthzSubject, op: AclOperationCode, resourceType: ResourceTypeCode, names: Iterable<string>): Set<string>;
  /**
   * Kafka's authorizeByResourceType (KIP-679): may the principal do `op` on at least one resource
   * of the type (e.g. InitProducerId for an idempotent producer: Write on any topic)?
   */
  authorizeAny(subject: AuthzSubject, op: AclOperationCode, resourceType: ResourceTypeCode): boolean;
}

export const ACL_AUTHORIZER_CLASS_NAMES = [
  'kafka.security.authorizer.AclAuthorizer',
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
];

/** The principal strings of `super.users` (`User:admin;User:bob`). */
export function parseSuperUsers(value: string): string[] {
  return value
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The host part of a connection's `host:port` ('::ffff:' IPv4-mapped addresses as plain IPv4). */
export function hostOf(clientAddress: string): string {
  const at = clientAddress.lastIndexOf(':');
  let host = at < 0 ? clientAddress : clientAddress.slice(0, at);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7);
  return host;
}

/** The operations whose Allow grants `op` (besides All). */
function grantingOps(op: AclOperationCode): readonly number[] {
  if (op === AclOperation.DESCRIBE) return [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER];
  if (op === AclOperation.DESCRIBE_CONFIGS) return [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS];
  return [op];
}

/** A stored entry with its codes parsed once. */
interface IndexedEntry {
  principal: string;
  host: string;
  op: number;
  deny: boolean;
}

interface TypeIndex {
  literal: Map<string, IndexedEntry[]>;
  prefixed: Array<{ prefix: string; entries: IndexedEntry[] }>;
}

const MEMO_ENTRIES_MAX = 100_000;

export class AclAuthorizer implements Authorizer {
  #index = new Map<number, TypeIndex>();
  #memo = new Map<string, boolean>();
  readonly #superUsers: Set<string>;

  constructor(
    opts: { superUsers: readonly string[]; allowEveryoneIfNoAclFound: boolean },
    state: SecurityState,
  ) {
    this.#superUsers = new Set(opts.superUsers);
    this.allowEveryoneIfNoAclFound = opts.allowEveryoneIfNoAclFound;
    this.update(state);
  }

  readonly allowEveryoneIfNoAclFound: boolean;

  /** Takes the ACLs in force (SecurityStore.onChange). */
  update(state: SecurityState): void {
    const index = new Map<number, TypeIndex>();
    for (const p of state.acls.values()) {
      let t = index.get(p.pattern.resourceType);
      if (!t) index.set(p.pattern.resourceType, (t = { literal: new Map(), prefixed: [] }));
      const entries = p.entries.map(indexEntry).filter((e): e is IndexedEntry => e !== null);
      if (p.pattern.patternType === PatternType.PREFIXED) t.prefixed.push({ prefix: p.pattern.name, entries });
      else t.literal.set(p.pattern.name, [...(t.literal.get(p.pattern.name) ?? []), ...entries]);
    }
    this.#index = index;
    this.#memo = new Map();
  }

  authorize(subject: AuthzSubject, op: AclOperationCode, resourceType: ResourceTypeCode, name: string): boolean {
    const p = subject.principal ?? ANONYMOUS;
    const principal = `${p.type}:${p.name}`;
    if (this.#superUsers.has(principal)) return true;
    const host = hostOf(subject.clientAddress);
    const key = `${principal}\u0000${host}\u0000${op}\u0000${resourceType}\u0000${name}`;
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const decision = this.#decide(principal, `${p.type}:*`, host, op, resourceType, name);
    if (this.#memo.size >= MEMO_ENTRIES_MAX) this.#memo.clear();
    this.#memo.set(key, decision);
    return decision;
  }

  authorizeMany(subject: AuthzSubject, op: AclOperationCode, resourceType: ResourceTypeCode, names: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const n of names) if (this.authorize(subject, op, resourceType, n)) out.add(n);
    return out;
  }

  authorizeAny(subject: AuthzSubject, op: AclOperationCode, resourceType: ResourceTypeCode): boolean {
    const p = subject.principal ?? ANONYMOUS;
    const principal = `${p.type}:${p.name}`;
    if (this.#superUsers.has(principal)) return true;
    const t = this.#index.get(resourceType);
    if (!t) return this.allowEveryoneIfNoAclFound;
    const host = hostOf(subject.clientAddress);
    const wildcard = `${p.type}:*`;
    const applies = (e: IndexedEntry): boolean => (e.principal === principal || e.principal === wildcard) && (e.host === WILDCARD || e.host === host);
    const denies = (e: IndexedEntry): boolean => e.deny && applies(e) && (e.op === op || e.op === AclOperation.ALL);
    const allows = (e: IndexedEntry): boolean => !e.deny && applies(e) && (e.op === AclOperation.ALL || grantingOps(op).includes(e.op));
    // Denied everywhere: a Deny on the wildcard name.
    if ((t.literal.get(WILDCARD) ?? []).some(denies)) return false;
    for (const [name, entries] of t.literal) {
      if (entries.some(allows) && !entries.some(denies) && !t.prefixed.some((x) => name.startsWith(x.prefix) && x.entries.some(denies))) return true;
    }
    for (const x of t.prefixed) {
      if (x.entries.some(allows) && !x.entries.some(denies) && !t.prefixed.some((y) => x.prefix.startsWith(y.prefix) && y.entries.some(denies))) return true;
    }
    return false;
  }

  #decide(principal: string, wildcard: string, host: string, op: AclOperationCode, resourceType: ResourceTypeCode, name: string): boolean {
    const t = this.#index.get(resourceType);
    const lists: IndexedEntry[][] = [];
    if (t) {
      const exact = t.literal.get(name);
      if (exact) lists.push(exact);
      const any = name === WILDCARD ? undefined : t.literal.get(WILDCARD);
      if (any) lists.push(any);
      for (const x of t.prefixed) if (name.startsWith(x.prefix)) lists.push(x.entries);
    }
    if (lists.every((l) => l.length === 0)) return this.allowEveryoneIfNoAclFound;
    const applies = (e: IndexedEntry): boolean => (e.principal === principal || e.principal === wildcard) && (e.host === WILDCARD || e.host === host);
    for (const l of lists) for (const e of l) if (e.deny && (e.op === op || e.op === AclOperation.ALL) && applies(e)) return false;
    const granting = grantingOps(op);
    for (const l of lists) for (const e of l) if (!e.deny && (e.op === AclOperation.ALL || granting.includes(e.op)) && applies(e)) return true;
    return false;
  }
}

function indexEntry(e: AclEntry): IndexedEntry | null {
  const op = operationCode(e.operation);
  const perm = permissionCode(e.permissionType);
  if (op === null || perm === null) return null; // an entry of a form we do not know grants nothing
  return { principal: e.principal, host: e.host, op, deny: perm === Permission.DENY };
}

export type { PatternAcls };
