/**
 * Goal: the I/O boundary holds. Broker code (everything under src/ but the io implementations, the
 * client library, the command-line tools and the entry point) reaches time, timers, files, sockets
 * and randomness only through the io interfaces it is given (src/io/clock.ts, disk.ts, net.ts,
 * random.ts), so the seeded simulator (test/sim/) can run whole clusters deterministically and
 * replay a failure from its seed. A new `Date.now()` or `setTimeout` in broker code fails here.
 *
 * Method: read every broker .ts file under src/, strip comments and string literals, and look for
 * the forbidden imports and calls. A short allow-list names the adapters that are the production
 * side of an io interface, each with its reason; an entry that no longer matches anything fails
 * too, so the list cannot rot.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/**
 * Not broker code: the io implementations, the client library, the CLI and the entry point, and
 * the web console (src/console: a Kafka client application with its own HTTP server and browser
 * code; the broker only mounts its request handler, it never runs inside the broker's io).
 */
const OUTSIDE = [/^io\/node\//, /^client\//, /^cli\//, /^main\.ts$/, /^console\//];

const FORBIDDEN: Array<{ what: string; pattern: RegExp }> = [
  { what: 'node:fs (use Disk)', pattern: /from\s+['"](node:)?fs(\/promises)?['"]/ },
  { what: 'node:net / tls / dgram / http(s) (use Net)', pattern: /from\s+['"](node:)?(net|tls|dgram|http|https|http2)['"]/ },
  { what: 'node:child_process / worker_threads', pattern: /from\s+['"](node:)?(child_process|worker_threads|cluster)['"]/ },
  { what: 'node:timers (use Clock)', pattern: /from\s+['"](node:)?timers(\/promises)?['"]/ },
  { what: 'Date.now() (use Clock.nowMs)', pattern: /\bDate\.now\s*\(/ },
  { what: 'new Date() without a time (use Clock.nowMs)', pattern: /\bnew\s+Date\s*\(\s*\)/ },
  { what: 'setTimeout/setInterval/setImmediate (use Clock timers)', pattern: /(?<![.\w])(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\s*\(/ },
  { what: 'performance.now / process.hrtime (use Clock.monotonicMs)', pattern: /\b(performance\.now|process\.hrtime)\b/ },
  { what: 'Math.random / crypto randomness (use Random)', pattern: /\b(Math\.random|randomBytes|randomUUID|randomInt|getRandomValues)\b/ },
  { what: 'node-zookeeper-client (use a CoordinationFactory)', pattern: /from\s+['"]node-zookeeper-client['"]/ },
];

/**
 * Production adapters that implement an io-style interface, with why they may. Keys are paths
 * under src/, values the forbidden `what`s they may use.
 */
const ALLOWED: Record<string, { whats: string[]; why: string }> = {
  'cluster/coordination/zookeeper.ts': {
    whats: ['node-zookeeper-client (use a CoordinationFactory)'],
    why: 'the production CoordinationFactory (real ZooKeeper); the simulator passes its own',
  },
};

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The code with comments and the contents of string and template literals blanked (line numbers kept). */
function codeOnly(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      // Keep import specifiers (they are what the import rules read); blank every other literal.
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      const literal = text.slice(i, j + 1);
      const isImport = /(from|import)\s*$/.test(out.slice(-12));
      out += isImport ? literal : c + literal.slice(1, -1).replace(/[^\n]/g, ' ') + c;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

test('broker code reaches time, timers, files, sockets and randomness only through src/io', () => {
  const violations: string[] = [];
  const usedAllowances = new Set<string>();
  let checked = 0;
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    if (OUTSIDE.some((r) => r.test(rel))) continue;
    checked++;
    const lines = codeOnly(readFileSync(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      // A method named setTimeout/setInterval (the Clock interface and its implementations) is a definition, not a call.
      const definesMethod = /^\s*(public\s+|private\s+|async\s+)*(setTimeout|setInterval|setImmediate)\s*\(.*\)\s*:\s*[\w<>[\]| ]+\s*[;{]\s*$/.test(line);
      for (const rule of FORBIDDEN) {
        if (!rule.pattern.test(line)) continue;
        if (definesMethod && rule.what.startsWith('setTimeout')) continue;
        if (ALLOWED[rel]?.whats.includes(rule.what)) {
          usedAllowances.add(`${rel}:${rule.what}`);
          continue;
        }
        violations.push(`src/${rel}:${i + 1}: ${rule.what}: ${line.trim()}`);
      }
    });
  }
  assert.ok(checked > 100, `checked ${checked} broker files`);
  assert.deepEqual(violations, [], `broker code must go through the io interfaces:\n${violations.join('\n')}`);
  const unused = Object.entries(ALLOWED).flatMap(([rel, a]) => a.whats.filter((w) => !usedAllowances.has(`${rel}:${w}`)).map((w) => `${rel}: ${w}`));
  assert.deepEqual(unused, [], 'allow-list entries that no longer match anything: remove them');
});

test('the scanner sees through comments and strings but not code', () => {
  const sample = [
    "// Date.now() in a comment is fine",
    "const s = 'setTimeout( in a string is fine';",
    '/* Math.random() in a block comment */ const t = 1;',
    'const u = Date.now();',
    "this.clock.setTimer(5, () => undefined);",
    "import { readFile } from 'node:fs/promises';",
  ].join('\n');
  const code = codeOnly(sample).split('\n');
  const hits = code.map((line) => FORBIDDEN.filter((r) => r.pattern.test(line)).map((r) => r.what));
  assert.deepEqual(hits, [[], [], [], ['Date.now() (use Clock.nowMs)'], [], ['node:fs (use Disk)']]);
});
