/**
 * Goal: ElectLeaders answers what a preferred election's controller reports, and when the
 * controller fails, an admin client can tell a transient failure (ZooKeeper connection lost or
 * session expired: REQUEST_TIMED_OUT, which clients retry) from a real one (UNKNOWN_SERVER_ERROR),
 * with the reason on every partition. (The simulator's admin requests found the first answered
 * as UNKNOWN_SERVER_ERROR: seeds 100021, 100050.)
 * Method: the handler against the admin fixture's controller, given an electPreferredLeaders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoordinationError } from '../../src/cluster/coordination/coordination.js';
import type { PreferredElectionResult } from '../../src/cluster/controller.js';
import { electLeadersHandler } from '../../src/handlers/elect-leaders.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { ElectLeadersResponse } from '../../src/protocol/messages/elect-leaders.js';
import { adminFixture } from './admin-fixture.js';

async function electWith(elect: () => Promise<PreferredElectionResult[]>): Promise<ElectLeadersResponse> {
  const fx = await adminFixture();
  await fx.createTopic('t', 2);
  Object.assign(fx.controller, { electPreferredLeaders: elect });
  return fx.call<ElectLeadersResponse>(electLeadersHandler, 1, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0, 1] }], timeoutMs: 5000 });
}

describe('ElectLeaders (preferred)', () => {
  it("answers each partition with the controller's result", async () => {
    const res = await electWith(async () => [
      { topic: 't', partition: 0, result: 'elected' },
      { topic: 't', partition: 1, result: 'electionNotNeeded' },
    ]);
    assert.deepEqual(res.replicaElectionResults[0]!.partitionResult.map((p) => p.errorCode), [ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED]);
  });

  for (const kind of ['connectionLoss', 'sessionExpired'] as const) {
    it(`a ZooKeeper ${kind} mid-election is REQUEST_TIMED_OUT (retriable), with the reason`, async () => {
      const res = await electWith(async () => {
        throw new CoordinationError(kind, '/admin/preferred_replica_election', 'ZooKeeper did not answer');
      });
      for (const p of res.replicaElectionResults[0]!.partitionResult) {
        assert.equal(p.errorCode, ErrorCode.REQUEST_TIMED_OUT);
        assert.match(p.errorMessage ?? '', /ZooKeeper did not answer/);
      }
    });
  }

  it('any other failure is UNKNOWN_SERVER_ERROR, with the reason', async () => {
    const res = await electWith(async () => {
      throw new Error('something else broke');
    });
    assert.deepEqual(res.replicaElectionResults[0]!.partitionResult.map((p) => [p.errorCode, p.errorMessage]), [
      [ErrorCode.UNKNOWN_SERVER_ERROR, 'something else broke'],
      [ErrorCode.UNKNOWN_SERVER_ERROR, 'something else broke'],
    ]);
  });
});
