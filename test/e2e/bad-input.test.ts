/**
 * Goal: hostile or broken input on a client socket costs that client its connection (or gets a
 * precise error code), never the broker: requests that are too big, negative, unknown, of
 * unsupported versions, truncated or random are handled promptly; a record batch (or a legacy
 * magic 0/1 message) with a wrong CRC is refused with CORRUPT_MESSAGE and not stored; pipelined
 * requests are answered strictly in order; and afterwards a real client (kcat) still produces and consumes.
 *
 * Method: one in-process broker with socket.request.max.bytes=1 MiB. Raw node:net sockets send
 * frames built with our own codec (ApiCodec + request header) or by hand. "Closed promptly" means
 * the broker closes the socket within 3 s without a response; for an oversized frame only the size
 * prefix and a few bytes are sent, so a broker that tried to buffer the whole frame would never
 * close. Random frames come from fast-check (300 runs; the seed is printed on failure and
 * SAMSA_E2E_SEED=<seed> replays it); for each, the broker must close the connection or answer
 * with the request's correlation id. After every step a fresh connection must still get an
 * ApiVersions answer.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { kcat, requireKcat, startBroker, type StartedBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { RawConnection, buildBatch, decodeResponseFrame, encodeRequestFrame } from '../helpers/raw-kafka.js';
import { apiVersionsApi, type ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js';
import { metadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Writer } from '../../src/protocol/primitives.js';
import type { ApiDef } from '../../src/protocol/schema.js';

const REQUEST_BYTES_MAX = 1024 * 1024;
const PROMPTLY_MS = 3000;

/** A frame: int32 size then the given bytes. */
function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** A request header (v1: apiKey, apiVersion, correlationId, clientId) followed by `rest`. */
function headerThen(apiKey: number, apiVersion: number, correlationId: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const w = new Writer();
  w.int16(apiKey).int16(apiVersion).int32(correlationId).string('samsa-e2e', false);
  return Buffer.concat([w.toBuffer(), rest]);
}

describe('bad input on the wire', () => {
  let b: StartedBroker;

  before(async () => {
    await requireKcat();
    b = await startBroker({ overrides: [`socket.request.max.bytes=${REQUEST_BYTES_MAX}`, 'num.partitions=1'] });
  });
  after(async () => {
    await b?.stop();
  });

  async function connect(): Promise<RawConnection> {
    return RawConnection.connect(b.port);
  }

  /** A fresh connection still gets a well-formed ApiVersions v3 answer. */
  async function assertAlive(): Promise<void> {
    const c = await connect();
    try {
      const res = await c.request<ApiVersionsResponse>(apiVersionsApi, 3, { clientSoftwareName: 'samsa-e2e', clientSoftwareVersion: '1' });
      assert.equal(res.errorCode, ErrorCode.NONE);
    } finally {
      c.close();
    }
  }

  /** Sends bytes on a new connection and expects the broker to close it promptly, without answering. */
  async function assertClosedWithoutAnswer(bytes: Buffer, what: string): Promise<void> {
    const c = await connect();
    try {
      await c.write(bytes);
      assert.ok(await c.closesWithin(PROMPTLY_MS), `${what}: the broker kept the connection open for ${PROMPTLY_MS} ms`);
      await assert.rejects(c.readFrame(10), /closed|no response/, `${what}: the broker answered`);
    } finally {
      c.close();
    }
    await assertAlive();
  }

  it('closes the connection as soon as a size prefix exceeds socket.request.max.bytes', async () => {
    const prefix = Buffer.alloc(4 + 64, 0x01);
    prefix.writeInt32BE(REQUEST_BYTES_MAX + 1, 0);
    await assertClosedWithoutAnswer(prefix, 'size max+1');
    const huge = Buffer.alloc(4 + 64, 0x01);
    huge.writeInt32BE(0x7fffffff, 0);
    await assertClosedWithoutAnswer(huge, 'size 2^31-1');
  });

  it('accepts a request just under the limit on the same kind of connection', async () => {
    // The limit is on the frame size, not something smaller: a Metadata v1 request padded to
    // nearly 1 MiB by a long topic list still gets its answer (each topic is unknown).
    const names = Array.from({ length: 4000 }, (_, i) => `no-such-topic-${i}-${'p'.repeat(400)}`.slice(0, 249));
    const req = encodeRequestFrame(metadataApi, 4, 1, { topics: names.map((name) => ({ name })), allowAutoTopicCreation: false });
    assert.ok(req.length - 4 < REQUEST_BYTES_MAX && req.length > REQUEST_BYTES_MAX / 2, `request is ${req.length} bytes`);
    const c = await connect();
    try {
      await c.write(req);
      const res = decodeResponseFrame<MetadataResponse>(metadataApi, 4, await c.readFrame(10_000));
      assert.equal(res.body.topics.length, names.length);
      assert.ok(res.body.topics.every((t) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    } finally {
      c.close();
    }
  });

  it('closes the connection on a negative size', async () => {
    const neg = Buffer.alloc(4 + 16, 0);
    neg.writeInt32BE(-1, 0);
    await assertClosedWithoutAnswer(neg, 'size -1');
    neg.writeInt32BE(-0x80000000, 0);
    await assertClosedWithoutAnswer(neg, 'size -2^31');
  });

  it('closes the connection on an unknown API key, and on a Kafka API we do not implement', async () => {
    await assertClosedWithoutAnswer(frame(headerThen(12345, 0, 1)), 'API key 12345');
    await assertClosedWithoutAnswer(frame(headerThen(-1, 0, 1)), 'API key -1');
    await assertClosedWithoutAnswer(frame(headerThen(38, 0, 1, Buffer.alloc(20))), 'CreateDelegationToken (38), an API Samsa does not implement');
  });

  it('answers ApiVersions v99 in v0 form with UNSUPPORTED_VERSION and the API list, and keeps the connection', async () => {
    const c = await connect();
    try {
      // The body of a future version is unknowable; the broker must not try to parse it.
      await c.write(frame(headerThen(18, 99, 4242, Buffer.from('future-version-body\x00\x01\x02'))));
      const { correlationId, body } = decodeResponseFrame<ApiVersionsResponse>(apiVersionsApi, 0, await c.readFrame(PROMPTLY_MS));
      assert.equal(correlationId, 4242);
      assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      const keys = new Map(body.apiKeys.map((k) => [k.apiKey, k]));
      for (const key of [0, 1, 2, 3, 18]) assert.ok(keys.has(key), `API ${key} missing from ${JSON.stringify(body.apiKeys)}`);
      assert.deepEqual(keys.get(18), { apiKey: 18, minVersion: 0, maxVersion: 3 });
      // The client retries with a version from the list on the same connection, as KIP-511 intends.
      const res = await c.request<ApiVersionsResponse>(apiVersionsApi, 3, { clientSoftwareName: 'samsa-e2e', clientSoftwareVersion: '1' });
      assert.equal(res.errorCode, ErrorCode.NONE);
      assert.deepEqual(res.apiKeys, body.apiKeys);
    } finally {
      c.close();
    }
  });

  it('closes the connection on an unsupported version of another API', async () => {
    await assertClosedWithoutAnswer(frame(headerThen(3, 99, 1)), 'Metadata v99');
  });

  it('up-converts a Produce v2 magic-1 message set, refuses it with a bad CRC-32 and in Produce v3+', async () => {
    // Produce v0-2 carry legacy message sets (converted to record batch v2 on append); their CRC-32
    // is checked (CORRUPT_MESSAGE), and v3+ must carry magic 2 as in Kafka (INVALID_RECORD).
    const legacy = Buffer.alloc(34);
    legacy.writeInt32BE(22, 8); // message size after offset+size
    legacy.writeInt8(1, 16); // magic 1
    legacy.writeBigInt64BE(1_700_000_000_000n, 18); // timestamp
    legacy.writeInt32BE(-1, 26); // null key
    legacy.writeInt32BE(-1, 30); // null value
    const badCrc = Buffer.from(legacy);
    legacy.writeUInt32BE(zlib.crc32(legacy.subarray(16)), 12);
    const c = await connect();
    try {
      const meta = await c.request<MetadataResponse>(metadataApi, 4, { topics: [{ name: 'legacy-format' }], allowAutoTopicCreation: true });
      assert.equal(meta.topics[0]!.errorCode, ErrorCode.NONE);
      const produce = async (version: number, records: Buffer): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> => {
        const res = await c.request<ProduceResponse>(produceApi, version, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 1000,
          topicData: [{ name: 'legacy-format', partitionData: [{ index: 0, records }] }],
        });
        return res.responses[0]!.partitionResponses[0]!;
      };
      assert.equal((await produce(2, badCrc)).errorCode, ErrorCode.CORRUPT_MESSAGE);
      const v3 = await produce(3, legacy);
      assert.equal(v3.errorCode, ErrorCode.INVALID_RECORD);
      const stored = await produce(2, legacy);
      assert.deepEqual([stored.errorCode, stored.baseOffset], [ErrorCode.NONE, 0n]);
    } finally {
      c.close();
    }
  });

  it('closes the connection on truncated bodies, without allocating what a length field claims', async () => {
    await assertClosedWithoutAnswer(frame(Buffer.from([0, 3, 0])), 'a frame shorter than a request header');
    await assertClosedWithoutAnswer(frame(headerThen(3, 1, 1).subarray(0, 10)), 'a header cut inside the client id');
    const topicsCountHuge = Buffer.alloc(4);
    topicsCountHuge.writeInt32BE(0x7fffffff, 0);
    await assertClosedWithoutAnswer(frame(headerThen(3, 1, 1, topicsCountHuge)), 'Metadata v1 claiming 2^31-1 topics');
    const full = encodeRequestFrame(produceApi, 7, 1, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: buildBatch([{ key: null, value: Buffer.from('v') }]) }] }],
    });
    const cut = full.subarray(0, full.length - 20);
    cut.writeInt32BE(cut.length - 4, 0);
    await assertClosedWithoutAnswer(Buffer.from(cut), 'Produce v7 cut 20 bytes short');
  });

  it('survives 300 random frames: each is answered with its correlation id or closed', async () => {
    const outcomes = { closed: 0, answered: 0, open: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(0, 1, 2, 3, 18), fc.integer({ min: -32768, max: 32767 })),
        fc.integer({ min: -2, max: 14 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        async (apiKey, apiVersion, correlationId, rest) => {
          const c = await connect();
          try {
            await c.write(frame(headerThen(apiKey, apiVersion, correlationId, Buffer.from(rest))));
            let answer: Buffer | null = null;
            try {
              answer = await c.readFrame(500);
            } catch {
              // no answer: either the broker closed the connection (counted below) or it is still waiting
            }
            if (answer) {
              assert.equal(answer.readInt32BE(0), correlationId, 'a response to a random frame carries its correlation id');
              outcomes.answered++;
            } else if (c.isClosed) {
              outcomes.closed++;
            } else {
              outcomes.open++; // e.g. a Fetch that decoded and now waits; it must not hurt anyone else
            }
          } finally {
            c.close();
          }
        },
      ),
      { numRuns: 300, seed: Number(process.env.SAMSA_E2E_SEED ?? Date.now() % 2 ** 31), verbose: true },
    );
    assert.equal(outcomes.closed + outcomes.answered + outcomes.open, 300);
    await assertAlive();
  });

  it('refuses a record batch with a wrong CRC with CORRUPT_MESSAGE and stores nothing', async () => {
    const c = await connect();
    try {
      const md = await c.request<MetadataResponse>(metadataApi, 1, { topics: [{ name: 'bad-crc' }] });
      assert.equal(md.topics[0]!.errorCode, ErrorCode.NONE, 'auto-created');
      const batch = buildBatch([{ key: Buffer.from('k'), value: Buffer.from('corrupted on the way') }]);
      batch.writeUInt32BE((batch.readUInt32BE(17) ^ 0xdeadbeef) >>> 0, 17);
      const produce = (records: Buffer): Promise<ProduceResponse> =>
        c.request<ProduceResponse>(produceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'bad-crc', partitionData: [{ index: 0, records }] }] });
      const bad = await produce(batch);
      assert.equal(bad.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
      // A payload byte flipped under a correct-looking header fails the same way.
      const flipped = buildBatch([{ key: Buffer.from('k'), value: Buffer.from('corrupted on the way') }]);
      flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0xff;
      assert.equal((await produce(flipped)).responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
      // The connection is still usable and nothing was stored: a good batch lands at offset 0.
      const good = await produce(buildBatch([{ key: Buffer.from('k'), value: Buffer.from('fine') }]));
      assert.equal(good.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
      assert.equal(good.responses[0]!.partitionResponses[0]!.baseOffset, 0n);
    } finally {
      c.close();
    }
    const stored = await kcatConsume(b.bootstrap, 'bad-crc');
    assert.deepEqual(stored.map((r) => [r.offset, r.key, r.value]), [[0, 'k', 'fine']]);
  });

  it('answers 20 pipelined requests in request order, even when an earlier one waits', async () => {
    type Req = { api: ApiDef; version: number; body: Record<string, unknown> };
    const waitingFetch: Req = {
      api: fetchApi,
      version: 11,
      body: {
        replicaId: -1, maxWaitMs: 400, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'pipelined', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      },
    };
    const cycle: Req[] = [
      { api: metadataApi, version: 1, body: { topics: null } },
      { api: apiVersionsApi, version: 0, body: {} },
      { api: metadataApi, version: 12, body: { topics: null, allowAutoTopicCreation: false } },
      { api: apiVersionsApi, version: 3, body: { clientSoftwareName: 'samsa-e2e', clientSoftwareVersion: '1' } },
    ];
    const requests: Req[] = Array.from({ length: 20 }, (_, i) => (i === 3 ? waitingFetch : cycle[i % cycle.length]!));
    const firstCorrelationId = 1000;
    const c = await connect();
    try {
      // An empty topic, so that the Fetch (#3) waits its full maxWaitMs for data.
      const md = await c.request<MetadataResponse>(metadataApi, 1, { topics: [{ name: 'pipelined' }] });
      assert.equal(md.topics[0]!.errorCode, ErrorCode.NONE);
      const t0 = Date.now();
      await c.write(Buffer.concat(requests.map((r, i) => encodeRequestFrame(r.api, r.version, firstCorrelationId + i, r.body))));
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i]!;
        const { correlationId, body } = decodeResponseFrame<Record<string, unknown>>(r.api, r.version, await c.readFrame(5000));
        assert.equal(correlationId, firstCorrelationId + i, `response #${i} is out of order`);
        if (i >= 3) assert.ok(Date.now() - t0 >= 300, `response #${i} came before the waiting Fetch (#3) could have been answered`);
        if (r.api === fetchApi) {
          const part = (body as unknown as FetchResponse).responses[0]!.partitions[0]!;
          assert.equal(part.errorCode, ErrorCode.NONE);
          assert.equal(part.highWatermark, 0n);
          assert.equal(part.records?.length ?? 0, 0);
        }
        if (r.api === apiVersionsApi) assert.equal((body as unknown as ApiVersionsResponse).errorCode, ErrorCode.NONE);
        if (r.api === metadataApi) assert.ok((body as unknown as MetadataResponse).topics.some((t) => t.name === 'pipelined'));
      }
    } finally {
      c.close();
    }
  });

  it('after all that, kcat still produces and consumes', async () => {
    const input = Array.from({ length: 50 }, (_, i) => `k${i}:after-abuse-${i}`).join('\n') + '\n';
    await kcat(['-b', b.bootstrap, '-q', '-P', '-t', 'after-abuse', '-K', ':'], { input, timeoutMs: 30_000 });
    const records = await kcatConsume(b.bootstrap, 'after-abuse');
    assert.deepEqual(
      records.map((r) => [r.offset, r.key, r.value]),
      Array.from({ length: 50 }, (_, i) => [i, `k${i}`, `after-abuse-${i}`]),
    );
  });
});
