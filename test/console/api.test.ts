/**
 * Goal: the web console's HTTP handler (src/console/routes.ts) without a browser: (1) it owns only
 * its paths (null for /metrics, /health, ...), serves its page and modules with a strict
 * Content-Security-Policy and never serves files outside its module folder; (2) changes need POST,
 * JSON, the X-Samsa-Console header and a same-origin Origin, and a read-only console refuses them;
 * (3) bad input gets a clear 4xx line, never a stack trace; (4) paging is exact and cheap on a
 * partition of 1,000,000 records: the last page, a page from the middle, a page at a timestamp and
 * a bounded search each answer in well under a second; (5) the metrics page reads a Prometheus
 * endpoint (rates from counters, mean latency from histograms) and falls back to offsets when it is
 * down; (6) the bounded sample history and the Prometheus text parser.
 *
 * Method: an in-process broker (test/helpers/broker.ts) on 127.0.0.1; the handler called directly
 * with AdminHttpRequest objects; records produced with our client's Producer; a tiny node:http
 * server standing in for the broker's /metrics.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Admin, KafkaClient, Producer } from '../../src/client/index.js';
import { History, rates } from '../../src/console/history.js';
import { parsePrometheusText } from '../../src/console/metrics.js';
import { createConsoleHandler, type AdminHttpHandler, type AdminHttpRequest, type AdminHttpResponse } from '../../src/console/routes.js';
import type { MessagesPage, MetricsOverview, TopicSummary } from '../../src/console/types.js';
import { sleep, startBroker, type StartedBroker } from '../helpers/broker.js';

const BIG = 'console-big';
const BIG_RECORDS = 1_000_000;
const SMALL = 'console-small';

function request(method: string, pathAndQuery: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): AdminHttpRequest {
  // Split by hand: new URL() would resolve '..' segments that a raw request can carry.
  const [path = '', query = ''] = pathAndQuery.split('?', 2);
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  return { method, path, query: new URLSearchParams(query), headers: { host: '127.0.0.1:9021', ...opts.headers }, body };
}

const MUTATION_HEADERS = { 'content-type': 'application/json', 'x-samsa-console': '1', origin: 'http://127.0.0.1:9021' };

async function call(handler: AdminHttpHandler, req: AdminHttpRequest): Promise<AdminHttpResponse> {
  const res = await handler(req);
  assert.ok(res, `${req.method} ${req.path} answered null`);
  return res;
}

async function getJson<T>(handler: AdminHttpHandler, pathAndQuery: string, status = 200): Promise<T> {
  const res = await call(handler, request('GET', pathAndQuery));
  assert.equal(res.status, status, `GET ${pathAndQuery}: ${String(res.body)}`);
  return JSON.parse(String(res.body)) as T;
}

async function post(handler: AdminHttpHandler, path: string, body: unknown, headers: Record<string, string> = MUTATION_HEADERS): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await call(handler, request('POST', path, { body, headers }));
  return { status: res.status, body: JSON.parse(String(res.body)) as Record<string, unknown> };
}

/** Offsets of a page's records, after checking the values are the ones produced at them. */
function offsetsOf(page: MessagesPage): number[] {
  for (const r of page.records) assert.equal(Buffer.from(r.value!, 'base64').toString(), `record-${r.offset}`);
  return page.records.map((r) => r.offset);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

describe('web console API', { timeout: 180_000 }, () => {
  let broker: StartedBroker;
  let client: KafkaClient;
  let console_: ReturnType<typeof createConsoleHandler>;
  let handler: AdminHttpHandler;
  let middleTimestampMs = 0;

  before(async () => {
    broker = await startBroker();
    client = new KafkaClient({ bootstrapServers: broker.bootstrap });
    const admin = new Admin(client);
    for (const r of await admin.createTopics([{ name: BIG, numPartitions: 1, replicationFactor: 1 }, { name: SMALL, numPartitions: 2, replicationFactor: 1 }])) assert.equal(r.error, null);
    const producer = new Producer(client, { acks: 1, lingerMs: 5, batchSizeBytes: 262_144 });
    for (let i = 0; i < BIG_RECORDS; i++) {
      if (i === BIG_RECORDS / 2) {
        await producer.flush();
        await sleep(20);
        middleTimestampMs = Date.now();
        await sleep(20);
      }
      if (!producer.send({ topic: BIG, partition: 0, value: `record-${i}` })) await producer.waitForCapacity();
    }
    for (let i = 0; i < 20; i++) producer.send({ topic: SMALL, partition: 0, key: `k${i}`, value: i === 13 ? 'the needle is here' : `hay ${i}` });
    await producer.close();
    console_ = createConsoleHandler({ bootstrapServers: [broker.bootstrap] });
    handler = console_.handler;
  });

  after(async () => {
    await console_?.close();
    await client?.close();
    await broker?.stop();
  });

  it('owns only its paths and serves its page and modules under a strict CSP', async () => {
    for (const p of ['/metrics', '/health', '/ready', '/v2/x', '/consolex', '/favicon.ico']) assert.equal(await handler(request('GET', p)), null, p);
    const page = await call(handler, request('GET', '/'));
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type']!, /^text\/html/);
    assert.match(page.headers['content-security-policy']!, /script-src 'self'/);
    assert.doesNotMatch(page.headers['content-security-policy']!, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(String(page.body), /<script type="module" src="\/console\/app\.js"><\/script>/);
    const app = await call(handler, request('GET', '/console/app.js'));
    assert.equal(app.status, 200, String(app.body));
    assert.match(app.headers['content-type']!, /^text\/javascript/);
    assert.match(String(app.body), /hashchange/);
    assert.equal((await call(handler, request('GET', '/console/app.css'))).status, 200);
    for (const p of ['/console/../routes.js', '/console/%2e%2e/routes.js', '/console/nope.js', '/console/App.js', '/console/ui/app.js']) {
      const res = await call(handler, request('GET', p));
      assert.equal(res.status, 404, `${p}: ${String(res.body)}`);
    }
  });

  it('allows changes only by POST with JSON, the console header and a same-origin Origin', async () => {
    const body = { name: 'console-refused', partitions: 1 };
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ 'content-type': 'application/json' }, 403, /X-Samsa-Console: 1/],
      [{ 'x-samsa-console': '1', 'content-type': 'text/plain' }, 415, /application\/json/],
      [{ ...MUTATION_HEADERS, origin: 'http://evil.example' }, 403, /cross-origin/],
    ];
    for (const [headers, status, message] of cases) {
      const r = await post(handler, '/v1/topics', body, headers);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(String(r.body.error), message);
    }
    const del = await call(handler, request('DELETE', `/v1/topics/${SMALL}`));
    assert.equal(del.status, 405);
    assert.ok(!(await new Admin(client).listTopics()).includes('console-refused'), 'a refused create must create nothing');

    const readOnly = createConsoleHandler({ bootstrapServers: [broker.bootstrap], readOnly: true });
    try {
      const r = await post(readOnly.handler, `/v1/topics/${SMALL}/messages`, { value: 'x' });
      assert.equal(r.status, 403);
      assert.match(String(r.body.error), /read-only/);
      assert.match(String((await call(readOnly.handler, request('GET', '/'))).body), /data-read-only="1"/);
    } finally {
      await readOnly.close();
    }
  });

  it('answers bad input with a clear 4xx line', async () => {
    const bad: Array<[string, number, RegExp]> = [
      ['/v1/topics/bad%20name', 400, /not a valid topic name/],
      ['/v1/topics/no-such-topic', 404, /does not exist/],
      [`/v1/topics/${SMALL}/messages?partition=9`, 404, /no partition 9 \(it has 2\)/],
      [`/v1/topics/${SMALL}/messages?limit=0`, 400, /limit must be a whole number from 1 to 500/],
      [`/v1/topics/${SMALL}/messages?offset=abc`, 400, /offset must be a whole number/],
      [`/v1/topics/${SMALL}/messages?offset=1&timestamp=5`, 400, /one of offset, timestamp or from=end/],
      ['/v1/topics/%E0%A4%A', 400, /bad URL escape/],
      ['/v1/nothing', 404, /no console API/],
    ];
    for (const [p, status, message] of bad) {
      const res = await call(handler, request('GET', p));
      assert.equal(res.status, status, `${p}: ${String(res.body)}`);
      assert.match((JSON.parse(String(res.body)) as { error: string }).error, message, p);
    }
    const posts: Array<[string, unknown, number, RegExp]> = [
      ['/v1/topics', '{not json', 400, /not valid JSON/],
      ['/v1/topics', [1, 2], 400, /JSON object/],
      ['/v1/topics', { name: 'x', partitions: -1 }, 400, /partitions must be a whole number from 1/],
      ['/v1/topics', { name: SMALL }, 409, /TOPIC_ALREADY_EXISTS/],
      ['/v1/topics/no-such-topic/messages', { value: 'x' }, 404, /does not exist/],
      [`/v1/topics/${SMALL}/messages`, { value: 5 }, 400, /value must be a string/],
      [`/v1/topics/${SMALL}/messages`, { value: 'x', partition: 7 }, 400, /partition must be one of 0\.\.1/],
      [`/v1/topics/${SMALL}/delete`, {}, 400, /"confirm": "console-small"/],
      [`/v1/topics/${SMALL}/partitions`, { count: 1 }, 400, /already has 2 partitions/],
      [`/v1/topics/${SMALL}/configs`, {}, 400, /nothing to change/],
      ['/v1/groups/some-group/reset-offsets', { to: 'sideways' }, 400, /to must be/],
    ];
    for (const [p, body, status, message] of posts) {
      const r = await post(handler, p, body);
      assert.equal(r.status, status, `${p} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.match(String(r.body.error), message, p);
    }
  });

  it('pages through 1,000,000 records exactly and fast: last page, middle, timestamp, search', async () => {
    const timed = async (q: string): Promise<{ page: MessagesPage; ms: number }> => {
      const t0 = performance.now();
      const page = await getJson<MessagesPage>(handler, `/v1/topics/${BIG}/messages?partition=0&${q}`);
      return { page, ms: performance.now() - t0 };
    };
    const last = await timed('from=end&limit=50');
    assert.deepEqual(offsetsOf(last.page), range(BIG_RECORDS - 50, 50));
    assert.equal(last.page.latest, BIG_RECORDS);
    assert.equal(last.page.reachedEnd, true);
    const middle = await timed('offset=500000&limit=100');
    assert.deepEqual(offsetsOf(middle.page), range(500_000, 100));
    assert.equal(middle.page.nextOffset, 500_100);
    const next = await timed(`offset=${middle.page.nextOffset}&limit=10`);
    assert.deepEqual(offsetsOf(next.page), range(500_100, 10), 'the next page continues where the last stopped');
    const first = await timed('offset=0&limit=5');
    assert.deepEqual(offsetsOf(first.page), range(0, 5));
    const atTime = await timed(`timestamp=${middleTimestampMs}&limit=3`);
    assert.deepEqual(offsetsOf(atTime.page), range(BIG_RECORDS / 2, 3), 'the first record at or after the timestamp');
    const search = await timed('offset=990000&q=RECORD-999990&limit=5');
    assert.deepEqual(offsetsOf(search.page), [999_990], 'case-insensitive search within the range');
    assert.equal(search.page.scanned, 10_000, 'a search looks at 10,000 records by default');
    const capped = await timed('offset=0&q=record-999990&scan=2000');
    assert.deepEqual(capped.page.records, []);
    assert.equal(capped.page.scanned, 2000);
    assert.equal(capped.page.nextOffset, 2000, 'a capped search says where to continue');
    for (const [what, t] of Object.entries({ last, middle, next, first, atTime, search, capped })) {
      assert.ok(t.ms < 1500, `${what} took ${t.ms.toFixed(0)} ms on a ${BIG_RECORDS}-record partition`);
    }
    const t0 = performance.now();
    const topics = await getJson<TopicSummary[]>(handler, '/v1/topics');
    assert.ok(performance.now() - t0 < 1500, 'the topic list does not read records');
    assert.equal(topics.find((t) => t.name === BIG)?.messages, BIG_RECORDS);
  });

  it('produces through POST and reads the record back with key and headers', async () => {
    const r = await post(handler, `/v1/topics/${SMALL}/messages`, { key: 'api-key', value: '{"via":"api"}', headers: [{ key: 'h1', value: 'v1' }], partition: 1 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.partition, 1);
    const page = await getJson<MessagesPage>(handler, `/v1/topics/${SMALL}/messages?partition=1&offset=${String(r.body.offset)}&limit=1`);
    const rec = page.records[0]!;
    assert.equal(Buffer.from(rec.key!, 'base64').toString(), 'api-key');
    assert.equal(Buffer.from(rec.value!, 'base64').toString(), '{"via":"api"}');
    assert.deepEqual(rec.headers.map((h) => [h.key, Buffer.from(h.value!, 'base64').toString()]), [['h1', 'v1']]);
    const found = await getJson<MessagesPage>(handler, `/v1/topics/${SMALL}/messages?partition=0&offset=0&q=needle`);
    assert.deepEqual(found.records.map((x) => x.offset), [13]);
  });

  it('shows a group whose id needs escaping, with its lag, and resets it', async () => {
    const group = 'odd/<b>group?&';
    const admin = new Admin(client);
    assert.equal((await admin.commitGroupOffsets(group, [{ topic: SMALL, partition: 0, offset: 5 }]))[0]!.error, null);
    const path = `/v1/groups/${encodeURIComponent(group)}`;
    const g = await getJson<{ groupId: string; state: string; totalLag: number; offsets: Array<{ committed: number; end: number; lag: number }> }>(handler, path);
    assert.equal(g.groupId, group);
    assert.equal(g.state, 'Empty');
    assert.deepEqual(g.offsets.map((o) => [o.committed, o.end, o.lag]), [[5, 20, 15]]);
    assert.equal(g.totalLag, 15);
    const reset = await post(handler, `${path}/reset-offsets`, { to: 'latest' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await getJson<{ totalLag: number }>(handler, path)).totalLag, 0);
    assert.ok((await getJson<Array<{ groupId: string }>>(handler, '/v1/groups')).some((x) => x.groupId === group));
    const missing = await call(handler, request('GET', '/v1/groups/never-was'));
    assert.equal(missing.status, 404, String(missing.body));
  });

  it('reads a Prometheus endpoint for the metrics page and falls back to offsets when it is down', async () => {
    let bytesIn = 1000;
    let count = 10;
    const server = http.createServer((_req, res) => {
      bytesIn += 5000;
      count += 10;
      res.end(
        [
          '# TYPE kafka_server_brokertopicmetrics_bytesin_total counter',
          `kafka_server_brokertopicmetrics_bytesin_total{topic="a"} ${bytesIn}`,
          `kafka_server_brokertopicmetrics_bytesin_total{topic="b"} ${bytesIn}`,
          '# TYPE kafka_network_request_latency_seconds histogram',
          `kafka_network_request_latency_seconds_sum{request="Produce"} ${count * 0.002}`,
          `kafka_network_request_latency_seconds_count{request="Produce"} ${count}`,
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const withMetrics = createConsoleHandler({ bootstrapServers: [broker.bootstrap], metricsUrl: url });
    try {
      let overview: MetricsOverview | null = null;
      for (let i = 0; i < 3; i++) {
        overview = await getJson<MetricsOverview>(withMetrics.handler, '/v1/metrics');
        await sleep(1000);
      }
      assert.equal(overview!.source, 'prometheus');
      const bytes = overview!.throughput.find((s) => s.name === 'kafka_server_brokertopicmetrics_bytesin_total');
      assert.ok(bytes && bytes.points.length === 2, JSON.stringify(overview!.throughput));
      for (const [, perSecond] of bytes.points) assert.ok(perSecond > 5000 && perSecond < 15000, `2 x 5000 bytes per ~1 s, got ${perSecond}`);
      const latency = overview!.latency.find((s) => s.name === 'kafka_network_request_latency_seconds');
      assert.ok(latency && latency.points.length === 2);
      for (const [, ms] of latency.points) assert.ok(Math.abs(ms - 2) < 1e-9, `mean latency 2 ms, got ${ms}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    try {
      const down = await getJson<MetricsOverview>(withMetrics.handler, '/v1/metrics');
      assert.equal(down.source, 'offsets');
      assert.match(down.error ?? '', /reading http:\/\/127\.0\.0\.1:\d+\/metrics failed/);
      assert.ok(down.throughput.some((s) => s.name === 'all topics'));
    } finally {
      await withMetrics.close();
    }
  });

  it('keeps bounded histories and parses Prometheus text', () => {
    const h = new History({ pointsMax: 3, seriesMax: 2, minIntervalMs: 10 });
    for (const t of [0, 5, 10, 20, 30]) h.add('a', t, t);
    assert.deepEqual(h.get('a'), [[10, 10], [20, 20], [30, 30]], 'samples closer than minIntervalMs are dropped, the oldest go first');
    h.add('b', 0, 1);
    h.add('c', 0, 1);
    assert.equal(h.size, 2);
    assert.deepEqual(h.get('a'), [], 'the least recently written series is dropped');
    assert.deepEqual(rates([[0, 0], [1000, 50], [2000, 20], [3000, 40]]), [[1000, 50], [3000, 20]], 'a counter reset skips that interval');
    const m = parsePrometheusText('# HELP x y\nx_total{a="1",b="q\\"}"} 2\nx_total{a="2"} 3.5\ny 1e3\nbad line\nz NaN\n');
    assert.deepEqual([...m], [['x_total', 5.5], ['y', 1000]]);
  });
});
