/**
 * Goal: the security building blocks behave as Kafka's do, before any socket is involved:
 * ssl.principal.mapping.rules, JAAS parsing, SCRAM (the RFC 7677 example exchange, wrong proofs,
 * stored credential format), PLAIN, OAUTHBEARER token validation (unsecured and RS256 against a
 * JWKS with issuer / audience / expiry checks) and per-listener config resolution.
 * Method: unit tests on the pure functions and the SASL server classes, with fixed inputs (RFC
 * test vectors where they exist) and a key pair made with node:crypto.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { ListenerConfig } from '../../src/security/listener-config.js';
import { mapPrincipal, parseMappingRules, PrincipalMappingError } from '../../src/security/principal-mapper.js';
import { findModule, JaasError, parseJaasConfig, PLAIN_LOGIN_MODULE } from '../../src/security/sasl/jaas.js';
import { bearerMessage, OAuthBearerServer, parseJwks, unsecuredJwt, validateToken, type TokenValidator } from '../../src/security/sasl/oauthbearer.js';
import { PlainServer } from '../../src/security/sasl/plain.js';
import {
  credentialFromSaltedPassword,
  formatScramCredential,
  parseScramCredential,
  saltedPassword,
  ScramClient,
  ScramServer,
} from '../../src/security/sasl/scram.js';

describe('ssl.principal.mapping.rules', () => {
  const dn = 'CN=alice,OU=eng,O=Samsa Test,C=US';
  it('DEFAULT keeps the DN', () => {
    assert.equal(mapPrincipal(parseMappingRules('DEFAULT'), dn), dn);
  });
  it('applies the first matching RULE with groups and case changes, as in Kafka docs', () => {
    const rules = parseMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$1@$2/U, DEFAULT');
    assert.equal(mapPrincipal(rules, dn), 'ALICE@ENG');
    assert.equal(mapPrincipal(rules, 'CN=kafka-svc,OU=ServiceUsers,O=X,C=US'), 'kafka-svc');
    assert.equal(mapPrincipal(rules, 'CN=x'), 'CN=x', 'falls through to DEFAULT');
  });
  it('returns null when no rule applies (the connection is refused)', () => {
    assert.equal(mapPrincipal(parseMappingRules('RULE:^CN=(.*?),OU=ops$/$1/L'), dn), null);
  });
  it('lower-cases with L and allows escaped slashes', () => {
    assert.equal(mapPrincipal(parseMappingRules('RULE:^CN=([A-Za-z]+),.*$/User\\/$1/L'), 'CN=Bob,O=x'), 'user/bob');
  });
  it('refuses malformed rules with a reason', () => {
    assert.throws(() => parseMappingRules('RULE:^CN=(.*)$'), PrincipalMappingError);
    assert.throws(() => parseMappingRules('RULE:(/x/'), /not a valid regular expression/);
    assert.throws(() => parseMappingRules('NOPE'), /RULE:pattern\/replacement/);
  });
});

describe('JAAS config', () => {
  it('parses PlainLoginModule users and the broker login, quoted and bare values', () => {
    const mods = parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a;b \\"c\\"" user_admin=admin-secret user_alice="alice-secret";');
    const m = findModule(mods, PLAIN_LOGIN_MODULE)!;
    assert.equal(m.flag, 'required');
    assert.equal(m.options.get('password'), 'a;b "c"');
    assert.equal(m.options.get('user_admin'), 'admin-secret');
    assert.equal(m.options.get('user_alice'), 'alice-secret');
  });
  it('refuses a missing flag or terminator without quoting secrets', () => {
    assert.throws(() => parseJaasConfig('x.PlainLoginModule username="u";'), JaasError);
    const err = (() => {
      try {
        parseJaasConfig('x.PlainLoginModule required password="very-secret-value"');
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    assert.ok(err instanceof JaasError);
    assert.ok(!err.message.includes('very-secret-value'), err.message);
  });
});

describe('SCRAM', () => {
  it('runs the RFC 7677 SCRAM-SHA-256 example exchange', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const cred = credentialFromSaltedPassword('SCRAM-SHA-256', salt, saltedPassword('SCRAM-SHA-256', 'pencil', salt, 4096), 4096);
    const server = new ScramServer('SCRAM-SHA-256', async (user) => (user === 'user' ? cred : null), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = await server.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    assert.equal(first.kind, 'challenge');
    assert.equal(first.kind === 'challenge' && first.token.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = await server.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
    assert.equal(final.kind, 'complete');
    assert.equal(final.kind === 'complete' && final.token.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    assert.deepEqual(final.kind === 'complete' && final.principal, { type: 'User', name: 'user' });
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: our client and server agree; a wrong password and an unknown user fail alike`, async () => {
      const salt = Buffer.from('0123456789abcdef');
      const cred = credentialFromSaltedPassword(mechanism, salt, saltedPassword(mechanism, 'alice-secret', salt, 8192), 8192);
      const lookup = async (user: string) => (user === 'alice' ? cred : null);
      const attempt = async (user: string, password: string) => {
        const server = new ScramServer(mechanism, lookup, () => 'srv');
        const client = new ScramClient(mechanism, user, password, 'cli');
        const first = await server.evaluate(client.first());
        if (first.kind !== 'challenge') return first;
        const final = await server.evaluate(client.final(first.token));
        if (final.kind === 'complete') client.verify(final.token);
        return final;
      };
      assert.equal((await attempt('alice', 'alice-secret')).kind, 'complete');
      const wrong = await attempt('alice', 'nope');
      const unknown = await attempt('bob', 'alice-secret');
      assert.deepEqual(wrong, { kind: 'failed', message: 'Authentication failed: Invalid user credentials' });
      assert.deepEqual(unknown, wrong);
    });
  }

  it('stores credentials in Kafka\'s format and reads them back; no password in it', () => {
    const salt = Buffer.from('salt-bytes');
    const c = credentialFromSaltedPassword('SCRAM-SHA-512', salt, saltedPassword('SCRAM-SHA-512', 'pw-secret', salt, 4096), 4096);
    const text = formatScramCredential(c);
    assert.match(text, /^salt=[A-Za-z0-9+/=]+,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=4096$/);
    assert.ok(!text.includes('pw-secret'));
    assert.deepEqual(parseScramCredential(text), c);
  });

  it('refuses channel binding, delegation tokens and a mismatched authzid', async () => {
    const server = () => new ScramServer('SCRAM-SHA-256', async () => null, () => 'x');
    assert.equal((await server().evaluate(Buffer.from('p=tls-unique,,n=u,r=abc'))).kind, 'failed');
    assert.equal((await server().evaluate(Buffer.from('n,,n=u,r=abc,tokenauth=true'))).kind, 'failed');
    assert.equal((await server().evaluate(Buffer.from('n,a=other,n=u,r=abc'))).kind, 'failed');
  });
});

describe('PLAIN', () => {
  const users = new Map([['alice', 'alice-secret']]);
  const token = (...parts: string[]) => Buffer.from(parts.join('\u0000'));
  it('accepts the right password and names the principal', async () => {
    assert.deepEqual(await new PlainServer(users).evaluate(token('', 'alice', 'alice-secret')), { kind: 'complete', token: Buffer.alloc(0), principal: { type: 'User', name: 'alice' }, credentialExpiryMs: null });
  });
  it('fails a wrong password, an unknown user, a foreign authzid and a malformed token', async () => {
    for (const t of [token('', 'alice', 'x'), token('', 'bob', 'alice-secret'), token('bob', 'alice', 'alice-secret'), Buffer.from('alice'), token('', 'alice', 'a', 'b')]) {
      const r = await new PlainServer(users).evaluate(t);
      assert.equal(r.kind, 'failed');
      assert.ok(r.kind === 'failed' && !r.message.includes('alice-secret'));
    }
  });
});

describe('OAUTHBEARER', () => {
  const nowMs = 1_700_000_000_000;
  const unsecured: TokenValidator = { kind: 'unsecured', options: { principalClaim: 'sub', scopeClaim: 'scope', requiredScopes: [], clockSkewMs: 0 } };
  it('unsecured: accepts alg none with sub and exp; refuses expired or signed tokens', () => {
    const ok = unsecuredJwt({ sub: 'bob', exp: nowMs / 1000 + 60 });
    assert.deepEqual(validateToken(ok, unsecured, nowMs), { principal: 'bob', expiryMs: nowMs + 60_000 });
    assert.throws(() => validateToken(unsecuredJwt({ sub: 'bob', exp: nowMs / 1000 - 1 }), unsecured, nowMs), /expired/);
    assert.throws(() => validateToken(unsecuredJwt({ exp: nowMs / 1000 + 60 }), unsecured, nowMs), /'sub'/);
    assert.throws(() => validateToken(`${ok}sig`, unsecured, nowMs), /alg 'none'/);
  });

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwks = parseJwks(JSON.stringify({ keys: [jwk] }));
  const validator: TokenValidator = { kind: 'jwks', options: { ...jwks, expectedIssuer: 'https://issuer.test', expectedAudience: ['kafka'], principalClaim: 'sub', clockSkewMs: 30_000 } };
  const rs256 = (claims: object, kid = 'k1', key = privateKey) => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const data = `${enc({ alg: 'RS256', typ: 'JWT', kid })}.${enc(claims)}`;
    return `${data}.${sign('sha256', Buffer.from(data), key).toString('base64url')}`;
  };
  const good = { sub: 'carol', iss: 'https://issuer.test', aud: ['kafka', 'other'], exp: nowMs / 1000 + 300, iat: nowMs / 1000 };

  it('JWKS: accepts an RS256 token with the right issuer, audience and expiry', () => {
    assert.deepEqual(validateToken(rs256(good), validator, nowMs), { principal: 'carol', expiryMs: nowMs + 300_000 });
  });
  it('JWKS: refuses a wrong signature, kid, issuer, audience, an expired token and alg none', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.throws(() => validateToken(rs256(good, 'k1', other), validator, nowMs), /signature/);
    assert.throws(() => validateToken(rs256(good, 'k2'), validator, nowMs), /kid/);
    assert.throws(() => validateToken(rs256({ ...good, iss: 'https://evil' }), validator, nowMs), /issuer/);
    assert.throws(() => validateToken(rs256({ ...good, aud: 'web' }), validator, nowMs), /audience/);
    assert.throws(() => validateToken(rs256({ ...good, exp: nowMs / 1000 - 60 }), validator, nowMs), /expired/);
    assert.throws(() => validateToken(unsecuredJwt(good), validator, nowMs), /algorithm/);
  });
  it('a failed token gets the RFC 7628 error challenge, then fails', async () => {
    const server = new OAuthBearerServer(validator, () => nowMs);
    const first = await server.evaluate(bearerMessage(unsecuredJwt(good)));
    assert.equal(first.kind, 'challenge');
    assert.deepEqual(first.kind === 'challenge' && JSON.parse(first.token.toString()), { status: 'invalid_token' });
    const second = await server.evaluate(Buffer.from([1]));
    assert.equal(second.kind, 'failed');
  });
  it('the successful exchange reports the token expiry (bounds the KIP-368 session)', async () => {
    const r = await new OAuthBearerServer(validator, () => nowMs).evaluate(bearerMessage(rs256(good)));
    assert.equal(r.kind === 'complete' && r.credentialExpiryMs, nowMs + 300_000);
  });
});

describe('per-listener config', () => {
  it('listener.name.<l>.<mechanism>.key beats listener.name.<l>.key beats key', () => {
    const { config } = loadBrokerConfig({
      overrides: [
        'listeners=SASL_SSL://:0,PLAINTEXT://:0',
        'inter.broker.listener.name=PLAINTEXT',
        'sasl.jaas.config=global',
        'listener.name.sasl_ssl.sasl.jaas.config=listener',
        'listener.name.sasl_ssl.plain.sasl.jaas.config=mechanism',
        'listener.name.sasl_ssl.ssl.client.auth=required',
      ],
      env: {},
    });
    const lc = new ListenerConfig(config, 'SASL_SSL');
    assert.equal(lc.get('sasl.jaas.config', 'PLAIN'), 'mechanism');
    assert.equal(lc.get('sasl.jaas.config', 'SCRAM-SHA-256'), 'listener');
    assert.equal(new ListenerConfig(config, 'PLAINTEXT').get('sasl.jaas.config', 'PLAIN'), 'global');
    assert.equal(lc.get('ssl.client.auth'), 'required');
    assert.equal(new ListenerConfig(config, 'PLAINTEXT').get('ssl.client.auth'), 'none');
    assert.equal(lc.securityProtocol, 'SASL_SSL');
  });
});
