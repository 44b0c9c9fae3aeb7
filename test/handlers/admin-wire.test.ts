/**
 * Goal: every admin handler works at every version it advertises, through the real codec: a request
 * encoded and decoded at version v (so fields absent in v take their defaults, as the dispatcher
 * hands them over) gets a response that encodes at v and decodes back to the same error codes.
 * Method: for each handler and version, round-trip a representative request through ApiCodec, run
 * the handler with the admin fixture, then round-trip its response and compare error codes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Handler } from '../../src/handlers/handler.js';
import { alterConfigsHandler } from '../../src/handlers/alter-configs.js';
import { createPartitionsHandler } from '../../src/handlers/create-partitions.js';
import { createTopicsHandler } from '../../src/handlers/create-topics.js';
import { deleteRecordsHandler } from '../../src/handlers/delete-records.js';
import { deleteTopicsHandler } from '../../src/handlers/delete-topics.js';
import { describeClusterHandler } from '../../src/handlers/describe-cluster.js';
import { describeConfigsHandler } from '../../src/handlers/describe-configs.js';
import { describeLogDirsHandler } from '../../src/handlers/describe-log-dirs.js';
import { incrementalAlterConfigsHandler } from '../../src/handlers/incremental-alter-configs.js';
import { initProducerIdHandler } from '../../src/handlers/init-producer-id.js';
import { handlerTable } from '../../src/handlers/index.js';
import { ApiCodec, type Struct } from '../../src/protocol/codec.js';
import { ZERO_UUID, Reader, Writer } from '../../src/protocol/primitives.js';
import { adminFixture, type Fixture } from './admin-fixture.js';

interface Case {
  handler: Handler;
  /** Builds the request after the fixture is set up (topic 'w' with 2 partitions exists). */
  request: (fx: Fixture, version: number) => Struct;
  /** Error codes found in a response, in order. */
  codes: (res: Struct) => number[];
}

const list = (v: unknown): Struct[] => v as Struct[];

const cases: Case[] = [
  {
    handler: createTopicsHandler,
    request: (_fx, v) => ({
      topics: [
        { name: `new-${v}`, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] },
        { name: 'w', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    }),
    codes: (r) => list(r.topics).map((t) => t.errorCode as number),
  },
  {
    handler: deleteTopicsHandler,
    request: (_fx, v) =>
      v >= 6
        ? { topics: [{ name: 'missing', topicId: ZERO_UUID }], timeoutMs: 1000 }
        : { topicNames: ['missing'], timeoutMs: 1000 },
    codes: (r) => list(r.responses).map((t) => t.errorCode as number),
  },
  {
    handler: deleteRecordsHandler,
    request: () => ({ topics: [{ name: 'w', partitions: [{ partitionIndex: 0, offset: -1n }] }], timeoutMs: 1000 }),
    codes: (r) => list(r.topics).flatMap((t) => list(t.partitions).map((p) => p.errorCode as number)),
  },
  {
    handler: initProducerIdHandler,
    request: () => ({ transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }),
    codes: (r) => [r.errorCode as number],
  },
  {
    handler: describeConfigsHandler,
    request: () => ({
      resources: [
        { resourceType: 2, resourceName: 'w', configurationKeys: null },
        { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] },
        { resourceType: 2, resourceName: 'missing', configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: true,
    }),
    codes: (r) => list(r.results).map((t) => t.errorCode as number),
  },
  {
    handler: alterConfigsHandler,
    request: () => ({ resources: [{ resourceType: 2, resourceName: 'w', configs: [{ name: 'retention.ms', value: '5' }] }], validateOnly: true }),
    codes: (r) => list(r.responses).map((t) => t.errorCode as number),
  },
  {
    handler: describeLogDirsHandler,
    request: () => ({ topics: null }),
    codes: (r) => list(r.results).map((t) => t.errorCode as number),
  },
  {
    handler: createPartitionsHandler,
    request: () => ({ topics: [{ name: 'w', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: true }),
    codes: (r) => list(r.results).map((t) => t.errorCode as number),
  },
  {
    handler: incrementalAlterConfigsHandler,
    request: () => ({
      resources: [{ resourceType: 2, resourceName: 'w', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }] }],
      validateOnly: false,
    }),
    codes: (r) => list(r.responses).map((t) => t.errorCode as number),
  },
  {
    handler: describeClusterHandler,
    request: () => ({ includeClusterAuthorizedOperations: true, endpointType: 1 }),
    codes: (r) => [r.errorCode as number],
  },
];

describe('admin handlers through the codec, every version', () => {
  it('are all in the handler table with their full version range', () => {
    const table = handlerTable();
    for (const c of cases) {
      assert.equal(table.get(c.handler.api.apiKey), c.handler, c.handler.api.name);
      assert.equal(c.handler.versionMin, c.handler.api.versionMin);
      assert.equal(c.handler.versionMax, c.handler.api.versionMax);
    }
  });

  for (const c of cases) {
    it(`${c.handler.api.name} v${c.handler.versionMin}-${c.handler.versionMax}`, async () => {
      const codec = new ApiCodec(c.handler.api);
      for (let v = c.handler.versionMin; v <= c.handler.versionMax; v++) {
        const fx = await adminFixture();
        await fx.createTopic('w', 2);
        fx.log('w', 0).append(5);
        const w = new Writer();
        codec.encodeRequest(v, c.request(fx, v), w);
        const decodedRequest = codec.decodeRequest(v, new Reader(w.toBuffer()));
        const response = (await c.handler.handle(fx.ctx(v, c.handler.api.apiKey), decodedRequest)) as Struct;
        assert.ok(response, `${c.handler.api.name} v${v} answered`);
        const out = new Writer();
        codec.encodeResponse(v, response, out);
        const reader = new Reader(out.toBuffer());
        const decoded = codec.decodeResponse(v, reader);
        assert.equal(reader.offset, reader.end, `${c.handler.api.name} v${v}: response fully consumed`);
        assert.deepEqual(c.codes(decoded), c.codes(response), `${c.handler.api.name} v${v}`);
      }
    });
  }
});
