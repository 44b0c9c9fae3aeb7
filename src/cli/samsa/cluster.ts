/**
 * `samsa cluster start --brokers N --zookeeper host:port`: N broker processes on this machine
 * (node dist/src/main.js, the same program bin/kafka-server-start runs), broker ids 0..N-1 on
 * ports base, base+1, … with data in <data-dir>/broker-<id>. Their log lines are shown prefixed
 * with the broker id. One Ctrl-C (or SIGTERM) stops them all cleanly; if one fails to start, the
 * others are stopped and the command exits 1.
 *
 * Brokers form a cluster through ZooKeeper (zookeeper.connect), so --zookeeper is required; without
 * it the command says what is missing and how to start ZooKeeper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { c, ce, CliError, print } from './ui.js';

interface ClusterOptions {
  brokers: string;
  zookeeper?: string;
  basePort: string;
  dataDir?: string;
  override?: string[];
}

const MAIN_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../main.js');
const START_TIMEOUT_MS = 60_000;

interface Member {
  id: number;
  port: number;
  child: ChildProcess;
  listening: boolean;
  exited: Promise<number | null>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function clusterStartCommand(opts: ClusterOptions): Promise<void> {
  const n = Number(opts.brokers);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new CliError(`--brokers must be between 1 and 32, got '${opts.brokers}'`);
  const basePort = Number(opts.basePort);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + n - 1 > 65535) throw new CliError(`--base-port must be a port number, got '${opts.basePort}'`);
  if (!opts.zookeeper) {
    throw new CliError(
      `a cluster of ${n} brokers needs ZooKeeper: Samsa brokers find each other and elect a controller through zookeeper.connect, as Kafka does`,
      `start ZooKeeper (bin/zookeeper-server-start config/zookeeper.properties), then: samsa cluster start --brokers ${n} --zookeeper localhost:2181` +
        '\n       (for a single broker without ZooKeeper: samsa start)',
    );
  }
  if (!existsSync(MAIN_JS)) throw new CliError(`${MAIN_JS} is missing`, 'build first: npm run build');
  const root = path.resolve(opts.dataDir ?? path.join(process.env.SAMSA_DATA_DIR ?? path.join(os.homedir(), '.samsa'), 'cluster'));
  const colours = [ce.cyan, ce.green, ce.yellow, ce.bold, ce.dim];
  const members: Member[] = [];

  const prefixLines = (id: number, stream: NodeJS.ReadableStream, sink: NodeJS.WriteStream): void => {
    let partial = '';
    const tag = colours[id % colours.length]!(`[broker-${id}]`);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const l of lines) sink.write(`${tag} ${l}\n`);
    });
  };

  for (let id = 0; id < n; id++) {
    const port = basePort + id;
    const args = [
      MAIN_JS,
      ...[
        `broker.id=${id}`,
        `listeners=PLAINTEXT://:${port}`,
        `advertised.listeners=PLAINTEXT://localhost:${port}`,
        `log.dirs=${path.join(root, `broker-${id}`)}`,
        `zookeeper.connect=${opts.zookeeper}`,
        'group.initial.rebalance.delay.ms=0',
        ...(opts.override ?? []),
      ].flatMap((o) => ['--override', o]),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAMSA_LOG_PRETTY: '0', SAMSA_LOG_LEVEL: process.env.SAMSA_LOG_LEVEL ?? 'info' },
    });
    const m: Member = {
      id,
      port,
      child,
      listening: false,
      exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    };
    prefixLines(id, child.stdout!, process.stdout);
    prefixLines(id, child.stderr!, process.stderr);
    members.push(m);
  }

  let stopping = false;
  const stopAll = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${ce.dim(`${why}: stopping ${members.length} broker(s)…`)}\n`);
    // One at a time, highest id first: each broker's controlled shutdown can then hand its
    // partitions to brokers that are still running instead of waiting on peers that are leaving.
    const codes: Array<number | null> = new Array(members.length);
    for (const m of [...members].reverse()) {
      if (m.child.exitCode === null) m.child.kill('SIGTERM');
      codes[m.id] = await m.exited;
    }
    process.stderr.write(`${ce.dim(`stopped (exit codes ${codes.join(', ')})`)}\n`);
  };
  process.on('SIGINT', () => void stopAll('SIGINT').then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll('SIGTERM').then(() => process.exit(0)));

  // Wait until every broker listens (or one dies).
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const dead = members.find((m) => m.child.exitCode !== null);
    if (dead) {
      await stopAll(`broker-${dead.id} exited with code ${dead.child.exitCode} while starting`);
      throw new CliError(`broker-${dead.id} did not start (see its log lines above)`, 'is a port in use, or ZooKeeper unreachable? check --zookeeper and --base-port');
    }
    // A broker is up when its port accepts connections (whatever its log level shows).
    await Promise.all(members.filter((m) => !m.listening).map(async (m) => (m.listening = await accepts(m.port))));
    if (members.every((m) => m.listening)) break;
    if (Date.now() > deadline) {
      await stopAll('timeout');
      throw new CliError(`the brokers did not start within ${START_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const bootstrap = members.map((m) => `localhost:${m.port}`).join(',');
  print();
  print(`  ${c.bold('Samsa cluster')} ${c.dim(`— ${n} broker(s), ZooKeeper ${opts.zookeeper}`)}`);
  print(`  ${c.dim('Bootstrap servers')}  ${c.bold(c.green(bootstrap))}`);
  print(`  ${c.dim('Data directories ')}  ${path.join(root, 'broker-<id>')}`);
  print(`  ${c.dim('Try it:')}  samsa topic create replicated -p 3 -r ${Math.min(3, n)} -b ${bootstrap}`);
  print(`  ${c.dim('Stop all with Ctrl-C.')}`);
  print();

  // Keep running; report brokers that die on their own.
  await Promise.all(
    members.map(async (m) => {
      const code = await m.exited;
      if (!stopping) process.stderr.write(`${ce.red(`broker-${m.id} exited with code ${code}`)}\n`);
    }),
  );
  if (!stopping) process.exit(1);
}
