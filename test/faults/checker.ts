/**
 * Checkers for real-process fault runs, in the style of Jepsen: pure functions over what the
 * clients saw (history), no I/O.
 *
 * - Queue: every record whose send was acknowledged (acks=all) must be read back exactly once in
 *   its partition, in the order the acknowledgements came (one sequential producer per partition).
 *   Counts: acknowledged, lost (acknowledged, never read), duplicated (extra copies of a value),
 *   reordered (an acknowledged record read after one acknowledged later), unexpected (a value no
 *   producer ever sent), and, for information, indeterminate (sent, not acknowledged; may or may
 *   not be there) with how many of those were found.
 * - List-append over offsets: each partition is a list; offsets are its indices. Anomalies:
 *   `duplicate-offset` (two records at one offset in one read), `offset-changed` (an offset that
 *   holds another record in a later read), `ack-offset-mismatch` (the offset a produce response
 *   gave does not hold that record in the final read), `offset-gap` (a missing offset below the
 *   end of a read: plain topics have dense offsets).
 */

/** One send of a sequential producer: its values in order; `baseOffset` when acknowledged. */
export interface SendRecord {
  partition: number;
  values: string[];
  acked: boolean;
  baseOffset?: number;
}

export interface ReadRecord {
  offset: number;
  value: string;
}

/** One read of a partition from the beginning up to what the broker served. */
export interface PartitionRead {
  partition: number;
  records: ReadRecord[];
  final: boolean;
}

export interface QueueResult {
  acknowledged: number;
  lost: number;
  duplicated: number;
  reordered: number;
  unexpected: number;
  indeterminate: number;
  indeterminateFound: number;
  /** A few examples of each problem, for the report. */
  examples: { lost: string[]; duplicated: string[]; reordered: string[]; unexpected: string[] };
}

export type AnomalyKind = 'duplicate-offset' | 'offset-changed' | 'ack-offset-mismatch' | 'offset-gap';

export interface Anomaly {
  kind: AnomalyKind;
  partition: number;
  offset: number;
  detail: string;
}

const EXAMPLES_MAX = 5;

function pushExample(list: string[], text: string): void {
  if (list.length < EXAMPLES_MAX) list.push(text);
}

/** The queue checker, over every partition's final read. */
export function checkQueue(sends: readonly SendRecord[], finalReads: readonly PartitionRead[]): QueueResult {
  const r: QueueResult = {
    acknowledged: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    unexpected: 0,
    indeterminate: 0,
    indeterminateFound: 0,
    examples: { lost: [], duplicated: [], reordered: [], unexpected: [] },
  };
  const partitions = new Set([...sends.map((s) => s.partition), ...finalReads.map((x) => x.partition)]);
  for (const partition of [...partitions].sort((a, b) => a - b)) {
    // Acknowledgement rank of each acknowledged value, in the order the producer got the acks.
    const ackRank = new Map<string, number>();
    const attempted = new Set<string>();
    const unacked = new Set<string>();
    for (const s of sends) {
      if (s.partition !== partition) continue;
      for (const v of s.values) {
        attempted.add(v);
        if (s.acked) ackRank.set(v, ackRank.size);
        else unacked.add(v);
      }
    }
    const read = finalReads.find((x) => x.partition === partition)?.records ?? [];
    const seen = new Map<string, number>();
    let rankMax = -1;
    for (const { offset, value } of read) {
      const copies = (seen.get(value) ?? 0) + 1;
      seen.set(value, copies);
      if (copies > 1) {
        r.duplicated++;
        pushExample(r.examples.duplicated, `p${partition} ${value} again at offset ${offset}`);
        continue;
      }
      if (!attempted.has(value)) {
        r.unexpected++;
        pushExample(r.examples.unexpected, `p${partition} offset ${offset}: ${value}`);
        continue;
      }
      const rank = ackRank.get(value);
      if (rank === undefined) continue;
      if (rank < rankMax) {
        r.reordered++;
        pushExample(r.examples.reordered, `p${partition} ${value} at offset ${offset} after a record acknowledged later`);
      }
      rankMax = Math.max(rankMax, rank);
    }
    r.acknowledged += ackRank.size;
    for (const v of ackRank.keys()) {
      if (!seen.has(v)) {
        r.lost++;
        pushExample(r.examples.lost, `p${partition} ${v}`);
      }
    }
    // A value sent twice (acked once, unacked once) is counted once, as acknowledged.
    for (const v of unacked) {
      if (ackRank.has(v)) continue;
      r.indeterminate++;
      if (seen.has(v)) r.indeterminateFound++;
    }
  }
  return r;
}

/**
 * The list-append checker over offsets, fed one read at a time (a long run makes many reads of
 * long partitions, so reads are not kept): it remembers the first record seen at each offset.
 */
export class ListAppendChecker {
  /** Per partition: the record first seen at each offset (holes are offsets not seen yet). */
  readonly #seen = new Map<number, string[]>();
  readonly #counts = anomaliesByKind([]);
  /** The first anomalies, for the report. */
  readonly examples: Anomaly[] = [];

  #add(a: Anomaly): void {
    this.#counts[a.kind]++;
    if (this.examples.length < ANOMALY_EXAMPLES_MAX) this.examples.push(a);
  }

  get counts(): Record<AnomalyKind, number> {
    return { ...this.#counts };
  }

  observe(read: PartitionRead): void {
    let seen = this.#seen.get(read.partition);
    if (!seen) this.#seen.set(read.partition, (seen = []));
    const inRead = new Map<number, string>();
    let offsetMin = Infinity;
    let offsetMax = -1;
    for (const { offset, value } of read.records) {
      const other = inRead.get(offset);
      if (other !== undefined) {
        this.#add({ kind: 'duplicate-offset', partition: read.partition, offset, detail: `${other} and ${value} in one read` });
        continue;
      }
      inRead.set(offset, value);
      offsetMin = Math.min(offsetMin, offset);
      offsetMax = Math.max(offsetMax, offset);
      const before = seen[offset];
      if (before === undefined) seen[offset] = value;
      else if (before !== value) this.#add({ kind: 'offset-changed', partition: read.partition, offset, detail: `${before}, later ${value}` });
    }
    // Offsets start where the log starts (no retention deletes here): the first offset read.
    for (let o = offsetMin; o < offsetMax; o++) {
      if (!inRead.has(o)) this.#add({ kind: 'offset-gap', partition: read.partition, offset: o, detail: `no record at ${o} below ${offsetMax}` });
    }
  }

  /** Every acknowledged record must sit at the offset its produce response gave, in the final reads. */
  checkAcks(sends: readonly SendRecord[], finals: readonly PartitionRead[]): void {
    const byPartition = new Map(finals.map((x) => [x.partition, new Map(x.records.map((y) => [y.offset, y.value]))]));
    for (const s of sends) {
      if (!s.acked || s.baseOffset === undefined) continue;
      const final = byPartition.get(s.partition);
      if (!final) continue;
      s.values.forEach((v, i) => {
        const offset = s.baseOffset! + i;
        const there = final.get(offset);
        if (there !== v) this.#add({ kind: 'ack-offset-mismatch', partition: s.partition, offset, detail: `acknowledged ${v} at ${offset}, read ${there ?? 'nothing'}` });
      });
    }
  }
}

const ANOMALY_EXAMPLES_MAX = 20;

/** The list-append checker over a whole history (intermediate and final reads). */
export function checkListAppend(sends: readonly SendRecord[], reads: readonly PartitionRead[]): { counts: Record<AnomalyKind, number>; examples: Anomaly[] } {
  const checker = new ListAppendChecker();
  for (const r of reads) checker.observe(r);
  checker.checkAcks(sends, reads.filter((r) => r.final));
  return { counts: checker.counts, examples: checker.examples };
}

/** Anomalies counted by kind (every kind listed, zeros included). */
export function anomaliesByKind(anomalies: readonly Anomaly[]): Record<AnomalyKind, number> {
  const out: Record<AnomalyKind, number> = { 'duplicate-offset': 0, 'offset-changed': 0, 'ack-offset-mismatch': 0, 'offset-gap': 0 };
  for (const a of anomalies) out[a.kind]++;
  return out;
}
