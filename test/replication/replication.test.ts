/**
 * Goal: Kafka's data replication works between three brokers — followers copy the leader's log
 * byte for byte, the high watermark follows the ISR, consumers see only committed data, acks=all
 * waits for the ISR (and times out, or fails with NOT_ENOUGH_REPLICAS / _AFTER_APPEND, when it
 * cannot be satisfied), and the ISR shrinks when a follower stops and expands when it catches up.
 *
 * Method: three in-process brokers started by Broker.start (the production wiring, on 127.0.0.1
 * ports; replica fetchers over real sockets) sharing a scripted controller that holds the
 * metadata image and applies conditional ISR changes (test/replication/fixture.ts). Produce and
 * Fetch go over the wire with our codec; replica logs are compared by reading their bytes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { consume, consumeAll, logBytes, produce, startCluster, waitUntil, type Cluster } from './fixture.js';

describe('replication across three brokers', () => {
  let c: Cluster;

  before(async () => {
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=1500'] });
  });
  after(async () => {
    await c?.stopAll();
  });

  it('copies the leader log byte for byte and advances the high watermark', async () => {
    await c.controller.addTopic('copy', [[1, 2, 3]]);
    for (let i = 0; i < 5; i++) {
      const r = await produce(c.node(1).port, 'copy', 0, [`a${i}`, `b${i}`], { acks: -1 });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.baseOffset, i * 2);
    }
    const leader = c.node(1).logs.getLog('copy', 0)!;
    assert.equal(leader.highWatermark, 10, 'acks=all answered only after the ISR had everything');
    await waitUntil('followers to reach the leader', () => [2, 3].every((id) => c.node(id).logs.getLog('copy', 0)?.logEndOffset === 10));
    const bytes = await logBytes(c.node(1), 'copy', 0);
    assert.ok(bytes.length > 0);
    for (const id of [2, 3]) assert.ok(bytes.equals(await logBytes(c.node(id), 'copy', 0)), `replica ${id} is byte-identical`);
    await waitUntil('followers to learn the high watermark', () => [2, 3].every((id) => c.node(id).logs.getLog('copy', 0)!.highWatermark === 10));
    const read = await consumeAll(c.node(1).port, 'copy', 0);
    assert.deepEqual(
      read.map((r) => r.value),
      [0, 1, 2, 3, 4].flatMap((i) => [`a${i}`, `b${i}`]),
    );
    // Followers do not serve consumers.
    const fromFollower = await consume(c.node(2).port, 'copy', 0, 0);
    assert.equal(fromFollower.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal((await produce(c.node(2).port, 'copy', 0, ['x'], { acks: 1 })).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // DeleteRecords on the leader: followers follow its log start offset.
    await c.node(1).logs.getLog('copy', 0)!.deleteRecordsBefore(4);
    assert.equal((await produce(c.node(1).port, 'copy', 0, ['after-delete'], { acks: -1 })).errorCode, ErrorCode.NONE);
    await waitUntil('followers to move their log start offset', () => [2, 3].every((id) => c.node(id).logs.getLog('copy', 0)!.logStartOffset === 4));
  });

  it('waits for followers on acks=all, times out when one is gone, shrinks and re-expands the ISR', async () => {
    await c.controller.addTopic('isr', [[1, 2, 3]], { 'min.insync.replicas': '2' });
    assert.equal((await produce(c.node(1).port, 'isr', 0, ['one'], { acks: -1 })).errorCode, ErrorCode.NONE);
    const dataDir3 = c.node(3).dataDir;
    await waitUntil('replica 3 to learn the high watermark', () => c.node(3).logs.getLog('isr', 0)!.highWatermark === 1);
    await c.crash(3);
    // Its shutdown checkpointed the high watermarks (Kafka's replication-offset-checkpoint).
    const checkpoint = await readFile(path.join(dataDir3, 'replication-offset-checkpoint'), 'utf8');
    assert.match(checkpoint, /^isr 0 1$/m);
    // Follower 3 is gone but still in the ISR: acks=all cannot complete within a short timeout.
    const started = Date.now();
    const timedOut = await produce(c.node(1).port, 'isr', 0, ['two'], { acks: -1, timeoutMs: 300 });
    assert.equal(timedOut.errorCode, ErrorCode.REQUEST_TIMED_OUT);
    assert.ok(Date.now() - started >= 250, 'the produce waited for its timeout');
    // Consumers do not see the uncommitted record.
    const hw = c.node(1).logs.getLog('isr', 0)!.highWatermark;
    assert.equal(hw, 1);
    assert.deepEqual((await consumeAll(c.node(1).port, 'isr', 0)).map((r) => r.value), ['one']);
    // acks=1 is answered at once.
    assert.equal((await produce(c.node(1).port, 'isr', 0, ['three'], { acks: 1 })).errorCode, ErrorCode.NONE);
    // A waiting acks=all completes once the leader drops the stopped follower (replica.lag.time.max.ms).
    const waiting = produce(c.node(1).port, 'isr', 0, ['four'], { acks: -1, timeoutMs: 10_000 });
    const done = await waiting;
    assert.equal(done.errorCode, ErrorCode.NONE);
    assert.deepEqual([...c.controller.partition('isr', 0).isr].sort(), [1, 2]);
    assert.equal(c.node(1).logs.getLog('isr', 0)!.highWatermark, 4);
    // The follower comes back, catches up and rejoins the ISR.
    await c.restart(3);
    await waitUntil('replica 3 to rejoin the ISR', () => c.controller.partition('isr', 0).isr.includes(3));
    assert.ok((await logBytes(c.node(1), 'isr', 0)).equals(await logBytes(c.node(3), 'isr', 0)));
    assert.equal((await produce(c.node(1).port, 'isr', 0, ['five'], { acks: -1 })).errorCode, ErrorCode.NONE);
  });

  it('keeps counting a replica whose ISR change lost its answer, and settles it from the next image', async () => {
    await c.controller.addTopic('lost-answer', [[1, 2, 3]]);
    assert.equal((await produce(c.node(1).port, 'lost-answer', 0, ['a'], { acks: -1 })).errorCode, ErrorCode.NONE);
    c.controller.loseIsrAnswers = 1;
    await c.crash(3);
    // The shrink is applied by the controller but its answer is lost; the retry is fenced; the
    // image settles it, and the waiting write completes with the smaller ISR.
    assert.equal((await produce(c.node(1).port, 'lost-answer', 0, ['b'], { acks: -1, timeoutMs: 10_000 })).errorCode, ErrorCode.NONE);
    assert.deepEqual([...c.controller.partition('lost-answer', 0).isr].sort(), [1, 2]);
    const p = c.node(1).replicas.partitionState('lost-answer', 0)!;
    await waitUntil('the leader to settle the pending change', () => p.pendingIsr === null && p.isr.length === 2);
    await c.restart(3);
    await waitUntil('replica 3 to rejoin', () => c.controller.partition('lost-answer', 0).isr.includes(3));
  });

  it('refuses acks=all below min.insync.replicas, and fails waiting writes when the ISR shrinks below it', async () => {
    await c.controller.addTopic('minisr', [[1, 2, 3]], { 'min.insync.replicas': '3' });
    assert.equal((await produce(c.node(1).port, 'minisr', 0, ['ok'], { acks: -1 })).errorCode, ErrorCode.NONE);
    await c.crash(2);
    // Still in the ISR: this write waits, and fails once replica 2 is dropped (ISR 2 < 3).
    const after = await produce(c.node(1).port, 'minisr', 0, ['waits'], { acks: -1, timeoutMs: 10_000 });
    assert.equal(after.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    assert.deepEqual([...c.controller.partition('minisr', 0).isr].sort(), [1, 3]);
    await waitUntil('the leader to see the smaller ISR', () => c.node(1).replicas.partitionState('minisr', 0)!.isr.length === 2);
    const before = c.node(1).logs.getLog('minisr', 0)!.logEndOffset;
    const refused = await produce(c.node(1).port, 'minisr', 0, ['refused'], { acks: -1 });
    assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal(c.node(1).logs.getLog('minisr', 0)!.logEndOffset, before, 'nothing was appended');
    assert.equal((await produce(c.node(1).port, 'minisr', 0, ['acks1'], { acks: 1 })).errorCode, ErrorCode.NONE, 'acks=1 ignores min.insync.replicas');
    await c.restart(2);
    await waitUntil('replica 2 to rejoin the ISR', () => c.controller.partition('minisr', 0).isr.length === 3);
  });
});

describe('follower fetches wait in the purgatory', () => {
  let c: Cluster;
  before(async () => {
    // A long replica.fetch.wait.max.ms: polling followers would make every acks=all take seconds.
    c = await startCluster({ brokers: 3, overrides: ['replica.fetch.wait.max.ms=5000'] });
  });
  after(async () => {
    await c?.stopAll();
  });

  it('are woken by appends, so acks=all completes promptly', async () => {
    await c.controller.addTopic('prompt', [[1, 2, 3]]);
    await produce(c.node(1).port, 'prompt', 0, ['warm-up'], { acks: -1 });
    await new Promise((r) => setTimeout(r, 300)); // followers are now parked on the leader
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      assert.equal((await produce(c.node(1).port, 'prompt', 0, [`v${i}`], { acks: -1 })).errorCode, ErrorCode.NONE);
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 1000, `acks=all took ${tookMs} ms`);
    }
  });
});
