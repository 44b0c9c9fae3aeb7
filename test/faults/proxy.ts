/**
 * A fault-injecting TCP proxy for real-process fault runs (test/faults). Every connection between
 * two nodes of the cluster — broker to broker (replication), broker to ZooKeeper, client to
 * broker — goes through a `FaultProxy` listening on 127.0.0.1, and each connection belongs to a
 * directed *link* `source->destination` whose state the nemesis sets on the `FaultNet`:
 *
 *   pass      bytes flow both ways (after `delayMs`, order kept)
 *   cut       every open connection of the link is closed at once and new ones are closed on
 *             accept (the peer sees a refused/reset connection)
 *   one-way   bytes from source to destination (`blocked: 'up'`) or back (`'down'`) are dropped;
 *             connections stay open, so the blocked side hears nothing and its timeouts fire
 *   drop      a blackhole: connections are accepted and kept, nothing is forwarded either way
 *
 * A TCP stream cannot skip bytes, so connections that lost bytes to one-way or drop are closed
 * when their link heals (as TCP would reset them after a long partition); peers reconnect.
 *
 * Which source a connection comes from: a proxy either knows it (ZooKeeper and client proxies
 * serve one source each) or reads it from the first Kafka request on the connection — replica
 * fetchers send client id `samsa-replica-fetcher-<brokerId>` — so one advertised INTERNAL address
 * per broker still gives one link per pair of brokers. Bytes are held until the source is known.
 *
 * Bounded: a connection holds at most HELD_BYTES_MAX before its source is known, and at most
 * PENDING_BYTES_MAX in delayed chunks; past either it is closed. `close()` ends everything.
 */
import net from 'node:net';

export type LinkState =
  | { kind: 'pass'; delayMs?: number }
  | { kind: 'cut' }
  | { kind: 'one-way'; blocked: 'up' | 'down' }
  | { kind: 'drop' };

const PASS: LinkState = { kind: 'pass' };
const HELD_BYTES_MAX = 64 * 1024;
const PENDING_BYTES_MAX = 64 * 1024 * 1024;
const FETCHER_CLIENT_ID = /^samsa-replica-fetcher-(\d+)$/;

export function linkName(source: string, destination: string): string {
  return `${source}->${destination}`;
}

/** Reads the client id of the first Kafka request in `bytes`: the id, null if it has none, undefined if more bytes are needed. */
export function kafkaClientId(bytes: Buffer): string | null | undefined {
  // size int32, apiKey int16, apiVersion int16, correlationId int32, clientId nullable string (int16 length)
  if (bytes.length < 14) return undefined;
  const length = bytes.readInt16BE(12);
  if (length < 0) return null;
  if (bytes.length < 14 + length) return undefined;
  return bytes.toString('utf8', 14, 14 + length);
}

/** Source of a replication connection from its first request: `b<id>` for a replica fetcher. */
export function brokerSourceOf(bytes: Buffer): string | null | undefined {
  const id = kafkaClientId(bytes);
  if (id === undefined || id === null) return id;
  const m = FETCHER_CLIENT_ID.exec(id);
  return m ? `b${m[1]}` : `client:${id}`;
}

/** One proxied connection: `down` is the accepted socket (the source), `up` the one to the destination. */
class Pipe {
  lostBytes = false;
  closed = false;
  pendingBytes = 0;
  /** When the last delayed chunk of each direction is due (keeps order under changing delays). */
  dueMs = { up: 0, down: 0 };

  constructor(
    readonly net: FaultNet,
    readonly source: string,
    readonly destination: string,
    readonly down: net.Socket,
    readonly up: net.Socket,
  ) {}

  get link(): string {
    return linkName(this.source, this.destination);
  }

  forward(direction: 'up' | 'down', chunk: Buffer): void {
    if (this.closed) return;
    const state = this.net.state(this.source, this.destination);
    if (state.kind === 'cut') return this.close();
    if (state.kind === 'drop' || (state.kind === 'one-way' && state.blocked === direction)) {
      this.lostBytes = true;
      this.net.counters.bytesDropped += chunk.length;
      return;
    }
    const to = direction === 'up' ? this.up : this.down;
    const delayMs = state.kind === 'pass' ? (state.delayMs ?? 0) : 0;
    const now = Date.now();
    if (delayMs <= 0 && this.dueMs[direction] <= now) {
      to.write(chunk);
      return;
    }
    const due = Math.max(now + delayMs, this.dueMs[direction]);
    this.dueMs[direction] = due;
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > PENDING_BYTES_MAX) return this.close();
    this.net.counters.bytesDelayed += chunk.length;
    setTimeout(() => {
      this.pendingBytes -= chunk.length;
      if (!this.closed) to.write(chunk);
    }, due - now).unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.down.destroy();
    this.up.destroy();
    this.net.forget(this);
  }
}

/** Link states and the open connections of every proxy; what the nemesis acts on. */
export class FaultNet {
  readonly #links = new Map<string, LinkState>();
  readonly #pipes = new Set<Pipe>();
  readonly #proxies: FaultProxy[] = [];
  readonly counters = { connections: 0, refused: 0, bytesDropped: 0, bytesDelayed: 0 };

  state(source: string, destination: string): LinkState {
    return this.#links.get(linkName(source, destination)) ?? PASS;
  }

  /** Sets one directed link; `cut` closes its open connections at once. */
  set(source: string, destination: string, state: LinkState): void {
    const name = linkName(source, destination);
    const before = this.#links.get(name) ?? PASS;
    if (state.kind === 'pass' && (state.delayMs ?? 0) === 0) this.#links.delete(name);
    else this.#links.set(name, state);
    for (const p of [...this.#pipes]) {
      if (p.link !== name) continue;
      if (state.kind === 'cut') p.close();
      // healing from a lossy state: the stream lost bytes, so it cannot go on
      else if (before.kind !== state.kind && p.lostBytes && state.kind === 'pass') p.close();
    }
  }

  /** Every link back to pass (closing the connections that lost bytes). */
  healAll(): void {
    for (const name of [...this.#links.keys()]) {
      const [source, destination] = name.split('->') as [string, string];
      this.set(source, destination, PASS);
    }
  }

  /** Links that are not plain pass, for reports. */
  faulty(): Array<{ link: string; state: LinkState }> {
    return [...this.#links].map(([link, state]) => ({ link, state }));
  }

  /** A proxy on 127.0.0.1 (ephemeral port) to `target()` for connections to `destination`. */
  async proxy(opts: { destination: string; target: () => { host: string; port: number } | null; source: string | ((firstBytes: Buffer) => string | null | undefined) }): Promise<FaultProxy> {
    const p = new FaultProxy(this, opts.destination, opts.target, opts.source);
    await p.listen();
    this.#proxies.push(p);
    return p;
  }

  track(p: Pipe): void {
    this.#pipes.add(p);
  }

  forget(p: Pipe): void {
    this.#pipes.delete(p);
  }

  async close(): Promise<void> {
    for (const p of [...this.#pipes]) p.close();
    await Promise.all(this.#proxies.splice(0).map((p) => p.close()));
  }
}

export class FaultProxy {
  #server: net.Server | null = null;
  #port = 0;
  readonly #sockets = new Set<net.Socket>();

  constructor(
    readonly faultNet: FaultNet,
    readonly destination: string,
    readonly target: () => { host: string; port: number } | null,
    readonly source: string | ((firstBytes: Buffer) => string | null | undefined),
  ) {}

  get port(): number {
    return this.#port;
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as net.AddressInfo).port;
  }

  #accept(down: net.Socket): void {
    this.#sockets.add(down);
    down.on('close', () => this.#sockets.delete(down));
    down.on('error', () => undefined); // resets are part of the faults; 'close' follows and ends the pipe
    down.setNoDelay(true);
    if (typeof this.source === 'string') {
      this.#open(down, this.source, []);
      return;
    }
    const identify = this.source;
    const held: Buffer[] = [];
    let heldBytes = 0;
    const onData = (chunk: Buffer): void => {
      held.push(chunk);
      heldBytes += chunk.length;
      const all = Buffer.concat(held);
      const found = identify(all);
      if (found === undefined && heldBytes <= HELD_BYTES_MAX) return;
      down.off('data', onData);
      down.pause();
      this.#open(down, found ?? 'unknown', [all]);
    };
    down.on('data', onData);
  }

  #open(down: net.Socket, source: string, first: Buffer[]): void {
    const counters = this.faultNet.counters;
    const target = this.target();
    if (this.faultNet.state(source, this.destination).kind === 'cut' || target === null) {
      counters.refused++;
      down.destroy();
      return;
    }
    counters.connections++;
    const up = net.connect(target.port, target.host);
    this.#sockets.add(up);
    up.on('close', () => this.#sockets.delete(up));
    up.setNoDelay(true);
    const pipe = new Pipe(this.faultNet, source, this.destination, down, up);
    this.faultNet.track(pipe);
    up.on('error', () => undefined); // the destination may be dead: 'close' follows
    up.on('close', () => pipe.close());
    down.on('close', () => pipe.close());
    up.on('data', (chunk: Buffer) => pipe.forward('down', chunk));
    down.on('data', (chunk: Buffer) => pipe.forward('up', chunk));
    for (const chunk of first) pipe.forward('up', chunk);
    down.resume();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
