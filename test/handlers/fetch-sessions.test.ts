/**
 * Goal: the fetch session cache (src/handlers/fetch-sessions.ts) keeps its bound the way Kafka's
 * does: when full, a new session replaces the least recently used one idle for
 * min.incremental.fetch.session.eviction.ms, or a consumer's session when the newcomer is a
 * follower; otherwise the fetch gets no session. Epochs wrap from 2^31-1 to 1; sessions of one
 * fetcher are not usable by another replica id.
 * Method: the cache alone with hand-made requests and a hand-moved clock (no broker).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchSessionCache, type SessionResolution } from '../../src/handlers/fetch-sessions.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { FetchRequest } from '../../src/protocol/messages/fetch.js';

function req(replicaId: number, sessionId: number, sessionEpoch: number): FetchRequest {
  return {
    clusterId: null,
    replicaId,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics: [{ topic: 't', topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}
const idOf = (r: SessionResolution): number => (r.kind === 'session' ? r.session.id : 0);

describe('fetch session cache', () => {
  it('evicts an idle session, or a consumer session for a follower, and otherwise declines', () => {
    const cache = new FetchSessionCache(() => ({ slotsMax: 2, evictionMs: 1000 }));
    const a = idOf(cache.resolve(req(-1, 0, 0), 12, 0));
    const f = idOf(cache.resolve(req(1, 0, 0), 12, 10));
    assert.ok(a > 0 && f > 0 && a !== f);
    assert.equal(cache.resolve(req(-1, 0, 0), 12, 20).kind, 'sessionless', 'full, nothing idle: no session for a consumer');
    const f2 = idOf(cache.resolve(req(2, 0, 0), 12, 30));
    assert.ok(f2 > 0, 'a follower takes the consumer session');
    assert.deepEqual(cache.resolve(req(-1, a, 1), 12, 40), { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND }, 'the consumer session was evicted');
    assert.equal(cache.size, 2);
    // Follower 1's session was used at 10 ms: idle for 1000 ms at 1010, so a consumer may take it.
    const late = idOf(cache.resolve(req(-1, 0, 0), 12, 1010));
    assert.ok(late > 0);
    assert.equal(cache.resolve(req(1, f, 1), 12, 1020).kind, 'error', 'the evicted follower session is gone');
  });

  it('checks the epoch and the replica id, and wraps the epoch to 1', () => {
    const cache = new FetchSessionCache(() => ({ slotsMax: 10, evictionMs: 1000 }));
    const opened = cache.resolve(req(-1, 0, 0), 12, 0);
    assert.equal(opened.kind, 'session');
    const session = (opened as Extract<SessionResolution, { kind: 'session' }>).session;
    const wrong = cache.resolve(req(-1, session.id, 2), 12, 1);
    assert.deepEqual(wrong, { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
    assert.deepEqual(cache.resolve(req(5, session.id, 1), 12, 1), { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH }, 'another replica id');
    assert.equal(cache.resolve(req(-1, session.id, 1), 12, 1).kind, 'session');
    session.nextEpoch = 0x7fffffff;
    assert.equal(cache.resolve(req(-1, session.id, 0x7fffffff), 12, 2).kind, 'session');
    assert.equal(session.nextEpoch, 1);
    assert.equal(cache.resolve(req(-1, session.id, 1), 12, 3).kind, 'session');
  });

  it('keeps no session at all with 0 slots', () => {
    const cache = new FetchSessionCache(() => ({ slotsMax: 0, evictionMs: 1000 }));
    assert.equal(cache.resolve(req(-1, 0, 0), 12, 0).kind, 'sessionless');
    assert.equal(cache.size, 0);
  });
});
