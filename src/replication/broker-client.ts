/**
 * BrokerClient: one connection from this broker to another, for inter-broker requests (Fetch and
 * OffsetForLeaderEpoch from replica fetchers). Requests are encoded with our codec and request
 * header, pipelined with correlation ids, and answered in order; every request has a timeout, after
 * which the connection is closed (and every pending request rejected), as Kafka's
 * NetworkClient does with replica.socket.timeout.ms.
 *
 * Owner: one ReplicaFetcher. Lifecycle: `connect()` once; after `close()` or any failure the
 * client is dead (`closed` is true) and the owner makes a new one.
 */
import { ApiCodec, type Struct } from '../protocol/codec.js';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../protocol/header.js';
import { Reader, Writer } from '../protocol/primitives.js';
import type { ApiDef } from '../protocol/schema.js';
import { FrameSplitter } from '../server/frame.js';
import type { Clock, Timer } from '../io/clock.js';
import type { Connector, OutboundStream } from './connector.js';

const codecs = new Map<ApiDef, ApiCodec>();
function codecFor(api: ApiDef): ApiCodec {
  let c = codecs.get(api);
  if (!c) {
    c = new ApiCodec(api);
    codecs.set(api, c);
  }
  return c;
}

/** Responses larger than this close the connection (a fetch response is bounded by replica.fetch.response.max.bytes). */
const RESPONSE_BYTES_MAX = 256 * 1024 * 1024;

interface Pending {
  correlationId: number;
  api: ApiDef;
  version: number;
  resolve(body: Struct): void;
  reject(err: Error): void;
  timer: Timer;
}

export class BrokerClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerClientError';
  }
}

export class BrokerClient {
  private stream: OutboundStream | null = null;
  private readonly frames = new FrameSplitter(RESPONSE_BYTES_MAX);
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private closedFlag = false;

  constructor(
    private readonly connector: Connector,
    private readonly clock: Clock,
    private readonly clientId: string,
    readonly host: string,
    readonly port: number,
    private readonly requestTimeoutMs: number,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  async connect(): Promise<void> {
    this.stream = await this.connector.connect(this.host, this.port, this.requestTimeoutMs, {
      data: (chunk) => this.onData(chunk),
      close: () => this.fail(new BrokerClientError(`connection to ${this.host}:${this.port} closed`)),
    });
    if (this.closedFlag) this.stream.destroy();
  }

  /** Sends one request and resolves with the decoded response body. */
  request<T>(api: ApiDef, version: number, body: Struct): Promise<T> {
    if (this.closedFlag || this.stream === null) return Promise.reject(new BrokerClientError('not connected'));
    const codec = codecFor(api);
    const flexible = codec.isFlexible(version);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId: this.clientId }, requestHeaderVersion(api.apiKey, flexible) >= 2);
    codec.encodeRequest(version, body, w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimer(this.requestTimeoutMs, () =>
        this.fail(new BrokerClientError(`${api.name} to ${this.host}:${this.port} timed out after ${this.requestTimeoutMs} ms`)),
      );
      this.pending.push({ correlationId, api, version, resolve: resolve as (b: Struct) => void, reject, timer });
      this.stream!.write([frame]);
    });
  }

  close(): void {
    this.fail(new BrokerClientError('client closed'));
  }

  private onData(chunk: Buffer): void {
    this.frames.push(chunk);
    for (;;) {
      const next = this.frames.next();
      if (next.kind === 'none') return;
      if (next.kind === 'tooLarge') {
        this.fail(new BrokerClientError(`response of ${next.sizeBytes} bytes from ${this.host}:${this.port}`));
        return;
      }
      const p = this.pending.shift();
      if (!p) {
        this.fail(new BrokerClientError('response without a request'));
        return;
      }
      p.timer.cancel();
      try {
        const codec = codecFor(p.api);
        const r = new Reader(next.frame);
        const correlationId = decodeResponseHeader(r, responseHeaderVersion(p.api.apiKey, codec.isFlexible(p.version)));
        if (correlationId !== p.correlationId) throw new BrokerClientError(`correlation id ${correlationId}, expected ${p.correlationId}`);
        p.resolve(codec.decodeResponse(p.version, r));
      } catch (err) {
        p.reject(err instanceof Error ? err : new Error(String(err)));
        this.fail(new BrokerClientError(`undecodable ${p.api.name} response: ${String(err)}`));
        return;
      }
    }
  }

  private fail(err: Error): void {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.stream?.destroy();
    }
    for (const p of this.pending.splice(0)) {
      p.timer.cancel();
      p.reject(err);
    }
  }
}
