/**
 * Test helper (no tests here): captures the record batches a real librdkafka producer (`kcat -P`)
 * writes, by standing up a minimal fake broker on 127.0.0.1:0 that speaks just enough of the
 * protocol for a producer: ApiVersions (v0-v3), Metadata v1 (one topic, one partition, led by
 * itself) and Produce v3-v7, whose partition `records` bytes it keeps. Written from the protocol
 * documentation; it is not a broker and accepts only what kcat sends in this scenario.
 *
 * kcat reads "key:value" lines with -Z (empty key or value → null) and adds headers h1, h2.
 * Used by real-clients.test.ts (live, skipped when kcat is missing) and by
 * fixtures/capture-fixtures.mjs, which stores the bytes in fixtures/recorded.ts so the decode
 * tests also run where kcat is absent.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { FIXTURE_HEADERS, fixtureMessages, type FixtureMessage } from './fixtures/messages.js';

export const KCAT_PATH = '/usr/bin/kcat';
export const KCAT_TOPIC = 'samsa-fixture';

export function kcatAvailable(): boolean {
  return existsSync(KCAT_PATH);
}

const API_PRODUCE = 0;
const API_FETCH = 1;
const API_METADATA = 3;
const API_FIND_COORDINATOR = 10;
const API_VERSIONS = 18;
/**
 * librdkafka 2.0 decides per codec from the advertised ranges: a codec is used only if Produce's
 * range overlaps [0, the codec's minimum version] (so Produce must start at 0), lz4 also wants
 * FindCoordinator 0 and zstd Produce 7 + Fetch 10; message format v2 wants Produce 3 + Fetch 4.
 * Only Produce, Metadata and ApiVersions are ever called; the client picks Produce v7, whose
 * request layout is that of v3.
 */
const SUPPORTED: ReadonlyArray<readonly [number, number, number]> = [
  [API_PRODUCE, 0, 7],
  [API_FETCH, 0, 10],
  [API_METADATA, 1, 1],
  [API_FIND_COORDINATOR, 0, 0],
  [API_VERSIONS, 0, 3],
];

/** Minimal big-endian writer for responses. */
class Out {
  private parts: Buffer[] = [];
  i8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  str(s: string | null): this {
    if (s === null) return this.i16(-1);
    const b = Buffer.from(s, 'utf8');
    this.i16(b.length);
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Minimal big-endian reader for requests. */
class In {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  i16(): number {
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  str(): string | null {
    const n = this.i16();
    if (n < 0) return null;
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes(): Buffer | null {
    const n = this.i32();
    if (n < 0) return null;
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Buffer.from(s);
  }
}

function apiVersionsBody(version: number): Buffer {
  const o = new Out().i16(0);
  if (version >= 3) {
    o.uvarint(SUPPORTED.length + 1);
    for (const [k, min, max] of SUPPORTED) o.i16(k).i16(min).i16(max).uvarint(0);
    o.i32(0).uvarint(0);
  } else {
    o.i32(SUPPORTED.length);
    for (const [k, min, max] of SUPPORTED) o.i16(k).i16(min).i16(max);
    if (version >= 1) o.i32(0);
  }
  return o.done();
}

function metadataBody(port: number, req: In): Buffer {
  const count = req.i32();
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(req.str() ?? '');
  if (topics.length === 0) topics.push(KCAT_TOPIC);
  const o = new Out().i32(1).i32(1).str('127.0.0.1').i32(port).str(null).i32(1);
  o.i32(topics.length);
  for (const t of topics) {
    o.i16(0).str(t).i8(0).i32(1);
    o.i16(0).i32(0).i32(1).i32(1).i32(1).i32(1).i32(1);
  }
  return o.done();
}

function produceBody(version: number, req: In, captured: Buffer[], nextOffset: { value: bigint }): { body: Buffer; acks: number } {
  req.str(); // transactional_id
  const acks = req.i16();
  req.i32(); // timeout
  const o = new Out();
  const topicCount = req.i32();
  o.i32(topicCount);
  for (let t = 0; t < topicCount; t++) {
    o.str(req.str());
    const partitionCount = req.i32();
    o.i32(partitionCount);
    for (let p = 0; p < partitionCount; p++) {
      const index = req.i32();
      const records = req.bytes();
      if (records !== null) captured.push(records);
      o.i32(index).i16(0).i64(nextOffset.value).i64(-1n);
      if (version >= 5) o.i64(0n); // log_start_offset
      nextOffset.value += 1000n;
    }
  }
  o.i32(0);
  return { body: o.done(), acks };
}

function serve(captured: Buffer[]): Promise<net.Server> {
  const nextOffset = { value: 0n };
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        const req = new In(frame);
        const apiKey = req.i16();
        const version = req.i16();
        const correlationId = req.i32();
        req.str(); // client_id
        let body: Buffer;
        let respond = true;
        if (apiKey === API_VERSIONS) {
          body = apiVersionsBody(version);
        } else if (apiKey === API_METADATA) {
          body = metadataBody((server.address() as net.AddressInfo).port, req);
        } else if (apiKey === API_PRODUCE) {
          const r = produceBody(version, req, captured, nextOffset);
          body = r.body;
          respond = r.acks !== 0;
        } else {
          socket.destroy(new Error(`fake broker: unexpected api ${apiKey} v${version}`));
          return;
        }
        if (!respond) continue;
        const header = new Out().i32(4 + body.length).i32(correlationId).done();
        socket.write(Buffer.concat([header, body]));
      }
    });
    socket.on('error', () => {
      // Expected: kcat closes its connections abruptly when it exits.
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Runs `kcat -P` with `codec` ('none', 'gzip', 'snappy', 'lz4', 'zstd') against a fake broker and
 * returns the `records` bytes of every Produce partition it sent (normally one record set).
 */
export async function captureKcatRecordSets(
  codec: string,
  messages: FixtureMessage[] = fixtureMessages(),
  extraArgs: string[] = [],
): Promise<Buffer[]> {
  const captured: Buffer[] = [];
  const server = await serve(captured);
  try {
    const port = (server.address() as net.AddressInfo).port;
    const args = ['-P', '-b', `127.0.0.1:${port}`, '-t', KCAT_TOPIC, '-p', '0', '-K', ':', '-Z', '-q'];
    for (const [k, v] of FIXTURE_HEADERS) args.push('-H', `${k}=${v}`);
    args.push('-z', codec, '-X', 'linger.ms=100', '-X', 'enable.idempotence=false');
    args.push(...extraArgs);
    const child = spawn(KCAT_PATH, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const input = messages.map((m) => `${m.key ?? ''}:${m.value ?? ''}\n`).join('');
    child.stdin.end(input);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`kcat exited with ${code}: ${stderr}`);
    if (process.env['KCAT_CAPTURE_DEBUG'] === '1') process.stderr.write(stderr);
    return captured;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
