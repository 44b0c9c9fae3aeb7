#!/usr/bin/env node
// Micro benchmark of authentication and authorization cost (issue 12, "Performance"), in process,
// timed with process.hrtime.bigint() in the same run as its baselines:
//   - SASL per connection: the broker's side of a SCRAM-SHA-256/512 exchange (ScramServer, 4096
//     iterations: credential lookup + HMACs + proof check) and of PLAIN, vs 0 for PLAINTEXT; and the
//     client's side of SCRAM (PBKDF2 dominates), which a tool pays once per connection.
//   - Authorization per check: AclAuthorizer.authorize with N ACLs on the topic type, memo miss
//     (a name never asked before) and memo hit (the steady state of a busy producer), vs the
//     no-authorizer baseline (handlers skip the check: an empty call measures the loop).
// Usage: node bench/auth-micro.mjs [--smoke]; prints one JSON object on stdout.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', 'src', p)).href;
const { ScramServer, ScramClient, credentialFromSaltedPassword, saltedPassword } = await import(dist('security/sasl/scram.js'));
const { PlainServer } = await import(dist('security/sasl/plain.js'));
const { AclAuthorizer } = await import(dist('security/authorizer.js'));
const { AclOperation, PatternType, ResourceType } = await import(dist('security/acl.js'));

const smoke = process.argv.includes('--smoke');
const HANDSHAKES = smoke ? 20 : 2000;
const CHECKS = smoke ? 2_000 : 1_000_000;
const ACL_COUNTS = [10, 1000, 10000];
const ITERATIONS = 4096;

const nowNs = () => process.hrtime.bigint();
const usPer = (t0, t1, n) => Number(t1 - t0) / 1000 / n;

/** µs per `fn` call (async), over `n` calls after a tenth as warm-up. */
async function timeAsync(n, fn) {
  for (let i = 0; i < Math.max(1, n / 10); i++) await fn(i);
  const t0 = nowNs();
  for (let i = 0; i < n; i++) await fn(i);
  return usPer(t0, nowNs(), n);
}

function timeSync(n, fn) {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i);
  const t0 = nowNs();
  for (let i = 0; i < n; i++) fn(i);
  return usPer(t0, nowNs(), n);
}

const out = { handshakes: HANDSHAKES, checks: CHECKS, iterations: ITERATIONS, sasl: {}, authz: {} };

// ---- SASL: the broker's side, with the client's messages prepared outside the timed part
for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
  const salt = Buffer.from('0123456789abcdef');
  const credential = credentialFromSaltedPassword(mechanism, salt, saltedPassword(mechanism, 'pw', salt, ITERATIONS), ITERATIONS);
  const lookup = async () => credential;
  let serverUs = 0;
  let clientUs = 0;
  for (let i = 0; i < HANDSHAKES + 2; i++) {
    const client = new ScramClient(mechanism, 'alice', 'pw', `cnonce${i}`);
    const server = new ScramServer(mechanism, lookup, () => `snonce${i}`);
    const c0 = nowNs();
    const first = client.first();
    const c1 = nowNs();
    const serverFirst = await server.evaluate(first);
    const c2 = nowNs();
    const final = client.final(serverFirst.token);
    const c3 = nowNs();
    const done = await server.evaluate(final);
    const c4 = nowNs();
    client.verify(done.token);
    const c5 = nowNs();
    if (done.kind !== 'complete') throw new Error(`${mechanism} exchange failed: ${done.message}`);
    if (i < 2) continue; // warm-up
    serverUs += Number(c2 - c1 + (c4 - c3)) / 1000;
    clientUs += Number(c1 - c0 + (c3 - c2) + (c5 - c4)) / 1000;
  }
  out.sasl[mechanism] = { serverUsPerHandshake: serverUs / HANDSHAKES, clientUsPerHandshake: clientUs / HANDSHAKES };
}
{
  const server = () => new PlainServer(new Map([['alice', 'alice-secret']]));
  const token = Buffer.from('\u0000alice\u0000alice-secret');
  out.sasl.PLAIN = { serverUsPerHandshake: await timeAsync(HANDSHAKES * 10, () => server().evaluate(token)) };
}

// ---- Authorization
const subject = { principal: { type: 'User', name: 'alice' }, clientAddress: '127.0.0.1:50000' };
let sink = 0;
out.authz.noAuthorizerUsPerCheck = timeSync(CHECKS, (i) => {
  sink += i & 1; // what a handler without an authorizer does: nothing but its own loop
});
for (const n of ACL_COUNTS) {
  // n ACLs on topics: n-1 literal topics of other users, a prefixed one, and alice's Write on hers.
  const acls = new Map();
  for (let i = 0; i < n - 2; i++) {
    acls.set(`lit-${i}`, { pattern: { resourceType: ResourceType.TOPIC, name: `topic-${i}`, patternType: PatternType.LITERAL }, entries: [{ principal: `User:u${i}`, permissionType: 'Allow', operation: 'Write', host: '*' }] });
  }
  acls.set('pre', { pattern: { resourceType: ResourceType.TOPIC, name: 'team-', patternType: PatternType.PREFIXED }, entries: [{ principal: 'User:bob', permissionType: 'Allow', operation: 'Read', host: '*' }] });
  acls.set('alice', { pattern: { resourceType: ResourceType.TOPIC, name: 'alice-', patternType: PatternType.PREFIXED }, entries: [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Write', host: '*' }] });
  const authorizer = new AclAuthorizer({ superUsers: ['User:admin'], allowEveryoneIfNoAclFound: false }, { acls, quotas: new Map() });
  const count = Math.min(CHECKS, 80_000);
  const names = Array.from({ length: count }, (_, i) => `alice-${i}`);
  // Miss: every check is a topic not asked before (the memo holds up to 100,000 decisions); the
  // warm-up asks about other names so that the timed ones stay misses.
  for (let i = 0; i < Math.min(count, 10_000); i++) authorizer.authorize(subject, AclOperation.WRITE, ResourceType.TOPIC, `alice-warm-${i}`);
  const m0 = nowNs();
  for (let i = 0; i < count; i++) {
    if (!authorizer.authorize(subject, AclOperation.WRITE, ResourceType.TOPIC, names[i])) throw new Error('alice may write her topics');
  }
  const miss = usPer(m0, nowNs(), count);
  // Hit: the same topic over and over (a producer's steady state).
  const hit = timeSync(CHECKS, () => {
    if (!authorizer.authorize(subject, AclOperation.WRITE, ResourceType.TOPIC, 'alice-0')) throw new Error('alice may write alice-0');
  });
  out.authz[`acls${n}`] = { missUsPerCheck: miss, hitUsPerCheck: hit };
}
out.sink = sink;
process.stdout.write(`${JSON.stringify(out)}\n`);
