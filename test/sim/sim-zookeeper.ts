/**
 * A simulated ZooKeeper, faithful to the guarantees the controller relies on: one tree of versioned
 * nodes; sessions that own ephemeral nodes and expire on the server `sessionTimeoutMs` after it
 * last heard from the client (checked once a tick, as ZooKeeper does); one-shot data and child
 * watches delivered asynchronously and in order per client; conditional writes and atomic multi.
 *
 * The client side (`SimZkClient`, one per broker incarnation, made by `factory()`) implements the
 * broker's Coordination with the same contract as the production adapter
 * (src/cluster/coordination/zookeeper.ts): it pings every session timeout / 6; `healthy` turns
 * false once no answer came for 2/3 of the session timeout, which it reports as 'disconnected'
 * (and 'connected' when answers come back on the same session); when it reaches the server again
 * after its session expired it reports 'expired', opens a new session and reports 'newSession'.
 * Every call waits for its answer at most the session timeout (then 'connectionLoss').
 *
 * Reachability comes from the simulated network: a client is cut off while `network.blocked`
 * holds between its node and the server's (`ZK_NODE`), in either direction. The server itself does
 * not fail (ensembles are tested against real ZooKeeper in test/e2e); a client's requests during a
 * cut are lost, as on a dead TCP connection.
 */
import {
  CoordinationError,
  type Coordination,
  type CoordinationFactory,
  type CoordinationOptions,
  type MultiOp,
  type NodeData,
  type SessionEvent,
  type Watcher,
} from '../../src/cluster/coordination/coordination.js';
import type { SimNode } from './node.js';
import type { SimNetwork } from './sim-net.js';
import type { SimScheduler } from './scheduler.js';

export const ZK_NODE = 'zk';
const TICK_MS = 1000;
const SUSPECT_FRACTION = 2 / 3;

interface ZNode {
  data: Buffer;
  version: number;
  /** Owning session id for ephemerals. */
  owner: number | null;
  seq: number;
  /** The creating transaction (ZooKeeper's czxid). */
  czxid: number;
}

interface Session {
  id: number;
  timeoutMs: number;
  lastHeardMs: number;
  alive: boolean;
}

type ServerWatch = { sessionId: number; fire: () => void };

export class SimZooKeeperServer {
  readonly nodes = new Map<string, ZNode>([['/', { data: Buffer.alloc(0), version: 0, owner: null, seq: 0, czxid: 0 }]]);
  #zxid = 0;
  readonly #sessions = new Map<number, Session>();
  #dataWatches = new Map<string, ServerWatch[]>();
  #childWatches = new Map<string, ServerWatch[]>();
  #nextSession = 1;
  sessionsExpired = 0;
  /** Successful writes of partition state, with the controller epoch they carried (the fencing invariant). */
  readonly stateWrites: Array<{ path: string; controllerEpoch: number; epochNodeVersion: number }> = [];

  constructor(
    readonly sched: SimScheduler,
    readonly network: SimNetwork,
  ) {
    const tick = (): void => {
      this.#expireSessions();
      this.sched.after(TICK_MS, 'zk tick', tick);
    };
    this.sched.after(TICK_MS, 'zk tick', tick);
  }

  /** The CoordinationFactory for one broker incarnation. */
  factory(node: SimNode): CoordinationFactory {
    const incarnation = node.incarnation;
    return (opts) => new SimZkClient(this, node, incarnation, opts);
  }

  reachable(node: SimNode): boolean {
    return !this.network.blocked(node.name, ZK_NODE) && !this.network.blocked(ZK_NODE, node.name);
  }

  openSession(timeoutMs: number): number {
    const id = this.#nextSession++;
    // ZooKeeper negotiates the timeout into [2, 20] ticks.
    const negotiated = Math.min(Math.max(timeoutMs, 2 * TICK_MS), 20 * TICK_MS);
    this.#sessions.set(id, { id, timeoutMs: negotiated, lastHeardMs: this.sched.nowMs, alive: true });
    return id;
  }

  sessionAlive(id: number): boolean {
    return this.#sessions.get(id)?.alive === true;
  }

  touch(id: number): void {
    const s = this.#sessions.get(id);
    if (s?.alive) s.lastHeardMs = this.sched.nowMs;
  }

  closeSession(id: number): void {
    const s = this.#sessions.get(id);
    if (!s?.alive) return;
    s.alive = false;
    this.#dropEphemerals(id);
  }

  #expireSessions(): void {
    for (const s of this.#sessions.values()) {
      if (s.alive && this.sched.nowMs - s.lastHeardMs > s.timeoutMs) {
        s.alive = false;
        this.sessionsExpired++;
        this.sched.note(`zk session ${s.id} expired`);
        this.#dropEphemerals(s.id);
      }
    }
  }

  #dropEphemerals(sessionId: number): void {
    for (const [p, n] of [...this.nodes]) if (n.owner === sessionId) this.#remove(p);
    for (const map of [this.#dataWatches, this.#childWatches]) {
      for (const [p, list] of map) map.set(p, list.filter((w) => w.sessionId !== sessionId));
    }
  }

  watchData(path: string, w: ServerWatch): void {
    const list = this.#dataWatches.get(path) ?? [];
    list.push(w);
    this.#dataWatches.set(path, list);
  }

  watchChildren(path: string, w: ServerWatch): void {
    const list = this.#childWatches.get(path) ?? [];
    list.push(w);
    this.#childWatches.set(path, list);
  }

  #fire(map: Map<string, ServerWatch[]>, path: string): void {
    const list = map.get(path);
    if (!list) return;
    map.delete(path);
    for (const w of list) w.fire();
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
    const parent = SimZooKeeperServer.parent(path);
    const pn = this.nodes.get(parent);
    if (!pn) throw new CoordinationError('noNode', path, `no parent for ${path}`);
    let p = path;
    if (sequential) p = `${path}${String(pn.seq++).padStart(10, '0')}`;
    if (this.nodes.has(p)) throw new CoordinationError('nodeExists', p, `${p} exists`);
    this.nodes.set(p, { data, version: 0, owner, seq: 0, czxid: ++this.#zxid });
    this.#fire(this.#dataWatches, p);
    this.#fire(this.#childWatches, parent);
    return p;
  }

  set(path: string, data: Buffer, version: number): number {
    const n = this.nodes.get(path);
    if (!n) throw new CoordinationError('noNode', path, `no node ${path}`);
    if (version !== -1 && n.version !== version) throw new CoordinationError('badVersion', path, `bad version for ${path}: ${version} != ${n.version}`);
    n.data = data;
    n.version++;
    this.#fire(this.#dataWatches, path);
    return n.version;
  }

  remove(path: string, version = -1): void {
    const n = this.nodes.get(path);
    if (!n) throw new CoordinationError('noNode', path, `no node ${path}`);
    if (version !== -1 && n.version !== version) throw new CoordinationError('badVersion', path, `bad version for ${path}`);
    if (this.children(path).length > 0) throw new CoordinationError('notEmpty', path, `${path} not empty`);
    this.#remove(path);
  }

  #remove(path: string): void {
    this.nodes.delete(path);
    this.#fire(this.#dataWatches, path);
    this.#fire(this.#childWatches, path);
    this.#fire(this.#childWatches, SimZooKeeperServer.parent(path));
  }

  /** Atomic batch: every op checked first, then all applied. */
  multi(ops: MultiOp[]): number[] {
    const created = new Set<string>();
    for (const o of ops) {
      if (o.op === 'create') {
        if (this.nodes.has(o.path) || created.has(o.path)) throw new CoordinationError('nodeExists', o.path, 'exists');
        const parent = SimZooKeeperServer.parent(o.path);
        if (!this.nodes.has(parent) && !created.has(parent)) throw new CoordinationError('noNode', o.path, 'no parent');
        created.add(o.path);
        continue;
      }
      const n = this.nodes.get(o.path);
      if (!n) throw new CoordinationError('noNode', o.path, 'no node');
      if (o.op === 'check' && n.version !== o.version) throw new CoordinationError('badVersion', o.path, 'bad version');
      if ((o.op === 'set' || o.op === 'delete') && o.version !== -1 && n.version !== o.version) throw new CoordinationError('badVersion', o.path, 'bad version');
    }
    const epochCheck = ops.find((o) => o.op === 'check' && o.path === '/controller_epoch');
    const versions: number[] = [];
    for (const o of ops) {
      if (o.op === 'create') this.create(o.path, o.data, null, false);
      else if (o.op === 'set') {
        versions.push(this.set(o.path, o.data, o.version));
        if (o.path.endsWith('/state') && epochCheck !== undefined && epochCheck.op === 'check') this.#recordStateWrite(o.path, o.data, epochCheck.version);
      } else if (o.op === 'delete') this.remove(o.path, o.version);
    }
    return versions;
  }

  #recordStateWrite(path: string, data: Buffer, epochNodeVersion: number): void {
    try {
      const doc = JSON.parse(data.toString('utf8')) as { controller_epoch?: number };
      this.stateWrites.push({ path, controllerEpoch: doc.controller_epoch ?? -1, epochNodeVersion });
    } catch {
      // Not a partition state document: nothing to record for the fencing check.
    }
  }
}

export class SimZkClient implements Coordination {
  #sessionId = 0;
  #listeners: Array<(e: SessionEvent) => void> = [];
  #closed = false;
  #suspended = false;
  #lastContactMs: number;
  #generation = 0;
  #started = false;
  #renewing = false;
  /** A session's traffic is one TCP connection: requests reach the server, and answers and watch events reach the client, in order. */
  #toServerAtMs = 0;
  #toClientAtMs = 0;
  #watchEventsDelivered = 0;

  constructor(
    private readonly server: SimZooKeeperServer,
    private readonly node: SimNode,
    private readonly incarnation: number,
    private readonly opts: CoordinationOptions,
  ) {
    this.#lastContactMs = server.sched.nowMs;
  }

  /** The current session's id (0 before start; a new one after an expiry): the owner of this client's ephemeral nodes. */
  get sessionId(): number {
    return this.#sessionId;
  }

  /** Watch events handed to this client's code so far (tests wait for one to cut the read it causes). */
  get watchEventsDelivered(): number {
    return this.#watchEventsDelivered;
  }

  get connected(): boolean {
    return this.#started && !this.#closed && this.server.reachable(this.node) && this.server.sessionAlive(this.#sessionId);
  }

  get healthy(): boolean {
    return this.#started && !this.#closed && this.opts.clock.monotonicMs() - this.#lastContactMs < this.opts.sessionTimeoutMs * SUSPECT_FRACTION;
  }

  onSession(listener: (event: SessionEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** When a message sent now reaches the server / the client: after a latency, never before an earlier one. */
  #toServer(): number {
    this.#toServerAtMs = Math.max(this.#toServerAtMs, this.server.sched.nowMs + this.server.network.latency(this.node.name, ZK_NODE));
    return this.#toServerAtMs;
  }

  #toClient(): number {
    this.#toClientAtMs = Math.max(this.#toClientAtMs, this.server.sched.nowMs + this.server.network.latency(ZK_NODE, this.node.name));
    return this.#toClientAtMs;
  }

  #emit(e: SessionEvent): void {
    this.server.sched.note(`${this.node.name} zk ${e}`);
    for (const l of this.#listeners) l(e);
  }

  /** One request/answer exchange with the server: `apply` runs at the server after a latency. */
  #exchange<T>(path: string, apply: () => T, requireSession = true): Promise<T> {
    const sched = this.server.sched;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        this.node.run(this.incarnation, () => {
          if (settled) return;
          settled = true;
          deadline.cancel();
          fn();
        });
      };
      // The production adapter gives every call the session timeout as its deadline.
      const deadline = this.opts.clock.setTimer(this.opts.sessionTimeoutMs, () => finish(() => reject(new CoordinationError('connectionLoss', path, `sim zookeeper ${path}: no answer`))));
      if (this.#closed) {
        finish(() => reject(new CoordinationError('connectionLoss', path, 'closed')));
        return;
      }
      sched.at(this.#toServer(), `zk req ${this.node.name} ${path}`, () => {
        if (!this.server.reachable(this.node)) return; // lost on the way; the deadline answers
        if (requireSession && !this.server.sessionAlive(this.#sessionId)) {
          sched.at(this.#toClient(), `zk expired-answer ${this.node.name}`, () =>
            finish(() => {
              reject(new CoordinationError('sessionExpired', path, `session ${this.#sessionId} expired`));
              void this.#renew();
            }),
          );
          return;
        }
        if (requireSession) this.server.touch(this.#sessionId);
        let outcome: { ok: true; value: T } | { ok: false; err: unknown };
        try {
          outcome = { ok: true, value: apply() };
        } catch (err) {
          outcome = { ok: false, err };
        }
        sched.at(this.#toClient(), `zk ans ${this.node.name} ${path}`, () => {
          if (!this.server.reachable(this.node)) return; // the answer is lost; the deadline answers
          finish(() => {
            this.#contact();
            if (outcome.ok) resolve(outcome.value);
            else reject(outcome.err);
          });
        });
      });
    });
  }

  #contact(): void {
    this.#lastContactMs = this.opts.clock.monotonicMs();
    if (this.#suspended && this.server.sessionAlive(this.#sessionId)) {
      this.#suspended = false;
      this.#emit('connected');
    }
  }

  async start(): Promise<void> {
    const deadline = this.opts.clock.monotonicMs() + this.opts.connectionTimeoutMs;
    for (;;) {
      try {
        this.#sessionId = await this.#exchange('/', () => this.server.openSession(this.opts.sessionTimeoutMs), false);
        break;
      } catch (err) {
        if (this.opts.clock.monotonicMs() >= deadline) throw new CoordinationError('connectionLoss', '/', `could not reach the simulated ZooKeeper: ${(err as Error).message}`);
      }
    }
    this.#started = true;
    this.#lastContactMs = this.opts.clock.monotonicMs();
    const interval = Math.max(100, Math.floor(this.opts.sessionTimeoutMs / 6));
    this.opts.clock.setInterval(interval, () => this.#ping());
  }

  #ping(): void {
    if (this.#closed) return;
    if (this.#started && !this.#renewing) {
      this.#exchange('/', () => true).then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof CoordinationError)) throw err;
          // A lost ping is expected during a cut; expiry is handled by #renew.
        },
      );
    }
    if (!this.healthy && !this.#suspended) {
      this.#suspended = true;
      this.#emit('disconnected');
    }
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#closed) return;
    this.#renewing = true;
    this.#suspended = true;
    this.#generation++;
    this.#emit('expired');
    for (;;) {
      if (this.#closed) return;
      try {
        this.#sessionId = await this.#exchange('/', () => this.server.openSession(this.opts.sessionTimeoutMs), false);
        break;
      } catch (err) {
        if (!(err instanceof CoordinationError)) throw err; // unreachable: try again (the exchange waited its deadline)
      }
    }
    this.#lastContactMs = this.opts.clock.monotonicMs();
    this.#suspended = false;
    this.#renewing = false;
    this.#emit('newSession');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const id = this.#sessionId;
    this.#closed = true;
    if (this.server.reachable(this.node)) this.server.closeSession(id);
  }

  /** A watch scoped to this session generation, delivered to the client after a latency. */
  #watch(w: Watcher): { sessionId: number; fire: () => void } {
    const gen = this.#generation;
    const deliver = (): void => {
      if (gen !== this.#generation || this.#closed) return;
      if (!this.server.reachable(this.node)) {
        // Notifications wait on the server while the client is cut off (ZooKeeper delivers them after a reconnect within the session).
        this.server.sched.after(100, `zk watch held ${this.node.name}`, deliver);
        return;
      }
      this.node.run(this.incarnation, () => {
        this.#watchEventsDelivered++;
        w();
      });
    };
    return {
      sessionId: this.#sessionId,
      fire: () => void this.server.sched.at(this.#toClient(), `zk watch ${this.node.name}`, deliver),
    };
  }

  create(path: string, data: Buffer, mode: { ephemeral?: boolean; sequential?: boolean } = {}): Promise<string> {
    return this.#exchange(path, () => this.server.create(path, data, mode.ephemeral ? this.#sessionId : null, mode.sequential ?? false));
  }

  ensurePath(path: string): Promise<void> {
    return this.#exchange(path, () => {
      let p = '';
      for (const part of path.split('/').filter(Boolean)) {
        p += `/${part}`;
        if (!this.server.nodes.has(p)) this.server.create(p, Buffer.alloc(0), null, false);
      }
    });
  }

  get(path: string, watch?: Watcher): Promise<NodeData | null> {
    return this.#exchange(path, () => {
      if (watch) this.server.watchData(path, this.#watch(watch));
      const n = this.server.nodes.get(path);
      if (!n) return null;
      return { data: n.data, version: n.version, ownedBySession: n.owner === this.#sessionId, createdTxId: String(n.czxid) };
    });
  }

  children(path: string, watch?: Watcher): Promise<string[] | null> {
    return this.#exchange(path, () => {
      if (!this.server.nodes.has(path)) {
        if (watch) this.server.watchData(path, this.#watch(watch));
        return null;
      }
      if (watch) this.server.watchChildren(path, this.#watch(watch));
      return this.server.children(path);
    });
  }

  set(path: string, data: Buffer, expectedVersion = -1): Promise<number> {
    return this.#exchange(path, () => this.server.set(path, data, expectedVersion));
  }

  delete(path: string, expectedVersion = -1): Promise<void> {
    return this.#exchange(path, () => this.server.remove(path, expectedVersion));
  }

  multi(ops: MultiOp[]): Promise<number[]> {
    return this.#exchange(ops[0]?.path ?? '/', () => this.server.multi(ops));
  }
}
