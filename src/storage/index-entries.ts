/**
 * IndexEntries: the in-memory body of one sparse index file (offset or time index) and how it
 * reaches its file. Entries are fixed-size, big-endian, exactly as on disk, so persisting is a
 * plain write of a Buffer range; lookups read the same bytes.
 *
 * Persistence is append-only: persist() writes the entries added since the last persist at their
 * final file position, truncates the file if entries were dropped (log truncation) or if its old
 * contents are unknown (index rebuilt by recovery), then fsyncs. The owning LogSegment serialises
 * persist() with truncation; appends only add entries past the persisted range, so they may run
 * alongside a persist.
 *
 * Lifecycle: owned by an OffsetIndex or TimeIndex, which are owned by one LogSegment. An inactive
 * segment's persisted entries may be released (the file holds them) and loaded again from the file
 * when a read needs them (LogSegment), so memory does not grow with the data kept on disk.
 */
import assert from 'node:assert/strict';
import type { FileHandle } from '../io/disk.js';

const INITIAL_ENTRIES = 64;
const RELEASED = Buffer.alloc(0);

export class IndexEntries {
  readonly entryBytes: number;
  #buf: Buffer;
  #entries = 0;
  /** Leading entries known to be in the file with these exact bytes. */
  #persistedEntries = 0;
  /** Entries the file holds (-1 = unknown, e.g. a bad file that is being replaced). */
  #fileEntries = -1;
  /** The file was taken as empty without being read: the first persist() also cuts it to length. */
  #lengthUnchecked = false;
  #released = false;

  constructor(entryBytes: number) {
    this.entryBytes = entryBytes;
    this.#buf = Buffer.alloc(INITIAL_ENTRIES * entryBytes);
  }

  get entries(): number {
    return this.#entries;
  }

  /** The live entry bytes (a view; valid until the next append or truncation). */
  get bytes(): Buffer {
    this.#assertHeld();
    return this.#buf.subarray(0, this.#entries * this.entryBytes);
  }

  /** Raw storage for readers; entry i starts at i * entryBytes. */
  get buffer(): Buffer {
    this.#assertHeld();
    return this.#buf;
  }

  /** True while the entries live only in the file (release()); loadFromFile() brings them back. */
  get released(): boolean {
    return this.#released;
  }

  /** Drops the in-memory entries of an index whose file holds exactly them. */
  release(): void {
    assert.ok(this.persisted && !this.#lengthUnchecked, 'only a persisted index may be released');
    this.#buf = RELEASED;
    this.#released = true;
  }

  #assertHeld(): void {
    assert.ok(!this.#released, 'index entries used while released (load them from the file first)');
  }

  /** True when the file already holds exactly these entries. */
  get persisted(): boolean {
    return this.#persistedEntries === this.#entries && this.#fileEntries === this.#entries;
  }

  /** Reserves the next entry and returns its byte position in `buffer`. */
  appendSlot(): number {
    this.#assertHeld();
    const at = this.#entries * this.entryBytes;
    if (at + this.entryBytes > this.#buf.length) {
      const grown = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(grown, 0, 0, at);
      this.#buf = grown;
    }
    this.#entries++;
    return at;
  }

  truncateEntries(entries: number): void {
    this.#assertHeld();
    assert.ok(entries >= 0 && entries <= this.#entries);
    this.#entries = entries;
    if (this.#persistedEntries > entries) this.#persistedEntries = entries;
  }

  /** Takes entries read from the index file (already validated by the owner). */
  loadFromFile(fileBytes: Buffer): void {
    assert.equal(fileBytes.length % this.entryBytes, 0);
    const entries = fileBytes.length / this.entryBytes;
    this.#buf = Buffer.alloc(Math.max(INITIAL_ENTRIES, entries) * this.entryBytes);
    fileBytes.copy(this.#buf);
    this.#released = false;
    this.#entries = entries;
    this.#persistedEntries = entries;
    this.#fileEntries = entries;
  }

  /**
   * Takes the index as empty without reading its file (a trusted segment whose .log is empty can
   * index nothing): no write is due while it stays empty, and the first persist() also truncates
   * the file to its entries, so bytes a consistent file could not have held never survive behind them.
   */
  assumeEmptyFile(): void {
    this.#entries = 0;
    this.#persistedEntries = 0;
    this.#fileEntries = 0;
    this.#lengthUnchecked = true;
  }

  /** Forgets what the file holds: the next persist() rewrites it whole. */
  markFileStale(): void {
    this.#persistedEntries = 0;
    this.#fileEntries = -1;
  }

  /** Brings the file up to date with the in-memory entries and fsyncs it. */
  async persist(file: FileHandle): Promise<void> {
    const entries = this.#entries;
    const from = this.#persistedEntries;
    if (from < entries) {
      // A view of the current storage: growth copies into a new Buffer, so these bytes stay put.
      await file.write(this.#buf.subarray(from * this.entryBytes, entries * this.entryBytes), from * this.entryBytes);
    }
    if (this.#fileEntries === -1 || this.#fileEntries > entries || this.#lengthUnchecked) await file.truncate(entries * this.entryBytes);
    await file.sync();
    // Truncation is serialised with persist() by the owner, so `entries` is still a prefix of the live entries.
    assert.ok(this.#entries >= entries);
    this.#persistedEntries = entries;
    this.#fileEntries = entries;
    this.#lengthUnchecked = false;
  }
}

/** What the offset and time indexes share: entries of one segment and the bound that rolls it. */
export abstract class SparseIndex {
  readonly store: IndexEntries;

  constructor(
    readonly baseOffset: number,
    entryBytes: number,
    /** Entries allowed before the segment must roll (segmentIndexBytes / entryBytes). */
    public maxEntries: number,
  ) {
    this.store = new IndexEntries(entryBytes);
  }

  get entries(): number {
    return this.store.entries;
  }

  get isFull(): boolean {
    return this.store.entries >= this.maxEntries;
  }
}
