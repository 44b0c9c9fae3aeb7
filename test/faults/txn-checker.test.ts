/**
 * Goal: the transaction checkers count what they claim, so that "0 anomalies" from a transactional
 * fault run means something: each anomaly kind, planted in a small history, is found and counted
 * once, and a clean history has none.
 *
 * Method: hand-written writer histories, final reads and live reads given to checkTransactions,
 * and input/output lists given to checkPipeline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPipeline, checkTransactions, emptyAnomalies, type SeenRecord, type TxnAnomalyKind, type TxnHistory } from './txn-checker.js';

function txn(t: number, outcome: TxnHistory['outcome'], parts: number[], commitStartMs: number | null = outcome === 'aborted' ? null : 1000 + t): TxnHistory {
  return { writer: 'w0', txn: t, outcome, commitStartMs, records: parts.map((partition, i) => ({ value: `w0-t${t}-r${i}`, partition })) };
}

const histories: TxnHistory[] = [txn(0, 'committed', [0, 1]), txn(1, 'aborted', [0, 1]), txn(2, 'committed', [0]), txn(3, 'unknown', [1, 1]), txn(4, 'unknown', [0])];

/** A read of the given values, offsets counted per partition in the order given. */
function read(entries: Array<[string, number]>, seenMs?: number): SeenRecord[] {
  const next = new Map<number, number>();
  return entries.map(([value, partition]) => {
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    return { value, partition, offset, ...(seenMs === undefined ? {} : { seenMs }) };
  });
}

const clean: Array<[string, number]> = [
  ['w0-t0-r0', 0],
  ['w0-t0-r1', 1],
  ['w0-t2-r0', 0],
  ['w0-t3-r0', 1],
  ['w0-t3-r1', 1],
];

function only(kind: TxnAnomalyKind, n = 1): Record<TxnAnomalyKind, number> {
  return { ...emptyAnomalies(), [kind]: n };
}

describe('transaction checkers', () => {
  it('a clean history has no anomaly; unknown outcomes may be all there or all absent', () => {
    const r = checkTransactions(histories, read(clean), read(clean, 5000));
    assert.deepEqual(r.anomalies, emptyAnomalies(), JSON.stringify(r.examples));
    assert.deepEqual(r.transactions, { committed: 2, aborted: 1, unknown: 2 });
    assert.equal(r.recordsRead, 5);
  });

  it('finds each planted anomaly', () => {
    const cases: Array<{ kind: TxnAnomalyKind; final: Array<[string, number]>; live?: SeenRecord[]; n?: number }> = [
      { kind: 'aborted-read', final: [...clean.slice(0, 2), ['w0-t1-r0', 0], ['w0-t1-r1', 1], ...clean.slice(2)], n: 2 },
      { kind: 'lost-write', final: clean.filter(([v]) => v !== 'w0-t2-r0') },
      { kind: 'torn-transaction', final: clean.filter(([v]) => v !== 'w0-t3-r1') },
      { kind: 'duplicate', final: [...clean, ['w0-t2-r0', 0]] },
      { kind: 'unexpected', final: [...clean, ['nobody', 0]] },
      { kind: 'order', final: [['w0-t2-r0', 0], ['w0-t0-r0', 0], ['w0-t0-r1', 1], ['w0-t3-r0', 1], ['w0-t3-r1', 1]] },
      { kind: 'uncommitted-read', final: clean, live: [{ value: 'w0-t2-r0', partition: 0, offset: 1, seenMs: 1001 }] },
      { kind: 'uncommitted-read', final: clean, live: [{ value: 'w0-t4-r0', partition: 0, offset: 2, seenMs: 1 }] },
      { kind: 'aborted-read', final: clean, live: [{ value: 'w0-t1-r0', partition: 0, offset: 1, seenMs: 9999 }] },
    ];
    const noCommit = histories.map((h) => (h.txn === 4 ? { ...h, commitStartMs: null } : h));
    for (const c of cases) {
      const r = checkTransactions(noCommit, read(c.final), c.live ?? []);
      const expected = only(c.kind, c.n ?? 1);
      // A lost write of a one-record transaction is not torn (nothing of it was read); a torn committed one is also lost.
      assert.deepEqual(r.anomalies, expected, `${c.kind}: ${JSON.stringify(r.examples)}`);
      assert.ok(r.examples.every((e) => e.kind === c.kind && e.detail.length > 0));
    }
  });

  it('a partially read committed transaction counts as lost and torn', () => {
    const r = checkTransactions(histories, read(clean.filter(([v]) => v !== 'w0-t0-r1')), []);
    assert.deepEqual(r.anomalies, { ...emptyAnomalies(), 'lost-write': 1, 'torn-transaction': 1 });
  });

  it('the pipeline check finds lost, duplicated, reordered and foreign outputs', () => {
    const inputs = [0, 1, 2, 3, 4, 5].map((seq) => ({ key: `k${seq % 2}`, seq }));
    const outputs = inputs.map((i) => ({ ...i }));
    assert.deepEqual(checkPipeline(inputs, outputs).anomalies, emptyAnomalies());
    assert.deepEqual(checkPipeline(inputs, outputs.slice(1)).anomalies, only('pipeline-lost'));
    assert.deepEqual(checkPipeline(inputs, [...outputs, { key: 'k1', seq: 5 }]).anomalies, only('pipeline-duplicate'));
    const swapped = [outputs[2]!, outputs[0]!, outputs[1]!, outputs[3]!, outputs[4]!, outputs[5]!];
    assert.deepEqual(checkPipeline(inputs, swapped).anomalies, only('pipeline-order'));
    assert.deepEqual(checkPipeline(inputs, [...outputs.slice(0, 5), { key: 'k0', seq: 5 }]).anomalies, only('unexpected'));
  });
});
