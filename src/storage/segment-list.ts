/**
 * Read-only functions over a partition's segment list: the LogSegments of one log sorted by base
 * offset, the last one active. PartitionLog keeps that list (replaced, never mutated, so a reader
 * can hold a snapshot of it) and calls these from its read path; the log loader reuses `readSegments`
 * to replay the log tail into producer state before the PartitionLog exists.
 *
 * Nothing here owns state or retries: the caller handles races with truncation and deletion
 * (PartitionLog runs these inside its snapshot-and-retry wrapper). Each segment is pinned while it
 * is read, so a concurrent deletion closes its file only after the read.
 */
import type { LogSegment } from './log-segment.js';

const EMPTY = Buffer.alloc(0);

/** Index of the last segment whose baseOffset <= offset (0 when offset precedes them all). */
export function floorSegment(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Whole batches starting with the one that holds `fetchOffset`, from the first segment that has
 * any (one segment per call), only batches ending below `maxOffset`; see PartitionLog.read. The
 * caller has checked `fetchOffset` against the log's bounds and that `fetchOffset < maxOffset`.
 */
export async function readSegments(
  segments: readonly LogSegment[],
  fetchOffset: number,
  maxBytes: number,
  opts: { minOneMessage: boolean; maxOffset: number; indexIntervalBytes: number },
): Promise<{ records: Buffer; firstOffset: number }> {
  for (let i = floorSegment(segments, fetchOffset); i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.baseOffset >= opts.maxOffset) break;
    seg.pin();
    try {
      const result = await seg.read(fetchOffset, maxBytes, opts.minOneMessage, opts.maxOffset, opts.indexIntervalBytes);
      if (result !== null) return result;
    } finally {
      seg.unpin();
    }
  }
  return { records: EMPTY, firstOffset: fetchOffset };
}

/** See PartitionLog.offsetForTimestamp. */
export async function findOffsetForTimestamp(
  segments: readonly LogSegment[],
  timestampMs: number,
  logStartOffset: number,
): Promise<{ offset: number; timestampMs: number } | null> {
  for (const seg of segments) {
    if (seg.nextOffset <= logStartOffset || seg.maxTimestamp < timestampMs) continue;
    seg.pin();
    try {
      const found = await seg.findOffsetForTimestamp(timestampMs, logStartOffset);
      if (found !== null) return found;
    } finally {
      seg.unpin();
    }
  }
  return null;
}

/** See PartitionLog.maxTimestampOffset. */
export async function findMaxTimestampOffset(
  segments: readonly LogSegment[],
  logStartOffset: number,
): Promise<{ offset: number; timestampMs: number } | null> {
  let best: LogSegment | null = null;
  for (const seg of segments) {
    if (seg.nextOffset <= logStartOffset || seg.maxTimestamp < 0) continue;
    if (best === null || seg.maxTimestamp > best.maxTimestamp) best = seg;
  }
  if (best === null) return null;
  best.pin();
  try {
    const found = await best.findMaxTimestampRecord(0);
    return found === null ? null : { offset: Math.max(found.offset, logStartOffset), timestampMs: found.timestampMs };
  } finally {
    best.unpin();
  }
}
