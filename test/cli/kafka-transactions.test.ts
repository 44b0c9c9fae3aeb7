/**
 * Goal: bin/kafka-transactions prints Kafka's tables and messages against a live broker:
 * describe-producers shows a transactional producer's open transaction (start offset) and an
 * idempotent producer's None, from the leader and from --broker-id; find-hanging reports a
 * transaction no coordinator owns (and not a young one); abort --start-offset ends it, and names
 * the offset when no transaction starts there; argument mistakes and failed requests are one line
 * and exit 1.
 *
 * Method: an in-process broker; batches are produced over a raw connection (a transactional batch
 * of producer 42 — no transactional id, no coordinator: a hanging transaction — and an idempotent
 * one of producer 43 to orders-0), then the real wrapper runs as a child process. find-hanging
 * finds 42's transaction; abort --start-offset writes its ABORT marker (WriteTxnMarkers to the
 * leader) and describe-producers then shows no open transaction. list / describe against a live
 * transaction are in test/e2e/txn-offsets-require-stable.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/index.js';
import { buildBatch } from '../helpers/batches.js';
import { startBroker, type StartedBroker } from '../helpers/broker.js';
import { RawConnection } from '../helpers/raw-kafka.js';
import { tool, toolOk } from './tools.js';

/** Kafka's table: every cell padded to its column's width and followed by a tab. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join('')}\n`).join('');
}

describe('kafka-transactions', () => {
  let b: StartedBroker;
  let brokerId: number;

  before(async () => {
    b = await startBroker();
    brokerId = b.broker.config.brokerId;
    await toolOk('kafka-topics', ['--bootstrap-server', b.bootstrap, '--create', '--topic', 'orders', '--partitions', '2']);
    const conn = await RawConnection.connect(b.port);
    try {
      const produce = async (records: Buffer): Promise<void> => {
        const r = await conn.request<ProduceResponse>(produceApi, 8, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }] });
        assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
      };
      await produce(buildBatch({ records: [{ value: 'a' }, { value: 'b' }], producerId: 42, producerEpoch: 3, baseSequence: 0, transactional: true, baseTimestampMs: 1_700_000_000_000 }));
      await produce(buildBatch({ records: [{ value: 'c' }], producerId: 43, producerEpoch: 0, baseSequence: 0, baseTimestampMs: 1_700_000_000_000 }));
    } finally {
      conn.close();
    }
  });

  after(async () => {
    await b?.stop();
  });

  it('describe-producers: the open transaction of 42, None for the idempotent 43', async () => {
    for (const extra of [[], ['--broker-id', String(brokerId)]]) {
      const r = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'describe-producers', '--topic', 'orders', '--partition', '0', ...extra]);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 3, r.stdout);
      const cells = lines.map((l) => l.split('\t').map((c) => c.trim()).slice(0, 6));
      assert.deepEqual(cells[0], ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
      const rows = cells.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!));
      assert.deepEqual(rows.map((c) => [c[0], c[1], c[2], c[3], c[5]]), [
        ['42', '3', '-1', '1', '0'],
        ['43', '0', '-1', '0', 'None'],
      ]);
      assert.ok(rows.every((c) => /^\d{13}$/.test(c[4]!)), 'LastTimestamp in ms');
      // Exactly Kafka's layout (padding + tab after every cell).
      assert.equal(r.stdout, table(lines.map((l) => l.split('\t').slice(0, 6).map((c) => c.trimEnd()))));
    }
    const empty = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'describe-producers', '--topic', 'orders', '--partition', '1']);
    assert.equal(empty.stdout, table([['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']]));
  });

  it('find-hanging reports the transaction no coordinator owns; abort --start-offset ends it', async () => {
    const hanging = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'find-hanging', '--topic', 'orders', '--max-transaction-timeout', '0']);
    const lines = hanging.stdout.trimEnd().split('\n').map((l) => l.split('\t').map((c) => c.trim()));
    assert.deepEqual(lines[0]!.slice(0, 8), ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)']);
    assert.deepEqual(lines.slice(1).map((r) => r.slice(0, 6)), [['orders', '0', '42', '3', '-1', '0']], hanging.stdout);
    const byBroker = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'find-hanging', '--broker-id', String(brokerId), '--max-transaction-timeout', '0']);
    const brokerRows = byBroker.stdout.trimEnd().split('\n').slice(1).map((l) => l.split('\t').map((c) => c.trim()).slice(0, 7));
    assert.deepEqual(brokerRows, lines.slice(1).map((r) => r.slice(0, 7)), 'the same row when searching the broker');
    const recent = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'find-hanging', '--topic', 'orders']);
    assert.equal(recent.stdout.trimEnd().split('\n').length, 1, 'younger than the default 15 minutes: not reported');

    const aborted = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'abort', '--topic', 'orders', '--partition', '0', '--start-offset', '0']);
    assert.equal(aborted.stdout, '');
    const after = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'describe-producers', '--topic', 'orders', '--partition', '0']);
    const row42 = after.stdout.split('\n').find((l) => l.startsWith('42'))!.split('\t').map((c) => c.trim());
    assert.equal(row42[5], 'None', 'no open transaction after the ABORT marker');
    assert.equal(row42[2], '0', 'the marker was written with coordinator epoch 0 (-1 became 0)');
    const none = await toolOk('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'find-hanging', '--topic', 'orders', '--partition', '0', '--max-transaction-timeout', '0']);
    assert.equal(none.stdout.trimEnd().split('\n').length, 1);
  });

  it('abort --start-offset names the offset when no transaction starts there', async () => {
    const r = await tool('kafka-transactions', ['--bootstrap-server', b.bootstrap, 'abort', '--topic', 'orders', '--partition', '0', '--start-offset', '7']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Could not find any open transactions starting at offset 7 on partition orders-0\n');
    assert.equal(r.stdout, '');
  });

  it('argument mistakes and failed requests: one line, exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['describe-producers', '--topic', 'orders'], /^kafka-transactions: error: argument --partition is required\n$/],
      [['describe-producers', '--topic', 'orders', '--partition', 'x'], /could not convert 'x' to Integer/],
      [['nope'], /argument COMMAND: invalid choice: 'nope'/],
      [[], /too few arguments/],
      [['list', '--topic', 'x'], /unrecognized arguments: '--topic'/],
      [['abort', '--topic', 'orders', '--partition', '0'], /must be identified either with --start-offset/],
      [['abort', '--topic', 'orders', '--partition', '0', '--producer-id', '42'], /^Missing required argument --producer-epoch\n$/],
      [['find-hanging'], /requires either --topic or --broker-id/],
      [['find-hanging', '--partition', '0', '--broker-id', '1'], /The --partition argument requires --topic/],
      [['describe-producers', '--topic', 'orders', '--partition', '9'], /^Failed to describe producers for partition orders-9 on leader: .*Enable debug logging for additional detail\.\n$/],
      [['describe-producers', '--topic', 'orders', '--partition', '0', '--broker-id', '99'], /on broker 99: broker 99 is not in the cluster metadata/],
    ];
    for (const [args, expected] of cases) {
      const r = await tool('kafka-transactions', ['--bootstrap-server', b.bootstrap, ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, expected, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const help = await toolOk('kafka-transactions', ['describe-producers', '--help']);
    assert.match(help.stdout, /--broker-id BROKER_ID/);
  });
});
