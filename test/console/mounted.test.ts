/**
 * Goal: the broker's own admin listener serves the web console beside /metrics and /health, and
 * the console there reads and changes the broker it runs in (it connects to the broker's PLAINTEXT
 * listener like any client): `samsa start` / kafka-server-start with admin.listeners is all a user
 * needs to open it.
 *
 * Method: one in-process broker with admin.listeners on an ephemeral port; plain HTTP requests
 * (node's fetch) to `/`, `/v1/cluster`, a produce through `POST /v1/topics/<t>/messages`, and kcat
 * reading the produced record back; /metrics and /health still answer on the same port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kcat, requireKcat, startBroker, type StartedBroker } from '../helpers/broker.js';

describe('web console on the broker admin listener', () => {
  let b: StartedBroker;
  let base: string;
  before(async () => {
    await requireKcat();
    b = await startBroker({ overrides: ['admin.listeners=http://127.0.0.1:0', 'auto.create.topics.enable=true'] });
    base = `http://127.0.0.1:${b.broker.adminListeners[0]!.port}`;
  });
  after(async () => b?.stop());

  it('serves the page, the cluster view, a produce, and still /metrics and /health', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const cluster = (await (await fetch(`${base}/v1/cluster`)).json()) as { brokers: Array<{ id: number }> };
    assert.deepEqual(cluster.brokers.map((x) => x.id), [b.broker.config.brokerId]);

    const created = await fetch(`${base}/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-samsa-console': '1' },
      body: JSON.stringify({ name: 'mounted', partitions: 1, replicationFactor: 1 }),
    });
    assert.ok(created.status < 300, `create: ${created.status} ${await created.text()}`);
    const produced = await fetch(`${base}/v1/topics/mounted/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-samsa-console': '1' },
      body: JSON.stringify({ key: 'k', value: 'from the admin listener', partition: 0 }),
    });
    assert.ok(produced.status < 300, `produce: ${produced.status} ${await produced.text()}`);
    const read = await kcat(['-b', b.bootstrap, '-C', '-t', 'mounted', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
    assert.equal(read.stdout.trim(), 'k=from the admin listener');

    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /kafka_network_requestmetrics_requests_total|kafka_server/);
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
  });
});
