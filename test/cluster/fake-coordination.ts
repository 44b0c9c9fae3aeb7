/**
 * An in-memory coordination service for controller unit tests: one shared tree of versioned nodes
 * (FakeEnsemble) and any number of sessions on it (FakeSession implements Coordination), with
 * ephemeral nodes, one-shot watches, conditional writes and atomic multi, as ZooKeeper behaves.
 * `ensemble.expire(session)` ends a session the way the server does after a session timeout: its
 * ephemerals go (firing watches), the session reports 'expired' then 'newSession'.
 * Watches fire asynchronously (setImmediate), like notifications arriving from a server.
 */
import {
  CoordinationError,
  type Coordination,
  type MultiOp,
  type NodeData,
  type SessionEvent,
  type Watcher,
} from '../../src/cluster/coordination/coordination.js';

interface FakeNode {
  data: Buffer;
  version: number;
  owner: number | null;
  seq: number;
  czxid: number;
}

export class FakeEnsemble {
  readonly nodes = new Map<string, FakeNode>([['/', { data: Buffer.alloc(0), version: 0, owner: null, seq: 0, czxid: 0 }]]);
  private zxid = 0;
  private dataWatches = new Map<string, Watcher[]>();
  private childWatches = new Map<string, Watcher[]>();
  private nextSession = 1;
  readonly sessions = new Set<FakeSession>();

  newSessionId(): number {
    return this.nextSession++;
  }

  session(): FakeSession {
    const s = new FakeSession(this);
    this.sessions.add(s);
    return s;
  }

  /** Ends `s`'s current session as the server would after its timeout. */
  expire(s: FakeSession): void {
    this.dropEphemerals(s.sessionId);
    s.onExpired();
  }

  dropEphemerals(sessionId: number): void {
    for (const [p, n] of [...this.nodes]) if (n.owner === sessionId) this.remove(p);
  }

  json(path: string): unknown {
    const n = this.nodes.get(path);
    return n ? JSON.parse(n.data.toString('utf8')) : undefined;
  }

  watchData(path: string, w: Watcher): void {
    const list = this.dataWatches.get(path) ?? [];
    list.push(w);
    this.dataWatches.set(path, list);
  }
  watchChildren(path: string, w: Watcher): void {
    const list = this.childWatches.get(path) ?? [];
    list.push(w);
    this.childWatches.set(path, list);
  }

  private fire(map: Map<string, Watcher[]>, path: string): void {
    const list = map.get(path);
    if (!list) return;
    map.delete(path);
    for (const w of list) setImmediate(w);
  }

  static parent(path: string): string {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }

  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const out: string[] = [];
    for (const p of this.nodes.keys()) {
      if (p !== path && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) out.push(p.slice(prefix.length));
    }
    return out.sort();
  }

  create(path: string, data: Buffer, owner: number | null, sequential: boolean): string {
    const parent = FakeEnsemble.parent(path);
    const pn = this.nodes.get(parent);
    if (!pn) throw new CoordinationError('noNode', path, `no parent for ${path}`);
    let p = path;
    if (sequential) p = `${path}${String(pn.seq++).padStart(10, '0')}`;
    if (this.nodes.has(p)) throw new CoordinationError('nodeExists', p, `${p} exists`);
    this.nodes.set(p, { data, version: 0, owner, seq: 0, czxid: ++this.zxid });
    this.fire(this.dataWatches, p);
    this.fire(this.childWatches, parent);
    return p;
  }

  set(path: string, data: Buffer, version: number): number {
    const n = this.nodes.get(path);
    if (!n) throw new CoordinationError('noNode', path, `no node ${path}`);
    if (version !== -1 && n.version !== version) throw new CoordinationError('badVersion', path, `bad version for ${path}: ${version} != ${n.version}`);
    n.data = data;
    n.version++;
    this.fire(this.dataWatches, path);
    return n.version;
  }

  remove(path: string, version = -1): void {
    const n = this.nodes.get(path);
    if (!n) throw new CoordinationError('noNode', path, `no node ${path}`);
    if (version !== -1 && n.version !== version) throw new CoordinationError('badVersion', path, `bad version for ${path}`);
    if (this.children(path).length > 0) throw new CoordinationError('notEmpty', path, `${path} not empty`);
    this.nodes.delete(path);
    this.fire(this.dataWatches, path);
    this.fire(this.childWatches, path);
    this.fire(this.childWatches, FakeEnsemble.parent(path));
  }

  check(path: string, version: number): void {
    const n = this.nodes.get(path);
    if (!n) throw new CoordinationError('noNode', path, `no node ${path}`);
    if (n.version !== version) throw new CoordinationError('badVersion', path, `bad version for ${path}`);
  }
}

export class FakeSession implements Coordination {
  sessionId: number;
  private listeners: Array<(e: SessionEvent) => void> = [];
  private generation = 0;
  closed = false;
  /** While true every call fails with connectionLoss (a partitioned client). */
  partitioned = false;
  healthy = true;

  constructor(private readonly ensemble: FakeEnsemble) {
    this.sessionId = ensemble.newSessionId();
  }

  get connected(): boolean {
    return !this.closed && !this.partitioned;
  }

  onSession(listener: (event: SessionEvent) => void): void {
    this.listeners.push(listener);
  }

  onExpired(): void {
    this.generation++;
    this.healthy = false;
    for (const l of this.listeners) l('expired');
    this.sessionId = this.ensemble.newSessionId();
    this.healthy = true;
    setImmediate(() => {
      for (const l of this.listeners) l('newSession');
    });
  }

  /** Simulates losing contact (suspended) and later regaining it on the same session. */
  suspend(): void {
    this.healthy = false;
    for (const l of this.listeners) l('disconnected');
  }
  unsuspend(): void {
    this.healthy = true;
    for (const l of this.listeners) l('connected');
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.ensemble.dropEphemerals(this.sessionId);
    this.ensemble.sessions.delete(this);
  }

  private guard(path: string): void {
    if (this.closed || this.partitioned) throw new CoordinationError('connectionLoss', path, 'fake session not connected');
  }

  /** Wraps a watcher so it is dropped when the session that set it ends. */
  private scoped(w: Watcher): Watcher {
    const gen = this.generation;
    return () => {
      if (gen === this.generation && !this.closed) w();
    };
  }

  async create(path: string, data: Buffer, mode: { ephemeral?: boolean; sequential?: boolean } = {}): Promise<string> {
    await Promise.resolve();
    this.guard(path);
    return this.ensemble.create(path, data, mode.ephemeral ? this.sessionId : null, mode.sequential ?? false);
  }

  async ensurePath(path: string): Promise<void> {
    await Promise.resolve();
    this.guard(path);
    const parts = path.split('/').filter(Boolean);
    let p = '';
    for (const part of parts) {
      p += `/${part}`;
      if (!this.ensemble.nodes.has(p)) this.ensemble.create(p, Buffer.alloc(0), null, false);
    }
  }

  async get(path: string, watch?: Watcher): Promise<NodeData | null> {
    await Promise.resolve();
    this.guard(path);
    if (watch) this.ensemble.watchData(path, this.scoped(watch));
    const n = this.ensemble.nodes.get(path);
    if (!n) return null;
    return { data: n.data, version: n.version, ownedBySession: n.owner === this.sessionId, createdTxId: String(n.czxid) };
  }

  async children(path: string, watch?: Watcher): Promise<string[] | null> {
    await Promise.resolve();
    this.guard(path);
    if (!this.ensemble.nodes.has(path)) {
      if (watch) this.ensemble.watchData(path, this.scoped(watch));
      return null;
    }
    if (watch) this.ensemble.watchChildren(path, this.scoped(watch));
    return this.ensemble.children(path);
  }

  async set(path: string, data: Buffer, expectedVersion = -1): Promise<number> {
    await Promise.resolve();
    this.guard(path);
    return this.ensemble.set(path, data, expectedVersion);
  }

  async delete(path: string, expectedVersion = -1): Promise<void> {
    await Promise.resolve();
    this.guard(path);
    this.ensemble.remove(path, expectedVersion);
  }

  async multi(ops: MultiOp[]): Promise<number[]> {
    await Promise.resolve();
    this.guard(ops[0]?.path ?? '/');
    // Validate everything first (all or nothing), in order as the server does, then apply.
    const created = new Set<string>();
    for (const o of ops) {
      if (o.op === 'create') {
        if (this.ensemble.nodes.has(o.path) || created.has(o.path)) throw new CoordinationError('nodeExists', o.path, 'exists');
        if (!this.ensemble.nodes.has(FakeEnsemble.parent(o.path)) && !created.has(FakeEnsemble.parent(o.path))) throw new CoordinationError('noNode', o.path, 'no parent');
        created.add(o.path);
        continue;
      }
      if (o.op === 'check') this.ensemble.check(o.path, o.version);
      else if (o.op === 'set' || o.op === 'delete') {
        const n = this.ensemble.nodes.get(o.path);
        if (!n) throw new CoordinationError('noNode', o.path, 'no node');
        if (o.version !== -1 && n.version !== o.version) throw new CoordinationError('badVersion', o.path, 'bad version');
      }
    }
    const versions: number[] = [];
    for (const o of ops) {
      if (o.op === 'create') this.ensemble.create(o.path, o.data, null, false);
      else if (o.op === 'set') versions.push(this.ensemble.set(o.path, o.data, o.version));
      else if (o.op === 'delete') this.ensemble.remove(o.path, o.version);
    }
    return versions;
  }
}
