/**
 * Goal: PartitionLog's append/read/roll/truncate/retention contract, as replication and the
 * handlers rely on it. Method: real v2 batches from test/helpers/batches.ts, the in-memory Disk and
 * a manual clock; every read is compared byte for byte with what was appended.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import { isStorageError, StorageError } from '../../src/storage/errors.js';
import { buildBatch, buildBatches, readRecords, splitBatches } from '../helpers/batches.js';
import { fixture, settle } from './support.js';

async function appendN(log: Awaited<ReturnType<ReturnType<typeof fixture>['open']>>, n: number, valueBytes = 10): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = buildBatch({ records: [{ value: Buffer.alloc(valueBytes, i % 251) }, { value: `v${i}` }] });
    await log.appendAsLeader(b, { leaderEpoch: 3 });
    out.push(b);
  }
  return out;
}

describe('PartitionLog append and read', () => {
  it('assigns offsets, patches baseOffset and leader epoch, and reads back byte-identical batches', async () => {
    const f = fixture();
    const log = await f.open();
    assert.equal(log.logEndOffset, 0);
    const b1 = buildBatch({ records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    const b2 = buildBatch({ records: [{ key: 'k', value: 'd' }] });
    const crcBefore = batch.crc(b1);
    const r1 = await log.appendAsLeader(b1, { leaderEpoch: 7 });
    const r2 = await log.appendAsLeader(b2, { leaderEpoch: 7 });
    assert.deepEqual(r1, { baseOffset: 0, lastOffset: 2, logAppendTimeMs: -1, maxTimestamp: batch.maxTimestamp(b1) });
    assert.equal(r2.baseOffset, 3);
    assert.equal(r2.lastOffset, 3);
    assert.equal(log.logEndOffset, 4);
    assert.equal(batch.baseOffset(b2), 3);
    assert.equal(batch.partitionLeaderEpoch(b2), 7);
    assert.equal(batch.crc(b1), crcBefore, 'CRC untouched by offset assignment');
    assert.ok(batch.crcValid(b1));

    const { records, firstOffset } = await log.read(0, 1 << 20, { minOneMessage: true });
    assert.equal(firstOffset, 0);
    assert.deepEqual(records, Buffer.concat([b1, b2]));
    assert.deepEqual(
      readRecords(splitBatches(records)[1]!).map((r) => [r.offset, r.value?.toString()]),
      [[3, 'd']],
    );
    await log.close();
  });

  it('appends several batches given in one buffer with a single write', async () => {
    const f = fixture();
    const log = await f.open();
    const records = buildBatches(5, 3);
    const writtenBefore = f.disk.bytesWritten;
    const r = await log.appendAsLeader(records, { leaderEpoch: 0 });
    assert.equal(f.disk.bytesWritten - writtenBefore, records.length);
    assert.equal(r.baseOffset, 0);
    assert.equal(r.lastOffset, 14);
    assert.deepEqual(splitBatches(records).map((b) => batch.baseOffset(b)), [0, 3, 6, 9, 12]);
    const read = await log.read(0, 1 << 20, { minOneMessage: true });
    assert.deepEqual(read.records, records);
    await log.close();
  });

  it('reads from an offset inside a batch starting with the whole batch that holds it', async () => {
    const f = fixture({ indexIntervalBytes: 100 });
    const log = await f.open();
    const batches = await appendN(log, 50, 40); // 2 records each: batch i holds offsets 2i, 2i+1
    for (const fetchOffset of [0, 1, 2, 17, 51, 98, 99]) {
      const { records, firstOffset } = await log.read(fetchOffset, 1 << 20, { minOneMessage: true });
      const i = Math.floor(fetchOffset / 2);
      assert.equal(firstOffset, 2 * i);
      assert.deepEqual(records, Buffer.concat(batches.slice(i)), `fetch at ${fetchOffset}`);
    }
    const atEnd = await log.read(100, 1000, { minOneMessage: true });
    assert.equal(atEnd.records.length, 0);
    assert.equal(atEnd.firstOffset, 100);
    await log.close();
  });

  it('honours maxBytes, minOneMessage and maxOffset', async () => {
    const f = fixture();
    const log = await f.open();
    const batches = await appendN(log, 10, 100);
    const size = batches[0]!.length;
    const two = await log.read(0, size * 2 + size - 1, { minOneMessage: false });
    assert.deepEqual(two.records, Buffer.concat(batches.slice(0, 2)));
    const none = await log.read(0, size - 1, { minOneMessage: false });
    assert.equal(none.records.length, 0);
    const one = await log.read(0, 1, { minOneMessage: true });
    assert.deepEqual(one.records, batches[0]);
    // maxOffset (exclusive) stops before the batch that reaches it.
    const upToHw = await log.read(4, 1 << 20, { minOneMessage: true, maxOffset: 9 });
    assert.deepEqual(upToHw.records, Buffer.concat(batches.slice(2, 4)));
    const hwInside = await log.read(8, 1 << 20, { minOneMessage: true, maxOffset: 9 });
    assert.equal(hwInside.records.length, 0);
    const atHw = await log.read(9, 1 << 20, { minOneMessage: true, maxOffset: 9 });
    assert.equal(atHw.records.length, 0);
    await log.close();
  });

  it('throws offsetOutOfRange outside [logStartOffset, logEndOffset]', async () => {
    const f = fixture();
    const log = await f.open();
    await appendN(log, 3);
    await assert.rejects(log.read(7, 100, { minOneMessage: true }), (e) => isStorageError(e, 'offsetOutOfRange'));
    await assert.rejects(log.read(-1, 100, { minOneMessage: true }), (e) => isStorageError(e, 'offsetOutOfRange'));
    log.highWatermark = log.logEndOffset;
    await log.deleteRecordsBefore(2);
    await assert.rejects(log.read(1, 100, { minOneMessage: true }), (e) => isStorageError(e, 'offsetOutOfRange'));
    const r = await log.read(2, 1 << 20, { minOneMessage: true });
    assert.equal(r.firstOffset, 2);
    await log.close();
  });

  it('stamps LogAppendTime batches with the broker clock and reseals the CRC', async () => {
    const f = fixture({ messageTimestampType: 'LogAppendTime' });
    const log = await f.open();
    const b = buildBatch({ records: [{ value: 'x', timestampMs: 5 }] });
    const r = await log.appendAsLeader(b, { leaderEpoch: 1 });
    assert.equal(r.logAppendTimeMs, f.clock.nowMs());
    assert.equal(r.maxTimestamp, f.clock.nowMs());
    assert.equal(batch.maxTimestamp(b), f.clock.nowMs());
    assert.ok((batch.attributes(b) & 0x08) !== 0);
    assert.ok(batch.crcValid(b));
    const read = await log.read(0, 1000, { minOneMessage: true });
    assert.deepEqual(read.records, b);
    await log.close();
  });

  it('rejects malformed input and batches larger than a segment before touching the log', async () => {
    const f = fixture({ segmentBytes: 1024 });
    const log = await f.open();
    const big = buildBatch({ records: [{ value: Buffer.alloc(2000) }] });
    await assert.rejects(log.appendAsLeader(big, { leaderEpoch: 0 }), (e) => isStorageError(e, 'messageTooLarge'));
    const cut = buildBatch({ records: [{ value: 'abc' }] }).subarray(0, 50);
    await assert.rejects(log.appendAsLeader(cut, { leaderEpoch: 0 }), (e) => isStorageError(e, 'corruptBatch'));
    const badMagic = buildBatch({ records: [{ value: 'abc' }] });
    badMagic.writeInt8(1, 16);
    await assert.rejects(log.appendAsLeader(badMagic, { leaderEpoch: 0 }), (e) => isStorageError(e, 'corruptBatch'));
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.sizeBytes(), 0);
    await log.close();
  });

  it('serialises concurrent appends and lets reads run alongside', async () => {
    const f = fixture({ segmentBytes: 4096 });
    const log = await f.open();
    const batches = Array.from({ length: 200 }, (_, i) => buildBatch({ records: [{ value: `value-${i}` }] }));
    const reads: Promise<unknown>[] = [];
    const appends = batches.map((b, i) => {
      const p = log.appendAsLeader(b, { leaderEpoch: 0 });
      if (i % 10 === 0) {
        reads.push(
          log.read(0, 1 << 20, { minOneMessage: true }).then(({ records }) => {
            // Whatever a racing read sees is a whole-batch prefix of the log.
            for (const part of splitBatches(records)) assert.ok(batch.crcValid(part));
          }),
        );
      }
      return p;
    });
    const results = await Promise.all(appends);
    await Promise.all(reads);
    assert.deepEqual(results.map((r) => r.baseOffset), batches.map((_, i) => i));
    assert.ok(log.segmentBaseOffsets().length > 1);
    let offset = 0;
    const seen: Buffer[] = [];
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20, { minOneMessage: true });
      const parts = splitBatches(records);
      seen.push(...parts);
      offset = batch.lastOffset(parts.at(-1)!) + 1;
    }
    assert.deepEqual(Buffer.concat(seen), Buffer.concat(batches));
    await log.close();
  });

  it('appendAsFollower keeps the leader offsets and rejects going backwards', async () => {
    const f = fixture();
    const log = await f.open();
    const b = Buffer.concat([buildBatch({ baseOffset: 0, records: [{ value: 'a' }, { value: 'b' }] }), buildBatch({ baseOffset: 2, records: [{ value: 'c' }] })]);
    const copy = Buffer.from(b);
    assert.deepEqual(await log.appendAsFollower(b), { lastOffset: 2 });
    assert.deepEqual(b, copy, 'follower bytes stay as they are');
    // A gap (compacted leader log) is allowed.
    await log.appendAsFollower(buildBatch({ baseOffset: 10, records: [{ value: 'd' }] }));
    assert.equal(log.logEndOffset, 11);
    const r = await log.read(5, 1000, { minOneMessage: true });
    assert.equal(r.firstOffset, 10);
    await assert.rejects(log.appendAsFollower(buildBatch({ baseOffset: 3, records: [{ value: 'e' }] })), assert.AssertionError);
    const disordered = Buffer.concat([buildBatch({ baseOffset: 20, records: [{ value: 'a' }] }), buildBatch({ baseOffset: 20, records: [{ value: 'b' }] })]);
    await assert.rejects(log.appendAsFollower(disordered), (e) => isStorageError(e, 'corruptBatch'));
    await log.close();
  });

  it('rejects every call after close with logClosed', async () => {
    const f = fixture();
    const log = await f.open();
    await appendN(log, 1);
    await log.close();
    await assert.rejects(log.appendAsLeader(buildBatch({ records: [{ value: 'a' }] }), { leaderEpoch: 0 }), (e) => isStorageError(e, 'logClosed'));
    await assert.rejects(log.read(0, 10, { minOneMessage: true }), (e) => e instanceof StorageError && e.kind === 'logClosed');
  });

  it('clamps the high watermark into [logStartOffset, logEndOffset]', async () => {
    const f = fixture();
    const log = await f.open();
    await appendN(log, 3);
    log.highWatermark = 100;
    assert.equal(log.highWatermark, 6);
    log.highWatermark = -5;
    assert.equal(log.highWatermark, 0);
    await log.close();
  });
});

describe('PartitionLog segments', () => {
  it('rolls by size and finds every offset through the indexes afterwards', async () => {
    const f = fixture({ segmentBytes: 2000, indexIntervalBytes: 200 });
    const log = await f.open();
    const batches = await appendN(log, 100, 50);
    const bases = log.segmentBaseOffsets();
    assert.ok(bases.length >= 5, `rolled into ${bases.length} segments`);
    assert.equal(bases[0], 0);
    const files = f.disk.listFiles();
    for (const base of bases) assert.ok(files.includes(`/data/orders-0/${String(base).padStart(20, '0')}.log`));
    for (let offset = 0; offset < 200; offset += 7) {
      const { records, firstOffset } = await log.read(offset, 1, { minOneMessage: true });
      const i = Math.floor(offset / 2);
      assert.equal(firstOffset, 2 * i);
      assert.deepEqual(records, batches[i]);
    }
    // Each segment stays within segmentBytes.
    await log.flush();
    for (const base of bases) {
      const size = f.disk.fileBytes(`/data/orders-0/${String(base).padStart(20, '0')}.log`).length;
      assert.ok(size <= 2000);
    }
    await log.close();
  });

  it('rolls by time once the active segment is older than segmentMs', async () => {
    const f = fixture({ segmentMs: 60_000 });
    const log = await f.open();
    await appendN(log, 3);
    f.clock.advance(30_000);
    await appendN(log, 1);
    assert.deepEqual(log.segmentBaseOffsets(), [0]);
    f.clock.advance(31_000);
    await appendN(log, 1);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 8]);
    f.clock.advance(59_000);
    await appendN(log, 1);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 8]);
    await log.close();
  });

  it('rolls when the offset index is full', async () => {
    const f = fixture({ indexIntervalBytes: 0, segmentIndexBytes: 48 }); // 6 offset entries, 4 time entries
    const log = await f.open();
    await appendN(log, 20);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 14, 28]); // 7 batches each: the first takes no entry, 6 fill the index
    for (let offset = 0; offset < 40; offset++) {
      const { firstOffset } = await log.read(offset, 1, { minOneMessage: true });
      assert.equal(firstOffset, offset - (offset % 2));
    }
    await log.close();
  });

  it('flushes the rolled segment in the background and writes its indexes', async () => {
    const f = fixture({ segmentBytes: 1000, indexIntervalBytes: 100 });
    const log = await f.open();
    await appendN(log, 30, 40);
    await settle();
    const bases = log.segmentBaseOffsets();
    assert.ok(bases.length > 2);
    assert.equal(log.recoveryPoint >= bases.at(-1)!, true, `recovery point ${log.recoveryPoint} reached the active segment`);
    const index = f.disk.fileBytes(`/data/orders-0/${String(bases[0]).padStart(20, '0')}.index`);
    assert.ok(index.length > 0 && index.length % 8 === 0);
    const timeIndex = f.disk.fileBytes(`/data/orders-0/${String(bases[0]).padStart(20, '0')}.timeindex`);
    assert.ok(timeIndex.length > 0 && timeIndex.length % 12 === 0);
    await log.close();
  });

  it('fsyncs after flushIntervalMessages records', async () => {
    const f = fixture({ flushIntervalMessages: 4 });
    const log = await f.open();
    await appendN(log, 1); // 2 records
    assert.equal(log.recoveryPoint, 0);
    await appendN(log, 1); // 4 records
    assert.equal(log.recoveryPoint, 4);
    f.disk.crash();
    assert.equal(f.disk.fileBytes('/data/orders-0/00000000000000000000.log').length > 0, true);
  });
});

describe('PartitionLog timestamps', () => {
  it('offsetForTimestamp finds the first record at or after a timestamp, across segments', async () => {
    const f = fixture({ segmentBytes: 600, indexIntervalBytes: 100 });
    const log = await f.open();
    // Batch i has records at 1000+10i and 1000+10i+5.
    for (let i = 0; i < 40; i++) {
      await log.appendAsLeader(buildBatch({ records: [{ value: 'a', timestampMs: 1000 + 10 * i }, { value: 'b', timestampMs: 1000 + 10 * i + 5 }] }), { leaderEpoch: 0 });
    }
    assert.ok(log.segmentBaseOffsets().length > 3);
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestampMs: 1000 });
    assert.deepEqual(await log.offsetForTimestamp(1000), { offset: 0, timestampMs: 1000 });
    assert.deepEqual(await log.offsetForTimestamp(1001), { offset: 1, timestampMs: 1005 });
    assert.deepEqual(await log.offsetForTimestamp(1006), { offset: 2, timestampMs: 1010 });
    assert.deepEqual(await log.offsetForTimestamp(1255), { offset: 51, timestampMs: 1255 });
    assert.deepEqual(await log.offsetForTimestamp(1395), { offset: 79, timestampMs: 1395 });
    assert.equal(await log.offsetForTimestamp(1396), null);
    await log.close();
  });

  it('offsetForTimestamp handles timestamps that are not in offset order', async () => {
    const f = fixture({ indexIntervalBytes: 0 });
    const log = await f.open();
    const ts = [500, 100, 900, 300, 950, 200];
    for (const t of ts) await log.appendAsLeader(buildBatch({ records: [{ value: 'x', timestampMs: t }] }), { leaderEpoch: 0 });
    assert.deepEqual(await log.offsetForTimestamp(150), { offset: 0, timestampMs: 500 });
    assert.deepEqual(await log.offsetForTimestamp(600), { offset: 2, timestampMs: 900 });
    assert.deepEqual(await log.offsetForTimestamp(920), { offset: 4, timestampMs: 950 });
    await log.close();
  });

  it('maxTimestampOffset returns the first record with the largest timestamp', async () => {
    const f = fixture({ segmentBytes: 300 });
    const log = await f.open();
    assert.equal(await log.maxTimestampOffset(), null);
    await log.appendAsLeader(buildBatch({ records: [{ value: 'a', timestampMs: 10 }, { value: 'b', timestampMs: 50 }] }), { leaderEpoch: 0 });
    await log.appendAsLeader(buildBatch({ records: [{ value: 'c', timestampMs: 70 }, { value: 'd', timestampMs: 90 }, { value: 'e', timestampMs: 20 }] }), { leaderEpoch: 0 });
    await log.appendAsLeader(buildBatch({ records: [{ value: 'f', timestampMs: 90 }] }), { leaderEpoch: 0 });
    await log.appendAsLeader(buildBatch({ records: [{ value: 'g', timestampMs: 30 }] }), { leaderEpoch: 0 });
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 3, timestampMs: 90 });
    await log.close();
    const reopened = await f.open({ cleanShutdown: true });
    assert.deepEqual(await reopened.maxTimestampOffset(), { offset: 3, timestampMs: 90 });
    await reopened.close();
  });
});

describe('PartitionLog truncation and deletion', () => {
  it('truncateTo drops whole batches at and after the offset, across segments', async () => {
    const f = fixture({ segmentBytes: 1000, indexIntervalBytes: 100 });
    const log = await f.open();
    const batches = await appendN(log, 40, 40);
    const segmentsBefore = log.segmentBaseOffsets().length;
    log.highWatermark = 80;
    await log.truncateTo(31); // offset 31 is inside batch 15 (offsets 30-31)
    assert.equal(log.logEndOffset, 30);
    assert.equal(log.highWatermark, 30);
    assert.ok(log.segmentBaseOffsets().length < segmentsBefore);
    const { records } = await log.read(0, 1 << 20, { minOneMessage: true });
    const all: Buffer[] = [records];
    let next = batch.lastOffset(splitBatches(records).at(-1)!) + 1;
    while (next < log.logEndOffset) {
      const r = await log.read(next, 1 << 20, { minOneMessage: true });
      all.push(r.records);
      next = batch.lastOffset(splitBatches(r.records).at(-1)!) + 1;
    }
    assert.deepEqual(Buffer.concat(all), Buffer.concat(batches.slice(0, 15)));
    // Appends continue at the new end, even where a deleted segment had the same base offset.
    const again = await appendN(log, 20, 40);
    assert.equal(log.logEndOffset, 70);
    const r = await log.read(30, 1 << 20, { minOneMessage: true });
    assert.deepEqual(splitBatches(r.records)[0], again[0]);
    await log.close();
    const reopened = await f.open();
    assert.equal(reopened.logEndOffset, 70);
    await reopened.close();
  });

  it('truncateTo below the first segment starts the log over at that offset', async () => {
    const f = fixture();
    const log = await f.open({ logStartOffset: 100 });
    assert.equal(log.logEndOffset, 100);
    await appendN(log, 3);
    await log.truncateTo(50);
    assert.equal(log.logStartOffset, 50);
    assert.equal(log.logEndOffset, 50);
    assert.deepEqual(log.segmentBaseOffsets(), [50]);
    const r = await log.appendAsLeader(buildBatch({ records: [{ value: 'x' }] }), { leaderEpoch: 0 });
    assert.equal(r.baseOffset, 50);
    await log.close();
  });

  it('deleteRecordsBefore advances logStartOffset and deletes whole segments below it', async () => {
    const f = fixture({ segmentBytes: 1000 });
    const log = await f.open();
    await appendN(log, 40, 40);
    const bases = log.segmentBaseOffsets();
    await assert.rejects(log.deleteRecordsBefore(10), (e) => isStorageError(e, 'offsetOutOfRange'));
    log.highWatermark = log.logEndOffset;
    await log.deleteRecordsBefore(bases[2]! + 1);
    assert.equal(log.logStartOffset, bases[2]! + 1);
    assert.deepEqual(log.segmentBaseOffsets(), bases.slice(2));
    const r = await log.read(bases[2]! + 1, 1, { minOneMessage: true });
    assert.ok(r.firstOffset <= bases[2]! + 1);
    await settle();
    const files = f.disk.listFiles();
    assert.ok(!files.some((p) => p.includes(String(bases[0]).padStart(20, '0'))), 'deleted segment files removed');
    await log.close();
  });

  it('retention by time deletes segments whose largest timestamp is too old, never the active one', async () => {
    const f = fixture({ segmentBytes: 500, retentionMs: 10_000 });
    const log = await f.open();
    const now = f.clock.nowMs();
    for (let i = 0; i < 30; i++) {
      await log.appendAsLeader(buildBatch({ records: [{ value: Buffer.alloc(30), timestampMs: now - 60_000 + i * 1000 }] }), { leaderEpoch: 0 });
    }
    const bases = log.segmentBaseOffsets();
    assert.ok(bases.length > 3);
    const deleted = await log.applyRetention();
    assert.ok(deleted > 0);
    const remaining = log.segmentBaseOffsets();
    assert.equal(log.logStartOffset, remaining[0]);
    // Every record older than now - 10s is in a deleted segment unless its segment also holds a newer one.
    const first = await log.read(log.logStartOffset, 1 << 20, { minOneMessage: true });
    assert.ok(batch.maxTimestamp(first.records) >= now - 60_000);
    f.clock.advance(3_600_000);
    await log.applyRetention();
    assert.equal(log.segmentBaseOffsets().length, 1, 'only the active segment remains');
    assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
    await log.close();
  });

  it('retention by bytes keeps the log at or under retentionBytes plus the active segment', async () => {
    const f = fixture({ segmentBytes: 1000, retentionBytes: 2500 });
    const log = await f.open();
    await appendN(log, 60, 40);
    const before = log.sizeBytes();
    const deleted = await log.applyRetention();
    assert.ok(deleted > 0);
    assert.ok(log.sizeBytes() < before);
    assert.ok(log.sizeBytes() >= 2500 - 1000, `kept ${log.sizeBytes()} bytes`);
    assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
    assert.equal(await log.applyRetention(), 0);
    await assert.rejects(log.read(0, 100, { minOneMessage: true }), (e) => isStorageError(e, 'offsetOutOfRange'));
    await log.close();
  });

  it('keeps deleted segment files until fileDeleteDelayMs has passed', async () => {
    const f = fixture({ segmentBytes: 500, retentionBytes: 0, fileDeleteDelayMs: 60_000 });
    const log = await f.open();
    await appendN(log, 20, 40);
    assert.ok((await log.applyRetention()) > 0);
    const deletedFiles = () => f.disk.listFiles().filter((p) => p.endsWith('.deleted'));
    assert.ok(deletedFiles().length > 0);
    f.clock.advance(59_000);
    await settle();
    assert.ok(deletedFiles().length > 0);
    f.clock.advance(2_000);
    await settle();
    assert.deepEqual(deletedFiles(), []);
    await log.close();
  });

  it('reads racing with retention and truncation see whole batches or offsetOutOfRange, never I/O errors', async () => {
    const f = fixture({ segmentBytes: 600, retentionBytes: 0 });
    const log = await f.open();
    await appendN(log, 60, 40);
    log.highWatermark = log.logEndOffset;
    const reads: Promise<void>[] = [];
    for (let offset = 0; offset < 120; offset += 3) {
      reads.push(
        log.read(offset, 1 << 20, { minOneMessage: true }).then(
          ({ records }) => {
            for (const part of splitBatches(records)) assert.ok(batch.crcValid(part));
          },
          (err: unknown) => assert.ok(isStorageError(err, 'offsetOutOfRange'), String(err)),
        ),
      );
    }
    const work = Promise.all([log.applyRetention(), log.truncateTo(100), log.applyRetention()]);
    await Promise.all([...reads, work]);
    assert.equal(log.offline, false);
    assert.equal(log.logEndOffset, 100);
    await log.close();
  });

  it('updateConfig applies to later appends', async () => {
    const f = fixture();
    const log = await f.open();
    await appendN(log, 5, 100);
    assert.equal(log.segmentBaseOffsets().length, 1);
    log.updateConfig({ ...log.config, segmentBytes: 300 });
    await appendN(log, 5, 100);
    assert.ok(log.segmentBaseOffsets().length > 2);
    assert.throws(() => log.updateConfig({ ...log.config, segmentBytes: 3 }), (e) => isStorageError(e, 'invalidConfig'));
    await log.close();
  });
});
