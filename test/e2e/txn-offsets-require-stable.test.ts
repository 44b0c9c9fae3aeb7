/**
 * Goal: while a transaction holding a group's offsets (send_offsets_to_transaction) is open, real
 * clients never read the pending offset: librdkafka's read_committed consumer (which sends
 * OffsetFetch with require_stable) keeps getting UNSTABLE_OFFSET_COMMIT and so does not answer
 * committed() within its timeout, a read_uncommitted one gets the previous committed offset; once
 * the transaction commits both get the new offset. Meanwhile bin/kafka-transactions sees the open
 * transaction: `describe` lists the __consumer_offsets partition, `describe-producers` on that
 * partition shows the producer's open transaction, `list` shows the id Ongoing. A second run
 * aborts instead and the previous offset stays.
 *
 * Method: one in-process broker. A /usr/bin/python3 script (confluent-kafka-python) commits offset 1
 * plainly, opens a transaction with send_offsets_to_transaction(offset 5), queries committed() from
 * both isolation levels, writes a file to say the transaction is open, waits (bounded) for the test's
 * go-file while the test runs the tool, then commits or aborts and queries again; it prints one
 * JSON line.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../src/coordinator/offsets/records.js';
import { lastJsonLine, makeTempDir, removeDir, requirePythonModule, runPython, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { tool, toolOk } from '../cli/tools.js';

const OFFSETS_PARTITIONS = 3;

const SCRIPT = String.raw`
import json, os, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
bootstrap, group, finish, opened, go = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def consumer(isolation):
    return Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False, 'isolation.level': isolation})
def committed(isolation, timeout):
    c = consumer(isolation)
    try:
        return c.committed([TopicPartition('in', 0)], timeout=timeout)[0].offset
    except KafkaException as e:
        return e.args[0].name()
    finally:
        c.close()
plain = consumer('read_uncommitted')
plain.commit(offsets=[TopicPartition('in', 0, 1)], asynchronous=False)
meta = plain.consumer_group_metadata()
plain.close()
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'tx-' + group})
p.init_transactions(30)
p.begin_transaction()
p.produce('out', value=b'x', partition=0)
p.flush(30)
p.send_offsets_to_transaction([TopicPartition('in', 0, 5)], meta, 30)
out = {'stableWhileOpen': committed('read_committed', 3), 'uncommittedWhileOpen': committed('read_uncommitted', 10)}
open(opened, 'w').close()
deadline = time.time() + 60
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.1)
if finish == 'commit':
    p.commit_transaction(30)
else:
    p.abort_transaction(30)
out['stableAfter'] = committed('read_committed', 10)
out['uncommittedAfter'] = committed('read_uncommitted', 10)
print(json.dumps(out))
`;

interface Outcome {
  stableWhileOpen: number | string;
  uncommittedWhileOpen: number | string;
  stableAfter: number | string;
  uncommittedAfter: number | string;
}

describe('pending transactional offsets with librdkafka (require_stable)', () => {
  let b: StartedBroker;
  let dir: string;

  before(async () => {
    await requirePythonModule('confluent_kafka');
    dir = await makeTempDir('samsa-txn-stable-');
    b = await startBroker({ overrides: [`offsets.topic.num.partitions=${OFFSETS_PARTITIONS}`, 'transaction.state.log.num.partitions=3'] });
    for (const topic of ['in', 'out']) await toolOk('kafka-topics', ['--bootstrap-server', b.bootstrap, '--create', '--topic', topic, '--partitions', '1']);
  });

  after(async () => {
    await b?.stop();
    if (dir) await removeDir(dir);
  });

  /** Runs the script; while its transaction is open, `whileOpen` runs; returns the script's outcome. */
  async function scenario(group: string, finish: 'commit' | 'abort', whileOpen: () => Promise<void>): Promise<Outcome> {
    const opened = path.join(dir, `${group}.open`);
    const go = path.join(dir, `${group}.go`);
    const done = runPython(SCRIPT, [b.bootstrap, group, finish, opened, go], { timeoutMs: 120_000 });
    try {
      await waitFor(() => existsSync(opened), { timeoutMs: 60_000, what: 'the transaction to be open' });
      await whileOpen();
    } finally {
      await writeFile(go, '');
    }
    return lastJsonLine<Outcome>((await done).stdout);
  }

  it('read_committed never sees the pending offset; both see it after commit; the tool sees the open transaction', async () => {
    const group = 'g-commit';
    const offsetsPartition = offsetsPartitionFor(group, OFFSETS_PARTITIONS);
    const r = await scenario(group, 'commit', async () => {
      const described = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'describe', '--transactional-id', `tx-${group}`]);
      const row = described.stdout.trimEnd().split('\n')[1]!.split('\t').map((c) => c.trim());
      assert.equal(row[1], `tx-${group}`);
      assert.equal(row[4], 'Ongoing');
      assert.deepEqual(row[8]!.split(',').sort(), [`${OFFSETS_TOPIC}-${offsetsPartition}`, 'out-0'].sort());

      const producers = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'describe-producers', '--topic', OFFSETS_TOPIC, '--partition', String(offsetsPartition)]);
      const rows = producers.stdout.trimEnd().split('\n').slice(1).map((l) => l.split('\t').map((c) => c.trim()));
      assert.equal(rows.length, 1, producers.stdout);
      assert.notEqual(rows[0]![5], 'None', 'the TxnOffsetCommit batch opened a transaction in the offsets partition');
      assert.equal(rows[0]![0], row[2], 'same producer id as the transactional id');

      const listed = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'list']);
      assert.match(listed.stdout, new RegExp(`^tx-${group}\\s+\\t\\d+\\s*\\t${row[2]}\\s*\\tOngoing\\s*\\t$`, 'm'));

      const hanging = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'find-hanging', '--topic', OFFSETS_TOPIC, '--max-transaction-timeout', '0']);
      assert.equal(hanging.stdout.trimEnd().split('\n').length, 1, `an open transaction its coordinator tracks is not hanging:\n${hanging.stdout}`);
    });
    assert.equal(r.stableWhileOpen, '_TIMED_OUT', 'require_stable: UNSTABLE_OFFSET_COMMIT until the timeout');
    assert.equal(r.uncommittedWhileOpen, 1, 'read_uncommitted: the previous committed offset');
    assert.equal(r.stableAfter, 5);
    assert.equal(r.uncommittedAfter, 5);
  });

  it('after an abort both read the previous offset', async () => {
    const r = await scenario('g-abort', 'abort', async () => {
      const bad = await tool('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'describe', '--transactional-id', 'no-such-id']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^Failed to describe transaction state of transactional-id `no-such-id`: .*\. Enable debug logging for additional detail\.\n$/);
    });
    assert.equal(r.stableWhileOpen, '_TIMED_OUT');
    assert.equal(r.uncommittedWhileOpen, 1);
    assert.equal(r.stableAfter, 1);
    assert.equal(r.uncommittedAfter, 1);
  });
});
