/**
 * Goal: every message definition in src/protocol/messages round-trips through the codec in every
 * version we implement, in both directions, and the definitions are internally consistent.
 *
 * Method: for each ApiDef and each version in [versionMin, versionMax], a generator walks the
 * definition independently of codec.ts (using only schema.ts's version ranges) and builds random
 * values that conform to that version: integers within their width, bigints for int64, UTF-8 strings,
 * Buffers, null only where the field is nullable, arrays, nested and nullable structs, and tagged
 * fields that are sometimes absent. A fast-check property then checks that decode(encode(v)) deep-
 * equals v and that decoding consumes exactly the bytes written. Further tests check that encoding an
 * empty object yields the documented defaults, and lint each definition (unique API keys, tags only
 * in flexible versions, unique tag numbers, nullable ranges inside the field's versions).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiCodec, type Struct } from '../../src/protocol/codec.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import { Reader, Writer, ZERO_UUID } from '../../src/protocol/primitives.js';
import { inRange, parseVersions, type ApiDef, type FieldDef, type PrimitiveType } from '../../src/protocol/schema.js';
import { allApis } from '../../src/protocol/messages/index.js';

const RUNS = Number(process.env.CODEC_RUNS ?? 60);

function present(def: FieldDef, version: number): boolean {
  return inRange(parseVersions(def.versions), version);
}

function isNullable(def: FieldDef, version: number): boolean {
  return def.nullable !== undefined && inRange(parseVersions(def.nullable), version);
}

function primArb(prim: PrimitiveType, flexible: boolean): fc.Arbitrary<unknown> {
  switch (prim) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'bool':
      return fc.boolean();
    case 'string':
      // Compact and classic strings alike; classic lengths are int16, so keep them short.
      return fc.string({ unit: flexible ? 'grapheme' : 'grapheme-composite', maxLength: 12 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
    case 'uuid':
      return fc.uuid();
  }
}

/** The value the decoder yields for a field that is absent (mirrors the schema's documented defaults). */
function expectedDefault(def: FieldDef, version: number): unknown {
  if (def.default !== undefined) return def.default;
  const nullable = isNullable(def, version);
  if (Array.isArray(def.type)) return def.struct ? (nullable ? null : undefined) : [];
  if (def.type.endsWith('[]')) return [];
  switch (def.type as PrimitiveType) {
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'string':
      return nullable ? null : '';
    case 'bytes':
    case 'records':
      return nullable ? null : Buffer.alloc(0);
    case 'uuid':
      return ZERO_UUID;
    default:
      return 0;
  }
}

function fieldArb(def: FieldDef, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  const nullable = isNullable(def, version) || def.type === 'records';
  let arb: fc.Arbitrary<unknown>;
  if (Array.isArray(def.type)) {
    const struct = structArb(def.type, version, flexible);
    arb = def.struct ? struct : fc.array(struct, { maxLength: 3 });
  } else if (def.type.endsWith('[]')) {
    arb = fc.array(primArb(def.type.slice(0, -2) as PrimitiveType, flexible), { maxLength: 4 });
  } else {
    arb = primArb(def.type as PrimitiveType, flexible);
  }
  if (nullable) arb = fc.option(arb, { nil: null, freq: 4 });
  // A tagged struct with no default is simply absent (undefined) when not sent.
  if (def.tag !== undefined && expectedDefault(def, version) === undefined) arb = fc.option(arb, { nil: undefined, freq: 3 });
  return arb;
}

function structArb(defs: FieldDef[], version: number, flexible: boolean): fc.Arbitrary<Struct> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const def of defs) {
    if (!present(def, version)) continue;
    if (def.tag !== undefined && !flexible) model[def.name] = fc.constant(expectedDefault(def, version));
    else model[def.name] = fieldArb(def, version, flexible);
  }
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<Struct>;
}

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
  const out: Struct = {};
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
