/**
 * Dumping a .log segment as Kafka 3.x's DumpLogSegments prints it:
 *
 *   Log starting offset: 0
 *   baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1
 *     producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false
 *     deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1700000000000 size: 97 magic: 2
 *     compresscodec: none crc: 123456 isvalid: true                              (one line per batch)
 *   | offset: 0 CreateTime: 1700000000000 keySize: 1 valueSize: 5 sequence: -1 headerKeys: [] key: k payload: hello
 *   Found 12 invalid bytes at the end of 00000000000000000000.log
 *
 * Record lines appear with --deep-iteration (implied by --print-data-log and the decoders); key and
 * payload with --print-data-log. Control batches show `endTxnMarker: COMMIT coordinatorEpoch: N`.
 * Record offsets that do not follow each other are collected for the "Non-consecutive offsets"
 * report printed after all files.
 */
import { incrementSequence } from '../../storage/producer-state.js';
import {
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  batch,
} from '../../protocol/records/batch.js';
import { CorruptRecordError, decodeRecordSet, type ConsumedRecord } from '../../client/records.js';
import { out } from '../tool/common.js';
import { parseOffsetsRecord, type ParsedRecord } from './offsets-decoder.js';
import { baseOffsetOf, batchesOf, openForRead } from './segment-files.js';

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const NO_SEQUENCE = -1;
/** No --max-bytes: Kafka's Integer.MAX_VALUE; only then are trailing invalid bytes reported. */
export const MAX_BYTES_UNLIMITED = 2_147_483_647;

export interface LogDumpOptions {
  deepIteration: boolean;
  printData: boolean;
  skipRecordMetadata: boolean;
  maxBytes: number;
  decoder: 'string' | 'offsets';
}

/** Findings reported after all files, as Kafka does: pairs of record offsets that do not follow each other. */
export type NonConsecutive = Map<string, Array<[number, number]>>;

/** Kafka's batch line. */
function batchLine(b: Buffer, position: number): string {
  const attributes = batch.attributes(b);
  const baseSequence = batch.baseSequence(b);
  const lastOffsetDelta = batch.lastOffsetDelta(b);
  const lastSequence = baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta);
  const deleteHorizon = (attributes & ATTR_DELETE_HORIZON) !== 0 ? `OptionalLong[${batch.baseTimestamp(b)}]` : 'OptionalLong.empty';
  const timestampType = (attributes & ATTR_TIMESTAMP_LOG_APPEND) !== 0 ? 'LogAppendTime' : 'CreateTime';
  const codec = CODEC_NAMES[batch.compression(b)] ?? `unknown(${batch.compression(b)})`;
  return (
    `baseOffset: ${batch.baseOffset(b)} lastOffset: ${batch.lastOffset(b)} count: ${batch.recordCount(b)} ` +
    `baseSequence: ${baseSequence} lastSequence: ${lastSequence} producerId: ${batch.producerId(b)} ` +
    `producerEpoch: ${batch.producerEpoch(b)} partitionLeaderEpoch: ${batch.partitionLeaderEpoch(b)} ` +
    `isTransactional: ${(attributes & ATTR_TRANSACTIONAL) !== 0} isControl: ${(attributes & ATTR_CONTROL) !== 0} ` +
    `deleteHorizonMs: ${deleteHorizon} position: ${position} ${timestampType}: ${batch.maxTimestamp(b)} ` +
    `size: ${b.length} magic: ${batch.magic(b)} compresscodec: ${codec} crc: ${batch.crc(b)} isvalid: ${batch.crcValid(b)}`
  );
}

/** What a control record says: ` endTxnMarker: COMMIT coordinatorEpoch: 0`, or its type. */
function controlText(r: ConsumedRecord): string {
  if (r.key === null || r.key.length < 4) return ' controlType: UNKNOWN(-1)';
  const type = r.key.readInt16BE(2);
  if ((type === 0 || type === 1) && r.value !== null && r.value.length >= 6) {
    return ` endTxnMarker: ${type === 0 ? 'ABORT' : 'COMMIT'} coordinatorEpoch: ${r.value.readInt32BE(2)}`;
  }
  const names: Record<number, string> = { 0: 'ABORT', 1: 'COMMIT', 2: 'LEADER_CHANGE', 3: 'SNAPSHOT_HEADER', 4: 'SNAPSHOT_FOOTER' };
  return ` controlType: ${names[type] ?? 'UNKNOWN'}(${type})`;
}

/** Kafka's StringDecoder parser: nothing for a record without a value, else the key (if any) and the payload. */
function parseString(r: ConsumedRecord): ParsedRecord {
  if (r.value === null) return { key: null, payload: null };
  return { key: r.key === null ? null : r.key.toString('utf8'), payload: r.value.toString('utf8') };
}

function recordLine(r: ConsumedRecord, b: Buffer, opts: LogDumpOptions): string {
  let line = '';
  let prefix = '| ';
  const control = batch.isControl(b);
  if (!opts.skipRecordMetadata) {
    const baseSequence = batch.baseSequence(b);
    const sequence = baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, r.offset - batch.baseOffset(b));
    line +=
      `${prefix}offset: ${r.offset} ${r.timestampType}: ${r.timestampMs} keySize: ${r.key === null ? -1 : r.key.length} ` +
      `valueSize: ${r.value === null ? -1 : r.value.length} sequence: ${sequence} headerKeys: [${r.headers.map((h) => h.key).join(',')}]`;
    prefix = ' ';
    if (control) line += controlText(r);
  }
  if (opts.printData && !control) {
    const parsed = opts.decoder === 'offsets' ? parseOffsetsRecord(r.key, r.value) : parseString(r);
    if (parsed.key !== null) {
      line += `${prefix}key: ${parsed.key}`;
      prefix = ' ';
    }
    if (parsed.payload !== null) line += ` payload: ${parsed.payload}`;
  }
  return line;
}

/** Prints the dump of one .log file; returns nothing, findings go to `nonConsecutive`. */
export async function dumpLog(file: string, absolutePath: string, opts: LogDumpOptions, nonConsecutive: NonConsecutive): Promise<void> {
  const handle = await openForRead(file);
  try {
    const startOffset = baseOffsetOf(file);
    out(`Log starting offset: ${startOffset}\n`);
    const sizeBytes = await handle.size();
    const endPosition = Math.min(sizeBytes, opts.maxBytes);
    const walk = batchesOf(handle, endPosition);
    let validBytes = 0;
    let lastOffset = -1;
    let step = await walk.next();
    while (!step.done) {
      const { header, bytes } = step.value;
      const lines = [batchLine(bytes, header.position)];
      if (opts.deepIteration) {
        const records: ConsumedRecord[] = [];
        let unreadable: string | null = null;
        try {
          await decodeRecordSet(bytes, { topic: '', partition: 0, fetchOffset: 0, checkCrcs: false, abortedTransactions: null, includeControl: true }, records);
        } catch (e) {
          if (!(e instanceof CorruptRecordError)) throw e;
          unreadable = `| cannot read the rest of this batch's records: ${e.message.replace(/^-0: /, '')}`;
        }
        for (const r of records) {
          if (lastOffset !== -1 && r.offset !== lastOffset + 1) {
            let pairs = nonConsecutive.get(absolutePath);
            if (!pairs) nonConsecutive.set(absolutePath, (pairs = []));
            pairs.push([lastOffset, r.offset]);
          }
          lastOffset = r.offset;
          lines.push(recordLine(r, bytes, opts));
        }
        if (unreadable !== null) lines.push(unreadable);
      }
      if (!out(`${lines.join('\n')}\n`)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
      validBytes += bytes.length;
      step = await walk.next();
    }
    const trailingBytes = sizeBytes - validBytes;
    if (trailingBytes > 0 && opts.maxBytes === MAX_BYTES_UNLIMITED) out(`Found ${trailingBytes} invalid bytes at the end of ${file.split('/').pop()}\n`);
  } finally {
    await handle.close();
  }
}
