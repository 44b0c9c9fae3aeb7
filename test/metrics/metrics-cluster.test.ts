/**
 * Goal: in a 3-broker ZooKeeper cluster, /metrics reports replication health exactly as Kafka's
 * JMX would — one active controller across the cluster, an ISR shrink (and the under-replicated
 * and under-min-ISR partition it leaves) on the leader when a follower is killed, the expansion
 * when it returns — and /ready follows the broker's membership: 503 while its ZooKeeper session is
 * in doubt (it then leads nothing), 200 again once the session is sound.
 *
 * Method: startCluster with each broker's admin listener on a port chosen free up front (kept
 * across restarts), replica.lag.time.max.ms=1500 so the leader drops a dead follower from the ISR
 * (and counts the shrink) well before its 6 s ZooKeeper session expires, and min.insync.replicas=3.
 * One topic with 3 replicas; kcat produces to it; the follower killed is not the controller, and a
 * record produced after the kill leaves it behind (a follower at the log end never falls out of sync). ISR
 * changes are confirmed through a real client's metadata (kcat -L) and compared with the leader's
 * counters as deltas; the follower is restarted once its old registration is gone. Then ZooKeeper is paused (SIGSTOP) until a broker reports not ready, and
 * resumed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kcat, sleep, waitFor } from '../helpers/broker.js';
import { freePort, startCluster, type Cluster } from '../helpers/cluster.js';
import { sumOf, valueOf, type Exposition } from './prom-parser.js';
import { httpGet, scrape } from './scrape.js';

const TOPIC = 'metrics-isr';

/** Broker ids in a real client's metadata (kcat -L -J): the registered brokers. */
async function registeredBrokers(bootstrap: string): Promise<number[]> {
  const r = await kcat(['-b', bootstrap, '-L', '-J', '-m', '10'], { timeoutMs: 30_000 });
  return (JSON.parse(r.stdout) as { brokers: Array<{ id: number }> }).brokers.map((b) => b.id);
}

describe('metrics in a 3-broker cluster', () => {
  let c: Cluster;
  const adminPorts = new Map<number, number>();

  before(async () => {
    for (const id of [0, 1, 2]) adminPorts.set(id, await freePort());
    c = await startCluster({
      brokers: 3,
      overrides: ['replica.lag.time.max.ms=1500', 'min.insync.replicas=3'],
      brokerOverrides: (id) => [`admin.listeners=http://127.0.0.1:${adminPorts.get(id)}`],
    });
    await c.createTopic(TOPIC, { partitions: 1, replicationFactor: 3 });
    await c.waitForPartition(TOPIC, 0, (p) => p.isr.length === 3, 'all 3 replicas in sync');
  });

  after(async () => {
    await c?.stopAll();
  });

  const scrapeBroker = (id: number): Promise<Exposition> => scrape(adminPorts.get(id)!);

  it('one active controller; an ISR shrink and expansion counted on the leader', async () => {
    const all = await Promise.all([0, 1, 2].map((id) => scrapeBroker(id)));
    assert.equal(all.reduce((n, s) => n + valueOf(s, 'kafka_controller_kafkacontroller_activecontrollercount'), 0), 1, 'exactly one active controller');
    const controllerId = [0, 1, 2].find((id, i) => valueOf(all[i]!, 'kafka_controller_kafkacontroller_activecontrollercount') === 1)!;
    assert.ok(valueOf(all[controllerId]!, 'kafka_controller_controllerstats_events_total', { event: 'ControllerChange' }) >= 1);
    assert.ok(valueOf(all[controllerId]!, 'kafka_controller_controllerstats_events_total', { event: 'Reconcile' }) >= 1);
    for (const s of all) {
      assert.equal(valueOf(s, 'kafka_server_sessionexpirelistener_sessionstate', { state: 'CONNECTED' }), 1);
      assert.ok(valueOf(s, 'kafka_server_zookeeperclientmetrics_zookeeperrequestlatency_seconds_count') > 0);
    }

    const leader = await c.waitForLeader(TOPIC, 0);
    const follower = [0, 1, 2].find((id) => id !== leader && id !== controllerId)!;
    const lines = Array.from({ length: 25 }, (_, i) => `isr-${i}`).join('\n') + '\n';
    await kcat(['-b', c.bootstrap, '-P', '-t', TOPIC, '-p', '0', '-X', 'acks=1'], { input: lines, timeoutMs: 30_000 });
    await waitFor(async () => valueOf(await scrapeBroker(follower), 'kafka_server_brokertopicmetrics_replicationbytesin_total') > 0, {
      timeoutMs: 20_000,
      what: 'the follower to replicate the records',
    });
    const s0 = await scrapeBroker(leader);
    assert.equal(valueOf(s0, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), 25);
    assert.equal(valueOf(s0, 'kafka_server_replicamanager_underreplicatedpartitions'), 0);
    assert.ok(valueOf(s0, 'kafka_server_brokertopicmetrics_replicationbytesout_total') > 0);
    // Both followers replicate through fetch sessions (KIP-227) held by the leader.
    assert.ok(valueOf(s0, 'kafka_server_fetchsessioncache_numincrementalfetchsessions') >= 2, 'a fetch session per follower on the leader');
    assert.ok(valueOf(s0, 'kafka_server_fetchsessioncache_numincrementalfetchpartitionscached') >= 2);

    await c.kill(follower);
    // A follower at the leader's log end never falls out of sync (Kafka's rule): give it something to miss.
    await kcat(['-b', c.bootstrap, '-P', '-t', TOPIC, '-p', '0', '-X', 'acks=1'], { input: 'after-kill\n', timeoutMs: 30_000 });
    await c.waitForPartition(TOPIC, 0, (p) => p.isr.length === 2 && !p.isr.includes(follower), `broker ${follower} out of the ISR`);
    // The leader counts the change when the controller confirms it, which may be just after a client sees it.
    const shrinks = (s: Exposition): number => valueOf(s, 'kafka_server_replicamanager_isrshrinks_total') - valueOf(s0, 'kafka_server_replicamanager_isrshrinks_total');
    const s1 = (await waitFor(async () => {
      const s = await scrapeBroker(leader);
      return shrinks(s) >= 1 ? s : null;
    }, { timeoutMs: 10_000, what: 'the leader to count the ISR shrink' }))!;
    assert.equal(shrinks(s1), 1, 'one shrink on the leader');
    assert.equal(valueOf(s1, 'kafka_server_replicamanager_underreplicatedpartitions'), 1);
    assert.equal(valueOf(s1, 'kafka_server_replicamanager_underminisrpartitioncount'), 1, 'ISR 2 < min.insync.replicas 3');

    // Restart only once the controller has seen the old process die (its ZooKeeper session expired):
    // a broker back within its old session is taken out of the ISR again on that expiry, and each
    // return is then (rightly) a further expansion.
    await waitFor(async () => !(await registeredBrokers(c.liveBootstrap())).includes(follower), { timeoutMs: 30_000, intervalMs: 300, what: `broker ${follower}'s registration to expire` });
    await c.restart(follower);
    await c.waitForPartition(TOPIC, 0, (p) => p.isr.length === 3, `broker ${follower} back in the ISR`, 60_000);
    const expands = (s: Exposition): number => valueOf(s, 'kafka_server_replicamanager_isrexpands_total') - valueOf(s1, 'kafka_server_replicamanager_isrexpands_total');
    const settled = async (): Promise<boolean> => {
      const p = (await c.describe(TOPIC))[0]!;
      return p.isr.length === 3 && p.leader === leader;
    };
    await waitFor(async () => (await settled()) && (await sleep(1500), await settled()), { timeoutMs: 30_000, what: 'the ISR to stay at 3 with the same leader for 1.5 s' });
    // The returning follower may be expanded into the ISR more than once: the controller takes a
    // broker that registers anew out of the ISRs (it may have lost unflushed data), sometimes after
    // the leader already let it back in. Every expansion the leader asked for and had confirmed counts.
    const asked = (): number => c.broker(leader).output().split('\n').filter((l) => l.includes('"msg":"asking the controller to expand the ISR"')).length;
    await waitFor(async () => expands(await scrapeBroker(leader)) === asked(), { timeoutMs: 10_000, what: 'the counter to catch up with the confirmed expansions' });
    assert.ok(asked() >= 1);
    assert.equal(expands(await scrapeBroker(leader)), asked(), 'expansions counted = expansions the leader asked for and the controller confirmed');
    const s2 = await scrapeBroker(leader);
    assert.equal(valueOf(s2, 'kafka_server_replicamanager_underreplicatedpartitions'), 0);
    assert.equal(valueOf(s2, 'kafka_server_replicamanager_underminisrpartitioncount'), 0);
    assert.equal(sumOf(s2, 'kafka_server_replicamanager_isrshrinks_total') - sumOf(s1, 'kafka_server_replicamanager_isrshrinks_total'), 0);
  });

  it('/ready drops while the ZooKeeper session is in doubt and returns once it is sound', async () => {
    for (const id of [0, 1, 2]) {
      await waitFor(async () => (await httpGet(adminPorts.get(id)!, '/ready')).status === 200, { timeoutMs: 30_000, what: `broker ${id} ready` });
    }
    const zk = c.zookeeper.nodes[0]!;
    zk.pause();
    let reason = '';
    try {
      await waitFor(
        async () => {
          for (const id of [0, 1, 2]) {
            const r = await httpGet(adminPorts.get(id)!, '/ready');
            if (r.status === 503) {
              reason = r.body;
              return true;
            }
          }
          return false;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'a broker to report not ready with ZooKeeper paused' },
      );
      assert.match(reason, /^not ready: ZooKeeper session suspect/);
      assert.equal((await httpGet(adminPorts.get(0)!, '/health')).status, 200, 'alive meanwhile');
    } finally {
      zk.resume();
    }
    for (const id of [0, 1, 2]) {
      await waitFor(async () => (await httpGet(adminPorts.get(id)!, '/ready')).status === 200, { timeoutMs: 60_000, what: `broker ${id} ready again after ZooKeeper resumed` });
    }
    const disconnects = (await Promise.all([0, 1, 2].map((id) => scrapeBroker(id)))).reduce((n, s) => n + valueOf(s, 'kafka_server_sessionexpirelistener_zookeeperdisconnects_total'), 0);
    assert.ok(disconnects >= 1, 'the disconnection was counted');
  });
});
