/**
 * Goal: the frame splitter cuts any byte stream into the frames its size prefixes announce, however
 * the stream is chunked, refuses sizes outside 0..frameBytesMax as soon as the prefix is readable,
 * and never throws: a zero-size frame that ends the buffered bytes once crashed the broker process
 * (TypeError in consume, found by the server fuzzer: four zero bytes from any client).
 *
 * Method: streams built by hand (empty frames, frames across chunks, a bad size after good
 * frames) and random streams split at random points (fast-check), compared with a reference that
 * reads the whole stream at once.
 * Small reads (under 512 bytes) are gathered into a shared tail buffer: frames cut from it must
 * stay intact while later reads are appended (random mixes of small and large chunks), and a
 * trickle of 1-byte reads must not keep one Buffer per byte. hasPartialFrame tells a frame still
 * arriving from a complete one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameSplitter, type FrameResult } from '../../src/protocol/frame.js';

function sized(body: Buffer): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** Pushes the chunks one by one and collects everything the splitter yields. */
function split(chunks: Buffer[], frameBytesMax = 1024): Array<string | number> {
  const s = new FrameSplitter(frameBytesMax);
  const out: Array<string | number> = [];
  for (const chunk of chunks) {
    s.push(chunk);
    for (;;) {
      const r: FrameResult = s.next();
      if (r.kind === 'none') break;
      if (r.kind === 'tooLarge') return [...out, r.sizeBytes];
      out.push(r.frame.toString('hex'));
    }
  }
  return out;
}

describe('FrameSplitter', () => {
  it('yields a zero-size frame that ends the buffered bytes (once a TypeError)', () => {
    assert.deepEqual(split([Buffer.alloc(4)]), ['']);
    assert.deepEqual(split([Buffer.from([0, 0]), Buffer.from([0, 0])]), ['']);
    assert.deepEqual(split([Buffer.concat([sized(Buffer.from('ab')), Buffer.alloc(4)])]), ['6162', '']);
    assert.deepEqual(split([Buffer.concat([Buffer.alloc(4), sized(Buffer.from('c'))])]), ['', '63']);
  });

  it('joins frames across chunks and stops at a size outside 0..max', () => {
    const stream = Buffer.concat([sized(Buffer.from('hello')), sized(Buffer.from('world!')), Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])]);
    const oneByOne = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(split(oneByOne), ['68656c6c6f', '776f726c6421', -1]);
    const tooBig = Buffer.alloc(8);
    tooBig.writeInt32BE(1025, 0);
    assert.deepEqual(split([tooBig]), [1025]);
  });

  it('gives the same frames however a random stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map((b) => sized(Buffer.from(b))));
        const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          chunks.push(stream.subarray(from, p));
          from = p;
        }
        assert.deepEqual(split(chunks), bodies.map((b) => Buffer.from(b).toString('hex')));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps frames cut from gathered small reads intact while more small and large reads arrive', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 1200 }), { maxLength: 40 }), (sizes, cutLengths) => {
        const bodies = sizes.map((n, i) => Buffer.alloc(n, (i * 37 + 11) % 256));
        const stream = Buffer.concat(bodies.map(sized));
        const chunks: Buffer[] = [];
        let from = 0;
        for (const len of cutLengths) {
          if (from >= stream.length) break;
          chunks.push(Buffer.from(stream.subarray(from, from + len))); // copies: the splitter must not rely on the caller's buffer
          from += len;
        }
        if (from < stream.length) chunks.push(Buffer.from(stream.subarray(from)));
        const s = new FrameSplitter(4096);
        const frames: Buffer[] = [];
        for (const c of chunks) {
          s.push(c);
          for (let r = s.next(); r.kind === 'frame'; r = s.next()) frames.push(r.frame);
        }
        // Checked only at the end: later pushes must not have overwritten earlier frames' bytes.
        assert.deepEqual(frames.map((f) => f.toString('hex')), bodies.map((b) => b.toString('hex')));
      }),
      { numRuns: 300 },
    );
  });

  it('gathers a 1-byte trickle into a few buffers and reports the frame as partial until it is complete', () => {
    const s = new FrameSplitter(1 << 20);
    const body = Buffer.alloc(20_000, 7);
    const stream = sized(body);
    for (let i = 0; i < stream.length - 1; i++) {
      s.push(stream.subarray(i, i + 1));
      assert.equal(s.hasPartialFrame(), true);
    }
    // 20,003 one-byte reads held in 16 KiB tails, not one Buffer each.
    assert.ok((s as unknown as { chunks: Buffer[] }).chunks.length <= 3, 'small reads are gathered');
    assert.equal(s.next().kind, 'none');
    s.push(stream.subarray(stream.length - 1));
    assert.equal(s.hasPartialFrame(), false, 'complete frame: not partial');
    const r = s.next();
    assert.ok(r.kind === 'frame' && r.frame.equals(body));
    assert.equal(s.hasPartialFrame(), false, 'nothing buffered: not partial');
    s.push(Buffer.from([0, 0]));
    assert.equal(s.hasPartialFrame(), true, 'half a size prefix is a partial frame');
  });
});
