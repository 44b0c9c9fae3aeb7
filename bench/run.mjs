#!/usr/bin/env node
// Samsa's standard benchmark suite (issue 7). `npm run bench` at the repository root builds and runs
// it; `node bench/run.mjs --smoke` is the seconds-long version CI runs (test/bench/bench-smoke.test.ts).
//
// Every scenario is a row: the figure, the ceiling measured in the same run, and the ratio of the
// two. Ceilings: a loopback null sink driven by the same load generator (network + client cost,
// no broker), `dd` sequential write/read speed of the data dir, and NATS JetStream (file storage,
// async publish) as the peer. Results go to stdout and to bench/results/<date>.md and .json with
// the machine's details.
//
// Options:
//   --smoke            tiny record counts, no installs, peers only if already installed
//   --out DIR          where to write <date>.md/.json (default bench/results)
//   --data-dir DIR     parent of the brokers' data dirs (default: a new dir under the OS temp dir)
//   --only P1,P2,...   run only these scenarios (ceilings run as the scenarios need them); S1 (or
//                      S2, S3) runs the security produce/fetch/connection rows, A1 the auth micro
//                      benchmark (bench/auth-micro.mjs)
//   --records N        records for P1/P1b (default 5,000,000; smoke 20,000)
//   --drop-caches      for P2 cold, drop the whole page cache (echo 1 > /proc/sys/vm/drop_caches,
//                      root only) instead of evicting only the topic's segment files
//   --soak-minutes N   run P7 (soak at 50% load for N minutes; not part of the default suite
//                      nor of --smoke; `--only P7` alone soaks for 30 minutes)
//   --soak-max-seconds S  P7's max phase (default 180 s for soaks of 10 minutes or more, else 10 s):
//                      the soak's rate is 50% of what the last third of it sustained
// Every load is bounded (record counts and a timeout per step) and goes only to 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { securityRows } from './security-bench.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const dist = path.join(root, 'dist', 'src');
const perf = path.join(dist, 'cli', 'perf');
const HOST = '127.0.0.1';

// ------------------------------------------------------------------ options
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const smoke = argv.includes('--smoke');
const dropCaches = argv.includes('--drop-caches');
const only = opt('only', null)?.split(',');
const want = (id) => !only || only.includes(id);
const outDir = path.resolve(opt('out', path.join(benchDir, 'results')));
const dataParent = opt('data-dir', null);
const N = {
  p1: Number(opt('records', smoke ? 20_000 : 5_000_000)),
  p1c: smoke ? 5_000 : 1_000_000,
  p2: smoke ? 20_000 : 10_000_000,
  p3Seconds: smoke ? 1 : 5,
  p3WarmupSeconds: smoke ? 0.2 : 1,
  p4Partitions: smoke ? 100 : 10_000,
  p4IdleMs: smoke ? 1000 : 10_000,
  p5: smoke ? 10_000 : 3_000_000,
  nats: smoke ? 5_000 : 1_000_000,
  rdkafka: smoke ? 20_000 : 5_000_000,
  txns: smoke ? 50 : 2_000,
  txnWarm: smoke ? 10 : 200,
  txnLatency: smoke ? 50 : 500,
  ddMiB: smoke ? 16 : 2048,
  // P6 many clients / P7 soak (issue 15), bench/many-clients.mjs
  p6Clients: smoke ? 10 : 100,
  p6Partitions: smoke ? 10 : 100,
  p6MaxSeconds: smoke ? 1 : 10,
  p6Seconds: smoke ? 2 : 20,
  p6WarmupSeconds: smoke ? 0.5 : 2,
  p7Clients: 10,
  p7Partitions: 10,
  p7Minutes: Number(opt('soak-minutes', only?.includes('P7') ? 30 : 0)),
};
/** P7 windows: 30 s, shorter for short soaks so that there are at least ~10 of them. */
N.p7WindowS = Math.max(5, Math.min(30, Math.round((N.p7Minutes * 60) / 10)));
/**
 * P7's max phase: long enough to leave the regime where new page-cache pages are cheap (on this VM
 * the first few GB of a run are; docs/PERFORMANCE.md, "The soak that failed"), so that "50% of max"
 * is half of what the machine sustains, not half of a 10-s burst.
 */
N.p7MaxSeconds = Number(opt('soak-max-seconds', N.p7Minutes >= 10 ? 180 : 10));
N.p7MaxWindowS = Math.max(1, Math.min(10, Math.round(N.p7MaxSeconds / 10)));
const RECORD_SIZE = 100;
const STEP_TIMEOUT_MS = smoke ? 60_000 : 600_000;

const log = (s) => process.stderr.write(`[bench] ${s}\n`);

// ------------------------------------------------------------------ helpers
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ host: HOST, port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not listening after ${timeoutMs} ms`));
        else setTimeout(attempt, 10);
      });
    };
    attempt();
  });
}

/** Runs a command to completion (bounded); resolves { code, stdout, stderr, ms }. */
function run(cmd, args, { timeoutMs = STEP_TIMEOUT_MS, env } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[bench] killed after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: String(err), ms: performance.now() - t0 });
    });
  });
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** CPU seconds (user+system) a process has used, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** A long-running child (broker, null sink, nats-server) that is always stopped at exit. */
const children = new Set();
function startChild(cmd, args, env = {}) {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-20000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-20000)));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  children.add(child);
  exited.then(() => children.delete(child));
  return { child, exited, output: () => output };
}
async function stopChild(c, timeoutMs = 20_000) {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return c.exited;
  c.child.kill('SIGTERM');
  const t = setTimeout(() => c.child.kill('SIGKILL'), timeoutMs);
  const r = await c.exited;
  clearTimeout(t);
  return r;
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
}

/**
 * Open-file limit for brokers: each partition holds its .log, .index and .timeindex open (as Kafka
 * does), so 10,000 partitions need ~30,000 descriptors, above the common 20,000 default. As root the
 * bench raises it with prlimit (the command execs, so the pid stays the broker's).
 */
const BROKER_NOFILE = 131072;
const canRaiseNofile = have('prlimit') && spawnSync('prlimit', [`--nofile=${BROKER_NOFILE}:${BROKER_NOFILE}`, 'true'], { stdio: 'ignore' }).status === 0;
const nofileLimit = canRaiseNofile ? BROKER_NOFILE : Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()) || 1024;
/** Descriptors one partition holds open (its active .log; index files are opened only while flushed) and what the broker needs besides. */
const FDS_PER_PARTITION = 1;
const FDS_SLACK = 1000;

async function startBroker(dataDir, extra = [], { admin = false } = {}) {
  const port = await freePort();
  const adminPort = admin ? await freePort() : null;
  if (adminPort !== null) extra = [...extra, `admin.listeners=http://${HOST}:${adminPort}`];
  const t0 = performance.now();
  const prefix = canRaiseNofile ? [`--nofile=${BROKER_NOFILE}:${BROKER_NOFILE}`, process.execPath] : [];
  const { BROKER_NODE_FLAGS } = await import(pathToFileURL(path.join(dist, 'node-flags.js')).href);
  const b = startChild(
    canRaiseNofile ? 'prlimit' : process.execPath,
    [
      ...prefix,
      ...BROKER_NODE_FLAGS,
      path.join(dist, 'main.js'),
      '--override', `log.dirs=${dataDir}`,
      '--override', `listeners=PLAINTEXT://${HOST}:${port}`,
      '--override', `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
      ...extra.flatMap((e) => ['--override', e]),
    ],
    { SAMSA_LOG_LEVEL: 'warn' },
  );
  try {
    await waitForPort(port, 60_000);
  } catch (err) {
    await stopChild(b);
    throw new Error(`broker did not start: ${err.message}\n${b.output()}`);
  }
  return { ...b, port, adminPort, bootstrap: `${HOST}:${port}`, startMs: performance.now() - t0, pid: b.child.pid };
}

// The broker's breakdown (P3, P6) reads /metrics with the tests' strict exposition parser and names the stall bound the broker uses.
const { scrape } = await import(pathToFileURL(path.join(root, 'dist', 'test', 'metrics', 'scrape.js')).href);
const { valueOf } = await import(pathToFileURL(path.join(root, 'dist', 'test', 'metrics', 'prom-parser.js')).href);
const { inlineWriteGuard: { stallMs: inlineWriteStallMs } } = await import(pathToFileURL(path.join(dist, 'io', 'disk.js')).href);

/** What P3 and P6 report of the broker's request times (brokerBreakdown). */
const BREAKDOWN_PHASES = [['Produce', 'totaltime'], ['FetchConsumer', 'localtime']];

/** The broker's /metrics, parsed (a broker started with { admin: true }). */
async function scrapeMetrics(b) {
  return scrape(b.adminPort);
}

/**
 * Where the broker's share of a latency went between two scrapes of /metrics (the tail a client
 * sees = the broker's request path + what happens outside it): for each [request, phase] (phase as
 * in kafka_network_requestmetrics_<phase>_seconds: totaltime = read → response sent; a consumer
 * fetch's total includes its wait for data, so its localtime is the one to read), the bucket bounds
 * (ms) below which 99% and 99.9% of the requests fell, and the event loop's busy share over the
 * interval (the second scrape's nodejs_eventloop_utilization_ratio: since the previous scrape).
 */
function brokerBreakdown(before, after, pairs) {
  const buckets = (e, request, phase) =>
    new Map(e.samples.filter((x) => x.name === `kafka_network_requestmetrics_${phase}_seconds_bucket` && x.labels.request === request).map((x) => [x.labels.le, x.value]));
  const phases = pairs.map(([request, phase]) => {
    const a = buckets(before, request, phase);
    const deltas = [...buckets(after, request, phase)].map(([le, n]) => [le === '+Inf' ? Infinity : Math.round(Number(le) * 1e6) / 1e3, n - (a.get(le) ?? 0)]).sort((x, y) => x[0] - y[0]);
    const total = deltas.at(-1)?.[1] ?? 0;
    const bound = (q) => (total > 0 ? deltas.find(([, n]) => n >= q * total)[0] : null);
    return { request, phase, requests: total, p99Ms: bound(0.99), p999Ms: bound(0.999) };
  });
  const elu = after.samples.find((x) => x.name === 'nodejs_eventloop_utilization_ratio');
  // The load's shape: the broker's cost follows requests and partition batches more than records.
  const delta = (name, labels = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
  const requestsOf = (request) => phases.find((p) => p.request === request)?.requests ?? 0;
  const shape = {
    produceRequests: requestsOf('Produce'),
    partitionBatches: delta('kafka_server_brokertopicmetrics_totalproducerequests_total'),
    consumerFetches: requestsOf('FetchConsumer'),
    logWritesInline: delta('samsa_log_writes_total', { path: 'inline' }),
    logWritesPool: delta('samsa_log_writes_total', { path: 'pool' }),
    logWritesSlow: delta('samsa_log_slow_inline_writes_total'),
  };
  return { phases, eventLoopBusy: elu ? elu.value : null, shape };
}

/** brokerBreakdown in a row's notes: "broker: Produce totaltime p99 ≤ 0.25 ms, p99.9 ≤ 0.5 ms; …; event loop 73% busy over the client run". */
function breakdownNote(bd) {
  const ms = (v) => (v === Infinity ? '> 5000 ms' : `≤ ${v} ms`);
  const parts = bd.phases.filter((p) => p.requests > 0).map((p) => `${p.request} ${p.phase} p99 ${ms(p.p99Ms)}, p99.9 ${ms(p.p999Ms)}`);
  const sh = bd.shape;
  const perRequest = sh.produceRequests > 0 ? fmt(sh.partitionBatches / sh.produceRequests, 1) : '?';
  const load =
    `${fmt(sh.produceRequests)} Produce requests (${perRequest} partition batches each), ${fmt(sh.consumerFetches)} consumer fetches; ` +
    `log writes ${fmt(sh.logWritesInline)} inline, ${fmt(sh.logWritesPool)} in the thread pool, ${fmt(sh.logWritesSlow)} inline over ${inlineWriteStallMs} ms`;
  return `broker: ${parts.join('; ')}; event loop ${bd.eventLoopBusy === null ? '?' : fmt(bd.eventLoopBusy * 100)}% busy over the client run; ${load}`;
}

async function startNullSink() {
  const port = await freePort();
  const s = startChild(process.execPath, [path.join(perf, 'null-sink.js'), '--port', String(port)]);
  await waitForPort(port, 20_000);
  return { ...s, port, bootstrap: `${HOST}:${port}`, pid: s.child.pid };
}

async function createTopic(bootstrap, topic, partitions) {
  // kafka-topics may not exist yet (the CLI issue); the perf tools' wire client creates topics.
  const r = await run(process.execPath, [
    '--input-type=module',
    '-e',
    `import { PerfConnection, ensureTopic, parseHostPort } from ${JSON.stringify(path.join(perf, 'wire.js'))};
     const { host, port } = parseHostPort(${JSON.stringify(bootstrap)});
     const c = await PerfConnection.connect(host, port);
     const t0 = performance.now();
     const n = await ensureTopic(c, ${JSON.stringify(topic)}, ${partitions});
     console.log(JSON.stringify({ partitions: n, ms: performance.now() - t0 }));
     c.close();`,
  ]);
  if (r.code !== 0) throw new Error(`creating ${topic}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const PRODUCER_LINE =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m;

async function producerPerf(bootstrap, topic, records, { throughput = -1, props = [], cpuPid = null } = {}) {
  const cpu0 = cpuPid ? cpuSeconds(cpuPid) : null;
  const r = await run(process.execPath, [
    path.join(perf, 'producer-perf-test.js'),
    '--topic', topic,
    '--num-records', String(records),
    '--record-size', String(RECORD_SIZE),
    '--throughput', String(throughput),
    '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=1', 'linger.ms=0', 'batch.size=16384', ...props,
    '--print-metrics',
  ]);
  const cpu1 = cpuPid ? cpuSeconds(cpuPid) : null;
  const m = PRODUCER_LINE.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`kafka-producer-perf-test failed (${r.code}): ${r.stderr || r.stdout}`);
  const metric = (name) => Number(new RegExp(`${name}\\s+: ([\\d.]+)`).exec(r.stdout)?.[1] ?? NaN);
  return {
    line: m[0],
    records: Number(m[1]),
    rps: Number(m[2]),
    mbps: Number(m[3]),
    p50: metric('latency-p50-ms'),
    p99: metric('latency-p99-ms'),
    avg: metric('latency-avg-ms'),
    requests: metric('request-total'),
    brokerCpuUsPerRecord: cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) * 1e6) / Number(m[1]) : null,
  };
}

async function consumerPerf(bootstrap, topic, messages, { configFile = null } = {}) {
  const r = await run(process.execPath, [path.join(perf, 'consumer-perf-test.js'), '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(messages), '--timeout', '20000', ...(configFile ? ['--consumer.config', configFile] : [])]);
  const lines = r.stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  if (r.code !== 0 || header < 0) throw new Error(`kafka-consumer-perf-test failed (${r.code}): ${r.stderr || r.stdout}`);
  const f = lines[header + 1].split(', ');
  return { line: lines[header + 1], mb: Number(f[2]), messages: Number(f[4]), fetchMs: Number(f[7]), mbps: Number(f[8]), rps: Number(f[9]) };
}

function parseDd(stderr) {
  // "134217728 bytes (134 MB, 128 MiB) copied, 0.0631 s, 2.1 GB/s"
  const m = /(\d+) bytes .* copied, ([\d.e+-]+) s/.exec(stderr);
  return m ? Number(m[1]) / Number(m[2]) : NaN;
}

async function ddWrite(dir, mib, fsync) {
  const file = path.join(dir, 'dd-ceiling.tmp');
  const r = await run('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`, ...(fsync ? ['conv=fdatasync'] : [])]);
  rmSync(file, { force: true });
  return parseDd(r.stderr);
}

function segmentFiles(dataDir, topic) {
  const out = [];
  for (const d of readdirSync(dataDir)) {
    if (!d.startsWith(`${topic}-`)) continue;
    for (const f of readdirSync(path.join(dataDir, d))) if (f.endsWith('.log')) out.push(path.join(dataDir, d, f));
  }
  return out;
}

/** Evicts files from the page cache: fsync each, then posix_fadvise(DONTNEED) via dd iflag=nocache. */
async function evict(files) {
  if (dropCaches) {
    spawnSync('sync');
    try {
      writeFileSync('/proc/sys/vm/drop_caches', '1');
      return 'drop_caches';
    } catch (err) {
      log(`cannot drop caches (${err.code}); evicting the segment files only`);
    }
  }
  for (const f of files) {
    spawnSync('sync', [f]);
    spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
  return 'fadvise';
}

function cachedFraction(files) {
  if (!have('fincore')) return null;
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES,SIZE', ...files], { encoding: 'utf8' });
  let res = 0;
  let size = 0;
  for (const l of r.stdout.trim().split('\n')) {
    const [a, b] = l.trim().split(/\s+/).map(Number);
    if (Number.isFinite(a) && Number.isFinite(b)) {
      res += a;
      size += b;
    }
  }
  return size > 0 ? res / size : null;
}

async function ddRead(files) {
  const t0 = performance.now();
  let bytes = 0;
  for (const f of files) {
    const r = await run('dd', [`if=${f}`, 'of=/dev/null', 'bs=1M']);
    if (r.code !== 0) return NaN;
    bytes += statSync(f).size;
  }
  return bytes / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------ machine
function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    fs: spawnSync('df', ['-T', dataParent ?? os.tmpdir()], { encoding: 'utf8' }).stdout.trim().split('\n').pop()?.split(/\s+/)[1] ?? 'unknown',
    librdkafka: spawnSync('sh', ['-c', "dpkg-query -W -f='${Version}' librdkafka-dev 2>/dev/null"], { encoding: 'utf8' }).stdout || null,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    natsServer: have('nats-server') ? spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim() : null,
  };
}

// ------------------------------------------------------------------ setup
function ensureBuilt() {
  for (const f of [path.join(dist, 'main.js'), path.join(perf, 'producer-perf-test.js'), path.join(perf, 'null-sink.js')]) {
    if (!existsSync(f)) throw new Error(`${f} missing: run \`npx tsc -p .\` (npm run bench does) first`);
  }
}

function ensurePeers() {
  const notes = [];
  // NATS: the npm client (bench/package.json) and Debian's nats-server.
  if (!existsSync(path.join(benchDir, 'node_modules', 'nats')) && !smoke) {
    log('installing bench dependencies (npm ci in bench/)');
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: benchDir, stdio: 'inherit' });
    if (r.status !== 0) notes.push('npm ci in bench/ failed: NATS row not available');
  }
  if (!have('nats-server') && !smoke && process.getuid?.() === 0) {
    log('installing nats-server (apt-get)');
    let r = spawnSync('apt-get', ['install', '-y', '-q', 'nats-server'], { stdio: 'inherit' });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
      r = spawnSync('apt-get', ['install', '-y', '-q', 'nats-server'], { stdio: 'inherit' });
    }
    if (r.status !== 0) notes.push('apt-get install nats-server failed: NATS row not available');
  }
  // librdkafka cross-check: built here from bench/rdkafka-perf.c.
  const bin = path.join(benchDir, 'build', 'rdkafka-perf');
  const txnBin = path.join(benchDir, 'build', 'rdkafka-txn-perf');
  if (have('cc') && existsSync('/usr/include/librdkafka/rdkafka.h')) {
    mkdirSync(path.dirname(bin), { recursive: true });
    const r = spawnSync('cc', ['-O2', '-o', bin, path.join(benchDir, 'rdkafka-perf.c'), '-lrdkafka'], { stdio: 'inherit' });
    if (r.status !== 0) notes.push('building bench/rdkafka-perf.c failed');
    const t = spawnSync('cc', ['-O2', '-o', txnBin, path.join(benchDir, 'rdkafka-txn-perf.c'), '-lrdkafka', '-lpthread'], { stdio: 'inherit' });
    if (t.status !== 0) notes.push('building bench/rdkafka-txn-perf.c failed');
  } else {
    notes.push('librdkafka-dev or cc missing: rdkafka cross-check not available (apt-get install librdkafka-dev)');
  }
  return { notes, rdkafka: existsSync(bin) ? bin : null, rdkafkaTxn: existsSync(txnBin) ? txnBin : null, nats: have('nats-server') && existsSync(path.join(benchDir, 'node_modules', 'nats')) };
}

async function rdkafkaPerf(bin, bootstrap, topic, records) {
  const r = await run(bin, [bootstrap, topic, String(records), String(RECORD_SIZE), 'linger.ms=5', 'batch.size=1000000']);
  const m = /rdkafka-perf: (\d+) records, ([\d.]+) records\/sec/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`rdkafka-perf failed (${r.code}): ${r.stderr || r.stdout}`);
  return { records: Number(m[1]), rps: Number(m[2]), line: r.stdout.trim() };
}

/** Transactions through librdkafka (bench/rdkafka-txn-perf.c): throughput, or read_committed latency at `txnsPerSec`. */
async function rdkafkaTxnPerf(bin, bootstrap, topic, partitions, txns, perTxn, txnsPerSec = 0) {
  const args = [bootstrap, topic, String(partitions), String(txns), String(perTxn), String(RECORD_SIZE), ...(txnsPerSec > 0 ? [String(txnsPerSec)] : [])];
  const r = await run(bin, args);
  const m = txnsPerSec > 0 ? /latency: (\d+) records, p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(r.stdout) : /rdkafka-txn-perf: (\d+) txns, (\d+) records, ([\d.]+) records\/sec, ([\d.]+) txns\/sec/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`rdkafka-txn-perf failed (${r.code}): ${r.stderr || r.stdout}`);
  return txnsPerSec > 0 ? { records: Number(m[1]), p50: Number(m[2]), p99: Number(m[3]) } : { rps: Number(m[3]), tps: Number(m[4]) };
}

/** In this process (no child start-up in the figure): the partition count Metadata gives for `topic`, once the broker answers. */
async function partitionsServed(port, topic) {
  const { PerfConnection, topicPartitions } = await import(pathToFileURL(path.join(perf, 'wire.js')).href);
  const c = await PerfConnection.connect(HOST, port, 10_000, 120_000);
  try {
    return await topicPartitions(c, topic);
  } finally {
    c.close();
  }
}

// ------------------------------------------------------------------ P6 many clients, P7 soak (issue 15)
// bench/many-clients.mjs runs every client of a scenario in one process (our own client library,
// one KafkaClient and connection per producer and per consumer); its max phase (as fast as the
// producers go) sets the 50% rate of the measured phase.

/** Runs bench/many-clients.mjs; resolves { summary, windows } (windows: one per --report-every-s). */
async function manyClients(bootstrap, topic, { producers, consumers, partitions, rate, seconds, warmupSeconds, reportEveryS = 0 }) {
  const args = [
    path.join(benchDir, 'many-clients.mjs'),
    '--bootstrap', bootstrap, '--topic', topic, '--partitions', String(partitions),
    '--producers', String(producers), '--consumers', String(consumers),
    '--rate', String(rate), '--seconds', String(seconds), '--warmup-seconds', String(warmupSeconds),
    '--record-size', String(RECORD_SIZE), '--report-every-s', String(reportEveryS),
  ];
  const r = await run(process.execPath, args, { timeoutMs: (warmupSeconds + seconds) * 1000 + 120_000 });
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const summary = lines.find((l) => l.summary);
  if (r.code !== 0 || !summary) throw new Error(`many-clients failed (${r.code}): ${r.stderr || r.stdout}`);
  const windows = lines.filter((l) => !l.summary);
  if (summary.errors > 0) {
    // Which client failed and when, with the windows so far: a stalled connection and a stalled broker look different.
    const perWindow = windows.map((w) => `${w.atS}s ${fmt(w.rps)}/s p99 ${fmt(w.p99, 1)} queued ${fmt(w.unacked)}${w.errors ? ` errors ${fmt(w.errors)}` : ''}`).join('; ');
    throw new Error(`many-clients: ${summary.errors} client errors, the first ${summary.firstErrorAtS ?? '?'} s into the measured phase: ${summary.firstError}; by client: ${JSON.stringify(summary.errorsBy ?? {})}; windows: ${perWindow || 'none'}`);
  }
  return { summary, windows };
}

async function runP6(work, p1, raw) {
  const b = await startBroker(path.join(work, 'p6'), [], { admin: true });
  try {
    const clients = N.p6Clients;
    await createTopic(b.bootstrap, 'p6', N.p6Partitions);
    const shape = { producers: clients, consumers: clients, partitions: N.p6Partitions, warmupSeconds: N.p6WarmupSeconds };
    const max = await manyClients(b.bootstrap, 'p6', { ...shape, rate: 0, seconds: N.p6MaxSeconds });
    const rate = Math.max(100, Math.round(max.summary.rps / 2));
    const cpu0 = cpuSeconds(b.pid);
    const before = await scrapeMetrics(b);
    const half = await manyClients(b.bootstrap, 'p6', { ...shape, rate, seconds: N.p6Seconds });
    const breakdown = brokerBreakdown(before, await scrapeMetrics(b), BREAKDOWN_PHASES);
    const cpu1 = cpuSeconds(b.pid);
    const s = half.summary;
    const cpuUs = cpu0 !== null && cpu1 !== null && s.acked > 0 ? ((cpu1 - cpu0) * 1e6) / (s.acked + s.consumed) : null;
    raw.p6 = { max: max.summary, half: s, brokerCpuUsPerRecordInOut: cpuUs, breakdown };
    const who = `${clients} producers + ${clients} consumers, ${N.p6Partitions} partitions, keyed, acks=1, linger.ms=5`;
    // The clients share the machine: a client process near a full core makes the latency its own queue, not the broker's.
    const clientLoad = (x) => `client process ${fmt(x.clientCpuPct)}% of a core, event-loop lag max ${fmt(x.clientLoopLagMaxMs)} ms`;
    row('P6', `many clients, max: ${who}`, max.summary.rps, 'records/s', p1?.rps ?? null, 'P1 (1 producer)', `all clients in one process (src/client), one connection each; consumed ${fmt(max.summary.consumedRps)} records/s; ${clientLoad(max.summary)}`);
    row('P6', `many clients at ${fmt(rate)} records/s (50% of max): e2e p50`, s.p50, 'ms', null, '', `achieved ${fmt(s.rps)} records/s produced, ${fmt(s.consumedRps)} consumed; broker ${fmt(cpuUs, 2)} µs CPU per record in+out`, false);
    row('P6', 'many clients at 50% of max: e2e p99', s.p99, 'ms', 20, 'target 20 ms', `p99.9 ${fmt(s.p999, 1)} ms, max ${fmt(s.max, 1)} ms over ${fmt(s.consumed)} records; ${clientLoad(s)}; ${breakdownNote(breakdown)}`, false);
  } catch (err) {
    throw withBrokerOutput(err, b);
  } finally {
    await stopChild(b);
  }
}

/** A failed scenario's error with what its broker said last (and its exit, if it died): a broker that stops mid-run must say why in the results. */
function withBrokerOutput(err, b) {
  const exit = b.child.exitCode !== null || b.child.signalCode !== null ? `broker exited (code ${b.child.exitCode}, signal ${b.child.signalCode})` : 'broker still running';
  return new Error(`${err.message} [${exit}; its last output: ${b.output().trim().split('\n').slice(-15).join(' | ') || '(none)'}]`);
}

/**
 * What a max phase sustained: the mean consumed rate of its last third of windows (records
 * produced faster than they are consumed pile up, so the consumers' rate is the sustainable one),
 * bounded by the phase's acked rate; a phase without windows gives its acked rate.
 */
function sustainedRps(max) {
  const t = thirdMeans(max.windows.map((x) => x.rps).filter((x) => Number.isFinite(x) && x > 0));
  return t === null ? max.summary.rps : Math.min(max.summary.rps, t.last);
}

/** First third vs last third of the windows (the first window, warm-up, left out): the ratio last ÷ first. */
function drift(values) {
  const t = thirdMeans(values.slice(1).filter((x) => Number.isFinite(x)));
  return t === null ? null : t.last / t.first;
}

/** The means of the first and the last third of `values` (null for fewer than three). */
function thirdMeans(values) {
  if (values.length < 3) return null;
  const k = Math.floor(values.length / 3);
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  return { first: mean(values.slice(0, k)), last: mean(values.slice(-k)) };
}

async function runP7(work, raw) {
  // Retention as a deployment has it: at 50% load the soak writes ~40 MB/s, 70+ GB in 30 minutes,
  // more than this machine's free disk; 512 MiB per partition in 256 MiB segments keeps ~5 GB and
  // puts segment deletion into the soak. The max phase (~10 GB) fills that, so the soak starts at
  // the log's steady size: with 1 GiB per partition the log was still growing into new page cache
  // for the soak's first minutes, the costly part on this VM (docs/PERFORMANCE.md, session 7).
  const b = await startBroker(path.join(work, 'p7'), ['log.retention.bytes=536870912', 'log.segment.bytes=268435456', 'log.retention.check.interval.ms=10000']);
  const rss = [];
  const sampler = setInterval(() => rss.push(rssMiB(b.pid)), N.p7WindowS * 1000);
  try {
    await createTopic(b.bootstrap, 'p7', N.p7Partitions);
    const shape = { producers: N.p7Clients, consumers: N.p7Clients, partitions: N.p7Partitions, warmupSeconds: 2 };
    const max = await manyClients(b.bootstrap, 'p7', { ...shape, rate: 0, seconds: N.p7MaxSeconds, reportEveryS: N.p7MaxWindowS });
    const sustained = sustainedRps(max);
    const rate = Math.max(100, Math.round(sustained / 2));
    rss.length = 0;
    const soak = await manyClients(b.bootstrap, 'p7', { ...shape, rate, seconds: N.p7Minutes * 60, reportEveryS: N.p7WindowS });
    const w = soak.windows;
    const d = { rps: drift(w.map((x) => x.rps)), p99: drift(w.map((x) => x.p99)), rss: drift(rss) };
    raw.p7 = { minutes: N.p7Minutes, rate, sustainedMax: sustained, max: max.summary, maxWindows: max.windows, soak: soak.summary, windows: w, rssMiB: rss, drift: d };
    const flag = (x) => (x === null ? 'n/a' : `${((x - 1) * 100).toFixed(1)}%${Math.abs(x - 1) > 0.1 ? ' DRIFT (beyond ±10%)' : ''}`);
    const desc = `${N.p7Clients} producers + ${N.p7Clients} consumers, ${N.p7Partitions} partitions, ${N.p7Minutes} min at ${fmt(rate)} records/s (50% of max)`;
    const maxDesc = `max: ${fmt(sustained)} records/s sustained (last third of a ${N.p7MaxSeconds}-s max phase; its first ${N.p7MaxWindowS} s: ${fmt(max.windows[0]?.rps ?? null)}/s)`;
    row('P7', `soak: ${desc}: throughput`, soak.summary.consumedRps, 'records/s', rate, 'target rate', `drift last vs first third of ${w.length} windows of ${N.p7WindowS} s: ${flag(d.rps)}; ${maxDesc}`);
    row('P7', 'soak: e2e p99', soak.summary.p99, 'ms', 20, 'target 20 ms', `p99 drift: ${flag(d.p99)}; per-window p99 ${w.map((x) => fmt(x.p99, 1)).join(' ')}`, false);
    row('P7', 'soak: broker RSS at the end', rss.at(-1) ?? null, 'MiB', rss[0] ?? null, 'RSS at the start', `RSS drift: ${flag(d.rss)}`, false);
  } catch (err) {
    throw withBrokerOutput(err, b);
  } finally {
    clearInterval(sampler);
    await stopChild(b);
  }
}

// ------------------------------------------------------------------ the suite
const rows = [];
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
function row(id, scenario, figure, unit, ceiling, ceilingName, notes = '', higherIsBetter = true) {
  const ratio = figure !== null && ceiling && Number.isFinite(figure) && Number.isFinite(ceiling) ? (higherIsBetter ? figure / ceiling : ceiling / figure) : null;
  const r = { id, scenario, figure, unit, ceiling, ceilingName, ratio, notes };
  rows.push(r);
  log(`${id} ${scenario}: ${fmt(figure, figure < 100 ? 2 : 0)} ${unit} (ceiling ${ceilingName}: ${fmt(ceiling, ceiling < 100 ? 2 : 0)}, ratio ${ratio === null ? 'n/a' : ratio.toFixed(2)}) ${notes}`);
}
function na(id, scenario, why) {
  rows.push({ id, scenario, figure: null, unit: '', ceiling: null, ceilingName: '', ratio: null, notes: `not available: ${why}` });
  log(`${id} ${scenario}: not available (${why})`);
}

/** Runs one scenario; a failure becomes a 'failed' row (and a non-zero exit) instead of ending the suite. */
let failures = 0;
async function guard(id, scenario, fn) {
  try {
    await fn();
  } catch (err) {
    failures++;
    rows.push({ id, scenario, figure: null, unit: '', ceiling: null, ceilingName: '', ratio: null, notes: `failed: ${String(err.message ?? err).split('\n')[0]}` });
    log(`${id} ${scenario}: FAILED ${err.stack ?? err}`);
  }
}

async function main() {
  ensureBuilt();
  const started = new Date();
  const peers = ensurePeers();
  const info = machine();
  log(`machine: ${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}, ${info.fs}`);
  const work = mkdtempSync(path.join(dataParent ?? os.tmpdir(), 'samsa-bench-'));
  const raw = {};
  try {
    // -------------------------------------------------- ceilings
    // Only the security rows (--only S1,A1): no ceilings needed, skip the dd and null-sink runs.
    const needCeilings = !only || only.some((id) => !/^[SA]\d/.test(id));
    const sink = needCeilings ? await startNullSink() : null;
    let ddPageCache = null;
    let sink1 = null;
    let sink8 = null;
    if (needCeilings) {
      // Best of two: the first write into fresh guest memory can be much slower than steady state.
      ddPageCache = Math.max(await ddWrite(work, N.ddMiB, false), await ddWrite(work, N.ddMiB, false));
      const ddFsync = Math.max(await ddWrite(work, N.ddMiB, true), await ddWrite(work, N.ddMiB, true));
      raw.dd = { pageCacheBytesPerSec: ddPageCache, fdatasyncBytesPerSec: ddFsync };
      row('C1', 'dd sequential write of the data dir (page cache)', ddPageCache / 2 ** 20, 'MiB/s', null, '', `${N.ddMiB} MiB, bs=1M`);
      row('C2', 'dd sequential write of the data dir (conv=fdatasync)', ddFsync / 2 ** 20, 'MiB/s', null, '', `${N.ddMiB} MiB, bs=1M`);
      await createTopic(sink.bootstrap, 'sink1', 1);
      await createTopic(sink.bootstrap, 'sink8', 8);
      sink1 = await producerPerf(sink.bootstrap, 'sink1', N.p1, { cpuPid: sink.pid });
      sink8 = await producerPerf(sink.bootstrap, 'sink8', N.p1, { cpuPid: sink.pid });
      raw.nullSink = { p1: sink1, p1b: sink8 };
      row('C3', 'null sink, 1 partition, same generator', sink1.rps, 'records/s', null, '', `null sink CPU ${fmt(sink1.brokerCpuUsPerRecord, 2)} µs/record`);
      row('C4', 'null sink, 8 partitions, same generator', sink8.rps, 'records/s', null, '');
    }

    // -------------------------------------------------- broker
    const dataDir = path.join(work, 'broker');
    let broker = await startBroker(dataDir, [], { admin: true });
    let p1 = null;
    if (want('P1') || want('P3') || want('P1b')) {
      await guard('P1', 'produce, 1 partition', async () => {
        await createTopic(broker.bootstrap, 'p1', 1);
        // A short warm-up run so JIT compilation is not measured (Kafka's numbers are from a warm JVM too).
        await producerPerf(broker.bootstrap, 'p1', Math.min(N.p1, 500_000));
        p1 = await producerPerf(broker.bootstrap, 'p1', N.p1, { cpuPid: broker.pid });
        raw.p1 = p1;
        row('P1', 'produce, 1 partition, acks=1, 100 B, batch.size=16384', p1.rps, 'records/s', sink1.rps, 'null sink', `${fmt(p1.mbps, 1)} MB/s; broker CPU ${fmt(p1.brokerCpuUsPerRecord, 2)} µs/record; p99 ${fmt(p1.p99, 2)} ms; ${fmt(p1.requests)} requests`);
        row('P1/dd', 'P1 bytes vs dd page-cache write', (p1.rps * (RECORD_SIZE + 10)) / 2 ** 20, 'MiB/s', ddPageCache / 2 ** 20, 'dd write', '~110 B per record on disk');
      });
    }
    if (want('P1b')) {
      await guard('P1b', 'produce, 8 partitions', async () => {
        await createTopic(broker.bootstrap, 'p1b', 8);
        const r = await producerPerf(broker.bootstrap, 'p1b', N.p1, { cpuPid: broker.pid });
        raw.p1b = r;
        row('P1b', 'produce, 8 partitions, acks=1, 100 B', r.rps, 'records/s', sink8.rps, 'null sink', `broker CPU ${fmt(r.brokerCpuUsPerRecord, 2)} µs/record; p99 ${fmt(r.p99, 2)} ms`);
      });
    }
    if (want('P1c')) {
      await guard('P1c', 'produce, acks=all, RF=3', async () => {
        // A local 3-broker cluster with a real ZooKeeper, started by the e2e tests' helper.
        const helper = path.join(root, 'dist', 'test', 'helpers', 'cluster.js');
        if (!existsSync(helper) || !existsSync('/usr/share/java/zookeeper.jar') || !have('java')) {
          na('P1c', 'produce, acks=all, RF=3, 3-broker cluster', 'needs dist/test/helpers/cluster.js and ZooKeeper (apt-get install zookeeper)');
          return;
        }
        const { startCluster } = await import(pathToFileURL(helper).href);
        const cluster = await startCluster({ brokers: 3 });
        try {
          await cluster.createTopic('p1c', { partitions: 1, replicationFactor: 3 });
          const leader = await cluster.waitForLeader('p1c', 0);
          await cluster.waitForPartition('p1c', 0, (m) => m.isr.length === 3, 'all three replicas in sync', 60_000);
          const lb = cluster.broker(leader);
          await producerPerf(lb.bootstrap, 'p1c', Math.min(N.p1, 200_000), { props: ['acks=all'] });
          const r = await producerPerf(lb.bootstrap, 'p1c', N.p1c, { props: ['acks=all'], cpuPid: lb.pid });
          raw.p1c = r;
          row('P1c', 'produce, 1 partition, acks=all, RF=3, 3 brokers + ZooKeeper', r.rps, 'records/s', p1?.rps ?? null, 'P1 (1 broker, acks=1)', `leader CPU ${fmt(r.brokerCpuUsPerRecord, 2)} µs/record; p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`);
        } finally {
          await cluster.stopAll();
        }
      });
    }
    if (peers.rdkafka && (want('P1') || want('X1'))) {
      await guard('X1', 'librdkafka cross-check', async () => {
        await createTopic(broker.bootstrap, 'rdk', 1);
        const rb = await rdkafkaPerf(peers.rdkafka, broker.bootstrap, 'rdk', N.rdkafka);
        const rs = await rdkafkaPerf(peers.rdkafka, sink.bootstrap, 'rdk', N.rdkafka);
        raw.rdkafka = { broker: rb, sink: rs };
        row('X1', 'librdkafka producer (rdkafka-perf.c) → broker, 1 partition', rb.rps, 'records/s', rs.rps, 'null sink, same tool', 'linger.ms=5 batch.size=1000000');
      });
    } else if (!peers.rdkafka) {
      na('X1', 'librdkafka producer cross-check', peers.notes.join('; ') || 'not built');
    }
    if (peers.rdkafkaTxn && want('T1')) {
      await guard('T1', 'transactional produce', async () => {
        for (const [id, parts] of [['T1', 1], ['T1b', 8]]) {
          await createTopic(broker.bootstrap, `txn${parts}`, parts);
          await rdkafkaTxnPerf(peers.rdkafkaTxn, broker.bootstrap, `txn${parts}`, parts, N.txnWarm, 100); // warm-up: coordinator topic, JIT
          const r = await rdkafkaTxnPerf(peers.rdkafkaTxn, broker.bootstrap, `txn${parts}`, parts, N.txns, 100);
          raw[id] = r;
          row(id, `transactional produce (librdkafka), 100 × 100 B per transaction, ${parts} partition${parts > 1 ? 's' : ''}`, r.rps, 'records/s', p1?.rps ?? null, 'P1', `${fmt(r.tps)} transactions/s, one producer, each committed before the next`);
        }
        const lat = await rdkafkaTxnPerf(peers.rdkafkaTxn, broker.bootstrap, 'txn8', 8, N.txnLatency, 100, 50);
        raw.T1L = lat;
        row('T1L', 'read_committed end-to-end latency, 50 transactions/s × 100 records, 8 partitions', lat.p50, 'ms p50', null, '', `p99 ${fmt(lat.p99, 2)} ms over ${fmt(lat.records)} records (produce call → visible to a read_committed consumer)`, false);
      });
    } else if (want('T1')) {
      na('T1', 'transactional produce', peers.notes.join('; ') || 'rdkafka-txn-perf not built');
    }
    if (sink) await stopChild(sink);

    // -------------------------------------------------- P2 consume
    if (want('P2')) {
      await guard('P2', 'consume from disk', async () => {
        await createTopic(broker.bootstrap, 'p2', 1);
        await producerPerf(broker.bootstrap, 'p2', N.p2);
        const files = segmentFiles(dataDir, 'p2');
        const warmRead = await ddRead(files);
        await consumerPerf(broker.bootstrap, 'p2', N.p2); // first pass warms the page cache and JIT
        const warm = await consumerPerf(broker.bootstrap, 'p2', N.p2);
        const fileBytes = files.reduce((n, f) => n + statSync(f).size, 0);
        const recordsPerSec = (bytesPerSec) => (bytesPerSec * N.p2) / fileBytes;
        row('P2', `consume ${fmt(N.p2)} records from disk, warm page cache`, warm.rps, 'records/s', recordsPerSec(warmRead), 'dd read of the segments', `${fmt(warm.mbps, 1)} MB/s of values`);
        const how = await evict(files);
        const residentBefore = cachedFraction(files);
        const coldRead = await ddRead(files);
        await evict(files);
        const cold = await consumerPerf(broker.bootstrap, 'p2', N.p2);
        raw.p2 = { warm, cold, warmReadBytesPerSec: warmRead, coldReadBytesPerSec: coldRead, eviction: how, residentBeforeColdRead: residentBefore };
        row('P2c', `consume ${fmt(N.p2)} records from disk, cold (evicted: ${how})`, cold.rps, 'records/s', recordsPerSec(coldRead), 'cold dd read of the segments', `${fmt(cold.mbps, 1)} MB/s; ${residentBefore === null ? '' : `${(residentBefore * 100).toFixed(0)}% resident after eviction`}`);
      });
    }

    // -------------------------------------------------- P3 latency at 50% of max
    if (want('P3') && p1) {
      // Kafka's default linger.ms is 0 (5 from Kafka 4.0): at a set rate, 0 sends many small requests.
      for (const lingerMs of [0, 5]) {
        const id = lingerMs === 0 ? 'P3' : 'P3b';
        await guard(id, `end-to-end latency, linger.ms=${lingerMs}`, async () => {
          const rate = Math.max(1000, Math.round(p1.rps / 2));
          const records = Math.round(rate * N.p3Seconds);
          const topic = `p3-linger${lingerMs}`;
          await createTopic(broker.bootstrap, topic, 1);
          const props = ['acks=1', `linger.ms=${lingerMs}`, 'batch.size=16384'];
          const e2eRun = (n) =>
            run(process.execPath, [
              path.join(perf, 'end-to-end-latency.js'),
              '--bootstrap-server', broker.bootstrap,
              '--topic', topic,
              '--num-records', String(n),
              '--record-size', String(RECORD_SIZE),
              '--throughput', String(rate),
              '--producer-props', ...props,
            ]);
          // A warm-up second of the same shape first, as P1 warms up: the broker's first ~0.5 s of
          // small requests at this rate ran at 19-92 ms (JIT, young-generation sizing), which with
          // 5 s measured is the whole p99 (docs/PERFORMANCE.md, "P3's first half second").
          const warm = await e2eRun(Math.max(1000, Math.round(rate * N.p3WarmupSeconds)));
          if (warm.code !== 0) throw new Error(`end-to-end latency warm-up failed: ${warm.stderr || warm.stdout}`);
          const before = await scrapeMetrics(broker);
          const r = await e2eRun(records);
          const breakdown = brokerBreakdown(before, await scrapeMetrics(broker), BREAKDOWN_PHASES);
          const e2e = /^e2e: .*p50 ([\d.]+) ms, p95 ([\d.]+) ms, p99 ([\d.]+) ms, p99\.9 ([\d.]+) ms, max ([\d.]+) ms/m.exec(r.stdout);
          const prod = /^produce: .*p50 ([\d.]+) ms, p95 ([\d.]+) ms, p99 ([\d.]+) ms/m.exec(r.stdout);
          const achieved = /records\/sec/.test(r.stdout) ? Number(/([\d.]+) records\/sec \(target/.exec(r.stdout)?.[1]) : NaN;
          if (r.code !== 0 || !e2e) throw new Error(`end-to-end latency failed: ${r.stderr || r.stdout}`);
          // Ceiling: the same generator at the same rate against the null sink (produce-ack latency).
          const sink2 = await startNullSink();
          await createTopic(sink2.bootstrap, topic, 1);
          const sr = await producerPerf(sink2.bootstrap, topic, records, { throughput: rate, props: [`linger.ms=${lingerMs}`] });
          await stopChild(sink2);
          raw[id] = { rate, achieved, records, lingerMs, warmupSeconds: N.p3WarmupSeconds, warmupOutput: warm.stdout, output: r.stdout, nullSink: sr, breakdown };
          row(id, `end-to-end latency p50 at ${fmt(rate)} records/s (50% of P1), linger.ms=${lingerMs}`, Number(e2e[1]), 'ms', sr.p50, 'null sink produce p50', `achieved ${fmt(achieved)} records/s; after a ${N.p3WarmupSeconds}-s warm-up at the same rate`, false);
          row(id, `end-to-end latency p99, linger.ms=${lingerMs}`, Number(e2e[3]), 'ms', sr.p99, 'null sink produce p99', `p99.9 ${e2e[4]} ms, max ${e2e[5]} ms; produce-ack p99 ${prod?.[3]} ms; ${breakdownNote(breakdown)}`, false);
        });
      }
    }
    await stopChild(broker);

    // -------------------------------------------------- P5 partitions scaling
    if (want('P5')) {
      await guard('P5', 'partition scaling', async () => {
        const dir5 = path.join(work, 'p5');
        broker = await startBroker(dir5);
        let base = null;
        raw.p5 = [];
        await createTopic(broker.bootstrap, 'warm', 1);
        await producerPerf(broker.bootstrap, 'warm', Math.min(N.p5, 300_000));
        for (const parts of [1, 10, 100, 1000]) {
          await createTopic(broker.bootstrap, `p5-${parts}`, parts);
          const r = await producerPerf(broker.bootstrap, `p5-${parts}`, N.p5, { cpuPid: broker.pid });
          raw.p5.push({ partitions: parts, ...r });
          base ??= r.brokerCpuUsPerRecord;
          row('P5', `produce cost, ${parts} partition${parts > 1 ? 's' : ''}`, r.brokerCpuUsPerRecord, 'broker CPU µs/record', base, '1-partition cost', `${fmt(r.rps)} records/s`, false);
        }
        await stopChild(broker);
      });
    }

    // -------------------------------------------------- P4 10,000 partitions
    if (want('P4')) {
      await guard('P4', '10,000 partitions', async () => {
        const dir4 = path.join(work, 'p4');
        const fit = Math.floor((nofileLimit - FDS_SLACK) / FDS_PER_PARTITION);
        if (fit < N.p4Partitions) {
          na('P4', `${fmt(N.p4Partitions)} partitions`, `the open-file limit is ${nofileLimit} and cannot be raised here (prlimit: not permitted); the broker holds ${FDS_PER_PARTITION} files open per partition, so ${fmt(N.p4Partitions)} partitions fail with EMFILE. Measured with ${fmt(fit)} partitions below`);
          N.p4Partitions = fit;
        }
        broker = await startBroker(dir4);
        const created = await createTopic(broker.bootstrap, 'p4', N.p4Partitions);
        await new Promise((r) => setTimeout(r, 500));
        const rss = rssMiB(broker.pid);
        const c0 = cpuSeconds(broker.pid);
        await new Promise((r) => setTimeout(r, N.p4IdleMs));
        const c1 = cpuSeconds(broker.pid);
        const idlePct = c0 !== null && c1 !== null ? ((c1 - c0) / (N.p4IdleMs / 1000)) * 100 : null;
        const stopT0 = performance.now();
        await stopChild(broker, 60_000);
        const stopMs = performance.now() - stopT0;
        // The listeners bind before the logs load (connections wait), so "restarted" is the first
        // Metadata answer listing every partition, not the port listening.
        const restartT0 = performance.now();
        broker = await startBroker(dir4);
        const listeningMs = broker.startMs;
        const served = await partitionsServed(broker.port, 'p4');
        const restartMs = performance.now() - restartT0;
        if (served !== N.p4Partitions) throw new Error(`after the restart Metadata shows ${served} of ${N.p4Partitions} partitions`);
        const rssAfter = rssMiB(broker.pid);
        await stopChild(broker, 60_000);
        raw.p4 = { partitions: N.p4Partitions, createMs: created.ms, rssMiB: rss, rssAfterRestartMiB: rssAfter, idleCpuPct: idlePct, stopMs, restartMs, listeningMs };
        row('P4', `${fmt(N.p4Partitions)} partitions: RSS`, rss, 'MiB', 300, 'target 300 MB', `after restart ${fmt(rssAfter)} MiB; CreateTopics took ${fmt(created.ms)} ms`, false);
        row('P4', `${fmt(N.p4Partitions)} partitions: restart (spawn → serving every partition)`, restartMs / 1000, 's', 3, 'target 3 s', `listening after ${fmt(listeningMs / 1000, 2)} s; clean shutdown took ${fmt(stopMs / 1000, 2)} s`, false);
        row('P4', `${fmt(N.p4Partitions)} partitions: CreateTopics`, created.ms / 1000, 's', 5, 'target 5 s', 'one request, until every partition shows in Metadata', false);
        row('P4', `${fmt(N.p4Partitions)} partitions: idle CPU`, idlePct, '% of a core', 0.5, 'target 0.5%', `over ${N.p4IdleMs / 1000} s`, false);
      });
    }

    // -------------------------------------------------- S1-S3, A1-A2: security (bench/security-bench.mjs)
    await securityRows({ work, root, dist, smoke, want, row, na, guard, fmt, run, startChild, stopChild, waitForPort, freePort, createTopic, producerPerf, consumerPerf, HOST, raw });
    // -------------------------------------------------- P6 many clients, P7 soak (issue 15)
    if (want('P6')) await guard('P6', 'many clients', () => runP6(work, p1, raw));
    if (want('P7') && !smoke && N.p7Minutes > 0) await guard('P7', 'soak', () => runP7(work, raw));
    else if (want('P7') && !only) na('P7', 'soak at 50% load', smoke ? 'not part of --smoke' : 'a long mode: node bench/run.mjs --only P7 --soak-minutes 30');

    // -------------------------------------------------- NATS JetStream peer
    if (want('NATS')) {
      await guard('N1', 'NATS JetStream peer', async () => {
        if (peers.nats) {
          const port = await freePort();
          const nd = path.join(work, 'nats');
          mkdirSync(nd);
          const ns = startChild('nats-server', ['-js', '-a', HOST, '-p', String(port), '-sd', nd]);
          await waitForPort(port, 20_000);
          const c0 = cpuSeconds(ns.child.pid);
          const r = await run(process.execPath, [path.join(benchDir, 'nats-bench.mjs'), String(port), String(N.nats), String(RECORD_SIZE)]);
          const c1 = cpuSeconds(ns.child.pid);
          await stopChild(ns);
          const m = /nats-bench: (\d+) msgs, ([\d.]+) msgs\/sec/.exec(r.stdout);
          if (r.code !== 0 || !m) throw new Error(`nats-bench failed: ${r.stderr || r.stdout}`);
          const natsRps = Number(m[2]);
          raw.nats = { output: r.stdout.trim(), serverCpuUsPerMsg: c0 !== null ? ((c1 - c0) * 1e6) / Number(m[1]) : null };
          row('N1', 'NATS JetStream, file storage, async publish, 100 B', natsRps, 'msgs/s', null, '', `server CPU ${fmt(raw.nats.serverCpuUsPerMsg, 2)} µs/msg; ${info.natsServer ?? ''}`);
          if (p1) row('P1/N1', 'P1 vs NATS JetStream (target ≥ 2×)', p1.rps / natsRps, '×', 2, 'target 2×', '');
        } else {
          na('N1', 'NATS JetStream peer', smoke ? 'skipped in --smoke unless nats-server and bench/node_modules are installed' : peers.notes.join('; ') || 'nats-server not installable');
        }
      });
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }

  // -------------------------------------------------- report
  const stamp = started.toISOString().slice(0, 10);
  const title = `Samsa benchmark ${smoke ? '(smoke) ' : ''}${started.toISOString()}`;
  const md = [
    `# ${title}`,
    '',
    `Machine: ${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB RAM, Node ${info.node}, ${info.os}, data dir on ${info.fs}` +
      `${info.librdkafka ? `, librdkafka ${info.librdkafka}` : ''}${info.natsServer ? `, ${info.natsServer}` : ''}.`,
    `Load average (1/5/15 min) at start: ${info.loadAverage.join(' / ')}; at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} (other work on the machine skews every figure; compare CPU µs/record, which is less sensitive).`,
    `Command: \`node bench/run.mjs ${argv.join(' ')}\` (records per produce run: ${fmt(N.p1)}, record size ${RECORD_SIZE} B). Client and servers share the machine.`,
    '',
    '| id | scenario | figure | unit | ceiling (same run) | ratio | notes |',
    '|---|---|---:|---|---|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.id} | ${r.scenario} | ${fmt(r.figure, r.figure !== null && Math.abs(r.figure) < 100 ? 2 : 0)} | ${r.unit} | ${r.ceiling === null ? '' : `${r.ceilingName}: ${fmt(r.ceiling, Math.abs(r.ceiling) < 100 ? 2 : 0)}`} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} | ${r.notes} |`,
    ),
    '',
    'Ratio: figure ÷ ceiling for throughput, ceiling ÷ figure for latency, cost and size (1.00 = at the ceiling; above 1 for a target means within it).',
    '',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, `${stamp}${smoke ? '-smoke' : ''}`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.json`, `${JSON.stringify({ started: started.toISOString(), smoke, machine: info, records: N, recordSize: RECORD_SIZE, rows, raw }, null, 2)}\n`);
  log(`wrote ${base}.md and ${base}.json`);
}

main().then(
  () => process.exit(failures > 0 ? 1 : 0),
  (err) => {
    process.stderr.write(`[bench] failed: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
