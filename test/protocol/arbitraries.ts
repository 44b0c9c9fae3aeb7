/**
 * Random values for message definitions (shared by the protocol tests; not a test itself). Walks an
 * ApiDef's field list for one version using only schema.ts, independently of codec.ts: integers
 * within their width, bigints for int64, UTF-8 strings, Buffers, null only where nullable, arrays,
 * nested and nullable structs, tagged fields sometimes absent; fields that do not exist in the
 * version carry the default the decoder reports for them.
 */
import fc from 'fast-check';
import type { Struct } from '../../src/protocol/codec.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';
import { inRange, parseVersions, type FieldDef, type PrimitiveType } from '../../src/protocol/schema.js';

/** Lets a caller pin a field's values (return undefined to generate as usual). */
export type Override = (def: FieldDef, version: number) => fc.Arbitrary<unknown> | undefined;

export function present(def: FieldDef, version: number): boolean {
  return inRange(parseVersions(def.versions), version);
}

export function isNullable(def: FieldDef, version: number): boolean {
  return def.nullable !== undefined && inRange(parseVersions(def.nullable), version);
}

export function primArb(prim: PrimitiveType, flexible: boolean): fc.Arbitrary<unknown> {
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
export function expectedDefault(def: FieldDef, version: number): unknown {
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

export function fieldArb(def: FieldDef, version: number, flexible: boolean, override?: Override): fc.Arbitrary<unknown> {
  const forced = override?.(def, version);
  if (forced) return forced;
  const nullable = isNullable(def, version) || def.type === 'records';
  let arb: fc.Arbitrary<unknown>;
  if (Array.isArray(def.type)) {
    const struct = structArb(def.type, version, flexible, override);
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

/**
 * Fields that do not exist in this version decode as their default (unless another definition of
 * the same name exists in it, or the default is undefined: a struct).
 */
export function absentDefaults(defs: FieldDef[], version: number): Struct {
  const out: Struct = {};
  const existing = new Set(defs.filter((d) => present(d, version)).map((d) => d.name));
  for (const def of defs) {
    if (present(def, version) || existing.has(def.name)) continue;
    const d = expectedDefault(def, version);
    if (d !== undefined) out[def.name] = d;
  }
  return out;
}

export function structArb(defs: FieldDef[], version: number, flexible: boolean, override?: Override): fc.Arbitrary<Struct> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, value] of Object.entries(absentDefaults(defs, version))) model[name] = fc.constant(value);
  for (const def of defs) {
    if (!present(def, version)) continue;
    if (def.tag !== undefined && !flexible) model[def.name] = fc.constant(expectedDefault(def, version));
    else model[def.name] = fieldArb(def, version, flexible, override);
  }
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<Struct>;
}
