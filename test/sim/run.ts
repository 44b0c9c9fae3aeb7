/**
 * `npm run sim -- [--seeds N] [--seed S] [--first F] [--faults k1,k2] [--duration-ms D] [--overlap N] [--group-members N] [--produce-interval-ms MS] [--broker-override k=v]... [--report FILE] [--verbose] [--watch P]`
 *
 * Runs simulation seeds (test/sim/run-seed.ts) one after another and prints one line per seed and
 * a summary: seeds run, simulated broker-hours, faults injected by kind, acknowledged writes, lost
 * (must be 0), duplicates, failures with their seeds. A failing seed prints its trace and the
 * command that replays it (`--seed S`), which runs it twice and checks the replay is identical.
 * `--report FILE` writes the summary as Markdown (docs/RELIABILITY.md's simulator figures come
 * from it). `--watch P` adds every change of partition P's replicas (role, epoch, ISR, high watermark,
 * log end) and every acknowledgement on it to the story, for debugging a failing seed. Exit code 1
 * when any seed failed.
 */
process.env.SAMSA_LOG_LEVEL ??= 'silent';
const { FAULT_KINDS, runSeed } = await import('./run-seed.js');
type FaultKind = (typeof FAULT_KINDS)[number];
const { writeFileSync } = await import('node:fs');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const single = arg('seed');
const seeds = Number(arg('seeds') ?? 20);
const first = Number(arg('first') ?? 1);
const durationMs = Number(arg('duration-ms') ?? 30_000);
const overlap = Number(arg('overlap') ?? 1);
const produceIntervalMs = arg('produce-interval-ms') === undefined ? undefined : Number(arg('produce-interval-ms'));
const groupMembers = Number(arg('group-members') ?? 2);
const watch = arg('watch');
const watchPartition = watch === undefined ? undefined : Number(watch);
const verbose = process.argv.includes('--verbose');
const faultsArg = arg('faults');
const faults = (faultsArg ? faultsArg.split(',') : [...FAULT_KINDS]) as FaultKind[];
for (const f of faults) {
  if (!(FAULT_KINDS as readonly string[]).includes(f)) {
    process.stderr.write(`unknown fault kind '${f}'; known: ${FAULT_KINDS.join(', ')}\n`);
    process.exit(2);
  }
}

const brokerOverrides = process.argv.flatMap((a, i) => (a === '--broker-override' ? [process.argv[i + 1]!] : []));
/** The options that shape a run, as given, so a failure's replay command repeats them. */
const shaping = ['faults', 'duration-ms', 'overlap', 'group-members', 'produce-interval-ms'].flatMap((k) => (arg(k) !== undefined ? [`--${k} ${arg(k)}`] : [])).concat(brokerOverrides.map((o) => `--broker-override ${o}`));
const list = single !== undefined ? [Number(single)] : Array.from({ length: seeds }, (_, i) => first + i);
const totals = { seeds: 0, failed: [] as number[], simMs: 0, realMs: 0, acked: 0, lost: 0, duplicates: 0, resets: 0, groupCommits: 0, groupGenerations: 0, groupOffsetReads: 0, bitsFlipped: 0, adminOps: {} as Record<string, number>, faults: {} as Record<string, number>, anomalies: {} as Record<string, number> };
/** Failure messages by kind of anomaly (the first pattern that matches). */
const ANOMALY_TYPES: Array<[string, RegExp]> = [
  ['lost write', /is lost/],
  ['duplicate', /stored twice/],
  ['diverged replicas', /committed prefix .* differs/],
  ['two leaders', /two leaders/],
  ['high watermark back', /high watermark .* went back/],
  ['high watermark past ISR', /exceeds the log end/],
  ['stale controller', /stale controller/],
  ['read above high watermark', /at or above the high watermark/],
  ['offset changed record', /changed from/],
  ['group offset back', /committed offset of group .* went back/],
  ['liveness', /liveness/],
  ['other', /./],
];
for (const seed of list) {
  const r = await runSeed({ seed, faults, durationMs, overlap, groupMembers, brokerOverrides, ...(produceIntervalMs === undefined ? {} : { produceIntervalMs }), ...(watchPartition === undefined ? {} : { watchPartition }) });
  totals.seeds++;
  totals.simMs += r.simMs;
  totals.realMs += r.realMs;
  totals.acked += r.acked;
  totals.lost += r.lost;
  totals.duplicates += r.duplicates;
  totals.resets += r.producerResets;
  totals.groupCommits += r.groupCommits;
  totals.groupGenerations += r.groupGenerations;
  totals.groupOffsetReads += r.groupOffsetReads;
  totals.bitsFlipped += r.bitsFlipped;
  for (const [k, v] of Object.entries(r.adminOps)) totals.adminOps[k] = (totals.adminOps[k] ?? 0) + v;
  if (r.failure !== null) {
    const type = ANOMALY_TYPES.find(([, re]) => re.test(r.failure!))![0];
    totals.anomalies[type] = (totals.anomalies[type] ?? 0) + 1;
  }
  for (const [k, v] of Object.entries(r.faults)) totals.faults[k] = (totals.faults[k] ?? 0) + (v ?? 0);
  const faultText = Object.entries(r.faults).map(([k, v]) => `${k}:${v}`).join(' ');
  process.stdout.write(`seed ${seed} ${r.ok ? 'ok  ' : 'FAIL'} digest ${r.digest} sim ${(r.simMs / 1000).toFixed(1)} s real ${r.realMs} ms events ${r.events} acked ${r.acked} lost ${r.lost} dup ${r.duplicates} commits ${r.groupCommits} gens ${r.groupGenerations} faults ${faultText}\n`);
  if (!r.ok) {
    totals.failed.push(seed);
    process.stdout.write(`  ${r.failure}\n  replay: npm run sim -- --seed ${seed}${shaping.map((o) => ` ${o}`).join('')}\n`);
    if (verbose || single !== undefined) process.stdout.write(`  story:\n${r.notes.map((l) => `    ${l}`).join('\n')}\n  last events:\n${r.trace.slice(-60).map((l) => `    ${l}`).join('\n')}\n`);
  }
  if (single !== undefined) {
    const again = await runSeed({ seed, faults, durationMs, overlap, groupMembers, brokerOverrides, ...(produceIntervalMs === undefined ? {} : { produceIntervalMs }), ...(watchPartition === undefined ? {} : { watchPartition }) });
    process.stdout.write(`replay of seed ${seed}: digest ${again.digest} ${again.digest === r.digest ? '(identical)' : `DIFFERS from ${r.digest}`}\n`);
    if (again.digest !== r.digest) totals.failed.push(seed);
  }
}
const brokerHours = (totals.simMs * 3) / 3_600_000;
const faultText = Object.entries(totals.faults).sort().map(([k, v]) => `${k} ${v}`).join(', ');
const failedText = `${totals.failed.length}${totals.failed.length ? ` (${totals.failed.join(', ')})` : ''}`;
const anomalyText = ANOMALY_TYPES.map(([name]) => `${name} ${totals.anomalies[name] ?? 0}`).join(', ');
const rows: Array<[string, string]> = [
  ['seeds run', `${totals.seeds} (from ${list[0]}${overlap > 1 ? `, up to ${overlap} faults at once` : ''})`],
  ['failed seeds', failedText],
  ['simulated time', `${(totals.simMs / 1000).toFixed(0)} s, ${brokerHours.toFixed(2)} broker-hours`],
  ['real time', `${(totals.realMs / 1000).toFixed(1)} s`],
  ['faults injected', faultText],
  ['acknowledged writes', String(totals.acked)],
  ['lost', String(totals.lost)],
  ['duplicates', String(totals.duplicates)],
  ['anomalies by type', anomalyText],
  ['producer resets (idempotence state lost)', String(totals.resets)],
  ['group: acknowledged commits, generations, committed-offset reads checked', `${totals.groupCommits}, ${totals.groupGenerations}, ${totals.groupOffsetReads}`],
  ['bits flipped on read', String(totals.bitsFlipped)],
  ['admin requests during faults (kind answer: count)', Object.entries(totals.adminOps).sort().map(([k, v]) => `${k}: ${v}`).join(', ')],
];
process.stdout.write(`${rows.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
const report = arg('report');
if (report !== undefined) writeFileSync(report, `| figure | value |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
process.exit(totals.failed.length > 0 ? 1 : 0);
