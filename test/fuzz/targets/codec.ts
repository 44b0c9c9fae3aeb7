/**
 * Fuzz targets for the message codec (src/protocol/codec.ts over messages/*.ts).
 *
 * - `request`: the input is a request frame without its size prefix, exactly what
 *   server/dispatcher.ts receives. The harness does what the dispatcher does up to the handler:
 *   peek the header, look up the API, gate the version, decode the header and the body. Contract:
 *   a value or DecodeError. Oracle for decoded values: encoding them and decoding the result gives
 *   the same value (the codec can write everything it reads).
 * - `response`: apiKey int16, version int16, then a response frame as a client receives it
 *   (header + body): what src/client decodes. Same contract and oracle.
 * Seeds: the golden frames captured from real clients (test/protocol/golden), plus per API ×
 * version an all-defaults value and two random values (fast-check, from arbitraries.ts, seeded).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ApiCodec, type Struct } from '../../../src/protocol/codec.js';
import { decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader, peekRequestHeader, responseHeaderVersion } from '../../../src/protocol/header.js';
import { allApis } from '../../../src/protocol/messages/index.js';
import { DecodeError, Reader, Writer } from '../../../src/protocol/primitives.js';
import { structArb } from '../../protocol/arbitraries.js';
import { encodeUvarint } from '../mutate.js';
import { Finding, type FuzzTarget } from '../target.js';
import { sourceDir } from './paths.js';

export const codecs = new Map<number, ApiCodec>(allApis.map((api) => [api.apiKey, new ApiCodec(api)]));
const keys = [...codecs.keys()];
const RANDOM_VALUES_PER_VERSION = 2;

/** Every (API, version) pair we implement. */
export function apiVersions(): Array<{ codec: ApiCodec; version: number }> {
  const out: Array<{ codec: ApiCodec; version: number }> = [];
  for (const codec of codecs.values()) {
    for (let v = codec.def.versionMin; v <= codec.def.versionMax; v++) out.push({ codec, version: v });
  }
  return out;
}

/** Sample values for one API version: all defaults, then random ones (reproducible from `seed`). */
export function sampleValues(codec: ApiCodec, version: number, response: boolean, seed: number, count: number): Struct[] {
  const defs = response ? codec.def.response : codec.def.request;
  const random = fc.sample(structArb(defs, version, codec.isFlexible(version)), { seed: seed + codec.def.apiKey * 100 + version, numRuns: count });
  return [{}, ...random];
}

/** A request frame (no size prefix). */
export function requestFrame(codec: ApiCodec, version: number, correlationId: number, body: Struct): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: codec.def.apiKey, apiVersion: version, correlationId, clientId: 'fuzz' }, codec.isFlexible(version));
  codec.encodeRequest(version, body, w);
  return w.toBuffer();
}

/** Request frames captured from real clients (test/protocol/golden/*.hex). */
export function goldenFrames(): Buffer[] {
  const dir = path.join(sourceDir(), 'test/protocol/golden');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => Buffer.from(readFileSync(path.join(dir, f), 'utf8').trim(), 'hex'));
}

/** Runs `fn`; DecodeError is the documented rejection, anything else a finding. Returns null on DecodeError. */
function decodeOrNull<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError) return null;
    throw err;
  }
}

function assertRoundTrip(what: string, first: Struct, encode: (w: Writer) => void, decode: (r: Reader) => Struct): void {
  const w = new Writer();
  try {
    encode(w);
  } catch (err) {
    throw new Finding(`${what}: the encoder cannot write a value the decoder produced: ${(err as Error).message}`, { cause: err });
  }
  const again = decode(new Reader(w.toBuffer()));
  if (!isDeepStrictEqual(first, again)) throw new Finding(`${what}: decode → encode → decode changed the value`);
}

const dictionary: Buffer[] = [
  ...keys.map((k) => Buffer.from([k >> 8, k & 0xff])),
  ...[0, 1, 2, 3, 4, 8, 12, 13].map((n) => encodeUvarint(n)),
  Buffer.from('fuzz-topic'),
  Buffer.from([0xff, 0xff]),
  Buffer.from([0xff, 0xff, 0xff, 0xff]),
  Buffer.from([0, 0, 0, 0]),
];

/** Points the frame at another (API, version) we implement, keeping the rest of the bytes. */
function retarget(input: Buffer, rand: (n: number) => number, at: number): Buffer | null {
  if (input.length < at + 4) return null;
  const out = Buffer.from(input);
  const codec = codecs.get(keys[rand(keys.length)]!)!;
  out.writeInt16BE(codec.def.apiKey, at);
  out.writeInt16BE(codec.def.versionMin + rand(codec.def.versionMax - codec.def.versionMin + 1), at + 2);
  return out;
}

export const requestTarget: FuzzTarget = {
  name: 'request',
  description: 'request frames through the dispatcher decode path (header + body), every API × version; round-trip oracle',
  coverageScope: /\/dist\/src\/protocol\//,
  maxInputBytes: 4096,
  batchSize: 500,
  dictionary,
  seeds(seed) {
    const out = goldenFrames();
    for (const { codec, version } of apiVersions()) {
      for (const body of sampleValues(codec, version, false, seed, RANDOM_VALUES_PER_VERSION)) out.push(requestFrame(codec, version, 7, body));
    }
    return out;
  },
  mutate: (input, rand) => retarget(input, rand, 0),
  run(frame) {
    const peek = peekRequestHeader(frame);
    if (peek === null) return;
    const codec = codecs.get(peek.apiKey);
    if (codec === undefined || !codec.supports(peek.apiVersion)) return;
    const flexible = codec.isFlexible(peek.apiVersion);
    const r = new Reader(frame);
    const body = decodeOrNull(() => {
      decodeRequestHeader(r, flexible);
      return codec.decodeRequest(peek.apiVersion, r);
    });
    if (body === null) return;
    assertRoundTrip(
      `${codec.def.name} v${peek.apiVersion} request`,
      body,
      (w) => codec.encodeRequest(peek.apiVersion, body, w),
      (rr) => codec.decodeRequest(peek.apiVersion, rr),
    );
  },
};

export const responseTarget: FuzzTarget = {
  name: 'response',
  description: 'apiKey, version, then a response frame as src/client decodes it, every API × version; round-trip oracle',
  coverageScope: /\/dist\/src\/protocol\//,
  maxInputBytes: 4096,
  batchSize: 500,
  dictionary,
  seeds(seed) {
    const out: Buffer[] = [];
    for (const { codec, version } of apiVersions()) {
      for (const body of sampleValues(codec, version, true, seed, RANDOM_VALUES_PER_VERSION)) {
        const w = new Writer();
        w.int16(codec.def.apiKey).int16(version);
        encodeResponseHeader(w, 7, responseHeaderVersion(codec.def.apiKey, codec.isFlexible(version)));
        codec.encodeResponse(version, body, w);
        out.push(w.toBuffer());
      }
    }
    return out;
  },
  mutate: (input, rand) => retarget(input, rand, 0),
  run(input) {
    if (input.length < 4) return;
    const apiKey = input.readInt16BE(0);
    const version = input.readInt16BE(2);
    const codec = codecs.get(apiKey);
    if (codec === undefined || !codec.supports(version)) return;
    const r = new Reader(input, 4);
    const body = decodeOrNull(() => {
      decodeResponseHeader(r, responseHeaderVersion(apiKey, codec.isFlexible(version)));
      return codec.decodeResponse(version, r);
    });
    if (body === null) return;
    assertRoundTrip(
      `${codec.def.name} v${version} response`,
      body,
      (w) => codec.encodeResponse(version, body, w),
      (rr) => codec.decodeResponse(version, rr),
    );
  },
};
