/**
 * The simulated network: TCP-like connections between simulated nodes, implementing the broker's
 * `Net` (listen and connect) over the scheduler. Within a connection bytes arrive in order, once,
 * after a latency drawn from the seed (so deliveries of different connections interleave in
 * seed-dependent orders); a fault never corrupts or reorders bytes inside one connection, as TCP
 * guarantees, it cuts connections:
 *
 * - a partition between two nodes (symmetric, or one-way: only `from → to` blocked) makes new
 *   connections time out (ETIMEDOUT after the caller's connect timeout) and cuts an existing
 *   connection at its first blocked delivery after `CUT_AFTER_MS` (a TCP timeout), both sides
 *   seeing it close with an error;
 * - a crashed node's connections close on the other side after a latency, its connects refuse;
 * - a paused node receives nothing until it resumes (its socket buffers hold the bytes);
 * - extra latency (a slow link) adds to every delivery on it.
 * Writes never block (no backpressure): the simulated buffers are unbounded.
 */
import type { ByteStream, Listener, Net } from '../../src/io/net.js';
import type { SimNode } from './node.js';
import type { SimScheduler } from './scheduler.js';

/** How long a blocked connection lives before it is reset (a TCP retransmission timeout). */
const CUT_AFTER_MS = 1500;

type Handlers = Parameters<ByteStream['start']>[0];

interface Endpoint {
  node: SimNode;
  incarnation: number;
  onConnection: (stream: ByteStream) => void;
}

function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export class SimNetwork {
  readonly #listeners = new Map<string, Endpoint>();
  /** Blocked directions, "from>to". */
  readonly #blocked = new Set<string>();
  /** Extra latency per direction, "from>to". */
  readonly #slow = new Map<string, number>();
  readonly #open = new Set<SimStream>();
  latencyMsMin = 0;
  latencyMsMax = 3;
  bytesDelivered = 0;

  constructor(readonly sched: SimScheduler) {}

  /** The Net of one node incarnation. */
  facade(node: SimNode): Net {
    const incarnation = node.incarnation;
    return {
      // The simulated network carries plaintext only: TLS listeners and connections are refused.
      listen: (host, port, onConnection, opts) =>
        opts?.tls ? Promise.reject(new Error('the simulated network has no TLS; use PLAINTEXT or SASL_PLAINTEXT listeners')) : this.#listen(node, incarnation, host, port, onConnection),
      connect: (host, port, opts) =>
        opts.tls ? Promise.reject(new Error('the simulated network has no TLS')) : this.#connect(node, incarnation, host, port, opts.timeoutMs),
    };
  }

  partition(a: string, b: string, oneWay = false): void {
    this.#blocked.add(`${a}>${b}`);
    if (!oneWay) this.#blocked.add(`${b}>${a}`);
  }

  heal(a?: string, b?: string): void {
    if (a === undefined) {
      this.#blocked.clear();
      this.#slow.clear();
      return;
    }
    for (const link of [`${a}>${b}`, `${b}>${a}`]) {
      this.#blocked.delete(link);
      this.#slow.delete(link);
    }
  }

  slow(a: string, b: string, extraMs: number): void {
    this.#slow.set(`${a}>${b}`, extraMs);
    this.#slow.set(`${b}>${a}`, extraMs);
  }

  blocked(from: string, to: string): boolean {
    return this.#blocked.has(`${from}>${to}`);
  }

  get partitions(): string[] {
    return [...this.#blocked].sort();
  }

  latency(from: string, to: string): number {
    return this.sched.random.between(this.latencyMsMin, this.latencyMsMax) + (this.#slow.get(`${from}>${to}`) ?? 0);
  }

  /** A node crashed: its listeners go, its connections close on the other side. */
  nodeCrashed(node: SimNode): void {
    for (const [addr, ep] of this.#listeners) if (ep.node === node) this.#listeners.delete(addr);
    for (const s of [...this.#open]) if (s.node === node) s.crashed();
  }

  async #listen(node: SimNode, incarnation: number, host: string, port: number, onConnection: (s: ByteStream) => void): Promise<Listener> {
    const addr = `${host === '' ? node.name : host}:${port}`;
    if (this.#listeners.has(addr)) throw netError('EADDRINUSE', `listen EADDRINUSE: address already in use ${addr}`);
    this.#listeners.set(addr, { node, incarnation, onConnection });
    return {
      host,
      port,
      close: async () => {
        if (this.#listeners.get(addr)?.node === node) this.#listeners.delete(addr);
      },
    };
  }

  #connect(node: SimNode, incarnation: number, host: string, port: number, timeoutMs: number): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const addr = `${host}:${port}`;
      const target = this.#listeners.get(addr);
      const to = target?.node.name ?? host;
      const settle = (fn: () => void): void => node.run(incarnation, fn);
      if (this.blocked(node.name, to) || this.blocked(to, node.name)) {
        this.sched.after(timeoutMs, `net ${node.name}->${addr} connect timeout`, () => settle(() => reject(netError('ETIMEDOUT', `connect ETIMEDOUT ${addr}`))));
        return;
      }
      if (target === undefined || target.node.state === 'down' || target.incarnation !== target.node.incarnation) {
        this.sched.after(this.latency(node.name, to), `net ${node.name}->${addr} refused`, () => settle(() => reject(netError('ECONNREFUSED', `connect ECONNREFUSED ${addr}`))));
        return;
      }
      const client = new SimStream(this, node, incarnation, `${node.name}->${addr}`);
      const server = new SimStream(this, target.node, target.incarnation, `${addr}<-${node.name}`);
      client.peer = server;
      server.peer = client;
      this.#open.add(client);
      this.#open.add(server);
      this.sched.after(this.latency(node.name, to), `net accept ${server.label}`, () => target.node.run(target.incarnation, () => target.onConnection(server)));
      this.sched.after(2 * this.latency(node.name, to), `net connected ${client.label}`, () => settle(() => resolve(client)));
    });
  }

  forget(s: SimStream): void {
    this.#open.delete(s);
  }
}

/** One side of a simulated connection. */
export class SimStream implements ByteStream {
  peer: SimStream | null = null;
  #handlers: Handlers | null = null;
  /** Chunks that arrived before start() or while paused, in order. */
  #inbox: Buffer[] = [];
  #paused = false;
  #closed = false;
  #closeReported = false;
  /** Deliveries to the peer keep their order: each is scheduled no earlier than the previous one. */
  #lastDeliveryMs = 0;
  readonly remoteAddress: string;

  constructor(
    private readonly net: SimNetwork,
    readonly node: SimNode,
    private readonly incarnation: number,
    readonly label: string,
  ) {
    this.remoteAddress = label;
  }

  start(handlers: Handlers): void {
    this.#handlers = handlers;
    this.#flush();
    if (this.#closed) this.#reportClose(false);
  }

  writev(chunks: Buffer[]): boolean {
    const peer = this.peer;
    if (this.#closed || peer === null) return true;
    const data = Buffer.concat(chunks); // a copy: the sender may reuse its buffers
    const from = this.node.name;
    const to = peer.node.name;
    const atMs = Math.max(this.#lastDeliveryMs, this.net.sched.nowMs + this.net.latency(from, to));
    this.#lastDeliveryMs = atMs;
    this.net.sched.at(atMs, `net data ${this.label} ${data.length}B`, () => {
      if (peer.#closed) return;
      if (this.net.blocked(from, to)) {
        // The bytes never arrive; the connection is reset after a TCP timeout.
        this.net.sched.after(CUT_AFTER_MS, `net cut ${this.label}`, () => {
          this.#cut();
          peer.#cut();
        });
        return;
      }
      this.net.bytesDelivered += data.length;
      peer.#receive(data);
    });
    return true;
  }

  /** The simulator delivers each write as its own message; writeSoon's coalescing is not modelled. */
  writeSoon(chunks: Buffer[]): boolean {
    return this.writev(chunks);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#flush();
  }

  end(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.#closed) return;
    const peer = this.peer;
    this.#close(false);
    if (peer !== null) {
      const atMs = Math.max(this.#lastDeliveryMs, this.net.sched.nowMs + this.net.latency(this.node.name, peer.node.name));
      this.net.sched.at(atMs, `net fin ${this.label}`, () => peer.#close(false));
    }
  }

  /** This side's node crashed: the other side learns it after a latency. */
  crashed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.net.forget(this);
    const peer = this.peer;
    if (peer !== null) this.net.sched.after(this.net.latency(this.node.name, peer.node.name), `net reset ${peer.label}`, () => peer.#cut());
  }

  #cut(): void {
    if (this.#closed) return;
    this.#handlers?.error(Object.assign(new Error(`connection reset: ${this.label}`), { code: 'ECONNRESET' }));
    this.#close(true);
  }

  #receive(data: Buffer): void {
    if (this.#closed) return;
    this.#inbox.push(data);
    this.#flush();
  }

  #flush(): void {
    if (this.#handlers === null || this.#paused) return;
    while (this.#inbox.length > 0 && !this.#paused && !this.#closed) {
      const chunk = this.#inbox.shift()!;
      const handlers = this.#handlers;
      this.node.run(this.incarnation, () => handlers.data(chunk));
    }
  }

  #close(hadError: boolean): void {
    if (!this.#closed) {
      this.#closed = true;
      this.net.forget(this);
    }
    this.#reportClose(hadError);
  }

  #reportClose(hadError: boolean): void {
    if (this.#closeReported || this.#handlers === null) return;
    this.#closeReported = true;
    const handlers = this.#handlers;
    this.node.run(this.incarnation, () => handlers.close(hadError));
  }
}
