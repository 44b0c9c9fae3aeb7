/**
 * Goal: SSL listeners as Kafka users configure them: PEM key stores inline (one-line values, as in
 * a properties file) and as files, ssl.client.auth=required|requested, client certificates mapped
 * to principals with ssl.principal.mapping.rules, an untrusted client certificate refused,
 * ssl.enabled.protocols honoured; real clients (kcat, confluent-kafka-python, kafkajs,
 * @platformatic/kafka) produce and consume over TLS; key store mistakes stop the broker with one
 * line naming the key.
 * Method: certificates made with the openssl CLI (helpers/certs.ts); a broker started with the real
 * CLI (its log lines show the principal each TLS client was mapped to) with listeners PLAINTEXT,
 * SSL (required, mapping rules) and SSLREQ (requested, TLS 1.3 only); in-process starts for the
 * configuration errors.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeDisk } from '../../src/io/node/disk.js';
import { NodeNet } from '../../src/io/node/net.js';
import { NodeRandom } from '../../src/io/node/random.js';
import { StartupError } from '../../src/startup-error.js';
import { makeTempDir, removeDir, requireKcat, requirePythonModule, run, runOk, runPython, spawnBroker, waitFor, type SpawnedBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { freePort } from '../helpers/cluster.js';
import { RawConnection } from '../helpers/raw-kafka.js';

let certs: TestCerts;
let b: SpawnedBroker;
let sslPort: number;
let sslReqPort: number;

const oneLine = async (file: string): Promise<string> => (await readFile(file, 'utf8')).replace(/\n/g, ' ');

function kcatSsl(portNumber: number, client: 'alice' | 'rogue' | null, ca = certs.caCert): string[] {
  const cert = client === null ? [] : ['-X', `ssl.certificate.location=${certs[client].cert}`, '-X', `ssl.key.location=${certs[client].key}`];
  return ['-b', `127.0.0.1:${portNumber}`, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${ca}`, ...cert];
}

before(async () => {
  await requireKcat();
  certs = await makeTestCerts();
  sslPort = await freePort();
  sslReqPort = await freePort();
  b = await spawnBroker({
    overrides: [
      `listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:${sslPort},SSLREQ://127.0.0.1:${sslReqPort}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,SSLREQ:SSL',
      'inter.broker.listener.name=PLAINTEXT',
      // SSL: inline PEM (one-line values), client certificates required, mapped by rules.
      'listener.name.ssl.ssl.keystore.type=PEM',
      `listener.name.ssl.ssl.keystore.certificate.chain=${await oneLine(certs.broker.cert)}`,
      `listener.name.ssl.ssl.keystore.key=${await oneLine(certs.broker.key)}`,
      `listener.name.ssl.ssl.truststore.certificates=${await oneLine(certs.caCert)}`,
      'listener.name.ssl.ssl.client.auth=required',
      'listener.name.ssl.ssl.principal.mapping.rules=RULE:^CN=([^,]+),OU=eng,.*$/$1-engineer/L,DEFAULT',
      // SSLREQ: PEM files, certificates requested (optional), TLS 1.3 only.
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${certs.broker.keyAndCert}`,
      `ssl.truststore.location=${certs.caCert}`,
      'ssl.truststore.type=PEM',
      'listener.name.sslreq.ssl.client.auth=requested',
      'listener.name.sslreq.ssl.enabled.protocols=TLSv1.3',
    ],
  });
});

after(async () => {
  await b?.cleanup();
  await certs?.remove();
});

const logged = (pattern: RegExp) => b.logs().some((l) => pattern.test(l.msg));

describe('mutual TLS (ssl.client.auth=required)', () => {
  it('kcat with a trusted client certificate produces and consumes; the principal comes from the mapping rule', async () => {
    await runOk('kcat', [...kcatSsl(sslPort, 'alice'), '-P', '-t', 'tls-kcat'], { input: 'x\ny\n', timeoutMs: 30_000 });
    const r = await runOk('kcat', [...kcatSsl(sslPort, 'alice'), '-C', '-t', 'tls-kcat', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
    assert.deepEqual(r.stdout.trim().split('\n'), ['x', 'y']);
    await waitFor(() => logged(/^TLS client authenticated as User:alice-engineer$/), { timeoutMs: 5000, what: 'the broker to log the mapped principal' });
  });
  it('a client without a certificate is refused', async () => {
    const r = await run('kcat', [...kcatSsl(sslPort, null), '-L', '-m', '3'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
  });
  it('a certificate from an untrusted CA is refused in the handshake', async () => {
    const r = await run('kcat', [...kcatSsl(sslPort, 'rogue'), '-L', '-m', '3'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
    await waitFor(() => logged(/TLS handshake failed/), { timeoutMs: 5000, what: 'the broker to log the failed handshake' });
  });
  it('a client that does not trust the broker\'s CA fails', async () => {
    const r = await run('kcat', [...kcatSsl(sslPort, 'alice', certs.rogueCaCert), '-L', '-m', '3'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
  });
});

describe('ssl.client.auth=requested, TLS 1.3 only', () => {
  it('a client without a certificate is served (User:ANONYMOUS)', async () => {
    const r = await runOk('kcat', [...kcatSsl(sslReqPort, null), '-L', '-m', '10'], { timeoutMs: 20_000 });
    assert.match(r.stdout, /1 brokers:/);
  });
  it('a DEFAULT-mapped certificate gives the full DN as principal', async () => {
    await runOk('kcat', [...kcatSsl(sslReqPort, 'alice'), '-L', '-m', '10'], { timeoutMs: 20_000 });
    await waitFor(() => logged(/^TLS client authenticated as User:CN=alice,OU=eng,O=Samsa Test,C=US$/), { timeoutMs: 5000, what: 'the DN principal in the log' });
  });
  it('an untrusted certificate that is presented is refused', async () => {
    const r = await run('kcat', [...kcatSsl(sslReqPort, 'rogue'), '-L', '-m', '3'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
    await waitFor(() => logged(/client certificate is not trusted/), { timeoutMs: 5000, what: 'the refusal in the log' });
  });
  it('TLS 1.2 is refused (ssl.enabled.protocols=TLSv1.3), TLS 1.3 accepted', async () => {
    const ca = await readFile(certs.caCert, 'utf8');
    await assert.rejects(RawConnection.connectTls(sslReqPort, { ca, maxVersion: 'TLSv1.2' }));
    const conn = await RawConnection.connectTls(sslReqPort, { ca, minVersion: 'TLSv1.3' });
    assert.equal((conn.socket as tls.TLSSocket).getProtocol(), 'TLSv1.3');
    conn.close();
  });
});

describe('other clients over SSL', () => {
  it('confluent-kafka-python with a client certificate', async () => {
    await requirePythonModule('confluent_kafka');
    const script = `
import json, sys
from confluent_kafka import Producer, Consumer
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SSL', 'ssl.ca.location': sys.argv[2],
        'ssl.certificate.location': sys.argv[3], 'ssl.key.location': sys.argv[4]}
p = Producer(dict(conf, **{'acks': 'all'}))
for i in range(3): p.produce('tls-py', value=b'p%d' % i)
assert p.flush(20) == 0
c = Consumer(dict(conf, **{'group.id': 'tls-py-g', 'auto.offset.reset': 'earliest'}))
c.subscribe(['tls-py'])
got = []
for _ in range(100):
    m = c.poll(0.5)
    if m is None or m.error(): continue
    got.append(m.value().decode())
    if len(got) == 3: break
c.close()
print(json.dumps(got))
`;
    const r = await runPython(script, [`127.0.0.1:${sslPort}`, certs.caCert, certs.alice.cert, certs.alice.key], { timeoutMs: 90_000 });
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), ['p0', 'p1', 'p2']);
  });
  it('kafkajs with a client certificate', async () => {
    const kafka = new Kafka({
      clientId: 'tls-kafkajs',
      brokers: [`127.0.0.1:${sslPort}`],
      ssl: { ca: [await readFile(certs.caCert, 'utf8')], cert: await readFile(certs.alice.cert, 'utf8'), key: await readFile(certs.alice.key, 'utf8') },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tls-kafkajs', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const [res] = await producer.send({ topic: 'tls-kafkajs', acks: -1, messages: [{ value: 'k' }] });
    await producer.disconnect();
    assert.equal(res?.errorCode, 0);
  });
  it('@platformatic/kafka over TLS (no client certificate, SSLREQ)', async () => {
    const { Producer, stringSerializers } = await import('@platformatic/kafka');
    const producer = new Producer({ clientId: 'tls-plt', bootstrapBrokers: [`127.0.0.1:${sslReqPort}`], tls: { ca: await readFile(certs.caCert, 'utf8') }, serializers: stringSerializers, acks: -1, autocreateTopics: true });
    const result = await producer.send({ messages: [{ topic: 'tls-plt', value: 'v' }] });
    assert.equal(result.offsets?.[0]?.offset, 0n);
    await producer.close();
  });
});

describe('key store mistakes stop the broker with one line', () => {
  async function startError(overrides: string[]): Promise<string> {
    const dir = await makeTempDir('samsa-tls-bad-');
    try {
      const { config } = loadBrokerConfig({ overrides: [`log.dirs=${dir}`, 'listeners=SSL://127.0.0.1:0', 'inter.broker.listener.name=SSL', ...overrides], env: {} });
      const io = { clock: new NodeClock(), disk: new NodeDisk(), net: new NodeNet(), random: new NodeRandom() };
      const err = await Broker.start(config, io).then(
        async (broker) => {
          await broker.stop();
          return null;
        },
        (e: unknown) => e,
      );
      assert.ok(err instanceof StartupError, `a StartupError, got ${String(err)}`);
      assert.ok(!err.message.includes('\n'));
      return err.message;
    } finally {
      await removeDir(dir);
    }
  }
  it('no key store', async () => {
    assert.match(await startError([]), /listener SSL \(SSL\) needs a key store: set ssl.keystore.location/);
  });
  it('a JKS key store names the keytool conversion', async () => {
    assert.match(await startError([`ssl.keystore.location=${certs.broker.p12}`]), /not JKS; convert with keytool -importkeystore/);
  });
  it('a wrong PKCS12 password names the listener, never the password', async () => {
    const msg = await startError(['ssl.keystore.type=PKCS12', `ssl.keystore.location=${certs.broker.p12}`, 'ssl.keystore.password=not-the-password']);
    assert.match(msg, /cannot set up TLS on listener SSL/);
    assert.ok(!msg.includes('not-the-password'));
  });
  it('required client auth without a trust store', async () => {
    assert.match(await startError(['ssl.keystore.type=PEM', `ssl.keystore.location=${certs.broker.keyAndCert}`, 'ssl.client.auth=required']), /needs the CA that signs client certificates/);
  });
  it('TLS 1.1 in ssl.enabled.protocols', async () => {
    assert.match(await startError(['ssl.keystore.type=PEM', `ssl.keystore.location=${certs.broker.keyAndCert}`, 'ssl.enabled.protocols=TLSv1.1,TLSv1.2']), /TLSv1.1 is not supported/);
  });
});
