/**
 * Helpers for the CLI tests: run a bin/ tool as a child process (exactly as a user would, through
 * its bash wrapper), a port where nothing listens (for "broker down"), and line-by-line format
 * matching where values may vary.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunOptions, type RunResult } from '../helpers/broker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/cli -> repository root */
export const ROOT = path.resolve(here, '../../..');
export const BIN = path.join(ROOT, 'bin');

/** Runs bin/<tool> with args; fails the test if the tool or its build is missing. */
export async function tool(name: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const file = path.join(BIN, name);
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  const base = name.replace(/\.sh$/, '');
  const js = base === 'kafka-server-start' ? path.join(ROOT, 'dist', 'src', 'main.js') : path.join(ROOT, 'dist', 'src', 'cli', `${base}.js`);
  if (base !== 'kafka-server-stop' && !existsSync(js)) throw new Error(`${js} is missing: build first (npx tsc -p .)`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...(opts.env ?? {}) };
  delete env.SAMSA_BROKERS;
  return run(file, args, { timeoutMs: 30_000, ...opts, env });
}

/** Like tool(), but asserts exit code 0 (stderr in the message otherwise). */
export async function toolOk(name: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await tool(name, args, opts);
  assert.equal(r.code, 0, `${name} ${args.join(' ')} exited with ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A localhost port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Non-empty lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Asserts each line matches its pattern, in order and with nothing extra. */
export function assertLines(text: string, patterns: RegExp[], what: string): void {
  const got = lines(text);
  assert.equal(got.length, patterns.length, `${what}: expected ${patterns.length} lines, got ${got.length}:\n${text}`);
  patterns.forEach((p, i) => assert.match(got[i]!, p, `${what}: line ${i + 1}`));
}

/** Kafka's log4j line: [yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (logger). */
export const LOG_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] (ERROR|WARN|INFO) .+ \(\S+\)$/;
