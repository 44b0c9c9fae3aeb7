/**
 * Goal: no request or response decoder can be made to throw anything but DecodeError, hang, or
 * allocate what a length field claims, whatever bytes it is given.
 * Method: for every API and version (both directions), fast-check feeds the decoder (a) random bytes
 * and (b) valid encodings with random byte flips, truncations and insertions. Each decode must
 * return a value or throw DecodeError; any other exception (RangeError, TypeError, assertion) fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiCodec } from '../../src/protocol/codec.js';
import { allApis } from '../../src/protocol/messages/index.js';
import { DecodeError, Reader, Writer } from '../../src/protocol/primitives.js';
import { structArb } from './arbitraries.js';

const RUNS_PER_VERSION = 25;

function decodeOrDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      assert.fail(`decoder threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(buf: Buffer, muts: Array<{ kind: 'flip' | 'cut' | 'insert'; at: number; byte: number }>): Buffer {
  let out = Buffer.from(buf);
  for (const m of muts) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === 'flip') out[at] = m.byte;
    else if (m.kind === 'cut') out = out.subarray(0, at);
    else out = Buffer.concat([out.subarray(0, at), Buffer.from([m.byte]), out.subarray(at)]);
  }
  return out;
}

for (const api of allApis) {
  describe(`${api.name} decoders`, () => {
    const codec = new ApiCodec(api);
    for (let version = api.versionMin; version <= api.versionMax; version++) {
      const flexible = codec.isFlexible(version);
      it(`v${version}: random bytes and mutated encodings give a value or DecodeError`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
            decodeOrDecodeError(() => codec.decodeRequest(version, new Reader(Buffer.from(bytes))));
            decodeOrDecodeError(() => codec.decodeResponse(version, new Reader(Buffer.from(bytes))));
          }),
          { numRuns: RUNS_PER_VERSION },
        );
        for (const [defs, encode, decode] of [
          [api.request, codec.encodeRequest.bind(codec), codec.decodeRequest.bind(codec)],
          [api.response, codec.encodeResponse.bind(codec), codec.decodeResponse.bind(codec)],
        ] as const) {
          fc.assert(
            fc.property(structArb(defs, version, flexible), fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, muts) => {
              const w = new Writer();
              encode(version, value, w);
              const bad = mutate(w.toBuffer(), muts);
              decodeOrDecodeError(() => decode(version, new Reader(bad)));
            }),
            { numRuns: RUNS_PER_VERSION },
          );
        }
      });
    }
  });
}
