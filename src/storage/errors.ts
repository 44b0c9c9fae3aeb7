/**
 * StorageError: the one error type storage throws for conditions a caller must handle. Storage never
 * knows Kafka error codes; handlers/errors.ts maps each `kind` to one. Our own bugs are assertions
 * (node:assert/strict), not StorageErrors.
 */
import { diskErrorCode } from '../io/disk.js';

export type StorageErrorKind =
  /** fetchOffset (or another requested offset) lies outside [logStartOffset, logEndOffset]. */
  | 'offsetOutOfRange'
  /** Bytes that should be a record batch are not one (bad magic, length or CRC). */
  | 'corruptBatch'
  /** A batch larger than the segment size, which no segment could hold. */
  | 'messageTooLarge'
  /** The log failed an earlier write or fsync and refuses all further calls until restart. */
  | 'logOffline'
  /** The log was closed (or deleted) by its owner. */
  | 'logClosed'
  /** A write failed with ENOSPC. The log is offline from then on. */
  | 'diskFull'
  /** Any other I/O failure (EIO, ...). The log is offline from then on. */
  | 'ioError'
  /** LogManager: no log for that topic-partition. */
  | 'logNotFound'
  /** A LogConfig value outside what storage can honour. */
  | 'invalidConfig';

export class StorageError extends Error {
  readonly kind: StorageErrorKind;

  constructor(kind: StorageErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.kind = kind;
  }
}

export function isStorageError(err: unknown, kind?: StorageErrorKind): err is StorageError {
  return err instanceof StorageError && (kind === undefined || err.kind === kind);
}

/** Wraps an I/O failure: ENOSPC becomes 'diskFull', anything else 'ioError'. */
export function storageErrorFromIo(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = diskErrorCode(err);
  const kind: StorageErrorKind = code === 'ENOSPC' ? 'diskFull' : 'ioError';
  const detail = err instanceof Error ? err.message : String(err);
  return new StorageError(kind, `${what}: ${detail}`, { cause: err });
}
