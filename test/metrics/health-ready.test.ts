/**
 * Goal: /health and /ready tell a probe the truth across a broker's life — /health answers 200
 * from the moment the admin listener is bound until the broker has stopped; /ready answers 503
 * with the reason while the logs load and while the broker shuts down, 200 only in between — and
 * the admin listener survives bad HTTP (garbage, headers or bodies over the limits) with a 400,
 * 431 or 413, the broker staying up for both HTTP and Kafka clients.
 *
 * Method: an in-process broker on the real node io, its admin listener on a port chosen free up
 * front, and a Disk that holds the log-dir listing (log loading) and the clean-shutdown marker
 * write (the end of shutdown) until the test releases them, so each phase is observed for certain
 * rather than raced. Bad input is sent as raw bytes over TCP; kcat then lists the cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import type { DirEntry } from '../../src/io/disk.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeDisk } from '../../src/io/node/disk.js';
import { NodeHttp } from '../../src/io/node/http.js';
import { NodeNet } from '../../src/io/node/net.js';
import { NodeProcessStats } from '../../src/io/node/process-stats.js';
import { NodeRandom } from '../../src/io/node/random.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/log-manager.js';
import { kcat, makeTempDir, removeDir, startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/cluster.js';
import { valueOf } from './prom-parser.js';
import { httpGet, rawExchange, scrape } from './scrape.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** NodeDisk that parks the listing of `dir` (log loading) and the clean-shutdown marker (end of stop) until released. */
class GatedDisk extends NodeDisk {
  readonly load = gate();
  readonly stop = gate();
  loadReached = false;
  stopReached = false;
  constructor(private readonly dir: string) {
    super();
  }
  override async readdir(p: string): Promise<DirEntry[]> {
    if (p === this.dir) {
      this.loadReached = true;
      await this.load.wait;
    }
    return super.readdir(p);
  }
  override async writeFileAtomic(p: string, data: Buffer): Promise<void> {
    if (p.endsWith(CLEAN_SHUTDOWN_FILE)) {
      this.stopReached = true;
      await this.stop.wait;
    }
    return super.writeFileAtomic(p, data);
  }
}

describe('/health and /ready across start, load and shutdown', () => {
  it('flip as the broker loads its logs, serves, and stops', async () => {
    process.env.SAMSA_LOG_LEVEL ??= 'error';
    const dir = await makeTempDir('samsa-health-');
    const adminPort = await freePort();
    const { config } = loadBrokerConfig({ overrides: [`log.dirs=${dir}`, 'listeners=PLAINTEXT://127.0.0.1:0', `admin.listeners=http://127.0.0.1:${adminPort}`], env: {} });
    const disk = new GatedDisk(dir);
    const processStats = new NodeProcessStats();
    const starting = Broker.start(config, { clock: new NodeClock(), disk, net: new NodeNet(), random: new NodeRandom(), http: new NodeHttp(), process: processStats });
    let broker: Broker | null = null;
    try {
      await waitFor(() => disk.loadReached, { timeoutMs: 20_000, what: 'the broker to start loading its logs' });
      const health = await httpGet(adminPort, '/health');
      assert.equal(health.status, 200, 'alive while loading');
      const loading = await httpGet(adminPort, '/ready');
      assert.equal(loading.status, 503);
      assert.equal(loading.body, 'not ready: broker starting: loading logs\n');
      const early = await scrape(adminPort);
      assert.equal(valueOf(early, 'kafka_server_kafkaserver_brokerstate'), 2, 'RECOVERY while loading');

      disk.load.open();
      broker = await withTimeout(starting, 20_000, 'the broker to finish starting');
      const ready = await httpGet(adminPort, '/ready');
      assert.equal(ready.status, 200);
      assert.equal(ready.body, 'ready\n');
      assert.equal(valueOf(await scrape(adminPort), 'kafka_server_kafkaserver_brokerstate'), 3);

      const stopping = broker.stop();
      await waitFor(() => disk.stopReached, { timeoutMs: 20_000, what: 'the broker to reach the end of its shutdown' });
      const during = await httpGet(adminPort, '/ready');
      assert.equal(during.status, 503);
      assert.match(during.body, /^not ready: broker (shutting down|not running)\n$/);
      assert.equal((await httpGet(adminPort, '/health')).status, 200, 'alive until stopped');
      disk.stop.open();
      await withTimeout(stopping, 20_000, 'the broker to stop');
      broker = null;
      await assert.rejects(httpGet(adminPort, '/health', { timeoutMs: 2000 }), /ECONNREFUSED/, 'the admin listener is closed once stopped');
    } finally {
      disk.load.open();
      disk.stop.open();
      if (broker) await broker.stop();
      else await starting.then((b) => (broker === null ? undefined : b.stop())).catch(() => undefined); // start failed: reported above
      processStats.close();
      await removeDir(dir);
    }
  });

  it('refuses a taken admin port at start with a one-line error naming admin.listeners', async () => {
    const first = await startBroker({ overrides: ['admin.listeners=http://127.0.0.1:0'] });
    try {
      const taken = first.broker.adminListeners[0]!.port;
      await assert.rejects(startBroker({ overrides: [`admin.listeners=http://127.0.0.1:${taken}`] }), (err: Error) => {
        assert.match(err.message, new RegExp(`^cannot listen on http://127\\.0\\.0\\.1:${taken} \\(admin\\.listeners\\): the address is already in use`));
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    } finally {
      await first.stop();
    }
  });
});

describe('bad HTTP input on the admin listener', () => {
  let b: StartedBroker;
  let port: number;
  before(async () => {
    b = await startBroker({ overrides: ['admin.listeners=http://127.0.0.1:0'] });
    port = b.broker.adminListeners[0]!.port;
  });
  after(async () => {
    await b?.stop();
  });

  it('answers garbage with 400, huge headers with 431, huge bodies with 413, and keeps serving', async () => {
    const garbage = await rawExchange(port, Buffer.from([0x00, 0x01, 0xff, 0x16, 0x03, 0x01, 0x0d, 0x0a, 0x0d, 0x0a]));
    assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const badLine = await rawExchange(port, Buffer.from('GET /metrics HTTP/1.1\r\nthis header has no colon\r\n\r\n'));
    assert.match(badLine, /^HTTP\/1\.1 400 /);
    const bigHeaders = await rawExchange(port, Buffer.from(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`));
    assert.match(bigHeaders, /^HTTP\/1\.1 431 /);
    const declared = await rawExchange(port, Buffer.from(`POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`));
    assert.match(declared, /^HTTP\/1\.1 413 /);
    const chunk = 'x'.repeat(256 * 1024);
    const chunked = Buffer.from(`POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${`${(chunk.length).toString(16)}\r\n${chunk}\r\n`.repeat(6)}0\r\n\r\n`);
    assert.match(await rawExchange(port, chunked), /^HTTP\/1\.1 413 /);
    const badTarget = await rawExchange(port, Buffer.from('GET http://elsewhere/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.match(badTarget, /^HTTP\/1\.1 400 /);
    const badEscape = await httpGet(port, '/%E0%A4%A');
    assert.equal(badEscape.status, 400);
    const unknown = await httpGet(port, '/admin/shutdown', { method: 'POST' });
    assert.equal(unknown.status, 404);
    const write = await httpGet(port, '/metrics', { method: 'DELETE' });
    assert.equal(write.status, 405);

    // Still up, for HTTP and for Kafka clients.
    assert.equal((await httpGet(port, '/health')).status, 200);
    assert.equal((await scrape(port)).families.size > 10, true);
    const md = await kcat(['-b', b.bootstrap, '-L', '-J', '-m', '10'], { timeoutMs: 30_000 });
    assert.match(md.stdout, /"brokers"/);
  });
});
