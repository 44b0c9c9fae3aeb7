/**
 * Reading a partition's files offline for kafka-dump-log, through the broker's own storage code:
 * batches are walked with storage/batch-scan.ts (the walker recovery uses: batchLength, magic 2,
 * increasing offsets), files are opened through io/node/disk.ts. CRCs are not enforced by the walk
 * (a batch with a bad CRC is shown as `isvalid: false` and the dump goes on, as Kafka's does); the
 * walk stops at the first batch it cannot frame, and what follows counts as invalid bytes.
 */
import * as path from 'node:path';
import { diskErrorCode, type FileHandle } from '../../io/disk.js';
import { NodeDisk } from '../../io/node/disk.js';
import { BatchReader, walkBatches, type BatchInfo, type WalkResult } from '../../storage/batch-scan.js';

const disk = new NodeDisk();
const READ_CHUNK_BYTES = 1 << 20;
/** Batches taken per walk before their bytes are read (bounds memory on big segments). */
const BATCHES_PER_WALK = 512;

/** A file that cannot be read: the message is the one line the tool prints. */
export class DumpFileError extends Error {
  override name = 'DumpFileError';
}

/** Kafka's wording for files that cannot be opened: `<path> (No such file or directory)`. */
export function fileErrorMessage(file: string, e: unknown): string {
  const code = diskErrorCode(e);
  if (code === 'ENOENT') return `${file} (No such file or directory)`;
  if (code === 'EISDIR') return `${file} (Is a directory)`;
  if (code === 'EACCES') return `${file} (Permission denied)`;
  return `${file}: ${e instanceof Error ? e.message : String(e)}`;
}

export async function openForRead(file: string): Promise<FileHandle> {
  try {
    const stat = await disk.stat(file);
    if (stat?.isDirectory) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return await disk.open(file, 'r');
  } catch (e) {
    throw new DumpFileError(fileErrorMessage(file, e));
  }
}

export async function readWholeFile(file: string): Promise<Buffer> {
  try {
    return await disk.readFile(file);
  } catch (e) {
    throw new DumpFileError(fileErrorMessage(file, e));
  }
}

/** The offset a segment file's name carries (`00000000000000000042.log` → 42). */
export function baseOffsetOf(file: string): number {
  const stem = path.basename(file).split('.')[0]!;
  if (!/^\d+$/.test(stem) || !Number.isSafeInteger(Number(stem))) {
    throw new DumpFileError(`${file}: the file name does not start with a base offset (expected e.g. 00000000000000000000${path.extname(file)})`);
  }
  return Number(stem);
}

/** The .log file beside an index file. */
export function logFileFor(indexFile: string): string {
  const dir = path.dirname(indexFile);
  return path.join(dir, `${path.basename(indexFile).split('.')[0]}.log`);
}

export interface BatchHeader {
  position: number;
  baseOffset: number;
  lastOffset: number;
  totalBytes: number;
  maxTimestamp: number;
}

function copyInfo(info: BatchInfo): BatchHeader {
  return { position: info.position, baseOffset: info.baseOffset, lastOffset: info.lastOffset, totalBytes: info.totalBytes, maxTimestamp: info.maxTimestamp };
}

/**
 * Every batch of `file` below `endPosition` with its whole bytes, in file order, read a window at a
 * time. Returns (as the generator's result) how the walk ended.
 */
export async function* batchesOf(handle: FileHandle, endPosition: number): AsyncGenerator<{ header: BatchHeader; bytes: Buffer }, WalkResult> {
  const reader = new BatchReader(handle, endPosition, READ_CHUNK_BYTES);
  let position = 0;
  let lastOffset = -1;
  for (;;) {
    const found: BatchHeader[] = [];
    const result = await walkBatches(reader, position, { verifyCrc: false, previousLastOffset: lastOffset }, (info) => {
      if (found.length >= BATCHES_PER_WALK) return false;
      found.push(copyInfo(info));
      return true;
    });
    for (const header of found) {
      const bytes = await reader.slice(header.position, header.position + header.totalBytes);
      if (bytes === null) return { ...result, endPosition: header.position, stopped: 'torn', reason: 'file shorter than expected' };
      yield { header, bytes };
    }
    if (result.stopped !== 'visitor') return result;
    position = result.endPosition;
    lastOffset = result.lastOffset;
  }
}

/** The batch headers of a whole .log file (for checking indexes against it). */
export async function batchHeadersOf(logFile: string): Promise<BatchHeader[]> {
  const handle = await openForRead(logFile);
  try {
    const reader = new BatchReader(handle, await handle.size(), READ_CHUNK_BYTES);
    const headers: BatchHeader[] = [];
    await walkBatches(reader, 0, { verifyCrc: false }, (info) => {
      headers.push(copyInfo(info));
      return true;
    });
    return headers;
  } finally {
    await handle.close();
  }
}
