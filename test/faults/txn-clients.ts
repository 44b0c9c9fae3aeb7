/**
 * Supervision of the transactional client processes of a transaction fault run (scripts in
 * txn-scripts.ts): each role is one /usr/bin/python3 process at a time, restarted when it exits
 * (a fatal client error) or after the nemesis kills it, until the run stops it. Their JSON lines
 * are parsed as they arrive into the histories the checkers read.
 *
 * Debugging: with TXN_CLIENT_LOG_DIR=<dir> each role's stdout and stderr are also appended to
 * <dir>/<role>.log; TXN_CLIENT_DEBUG=eos,protocol adds librdkafka's `debug` to the writers, so those
 * logs show every transactional request and answer. Writers' `error` events carry `ms` (wall clock)
 * to line them up with broker logs (SAMSA_CLUSTER_LOG_LEVEL=debug logs each refused request).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { PYTHON, sleep } from '../helpers/broker.js';
import type { SeenRecord, TxnHistory, TxnRecord } from './txn-checker.js';

type Json = Record<string, unknown>;

/** One role (writer, tail, pipeline): a process at a time, restarted with fresh arguments. */
export class Supervised {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #stopped = false;
  #partial = '';
  #loop: Promise<void> | null = null;
  restarts = 0;
  killed = 0;
  readonly stderrTail: string[] = [];

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly args: () => string[],
    private readonly onLine: (o: Json) => void,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    for (let i = 0; !this.#stopped && i < 1000; i++) {
      if (i > 0) this.restarts++;
      this.#spawn();
      await this.#exited;
      if (!this.#stopped) await sleep(300);
    }
  }

  #spawn(): void {
    const child = spawn(PYTHON, ['-c', this.script, ...this.args()], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#partial = '';
    // Debugging aid: TXN_CLIENT_LOG_DIR keeps every process's output (with TXN_CLIENT_DEBUG=eos,protocol, librdkafka's requests).
    const logDir = process.env.TXN_CLIENT_LOG_DIR;
    const keep = (s: string): void => {
      if (logDir) appendFileSync(path.join(logDir, `${this.name}.log`), s);
    };
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      keep(s);
      this.#lines(s);
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      keep(s);
      this.stderrTail.push(s);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    this.#exited = new Promise((resolve) => {
      child.on('exit', () => resolve());
      child.on('error', (err) => {
        this.stderrTail.push(`spawn error: ${err.message}`);
        resolve();
      });
    });
  }

  #lines(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      this.onLine(JSON.parse(line) as Json);
    }
  }

  /** SIGKILL the current process (the loop starts a new one). */
  async kill(): Promise<void> {
    this.killed++;
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** Ends the role: SIGKILL and no restart. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#child?.kill('SIGKILL');
    await this.#exited;
    await this.#loop;
  }
}

/**
 * The history of one transactional writer id across its processes: transactions by number; a
 * transaction that began and got no outcome (process killed, or the run stopped) is unknown.
 */
export class WriterHistory {
  readonly txns = new Map<number, TxnHistory>();
  nextTxn = 0;
  readonly errors: string[] = [];

  constructor(readonly writer: string) {}

  onLine(o: Json): void {
    const t = Number(o.t);
    switch (o.ev) {
      case 'begin': {
        const records = (o.records as Array<{ v: string; p: number }>).map((r): TxnRecord => ({ value: r.v, partition: r.p }));
        this.txns.set(t, { writer: this.writer, txn: t, records, commitStartMs: null, outcome: 'unknown' });
        this.nextTxn = t + 1;
        break;
      }
      case 'commit-start':
        this.txns.get(t)!.commitStartMs = Number(o.ms);
        break;
      case 'committed':
      case 'aborted':
        this.txns.get(t)!.outcome = o.ev;
        break;
      case 'error':
      case 'init-failed':
        if (this.errors.length < 20) this.errors.push(String(o.err));
        break;
      default:
        break;
    }
  }
}

export function seenRecord(o: Json): SeenRecord {
  return { value: String(o.v), partition: Number(o.p), offset: Number(o.o), ...(o.ms === undefined ? {} : { seenMs: Number(o.ms) }) };
}

/** Runs DRAIN once to its end; resolves with the records and the partitions that reached their end. */
export function drain(script: string, args: string[], timeoutMs: number): Promise<{ records: Array<SeenRecord & { key: string | null }>; eof: number; ends: Json[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Json);
      const done = lines.find((o) => o.ev === 'done');
      if (code !== 0 || done === undefined) {
        reject(new Error(`drain ${args.join(' ')} exited ${code} without finishing:\n${err.slice(-2000)}`));
        return;
      }
      const records = lines.filter((o) => o.ev === undefined).map((o) => ({ ...seenRecord(o), key: o.k === null || o.k === undefined ? null : String(o.k) }));
      resolve({ records, eof: Number(done.eof), ends: (done.ends as Json[] | undefined) ?? [] });
    });
  });
}
