/**
 * `samsa cluster start [--brokers N] [--dir D]`: a whole cluster on this machine in one command, as
 * rpk's `container start` gives one:
 *
 * 1. ZooKeeper: unless --zookeeper host:port names one to use, a standalone server from Debian's
 *    `zookeeper` package, run by bin/zookeeper-server-start with a config written here (data in
 *    <dir>/zookeeper, 127.0.0.1 on a free port or --zookeeper-port, tickTime 500 ms); ready when it
 *    answers the `srvr` four-letter word.
 * 2. N brokers: processes running dist/src/main.js (what bin/kafka-server-start runs), ids 0..N-1,
 *    ports 9092… (or --base-port; 0 = free ports), log.dirs <dir>/broker-<id>,
 *    zookeeper.connect to (1); ready when each answers Metadata listing all N brokers and a
 *    controller. Their log lines (and ZooKeeper's) are shown prefixed `[broker-<id>]`/`[zookeeper]`.
 * 3. A banner: bootstrap servers, ZooKeeper address, data directory.
 * 4. One Ctrl-C (SIGINT), SIGTERM or SIGHUP stops every broker at once (each does its controlled
 *    shutdown), then ZooKeeper, and exits 0. A second Ctrl-C kills everything and exits 1.
 *
 * A second start with the same --dir reuses it (cluster-state.ts): same ids, same ports where free,
 * and the topics and records are still there. When a broker dies on its own, the others keep running
 * (as in Kafka's quickstart, where one broker is killed to watch leadership move) and the death is
 * reported; when ZooKeeper dies, or no broker is left, everything is stopped and the exit code is 1.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, brokersReady, describeExit, MAIN_JS, waitUntil, writeZooKeeperConfig, ZK_START, zookeeperMissing, zookeeperServing, type ExitStatus } from './cluster-procs.js';
import { assertNotRunning, ensureWritableDir, pickFreePort, planBrokerPorts, portFree, planZooKeeperPort, readClusterFile, removeRunningFile, writeClusterFile, writeRunningFile, type ClusterFile } from './cluster-state.js';
import { c, ce, CliError, print } from './ui.js';
import { BROKER_NODE_FLAGS } from '../../node-flags.js';

interface ClusterOptions {
  brokers?: string;
  zookeeper?: string;
  zookeeperPort?: string;
  basePort?: string;
  dir?: string;
  dataDir?: string;
  override?: string[];
  logLevel?: string;
}

const START_TIMEOUT_MS = 60_000;
/** A broker's controlled shutdown is bounded at 30 s (zk-cluster.ts); then it closes its logs. */
const BROKER_STOP_GRACE_MS = 45_000;
const ZK_STOP_GRACE_MS = 10_000;
/** With tickTime 500 ms: a broker that dies loses leadership ~6 s later (Kafka's default is 18 s). */
const SESSION_TIMEOUT_MS = 6000;
/** Admin listeners (console, /metrics) from here up, as `samsa start` uses 9644 (Redpanda's admin port). */
const ADMIN_PORT_BASE = 9644;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

function intOption(flag: string, value: string, min: number, max: number, what: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be ${what}, got '${value}'`);
  return n;
}

export function defaultClusterDir(): string {
  return path.join(process.env.SAMSA_DATA_DIR ?? path.join(os.homedir(), '.samsa'), 'cluster');
}

interface Plan {
  dir: string;
  ids: number[];
  ports: number[];
  /** Each broker's admin listener (console, /metrics): 9644 + i when free, else a free port. */
  adminPorts: number[];
  /** Our own ZooKeeper's port, or null with an external one. */
  zkPort: number | null;
  zkConnect: string;
  overrides: string[];
  logLevel: string;
  /** Written once the cluster is up, so a start that failed does not bind the directory to its choices. */
  file: ClusterFile;
}

/** Validates the options, reads the directory's cluster file and picks ports. */
async function plan(opts: ClusterOptions): Promise<Plan> {
  const nAsked = opts.brokers === undefined ? undefined : intOption('--brokers', opts.brokers, 1, 32, 'a number of brokers from 1 to 32');
  const basePort = opts.basePort === undefined ? undefined : intOption('--base-port', opts.basePort, 0, 65535, 'a port number (0: free ports)');
  const zkPortAsked = opts.zookeeperPort === undefined ? undefined : intOption('--zookeeper-port', opts.zookeeperPort, 0, 65535, 'a port number (0: a free port)');
  if (opts.zookeeper !== undefined && zkPortAsked !== undefined) {
    throw new CliError('--zookeeper and --zookeeper-port do not go together', '--zookeeper names a ZooKeeper you run; --zookeeper-port is the port of the one samsa starts');
  }
  if (opts.zookeeper !== undefined && !/^[^\s,/]+:\d+(,[^\s,/]+:\d+)*(\/\S*)?$/.test(opts.zookeeper)) {
    throw new CliError(`--zookeeper must be host:port[,host:port…][/chroot], got '${opts.zookeeper}'`, 'or leave it out and samsa starts a ZooKeeper of its own');
  }
  const logLevel = opts.logLevel ?? process.env.SAMSA_LOG_LEVEL ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  if (opts.dir !== undefined && opts.dataDir !== undefined && path.resolve(opts.dir) !== path.resolve(opts.dataDir)) {
    throw new CliError('--dir and --data-dir name different directories', '--data-dir is the old name of --dir: give one of them');
  }
  if (!existsSync(MAIN_JS)) throw new CliError(`${MAIN_JS} is missing`, 'build first: npm run build');

  const dir = path.resolve(opts.dir ?? opts.dataDir ?? defaultClusterDir());
  ensureWritableDir(dir);
  assertNotRunning(dir);
  const previous = readClusterFile(dir);
  const n = nAsked ?? previous?.brokers.length ?? 3;
  if (previous && nAsked !== undefined && nAsked !== previous.brokers.length) {
    const had = previous.brokers.length;
    throw new CliError(`${dir} holds a cluster of ${had} broker(s), not ${nAsked}`, `start it with --brokers ${had} (or without --brokers), or give another --dir for a new cluster`);
  }
  if (basePort !== undefined && basePort !== 0 && basePort + n - 1 > 65535) throw new CliError(`--base-port ${basePort} leaves no room for ${n} brokers below 65536`);

  const prevConnect = previous && 'connect' in previous.zookeeper ? previous.zookeeper.connect : undefined;
  const prevZkPort = previous && 'port' in previous.zookeeper ? previous.zookeeper.port : undefined;
  if (previous && opts.zookeeper !== undefined && prevConnect === undefined) {
    throw new CliError(`${dir} holds a cluster with its own ZooKeeper (its topics are in ${path.join(dir, 'zookeeper')})`, 'leave out --zookeeper, or give another --dir');
  }
  if (opts.zookeeper !== undefined && prevConnect !== undefined && opts.zookeeper !== prevConnect) {
    throw new CliError(`${dir} holds a cluster that uses the ZooKeeper at ${prevConnect}`, `use --zookeeper ${prevConnect} (or leave it out), or give another --dir`);
  }
  if (prevConnect !== undefined && zkPortAsked !== undefined) {
    throw new CliError(`${dir} holds a cluster that uses the ZooKeeper at ${prevConnect}; --zookeeper-port does not apply`, 'leave out --zookeeper-port, or give another --dir');
  }
  const external = opts.zookeeper ?? prevConnect;
  if (external === undefined) {
    const missing = zookeeperMissing();
    if (missing !== null) throw new CliError(missing);
  }

  const taken = new Set<number>();
  const zk = external === undefined ? await planZooKeeperPort(zkPortAsked, prevZkPort, taken) : null;
  const brokers = await planBrokerPorts(n, basePort, previous?.brokers.map((b) => b.port), taken);
  for (const note of [...(zk?.notes ?? []), ...brokers.notes]) process.stderr.write(`${ce.yellow('note:')} ${note}\n`);
  const ids = previous?.brokers.map((b) => b.id) ?? Array.from({ length: n }, (_, i) => i);
  const zkPort = zk ? zk.ports[0]! : null;
  const file: ClusterFile = {
    version: 1,
    brokers: ids.map((id, i) => ({ id, port: brokers.ports[i]! })),
    zookeeper: zkPort !== null ? { port: zkPort } : { connect: external! },
  };
  const adminPorts: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const preferred = ADMIN_PORT_BASE + i;
    const port = !taken.has(preferred) && (await portFree(preferred)) ? preferred : await pickFreePort(taken);
    taken.add(port);
    adminPorts.push(port);
  }
  return { dir, ids, ports: brokers.ports, adminPorts, zkPort, zkConnect: external ?? `127.0.0.1:${zkPort}`, overrides: opts.override ?? [], logLevel, file };
}

function brokerArgs(p: Plan, i: number): string[] {
  const n = p.ids.length;
  const port = p.ports[i]!;
  return [
    ...BROKER_NODE_FLAGS,
    MAIN_JS,
    ...[
      `broker.id=${p.ids[i]}`,
      `listeners=PLAINTEXT://:${port}`,
      `advertised.listeners=PLAINTEXT://localhost:${port}`,
      `log.dirs=${path.join(p.dir, `broker-${p.ids[i]}`)}`,
      `zookeeper.connect=${p.zkConnect}`,
      `admin.listeners=http://127.0.0.1:${p.adminPorts[i]}`,
      `zookeeper.session.timeout.ms=${SESSION_TIMEOUT_MS}`,
      'group.initial.rebalance.delay.ms=0',
      `offsets.topic.replication.factor=${Math.min(3, n)}`,
      `transaction.state.log.replication.factor=${Math.min(3, n)}`,
      `transaction.state.log.min.isr=${Math.min(2, n)}`,
      ...p.overrides,
    ].flatMap((o) => ['--override', o]),
  ];
}

export async function clusterStartCommand(opts: ClusterOptions): Promise<void> {
  const p = await plan(opts);
  const colours = [ce.cyan, ce.green, ce.yellow, ce.bold];
  let zk: Child | null = null;
  const brokers: Child[] = [];
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  const all = (): Child[] => [...brokers, ...(zk ? [zk] : [])];
  const record = (): void => writeRunningFile(p.dir, all().flatMap((ch) => (ch.pid !== undefined ? [ch.pid] : [])));

  // Whatever ends this process, no child outlives it unasked.
  process.on('exit', () => {
    for (const ch of all()) ch.kill();
  });

  /** Brokers in parallel, then ZooKeeper. True when every one that was running stopped cleanly. */
  const stopAll = async (why: string): Promise<boolean> => {
    phase = 'stopping';
    const running = brokers.filter((b) => b.running);
    const what = [...(running.length > 0 ? [`${running.length} broker(s)`] : []), ...(zk?.running ? ['ZooKeeper'] : [])].join(', then ');
    process.stderr.write(`${ce.dim(`${why}: stopping ${what || 'nothing (every process has exited)'}…`)}\n`);
    const results = await Promise.all(brokers.map(async (b) => ({ b, wasRunning: b.running, r: await b.stop(BROKER_STOP_GRACE_MS) })));
    const show = (e: ExitStatus): string => (e.signal !== null ? e.signal : String(e.code));
    // A broker still loading when the signal came has no handler yet and ends on SIGTERM itself.
    let clean = results.every(({ wasRunning, r }) => !wasRunning || (!r.forced && (r.code === 0 || r.signal === 'SIGTERM')));
    for (const { b, r } of results) if (r.forced) process.stderr.write(`${ce.red(`${b.name} did not stop within ${BROKER_STOP_GRACE_MS / 1000} s: killed`)}\n`);
    if (brokers.length > 0) process.stderr.write(`${ce.dim(`brokers stopped (exit codes ${results.map(({ r }) => show(r)).join(', ')})`)}\n`);
    if (zk?.running) {
      const r = await zk.stop(ZK_STOP_GRACE_MS);
      // The JVM answers SIGTERM by running its shutdown hooks and exiting 143 (128 + 15).
      const zkClean = !r.forced && (r.code === 0 || r.code === 143 || r.signal === 'SIGTERM');
      clean &&= zkClean;
      process.stderr.write(`${zkClean ? ce.dim('ZooKeeper stopped') : ce.red(`ZooKeeper ${r.forced ? `did not stop within ${ZK_STOP_GRACE_MS / 1000} s: killed` : `stopped badly (${describeExit(r)})`}`)}\n`);
    }
    removeRunningFile(p.dir);
    return clean;
  };

  let signals = 0;
  const onSignal = (signal: string): void => {
    signals++;
    if (signals > 1 || phase === 'stopping') {
      process.stderr.write(`${ce.red(`${signal} again: killing every process now`)}\n`);
      for (const ch of all()) ch.kill();
      process.exit(1);
    }
    void stopAll(signal).then((clean) => process.exit(clean ? 0 : 1));
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => onSignal(s));
  /** After a signal, startup stops waiting and leaves the exit to the signal's handler. */
  const parkIfStopping = async (): Promise<void> => {
    if (phase === 'stopping') await new Promise<never>(() => undefined);
  };
  const failStart = async (message: string, hint: string): Promise<never> => {
    await parkIfStopping();
    await stopAll('start failed');
    throw new CliError(message, hint);
  };

  // 1. ZooKeeper
  if (p.zkPort !== null) {
    const dataDir = path.join(p.dir, 'zookeeper');
    const file = path.join(p.dir, 'zookeeper.properties');
    mkdirSync(dataDir, { recursive: true });
    writeZooKeeperConfig(file, dataDir, p.zkPort);
    const env = { ...process.env, ZOOKEEPER_LOG_LEVEL: process.env.ZOOKEEPER_LOG_LEVEL ?? 'error', ZOOKEEPER_HEAP_OPTS: process.env.ZOOKEEPER_HEAP_OPTS ?? '-Xmx256m' };
    const child = new Child('zookeeper', ZK_START, [file], env, ce.dim);
    zk = child;
    record();
    const ready = await waitUntil(
      () => zookeeperServing(p.zkPort!),
      () => (phase === 'stopping' ? 'stopping' : child.exit ? `it exited (${describeExit(child.exit)})` : null),
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 200 },
    );
    if (!ready.ok) {
      await failStart(`ZooKeeper did not start on 127.0.0.1:${p.zkPort}: ${ready.timedOut ? `no answer within ${START_TIMEOUT_MS / 1000} s` : ready.reason}`, `see its [zookeeper] lines above; its config is ${file}`);
    }
    watch(child);
  }

  // 2. Brokers
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SAMSA_LOG_LEVEL: p.logLevel,
    SAMSA_LOG_PRETTY: process.env.SAMSA_LOG_PRETTY ?? (process.stdout.isTTY ? '1' : '0'),
  };
  p.ids.forEach((id, i) => brokers.push(new Child(`broker-${id}`, process.execPath, brokerArgs(p, i), env, colours[i % colours.length]!)));
  record();
  const ready = await waitUntil(
    () => brokersReady(p.ports),
    () => {
      if (phase === 'stopping') return 'stopping';
      const dead = all().find((ch) => !ch.running);
      return dead ? `${dead.name} exited (${describeExit(dead.exit!)}) while starting` : null;
    },
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 250 },
  );
  if (!ready.ok) {
    await failStart(
      ready.timedOut ? `the brokers did not form a cluster within ${START_TIMEOUT_MS / 1000} s: ${ready.reason}` : ready.reason,
      p.zkPort === null ? `see the log lines above; is the ZooKeeper at ${p.zkConnect} reachable?` : 'see the log lines above (run with --log-level info for more)',
    );
  }
  for (const b of brokers) watch(b);
  phase = 'running';
  writeClusterFile(p.dir, p.file);

  // 3. Banner
  const bootstrap = p.ports.map((port) => `localhost:${port}`).join(',');
  const n = p.ids.length;
  print();
  print(`  ${c.bold('Samsa cluster')} ${c.dim(`— ${n} broker(s) on this machine`)}`);
  print();
  print(`  ${c.dim('Bootstrap servers')}  ${c.bold(c.green(bootstrap))}`);
  print(`  ${c.dim('ZooKeeper        ')}  ${p.zkConnect}${c.dim(p.zkPort !== null ? ' (started by samsa)' : ' (external)')}`);
  print(`  ${c.dim('Data directory   ')}  ${p.dir}`);
  print(`  ${c.dim('Broker ids       ')}  ${p.ids.join(', ')}`);
  print(`  ${c.dim('Console, metrics ')}  ${p.adminPorts.map((port, i) => `${c.bold(`http://localhost:${port}`)} ${c.dim(`(broker ${p.ids[i]})`)}`).join(', ')}`);
  print();
  print(`  ${c.dim('Try it:')}  samsa topic create replicated -p 3 -r ${Math.min(3, n)} -b ${bootstrap}`);
  print(`           samsa topic describe replicated -b ${bootstrap}`);
  print(`  ${c.dim('or Kafka\'s tools:')} bin/kafka-topics --bootstrap-server ${bootstrap} --list`);
  print();
  print(`  ${c.dim('Stop all with Ctrl-C (brokers first, then ZooKeeper).')}`);
  print();

  // 4. Supervise until a signal (whose handler exits) or a fatal death.
  await new Promise<never>(() => undefined);

  function watch(ch: Child): void {
    void ch.exited.then(async (e) => {
      if (phase !== 'running' || ch.stopRequested) return; // while starting, the readiness wait reports deaths
      if (ch === zk) {
        process.stderr.write(`${ce.red(`ZooKeeper exited unexpectedly (${describeExit(e)}): the brokers cannot work without it; stopping them`)}\n`);
        await stopAll('ZooKeeper gone');
        process.exit(1);
      }
      const left = brokers.filter((b) => b.running);
      if (left.length === 0) {
        process.stderr.write(`${ce.red(`${ch.name} exited unexpectedly (${describeExit(e)}) and no broker is left`)}\n`);
        await stopAll('no broker left');
        process.exit(1);
      }
      process.stderr.write(
        `${ce.red(`${ch.name} exited unexpectedly (${describeExit(e)}); ${left.map((b) => b.name).join(', ')} keep running`)} ` +
          `${ce.dim('(to bring it back: Ctrl-C, then samsa cluster start again with the same --dir)')}\n`,
      );
    });
  }
}
