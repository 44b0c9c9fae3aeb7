/**
 * Disk: the only way broker code touches files. Storage (segments, indexes, checkpoints) goes
 * through this interface so that tests and the simulator can substitute io/memory/disk.ts, which
 * can also inject faults (ENOSPC after N bytes, crashes that drop unsynced bytes).
 * Production uses io/node/disk.ts over node:fs/promises.
 *
 * Errors are Node-style: an Error with a string `code` ('ENOENT', 'ENOSPC', 'EIO', ...), so callers
 * can tell a missing file from a failing disk with `diskErrorCode(err)`.
 */

/**
 * How a file is opened:
 *   'r'  read only; the file must exist.
 *   'r+' read and write; the file must exist.
 *   'w+' read and write; created if missing, emptied if present.
 *   'c+' read and write; created if missing, never emptied (O_RDWR | O_CREAT).
 * There is no append mode: every write names its position.
 */
export type OpenFlags = 'r' | 'r+' | 'w+' | 'c+';

export interface FileHandle {
  /** Reads up to `length` bytes at file `position` into `buf[bufOffset..]`; fewer only at end of file. */
  read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number>;
  /** Writes all of `buf` at file `position` (looping over short writes) and returns buf.length. */
  write(buf: Buffer, position: number): Promise<number>;
  /** fsync: everything written so far survives a crash once this resolves. */
  sync(): Promise<void>;
  truncate(lengthBytes: number): Promise<void>;
  /** Current file size in bytes. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface FileStat {
  sizeBytes: number;
  isDirectory: boolean;
}

export interface Disk {
  /** Creates the directory and any missing parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Entries of a directory (names only, no path), in no particular order. */
  readdir(path: string): Promise<DirEntry[]>;
  /** Removes a file or a directory tree; no error if it is missing. */
  rm(path: string): Promise<void>;
  /** Atomic rename within one file system; replaces `to` if it is a file. */
  rename(from: string, to: string): Promise<void>;
  /** Size and kind, or null when nothing exists at `path`. */
  stat(path: string): Promise<FileStat | null>;
  /** Whole file contents; rejects with code 'ENOENT' when missing. */
  readFile(path: string): Promise<Buffer>;
  /** Writes `<path>.tmp`, fsyncs it, renames it over `path` and fsyncs the directory. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  open(path: string, flags: OpenFlags): Promise<FileHandle>;
  /** fsync of a directory, so that files created or renamed in it survive a crash. */
  syncDir(path: string): Promise<void>;
  /** Free bytes on the file system holding `path`, when the implementation can tell. */
  freeBytes?(path: string): Promise<number>;
  /**
   * Takes the lock file `path` for this process (Kafka's `.lock` in every log dir), so two brokers
   * never share a directory. Rejects with code 'ELOCKED' (and `holder`, a description of the
   * owner) while another live process holds it; a lock left by a dead process is taken over.
   */
  lock(path: string): Promise<DiskLock>;
  /** Where file writes ran so far (implementations that choose: io/node/disk.ts), for metrics. */
  writeStats?(): DiskWriteStats;
}

/**
 * When a Disk that runs small writes inline (on the calling thread; io/node/disk.ts) sends them to
 * the thread pool for a while instead. Declared once here: the metrics' help strings quote them.
 * - A stall: `stallsMax` inline writes slower than `stallMs` within `stallWindowMs` and within
 *   `stallRunWrites` consecutive inline writes, or one slower than `stallAloneMs`. Slow writes far
 *   apart among fast ones are the scheduler preempting a busy machine, not the kernel throttling
 *   dirty pages (throttling that spreads its pauses out shows as the share below).
 * - Costly: inline writes took more than `shareMax` of the time over `shareWindowMs` (new
 *   page-cache pages can cost a host fault each on a VM that reports free memory) and took
 *   `costlyWriteMsMin` each on average: cheaper writes cost the event loop less than handing them
 *   to the pool does (~20 µs of CPU per pooled append against ~5 inline, docs/PERFORMANCE.md), so
 *   moving many small writes to the pool adds work on a busy machine instead of removing it.
 * Either moves writes to the pool for `backoffMsMin`, doubling up to `backoffMsMax` while it
 * recurs within `backoffMemoryMs` of the last period's end.
 */
export const inlineWriteGuard = {
  stallMs: 10,
  stallsMax: 3,
  stallWindowMs: 1000,
  stallRunWrites: 16,
  stallAloneMs: 100,
  shareMax: 0.25,
  shareWindowMs: 1000,
  costlyWriteMsMin: 0.015,
  backoffMsMin: 1000,
  backoffMsMax: 10_000,
  backoffMemoryMs: 60_000,
} as const;

/** Writes run on the calling thread, through the thread pool, inline ones slower than the stall bound, and moves to the pool because inline writes took too large a share of the event loop. */
export interface DiskWriteStats {
  inline: number;
  pooled: number;
  slow: number;
  costly: number;
}

export interface DiskLock {
  /** Gives the lock up (removes the file). */
  release(): Promise<void>;
}

/** The Node-style error code of a disk error ('ENOSPC', 'EIO', 'ENOENT', ...), or undefined. */
export function diskErrorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** The holder named by an 'ELOCKED' error, e.g. "process 4242". */
export function lockHolder(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'holder' in err && typeof err.holder === 'string') return err.holder;
  return undefined;
}

/** Builds a Node-style disk error; used by io/memory/disk.ts and by tests. */
export function diskError(code: string, syscall: string, path: string): Error & { code: string; syscall: string; path: string } {
  const err = new Error(`${code}: ${syscall} '${path}'`) as Error & { code: string; syscall: string; path: string };
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}
