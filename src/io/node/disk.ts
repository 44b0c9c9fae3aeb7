/**
 * Production Disk over node:fs/promises. Thin: every method maps to one or two fs calls, and
 * errors pass through unchanged (Node errors carry `code`, which storage inspects).
 */
import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { diskError, type DirEntry, type Disk, type DiskLock, type FileHandle, type FileStat, type OpenFlags } from '../disk.js';

function nodeFlags(flags: OpenFlags): string | number {
  switch (flags) {
    case 'r':
    case 'r+':
    case 'w+':
      return flags;
    case 'c+':
      // Node has no string flag for "read/write, create, do not truncate".
      return fsConstants.O_RDWR | fsConstants.O_CREAT;
  }
}

class NodeFileHandle implements FileHandle {
  readonly #handle: fs.FileHandle;

  constructor(handle: fs.FileHandle) {
    this.#handle = handle;
  }

  async read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#handle.read(buf, bufOffset + done, length - done, position + done);
      if (bytesRead === 0) break; // end of file
      done += bytesRead;
    }
    return done;
  }

  async write(buf: Buffer, position: number): Promise<number> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.#handle.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
    return done;
  }

  async sync(): Promise<void> {
    await this.#handle.sync();
  }

  async truncate(lengthBytes: number): Promise<void> {
    await this.#handle.truncate(lengthBytes);
  }

  async size(): Promise<number> {
    return (await this.#handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

export class NodeDisk implements Disk {
  async mkdir(dirPath: string): Promise<void> {
    await fs.mkdir(dirPath, { recursive: true });
  }

  async readdir(dirPath: string): Promise<DirEntry[]> {
    const entries = await fs.readdir(dirPath, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  }

  async rm(target: string): Promise<void> {
    await fs.rm(target, { recursive: true, force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.rename(from, to);
  }

  async stat(target: string): Promise<FileStat | null> {
    try {
      const s = await fs.stat(target);
      return { sizeBytes: s.size, isDirectory: s.isDirectory() };
    } catch (err) {
      // Expected case: "does not exist" is an answer, not a failure.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async readFile(target: string): Promise<Buffer> {
    return fs.readFile(target);
  }

  async writeFileAtomic(target: string, data: Buffer): Promise<void> {
    const tmpPath = `${target}.tmp`;
    const handle = await fs.open(tmpPath, 'w');
    try {
      await new NodeFileHandle(handle).write(data, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmpPath, target);
    await this.syncDir(path.dirname(target));
  }

  async open(target: string, flags: OpenFlags): Promise<FileHandle> {
    return new NodeFileHandle(await fs.open(target, nodeFlags(flags)));
  }

  async syncDir(dirPath: string): Promise<void> {
    const handle = await fs.open(dirPath, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async freeBytes(target: string): Promise<number> {
    const s = await fs.statfs(target);
    return s.bavail * s.bsize;
  }

  /**
   * A lock file holding `<pid> <start time>` (the process start time from /proc, so a pid reused
   * by another program after a crash is not mistaken for the owner). Created with O_EXCL; a file
   * whose owner is gone is removed and the create retried once.
   */
  async lock(target: string): Promise<DiskLock> {
    const me = `${process.pid} ${await processStartTime(process.pid)}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await fs.open(target, 'wx');
        try {
          await handle.writeFile(`${me}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return {
          release: async () => {
            const now = await fs.readFile(target, 'utf8').catch((err: NodeJS.ErrnoException) => {
              if (err.code === 'ENOENT') return ''; // already gone (the dir was removed): nothing to release
              throw err;
            });
            if (now.trim() === me) await fs.rm(target, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [pidText, startText] = (await fs.readFile(target, 'utf8')).trim().split(/\s+/);
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && (await processAlive(pid, startText ?? ''))) {
        throw Object.assign(diskError('ELOCKED', 'lock', target), { holder: `process ${pid}` });
      }
      await fs.rm(target, { force: true }); // left by a process that is gone (kill -9, crash)
    }
    throw Object.assign(diskError('ELOCKED', 'lock', target), { holder: 'another process (it took the lock while we retried)' });
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or '' where /proc is missing. */
async function processStartTime(pid: number): Promise<string> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''; // no /proc (or no such process)
    throw err;
  }
}

async function processAlive(pid: number, startTime: string): Promise<boolean> {
  if (pid === process.pid) return true; // this very process already holds it
  try {
    process.kill(pid, 0);
  } catch (err) {
    // ESRCH: no such process. EPERM: it exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return startTime === '' || (await processStartTime(pid)) === startTime;
}
