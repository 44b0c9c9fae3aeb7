/**
 * In-memory Disk for unit tests and simulation, with fault injection.
 *
 * Model: a file has its current bytes (what reads see, like the page cache) and its durable bytes
 * (a copy taken at the last sync()). Directory operations (create, rename, rm) are durable at once;
 * syncDir() is a no-op. `crash()` models a power failure: every file falls back to its durable
 * bytes, optionally keeping part of the unsynced tail ("torn" writes), and every open handle dies
 * (later calls fail with EBADF), as if the process had been killed. The model is meant for
 * append-mostly files: a torn tail keeps a prefix of the bytes written past the durable length.
 *
 * Faults: `failWritesAfter(bytes)` lets the next `bytes` bytes be written, then writes only the part
 * that fits and rejects with ENOSPC (or another code), as a full disk does. `failSyncs()` makes
 * fsync reject with EIO.
 */
import * as path from 'node:path';
import { diskError, type DirEntry, type Disk, type DiskLock, type FileHandle, type FileStat, type OpenFlags } from '../disk.js';

interface MemFile {
  data: Buffer;
  lengthBytes: number;
  durable: Buffer;
}

export interface CrashOptions {
  /**
   * How many of a file's unsynced tail bytes reach the disk. Default: none (drop all unsynced bytes).
   * Called once per file that has unsynced bytes past its durable length.
   */
  keepUnsyncedBytes?: (filePath: string, unsyncedBytes: number) => number;
}

interface WriteFault {
  remainingBytes: number;
  code: string;
  pathIncludes: string | undefined;
}

function normalise(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

class MemoryFileHandle implements FileHandle {
  readonly #disk: MemoryDisk;
  readonly #file: MemFile;
  readonly #path: string;
  readonly #writable: boolean;
  readonly #epoch: number;
  #closed = false;

  constructor(disk: MemoryDisk, file: MemFile, filePath: string, writable: boolean, epoch: number) {
    this.#disk = disk;
    this.#file = file;
    this.#path = filePath;
    this.#writable = writable;
    this.#epoch = epoch;
  }

  #check(syscall: string): void {
    if (this.#closed || this.#epoch !== this.#disk.epoch) throw diskError('EBADF', syscall, this.#path);
  }

  async read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    this.#check('read');
    const f = this.#file;
    if (position >= f.lengthBytes) return 0;
    const n = Math.min(length, f.lengthBytes - position);
    f.data.copy(buf, bufOffset, position, position + n);
    this.#disk.bytesRead += n;
    this.#disk.maybeFlipBit(this.#path, buf, bufOffset, n);
    return n;
  }

  async write(buf: Buffer, position: number): Promise<number> {
    this.#check('write');
    if (!this.#writable) throw diskError('EBADF', 'write', this.#path);
    const allowed = this.#disk.takeWriteBudget(this.#path, buf.length);
    if (allowed.bytes > 0) this.#put(buf.subarray(0, allowed.bytes), position);
    if (allowed.errorCode !== undefined) throw diskError(allowed.errorCode, 'write', this.#path);
    return buf.length;
  }

  #put(buf: Buffer, position: number): void {
    const f = this.#file;
    const end = position + buf.length;
    if (end > f.data.length) {
      const grown = Buffer.alloc(Math.max(end, f.data.length * 2, 4096));
      f.data.copy(grown, 0, 0, f.lengthBytes);
      f.data = grown;
    }
    if (position > f.lengthBytes) f.data.fill(0, f.lengthBytes, position); // a hole reads as zeros
    buf.copy(f.data, position);
    f.lengthBytes = Math.max(f.lengthBytes, end);
  }

  async sync(): Promise<void> {
    this.#check('fsync');
    if (this.#disk.syncFailureCode !== undefined) throw diskError(this.#disk.syncFailureCode, 'fsync', this.#path);
    const f = this.#file;
    f.durable = Buffer.from(f.data.subarray(0, f.lengthBytes));
  }

  async truncate(lengthBytes: number): Promise<void> {
    this.#check('ftruncate');
    if (!this.#writable) throw diskError('EBADF', 'ftruncate', this.#path);
    const f = this.#file;
    if (lengthBytes > f.lengthBytes) {
      this.#put(Buffer.alloc(lengthBytes - f.lengthBytes), f.lengthBytes);
    } else {
      f.lengthBytes = lengthBytes;
    }
  }

  async size(): Promise<number> {
    this.#check('fstat');
    return this.#file.lengthBytes;
  }

  async close(): Promise<void> {
    this.#check('close');
    this.#closed = true;
  }
}

export class MemoryDisk implements Disk {
  readonly #files = new Map<string, MemFile>();
  readonly #dirs = new Set<string>(['/', '.']);
  readonly #locks = new Set<string>();
  #writeFault: WriteFault | undefined;
  #readFault: { probability: number; draw: () => number; pathIncludes: string } | undefined;
  /** Bits flipped by flipBitsOnRead so far. */
  bitsFlipped = 0;
  /** Incremented by crash(); handles opened before a crash stop working. */
  epoch = 0;
  /** When set, every sync() rejects with this code. */
  syncFailureCode: string | undefined;
  /** Total bytes accepted by write() since creation (all files). */
  bytesWritten = 0;
  /** Total bytes returned by FileHandle.read() since creation (readFile not counted). */
  bytesRead = 0;
  readonly #capacityBytes: number | undefined;

  constructor(opts: { capacityBytes?: number } = {}) {
    this.#capacityBytes = opts.capacityBytes;
  }

  // ---- fault injection and inspection (not part of Disk) ----

  /**
   * Bit flips on read (a bad cable, bad RAM): each read of a file whose path includes
   * `pathIncludes` has a `probability` chance of returning one flipped bit, chosen by `draw`
   * (a source of numbers in [0, 1), e.g. a seeded generator). The bytes at rest stay intact.
   */
  flipBitsOnRead(probability: number, draw: () => number, pathIncludes = ''): void {
    this.#readFault = { probability, draw, pathIncludes };
  }

  /** Internal: applies the read fault to `n` bytes just read into `buf` at `at`. */
  maybeFlipBit(filePath: string, buf: Buffer, at: number, n: number): void {
    const f = this.#readFault;
    if (f === undefined || n === 0 || !filePath.includes(f.pathIncludes) || f.draw() >= f.probability) return;
    const i = at + Math.floor(f.draw() * n);
    buf[i] = buf[i]! ^ (1 << Math.floor(f.draw() * 8));
    this.bitsFlipped++;
  }

  /** Lets `bytes` more bytes be written (to files whose path includes `pathIncludes`, if given), then fails with `code`. */
  failWritesAfter(bytes: number, opts: { code?: string; pathIncludes?: string } = {}): void {
    this.#writeFault = { remainingBytes: bytes, code: opts.code ?? 'ENOSPC', pathIncludes: opts.pathIncludes };
  }

  failSyncs(code = 'EIO'): void {
    this.syncFailureCode = code;
  }

  clearFaults(): void {
    this.#writeFault = undefined;
    this.#readFault = undefined;
    this.syncFailureCode = undefined;
  }

  /** Power failure: unsynced bytes are lost (or partly kept, see CrashOptions); open handles die. */
  crash(opts: CrashOptions = {}): void {
    this.epoch++;
    for (const [filePath, f] of this.#files) {
      let keep = f.durable;
      const unsynced = f.lengthBytes - f.durable.length;
      if (unsynced > 0 && opts.keepUnsyncedBytes) {
        const n = Math.max(0, Math.min(unsynced, opts.keepUnsyncedBytes(filePath, unsynced)));
        keep = Buffer.concat([f.durable, f.data.subarray(f.durable.length, f.durable.length + n)]);
      }
      f.data = Buffer.from(keep);
      f.lengthBytes = keep.length;
      f.durable = Buffer.from(keep);
    }
  }

  /** Copy of a file's current bytes (for assertions). */
  fileBytes(filePath: string): Buffer {
    const f = this.#files.get(normalise(filePath));
    if (!f) throw diskError('ENOENT', 'open', filePath);
    return Buffer.from(f.data.subarray(0, f.lengthBytes));
  }

  /** A file's current bytes without a copy (read-only inspection; valid until the next write or truncate). */
  fileView(filePath: string): Buffer {
    const f = this.#files.get(normalise(filePath));
    if (!f) throw diskError('ENOENT', 'open', filePath);
    return f.data.subarray(0, f.lengthBytes);
  }

  /** Every file path, sorted. */
  listFiles(): string[] {
    return [...this.#files.keys()].sort();
  }

  /** Internal: how much of a write of `bytes` may proceed, and the error to raise after it. */
  takeWriteBudget(filePath: string, bytes: number): { bytes: number; errorCode: string | undefined } {
    const fault = this.#writeFault;
    if (fault && (fault.pathIncludes === undefined || filePath.includes(fault.pathIncludes))) {
      if (bytes > fault.remainingBytes) {
        const allowed = fault.remainingBytes;
        fault.remainingBytes = 0;
        this.bytesWritten += allowed;
        return { bytes: allowed, errorCode: fault.code };
      }
      fault.remainingBytes -= bytes;
    }
    if (this.#capacityBytes !== undefined) {
      const free = this.#capacityBytes - this.#usedBytes();
      if (bytes > free) {
        this.bytesWritten += Math.max(0, free);
        return { bytes: Math.max(0, free), errorCode: 'ENOSPC' };
      }
    }
    this.bytesWritten += bytes;
    return { bytes, errorCode: undefined };
  }

  #usedBytes(): number {
    let n = 0;
    for (const f of this.#files.values()) n += f.lengthBytes;
    return n;
  }

  #requireParent(p: string, syscall: string): void {
    if (!this.#dirs.has(path.posix.dirname(p))) throw diskError('ENOENT', syscall, p);
  }

  // ---- Disk ----

  async mkdir(dirPath: string): Promise<void> {
    let p = normalise(dirPath);
    if (this.#files.has(p)) throw diskError('EEXIST', 'mkdir', dirPath);
    const missing: string[] = [];
    while (!this.#dirs.has(p)) {
      missing.push(p);
      p = path.posix.dirname(p);
    }
    for (const d of missing) this.#dirs.add(d);
  }

  async readdir(dirPath: string): Promise<DirEntry[]> {
    const dir = normalise(dirPath);
    if (!this.#dirs.has(dir)) throw diskError('ENOENT', 'scandir', dirPath);
    const out: DirEntry[] = [];
    for (const d of this.#dirs) if (d !== dir && path.posix.dirname(d) === dir) out.push({ name: path.posix.basename(d), isDirectory: true });
    for (const f of this.#files.keys()) if (path.posix.dirname(f) === dir) out.push({ name: path.posix.basename(f), isDirectory: false });
    return out;
  }

  async rm(target: string): Promise<void> {
    const p = normalise(target);
    this.#files.delete(p);
    if (this.#dirs.has(p)) {
      const prefix = `${p}/`;
      for (const d of [...this.#dirs]) if (d === p || d.startsWith(prefix)) this.#dirs.delete(d);
      for (const f of [...this.#files.keys()]) if (f.startsWith(prefix)) this.#files.delete(f);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const src = normalise(from);
    const dst = normalise(to);
    this.#requireParent(dst, 'rename');
    const file = this.#files.get(src);
    if (file) {
      if (this.#dirs.has(dst)) throw diskError('EISDIR', 'rename', to);
      this.#files.delete(src);
      this.#files.set(dst, file);
      return;
    }
    if (!this.#dirs.has(src)) throw diskError('ENOENT', 'rename', from);
    if (this.#files.has(dst)) throw diskError('ENOTDIR', 'rename', to);
    const prefix = `${src}/`;
    for (const d of [...this.#dirs]) {
      if (d === src || d.startsWith(prefix)) {
        this.#dirs.delete(d);
        this.#dirs.add(dst + d.slice(src.length));
      }
    }
    for (const [f, content] of [...this.#files]) {
      if (f.startsWith(prefix)) {
        this.#files.delete(f);
        this.#files.set(dst + f.slice(src.length), content);
      }
    }
  }

  async stat(target: string): Promise<FileStat | null> {
    const p = normalise(target);
    const f = this.#files.get(p);
    if (f) return { sizeBytes: f.lengthBytes, isDirectory: false };
    if (this.#dirs.has(p)) return { sizeBytes: 0, isDirectory: true };
    return null;
  }

  async readFile(target: string): Promise<Buffer> {
    const f = this.#files.get(normalise(target));
    if (!f) throw diskError('ENOENT', 'open', target);
    return Buffer.from(f.data.subarray(0, f.lengthBytes));
  }

  async writeFileAtomic(target: string, data: Buffer): Promise<void> {
    const tmpPath = `${target}.tmp`;
    const handle = await this.open(tmpPath, 'w+');
    try {
      await handle.write(data, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.rename(tmpPath, target);
  }

  async open(target: string, flags: OpenFlags): Promise<FileHandle> {
    const p = normalise(target);
    if (this.#dirs.has(p)) throw diskError('EISDIR', 'open', target);
    let file = this.#files.get(p);
    if (!file) {
      if (flags === 'r' || flags === 'r+') throw diskError('ENOENT', 'open', target);
      this.#requireParent(p, 'open');
      file = { data: Buffer.alloc(0), lengthBytes: 0, durable: Buffer.alloc(0) };
      this.#files.set(p, file);
    } else if (flags === 'w+') {
      file.lengthBytes = 0;
    }
    return new MemoryFileHandle(this, file, p, flags !== 'r', this.epoch);
  }

  /** Locks live in this MemoryDisk (one per path); a crash() does not release them, as a process death would not. */
  async lock(lockPath: string): Promise<DiskLock> {
    const key = normalise(lockPath);
    if (this.#locks.has(key)) throw Object.assign(diskError('ELOCKED', 'lock', lockPath), { holder: 'another owner of this MemoryDisk' });
    this.#locks.add(key);
    return { release: async () => void this.#locks.delete(key) };
  }

  /** Drops every lock, as the death of the process that held them would. */
  releaseLocks(): void {
    this.#locks.clear();
  }

  async syncDir(dirPath: string): Promise<void> {
    if (!this.#dirs.has(normalise(dirPath))) throw diskError('ENOENT', 'fsync', dirPath);
  }

  async freeBytes(_path: string): Promise<number> {
    return this.#capacityBytes === undefined ? Number.MAX_SAFE_INTEGER : this.#capacityBytes - this.#usedBytes();
  }
}
