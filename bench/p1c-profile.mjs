#!/usr/bin/env node
// P1c broken down (issue 15): a 3-broker cluster with ZooKeeper (the e2e tests' helper), one
// partition with RF=3, kafka-producer-perf-test with acks=all against the leader, and for each
// broker: user and system CPU per record, garbage collections, requests by API and where its log
// writes ran (inline, thread pool; from its /metrics). With --perf, `perf record -g` samples the leader during the run (perf.data in the current
// directory; start the brokers with --perf-basic-prof to name JIT frames: --node-flag).
//   node bench/p1c-profile.mjs [--records N] [--override key=value]... [--node-flag FLAG]... [--perf]
// Needs `npm run build` (dist/test/helpers/cluster.js) and Debian's zookeeper package. 127.0.0.1 only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const values = (name) => argv.flatMap((a, i) => (a === `--${name}` && i + 1 < argv.length ? [argv[i + 1]] : []));
const records = Number(values('records')[0] ?? 1_000_000);
const overrides = values('override');
const nodeFlags = values('node-flag');
const helper = path.join(root, 'dist', 'test', 'helpers', 'cluster.js');
if (!existsSync(helper)) throw new Error(`${helper} is missing: npm run build first`);
const { startCluster, freePort } = await import(pathToFileURL(helper).href);

const cpu = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
};
const adminPorts = new Map();
for (const id of [0, 1, 2]) adminPorts.set(id, await freePort());
async function scrape(id) {
  const text = await (await fetch(`http://127.0.0.1:${adminPorts.get(id)}/metrics`)).text();
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^(nodejs_gc_duration_seconds_count\{kind="(?:minor|major)"\}|kafka_network_requestmetrics_requests_total\{request="(?:Produce|FetchFollower)"[^}]*\}|samsa_log_writes_total\{path="(?:inline|pool)"\}|samsa_log_(?:slow|costly)_inline_writes_total) (\S+)$/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}
// Extra node flags for the brokers: the helper spawns process.execPath, so a wrapper adds them.
if (nodeFlags.length > 0) {
  const { writeFileSync, chmodSync, mkdtempSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/samsa-p1c-');
  const wrapper = path.join(dir, 'node');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${nodeFlags.join(' ')} "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.execPath = wrapper;
}
const perfTest = path.join(root, 'dist', 'src', 'cli', 'perf', 'producer-perf-test.js');
const cluster = await startCluster({ brokers: 3, overrides, brokerOverrides: (id) => [`admin.listeners=http://127.0.0.1:${adminPorts.get(id)}`] });
try {
  await cluster.createTopic('p1c', { partitions: 1, replicationFactor: 3 });
  const leader = await cluster.waitForLeader('p1c', 0);
  await cluster.waitForPartition('p1c', 0, (m) => m.isr.length === 3, 'all three replicas in sync', 60_000);
  const bootstrap = cluster.broker(leader).bootstrap;
  const produce = (n) => spawnSync('node', [perfTest, '--topic', 'p1c', '--num-records', String(n), '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'linger.ms=0', 'batch.size=16384'], { encoding: 'utf8' });
  produce(Math.min(records, 200_000)); // warm-up
  const ids = [0, 1, 2];
  const before = await Promise.all(ids.map(async (id) => ({ cpu: cpu(cluster.broker(id).pid), m: await scrape(id) })));
  const perf = argv.includes('--perf') ? spawn('perf', ['record', '-F', '1999', '-g', '-p', String(cluster.broker(leader).pid), '-o', 'perf.data'], { stdio: 'ignore' }) : null;
  const r = produce(records);
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.on('exit', resolve));
  }
  if (r.status !== 0) throw new Error(`producer-perf-test failed: ${r.stderr}`);
  console.log(r.stdout.split('\n').find((l) => l.includes('records/sec')));
  for (const id of ids) {
    const after = { cpu: cpu(cluster.broker(id).pid), m: await scrape(id) };
    const b = before[id];
    const per = (x) => ((x * 1e6) / records).toFixed(2);
    const delta = [...after.m].map(([k, v]) => `${k.replace(/^nodejs_gc_duration_seconds_count|^kafka_network_requestmetrics_requests_total/, '')} ${v - (b.m.get(k) ?? 0)}`).join(', ');
    console.log(`broker ${id}${id === leader ? ' (leader)' : ''}: user ${per(after.cpu.user - b.cpu.user)} + sys ${per(after.cpu.sys - b.cpu.sys)} µs CPU per record; ${delta}`);
  }
} finally {
  await cluster.stopAll();
}
