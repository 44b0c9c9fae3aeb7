/**
 * Shared fixtures for the storage tests (not a test file itself): the manual Clock of
 * src/io/sim/manual-clock.ts, and small LogConfig/PartitionLog factories over the memory disk.
 */
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { batch } from '../../src/protocol/records/batch.js';
import { ManualClock } from '../../src/io/sim/manual-clock.js';

export { ManualClock };
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.js';
import { PartitionLog, type PartitionLogOptions } from '../../src/storage/partition-log.js';

export function testConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, retentionMs: -1, fileDeleteDelayMs: 0, ...overrides };
}

export interface Fixture {
  disk: MemoryDisk;
  clock: ManualClock;
  dir: string;
  open(overrides?: Partial<PartitionLogOptions>): Promise<PartitionLog>;
}

export function fixture(config: Partial<LogConfig> = {}): Fixture {
  const disk = new MemoryDisk();
  const clock = new ManualClock();
  const dir = '/data/orders-0';
  return {
    disk,
    clock,
    dir,
    open: (overrides = {}) =>
      PartitionLog.open({ disk, clock, dir, topic: 'orders', partition: 0, config: testConfig(config), ...overrides }),
  };
}

/** Lets pending promise callbacks (background flushes, deletions) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Every batch of the log, from its start offset to its end, in order. */
export async function logBatches(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20, { minOneMessage: true });
    if (records.length === 0) break;
    for (let at = 0; at < records.length; at += batch.totalBytes(records, at)) {
      const b = records.subarray(at, at + batch.totalBytes(records, at));
      out.push(b);
      offset = batch.lastOffset(b) + 1;
    }
  }
  return out;
}
