/**
 * A minimal pipelined Kafka connection for the perf tools (kafka-producer-perf-test,
 * kafka-consumer-perf-test, the end-to-end latency tool) until src/client exists. Requests go out
 * as soon as they are queued; responses come back in order on one connection (Kafka guarantees it),
 * so a FIFO of callbacks is all the bookkeeping. Control-plane requests (Metadata, CreateTopics,
 * ApiVersions) use our codec; the data path (perf producer) hands in pre-built frames and reads
 * responses with the codec once per request, never per record.
 * Every wait has a timeout; traffic goes only where the caller points it.
 */
import net from 'node:net';
import { ApiCodec, type Struct } from '../../protocol/codec.js';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../../protocol/header.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import type { ApiDef } from '../../protocol/schema.js';
import { metadataApi } from '../../protocol/messages/metadata.js';
import { createTopicsApi } from '../../protocol/messages/create-topics.js';

const codecs = new Map<ApiDef, ApiCodec>();
export function codecFor(api: ApiDef): ApiCodec {
  let c = codecs.get(api);
  if (!c) {
    c = new ApiCodec(api);
    codecs.set(api, c);
  }
  return c;
}

export const CLIENT_ID = 'samsa-perf';

type Waiter = (frame: Buffer | null, err: Error | null) => void;

export class PerfConnection {
  private readonly waiters: Waiter[] = [];
  private waiterHead = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextCorrelationId = 1;
  private closedError: Error | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  static connect(host: string, port: number, timeoutMs = 10_000): Promise<PerfConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new PerfConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get inflight(): number {
    return this.waiters.length - this.waiterHead;
  }

  takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = id >= 0x7ffffff0 ? 1 : id + 1;
    return id;
  }

  /** Sends a complete frame (size prefix included); `onResponse` gets the response frame body. */
  sendFrame(frame: Buffer | Buffer[], onResponse: Waiter): void {
    if (this.closedError) {
      onResponse(null, this.closedError);
      return;
    }
    this.waiters.push(onResponse);
    if (Array.isArray(frame)) {
      this.socket.cork();
      for (const b of frame) this.socket.write(b);
      this.socket.uncork();
    } else {
      this.socket.write(frame);
    }
  }

  /** Sends a frame that gets no response (Produce with acks=0). */
  sendOneWay(frame: Buffer): void {
    if (!this.closedError) this.socket.write(frame);
  }

  onceDrained(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** True when the socket's write buffer is over `bytes` (the caller should wait for 'drain'). */
  writeBacklogOver(bytes: number): boolean {
    return this.socket.writableLength > bytes;
  }

  /** One request through the codec, answered as a decoded struct. */
  request(api: ApiDef, version: number, body: Struct, timeoutMs = 30_000): Promise<Struct> {
    const codec = codecFor(api);
    const flexible = codec.isFlexible(version);
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId: this.takeCorrelationId(), clientId: CLIENT_ID }, requestHeaderVersion(api.apiKey, flexible) >= 2);
    codec.encodeRequest(version, body, w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${api.name} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.sendFrame(frame, (resp, err) => {
        clearTimeout(timer);
        if (err || !resp) {
          reject(err ?? new Error('no response'));
          return;
        }
        try {
          const r = new Reader(resp);
          decodeResponseHeader(r, responseHeaderVersion(api.apiKey, flexible));
          resolve(codec.decodeResponse(version, r));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
  }

  close(): void {
    this.closedError ??= new Error('connection closed');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.pendingBytes === 0) {
      // Fast path: whole frames inside this chunk need no copy.
      let at = 0;
      while (chunk.length - at >= 4) {
        const size = chunk.readInt32BE(at);
        if (chunk.length - at - 4 < size) break;
        this.deliver(chunk.subarray(at + 4, at + 4 + size));
        at += 4 + size;
      }
      if (at < chunk.length) {
        this.pending.push(at === 0 ? chunk : chunk.subarray(at));
        this.pendingBytes = chunk.length - at;
      }
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < 4) return;
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [buf];
    const size = buf.readInt32BE(0);
    if (this.pendingBytes - 4 < size) return;
    this.pending = [];
    this.pendingBytes = 0;
    this.deliver(buf.subarray(4, 4 + size));
    buf = buf.subarray(4 + size);
    if (buf.length > 0) this.onData(buf);
  }

  private deliver(frame: Buffer): void {
    const w = this.waiters[this.waiterHead];
    if (!w) {
      this.fail(new Error('response without a request'));
      return;
    }
    this.waiters[this.waiterHead] = undefined as unknown as Waiter;
    this.waiterHead++;
    if (this.waiterHead > 1024 && this.waiterHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waiterHead);
      this.waiterHead = 0;
    }
    w(frame, null);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    const ws = this.waiters.slice(this.waiterHead);
    this.waiters.length = 0;
    this.waiterHead = 0;
    for (const w of ws) w(null, err);
  }
}

export function parseHostPort(s: string): { host: string; port: number } {
  const first = s.split(',')[0]!.trim().replace(/^[A-Z_]+:\/\//, '');
  const i = first.lastIndexOf(':');
  if (i < 0) return { host: first, port: 9092 };
  return { host: first.slice(0, i) || '127.0.0.1', port: Number(first.slice(i + 1)) };
}

/** Partition count of `topic` (auto-creating it when the broker does so), or -1 when unknown. */
export async function topicPartitions(conn: PerfConnection, topic: string): Promise<number> {
  const resp = (await conn.request(metadataApi, 8, { topics: [{ name: topic }], allowAutoTopicCreation: true })) as {
    topics: Array<{ name: string; errorCode: number; partitions: unknown[] }>;
  };
  const t = resp.topics.find((x) => x.name === topic);
  if (!t || t.errorCode !== 0) return -1;
  return t.partitions.length;
}

/** Creates a topic (TOPIC_ALREADY_EXISTS is fine); returns its partition count. */
export async function ensureTopic(conn: PerfConnection, topic: string, partitions: number, replicationFactor = 1, configs: Record<string, string> = {}): Promise<number> {
  const resp = (await conn.request(
    createTopicsApi,
    4,
    {
      topics: [
        {
          name: topic,
          numPartitions: partitions,
          replicationFactor,
          assignments: [],
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs: 60_000,
    },
    120_000,
  )) as { topics: Array<{ errorCode: number; errorMessage: string | null }> };
  const code = resp.topics[0]?.errorCode ?? -1;
  if (code !== 0 && code !== 36 /* TOPIC_ALREADY_EXISTS */) {
    throw new Error(`CreateTopics ${topic} failed: error ${code} ${resp.topics[0]?.errorMessage ?? ''}`);
  }
  // Metadata may lag CreateTopics briefly; wait (bounded) until every partition is visible.
  for (let i = 0; i < 200; i++) {
    const n = await topicPartitions(conn, topic);
    if (n >= partitions || (code === 36 && n > 0)) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`topic ${topic} did not show ${partitions} partitions in metadata`);
}
