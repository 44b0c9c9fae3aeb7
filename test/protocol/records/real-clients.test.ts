/**
 * Goal: the bytes real producers send pass validation (deep included) and decode to what they
 * were asked to send, for every codec each client offers; recompression of them round-trips.
 * Method: (1) fixtures in fixtures/recorded.ts: record sets captured from kcat/librdkafka 2.0.2
 * for none/gzip/snappy/lz4/zstd, and payloads compressed by the Java client's codec libraries
 * (snappy-java xerial framing, zstd-jni stream without content size); (2) live, in process:
 * kafkajs 2.2.4's Produce v3 encoder with kafkajs-snappy / kafkajs-lz4, and @platformatic/kafka's
 * createRecordsBatch (zstd needs node:zlib zstd, absent on Node 20); (3) live kcat against the
 * fake broker in kcat-capture.ts, failing with what to install when /usr/bin/kcat is missing.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, it } from 'node:test';
import { batch } from '../../../src/protocol/records/batch.js';
import { readRecords, type RecordOutput } from '../../../src/protocol/records/builder.js';
import { decompressSync, isXerialSnappy } from '../../../src/protocol/records/compression.js';
import { recompressBatch } from '../../../src/protocol/records/recompress.js';
import { validateRecordSet, validateRecordSetDeep, type RecordSetSummary } from '../../../src/protocol/records/validate.js';
import { FIXTURE_HEADERS, fixtureMessages, JAVA_SOURCE_BASE_TIMESTAMP_MS, javaSourceBatch } from './fixtures/messages.js';
import { JAVA_PAYLOADS, KCAT_RECORD_SETS } from './fixtures/recorded.js';
import { plain, withPayload } from './helpers.js';
import { captureKcatRecordSets, kcatAvailable } from './kcat-capture.js';

const require = createRequire(import.meta.url);
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const LIMIT = { maxBatchBytes: 1 << 20 };

/** Validates a one-batch record set shallow and deep; returns the summary. */
async function validOneBatch(set: Buffer, codec: number): Promise<RecordSetSummary> {
  const shallow = validateRecordSet(set, LIMIT);
  assert.ok(shallow.ok, shallow.ok ? '' : `${shallow.error}: ${shallow.detail}`);
  const deepSync = validateRecordSet(set, { ...LIMIT, deepValidate: true });
  assert.ok(deepSync.ok, deepSync.ok ? '' : `${deepSync.error}: ${deepSync.detail}`);
  const deep = await validateRecordSetDeep(set, LIMIT);
  assert.ok(deep.ok, deep.ok ? '' : `${deep.error}: ${deep.detail}`);
  assert.equal(shallow.batchCount, 1);
  assert.equal(shallow.firstBatchCompression, codec);
  assert.equal(batch.totalBytes(set), set.length);
  return shallow;
}

/** Checks decoded records against fixtureMessages() (kcat and the Java fixtures use them). */
function assertFixtureMessages(out: RecordOutput[]): void {
  const expected = fixtureMessages();
  assert.equal(out.length, expected.length);
  out.forEach((r, i) => {
    assert.equal(r.offset, i);
    assert.equal(r.key === null ? null : r.key.toString(), expected[i]!.key);
    assert.equal(r.value === null ? null : r.value.toString(), expected[i]!.value);
    assert.deepEqual(
      r.headers.map((h) => [h.key, h.value?.toString()]),
      FIXTURE_HEADERS.map(([k, v]) => [k, v]),
    );
    if (i > 0) assert.ok(r.timestampMs >= out[0]!.timestampMs);
  });
}

/** Every other codec and back again gives the same records. */
async function assertRecompressionRoundTrip(set: Buffer, codec: number): Promise<void> {
  const original = (await readRecords(set)).map(plain);
  for (let target = 0; target <= 4; target++) {
    if (target === codec) continue;
    const there = await recompressBatch(set, target);
    const back = await recompressBatch(there, codec);
    assert.deepEqual((await readRecords(there)).map(plain), original);
    assert.deepEqual((await readRecords(back)).map(plain), original);
  }
}

describe('kcat (librdkafka 2.0.2) fixtures', () => {
  for (const [name, codec] of Object.entries(CODEC_IDS)) {
    it(`decodes the ${name} record set`, async () => {
      const set = Buffer.from(KCAT_RECORD_SETS[name as keyof typeof CODEC_IDS], 'base64');
      const summary = await validOneBatch(set, codec);
      assert.equal(summary.recordCount, 5);
      assert.equal(summary.producerId, -1n);
      assertFixtureMessages(await readRecords(set));
      await assertRecompressionRoundTrip(set, codec);
    });
  }

  it('librdkafka writes raw snappy and independent-block lz4 frames', () => {
    const snappySet = Buffer.from(KCAT_RECORD_SETS.snappy, 'base64');
    assert.equal(isXerialSnappy(snappySet.subarray(61)), false);
    const lz4Set = Buffer.from(KCAT_RECORD_SETS.lz4, 'base64');
    assert.equal(lz4Set.readUInt32LE(61), 0x184d2204);
    assert.equal(lz4Set[65]! & 0x20, 0x20); // FLG: block independence
  });
});

describe('Java client codec fixtures', () => {
  const source = javaSourceBatch();
  for (const [name, codec] of [['snappy', 2], ['zstd', 4]] as const) {
    it(`decodes ${name === 'snappy' ? 'xerial-framed snappy (snappy-java)' : 'a zstd-jni stream frame'}`, async () => {
      const payload = Buffer.from(JAVA_PAYLOADS[name], 'base64');
      if (name === 'snappy') assert.ok(isXerialSnappy(payload));
      assert.deepEqual(decompressSync(codec, payload), source.subarray(61));
      const set = withPayload(source, codec, payload);
      await validOneBatch(set, codec);
      const out = await readRecords(set);
      assertFixtureMessages(out);
      out.forEach((r, i) => assert.equal(r.timestampMs, JAVA_SOURCE_BASE_TIMESTAMP_MS + i));
      await assertRecompressionRoundTrip(set, codec);
    });
  }
});

interface KafkajsEncoder {
  encode(): Promise<{ buffer: Buffer }>;
}
type KafkajsProduceV3 = (args: object) => KafkajsEncoder;

/** Pulls the single partition's records out of an encoded kafkajs Produce v3 request body. */
function recordsFromProduceV3(body: Buffer): Buffer {
  let at = 0;
  const txnIdLength = body.readInt16BE(at);
  at += 2 + Math.max(txnIdLength, 0) + 2 + 4; // transactional_id, acks, timeout
  assert.equal(body.readInt32BE(at), 1);
  at += 4;
  at += 2 + body.readInt16BE(at); // topic name
  assert.equal(body.readInt32BE(at), 1);
  at += 4 + 4; // partition count, partition index
  const length = body.readInt32BE(at);
  return body.subarray(at + 4, at + 4 + length);
}

const KAFKAJS_MESSAGES = [
  { key: 'k1', value: 'v1', headers: { a: 'b', multi: ['x', 'y'] }, timestamp: 1_700_000_000_000 },
  { key: null, value: 'x'.repeat(70_000), timestamp: 1_700_000_000_005 },
  { key: 'k3', value: null, timestamp: 1_700_000_000_001 },
];

describe('kafkajs 2.2.4 producer encoding (live)', () => {
  const compressionModule = require('kafkajs/src/protocol/message/compression/index.js') as {
    Types: Record<string, number>;
    Codecs: Record<number, unknown>;
  };
  const LZ4Codec = require('kafkajs-lz4') as new () => { codec: unknown };
  compressionModule.Codecs[compressionModule.Types['Snappy']!] = require('kafkajs-snappy');
  compressionModule.Codecs[compressionModule.Types['LZ4']!] = new LZ4Codec().codec;
  const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as KafkajsProduceV3;

  for (const codec of [0, 1, 2, 3]) {
    it(`decodes codec ${codec}`, async () => {
      const request = produceV3({
        acks: -1,
        timeout: 1000,
        compression: codec,
        topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: KAFKAJS_MESSAGES }] }],
      });
      const set = recordsFromProduceV3((await request.encode()).buffer);
      const summary = await validOneBatch(set, codec);
      assert.equal(summary.maxTimestamp, 1_700_000_000_005);
      const out = await readRecords(set);
      assert.deepEqual(
        out.map((r) => [r.offset, r.timestampMs, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map((h) => [h.key, h.value?.toString()])]),
        [
          [0, 1_700_000_000_000, 'k1', 'v1', [['a', 'b'], ['multi', 'x'], ['multi', 'y']]],
          [1, 1_700_000_000_005, null, 'x'.repeat(70_000), []],
          [2, 1_700_000_000_001, 'k3', null, []],
        ],
      );
      await assertRecompressionRoundTrip(set, codec);
    });
  }
});

describe('@platformatic/kafka createRecordsBatch (live)', () => {
  for (const [name, codec] of [['none', 0], ['gzip', 1], ['snappy', 2], ['lz4', 3]] as const) {
    it(`decodes ${name}`, async () => {
      const { createRecordsBatch } = await import('@platformatic/kafka');
      const set = createRecordsBatch(
        [
          { topic: 't', partition: 0, key: Buffer.from('k1'), value: Buffer.from('y'.repeat(70_000)), headers: new Map([[Buffer.from('h'), Buffer.from('v')]]), timestamp: 1_700_000_000_000n },
          { topic: 't', partition: 0, value: Buffer.from('v2'), timestamp: 1_700_000_000_003n },
        ],
        { compression: name },
      ).buffer;
      await validOneBatch(set, codec);
      const out = await readRecords(set);
      assert.deepEqual(
        out.map((r) => [r.offset, r.timestampMs, r.key?.toString() ?? null, r.value?.length, r.headers.map((h) => [h.key, h.value?.toString()])]),
        [
          [0, 1_700_000_000_000, 'k1', 70_000, [['h', 'v']]],
          [1, 1_700_000_000_003, null, 2, []],
        ],
      );
      await assertRecompressionRoundTrip(set, codec);
    });
  }
});

describe('kcat live capture', () => {
  before(() => assert.ok(kcatAvailable(), 'kcat is missing: apt-get install -y kcat (or scripts/install-test-deps.sh)'));
  for (const [name, codec] of Object.entries(CODEC_IDS)) {
    it(`decodes what kcat -z ${name} sends now`, { timeout: 30_000 }, async () => {
      const sets = await captureKcatRecordSets(name);
      assert.equal(sets.length, 1);
      await validOneBatch(sets[0]!, codec);
      assertFixtureMessages(await readRecords(sets[0]!));
    });
  }
});
