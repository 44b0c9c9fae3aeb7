/**
 * Production Disk over node:fs/promises. Thin: every method maps to one or two fs calls, and
 * errors pass through unchanged (Node errors carry `code`, which storage inspects).
 *
 * Inline writes: a write of at most `inlineWriteBytesMax` bytes is a write(2) on the calling (main)
 * thread instead of a thread-pool job. It lands in the page cache without waiting for the device,
 * as Kafka's request threads write, and saves the hop to a pool thread and back (two wake-ups and
 * context switches, a promise settled from another thread) on every append: 17% less broker CPU
 * per record and half the p99 in our measurements (docs/PERFORMANCE.md, "Inline appends"). fsync,
 * reads and larger writes always use the pool. Should the kernel make inline writes block (dirty
 * page throttling, a stalled device), writes go back to the pool for a while (1 s, doubling up to
 * 10 s while stalls keep coming back within a minute) so that the event loop keeps serving fetches
 * and heartbeats. Blocking is recognised by persistence: inlineWriteGuard.stallsMax writes slower than
 * inlineWriteGuard.stallMs within inlineWriteGuard.stallWindowMs and within
 * inlineWriteGuard.stallRunWrites consecutive writes, or one slower than
 * inlineWriteGuard.stallAloneMs. A 10-30 ms write now and then among thousands of fast ones is what
 * a busy machine's scheduler does to a thread that happened to be writing (a wall clock cannot tell
 * preemption from blocking); taking it for throttling sent a P6 broker to the pool for 1-10 s at a
 * time, where each partition's appends wait a thread-pool round trip each on CPUs that are already
 * full, and produce latency went from 15 to 150-1,000 ms (docs/PERFORMANCE.md, "The 10-second
 * slumps, the tail cache in chunks, the produce fast path" and "Session 8: P6 on a saturated machine").
 * Inline writes must also stay cheap without ever stalling: when they take more than
 * inlineWriteGuard.shareMax of the event loop's time over inlineWriteGuard.shareWindowMs, and at least
 * inlineWriteGuard.costlyWriteMsMin each on average, writes go to the pool with the same backoff, so
 * that their cost is paid on another core. Costly writes happen where every new page-cache page
 * costs a fault in the host: in a VM whose free memory the host takes
 * back (free page reporting, ballooning), writes into the page cache ran at ~100 MB/s of system
 * time instead of GB/s, and a broker writing 39 MB/s inline spent 40% of its event loop there
 * (docs/PERFORMANCE.md, "The soak that failed: page-cache memory the host had taken back"). Many
 * cheap writes (P6's one-record appends to 100 partitions, ~7 µs each) can reach the share too; in
 * the pool each would cost the loop about as much and the machine four times as much, so they stay
 * inline.
 */
import { constants as fsConstants, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { logger } from '../../log.js';
import { diskError, type DirEntry, type Disk, type DiskLock, type DiskWriteStats, inlineWriteGuard, type FileHandle, type FileStat, type OpenFlags } from '../disk.js';

function nodeFlags(flags: OpenFlags): string | number {
  switch (flags) {
    case 'r':
    case 'r+':
    case 'w+':
      return flags;
    case 'c+':
      // Node has no string flag for "read/write, create, do not truncate".
      return fsConstants.O_RDWR | fsConstants.O_CREAT;
  }
}

/** Default bound of inline writes (samsa.log.inline.write.bytes.max). */
export const INLINE_WRITE_BYTES_DEFAULT = 1024 * 1024;

export interface NodeDiskOptions {
  /** Writes up to this many bytes run inline on the calling thread; 0 = every write goes to the thread pool. */
  inlineWriteBytesMax?: number;
  /** Told when an inline write stalled and writes moved to the thread pool for a while (default: a warning in the log). */
  onInlineWriteStall?: (elapsedMs: number, backoffMs: number) => void;
  /** Tests: what counts as a stall (default inlineWriteGuard.stallMs). */
  inlineWriteStallMs?: number;
  /** Tests: the clock inline writes are timed with (default performance.now). */
  inlineWriteNowMs?: () => number;
  /** Told when inline writes took more than their share of the event loop and writes moved to the thread pool for a while (default: a line in the log). */
  onInlineWriteCostly?: (share: number, backoffMs: number) => void;
  /** Tests: the share of time inline writes may take (default inlineWriteGuard.shareMax) and the window it is measured over (default inlineWriteGuard.shareWindowMs). */
  inlineWriteShareMax?: number;
  inlineWriteShareWindowMs?: number;
  /** Tests: the mean time per inline write below which their share never moves writes to the pool (default inlineWriteGuard.costlyWriteMsMin). */
  inlineWriteCostlyWriteMsMin?: number;
}

/** Whether a write may run inline now; shared by every file of one NodeDisk. */
class InlineWrites {
  readonly bytesMax: number;
  readonly #onStall: NodeDiskOptions['onInlineWriteStall'];
  readonly #onCostly: NodeDiskOptions['onInlineWriteCostly'];
  readonly #stallMs: number;
  readonly #shareMax: number;
  readonly #shareWindowMs: number;
  readonly #costlyWriteMsMin: number;
  /** Since when inline writes are being timed (-1: from the next one), and their time so far. */
  #windowStartMs = -1;
  #windowWriteMs = 0;
  #windowWrites = 0;
  #poolUntilMs = 0;
  #backoffMs: number = inlineWriteGuard.backoffMsMin;
  /** When the last backoff ended (-Infinity: none yet). */
  #lastBackoffEndMs = -Infinity;
  /** The recent slow writes: when each started and its number among inline writes (at most inlineWriteGuard.stallsMax - 1 kept). */
  #recentSlow: Array<{ atMs: number; write: number }> = [];
  readonly #nowMs: () => number;
  /** Writes made inline, and through the thread pool; inline writes slower than the stall bound. */
  inline = 0;
  pooled = 0;
  slow = 0;
  /** Times writes moved to the pool because inline ones took more than their share. */
  costly = 0;

  constructor(opts: NodeDiskOptions) {
    this.bytesMax = Math.max(0, opts.inlineWriteBytesMax ?? INLINE_WRITE_BYTES_DEFAULT);
    this.#stallMs = opts.inlineWriteStallMs ?? inlineWriteGuard.stallMs;
    this.#shareMax = opts.inlineWriteShareMax ?? inlineWriteGuard.shareMax;
    this.#shareWindowMs = opts.inlineWriteShareWindowMs ?? inlineWriteGuard.shareWindowMs;
    this.#costlyWriteMsMin = opts.inlineWriteCostlyWriteMsMin ?? inlineWriteGuard.costlyWriteMsMin;
    this.#nowMs = opts.inlineWriteNowMs ?? (() => performance.now());
    this.#onCostly =
      opts.onInlineWriteCostly ??
      ((share, backoffMs) =>
        logger('disk').info({ sharePct: Math.round(share * 100) }, `inline log writes took ${Math.round(share * 100)}% of the event loop in the last second (page-cache pages are slow to come by: e.g. a VM whose host reclaims free memory): writes go through the thread pool for the next ${backoffMs / 1000} s`));
    this.#onStall =
      opts.onInlineWriteStall ??
      ((elapsedMs, backoffMs) =>
        logger('disk').warn({ elapsedMs: Math.round(elapsedMs) }, `log writes keep blocking the event loop (the last for ${Math.round(elapsedMs)} ms: the kernel is throttling writes, or the machine is overloaded): writes go through the thread pool for the next ${backoffMs / 1000} s`));
  }

  allowed(bytes: number): boolean {
    const ok = bytes <= this.bytesMax && (this.#poolUntilMs === 0 || this.#nowMs() >= this.#poolUntilMs);
    if (!ok) this.pooled++;
    return ok;
  }

  /** Runs write(2) until `buf` is written; notes a stall. */
  write(fd: number, buf: Buffer, position: number): number {
    const startMs = this.#nowMs();
    this.inline++;
    if (this.#poolUntilMs !== 0 || this.#windowStartMs < 0) {
      // Back from the pool (or the first write): time the inline writes afresh.
      this.#poolUntilMs = 0;
      this.#windowStartMs = startMs;
      this.#windowWriteMs = 0;
      this.#windowWrites = 0;
    }
    let done = 0;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
    const endMs = this.#nowMs();
    const elapsedMs = endMs - startMs;
    if (elapsedMs > this.#stallMs) this.#noteSlow(startMs, elapsedMs);
    if (this.#poolUntilMs === 0) this.#noteTime(endMs, elapsedMs); // unless the stall just sent writes to the pool
    return done;
  }

  /** Adds a write's time to the window; at the window's end, too large a share sends writes to the pool. */
  #noteTime(endMs: number, elapsedMs: number): void {
    this.#windowWriteMs += elapsedMs;
    this.#windowWrites++;
    const windowMs = endMs - this.#windowStartMs;
    if (windowMs < this.#shareWindowMs) return;
    const share = this.#windowWriteMs / windowMs;
    const meanWriteMs = this.#windowWriteMs / this.#windowWrites;
    this.#windowStartMs = endMs;
    this.#windowWriteMs = 0;
    this.#windowWrites = 0;
    if (share <= this.#shareMax || meanWriteMs < this.#costlyWriteMsMin) return;
    this.costly++;
    this.#onCostly?.(share, this.#backOff(endMs));
  }

  /** Sends writes to the pool from `fromMs` for the backoff (doubled when the last one ended recently); returns it. */
  #backOff(fromMs: number): number {
    this.#backoffMs = fromMs - this.#lastBackoffEndMs < inlineWriteGuard.backoffMemoryMs ? Math.min(this.#backoffMs * 2, inlineWriteGuard.backoffMsMax) : inlineWriteGuard.backoffMsMin;
    this.#poolUntilMs = fromMs + this.#backoffMs;
    this.#lastBackoffEndMs = this.#poolUntilMs;
    return this.#backoffMs;
  }

  #noteSlow(startMs: number, elapsedMs: number): void {
    this.slow++;
    const write = this.inline;
    const recent = this.#recentSlow.filter((s) => startMs - s.atMs < inlineWriteGuard.stallWindowMs && write - s.write < inlineWriteGuard.stallRunWrites);
    if (recent.length + 1 < inlineWriteGuard.stallsMax && elapsedMs < inlineWriteGuard.stallAloneMs) {
      recent.push({ atMs: startMs, write });
      this.#recentSlow = recent;
      return;
    }
    this.#recentSlow = [];
    this.#onStall?.(elapsedMs, this.#backOff(startMs + elapsedMs));
  }
}

class NodeFileHandle implements FileHandle {
  readonly #handle: fs.FileHandle;
  readonly #inline: InlineWrites;

  constructor(handle: fs.FileHandle, inline: InlineWrites) {
    this.#handle = handle;
    this.#inline = inline;
  }

  async read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#handle.read(buf, bufOffset + done, length - done, position + done);
      if (bytesRead === 0) break; // end of file
      done += bytesRead;
    }
    return done;
  }

  async write(buf: Buffer, position: number): Promise<number> {
    if (this.#inline.allowed(buf.length)) return this.#inline.write(this.#handle.fd, buf, position);
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.#handle.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
    return done;
  }

  async sync(): Promise<void> {
    await this.#handle.sync();
  }

  async truncate(lengthBytes: number): Promise<void> {
    await this.#handle.truncate(lengthBytes);
  }

  async size(): Promise<number> {
    return (await this.#handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

export class NodeDisk implements Disk {
  readonly #inline: InlineWrites;

  constructor(opts: NodeDiskOptions = {}) {
    this.#inline = new InlineWrites(opts);
  }

  /** File writes made inline and through the thread pool so far, and slow inline ones (metrics, tests). */
  writeStats(): DiskWriteStats {
    return { inline: this.#inline.inline, pooled: this.#inline.pooled, slow: this.#inline.slow, costly: this.#inline.costly };
  }

  async mkdir(dirPath: string): Promise<void> {
    await fs.mkdir(dirPath, { recursive: true });
  }

  async readdir(dirPath: string): Promise<DirEntry[]> {
    const entries = await fs.readdir(dirPath, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  }

  async rm(target: string): Promise<void> {
    await fs.rm(target, { recursive: true, force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.rename(from, to);
  }

  async stat(target: string): Promise<FileStat | null> {
    try {
      const s = await fs.stat(target);
      return { sizeBytes: s.size, isDirectory: s.isDirectory() };
    } catch (err) {
      // Expected case: "does not exist" is an answer, not a failure.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async readFile(target: string): Promise<Buffer> {
    return fs.readFile(target);
  }

  async writeFileAtomic(target: string, data: Buffer): Promise<void> {
    const tmpPath = `${target}.tmp`;
    const handle = await fs.open(tmpPath, 'w');
    try {
      await new NodeFileHandle(handle, this.#inline).write(data, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmpPath, target);
    await this.syncDir(path.dirname(target));
  }

  async open(target: string, flags: OpenFlags): Promise<FileHandle> {
    return new NodeFileHandle(await fs.open(target, nodeFlags(flags)), this.#inline);
  }

  async syncDir(dirPath: string): Promise<void> {
    const handle = await fs.open(dirPath, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async freeBytes(target: string): Promise<number> {
    const s = await fs.statfs(target);
    return s.bavail * s.bsize;
  }

  /**
   * A lock file holding `<pid> <start time>` (the process start time from /proc, so a pid reused
   * by another program after a crash is not mistaken for the owner). Created with O_EXCL; a file
   * whose owner is gone is removed and the create retried once.
   */
  async lock(target: string): Promise<DiskLock> {
    const me = `${process.pid} ${await processStartTime(process.pid)}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await fs.open(target, 'wx');
        try {
          await handle.writeFile(`${me}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return {
          release: async () => {
            const now = await fs.readFile(target, 'utf8').catch((err: NodeJS.ErrnoException) => {
              if (err.code === 'ENOENT') return ''; // already gone (the dir was removed): nothing to release
              throw err;
            });
            if (now.trim() === me) await fs.rm(target, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [pidText, startText] = (await fs.readFile(target, 'utf8')).trim().split(/\s+/);
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && (await processAlive(pid, startText ?? ''))) {
        throw Object.assign(diskError('ELOCKED', 'lock', target), { holder: `process ${pid}` });
      }
      await fs.rm(target, { force: true }); // left by a process that is gone (kill -9, crash)
    }
    throw Object.assign(diskError('ELOCKED', 'lock', target), { holder: 'another process (it took the lock while we retried)' });
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or '' where /proc is missing. */
async function processStartTime(pid: number): Promise<string> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''; // no /proc (or no such process)
    throw err;
  }
}

async function processAlive(pid: number, startTime: string): Promise<boolean> {
  if (pid === process.pid) return true; // this very process already holds it
  try {
    process.kill(pid, 0);
  } catch (err) {
    // ESRCH: no such process. EPERM: it exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return startTime === '' || (await processStartTime(pid)) === startTime;
}
