/**
 * Goal: transaction markers replicate like data: followers record the COMMIT / ABORT control
 * batches into their producer state and txn index, so after a failover the new leader answers the
 * same last stable offset and aborted-transaction list, keeps the open transaction open, still
 * fences a marker from an older coordinator epoch, and a real read_committed consumer (kcat) reading
 * from it sees only committed records.
 *
 * Method: three in-process brokers (test/replication/fixture.ts: whole Brokers, replica fetchers
 * over real sockets, a scripted controller that elects when told). Transactional data and markers
 * are written on the leader in-process (ReplicaManager.appendAsLeader / appendControlAsLeader with
 * acks=all; markers come from the transaction coordinator's WriteTxnMarkers, another module). The
 * spawned-process cluster of test/helpers/cluster.ts cannot be used here: no client can write a
 * marker until WriteTxnMarkers exists.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ProducerStateError } from '../../src/storage/producer-state.js';
import { codeForPartitionFailure } from '../../src/handlers/errors.js';
import { kcat, requireKcat } from '../helpers/broker.js';
import { buildBatch } from '../helpers/batches.js';
import { startCluster, waitUntil, type Cluster, type Node } from './fixture.js';

const TOPIC = 'txn';
const T1 = 501n;
const T2 = 502n;
const T3 = 503n;

describe('transaction markers across replicas', () => {
  let c: Cluster | null = null;
  afterEach(async () => {
    await c?.stopAll();
    c = null;
  });

  it('followers replicate markers; after failover the new leader has the same LSO and aborted list', async () => {
    await requireKcat();
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=30000'] });
    await c.controller.addTopic(TOPIC, [[1, 2, 3]]);
    await waitUntil('broker 1 to lead', () => {
      try {
        c!.node(1).replicas.leaderLog(TOPIC, 0);
        return true;
      } catch {
        return false;
      }
    });
    const leader = c.node(1).replicas;
    const seqs = new Map<bigint, number>();
    const data = async (pid: bigint, value: string): Promise<number> => {
      const seq = seqs.get(pid) ?? 0;
      seqs.set(pid, seq + 1);
      const b = buildBatch({ records: [{ value }], producerId: Number(pid), producerEpoch: 0, baseSequence: seq, transactional: true, baseTimestampMs: Date.now() });
      return (await leader.appendAsLeader(TOPIC, 0, b, { requiredAcks: -1 })).baseOffset;
    };
    await data(T1, 'aborted-a'); // 0
    await data(T2, 'committed-a'); // 1
    await data(T1, 'aborted-b'); // 2
    await leader.appendControlAsLeader(TOPIC, 0, { producerId: T1, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 3
    await data(T2, 'committed-b'); // 4
    await leader.appendControlAsLeader(TOPIC, 0, { producerId: T2, producerEpoch: 0, coordinatorEpoch: 0, commit: true }); // 5
    const openAt = await data(T3, 'open'); // 6
    const leaderLog = leader.leaderLog(TOPIC, 0);
    const end = leaderLog.logEndOffset;
    const expectedAborted = [{ producerId: T1, firstOffset: 0 }];
    assert.deepEqual(leaderLog.abortedTransactions(0, end), expectedAborted);
    assert.equal(leaderLog.lastStableOffset, openAt);

    const replicaLog = (n: Node) => n.logs.getLog(TOPIC, 0)!;
    await waitUntil('followers to hold the whole log and the high watermark', () =>
      [2, 3].every((id) => replicaLog(c!.node(id)).logEndOffset === end && replicaLog(c!.node(id)).highWatermark === end),
    );
    for (const id of [2, 3]) {
      const log = replicaLog(c.node(id));
      assert.deepEqual(log.abortedTransactions(0, end), expectedAborted, `replica ${id} indexed the abort`);
      assert.equal(log.ongoingTxnFirstOffset(T3), openAt, `replica ${id} knows the open transaction`);
      assert.equal(log.lastStableOffset, openAt, `replica ${id} LSO`);
    }

    // The leader dies; replica 2 takes over with 3.
    await c.crash(1);
    await c.controller.elect(TOPIC, 0, 2, [2, 3]);
    const newLeader = c.node(2).replicas;
    await waitUntil('replica 2 to lead with the high watermark at the log end', () => {
      try {
        const log = newLeader.leaderLog(TOPIC, 0);
        return log.highWatermark === log.logEndOffset;
      } catch {
        return false;
      }
    });
    const newLog = newLeader.leaderLog(TOPIC, 0);
    assert.equal(newLog.lastStableOffset, openAt, 'the open transaction still holds the LSO');
    assert.deepEqual(newLog.abortedTransactions(0, newLog.logEndOffset), expectedAborted);

    // A marker from a newer coordinator ends T3; one from the older coordinator epoch is fenced.
    await newLeader.appendControlAsLeader(TOPIC, 0, { producerId: T3, producerEpoch: 0, coordinatorEpoch: 1, commit: true });
    assert.equal(newLog.lastStableOffset, newLog.logEndOffset);
    await assert.rejects(newLeader.appendControlAsLeader(TOPIC, 0, { producerId: T3, producerEpoch: 0, coordinatorEpoch: 0, commit: false }), (err: unknown) => {
      assert.ok(err instanceof ProducerStateError && err.kind === 'transactionCoordinatorFenced');
      assert.equal(codeForPartitionFailure(err), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
      return true;
    });
    await waitUntil('replica 3 to replicate the new marker', () => replicaLog(c!.node(3)).logEndOffset === newLog.logEndOffset);
    assert.equal(replicaLog(c.node(3)).ongoingTxnFirstOffset(T3), null);

    const k = await kcat(['-C', '-b', `127.0.0.1:${c.node(2).port}`, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\\n'], {
      timeoutMs: 30_000,
    });
    assert.deepEqual(k.stdout.trim().split('\n'), ['committed-a', 'committed-b', 'open']);
  });
});
