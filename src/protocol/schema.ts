/**
 * Our declarative format for Kafka message definitions. Each API is one file in messages/ that
 * lists its request and response fields once, with the versions each field exists in; codec.ts
 * derives the encoder and decoder for every version from it.
 *
 * Version ranges are written as strings: '3+' (3 and later), '0-4' (inclusive), '5' (only 5),
 * 'none' (never). A field's `nullable` range says in which versions it may be null. A field with
 * `tag` is a tagged field (flexible versions only) and is written only when it differs from its
 * default. A field whose type is an array of fields is an array of structs; `struct: true` makes it a
 * single nested struct instead.
 *
 * Types: int8 int16 uint16 int32 uint32 int64 float64 bool string bytes records uuid, plus `T[]` for
 * arrays of primitives. `records` is a nullable byte field kept as a Buffer view (record batches).
 */

export type PrimitiveType =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export type FieldType = PrimitiveType | `${PrimitiveType}[]` | FieldDef[];

export interface FieldOptions {
  /** Versions in which the value may be null (strings, bytes, records, arrays, structs). */
  nullable?: string;
  /** Tagged field number: present only in flexible versions, inside the tag section. */
  tag?: number;
  /** Value used when the field is absent in a version, or omitted by the caller on encode. */
  default?: unknown;
  /** With a FieldDef[] type: a single struct instead of an array of structs. */
  struct?: boolean;
}

export interface FieldDef extends FieldOptions {
  name: string;
  type: FieldType;
  versions: string;
}

export interface ApiDef {
  apiKey: number;
  name: string;
  /** Lowest and highest version we implement. */
  versionMin: number;
  versionMax: number;
  /** First flexible version (compact encodings + tagged fields), or null if none we implement is. */
  flexibleMin: number | null;
  request: FieldDef[];
  response: FieldDef[];
}

/** A field; `versions` defaults to all. */
export function f(name: string, type: FieldType, versions = '0+', options: FieldOptions = {}): FieldDef {
  return { name, type, versions, ...options };
}

export interface VersionRange {
  min: number;
  max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };

export function parseVersions(spec: string): VersionRange {
  const s = spec.trim();
  if (s === 'none') return NONE;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number.MAX_SAFE_INTEGER };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`bad version range '${spec}'`);
}

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}
