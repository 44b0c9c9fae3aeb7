/**
 * `npm run sim -- [--seeds N] [--seed S] [--first F] [--faults k1,k2] [--duration-ms D] [--broker-override k=v]... [--report FILE] [--verbose]`
 *
 * Runs simulation seeds (test/sim/run-seed.ts) one after another and prints one line per seed and
 * a summary: seeds run, simulated broker-hours, faults injected by kind, acknowledged writes, lost
 * (must be 0), duplicates, failures with their seeds. A failing seed prints its trace and the
 * command that replays it (`--seed S`), which runs it twice and checks the replay is identical.
 * `--report FILE` writes the summary as Markdown (docs/RELIABILITY.md's simulator figures come
 * from it). Exit code 1 when any seed failed.
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
const list = single !== undefined ? [Number(single)] : Array.from({ length: seeds }, (_, i) => first + i);
const totals = { seeds: 0, failed: [] as number[], simMs: 0, realMs: 0, acked: 0, lost: 0, duplicates: 0, resets: 0, faults: {} as Record<string, number> };
for (const seed of list) {
  const r = await runSeed({ seed, faults, durationMs, brokerOverrides });
  totals.seeds++;
  totals.simMs += r.simMs;
  totals.realMs += r.realMs;
  totals.acked += r.acked;
  totals.lost += r.lost;
  totals.duplicates += r.duplicates;
  totals.resets += r.producerResets;
  for (const [k, v] of Object.entries(r.faults)) totals.faults[k] = (totals.faults[k] ?? 0) + (v ?? 0);
  const faultText = Object.entries(r.faults).map(([k, v]) => `${k}:${v}`).join(' ');
  process.stdout.write(`seed ${seed} ${r.ok ? 'ok  ' : 'FAIL'} digest ${r.digest} sim ${(r.simMs / 1000).toFixed(1)} s real ${r.realMs} ms events ${r.events} acked ${r.acked} lost ${r.lost} dup ${r.duplicates} faults ${faultText}\n`);
  if (!r.ok) {
    totals.failed.push(seed);
    process.stdout.write(`  ${r.failure}\n  replay: npm run sim -- --seed ${seed}${faultsArg ? ` --faults ${faultsArg}` : ''}\n`);
    if (verbose || single !== undefined) process.stdout.write(`  story:\n${r.notes.map((l) => `    ${l}`).join('\n')}\n  last events:\n${r.trace.slice(-60).map((l) => `    ${l}`).join('\n')}\n`);
  }
  if (single !== undefined) {
    const again = await runSeed({ seed, faults, durationMs, brokerOverrides });
    process.stdout.write(`replay of seed ${seed}: digest ${again.digest} ${again.digest === r.digest ? '(identical)' : `DIFFERS from ${r.digest}`}\n`);
    if (again.digest !== r.digest) totals.failed.push(seed);
  }
}
const brokerHours = (totals.simMs * 3) / 3_600_000;
const summary = [
  `seeds ${totals.seeds}, failed ${totals.failed.length}${totals.failed.length ? ` (${totals.failed.join(', ')})` : ''}`,
  `simulated ${(totals.simMs / 1000).toFixed(0)} s (${brokerHours.toFixed(2)} broker-hours) in ${(totals.realMs / 1000).toFixed(1)} s real`,
  `faults ${Object.entries(totals.faults).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`,
  `acknowledged ${totals.acked}, lost ${totals.lost}, duplicates ${totals.duplicates}, producer resets ${totals.resets}`,
];
process.stdout.write(`${summary.join('\n')}\n`);
const report = arg('report');
if (report !== undefined) {
  writeFileSync(report, `| figure | value |\n|---|---|\n| seeds run | ${totals.seeds} (first ${list[0]}) |\n| failed seeds | ${totals.failed.length}${totals.failed.length ? ` (${totals.failed.join(', ')})` : ''} |\n| simulated time | ${(totals.simMs / 1000).toFixed(0)} s, ${brokerHours.toFixed(2)} broker-hours |\n| real time | ${(totals.realMs / 1000).toFixed(1)} s |\n| faults injected | ${Object.entries(totals.faults).sort().map(([k, v]) => `${k} ${v}`).join(', ')} |\n| acknowledged writes | ${totals.acked} |\n| lost | ${totals.lost} |\n| duplicates | ${totals.duplicates} |\n| producer resets | ${totals.resets} |\n`);
}
process.exit(totals.failed.length > 0 ? 1 : 0);
