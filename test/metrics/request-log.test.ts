/**
 * Goal: the slow-request log names what an operator needs (API, version, client id, correlation
 * id, every phase) for requests over samsa.slow.request.threshold.ms, leaves out the waits a client
 * chose (Fetch max wait, JoinGroup/SyncGroup), and request sampling logs about the configured share
 * of requests; the phases land in the right histograms.
 *
 * Method: RequestMetrics driven with hand-made RequestTimings (times in ms chosen by the test), a
 * pino logger writing into an array, and a seeded Random.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino, type Logger } from 'pino';
import type { Random } from '../../src/io/random.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { FETCH_CONSUMER_SLOT, RequestMetrics, RequestTiming } from '../../src/metrics/request-metrics.js';

/** A Random from a seed (the sampler draws `int`). */
function seeded(seed: number): Random {
  const next = seededRandom(seed);
  return { uuid: () => 'unused', int: (max) => Math.floor(next() * max), base64Id: () => 'unused' };
}

function capture(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

/** A request received at 1000 ms: handler 1001..1001+localMs(+remote), sent after `sendMs`. */
function timing(apiKey: number, opts: { localMs: number; remoteMs?: number; sendMs?: number; correlationId?: number }): { t: RequestTiming; doneMs: number } {
  const t = new RequestTiming(apiKey, 9, opts.correlationId ?? 7, 1000, 120);
  t.clientId = 'my-client';
  t.clientAddress = '127.0.0.1:5555';
  t.handlerStartMs = 1001;
  if (opts.remoteMs) {
    t.enterRemote(1001 + opts.localMs);
    t.leaveRemote(1001 + opts.localMs + opts.remoteMs);
  }
  t.handlerDoneMs = 1001 + opts.localMs + (opts.remoteMs ?? 0);
  t.sendStartMs = t.handlerDoneMs + 2;
  t.responseBytes = 64;
  return { t, doneMs: t.sendStartMs + (opts.sendMs ?? 1) };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('slow requests are logged with their phases; client-chosen waits do not count', async () => {
  const { log, lines } = capture();
  const m = new RequestMetrics(log, () => ({ slowRequestThresholdMs: 100, requestLogSampleRate: 0 }), seeded(1));
  const fast = timing(ApiKey.Produce, { localMs: 10 });
  m.complete(fast.t, fast.doneMs);
  const slow = timing(ApiKey.Produce, { localMs: 20, remoteMs: 150, correlationId: 42 }); // acks=all wait counts
  m.complete(slow.t, slow.doneMs);
  const longPoll = timing(ApiKey.Fetch, { localMs: 5, remoteMs: 500 });
  longPoll.t.slot = FETCH_CONSUMER_SLOT;
  m.complete(longPoll.t, longPoll.doneMs);
  await flush();
  assert.equal(m.slowRequestsLogged, 1);
  assert.equal(lines.length, 1);
  const l = lines[0]!;
  assert.equal(l.msg, 'slow request: Produce v9 took 174 ms (samsa.slow.request.threshold.ms=100)');
  assert.deepEqual(
    { api: l.api, v: l.v, correlationId: l.correlationId, clientId: l.clientId, client: l.client, totalMs: l.totalMs, requestQueueMs: l.requestQueueMs, localMs: l.localMs, remoteMs: l.remoteMs, responseQueueMs: l.responseQueueMs, responseSendMs: l.responseSendMs, requestBytes: l.requestBytes, responseBytes: l.responseBytes },
    { api: 'Produce', v: 9, correlationId: 42, clientId: 'my-client', client: '127.0.0.1:5555', totalMs: 174, requestQueueMs: 1, localMs: 20, remoteMs: 150, responseQueueMs: 2, responseSendMs: 1, requestBytes: 120, responseBytes: 64 },
  );
  const produce = m.of(ApiKey.Produce);
  assert.equal(produce.requestsByVersion[9]!.value, 2);
  assert.equal(produce.remoteTime.count, 2);
  assert.equal(produce.remoteTime.counts[0], 1, 'the fast produce had no remote time (first bucket)');
  assert.equal(m.of(FETCH_CONSUMER_SLOT).name, 'FetchConsumer');
  assert.equal(m.of(FETCH_CONSUMER_SLOT).remoteTime.sum, 0.5);
});

test('threshold -1 turns the slow log off; sampling logs about the configured share', async () => {
  const { log, lines } = capture();
  const settings = { slowRequestThresholdMs: -1, requestLogSampleRate: 0 };
  const m = new RequestMetrics(log, () => settings, seeded(7));
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const x = timing(ApiKey.Metadata, { localMs: 5000 });
      m.complete(x.t, x.doneMs);
    }
  };
  run(100);
  await flush();
  assert.equal(lines.length, 0, 'nothing logged with the slow log off and sampling at 0');
  settings.requestLogSampleRate = 0.1;
  run(2000);
  await flush();
  assert.ok(m.sampledRequestsLogged >= 140 && m.sampledRequestsLogged <= 260, `about 10% of 2000 sampled: ${m.sampledRequestsLogged}`);
  assert.match(String(lines[0]!.msg), /^sampled request: Metadata v9 took 5004 ms$/);
  settings.requestLogSampleRate = 1;
  const before = m.sampledRequestsLogged;
  run(10);
  assert.equal(m.sampledRequestsLogged - before, 10, 'rate 1 logs every request');
});
