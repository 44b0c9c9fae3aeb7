/**
 * Goal: __consumer_offsets records use Kafka's byte formats, and groups map to the partition Kafka
 * would pick. Method: hand-assembled expected bytes for each record type (from the format
 * description in src/coordinator/offsets/records.ts) and Java String.hashCode values known from the JDK.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  javaStringHashCode,
  offsetsPartitionFor,
  OffsetsRecordError,
} from '../../src/coordinator/offsets/records.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('__consumer_offsets record formats', () => {
  it('offset commit key v1 and value v3', () => {
    assert.deepEqual(encodeOffsetCommitKey('g', 't', 7), hex('0001 0001 67 0001 74 00000007'));
    const value = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: -1 });
    assert.deepEqual(value, hex('0003 000000000000002a 00000005 0001 6d 00000000000003e8'));
    assert.deepEqual(decodeOffsetCommitValue(value), { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: -1 });
    // v1 carries an expire timestamp and no leader epoch.
    assert.deepEqual(decodeOffsetCommitValue(hex('0001 0000000000000009 0000 0000000000000001 0000000000000002')), {
      offset: 9,
      leaderEpoch: -1,
      metadata: '',
      commitTimestampMs: 1,
      expireTimestampMs: 2,
    });
  });

  it('group metadata key v2 and value v3', () => {
    assert.deepEqual(encodeGroupMetadataKey('g'), hex('0002 0001 67'));
    const value = {
      protocolType: 'consumer',
      generation: 3,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestampMs: 5,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeoutMs: 300,
          sessionTimeoutMs: 100,
          subscription: Buffer.from([1]),
          assignment: Buffer.from([2, 3]),
        },
      ],
    };
    const bytes = encodeGroupMetadataValue(value);
    assert.deepEqual(
      bytes,
      hex(
        '0003 0008 636f6e73756d6572 00000003 0005 72616e6765 0002 6d31 0000000000000005 00000001' +
          ' 0002 6d31 ffff 0001 63 0002 2f68 0000012c 00000064 00000001 01 00000002 0203',
      ),
    );
    assert.deepEqual(decodeGroupMetadataValue(bytes), value);
  });

  it('decodes keys by version and rejects truncated values with a typed error', () => {
    assert.deepEqual(decodeKey(hex('0000 0001 67 0001 74 00000001')), { kind: 'offset', group: 'g', topic: 't', partition: 1 });
    assert.deepEqual(decodeKey(hex('0005 0000')), { kind: 'other', version: 5 });
    assert.throws(() => decodeOffsetCommitValue(hex('0003 0000')), OffsetsRecordError);
    assert.throws(() => decodeGroupMetadataValue(hex('0004 0000')), OffsetsRecordError);
  });

  it("partitions groups with Java's String.hashCode and Kafka's abs", () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode('console-consumer-1'), javaStringHashCode('console-consumer-') * 31 + 49 | 0);
    // A known string whose hashCode is Integer.MIN_VALUE: Kafka's abs maps it to 0.
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(offsetsPartitionFor('polygenelubricants', 50), 0);
    assert.equal(offsetsPartitionFor('hello', 50), 99162322 % 50);
    const negative = 'groupA'; // hashCode -1238040897? computed below and checked against abs
    const h = javaStringHashCode(negative);
    assert.equal(offsetsPartitionFor(negative, 50), Math.abs(h) % 50);
  });
});
