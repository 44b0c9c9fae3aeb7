/**
 * Argument parsing for the Kafka-compatible tools (bin/kafka-*), written to behave like the option
 * parser Kafka's tools use, so that commands copied from a tutorial parse the same way:
 * - long options only, `--name value` or `--name=value`; a unique prefix of a name is accepted
 *   (`--bootstrap localhost:9092`);
 * - options declared `multiple` may repeat (`--config a=1 --config b=2`); a repeated single option
 *   keeps its last value;
 * - an option with an optional argument takes the next word only when it does not start with `--`;
 * - errors are UsageError with Kafka's wording (`foo is not a recognized option`,
 *   `Option [topic] requires an argument`).
 * formatHelp() prints the two-column "Option / Description" table Kafka's tools print for --help.
 */

export type ArgKind = 'none' | 'required' | 'optional';

export interface OptionSpec {
  name: string;
  /** Default 'required' when argName is given, else 'none'. */
  kind?: ArgKind;
  /** Shown in help: `--topic <String: topic>`. */
  argName?: string;
  description: string;
  multiple?: boolean;
  /** Shown in help as "(default: ...)"; not applied by the parser. */
  defaultText?: string;
  /** Value used when an optional-argument option is given without a value. */
  impliedValue?: string;
}

export interface ToolSpec {
  /** e.g. kafka-topics */
  name: string;
  /** One paragraph printed above the option table. */
  summary: string;
  options: OptionSpec[];
  /**
   * How usage errors are framed: 'joptsimple' (default; Kafka's admin tools: the message, then a
   * pointer to --help) or 'argparse' (the verifiable-* tools, which Kafka builds on argparse4j:
   * `<name>: error: <message>`).
   */
  errorStyle?: 'joptsimple' | 'argparse';
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export class ParsedArgs {
  constructor(
    readonly values: Map<string, string[]>,
    readonly positional: string[],
    /** The raw argv, for messages that quote the command. */
    readonly argv: string[],
  ) {}
  has(name: string): boolean {
    return this.values.has(name);
  }
  /** The last value given, or undefined. */
  get(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : v[v.length - 1];
  }
  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }
  /** Parses an integer option; UsageError naming the option when it is not one. */
  int(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
    const n = Number(v.trim());
    if (opts.min !== undefined && n < opts.min) throw new UsageError(`Option ${name} must be at least ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new UsageError(`Option ${name} must be at most ${opts.max}, got ${n}`);
    return n;
  }
}

function kindOf(o: OptionSpec): ArgKind {
  return o.kind ?? (o.argName ? 'required' : 'none');
}

export function parseToolArgs(spec: ToolSpec, argv: string[]): ParsedArgs {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  const put = (o: OptionSpec, v: string): void => {
    const list = values.get(o.name);
    if (list && o.multiple) list.push(v);
    else values.set(o.name, [v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const rawName = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    let o = byName.get(rawName);
    if (!o) {
      const matches = spec.options.filter((x) => x.name.startsWith(rawName));
      if (matches.length === 1 && rawName.length > 0) o = matches[0];
      else if (matches.length > 1) throw new UsageError(`Option ${rawName} is ambiguous (${matches.map((m) => `--${m.name}`).join(', ')})`);
      else throw new UsageError(`${rawName} is not a recognized option`);
    }
    const kind = kindOf(o);
    if (kind === 'none') {
      if (inline !== undefined) throw new UsageError(`Option [${o.name}] does not take an argument`);
      put(o, '');
    } else if (inline !== undefined) {
      put(o, inline);
    } else if (kind === 'required') {
      const v = argv[i + 1];
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`Option [${o.name}] requires an argument`);
      put(o, v);
      i++;
    } else {
      const v = argv[i + 1];
      if (v !== undefined && !v.startsWith('--')) {
        put(o, v);
        i++;
      } else {
        put(o, o.impliedValue ?? '');
      }
    }
  }
  return new ParsedArgs(values, positional, argv);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

const LEFT_WIDTH = 40;
const RIGHT_WIDTH = 40;

/** Kafka-style help: summary, then an "Option / Description" table sorted by option name. */
export function formatHelp(spec: ToolSpec): string {
  const out: string[] = [...wrap(spec.summary, LEFT_WIDTH + RIGHT_WIDTH + 1), ''];
  out.push(`${'Option'.padEnd(LEFT_WIDTH)} Description`);
  out.push(`${'------'.padEnd(LEFT_WIDTH)} -----------`);
  const sorted = [...spec.options].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const o of sorted) {
    const kind = kindOf(o);
    let left = `--${o.name}`;
    if (kind === 'required') left += ` <${o.argName ?? 'value'}>`;
    if (kind === 'optional') left += ` [${o.argName ?? 'value'}]`;
    const leftLines = wrap(left, LEFT_WIDTH).map((l, i) => (i === 0 ? l : `  ${l}`));
    const desc = o.defaultText !== undefined ? `${o.description} (default: ${o.defaultText})` : o.description;
    const rightLines = wrap(desc, RIGHT_WIDTH).map((l, i) => (i === 0 ? l : `  ${l}`));
    const n = Math.max(leftLines.length, rightLines.length);
    for (let i = 0; i < n; i++) {
      const l = leftLines[i] ?? '';
      const r = rightLines[i] ?? '';
      out.push(r === '' ? l : `${l.padEnd(LEFT_WIDTH)} ${r}`);
    }
  }
  return `${out.join('\n')}\n`;
}
