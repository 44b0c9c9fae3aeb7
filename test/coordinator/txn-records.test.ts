/**
 * Goal: `__transaction_state` records are Kafka's bytes (key v0, value v0 written, v1 flexible read),
 * the state machine allows exactly Kafka's transitions with two-phase changes, and producer ids are
 * reserved in durable, disjoint blocks (embedded/KRaft document and ZooKeeper's
 * /latest_producer_id_block with Kafka's JSON and a conditional write).
 * Method: byte-level expectations written out by hand from the record format; the full transition
 * table checked pair by pair; a ProducerIdManager over an EmbeddedController re-opened from its saved
 * document; the ZooKeeper allocator over a small in-memory versioned node store shared by two
 * "brokers" racing for blocks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedController } from '../../src/cluster/embedded-controller.js';
import { CoordinationError, type Coordination, type NodeData } from '../../src/cluster/coordination/coordination.js';
import { allocateProducerIdBlockZk, PRODUCER_ID_BLOCK_PATH } from '../../src/cluster/zk/producer-id-block.js';
import { ProducerIdManager } from '../../src/coordinator/txn/producer-id-manager.js';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, TXN_STATES, txnStatePartitionFor, type TxnStateValue } from '../../src/coordinator/txn/records.js';
import { isValidTransition, TransactionMetadata } from '../../src/coordinator/txn/txn-metadata.js';
import { offsetsPartitionFor } from '../../src/coordinator/offsets/records.js';
import { CountingRandom } from './support.js';

const value: TxnStateValue = {
  producerId: 4242n,
  producerEpoch: 3,
  transactionTimeoutMs: 60_000,
  state: 'Ongoing',
  partitions: [{ topic: 'ab', partitions: [0, 2] }],
  lastUpdateTimestampMs: 1_700_000_000_123,
  startTimestampMs: 1_700_000_000_000,
};

describe('__transaction_state records', () => {
  it('key v0: int16 0 + string', () => {
    const key = encodeTxnKey('tx');
    assert.deepEqual([...key], [0, 0, 0, 2, 0x74, 0x78]);
    assert.equal(decodeTxnKey(key), 'tx');
  });

  it('value v0 byte layout and round trip', () => {
    const bytes = encodeTxnValue(value);
    const expected = Buffer.alloc(2 + 8 + 2 + 4 + 1 + 4 + (2 + 2 + 4 + 8) + 8 + 8);
    let at = expected.writeInt16BE(0, 0);
    at = expected.writeBigInt64BE(4242n, at);
    at = expected.writeInt16BE(3, at);
    at = expected.writeInt32BE(60_000, at);
    at = expected.writeInt8(1, at); // Ongoing
    at = expected.writeInt32BE(1, at);
    at = expected.writeInt16BE(2, at);
    at += expected.write('ab', at);
    at = expected.writeInt32BE(2, at);
    at = expected.writeInt32BE(0, at);
    at = expected.writeInt32BE(2, at);
    at = expected.writeBigInt64BE(1_700_000_000_123n, at);
    expected.writeBigInt64BE(1_700_000_000_000n, at);
    assert.deepEqual(bytes, expected);
    assert.deepEqual(decodeTxnValue(bytes), value);
  });

  it('reads a flexible v1 value, skipping tagged fields', () => {
    const parts: Buffer[] = [];
    const i16 = (v: number) => {
      const b = Buffer.alloc(2);
      b.writeInt16BE(v);
      parts.push(b);
    };
    const i32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v);
      parts.push(b);
    };
    const i64 = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v);
      parts.push(b);
    };
    i16(1);
    i64(7n);
    i16(0);
    i32(1000);
    parts.push(Buffer.from([4])); // CompleteCommit
    parts.push(Buffer.from([2])); // compact array: 1 topic
    parts.push(Buffer.from([2]), Buffer.from('t')); // compact string "t"
    parts.push(Buffer.from([2])); // 1 partition
    i32(5);
    parts.push(Buffer.from([0])); // no tagged fields in the topic struct
    i64(11n);
    i64(10n);
    parts.push(Buffer.from([1, 0, 2, 0xab, 0xcd])); // one tagged field: tag 0, 2 bytes
    assert.deepEqual(decodeTxnValue(Buffer.concat(parts)), {
      producerId: 7n,
      producerEpoch: 0,
      transactionTimeoutMs: 1000,
      state: 'CompleteCommit',
      partitions: [{ topic: 't', partitions: [5] }],
      lastUpdateTimestampMs: 11,
      startTimestampMs: 10,
    });
  });

  it('refuses unknown versions and states; partition formula is the groups one', () => {
    const bad = encodeTxnValue(value);
    bad.writeInt16BE(9, 0);
    assert.throws(() => decodeTxnValue(bad), /unsupported __transaction_state value version 9/);
    const badState = encodeTxnValue(value);
    badState.writeInt8(42, 16);
    assert.throws(() => decodeTxnValue(badState), /unknown transaction state id 42/);
    for (const id of ['a', 'my-transactional-id', 'polygenelubricants']) assert.equal(txnStatePartitionFor(id, 50), offsetsPartitionFor(id, 50));
  });
});

describe('transaction state machine', () => {
  const allowed = new Set([
    'Empty→Empty', 'CompleteCommit→Empty', 'CompleteAbort→Empty',
    'Ongoing→Ongoing', 'Empty→Ongoing', 'CompleteCommit→Ongoing', 'CompleteAbort→Ongoing',
    'Ongoing→PrepareCommit',
    'Ongoing→PrepareAbort', 'PrepareEpochFence→PrepareAbort',
    'PrepareCommit→CompleteCommit', 'PrepareAbort→CompleteAbort',
    'Empty→Dead', 'CompleteCommit→Dead', 'CompleteAbort→Dead',
    'Ongoing→PrepareEpochFence',
  ]);

  it("allows exactly Kafka's transitions", () => {
    for (const from of TXN_STATES) for (const to of TXN_STATES) assert.equal(isValidTransition(from, to), allowed.has(`${from}→${to}`), `${from}→${to}`);
  });

  it('is two-phase: pending blocks a second change, complete installs, abort drops', () => {
    const m = new TransactionMetadata('tx', { ...value, state: 'Empty', partitions: [] });
    const t = m.prepareTransition({ state: 'Ongoing', partitions: [{ topic: 'x', partitions: [1] }] }, 5);
    assert.equal(m.pendingState, 'Ongoing');
    assert.equal(m.state, 'Empty');
    assert.throws(() => m.prepareTransition({ state: 'Ongoing' }, 6), /already pending/);
    m.completeTransition(t);
    assert.equal(m.state, 'Ongoing');
    assert.equal(m.lastUpdateTimestampMs, 5);
    assert.ok(m.hasPartition('x', 1));
    m.prepareTransition({ state: 'PrepareCommit' }, 7);
    m.abortTransition();
    assert.equal(m.state, 'Ongoing');
    assert.equal(m.pendingState, null);
    assert.throws(() => m.prepareTransition({ state: 'CompleteCommit' }, 8), /not a valid transition/);
  });
});

/** Versioned nodes in memory: the part of Coordination the producer id allocator uses. */
class MemoryNodes {
  readonly nodes = new Map<string, { data: Buffer; version: number }>();
  client(): Coordination {
    const nodes = this.nodes;
    return {
      async get(path: string): Promise<NodeData | null> {
        const n = nodes.get(path);
        return n ? { data: n.data, version: n.version, ownedBySession: false, createdTxId: '1' } : null;
      },
      async create(path: string, data: Buffer): Promise<string> {
        if (nodes.has(path)) throw new CoordinationError('nodeExists', path, 'exists');
        nodes.set(path, { data, version: 0 });
        return path;
      },
      async set(path: string, data: Buffer, expectedVersion?: number): Promise<number> {
        const n = nodes.get(path);
        if (!n) throw new CoordinationError('noNode', path, 'no node');
        if (expectedVersion !== undefined && expectedVersion !== -1 && expectedVersion !== n.version) throw new CoordinationError('badVersion', path, 'bad version');
        n.data = data;
        return ++n.version;
      },
    } as unknown as Coordination;
  }
}

describe('producer id blocks', () => {
  it('embedded/KRaft: blocks are disjoint and survive a restart of the controller', async () => {
    let saved: string | null = null;
    const open = () =>
      EmbeddedController.open({
        brokerId: 1,
        broker: { id: 1, host: 'localhost', port: 9092, rack: null },
        store: { load: async () => saved, save: async (d) => void (saved = d) },
        random: new CountingRandom(),
        defaults: { numPartitions: 1, replicationFactor: 1, deleteTopicEnable: true },
      });
    const first = new ProducerIdManager(1, await open());
    assert.equal(await first.generate(), 0n);
    assert.equal(await first.generate(), 1n);
    const ids = await Promise.all(Array.from({ length: 1500 }, () => first.generate()));
    assert.equal(new Set(ids).size, 1500);
    assert.equal(ids.at(-1), 1501n);
    // A restart reserves the next block: nothing handed out before is handed out again.
    const restarted = new ProducerIdManager(1, await open());
    assert.equal(await restarted.generate(), 2000n);
  });

  it("ZooKeeper: Kafka's JSON in /latest_producer_id_block, racing brokers get disjoint blocks", async () => {
    const zk = new MemoryNodes();
    const blocks = await Promise.all([1, 2, 3, 1].map((broker) => allocateProducerIdBlockZk(zk.client(), broker, 1000)));
    const starts = blocks.map((b) => b.firstProducerId).sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(starts, [0n, 1000n, 2000n, 3000n]);
    const doc = JSON.parse(zk.nodes.get(PRODUCER_ID_BLOCK_PATH)!.data.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), ['block_end', 'block_start', 'broker', 'version']);
    assert.equal(doc.version, 1);
    assert.equal(doc.block_start, '3000');
    assert.equal(doc.block_end, '3999');
    // A node written by Kafka with numeric fields is continued after its end.
    zk.nodes.get(PRODUCER_ID_BLOCK_PATH)!.data = Buffer.from('{"version":1,"broker":0,"block_start":5000,"block_end":5999}');
    assert.equal((await allocateProducerIdBlockZk(zk.client(), 2, 1000)).firstProducerId, 6000n);
  });
});
