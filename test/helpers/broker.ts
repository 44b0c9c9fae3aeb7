/**
 * Brokers and external programs for end-to-end tests.
 *
 * - `startBroker()` runs a Broker in this process on 127.0.0.1 with an ephemeral port and a fresh
 *   temp data dir; `stop()` shuts it down and removes the dir (unless the caller passed its own).
 * - `spawnBroker()` runs the real CLI (`node dist/src/main.js --override ...`) as a child process and
 *   reads the bound port from its `listening on PLAINTEXT://host:port` log line. It can be killed
 *   (SIGKILL for crash tests), stopped (SIGTERM, must exit 0) and restarted on the same data dir and,
 *   when the port is still free, the same port. Its log lines are kept for assertions.
 * - `run()` runs a program (kcat, /usr/bin/python3) with input, a timeout and collected output; a
 *   missing program fails with the Debian package to install, never skips.
 *
 * Every wait here has a timeout; every process started here is ended by the returned handles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker.js';
import { zookeeperCoordination } from '../../src/cluster/coordination/zookeeper.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeDisk } from '../../src/io/node/disk.js';
import { NodeNet } from '../../src/io/node/net.js';
import { NodeRandom } from '../../src/io/node/random.js';
import { NodeHttp } from '../../src/io/node/http.js';
import { createConsoleHandler } from '../../src/console/routes.js';
import { NodeProcessStats } from '../../src/io/node/process-stats.js';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/helpers -> dist/src/main.js */
export const MAIN_JS = path.resolve(here, '../../src/main.js');

/** The Debian package that provides each external program or Python module the e2e tests drive. */
export const PACKAGE_FOR: Record<string, string> = {
  kcat: 'kcat',
  '/usr/bin/python3': 'python3',
  confluent_kafka: 'python3-confluent-kafka',
  kafka: 'python3-kafka',
  snappy: 'python3-snappy',
  lz4: 'python3-lz4',
  xxhash: 'python3-xxhash',
};

export async function makeTempDir(prefix = 'samsa-e2e-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Rejects after `ms` with a message naming what we were waiting for. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value, at most `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, opts: { timeoutMs: number; intervalMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err; // keep polling; reported if we time out
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(opts.intervalMs ?? 50);
  }
}

// ---------------------------------------------------------------------------------------------
// In-process broker

export interface StartedBroker {
  broker: Broker;
  port: number;
  bootstrap: string;
  dataDir: string;
  /** Stops the broker and removes the data dir if startBroker created it. */
  stop(): Promise<void>;
}

export async function startBroker(opts: { overrides?: string[]; dataDir?: string } = {}): Promise<StartedBroker> {
  // Keep test output readable: the in-process broker logs errors only unless the runner asks for more.
  process.env.SAMSA_LOG_LEVEL ??= process.env.SAMSA_TEST_LOG_LEVEL ?? 'error';
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await makeTempDir('samsa-e2e-broker-'));
  const { config } = loadBrokerConfig({
    overrides: [`log.dirs=${dataDir}`, 'listeners=PLAINTEXT://127.0.0.1:0', ...(opts.overrides ?? [])],
    env: {},
  });
  let broker: Broker;
  const processStats = new NodeProcessStats();
  try {
    broker = await withTimeout(
      Broker.start(config, { clock: new NodeClock(), disk: new NodeDisk({ inlineWriteBytesMax: config.logInlineWriteBytesMax }), net: new NodeNet(), random: new NodeRandom(), coordination: zookeeperCoordination, http: new NodeHttp(), process: processStats, webConsole: createConsoleHandler }),
      20_000,
      'the in-process broker to start',
    );
  } catch (err) {
    processStats.close();
    if (ownDir) await removeDir(dataDir);
    throw err;
  }
  const port = broker.listeners[0]!.port;
  let stopped = false;
  return {
    broker,
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await withTimeout(broker.stop(), 20_000, 'the in-process broker to stop');
      } finally {
        processStats.close();
        if (ownDir) await removeDir(dataDir);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Broker as a child process

export interface LogLine {
  level: number;
  msg: string;
  raw: string;
  [k: string]: unknown;
}

export interface SpawnedBroker {
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly pid: number;
  /** Log lines of the current process (stdout JSON lines; non-JSON lines get level 0). */
  logs(): LogLine[];
  /** Everything the current process wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits for exit; throws unless the exit code is 0. */
  stop(): Promise<void>;
  /** Starts the broker again on the same data dir (and the same port when it is free). */
  restart(): Promise<void>;
  /** Kills the process if it still runs and removes the data dir if spawnBroker created it. */
  cleanup(): Promise<void>;
}

export interface SpawnBrokerOptions {
  overrides?: string[];
  dataDir?: string;
  startTimeoutMs?: number;
}

const LISTENING = /listening on PLAINTEXT:\/\/([^\s:/]+):(\d+)/;

/** The environment for a child broker: ours minus KAFKA_* and SAMSA_* (they would change its config). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('KAFKA_') || k.startsWith('SAMSA_')) continue;
    env[k] = v;
  }
  env.SAMSA_LOG_PRETTY = '0';
  env.SAMSA_LOG_LEVEL = 'info';
  return env;
}

/** A child process whose stdout and stderr are collected in `out`. */
export interface CapturedProcess {
  child: ChildProcess;
  out: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited: () => boolean;
}

/** Spawns `cmd` collecting its output; a spawn failure resolves `exited` with code -1. */
export function spawnCaptured(cmd: string, args: string[], env: NodeJS.ProcessEnv): CapturedProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => out.push(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => out.push(s));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      out.push(`spawn error: ${err.message}\n`);
      done = true;
      resolve({ code: -1, signal: null });
    });
  });
  return { child, out, exited, hasExited: () => done };
}

function launch(args: string[]): CapturedProcess {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} not found: build first with \`npx tsc -p .\``);
  return spawnCaptured(process.execPath, [...BROKER_NODE_FLAGS, MAIN_JS, ...args], childEnv());
}

function parseLogLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    try {
      const o = JSON.parse(raw) as Record<string, unknown>;
      lines.push({ ...o, level: Number(o.level ?? 0), msg: String(o.msg ?? ''), raw });
    } catch {
      // not a JSON log line (e.g. a stack trace on stderr): kept as level 0 so it still shows
      lines.push({ level: 0, msg: raw, raw });
    }
  }
  return lines;
}

async function waitListening(r: CapturedProcess, timeoutMs: number): Promise<{ host: string; port: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = LISTENING.exec(r.out.join(''));
    if (m) return { host: m[1]!, port: Number(m[2]) };
    if (r.hasExited()) {
      throw new Error(`broker exited before listening (${JSON.stringify(await r.exited)}):\n${r.out.join('')}`);
    }
    if (Date.now() > deadline) {
      r.child.kill('SIGKILL');
      await withTimeout(r.exited, 5000, 'a broker that did not start to die');
      throw new Error(`broker did not log "listening on" within ${timeoutMs} ms:\n${r.out.join('')}`);
    }
    await sleep(25);
  }
}

export async function spawnBroker(opts: SpawnBrokerOptions = {}): Promise<SpawnedBroker> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await makeTempDir('samsa-e2e-spawned-'));
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const extra = opts.overrides ?? [];
  const argsFor = (port: number): string[] =>
    [`log.dirs=${dataDir}`, `listeners=PLAINTEXT://127.0.0.1:${port}`, ...extra].flatMap((o) => ['--override', o]);

  let current = launch(argsFor(0));
  let port: number;
  try {
    port = (await waitListening(current, startTimeoutMs)).port;
  } catch (err) {
    if (ownDir) await removeDir(dataDir);
    throw err;
  }

  const handle: SpawnedBroker = {
    get port() {
      return port;
    },
    get bootstrap() {
      return `127.0.0.1:${port}`;
    },
    dataDir,
    get pid() {
      return current.child.pid ?? -1;
    },
    logs: () => parseLogLines(current.out.join('')),
    output: () => current.out.join(''),
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!current.hasExited()) current.child.kill(signal);
      return withTimeout(current.exited, 20_000, `the broker (pid ${current.child.pid}) to exit after ${signal}`);
    },
    async stop() {
      const r = await handle.kill('SIGTERM');
      if (r.code !== 0) throw new Error(`broker exited with ${JSON.stringify(r)} after SIGTERM, expected code 0:\n${handle.output()}`);
    },
    async restart() {
      if (!current.hasExited()) throw new Error('restart() needs the broker to be stopped or killed first');
      current = launch(argsFor(port));
      try {
        port = (await waitListening(current, startTimeoutMs)).port;
      } catch (err) {
        // The port was taken in the meantime: fall back to a new ephemeral port.
        if (!/EADDRINUSE/.test(String(err))) throw err;
        current = launch(argsFor(0));
        port = (await waitListening(current, startTimeoutMs)).port;
      }
    },
    async cleanup() {
      if (!current.hasExited()) await handle.kill('SIGKILL');
      if (ownDir) await removeDir(dataDir);
    },
  };
  return handle;
}

// ---------------------------------------------------------------------------------------------
// External programs

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a program to completion; rejects on timeout (after killing it) or when it cannot start. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        const pkg = PACKAGE_FOR[cmd];
        reject(new Error(`${cmd} is not installed${pkg ? `: run \`apt-get install -y ${pkg}\`` : ''}`));
      } else {
        reject(e);
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new Error(`${cmd} ${args.join(' ').slice(0, 300)} timed out after ${timeoutMs} ms\nstderr: ${stderr.slice(-3000)}\nstdout tail: ${stdout.slice(-1000)}`));
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
    // A program that exits without reading all of its input makes stdin emit EPIPE; the exit code
    // and output tell the story, so the write error is expected and not interesting here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but throws unless the exit code is 0, with stderr in the message. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} exited with ${r.code ?? r.signal}\nstderr: ${r.stderr.slice(-4000)}\nstdout tail: ${r.stdout.slice(-1000)}`);
  }
  return r;
}

export function kcat(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runOk('kcat', args, opts);
}

export const PYTHON = '/usr/bin/python3';

/** Fails (never skips) when a Python module the test needs is missing, naming the Debian package. */
export async function requirePythonModule(module: string): Promise<void> {
  const r = await run(PYTHON, ['-c', `import ${module}`], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    const pkg = PACKAGE_FOR[module] ?? `python3-${module}`;
    throw new Error(`Python module ${module} is missing for ${PYTHON}: run \`apt-get install -y ${pkg}\`\n${r.stderr}`);
  }
}

/** Fails when kcat is not installed, naming the package. */
export async function requireKcat(): Promise<void> {
  await run('kcat', ['-V'], { timeoutMs: 10_000 });
}

/** Runs an inline Python script with /usr/bin/python3; args reach it as sys.argv[1:]. Must exit 0. */
export function runPython(script: string, args: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  return runOk(PYTHON, ['-c', script, ...args], opts);
}

/** Parses the last non-empty stdout line of a script as JSON (scripts print their result there). */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('script printed nothing');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
