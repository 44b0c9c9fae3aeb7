/**
 * LeaderEpochCache: for one partition, the offset at which each leader epoch started (Kafka's
 * LeaderEpochFileCache). A leader adds an entry when it starts leading (epoch → its log end offset)
 * and whenever it appends in a newer epoch; a follower adds one when a fetched batch carries a newer
 * partitionLeaderEpoch. OffsetForLeaderEpoch answers from it, and a follower truncates its tail
 * with it after a leader change, so that a replica that diverged (wrote in an epoch the new leader
 * never saw) drops exactly its divergent suffix.
 *
 * On disk: `<logDir>/<topic>-<partition>/leader-epoch-checkpoint`, Kafka's text format:
 *
 *     0              format version
 *     2              number of entries
 *     0 0            epoch, start offset (one entry per line, space separated, epochs increasing,
 *     3 1742         start offsets non-decreasing)
 *
 * Replaced atomically (Disk.writeFileAtomic) after every change; writes are serialised. A missing
 * file is an empty cache; a malformed one is logged and treated as empty (the follower then falls
 * back to truncating to its high watermark, as Kafka does without epochs).
 *
 * Owner: replication/partition.ts (one per hosted partition). In-memory state changes at once;
 * `flushed()` resolves when the file matches it.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Disk } from '../io/disk.js';
import { diskErrorCode } from '../io/disk.js';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_OFFSET = -1;

export function encodeLeaderEpochCheckpoint(entries: readonly EpochEntry[]): Buffer {
  const lines = ['0', String(entries.length)];
  for (const e of entries) lines.push(`${e.epoch} ${e.startOffset}`);
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

/** Parses the file; returns a string (why) when malformed. */
export function decodeLeaderEpochCheckpoint(bytes: Buffer): EpochEntry[] | string {
  const lines = bytes.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== '0') return `unknown version line ${JSON.stringify(lines[0])}`;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) return `entry count ${JSON.stringify(lines[1])} does not match`;
  const out: EpochEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.split(' ');
    const epoch = Number(parts[0]);
    const startOffset = Number(parts[1]);
    if (parts.length !== 2 || !Number.isInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      return `line ${i + 1} is not "epoch offset": ${JSON.stringify(lines[i])}`;
    }
    const prev = out.at(-1);
    if (prev && (epoch <= prev.epoch || startOffset < prev.startOffset)) return `line ${i + 1} does not follow the previous entry`;
    out.push({ epoch, startOffset });
  }
  return out;
}

export class LeaderEpochCache {
  #entries: EpochEntry[];
  #writes: Promise<void> = Promise.resolve();
  #writeError: unknown = null;

  private constructor(
    private readonly disk: Disk,
    readonly file: string,
    entries: EpochEntry[],
  ) {
    this.#entries = entries;
  }

  /** Loads the checkpoint in `partitionDir` and drops entries at or past `logEndOffset` (a crash can leave them). */
  static async load(disk: Disk, partitionDir: string, logEndOffset: number, onMalformed: (why: string) => void): Promise<LeaderEpochCache> {
    const file = path.join(partitionDir, LEADER_EPOCH_CHECKPOINT_FILE);
    let entries: EpochEntry[] = [];
    try {
      const parsed = decodeLeaderEpochCheckpoint(await disk.readFile(file));
      if (typeof parsed === 'string') onMalformed(parsed);
      else entries = parsed;
    } catch (err) {
      if (diskErrorCode(err) !== 'ENOENT') throw err;
    }
    const cache = new LeaderEpochCache(disk, file, entries);
    // An entry starting past the log end belongs to bytes that did not survive; an entry starting
    // exactly at the log end (a leader that has not appended yet in its epoch) is kept.
    if (entries.some((e) => e.startOffset > logEndOffset)) cache.truncateFromEnd(logEndOffset);
    return cache;
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  get latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Ignored when `epoch` is not newer than the latest
   * entry (appends within an epoch, or a stale epoch). Returns true when the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    assert.ok(Number.isInteger(epoch) && Number.isSafeInteger(startOffset) && startOffset >= 0);
    if (epoch < 0) return false;
    const last = this.#entries.at(-1);
    if (last && epoch <= last.epoch) return false;
    // As Kafka: entries starting at or after the new start cover no records of their own (a leader
    // elected again before appending, or bytes since truncated); the newer epoch replaces them.
    const kept = this.#entries.filter((e) => e.startOffset < startOffset);
    this.#entries = [...kept, { epoch, startOffset }];
    this.#persist();
    return true;
  }

  /** Removes entries starting at or after `endOffset` (after the log was truncated to `endOffset`). */
  truncateFromEnd(endOffset: number): void {
    const kept = this.#entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.#entries.length) return;
    this.#entries = kept;
    this.#persist();
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= `requestedEpoch` that this log knows, and the offset
   * where that epoch ended (the start of the next known epoch, or `logEndOffset` for the latest).
   * Requested epoch newer than anything known, or no entries: (UNDEFINED_EPOCH, UNDEFINED_OFFSET).
   * Requested epoch older than every entry: (requestedEpoch, first entry's start offset).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const entries = this.#entries;
    if (requestedEpoch === UNDEFINED_EPOCH || entries.length === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    const latest = entries.at(-1)!;
    if (requestedEpoch === latest.epoch) return { epoch: latest.epoch, endOffset: logEndOffset };
    const higherIndex = entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higherIndex < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    const higher = entries[higherIndex]!;
    if (higherIndex === 0) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: entries[higherIndex - 1]!.epoch, endOffset: higher.startOffset };
  }

  /** Resolves once the file reflects every change made so far; rejects if a write failed. */
  async flushed(): Promise<void> {
    await this.#writes;
    if (this.#writeError !== null) throw this.#writeError;
  }

  #persist(): void {
    this.#writes = this.#writes.then(async () => {
      try {
        await this.disk.writeFileAtomic(this.file, encodeLeaderEpochCheckpoint(this.#entries));
        this.#writeError = null;
      } catch (err) {
        // Recorded, reported by flushed(); the next change retries with the then-current entries.
        this.#writeError = err;
      }
    });
  }
}
