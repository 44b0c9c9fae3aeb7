/**
 * A real cluster for end-to-end tests, reading like a story:
 *
 *   const c = await startCluster({ brokers: 3 });
 *   await c.createTopic('my-replicated-topic', { partitions: 1, replicationFactor: 3 });
 *   const leader = await c.waitForLeader('my-replicated-topic', 0);
 *   await c.kill(leader);                       // kill -9
 *   await c.waitForLeader('my-replicated-topic', 0, { not: leader });
 *   await c.restart(leader);
 *   await c.stopAll();
 *
 * What runs: a real Apache ZooKeeper (bin/zookeeper-server-start, Debian's `zookeeper` package) on a
 * free 127.0.0.1 port with its data in a temp dir — or an ensemble of three with `zookeepers: 3` —
 * then N brokers as child processes (`node dist/src/main.js --override ...`), each with a temp log
 * dir and a port chosen free at start and kept across restarts (clients' bootstrap lists stay
 * valid). Every broker uses its own chroot of the ensemble (`/samsa-<random>`), a 6 s ZooKeeper
 * session timeout, and ZooKeeper runs with tickTime=500 so sessions expire close to that timeout.
 * Metadata is read with kcat -L -J (a real client) from any live broker.
 * Every wait has a timeout; stopAll() ends every process started here and removes the temp dirs.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAIN_JS, kcat, makeTempDir, removeDir, sleep, spawnCaptured, waitFor, withTimeout, type CapturedProcess } from './broker.js';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/helpers -> repository root */
const ROOT = path.resolve(here, '../../..');
const ZK_START = path.join(ROOT, 'bin', 'zookeeper-server-start');

export const ZK_SESSION_TIMEOUT_MS = 6000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

type Proc = CapturedProcess;

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  return spawnCaptured(cmd, args, env);
}

function brokerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KAFKA_') && !k.startsWith('SAMSA_')) env[k] = v;
  env.SAMSA_LOG_PRETTY = '0';
  env.SAMSA_LOG_LEVEL = process.env.SAMSA_CLUSTER_LOG_LEVEL ?? 'info';
  return env;
}

/** Sends a ZooKeeper four-letter word; resolves with the answer ('' when nothing answers). */
export function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const t = setTimeout(() => s.destroy(), 2000);
    s.on('connect', () => s.write(word));
    s.on('data', (b) => (data += b.toString('utf8')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(data);
    });
    s.on('error', () => undefined); // refused while starting: the empty answer says so
  });
}

// ---------------------------------------------------------------------------------------------
// ZooKeeper

export interface ZooKeeperNode {
  readonly myid: number;
  readonly clientPort: number;
  readonly dataDir: string;
  running(): boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server stops answering without closing connections. */
  pause(): void;
  resume(): void;
  output(): string;
}

export interface ZooKeeperEnsemble {
  /** host:port,... for zookeeper.connect (without chroot). */
  readonly connect: string;
  readonly nodes: ZooKeeperNode[];
  stop(): Promise<void>;
}

export async function startZooKeeper(opts: { size?: number; dir: string }): Promise<ZooKeeperEnsemble> {
  if (!existsSync('/usr/share/java/zookeeper.jar')) throw new Error('ZooKeeper is not installed: run `apt-get install -y zookeeper` (or scripts/install-test-deps.sh)');
  const size = opts.size ?? 1;
  const ports = await Promise.all(Array.from({ length: size * 3 }, () => freePort()));
  const nodes: ZooKeeperNode[] = [];
  for (let i = 0; i < size; i++) {
    const myid = i + 1;
    const dataDir = path.join(opts.dir, `zk-${myid}`);
    await mkdir(dataDir, { recursive: true });
    const clientPort = ports[i * 3]!;
    const lines = [`dataDir=${dataDir}`, `clientPort=${clientPort}`, 'clientPortAddress=127.0.0.1', 'tickTime=500', 'initLimit=20', 'syncLimit=10', 'maxClientCnxns=0', 'admin.enableServer=false', '4lw.commands.whitelist=ruok,srvr,stat,mntr'];
    if (size > 1) for (let j = 0; j < size; j++) lines.push(`server.${j + 1}=127.0.0.1:${ports[j * 3 + 1]}:${ports[j * 3 + 2]}`);
    const file = path.join(opts.dir, `zookeeper-${myid}.properties`);
    await writeFile(file, `${lines.join('\n')}\n`);
    let proc: Proc | null = null;
    const node: ZooKeeperNode = {
      myid,
      clientPort,
      dataDir,
      running: () => proc !== null && !proc.hasExited(),
      output: () => proc?.out.join('') ?? '',
      async start() {
        proc = launch(ZK_START, [file], { ...process.env, ZOOKEEPER_MYID: String(myid), ZOOKEEPER_LOG_LEVEL: 'warn', ZOOKEEPER_HEAP_OPTS: '-Xmx256m' });
      },
      pause() {
        if (proc && !proc.hasExited()) proc.child.kill('SIGSTOP');
      },
      resume() {
        if (proc && !proc.hasExited()) proc.child.kill('SIGCONT');
      },
      async kill() {
        if (proc && !proc.hasExited()) {
          proc.child.kill('SIGCONT');
          proc.child.kill('SIGKILL');
          await withTimeout(proc.exited, 10_000, `ZooKeeper ${myid} to exit`);
        }
      },
    };
    nodes.push(node);
  }
  for (const n of nodes) await n.start();
  const want = size === 1 ? /Mode: standalone/ : /Mode: (leader|follower)/;
  for (const n of nodes) {
    await waitFor(async () => want.test(await fourLetterWord(n.clientPort, 'srvr')), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `ZooKeeper ${n.myid} on port ${n.clientPort} to serve${n.running() ? '' : ` (it exited: ${n.output().slice(-2000)})`}`,
    });
  }
  return {
    connect: nodes.map((n) => `127.0.0.1:${n.clientPort}`).join(','),
    nodes,
    async stop() {
      for (const n of nodes) await n.kill();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Brokers

export interface ClusterBroker {
  readonly id: number;
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly pid: number;
  running(): boolean;
  paused(): boolean;
  output(): string;
}

export interface PartitionMetadata {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface Cluster {
  /** All brokers' addresses, comma-separated (for clients). */
  readonly bootstrap: string;
  readonly zookeeper: ZooKeeperEnsemble;
  /** zookeeper.connect the brokers use (with their chroot). */
  readonly zookeeperConnect: string;
  readonly brokers: ReadonlyMap<number, ClusterBroker>;
  broker(id: number): ClusterBroker;
  /** Bootstrap list of the brokers that are running and not paused. */
  liveBootstrap(): string;
  /** Partition metadata as a real client (kcat -L -J) sees it from a live broker. */
  describe(topic: string): Promise<PartitionMetadata[]>;
  leaderOf(topic: string, partition: number): Promise<number>;
  /** Waits for a leader (optionally: not `not`, or in `among`) and returns its id. */
  waitForLeader(topic: string, partition: number, opts?: { not?: number; timeoutMs?: number }): Promise<number>;
  /** Waits until `check` holds for the partition's metadata. */
  waitForPartition(topic: string, partition: number, check: (p: PartitionMetadata) => boolean, what: string, timeoutMs?: number): Promise<PartitionMetadata>;
  createTopic(topic: string, opts: { partitions: number; replicationFactor: number }): Promise<void>;
  kill(id: number): Promise<void>;
  /** SIGTERM; resolves with the exit code (0 expected). */
  stop(id: number): Promise<number | null>;
  restart(id: number): Promise<void>;
  pause(id: number): void;
  resume(id: number): void;
  stopAll(): Promise<void>;
}

export interface ClusterOptions {
  brokers: number;
  /** ZooKeeper ensemble size (1 or 3). */
  zookeepers?: number;
  /** Extra broker config, for every broker. */
  overrides?: string[];
  /**
   * Extra broker config per broker, applied last (later keys win): e.g. other listeners advertised
   * at proxy addresses, or zookeeper.connect through a proxy (test/faults). `port` is the broker's
   * client port (the one `bootstrap` and describe() use); `zookeeperConnect` includes the chroot.
   */
  brokerOverrides?: (id: number, ctx: { port: number; zookeeperConnect: string }) => string[];
}

const LISTENING = /listening on [A-Za-z0-9_.-]+:\/\/[^\s:/]+:(\d+)/;

interface KcatMetadata {
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} not found: build first with \`npx tsc -p .\``);
  const dir = await makeTempDir('samsa-cluster-');
  let zookeeper: ZooKeeperEnsemble;
  try {
    zookeeper = await startZooKeeper({ size: opts.zookeepers ?? 1, dir });
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
  const chroot = `/samsa-${Math.random().toString(36).slice(2, 8)}`;
  const zookeeperConnect = `${zookeeper.connect}${chroot}`;
  const ids = Array.from({ length: opts.brokers }, (_, i) => i);
  const ports = new Map<number, number>();
  for (const id of ids) ports.set(id, await freePort());
  const procs = new Map<number, Proc>();
  const pausedSet = new Set<number>();

  const argsFor = (id: number): string[] =>
    [
      `broker.id=${id}`,
      `log.dirs=${path.join(dir, `broker-${id}`)}`,
      `listeners=PLAINTEXT://127.0.0.1:${ports.get(id)}`,
      `zookeeper.connect=${zookeeperConnect}`,
      `zookeeper.session.timeout.ms=${ZK_SESSION_TIMEOUT_MS}`,
      ...(opts.overrides ?? []),
      ...(opts.brokerOverrides?.(id, { port: ports.get(id)!, zookeeperConnect }) ?? []),
    ].flatMap((o) => ['--override', o]);

  async function startBroker(id: number): Promise<void> {
    const p = launch(process.execPath, [...BROKER_NODE_FLAGS, MAIN_JS, ...argsFor(id)], brokerEnv());
    procs.set(id, p);
    await waitFor(() => {
      if (p.hasExited()) throw new Error(`broker ${id} exited:\n${p.out.join('').slice(-4000)}`);
      return LISTENING.test(p.out.join(''));
    }, { timeoutMs: 60_000, intervalMs: 25, what: `broker ${id} to listen` }).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${p.out.join('').slice(-4000)}`);
    });
  }

  const handles = new Map<number, ClusterBroker>();
  for (const id of ids) {
    handles.set(id, {
      id,
      port: ports.get(id)!,
      bootstrap: `127.0.0.1:${ports.get(id)}`,
      dataDir: path.join(dir, `broker-${id}`),
      get pid() {
        return procs.get(id)?.child.pid ?? -1;
      },
      running: () => procs.get(id)?.hasExited() === false,
      paused: () => pausedSet.has(id),
      output: () => procs.get(id)?.out.join('') ?? '',
    });
  }

  const c: Cluster = {
    bootstrap: ids.map((id) => `127.0.0.1:${ports.get(id)}`).join(','),
    zookeeper,
    zookeeperConnect,
    brokers: handles,
    broker: (id) => {
      const b = handles.get(id);
      if (!b) throw new Error(`no broker ${id}`);
      return b;
    },
    liveBootstrap: () =>
      ids
        .filter((id) => handles.get(id)!.running() && !pausedSet.has(id))
        .map((id) => `127.0.0.1:${ports.get(id)}`)
        .join(','),
    async describe(topic) {
      const live = c.liveBootstrap();
      if (live === '') throw new Error('no live broker to ask for metadata');
      const r = await kcat(['-b', live, '-m', '5', '-q', '-L', '-J', '-t', topic], { timeoutMs: 15_000 });
      const md = JSON.parse(r.stdout) as KcatMetadata;
      const t = md.topics.find((x) => x.topic === topic);
      if (!t || t.error) throw new Error(`topic ${topic}: ${t?.error ?? 'missing'}`);
      return t.partitions
        .map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas.map((r) => r.id), isr: p.isrs.map((r) => r.id) }))
        .sort((a, b) => a.partition - b.partition);
    },
    async leaderOf(topic, partition) {
      const p = (await c.describe(topic)).find((x) => x.partition === partition);
      if (!p) throw new Error(`no partition ${topic}-${partition}`);
      return p.leader;
    },
    async waitForPartition(topic, partition, check, what, timeoutMs = 30_000) {
      const found = await waitFor(
        async () => {
          const p = (await c.describe(topic)).find((x) => x.partition === partition);
          return p && check(p) ? p : null;
        },
        { timeoutMs, intervalMs: 200, what: `${topic}-${partition}: ${what}` },
      );
      return found!;
    },
    async waitForLeader(topic, partition, o = {}) {
      const p = await c.waitForPartition(
        topic,
        partition,
        (x) => x.leader >= 0 && x.leader !== o.not && handles.get(x.leader)?.running() === true && !pausedSet.has(x.leader),
        o.not === undefined ? 'a live leader' : `a live leader other than ${o.not}`,
        o.timeoutMs,
      );
      return p.leader;
    },
    async createTopic(topic, o) {
      const { Kafka, logLevel } = await import('kafkajs');
      const kafka = new Kafka({ brokers: c.liveBootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: o.partitions, replicationFactor: o.replicationFactor }], waitForLeaders: true, timeout: 30_000 });
      } finally {
        await admin.disconnect();
      }
    },
    async kill(id) {
      const p = procs.get(id);
      if (!p || p.hasExited()) return;
      p.child.kill('SIGKILL');
      pausedSet.delete(id);
      await withTimeout(p.exited, 10_000, `broker ${id} to die`);
    },
    async stop(id) {
      const p = procs.get(id);
      if (!p || p.hasExited()) return null;
      p.child.kill('SIGTERM');
      const r = await withTimeout(p.exited, 60_000, `broker ${id} to stop after SIGTERM`);
      return r.code;
    },
    async restart(id) {
      const p = procs.get(id);
      if (p && !p.hasExited()) throw new Error(`broker ${id} still runs: kill() or stop() it first`);
      await startBroker(id);
    },
    pause(id) {
      const p = procs.get(id);
      if (!p || p.hasExited()) throw new Error(`broker ${id} is not running`);
      p.child.kill('SIGSTOP');
      pausedSet.add(id);
    },
    resume(id) {
      const p = procs.get(id);
      if (!p || p.hasExited()) throw new Error(`broker ${id} is not running`);
      p.child.kill('SIGCONT');
      pausedSet.delete(id);
    },
    async stopAll() {
      for (const id of ids) {
        const p = procs.get(id);
        if (p && !p.hasExited()) {
          if (pausedSet.has(id)) p.child.kill('SIGCONT');
          p.child.kill('SIGKILL');
          await withTimeout(p.exited, 10_000, `broker ${id} to die`).catch(() => undefined); // best effort at teardown
        }
      }
      await zookeeper.stop();
      await sleep(50);
      if (!process.env.SAMSA_KEEP_CLUSTER_DIR) await removeDir(dir);
    },
  };

  try {
    await Promise.all(ids.map((id) => startBroker(id)));
    // Every broker registered: each one's metadata lists all of them.
    await waitFor(
      async () => {
        const r = await kcat(['-b', c.bootstrap, '-m', '5', '-q', '-L', '-J'], { timeoutMs: 15_000 });
        return (JSON.parse(r.stdout) as KcatMetadata).brokers.length === ids.length;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `all ${ids.length} brokers to register` },
    );
  } catch (err) {
    await c.stopAll();
    throw err;
  }
  return c;
}
