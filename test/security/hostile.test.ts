/**
 * Goal: hostile connection patterns cannot take the broker down, exhaust its memory or lock other
 * clients out: thousands of connections from one address (with and without
 * max.connections.per.ip), slow-loris senders trickling one byte a second (closed by
 * samsa.request.receive.timeout.ms), silent connections (closed by connections.max.idle.ms), and a
 * flood of connections each sending most of a 1 MiB frame (bounded by queued.max.request.bytes).
 * Throughout, kcat produces and consumes; afterwards the connection count in /metrics is back to
 * its baseline and the broker still serves.
 * Method: a spawned broker (node dist/src/main.js) per case, so /metrics' process_resident_memory_bytes
 * is the broker's own RSS; raw node sockets from 127.0.0.2..5 (kcat connects from 127.0.0.1);
 * memory is sampled from /metrics during each storm and compared with the baseline against a
 * generous bound well below what the attack sent or announced.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { kcat, requireKcat, sleep, spawnBroker, waitFor, type SpawnedBroker } from '../helpers/broker.js';
import { scrape } from '../metrics/scrape.js';
import { sumOf, valueOf } from '../metrics/prom-parser.js';

const MIB = 1024 * 1024;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface Snapshot {
  open: number;
  rssBytes: number;
  poolUsedBytes: number;
}

async function snapshot(adminPort: number): Promise<Snapshot> {
  const e = await scrape(adminPort);
  return {
    open: sumOf(e, 'kafka_server_socketservermetrics_connection_count'),
    rssBytes: valueOf(e, 'process_resident_memory_bytes'),
    poolUsedBytes: valueOf(e, 'kafka_network_socketserver_memorypoolused'),
  };
}

async function withBroker(overrides: string[], fn: (b: SpawnedBroker, adminPort: number) => Promise<void>): Promise<void> {
  const adminPort = await freePort();
  const b = await spawnBroker({ overrides: [`admin.listeners=http://127.0.0.1:${adminPort}`, 'num.partitions=1', 'offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0', ...overrides] });
  try {
    await fn(b, adminPort);
    assert.equal(b.logs().filter((l) => l.level >= 50).length, 0, `no error logged:\n${b.logs().filter((l) => l.level >= 50).map((l) => l.raw).join('\n')}`);
  } finally {
    await b.stop().finally(() => b.cleanup());
  }
}

/** A raw socket and when (ms since its connect) the broker closed it, if it did. */
interface Raw {
  socket: net.Socket;
  connectedAt: number;
  closedAfterMs: number | null;
}

/** Opens `n` sockets from `localAddress`, 100 at a time; sockets the broker refuses close on their own. */
async function openMany(n: number, port: number, localAddress: string): Promise<Raw[]> {
  const out: Raw[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => {
      const raw: Raw = { socket: net.connect({ host: '127.0.0.1', port, localAddress }), connectedAt: Date.now(), closedAfterMs: null };
      raw.socket.on('error', () => {}); // ECONNRESET from refused or expired connections is expected; counted through 'close'
      raw.socket.on('close', () => (raw.closedAfterMs ??= Date.now() - raw.connectedAt));
      return new Promise<Raw>((resolve) => {
        raw.socket.once('connect', () => resolve(raw));
        raw.socket.once('close', () => resolve(raw));
      });
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function closeAll(raws: Raw[]): void {
  for (const r of raws) r.socket.destroy();
}

/** Produces `count` records with kcat and reads them back; returns how long it took. */
async function kcatRoundTrip(bootstrap: string, topic: string, count: number): Promise<number> {
  const started = Date.now();
  const lines = Array.from({ length: count }, (_, i) => `${topic}-${i}`);
  await kcat(['-P', '-b', bootstrap, '-t', topic], { input: lines.join('\n') + '\n', timeoutMs: 30_000 });
  const r = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-c', String(count), '-e', '-q'], { timeoutMs: 30_000 });
  assert.deepEqual(r.stdout.trim().split('\n'), lines);
  return Date.now() - started;
}

async function waitForBaseline(adminPort: number, baselineOpen: number, what: string): Promise<void> {
  await waitFor(async () => (await snapshot(adminPort)).open <= baselineOpen, { timeoutMs: 15_000, intervalMs: 250, what });
}

/** Samples /metrics every 250 ms while `during` runs; returns the largest RSS and pool use seen. */
async function peakWhile(adminPort: number, during: Promise<unknown>): Promise<{ rssBytes: number; poolUsedBytes: number }> {
  let done = false;
  const peak = { rssBytes: 0, poolUsedBytes: 0 };
  const watch = (async () => {
    for (let i = 0; i < 400 && !done; i++) {
      const s = await snapshot(adminPort);
      peak.rssBytes = Math.max(peak.rssBytes, s.rssBytes);
      peak.poolUsedBytes = Math.max(peak.poolUsedBytes, s.poolUsedBytes);
      await sleep(250);
    }
  })();
  try {
    await during;
  } finally {
    done = true;
    await watch;
  }
  return peak;
}

describe('hostile connections', { timeout: 120_000 }, () => {
  it('2,000 connections from one address: held with default limits, capped by max.connections.per.ip, while kcat works', async (t) => {
    await requireKcat();
    // Default limits: every connection is admitted and held; memory grows by little per connection.
    await withBroker([], async (b, adminPort) => {
      await kcatRoundTrip(b.bootstrap, 'warm', 5);
      const base = await snapshot(adminPort);
      let raws: Raw[] = [];
      const peak = await peakWhile(
        adminPort,
        (async () => {
          raws = await openMany(2000, b.port, '127.0.0.2');
          await waitFor(async () => (await snapshot(adminPort)).open >= base.open + 2000, { timeoutMs: 10_000, intervalMs: 200, what: '2,000 open connections in /metrics' });
          await kcatRoundTrip(b.bootstrap, 'storm-default', 100);
        })(),
      );
      assert.equal(raws.filter((r) => r.closedAfterMs !== null).length, 0, 'no connection refused or closed under default limits');
      t.diagnostic(`default limits: RSS ${(base.rssBytes / MIB).toFixed(1)} -> peak ${(peak.rssBytes / MIB).toFixed(1)} MiB with 2,000 connections`);
      assert.ok(peak.rssBytes - base.rssBytes < 150 * MIB, `broker RSS grew by ${((peak.rssBytes - base.rssBytes) / MIB).toFixed(1)} MiB for 2,000 connections`);
      closeAll(raws);
      await waitForBaseline(adminPort, base.open, 'the connection count back to its baseline after the storm');
      await kcatRoundTrip(b.bootstrap, 'after-default', 10);
    });
    // max.connections.per.ip=100 (127.0.0.1, kcat, exempted): 100 admitted from 127.0.0.2, the rest refused at once.
    await withBroker(['max.connections.per.ip=100', 'max.connections.per.ip.overrides=127.0.0.1:1000'], async (b, adminPort) => {
      const base = await snapshot(adminPort);
      const raws = await openMany(2000, b.port, '127.0.0.2');
      await waitFor(() => raws.filter((r) => r.closedAfterMs !== null).length >= 1900, { timeoutMs: 10_000, intervalMs: 100, what: '1,900 connections over the limit closed by the broker' });
      await kcatRoundTrip(b.bootstrap, 'storm-per-ip', 100);
      const during = await snapshot(adminPort);
      assert.equal(during.open - base.open, 100, 'exactly max.connections.per.ip connections from 127.0.0.2 held');
      assert.equal(raws.filter((r) => r.closedAfterMs === null).length, 100);
      closeAll(raws);
      await waitForBaseline(adminPort, base.open, 'the connection count back to its baseline');
      const refusals = b.logs().filter((l) => /max\.connections\.per\.ip=100/.test(l.msg)).length;
      assert.ok(refusals >= 1900, `each refusal is logged naming the limit (${refusals})`);
    });
  });

  it('slow-loris senders are closed by samsa.request.receive.timeout.ms, silent ones by connections.max.idle.ms; kcat is unaffected', async (t) => {
    await requireKcat();
    const receiveTimeoutMs = 3000;
    const idleMs = 5000;
    await withBroker([`samsa.request.receive.timeout.ms=${receiveTimeoutMs}`, `connections.max.idle.ms=${idleMs}`], async (b, adminPort) => {
      await kcatRoundTrip(b.bootstrap, 'warm', 5);
      const base = await snapshot(adminPort);
      const loris = await openMany(200, b.port, '127.0.0.4');
      const silent = await openMany(5, b.port, '127.0.0.5');
      const header = Buffer.alloc(4);
      header.writeInt32BE(MIB, 0); // a 1 MiB frame announced...
      for (const r of loris) r.socket.write(header);
      const trickle = setInterval(() => {
        for (const r of loris) if (r.closedAfterMs === null) r.socket.write(Buffer.from([0x42])); // ...sent one byte a second
      }, 1000);
      let kcatMs = 0;
      try {
        const peak = await peakWhile(
          adminPort,
          (async () => {
            kcatMs = await kcatRoundTrip(b.bootstrap, 'storm-loris', 100);
            await waitFor(() => loris.every((r) => r.closedAfterMs !== null) && silent.every((r) => r.closedAfterMs !== null), { timeoutMs: 15_000, intervalMs: 100, what: 'every slow-loris and silent connection closed by the broker' });
          })(),
        );
        assert.ok(peak.rssBytes - base.rssBytes < 100 * MIB, `broker RSS grew by ${((peak.rssBytes - base.rssBytes) / MIB).toFixed(1)} MiB`);
      } finally {
        clearInterval(trickle);
      }
      const lorisMs = loris.map((r) => r.closedAfterMs!);
      t.diagnostic(`slow-loris closed after ${Math.min(...lorisMs)}..${Math.max(...lorisMs)} ms, silent after ${silent.map((r) => r.closedAfterMs).join(', ')} ms; kcat round trip ${kcatMs} ms`);
      // Closed by the receive timeout: not before it, and at most one sweep (300 ms) plus slack after it.
      assert.ok(Math.min(...lorisMs) >= receiveTimeoutMs - 200, `earliest slow-loris close after ${Math.min(...lorisMs)} ms`);
      assert.ok(Math.max(...lorisMs) <= receiveTimeoutMs + 3000, `latest slow-loris close after ${Math.max(...lorisMs)} ms`);
      const silentMs = silent.map((r) => r.closedAfterMs!);
      assert.ok(Math.min(...silentMs) >= idleMs - 200 && Math.max(...silentMs) <= idleMs + 3000, `silent connections closed after ${silentMs.join(', ')} ms`);
      assert.ok(kcatMs < 15_000, `kcat's produce and consume took ${kcatMs} ms during the storm`);
      assert.ok(b.logs().some((l) => /samsa\.request\.receive\.timeout\.ms=3000/.test(l.msg)), 'the close is logged naming the setting');
      assert.ok(b.logs().some((l) => /connections\.max\.idle\.ms=5000/.test(l.msg)), 'the idle close is logged naming the setting');
      await waitForBaseline(adminPort, base.open, 'the connection count back to its baseline');
      await kcatRoundTrip(b.bootstrap, 'after-loris', 10);
    });
  });

  it('a flood of almost-complete 1 MiB frames is held to queued.max.request.bytes and cleared by the receive timeout', async (t) => {
    await requireKcat();
    const poolBytes = 16 * MIB;
    const receiveTimeoutMs = 4000;
    const flood = 300;
    await withBroker([`queued.max.request.bytes=${poolBytes}`, 'socket.request.max.bytes=8388608', `samsa.request.receive.timeout.ms=${receiveTimeoutMs}`], async (b, adminPort) => {
      await kcatRoundTrip(b.bootstrap, 'warm', 5);
      const base = await snapshot(adminPort);
      const raws = await openMany(flood, b.port, '127.0.0.3');
      // One shared buffer: the size prefix of a 1 MiB frame and all but its last byte (300 MiB sent in all).
      const frame = Buffer.alloc(4 + MIB - 1, 0x41);
      frame.writeInt32BE(MIB, 0);
      for (const r of raws) r.socket.write(frame);
      const peak = await peakWhile(
        adminPort,
        waitFor(() => raws.every((r) => r.closedAfterMs !== null), { timeoutMs: 20_000, intervalMs: 100, what: 'every flooding connection closed by the broker' }),
      );
      t.diagnostic(`flood: pool peak ${(peak.poolUsedBytes / MIB).toFixed(1)} MiB, RSS ${(base.rssBytes / MIB).toFixed(1)} -> peak ${(peak.rssBytes / MIB).toFixed(1)} MiB, last close after ${Math.max(...raws.map((r) => r.closedAfterMs!))} ms`);
      // The pool grants whole 1 MiB claims up to its bound; refused connections hold at most one read (64 KiB) each.
      assert.ok(peak.poolUsedBytes <= poolBytes + flood * 64 * 1024, `receive pool peaked at ${(peak.poolUsedBytes / MIB).toFixed(1)} MiB`);
      assert.ok(peak.poolUsedBytes > 0, 'the pool saw the flood');
      assert.ok(peak.rssBytes - base.rssBytes < 120 * MIB, `broker RSS grew by ${((peak.rssBytes - base.rssBytes) / MIB).toFixed(1)} MiB while 300 MiB were sent`);
      const latest = Math.max(...raws.map((r) => r.closedAfterMs!));
      assert.ok(latest <= receiveTimeoutMs + 4000, `the last flooding connection was closed after ${latest} ms`);
      await waitForBaseline(adminPort, base.open, 'the connection count back to its baseline');
      assert.equal((await snapshot(adminPort)).poolUsedBytes, 0, 'every claim released');
      await kcatRoundTrip(b.bootstrap, 'after-flood', 50);
    });
  });
});
