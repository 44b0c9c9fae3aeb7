/**
 * Goal: the in-memory Disk behaves like the Node one where storage relies on it, and its fault
 * injection (ENOSPC after N bytes, failing fsync, power loss with dropped or torn unsynced bytes)
 * does what the recovery tests assume. Method: drive MemoryDisk through the Disk interface only,
 * then inspect it with its test hooks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diskErrorCode } from '../../src/io/disk.js';
import { MemoryDisk } from '../../src/io/memory/disk.js';

const hasCode = (code: string) => (err: unknown) => diskErrorCode(err) === code;

describe('MemoryDisk files and directories', () => {
  it('opens with the documented flags', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/a/b');
    await assert.rejects(disk.open('/a/b/f', 'r'), hasCode('ENOENT'));
    await assert.rejects(disk.open('/a/b/f', 'r+'), hasCode('ENOENT'));
    await assert.rejects(disk.open('/nope/f', 'w+'), hasCode('ENOENT'));
    const h = await disk.open('/a/b/f', 'c+');
    await h.write(Buffer.from('hello'), 0);
    await h.close();
    const again = await disk.open('/a/b/f', 'c+');
    assert.equal(await again.size(), 5, "'c+' keeps contents");
    await again.close();
    const ro = await disk.open('/a/b/f', 'r');
    await assert.rejects(ro.write(Buffer.from('x'), 0), hasCode('EBADF'));
    await ro.close();
    await assert.rejects(ro.size(), hasCode('EBADF'));
    const emptied = await disk.open('/a/b/f', 'w+');
    assert.equal(await emptied.size(), 0, "'w+' empties");
    await emptied.close();
  });

  it('reads, writes at positions, truncates and reports sizes', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    const h = await disk.open('/d/f', 'w+');
    await h.write(Buffer.from('abcdef'), 0);
    await h.write(Buffer.from('XY'), 2);
    await h.write(Buffer.from('!'), 10);
    const buf = Buffer.alloc(20);
    assert.equal(await h.read(buf, 0, 20, 0), 11);
    assert.deepEqual(buf.subarray(0, 11), Buffer.from('abXYef\0\0\0\0!'));
    assert.equal(await h.read(buf, 5, 3, 1), 3);
    assert.deepEqual(buf.subarray(5, 8), Buffer.from('bXY'));
    assert.equal(await h.read(buf, 0, 4, 50), 0);
    await h.truncate(3);
    assert.equal(await h.size(), 3);
    await h.close();
    assert.deepEqual(await disk.readFile('/d/f'), Buffer.from('abX'));
    assert.deepEqual(await disk.stat('/d/f'), { sizeBytes: 3, isDirectory: false });
    assert.equal(await disk.stat('/d/none'), null);
  });

  it('lists, renames and removes files and directory trees', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/root/t-0');
    await disk.writeFileAtomic('/root/t-0/a.log', Buffer.from('a'));
    await disk.writeFileAtomic('/root/cp', Buffer.from('c'));
    const names = (await disk.readdir('/root')).map((e) => `${e.name}:${e.isDirectory}`).sort();
    assert.deepEqual(names, ['cp:false', 't-0:true']);
    const open = await disk.open('/root/t-0/a.log', 'r+');
    await disk.rename('/root/t-0', '/root/t-0.x-delete');
    assert.deepEqual(await disk.readFile('/root/t-0.x-delete/a.log'), Buffer.from('a'));
    assert.equal(await open.size(), 1, 'an open handle survives a rename');
    await open.close();
    await disk.rm('/root/t-0.x-delete');
    assert.deepEqual(disk.listFiles(), ['/root/cp']);
    await disk.rm('/root/missing');
    await assert.rejects(disk.readdir('/root/t-0'), hasCode('ENOENT'));
    await assert.rejects(disk.readFile('/root/t-0/a.log'), hasCode('ENOENT'));
  });
});

describe('MemoryDisk faults', () => {
  it('writes only the bytes that fit before failing with ENOSPC', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    const h = await disk.open('/d/f', 'w+');
    disk.failWritesAfter(8);
    await h.write(Buffer.from('12345'), 0);
    await assert.rejects(h.write(Buffer.from('abcdef'), 5), hasCode('ENOSPC'));
    assert.deepEqual(disk.fileBytes('/d/f'), Buffer.from('12345abc'));
    await assert.rejects(h.write(Buffer.from('z'), 8), hasCode('ENOSPC'));
    disk.clearFaults();
    await h.write(Buffer.from('z'), 8);
    await h.close();
  });

  it('limits a fault to matching paths and supports other error codes', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    disk.failWritesAfter(0, { pathIncludes: 'bad', code: 'EIO' });
    const good = await disk.open('/d/good', 'w+');
    await good.write(Buffer.from('fine'), 0);
    const bad = await disk.open('/d/bad', 'w+');
    await assert.rejects(bad.write(Buffer.from('no'), 0), hasCode('EIO'));
    disk.failSyncs();
    await assert.rejects(good.sync(), hasCode('EIO'));
  });

  it('a capacity makes the disk fill up', async () => {
    const disk = new MemoryDisk({ capacityBytes: 10 });
    await disk.mkdir('/d');
    const h = await disk.open('/d/f', 'w+');
    await h.write(Buffer.alloc(6), 0);
    assert.equal(await disk.freeBytes('/d'), 4);
    await assert.rejects(h.write(Buffer.alloc(6), 6), hasCode('ENOSPC'));
    assert.equal(await h.size(), 10);
  });

  it('a crash drops unsynced bytes, keeps synced ones and kills open handles', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    const h = await disk.open('/d/f', 'w+');
    await h.write(Buffer.from('durable'), 0);
    await h.sync();
    await h.write(Buffer.from('-lost'), 7);
    const never = await disk.open('/d/never-synced', 'w+');
    await never.write(Buffer.from('gone'), 0);
    await disk.writeFileAtomic('/d/atomic', Buffer.from('kept'));
    disk.crash();
    assert.deepEqual(disk.fileBytes('/d/f'), Buffer.from('durable'));
    assert.deepEqual(disk.fileBytes('/d/never-synced'), Buffer.alloc(0));
    assert.deepEqual(disk.fileBytes('/d/atomic'), Buffer.from('kept'));
    await assert.rejects(h.read(Buffer.alloc(1), 0, 1, 0), hasCode('EBADF'));
    const reopened = await disk.open('/d/f', 'r+');
    assert.equal(await reopened.size(), 7);
    await reopened.close();
  });

  it('a crash can keep part of the unsynced tail (a torn write)', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    const h = await disk.open('/d/f', 'w+');
    await h.write(Buffer.from('AAAA'), 0);
    await h.sync();
    await h.write(Buffer.from('BBBBBBBB'), 4);
    disk.crash({ keepUnsyncedBytes: (filePath, unsynced) => (filePath === '/d/f' ? unsynced / 2 : 0) });
    assert.deepEqual(disk.fileBytes('/d/f'), Buffer.from('AAAABBBB'));
  });
});
