/**
 * ZookeeperCoordination: the Coordination interface over a real Apache ZooKeeper ensemble, through
 * node-zookeeper-client (pure JavaScript, no native build; speaks the ZooKeeper 3.4+ wire protocol
 * including multi, which the controller's epoch fencing needs; see docs/ARCHITECTURE.md).
 *
 * Lifecycle: `start()` creates the chroot (if the connect string names one) and opens a session;
 * the client reconnects by itself across server failures while the session lives. When the
 * ensemble reports the session expired, this class opens a new session and reports 'expired' then
 * 'newSession' so the owner re-registers its ephemerals and re-reads (re-watches) everything.
 *
 * Liveness: the server expires a session after `sessionTimeoutMs` without hearing from us. We ping
 * every sessionTimeout/6 and remember the last answer. `healthy` is false, synchronously, once no
 * answer has arrived for 2/3 of the session timeout (also right after a SIGSTOP/SIGCONT pause, before
 * any timer has run): from then on our ephemerals may soon be gone and another broker may lead our
 * partitions, so the owner must stop acting on its session. 'disconnected' is reported then (a brief
 * connection loss, e.g. one ensemble member dying, is not reported: the client moves to another
 * member within the session), and 'connected' when an answer arrives again on the same session.
 * Every call has a deadline (the session timeout) so nothing waits forever on a dead connection.
 */
import assert from 'node:assert/strict';
import zookeeper from 'node-zookeeper-client';
import type { Timer } from '../../io/clock.js';
import {
  CoordinationError,
  type Coordination,
  type CoordinationFactory,
  type CoordinationOptions,
  type CoordinationErrorKind,
  type MultiOp,
  type NodeData,
  type SessionEvent,
  type Watcher,
} from './coordination.js';

export type ZookeeperOptions = CoordinationOptions;

/** The production CoordinationFactory (main.ts passes it to Broker.start). */
export const zookeeperCoordination: CoordinationFactory = (opts) => new ZookeeperCoordination(opts);

type Client = zookeeper.Client;
type ZkError = Error | zookeeper.Exception | null;

const SUSPECT_FRACTION = 2 / 3;

function kindOf(err: ZkError): CoordinationErrorKind {
  if (err && typeof (err as zookeeper.Exception).getCode === 'function') {
    switch ((err as zookeeper.Exception).getCode()) {
      case zookeeper.Exception.NO_NODE:
        return 'noNode';
      case zookeeper.Exception.NODE_EXISTS:
        return 'nodeExists';
      case zookeeper.Exception.BAD_VERSION:
        return 'badVersion';
      case zookeeper.Exception.NOT_EMPTY:
        return 'notEmpty';
      case zookeeper.Exception.CONNECTION_LOSS:
        return 'connectionLoss';
      case zookeeper.Exception.SESSION_EXPIRED:
        return 'sessionExpired';
      default:
        return 'other';
    }
  }
  return 'other';
}

function toError(err: ZkError, path: string, op: string): CoordinationError {
  return new CoordinationError(kindOf(err), path, `zookeeper ${op} ${path}: ${err ? String(err) : 'unknown error'}`);
}

export function splitChroot(connect: string): { servers: string; chroot: string | null } {
  const slash = connect.indexOf('/');
  if (slash < 0) return { servers: connect, chroot: null };
  const chroot = connect.slice(slash).replace(/\/+$/, '');
  return { servers: connect.slice(0, slash), chroot: chroot === '' ? null : chroot };
}

export class ZookeeperCoordination implements Coordination {
  #client: Client | null = null;
  #closed = false;
  #listeners: Array<(e: SessionEvent) => void> = [];
  #lastContactMs = 0;
  #suspended = false;
  #pinger: Timer | null = null;
  #sessionId = '';

  constructor(private readonly opts: ZookeeperOptions) {}

  get connected(): boolean {
    return this.#client !== null && this.#client.getState() === zookeeper.State.SYNC_CONNECTED;
  }

  /** True while the session is known to be alive (an answer within 2/3 of the session timeout). */
  get healthy(): boolean {
    return this.#client !== null && this.opts.clock.monotonicMs() - this.#lastContactMs < this.opts.sessionTimeoutMs * SUSPECT_FRACTION;
  }

  onSession(listener: (event: SessionEvent) => void): void {
    this.#listeners.push(listener);
  }

  async start(): Promise<void> {
    const { servers, chroot } = splitChroot(this.opts.connect);
    if (chroot) {
      // The chroot must exist before a chrooted client can use it (Kafka creates it the same way).
      const bare = await this.open(servers);
      try {
        await new Promise<void>((resolve, reject) =>
          bare.mkdirp(chroot, (err) => (err && kindOf(err) !== 'nodeExists' ? reject(toError(err, chroot, 'mkdirp')) : resolve())),
        );
      } finally {
        bare.close();
      }
    }
    this.#client = await this.open(this.opts.connect);
    this.adopt(this.#client);
    const interval = Math.max(100, Math.floor(this.opts.sessionTimeoutMs / 6));
    this.#pinger = this.opts.clock.setInterval(interval, () => this.ping(), { unref: true });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pinger?.cancel();
    const c = this.#client;
    this.#client = null;
    if (c) {
      await new Promise<void>((resolve) => {
        const t = this.opts.clock.setTimer(2000, resolve); // close is best effort: the session expires anyway
        c.once('disconnected', () => {
          t.cancel();
          resolve();
        });
        c.close();
      });
    }
  }

  private open(connect: string): Promise<Client> {
    const client = zookeeper.createClient(connect, { sessionTimeout: this.opts.sessionTimeoutMs, spinDelay: 200, retries: 2 });
    return new Promise<Client>((resolve, reject) => {
      const timer = this.opts.clock.setTimer(this.opts.connectionTimeoutMs, () => {
        client.close();
        reject(new CoordinationError('connectionLoss', '/', `could not connect to ZooKeeper at ${connect} within ${this.opts.connectionTimeoutMs} ms (zookeeper.connection.timeout.ms)`));
      });
      client.once('connected', () => {
        timer.cancel();
        resolve(client);
      });
      client.connect();
    });
  }

  private adopt(client: Client): void {
    this.#lastContactMs = this.opts.clock.monotonicMs();
    this.#sessionId = client.getSessionId().toString('hex');
    this.opts.log.info({ sessionId: this.#sessionId, timeoutMs: client.getSessionTimeout() }, 'ZooKeeper session established');
    client.on('state', (state: zookeeper.State) => {
      if (client !== this.#client) return; // an old, replaced client
      if (state === zookeeper.State.SYNC_CONNECTED) {
        this.#lastContactMs = this.opts.clock.monotonicMs();
        this.opts.log.info({ sessionId: this.#sessionId }, 'ZooKeeper connection restored');
        if (this.#suspended) {
          this.#suspended = false;
          this.emit('connected');
        }
      } else if (state === zookeeper.State.DISCONNECTED) {
        // Not reported yet: the client reconnects (to another ensemble member) within the session.
        // 'disconnected' is reported by ping() once contact has been lost for too long.
        this.opts.log.warn({ sessionId: this.#sessionId }, 'ZooKeeper connection lost; reconnecting');
      } else if (state === zookeeper.State.EXPIRED) {
        void this.renew();
      }
    });
  }

  private async renew(): Promise<void> {
    if (this.#closed) return;
    this.opts.log.warn({ sessionId: this.#sessionId }, 'ZooKeeper session expired; opening a new session');
    this.#suspended = true;
    this.emit('expired');
    const old = this.#client;
    this.#client = null;
    old?.close();
    for (;;) {
      if (this.#closed) return;
      try {
        const c = await this.open(this.opts.connect);
        if (this.#closed) {
          c.close();
          return;
        }
        this.#client = c;
        this.adopt(c);
        this.#suspended = false;
        this.emit('newSession');
        return;
      } catch (err) {
        this.opts.log.warn({ err }, 'ZooKeeper reconnection failed; retrying');
      }
    }
  }

  private ping(): void {
    const c = this.#client;
    if (c && c.getState() === zookeeper.State.SYNC_CONNECTED) {
      c.exists('/', (err) => {
        if (!err && c === this.#client) {
          this.#lastContactMs = this.opts.clock.monotonicMs();
          if (this.#suspended) {
            this.#suspended = false;
            this.emit('connected');
          }
        }
      });
    }
    if (!this.healthy && !this.#suspended && this.#client !== null) {
      this.#suspended = true;
      this.opts.log.warn({ sessionId: this.#sessionId, sinceContactMs: this.opts.clock.monotonicMs() - this.#lastContactMs }, 'no answer from ZooKeeper for 2/3 of the session timeout: suspending');
      this.emit('disconnected');
    }
  }

  private emit(e: SessionEvent): void {
    for (const l of this.#listeners) l(e);
  }

  /** Runs one client call with a deadline; rejects 'connectionLoss' when there is no client or no answer. */
  private call<T>(path: string, op: string, fn: (c: Client, done: (err: ZkError, value?: T) => void) => void): Promise<T> {
    const c = this.#client;
    if (!c) return Promise.reject(new CoordinationError('connectionLoss', path, `zookeeper ${op} ${path}: no session`));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = this.opts.clock.setTimer(this.opts.sessionTimeoutMs, () => {
        settled = true;
        reject(new CoordinationError('connectionLoss', path, `zookeeper ${op} ${path}: no answer within ${this.opts.sessionTimeoutMs} ms`));
      });
      fn(c, (err, value) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        if (err) reject(toError(err, path, op));
        else {
          if (c === this.#client) this.#lastContactMs = this.opts.clock.monotonicMs();
          resolve(value as T);
        }
      });
    });
  }

  create(path: string, data: Buffer, mode: { ephemeral?: boolean; sequential?: boolean } = {}): Promise<string> {
    const m = mode.ephemeral
      ? mode.sequential
        ? zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL
        : zookeeper.CreateMode.EPHEMERAL
      : mode.sequential
        ? zookeeper.CreateMode.PERSISTENT_SEQUENTIAL
        : zookeeper.CreateMode.PERSISTENT;
    return this.call<string>(path, 'create', (c, done) => c.create(path, data, m, (err, p) => done(err, p)));
  }

  ensurePath(path: string): Promise<void> {
    return this.call<void>(path, 'mkdirp', (c, done) => c.mkdirp(path, (err) => done(err && kindOf(err) === 'nodeExists' ? null : err)));
  }

  async get(path: string, watch?: Watcher): Promise<NodeData | null> {
    for (;;) {
      try {
        return await this.call<NodeData>(path, 'getData', (c, done) => {
          const cb = (err: ZkError, data: Buffer, stat: zookeeper.Stat): void => {
            if (err) return done(err);
            const owner = stat.ephemeralOwner;
            const ownedBySession = owner !== undefined && Buffer.compare(owner, c.getSessionId()) === 0;
            done(null, { data: data ?? Buffer.alloc(0), version: stat.version, ownedBySession, createdTxId: Buffer.isBuffer(stat.czxid) ? stat.czxid.toString('hex') : String(stat.czxid) });
          };
          if (watch) c.getData(path, () => watch(), cb);
          else c.getData(path, cb);
        });
      } catch (err) {
        if (!(err instanceof CoordinationError && err.kind === 'noNode')) throw err;
        if (!watch) return null;
        // Watch for creation; if it appeared in between, read it again.
        const exists = await this.call<boolean>(path, 'exists', (c, done) => c.exists(path, () => watch(), (e, stat) => done(e, stat !== null && stat !== undefined)));
        if (!exists) return null;
      }
    }
  }

  async children(path: string, watch?: Watcher): Promise<string[] | null> {
    try {
      return await this.call<string[]>(path, 'getChildren', (c, done) => {
        if (watch) c.getChildren(path, () => watch(), (err, kids) => done(err, kids));
        else c.getChildren(path, (err, kids) => done(err, kids));
      });
    } catch (err) {
      if (err instanceof CoordinationError && err.kind === 'noNode') {
        if (watch) {
          const exists = await this.call<boolean>(path, 'exists', (c, done) => c.exists(path, () => watch(), (e, stat) => done(e, stat !== null && stat !== undefined)));
          if (exists) return this.children(path, watch);
        }
        return null;
      }
      throw err;
    }
  }

  set(path: string, data: Buffer, expectedVersion = -1): Promise<number> {
    return this.call<number>(path, 'setData', (c, done) => c.setData(path, data, expectedVersion, (err, stat) => done(err, stat?.version)));
  }

  delete(path: string, expectedVersion = -1): Promise<void> {
    return this.call<void>(path, 'remove', (c, done) => c.remove(path, expectedVersion, (err) => done(err)));
  }

  multi(ops: MultiOp[]): Promise<number[]> {
    const first = ops[0]?.path ?? '/';
    return this.call<number[]>(first, 'multi', (c, done) => {
      let t = c.transaction();
      for (const o of ops) {
        if (o.op === 'check') t = t.check(o.path, o.version);
        else if (o.op === 'create') t = t.create(o.path, o.data, zookeeper.CreateMode.PERSISTENT);
        else if (o.op === 'set') t = t.setData(o.path, o.data, o.version);
        else t = t.remove(o.path, o.version);
      }
      // node-zookeeper-client 1.1.3's Transaction check/setData/remove turn version 0 into -1
      // ("any version": `version || -1`), which would silently disable fencing on a node's first
      // version. Put the exact versions back into the queued ops before committing.
      const queued = (t as unknown as { ops: Array<{ version?: number }> }).ops;
      assert.equal(queued.length, ops.length, 'one queued op per multi op');
      ops.forEach((o, i) => {
        if (o.op !== 'create') queued[i]!.version = o.version;
      });
      t.commit((err, results: Array<{ stat?: { version: number } }>) => {
        if (err) return done(err);
        const versions: number[] = [];
        ops.forEach((o, i) => {
          if (o.op === 'set') versions.push(results[i]?.stat?.version ?? -1);
        });
        done(null, versions);
      });
    });
  }
}
