/**
 * Goal: the fault proxy of the real-process fault runs does what each link state says — pass
 * (with delay, order kept), cut (open connections closed, new ones refused), one-way (one direction
 * dropped, connection kept; closed when the link heals, since it lost bytes), drop (nothing either
 * way) — and tells replication connections apart by the replica fetcher's client id.
 *
 * Method: an echo server on 127.0.0.1 behind a FaultProxy; plain sockets as clients; each state
 * set on the FaultNet, then bytes sent and what comes back (or the close) observed with timeouts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../helpers/broker.js';
import { brokerSourceOf, FaultNet, kafkaClientId, type FaultProxy } from './proxy.js';

interface Client {
  socket: net.Socket;
  received(): string;
  closed: Promise<void>;
  isClosed(): boolean;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const closedP = new Promise<void>((r) => socket.on('close', () => ((closed = true), r())));
    socket.on('data', (b) => (data += b.toString('latin1')));
    socket.on('error', () => undefined); // resets are what some tests expect; 'close' follows
    socket.once('connect', () => resolve({ socket, received: () => data, closed: closedP, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

/** A Kafka request header frame with `clientId` (what a replica fetcher sends first). */
function requestWithClientId(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(14 + id.length);
  b.writeInt32BE(10 + id.length, 0);
  b.writeInt16BE(1, 4); // Fetch
  b.writeInt16BE(12, 6);
  b.writeInt32BE(7, 8);
  b.writeInt16BE(id.length, 12);
  id.copy(b, 14);
  return b;
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('fault proxy', () => {
  let echo: net.Server;
  let echoPort = 0;
  const faultNet = new FaultNet();
  let plain: FaultProxy;
  let sniffing: FaultProxy;

  before(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => undefined); // the proxy side is destroyed by cuts
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    plain = await faultNet.proxy({ destination: 'echo', source: 'client', target: () => ({ host: '127.0.0.1', port: echoPort }) });
    sniffing = await faultNet.proxy({ destination: 'b0', source: brokerSourceOf, target: () => ({ host: '127.0.0.1', port: echoPort }) });
  });
  after(async () => {
    await faultNet.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  it('passes bytes both ways, and delays them in order', async () => {
    const c = await connect(plain.port);
    c.socket.write('hello');
    await until(() => c.received() === 'hello', 'the echo');
    faultNet.set('client', 'echo', { kind: 'pass', delayMs: 150 });
    const t0 = Date.now();
    for (const part of ['a', 'b', 'c']) c.socket.write(part);
    await until(() => c.received() === 'helloabc', 'the delayed echo');
    assert.ok(Date.now() - t0 >= 290, `two delayed hops took ${Date.now() - t0} ms`);
    faultNet.healAll();
    c.socket.destroy();
  });

  it('cut closes open connections and refuses new ones until healed', async () => {
    const c = await connect(plain.port);
    faultNet.set('client', 'echo', { kind: 'cut' });
    await c.closed;
    const d = await connect(plain.port);
    d.socket.write('x');
    await d.closed;
    assert.equal(d.received(), '');
    faultNet.set('client', 'echo', { kind: 'pass' });
    const e = await connect(plain.port);
    e.socket.write('back');
    await until(() => e.received() === 'back', 'the echo after healing');
    e.socket.destroy();
  });

  it('one-way drops one direction and keeps the connection; healing closes it', async () => {
    const c = await connect(plain.port);
    faultNet.set('client', 'echo', { kind: 'one-way', blocked: 'down' });
    c.socket.write('lost');
    await sleep(200);
    assert.equal(c.received(), '');
    assert.equal(c.isClosed(), false);
    assert.ok(faultNet.counters.bytesDropped >= 4);
    faultNet.healAll();
    await c.closed;
  });

  it('drop is a blackhole: accepted, nothing forwarded', async () => {
    faultNet.set('client', 'echo', { kind: 'drop' });
    const c = await connect(plain.port);
    c.socket.write('void');
    await sleep(200);
    assert.equal(c.received(), '');
    assert.equal(c.isClosed(), false);
    faultNet.healAll();
    await c.closed;
  });

  it('tells replica fetchers apart by client id: one link per pair of brokers', async () => {
    assert.equal(kafkaClientId(requestWithClientId('abc').subarray(0, 15)), undefined);
    assert.equal(kafkaClientId(requestWithClientId('abc')), 'abc');
    assert.equal(brokerSourceOf(requestWithClientId('samsa-replica-fetcher-2')), 'b2');
    faultNet.set('b1', 'b0', { kind: 'cut' });
    const from1 = await connect(sniffing.port);
    from1.socket.write(requestWithClientId('samsa-replica-fetcher-1'));
    await from1.closed;
    const from2 = await connect(sniffing.port);
    const req = requestWithClientId('samsa-replica-fetcher-2');
    from2.socket.write(req);
    await until(() => from2.received().length === req.length, 'the echo of broker 2');
    faultNet.set('b2', 'b0', { kind: 'cut' });
    await from2.closed;
    faultNet.healAll();
  });
});
