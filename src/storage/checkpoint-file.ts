/**
 * Offset checkpoint files, in Kafka's text format so Kafka users recognise them
 * (`recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` in each log dir):
 *
 *     0                       format version
 *     2                       number of entries
 *     orders 0 1234           topic, partition, offset (one entry per line, space separated)
 *     orders 1 77
 *
 * Topic names cannot contain spaces (Kafka allows [a-zA-Z0-9._-]), so the format is unambiguous.
 * Files are replaced atomically (write tmp, fsync, rename). Owned by LogManager.
 */
import type { Disk } from '../io/disk.js';
import { diskErrorCode } from '../io/disk.js';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: number;
}

export function checkpointKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function encodeOffsetCheckpoint(entries: readonly CheckpointEntry[]): Buffer {
  const lines = ['0', String(entries.length)];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

/** Parses a checkpoint file into `topic-partition` → offset; returns why not when malformed. */
export function decodeOffsetCheckpoint(bytes: Buffer): Map<string, number> | string {
  const lines = bytes.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== '0') return `unknown version line ${JSON.stringify(lines[0])}`;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) return `entry count ${JSON.stringify(lines[1])} does not match ${lines.length - 2} lines`;
  const out = new Map<string, number>();
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.split(' ');
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || parts[0] === '' || !Number.isInteger(partition) || partition < 0 || !Number.isSafeInteger(offset)) {
      return `line ${i + 1} is not "topic partition offset": ${JSON.stringify(lines[i])}`;
    }
    out.set(checkpointKey(parts[0]!, partition), offset);
  }
  return out;
}

/** Reads a checkpoint file: null when missing, a string (why) when malformed. */
export async function readOffsetCheckpoint(disk: Disk, filePath: string): Promise<Map<string, number> | string | null> {
  let bytes: Buffer;
  try {
    bytes = await disk.readFile(filePath);
  } catch (err) {
    // Expected case: a new log dir has no checkpoint yet.
    if (diskErrorCode(err) === 'ENOENT') return null;
    throw err;
  }
  return decodeOffsetCheckpoint(bytes);
}

export async function writeOffsetCheckpoint(disk: Disk, filePath: string, entries: readonly CheckpointEntry[]): Promise<void> {
  await disk.writeFileAtomic(filePath, encodeOffsetCheckpoint(entries));
}

/**
 * True when two entry lists are equal, field by field: what the periodic checkpoint writers compare
 * against their last write, so an idle tick over thousands of partitions builds no strings.
 */
export function sameCheckpointEntries(a: readonly CheckpointEntry[] | undefined, b: readonly CheckpointEntry[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.offset !== y.offset || x.partition !== y.partition || x.topic !== y.topic) return false;
  }
  return true;
}
