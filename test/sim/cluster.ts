/**
 * A whole Samsa cluster in one process under one seeded scheduler: N real brokers (src/broker.ts
 * `Broker.start`, unchanged production code) on simulated machines, each with its own in-memory
 * disk (src/io/memory/disk.ts), clock and network facade, all coordinated by the simulated
 * ZooKeeper. Faults act on the machines: crash (kill -9: the process dies, the disk keeps what the
 * OS had), power loss (the disk also loses what was not fsynced), pause and resume (SIGSTOP,
 * SIGCONT), restart, network partitions and slow links, disk faults (ENOSPC, EIO on sync, bit
 * flips on read), wall-clock jumps. A broker that reports a fatal failure (Broker.onFatal: every log
 * dir failed) halts as main.ts makes the real process exit: a crash, marked `halted`.
 *
 * Lifecycle: `SimCluster.start()` boots ZooKeeper and the brokers and waits until every broker is
 * registered; `stopAll()` ends everything. Owned by one simulation run (test/sim/run-seed.ts).
 */
import { Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import type { Random } from '../../src/io/random.js';
import { SimNode } from './node.js';
import type { SeededRandom, SimScheduler } from './scheduler.js';
import { SimNetwork } from './sim-net.js';
import { SimZooKeeperServer, ZK_NODE } from './sim-zookeeper.js';

export const BROKER_PORT = 9092;

/** Random (the broker's interface) over the seeded generator. */
export class SimRandom implements Random {
  constructor(private readonly rng: SeededRandom) {}
  uuid(): string {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 16; i += 4) b.writeUInt32BE(this.rng.next(), i);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  int(maxExclusive: number): number {
    return this.rng.int(maxExclusive);
  }
  base64Id(): string {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 16; i += 4) b.writeUInt32BE(this.rng.next(), i);
    return b.toString('base64url');
  }
}

export interface SimBroker {
  readonly id: number;
  readonly node: SimNode;
  readonly disk: MemoryDisk;
  broker: Broker | null;
  /** Simulated time of the last power loss (its unsynced data is gone), or -1. */
  powerLossAtMs: number;
  /** True while a start of this broker is in progress. */
  starting: boolean;
  starts: number;
  /** The process exited on its own (Broker.onFatal, as main.ts exits); down until restarted. */
  halted: boolean;
}

export interface SimClusterOptions {
  brokers: number;
  /** Extra server.properties entries for every broker. */
  overrides?: string[];
}

export class SimCluster {
  readonly network: SimNetwork;
  readonly zk: SimZooKeeperServer;
  readonly brokers = new Map<number, SimBroker>();
  readonly #zkNode: SimNode;
  readonly #overrides: string[];
  readonly #random: SeededRandom;

  private constructor(
    readonly sched: SimScheduler,
    opts: SimClusterOptions,
  ) {
    this.network = new SimNetwork(sched);
    this.zk = new SimZooKeeperServer(sched, this.network);
    this.#zkNode = new SimNode(sched, ZK_NODE);
    this.#overrides = opts.overrides ?? [];
    this.#random = sched.random.fork();
    for (let id = 0; id < opts.brokers; id++) {
      const node = new SimNode(sched, brokerName(id));
      // 256 MiB of simulated disk per broker: enough for any run; ENOSPC faults lower it.
      this.brokers.set(id, { id, node, disk: new MemoryDisk(), broker: null, powerLossAtMs: -1, starting: false, starts: 0, halted: false });
    }
  }

  static async start(sched: SimScheduler, opts: SimClusterOptions): Promise<SimCluster> {
    const c = new SimCluster(sched, opts);
    void c.#zkNode; // the server does not fail; the node names its end of partitions
    for (const b of c.brokers.values()) c.startBroker(b.id);
    const registered = (): boolean => c.zk.children('/brokers/ids').length === opts.brokers;
    await sched.run({ done: registered, untilMs: sched.nowMs + 60_000 });
    if (!registered()) throw new Error(`only ${c.zk.children('/brokers/ids').length} of ${opts.brokers} brokers registered within 60 s`);
    return c;
  }

  get live(): SimBroker[] {
    return [...this.brokers.values()].filter((b) => b.node.state === 'up' && b.broker !== null);
  }

  broker(id: number): SimBroker {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`no broker ${id}`);
    return b;
  }

  configOf(id: number): ReturnType<typeof loadBrokerConfig>['config'] {
    return loadBrokerConfig({
      env: {},
      overrides: [
        `broker.id=${id}`,
        `listeners=PLAINTEXT://${brokerName(id)}:${BROKER_PORT}`,
        `advertised.listeners=PLAINTEXT://${brokerName(id)}:${BROKER_PORT}`,
        `log.dirs=/data/${brokerName(id)}`,
        `zookeeper.connect=${ZK_NODE}:2181`,
        'zookeeper.session.timeout.ms=6000',
        'default.replication.factor=3',
        'offsets.topic.replication.factor=3',
        'min.insync.replicas=2',
        'replica.lag.time.max.ms=5000',
        'unclean.leader.election.enable=false',
        'auto.create.topics.enable=false',
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.num.partitions=3',
        ...this.#overrides,
      ],
    }).config;
  }

  /** Starts (or restarts) a broker process on its machine; the start runs as simulated work. */
  startBroker(id: number): void {
    const b = this.broker(id);
    if (b.starting || b.broker !== null) return;
    b.node.boot();
    b.starting = true;
    b.halted = false;
    b.starts++;
    const node = b.node;
    const incarnation = node.incarnation;
    this.sched.note(`start broker ${id} (#${b.starts})`);
    Broker.start(this.configOf(id), {
      clock: node.clock(),
      disk: b.disk,
      net: this.network.facade(node),
      random: new SimRandom(this.#random.fork()),
      coordination: this.zk.factory(node),
    }).then(
      (broker) => {
        if (incarnation !== node.incarnation) return; // crashed while starting: that process is gone
        b.broker = broker;
        b.starting = false;
        this.sched.note(`broker ${id} serving`);
        // main.ts exits the process on a fatal failure (after writing the reason): a crash, a moment later.
        broker.onFatal((reason) => this.sched.after(0, `broker ${id} halts`, () => node.run(incarnation, () => this.halt(id, reason))));
      },
      (err: unknown) => {
        b.starting = false;
        if (incarnation !== node.incarnation) return; // the start failed because it was killed
        // A start may fail for reasons a real operator retries (ZooKeeper unreachable): retry later.
        this.sched.note(`broker ${id} start failed: ${(err as Error).message.slice(0, 200)}`);
        this.sched.after(2000, `restart broker ${id}`, () => this.startBroker(id));
      },
    );
  }

  /** kill -9: the process dies at once; the disk keeps everything written (the OS had it). */
  crash(id: number): void {
    const b = this.broker(id);
    this.sched.note(`crash broker ${id}`);
    b.node.crash();
    this.network.nodeCrashed(b.node);
    b.disk.releaseLocks();
    b.disk.epoch++; // open file handles of the dead process stop working
    b.broker = null;
    b.starting = false;
  }

  /** The broker process exits on its own (a fatal failure): as a crash, and marked halted. */
  halt(id: number, reason: string): void {
    this.sched.note(`broker ${id} halts: ${reason.slice(0, 200)}`);
    this.crash(id);
    this.broker(id).halted = true;
  }

  /** Power loss: as crash, and the disk loses what was never fsynced (torn tails possible). */
  powerLoss(id: number): void {
    const b = this.broker(id);
    this.crash(id);
    const rng = this.#random;
    b.disk.crash({ keepUnsyncedBytes: (_file, unsynced) => (rng.chance(0.3) ? rng.int(unsynced + 1) : 0) });
    b.powerLossAtMs = this.sched.nowMs;
    this.sched.note(`power loss broker ${id}`);
  }

  pause(id: number): void {
    this.sched.note(`pause broker ${id}`);
    this.broker(id).node.pause();
  }

  resume(id: number): void {
    this.sched.note(`resume broker ${id}`);
    this.broker(id).node.resume();
  }

  stopAll(): void {
    for (const b of this.brokers.values()) if (b.node.state !== 'down') this.crash(b.id);
  }
}

export function brokerName(id: number): string {
  return `broker-${id}`;
}
