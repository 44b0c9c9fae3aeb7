/**
 * Goal: log compaction (src/storage/log-cleaner.ts) keeps the last record per key in closed
 * segments with offsets unchanged, keeps tombstones for delete.retention.ms and then drops them,
 * merges small segments, leaves the active segment alone, never lets time/size retention delete a
 * compact-only log, and completes an interrupted swap after a crash (log-loader.ts at reopen).
 *
 * Method: a PartitionLog on the in-memory disk with tiny segments and a ManualClock; records are
 * read back through the public read path and compared with the expected latest value per key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import { buildRecordBatchSync, readRecordsSync } from '../../src/protocol/records/builder.js';
import { LogCleaner } from '../../src/storage/log-cleaner.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { logBatches, fixture as storageFixture, settle, testConfig } from './support.js';

function compactConfig(extra: Record<string, unknown> = {}): LogConfig {
  return { ...testConfig({ segmentBytes: 600, retentionMs: 1, retentionBytes: 1 }), cleanupPolicy: ['compact'], deleteRetentionMs: 10_000, minCompactionLagMs: 0, minCleanableDirtyRatio: 0.5, ...extra } as LogConfig;
}

async function put(log: PartitionLog, nowMs: number, key: string, value: string | null): Promise<void> {
  const b = buildRecordBatchSync({ records: [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestampMs: nowMs }] });
  await log.appendAsLeader(b, { leaderEpoch: 0 });
}

async function readAll(log: PartitionLog): Promise<Array<{ offset: number; key: string; value: string | null }>> {
  const out: Array<{ offset: number; key: string; value: string | null }> = [];
  for (const b of await logBatches(log)) {
    for (const r of readRecordsSync(b)) out.push({ offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString() });
  }
  return out;
}

function latest(records: Array<{ key: string; value: string | null }>): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const r of records) m.set(r.key, r.value);
  return m;
}

describe('log cleaner', () => {
  it('keeps the last record per key with its offset, keeps young tombstones, then drops them', async () => {
    const f = storageFixture();
    const log = await f.open({ config: compactConfig() });
    for (let round = 0; round < 12; round++) {
      for (let k = 0; k < 5; k++) await put(log, f.clock.nowMs(), `k${k}`, `v${round}-${k}`);
    }
    await put(log, f.clock.nowMs(), 'k4', null); // delete k4
    await put(log, f.clock.nowMs(), 'k0', 'final');
    for (let k = 0; k < 10; k++) await put(log, f.clock.nowMs(), `y${k}`, 'filler'); // closes the segment holding the tombstone
    const before = await readAll(log);
    const segmentsBefore = log.segmentBaseOffsets().length;
    assert.ok(segmentsBefore > 4, `tiny segments roll often (${segmentsBefore})`);
    assert.equal(await log.applyRetention(), 0, 'compact-only: retention.ms/bytes never delete segments');

    const cleaner = new LogCleaner({ clock: f.clock });
    const r = await cleaner.clean(log);
    assert.ok(r.cleaned && r.recordsRemoved > 0);
    await settle();
    const after = await readAll(log);
    assert.deepEqual(latest(after), latest(before), 'every key still reads as its latest value');
    const active = log.segmentBaseOffsets().at(-1)!;
    const closedKeys = after.filter((x) => x.offset < active).map((x) => x.key);
    assert.equal(new Set(closedKeys).size, closedKeys.length, 'one record per key in the closed segments');
    for (const x of after) assert.deepEqual(before.find((y) => y.offset === x.offset), x, 'offsets and contents unchanged');
    assert.ok(log.segmentBaseOffsets().length < segmentsBefore, 'small cleaned segments were merged');
    assert.equal(log.logEndOffset, before.at(-1)!.offset + 1);
    assert.deepEqual(after.filter((x) => x.key === 'k4').map((x) => x.value), [null], 'only the young tombstone is left of k4');
    assert.ok(after.find((x) => x.key === 'k4')!.offset < active, 'and it is in a closed segment');

    // Later: the tombstone is older than delete.retention.ms and goes on the next pass.
    f.clock.advance(20_000);
    for (let k = 0; k < 20; k++) await put(log, f.clock.nowMs(), `x${k}`, 'filler'); // closes the segment holding the tombstone
    await cleaner.clean(log);
    await settle();
    const later = await readAll(log);
    const activeNow = log.segmentBaseOffsets().at(-1)!;
    assert.equal(later.filter((x) => x.key === 'k4' && x.offset < activeNow).length, 0, 'expired tombstone dropped');
    assert.equal(latest(later).get('k0'), 'final');
    await log.close();
  });

  it('does nothing for delete-policy logs and never touches the active segment', async () => {
    const f = storageFixture();
    const log = await f.open({ config: testConfig({ segmentBytes: 600 }) });
    for (let i = 0; i < 30; i++) await put(log, f.clock.nowMs(), 'same', `v${i}`);
    const cleaner = new LogCleaner({ clock: f.clock });
    assert.equal((await cleaner.clean(log)).cleaned, false);
    const g = storageFixture();
    const one = await g.open({ config: compactConfig({ segmentBytes: 1 << 20 }) });
    for (let i = 0; i < 30; i++) await put(one, g.clock.nowMs(), 'same', `v${i}`);
    assert.equal((await cleaner.clean(one)).cleaned, false, 'a single (active) segment is never cleaned');
    assert.equal((await readAll(one)).length, 30);
    await log.close();
    await one.close();
  });

  it('completes an interrupted swap when the log is reopened after a crash', async () => {
    // Clean one log to learn what the cleaned first segment looks like.
    const f = storageFixture();
    const log = await f.open({ config: compactConfig() });
    for (let i = 0; i < 40; i++) await put(log, f.clock.nowMs(), `k${i % 4}`, `v${i}`);
    const expected = latest(await readAll(log));
    await log.flush();
    const before = log.segmentBaseOffsets();
    await new LogCleaner({ clock: f.clock }).clean(log);
    const cleanedFirst = f.disk.fileBytes(`${f.dir}/00000000000000000000.log`);
    await log.close();

    // The same log, uncleaned, with the cleaned group left as a .swap (plus a stray .cleaned).
    const g = storageFixture();
    const log2 = await g.open({ config: compactConfig() });
    for (let i = 0; i < 40; i++) await put(log2, g.clock.nowMs(), `k${i % 4}`, `v${i}`);
    await log2.flush();
    assert.deepEqual(log2.segmentBaseOffsets(), before);
    await log2.close();
    for (const [name, bytes] of [
      ['00000000000000000000.log.swap', cleanedFirst],
      ['00000000000000000003.log.cleaned', Buffer.from('half-written')],
    ] as const) {
      const file = await g.disk.open(`${g.dir}/${name}`, 'w+');
      await file.write(bytes, 0);
      await file.sync();
      await file.close();
    }
    g.disk.crash();
    const reopened = await g.open({ config: compactConfig() });
    assert.ok(!g.disk.listFiles().some((p) => p.endsWith('.swap') || p.endsWith('.cleaned')));
    let lastCleaned = -1;
    for (let at = 0; at < cleanedFirst.length; at += batch.totalBytes(cleanedFirst, at)) lastCleaned = batch.lastOffset(cleanedFirst, at);
    assert.ok(lastCleaned > 0, 'the cleaned group holds the latest records');
    assert.ok(reopened.segmentBaseOffsets().every((b) => b === 0 || b > lastCleaned), 'segments inside the swap were replaced');
    assert.deepEqual(latest(await readAll(reopened)), expected);
    await reopened.close();
  });
});
