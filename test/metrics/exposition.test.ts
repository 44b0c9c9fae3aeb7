/**
 * Goal: our exposition writer produces what Prometheus and OpenMetrics scrapers accept, our test
 * parser is strict enough to catch what they would reject, and the admin router answers every
 * request (404, 405, 400, 500 for a throwing handler) without passing bad input to handlers.
 *
 * Method: write families with awkward label values (quotes, backslashes, newlines) and histograms
 * through ExpositionWriter in both formats and parse them back with test/metrics/prom-parser.ts;
 * feed the parser hand-written invalid expositions; route requests through AdminHttpServer over
 * MemoryHttp (no sockets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { AdminHttpServer, route, textResponse } from '../../src/admin/http.js';
import { Counter, ExpositionWriter, Histogram, formatFor } from '../../src/metrics/exposition.js';
import { MemoryHttp } from '../../src/io/sim/memory-http.js';
import { parseExposition, valueOf } from './prom-parser.js';

function sampleWriter(format: 'prometheus' | 'openmetrics'): ExpositionWriter {
  const w = new ExpositionWriter(format);
  const c = new Counter();
  c.inc(3);
  c.inc();
  w.counter('demo_requests', 'Requests.\nSecond line with a \\ backslash.', [
    [null, c.value],
    [[['topic', 'a"b\\c\nd']], 7],
  ]);
  w.gauge('demo_queue', 'Queue size.', [[[['kind', 'x']], 2.5]]);
  const h = new Histogram([0.001, 0.01, 1]);
  for (const v of [0.0005, 0.001, 0.002, 0.5, 3]) h.observe(v);
  w.histogram('demo_time_seconds', 'Time.', [[[['request', 'Produce']], h]]);
  w.gauge('demo_empty', 'Never written: no series.', []);
  return w;
}

test('the writer round-trips through the strict parser in both formats, escapes included', () => {
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const w = sampleWriter(format);
    const text = w.finish();
    const e = parseExposition(text, format);
    assert.equal(valueOf(e, 'demo_requests_total'), 4);
    assert.equal(valueOf(e, 'demo_requests_total', { topic: 'a"b\\c\nd' }), 7);
    assert.equal(valueOf(e, 'demo_queue', { kind: 'x' }), 2.5);
    // le semantics: a value equal to a bound falls in that bucket (<=).
    assert.equal(valueOf(e, 'demo_time_seconds_bucket', { request: 'Produce', le: '0.001' }), 2);
    assert.equal(valueOf(e, 'demo_time_seconds_bucket', { request: 'Produce', le: '0.01' }), 3);
    assert.equal(valueOf(e, 'demo_time_seconds_bucket', { request: 'Produce', le: '1.0' }), 4);
    assert.equal(valueOf(e, 'demo_time_seconds_bucket', { request: 'Produce', le: '+Inf' }), 5);
    assert.equal(valueOf(e, 'demo_time_seconds_count', { request: 'Produce' }), 5);
    assert.ok(Math.abs(valueOf(e, 'demo_time_seconds_sum', { request: 'Produce' }) - 3.5035) < 1e-9);
    assert.equal(e.families.has('demo_empty'), false, 'a family without series is left out');
    assert.equal(w.seriesCount, 2 + 1 + 6, 'series counted as written');
    if (format === 'openmetrics') {
      assert.ok(text.endsWith('# EOF\n'));
      assert.match(text, /^# TYPE demo_requests counter$/m);
    } else {
      assert.match(text, /^# TYPE demo_requests_total counter$/m);
    }
  }
});

test('the parser rejects what a scraper would reject', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total 1\n';
  assert.doesNotThrow(() => parseExposition(ok, 'prometheus'));
  const bad: Array<[string, RegExp]> = [
    ['a_total 1\n', /before any TYPE/],
    ['# HELP a_total x\n# TYPE a_total counter\na_total{x="1} 1\n', /unterminated|expected/],
    ['# HELP a_total x\n# TYPE a_total counter\na_total{x="\\q"} 1\n', /bad escape/],
    ['# HELP a_total x\n# TYPE a_total counter\na_total one\n', /bad value/],
    ['# HELP a_total x\n# TYPE a_total counter\na_total 1\na_total 2\n', /twice/],
    ['# HELP a_total x\n# TYPE a_total counter\na_total 1 1700000000\n', /trailing fields/],
    ['# HELP a x\n# TYPE a counter\na_total 1\n', /should end in _total/],
    ['# HELP h x\n# TYPE h histogram\nh_bucket{le="1.0"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /decrease/],
    ['# HELP h x\n# TYPE h histogram\nh_bucket{le="1.0"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ['# HELP h x\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /!= _count/],
    ['# HELP a_total x\n# TYPE a_total counter\na_total 1', /newline/],
    ['# HELP g x\n# TYPE g gauge\nother 1\n', /does not belong/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseExposition(text, 'prometheus'), why, JSON.stringify(text));
  assert.throws(() => parseExposition('# HELP a x\n# TYPE a counter\na_total 1\n', 'openmetrics'), /without # EOF/);
  assert.throws(() => parseExposition('# HELP a x\n# TYPE a counter\na_total 1\n# EOF\nx 1\n', 'openmetrics'), /after # EOF/);
});

test('Accept chooses OpenMetrics only when asked for', () => {
  assert.equal(formatFor(undefined), 'prometheus');
  assert.equal(formatFor('text/plain'), 'prometheus');
  assert.equal(formatFor('application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5'), 'openmetrics');
});

test('the admin router: first answer wins, 404, 405, 400 for a bad target, 500 for a throwing handler', async () => {
  const http = new MemoryHttp();
  const log = pino({ level: 'silent' });
  const server = new AdminHttpServer(
    [
      route('/health', () => textResponse(200, 'ok')),
      async (req) => (req.path === '/boom' ? Promise.reject(new Error('handler bug')) : null),
      async (req) => (req.path.startsWith('/v1/') ? textResponse(200, `console ${req.query.get('q') ?? ''}`) : null),
    ],
    log,
  );
  const l = await server.listen(http, '127.0.0.1', 0);
  const get = (url: string, method = 'GET') => http.request(l.port, { url, method });
  assert.equal((await get('/health')).status, 200);
  assert.equal((await get('/health', 'HEAD')).status, 200);
  const post = await get('/health', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.Allow, 'GET, HEAD');
  assert.equal((await get('/v1/topics?q=x')).body, 'console x\n');
  assert.equal((await get('/nothing')).status, 404);
  assert.equal((await get('http://evil/health')).status, 400);
  assert.equal((await get('/%zz')).status, 400);
  assert.equal((await get('/boom')).status, 500);
  assert.equal((await http.request(l.port, { url: '/health', body: Buffer.alloc(2 * 1024 * 1024) })).status, 413);
  await server.close();
  await assert.rejects(get('/health'), /ECONNREFUSED/);
});
