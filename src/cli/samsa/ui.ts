/**
 * Terminal output for the `samsa` CLI: colours (only when the stream is a terminal and NO_COLOR is
 * unset), aligned tables, JSON for scripts, a one-line progress indicator on stderr, and the error
 * line (`error: …` plus, when known, the fix).
 */

const useColor = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb' && !process.argv.includes('--no-color');

const stdoutColor = useColor(process.stdout);
const stderrColor = useColor(process.stderr);

function paint(on: boolean, open: number, close: number): (s: string) => string {
  return (s) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
}

export const c = {
  bold: paint(stdoutColor, 1, 22),
  dim: paint(stdoutColor, 2, 22),
  green: paint(stdoutColor, 32, 39),
  red: paint(stdoutColor, 31, 39),
  yellow: paint(stdoutColor, 33, 39),
  cyan: paint(stdoutColor, 36, 39),
};

export const ce = {
  bold: paint(stderrColor, 1, 22),
  dim: paint(stderrColor, 2, 22),
  red: paint(stderrColor, 31, 39),
  yellow: paint(stderrColor, 33, 39),
  green: paint(stderrColor, 32, 39),
  cyan: paint(stderrColor, 36, 39),
};

export const isTTY = process.stdout.isTTY === true;

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0); // the reader went away (`| head`)
  throw e;
});

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;

/** An aligned table; the header is bold on a terminal. Cells may contain colour codes. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map((r) => r.map((x) => String(x)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visible(r[i] ?? ''))));
  const line = (r: string[], style: (s: string) => string = (s) => s): string =>
    r
      .map((x, i) => (i === r.length - 1 ? x : x + ' '.repeat(widths[i]! - visible(x))))
      .map(style)
      .join('  ')
      .trimEnd();
  print(line(headers, c.bold));
  for (const r of cells) print(line(r));
}

/** Key/value lines ("NAME      orders"), keys dimmed. */
export function printFields(fields: Array<[string, string | number]>): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) print(`${c.bold(k.padEnd(width))}  ${v}`);
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function printError(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${ce.red(ce.bold('error:'))} ${msg}\n`);
  if (e instanceof CliError && e.hint) process.stderr.write(`${ce.dim('hint:')}  ${e.hint}\n`);
}

export function warn(msg: string): void {
  process.stderr.write(`${ce.yellow('warning:')} ${msg}\n`);
}

/** A progress line on stderr, redrawn in place on a terminal, silent otherwise. */
export class Progress {
  #last = 0;
  #shown = false;
  readonly enabled = process.stderr.isTTY === true;
  update(text: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    this.#shown = true;
    process.stderr.write(`\r\u001b[2K${ce.dim(text)}`);
  }
  done(): void {
    if (this.#shown) process.stderr.write('\r\u001b[2K');
    this.#shown = false;
  }
}
