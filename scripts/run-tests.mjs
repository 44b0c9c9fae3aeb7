#!/usr/bin/env node
// Runs the whole test suite on node's built-in runner: every dist/test/**/*.test.js file (compiled
// by `tsc -p .` first, see `npm test`). Before running, checks that the real clients the
// end-to-end tests drive are installed, and fails with what to install instead of skipping.
// Options: SAMSA_TEST_FILTER=substring runs only matching files; SAMSA_SOAK=1 enables long runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const testRoot = path.join(root, 'dist', 'test');

const required = [
  { what: 'kcat', check: ['kcat', ['-V']], fix: 'apt-get install -y kcat' },
  { what: 'confluent-kafka-python', check: ['/usr/bin/python3', ['-c', 'import confluent_kafka']], fix: 'apt-get install -y python3-confluent-kafka' },
  { what: 'kafka-python', check: ['/usr/bin/python3', ['-c', 'import kafka']], fix: 'apt-get install -y python3-kafka' },
  { what: 'ZooKeeper', check: ['test', ['-f', '/usr/share/zookeeper/bin/zkServer.sh']], fix: 'apt-get install -y zookeeper' },
  { what: 'chromium', check: ['chromium', ['--version']], fix: 'apt-get install -y chromium' },
  { what: 'librdkafka-dev', check: ['test', ['-f', '/usr/include/librdkafka/rdkafka.h']], fix: 'apt-get install -y librdkafka-dev' },
];
const missing = required.filter((r) => spawnSync(r.check[0], r.check[1], { stdio: 'ignore' }).status !== 0);
if (missing.length > 0) {
  for (const m of missing) console.error(`missing test dependency ${m.what}: run \`${m.fix}\` (or scripts/install-test-deps.sh)`);
  process.exit(1);
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

if (!existsSync(testRoot)) {
  console.error('no compiled tests in dist/test: run `npm run build` first');
  process.exit(1);
}
const filter = process.env.SAMSA_TEST_FILTER;
const files = walk(testRoot)
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Human-readable progress on stdout, and a TAP copy whose totals become one plain closing line.
const tapFile = path.join(mkdtempSync(path.join(tmpdir(), 'samsa-tests-')), 'results.tap');
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files],
  { stdio: 'inherit', cwd: root },
);
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const total = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? NaN);
if (Number.isFinite(total('pass'))) console.log(`${total('pass')} passed, ${total('fail')} failed, ${total('skipped')} skipped`);
process.exit(r.status ?? 1);
