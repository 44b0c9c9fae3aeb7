/**
 * Goal: every message definition in src/protocol/messages round-trips through the codec in every
 * version we implement, in both directions, and the definitions are internally consistent.
 *
 * Method: for each ApiDef and each version in [versionMin, versionMax], a generator (arbitraries.ts)
 * walks the definition independently of codec.ts (using only schema.ts's version ranges) and builds random
 * values that conform to that version: integers within their width, bigints for int64, UTF-8 strings,
 * Buffers, null only where the field is nullable, arrays, nested and nullable structs, and tagged
 * fields that are sometimes absent. A fast-check property then checks that decode(encode(v)) deep-
 * equals v and that decoding consumes exactly the bytes written (fields that do not exist in the
 * version are expected back as their defaults). Further tests check that encoding an empty object
 * yields the documented defaults, and lint each definition (unique API keys, tags only
 * in flexible versions, unique tag numbers, nullable ranges inside the field's versions).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiCodec, type Struct } from '../../src/protocol/codec.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { parseVersions, type ApiDef, type FieldDef } from '../../src/protocol/schema.js';
import { allApis } from '../../src/protocol/messages/index.js';
import { absentDefaults, expectedDefault, present, structArb } from './arbitraries.js';

const RUNS = Number(process.env.CODEC_RUNS ?? 60);

function roundTrip(codec: ApiCodec, version: number, response: boolean, value: Struct): { decoded: Struct; bytes: Buffer; consumed: number } {
  const w = new Writer(64);
  if (response) codec.encodeResponse(version, value, w);
  else codec.encodeRequest(version, value, w);
  const bytes = Buffer.from(w.toBuffer()); // copy: the decoder returns views into it
  const r = new Reader(bytes);
  const decoded = response ? codec.decodeResponse(version, r) : codec.decodeRequest(version, r);
  return { decoded, bytes, consumed: r.offset };
}

function expectedDefaults(defs: FieldDef[], version: number): Struct {
  const out: Struct = absentDefaults(defs, version);
  for (const def of defs) {
    if (!present(def, version)) continue;
    let d = expectedDefault(def, version);
    // A non-nullable single struct without a default is built from its own fields' defaults.
    if (d === undefined && Array.isArray(def.type) && def.tag === undefined) d = expectedDefaults(def.type, version);
    out[def.name] = d;
  }
  return out;
}

function versions(api: ApiDef): number[] {
  const out: number[] = [];
  for (let v = api.versionMin; v <= api.versionMax; v++) out.push(v);
  return out;
}

describe('message definitions: lint', () => {
  it('API keys are unique and named as in api-keys.ts', () => {
    const seen = new Set<number>();
    for (const api of allApis) {
      assert.ok(!seen.has(api.apiKey), `duplicate api key ${api.apiKey}`);
      seen.add(api.apiKey);
      assert.equal(apiName(api.apiKey), api.name);
      assert.equal((ApiKey as Record<string, number>)[api.name], api.apiKey);
      assert.ok(api.versionMin >= 0 && api.versionMin <= api.versionMax, `${api.name}: version range`);
      if (api.flexibleMin !== null) assert.ok(api.flexibleMin <= api.versionMax, `${api.name}: flexibleMin beyond versionMax`);
    }
    const keys = allApis.map((a) => a.apiKey);
    assert.deepEqual(keys, [...keys].sort((a, b) => a - b), 'allApis is ordered by key');
  });

  for (const api of allApis) {
    it(`${api.name}: tags only in flexible versions, unique per struct; nullable inside versions`, () => {
      const check = (defs: FieldDef[], path: string): void => {
        const tags = new Set<number>();
        for (const def of defs) {
          const where = `${api.name} ${path}${def.name}`;
          const range = parseVersions(def.versions);
          for (const other of defs) {
            if (other !== def && other.name === def.name) {
              // Same name twice is only fine when the version ranges do not overlap.
              const o = parseVersions(other.versions);
              assert.ok(o.max < range.min || o.min > range.max, `${where}: duplicate field name with overlapping versions`);
            }
          }
          if (def.tag !== undefined) {
            assert.ok(!tags.has(def.tag), `${where}: duplicate tag ${def.tag}`);
            tags.add(def.tag);
            assert.ok(api.flexibleMin !== null && range.min >= api.flexibleMin, `${where}: tagged field outside flexible versions`);
          }
          if (def.nullable !== undefined) {
            const n = parseVersions(def.nullable);
            assert.ok(n.max >= range.min && n.min <= range.max, `${where}: nullable range outside the field's versions`);
            const t = def.type;
            const nullableType = Array.isArray(t) || t.endsWith('[]') || t === 'string' || t === 'bytes' || t === 'records';
            assert.ok(nullableType, `${where}: type ${String(t)} cannot be null`);
          }
          if (Array.isArray(def.type)) check(def.type, `${path}${def.name}.`);
        }
      };
      check(api.request, 'request.');
      check(api.response, 'response.');
    });
  }
});

describe('message definitions: round trip in every version', () => {
  for (const api of allApis) {
    const codec = new ApiCodec(api);
    for (const version of versions(api)) {
      const flexible = codec.isFlexible(version);
      for (const response of [false, true]) {
        const dir = response ? 'response' : 'request';
        const defs = response ? api.response : api.request;
        it(`${api.name} v${version} ${dir}: decode(encode(v)) = v`, () => {
          fc.assert(
            fc.property(structArb(defs, version, flexible), (value) => {
              const { decoded, bytes, consumed } = roundTrip(codec, version, response, value);
              assert.equal(consumed, bytes.length, 'decoder consumed the whole buffer');
              assert.deepStrictEqual(decoded, value);
            }),
            { numRuns: RUNS },
          );
        });
        it(`${api.name} v${version} ${dir}: an empty value encodes as the defaults`, () => {
          const { decoded, bytes, consumed } = roundTrip(codec, version, response, {});
          assert.equal(consumed, bytes.length);
          assert.deepStrictEqual(decoded, expectedDefaults(defs, version));
        });
      }
    }
  }
});
