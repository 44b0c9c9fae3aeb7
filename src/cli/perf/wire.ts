/**
 * PerfConnection: the perf tools' connection (kafka-producer-perf-test, kafka-consumer-perf-test,
 * the end-to-end latency tool): the shared wire core (protocol/wire-client.ts: correlation ids,
 * pipelining with in-order answers, per-request timeouts that close the connection, response
 * framing) over a node:net socket (client/socket-stream.ts), without our client's version
 * negotiation: the tools speak fixed versions. Control-plane requests (Metadata, CreateTopics,
 * ListOffsets, Fetch) use the codec; the perf producer hands in pre-built Produce frames
 * (`takeCorrelationId` + `sendFrame`, zero-copy: a frame's buffer is reused only after its
 * response, or for acks=0 once flushed) and decodes each response once, never per record.
 * Every wait has a timeout; traffic goes only where the caller points it.
 */
import type { Struct } from '../../protocol/codec.js';
import type { ApiDef } from '../../protocol/schema.js';
import { NodeClock } from '../../io/node/clock.js';
import { metadataApi } from '../../protocol/messages/metadata.js';
import { createTopicsApi } from '../../protocol/messages/create-topics.js';
import { WireClient, type FrameCallback } from '../../protocol/wire-client.js';
import { randomBytes } from 'node:crypto';
import { openSocket, SocketStream } from '../../client/socket-stream.js';
import { PLAINTEXT_SECURITY, type ClientSecurity } from '../../client/security.js';
import { saslAuthenticate } from '../../security/sasl/client.js';

export { codecFor } from '../../protocol/wire-client.js';

export const CLIENT_ID = 'samsa-perf';

const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
/** Larger response frames close the connection (fetches ask for at most 50 MiB). */
const RESPONSE_BYTES_MAX = 1024 * 1024 * 1024;
const clock = new NodeClock();

export class PerfConnection {
  private constructor(private readonly wire: WireClient) {}

  /**
   * Connects; with `security`, over TLS and/or authenticated with SASL (SaslHandshake v1,
   * SaslAuthenticate v1) before anything else, as client/connection.ts does for our client.
   */
  static async connect(host: string, port: number, timeoutMs = 10_000, requestTimeoutMs = REQUEST_TIMEOUT_MS_DEFAULT, security: ClientSecurity = PLAINTEXT_SECURITY): Promise<PerfConnection> {
    let socket;
    try {
      socket = await openSocket(host, port, timeoutMs, security.tls);
    } catch (err) {
      throw new Error(`connect to ${host}:${port} failed: ${(err as Error).message}`, { cause: err });
    }
    const wire = new WireClient(new SocketStream(socket), { clientId: CLIENT_ID, peer: `${host}:${port}`, timers: clock, requestTimeoutMs, responseBytesMax: RESPONSE_BYTES_MAX });
    const conn = new PerfConnection(wire);
    if (security.sasl !== null) {
      try {
        await saslAuthenticate((api, version, body) => wire.request(api, version ?? 1, body as Struct), security.sasl, { nowMs: Date.now(), nonce: randomBytes(24).toString('base64') });
      } catch (err) {
        wire.close();
        throw new Error(`SASL authentication with ${host}:${port} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return conn;
  }

  get inflight(): number {
    return this.wire.inflight;
  }

  takeCorrelationId(): number {
    return this.wire.takeCorrelationId();
  }

  /**
   * Sends a complete `api` frame (size prefix included, correlation id from takeCorrelationId());
   * `onResponse` gets the whole response frame, or the error that closed the connection.
   */
  sendFrame(api: ApiDef, frame: Buffer | Buffer[], onResponse: FrameCallback, timeoutMs?: number): void {
    this.wire.sendFrame(api, frame, onResponse, timeoutMs);
  }

  /**
   * Sends a frame that gets no response (Produce with acks=0); `onFlushed` runs once the socket
   * holds no reference to it (its buffer may be reused), or at once when the connection is dead.
   */
  sendOneWay(frame: Buffer, onFlushed: () => void): void {
    if (this.wire.closed) queueMicrotask(onFlushed);
    else this.wire.sendFrameNoResponse(frame, onFlushed);
  }

  /** One request through the codec, answered as a decoded struct. */
  request(api: ApiDef, version: number, body: Struct, timeoutMs?: number): Promise<Struct> {
    return this.wire.request<Struct>(api, version, body, timeoutMs);
  }

  close(): void {
    this.wire.close();
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
