/**
 * Checkers for transactional histories (the anomalies Jepsen looked for in Kafka-compatible
 * transaction protocols), over what real transactional clients did and what read_committed
 * consumers saw.
 *
 * Writer history: every transaction a writer began, with the records it planned (value and
 * partition, values unique across the run), the time the client asked to commit (if it did) and
 * the outcome as the client learnt it: committed (commit_transaction returned), aborted
 * (abort_transaction returned) or unknown (the process was killed, or a commit failed in a way that
 * leaves the outcome open).
 *
 * Anomalies (each must be 0):
 *   aborted-read          a record of an aborted transaction was read (final read or live tail)
 *   lost-write            a record of a committed transaction is missing from the final read
 *   torn-transaction      the final read holds some but not all records of a transaction
 *   duplicate             a record appears twice in one read of a partition
 *   uncommitted-read      the live read_committed tail saw a record before its writer asked to
 *                         commit it (or of a transaction whose writer never asked to commit)
 *   order                 a writer's records in one partition are out of its transaction order
 *   unexpected            a record no writer wrote
 * Pipeline (read-process-write) anomalies:
 *   pipeline-lost         an input record has no output record
 *   pipeline-duplicate    an input record has more than one output record
 *   pipeline-order        output records of one key are not in input order
 */

export type TxnOutcome = 'committed' | 'aborted' | 'unknown';

export interface TxnRecord {
  value: string;
  partition: number;
}

export interface TxnHistory {
  writer: string;
  /** Position of the transaction in its writer's sequence (ascending in time). */
  txn: number;
  records: TxnRecord[];
  /** Wall-clock ms at which the client asked to commit; null when it never did. */
  commitStartMs: number | null;
  outcome: TxnOutcome;
}

export interface SeenRecord {
  value: string;
  partition: number;
  offset: number;
  /** Wall-clock ms at which the reader got it (live tail only). */
  seenMs?: number;
}

export const TXN_ANOMALY_KINDS = [
  'aborted-read',
  'lost-write',
  'torn-transaction',
  'duplicate',
  'uncommitted-read',
  'order',
  'unexpected',
  'pipeline-lost',
  'pipeline-duplicate',
  'pipeline-order',
] as const;
export type TxnAnomalyKind = (typeof TXN_ANOMALY_KINDS)[number];

export interface TxnAnomaly {
  kind: TxnAnomalyKind;
  detail: string;
}

export interface TxnCheckResult {
  transactions: Record<TxnOutcome, number>;
  recordsRead: number;
  anomalies: Record<TxnAnomalyKind, number>;
  examples: TxnAnomaly[];
}

const EXAMPLES_MAX = 20;

export function emptyAnomalies(): Record<TxnAnomalyKind, number> {
  return Object.fromEntries(TXN_ANOMALY_KINDS.map((k) => [k, 0])) as Record<TxnAnomalyKind, number>;
}

class AnomalyLog {
  readonly counts = emptyAnomalies();
  readonly examples: TxnAnomaly[] = [];

  add(kind: TxnAnomalyKind, detail: string): void {
    this.counts[kind]++;
    if (this.examples.length < EXAMPLES_MAX) this.examples.push({ kind, detail });
  }
}

interface Owner {
  txn: TxnHistory;
  /** Index of the record within its transaction. */
  index: number;
}

/**
 * Checks the writers' histories against a final read_committed read of every partition (`finalRead`,
 * in offset order per partition) and the records a live read_committed tail saw (`liveRead`).
 */
export function checkTransactions(histories: readonly TxnHistory[], finalRead: readonly SeenRecord[], liveRead: readonly SeenRecord[]): TxnCheckResult {
  const log = new AnomalyLog();
  const owners = new Map<string, Owner>();
  const transactions: Record<TxnOutcome, number> = { committed: 0, aborted: 0, unknown: 0 };
  for (const txn of histories) {
    transactions[txn.outcome]++;
    txn.records.forEach((r, index) => owners.set(r.value, { txn, index }));
  }
  const label = (t: TxnHistory): string => `${t.writer} txn ${t.txn} (${t.outcome}, ${t.records.length} records)`;

  // Final read: per value, how often; per transaction, how many of its records.
  const seenCount = new Map<string, number>();
  const seenOf = new Map<TxnHistory, number>();
  for (const r of finalRead) {
    const n = (seenCount.get(r.value) ?? 0) + 1;
    seenCount.set(r.value, n);
    const owner = owners.get(r.value);
    if (owner === undefined) {
      log.add('unexpected', `${r.value} at ${r.partition}@${r.offset}`);
      continue;
    }
    if (n > 1) {
      log.add('duplicate', `${r.value} again at ${r.partition}@${r.offset}`);
      continue;
    }
    if (owner.txn.outcome === 'aborted') log.add('aborted-read', `${r.value} of ${label(owner.txn)} at ${r.partition}@${r.offset} (final read)`);
    seenOf.set(owner.txn, (seenOf.get(owner.txn) ?? 0) + 1);
  }
  for (const txn of histories) {
    const seen = seenOf.get(txn) ?? 0;
    if (txn.outcome === 'committed' && seen < txn.records.length) log.add('lost-write', `${label(txn)}: ${seen} read`);
    if (seen > 0 && seen < txn.records.length) log.add('torn-transaction', `${label(txn)}: ${seen} read`);
  }
  checkOrder(finalRead, owners, log);

  // Live tail: no record before its commit was asked for, none of an aborted transaction.
  const liveSeen = new Set<string>();
  for (const r of liveRead) {
    const owner = owners.get(r.value);
    if (owner === undefined) {
      log.add('unexpected', `${r.value} at ${r.partition}@${r.offset} (live)`);
      continue;
    }
    const key = `${r.value}@${r.partition}:${r.offset}`;
    if (liveSeen.has(key)) continue; // the tail may re-read after a rebalance or restart; the final read checks duplicates
    liveSeen.add(key);
    const txn = owner.txn;
    if (txn.outcome === 'aborted') log.add('aborted-read', `${r.value} of ${label(txn)} at ${r.partition}@${r.offset} (live)`);
    else if (txn.commitStartMs === null) log.add('uncommitted-read', `${r.value} of ${label(txn)} read live, commit never asked`);
    else if (r.seenMs !== undefined && r.seenMs < txn.commitStartMs) {
      log.add('uncommitted-read', `${r.value} of ${label(txn)} read live ${txn.commitStartMs - r.seenMs} ms before its commit was asked`);
    }
  }
  return { transactions, recordsRead: finalRead.length, anomalies: log.counts, examples: log.examples };
}

/** Per partition and writer, records must appear in (transaction, index) order. */
function checkOrder(read: readonly SeenRecord[], owners: ReadonlyMap<string, Owner>, log: AnomalyLog): void {
  const last = new Map<string, { txn: number; index: number; value: string }>();
  for (const r of read) {
    const owner = owners.get(r.value);
    if (owner === undefined) continue;
    const key = `${owner.txn.writer}/${r.partition}`;
    const prev = last.get(key);
    const here = { txn: owner.txn.txn, index: owner.index, value: r.value };
    if (prev !== undefined && (here.txn < prev.txn || (here.txn === prev.txn && here.index < prev.index))) {
      log.add('order', `${r.value} at ${r.partition}@${r.offset} after ${prev.value}`);
    }
    last.set(key, here);
  }
}

export interface PipelineCheckResult {
  inputs: number;
  outputs: number;
  anomalies: Record<TxnAnomalyKind, number>;
  examples: TxnAnomaly[];
}

/**
 * Exactly-once check of a read-process-write pipeline: `inputs` are the input records (key and
 * sequence number, in input order per key); `outputs` the final read_committed read of the output
 * topic (key and the input sequence it was made from, in offset order per partition). Every input
 * must map to exactly one output, and each key's outputs must follow its inputs' order.
 */
export function checkPipeline(inputs: ReadonlyArray<{ key: string; seq: number }>, outputs: ReadonlyArray<{ key: string; seq: number }>): PipelineCheckResult {
  const log = new AnomalyLog();
  const inputKey = new Map<number, string>();
  for (const i of inputs) inputKey.set(i.seq, i.key);
  const outCount = new Map<number, number>();
  const lastOfKey = new Map<string, number>();
  for (const o of outputs) {
    const n = (outCount.get(o.seq) ?? 0) + 1;
    outCount.set(o.seq, n);
    if (n > 1) log.add('pipeline-duplicate', `input ${o.seq} (key ${o.key}) output ${n} times`);
    if (inputKey.get(o.seq) !== o.key) log.add('unexpected', `output for input ${o.seq} with key ${o.key}`);
    const prev = lastOfKey.get(o.key);
    if (prev !== undefined && o.seq < prev) log.add('pipeline-order', `key ${o.key}: input ${o.seq} output after input ${prev}`);
    if (prev === undefined || o.seq > prev) lastOfKey.set(o.key, o.seq);
  }
  for (const i of inputs) if (!outCount.has(i.seq)) log.add('pipeline-lost', `input ${i.seq} (key ${i.key}) has no output`);
  return { inputs: inputs.length, outputs: outputs.length, anomalies: log.counts, examples: log.examples };
}
