/**
 * A strict parser of the Prometheus text exposition format 0.0.4 and of OpenMetrics 1.0 text, for
 * checking what /metrics serves. Written from the two specifications; stricter than Prometheus
 * itself where our output promises more:
 * - every sample belongs to a family announced by `# HELP` then `# TYPE` right before its samples,
 *   each family once, its samples contiguous;
 * - metric and label names match the grammar; label values use only the \\ \" \n escapes; values
 *   are floats (or +Inf/-Inf/NaN); no timestamps (we never write them);
 * - counters: 0.0.4 TYPE names end in _total and samples are that name; OpenMetrics TYPE names do
 *   not, samples add _total;
 * - histograms: per label set, _bucket samples with strictly increasing `le`, non-decreasing
 *   counts, a final le="+Inf" equal to _count, then _sum and _count;
 * - no series (name + labels) twice; OpenMetrics ends with `# EOF` and nothing after it.
 * Throws an Error naming the line on the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, Family>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value '${text}'`);
  return Number(text);
}

/** Parses `name{a="b",...} value` into its parts. */
function parseSampleLine(line: string, where: string): Sample {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name '${name}'`);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      if (line[i] === '}') {
        i++;
        break;
      }
      let j = i;
      while (j < line.length && line[j] !== '=') j++;
      const label = line.slice(i, j);
      if (!LABEL_NAME.test(label)) throw new Error(`${where}: bad label name '${label}'`);
      if (label in labels) throw new Error(`${where}: label ${label} twice`);
      if (line[j + 1] !== '"') throw new Error(`${where}: label value of ${label} not quoted`);
      j += 2;
      let value = '';
      for (;;) {
        if (j >= line.length) throw new Error(`${where}: unterminated label value`);
        const c = line[j]!;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[j + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new Error(`${where}: bad escape \\${e ?? ''}`);
          j += 2;
          continue;
        }
        if (c === '\n') throw new Error(`${where}: raw newline in label value`);
        value += c;
        j++;
      }
      labels[label] = value;
      j++; // closing quote
      if (line[j] === ',') j++;
      else if (line[j] !== '}') throw new Error(`${where}: expected , or } after label ${label}`);
      i = j;
    }
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected one space before the value`);
  const rest = line.slice(i + 1);
  if (rest.includes(' ')) throw new Error(`${where}: trailing fields (timestamps are not expected) in '${rest}'`);
  return { name, labels, value: parseValue(rest, where) };
}

function seriesKey(s: Sample): string {
  return `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',')}}`;
}

function checkHistogram(f: Family, where: string): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = seriesKey({ name: '', labels: rest, value: 0 });
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const sum = samples.filter((s) => s.name === `${f.name}_sum`);
    const count = samples.filter((s) => s.name === `${f.name}_count`);
    if (buckets.length + sum.length + count.length !== samples.length) throw new Error(`${where}: histogram ${f.name}${key} has samples of other names`);
    if (sum.length !== 1 || count.length !== 1) throw new Error(`${where}: histogram ${f.name}${key} needs one _sum and one _count`);
    if (buckets.length === 0 || buckets.at(-1)!.labels.le !== '+Inf') throw new Error(`${where}: histogram ${f.name}${key} must end with le="+Inf"`);
    let lastLe = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      const le = b.labels.le;
      if (le === undefined) throw new Error(`${where}: bucket without le in ${f.name}`);
      const bound = parseValue(le, where);
      if (!(bound > lastLe)) throw new Error(`${where}: ${f.name}${key} le values not strictly increasing at ${le}`);
      if (b.value < lastCount) throw new Error(`${where}: ${f.name}${key} bucket counts decrease at le=${le}`);
      lastLe = bound;
      lastCount = b.value;
    }
    if (lastCount !== count[0]!.value) throw new Error(`${where}: ${f.name}${key} +Inf bucket ${lastCount} != _count ${count[0]!.value}`);
  }
}

export function parseExposition(text: string, format: 'prometheus' | 'openmetrics'): Exposition {
  const families = new Map<string, Family>();
  const all: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.pop();
  let current: Family | null = null;
  let pendingHelp: { name: string; help: string } | null = null;
  let ended = false;
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (ended) throw new Error(`${where}: content after # EOF`);
    if (line === '# EOF') {
      if (format !== 'openmetrics') throw new Error(`${where}: # EOF in the 0.0.4 format`);
      ended = true;
      return;
    }
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad name in HELP`);
      const help = sp < 0 ? '' : rest.slice(sp + 1);
      if (/^(?:[^\\]|\\[\\n])*$/.test(help) === false) throw new Error(`${where}: bad escape in HELP (only \\\\ and \\n)`);
      pendingHelp = { name, help };
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, ...extra] = line.slice(7).split(' ');
      if (extra.length > 0 || name === undefined || !METRIC_NAME.test(name)) throw new Error(`${where}: bad TYPE line`);
      if (type !== 'counter' && type !== 'gauge' && type !== 'histogram') throw new Error(`${where}: unexpected type ${type}`);
      if (pendingHelp === null || pendingHelp.name !== name) throw new Error(`${where}: TYPE ${name} not right after its HELP`);
      let family = name;
      if (type === 'counter') {
        if (format === 'prometheus') {
          if (!name.endsWith('_total')) throw new Error(`${where}: counter ${name} should end in _total in the 0.0.4 format`);
          family = name.slice(0, -'_total'.length);
        } else if (name.endsWith('_total')) {
          throw new Error(`${where}: OpenMetrics counter family ${name} must not end in _total`);
        }
      }
      if (families.has(family)) throw new Error(`${where}: family ${family} announced twice`);
      current = { name: family, type, help: pendingHelp.help, samples: [] };
      families.set(family, current);
      pendingHelp = null;
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unexpected comment '${line}'`);
    if (line === '') throw new Error(`${where}: empty line`);
    const s = parseSampleLine(line, where);
    const f: Family | null = current;
    if (f === null) throw new Error(`${where}: sample before any TYPE`);
    const allowed = f.type === 'counter' ? [`${f.name}_total`] : f.type === 'histogram' ? [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`] : [f.name];
    if (!allowed.includes(s.name)) throw new Error(`${where}: sample ${s.name} does not belong to family ${f.name} (${f.type})`);
    if (f.type === 'counter' && !(s.value >= 0)) throw new Error(`${where}: counter ${s.name} is ${s.value}`);
    if (s.labels.le !== undefined && f.type !== 'histogram') throw new Error(`${where}: le label outside a histogram`);
    const key = seriesKey(s);
    if (seen.has(key)) throw new Error(`${where}: series ${key} twice`);
    seen.add(key);
    f.samples.push(s);
    all.push(s);
  });
  if (format === 'openmetrics' && !ended) throw new Error('OpenMetrics exposition without # EOF');
  for (const f of families.values()) {
    if (f.samples.length === 0) throw new Error(`family ${f.name} has no samples`);
    if (f.type === 'histogram') checkHistogram(f, `family ${f.name}`);
  }
  return { families, samples: all };
}

/** The value of the one sample named `name` whose labels include `labels`; throws when not exactly one. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const hits = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length);
  if (hits.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${hits.length}`);
  return hits[0]!.value;
}

/** Sum of every sample named `name` whose labels include `labels` (0 when none). */
export function sumOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}
