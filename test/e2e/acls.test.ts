/**
 * Goal: ACLs work for real clients as in Kafka: a denied produce surfaces TOPIC_AUTHORIZATION_FAILED
 * in the client, deny and prefixed ACLs apply, super.users bypass ACLs, ACLs survive a restart, and
 * `kafka-acls` add/list/remove round-trips; in a 3-broker ZooKeeper cluster an ACL added through
 * one broker is enforced by another within a second.
 * Method: every connection is User:ANONYMOUS (PLAINTEXT), so ACLs are granted to or denied for
 * User:ANONYMOUS. kcat produces (librdkafka reports "Topic authorization failed"), the kafka-acls
 * and kafka-console tools run as child processes (bin/), brokers are real processes or in-process
 * Brokers on 127.0.0.1 with temp dirs; the cluster runs a real ZooKeeper (test/helpers/cluster.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kcat, makeTempDir, run, removeDir, requireKcat, startBroker, waitFor } from '../helpers/broker.js';
import { startCluster } from '../helpers/cluster.js';
import { tool, toolOk } from '../cli/tools.js';
import { KafkaClient } from '../../src/client/client.js';
import { describeAcls } from '../../src/client/security-admin.js';

const AUTHZ = ['authorizer.class.name=kafka.security.authorizer.AclAuthorizer'];

async function produce(bootstrap: string, topic: string, value = 'hello'): Promise<{ ok: boolean; stderr: string }> {
  const r = await run('kcat', ['-P', '-b', bootstrap, '-t', topic, '-X', 'message.timeout.ms=5000'], { input: `${value}\n`, timeoutMs: 20_000 });
  return { ok: r.code === 0, stderr: r.stderr };
}

test('single node: deny and prefixed ACLs, super user, kafka-acls round trip, ACLs survive a restart', async () => {
  await requireKcat();
  const dataDir = await makeTempDir('samsa-acl-');
  try {
    // Phase 1: User:ANONYMOUS is a super user; it sets up ACLs with kafka-acls.
    let b = await startBroker({ dataDir, overrides: [...AUTHZ, 'super.users=User:ANONYMOUS', 'auto.create.topics.enable=true'] });
    const acl = (args: string[]) => toolOk('kafka-acls', ['--bootstrap-server', b.bootstrap, ...args]);
    try {
      assert.ok((await produce(b.bootstrap, 'anything')).ok, 'a super user may do anything');
      const added = await acl(['--add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Read', '--operation', 'Describe', '--topic', 'reports']);
      assert.match(added.stdout, /Adding ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=reports, patternType=LITERAL\)`:/);
      assert.match(added.stdout, /\(principal=User:ANONYMOUS, host=\*, operation=READ, permissionType=ALLOW\)/);
      await acl(['--add', '--allow-principal', 'User:ANONYMOUS', '--producer', '--topic', 'app-', '--resource-pattern-type', 'prefixed']);
      await acl(['--add', '--deny-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', 'app-secret']);
      await acl(['--add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'All', '--cluster']);
      const listed = await acl(['--list']);
      assert.match(listed.stdout, /ResourcePattern\(resourceType=TOPIC, name=app-, patternType=PREFIXED\)/);
      for (const op of ['WRITE', 'DESCRIBE', 'CREATE']) assert.match(listed.stdout, new RegExp(`operation=${op}, permissionType=ALLOW`));
      assert.match(listed.stdout, /name=app-secret, patternType=LITERAL\)`: \n \t\(principal=User:ANONYMOUS, host=\*, operation=WRITE, permissionType=DENY\)/);
    } finally {
      await b.stop();
    }
    // Phase 2: no super user; the stored ACLs decide.
    b = await startBroker({ dataDir, overrides: [...AUTHZ, 'auto.create.topics.enable=true'] });
    try {
      const ok = await produce(b.bootstrap, 'app-orders');
      assert.ok(ok.ok, `prefixed Write (and Create for auto-creation) allows app-orders: ${ok.stderr}`);
      const denied = await produce(b.bootstrap, 'app-secret');
      assert.ok(!denied.ok, 'deny wins over the prefixed allow');
      assert.match(denied.stderr, /Topic authorization failed/);
      const noAcl = await produce(b.bootstrap, 'other');
      assert.ok(!noAcl.ok);
      assert.match(noAcl.stderr, /Topic authorization failed/, 'no ACL and allow.everyone.if.no.acl.found=false: refused');
      const readOnly = await produce(b.bootstrap, 'reports');
      assert.ok(!readOnly.ok, 'Read does not allow Write');
      // Metadata hides what User:ANONYMOUS may not Describe.
      const md = await kcat(['-L', '-b', b.bootstrap, '-J'], { timeoutMs: 20_000 });
      const topics = (JSON.parse(md.stdout) as { topics: Array<{ topic: string }> }).topics.map((t) => t.topic);
      assert.ok(topics.includes('app-orders') && !topics.includes('anything'), `metadata lists only described topics: ${topics.join(',')}`);
      // Remove the deny (Alter on the cluster is granted): app-secret becomes writable.
      const removed = await toolOk('kafka-acls', ['--bootstrap-server', b.bootstrap, '--remove', '--force', '--deny-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', 'app-secret']);
      assert.doesNotMatch(removed.stdout, /DENY/);
      assert.ok((await produce(b.bootstrap, 'app-secret')).ok, 'writable once the deny is removed');
      // Without --force and without a terminal, remove refuses with a clear message.
      const noForce = await tool('kafka-acls', ['--bootstrap-server', b.bootstrap, '--remove', '--topic', 'reports']);
      assert.equal(noForce.code, 1);
      assert.match(noForce.stderr, /add --force/);
    } finally {
      await b.stop();
    }
  } finally {
    await removeDir(dataDir);
  }
});

test('3-broker ZooKeeper cluster: an ACL added through one broker is enforced by another within a second', async () => {
  await requireKcat();
  const cluster = await startCluster({ brokers: 3, overrides: [...AUTHZ, 'allow.everyone.if.no.acl.found=true'] });
  try {
    await cluster.createTopic('ledger', { partitions: 1, replicationFactor: 3 });
    const leader = await cluster.waitForLeader('ledger', 0);
    const other = [...cluster.brokers.keys()].find((id) => id !== leader)!;
    assert.ok((await produce(cluster.broker(leader).bootstrap, 'ledger')).ok, 'no ACL and allow.everyone.if.no.acl.found=true: allowed');
    // Watch the leader's view of the ACLs (DescribeAcls answers from the same cache the authorizer uses).
    const client = new KafkaClient({ bootstrapServers: cluster.broker(leader).bootstrap, clientId: 'acl-watch' });
    try {
      const filter = { resourceTypeFilter: 2, resourceNameFilter: 'ledger', patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
      assert.deepEqual(await describeAcls(client, filter), []);
      // Added through a broker that does not lead the partition.
      await toolOk('kafka-acls', ['--bootstrap-server', cluster.broker(other).bootstrap, '--add', '--deny-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', 'ledger']);
      const addedAt = Date.now();
      await waitFor(async () => (await describeAcls(client, filter)).length > 0, { timeoutMs: 5000, intervalMs: 20, what: 'the leader to see the new ACL' });
      const propagationMs = Date.now() - addedAt;
      assert.ok(propagationMs < 1000, `the leader had the ACL ${propagationMs} ms after kafka-acls returned`);
    } finally {
      await client.close();
    }
    const refused = await produce(cluster.broker(leader).bootstrap, 'ledger');
    assert.ok(!refused.ok);
    assert.match(refused.stderr, /Topic authorization failed/);
    const third = [...cluster.brokers.keys()].find((id) => id !== leader && id !== other)!;
    const listed = await toolOk('kafka-acls', ['--bootstrap-server', cluster.broker(third).bootstrap, '--list', '--topic', 'ledger']);
    assert.match(listed.stdout, /operation=WRITE, permissionType=DENY/);
    await toolOk('kafka-acls', ['--bootstrap-server', cluster.broker(third).bootstrap, '--remove', '--force', '--topic', 'ledger']);
    await waitFor(async () => (await produce(cluster.broker(leader).bootstrap, 'ledger')).ok, { timeoutMs: 15_000, what: 'the leader to drop the removed ACL' });
  } finally {
    await cluster.stopAll();
  }
});
