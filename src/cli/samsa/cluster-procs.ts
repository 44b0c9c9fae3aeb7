/**
 * The processes behind `samsa cluster start`: child processes whose output is shown line by line
 * with a `[name]` prefix, ZooKeeper (Debian's package, run through bin/zookeeper-server-start with a
 * properties file we write), and the checks that say when ZooKeeper and the brokers are ready.
 *
 * Children run in their own process group (detached), so the Ctrl-C a terminal sends to its
 * foreground group reaches only `samsa cluster start`, which then stops the brokers before
 * ZooKeeper: brokers need ZooKeeper for their controlled shutdown.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaClient } from '../../client/client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/samsa -> the repository root */
const ROOT = path.resolve(here, '../../../..');
export const ZK_START = path.join(ROOT, 'bin', 'zookeeper-server-start');
export const MAIN_JS = path.resolve(here, '../../main.js');

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(e: ExitStatus): string {
  return e.signal !== null ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

type Paint = (s: string) => string;

/** A child process with prefixed output, an `exited` promise and a bounded stop. */
export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  #exit: ExitStatus | null = null;
  #stopRequested = false;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    tag: Paint,
  ) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        // A subshell forked just as the group was signalled can outlive its parent briefly: no
        // process of the group may outlive the child.
        this.#signal('SIGKILL');
        resolve(this.#exit);
      });
      // A failed spawn (ENOENT, EACCES) emits 'error' and no 'exit'.
      this.proc.once('error', (err) => {
        process.stderr.write(`${tag(`[${name}]`)} cannot run ${cmd}: ${err.message}\n`);
        this.#exit = { code: 127, signal: null };
        resolve(this.#exit);
      });
    });
    prefixLines(tag(`[${name}]`), this.proc.stdout!, process.stdout);
    prefixLines(tag(`[${name}]`), this.proc.stderr!, process.stderr);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }
  get running(): boolean {
    return this.#exit === null;
  }
  get exit(): ExitStatus | null {
    return this.#exit;
  }
  /** True once stop() or kill() was called: an exit after that is expected. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited and whether it was killed. */
  async stop(graceMs: number): Promise<ExitStatus & { forced: boolean }> {
    this.#stopRequested = true;
    if (this.#exit) return { ...this.#exit, forced: false };
    this.#signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), graceMs)));
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first) return { ...first, forced: false };
    this.#signal('SIGKILL');
    return { ...(await this.exited), forced: true };
  }

  kill(): void {
    this.#stopRequested = true;
    if (this.#exit === null) this.#signal('SIGKILL');
  }

  /**
   * Signals the child's whole process group (it leads one: detached), so that helpers it forked
   * (bin/zookeeper-server-start's subshells before it execs java) end with it.
   */
  #signal(signal: NodeJS.Signals): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (e) {
      // ESRCH: no such group (not a group leader yet, or every member is gone); EPERM: the id is
      // no longer ours. Either way, signal the process itself while it runs.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ESRCH' && code !== 'EPERM') throw e;
      if (this.#exit === null) this.proc.kill(signal);
    }
  }
}

function prefixLines(tag: string, stream: NodeJS.ReadableStream, sink: NodeJS.WriteStream): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const l of lines) sink.write(`${tag} ${l}\n`);
  });
  stream.on('end', () => {
    if (partial !== '') sink.write(`${tag} ${partial}\n`);
  });
}

// ---------------------------------------------------------------------------------------------
// ZooKeeper

/** null when bin/zookeeper-server-start can run ZooKeeper here, else its one-line reason. */
export function zookeeperMissing(): string | null {
  const r = spawnSync(ZK_START, ['--check'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `cannot run ${ZK_START}: ${r.error.message}`;
  if (r.status === 0) return null;
  return (r.stderr || r.stdout).trim().replace(/^zookeeper-server-start: /, '') || `${ZK_START} --check exited with ${r.status}`;
}

/**
 * Writes the standalone server's properties. tickTime 500 ms lets sessions be as short as 1 s, so
 * the brokers' 6 s session (see cluster.ts) ends soon after a broker dies and leadership moves
 * quickly; maxSessionTimeout allows a longer zookeeper.session.timeout.ms given with -o.
 */
export function writeZooKeeperConfig(file: string, dataDir: string, port: number): void {
  const lines = [
    '# Written by `samsa cluster start` on every start; edits are overwritten.',
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'tickTime=500',
    'minSessionTimeout=1000',
    'maxSessionTimeout=60000',
    'maxClientCnxns=0',
    'admin.enableServer=false',
    '4lw.commands.whitelist=ruok,srvr,stat,mntr',
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Sends a four-letter word; resolves with the answer ('' when nothing answers). */
export function fourLetterWord(port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const t = setTimeout(() => s.destroy(), timeoutMs);
    s.on('connect', () => s.write(word));
    s.on('data', (b: Buffer) => (data += b.toString('utf8')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(data);
    });
    s.on('error', () => undefined); // refused while it starts: the empty answer says so
  });
}

// ---------------------------------------------------------------------------------------------
// Readiness

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` every `intervalMs` until it returns null (ready), `failed()` returns a reason, or
 * `timeoutMs` passes. Resolves with null when ready, else the reason (the last check's answer on
 * timeout).
 */
export async function waitUntil(
  check: () => Promise<string | null>,
  failed: () => string | null,
  opts: { timeoutMs: number; intervalMs: number },
): Promise<{ ok: true } | { ok: false; reason: string; timedOut: boolean }> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const f = failed();
    if (f !== null) return { ok: false, reason: f, timedOut: false };
    const waiting = await check();
    if (waiting === null) return { ok: true };
    if (Date.now() > deadline) return { ok: false, reason: waiting, timedOut: true };
    await sleep(opts.intervalMs);
  }
}

/** null when ZooKeeper on `port` serves requests, else what it answered. */
export async function zookeeperServing(port: number): Promise<string | null> {
  const answer = await fourLetterWord(port, 'srvr');
  return /Mode: standalone/.test(answer) ? null : answer === '' ? `nothing answers on 127.0.0.1:${port}` : answer.trim().split('\n')[0]!;
}

/**
 * null when every broker answers Metadata listing all `ports.length` brokers and a controller
 * (then a topic with replication factor N can be created at once), else which broker is not there yet.
 */
export async function brokersReady(ports: number[]): Promise<string | null> {
  for (const port of ports) {
    const client = new KafkaClient({ bootstrapServers: `127.0.0.1:${port}`, clientId: 'samsa-cluster-start', connectTimeoutMs: 1000, requestTimeoutMs: 2000, retries: 0 });
    try {
      const md = await client.refreshMetadata([]);
      if (md.brokers.size < ports.length) return `the broker on port ${port} sees ${md.brokers.size} of ${ports.length} brokers`;
      if (md.controllerId < 0) return `the broker on port ${port} knows no controller yet`;
    } catch (e) {
      return `the broker on port ${port} does not answer yet (${(e as Error).message})`;
    } finally {
      await client.close();
    }
  }
  return null;
}
