/**
 * What `samsa cluster start` keeps in its directory between runs, and the ports it picks.
 *
 *   <dir>/cluster.json   broker ids and ports, and which ZooKeeper (our own on a port, or an
 *                        external connect string); written at every start, so a second start with
 *                        the same --dir finds the same brokers at the same ports when they are free
 *   <dir>/running.json   pids of the running `samsa cluster start` and its children, removed when
 *                        it stops; a second start while any of them is alive is refused, because two
 *                        brokers on one log directory (or two ZooKeepers on one dataDir) corrupt it
 *   <dir>/broker-<id>/   each broker's log.dirs
 *   <dir>/zookeeper/     our ZooKeeper's dataDir; <dir>/zookeeper.properties its config
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CliError } from './ui.js';

export interface ClusterFile {
  version: 1;
  brokers: Array<{ id: number; port: number }>;
  zookeeper: { port: number } | { connect: string };
}

const isPort = (p: unknown): p is number => Number.isInteger(p) && (p as number) > 0 && (p as number) <= 65535;

/** The cluster file, or null when the directory holds none. Throws CliError when it is unreadable. */
export function readClusterFile(dir: string): ClusterFile | null {
  const file = path.join(dir, 'cluster.json');
  if (!existsSync(file)) return null;
  const bad = (why: string): CliError => new CliError(`${file} is not a cluster file this samsa understands (${why})`, `fix or remove it, or use another --dir`);
  let doc: Partial<ClusterFile>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<ClusterFile>;
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (doc.version !== 1) throw bad(`version ${String(doc.version)}`);
  const brokers = doc.brokers;
  if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b) => Number.isInteger(b?.id) && b.id >= 0 && isPort(b?.port))) throw bad('brokers');
  const zk = doc.zookeeper as Record<string, unknown> | undefined;
  if (!zk || !(isPort(zk.port) || (typeof zk.connect === 'string' && zk.connect !== ''))) throw bad('zookeeper');
  return doc as ClusterFile;
}

export function writeClusterFile(dir: string, f: ClusterFile): void {
  writeFileSync(path.join(dir, 'cluster.json'), `${JSON.stringify(f, null, 2)}\n`);
}

/** Creates the directory and checks that files can be written there (CliError otherwise). */
export function ensureWritableDir(dir: string): void {
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why: Record<string, string> = { EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system', ENOTDIR: 'a part of the path is a file', EEXIST: 'a file of that name exists', ENOSPC: 'no space left' };
    throw new CliError(`cannot use ${dir} for the cluster's data: ${why[code] ?? (e as Error).message}`, 'choose another directory with --dir <dir>');
  }
}

// ---------------------------------------------------------------------------------------------
// The running-cluster record

interface RunningFile {
  pid: number;
  children: number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Whether `pid` is alive and, where /proc tells, its command line contains `mark` (the directory,
 * or `cluster` for samsa itself): a pid reused by an unrelated process does not count.
 */
function aliveWith(pid: number, mark: string): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(mark);
  } catch (e) {
    // No /proc (macOS) or not readable: count it as ours, the safe side.
    return (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES';
  }
}

/** Refuses to go on while a previous run's processes for this directory are alive. */
export function assertNotRunning(dir: string): void {
  const file = path.join(dir, 'running.json');
  if (!existsSync(file)) return;
  let doc: Partial<RunningFile>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningFile>;
  } catch (e) {
    process.stderr.write(`warning: ignoring unreadable ${file}: ${(e as Error).message}\n`);
    return;
  }
  const main = doc.pid;
  if (Number.isInteger(main) && main! > 0 && main !== process.pid && aliveWith(main!, 'cluster')) {
    throw new CliError(`a cluster from ${dir} is already running (samsa pid ${main})`, `stop it with Ctrl-C where it runs (or kill ${main}), or use another --dir`);
  }
  const orphans = (doc.children ?? []).filter((p) => Number.isInteger(p) && p > 0 && aliveWith(p, dir));
  if (orphans.length > 0) {
    throw new CliError(`processes of an earlier cluster from ${dir} are still running (pids ${orphans.join(', ')})`, `stop them first: kill ${orphans.join(' ')}`);
  }
}

export function writeRunningFile(dir: string, children: number[]): void {
  writeFileSync(path.join(dir, 'running.json'), `${JSON.stringify({ pid: process.pid, children } satisfies RunningFile)}\n`);
}

export function removeRunningFile(dir: string): void {
  rmSync(path.join(dir, 'running.json'), { force: true });
}

// ---------------------------------------------------------------------------------------------
// Ports

/** Whether a listener could bind `port` now (host undefined: every interface, as the brokers bind). */
export function portFree(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port the OS calls free now, not in `taken`. */
export async function pickFreePort(taken: ReadonlySet<number>, host?: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen({ port: 0, host, exclusive: true }, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (!taken.has(port)) return port;
  }
  throw new CliError('no free port found after 20 tries');
}

export interface PortPlan {
  ports: number[];
  /** Lines to show: ports that moved since the last run. */
  notes: string[];
}

/**
 * Broker ports: `--base-port 0` → free ports; `--base-port N` → N, N+1, … (each must be free);
 * no --base-port → the last run's ports where free (others move, with a note), or 9092, 9093, …
 * for a new cluster.
 */
export async function planBrokerPorts(n: number, basePort: number | undefined, previous: number[] | undefined, taken: Set<number>): Promise<PortPlan> {
  const ports: number[] = [];
  const notes: string[] = [];
  const fixed = async (port: number, id: number, hint: string): Promise<void> => {
    if (taken.has(port) || !(await portFree(port))) {
      throw new CliError(`port ${port} (for broker-${id}) is already in use — is another broker running?`, hint);
    }
    ports.push(port);
    taken.add(port);
  };
  for (let id = 0; id < n; id++) {
    if (basePort === 0) {
      const p = await pickFreePort(taken);
      ports.push(p);
      taken.add(p);
    } else if (basePort !== undefined) {
      await fixed(basePort + id, id, 'stop what uses it, or let the cluster pick free ports: --base-port 0');
    } else if (previous !== undefined) {
      const was = previous[id]!;
      if (!taken.has(was) && (await portFree(was))) {
        ports.push(was);
        taken.add(was);
      } else {
        const p = await pickFreePort(taken);
        notes.push(`broker-${id}'s port ${was} is in use now; it listens on ${p} instead`);
        ports.push(p);
        taken.add(p);
      }
    } else {
      await fixed(9092 + id, id, 'stop what uses it, or choose other ports: --base-port 19092, or --base-port 0 for free ones');
    }
  }
  return { ports, notes };
}

/** Our ZooKeeper's port: --zookeeper-port (0: a free one), else the last run's if free, else a free one — never 2181 unasked. */
export async function planZooKeeperPort(asked: number | undefined, previous: number | undefined, taken: Set<number>): Promise<PortPlan> {
  const notes: string[] = [];
  let port: number;
  if (asked !== undefined && asked !== 0) {
    if (taken.has(asked) || !(await portFree(asked, '127.0.0.1'))) {
      throw new CliError(`port ${asked} (--zookeeper-port) is already in use — is another ZooKeeper running?`, 'stop it, or leave out --zookeeper-port to use a free port');
    }
    port = asked;
  } else if (asked === undefined && previous !== undefined && !taken.has(previous) && (await portFree(previous, '127.0.0.1'))) {
    port = previous;
  } else {
    port = await pickFreePort(taken, '127.0.0.1');
    if (asked === undefined && previous !== undefined) notes.push(`ZooKeeper's port ${previous} is in use now; it listens on ${port} instead`);
  }
  taken.add(port);
  return { ports: [port], notes };
}
