/**
 * SecurityStore: where ACLs and client quotas live, cached in every broker and kept current. Two
 * implementations behind one interface:
 * - ZooKeeper mode (zk-security-store.ts): Kafka's own nodes and change notifications, so Kafka's
 *   ZooKeeper-era tools and a Samsa cluster understand each other.
 * - embedded and KRaft mode (`EmbeddedSecurityStore` below): a section of the controller's metadata
 *   document (the single node's file, or the KRaft metadata log), written atomically with it.
 *
 * Quota configs are keyed by Kafka's entity path, with sanitized (URL-encoded) names:
 * `users/<u>`, `clients/<c>`, `users/<u>/clients/<c>`, `<default>` for a default entity.
 * Only quota keys are kept here; other keys of the same ZooKeeper node (SCRAM credentials) are
 * preserved on write but not exposed.
 */
import type { AclEntry, ResourcePattern } from './acl.js';
import { patternKey } from './acl.js';

export interface PatternAcls {
  readonly pattern: ResourcePattern;
  readonly entries: readonly AclEntry[];
}

export interface SecurityState {
  /** Stored ACLs by patternKey(). Patterns with no entries are absent. */
  readonly acls: ReadonlyMap<string, PatternAcls>;
  /** Client quota configs by entity path; entities with no quota are absent. */
  readonly quotas: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

export const EMPTY_SECURITY_STATE: SecurityState = { acls: new Map(), quotas: new Map() };

/** The quota keys Kafka's client quotas know. */
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
export const isQuotaKey = (k: string): k is QuotaKey => (QUOTA_KEYS as readonly string[]).includes(k);

export interface SecurityStore {
  readonly state: SecurityState;
  /** Called after each change is in force in `state`. */
  onChange(listener: (state: SecurityState) => void): void;
  /** Read-modify-write of one pattern's ACLs; an empty result removes the pattern. */
  updateAcls(pattern: ResourcePattern, edit: (current: readonly AclEntry[]) => AclEntry[]): Promise<void>;
  /** Read-modify-write of one entity's quotas (values null = remove the key). */
  updateQuotas(entityPath: string, changes: Readonly<Record<string, number | null>>): Promise<void>;
  close(): Promise<void>;
}

// ---- entity paths (Kafka's sanitized names) ----

export const DEFAULT_ENTITY = '<default>';

/** Kafka's Sanitizer: URL-encode, with `*` as %2A and spaces as %20; `<default>` stays as is. */
export function sanitizeEntityName(name: string): string {
  if (name === DEFAULT_ENTITY) return name;
  return encodeURIComponent(name).replace(/\*/g, '%2A').replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function desanitizeEntityName(name: string): string {
  if (name === DEFAULT_ENTITY) return name;
  try {
    return decodeURIComponent(name);
  } catch {
    return name; // not an encoding we wrote: show it as stored
  }
}

/** A quota entity: user and/or client id; `null` = not part of the entity, DEFAULT_ENTITY = the default. */
export interface QuotaEntity {
  user: string | null;
  clientId: string | null;
}

export function entityPath(e: QuotaEntity): string {
  if (e.user !== null && e.clientId !== null) return `users/${sanitizeEntityName(e.user)}/clients/${sanitizeEntityName(e.clientId)}`;
  if (e.user !== null) return `users/${sanitizeEntityName(e.user)}`;
  if (e.clientId !== null) return `clients/${sanitizeEntityName(e.clientId)}`;
  throw new Error('a quota entity names a user, a client id or both');
}

export function entityOfPath(path: string): QuotaEntity | null {
  const parts = path.split('/');
  if (parts.length === 2 && parts[0] === 'users') return { user: desanitizeEntityName(parts[1]!), clientId: null };
  if (parts.length === 2 && parts[0] === 'clients') return { user: null, clientId: desanitizeEntityName(parts[1]!) };
  if (parts.length === 4 && parts[0] === 'users' && parts[2] === 'clients') return { user: desanitizeEntityName(parts[1]!), clientId: desanitizeEntityName(parts[3]!) };
  return null;
}

/** Only the quota keys of a stored config, as numbers (unparseable values are dropped). */
export function quotaValues(config: Readonly<Record<string, string>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(config)) {
    if (!isQuotaKey(k)) continue;
    const n = Number(v);
    if (Number.isFinite(n)) out[k] = n;
  }
  return out;
}

/** Applies changes to a stored config (string values, other keys kept). */
export function applyQuotaChanges(config: Readonly<Record<string, string>>, changes: Readonly<Record<string, number | null>>): Record<string, string> {
  const next: Record<string, string> = { ...config };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = formatQuota(k, v);
  }
  return next;
}

/** Byte rates and the mutation rate as Kafka prints doubles (`1048576.0`)? Kafka stores what the tool wrote; we store plain numbers. */
function formatQuota(_key: string, v: number): string {
  return String(v);
}

// ---- embedded / KRaft ----

/** The section of the controller's metadata document (embedded-controller.ts `security`). */
export interface SecurityDocument {
  acls: Array<{ pattern: ResourcePattern; entries: AclEntry[] }>;
  quotas: Record<string, Record<string, string>>;
}

/** The controller's side: read the stored section, replace it (persisted before it resolves). */
export interface SecurityDocumentHost {
  readonly securityDocument: unknown;
  saveSecurityDocument(doc: SecurityDocument): Promise<void>;
}

export class EmbeddedSecurityStore implements SecurityStore {
  #doc: SecurityDocument;
  #state: SecurityState;
  #listeners: Array<(s: SecurityState) => void> = [];
  #chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: SecurityDocumentHost) {
    const stored = host.securityDocument as Partial<SecurityDocument> | undefined;
    this.#doc = { acls: stored?.acls ?? [], quotas: stored?.quotas ?? {} };
    this.#state = stateOf(this.#doc);
  }

  get state(): SecurityState {
    return this.#state;
  }

  onChange(listener: (state: SecurityState) => void): void {
    this.#listeners.push(listener);
  }

  updateAcls(pattern: ResourcePattern, edit: (current: readonly AclEntry[]) => AclEntry[]): Promise<void> {
    return this.#serialised(async () => {
      const key = patternKey(pattern);
      const others = this.#doc.acls.filter((a) => patternKey(a.pattern) !== key);
      const current = this.#doc.acls.find((a) => patternKey(a.pattern) === key)?.entries ?? [];
      const next = edit(current);
      await this.#save({ ...this.#doc, acls: next.length === 0 ? others : [...others, { pattern, entries: next }] });
    });
  }

  updateQuotas(path: string, changes: Readonly<Record<string, number | null>>): Promise<void> {
    return this.#serialised(async () => {
      const quotas = { ...this.#doc.quotas };
      const next = applyQuotaChanges(quotas[path] ?? {}, changes);
      if (Object.keys(next).length === 0) delete quotas[path];
      else quotas[path] = next;
      await this.#save({ ...this.#doc, quotas });
    });
  }

  async close(): Promise<void> {
    await this.#chain;
  }

  async #save(doc: SecurityDocument): Promise<void> {
    await this.host.saveSecurityDocument(doc);
    this.#doc = doc;
    this.#state = stateOf(doc);
    for (const l of this.#listeners) l(this.#state);
  }

  #serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined); // the caller sees the rejection through `run`
    return run;
  }
}

function stateOf(doc: SecurityDocument): SecurityState {
  const acls = new Map<string, PatternAcls>();
  for (const a of doc.acls) if (a.entries.length > 0) acls.set(patternKey(a.pattern), Object.freeze({ pattern: a.pattern, entries: Object.freeze([...a.entries]) }));
  const quotas = new Map<string, Readonly<Record<string, number>>>();
  for (const [path, config] of Object.entries(doc.quotas)) {
    const values = quotaValues(config);
    if (Object.keys(values).length > 0) quotas.set(path, Object.freeze(values));
  }
  return { acls, quotas };
}
