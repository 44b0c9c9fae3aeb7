/**
 * Goal: ZookeeperCoordination against a real ZooKeeper server (Debian's package, started through
 * bin/zookeeper-server-start): chroot creation, create/get/set/delete with versions, one-shot watches
 * on data, children and creation, atomic multi with a failing check, ephemerals that vanish when
 * the session closes, and the liveness reports: a server that stops answering (SIGSTOP) makes the
 * session 'disconnected' after 2/3 of the timeout and 'connected' again when it answers.
 * Method: one standalone ZooKeeper on a free port (test/helpers/cluster.ts startZooKeeper).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { isCoordinationError, type SessionEvent } from '../../src/cluster/coordination/coordination.js';
import { splitChroot, ZookeeperCoordination } from '../../src/cluster/coordination/zookeeper.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { makeTempDir, removeDir, waitFor } from '../helpers/broker.js';
import { startZooKeeper, type ZooKeeperEnsemble } from '../helpers/cluster.js';

const log = pino({ level: process.env.SAMSA_TEST_LOG_LEVEL ?? 'silent' });

describe('ZookeeperCoordination against a real ZooKeeper', () => {
  let dir: string;
  let zk: ZooKeeperEnsemble;
  const clients: ZookeeperCoordination[] = [];
  const open = async (chroot: string, sessionTimeoutMs = 4000): Promise<ZookeeperCoordination> => {
    const c = new ZookeeperCoordination({ connect: `${zk.connect}${chroot}`, sessionTimeoutMs, connectionTimeoutMs: 10_000, clock: new NodeClock(), log });
    await c.start();
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = await makeTempDir('samsa-zk-');
    zk = await startZooKeeper({ dir });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await zk?.stop();
    if (dir) await removeDir(dir);
  });

  it('splits a connect string into servers and chroot', () => {
    assert.deepEqual(splitChroot('a:1,b:2/kafka/x'), { servers: 'a:1,b:2', chroot: '/kafka/x' });
    assert.deepEqual(splitChroot('a:1'), { servers: 'a:1', chroot: null });
  });

  it('creates the chroot, and reads, writes and deletes conditionally on versions', async () => {
    const c = await open('/unit/one');
    await c.ensurePath('/a/b');
    assert.deepEqual(await c.children('/a'), ['b']);
    await c.create('/a/b/n', Buffer.from('x'));
    await assert.rejects(c.create('/a/b/n', Buffer.from('y')), (e: unknown) => isCoordinationError(e, 'nodeExists'));
    const n = await c.get('/a/b/n');
    assert.equal(n?.data.toString(), 'x');
    assert.equal(n?.version, 0);
    assert.equal(await c.set('/a/b/n', Buffer.from('z'), 0), 1);
    await assert.rejects(c.set('/a/b/n', Buffer.from('w'), 0), (e: unknown) => isCoordinationError(e, 'badVersion'));
    await assert.rejects(c.delete('/a/b'), (e: unknown) => isCoordinationError(e, 'notEmpty'));
    await c.delete('/a/b/n', 1);
    assert.equal(await c.get('/a/b/n'), null);
    // the chroot is real: a client without it sees our nodes under /unit/one
    const root = await open('');
    assert.deepEqual(await root.children('/unit/one/a'), ['b']);
  });

  it('fires one-shot watches on data change, child change and creation', async () => {
    const c = await open('/unit/two');
    const other = await open('/unit/two');
    await c.ensurePath('/w');
    const fired: string[] = [];
    await c.get('/w/later', () => fired.push('created'));
    await c.children('/w', () => fired.push('children'));
    await other.create('/w/later', Buffer.from('1'));
    await waitFor(() => fired.length === 2, { timeoutMs: 5000, what: 'creation and child watches' });
    await c.get('/w/later', () => fired.push('data'));
    await other.set('/w/later', Buffer.from('2'));
    await other.set('/w/later', Buffer.from('3'));
    await waitFor(() => fired.includes('data'), { timeoutMs: 5000, what: 'data watch' });
    assert.deepEqual(fired.filter((f) => f === 'data'), ['data'], 'one-shot');
  });

  it('multi is all or nothing; a failed check (a deposed controller\'s epoch) writes nothing', async () => {
    const c = await open('/unit/three');
    await c.ensurePath('/m');
    await c.create('/m/epoch', Buffer.from('1'));
    await c.create('/m/state', Buffer.from('a'));
    const versions = await c.multi([
      { op: 'check', path: '/m/epoch', version: 0 },
      { op: 'set', path: '/m/state', data: Buffer.from('b'), version: 0 },
    ]);
    assert.deepEqual(versions, [1]);
    await c.set('/m/epoch', Buffer.from('2'), 0); // a new controller
    await assert.rejects(
      c.multi([
        { op: 'check', path: '/m/epoch', version: 0 },
        { op: 'set', path: '/m/state', data: Buffer.from('stale'), version: 1 },
      ]),
      (e: unknown) => isCoordinationError(e, 'badVersion'),
    );
    assert.equal((await c.get('/m/state'))?.data.toString(), 'b');
  });

  it('ephemeral nodes belong to the session and vanish when it closes', async () => {
    const a = await open('/unit/four');
    const b = await open('/unit/four');
    await a.ensurePath('/e');
    await a.create('/e/me', Buffer.from('1'), { ephemeral: true });
    assert.equal((await a.get('/e/me'))?.ownedBySession, true);
    assert.equal((await b.get('/e/me'))?.ownedBySession, false);
    let gone = false;
    await b.get('/e/me', () => (gone = true));
    await a.close();
    await waitFor(() => gone, { timeoutMs: 5000, what: 'the ephemeral to vanish' });
    assert.equal(await b.get('/e/me'), null);
  });

  it('reports a silent server as disconnected after 2/3 of the session timeout, and connected when it answers again', async () => {
    const c = await open('/unit/five', 4000);
    const events: SessionEvent[] = [];
    c.onSession((e) => events.push(e));
    const server = zk.nodes[0]!;
    const started = Date.now();
    server.pause();
    try {
      await waitFor(() => events.includes('disconnected'), { timeoutMs: 6000, what: 'disconnected' });
      const tookMs = Date.now() - started;
      assert.ok(tookMs >= 2000 && tookMs < 4000, `reported after ${tookMs} ms`);
      assert.equal(c.healthy, false);
    } finally {
      server.resume();
    }
    await waitFor(() => events.includes('connected') || events.includes('newSession'), { timeoutMs: 15_000, what: 'contact again' });
    assert.equal(c.healthy, true);
  });
});
