/**
 * Goal: replica assignment spreads leaders and followers across brokers as Kafka does, and keeps
 * replicas of a partition on distinct racks when broker.rack is set.
 * Method: pure function calls over small broker sets; counts of leaders/replicas per broker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssignmentError, assignReplicas, rackAlternated } from '../../src/cluster/replica-assignment.js';

const brokers = (n: number, racks?: string[]) => Array.from({ length: n }, (_, i) => ({ id: i, rack: racks ? racks[i]! : null }));

describe('replica assignment', () => {
  it('gives the tutorial layout for 1 partition, RF 3, start 1', () => {
    assert.deepEqual(assignReplicas({ brokers: brokers(3), partitions: 1, replicationFactor: 3, startIndex: 1, shift: 0 }), [[1, 2, 0]]);
  });

  it('spreads leaders evenly and never repeats a broker in a partition', () => {
    const a = assignReplicas({ brokers: brokers(5), partitions: 20, replicationFactor: 3, startIndex: 2, shift: 1 });
    const leaders = new Map<number, number>();
    const replicas = new Map<number, number>();
    for (const r of a) {
      assert.equal(new Set(r).size, 3);
      leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
      for (const id of r) replicas.set(id, (replicas.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...leaders.values()], [4, 4, 4, 4, 4]);
    assert.deepEqual([...replicas.values()], [12, 12, 12, 12, 12]);
  });

  it('followers of one broker\'s partitions land on different brokers (shift grows every n partitions)', () => {
    const a = assignReplicas({ brokers: brokers(4), partitions: 8, replicationFactor: 2, startIndex: 0, shift: 0 });
    const followersOf0 = a.filter((r) => r[0] === 0).map((r) => r[1]);
    assert.equal(new Set(followersOf0).size, followersOf0.length);
  });

  it('refuses a replication factor above the broker count', () => {
    assert.throws(() => assignReplicas({ brokers: brokers(2), partitions: 1, replicationFactor: 3, startIndex: 0, shift: 0 }), AssignmentError);
  });

  it('alternates racks and puts each partition\'s replicas on distinct racks', () => {
    const b = brokers(6, ['a', 'a', 'b', 'b', 'c', 'c']);
    assert.deepEqual(rackAlternated(b), [0, 2, 4, 1, 3, 5]);
    const a = assignReplicas({ brokers: b, partitions: 12, replicationFactor: 3, startIndex: 0, shift: 0 });
    const rack = (id: number) => b[id]!.rack;
    for (const r of a) assert.equal(new Set(r.map(rack)).size, 3, `replicas ${r} span 3 racks`);
  });

  it('with fewer racks than replicas, uses every rack and then any broker', () => {
    const b = brokers(4, ['a', 'a', 'b', 'b']);
    const a = assignReplicas({ brokers: b, partitions: 4, replicationFactor: 3, startIndex: 1, shift: 0 });
    for (const r of a) {
      assert.equal(new Set(r).size, 3);
      assert.equal(new Set(r.map((id) => b[id]!.rack)).size, 2);
    }
  });

  it('refuses a mix of brokers with and without racks', () => {
    assert.throws(() => assignReplicas({ brokers: [{ id: 0, rack: 'a' }, { id: 1, rack: null }], partitions: 1, replicationFactor: 1, startIndex: 0, shift: 0 }), AssignmentError);
  });
});
