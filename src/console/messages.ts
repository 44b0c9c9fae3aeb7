/**
 * The message browser: pages of records from one partition, and producing one record.
 *
 * A page is read with Fetch requests to the partition's leader starting at a resolved offset
 * (an offset, a timestamp through ListOffsets, or "the last N"), `fetchBytesMax` per request, until
 * `limit` records, the partition's end, `scanMax` records looked at (a search) or `fetchesMax`
 * requests, whichever comes first. So the cost of a page depends on its size, never on the size of
 * the topic: a partition of a million records answers as fast as one of ten.
 *
 * Keys, values and header values travel to the browser as base64 of the raw bytes; the browser
 * decides how to show them (text, JSON, hex) and never treats them as markup.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../protocol/messages/fetch.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import { KafkaError } from '../client/errors.js';
import { tpKey } from '../client/offsets.js';
import { decodeRecordSet, type ConsumedRecord } from '../client/records.js';
import { HttpError, type ConsoleContext } from './context.js';
import { requireTopic } from './topics.js';
import type { MessagesPage, ProduceResult, RecordView } from './types.js';

export const PAGE_LIMIT_MAX = 500;
export const SCAN_MAX = 100_000;
const FETCH_BYTES_MAX = 1_048_576;
const FETCHES_MAX = 200;
/** Last Fetch version that names topics (v13+ name them by id). */
const FETCH_BY_NAME_VERSION_MAX = 12;
const PRODUCE_BYTES_MAX = 1_000_000;

export interface BrowseQuery {
  partition: number;
  /** Exactly one of offset, timestampMs, fromEnd decides where to start (default: fromEnd). */
  offset?: number;
  timestampMs?: number;
  fromEnd?: boolean;
  limit: number;
  /** Case-insensitive text to look for in key, value and headers. */
  search?: string;
  scanMax?: number;
}

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

export function parseBrowseQuery(q: URLSearchParams): BrowseQuery {
  const offset = intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const timestampMs = intParam(q, 'timestamp', 0, Number.MAX_SAFE_INTEGER);
  const fromEnd = q.get('from') === 'end';
  if ([offset !== undefined, timestampMs !== undefined, fromEnd].filter(Boolean).length > 1) throw new HttpError(400, 'give one of offset, timestamp or from=end');
  const search = q.get('q') ?? '';
  return {
    partition: intParam(q, 'partition', 0, 1_000_000) ?? 0,
    offset,
    timestampMs,
    fromEnd: fromEnd || (offset === undefined && timestampMs === undefined),
    limit: intParam(q, 'limit', 1, PAGE_LIMIT_MAX) ?? 50,
    search: search === '' ? undefined : search,
    scanMax: intParam(q, 'scan', 1, SCAN_MAX),
  };
}

const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));

function recordView(r: ConsumedRecord): RecordView {
  return {
    partition: r.partition,
    offset: r.offset,
    timestampMs: r.timestampMs,
    timestampType: r.timestampType,
    key: b64(r.key),
    value: b64(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
  };
}

function matcher(search: string): (r: ConsumedRecord) => boolean {
  const needle = search.toLowerCase();
  const has = (b: Buffer | null): boolean => b !== null && b.toString('utf8').toLowerCase().includes(needle);
  return (r) => has(r.key) || has(r.value) || r.headers.some((h) => h.key.toLowerCase().includes(needle) || has(h.value));
}

export async function browse(ctx: ConsoleContext, topicName: string, q: BrowseQuery): Promise<MessagesPage> {
  const { md, topic } = await requireTopic(ctx, topicName);
  const p = topic.partitions.find((x) => x.partition === q.partition);
  if (!p) throw new HttpError(404, `topic '${topicName}' has no partition ${q.partition} (it has ${topic.partitions.length})`);
  const bounds = (await ctx.partitionOffsets(md, [{ topic: topicName, partition: q.partition }])).get(tpKey(topicName, q.partition));
  if (!bounds) throw new HttpError(502, `partition ${topicName}-${q.partition} has no reachable leader right now (leader ${p.leader})`);
  const { earliest, latest } = bounds;

  let start: number;
  if (q.offset !== undefined) start = q.offset;
  else if (q.timestampMs !== undefined) {
    const [answer] = await ctx.admin.listOffsets([{ topic: topicName, partition: q.partition, timestamp: q.timestampMs }]);
    start = answer === undefined || answer.offset < 0 ? latest : answer.offset;
  } else start = latest - q.limit;
  start = Math.min(Math.max(start, earliest), latest);

  const matches = q.search === undefined ? null : matcher(q.search);
  const scanMax = q.scanMax ?? (matches ? 10_000 : q.limit);
  const records: RecordView[] = [];
  let pos = start;
  let scanned = 0;
  for (let fetches = 0; fetches < FETCHES_MAX && pos < latest && records.length < q.limit && scanned < scanMax; fetches++) {
    const batch = await fetchFrom(ctx, topicName, q.partition, p.leader, pos);
    if (batch.records.length === 0 && batch.nextOffset <= pos) break; // nothing readable here (a gap past the end, or an empty fetch)
    let next = batch.nextOffset;
    for (const r of batch.records) {
      if (r.offset < pos) continue;
      if (records.length >= q.limit || scanned >= scanMax || r.offset >= latest) {
        next = r.offset;
        break;
      }
      scanned++;
      if (matches === null || matches(r)) records.push(recordView(r));
      next = r.offset + 1;
    }
    pos = Math.max(next, pos); // past control batches too, which decode to no records
  }
  return { topic: topicName, partition: q.partition, records, startOffset: start, nextOffset: Math.min(pos, latest), earliest, latest, scanned, reachedEnd: pos >= latest };
}

async function fetchFrom(ctx: ConsoleContext, topic: string, partition: number, leader: number, offset: number): Promise<{ records: ConsumedRecord[]; nextOffset: number }> {
  const topicId = ctx.client.cachedTopic(topic)?.topicId ?? ZERO_UUID;
  const body = {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: FETCH_BYTES_MAX,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: FETCH_BYTES_MAX }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
  const res = await ctx.client.requestNode<FetchResponse>(leader, fetchApi, body, topicId === ZERO_UUID ? { versionMax: FETCH_BY_NAME_VERSION_MAX } : {});
  if (res.errorCode && res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
  const part = res.responses[0]?.partitions.find((x) => x.partitionIndex === partition);
  if (!part) throw new HttpError(502, `the leader of ${topic}-${partition} answered the Fetch without that partition`);
  if (part.errorCode !== ErrorCode.NONE) throw new KafkaError(part.errorCode, `reading ${topic}-${partition} at offset ${offset}: ${new KafkaError(part.errorCode).message}`);
  const records: ConsumedRecord[] = [];
  if (!part.records || part.records.length === 0) return { records, nextOffset: offset };
  const { nextOffset } = await decodeRecordSet(part.records, { topic, partition, fetchOffset: offset, checkCrcs: true, abortedTransactions: null }, records);
  return { records, nextOffset };
}

// ---- produce ----------------------------------------------------------------------------------

function optionalText(body: Record<string, unknown>, key: string): string | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new HttpError(400, `${key} must be a string`);
  return v;
}

export async function produce(ctx: ConsoleContext, topicName: string, body: Record<string, unknown>): Promise<ProduceResult> {
  const value = optionalText(body, 'value');
  const key = optionalText(body, 'key');
  const rawHeaders = body.headers ?? [];
  if (!Array.isArray(rawHeaders)) throw new HttpError(400, 'headers must be a list of {"key": "...", "value": "..."}');
  const headers = rawHeaders.map((h: unknown, i) => {
    const o = (h ?? {}) as Record<string, unknown>;
    if (typeof o.key !== 'string' || o.key === '') throw new HttpError(400, `headers[${i}].key must be a non-empty string`);
    if (o.value !== null && o.value !== undefined && typeof o.value !== 'string') throw new HttpError(400, `headers[${i}].value must be a string`);
    return { key: o.key, value: typeof o.value === 'string' ? Buffer.from(o.value, 'utf8') : null };
  });
  const size = (value?.length ?? 0) + (key?.length ?? 0) + headers.reduce((s, h) => s + h.key.length + (h.value?.length ?? 0), 0);
  if (size > PRODUCE_BYTES_MAX) throw new HttpError(400, `the record is ${size} bytes; the console sends records up to ${PRODUCE_BYTES_MAX} bytes`);
  const { topic } = await requireTopic(ctx, topicName);
  let partition: number | undefined;
  if (body.partition !== undefined && body.partition !== null && body.partition !== '') {
    partition = Number(body.partition);
    if (!Number.isInteger(partition) || !topic.partitions.some((p) => p.partition === partition)) {
      throw new HttpError(400, `partition must be one of 0..${topic.partitions.length - 1}, got ${JSON.stringify(body.partition)}`);
    }
  }
  const meta = await ctx.producer.produce({ topic: topicName, key, value, headers, ...(partition === undefined ? {} : { partition }) });
  return { partition: meta.partition, offset: meta.offset, timestampMs: meta.timestampMs };
}
