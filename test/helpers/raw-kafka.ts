/**
 * A raw Kafka protocol client over node:net for tests that must send what no real client sends
 * (oversized or garbage frames, unknown API keys, bad CRCs, pipelined bursts). It shares the wire
 * core's frame encoding, response decoding and frame splitting (src/protocol/wire-client.ts,
 * frame.ts) but not its pipeline: garbage gets answers (or none) that no correlation check could
 * expect, so responses are read frame by frame (`readFrame`), every read with a timeout, and
 * `request()` checks the correlation id itself. Also a minimal, independent record batch v2
 * builder and reader (uncompressed only) so tests do not depend on the broker's own record code
 * to check the broker.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { Struct } from '../../src/protocol/codec.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { FrameSplitter } from '../../src/protocol/frame.js';
import type { ApiDef } from '../../src/protocol/schema.js';
import { crc32c } from '../../src/protocol/records/crc32c.js';
import * as wire from '../../src/protocol/wire-client.js';
import { openSocket } from '../../src/client/socket-stream.js';

/** Responses larger than this are a broker bug here: the connection is dropped. */
const RESPONSE_BYTES_MAX = 512 * 1024 * 1024;

/** A whole request frame (size prefix included). */
export function encodeRequestFrame(api: ApiDef, version: number, correlationId: number, body: Struct, clientId: string | null = 'samsa-e2e'): Buffer {
  return Buffer.concat(wire.encodeRequestFrame(api, version, correlationId, clientId, body));
}

/** Decodes a response frame body (without the size prefix); trailing bytes are an error. */
export function decodeResponseFrame<T = Struct>(api: ApiDef, version: number, frame: Buffer): { correlationId: number; body: T } {
  const { correlationId, body, trailingBytes } = wire.decodeResponseFrame<T>(api, version, frame);
  if (trailingBytes !== 0) throw new Error(`${api.name} v${version} response has ${trailingBytes} trailing bytes`);
  return { correlationId, body };
}

export class RawConnection {
  private readonly splitter = new FrameSplitter(RESPONSE_BYTES_MAX);
  private frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private closedFlag = false;
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      for (;;) {
        const next = this.splitter.next();
        if (next.kind === 'none') break;
        if (next.kind === 'tooLarge') {
          socket.destroy(new Error(`the broker sent a frame of ${next.sizeBytes} bytes`));
          break;
        }
        this.frames.push(next.frame);
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      });
    });
    // Errors (ECONNRESET when the broker drops us) are expected in these tests; 'close' follows.
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RawConnection> {
    return new RawConnection(await openSocket(host, port, timeoutMs));
  }

  /** Over TLS (SSL / SASL_SSL listeners); resolves once the handshake is done, rejects if it fails. */
  static connectTls(port: number, opts: tls.ConnectionOptions, host = '127.0.0.1', timeoutMs = 5000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host, port, ...opts });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TLS connect: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes raw bytes; resolves once handed to the kernel (or immediately if the socket died). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /** The next response frame (without its size prefix); rejects on timeout or when the broker closes first. */
  async readFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closedFlag) throw new Error('connection closed by the broker before a response arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves true if the broker closes the connection within `timeoutMs`, false otherwise. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    if (this.closedFlag) return true;
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return r;
  }

  /** Sends one request and decodes its response; checks the correlation id. */
  async request<T = Struct>(api: ApiDef, version: number, body: Struct, timeoutMs = 10_000): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    await this.write(encodeRequestFrame(api, version, correlationId, body));
    const frame = await this.readFrame(timeoutMs);
    const decoded = decodeResponseFrame<T>(api, version, frame);
    if (decoded.correlationId !== correlationId) {
      throw new Error(`${api.name}: correlation id ${decoded.correlationId}, expected ${correlationId}`);
    }
    return decoded.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Record batch v2 (uncompressed), written from the protocol documentation

export interface SimpleRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Array<{ key: string; value: Buffer | null }>;
}

function zigzag(n: number): bigint {
  const b = BigInt(n);
  return b >= 0n ? b << 1n : (-b << 1n) - 1n;
}

function varint(n: number): Buffer {
  let u = zigzag(n);
  const bytes: number[] = [];
  while (u >= 0x80n) {
    bytes.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  bytes.push(Number(u));
  return Buffer.from(bytes);
}

function bytesField(b: Buffer | null): Buffer[] {
  return b === null ? [varint(-1)] : [varint(b.length), b];
}

/** One uncompressed magic-2 batch with a correct CRC32C, baseOffset 0, no producer id. */
export function buildBatch(records: SimpleRecord[], timestampMs = Date.now()): Buffer {
  const bodies = records.map((r, i) => {
    const headers = r.headers ?? [];
    const parts: Buffer[] = [
      Buffer.from([0]), // attributes
      varint(0), // timestampDelta
      varint(i), // offsetDelta
      ...bytesField(r.key),
      ...bytesField(r.value),
      varint(headers.length),
      ...headers.flatMap((h) => [...bytesField(Buffer.from(h.key, 'utf8')), ...bytesField(h.value)]),
    ];
    const body = Buffer.concat(parts);
    return Buffer.concat([varint(body.length), body]);
  });
  const recordsBytes = Buffer.concat(bodies);
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(0n, 0); // baseOffset
  header.writeInt32BE(61 - 12 + recordsBytes.length, 8); // batchLength
  header.writeInt32BE(-1, 12); // partitionLeaderEpoch
  header.writeInt8(2, 16); // magic
  header.writeInt16BE(0, 21); // attributes
  header.writeInt32BE(records.length - 1, 23); // lastOffsetDelta
  header.writeBigInt64BE(BigInt(timestampMs), 27);
  header.writeBigInt64BE(BigInt(timestampMs), 35);
  header.writeBigInt64BE(-1n, 43); // producerId
  header.writeInt16BE(-1, 51); // producerEpoch
  header.writeInt32BE(-1, 53); // baseSequence
  header.writeInt32BE(records.length, 57);
  const b = Buffer.concat([header, recordsBytes]);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

export interface BatchInfo {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  compression: number;
}

/** Walks the batches of a record set / segment file by their length fields; stops at the first that does not fit. */
export function scanBatches(b: Buffer): { batches: BatchInfo[]; trailingBytes: number } {
  const batches: BatchInfo[] = [];
  let at = 0;
  while (at + 61 <= b.length) {
    const size = b.readInt32BE(at + 8) + 12;
    if (size < 61 || at + size > b.length) break;
    batches.push({
      position: at,
      sizeBytes: size,
      baseOffset: Number(b.readBigInt64BE(at)),
      lastOffset: Number(b.readBigInt64BE(at)) + b.readInt32BE(at + 23),
      recordCount: b.readInt32BE(at + 57),
      compression: b.readInt16BE(at + 21) & 7,
    });
    at += size;
  }
  return { batches, trailingBytes: b.length - at };
}

/** Decodes the records of an uncompressed batch (values and keys as Buffers). */
export function readUncompressedBatch(b: Buffer): Array<{ offset: number; key: Buffer | null; value: Buffer | null }> {
  if ((b.readInt16BE(21) & 7) !== 0) throw new Error('readUncompressedBatch: batch is compressed');
  const base = Number(b.readBigInt64BE(0));
  const count = b.readInt32BE(57);
  let at = 61;
  const readVar = (): number => {
    let shift = 0n;
    let u = 0n;
    for (;;) {
      const byte = b[at++]!;
      u |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    return Number((u >> 1n) ^ -(u & 1n));
  };
  const readBytes = (): Buffer | null => {
    const n = readVar();
    if (n < 0) return null;
    const v = b.subarray(at, at + n);
    at += n;
    return v;
  };
  const out: Array<{ offset: number; key: Buffer | null; value: Buffer | null }> = [];
  for (let i = 0; i < count; i++) {
    readVar(); // length
    at += 1; // attributes
    readVar(); // timestampDelta
    const offsetDelta = readVar();
    const key = readBytes();
    const value = readBytes();
    const headerCount = readVar();
    for (let h = 0; h < headerCount; h++) {
      readBytes();
      readBytes();
    }
    out.push({ offset: base + offsetDelta, key, value });
  }
  return out;
}

export { ApiKey };
