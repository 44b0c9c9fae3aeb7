/**
 * Production Disk over node:fs/promises. Thin: every method maps to one or two fs calls, and
 * errors pass through unchanged (Node errors carry `code`, which storage inspects).
 */
import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { DirEntry, Disk, FileHandle, FileStat, OpenFlags } from '../disk.js';

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
}
