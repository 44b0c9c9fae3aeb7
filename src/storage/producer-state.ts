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
 * Transactions: checks of one gathered leader write run against a `ProducerStateTx` layered on the
 * manager (and a per-request tx layered on the group tx), so a rejected request leaves no trace and
 * nothing reaches the manager before the bytes are written (`commit`).
 *
 * Expiry: `removeExpired(nowMs)` drops producers whose last append is older than
 * producer.id.expiration.ms (default 86400000); PartitionLog calls it from the retention task.
 * Live appends stamp the broker clock; state rebuilt from the log uses the batch maxTimestamp.
 *
 * Snapshot file `<offset>.snapshot` (20-digit offset: the state covers every batch below it),
 * big-endian:
 *   int16 version (1) | uint32 crc32c of everything after this field | int32 producerCount
 *   producerCount × { int64 producerId | int16 epoch | int64 lastTimestampMs | int32 batchCount
 *                     batchCount × { int32 firstSeq | int32 lastSeq | int64 firstOffset | int64 lastOffset | int64 timestampMs } }
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
const SNAPSHOT_VERSION = 1;
const INT32_MAX = 0x7fffffff;

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
}

/** The producer fields of one batch, plus its record span (lastOffsetDelta). */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
}

export type ProducerStateErrorKind = 'outOfOrderSequence' | 'invalidProducerEpoch';

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
  return { epoch: e.epoch, batches: e.batches.slice(), lastTimestampMs: e.lastTimestampMs };
}

interface StateView {
  get(producerId: bigint): ProducerEntry | undefined;
  set(producerId: bigint, entry: ProducerEntry): void;
}

/**
 * Tentative changes on top of the manager or another tx. `get` returns a private copy once an
 * entry is touched; `commit` hands the touched entries to the parent.
 */
export class ProducerStateTx implements StateView {
  readonly #parent: StateView;
  readonly #touched = new Map<bigint, ProducerEntry>();

  constructor(parent: StateView) {
    this.#parent = parent;
  }

  get(producerId: bigint): ProducerEntry | undefined {
    return this.#touched.get(producerId) ?? this.#parent.get(producerId);
  }

  set(producerId: bigint, entry: ProducerEntry): void {
    this.#touched.set(producerId, entry);
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

  /** Records an appended batch (leader after checkLeader, follower, rebuild). Non-idempotent batches are ignored. */
  record(b: ProducerBatch, firstOffset: number, timestampMs: number): void {
    if (b.producerId === NO_PRODUCER_ID) return;
    recordInto(this, b, firstOffset, timestampMs);
  }

  /** Applies the touched entries to the parent (the manager or the enclosing tx). */
  commit(): void {
    for (const [id, entry] of this.#touched) this.#parent.set(id, entry);
    this.#touched.clear();
  }
}

function recordInto(view: StateView, b: ProducerBatch, firstOffset: number, timestampMs: number): void {
  const current = view.get(b.producerId);
  const entry: ProducerEntry =
    current === undefined || current.epoch !== b.epoch
      ? { epoch: b.epoch, batches: [], lastTimestampMs: timestampMs }
      : cloneEntry(current);
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
  /** Every batch below this offset has been applied (the log end as far as producer state knows). */
  mapEndOffset = 0;

  get(producerId: bigint): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  set(producerId: bigint, entry: ProducerEntry): void {
    assert.ok(entry.batches.length <= BATCHES_RETAINED);
    this.#producers.set(producerId, entry);
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

  /** Drops producers idle for at least `expirationMs`. Returns how many were removed. */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.#producers) {
      if (nowMs - entry.lastTimestampMs >= expirationMs) {
        this.#producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * After the log was truncated to `offset`: forgets batches at or past it and producers left
   * without batches (they become unknown, so their next batch is accepted; the epoch a truncated
   * batch introduced is forgotten with it).
   */
  truncateTo(offset: number): void {
    for (const [id, entry] of this.#producers) {
      if (entry.batches.every((m) => m.lastOffset < offset)) continue;
      const kept = entry.batches.filter((m) => m.lastOffset < offset);
      if (kept.length === 0) this.#producers.delete(id);
      else this.#producers.set(id, { ...entry, batches: kept });
    }
    this.mapEndOffset = Math.min(this.mapEndOffset, offset);
  }

  clear(): void {
    this.#producers.clear();
  }

  // ---------------------------------------------------------------- snapshot

  encodeSnapshot(): Buffer {
    let bytes = 2 + 4 + 4;
    for (const e of this.#producers.values()) bytes += 8 + 2 + 8 + 4 + e.batches.length * (4 + 4 + 8 + 8 + 8);
    const out = Buffer.alloc(bytes);
    out.writeInt16BE(SNAPSHOT_VERSION, 0);
    let at = 6;
    out.writeInt32BE(this.#producers.size, at);
    at += 4;
    for (const [id, e] of this.#producers) {
      out.writeBigInt64BE(id, at);
      out.writeInt16BE(e.epoch, at + 8);
      out.writeBigInt64BE(BigInt(Math.trunc(e.lastTimestampMs)), at + 10);
      out.writeInt32BE(e.batches.length, at + 18);
      at += 22;
      for (const m of e.batches) {
        out.writeInt32BE(m.firstSeq, at);
        out.writeInt32BE(m.lastSeq, at + 4);
        out.writeBigInt64BE(BigInt(m.firstOffset), at + 8);
        out.writeBigInt64BE(BigInt(m.lastOffset), at + 16);
        out.writeBigInt64BE(BigInt(Math.trunc(m.timestampMs)), at + 24);
        at += 32;
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
    if (version !== SNAPSHOT_VERSION) return `snapshot version ${version}`;
    if (bytes.readUInt32BE(2) !== crc32c(bytes.subarray(6))) return 'snapshot CRC mismatch';
    const count = bytes.readInt32BE(6);
    const loaded = new Map<bigint, ProducerEntry>();
    let at = 10;
    for (let i = 0; i < count; i++) {
      if (at + 22 > bytes.length) return 'snapshot truncated';
      const id = bytes.readBigInt64BE(at);
      const epoch = bytes.readInt16BE(at + 8);
      const lastTimestampMs = Number(bytes.readBigInt64BE(at + 10));
      const batchCount = bytes.readInt32BE(at + 18);
      at += 22;
      if (batchCount < 0 || batchCount > BATCHES_RETAINED || at + batchCount * 32 > bytes.length) return 'snapshot entry malformed';
      const batches: BatchMetadata[] = [];
      for (let j = 0; j < batchCount; j++) {
        batches.push({
          firstSeq: bytes.readInt32BE(at),
          lastSeq: bytes.readInt32BE(at + 4),
          firstOffset: Number(bytes.readBigInt64BE(at + 8)),
          lastOffset: Number(bytes.readBigInt64BE(at + 16)),
          timestampMs: Number(bytes.readBigInt64BE(at + 24)),
        });
        at += 32;
      }
      loaded.set(id, { epoch, batches, lastTimestampMs });
    }
    if (at !== bytes.length) return 'snapshot has trailing bytes';
    this.#producers.clear();
    for (const [id, e] of loaded) this.#producers.set(id, e);
    return null;
  }
}
