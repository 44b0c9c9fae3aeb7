/**
 * Goal: checkpoint files use Kafka's text format and malformed ones are detected, not trusted.
 * Method: encode/decode round trips and hand-written bad files on the memory disk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { decodeOffsetCheckpoint, encodeOffsetCheckpoint, readOffsetCheckpoint, writeOffsetCheckpoint } from '../../src/storage/checkpoint-file.js';

describe('offset checkpoint files', () => {
  it('round-trips Kafka\'s "version, count, topic partition offset" format', () => {
    const bytes = encodeOffsetCheckpoint([
      { topic: 'orders', partition: 0, offset: 1234 },
      { topic: 'my-topic.v2', partition: 17, offset: 0 },
    ]);
    assert.equal(bytes.toString(), '0\n2\norders 0 1234\nmy-topic.v2 17 0\n');
    const decoded = decodeOffsetCheckpoint(bytes);
    assert.ok(decoded instanceof Map);
    assert.deepEqual([...decoded], [['orders-0', 1234], ['my-topic.v2-17', 0]]);
  });

  it('explains malformed files', () => {
    assert.match(decodeOffsetCheckpoint(Buffer.from('1\n0\n')) as string, /version/);
    assert.match(decodeOffsetCheckpoint(Buffer.from('0\n2\nt 0 1\n')) as string, /count/);
    assert.match(decodeOffsetCheckpoint(Buffer.from('0\n1\nt zero 1\n')) as string, /line 3/);
    assert.match(decodeOffsetCheckpoint(Buffer.from('0\n1\nt 0 1 2\n')) as string, /line 3/);
  });

  it('reads null for a missing file and writes atomically', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    assert.equal(await readOffsetCheckpoint(disk, '/d/cp'), null);
    await writeOffsetCheckpoint(disk, '/d/cp', [{ topic: 't', partition: 1, offset: 9 }]);
    disk.crash();
    const back = await readOffsetCheckpoint(disk, '/d/cp');
    assert.ok(back instanceof Map);
    assert.equal(back.get('t-1'), 9);
    assert.deepEqual(disk.listFiles(), ['/d/cp']);
  });
});
