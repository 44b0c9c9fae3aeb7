/**
 * Goal: the responses we encode are read correctly by real clients, for every response version a
 * client implements that we implement too (golden.test.ts covers the request side).
 *
 * Method: for each such (API, version), random response values are generated from our definition
 * (arbitraries.ts; error codes pinned to 0 and record sets to empty so that the clients' own checks
 * do not stop early), encoded with our codec, and parsed with the client's own response decoder:
 * @platformatic/kafka's parseResponse (flexible and recent versions) and kafkajs's decode (classic
 * versions). Known parser bugs of those clients are listed and skipped with the reason. The client
 * must not throw, @platformatic/kafka must consume every byte (but the
 * final empty tag section, which its parsers leave to the framing), and every
 * field the client reports under the same name as ours must hold the same value (int64 compared as
 * decimal text, since kafkajs reports them as strings). No network is involved.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as platformatic from '@platformatic/kafka';
import { ApiCodec, type Struct } from '../../src/protocol/codec.js';
import { Writer } from '../../src/protocol/primitives.js';
import type { ApiDef } from '../../src/protocol/schema.js';
import { allApis } from '../../src/protocol/messages/index.js';
import { expectedDefault, structArb, type Override } from './arbitraries.js';

const RUNS = Number(process.env.CLIENT_DECODER_RUNS ?? 25);
const byName = new Map<string, ApiDef>(allApis.map((d) => [d.name, d]));
const require = createRequire(import.meta.url);

/** Keeps the clients' decoders on the happy path: no error codes, empty record sets. */
const happyPath: Override = (def) => {
  if ((def.name === 'errorCode' || def.name.endsWith('ErrorCode')) && def.type === 'int16') return fc.constant(0);
  if (def.type === 'records') return fc.constant(Buffer.alloc(0));
  return undefined;
};

function encodeResponse(api: ApiDef, version: number, value: Struct): Buffer {
  const w = new Writer();
  new ApiCodec(api).encodeResponse(version, value, w);
  return Buffer.from(w.toBuffer());
}

function leaf(v: unknown): string | null {
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return String(v);
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return `buffer:${v.toString('hex')}`;
  // kafkajs reports some int64s as Long objects.
  if (typeof v === 'object' && v.constructor?.name === 'Long') return String(v);
  return undefined as never;
}

/** Compares every field the client reports under one of our names; returns how many leaves matched. */
function compareCommon(ours: unknown, theirs: unknown, where: string): number {
  if (theirs === undefined) return 0;
  if (Array.isArray(ours)) {
    if (!Array.isArray(theirs)) return 0; // the client reshaped it (e.g. into a Map)
    assert.equal(theirs.length, ours.length, `${where}: array length`);
    return ours.reduce<number>((n, item, i) => n + compareCommon(item, theirs[i], `${where}[${i}]`), 0);
  }
  if (ours !== null && typeof ours === 'object' && !Buffer.isBuffer(ours)) {
    if (theirs === null || typeof theirs !== 'object' || Buffer.isBuffer(theirs)) return 0;
    let n = 0;
    for (const [k, v] of Object.entries(ours as Struct)) {
      if (k in (theirs as object)) n += compareCommon(v, (theirs as Record<string, unknown>)[k], `${where}.${k}`);
    }
    return n;
  }
  const a = leaf(ours);
  const b = leaf(theirs);
  if (b === undefined) return 0; // a structured value on their side
  // Clients may surface an absent nullable as null/undefined or as the empty value.
  if (a === null || b === null) return 1;
  assert.equal(b, a, `${where}`);
  return 1;
}

const lowerFirst = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/**
 * @platformatic/kafka 1.x cannot skip a non-empty tag section (its reader treats the field count as a
 * byte length), so we only send it responses without tagged fields — as the broker must.
 */
const platformaticHappyPath: Override = (def, version) => {
  if (def.tag !== undefined) return fc.constant(expectedDefault(def, version));
  return happyPath(def, version);
};

/** Versions whose @platformatic/kafka 1.x parser disagrees with the protocol documentation. */
const platformaticDeviations: Record<string, string> = {
  'DescribeCluster v0': 'reads endpointType, which v1 added',
  'DescribeConfigs v2': 'reads configType and documentation, which v3 added',
  'DescribeLogDirs v2': 'reads the v4 layout (top-level errorCode from v3, totalBytes / usableBytes from v4)',
  'DescribeLogDirs v3': 'reads totalBytes / usableBytes, which v4 added',
  'Metadata v9': 'does not read clusterAuthorizedOperations (v8-10), the last field',
  'Metadata v10': 'does not read clusterAuthorizedOperations (v8-10), the last field',
  'OffsetForLeaderEpoch v4': 'reads partition before errorCode (the documented order is errorCode, partition)',
  'Fetch v12': 'reads the topic name field as if it held the topic id (see golden fetch-v12-platformatic)',
  'AddPartitionsToTxn v3': 'reports the v3 per-topic results as one entry of resultsByTransaction (its own shape, not the wire layout)',
  'DescribeClientQuotas v0': 'fails on a null entries array, which the schema allows (Samsa sends null only with an error code, as Kafka)',
};

describe('@platformatic/kafka parses our responses', () => {
  const exported = platformatic as unknown as Record<string, unknown>;
  const { Reader } = exported as { Reader: { from(b: Buffer): { position: number; length: number } } };
  for (const [key, mod] of Object.entries(exported).sort(([a], [b]) => a.localeCompare(b))) {
    const m = /^([a-zA-Z]+)V(\d+)$/.exec(key);
    if (!m || mod === null || typeof mod !== 'object' || !('parseResponse' in mod)) continue;
    const api = byName.get(lowerFirst(m[1]!));
    const version = Number(m[2]);
    if (!api || version < api.versionMin || version > api.versionMax) continue;
    const parse = (mod as { parseResponse: (c: number, k: number, v: number, r: unknown) => unknown }).parseResponse;
    const deviation = platformaticDeviations[`${api.name} v${version}`];
    it(`${api.name} v${version}`, { skip: deviation ? `client bug: ${deviation}` : false }, () => {
      let leaves = 0;
      const flexible = new ApiCodec(api).isFlexible(version);
      fc.assert(
        fc.property(structArb(api.response, version, flexible, platformaticHappyPath), (value) => {
          const bytes = encodeResponse(api, version, value);
          const reader = Reader.from(bytes);
          let parsed: unknown;
          try {
            parsed = parse(0, api.apiKey, version, reader);
          } catch (err) {
            // Some parsers reject values they consider inconsistent but still report what they read.
            const response = (err as { response?: unknown }).response;
            if (response === undefined) throw err;
            parsed = response;
          }
          // Its parsers leave trailing empty tag sections (one zero byte each: the message's, and a
          // final nested struct's) to the framing.
          const unread = bytes.subarray(reader.position);
          assert.ok(unread.length === 0 || (flexible && unread.every((b) => b === 0) && unread.length <= 2), `client left ${unread.length} byte(s) unread`);
          leaves += compareCommon(value, parsed, api.name);
        }),
        { numRuns: RUNS },
      );
      assert.ok(leaves > 0, 'some fields were compared');
    });
  }
});

describe('kafkajs decodes our responses', () => {
  const requestsDir = path.join(path.dirname(require.resolve('kafkajs/package.json')), 'src', 'protocol', 'requests');
  for (const dir of readdirSync(requestsDir).sort()) {
    const api = byName.get(lowerFirst(dir));
    if (!api) continue;
    for (const vdir of readdirSync(path.join(requestsDir, dir)).sort()) {
      const m = /^v(\d+)$/.exec(vdir);
      if (!m) continue;
      const version = Number(m[1]);
      if (version < api.versionMin || version > api.versionMax) continue;
      type Decoder = { decode: (b: Buffer) => Promise<unknown> };
      const exported = require(path.join(requestsDir, dir, vdir, 'response.js')) as Decoder | ((args: object) => Decoder);
      // Some kafkajs response modules are factories over the request's arguments.
      const mod = typeof exported === 'function' ? exported({ topics: [] }) : exported;
      const flexible = new ApiCodec(api).isFlexible(version);
      it(`${api.name} v${version}`, async () => {
        await fc.assert(
          fc.asyncProperty(structArb(api.response, version, flexible, happyPath), async (value) => {
            // kafkajs reads only the correlation id as the response header and leaves the flexible
            // header's tag section (v1, every flexible API but ApiVersions) to the body decoder.
            const body = encodeResponse(api, version, value);
            const parsed = await mod.decode(flexible && api.name !== 'ApiVersions' ? Buffer.concat([Buffer.from([0]), body]) : body);
            // kafkajs sorts DeleteRecords topics by name.
            if (api.name === 'DeleteRecords') (value.topics as Struct[]).sort((a, b) => String(a.name).localeCompare(String(b.name)));
            // kafkajs hands SaslAuthenticate's authBytes to its mechanisms re-prefixed with their size.
            if (api.name === 'SaslAuthenticate') {
              const p = parsed as { authBytes: Buffer };
              assert.equal(p.authBytes.readInt32BE(0), p.authBytes.length - 4);
              p.authBytes = p.authBytes.subarray(4);
            }
            // kafkajs names many fields its own way; those it shares with us must agree.
            compareCommon(value, parsed, api.name);
          }),
          { numRuns: RUNS },
        );
      });
    }
  }
});
