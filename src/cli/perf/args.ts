/** Tiny argument parsing for the perf tools: Kafka's `--flag value` style, with `key=value` lists. */
import { readFileSync } from 'node:fs';
import { securityFromProps, SecurityConfigError, type ClientSecurity } from '../../client/security.js';
import { parseProperties } from '../../config/properties.js';

export class ArgError extends Error {}

export interface ParsedArgs {
  values: Map<string, string[]>;
  flags: Set<string>;
}

/** `multi` options take every following non-option word (Kafka's --producer-props a=1 b=2). */
export function parseArgs(argv: string[], opts: { valued: string[]; multi?: string[]; flags?: string[] }): ParsedArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const multi = new Set(opts.multi ?? []);
  const valued = new Set(opts.valued);
  const flagSet = new Set(opts.flags ?? []);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ArgError(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (flagSet.has(name)) {
      flags.add(name);
      continue;
    }
    if (multi.has(name)) {
      const list = values.get(name) ?? [];
      if (eq > 0) list.push(a.slice(eq + 1));
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) list.push(argv[++i]!);
      values.set(name, list);
      continue;
    }
    if (!valued.has(name)) throw new ArgError(`unknown option --${name}`);
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new ArgError(`--${name} needs a value`);
    values.set(name, [v]);
  }
  return { values, flags };
}

/**
 * TLS/SASL from client properties (Kafka's security.protocol, sasl.*, ssl.* keys): those of
 * `file` (--producer.config / --consumer.config) overlaid by `inline` (--producer-props).
 */
export function securityOf(file: string | undefined, inline: Map<string, string> = new Map()): ClientSecurity {
  const all: Record<string, string> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ArgError(`cannot read ${file}: ${(e as Error).message}`);
    }
    for (const [k, v] of parseProperties(text, file)) all[k] = v.value.trim();
  }
  for (const [k, v] of inline) all[k] = v;
  try {
    return securityFromProps(all);
  } catch (e) {
    if (e instanceof SecurityConfigError) throw new ArgError(e.message);
    throw e;
  }
}

export function props(list: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ArgError(`property ${kv} is not key=value`);
    m.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
  }
  return m;
}

export function num(a: ParsedArgs, name: string, dflt?: number): number {
  const v = a.values.get(name)?.[0];
  if (v === undefined) {
    if (dflt === undefined) throw new ArgError(`--${name} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ArgError(`--${name} ${v} is not a number`);
  return n;
}

export function str(a: ParsedArgs, name: string, dflt?: string): string {
  const v = a.values.get(name)?.[0];
  if (v === undefined) {
    if (dflt === undefined) throw new ArgError(`--${name} is required`);
    return dflt;
  }
  return v;
}
