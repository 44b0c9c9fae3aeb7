/**
 * Goal: client quotas and connection limits behave as in Kafka for real clients: a producer over its
 * producer_byte_rate is held to within ±20% of it and is told the throttle time (librdkafka's
 * statistics show it), while an unthrottled client next to it is not throttled; quotas are set and
 * described with kafka-configs; connections beyond max.connections.per.ip are refused while other
 * clients keep working.
 * Method: an in-process broker on 127.0.0.1 (quota windows of 3 x 1 s); two confluent-kafka-python
 * producers (librdkafka) run at once for 9 s, client ids `slow` (quota 300 kB/s set with
 * kafka-configs --entity-type clients) and `fast` (no quota); each measures the bytes it got
 * acknowledged after a 3 s warm-up and the largest `throttle` librdkafka reports per broker. The
 * connection test opens raw sockets from 127.0.0.2 (limited to 3) while kcat works from 127.0.0.1
 * (overridden to 100).
 * controller_mutation_rate (KIP-599): set for every user with kafka-configs --entity-default; a
 * kafka-topics --create that crosses it goes ahead, the next one is refused with
 * THROTTLING_QUOTA_EXCEEDED and creates nothing, and once the window has passed creates work again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { kcat, lastJsonLine, requireKcat, requirePythonModule, runPython, sleep, startBroker } from '../helpers/broker.js';
import { tool, toolOk } from '../cli/tools.js';

const QUOTA_BYTES_PER_S = 300_000;

const PRODUCER = `
import json, sys, time
from confluent_kafka import Producer
bootstrap, client_id, topic, seconds, warmup = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
throttle = {'max': 0}
def on_stats(text):
    s = json.loads(text)
    for b in s.get('brokers', {}).values():
        throttle['max'] = max(throttle['max'], b.get('throttle', {}).get('max', 0))
p = Producer({'bootstrap.servers': bootstrap, 'client.id': client_id, 'linger.ms': 5, 'batch.size': 65536,
              'statistics.interval.ms': 500, 'stats_cb': on_stats, 'queue.buffering.max.kbytes': 2048, 'acks': 1})
value = b'x' * 1000
start = time.time()
acked = {'bytes': 0}
def on_delivery(err, msg):
    t = time.time() - start
    if err is None and warmup <= t < seconds:
        acked['bytes'] += len(msg.value())
while time.time() - start < seconds:
    try:
        p.produce(topic, value, on_delivery=on_delivery)
    except BufferError:
        p.poll(0.01)
    p.poll(0)
p.flush(15)
print(json.dumps({'bytesPerS': acked['bytes'] / (seconds - warmup), 'throttleMaxMs': throttle['max']}))
`;

test('producer_byte_rate holds a producer to its quota (±20%) and reports the throttle time; an unthrottled client is not throttled', async () => {
  await requirePythonModule('confluent_kafka');
  const b = await startBroker({ overrides: ['quota.window.num=3', 'quota.window.size.seconds=1', 'num.partitions=1'] });
  try {
    const set = await toolOk('kafka-configs', ['--bootstrap-server', b.bootstrap, '--alter', '--entity-type', 'clients', '--entity-name', 'slow', '--add-config', `producer_byte_rate=${QUOTA_BYTES_PER_S}`]);
    assert.match(set.stdout, /Completed updating config for client slow\./);
    const described = await toolOk('kafka-configs', ['--bootstrap-server', b.bootstrap, '--describe', '--entity-type', 'clients', '--entity-name', 'slow']);
    assert.match(described.stdout, new RegExp(`Quota configs for client-id 'slow' are producer_byte_rate=${QUOTA_BYTES_PER_S}\\.0`));
    const [slow, fast] = await Promise.all(
      ['slow', 'fast'].map(async (clientId) => {
        const r = await runPython(PRODUCER, [b.bootstrap, clientId, `quota-${clientId}`, '9', '3'], { timeoutMs: 60_000 });
        return lastJsonLine<{ bytesPerS: number; throttleMaxMs: number }>(r.stdout);
      }),
    );
    const ratio = slow!.bytesPerS / QUOTA_BYTES_PER_S;
    assert.ok(ratio > 0.8 && ratio < 1.2, `slow producer ran at ${Math.round(slow!.bytesPerS)} B/s, quota ${QUOTA_BYTES_PER_S} (ratio ${ratio.toFixed(2)}); slow ${JSON.stringify(slow)} fast ${JSON.stringify(fast)}`);
    assert.ok(slow!.throttleMaxMs > 0, 'librdkafka saw a throttle time for the throttled producer');
    assert.equal(fast!.throttleMaxMs, 0, 'the unthrottled producer was never throttled');
    assert.ok(fast!.bytesPerS > 3 * QUOTA_BYTES_PER_S, `the unthrottled producer ran at ${Math.round(fast!.bytesPerS)} B/s`);
    // Removing the quota lifts the throttle.
    await toolOk('kafka-configs', ['--bootstrap-server', b.bootstrap, '--alter', '--entity-type', 'clients', '--entity-name', 'slow', '--delete-config', 'producer_byte_rate']);
    const none = await toolOk('kafka-configs', ['--bootstrap-server', b.bootstrap, '--describe', '--entity-type', 'clients']);
    assert.doesNotMatch(none.stdout, /slow/);
  } finally {
    await b.stop();
  }
});

function openFrom(localAddress: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves true when the broker closes the socket within `ms`. */
function closedWithin(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.on('error', () => {});
  });
}

test('max.connections.per.ip refuses extra connections from one address while other clients keep working', async () => {
  await requireKcat();
  const b = await startBroker({ overrides: ['max.connections.per.ip=3', 'max.connections.per.ip.overrides=127.0.0.1:100'] });
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) sockets.push(await openFrom('127.0.0.2', b.port));
    await sleep(200);
    for (const s of sockets) assert.equal(await closedWithin(s, 100), false, 'the first three connections stay open');
    const extra = await openFrom('127.0.0.2', b.port);
    sockets.push(extra);
    assert.equal(await closedWithin(extra, 3000), true, 'the fourth connection from 127.0.0.2 is closed');
    // A client from another address is unaffected.
    const r = await kcat(['-P', '-b', b.bootstrap, '-t', 'conn-limit'], { input: 'still works\n', timeoutMs: 20_000 });
    assert.equal(r.code, 0);
    // Closing one frees a slot.
    sockets[0]!.destroy();
    await sleep(200);
    const again = await openFrom('127.0.0.2', b.port);
    sockets.push(again);
    assert.equal(await closedWithin(again, 500), false, 'a freed slot admits a new connection');
  } finally {
    for (const s of sockets) s.destroy();
    await b.stop();
  }
});

test('controller_mutation_rate: the create that crosses it goes ahead, the next is refused with THROTTLING_QUOTA_EXCEEDED, then the window passes', async () => {
  const b = await startBroker({ overrides: ['quota.window.num=2', 'quota.window.size.seconds=1'] });
  try {
    await toolOk('kafka-configs', ['--bootstrap-server', b.bootstrap, '--alter', '--entity-type', 'users', '--entity-default', '--add-config', 'controller_mutation_rate=2']);
    await toolOk('kafka-topics', ['--bootstrap-server', b.bootstrap, '--create', '--topic', 'm1', '--partitions', '6']);
    const refused = await tool('kafka-topics', ['--bootstrap-server', b.bootstrap, '--create', '--topic', 'm2', '--partitions', '1']);
    assert.notEqual(refused.code, 0, `second create refused:\n${refused.stdout}${refused.stderr}`);
    assert.match(refused.stdout + refused.stderr, /quota|THROTTLING_QUOTA_EXCEEDED|throttl/i);
    assert.ok(!b.broker.controller.image.topics.has('m2'), 'the refused topic was not created');
    assert.ok(b.broker.controller.image.topics.has('m1'));
    // 6 partitions at 2/s over a 2 s window: under the quota again within a few seconds.
    let created = false;
    for (let i = 0; i < 20 && !created; i++) {
      await sleep(500);
      created = (await tool('kafka-topics', ['--bootstrap-server', b.bootstrap, '--create', '--topic', 'm2', '--partitions', '1'])).code === 0;
    }
    assert.ok(created, 'created once the rate fell under the quota');
  } finally {
    await b.stop();
  }
});
