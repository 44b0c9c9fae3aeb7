/**
 * Goal: the checkers of the fault runs count what they claim to count, so that "lost 0, no
 * anomaly" from a run means something: each kind of problem, planted in a small history, is found
 * and counted, and a clean history has none.
 *
 * Method: hand-written histories (sends with acknowledgements and offsets, reads per partition)
 * given to checkQueue and checkListAppend.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkListAppend, checkQueue, type PartitionRead, type SendRecord } from './checker.js';

const sends: SendRecord[] = [
  { partition: 0, values: ['a0', 'a1'], acked: true, baseOffset: 0 },
  { partition: 0, values: ['a2'], acked: false },
  { partition: 0, values: ['a3'], acked: true, baseOffset: 3 },
  { partition: 1, values: ['b0'], acked: true, baseOffset: 0 },
];

function read(partition: number, values: string[], final = true, from = 0): PartitionRead {
  return { partition, final, records: values.map((value, i) => ({ offset: from + i, value })) };
}

describe('fault-run checkers', () => {
  it('a clean history: everything acknowledged read once, in order; unacknowledged ones may be there', () => {
    const finals = [read(0, ['a0', 'a1', 'a2', 'a3']), read(1, ['b0'])];
    const q = checkQueue(sends, finals);
    assert.deepEqual([q.acknowledged, q.lost, q.duplicated, q.reordered, q.unexpected, q.indeterminate, q.indeterminateFound], [4, 0, 0, 0, 0, 1, 1]);
    const earlier = [read(0, ['a0', 'a1'], false), read(1, [], false)];
    assert.deepEqual(checkListAppend(sends, [...earlier, ...finals]).examples, []);
  });

  it('counts lost, duplicated, reordered and unexpected records', () => {
    const finals = [read(0, ['a1', 'a0', 'a1', 'zz']), read(1, [])];
    const q = checkQueue(sends, finals);
    assert.equal(q.lost, 2, 'a3 and b0 were acknowledged and are gone');
    assert.equal(q.duplicated, 1);
    assert.equal(q.reordered, 1, 'a0 after a1');
    assert.equal(q.unexpected, 1);
    assert.deepEqual(q.examples.lost, ['p0 a3', 'p1 b0']);
  });

  it('finds offsets that change their record, duplicate offsets, gaps and acknowledged offsets that moved', () => {
    const reads: PartitionRead[] = [
      read(0, ['a0', 'a1'], false),
      { partition: 0, final: false, records: [{ offset: 0, value: 'a0' }, { offset: 0, value: 'a1' }] },
      { partition: 0, final: true, records: [{ offset: 0, value: 'a0' }, { offset: 1, value: 'x' }, { offset: 3, value: 'a3' }] },
      read(1, ['b0']),
    ];
    const kinds = checkListAppend(sends, reads).counts;
    assert.deepEqual(kinds, { 'duplicate-offset': 1, 'offset-changed': 1, 'ack-offset-mismatch': 1, 'offset-gap': 1 });
  });
});
