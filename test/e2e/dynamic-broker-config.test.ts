/**
 * Goal: dynamic broker configs work as Kafka users run them — `kafka-configs --entity-type brokers
 * (--entity-default | --entity-name N) --alter --add-config k=v` takes effect on a running broker
 * without a restart, shows in --describe with Kafka's sources and synonyms, survives a restart,
 * and can be deleted again; a read-only key or a bad value is refused with Kafka's error and
 * changes nothing.
 *
 * Method: one broker as a child process (test/helpers/broker.ts spawnBroker, restartable on its
 * data dir), the real bin/kafka-configs and kafka-topics, kcat as the producing client.
 * message.max.bytes is the live effect checked: with the cluster-wide default lowered to 1000, a
 * 3000-byte record is refused (MSG_SIZE_TOO_LARGE) where it was accepted before; after the
 * per-broker value raises it again, the same record is accepted (per broker wins over the default).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireKcat, run, spawnBroker, type SpawnedBroker } from '../helpers/broker.js';
import { lines, tool, toolOk } from '../cli/tools.js';

const BIG = 'x'.repeat(3000);

async function produceBig(b: SpawnedBroker, topic: string): Promise<{ ok: boolean; stderr: string }> {
  const r = await run('kcat', ['-b', b.bootstrap, '-P', '-t', topic, '-X', 'message.timeout.ms=10000', '-X', 'message.max.bytes=1000000'], { input: `${BIG}\n`, timeoutMs: 30_000 });
  return { ok: r.code === 0 && !/Delivery failed/.test(r.stderr), stderr: r.stderr };
}

describe('dynamic broker configs with kafka-configs --entity-type brokers', () => {
  let b: SpawnedBroker;
  const configs = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => tool('kafka-configs', ['--bootstrap-server', b.bootstrap, '--entity-type', 'brokers', ...args]);

  before(async () => {
    await requireKcat();
    b = await spawnBroker();
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', b.bootstrap, '--topic', 'sizes']);
  });
  after(async () => {
    await b?.cleanup();
  });

  it('a 3000-byte record is accepted with the static message.max.bytes', async () => {
    const r = await produceBig(b, 'sizes');
    assert.ok(r.ok, r.stderr);
  });

  it('--entity-default --alter message.max.bytes=1000 applies at once: the same record is refused', async () => {
    const r = await configs('--entity-default', '--alter', '--add-config', 'message.max.bytes=1000');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Completed updating default config for brokers in the cluster.\n');
    const refused = await produceBig(b, 'sizes');
    assert.ok(!refused.ok, 'refused after the change');
    assert.match(refused.stderr, /Message size too large|MSG_SIZE_TOO_LARGE/);
    const d = await configs('--entity-default', '--describe');
    assert.deepEqual(lines(d.stdout), ['Default configs for brokers in the cluster are:', '  message.max.bytes=1000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=1000}']);
  });

  it('--entity-name 0 wins over the default; --describe --all shows the synonyms strongest first', async () => {
    const r = await configs('--entity-name', '0', '--alter', '--add-config', 'message.max.bytes=100000,log.retention.ms=3600000');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Completed updating config for broker 0.\n');
    assert.ok((await produceBig(b, 'sizes')).ok, 'the per-broker value raised the limit again');
    const d = await configs('--entity-name', '0', '--describe');
    assert.deepEqual(lines(d.stdout), [
      'Dynamic configs for broker 0 are:',
      '  log.retention.ms=3600000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=3600000}',
      '  message.max.bytes=100000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:message.max.bytes=100000, DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=1000, DEFAULT_CONFIG:message.max.bytes=1048588}',
    ]);
    // A topic without its own retention.ms now reports the broker's dynamic value as its default.
    const topic = await toolOk('kafka-configs', ['--bootstrap-server', b.bootstrap, '--entity-type', 'topics', '--entity-name', 'sizes', '--describe', '--all']);
    assert.match(topic.stdout, /^ {2}retention\.ms=3600000 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:log\.retention\.ms=3600000/m);
  });

  it('a read-only key and a bad value are refused with Kafka\'s errors and change nothing', async () => {
    const readOnly = await configs('--entity-name', '0', '--alter', '--add-config', 'log.dirs=/tmp/elsewhere');
    assert.equal(readOnly.code, 1);
    assert.match(readOnly.stdout + readOnly.stderr, /InvalidRequestException: Cannot update these configs dynamically: Set\(log\.dirs\)/);
    const bad = await configs('--entity-default', '--alter', '--add-config', 'log.retention.ms=abc');
    assert.equal(bad.code, 1);
    assert.match(bad.stdout + bad.stderr, /InvalidConfigurationException: Invalid value abc for configuration log\.retention\.ms: Not a number of type LONG/);
    const d = await configs('--entity-default', '--describe');
    assert.deepEqual(lines(d.stdout).slice(1), ['  message.max.bytes=1000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=1000}']);
  });

  it('the dynamic configs survive a restart', async () => {
    await b.stop();
    await b.restart();
    const d = await configs('--entity-name', '0', '--describe');
    assert.match(d.stdout, /^ {2}message\.max\.bytes=100000 sensitive=false/m);
    const def = await configs('--entity-default', '--describe');
    assert.match(def.stdout, /^ {2}message\.max\.bytes=1000 sensitive=false/m);
  });

  it('--delete-config removes them: the static value is back', async () => {
    assert.equal((await configs('--entity-name', '0', '--alter', '--delete-config', 'message.max.bytes,log.retention.ms')).code, 0);
    assert.ok(!(await produceBig(b, 'sizes')).ok, 'the default (1000) applies again');
    assert.equal((await configs('--entity-default', '--alter', '--delete-config', 'message.max.bytes')).code, 0);
    assert.ok((await produceBig(b, 'sizes')).ok, 'the static value applies again');
    const d = await configs('--entity-default', '--describe');
    assert.deepEqual(lines(d.stdout), ['Default configs for brokers in the cluster are:']);
  });
});
