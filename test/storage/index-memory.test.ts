/**
 * Goal: index entries of inactive segments do not stay in memory (the 30-minute soak grew a
 * broker's RSS by 200 MB with them): after a flush, inactive segments hold no entries; reads,
 * timestamp lookups and truncation into an old segment load them back from the files with the
 * same answers; at most two inactive segments stay loaded after reads; a restart reads everything;
 * an index file changed on disk behind the broker's back makes reads of that segment fail with a
 * message naming the file and the fix (not a wrong answer).
 *
 * Method: PartitionLog over the memory disk with small segments and a small index interval, the
 * same batches compared before and after; PartitionLog.indexMemory() counts loaded segments.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import { segmentFileName } from '../../src/storage/log-segment.js';
import { buildBatch } from '../helpers/batches.js';
import { fixture, logBatches } from './support.js';

describe('index memory of inactive segments', () => {
  it('releases entries after flush, reloads them for reads, keeps few loaded', async () => {
    const f = fixture({ segmentBytes: 2000, indexIntervalBytes: 100 });
    const log = await f.open();
    const written: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const b = buildBatch({ records: [{ value: Buffer.alloc(150, i) }], baseTimestampMs: 1_000_000 + i * 1000 });
      await log.appendAsLeader(b, { leaderEpoch: 0 });
      written.push(Buffer.from(b));
    }
    await log.flush();
    const m0 = log.indexMemory();
    assert.ok(m0.inactive >= 5, `several inactive segments (${m0.inactive})`);
    assert.equal(m0.loaded, 0, `${m0.loaded} inactive segments still hold their entries after flush`);
    // Every batch reads back as written (each old segment's index reloaded on the way).
    const read = await logBatches(log);
    assert.equal(read.length, 60);
    for (let i = 0; i < 60; i++) assert.equal(batch.baseOffset(read[i]!), i);
    assert.ok(log.indexMemory().loaded <= 2, 'the least recently read segments let their entries go again');
    const hit = await log.offsetForTimestamp(1_000_000 + 7 * 1000);
    assert.deepEqual(hit, { offset: 7, timestampMs: 1_007_000 });
    // A restart reads the same log from the same index files.
    await log.close();
    const again = await f.open();
    assert.equal((await logBatches(again)).length, 60);
    assert.ok(again.indexMemory().loaded <= 2);
    // Truncation into an old segment (a follower's divergent tail) reloads what it needs.
    await again.truncateTo(3);
    assert.equal(again.logEndOffset, 3);
    assert.equal((await logBatches(again)).length, 3);
    await again.appendAsLeader(buildBatch({ records: [{ value: 'after' }] }), { leaderEpoch: 0 });
    assert.equal(again.logEndOffset, 4);
    await again.close();
  });

  it('a released index file changed on disk fails reads of its segment with the fix named', async () => {
    const f = fixture({ segmentBytes: 2000, indexIntervalBytes: 100 });
    const log = await f.open();
    for (let i = 0; i < 30; i++) await log.appendAsLeader(buildBatch({ records: [{ value: Buffer.alloc(150, i) }] }), { leaderEpoch: 0 });
    await log.flush();
    assert.equal(log.indexMemory().loaded, 0);
    await f.disk.writeFileAtomic(path.join(f.dir, segmentFileName(0, '.index')), Buffer.alloc(3));
    await assert.rejects(log.read(0, 1 << 20, { minOneMessage: true }), /\.index: the index file changed after it was written .*restart the broker to rebuild it/);
    // Other segments are unaffected.
    const later = await log.read(log.logEndOffset - 1, 1 << 20, { minOneMessage: true });
    assert.ok(later.records.length > 0);
    await log.close();
  });
});
