/**
 * Goal: PartitionLog.open recovers every batch that was whole on disk and nothing else, after clean
 * and unclean shutdowns, torn or damaged tails, missing or bad indexes, simulated power loss and a
 * full disk. Method: build a log on the in-memory Disk, damage its files through the Disk API or the
 * MemoryDisk fault hooks, reopen, and compare what can be read with what was appended.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Disk } from '../../src/io/disk.js';
import { batch } from '../../src/protocol/records/batch.js';
import { isStorageError } from '../../src/storage/errors.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { buildBatch, splitBatches } from '../helpers/batches.js';
import { fixture } from './support.js';

const DIR = '/data/orders-0';
const file = (base: number, suffix: string) => `${DIR}/${String(base).padStart(20, '0')}${suffix}`;

async function appendBatches(log: PartitionLog, n: number, valueBytes = 40): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = buildBatch({ records: [{ value: Buffer.alloc(valueBytes, i % 251) }, { value: `r${i}` }], baseTimestampMs: 1_000_000 + i * 10 });
    await log.appendAsLeader(b, { leaderEpoch: 1 });
    out.push(b);
  }
  return out;
}

/** Every batch in the log, read segment by segment. */
async function readAll(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20, { minOneMessage: true });
    if (records.length === 0) break;
    const parts = splitBatches(records);
    out.push(...parts);
    offset = batch.lastOffset(parts.at(-1)!) + 1;
  }
  return out;
}

async function chop(disk: Disk, path: string, bytes: number): Promise<void> {
  const h = await disk.open(path, 'r+');
  await h.truncate((await h.size()) - bytes);
  await h.close();
}

async function appendRaw(disk: Disk, path: string, bytes: Buffer): Promise<void> {
  const h = await disk.open(path, 'r+');
  await h.write(bytes, await h.size());
  await h.close();
}

async function overwrite(disk: Disk, path: string, position: number, bytes: Buffer): Promise<void> {
  const h = await disk.open(path, 'r+');
  await h.write(bytes, position);
  await h.close();
}

describe('recovery after a clean shutdown', () => {
  it('reopens with the same offsets and bytes, reading only the segment tails', async () => {
    const f = fixture({ segmentBytes: 4000, indexIntervalBytes: 256 });
    const log = await f.open();
    const batches = await appendBatches(log, 200);
    await log.deleteRecordsBefore(0);
    await log.close();
    const bytesBefore = f.disk.bytesRead;
    const reopened = await f.open({ cleanShutdown: true, recoveryPoint: 400 });
    const readAtOpen = f.disk.bytesRead - bytesBefore;
    const logBytes = f.disk.listFiles().filter((p) => p.endsWith('.log')).reduce((n, p) => n + f.disk.fileBytes(p).length, 0);
    assert.ok(readAtOpen < logBytes / 3, `open read ${readAtOpen} of ${logBytes} log bytes`);
    assert.equal(reopened.logEndOffset, 400);
    assert.equal(reopened.recoveryPoint, 400);
    assert.deepEqual(await readAll(reopened), batches);
    assert.deepEqual(await reopened.offsetForTimestamp(1_000_000 + 1500), { offset: 300, timestampMs: 1_001_500 });
    const r = await reopened.appendAsLeader(buildBatch({ records: [{ value: 'next' }] }), { leaderEpoch: 2 });
    assert.equal(r.baseOffset, 400);
    await reopened.close();
  });

  it('rebuilds a missing index and rewrites the file', async () => {
    const f = fixture({ segmentBytes: 4000, indexIntervalBytes: 256 });
    const log = await f.open();
    const batches = await appendBatches(log, 100);
    const bases = log.segmentBaseOffsets();
    await log.close();
    const original = f.disk.fileBytes(file(bases[1]!, '.index'));
    await f.disk.rm(file(bases[1]!, '.index'));
    await f.disk.rm(file(bases.at(-1)!, '.timeindex'));
    const reopened = await f.open({ cleanShutdown: true });
    assert.deepEqual(await readAll(reopened), batches);
    assert.deepEqual(f.disk.fileBytes(file(bases[1]!, '.index')), original);
    await reopened.close();
  });

  it('rebuilds an index that points at the wrong place', async () => {
    const f = fixture({ segmentBytes: 4000, indexIntervalBytes: 256 });
    const log = await f.open();
    const batches = await appendBatches(log, 100);
    const bases = log.segmentBaseOffsets();
    await log.close();
    const index = f.disk.fileBytes(file(bases[0]!, '.index'));
    const bad = Buffer.from(index);
    bad.writeInt32BE(bad.readInt32BE(bad.length - 4) + 3, bad.length - 4); // last entry's position off by 3
    await f.disk.writeFileAtomic(file(bases[0]!, '.index'), bad);
    await f.disk.writeFileAtomic(file(bases[1]!, '.index'), Buffer.from('not an index'));
    const reopened = await f.open({ cleanShutdown: true });
    assert.deepEqual(await readAll(reopened), batches);
    assert.deepEqual(f.disk.fileBytes(file(bases[0]!, '.index')), index);
    await reopened.close();
  });
});

describe('a clean empty log (10,000 idle partitions)', () => {
  it('opens without reading its index files; stale index bytes never survive behind new entries', async () => {
    const build = async (f: ReturnType<typeof fixture>, stale: boolean): Promise<void> => {
      const log = await f.open();
      await log.close();
      if (stale) {
        // Bytes a consistent index of an empty .log cannot hold (more than the entries written below).
        await f.disk.writeFileAtomic(file(0, '.index'), Buffer.alloc(4096, 7));
        await f.disk.writeFileAtomic(file(0, '.timeindex'), Buffer.alloc(4092, 9));
      }
      const bytesBefore = f.disk.bytesRead;
      const reopened = await f.open({ cleanShutdown: true });
      assert.equal(f.disk.bytesRead - bytesBefore, 0, 'nothing read at open');
      await appendBatches(reopened, 60);
      await reopened.close();
    };
    const clean = fixture({ indexIntervalBytes: 256 });
    const dirty = fixture({ indexIntervalBytes: 256 });
    await build(clean, false);
    await build(dirty, true);
    for (const suffix of ['.index', '.timeindex']) {
      assert.ok(clean.disk.fileBytes(file(0, suffix)).length > 0, `${suffix} has entries`);
      assert.deepEqual(dirty.disk.fileBytes(file(0, suffix)), clean.disk.fileBytes(file(0, suffix)), `${suffix} as if never stale`);
    }
    const reopened = await dirty.open({ cleanShutdown: true });
    assert.equal(reopened.logEndOffset, 120);
    assert.deepEqual(await reopened.offsetForTimestamp(1_000_000 + 300), { offset: 60, timestampMs: 1_000_300 });
    await reopened.close();
  });
});

/** Records every directory the fixture's disk fsyncs, in order. */
function recordSyncDirs(f: ReturnType<typeof fixture>): string[] {
  const synced: string[] = [];
  const syncDir = f.disk.syncDir.bind(f.disk);
  f.disk.syncDir = async (dir: string) => {
    synced.push(dir);
    await syncDir(dir);
  };
  return synced;
}

describe('directory fsyncs (10,000 partitions: one per partition costs seconds)', () => {
  it('a new log syncs its directory at its first flush, a clean reopen not at all, an unclean one at once', async () => {
    const f = fixture();
    const synced = recordSyncDirs(f);
    const log = await f.open();
    assert.deepEqual(synced, [], 'creating an empty log fsyncs nothing');
    await appendBatches(log, 3);
    await log.flush();
    assert.deepEqual(synced, [DIR], 'the first flush makes the new files durable');
    await log.flush();
    assert.deepEqual(synced, [DIR], 'once');
    await log.close();
    synced.length = 0;
    await (await f.open({ cleanShutdown: true })).close();
    assert.deepEqual(synced, [], 'a clean reopen fsyncs no directory');
    await f.open({ cleanShutdown: false, recoveryPoint: 0 });
    assert.deepEqual(synced, [DIR], 'recovery fsyncs what it checked');
  });

  it('closing a new, never flushed log still makes its directory durable', async () => {
    const f = fixture();
    const synced = recordSyncDirs(f);
    await (await f.open()).close();
    assert.deepEqual(synced, [DIR]);
  });
});

describe('recovery of damaged tails', () => {
  for (const cleanShutdown of [false, true]) {
    it(`truncates a torn last batch (cleanShutdown=${cleanShutdown})`, async () => {
      const f = fixture();
      const log = await f.open();
      const batches = await appendBatches(log, 10);
      await log.close();
      await chop(f.disk, file(0, '.log'), 7);
      const reopened = await f.open({ cleanShutdown });
      assert.equal(reopened.logEndOffset, 18);
      assert.deepEqual(await readAll(reopened), batches.slice(0, 9));
      assert.equal(f.disk.fileBytes(file(0, '.log')).length, Buffer.concat(batches.slice(0, 9)).length);
      const r = await reopened.appendAsLeader(buildBatch({ records: [{ value: 'after' }] }), { leaderEpoch: 1 });
      assert.equal(r.baseOffset, 18);
      await reopened.close();
    });
  }

  it('truncates at a batch whose CRC does not match', async () => {
    const f = fixture();
    const log = await f.open();
    const batches = await appendBatches(log, 10);
    await log.close();
    const position = Buffer.concat(batches.slice(0, 6)).length;
    await overwrite(f.disk, file(0, '.log'), position + 70, Buffer.from([0xde, 0xad]));
    const reopened = await f.open();
    assert.equal(reopened.logEndOffset, 12);
    assert.deepEqual(await readAll(reopened), batches.slice(0, 6));
    await reopened.close();
  });

  it('truncates garbage appended after the last batch', async () => {
    const f = fixture();
    const log = await f.open();
    const batches = await appendBatches(log, 5);
    await log.close();
    for (const garbage of [Buffer.alloc(100, 0), Buffer.from('garbage that is not a batch at all, really'), Buffer.alloc(5, 0xff)]) {
      await appendRaw(f.disk, file(0, '.log'), garbage);
      const reopened = await f.open();
      assert.equal(reopened.logEndOffset, 10);
      assert.deepEqual(await readAll(reopened), batches);
      await reopened.close();
    }
  });

  it('drops segments after a corrupt one that was past the recovery point', async () => {
    const f = fixture({ segmentBytes: 1000 });
    const log = await f.open();
    const batches = await appendBatches(log, 60);
    const bases = log.segmentBaseOffsets();
    assert.ok(bases.length >= 4);
    await log.close();
    // Damage the first batch of the second-to-last segment; the recovery point says it was not flushed.
    const victim = bases.at(-2)!;
    await overwrite(f.disk, file(victim, '.log'), 8, Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    const reopened = await f.open({ recoveryPoint: bases[1]! });
    assert.deepEqual(reopened.segmentBaseOffsets(), bases.slice(0, -1));
    assert.equal(reopened.logEndOffset, victim);
    assert.deepEqual(await readAll(reopened), batches.slice(0, victim / 2));
    assert.ok(!f.disk.listFiles().includes(file(bases.at(-1)!, '.log')));
    await reopened.close();
  });

  it('trusts segments wholly below the recovery point without re-reading them', async () => {
    const f = fixture({ segmentBytes: 1000, indexIntervalBytes: 100 });
    const log = await f.open();
    await appendBatches(log, 60);
    const bases = log.segmentBaseOffsets();
    await log.close();
    const before = f.disk.bytesRead;
    const reopened = await f.open({ recoveryPoint: bases.at(-2)! });
    const read = f.disk.bytesRead - before;
    const scanned = f.disk.fileBytes(file(bases.at(-2)!, '.log')).length + f.disk.fileBytes(file(bases.at(-1)!, '.log')).length;
    assert.ok(read < scanned + 1000 * (bases.length - 2) / 2, `read ${read} bytes at open`);
    assert.equal(reopened.logEndOffset, 120);
    await reopened.close();
  });

  it('removes leftover files of interrupted work and indexes without a segment', async () => {
    const f = fixture();
    const log = await f.open();
    const batches = await appendBatches(log, 3);
    await log.close();
    for (const name of ['00000000000000000007.log.deleted', '00000000000000000000.log.cleaned', '00000000000000000000.log.swap', '00000000000000000042.index', '00000000000000000042.timeindex']) {
      await f.disk.writeFileAtomic(`${DIR}/${name}`, Buffer.from('x'));
    }
    const reopened = await f.open();
    assert.deepEqual(f.disk.listFiles().filter((p) => p.startsWith(DIR)), [file(0, '.index'), file(0, '.log'), file(0, '.timeindex')]);
    assert.deepEqual(await readAll(reopened), batches);
    await reopened.close();
  });

  it('starts empty at a checkpointed log start offset past the recovered end', async () => {
    const f = fixture();
    const log = await f.open();
    await appendBatches(log, 3);
    await log.close();
    const reopened = await f.open({ logStartOffset: 50 });
    assert.equal(reopened.logStartOffset, 50);
    assert.equal(reopened.logEndOffset, 50);
    assert.deepEqual(reopened.segmentBaseOffsets(), [50]);
    await reopened.close();
  });
});

describe('crashes and disk failures', () => {
  it('power loss drops unsynced bytes; the flushed prefix survives', async () => {
    const f = fixture();
    const log = await f.open();
    const batches = await appendBatches(log, 30);
    await log.flush();
    const flushedEnd = log.logEndOffset;
    await appendBatches(log, 5);
    f.disk.crash();
    const reopened = await f.open({ recoveryPoint: flushedEnd });
    assert.equal(reopened.logEndOffset, flushedEnd);
    assert.deepEqual(await readAll(reopened), batches);
    await reopened.close();
  });

  it('power loss after rolls keeps what the roll flushes made durable', async () => {
    const f = fixture({ segmentBytes: 1000 });
    const log = await f.open();
    const batches = await appendBatches(log, 60);
    await new Promise((resolve) => setImmediate(resolve));
    await log.flush();
    const more = await appendBatches(log, 3);
    f.disk.crash();
    const reopened = await f.open({ recoveryPoint: 120 });
    const survived = await readAll(reopened);
    assert.ok(survived.length >= 60, `kept ${survived.length} batches`);
    assert.deepEqual(survived, [...batches, ...more].slice(0, survived.length));
    await reopened.close();
  });

  it('a torn write at power loss keeps every whole batch', async () => {
    for (const keep of [1, 11, 61, 100, 150, 333]) {
      const f = fixture();
      const log = await f.open();
      const batches = await appendBatches(log, 5);
      await log.flush();
      const more = await appendBatches(log, 5);
      f.disk.crash({ keepUnsyncedBytes: (p, n) => (p.endsWith('.log') ? Math.min(keep, n) : 0) });
      const reopened = await f.open();
      const whole = [...batches];
      let bytes = 0;
      for (const b of more) {
        bytes += b.length;
        if (bytes <= keep) whole.push(b);
      }
      assert.deepEqual(await readAll(reopened), whole, `keep ${keep}`);
      assert.equal(reopened.logEndOffset, whole.length * 2);
      await reopened.close();
    }
  });

  it('a full disk takes the log offline; a restart recovers the whole batches', async () => {
    const f = fixture();
    const log = await f.open();
    const batches = await appendBatches(log, 4);
    const next = buildBatch({ records: [{ value: Buffer.alloc(200) }] });
    f.disk.failWritesAfter(next.length - 20);
    await assert.rejects(log.appendAsLeader(next, { leaderEpoch: 1 }), (e) => isStorageError(e, 'diskFull'));
    assert.equal(log.offline, true);
    assert.equal(log.logEndOffset, 8, 'the failed batch is not visible');
    await assert.rejects(log.read(0, 1000, { minOneMessage: true }), (e) => isStorageError(e, 'logOffline'));
    await assert.rejects(log.appendAsLeader(buildBatch({ records: [{ value: 'x' }] }), { leaderEpoch: 1 }), (e) => isStorageError(e, 'logOffline'));
    await assert.rejects(log.flush(), (e) => isStorageError(e, 'logOffline'));
    await log.close();
    // The torn bytes are on "disk"; a restart after freeing space cuts them.
    assert.ok(f.disk.fileBytes(file(0, '.log')).length > Buffer.concat(batches).length);
    f.disk.clearFaults();
    const reopened = await f.open();
    assert.equal(reopened.offline, false);
    assert.deepEqual(await readAll(reopened), batches);
    assert.equal(f.disk.fileBytes(file(0, '.log')).length, Buffer.concat(batches).length);
    await reopened.close();
  });

  it('an fsync failure takes the log offline with ioError', async () => {
    const f = fixture();
    const log = await f.open();
    await appendBatches(log, 2);
    f.disk.failSyncs('EIO');
    await assert.rejects(log.flush(), (e) => isStorageError(e, 'ioError'));
    assert.equal(log.offline, true);
    await assert.rejects(log.applyRetention(), (e) => isStorageError(e, 'logOffline'));
    await log.close();
  });
});
