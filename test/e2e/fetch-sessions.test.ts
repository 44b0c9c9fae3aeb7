/**
 * Goal: fetch sessions (KIP-227) behave as Kafka's: a full fetch with epoch 0 opens a session and is
 * answered in full with its id; incremental fetches list only what changed, are answered with only
 * the partitions that have records or a new high watermark / log start offset, keep fetching the
 * partitions they do not list (a parked incremental fetch wakes for data on one of them), stop
 * fetching forgotten ones; a wrong epoch, an unknown or closed session and a switch between topic
 * names (v12) and ids (v13) get Kafka's top-level errors; the cache bound falls back to fetches
 * without a session. Followers use sessions: a 3-broker cluster replicates through them (the
 * replication tests run on them too) and the leader reports the sessions it holds.
 *
 * Method: an in-process broker with 3 partitions, records written with kcat, Fetch v12/v13 sent on a
 * raw connection with our codec; a second broker with max.incremental.fetch.session.cache.slots=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fetchApi, type FetchRequest, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { metadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { kcat, requireKcat, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { RawConnection } from '../helpers/raw-kafka.js';

const TOPIC = 'sessions';

type Part = { partition: number; fetchOffset: number };

function request(sessionId: number, sessionEpoch: number, parts: Part[], opts: { forget?: number[]; maxWaitMs?: number; topicId?: string } = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics:
      parts.length === 0
        ? []
        : [
            {
              topic: TOPIC,
              topicId: opts.topicId ?? '00000000-0000-0000-0000-000000000000',
              partitions: parts.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: BigInt(p.fetchOffset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 })),
            },
          ],
    forgottenTopicsData: opts.forget ? [{ topic: TOPIC, topicId: opts.topicId ?? '00000000-0000-0000-0000-000000000000', partitions: opts.forget }] : [],
    rackId: '',
  };
}

/** partition → number of record bytes in the answer, for the partitions answered. */
function answered(r: FetchResponse): Map<number, number> {
  return new Map(r.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.records?.length ?? 0] as const)));
}

describe('fetch sessions (KIP-227)', () => {
  let b: StartedBroker;
  let c: RawConnection;
  const fetch = (req: FetchRequest, version = 12): Promise<FetchResponse> => c.request<FetchResponse>(fetchApi, version, req as never, 15_000);
  const produce = (partition: number, value: string): Promise<unknown> => kcat(['-b', b.bootstrap, '-P', '-t', TOPIC, '-p', String(partition)], { input: `${value}\n` });

  before(async () => {
    await requireKcat();
    b = await startBroker({ overrides: ['num.partitions=3'] });
    for (const p of [0, 1, 2]) {
      await waitFor(async () => {
        try {
          await produce(p, `first-${p}`);
          return true;
        } catch {
          return false; // the auto-created partition has no leader yet
        }
      }, { timeoutMs: 15_000, what: `a first record on partition ${p}` });
    }
    c = await RawConnection.connect(b.port);
  });
  after(async () => {
    c?.close();
    await b?.stop();
  });

  it('opens a session with a full fetch, then answers only what changed', async () => {
    const all = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 }));
    const full = await fetch(request(0, 0, all));
    assert.equal(full.errorCode, ErrorCode.NONE);
    assert.notEqual(full.sessionId, 0, 'a session was opened');
    assert.deepEqual([...answered(full).keys()].sort(), [0, 1, 2], 'the opening fetch is answered in full');
    const id = full.sessionId;

    // Epoch 1, nothing listed: the session still fetches every partition at offset 0, which has
    // records, so all three come back (records are "something new" each time they are returned).
    const again = await fetch(request(id, 1, []));
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.equal(again.sessionId, id);
    assert.deepEqual([...answered(again).keys()].sort(), [0, 1, 2]);

    // Move every partition to its end: nothing new to answer.
    const ends = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 1 }));
    const caughtUp = await fetch(request(id, 2, ends));
    assert.equal(caughtUp.errorCode, ErrorCode.NONE);
    assert.deepEqual([...answered(caughtUp).keys()], [], 'no partition has anything new');

    // A record on partition 1: only partition 1 is answered, with its record and new high watermark.
    await produce(1, 'second-1');
    const one = await fetch(request(id, 3, []));
    assert.deepEqual([...answered(one).keys()], [1]);
    assert.ok(answered(one).get(1)! > 0);
    assert.equal(one.responses[0]!.partitions[0]!.highWatermark, 2n);
    await fetch(request(id, 4, [{ partition: 1, fetchOffset: 2 }]));

    // A parked incremental fetch that lists nothing wakes for data on a session partition.
    const started = Date.now();
    const parked = fetch(request(id, 5, [], { maxWaitMs: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await produce(2, 'second-2');
    const woken = await parked;
    assert.ok(Date.now() - started < 8000, 'answered when the data arrived, not at maxWaitMs');
    assert.deepEqual([...answered(woken).keys()], [2]);

    // Forget partition 2: new data there is no longer fetched in this session.
    await fetch(request(id, 6, [], { forget: [2] }));
    await produce(2, 'third-2');
    const forgotten = await fetch(request(id, 7, []));
    assert.deepEqual([...answered(forgotten).keys()], [], 'partition 2 was forgotten');

    // Kafka's session errors.
    const wrongEpoch = await fetch(request(id, 7, []));
    assert.equal(wrongEpoch.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    const unknown = await fetch(request(id + 1000, 1, []));
    assert.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const meta = await c.request<MetadataResponse>(metadataApi, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false } as never);
    const topicId = meta.topics[0]!.topicId;
    const byId = await fetch(request(id, 8, [], { topicId }), 13);
    assert.equal(byId.errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, 'a v12 (by name) session used with v13 (by id)');
    // Closing (epoch -1) answers as a fetch without a session; the session is gone afterwards.
    const closing = await fetch(request(id, -1, [{ partition: 0, fetchOffset: 0 }]));
    assert.equal(closing.sessionId, 0);
    assert.deepEqual([...answered(closing).keys()], [0]);
    const closed = await fetch(request(id, 9, []));
    assert.equal(closed.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('serves v13 sessions by topic id, and fetches without a session as before', async () => {
    const meta = await c.request<MetadataResponse>(metadataApi, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false } as never);
    const topicId = meta.topics[0]!.topicId;
    const full = await fetch(request(0, 0, [{ partition: 0, fetchOffset: 0 }], { topicId }), 13);
    assert.notEqual(full.sessionId, 0);
    assert.equal(full.responses[0]!.topicId, topicId);
    const inc = await fetch(request(full.sessionId, 1, [{ partition: 0, fetchOffset: 1 }], { topicId }), 13);
    assert.equal(inc.errorCode, ErrorCode.NONE);
    assert.deepEqual([...answered(inc).keys()], []);
    const plain = await fetch(request(0, -1, [{ partition: 0, fetchOffset: 0 }]));
    assert.equal(plain.sessionId, 0);
    assert.deepEqual([...answered(plain).keys()], [0]);
  });

  it('with no room in the cache, fetches run without a session', async () => {
    const small = await startBroker({ overrides: ['num.partitions=1', 'max.incremental.fetch.session.cache.slots=1'] });
    const c2 = await RawConnection.connect(small.port);
    try {
      const f = (req: FetchRequest): Promise<FetchResponse> => c2.request<FetchResponse>(fetchApi, 12, req as never, 15_000);
      const first = await f(request(0, 0, [{ partition: 0, fetchOffset: 0 }]));
      assert.notEqual(first.sessionId, 0);
      const second = await f(request(0, 0, [{ partition: 0, fetchOffset: 0 }]));
      assert.equal(second.sessionId, 0, 'the one slot is taken by a session used just now');
      assert.equal(second.errorCode, ErrorCode.NONE);
      const stillThere = await f(request(first.sessionId, 1, []));
      assert.equal(stillThere.errorCode, ErrorCode.NONE);
    } finally {
      c2.close();
      await small.stop();
    }
  });
});
