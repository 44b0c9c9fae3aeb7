/**
 * Config value types, parsing and validators shared by the broker key table (broker-config.ts) and
 * the topic key table (topic-config.ts), plus the numeric ConfigSource/ConfigType tables that
 * DescribeConfigs puts on the wire. Pure functions and data: no I/O, no state.
 *
 * Parsing follows Kafka's rules for typed values (facts, not code): every type except password is
 * trimmed first; int/short/long are decimal with an optional sign; boolean is true/false in any
 * case; a list is comma-separated with blanks around items ignored and '' meaning the empty list.
 *
 * int64 representation: a `long` is range-checked against Java's long (exact, with BigInt) and then
 * held as a `number`, clamped to ±Number.MAX_SAFE_INTEGER. Every long key whose default is
 * Long.MAX_VALUE uses it to mean "never" (flush.messages, segment.ms bound, ...), and 2^53-1 means
 * the same in practice while keeping arithmetic exact. `formatLong` prints the clamped value back as
 * Long.MAX_VALUE so DescribeConfigs shows what Kafka shows.
 */
import assert from 'node:assert/strict';

/** DescribeConfigs ConfigSource (v1+), as numbered on the wire. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_LOGGER_CONFIG: 2,
  DYNAMIC_BROKER_CONFIG: 3,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 4,
  STATIC_BROKER_CONFIG: 5,
  DEFAULT_CONFIG: 6,
} as const;
export type ConfigSourceName = keyof typeof ConfigSource;

/** DescribeConfigs ConfigType (v3+), as numbered on the wire. */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigTypeName = keyof typeof ConfigType;

/** The type a key is declared with. Durations are int/long in the unit the key's name says. */
export type ConfigValueType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

/** A parsed value: number for int/short/long/double, string[] for list, null when unset without default. */
export type ConfigValue = boolean | number | string | string[] | null;

export function configTypeName(type: ConfigValueType): ConfigTypeName {
  return type.toUpperCase() as ConfigTypeName;
}

/**
 * A configuration the user gave us is unusable. The message is one line naming the key, the value
 * and what is wrong (which says the fix), followed by where the value came from, e.g.
 * `Invalid value abc for configuration num.partitions: Not a number of type INT (in config/server.properties line 12)`.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly key: string | null;
  constructor(message: string, key: string | null = null) {
    // Callers escape values with showValue(); this catches a line break from anywhere else (an OS
    // error text, a key containing an escaped newline) so the promise of one line always holds.
    super(message.replace(/\r?\n|\r/g, ' '));
    this.key = key;
  }
}

/** Shows a value on one line: control characters escaped, passwords hidden. */
export function showValue(value: string | null, type?: ConfigValueType): string {
  if (value === null) return 'null';
  if (type === 'password') return '[hidden]';
  if (value.trim() === '') return `'${value}'`; // an empty value would otherwise vanish from the sentence
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The standard one-line message for a bad value; `where` is e.g. `in config/server.properties line 12`. */
export function invalidValueMessage(
  key: string,
  value: string | null,
  reason: string,
  where: string | null,
  type?: ConfigValueType,
): string {
  const suffix = where === null ? '' : ` (${where})`;
  return `Invalid value ${showValue(value, type)} for configuration ${key}: ${reason}${suffix}`;
}

// ---------------------------------------------------------------------------------------------
// Validators

/** Checks a parsed, non-null value; returns the reason it is invalid, or null when it is fine. */
export interface Validator {
  check(value: Exclude<ConfigValue, null>): string | null;
  /** Human summary for documentation, e.g. `[14,...]`. */
  readonly summary: string;
}

export function atLeast(min: number): Validator {
  return {
    summary: `[${min},...]`,
    check: (value) => (typeof value === 'number' && value < min ? `Value must be at least ${min}` : null),
  };
}

export function between(min: number, max: number): Validator {
  return {
    summary: `[${min},...,${max}]`,
    check: (value) => {
      if (typeof value !== 'number') return null;
      if (value < min) return `Value must be at least ${min}`;
      if (value > max) return `Value must be no more than ${max}`;
      return null;
    },
  };
}

/** A string that must be one of `allowed` (case-sensitive, as Kafka's ValidString). */
export function oneOf(...allowed: string[]): Validator {
  return {
    summary: `[${allowed.join(', ')}]`,
    check: (value) =>
      typeof value === 'string' && !allowed.includes(value) ? `String must be one of: ${allowed.join(', ')}` : null,
  };
}

/** A list whose every item must be one of `allowed`. */
export function listOf(...allowed: string[]): Validator {
  return {
    summary: `[${allowed.join(', ')}]`,
    check: (value) => {
      if (!Array.isArray(value)) return null;
      const bad = value.find((item) => !allowed.includes(item));
      return bad === undefined ? null : `Item '${bad}' is not allowed; each item must be one of: ${allowed.join(', ')}`;
    },
  };
}

export function custom(summary: string, check: (value: Exclude<ConfigValue, null>) => string | null): Validator {
  return { summary, check };
}

// ---------------------------------------------------------------------------------------------
// Parsing

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const SHORT_MIN = -(2 ** 15);
const SHORT_MAX = 2 ** 15 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
export const LONG_MAX_STRING = LONG_MAX.toString();
export const INT_MAX_STRING = String(INT_MAX);

const INTEGER_PATTERN = /^[+-]?\d+$/;
const DOUBLE_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/;
/** Kafka config provider references such as ${file:/path:key}; Samsa has no providers. */
const PROVIDER_REFERENCE_PATTERN = /\$\{[^}]*\}/;

export type ParseResult = { ok: true; value: Exclude<ConfigValue, null> } | { ok: false; reason: string };

/** Parses one raw string as `type`. Does not run validators. */
export function parseConfigValue(type: ConfigValueType, raw: string): ParseResult {
  if (PROVIDER_REFERENCE_PATTERN.test(raw)) {
    return {
      ok: false,
      reason: 'Config provider references like ${...} are not supported by Samsa; write the value itself',
    };
  }
  const trimmed = raw.trim();
  switch (type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true') return { ok: true, value: true };
      if (lower === 'false') return { ok: true, value: false };
      return { ok: false, reason: 'Expected value to be either true or false' };
    }
    case 'int':
    case 'short': {
      const [min, max, name] = type === 'int' ? [INT_MIN, INT_MAX, 'INT'] : [SHORT_MIN, SHORT_MAX, 'SHORT'];
      if (!INTEGER_PATTERN.test(trimmed)) return { ok: false, reason: `Not a number of type ${name}` };
      const value = Number(trimmed);
      if (value < min || value > max) return { ok: false, reason: `Not a number of type ${name} (must be between ${min} and ${max})` };
      return { ok: true, value: value === 0 ? 0 : value }; // no -0
    }
    case 'long': {
      if (!INTEGER_PATTERN.test(trimmed)) return { ok: false, reason: 'Not a number of type LONG' };
      const big = BigInt(trimmed);
      if (big < LONG_MIN || big > LONG_MAX) {
        return { ok: false, reason: `Not a number of type LONG (must be between ${LONG_MIN} and ${LONG_MAX})` };
      }
      const clamped =
        big > BigInt(Number.MAX_SAFE_INTEGER)
          ? Number.MAX_SAFE_INTEGER
          : big < BigInt(-Number.MAX_SAFE_INTEGER)
            ? -Number.MAX_SAFE_INTEGER
            : Number(big);
      return { ok: true, value: clamped === 0 ? 0 : clamped };
    }
    case 'double': {
      if (!DOUBLE_PATTERN.test(trimmed)) return { ok: false, reason: 'Not a number of type DOUBLE' };
      const value = Number.parseFloat(trimmed);
      assert.ok(Number.isFinite(value), 'the pattern admits only finite decimals');
      return { ok: true, value };
    }
    case 'list':
      return { ok: true, value: trimmed === '' ? [] : trimmed.split(/\s*,\s*/) };
    case 'string':
    case 'class':
      return { ok: true, value: trimmed };
    case 'password':
      return { ok: true, value: raw };
  }
}

/**
 * Parses and validates. Returns the reason as a string when invalid.
 * A list item that is empty (`a,,b` or a trailing comma) is rejected for every list key.
 */
export function parseAndValidate(
  type: ConfigValueType,
  raw: string,
  validator: Validator | undefined,
): { ok: true; value: Exclude<ConfigValue, null> } | { ok: false; reason: string } {
  const parsed = parseConfigValue(type, raw);
  if (!parsed.ok) return parsed;
  if (Array.isArray(parsed.value) && parsed.value.includes('')) {
    return { ok: false, reason: 'A list item is empty; remove the extra comma' };
  }
  const reason = validator?.check(parsed.value) ?? null;
  return reason === null ? parsed : { ok: false, reason };
}

/** Prints a long the way Kafka would (clamped "never" values come back as Long.MAX_VALUE). */
export function formatLong(value: number): string {
  assert.ok(Number.isSafeInteger(value), `long value ${value} is a safe integer`);
  if (value === Number.MAX_SAFE_INTEGER) return LONG_MAX_STRING;
  if (value === -Number.MAX_SAFE_INTEGER) return LONG_MIN.toString();
  return String(value);
}

/** Prints a parsed value in the form DescribeConfigs reports (lists comma-joined). */
export function formatConfigValue(type: ConfigValueType, value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return type === 'long' ? formatLong(value) : String(value);
  return value;
}

/** A key's declaration, shared shape of the broker and topic tables. */
export interface ConfigKeyDef {
  readonly name: string;
  readonly type: ConfigValueType;
  /** Default as Kafka prints it; null means "no default" (the key is unset unless given). */
  readonly default: string | null;
  readonly validator?: Validator;
  readonly doc: string;
}

/** Our bug if a table's default does not parse or pass its own validator: checked when a table module loads. */
export function assertDefaultsValid(table: readonly ConfigKeyDef[]): void {
  const seen = new Set<string>();
  for (const def of table) {
    assert.ok(!seen.has(def.name), `config key ${def.name} is declared once`);
    seen.add(def.name);
    if (def.default === null) continue;
    const result = parseAndValidate(def.type, def.default, def.validator);
    assert.ok(result.ok, `default ${def.default} of ${def.name} is valid: ${result.ok ? '' : result.reason}`);
  }
}

/** Edit distance, for "did you mean" hints on unknown keys. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest known name within 2 edits, or null. */
export function closestName(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
