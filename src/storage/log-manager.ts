/**
 * LogManager: owns every PartitionLog of the broker across its log dirs (log.dirs), in Kafka's
 * layout:
 *
 *     <logDir>/
 *       .samsa-clean-shutdown              present only between a clean close() and the next open()
 *       recovery-point-offset-checkpoint   per partition: offset below which all is fsynced
 *       log-start-offset-checkpoint        per partition: first offset still readable
 *       <topic>-<partition>/               one PartitionLog (segments, indexes)
 *       <topic>-<partition>.<id>-delete/   a deleted log, being removed in the background
 *
 * open() finds every partition directory and opens (recovers) it. After a clean shutdown segments
 * are trusted; otherwise each log re-checks the segments from its checkpointed recovery point on.
 * The checkpoint files are rewritten after recovery, on each flusher tick when something changed,
 * whenever a log moves its start offset or lowers its recovery point, and at close(), which also
 * writes the clean-shutdown marker for every log dir whose logs all closed cleanly.
 *
 * Background work runs on two Clock intervals (unref'd, one for retention and one for flushing),
 * never per-partition timers; a tick is skipped while the previous one still runs.
 *
 * Owner: the broker (created in main, closed at shutdown). Callers: replication and handlers
 * (getLog, createLog, deleteLog), admin tools (allLogs).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Clock, Timer } from '../io/clock.js';
import type { Disk } from '../io/disk.js';
import type { Random } from '../io/random.js';
import { logger } from '../log.js';
import {
  checkpointKey,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  readOffsetCheckpoint,
  RECOVERY_POINT_CHECKPOINT_FILE,
  sameCheckpointEntries,
  writeOffsetCheckpoint,
  type CheckpointEntry,
} from './checkpoint-file.js';
import { StorageError } from './errors.js';
import { validateLogConfig, type LogConfig } from './log-config.js';
import { LogCleaner } from './log-cleaner.js';
import { PartitionLog } from './partition-log.js';
import { TailCacheBudget } from './tail-cache.js';
import { WriteBehind, type WriteBehindStats } from './write-behind.js';
import { BackgroundQueue } from './background-queue.js';
import { forEachLimit } from '../for-each-limit.js';

export const CLEAN_SHUTDOWN_FILE = '.samsa-clean-shutdown';
/** The KRaft metadata log's directory (Kafka's name); not a data partition. */
const METADATA_LOG_DIR_NAME = '__cluster_metadata-0';
const DELETE_DIR_SUFFIX = '-delete';
/** Directories Kafka uses for moves between log dirs; we neither create nor open them. */
const OTHER_DIR_SUFFIXES = ['-future', '-stray'];
/** Logs opened (recovered) at once per log dir (Kafka: num.recovery.threads.per.data.dir). */
const RECOVERY_CONCURRENCY = 8;
/**
 * Logs opened at once after a clean shutdown, and closed at once: each is a short chain of small
 * file calls (no scan), so more of them in flight keep the thread pool busy (10,000 partitions: issue 15).
 */
const CLEAN_OPEN_CONCURRENCY = 32;

export interface LogManagerOptions {
  disk: Disk;
  clock: Clock;
  logDirs: string[];
  defaults: LogConfig;
  /** Ids for deleted-log directory names; without it they come from the clock and a counter. */
  random?: Random;
  /** Topic overrides of `defaults` for logs found at open(); undefined means the defaults. */
  topicConfig?: (topic: string) => LogConfig | undefined;
  /**
   * Called when a log in `logDir` goes offline on an I/O failure (a full disk, a failing device):
   * Kafka then holds the whole dir failed; `failedDirs` are all the dirs failed so far. The broker
   * stops when every log dir has failed, as Kafka does, so that its partitions are led elsewhere.
   */
  onLogDirFailure?: (logDir: string, failedDirs: ReadonlySet<string>, err: Error) => void;
  /** samsa.log.tail.cache.bytes: the memory every log's tail cache shares (tail-cache.ts); 0 or none = off. */
  tailCacheBytes?: number;
  /** samsa.log.write.behind.bytes: unsynced bytes of an active segment that start its fsync (write-behind.ts); 0 or none = off. */
  writeBehindBytes?: number;
}

/** `<topic>-<partition>` → its parts; the partition follows the last '-'. Null for anything else. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  if (name.endsWith(DELETE_DIR_SUFFIX) || OTHER_DIR_SUFFIXES.some((s) => name.endsWith(s))) return null;
  const dash = name.lastIndexOf('-');
  if (dash <= 0 || dash === name.length - 1) return null;
  const digits = name.slice(dash + 1);
  if (!/^[0-9]+$/.test(digits)) return null;
  const partition = Number(digits);
  if (!Number.isSafeInteger(partition) || partition > 2_147_483_647) return null;
  return { topic: name.slice(0, dash), partition };
}

interface LogEntry {
  /** Null while open() is still recovering it. */
  log: PartitionLog | null;
  logDir: string;
}

export class LogManager {
  readonly #disk: Disk;
  readonly #clock: Clock;
  readonly #logDirs: readonly string[];
  readonly #random: Random | undefined;
  readonly #topicConfig: ((topic: string) => LogConfig | undefined) | undefined;
  readonly #onLogDirFailure: LogManagerOptions['onLogDirFailure'];
  readonly #failedDirs = new Set<string>();
  readonly #log = logger('log-manager');
  #defaults: LogConfig;
  readonly #logs = new Map<string, LogEntry>();
  readonly #creating = new Map<string, { done: Promise<PartitionLog>; logDir: string }>();
  /** Serialises checkpoint writes per log dir. */
  readonly #checkpointQueues = new Map<string, Promise<unknown>>();
  /** Last checkpoint contents written per log dir and file, to skip unchanged rewrites. */
  readonly #lastCheckpoint = new Map<string, CheckpointEntry[]>();
  readonly #backgroundRemovals = new Set<Promise<void>>();
  readonly #runningTasks = new Map<string, Promise<void>>();
  readonly #cleaner: LogCleaner;
  readonly #tailCacheBudget: TailCacheBudget;
  readonly #writeBehind: WriteBehind;
  /** Background file work, one task at a time for the broker: write-behind syncs, removals of retired segments and deleted log dirs. */
  readonly #background = new BackgroundQueue();
  #timers: Timer[] = [];
  #deleteIdCounter = 0;
  #state: 'new' | 'open' | 'closing' | 'closed' = 'new';

  /** The tail cache shared by every log (samsa.log.tail.cache.bytes): bytes held (free chunk buffers included), reads answered from it and not. */
  tailCacheStats(): { bytes: number; hits: number; misses: number } {
    const b = this.#tailCacheBudget;
    return { bytes: b.bytes + b.freeBytes, hits: b.hits, misses: b.misses };
  }

  /** The write-behind shared by every log (samsa.log.write.behind.bytes). */
  writeBehindStats(): WriteBehindStats {
    return this.#writeBehind.stats();
  }

  /** Log dirs where a log went offline on an I/O failure. */
  get failedLogDirs(): ReadonlySet<string> {
    return this.#failedDirs;
  }

  #logDirFailed(logDir: string, err: Error): void {
    const first = !this.#failedDirs.has(logDir);
    this.#failedDirs.add(logDir);
    if (first) this.#log.error({ logDir, err: err.message }, `log dir ${logDir} failed (${this.#failedDirs.size} of ${this.#logDirs.length} failed)`);
    this.#onLogDirFailure?.(logDir, this.#failedDirs, err);
  }

  constructor(opts: LogManagerOptions) {
    assert.ok(opts.logDirs.length > 0, 'at least one log dir');
    validateLogConfig(opts.defaults);
    this.#disk = opts.disk;
    this.#clock = opts.clock;
    this.#logDirs = [...opts.logDirs];
    this.#defaults = opts.defaults;
    this.#random = opts.random;
    this.#topicConfig = opts.topicConfig;
    this.#onLogDirFailure = opts.onLogDirFailure;
    this.#cleaner = new LogCleaner({ clock: opts.clock });
    this.#tailCacheBudget = new TailCacheBudget(opts.tailCacheBytes ?? 0);
    this.#writeBehind = new WriteBehind(opts.writeBehindBytes ?? 0, this.#background);
  }

  get logDirs(): readonly string[] {
    return this.#logDirs;
  }

  get defaults(): LogConfig {
    return this.#defaults;
  }

  /** Scans every log dir and opens (recovers) every partition directory in it. */
  async open(): Promise<void> {
    assert.equal(this.#state, 'new', 'open() runs once');
    await Promise.all(this.#logDirs.map((logDir) => this.#openLogDir(logDir)));
    this.#state = 'open';
  }

  async #openLogDir(logDir: string): Promise<void> {
    const disk = this.#disk;
    await disk.mkdir(logDir);
    const markerPath = path.join(logDir, CLEAN_SHUTDOWN_FILE);
    const cleanShutdown = (await disk.stat(markerPath)) !== null;
    const recoveryPoints = await this.#readCheckpoint(logDir, RECOVERY_POINT_CHECKPOINT_FILE);
    const logStartOffsets = await this.#readCheckpoint(logDir, LOG_START_OFFSET_CHECKPOINT_FILE);
    const toOpen: { name: string; topic: string; partition: number }[] = [];
    for (const entry of await disk.readdir(logDir)) {
      if (!entry.isDirectory) continue;
      if (entry.name === METADATA_LOG_DIR_NAME) continue; // the KRaft metadata log: opened by its owner (cluster/kraft)
      if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.#removeInBackground(path.join(logDir, entry.name));
        continue;
      }
      const parsed = parsePartitionDirName(entry.name);
      if (parsed === null) {
        this.#log.warn({ dir: path.join(logDir, entry.name) }, 'ignoring a directory that is not <topic>-<partition>');
        continue;
      }
      const key = checkpointKey(parsed.topic, parsed.partition);
      const other = this.#logs.get(key);
      if (other) {
        throw new StorageError('invalidConfig', `duplicate log directories for ${key}: in ${other.logDir} and ${logDir}`);
      }
      // Reserve the key now so another log dir opened in parallel detects the duplicate.
      this.#logs.set(key, { log: null, logDir });
      toOpen.push({ name: entry.name, ...parsed });
    }
    await forEachLimit(toOpen, cleanShutdown ? CLEAN_OPEN_CONCURRENCY : RECOVERY_CONCURRENCY, async ({ name, topic, partition }) => {
      const log = await PartitionLog.open({
        disk,
        clock: this.#clock,
        dir: path.join(logDir, name),
        topic,
        partition,
        config: this.#topicConfig?.(topic) ?? this.#defaults,
        recoveryPoint: recoveryPoints.get(name),
        logStartOffset: logStartOffsets.get(name),
        cleanShutdown,
        dirExists: true,
        onCheckpointNeeded: () => this.#writeCheckpoints(logDir),
        onOffline: (err) => this.#logDirFailed(logDir, err),
        tailCacheBudget: this.#tailCacheBudget,
        writeBehind: this.#writeBehind,
        background: this.#background,
      });
      this.#logs.set(checkpointKey(topic, partition), { log, logDir });
    });
    this.#log.info({ logDir, logs: toOpen.length, cleanShutdown }, 'log dir loaded');
    await this.#writeCheckpoints(logDir);
    // From here on the dir holds unflushed data until the next clean close().
    await disk.rm(markerPath);
  }

  async #readCheckpoint(logDir: string, file: string): Promise<Map<string, number>> {
    const filePath = path.join(logDir, file);
    const result = await readOffsetCheckpoint(this.#disk, filePath);
    if (typeof result === 'string') {
      // A malformed checkpoint only costs a longer recovery (every segment is checked).
      this.#log.warn({ file: filePath, reason: result }, 'ignoring malformed checkpoint file');
      return new Map();
    }
    return result ?? new Map();
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    const entry = this.#logs.get(checkpointKey(topic, partition));
    return entry?.log ?? undefined;
  }

  allLogs(): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const e of this.#logs.values()) if (e.log) out.push(e.log);
    return out;
  }

  /** The log dir holding a partition's log, or undefined. */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.#logs.get(checkpointKey(topic, partition))?.logDir;
  }

  /**
   * Creates the log for a new partition in the log dir with the fewest partitions, or returns the
   * existing one (its config is then left unchanged; use updateConfig).
   */
  async createLog(topic: string, partition: number, config: LogConfig = this.#defaults): Promise<PartitionLog> {
    assert.equal(this.#state, 'open', 'createLog needs an open LogManager');
    assert.ok(topic.length > 0 && topic !== '.' && topic !== '..' && !/[/\\\s]/.test(topic), `bad topic name ${JSON.stringify(topic)}`);
    assert.ok(Number.isInteger(partition) && partition >= 0, `bad partition ${partition}`);
    const key = checkpointKey(topic, partition);
    const existing = this.#logs.get(key)?.log;
    if (existing) return existing;
    const inFlight = this.#creating.get(key);
    if (inFlight) return inFlight.done;
    const logDir = this.#leastLoadedLogDir();
    const creation = (async () => {
      const log = await PartitionLog.open({
        disk: this.#disk,
        clock: this.#clock,
        dir: path.join(logDir, key),
        topic,
        partition,
        config,
        onCheckpointNeeded: () => this.#writeCheckpoints(logDir),
        onOffline: (err) => this.#logDirFailed(logDir, err),
        tailCacheBudget: this.#tailCacheBudget,
        writeBehind: this.#writeBehind,
        background: this.#background,
      });
      this.#logs.set(key, { log, logDir });
      this.#log.info({ topic, partition, dir: log.dir }, 'created log');
      return log;
    })();
    this.#creating.set(key, { done: creation, logDir });
    try {
      return await creation;
    } finally {
      this.#creating.delete(key);
    }
  }

  #leastLoadedLogDir(): string {
    if (this.#logDirs.length === 1) return this.#logDirs[0]!; // no walk over every log per creation
    const counts = new Map<string, number>(this.#logDirs.map((d) => [d, 0]));
    for (const e of [...this.#logs.values(), ...this.#creating.values()]) counts.set(e.logDir, (counts.get(e.logDir) ?? 0) + 1);
    let best = this.#logDirs[0]!;
    for (const d of this.#logDirs) if (counts.get(d)! < counts.get(best)!) best = d;
    return best;
  }

  /**
   * Closes the log without flushing, renames its directory to `<topic>-<partition>.<id>-delete`
   * (so a restart never sees it as live) and removes it in the background.
   */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const key = checkpointKey(topic, partition);
    const entry = this.#logs.get(key);
    if (!entry || !entry.log) throw new StorageError('logNotFound', `no log for ${key}`);
    this.#logs.delete(key);
    await entry.log.close({ flush: false });
    const target = path.join(entry.logDir, `${key}.${this.#deleteId()}${DELETE_DIR_SUFFIX}`);
    await this.#disk.rename(entry.log.dir, target);
    this.#log.info({ topic, partition, dir: target }, 'deleted log; removing its files in the background');
    this.#removeInBackground(target);
    await this.#writeCheckpoints(entry.logDir);
  }

  #deleteId(): string {
    if (this.#random) return this.#random.uuid().replaceAll('-', '');
    const n = this.#deleteIdCounter++;
    return this.#clock.nowMs().toString(16).padStart(16, '0') + n.toString(16).padStart(16, '0');
  }

  #removeInBackground(dirPath: string): void {
    const done = this.#background.run(() => this.#disk.rm(dirPath)).catch((err: unknown) => {
      // Logged, not fatal: the directory is retried at the next open().
      this.#log.error({ err, dir: dirPath }, 'removing a deleted log directory failed');
    });
    this.#backgroundRemovals.add(done);
    void done.then(() => this.#backgroundRemovals.delete(done));
  }

  // ---------------------------------------------------------------- background tasks

  /**
   * Starts retention and flush checks on unref'd Clock intervals, and, when `cleanerBackoffMs` > 0,
   * the log cleaner (compaction of cleanup.policy=compact logs) every `cleanerBackoffMs`
   * (the broker passes log.cleaner.backoff.ms, Kafka's default 15 s, unless log.cleaner.enable=false).
   */
  startBackgroundTasks(opts: { retentionCheckIntervalMs: number; flushCheckIntervalMs: number; cleanerBackoffMs?: number }): void {
    assert.equal(this.#state, 'open');
    assert.equal(this.#timers.length, 0, 'background tasks already started');
    assert.ok(opts.retentionCheckIntervalMs > 0 && opts.flushCheckIntervalMs > 0);
    this.#timers.push(
      this.#clock.setInterval(opts.retentionCheckIntervalMs, () => this.#runTask('retention', () => this.retentionTick()), { unref: true }),
      this.#clock.setInterval(opts.flushCheckIntervalMs, () => this.#runTask('flush', () => this.flushTick()), { unref: true }),
    );
    const cleanerBackoffMs = opts.cleanerBackoffMs ?? 0;
    if (cleanerBackoffMs > 0) {
      this.#timers.push(this.#clock.setInterval(cleanerBackoffMs, () => this.#runTask('cleaner', () => this.cleanerTick()), { unref: true }));
    }
  }

  #runTask(name: string, fn: () => Promise<void>): void {
    if (this.#runningTasks.has(name) || this.#state !== 'open') return; // the previous tick is still busy
    const run = fn()
      .catch((err: unknown) => {
        // Per-log failures are logged inside the tick; this is anything else, logged and retried next tick.
        if (err instanceof assert.AssertionError) throw err;
        this.#log.error({ err, task: name }, 'background task failed');
      })
      .finally(() => this.#runningTasks.delete(name));
    this.#runningTasks.set(name, run);
  }

  /** One retention pass over every log (what the retention timer runs). */
  async retentionTick(): Promise<void> {
    for (const log of this.allLogs()) {
      if (log.offline || log.closed) continue;
      try {
        await log.applyRetention();
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        // One failing log must not stop retention for the others; the log already reported I/O failures.
        this.#log.error({ err, topic: log.topic, partition: log.partition }, 'retention failed');
      }
    }
  }

  /** One log cleaner pass over the compacted logs (what the cleaner timer runs). */
  async cleanerTick(): Promise<void> {
    await this.#cleaner.cleanTick(this.allLogs());
  }

  /** One flusher pass: flushes logs whose flushIntervalMs elapsed, then checkpoints changed recovery points. */
  async flushTick(): Promise<void> {
    for (const log of this.allLogs()) {
      try {
        await log.flushIfDue();
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        // As above: logged per log, the others still get flushed.
        this.#log.error({ err, topic: log.topic, partition: log.partition }, 'flush failed');
      }
    }
    for (const logDir of this.#logDirs) await this.#writeCheckpoints(logDir);
  }

  // ---------------------------------------------------------------- checkpoints

  /** Rewrites both checkpoint files of every log dir (when their contents changed). */
  async checkpoint(): Promise<void> {
    for (const logDir of this.#logDirs) await this.#writeCheckpoints(logDir);
  }

  #writeCheckpoints(logDir: string): Promise<void> {
    const previous = this.#checkpointQueues.get(logDir) ?? Promise.resolve();
    const run = previous.then(async () => {
      const recoveryPoints: CheckpointEntry[] = [];
      const startOffsets: CheckpointEntry[] = [];
      const logs: PartitionLog[] = [];
      for (const e of this.#logs.values()) if (e.logDir === logDir && e.log) logs.push(e.log);
      logs.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      for (const log of logs) {
        recoveryPoints.push({ topic: log.topic, partition: log.partition, offset: log.recoveryPoint });
        startOffsets.push({ topic: log.topic, partition: log.partition, offset: log.logStartOffset });
      }
      await this.#writeIfChanged(logDir, RECOVERY_POINT_CHECKPOINT_FILE, recoveryPoints);
      await this.#writeIfChanged(logDir, LOG_START_OFFSET_CHECKPOINT_FILE, startOffsets);
    });
    // The chain only orders writes; each caller gets its own outcome through `run`.
    this.#checkpointQueues.set(
      logDir,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  }

  async #writeIfChanged(logDir: string, file: string, entries: CheckpointEntry[]): Promise<void> {
    const filePath = path.join(logDir, file);
    if (sameCheckpointEntries(this.#lastCheckpoint.get(filePath), entries)) return;
    await writeOffsetCheckpoint(this.#disk, filePath, entries);
    this.#lastCheckpoint.set(filePath, entries);
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Stops background tasks, closes every log (flush, indexes, files), writes the checkpoints and,
   * for each log dir whose logs all closed cleanly, the clean-shutdown marker.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    this.#state = 'closing';
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    await Promise.all([...this.#runningTasks.values()]);
    const cleanDirs = new Set(this.#logDirs);
    await Promise.all(
      this.#logDirs.map(async (logDir) => {
        const logs: PartitionLog[] = [];
        for (const e of this.#logs.values()) if (e.logDir === logDir && e.log) logs.push(e.log);
        await forEachLimit(logs, CLEAN_OPEN_CONCURRENCY, async (log) => {
          try {
            await log.close();
          } catch (err) {
            if (err instanceof assert.AssertionError) throw err;
            // The log reported its own I/O failure; the dir just is not clean.
            this.#log.error({ err, topic: log.topic, partition: log.partition }, 'closing log failed');
          }
          if (log.offline) cleanDirs.delete(logDir);
        });
      }),
    );
    await Promise.all([...this.#backgroundRemovals]);
    for (const logDir of this.#logDirs) {
      try {
        await this.#writeCheckpoints(logDir);
        if (cleanDirs.has(logDir)) await this.#disk.writeFileAtomic(path.join(logDir, CLEAN_SHUTDOWN_FILE), Buffer.alloc(0));
      } catch (err) {
        // Without the marker the next start runs a full recovery of this dir, which is safe.
        this.#log.error({ err, logDir }, 'writing checkpoints or the clean-shutdown marker failed');
      }
    }
    this.#state = 'closed';
  }
}
