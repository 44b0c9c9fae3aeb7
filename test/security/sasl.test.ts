/**
 * Goal: SASL authentication as Kafka clients use it: kcat and confluent-kafka-python (librdkafka),
 * kafkajs and @platformatic/kafka over SASL_PLAINTEXT and SASL_SSL with PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512 and OAUTHBEARER (unsecured JWT); SCRAM users made with our kafka-configs; a wrong
 * password answers SASL_AUTHENTICATION_FAILED and closes the connection; nothing but ApiVersions
 * and the SASL requests is served before authentication; handshake v0 raw tokens; KIP-368
 * re-authentication; hostile input before and during SASL leaves the broker up.
 * Method: one in-process broker on 127.0.0.1 with four listeners — PLAINTEXT (our tools),
 * SASL_PLAINTEXT, SASL_SSL (PKCS12 key store made with openssl) and REAUTH (SASL_PLAINTEXT with
 * connections.max.reauth.ms=1500) — driven by the real clients and by a raw socket client for
 * what no client sends.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { readFile } from 'node:fs/promises';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { apiVersionsApi } from '../../src/protocol/messages/api-versions.js';
import { metadataApi } from '../../src/protocol/messages/metadata.js';
import { saslAuthenticateApi, type SaslAuthenticateResponse } from '../../src/protocol/messages/sasl-authenticate.js';
import { saslHandshakeApi, type SaslHandshakeResponse } from '../../src/protocol/messages/sasl-handshake.js';
import { bearerMessage, unsecuredJwt } from '../../src/security/sasl/oauthbearer.js';
import { MAIN_JS, requireKcat, requirePythonModule, run, runOk, runPython, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { encodeRequestFrame, RawConnection } from '../helpers/raw-kafka.js';

const PLAIN_JAAS = (users: string) => `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ${users};`;
const KAFKA_CONFIGS = path.join(path.dirname(MAIN_JS), 'cli/kafka-configs.js');

let certs: TestCerts;
let b: StartedBroker;
const port: Record<string, number> = {};

function plainToken(user: string, password: string): Buffer {
  return Buffer.from(`\u0000${user}\u0000${password}`);
}

/** SaslHandshake v1 + one SaslAuthenticate (v1) on a raw connection. */
async function rawPlain(conn: RawConnection, user: string, password: string): Promise<SaslAuthenticateResponse> {
  const hs = await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
  assert.equal(hs.errorCode, ErrorCode.NONE);
  return conn.request<SaslAuthenticateResponse>(saslAuthenticateApi, 1, { authBytes: plainToken(user, password) });
}

function kcatArgs(listener: 'SASL_PLAINTEXT' | 'SASL_SSL', mechanism: string, user: string, password: string): string[] {
  const tls = listener === 'SASL_SSL' ? ['-X', `ssl.ca.location=${certs.caCert}`] : [];
  return ['-b', `127.0.0.1:${port[listener]}`, '-X', `security.protocol=${listener.toLowerCase()}`, '-X', `sasl.mechanism=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, ...tls];
}

async function brokerServes(): Promise<void> {
  const r = await run('kcat', [...kcatArgs('SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret'), '-L', '-m', '10'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `the broker still serves authenticated clients: ${r.stderr}`);
}

before(async () => {
  await requireKcat();
  certs = await makeTestCerts();
  b = await startBroker({
    overrides: [
      'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,REAUTH://127.0.0.1:0',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,REAUTH:SASL_PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
      // Broker-wide JAAS for SASL_PLAINTEXT and REAUTH; SASL_SSL has its own, per listener and mechanism.
      `sasl.jaas.config=${PLAIN_JAAS('user_admin="admin-secret" user_alice="alice-secret"')}`,
      `listener.name.sasl_ssl.plain.sasl.jaas.config=${PLAIN_JAAS('user_admin="admin-secret" user_bob="bob-secret"')}`,
      'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
      `listener.name.sasl_ssl.ssl.keystore.location=${certs.broker.p12}`,
      `listener.name.sasl_ssl.ssl.keystore.password=${certs.p12Password}`,
      `listener.name.sasl_ssl.ssl.truststore.location=${certs.caCert}`,
      'listener.name.reauth.connections.max.reauth.ms=1500',
      'sasl.server.max.receive.size=65536',
    ],
  });
  for (const l of b.broker.listeners) port[l.name] = l.port;
  // SCRAM users, as users make them: kafka-configs against the PLAINTEXT listener.
  for (const [user, spec] of [
    ['carol', 'SCRAM-SHA-256=[iterations=8192,password=carol-secret],SCRAM-SHA-512=[password=carol-secret]'],
    ['dave', 'SCRAM-SHA-512=[iterations=4096,password=dave-secret]'],
  ] as const) {
    const r = await runOk(process.execPath, [KAFKA_CONFIGS, '--bootstrap-server', b.bootstrap, '--alter', '--add-config', spec, '--entity-type', 'users', '--entity-name', user], { timeoutMs: 30_000 });
    assert.equal(r.stdout.trim(), `Completed updating config for user ${user}.`);
  }
});

after(async () => {
  await b?.stop();
  await certs?.remove();
});

describe('SCRAM users with kafka-configs', () => {
  it('--describe lists mechanisms and iterations, never a secret', async () => {
    const r = await runOk(process.execPath, [KAFKA_CONFIGS, '--bootstrap-server', b.bootstrap, '--describe', '--entity-type', 'users'], { timeoutMs: 30_000 });
    assert.deepEqual(r.stdout.trim().split('\n'), [
      "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096",
      "SCRAM credential configs for user-principal 'dave' are SCRAM-SHA-512=iterations=4096",
    ]);
    assert.ok(!r.stdout.includes('secret'));
  });
  it('--delete-config removes one mechanism; too few iterations is refused with Kafka\'s error', async () => {
    const cfg = (...args: string[]) => run(process.execPath, [KAFKA_CONFIGS, '--bootstrap-server', b.bootstrap, '--entity-type', 'users', '--entity-name', 'erin', ...args], { timeoutMs: 30_000 });
    assert.equal((await cfg('--alter', '--add-config', 'SCRAM-SHA-256=[password=erin-secret],SCRAM-SHA-512=[password=erin-secret]')).code, 0);
    assert.equal((await cfg('--alter', '--delete-config', 'SCRAM-SHA-512')).code, 0);
    assert.equal((await cfg('--describe')).stdout.trim(), "SCRAM credential configs for user-principal 'erin' are SCRAM-SHA-256=iterations=4096");
    const bad = await cfg('--alter', '--add-config', 'SCRAM-SHA-256=[iterations=10,password=x]');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Too few iterations/);
  });
});

describe('kcat (librdkafka)', () => {
  const cases: Array<[string, 'SASL_PLAINTEXT' | 'SASL_SSL', string, string, string]> = [
    ['PLAIN over SASL_PLAINTEXT', 'SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret'],
    ['PLAIN over SASL_SSL (per-listener JAAS)', 'SASL_SSL', 'PLAIN', 'bob', 'bob-secret'],
    ['SCRAM-SHA-256 over SASL_SSL', 'SASL_SSL', 'SCRAM-SHA-256', 'carol', 'carol-secret'],
    ['SCRAM-SHA-512 over SASL_PLAINTEXT', 'SASL_PLAINTEXT', 'SCRAM-SHA-512', 'dave', 'dave-secret'],
  ];
  for (const [name, listener, mechanism, user, password] of cases) {
    it(`${name}: produces and consumes`, async () => {
      const topic = `kcat-${mechanism}-${listener}`.toLowerCase();
      await runOk('kcat', [...kcatArgs(listener, mechanism, user, password), '-P', '-t', topic, '-X', 'acks=all'], { input: 'one\ntwo\nthree\n', timeoutMs: 30_000 });
      const r = await runOk('kcat', [...kcatArgs(listener, mechanism, user, password), '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
      assert.deepEqual(r.stdout.trim().split('\n'), ['one', 'two', 'three']);
    });
  }
  it('OAUTHBEARER with an unsecured JWT (sasl.oauthbearer.config principal=...)', async () => {
    const base = ['-b', `127.0.0.1:${port.SASL_PLAINTEXT}`, '-X', 'security.protocol=sasl_plaintext', '-X', 'sasl.mechanism=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=frank'];
    await runOk('kcat', [...base, '-P', '-t', 'oauth-topic'], { input: 'jwt\n', timeoutMs: 30_000 });
    const r = await runOk('kcat', [...base, '-C', '-t', 'oauth-topic', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
    assert.equal(r.stdout.trim(), 'jwt');
  });
  it('a wrong password or unknown user fails with the broker\'s SASL message', async () => {
    for (const [mechanism, user] of [['PLAIN', 'alice'], ['SCRAM-SHA-256', 'carol'], ['SCRAM-SHA-512', 'nobody']]) {
      const r = await run('kcat', [...kcatArgs('SASL_PLAINTEXT', mechanism!, user!, 'wrong-password'), '-L', '-m', '3'], { timeoutMs: 20_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /SASL authentication error: Authentication failed: Invalid (username or password|user credentials)/);
      assert.ok(!r.stderr.includes('wrong-password'));
    }
  });
  it('a client without SASL on a SASL listener gets nothing but a closed connection', async () => {
    const r = await run('kcat', ['-b', `127.0.0.1:${port.SASL_PLAINTEXT}`, '-L', '-m', '3'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
  });
});

describe('confluent-kafka-python (librdkafka)', () => {
  it('SCRAM-SHA-512 over SASL_SSL: produce and consume', async () => {
    await requirePythonModule('confluent_kafka');
    const script = `
import json, sys
from confluent_kafka import Producer, Consumer
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_SSL', 'ssl.ca.location': sys.argv[2],
        'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': 'carol', 'sasl.password': 'carol-secret'}
p = Producer(dict(conf, **{'acks': 'all'}))
for i in range(5): p.produce('py-scram', value=b'v%d' % i)
assert p.flush(20) == 0
c = Consumer(dict(conf, **{'group.id': 'py-scram-g', 'auto.offset.reset': 'earliest'}))
c.subscribe(['py-scram'])
got = []
for _ in range(100):
    m = c.poll(0.5)
    if m is None or m.error(): continue
    got.append(m.value().decode())
    if len(got) == 5: break
c.close()
print(json.dumps(got))
`;
    const r = await runPython(script, [`127.0.0.1:${port.SASL_SSL}`, certs.caCert], { timeoutMs: 90_000 });
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), ['v0', 'v1', 'v2', 'v3', 'v4']);
  });
});

describe('kafkajs', () => {
  for (const [mechanism, user, password] of [['plain', 'bob', 'bob-secret'], ['scram-sha-256', 'carol', 'carol-secret']] as const) {
    it(`${mechanism} over SASL_SSL: produce and consume`, async () => {
      const kafka = new Kafka({
        clientId: 'sasl-kafkajs',
        brokers: [`127.0.0.1:${port.SASL_SSL}`],
        ssl: { ca: [await readFile(certs.caCert, 'utf8')] },
        sasl: { mechanism, username: user, password } as SASLOptions,
        logLevel: logLevel.NOTHING,
      });
      const topic = `kafkajs-${mechanism}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `g-${mechanism}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: string[] = [];
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
      await waitFor(() => got.length >= 2, { timeoutMs: 30_000, what: 'kafkajs to consume 2 records' });
      await consumer.disconnect();
      assert.deepEqual(got, ['a', 'b']);
    });
  }
  it('a wrong password is reported as a SASL authentication failure', async () => {
    const kafka = new Kafka({ clientId: 'bad', brokers: [`127.0.0.1:${port.SASL_PLAINTEXT}`], sasl: { mechanism: 'plain', username: 'alice', password: 'nope' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await assert.rejects(admin.connect(), (err: Error) => /SASL PLAIN authentication failed: Authentication failed: Invalid username or password/.test(err.message));
  });
});

describe('@platformatic/kafka', () => {
  it('SCRAM-SHA-256 over SASL_PLAINTEXT (SaslAuthenticate v2): produce and read metadata', async () => {
    const { Producer, Admin, stringSerializers } = await import('@platformatic/kafka');
    const sasl = { mechanism: 'SCRAM-SHA-256' as const, username: 'carol', password: 'carol-secret' };
    const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers: [`127.0.0.1:${port.SASL_PLAINTEXT}`], sasl });
    await admin.createTopics({ topics: ['plt-topic'], partitions: 1, replicas: 1 });
    const md = await admin.metadata({ topics: ['plt-topic'] });
    assert.equal(md.topics.get('plt-topic')?.partitionsCount, 1);
    await admin.close();
    const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers: [`127.0.0.1:${port.SASL_PLAINTEXT}`], sasl, serializers: stringSerializers, acks: -1 });
    const result = await producer.send({ messages: [{ topic: 'plt-topic', value: 'hello' }] });
    assert.equal(result.offsets?.[0]?.offset, 0n);
    await producer.close();
  });
});

describe('the SASL exchange on the wire', () => {
  it('wrong password: SASL_AUTHENTICATION_FAILED with a message, then the connection closes', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    const r = await rawPlain(conn, 'alice', 'wrong');
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(r.errorMessage, 'Authentication failed: Invalid username or password');
    assert.ok(await conn.closesWithin(6000), 'closed after the failure');
  });
  it('ApiVersions is served before authentication; Metadata closes the connection', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    const versions = await conn.request<{ errorCode: number; apiKeys: Array<{ apiKey: number }> }>(apiVersionsApi, 0, {});
    assert.equal(versions.errorCode, 0);
    assert.ok(versions.apiKeys.some((k) => k.apiKey === 36), 'SaslAuthenticate is advertised');
    await conn.write(encodeRequestFrame(metadataApi, 1, 9, { topics: null }));
    assert.ok(await conn.closesWithin(5000), 'Metadata before authentication closes the connection');
  });
  it('an unsupported mechanism answers UNSUPPORTED_SASL_MECHANISM with the enabled list, then closes', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    const hs = await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'GSSAPI' });
    assert.equal(hs.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(hs.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']);
    assert.ok(await conn.closesWithin(6000));
  });
  it('handshake v0: raw size-prefixed tokens, then requests are served', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    const hs = await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 0, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, 0);
    const token = plainToken('alice', 'alice-secret');
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length, 0);
    token.copy(frame, 4);
    await conn.write(frame);
    assert.equal((await conn.readFrame()).length, 0, 'an empty final token');
    const md = await conn.request<{ brokers: unknown[] }>(metadataApi, 1, { topics: null });
    assert.equal(md.brokers.length, 1);
    conn.close();
  });
  it('OAUTHBEARER: an expired unsecured token gets the RFC 7628 error challenge, then fails', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    assert.equal((await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' })).errorCode, 0);
    const first = await conn.request<SaslAuthenticateResponse>(saslAuthenticateApi, 1, { authBytes: bearerMessage(unsecuredJwt({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 3600 })) });
    assert.equal(first.errorCode, 0);
    assert.deepEqual(JSON.parse(first.authBytes.toString()), { status: 'invalid_token' });
    const second = await conn.request<SaslAuthenticateResponse>(saslAuthenticateApi, 1, { authBytes: Buffer.from([1]) });
    assert.equal(second.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(second.errorMessage ?? '', /expired/);
    assert.ok(await conn.closesWithin(6000));
  });
  it('SaslHandshake on a PLAINTEXT listener answers ILLEGAL_SASL_STATE', async () => {
    const conn = await RawConnection.connect(b.port);
    const hs = await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    conn.close();
  });
});

describe('re-authentication (KIP-368, connections.max.reauth.ms=1500 on REAUTH)', () => {
  it('reports the session lifetime; re-authenticating extends it; an expired session is closed', async () => {
    const conn = await RawConnection.connect(port.REAUTH!);
    const auth = await rawPlain(conn, 'alice', 'alice-secret');
    assert.equal(auth.errorCode, 0);
    assert.equal(auth.sessionLifetimeMs, 1500n);
    await new Promise((r) => setTimeout(r, 1000));
    const again = await rawPlain(conn, 'alice', 'alice-secret');
    assert.equal(again.errorCode, 0, 're-authentication on the same connection');
    await new Promise((r) => setTimeout(r, 1000));
    // 2 s after the first authentication, 1 s after the second: still valid.
    assert.equal((await conn.request<{ brokers: unknown[] }>(metadataApi, 1, { topics: null })).brokers.length, 1);
    await new Promise((r) => setTimeout(r, 700));
    await conn.write(encodeRequestFrame(metadataApi, 1, 99, { topics: null }));
    assert.ok(await conn.closesWithin(5000), 'a request after the session expired closes the connection');
  });
  it('re-authenticating as another principal fails', async () => {
    const conn = await RawConnection.connect(port.REAUTH!);
    assert.equal((await rawPlain(conn, 'alice', 'alice-secret')).errorCode, 0);
    const other = await rawPlain(conn, 'admin', 'admin-secret');
    assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.ok(await conn.closesWithin(6000));
  });
  it('the SASL listener without connections.max.reauth.ms reports no lifetime', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    assert.equal((await rawPlain(conn, 'alice', 'alice-secret')).sessionLifetimeMs, 0n);
    conn.close();
  });
});

describe('hostile input before and during SASL', () => {
  it('random bytes before the handshake close the connection', async () => {
    for (let i = 0; i < 5; i++) {
      const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
      await conn.write(randomBytes(64 + i * 100));
      assert.ok(await conn.closesWithin(5000), `garbage #${i} closed`);
    }
    await brokerServes();
  });
  it('a frame larger than sasl.server.max.receive.size before authentication closes at once', async () => {
    const conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    const header = Buffer.alloc(4);
    header.writeInt32BE(10 * 1024 * 1024, 0);
    await conn.write(header);
    assert.ok(await conn.closesWithin(5000));
  });
  it('an oversized SASL token (within the frame limit after re-auth) fails authentication', async () => {
    const conn = await RawConnection.connect(port.REAUTH!);
    assert.equal((await rawPlain(conn, 'alice', 'alice-secret')).errorCode, 0);
    assert.equal((await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'PLAIN' })).errorCode, 0);
    const big = await conn.request<SaslAuthenticateResponse>(saslAuthenticateApi, 1, { authBytes: Buffer.alloc(100_000, 1) });
    assert.equal(big.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(big.errorMessage ?? '', /sasl.server.max.receive.size/);
    assert.ok(await conn.closesWithin(6000));
  });
  it('garbage and truncated frames during the exchange close the connection; the broker stays up', async () => {
    // Truncated: a SaslAuthenticate whose size prefix promises more than is sent, then the client hangs up.
    let conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    assert.equal((await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-256' })).errorCode, 0);
    const full = encodeRequestFrame(saslAuthenticateApi, 1, 5, { authBytes: Buffer.from('n,,n=carol,r=abc') });
    await conn.write(full.subarray(0, full.length - 5));
    conn.close();
    // Garbage in place of SaslAuthenticate.
    conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    assert.equal((await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-256' })).errorCode, 0);
    const garbage = randomBytes(40);
    garbage.writeInt32BE(36, 0);
    await conn.write(garbage);
    assert.ok(await conn.closesWithin(5000));
    // A malformed SCRAM client-first inside a well-formed SaslAuthenticate.
    conn = await RawConnection.connect(port.SASL_PLAINTEXT!);
    assert.equal((await conn.request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-512' })).errorCode, 0);
    const r = await conn.request<SaslAuthenticateResponse>(saslAuthenticateApi, 1, { authBytes: randomBytes(200) });
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.ok(await conn.closesWithin(6000));
    await brokerServes();
  });
});
