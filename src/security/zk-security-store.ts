/**
 * ZkSecurityStore: ACLs and client quotas in ZooKeeper, in Kafka's layout, so `kafka-acls
 * --authorizer-properties zookeeper.connect=...` of a Kafka 2.x installation and Samsa read and
 * write the same nodes:
 * - LITERAL ACLs: /kafka-acl/<ResourceType>/<name>; PREFIXED: /kafka-acl-extended/prefixed/<ResourceType>/<name>;
 *   data `{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}`.
 * - Change notifications: sequential /kafka-acl-changes/acl_changes_<n> holding `Topic:name` for a
 *   literal pattern, /kafka-acl-extended-changes/acl_changes_<n> holding
 *   `{"version":1,"resourceType":"Topic","name":"x","patternType":"PREFIXED"}` for a prefixed one.
 * - Quotas: /config/users/<u>, /config/clients/<c>, /config/users/<u>/clients/<c> (`<default>`
 *   for defaults), data `{"version":1,"config":{"producer_byte_rate":"1024"}}`; notification
 *   /config/changes/config_change_<n> holding `{"version":2,"entity_path":"users/alice"}`.
 *
 * Every broker loads everything at start (and after a new ZooKeeper session), then watches the
 * notification lists: a new notification re-reads just the entity it names, so a change reaches
 * every broker within one watch round trip (milliseconds). Writers keep the newest
 * NOTIFICATIONS_KEPT notifications and delete older ones; a broker that finds a gap (it was behind
 * by more than that) reloads everything.
 */
import type { Logger } from 'pino';
import type { Clock } from '../io/clock.js';
import { type Coordination, isCoordinationError, json, parseJson } from '../cluster/coordination/coordination.js';
import { type AclEntry, type ResourcePattern, PatternType, patternKey, resourceTypeCode, resourceTypeName, type ResourceTypeCode } from './acl.js';
import { applyQuotaChanges, quotaValues, type PatternAcls, type SecurityState, type SecurityStore } from './security-store.js';

const P = {
  literal: '/kafka-acl',
  prefixed: '/kafka-acl-extended/prefixed',
  literalChanges: '/kafka-acl-changes',
  prefixedChanges: '/kafka-acl-extended-changes',
  aclChangePrefix: 'acl_changes_',
  configChanges: '/config/changes',
  configChangePrefix: 'config_change_',
  users: '/config/users',
  clients: '/config/clients',
};
const NOTIFICATIONS_KEPT = 100;
const WRITE_ATTEMPTS_MAX = 10;
const RELOAD_RETRY_MS = 1000;

interface AclDoc {
  version: 1;
  acls: AclEntry[];
}
interface ConfigDoc {
  version?: number;
  config?: Record<string, string>;
}

const aclNode = (p: ResourcePattern): string => `${p.patternType === PatternType.PREFIXED ? P.prefixed : P.literal}/${resourceTypeName(p.resourceType)}/${p.name}`;

/** A change feed: one notification list and the last sequence number this broker processed. */
interface Feed {
  path: string;
  prefix: string;
  lastSeq: number;
  onNotification(data: Buffer): Promise<void>;
}

export class ZkSecurityStore implements SecurityStore {
  #acls = new Map<string, PatternAcls>();
  #quotas = new Map<string, Readonly<Record<string, number>>>();
  #state: SecurityState = { acls: new Map(), quotas: new Map() };
  #listeners: Array<(s: SecurityState) => void> = [];
  #closed = false;
  /** Bumped on each full reload: watches armed by an older one are ignored. */
  #generation = 0;
  readonly #feeds: Feed[];

  private constructor(
    private readonly coord: Coordination,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.#feeds = [
      { path: P.literalChanges, prefix: P.aclChangePrefix, lastSeq: -1, onNotification: (d) => this.#onLiteralAclChange(d) },
      { path: P.prefixedChanges, prefix: P.aclChangePrefix, lastSeq: -1, onNotification: (d) => this.#onPrefixedAclChange(d) },
      { path: P.configChanges, prefix: P.configChangePrefix, lastSeq: -1, onNotification: (d) => this.#onConfigChange(d) },
    ];
  }

  static async open(coord: Coordination, clock: Clock, log: Logger): Promise<ZkSecurityStore> {
    const store = new ZkSecurityStore(coord, clock, log);
    for (const p of [P.literal, P.prefixed, P.literalChanges, P.prefixedChanges, P.configChanges, P.users, P.clients]) await coord.ensurePath(p);
    await store.#reloadAll();
    coord.onSession((e) => {
      if (e === 'newSession') store.#reloadAll().catch((err: unknown) => store.#readFailed(err));
    });
    return store;
  }

  get state(): SecurityState {
    return this.#state;
  }

  onChange(listener: (state: SecurityState) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  // ---- writes ----

  async updateAcls(pattern: ResourcePattern, edit: (current: readonly AclEntry[]) => AclEntry[]): Promise<void> {
    const node = aclNode(pattern);
    await this.#readModifyWrite(node, (data) => {
      const current = data === null ? [] : parseJson<AclDoc>(data).acls ?? [];
      const next = edit(current);
      return next.length === 0 ? null : json({ version: 1, acls: next });
    });
    if (pattern.patternType === PatternType.PREFIXED) {
      const note = { version: 1, resourceType: resourceTypeName(pattern.resourceType), name: pattern.name, patternType: 'PREFIXED' };
      await this.#notify(P.prefixedChanges, P.aclChangePrefix, json(note));
    } else {
      await this.#notify(P.literalChanges, P.aclChangePrefix, Buffer.from(`${resourceTypeName(pattern.resourceType)}:${pattern.name}`, 'utf8'));
    }
    await this.#reloadAcl(pattern); // in force here at once; other brokers follow the notification
  }

  async updateQuotas(entityPath: string, changes: Readonly<Record<string, number | null>>): Promise<void> {
    const node = `/config/${entityPath}`;
    await this.#readModifyWrite(node, (data) => {
      const doc = data === null ? {} : parseJson<ConfigDoc>(data);
      return json({ version: 1, config: applyQuotaChanges(doc.config ?? {}, changes) });
    });
    await this.#notify(P.configChanges, P.configChangePrefix, json({ version: 2, entity_path: entityPath }));
    await this.#reloadQuota(entityPath);
  }

  /** Conditional read-modify-write of one node; `next` null deletes it. Retries on races. */
  async #readModifyWrite(node: string, next: (data: Buffer | null) => Buffer | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.coord.get(node);
      const data = next(current?.data ?? null);
      try {
        if (current === null) {
          if (data === null) return;
          await this.coord.ensurePath(node.slice(0, node.lastIndexOf('/')));
          await this.coord.create(node, data);
        } else if (data === null) {
          await this.coord.delete(node, current.version);
        } else {
          await this.coord.set(node, data, current.version);
        }
        return;
      } catch (err) {
        const raced = isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'nodeExists') || isCoordinationError(err, 'noNode');
        if (!raced || attempt >= WRITE_ATTEMPTS_MAX) throw err;
      }
    }
  }

  async #notify(path: string, prefix: string, data: Buffer): Promise<void> {
    const created = await this.coord.create(`${path}/${prefix}`, data, { sequential: true });
    const mine = seqOf(created.slice(created.lastIndexOf('/') + 1), prefix);
    const kids = (await this.coord.children(path)) ?? [];
    for (const k of kids) {
      const seq = seqOf(k, prefix);
      if (seq < 0 || seq > mine - NOTIFICATIONS_KEPT) continue;
      try {
        await this.coord.delete(`${path}/${k}`);
      } catch (err) {
        if (!isCoordinationError(err, 'noNode')) throw err; // another writer cleaned it up first
      }
    }
  }

  // ---- reads ----

  async #reloadAll(): Promise<void> {
    const gen = ++this.#generation;
    // The feeds first: a notification written while we load is processed after it (at worst twice).
    for (const f of this.#feeds) f.lastSeq = await this.#latestSeq(f);
    this.#acls = new Map();
    this.#quotas = new Map();
    for (const [root, patternType] of [
      [P.literal, PatternType.LITERAL],
      [P.prefixed, PatternType.PREFIXED],
    ] as const) {
      for (const typeName of (await this.coord.children(root)) ?? []) {
        const resourceType = resourceTypeCode(typeName);
        if (resourceType === null) continue;
        for (const name of (await this.coord.children(`${root}/${typeName}`)) ?? []) await this.#reloadAcl({ resourceType, name, patternType }, false);
      }
    }
    for (const u of (await this.coord.children(P.users)) ?? []) {
      await this.#reloadQuota(`users/${u}`, false);
      for (const c of (await this.coord.children(`${P.users}/${u}/clients`)) ?? []) await this.#reloadQuota(`users/${u}/clients/${c}`, false);
    }
    for (const c of (await this.coord.children(P.clients)) ?? []) await this.#reloadQuota(`clients/${c}`, false);
    this.#publish();
    for (const f of this.#feeds) await this.#watchFeed(f, gen);
  }

  async #latestSeq(f: Feed): Promise<number> {
    const kids = (await this.coord.children(f.path)) ?? [];
    return kids.reduce((max, k) => Math.max(max, seqOf(k, f.prefix)), -1);
  }

  async #watchFeed(f: Feed, gen: number): Promise<void> {
    if (this.#closed || gen !== this.#generation) return;
    const kids = await this.coord.children(f.path, () => {
      this.#watchFeed(f, gen).catch((err: unknown) => this.#readFailed(err));
    });
    const fresh = (kids ?? [])
      .map((k) => ({ k, seq: seqOf(k, f.prefix) }))
      .filter((n) => n.seq > f.lastSeq)
      .sort((a, b) => a.seq - b.seq);
    if (fresh.length === 0) return;
    if (f.lastSeq >= 0 && fresh[0]!.seq > f.lastSeq + 1 && fresh[0]!.seq > f.lastSeq + NOTIFICATIONS_KEPT) {
      this.log.info({ feed: f.path }, 'missed change notifications; reloading all ACLs and quotas');
      await this.#reloadAll();
      return;
    }
    for (const n of fresh) {
      f.lastSeq = Math.max(f.lastSeq, n.seq);
      const node = await this.coord.get(`${f.path}/${n.k}`);
      if (node !== null) await f.onNotification(node.data);
    }
  }

  async #onLiteralAclChange(data: Buffer): Promise<void> {
    const text = data.toString('utf8');
    const at = text.indexOf(':');
    const resourceType = resourceTypeCode(text.slice(0, at));
    if (at < 0 || resourceType === null) return this.log.warn({ notification: text }, 'ignoring an ACL change notification of unknown form');
    await this.#reloadAcl({ resourceType, name: text.slice(at + 1), patternType: PatternType.LITERAL });
  }

  async #onPrefixedAclChange(data: Buffer): Promise<void> {
    const note = parseJson<{ resourceType?: string; name?: string; patternType?: string }>(data);
    const resourceType = resourceTypeCode(note.resourceType ?? '');
    if (resourceType === null || typeof note.name !== 'string') return this.log.warn({ notification: data.toString('utf8') }, 'ignoring an ACL change notification of unknown form');
    const patternType = note.patternType?.toUpperCase() === 'LITERAL' ? PatternType.LITERAL : PatternType.PREFIXED;
    await this.#reloadAcl({ resourceType: resourceType as ResourceTypeCode, name: note.name, patternType });
  }

  async #onConfigChange(data: Buffer): Promise<void> {
    const note = parseJson<{ entity_path?: string }>(data);
    const path = note.entity_path ?? '';
    if (path.startsWith('users/') || path.startsWith('clients/')) await this.#reloadQuota(path);
  }

  async #reloadAcl(pattern: ResourcePattern, publish = true): Promise<void> {
    const node = await this.coord.get(aclNode(pattern));
    const entries = node === null ? [] : (parseJson<AclDoc>(node.data).acls ?? []);
    const key = patternKey(pattern);
    if (entries.length === 0) this.#acls.delete(key);
    else this.#acls.set(key, Object.freeze({ pattern, entries: Object.freeze(entries.map((e) => ({ principal: e.principal, permissionType: e.permissionType, operation: e.operation, host: e.host }))) }));
    if (publish) this.#publish();
  }

  async #reloadQuota(path: string, publish = true): Promise<void> {
    const node = await this.coord.get(`/config/${path}`);
    const values = node === null ? {} : quotaValues(parseJson<ConfigDoc>(node.data).config ?? {});
    if (Object.keys(values).length === 0) this.#quotas.delete(path);
    else this.#quotas.set(path, Object.freeze(values));
    if (publish) this.#publish();
  }

  #publish(): void {
    this.#state = { acls: new Map(this.#acls), quotas: new Map(this.#quotas) };
    for (const l of this.#listeners) l(this.#state);
  }

  #readFailed(err: unknown): void {
    if (this.#closed) return;
    // Reload everything (re-arming the watches) once ZooKeeper answers again; a new session does too.
    this.log.warn({ err }, `reading ACL or quota changes from ZooKeeper failed; reloading in ${RELOAD_RETRY_MS} ms`);
    this.clock.setTimer(RELOAD_RETRY_MS, () => {
      if (!this.#closed) this.#reloadAll().catch((e: unknown) => this.#readFailed(e));
    }, { unref: true });
  }
}

function seqOf(name: string, prefix: string): number {
  if (!name.startsWith(prefix)) return -1;
  const n = Number(name.slice(prefix.length));
  return Number.isInteger(n) ? n : -1;
}
