/**
 * Goal: DeleteRecords moves a partition's log start offset (to an offset, or to the high watermark
 * for -1) and answers the low watermark, with OFFSET_OUT_OF_RANGE beyond the high watermark or for a
 * bad negative offset, POLICY_VIOLATION for compact-only topics and UNKNOWN_TOPIC_OR_PARTITION for
 * unknown partitions; DescribeLogDirs lists each configured log dir with the partition replicas it
 * holds, their sizes and Kafka's offsetLag, filtered by the request, and flags a dir holding an
 * offline log (followers are covered end to end by test/cli/log-dirs.test.ts).
 * Method: call the handlers directly with the admin fixture, whose fake ReplicaManager hands out
 * in-memory logs spread over two log dirs.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { deleteRecordsHandler } from '../../src/handlers/delete-records.js';
import { describeLogDirsHandler } from '../../src/handlers/describe-log-dirs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DeleteRecordsResponse } from '../../src/protocol/messages/delete-records.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/messages/describe-log-dirs.js';
import { adminFixture } from './admin-fixture.js';

describe('DeleteRecords', () => {
  it('moves the log start offset and answers the low watermark', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 2);
    fx.log('t', 0).append(10);
    fx.log('t', 1).append(4);
    const res = await fx.call<DeleteRecordsResponse>(deleteRecordsHandler, 2, {
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, offset: 6n },
            { partitionIndex: 1, offset: -1n },
          ],
        },
      ],
      timeoutMs: 1000,
    });
    assert.deepEqual(res.topics[0]!.partitions, [
      { partitionIndex: 0, lowWatermark: 6n, errorCode: ErrorCode.NONE },
      { partitionIndex: 1, lowWatermark: 4n, errorCode: ErrorCode.NONE },
    ]);
    assert.equal(fx.log('t', 0).logStartOffset, 6);
  });

  it('an offset below the log start offset changes nothing and succeeds', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    fx.log('t', 0).append(10);
    fx.log('t', 0).logStartOffset = 5;
    const res = await fx.call<DeleteRecordsResponse>(deleteRecordsHandler, 0, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 1 });
    assert.deepEqual(res.topics[0]!.partitions, [{ partitionIndex: 0, lowWatermark: 5n, errorCode: ErrorCode.NONE }]);
  });

  it('refuses offsets beyond the high watermark, bad negatives, unknown partitions and compact-only topics', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    await fx.createTopic('compacted', 1, { 'cleanup.policy': 'compact' });
    fx.log('t', 0).append(3);
    const res = await fx.call<DeleteRecordsResponse>(deleteRecordsHandler, 1, {
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, offset: 4n },
            { partitionIndex: 0, offset: -2n },
            { partitionIndex: 7, offset: 0n },
          ],
        },
        { name: 'missing', partitions: [{ partitionIndex: 0, offset: 0n }] },
        { name: 'compacted', partitions: [{ partitionIndex: 0, offset: 0n }] },
      ],
      timeoutMs: 1,
    });
    assert.deepEqual(
      res.topics.map((t) => t.partitions.map((p) => [p.errorCode, p.lowWatermark])),
      [
        [
          [ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
          [ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
          [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
        ],
        [[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]],
        [[ErrorCode.POLICY_VIOLATION, -1n]],
      ],
    );
    assert.equal(fx.log('t', 0).logStartOffset, 0);
  });
});

describe('DescribeLogDirs', () => {
  it('lists every log dir with the partitions it holds and their sizes', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 2);
    fx.log('t', 0).append(3, 100); // first log: /data/a
    fx.log('t', 1).append(1, 50); // second log: /data/b
    const res = await fx.call<DescribeLogDirsResponse>(describeLogDirsHandler, 4, { topics: null });
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(res.results, [
      {
        errorCode: ErrorCode.NONE,
        logDir: path.resolve('/data/a'),
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, partitionSize: 300n, offsetLag: 0n, isFutureKey: false }] }],
        totalBytes: -1n,
        usableBytes: -1n,
      },
      {
        errorCode: ErrorCode.NONE,
        logDir: path.resolve('/data/b'),
        topics: [{ name: 't', partitions: [{ partitionIndex: 1, partitionSize: 50n, offsetLag: 0n, isFutureKey: false }] }],
        totalBytes: -1n,
        usableBytes: -1n,
      },
    ]);
  });

  it('filters by the requested partitions and omits unknown ones', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 2);
    fx.log('t', 0);
    fx.log('t', 1);
    const res = await fx.call<DescribeLogDirsResponse>(describeLogDirsHandler, 1, {
      topics: [
        { topic: 't', partitions: [1, 5] },
        { topic: 'missing', partitions: [0] },
      ],
    });
    assert.deepEqual(
      res.results.map((r) => r.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])),
      [[], [['t', [1]]]],
    );
  });

  it("reports a follower-like log's offsetLag as max(highWatermark - logEndOffset, 0)", async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1);
    const log = fx.log('t', 0);
    log.append(10, 10);
    log.logEndOffset = 7; // a replica whose log trails the high watermark it was told
    const res = await fx.call<DescribeLogDirsResponse>(describeLogDirsHandler, 2, { topics: null });
    assert.equal(res.results[0]!.topics[0]!.partitions[0]!.offsetLag, 3n);
    log.logEndOffset = 12; // ahead of the high watermark (a leader with uncommitted records)
    const res2 = await fx.call<DescribeLogDirsResponse>(describeLogDirsHandler, 2, { topics: null });
    assert.equal(res2.results[0]!.topics[0]!.partitions[0]!.offsetLag, 0n);
  });

  it('answers KAFKA_STORAGE_ERROR for a dir holding an offline log', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1);
    fx.log('t', 0).offline = true;
    const res = await fx.call<DescribeLogDirsResponse>(describeLogDirsHandler, 0, { topics: null });
    assert.deepEqual(
      res.results.map((r) => [r.errorCode, r.topics.length]),
      [
        [ErrorCode.KAFKA_STORAGE_ERROR, 0],
        [ErrorCode.NONE, 0],
      ],
    );
  });
});
