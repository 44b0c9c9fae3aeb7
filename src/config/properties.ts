/**
 * Parser for Java `.properties` text (the format of Kafka's server.properties), written from the
 * format's documented rules. Pure: takes text, returns entries; the caller reads the file.
 *
 * Rules implemented:
 * - Lines end with \n, \r or \r\n. Whitespace is space, tab and form feed.
 * - A line whose first non-whitespace character is `#` or `!` is a comment; blank lines are skipped.
 *   A comment never continues onto the next line, even when it ends with a backslash.
 * - A line ending in an odd number of backslashes continues on the next line; the backslash and line
 *   break are dropped, and so is the next line's leading whitespace. A continued line starting with
 *   `#` is content, not a comment.
 * - The key runs from the first non-whitespace character to the first unescaped `=`, `:` or
 *   whitespace. Then whitespace, at most one `=` or `:`, and more whitespace are skipped; the rest is
 *   the value, trailing whitespace included (typed parsing trims later, except for passwords).
 *   So `key=value`, `key: value` and `key value` are all the same entry.
 * - Escapes in keys and values: \t \n \r \f, \uXXXX (exactly four hex digits, else an error), and a
 *   backslash before any other character stands for that character (`\\`, `\=`, `\:`, `\ `, `\#`).
 * - A key given twice keeps its last value; the entry remembers the earlier line numbers so the
 *   loader can warn.
 *
 * Differences from java.util.Properties, on purpose: the text is expected to be UTF-8 (Java's
 * InputStream loader assumes ISO-8859-1; real config files are ASCII, so both agree there), and a
 * leading byte order mark is ignored.
 */
import { ConfigError } from './config-def.js';

export interface PropertyEntry {
  /** The value with escapes resolved; trailing whitespace kept. */
  value: string;
  /** 1-based line on which the (last) logical line defining this key starts. */
  line: number;
  /** Lines of earlier definitions of the same key, which this one replaced. */
  earlierLines: number[];
}

const WHITESPACE = new Set([' ', '\t', '\f']);

/**
 * Parses properties text into a Map ordered by each key's first appearance.
 * `sourceName` (usually the file path) is used in error messages.
 * Throws ConfigError for a malformed \uXXXX escape, naming the line.
 */
export function parseProperties(text: string, sourceName = 'properties'): Map<string, PropertyEntry> {
  const entries = new Map<string, PropertyEntry>();
  const naturalLines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r\n|\r|\n/);
  let index = 0;
  while (index < naturalLines.length) {
    const startLine = index + 1;
    let current = skipLeadingWhitespace(naturalLines[index]!);
    index++;
    if (current === '' || current.startsWith('#') || current.startsWith('!')) continue;

    let logical = '';
    while (endsWithContinuation(current)) {
      logical += current.slice(0, -1);
      if (index >= naturalLines.length) {
        current = ''; // a continuation at end of input continues into nothing
        break;
      }
      current = skipLeadingWhitespace(naturalLines[index]!);
      index++;
    }
    logical += current;

    const { key, value } = splitKeyValue(logical, sourceName, startLine);
    const previous = entries.get(key);
    entries.set(key, {
      value,
      line: startLine,
      earlierLines: previous === undefined ? [] : [...previous.earlierLines, previous.line],
    });
  }
  return entries;
}

/** Plain key → value view of parseProperties, for callers that do not need line numbers. */
export function parsePropertiesToMap(text: string, sourceName?: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const [key, entry] of parseProperties(text, sourceName)) result.set(key, entry.value);
  return result;
}

function skipLeadingWhitespace(line: string): string {
  let start = 0;
  while (start < line.length && WHITESPACE.has(line[start]!)) start++;
  return line.slice(start);
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitKeyValue(logical: string, sourceName: string, line: number): { key: string; value: string } {
  let keyEnd = 0;
  while (keyEnd < logical.length) {
    const c = logical[keyEnd]!;
    if (c === '\\') {
      keyEnd += 2; // the escaped character is part of the key whatever it is
      continue;
    }
    if (c === '=' || c === ':' || WHITESPACE.has(c)) break;
    keyEnd++;
  }
  keyEnd = Math.min(keyEnd, logical.length);

  let valueStart = keyEnd;
  while (valueStart < logical.length && WHITESPACE.has(logical[valueStart]!)) valueStart++;
  if (valueStart < logical.length && (logical[valueStart] === '=' || logical[valueStart] === ':')) {
    valueStart++;
    while (valueStart < logical.length && WHITESPACE.has(logical[valueStart]!)) valueStart++;
  }
  return {
    key: unescape(logical.slice(0, keyEnd), sourceName, line),
    value: unescape(logical.slice(valueStart), sourceName, line),
  };
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(text: string, sourceName: string, line: number): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) {
      i++; // a lone trailing backslash (only possible at end of input) stands for nothing
      continue;
    }
    if (next === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigError(
          `Malformed \\uXXXX escape '\\u${hex}' in ${sourceName} line ${line}: write exactly four hex digits after \\u, or \\\\u for a literal backslash-u`,
        );
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
      continue;
    }
    out += SIMPLE_ESCAPES[next] ?? next;
    i += 2;
  }
  return out;
}
