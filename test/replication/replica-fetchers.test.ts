/**
 * Goal: num.replica.fetchers is honoured as in Kafka: each follower runs that many fetchers per
 * source broker, each partition on fetcher abs(31 × topic.hashCode + partition) mod n, each fetcher
 * with its own connection and fetch session on the leader; replication with acks=all works through
 * all of them.
 *
 * Method: fetcherIndex against values computed by an independent implementation of Java's
 * String.hashCode rule (Python: "topic".hashCode() = 110546223); then a real 3-broker cluster
 * (ZooKeeper) with num.replica.fetchers=2 and an 8-partition RF=3 topic: kcat writes with acks=all
 * to every partition, and each leader's FetchSessionCache gauge must equal the number of
 * (follower, fetcher) pairs that follow something it leads, computed from the metadata.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetcherIndex } from '../../src/replication/replica-manager.js';
import { kcat, waitFor } from '../helpers/broker.js';
import { freePort, startCluster, type Cluster } from '../helpers/cluster.js';
import { valueOf } from '../metrics/prom-parser.js';
import { scrape } from '../metrics/scrape.js';

const TOPIC = 'fetchers';

describe('num.replica.fetchers', () => {
  it("spreads partitions over fetchers with Kafka's rule", () => {
    assert.equal(fetcherIndex('topic', 1, 3), 0);
    assert.equal(fetcherIndex('orders', 7, 4), 2);
    assert.equal(fetcherIndex('__consumer_offsets', 13, 5), 4);
    assert.equal(fetcherIndex('anything', 5, 1), 0);
    const spread = new Set(Array.from({ length: 64 }, (_, p) => fetcherIndex(TOPIC, p, 4)));
    assert.equal(spread.size, 4, 'every fetcher gets partitions');
  });

  describe('in a 3-broker cluster', () => {
    let c: Cluster;
    const adminPorts = new Map<number, number>();
    before(async () => {
      for (const id of [0, 1, 2]) adminPorts.set(id, await freePort());
      c = await startCluster({ brokers: 3, overrides: ['num.replica.fetchers=2'], brokerOverrides: (id) => [`admin.listeners=http://127.0.0.1:${adminPorts.get(id)}`] });
      await c.createTopic(TOPIC, { partitions: 8, replicationFactor: 3 });
      for (let p = 0; p < 8; p++) await c.waitForPartition(TOPIC, p, (m) => m.isr.length === 3, `partition ${p} in sync`);
    });
    after(async () => {
      await c?.stopAll();
    });

    it('replicates through every fetcher, each in its own session on the leader', async () => {
      for (let p = 0; p < 8; p++) {
        await kcat(['-b', c.bootstrap, '-P', '-t', TOPIC, '-p', String(p), '-X', 'acks=all'], { input: `a-${p}\nb-${p}\n`, timeoutMs: 30_000 });
      }
      const meta = await c.describe(TOPIC);
      // Sessions each leader should hold: one per (follower, fetcher index) following a partition it leads.
      const expected = new Map<number, Set<string>>();
      for (const m of meta) {
        for (const r of m.replicas) {
          if (r === m.leader) continue;
          const set = expected.get(m.leader) ?? new Set<string>();
          set.add(`${r}/${fetcherIndex(TOPIC, m.partition, 2)}`);
          expected.set(m.leader, set);
        }
      }
      assert.ok([...expected.values()].some((s) => s.size > 2), 'some leader is fetched from by more than one fetcher per follower');
      for (const [leader, pairs] of expected) {
        await waitFor(async () => valueOf(await scrape(adminPorts.get(leader)!), 'kafka_server_fetchsessioncache_numincrementalfetchsessions') === pairs.size, {
          timeoutMs: 20_000,
          what: `broker ${leader} to hold ${pairs.size} fetch sessions (${[...pairs].join(', ')})`,
        });
      }
      const after = await c.describe(TOPIC);
      for (const m of after) assert.equal(m.isr.length, 3, `partition ${m.partition} still fully in sync`);
    });
  });
});
