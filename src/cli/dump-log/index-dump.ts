/**
 * Dumping a segment's indexes and the partition's producer-state and leader-epoch files, parsed by
 * the broker's own storage classes (OffsetIndex, TimeIndex, ProducerStateManager, the leader-epoch
 * checkpoint decoder), with Kafka 3.x's lines:
 *   .index        offset: 42 position: 4096                 (checked against the .log beside it)
 *   .timeindex    timestamp: 1700000000000 offset: 42
 *   .snapshot     producerId: 7 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset:
 *                 OptionalLong.empty (or OptionalLong[42]) lastTimestamp: … firstSequence: … lastSequence: …
 *                 lastOffset: … offsetDelta: … timestamp: …
 *   .txnindex     version: 0 producerId: 7 firstOffset: 3 lastOffset: 9 lastStableOffset: 10
 *   leader-epoch-checkpoint (Samsa extension; Kafka's tool ignores it)   epoch: 0 startOffset: 0
 * --index-sanity-check runs the broker's own load-time validation (`<file> passed sanity check.`),
 * --verify-index-only checks without printing entries. Index problems are collected and reported
 * after all files, in Kafka's words (printReport).
 *
 * Our offset and time index entries name a batch's baseOffset; Kafka's name its lastOffset. Either is
 * accepted as matching the batch at that place, so indexes written by Kafka check cleanly too.
 */
import { decodeLeaderEpochCheckpoint } from '../../storage/leader-epoch-cache.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex, RELATIVE_OFFSET_MAX } from '../../storage/offset-index.js';
import { ProducerStateManager } from '../../storage/producer-state.js';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from '../../storage/time-index.js';
import { TxnIndex } from '../../storage/txn-index.js';
import { err, out } from '../tool/common.js';
import { baseOffsetOf, batchHeadersOf, DumpFileError, logFileFor, readWholeFile, type BatchHeader } from './segment-files.js';

type Pairs = Map<string, Array<[number, number]>>;

/** What the index dumps found, printed after every file as Kafka does. */
export class IndexFindings {
  readonly offsetMismatches: Pairs = new Map();
  readonly timestampMismatches: Pairs = new Map();
  readonly outOfOrderTimestamps: Pairs = new Map();
  readonly offsetsNotFound: Pairs = new Map();

  static add(map: Pairs, file: string, pair: [number, number]): void {
    let list = map.get(file);
    if (!list) map.set(file, (list = []));
    list.push(pair);
  }

  /** Kafka's report, on stderr. */
  print(): void {
    const lines: string[] = [];
    for (const [file, list] of this.offsetMismatches) {
      lines.push(`Mismatches in :${file}`);
      for (const [indexOffset, logOffset] of list) lines.push(`  Index offset: ${indexOffset}, log offset: ${logOffset}`);
    }
    for (const [file, list] of this.timestampMismatches) {
      lines.push(`Found timestamp mismatch in :${file}`);
      for (const [indexTs, logTs] of list) lines.push(`  Index timestamp: ${indexTs}, log timestamp: ${logTs}`);
    }
    for (const [file, list] of this.outOfOrderTimestamps) {
      lines.push(`Found out of order timestamp in :${file}`);
      for (const [ts, prev] of list) lines.push(`  Index timestamp: ${ts}, Previously indexed timestamp: ${prev}`);
    }
    for (const list of this.offsetsNotFound.values()) {
      lines.push('The following indexed offsets are not found in the log.');
      for (const [indexed, found] of list) lines.push(`Indexed offset: ${indexed}, found log offset: ${found}`);
    }
    if (lines.length > 0) err(`${lines.join('\n')}\n`);
  }
}

export interface IndexDumpOptions {
  sanityOnly: boolean;
  verifyOnly: boolean;
}

/** The batches of the .log beside an index, or null (said once on stderr) when it cannot be read. */
async function segmentBatches(indexFile: string): Promise<BatchHeader[] | null> {
  const logFile = logFileFor(indexFile);
  try {
    return await batchHeadersOf(logFile);
  } catch (e) {
    if (!(e instanceof DumpFileError)) throw e;
    err(`Cannot check ${indexFile} against its log: ${e.message}\n`);
    return null;
  }
}

/** The whole entries of an index file (a torn last entry is left out, as Kafka's reader does). */
function wholeEntries(bytes: Buffer, entryBytes: number): Buffer {
  return bytes.subarray(0, bytes.length - (bytes.length % entryBytes));
}

/** The batch starting at `position`, by binary search over file order. */
function batchAt(batches: BatchHeader[], position: number): BatchHeader | undefined {
  let lo = 0;
  let hi = batches.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = batches[mid]!.position;
    if (p === position) return batches[mid];
    if (p < position) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** The first batch whose lastOffset is at or past `offset`. */
function batchReaching(batches: BatchHeader[], offset: number): BatchHeader | undefined {
  let lo = 0;
  let hi = batches.length - 1;
  let found: BatchHeader | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (batches[mid]!.lastOffset >= offset) {
      found = batches[mid];
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return found;
}

const names = (b: BatchHeader, offset: number): boolean => offset === b.baseOffset || offset === b.lastOffset;

/** Returns false when the file failed its sanity check (the tool then exits 1). */
export async function dumpOffsetIndex(file: string, absolutePath: string, opts: IndexDumpOptions, findings: IndexFindings): Promise<boolean> {
  const bytes = await readWholeFile(file);
  const baseOffset = baseOffsetOf(file);
  if (bytes.length < OFFSET_INDEX_ENTRY_BYTES) {
    out(`${file} is empty.\n`);
    return true;
  }
  const batches = await segmentBatches(file);
  const index = new OffsetIndex(baseOffset, Number.MAX_SAFE_INTEGER);
  if (opts.sanityOnly) {
    const logSize = batches === null ? Number.MAX_SAFE_INTEGER : batches.reduce((end, b) => Math.max(end, b.position + b.totalBytes), 0);
    const problem = index.load(bytes, logSize);
    if (problem !== null) {
      err(`Corrupt index found, index file (${file}) failed its sanity check: ${problem}\n`);
      return false;
    }
    out(`${file} passed sanity check.\n`);
    return true;
  }
  index.store.loadFromFile(wholeEntries(bytes, OFFSET_INDEX_ENTRY_BYTES));
  const lines: string[] = [];
  for (let i = 0; i < index.entries; i++) {
    const offset = index.offsetAt(i);
    const position = index.positionAt(i);
    // A preallocated (zero-filled) tail, as Kafka's active segments have: stop at the first zero entry.
    if (offset === baseOffset && i > 0) break;
    if (batches !== null) {
      const b = batchAt(batches, position);
      if (!b || !names(b, offset)) IndexFindings.add(findings.offsetMismatches, absolutePath, [offset, b ? b.baseOffset : -1]);
    }
    if (!opts.verifyOnly) lines.push(`offset: ${offset} position: ${position}`);
  }
  if (lines.length > 0) out(`${lines.join('\n')}\n`);
  return batches !== null;
}

export async function dumpTimeIndex(file: string, absolutePath: string, opts: IndexDumpOptions, findings: IndexFindings): Promise<boolean> {
  const bytes = await readWholeFile(file);
  const baseOffset = baseOffsetOf(file);
  const batches = bytes.length < TIME_INDEX_ENTRY_BYTES ? [] : await segmentBatches(file);
  const index = new TimeIndex(baseOffset, Number.MAX_SAFE_INTEGER);
  if (opts.sanityOnly) {
    const last = batches?.at(-1);
    const problem = index.load(bytes, last ? last.lastOffset - baseOffset : RELATIVE_OFFSET_MAX);
    if (problem !== null) {
      err(`Corrupt time index found, time index file (${file}) failed its sanity check: ${problem}\n`);
      return false;
    }
    out(`${file} passed sanity check.\n`);
    return true;
  }
  index.store.loadFromFile(wholeEntries(bytes, TIME_INDEX_ENTRY_BYTES));
  const lines: string[] = [];
  let previousTimestamp = -1;
  for (let i = 0; i < index.entries; i++) {
    const timestamp = index.timestampAt(i);
    const offset = index.offsetAt(i);
    if (offset === baseOffset && i > 0) break;
    if (batches !== null) {
      const b = batchReaching(batches, offset);
      if (!b || !names(b, offset)) {
        IndexFindings.add(findings.offsetsNotFound, absolutePath, [offset, b ? b.lastOffset : -1]);
      } else {
        if (b.maxTimestamp !== timestamp) IndexFindings.add(findings.timestampMismatches, absolutePath, [timestamp, b.maxTimestamp]);
        if (previousTimestamp >= timestamp) IndexFindings.add(findings.outOfOrderTimestamps, absolutePath, [timestamp, previousTimestamp]);
      }
    }
    if (!opts.verifyOnly) lines.push(`timestamp: ${timestamp} offset: ${offset}`);
    previousTimestamp = timestamp;
  }
  if (lines.length > 0) out(`${lines.join('\n')}\n`);
  return batches !== null;
}

export async function dumpProducerSnapshot(file: string): Promise<void> {
  const state = new ProducerStateManager();
  const problem = state.loadSnapshot(await readWholeFile(file));
  if (problem !== null) throw new DumpFileError(`${file} is not a readable producer state snapshot: ${problem}`);
  const lines: string[] = [];
  for (const id of state.producerIds()) {
    const e = state.get(id)!;
    // Kafka's snapshot keeps a producer's last batch only; that is the one it prints.
    const last = e.batches.at(-1);
    const txnFirst = e.currentTxnFirstOffset === null ? 'OptionalLong.empty' : `OptionalLong[${e.currentTxnFirstOffset}]`;
    let line = `producerId: ${id} producerEpoch: ${e.epoch} coordinatorEpoch: ${e.coordinatorEpoch} currentTxnFirstOffset: ${txnFirst} lastTimestamp: ${e.lastTimestampMs} `;
    if (last) {
      line += `firstSequence: ${last.firstSeq} lastSequence: ${last.lastSeq} lastOffset: ${last.lastOffset} offsetDelta: ${last.lastOffset - last.firstOffset} timestamp: ${last.timestampMs}`;
    }
    lines.push(line);
  }
  if (lines.length > 0) out(`${lines.join('\n')}\n`);
}

/** A `.txnindex`: one line per aborted transaction, Kafka's wording. */
export async function dumpTxnIndex(file: string): Promise<void> {
  const index = new TxnIndex();
  const problem = index.load(await readWholeFile(file));
  if (problem !== null) throw new DumpFileError(`${file} is not a readable transaction index: ${problem}`);
  const lines = index
    .all()
    .map((t) => `version: 0 producerId: ${t.producerId} firstOffset: ${t.firstOffset} lastOffset: ${t.lastOffset} lastStableOffset: ${t.lastStableOffset}`);
  if (lines.length > 0) out(`${lines.join('\n')}\n`);
}

export async function dumpLeaderEpochCheckpoint(file: string): Promise<void> {
  const entries = decodeLeaderEpochCheckpoint(await readWholeFile(file));
  if (typeof entries === 'string') throw new DumpFileError(`${file} is not a readable leader-epoch checkpoint: ${entries}`);
  if (entries.length > 0) out(`${entries.map((e) => `epoch: ${e.epoch} startOffset: ${e.startOffset}`).join('\n')}\n`);
}
