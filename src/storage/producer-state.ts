/**
 * ProducerStateManager: per-partition idempotent-producer state (≈ Kafka's ProducerStateManager,
 * KIP-98 / KIP-360 rules; our own code). For every producerId seen in the partition it keeps the
 * producer epoch and the metadata of the last BATCHES_RETAINED (5) batches: firstSeq, lastSeq,
 * firstOffset, lastOffset, timestampMs. Batches with producerId -1 (not idempotent) skip all of it.
 *
 * Rules for a leader append (`ProducerStateTx.checkLeader`), in order:
 * 1. Duplicate: same epoch as the producer's entry and (firstSeq, lastSeq) equal to one of the 5
 *    cached batches → not appended; the caller answers success with the ORIGINAL offsets (what
 *    Kafka ≥ 1.0 does; older brokers answered DUPLICATE_SEQUENCE_NUMBER).
 * 2. Stale epoch (batch epoch < entry epoch) → 'invalidProducerEpoch' (INVALID_PRODUCER_EPOCH).
 * 3. Bumped epoch (batch epoch > entry epoch) must start at sequence 0, else 'outOfOrderSequence'.
 * 4. Same epoch: firstSeq must be lastSeq + 1 (Int32 max wraps to 0), else 'outOfOrderSequence'
 *    (a gap, or an older batch no longer among the 5 cached).
 * 5. Unknown producerId (never seen, expired, or its batches removed by retention / truncation):
 *    accepted with any sequence. Kafka ≥ 2.5 does the same for a producer without state
 *    (it answers UNKNOWN_PRODUCER_ID only in narrow cases); we never answer UNKNOWN_PRODUCER_ID,
 *    because librdkafka treats it as fatal for some versions and kafkajs does not handle it at
 *    all, while accepting only costs deduplication of a retry that crosses the expiry.
 * Followers (`recordFollower`) and rebuilds from the log record every batch without checks.
 *
 * Transactions (KIP-98): each producer also has `coordinatorEpoch` (-1 until a marker is seen) and
 * `currentTxnFirstOffset` (the first offset of its ongoing transaction, or null). A transactional
 * data batch from a producer without an ongoing transaction starts one at its first offset; a
 * non-transactional batch while one is ongoing is 'invalidTxnState' (INVALID_TXN_STATE). A
 * transaction marker (control batch, control-batch.ts) ends it: on the leader it is checked first
 * (`checkMarker`): marker epoch older than the producer's → 'invalidProducerEpoch', coordinator
 * epoch older than the stored one → 'transactionCoordinatorFenced'; a marker for a producer
 * without an ongoing transaction (or an unknown producer) is still written, as Kafka does, and
 * completes an empty transaction at the marker's own offset. A marker may carry a newer producer
 * epoch (the coordinator fenced the producer): the entry takes it. Every completed transaction is
 * returned to the caller (an aborted one goes into the txn index) and stays "unreplicated" until the
 * high watermark passes its marker (`onHighWatermark`): until then it holds the last stable offset
 * back (`firstUnstableOffset` = the smallest first offset of ongoing and unreplicated transactions).
 * Producers with an ongoing transaction never expire.
 *
 * Transactions: checks of one gathered leader write run against a `ProducerStateTx` layered on the
 * manager (and a per-request tx layered on the group tx), so a rejected request leaves no trace and
 * nothing reaches the manager before the bytes are written (`commit`).
 *
 * Expiry: `removeExpired(nowMs)` drops producers whose last append is older than
 * producer.id.expiration.ms (default 86400000); PartitionLog calls it from the retention task.
 * Live appends stamp the broker clock; state rebuilt from the log uses the batch maxTimestamp.
 *
 * Snapshot file `<offset>.snapshot` (20-digit offset: the state covers every batch below it),
 * big-endian, version 2 (written) or 1 (still read: coordinatorEpoch -1, no ongoing transaction):
 *   int16 version | uint32 crc32c of everything after this field | int32 producerCount
 *   producerCount × { int64 producerId | int16 epoch | int64 lastTimestampMs |
 *                     v2 only: int32 coordinatorEpoch | int64 currentTxnFirstOffset (-1 = none) |
 *                     int32 batchCount
 *                     batchCount × { int32 firstSeq | int32 lastSeq | int64 firstOffset | int64 lastOffset | int64 timestampMs } }
 * Completed transactions not yet below the high watermark are not in the snapshot: the tail replay
 * after it finds those after the snapshot offset again; older ones are taken as replicated.
 * Written atomically (tmp + fsync + rename) by PartitionLog on roll and close; a snapshot that
 * fails its CRC or version check is ignored (the tail scan then starts from an older snapshot or
 * the active segment).
 *
 * Owner: one per PartitionLog; used only on the log's serial queue (no internal locking).
 */
import assert from 'node:assert/strict';
import { crc32c } from '../protocol/records/crc32c.js';

export const BATCHES_RETAINED = 5;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const PRODUCER_ID_EXPIRATION_MS_DEFAULT = 86_400_000;
export const SNAPSHOT_FILE_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_VERSION_V1 = 1;
const NO_OFFSET = -1;
const INT32_MAX = 0x7fffffff;
/** Per producer before its batches: id, epoch, lastTimestampMs, batchCount (+ coordinatorEpoch, currentTxnFirstOffset in v2). */
const PRODUCER_HEADER_BYTES_V1 = 8 + 2 + 8 + 4;
const PRODUCER_HEADER_BYTES_V2 = PRODUCER_HEADER_BYTES_V1 + 4 + 8;
const BATCH_ENTRY_BYTES = 4 + 4 + 8 + 8 + 8;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestampMs: number;
}

export interface ProducerEntry {
  epoch: number;
  /** Oldest first, at most BATCHES_RETAINED. */
  batches: BatchMetadata[];
  /** When the producer last appended (broker clock for live appends, batch maxTimestamp on rebuild). */
  lastTimestampMs: number;
  /** Epoch of the transaction coordinator that wrote this producer's last marker; -1 before any. */
  coordinatorEpoch: number;
  /** First offset of the producer's ongoing transaction, or null. */
  currentTxnFirstOffset: number | null;
}

/** A transaction ended by a marker: its producer, first data offset and the marker's offset. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
  aborted: boolean;
}

/** The producer fields of one batch, plus its record span (lastOffsetDelta). */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  /** The batch's transactional attribute bit (absent: false). */
  transactional?: boolean;
}

export type ProducerStateErrorKind = 'outOfOrderSequence' | 'invalidProducerEpoch' | 'transactionCoordinatorFenced' | 'invalidTxnState';

export class ProducerStateError extends Error {
  constructor(
    readonly kind: ProducerStateErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ProducerStateError';
  }
}

/** `seq + delta` with Kafka's wrap: past Int32 max the sequence continues at 0. */
export function incrementSequence(seq: number, delta: number): number {
  if (seq > INT32_MAX - delta) return delta - (INT32_MAX - seq) - 1;
  return seq + delta;
}

/** True when `next` directly follows `last` (Int32 max is followed by 0). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

function cloneEntry(e: ProducerEntry): ProducerEntry {
  return { ...e, batches: e.batches.slice() };
}

function newEntry(epoch: number, timestampMs: number, previous: ProducerEntry | undefined): ProducerEntry {
  return {
    epoch,
    batches: [],
    lastTimestampMs: timestampMs,
    coordinatorEpoch: previous?.coordinatorEpoch ?? -1,
    currentTxnFirstOffset: previous?.currentTxnFirstOffset ?? null,
  };
}

interface StateView {
  get(producerId: bigint): ProducerEntry | undefined;
  set(producerId: bigint, entry: ProducerEntry): void;
  addCompleted(txn: CompletedTxn): void;
}

/**
 * Tentative changes on top of the manager or another tx. `get` returns a private copy once an
 * entry is touched; `commit` hands the touched entries to the parent.
 */
export class ProducerStateTx implements StateView {
  readonly #parent: StateView;
  readonly #touched = new Map<bigint, ProducerEntry>();
  readonly #completed: CompletedTxn[] = [];

  constructor(parent: StateView) {
    this.#parent = parent;
  }

  get(producerId: bigint): ProducerEntry | undefined {
    return this.#touched.get(producerId) ?? this.#parent.get(producerId);
  }

  set(producerId: bigint, entry: ProducerEntry): void {
    this.#touched.set(producerId, entry);
  }

  addCompleted(txn: CompletedTxn): void {
    this.#completed.push(txn);
  }

  /** A child tx (one request inside a gathered write). */
  begin(): ProducerStateTx {
    return new ProducerStateTx(this);
  }

  /**
   * Leader check of one batch (rules in the file header). Returns the original batch for a
   * duplicate, null when the batch must be appended; throws ProducerStateError otherwise.
   */
  checkLeader(b: ProducerBatch): BatchMetadata | null {
    if (b.producerId === NO_PRODUCER_ID) return null;
    const entry = this.get(b.producerId);
    if (entry === undefined) return null; // unknown producer: accept any sequence (file header, rule 5)
    const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
    if (b.epoch === entry.epoch) {
      const dup = entry.batches.find((m) => m.firstSeq === b.baseSequence && m.lastSeq === lastSeq);
      if (dup !== undefined) return dup;
    }
    if (b.epoch < entry.epoch) {
      throw new ProducerStateError(
        'invalidProducerEpoch',
        `producer ${b.producerId} epoch ${b.epoch} is older than the current epoch ${entry.epoch}`,
      );
    }
    if (b.transactional !== true && entry.currentTxnFirstOffset !== null) {
      throw new ProducerStateError(
        'invalidTxnState',
        `producer ${b.producerId} sent a non-transactional batch while its transaction from offset ${entry.currentTxnFirstOffset} is ongoing`,
      );
    }
    if (b.epoch > entry.epoch) {
      if (b.baseSequence !== 0 && entry.epoch !== NO_PRODUCER_EPOCH) {
        throw new ProducerStateError('outOfOrderSequence', `producer ${b.producerId}: new epoch ${b.epoch} starts at sequence ${b.baseSequence}, not 0`);
      }
      return null;
    }
    const last = entry.batches.at(-1);
    if (last !== undefined && !inSequence(last.lastSeq, b.baseSequence)) {
      throw new ProducerStateError(
        'outOfOrderSequence',
        `producer ${b.producerId} epoch ${b.epoch}: sequence ${b.baseSequence} does not follow ${last.lastSeq}`,
      );
    }
    return null;
  }

  /** Leader check of a transaction marker (rules in the file header); throws ProducerStateError. */
  checkMarker(m: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number }): void {
    const entry = this.get(m.producerId);
    if (entry === undefined) return;
    if (m.producerEpoch < entry.epoch) {
      throw new ProducerStateError('invalidProducerEpoch', `marker for producer ${m.producerId} has epoch ${m.producerEpoch}, older than the current epoch ${entry.epoch}`);
    }
    if (m.coordinatorEpoch < entry.coordinatorEpoch) {
      throw new ProducerStateError(
        'transactionCoordinatorFenced',
        `marker for producer ${m.producerId} comes from coordinator epoch ${m.coordinatorEpoch}, older than ${entry.coordinatorEpoch}`,
      );
    }
  }

  /** Records an appended batch (leader after checkLeader, follower, rebuild). Non-idempotent batches are ignored. */
  record(b: ProducerBatch, firstOffset: number, timestampMs: number): void {
    if (b.producerId === NO_PRODUCER_ID) return;
    recordInto(this, b, firstOffset, timestampMs);
  }

  /** Records an appended marker at `offset` (leader after checkMarker); returns the transaction it completed. */
  recordMarker(m: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number; commit: boolean }, offset: number, timestampMs: number): CompletedTxn {
    return recordMarkerInto(this, m, offset, timestampMs);
  }

  /** Applies the touched entries and completed transactions to the parent (the manager or the enclosing tx). */
  commit(): void {
    for (const [id, entry] of this.#touched) this.#parent.set(id, entry);
    for (const t of this.#completed) this.#parent.addCompleted(t);
    this.#touched.clear();
    this.#completed.length = 0;
  }
}

function recordMarkerInto(
  view: StateView,
  m: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number; commit: boolean },
  offset: number,
  timestampMs: number,
): CompletedTxn {
  const current = view.get(m.producerId);
  const entry: ProducerEntry =
    current === undefined || current.epoch !== m.producerEpoch ? newEntry(m.producerEpoch, timestampMs, current) : cloneEntry(current);
  const txn: CompletedTxn = { producerId: m.producerId, firstOffset: entry.currentTxnFirstOffset ?? offset, lastOffset: offset, aborted: !m.commit };
  entry.currentTxnFirstOffset = null;
  entry.coordinatorEpoch = m.coordinatorEpoch;
  entry.lastTimestampMs = Math.max(entry.lastTimestampMs, timestampMs);
  view.set(m.producerId, entry);
  view.addCompleted(txn);
  return txn;
}

function recordInto(view: StateView, b: ProducerBatch, firstOffset: number, timestampMs: number): void {
  const current = view.get(b.producerId);
  const entry: ProducerEntry = current === undefined || current.epoch !== b.epoch ? newEntry(b.epoch, timestampMs, current) : cloneEntry(current);
  if (b.transactional === true && entry.currentTxnFirstOffset === null) entry.currentTxnFirstOffset = firstOffset;
  entry.batches.push({
    firstSeq: b.baseSequence,
    lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta),
    firstOffset,
    lastOffset: firstOffset + b.lastOffsetDelta,
    timestampMs,
  });
  if (entry.batches.length > BATCHES_RETAINED) entry.batches.splice(0, entry.batches.length - BATCHES_RETAINED);
  entry.lastTimestampMs = Math.max(entry.lastTimestampMs, timestampMs);
  view.set(b.producerId, entry);
}

export class ProducerStateManager implements StateView {
  readonly #producers = new Map<bigint, ProducerEntry>();
  /** producerId → first offset of its ongoing transaction (mirrors the entries, for the LSO). */
  readonly #ongoing = new Map<bigint, number>();
  /** Completed transactions whose marker is not yet below the high watermark, in log order. */
  #unreplicated: CompletedTxn[] = [];
  /** Every batch below this offset has been applied (the log end as far as producer state knows). */
  mapEndOffset = 0;

  get(producerId: bigint): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  set(producerId: bigint, entry: ProducerEntry): void {
    assert.ok(entry.batches.length <= BATCHES_RETAINED);
    this.#producers.set(producerId, entry);
    if (entry.currentTxnFirstOffset === null) this.#ongoing.delete(producerId);
    else this.#ongoing.set(producerId, entry.currentTxnFirstOffset);
  }

  #delete(producerId: bigint): void {
    this.#producers.delete(producerId);
    this.#ongoing.delete(producerId);
  }

  addCompleted(txn: CompletedTxn): void {
    assert.ok(this.#unreplicated.length === 0 || this.#unreplicated.at(-1)!.lastOffset < txn.lastOffset, 'markers complete in log order');
    this.#unreplicated.push(txn);
  }

  /** The high watermark moved: completed transactions whose marker lies below it are stable now. */
  onHighWatermark(highWatermark: number): void {
    let n = 0;
    while (n < this.#unreplicated.length && this.#unreplicated[n]!.lastOffset < highWatermark) n++;
    if (n > 0) this.#unreplicated = this.#unreplicated.slice(n);
  }

  /** The smallest first offset of an ongoing or not yet replicated completed transaction; null when none. */
  firstUnstableOffset(): number | null {
    let first: number | null = null;
    for (const o of this.#ongoing.values()) if (first === null || o < first) first = o;
    for (const t of this.#unreplicated) if (first === null || t.firstOffset < first) first = t.firstOffset;
    return first;
  }

  /** First offset of `producerId`'s ongoing transaction, or null. */
  ongoingTxnFirstOffset(producerId: bigint): number | null {
    return this.#ongoing.get(producerId) ?? null;
  }

  /**
   * For a txn index entry written right after the marker at `markerOffset`: the smallest first
   * offset of the transactions still ongoing, or the offset after the marker (Kafka's field).
   */
  lastStableOffsetAfter(markerOffset: number): number {
    let lso = markerOffset + 1;
    for (const o of this.#ongoing.values()) lso = Math.min(lso, o);
    return lso;
  }

  /** Ongoing transactions (tests, tools): producerId → first offset. */
  ongoingTransactions(): Map<bigint, number> {
    return new Map(this.#ongoing);
  }

  get size(): number {
    return this.#producers.size;
  }

  producerIds(): bigint[] {
    return [...this.#producers.keys()];
  }

  begin(): ProducerStateTx {
    return new ProducerStateTx(this);
  }

  /** Follower append or rebuild: records the batch without checks. */
  record(b: ProducerBatch, firstOffset: number, timestampMs: number): void {
    if (b.producerId === NO_PRODUCER_ID) return;
    recordInto(this, b, firstOffset, timestampMs);
  }

  /** Follower append or rebuild: records a marker without checks; returns the transaction it completed. */
  recordMarker(m: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number; commit: boolean }, offset: number, timestampMs: number): CompletedTxn {
    return recordMarkerInto(this, m, offset, timestampMs);
  }

  /** Drops producers idle for at least `expirationMs` (never one with an ongoing transaction). Returns how many were removed. */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.#producers) {
      if (entry.currentTxnFirstOffset === null && nowMs - entry.lastTimestampMs >= expirationMs) {
        this.#delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * After the log was truncated to `offset`: forgets batches at or past it and producers left
   * without batches or ongoing transaction (they become unknown, so their next batch is accepted;
   * the epoch a truncated batch introduced is forgotten with it). Transactions: one that started at
   * or past `offset` is forgotten; a not yet replicated one whose marker was truncated is ongoing
   * again (from its first offset, when that is kept). A completed transaction whose marker was
   * already below the high watermark is no longer tracked, so truncation below the high watermark
   * (an unclean leader election) cannot reopen it: the documented limit.
   */
  truncateTo(offset: number): void {
    const reopened = this.#unreplicated.filter((t) => t.lastOffset >= offset && t.firstOffset < offset && t.firstOffset !== t.lastOffset);
    this.#unreplicated = this.#unreplicated.filter((t) => t.lastOffset < offset);
    for (const [id, entry] of this.#producers) {
      const txnGone = entry.currentTxnFirstOffset !== null && entry.currentTxnFirstOffset >= offset;
      const reopen = reopened.find((t) => t.producerId === id);
      if (!txnGone && reopen === undefined && entry.batches.every((m) => m.lastOffset < offset)) continue;
      const kept = entry.batches.filter((m) => m.lastOffset < offset);
      const currentTxnFirstOffset = reopen !== undefined ? reopen.firstOffset : txnGone ? null : entry.currentTxnFirstOffset;
      if (kept.length === 0 && currentTxnFirstOffset === null) this.#delete(id);
      else this.set(id, { ...entry, batches: kept, currentTxnFirstOffset });
    }
    this.mapEndOffset = Math.min(this.mapEndOffset, offset);
  }

  clear(): void {
    this.#producers.clear();
    this.#ongoing.clear();
    this.#unreplicated = [];
  }

  // ---------------------------------------------------------------- snapshot

  /** Writes version 2; `version: 1` only for tests of the upgrade path (drops the transaction fields). */
  encodeSnapshot(opts: { version?: 1 | 2 } = {}): Buffer {
    const version = opts.version ?? SNAPSHOT_VERSION;
    const headerBytes = version === SNAPSHOT_VERSION ? PRODUCER_HEADER_BYTES_V2 : PRODUCER_HEADER_BYTES_V1;
    let bytes = 2 + 4 + 4;
    for (const e of this.#producers.values()) bytes += headerBytes + e.batches.length * BATCH_ENTRY_BYTES;
    const out = Buffer.alloc(bytes);
    out.writeInt16BE(version, 0);
    let at = 6;
    out.writeInt32BE(this.#producers.size, at);
    at += 4;
    for (const [id, e] of this.#producers) {
      out.writeBigInt64BE(id, at);
      out.writeInt16BE(e.epoch, at + 8);
      out.writeBigInt64BE(BigInt(Math.trunc(e.lastTimestampMs)), at + 10);
      if (version === SNAPSHOT_VERSION) {
        out.writeInt32BE(e.coordinatorEpoch, at + 18);
        out.writeBigInt64BE(BigInt(e.currentTxnFirstOffset ?? NO_OFFSET), at + 22);
      }
      out.writeInt32BE(e.batches.length, at + headerBytes - 4);
      at += headerBytes;
      for (const m of e.batches) {
        out.writeInt32BE(m.firstSeq, at);
        out.writeInt32BE(m.lastSeq, at + 4);
        out.writeBigInt64BE(BigInt(m.firstOffset), at + 8);
        out.writeBigInt64BE(BigInt(m.lastOffset), at + 16);
        out.writeBigInt64BE(BigInt(Math.trunc(m.timestampMs)), at + 24);
        at += BATCH_ENTRY_BYTES;
      }
    }
    assert.equal(at, bytes);
    out.writeUInt32BE(crc32c(out.subarray(6)), 2);
    return out;
  }

  /**
   * Replaces the state with a snapshot's. Returns null on success or why the bytes were rejected
   * (state untouched then). Snapshot bytes come from disk, so they are validated, not asserted.
   */
  loadSnapshot(bytes: Buffer): string | null {
    if (bytes.length < 10) return `snapshot of ${bytes.length} bytes is too short`;
    const version = bytes.readInt16BE(0);
    if (version !== SNAPSHOT_VERSION && version !== SNAPSHOT_VERSION_V1) return `snapshot version ${version}`;
    const headerBytes = version === SNAPSHOT_VERSION ? PRODUCER_HEADER_BYTES_V2 : PRODUCER_HEADER_BYTES_V1;
    if (bytes.readUInt32BE(2) !== crc32c(bytes.subarray(6))) return 'snapshot CRC mismatch';
    const count = bytes.readInt32BE(6);
    const loaded = new Map<bigint, ProducerEntry>();
    let at = 10;
    for (let i = 0; i < count; i++) {
      if (at + headerBytes > bytes.length) return 'snapshot truncated';
      const id = bytes.readBigInt64BE(at);
      const epoch = bytes.readInt16BE(at + 8);
      const lastTimestampMs = Number(bytes.readBigInt64BE(at + 10));
      let coordinatorEpoch = -1;
      let currentTxnFirstOffset: number | null = null;
      if (version === SNAPSHOT_VERSION) {
        coordinatorEpoch = bytes.readInt32BE(at + 18);
        const first = Number(bytes.readBigInt64BE(at + 22));
        if (first < NO_OFFSET) return 'snapshot entry malformed';
        currentTxnFirstOffset = first === NO_OFFSET ? null : first;
      }
      const batchCount = bytes.readInt32BE(at + headerBytes - 4);
      at += headerBytes;
      if (batchCount < 0 || batchCount > BATCHES_RETAINED || at + batchCount * BATCH_ENTRY_BYTES > bytes.length) return 'snapshot entry malformed';
      const batches: BatchMetadata[] = [];
      for (let j = 0; j < batchCount; j++) {
        batches.push({
          firstSeq: bytes.readInt32BE(at),
          lastSeq: bytes.readInt32BE(at + 4),
          firstOffset: Number(bytes.readBigInt64BE(at + 8)),
          lastOffset: Number(bytes.readBigInt64BE(at + 16)),
          timestampMs: Number(bytes.readBigInt64BE(at + 24)),
        });
        at += BATCH_ENTRY_BYTES;
      }
      loaded.set(id, { epoch, batches, lastTimestampMs, coordinatorEpoch, currentTxnFirstOffset });
    }
    if (at !== bytes.length) return 'snapshot has trailing bytes';
    this.clear();
    for (const [id, e] of loaded) this.set(id, e);
    return null;
  }
}
