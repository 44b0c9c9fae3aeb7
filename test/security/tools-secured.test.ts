/**
 * Goal: Samsa's own tools work against secured listeners with the client properties Kafka users
 * write: kafka-topics, kafka-console-producer/consumer, kafka-acls and kafka-configs over SASL_SSL
 * with SCRAM-SHA-512 (and PLAIN to make the first SCRAM user), and over SSL with a client
 * certificate (mutual TLS, PEM and PKCS12 key stores); ACLs decide what a non-super user sees; a
 * wrong password, an untrusted broker certificate, a missing client certificate and unsupported
 * settings each end the tool with exit 1 and one line naming the fix (no stack trace).
 * Method: one in-process broker on 127.0.0.1 with listeners SASL_SSL (PLAIN, SCRAM-SHA-512), SSL
 * (ssl.client.auth=required) and a PLAINTEXT inter-broker listener the tools never use, an ACL
 * authorizer with super users admin and alice's certificate DN; certificates made with openssl
 * (test/helpers/certs.ts); every tool run as a child process through bin/, exactly as a user would,
 * with a properties file passed by --command-config / --producer.config / --consumer.config;
 * `samsa` (--command-config, -X) and `samsa console` the same way.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { BIN, lines, tool, toolOk } from '../cli/tools.js';

let certs: TestCerts;
let b: StartedBroker;
const port: Record<string, number> = {};
const ALICE_DN = 'CN=alice,OU=eng,O=Samsa Test,C=US';

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';

/** Writes a client.properties file in the cert dir and returns its path. */
async function props(name: string, entries: Record<string, string>): Promise<string> {
  const file = path.join(certs.dir, `${name}.properties`);
  await writeFile(file, Object.entries(entries).map(([k, v]) => `${k}=${v}\n`).join(''));
  return file;
}

function saslSsl(mechanism: string, user: string, password: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': mechanism,
    'sasl.jaas.config': `${mechanism === 'PLAIN' ? PLAIN : SCRAM} required username="${user}" password="${password}";`,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caCert,
    ...extra,
  };
}

/** Exit 1 with exactly one line on stderr, matching `pattern`, and no stack trace. */
function assertOneLineFailure(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}: ${r.stderr}`);
  const errLines = lines(r.stderr);
  assert.equal(errLines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(errLines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

const sasl = (): string => `127.0.0.1:${port.SASL_SSL}`;
const ssl = (): string => `127.0.0.1:${port.SSL}`;
let adminPlain: string;
let adminScram: string;
let aliceP12: string;
let alicePem: string;

before(async () => {
  certs = await makeTestCerts();
  b = await startBroker({
    overrides: [
      'listeners=INTERNAL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
      'listener.security.protocol.map=INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
      'inter.broker.listener.name=INTERNAL',
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=${PLAIN} required username="admin" password="admin-secret" user_admin="admin-secret";`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.location=${certs.broker.p12}`,
      `ssl.keystore.password=${certs.p12Password}`,
      `ssl.truststore.location=${certs.caCert}`,
      'listener.name.ssl.ssl.client.auth=required',
      'authorizer.class.name=kafka.security.authorizer.AclAuthorizer',
      `super.users=User:admin;User:${ALICE_DN}`,
    ],
  });
  for (const l of b.broker.listeners) port[l.name] = l.port;
  adminPlain = await props('admin-plain', saslSsl('PLAIN', 'admin', 'admin-secret'));
  adminScram = await props('admin-scram', saslSsl('SCRAM-SHA-512', 'admin', 'admin-scram-secret'));
  aliceP12 = await props('alice-p12', {
    'security.protocol': 'SSL',
    'ssl.truststore.location': certs.caCert,
    'ssl.truststore.type': 'PEM',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': certs.alice.p12,
    'ssl.keystore.password': certs.p12Password,
  });
  alicePem = await props('alice-pem', {
    'security.protocol': 'SSL',
    'ssl.truststore.location': certs.caCert,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.alice.keyAndCert,
  });
});

after(async () => {
  await b?.stop();
  await certs?.remove();
});

describe('SASL_SSL with SCRAM-SHA-512', () => {
  it('kafka-configs over PLAIN creates the first SCRAM users; SCRAM logins work from then on', async () => {
    for (const [user, password] of [
      ['admin', 'admin-scram-secret'],
      ['carol', 'carol-secret'],
    ]) {
      const r = await toolOk('kafka-configs', ['--bootstrap-server', sasl(), '--command-config', adminPlain, '--alter', '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${password}]`, '--entity-type', 'users', '--entity-name', user!]);
      assert.equal(r.stdout.trim(), `Completed updating config for user ${user}.`);
    }
    const d = await toolOk('kafka-configs', ['--bootstrap-server', sasl(), '--command-config', adminScram, '--describe', '--entity-type', 'users']);
    assert.match(d.stdout, /SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-512=iterations=4096/);
  });

  it('kafka-topics --create and --list as the SCRAM super user', async () => {
    await toolOk('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', adminScram, '--create', '--topic', 'secure-t', '--partitions', '2']);
    const r = await toolOk('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', adminScram, '--list']);
    assert.ok(lines(r.stdout).includes('secure-t'), r.stdout);
  });

  it('a user without ACLs sees no topic; kafka-acls --add gives carol Read/Write; --list shows the bindings', async () => {
    const carol = await props('carol', saslSsl('SCRAM-SHA-512', 'carol', 'carol-secret'));
    const before = await toolOk('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', carol, '--list']);
    assert.deepEqual(lines(before.stdout), []);
    await toolOk('kafka-acls', ['--bootstrap-server', sasl(), '--command-config', adminScram, '--add', '--allow-principal', 'User:carol', '--operation', 'Read', '--operation', 'Write', '--operation', 'Describe', '--topic', 'secure-t']);
    await toolOk('kafka-acls', ['--bootstrap-server', sasl(), '--command-config', adminScram, '--add', '--allow-principal', 'User:carol', '--operation', 'Read', '--group', 'carol-g']);
    const list = await toolOk('kafka-acls', ['--bootstrap-server', sasl(), '--command-config', adminScram, '--list', '--topic', 'secure-t']);
    assert.match(list.stdout, /ResourcePattern\(resourceType=TOPIC, name=secure-t, patternType=LITERAL\)/);
    assert.match(list.stdout, /\(principal=User:carol, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    const after = await toolOk('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', carol, '--list']);
    assert.deepEqual(lines(after.stdout), ['secure-t']);
  });

  it('console producer → console consumer round trip as carol (config files and -property options)', async () => {
    const carol = await props('carol-client', saslSsl('SCRAM-SHA-512', 'carol', 'carol-secret'));
    await toolOk('kafka-console-producer', ['--bootstrap-server', sasl(), '--topic', 'secure-t', '--producer.config', carol, '--property', 'parse.key=true', '--property', 'key.separator=:'], { input: 'k1:one\nk2:two\nk3:three\n' });
    const r = await toolOk('kafka-console-consumer', [
      '--bootstrap-server', sasl(), '--topic', 'secure-t', '--group', 'carol-g', '--from-beginning', '--max-messages', '3', '--timeout-ms', '20000',
      '--consumer-property', 'security.protocol=SASL_SSL', '--consumer-property', 'sasl.mechanism=SCRAM-SHA-512',
      '--consumer-property', `sasl.jaas.config=${SCRAM} required username="carol" password="carol-secret";`,
      '--consumer-property', `ssl.truststore.location=${certs.caCert}`,
    ]);
    assert.deepEqual(lines(r.stdout).sort(), ['one', 'three', 'two']);
  });

  it('a wrong password ends the tool with exit 1 and one line naming SASL authentication', async () => {
    const wrong = await props('wrong', saslSsl('SCRAM-SHA-512', 'carol', 'not-her-password'));
    const r = await tool('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', wrong, '--list']);
    assertOneLineFailure(r, /SaslAuthenticationException: SASL authentication failed at 127\.0\.0\.1:\d+ \(SCRAM-SHA-512 as carol\).*sasl\.jaas\.config/);
    assert.ok(!r.stderr.includes('not-her-password'), 'the password is never printed');
    const others: Array<[string, string[]]> = [
      ['kafka-console-producer', ['--topic', 'secure-t', '--producer.config', wrong]],
      ['kafka-console-consumer', ['--topic', 'secure-t', '--consumer.config', wrong, '--timeout-ms', '5000']],
      ['kafka-acls', ['--command-config', wrong, '--list']],
      ['kafka-configs', ['--command-config', wrong, '--describe', '--entity-type', 'users']],
      ['kafka-consumer-groups', ['--command-config', wrong, '--list']],
      ['kafka-transactions', ['--command-config', wrong, 'list']],
    ];
    for (const [name, args] of others) {
      const p = await tool(name, ['--bootstrap-server', sasl(), ...args], { input: 'x\n' });
      // kafka-consumer-groups reports on stdout, as Kafka's does; the others on stderr.
      const said = `${p.stderr}${p.stdout}`;
      assert.equal(p.code, 1, `${name}: ${said}`);
      assert.match(said, /SASL authentication failed at .*sasl\.jaas\.config/, name);
      assert.doesNotMatch(said, /^\s+at /m, name);
      assert.ok(lines(said).length <= 2, `${name} says it in a line or two:\n${said}`);
    }
  });

  it('a broker certificate from a CA the client does not trust: one line about the trust store', async () => {
    const rogue = await props('rogue-trust', saslSsl('SCRAM-SHA-512', 'admin', 'admin-scram-secret', { 'ssl.truststore.location': certs.rogueCaCert }));
    const r = await tool('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', rogue, '--list']);
    assertOneLineFailure(r, /SslAuthenticationException: TLS handshake with 127\.0\.0\.1:\d+ failed: the broker's certificate is not trusted .*ssl\.truststore\.location/);
  });

  it('host name verification: https (default) refuses a name the certificate lacks; an empty algorithm skips the check', async () => {
    // The broker certificate names localhost and 127.0.0.1; ::ffff:127.0.0.1 reaches the same socket under a name it does not list.
    const addr = `[::ffff:127.0.0.1]:${port.SASL_SSL}`;
    const r = await tool('kafka-topics', ['--bootstrap-server', addr, '--command-config', adminScram, '--list']);
    assertOneLineFailure(r, /certificate is not valid for the name '::ffff:127\.0\.0\.1'.*ssl\.endpoint\.identification\.algorithm/);
    const off = await props('no-hostname-check', saslSsl('SCRAM-SHA-512', 'admin', 'admin-scram-secret', { 'ssl.endpoint.identification.algorithm': '' }));
    // Metadata answers with the advertised 127.0.0.1 address, which the certificate does list.
    await toolOk('kafka-topics', ['--bootstrap-server', addr, '--command-config', off, '--list']);
  });
});

describe('SSL with a client certificate (mutual TLS)', () => {
  it('kafka-topics --create/--list with a PKCS12 key store, --list with a PEM key store', async () => {
    await toolOk('kafka-topics', ['--bootstrap-server', ssl(), '--command-config', aliceP12, '--create', '--topic', 'mtls-t', '--partitions', '1']);
    const r = await toolOk('kafka-topics', ['--bootstrap-server', ssl(), '--command-config', alicePem, '--list']);
    assert.ok(lines(r.stdout).includes('mtls-t'), r.stdout);
  });

  it('console producer → console consumer round trip', async () => {
    await toolOk('kafka-console-producer', ['--bootstrap-server', ssl(), '--topic', 'mtls-t', '--producer.config', alicePem], { input: 'a\nb\n' });
    const r = await toolOk('kafka-console-consumer', ['--bootstrap-server', ssl(), '--topic', 'mtls-t', '--from-beginning', '--max-messages', '2', '--timeout-ms', '20000', '--consumer.config', aliceP12]);
    assert.deepEqual(lines(r.stdout), ['a', 'b']);
  });

  it('kafka-acls --add/--list and kafka-configs SCRAM user creation over mutual TLS', async () => {
    await toolOk('kafka-acls', ['--bootstrap-server', ssl(), '--command-config', aliceP12, '--add', '--allow-principal', 'User:dave', '--operation', 'Read', '--topic', 'mtls-', '--resource-pattern-type', 'prefixed']);
    const list = await toolOk('kafka-acls', ['--bootstrap-server', ssl(), '--command-config', alicePem, '--list', '--principal', 'User:dave']);
    assert.match(list.stdout, /name=mtls-, patternType=PREFIXED/);
    const c = await toolOk('kafka-configs', ['--bootstrap-server', ssl(), '--command-config', aliceP12, '--alter', '--add-config', 'SCRAM-SHA-512=[password=dave-secret]', '--entity-type', 'users', '--entity-name', 'dave']);
    assert.equal(c.stdout.trim(), 'Completed updating config for user dave.');
    const dave = await props('dave', saslSsl('SCRAM-SHA-512', 'dave', 'dave-secret'));
    const t = await toolOk('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', dave, '--list']);
    assert.deepEqual(lines(t.stdout), ['mtls-t']);
  });

  it('without a client certificate the handshake is refused: one line naming ssl.keystore.location', async () => {
    const noCert = await props('no-cert', { 'security.protocol': 'SSL', 'ssl.truststore.location': certs.caCert });
    const r = await tool('kafka-topics', ['--bootstrap-server', ssl(), '--command-config', noCert, '--list']);
    assertOneLineFailure(r, /ssl\.keystore\.location/);
  });

  it('a SASL_SSL client on a PLAINTEXT listener is told the listener does not speak TLS', async () => {
    const r = await tool('kafka-topics', ['--bootstrap-server', `127.0.0.1:${port.INTERNAL}`, '--command-config', adminScram, '--list']);
    assertOneLineFailure(r, /does not speak TLS.*security\.protocol=PLAINTEXT or SASL_PLAINTEXT/);
  });

  it('a SASL_PLAINTEXT client on a listener without SASL is told so', async () => {
    const saslPlain = await props('sasl-plaintext', { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': `${SCRAM} required username="admin" password="admin-scram-secret";` });
    const r = await tool('kafka-topics', ['--bootstrap-server', `127.0.0.1:${port.INTERNAL}`, '--command-config', saslPlain, '--list']);
    assertOneLineFailure(r, /does not enable SASL mechanism SCRAM-SHA-512.*a SASL listener\?.*security\.protocol=PLAINTEXT or SSL/);
  });

  it('a PLAINTEXT client on the SSL listener is told to set security.protocol', async () => {
    const r = await tool('kafka-topics', ['--bootstrap-server', ssl(), '--list']);
    assertOneLineFailure(r, /security\.protocol/);
  });
});

describe('samsa and its web console', () => {
  it('samsa topic list with --command-config (SCRAM-SHA-512) and with -X options (mutual TLS)', async () => {
    const r = await toolOk('samsa', ['topic', 'list', '--json', '-b', sasl(), '--command-config', adminScram]);
    assert.match(r.stdout, /"secure-t"/);
    const x = await toolOk('samsa', ['topic', 'list', '-b', ssl(), '-X', 'security.protocol=SSL', '-X', `ssl.truststore.location=${certs.caCert}`, '-X', `ssl.keystore.location=${certs.alice.keyAndCert}`]);
    assert.match(x.stdout, /mtls-t/);
    const wrong = await tool('samsa', ['topic', 'list', '-b', sasl(), '--command-config', adminScram, '-X', `sasl.jaas.config=${SCRAM} required username="admin" password="nope";`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error: SASL authentication failed at /);
    assert.doesNotMatch(wrong.stderr, /^\s+at /m);
  });

  it('samsa console --command-config serves the topics of a SASL_SSL cluster', async () => {
    const child = spawn(path.join(BIN, 'samsa'), ['console', '--port', '0', '-b', sasl(), '--command-config', adminScram], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const url = await waitFor(() => /(http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 15_000, what: 'the console to print its URL' });
      const res = await fetch(new URL('/v1/topics', url));
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(await res.text(), /secure-t/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await withTimeout(exited, 10_000, 'samsa console to exit on SIGTERM');
    }
  });
});

describe('client properties Samsa cannot use: one line naming the fix', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a JKS trust store', { 'security.protocol': 'SSL', 'ssl.truststore.location': '/dev/null', 'ssl.truststore.type': 'JKS' }, /ssl\.truststore\.type=JKS is not supported.*ssl\.truststore\.type=PEM/],
    ['a JKS key store', { 'security.protocol': 'SSL', 'ssl.keystore.location': '/dev/null', 'ssl.keystore.type': 'JKS' }, /ssl\.keystore\.type=JKS is not supported.*PKCS12/],
    ['GSSAPI (Kafka\'s default mechanism)', { 'security.protocol': 'SASL_SSL', 'sasl.jaas.config': `${SCRAM} required username="a" password="b";` }, /sasl\.mechanism=GSSAPI.*not supported.*SCRAM-SHA-512/],
    ['no sasl.jaas.config', { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }, /needs sasl\.jaas\.config/],
    ['a JAAS module for another mechanism', { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-256', 'sasl.jaas.config': `${PLAIN} required username="a" password="b";` }, /has no ScramLoginModule/],
    ['an unknown protocol', { 'security.protocol': 'TLS' }, /security\.protocol.*PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL/],
    ['a missing trust store file', { 'security.protocol': 'SSL', 'ssl.truststore.location': '/nonexistent/ca.pem' }, /cannot read ssl\.truststore\.location=\/nonexistent\/ca\.pem \(no such file\)/],
  ];
  for (const [what, entries, pattern] of cases) {
    it(what, async () => {
      const file = await props(`bad-${what.replace(/\W+/g, '-')}`, entries);
      const r = await tool('kafka-topics', ['--bootstrap-server', sasl(), '--command-config', file, '--list']);
      assertOneLineFailure(r, pattern);
    });
  }
});
