/**
 * `samsa topic …`: create, list, describe, delete, produce, consume. Tables on a terminal, JSON with
 * --json; errors carry a hint naming the fix.
 */
import { Admin, DEFAULT_CONFIG_SOURCE, ConfigSourceName, ResourceType } from '../../client/admin.js';
import type { KafkaClient } from '../../client/client.js';
import { Consumer, type OffsetSpec } from '../../client/consumer.js';
import { KafkaError } from '../../client/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../client/offsets.js';
import { Producer, type ProducerRecord, type RecordMetadata } from '../../client/producer.js';
import { codecId, type ConsumedRecord, type RecordHeader } from '../../client/records.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { kafkaTopicId } from '../tool/common.js';
import { withClient, type GlobalOptions } from './connect.js';
import { c, ce, CliError, isTTY, print, printFields, printJson, printTable, Progress, warn } from './ui.js';

function int(value: string | undefined, what: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min) throw new CliError(`${what} must be a whole number ≥ ${min}, got '${value}'`);
  return Number(value);
}

function topicError(name: string, e: KafkaError): CliError {
  switch (e.code) {
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return new CliError(`topic '${name}' already exists`, `add --if-not-exists to ignore this, or look at it with \`samsa topic describe ${name}\``);
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      return new CliError(`topic '${name}' does not exist`, 'see the topics there are with `samsa topic list`');
    case ErrorCode.INVALID_REPLICATION_FACTOR:
      return new CliError(e.message, 'a single broker can only hold -r 1; for more replicas start more brokers (`samsa cluster start`)');
    case ErrorCode.INVALID_PARTITIONS:
      return new CliError(e.message, 'use -p with a number of partitions ≥ 1');
    case ErrorCode.INVALID_CONFIG:
      return new CliError(e.message, 'topic configs use Kafka\'s names, e.g. -c retention.ms=86400000 -c cleanup.policy=compact');
    case ErrorCode.INVALID_TOPIC_EXCEPTION:
      return new CliError(e.message, 'topic names use letters, digits, ".", "_" and "-", at most 249 characters');
    case ErrorCode.TOPIC_DELETION_DISABLED:
      return new CliError(e.message, 'start the broker with delete.topic.enable=true');
    default:
      return new CliError(`${name}: ${e.message}`);
  }
}

// ---- create / list / describe / delete --------------------------------------------------------

interface CreateOptions extends GlobalOptions {
  partitions?: string;
  replicas?: string;
  config?: string[];
  ifNotExists?: boolean;
  dryRun?: boolean;
}

export async function topicCreate(names: string[], opts: CreateOptions): Promise<void> {
  const partitions = int(opts.partitions, '--partitions', 1);
  const replicas = int(opts.replicas, '--replicas', 1);
  const configs: Record<string, string> = {};
  for (const kv of opts.config ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliError(`-c needs key=value, got '${kv}'`, 'for example: -c retention.ms=86400000');
    configs[kv.slice(0, i).trim()] = kv.slice(i + 1);
  }
  await withClient(opts, async (client) => {
    const admin = new Admin(client);
    const results = await admin.createTopics(
      names.map((name) => ({ name, numPartitions: partitions ?? -1, replicationFactor: replicas ?? -1, configs })),
      { validateOnly: opts.dryRun === true },
    );
    const rows = results.map((r) => {
      const exists = r.error?.code === ErrorCode.TOPIC_ALREADY_EXISTS;
      const status = r.error ? (exists && opts.ifNotExists ? 'exists' : 'failed') : opts.dryRun ? 'valid' : 'created';
      return { topic: r.name, status, error: r.error && !(exists && opts.ifNotExists) ? r.error : null };
    });
    if (opts.json) printJson(rows.map((r) => ({ topic: r.topic, status: r.status, ...(r.error ? { error: r.error.message } : {}) })));
    else if (names.length > 1) {
      printTable(
        ['TOPIC', 'STATUS'],
        rows.map((r) => [r.topic, r.error ? c.red(r.error.message) : c.green(r.status)]),
      );
    } else if (!rows[0]!.error) {
      const r = rows[0]!;
      const what = r.status === 'exists' ? 'already exists' : r.status === 'valid' ? 'is valid (dry run, nothing created)' : 'created';
      print(`${c.green('✓')} topic ${c.bold(r.topic)} ${what}`);
    }
    const failed = rows.find((r) => r.error);
    if (failed) {
      if (opts.json || names.length > 1) process.exitCode = 1;
      else throw topicError(failed.topic, failed.error!);
    }
  });
}

export async function topicList(opts: GlobalOptions & { internal?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const admin = new Admin(client);
    const topics = (await admin.describeTopics(null)).filter((t) => t.errorCode === ErrorCode.NONE && (opts.internal || !t.isInternal));
    if (opts.json) {
      printJson(topics.map((t) => ({ name: t.name, partitions: t.partitions.length, replicas: t.partitions[0]?.replicas.length ?? 0, internal: t.isInternal })));
      return;
    }
    if (topics.length === 0) {
      if (isTTY) print(c.dim('no topics yet — create one with `samsa topic create <name>`'));
      return;
    }
    printTable(
      ['NAME', 'PARTITIONS', 'REPLICAS'],
      topics.map((t) => [t.isInternal ? `${t.name} ${c.dim('(internal)')}` : t.name, t.partitions.length, t.partitions[0]?.replicas.length ?? 0]),
    );
  });
}

export async function topicDescribe(name: string, opts: GlobalOptions & { allConfigs?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const admin = new Admin(client);
    const [t] = await admin.describeTopics([name]);
    if (!t || t.errorCode !== ErrorCode.NONE) throw topicError(name, new KafkaError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    const queries = t.partitions.flatMap((p) => [
      { topic: name, partition: p.partition, timestamp: EARLIEST_TIMESTAMP },
      { topic: name, partition: p.partition, timestamp: LATEST_TIMESTAMP },
    ]);
    const offsets = await admin.listOffsets(queries).catch((e: Error) => {
      warn(`could not read offsets: ${e.message}`);
      return null;
    });
    const [cfg] = await admin.describeConfigs([{ type: ResourceType.TOPIC, name }]);
    const entries = (cfg?.entries ?? []).filter((e) => opts.allConfigs || e.source !== DEFAULT_CONFIG_SOURCE);
    const partitions = t.partitions.map((p, i) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      logStartOffset: offsets ? offsets[2 * i]!.offset : null,
      highWatermark: offsets ? offsets[2 * i + 1]!.offset : null,
    }));
    if (opts.json) {
      printJson({
        name: t.name,
        id: kafkaTopicId(t.topicId),
        internal: t.isInternal,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        partitions,
        configs: Object.fromEntries(entries.map((e) => [e.name, { value: e.value, source: ConfigSourceName[e.source] ?? 'UNKNOWN' }])),
      });
      return;
    }
    printFields([
      ['NAME', t.name + (t.isInternal ? c.dim(' (internal)') : '')],
      ['ID', kafkaTopicId(t.topicId)],
      ['PARTITIONS', t.partitions.length],
      ['REPLICAS', t.partitions[0]?.replicas.length ?? 0],
    ]);
    print();
    printTable(
      ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'LOG-START', 'HIGH-WATERMARK'],
      partitions.map((p) => [
        p.partition,
        p.leader >= 0 ? p.leader : c.red('none'),
        p.leaderEpoch,
        p.replicas.join(','),
        p.isr.length < p.replicas.length ? c.yellow(p.isr.join(',')) : p.isr.join(','),
        p.logStartOffset ?? '-',
        p.highWatermark ?? '-',
      ]),
    );
    print();
    if (entries.length === 0) print(c.dim('configs: all defaults (see them with --all-configs)'));
    else {
      printTable(
        ['CONFIG', 'VALUE', 'SOURCE'],
        entries.map((e) => [e.name, e.sensitive ? '(sensitive)' : (e.value ?? 'null'), ConfigSourceName[e.source] ?? 'UNKNOWN']),
      );
    }
  });
}

export async function topicDelete(names: string[], opts: GlobalOptions & { ifExists?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const admin = new Admin(client);
    const results = await admin.deleteTopics(names);
    const rows = results.map((r) => {
      const missing = r.error?.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      const ignored = missing && opts.ifExists;
      return { topic: r.name, status: r.error ? (ignored ? 'absent' : 'failed') : 'deleted', error: r.error && !ignored ? r.error : null };
    });
    if (opts.json) printJson(rows.map((r) => ({ topic: r.topic, status: r.status, ...(r.error ? { error: r.error.message } : {}) })));
    else if (names.length > 1) {
      printTable(
        ['TOPIC', 'STATUS'],
        rows.map((r) => [r.topic, r.error ? c.red(r.error.message) : c.green(r.status)]),
      );
    } else if (!rows[0]!.error) {
      const r = rows[0]!;
      print(`${c.green('✓')} topic ${c.bold(r.topic)} ${r.status === 'absent' ? 'did not exist' : 'deleted'}`);
    }
    const failed = rows.find((r) => r.error);
    if (failed) {
      if (opts.json || names.length > 1) process.exitCode = 1;
      else throw topicError(failed.topic, failed.error!);
    }
  });
}

// ---- produce ----------------------------------------------------------------------------------

interface ProduceOptions extends GlobalOptions {
  key?: string;
  keySeparator?: string;
  partition?: string;
  header?: string[];
  compression?: string;
  acks?: string;
  lingerMs?: string;
}

export async function topicProduce(name: string, messages: string[], opts: ProduceOptions): Promise<void> {
  const codec = codecId(opts.compression ?? 'none');
  if (codec === undefined) throw new CliError(`unknown compression '${opts.compression}'`, 'use none, gzip, snappy, lz4 or zstd');
  const acksText = (opts.acks ?? 'all').toLowerCase();
  const acks = acksText === 'all' || acksText === '-1' ? -1 : acksText === '1' ? 1 : acksText === '0' ? 0 : undefined;
  if (acks === undefined) throw new CliError(`--acks must be all, 1 or 0, got '${opts.acks}'`);
  const partition = int(opts.partition, '--partition');
  const headers: RecordHeader[] = (opts.header ?? []).map((h) => {
    const i = h.indexOf('=');
    if (i <= 0) throw new CliError(`-H needs key=value, got '${h}'`);
    return { key: h.slice(0, i), value: h.slice(i + 1) };
  });
  if (opts.keySeparator === '') throw new CliError('--key-separator must not be empty');
  const fromStdin = messages.length === 0;
  if (fromStdin && process.stdin.isTTY) process.stderr.write(ce.dim(`Type records for ${name}, one per line; Ctrl-D to finish.\n`));

  await withClient(opts, async (client) => {
    // Fail early, with a clear message, if the topic cannot be used.
    await ensureTopic(client, name);
    const producer = new Producer(client, { acks, compression: codec, lingerMs: int(opts.lingerMs, '--linger-ms') ?? 5, onWarning: warn });
    const progress = new Progress();
    const started = Date.now();
    let sent = 0;
    let failed = 0;
    let firstError: Error | null = null;
    const results: Array<RecordMetadata | { error: string }> = [];
    const keep = !fromStdin || process.stdin.isTTY === true;
    const record = (line: string): ProducerRecord => {
      let key: string | null = opts.key ?? null;
      let value = line;
      if (opts.keySeparator !== undefined) {
        const i = line.indexOf(opts.keySeparator);
        if (i >= 0) {
          key = line.slice(0, i);
          value = line.slice(i + opts.keySeparator.length);
        }
      }
      const r: ProducerRecord = { topic: name, key, value };
      if (partition !== undefined) r.partition = partition;
      if (headers.length > 0) r.headers = headers;
      return r;
    };
    const send = async (line: string): Promise<void> => {
      const index = sent++;
      const ok = producer.send(record(line), (e, meta) => {
        if (e) {
          failed++;
          firstError ??= e;
          if (keep) results[index] = { error: e.message };
        } else if (keep) {
          results[index] = meta!;
          if (!opts.json && process.stdin.isTTY && fromStdin) print(c.dim(`→ partition ${meta!.partition}, offset ${meta!.offset}`));
        }
      });
      if (!ok) await producer.waitForCapacity();
      progress.update(`produced ${sent.toLocaleString()} records…`);
    };
    if (fromStdin) {
      await forEachLine(process.stdin, send);
    } else {
      for (const m of messages) await send(m);
    }
    await producer.close();
    progress.done();
    const ms = Date.now() - started;
    if (opts.json) {
      printJson({ topic: name, produced: sent - failed, failed, ...(keep ? { records: results } : {}) });
    } else if (keep && !fromStdin) {
      for (const r of results) {
        if ('error' in r) print(`${c.red('✗')} ${r.error}`);
        else print(`${c.green('✓')} produced to ${c.bold(`${name}`)} partition ${r.partition} at offset ${r.offset}`);
      }
    } else if (!(fromStdin && process.stdin.isTTY)) {
      const rate = ms > 0 ? Math.round(((sent - failed) * 1000) / ms) : sent;
      print(`${c.green('✓')} produced ${(sent - failed).toLocaleString()} record${sent - failed === 1 ? "" : "s"} to ${c.bold(name)} in ${ms} ms${sent > 1000 ? c.dim(` (${rate.toLocaleString()} records/s)`) : ''}`);
    }
    if (failed > 0) throw new CliError(`${failed} of ${sent} records were not acknowledged: ${(firstError as Error | null)?.message ?? ''}`);
  }, 'samsa-producer');
}

async function ensureTopic(client: KafkaClient, name: string): Promise<void> {
  try {
    await client.topicMetadata(name, { allowAutoTopicCreation: true, refresh: true });
  } catch (e) {
    if (e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new CliError(`topic '${name}' does not exist (and the broker does not create topics automatically)`, `create it with \`samsa topic create ${name}\``);
    }
    throw e;
  }
}

/** Calls fn for every line of a stream (without the line break), pausing the stream while fn runs. */
async function forEachLine(stream: NodeJS.ReadStream, fn: (line: string) => Promise<void>): Promise<void> {
  stream.setEncoding('utf8');
  let partial = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const l of lines) await fn(l.endsWith('\r') ? l.slice(0, -1) : l);
  }
  if (partial !== '') await fn(partial);
}

// ---- consume ----------------------------------------------------------------------------------

interface ConsumeOptions extends GlobalOptions {
  fromBeginning?: boolean;
  offset?: string;
  partition?: string[];
  num?: string;
  group?: string;
  format?: string;
  timeoutMs?: string;
  readCommitted?: boolean;
}

type Piece = string | ((r: ConsumedRecord) => Buffer | string);

/** Compiles a kcat-like format: %v %k %t %p %o %T %h %%, and \n \t \\ escapes. */
function compileFormat(format: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === '\\' && i + 1 < format.length) {
      const n = format[++i]!;
      text += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
      continue;
    }
    if (ch !== '%' || i + 1 >= format.length) {
      text += ch;
      continue;
    }
    const f = format[++i]!;
    const field: Record<string, (r: ConsumedRecord) => Buffer | string> = {
      v: (r) => r.value ?? 'null',
      k: (r) => r.key ?? 'null',
      t: (r) => r.topic,
      p: (r) => String(r.partition),
      o: (r) => String(r.offset),
      T: (r) => String(r.timestampMs),
      h: (r) => r.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? 'null'}`).join(','),
    };
    if (f === '%') text += '%';
    else if (field[f]) {
      if (text) pieces.push(text);
      text = '';
      pieces.push(field[f]!);
    } else throw new CliError(`unknown format field %${f}`, 'use %v value, %k key, %t topic, %p partition, %o offset, %T timestamp, %h headers');
  }
  if (text) pieces.push(text);
  return pieces;
}

function parseOffset(s: string | undefined, fromBeginning: boolean): OffsetSpec | { fromEnd: number } {
  if (s === undefined) return fromBeginning ? 'earliest' : 'latest';
  const t = s.trim().toLowerCase();
  if (t === 'earliest' || t === 'beginning' || t === 'start' || t === 'oldest') return 'earliest';
  if (t === 'latest' || t === 'end' || t === 'newest') return 'latest';
  if (/^\d+$/.test(t)) return Number(t);
  if (/^-\d+$/.test(t)) return { fromEnd: Number(t.slice(1)) };
  if (/^@\d+$/.test(t)) return { timestampMs: Number(t.slice(1)) };
  throw new CliError(`bad --offset '${s}'`, 'use earliest, latest, an offset like 42, -10 for the last ten, or @1700000000000 for a time');
}

export async function topicConsume(names: string[], opts: ConsumeOptions): Promise<void> {
  const pieces = opts.json ? null : compileFormat(opts.format ?? '%v\\n');
  const limit = int(opts.num, '--num');
  const timeoutMs = int(opts.timeoutMs, '--timeout-ms');
  const partitions = opts.partition?.flatMap((p) => p.split(',')).map((p) => int(p, '--partition')!);
  const start = parseOffset(opts.offset, opts.fromBeginning === true);
  if (opts.group && partitions) throw new CliError('--group and --partition cannot be combined', 'a group assigns partitions to its members; drop one of them');

  await withClient(opts, async (client) => {
    const consumer = new Consumer(client, {
      ...(opts.group ? { groupId: opts.group } : {}),
      autoOffsetReset: start === 'earliest' ? 'earliest' : 'latest',
      isolationLevel: opts.readCommitted ? 'read_committed' : 'read_uncommitted',
      onWarning: warn,
    });
    for (const name of names) await ensureTopic(client, name);
    if (opts.group) {
      consumer.subscribe(names);
    } else {
      const assignment: Array<{ topic: string; partition: number; offset: OffsetSpec }> = [];
      for (const name of names) {
        const md = await client.topicMetadata(name);
        for (const p of md.partitions) {
          if (partitions && !partitions.includes(p.partition)) continue;
          assignment.push({ topic: name, partition: p.partition, offset: typeof start === 'object' && 'fromEnd' in start ? 'latest' : start });
        }
        const missing = partitions?.filter((p) => !md.partitions.some((x) => x.partition === p)) ?? [];
        if (missing.length > 0) throw new CliError(`topic '${name}' has no partition ${missing.join(', ')} (it has ${md.partitions.length})`);
      }
      if (typeof start === 'object' && 'fromEnd' in start) {
        const ends = await new Admin(client).listOffsets(assignment.flatMap((a) => [
          { topic: a.topic, partition: a.partition, timestamp: EARLIEST_TIMESTAMP },
          { topic: a.topic, partition: a.partition, timestamp: LATEST_TIMESTAMP },
        ]));
        assignment.forEach((a, i) => {
          a.offset = Math.max(ends[2 * i]!.offset, ends[2 * i + 1]!.offset - start.fromEnd);
        });
      }
      consumer.assign(assignment);
    }
    let stop = false;
    const onSignal = (): void => {
      stop = true;
      consumer.wakeup();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let count = 0;
    let last = Date.now();
    try {
      while (!stop && (limit === undefined || count < limit)) {
        const wait = timeoutMs === undefined ? 1000 : Math.max(0, Math.min(1000, last + timeoutMs - Date.now()));
        const records = await consumer.poll(wait);
        if (records.length === 0) {
          if (timeoutMs !== undefined && Date.now() - last >= timeoutMs) break;
          continue;
        }
        last = Date.now();
        const n = limit === undefined ? records.length : Math.min(records.length, limit - count);
        const parts: Array<Buffer | string> = [];
        for (let i = 0; i < n; i++) {
          const r = records[i]!;
          if (pieces === null) {
            parts.push(
              `${JSON.stringify({
                topic: r.topic,
                partition: r.partition,
                offset: r.offset,
                timestamp: r.timestampMs,
                key: r.key?.toString('utf8') ?? null,
                value: r.value?.toString('utf8') ?? null,
                headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null])),
              })}\n`,
            );
          } else {
            for (const p of pieces) parts.push(typeof p === 'string' ? p : p(r));
          }
        }
        count += n;
        if (n < records.length) consumer.seek(records[n - 1]!.topic, records[n - 1]!.partition, records[n - 1]!.offset + 1);
        const buf = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
        if (!process.stdout.write(buf)) await new Promise((r) => process.stdout.once('drain', r));
      }
    } finally {
      await consumer.close();
    }
    if (process.stderr.isTTY && !opts.json) process.stderr.write(ce.dim(`${count.toLocaleString()} record${count === 1 ? '' : 's'}\n`));
  }, 'samsa-consumer');
}
