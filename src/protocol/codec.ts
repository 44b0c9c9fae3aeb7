/**
 * Turns an ApiDef (schema.ts) into encoders and decoders for every version. For each
 * (API, version, direction) the field list is resolved once into a plan — which fields exist, which
 * are nullable, whether encodings are compact, which are tagged — and cached; encode/decode then
 * walk the plan. Decoded int64 fields are `bigint`; everything else is number/string/Buffer/boolean.
 *
 * Unknown tagged fields are skipped on decode (as the protocol requires), and fields that do not
 * exist in the decoded version are filled with their default, so handlers see one shape for every
 * version. On encode, a field the
 * caller left undefined takes its default (0, '', false, [], or null where nullable), so handlers
 * only fill what their version needs.
 */
import assert from 'node:assert/strict';
import { DecodeError, Reader, Writer, ZERO_UUID } from './primitives.js';
import { inRange, parseVersions, type ApiDef, type FieldDef, type PrimitiveType } from './schema.js';

type Value = unknown;
export type Struct = Record<string, Value>;

interface FieldPlan {
  name: string;
  prim: PrimitiveType | null; // null = struct
  array: boolean;
  nullable: boolean;
  tag: number | null;
  sub: StructPlan | null; // for structs
  defaultValue: Value;
}

interface StructPlan {
  fields: FieldPlan[];
  tagged: FieldPlan[];
  /** Fields that do not exist in this version: decoded as their default. */
  absent: FieldPlan[];
}

function defaultFor(def: FieldDef, prim: PrimitiveType | null, array: boolean, nullable: boolean): Value {
  if (def.default !== undefined) return def.default;
  if (array) return [];
  if (prim === null) return nullable ? null : undefined; // struct: built from its own defaults
  switch (prim) {
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

function planStruct(defs: FieldDef[], version: number): StructPlan {
  const fields: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldPlan[] = [];
  for (const def of defs) {
    const exists = inRange(parseVersions(def.versions), version);
    let prim: PrimitiveType | null = null;
    let array = false;
    let sub: StructPlan | null = null;
    if (Array.isArray(def.type)) {
      sub = planStruct(def.type, version);
      array = !def.struct;
    } else if (def.type.endsWith('[]')) {
      prim = def.type.slice(0, -2) as PrimitiveType;
      array = true;
    } else {
      prim = def.type as PrimitiveType;
    }
    const nullable = def.nullable !== undefined && inRange(parseVersions(def.nullable), version);
    const plan: FieldPlan = {
      name: def.name,
      prim,
      array,
      nullable,
      tag: def.tag ?? null,
      sub,
      defaultValue: defaultFor(def, prim, array, nullable),
    };
    if (!exists) absent.push(plan);
    else if (def.tag !== undefined) tagged.push(plan);
    else fields.push(plan);
  }
  tagged.sort((a, b) => a.tag! - b.tag!);
  // A name may be defined twice over disjoint version ranges; the existing one wins.
  const names = new Set([...fields, ...tagged].map((p) => p.name));
  return { fields, tagged, absent: absent.filter((p) => !names.has(p.name) && p.defaultValue !== undefined) };
}

function readPrim(r: Reader, prim: PrimitiveType, compact: boolean, nullable: boolean): Value {
  switch (prim) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'bool':
      return r.bool();
    case 'string':
      return r.string(compact, nullable);
    case 'bytes':
      return r.bytes(compact, nullable);
    case 'records':
      return r.bytes(compact, true);
    case 'uuid':
      return r.uuid();
  }
}

function writePrim(w: Writer, prim: PrimitiveType, compact: boolean, v: Value): void {
  switch (prim) {
    case 'int8':
      w.int8(Number(v));
      return;
    case 'int16':
      w.int16(Number(v));
      return;
    case 'uint16':
      w.uint16(Number(v));
      return;
    case 'int32':
      w.int32(Number(v));
      return;
    case 'uint32':
      w.uint32(Number(v));
      return;
    case 'int64':
      w.int64(typeof v === 'bigint' ? v : BigInt(v as number));
      return;
    case 'float64':
      w.float64(Number(v));
      return;
    case 'bool':
      w.bool(Boolean(v));
      return;
    case 'string':
      w.string(v as string | null, compact);
      return;
    case 'bytes':
    case 'records':
      w.bytes(v as Buffer | null, compact);
      return;
    case 'uuid':
      w.uuid((v as string | null) ?? ZERO_UUID);
      return;
  }
}

/** Array defaults are copied so that a handler mutating a decoded message cannot alter the plan. */
function freshDefault(v: Value): Value {
  return Array.isArray(v) ? [...v] : v;
}

function decodeStruct(r: Reader, plan: StructPlan, flexible: boolean): Struct {
  const out: Struct = {};
  for (const field of plan.absent) out[field.name] = freshDefault(field.defaultValue);
  for (const field of plan.fields) out[field.name] = decodeField(r, field, flexible);
  for (const field of plan.tagged) out[field.name] = freshDefault(field.defaultValue);
  if (flexible) decodeTagSection(r, plan.tagged, out);
  return out;
}

function decodeTagSection(r: Reader, tagged: FieldPlan[], out: Struct): void {
  const count = r.uvarint();
  let lastTag = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= lastTag) throw new DecodeError(`tagged fields out of order (${tag} after ${lastTag})`);
    lastTag = tag;
    const size = r.uvarint();
    const field = tagged.find((t) => t.tag === tag);
    if (!field) {
      r.skip(size);
      continue;
    }
    const end = r.offset + size;
    if (end > r.end) throw new DecodeError(`tagged field ${tag} overruns the frame`);
    const sub = new Reader(r.buf, r.offset, end);
    out[field.name] = decodeField(sub, field, true);
    r.offset = end;
  }
}

function decodeField(r: Reader, field: FieldPlan, flexible: boolean): Value {
  if (field.array) {
    const n = r.arrayLength(flexible, field.nullable);
    if (n < 0) return null;
    const items: Value[] = new Array(n);
    for (let i = 0; i < n; i++) {
      items[i] = field.prim
        ? readPrim(r, field.prim, flexible, false)
        : decodeStruct(r, field.sub!, flexible);
    }
    return items;
  }
  if (field.prim) return readPrim(r, field.prim, flexible, field.nullable);
  // Single nested struct: nullable ones are prefixed with an int8 presence marker.
  if (field.nullable && r.int8() < 0) return null;
  return decodeStruct(r, field.sub!, flexible);
}

function encodeStruct(w: Writer, plan: StructPlan, flexible: boolean, value: Struct): void {
  for (const field of plan.fields) encodeField(w, field, flexible, value[field.name]);
  if (!flexible) return;
  const present = plan.tagged.filter((t) => {
    const v = value[t.name];
    return v !== undefined && !isDefault(v, t.defaultValue);
  });
  w.uvarint(present.length);
  for (const field of present) {
    const sub = new Writer(64);
    encodeField(sub, field, true, value[field.name]);
    const bytes = sub.toBuffer();
    w.uvarint(field.tag!);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

function isDefault(v: Value, d: Value): boolean {
  if (v === d) return true;
  if (Array.isArray(v) && Array.isArray(d)) return v.length === 0 && d.length === 0;
  return false;
}

function encodeField(w: Writer, field: FieldPlan, flexible: boolean, v: Value): void {
  if (v === undefined) v = field.defaultValue;
  if (field.array) {
    if (v === null || v === undefined) {
      assert.ok(field.nullable, `field ${field.name} is not nullable in this version`);
      w.arrayLength(-1, flexible);
      return;
    }
    const items = v as Value[];
    w.arrayLength(items.length, flexible);
    for (const item of items) {
      if (field.prim) writePrim(w, field.prim, flexible, item);
      else encodeStruct(w, field.sub!, flexible, item as Struct);
    }
    return;
  }
  if (field.prim) {
    if (v === null && !field.nullable) v = defaultFor({ name: field.name, type: field.prim, versions: '0+' }, field.prim, false, false);
    writePrim(w, field.prim, flexible, v);
    return;
  }
  if (field.nullable) {
    if (v === null || v === undefined) {
      w.int8(-1);
      return;
    }
    w.int8(1);
  }
  encodeStruct(w, field.sub!, flexible, (v ?? {}) as Struct);
}

/** Encoders/decoders for one API, every version, both directions. Plans are built lazily and cached. */
export class ApiCodec {
  private readonly plans = new Map<number, StructPlan>();
  constructor(readonly def: ApiDef) {
    assert.ok(def.versionMin <= def.versionMax, `${def.name}: empty version range`);
  }

  isFlexible(version: number): boolean {
    return this.def.flexibleMin !== null && version >= this.def.flexibleMin;
  }

  supports(version: number): boolean {
    return version >= this.def.versionMin && version <= this.def.versionMax;
  }

  private plan(version: number, response: boolean): StructPlan {
    const key = version * 2 + (response ? 1 : 0);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = planStruct(response ? this.def.response : this.def.request, version);
      this.plans.set(key, plan);
    }
    return plan;
  }

  decodeRequest(version: number, r: Reader): Struct {
    return decodeStruct(r, this.plan(version, false), this.isFlexible(version));
  }
  encodeRequest(version: number, value: Struct, w: Writer): void {
    encodeStruct(w, this.plan(version, false), this.isFlexible(version), value);
  }
  decodeResponse(version: number, r: Reader): Struct {
    return decodeStruct(r, this.plan(version, true), this.isFlexible(version));
  }
  encodeResponse(version: number, value: Struct, w: Writer): void {
    encodeStruct(w, this.plan(version, true), this.isFlexible(version), value);
  }
}
