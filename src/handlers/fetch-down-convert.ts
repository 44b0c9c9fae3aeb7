/**
 * Down-conversion for consumers fetching with Fetch v0-3, which read only legacy message sets:
 * v0-1 expect magic 0, v2-3 magic 1 (KIP-32 tied timestamps to Fetch v2). Samsa stores v2 batches
 * only, so such a read converts what the log returns (protocol/records/legacy.ts): bounded like
 * Kafka's lazy down-conversion (KIP-283) — one log read of at most the partition's byte budget,
 * converted batch by batch until the converted bytes reach the same budget (the first partition
 * of the response may exceed it by one message, as for v4+, so a consumer never stalls). Offsets,
 * keys, values, timestamps (magic 1) and each batch's codec are kept; control batches are
 * skipped, headers dropped. Kafka's answers where conversion cannot happen: a topic with
 * message.downconversion.enable=false → UNSUPPORTED_VERSION; zstd data (which magic 0/1 cannot
 * carry) at the fetch position → UNSUPPORTED_COMPRESSION_TYPE.
 */
import type { LegacyMagic } from '../protocol/records/legacy.js';
import { downConvertRecordBatches } from '../protocol/records/legacy.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { RequestContext } from './handler.js';

/** Reads after which nothing was converted (only control batches) before giving up for this fetch. */
const EMPTY_READS_MAX = 16;

/** The message format a consumer's Fetch version reads, or null for v4+ (record batches v2). */
export function legacyMagicForFetch(apiVersion: number): LegacyMagic | null {
  if (apiVersion <= 1) return 0;
  if (apiVersion <= 3) return 1;
  return null;
}

/** message.downconversion.enable for the topic (override, else the broker's log.message.downconversion.enable). */
export function downConversionEnabled(ctx: RequestContext, topic: string): boolean {
  const override = ctx.image.topics.get(topic)?.configs['message.downconversion.enable'];
  return override === undefined ? ctx.broker.config.logMessageDownconversionEnable : override.trim().toLowerCase() === 'true';
}

export type DownConvertedRead = { records: Buffer; errorCode: typeof ErrorCode.NONE } | { records: null; errorCode: number };

/**
 * Reads `log` from `fetchOffset` (below `maxOffset`) and converts to `toMagic`, within `bytesMax`
 * (exceeded by one message only with `minOneMessage`).
 */
export async function readDownConverted(
  log: PartitionLog,
  toMagic: LegacyMagic,
  fetchOffset: number,
  maxOffset: number,
  bytesMax: number,
  minOneMessage: boolean,
): Promise<DownConvertedRead> {
  let offset = fetchOffset;
  for (let reads = 0; reads < EMPTY_READS_MAX && offset < maxOffset; reads++) {
    const read = await log.read(offset, bytesMax, { minOneMessage, maxOffset });
    if (read.records.length === 0) break;
    const converted = await downConvertRecordBatches(read.records, { toMagic, fetchOffset: offset, bytesMax, minOneMessage });
    if (converted.records.length > 0) return { records: converted.records, errorCode: ErrorCode.NONE };
    if (converted.zstdAt !== null) return { records: null, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE };
    // Nothing converted: the budget was too small for the next message, or only control batches
    // were read (then continue after them, so an old consumer does not stall on them).
    if (converted.full || converted.nextOffset <= offset) break;
    offset = converted.nextOffset;
  }
  return { records: Buffer.alloc(0), errorCode: ErrorCode.NONE };
}
