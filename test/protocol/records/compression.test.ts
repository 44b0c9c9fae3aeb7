/**
 * Goal: every codec round-trips, decodes the variants real producers write (xerial snappy, lz4
 * frames with checksums / dependent blocks / several frames, zstd frames without content size),
 * and turns every bad payload into a CompressionError of the right kind, never a crash, a wrong
 * result or a poisoned decoder.
 * Method: round trips over sizes from 0 bytes to several MiB, sync and async; variants built with
 * the libraries' own options and, for xerial, by framing raw snappy blocks per the format; then
 * truncations, garbage and tiny output limits.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import * as lz4napi from 'lz4-napi';
import * as snappy from 'snappy';
import zstd from 'zstd-napi/binding.js';
import {
  CompressionError,
  compress,
  compressSync,
  decompress,
  decompressSync,
  isXerialSnappy,
  type CompressionErrorKind,
} from '../../../src/protocol/records/compression.js';

const require = createRequire(import.meta.url);

function sample(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i % 251) ^ ((i >> 10) & 0xff);
  // Mix in incompressible stretches so blocks vary in shape.
  const noise = randomBytes(Math.floor(bytes / 8));
  noise.copy(b, Math.floor(bytes / 3));
  return b;
}

function isKind(kind: CompressionErrorKind) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof CompressionError, `expected CompressionError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    return true;
  };
}

/** Xerial framing written from the format: magic, version 1, compat 1, [int32 length][raw block]... */
function xerial(data: Buffer, chunkBytes: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let at = 0; at < data.length; at += chunkBytes) {
    const block = snappy.compressSync(data.subarray(at, at + chunkBytes));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

function zstdWithoutContentSize(data: Buffer): Buffer {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 0);
  const out = Buffer.alloc(zstd.compressBound(data.length));
  const n = cctx.compress2(out, data);
  assert.equal(zstd.getFrameContentSize(out.subarray(0, n)), null);
  return out.subarray(0, n);
}

const CODECS = [
  [1, 'gzip'],
  [2, 'snappy'],
  [3, 'lz4'],
  [4, 'zstd'],
] as const;

describe('compression round trips', () => {
  for (const [codec, name] of CODECS) {
    for (const bytes of [0, 1, 1000, 70_000, 300_000, 5 * 1024 * 1024]) {
      it(`${name}: ${bytes} bytes, sync and async`, async () => {
        const data = sample(bytes);
        const a = compressSync(codec, data);
        const b = await compress(codec, data);
        assert.deepEqual(decompressSync(codec, a), data);
        assert.deepEqual(await decompress(codec, b), data);
        assert.deepEqual(await decompress(codec, a), data);
      });
    }
  }

  it('high-ratio payloads whose output ends exactly on 128 KiB chunk boundaries', async () => {
    // Regression: zstd's stream decoder reports a finished frame (ret 0) on a call that fills the
    // output exactly; asking it for more then looked like a truncated next frame.
    for (const bytes of [128 * 1024, 256 * 1024, 10 * 1024 * 1024]) {
      const data = Buffer.alloc(bytes, 7);
      data.write('marker', bytes >> 1);
      for (const [codec] of CODECS) {
        assert.deepEqual(decompressSync(codec, compressSync(codec, data)), data, `codec ${codec}, ${bytes} bytes`);
        assert.deepEqual(await decompress(codec, await compress(codec, data)), data, `codec ${codec}, ${bytes} bytes`);
      }
      assert.deepEqual(decompressSync(4, zstdWithoutContentSize(data)), data);
    }
  });

  it('codec 0 is the identity', async () => {
    const data = Buffer.from('plain');
    assert.equal(compressSync(0, data), data);
    assert.equal(decompressSync(0, data), data);
    assert.equal(await decompress(0, data), data);
  });

  it('rejects codec ids outside 0-4', async () => {
    assert.throws(() => decompressSync(5, Buffer.alloc(4)), isKind('unsupportedCodec'));
    assert.throws(() => compressSync(7, Buffer.alloc(4)), isKind('unsupportedCodec'));
    await assert.rejects(decompress(6, Buffer.alloc(4)), isKind('unsupportedCodec'));
  });

  it('gzip level is honoured', () => {
    const data = sample(100_000);
    assert.ok(compressSync(1, data, { level: 1 }).length >= compressSync(1, data, { level: 9 }).length);
  });
});

describe('snappy variants', () => {
  it('decodes xerial framing with several chunks, sync and async', async () => {
    const data = sample(100_000);
    const framed = xerial(data, 32 * 1024);
    assert.ok(isXerialSnappy(framed));
    assert.deepEqual(decompressSync(2, framed), data);
    assert.deepEqual(await decompress(2, framed), data);
  });

  it('decodes an xerial stream with no chunks as empty', () => {
    assert.equal(decompressSync(2, xerial(Buffer.alloc(0), 1)).length, 0);
  });

  it('rejects broken xerial framing', () => {
    const framed = xerial(sample(5000), 1000);
    assert.throws(() => decompressSync(2, framed.subarray(0, 12)), isKind('corrupt'));
    assert.throws(() => decompressSync(2, framed.subarray(0, framed.length - 1)), isKind('corrupt'));
    const badLength = Buffer.from(framed);
    badLength.writeInt32BE(-5, 16);
    assert.throws(() => decompressSync(2, badLength), isKind('corrupt'));
    assert.throws(() => decompressSync(2, Buffer.concat([framed, Buffer.from([0, 0])])), isKind('corrupt'));
  });

  it('rejects raw garbage and empty input', async () => {
    assert.throws(() => decompressSync(2, Buffer.alloc(0)), isKind('corrupt'));
    assert.throws(() => decompressSync(2, Buffer.from([0x05, 0xff, 0xff])), isKind('corrupt'));
    await assert.rejects(decompress(2, Buffer.from([0x05, 0xff, 0xff])), isKind('corrupt'));
  });

  it('refuses an announced length over the limit before decoding', () => {
    // uvarint 2^32 - 1 as the block's uncompressed length.
    const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    assert.throws(() => decompressSync(2, claim, { maxDecompressedBytes: 1 << 20 }), isKind('tooLarge'));
  });
});

describe('lz4 frame variants', () => {
  const data = sample(300_000);

  it('decodes frames with content checksum and block checksums', async () => {
    for (const options of [{ contentChecksum: true }, { blockChecksums: true }, { contentChecksum: true, blockChecksums: true }]) {
      const frame = lz4napi.compressFrameSync(data, options);
      assert.deepEqual(decompressSync(3, frame), data);
      assert.deepEqual(await decompress(3, frame), data);
    }
  });

  it('decodes dependent blocks and 4 MiB blocks (npm lz4, as kafkajs-lz4 uses)', () => {
    const lz4js = require('lz4') as { encode(b: Buffer, o?: object): Buffer };
    assert.deepEqual(decompressSync(3, lz4js.encode(data, { blockIndependence: false, blockMaxSize: 64 * 1024 })), data);
    assert.deepEqual(decompressSync(3, lz4js.encode(data)), data);
  });

  it('decodes concatenated frames and skips skippable frames', () => {
    const a = lz4napi.compressFrameSync(data.subarray(0, 1000));
    const b = lz4napi.compressFrameSync(data.subarray(1000));
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    assert.deepEqual(decompressSync(3, Buffer.concat([a, skippable, b])), data);
  });

  it('rejects every truncation instead of returning partial output', () => {
    const frame = lz4napi.compressFrameSync(data.subarray(0, 2000), { contentChecksum: true });
    for (let cut = 0; cut < frame.length; cut++) {
      assert.throws(() => decompressSync(3, frame.subarray(0, cut)), isKind('corrupt'), `cut at ${cut}`);
    }
  });

  it('rejects trailing garbage, bad magic and flipped payload bytes', () => {
    const frame = lz4napi.compressFrameSync(data.subarray(0, 2000), { contentChecksum: true });
    assert.throws(() => decompressSync(3, Buffer.concat([frame, Buffer.from([1, 2, 3, 4, 5])])), isKind('corrupt'));
    assert.throws(() => decompressSync(3, Buffer.from('not an lz4 frame')), isKind('corrupt'));
    const flipped = Buffer.from(frame);
    flipped[frame.length - 10]! ^= 0x55;
    assert.throws(() => decompressSync(3, flipped), isKind('corrupt'));
  });

  it('refuses an announced content size over the limit', () => {
    const frame = lz4napi.compressFrameSync(data);
    assert.throws(() => decompressSync(3, frame, { maxDecompressedBytes: 1000 }), isKind('tooLarge'));
  });
});

describe('zstd variants', () => {
  const data = sample(400_000);

  it('decodes frames without content size (what streaming producers write)', async () => {
    const frame = zstdWithoutContentSize(data);
    assert.deepEqual(decompressSync(4, frame), data);
    assert.deepEqual(await decompress(4, frame), data);
  });

  it('decodes concatenated and skippable frames', () => {
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    const joined = Buffer.concat([compressSync(4, data.subarray(0, 10)), skippable, zstdWithoutContentSize(data.subarray(10))]);
    assert.deepEqual(decompressSync(4, joined), data);
  });

  it('rejects truncated frames, with and without content size', () => {
    for (const frame of [compressSync(4, data), zstdWithoutContentSize(data)]) {
      for (const cut of [0, 3, 10, frame.length >> 1, frame.length - 1]) {
        assert.throws(() => decompressSync(4, frame.subarray(0, cut)), isKind('corrupt'), `cut at ${cut}`);
      }
    }
  });

  it('keeps working after a failed frame (no poisoned shared context)', () => {
    const frame = zstdWithoutContentSize(data);
    assert.throws(() => decompressSync(4, frame.subarray(0, frame.length >> 1)), isKind('corrupt'));
    assert.throws(() => decompressSync(4, Buffer.from('garbage garbage')), isKind('corrupt'));
    assert.deepEqual(decompressSync(4, frame), data);
  });

  it('rejects trailing garbage', () => {
    assert.throws(() => decompressSync(4, Buffer.concat([compressSync(4, data), Buffer.from([1, 2, 3])])), isKind('corrupt'));
  });

  it('stops at the output limit', () => {
    assert.throws(() => decompressSync(4, zstdWithoutContentSize(Buffer.alloc(10 << 20)), { maxDecompressedBytes: 1 << 20 }), isKind('tooLarge'));
  });
});

describe('gzip failures', () => {
  it('maps corruption and the output limit to typed errors', async () => {
    const frame = compressSync(1, sample(50_000));
    assert.throws(() => decompressSync(1, frame.subarray(0, frame.length - 4)), isKind('corrupt'));
    assert.throws(() => decompressSync(1, Buffer.from('plain text')), isKind('corrupt'));
    assert.throws(() => decompressSync(1, frame, { maxDecompressedBytes: 100 }), isKind('tooLarge'));
    await assert.rejects(decompress(1, frame, { maxDecompressedBytes: 100 }), isKind('tooLarge'));
    await assert.rejects(decompress(1, Buffer.alloc(0)), isKind('corrupt'));
  });
});
