/**
 * `npm run faults -- [--txn] [--minutes N] [--seed S] [--schedule kind,kind,...] [--fault-ms MS] [--json FILE] [--logs DIR]`
 *
 * A long real-process fault run (docs/RELIABILITY.md, "Real-process fault runs"): three brokers and
 * ZooKeeper as processes on 127.0.0.1, every connection through a fault proxy, faults from the
 * schedule (default: every kind) repeated until N minutes (default 5) have passed, then the
 * report. Exits 0 when no acknowledged write was lost and no anomaly was found, 1 otherwise, 2 on
 * bad arguments.
 *
 * `--txn` runs the transaction fault run instead (run-txn-faults.ts): transactional writers, a
 * read_committed tail and an exactly-once pipeline, with the transaction fault kinds
 * (kill-coordinator, kill-pipeline, kill-writer) added to the schedule's choices.
 */
import { writeFile } from 'node:fs/promises';
import { FAULT_KINDS, parseSchedule } from './nemesis.js';
import { formatReport, runFaults, verdict, ZK_SESSION_MS } from './run-faults.js';
import { formatTxnReport, runTxnFaults, TXN_FAULT_KINDS, txnVerdict, type TxnFaultKind } from './run-txn-faults.js';

const USAGE = `usage: npm run faults -- [--txn] [--minutes N] [--seed S] [--schedule ${FAULT_KINDS.join(',')}] [--fault-ms MS] [--partitions N] [--json FILE] [--logs DIR]`;

function parse(argv: string[]): { txn: boolean; minutes: number; seed: number; schedule: string | null; faultMs: number; partitions: number; json: string | null; logs: string | null } {
  const o = { txn: false, minutes: 5, seed: Date.now() % 1_000_000, schedule: null as string | null, faultMs: 5000, partitions: 3, json: null as string | null, logs: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value. ${USAGE}`);
      return v;
    };
    const number = (min: number, max: number): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} ${text}: expected a number in ${min}..${max}. ${USAGE}`);
      return n;
    };
    if (flag === '--txn') o.txn = true;
    else if (flag === '--minutes') o.minutes = number(0.1, 24 * 60);
    else if (flag === '--seed') o.seed = Math.floor(number(0, 2 ** 32 - 1));
    else if (flag === '--schedule') o.schedule = value();
    else if (flag === '--fault-ms') o.faultMs = number(500, 120_000);
    else if (flag === '--partitions') o.partitions = Math.floor(number(1, 12));
    else if (flag === '--json') o.json = value();
    else if (flag === '--logs') o.logs = value();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}. ${USAGE}`);
  }
  return o;
}

function parseTxnSchedule(text: string): TxnFaultKind[] {
  const kinds = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of kinds) {
    if (!(TXN_FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`unknown fault '${k}' in --schedule; with --txn use some of: ${TXN_FAULT_KINDS.join(', ')}`);
  }
  if (kinds.length === 0) throw new Error(`--schedule is empty; use some of: ${TXN_FAULT_KINDS.join(', ')}`);
  return kinds as TxnFaultKind[];
}

async function mainTxn(args: ReturnType<typeof parse>, schedule: TxnFaultKind[]): Promise<void> {
  const report = await runTxnFaults({
    seed: args.seed,
    schedule,
    durationMs: args.minutes * 60_000,
    faultMs: args.faultMs,
    pauseMs: ZK_SESSION_MS + 2000,
    quietMs: 1000,
    partitions: args.partitions,
    writers: 3,
    inputRecords: Math.round(args.minutes * 6000),
    log: (line) => process.stdout.write(`${line}\n`),
    ...(args.logs !== null ? { logDir: args.logs } : {}),
  });
  process.stdout.write(`\n${formatTxnReport(report)}\n`);
  if (args.json !== null) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
  process.exit(txnVerdict(report) ? 0 : 1);
}

async function main(): Promise<void> {
  let args;
  let schedule;
  let txnSchedule: TxnFaultKind[] = [];
  try {
    args = parse(process.argv.slice(2));
    if (args.txn) txnSchedule = parseTxnSchedule(args.schedule ?? TXN_FAULT_KINDS.join(','));
    else schedule = parseSchedule(args.schedule ?? FAULT_KINDS.join(','));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (args.txn) return mainTxn(args, txnSchedule);
  const report = await runFaults({
    seed: args.seed,
    schedule: schedule!,
    durationMs: args.minutes * 60_000,
    faultMs: args.faultMs,
    pauseMs: ZK_SESSION_MS + 2000,
    quietMs: 1000,
    partitions: args.partitions,
    log: (line) => process.stdout.write(`${line}\n`),
    ...(args.logs !== null ? { logDir: args.logs } : {}),
  });
  process.stdout.write(`\n${formatReport(report)}\n`);
  if (args.json !== null) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
  process.exit(verdict(report) ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`fault run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
