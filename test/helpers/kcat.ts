/**
 * kcat as the reference consumer of the e2e tests: reads a topic (all partitions, or one) from a
 * start offset to the current end (-e) and returns each record's partition, offset, key, value and
 * headers. Records must be text without tabs or newlines (the tests generate them that way).
 */
import { kcat } from './broker.js';

export interface KcatRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
  /** kcat's %h: `name=value` pairs joined by commas, '' when there are none. */
  headers: string;
}

export const KCAT_FORMAT = '%p\\t%o\\t%k\\t%s\\t%h\\n';

export function parseKcatRecords(stdout: string): KcatRecord[] {
  const out: KcatRecord[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [p, o, key, value, headers] = line.split('\t');
    out.push({ partition: Number(p), offset: Number(o), key: key ?? '', value: value ?? '', headers: headers ?? '' });
  }
  return out;
}

/** Consumes `topic` with kcat -C -e from `offset` ('beginning', 'end', '-5', '42', ...). */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  opts: { offset?: string; partition?: number; timeoutMs?: number } = {},
): Promise<KcatRecord[]> {
  const args = ['-b', bootstrap, '-m', '15', '-q', '-C', '-t', topic, '-o', opts.offset ?? 'beginning', '-e', '-f', KCAT_FORMAT];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  const r = await kcat(args, { timeoutMs: opts.timeoutMs ?? 60_000 });
  return parseKcatRecords(r.stdout);
}

/** Groups records by partition, keeping their order. */
export function byPartition<T extends { partition: number }>(records: T[]): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const r of records) {
    let list = m.get(r.partition);
    if (!list) m.set(r.partition, (list = []));
    list.push(r);
  }
  return m;
}
