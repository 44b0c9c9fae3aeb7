/**
 * BrokerClient: one connection from this broker to another, for inter-broker requests (Fetch and
 * OffsetForLeaderEpoch from replica fetchers). A thin adapter: the shared wire core
 * (protocol/wire-client.ts) encodes requests with our codec and request header, pipelines them
 * with correlation ids, answers them in order and closes the connection when a request passes its
 * timeout (replica.socket.timeout.ms, as Kafka's NetworkClient), rejecting every pending request;
 * the stream comes from the `Connector` (the io Net) and time from the io `Clock`.
 *
 * Owner: one ReplicaFetcher. Lifecycle: `connect()` once; after `close()` or any failure the
 * client is dead (`closed` is true) and the owner makes a new one.
 */
import type { Struct } from '../protocol/codec.js';
import type { ApiDef } from '../protocol/schema.js';
import { WireClient } from '../protocol/wire-client.js';
import type { Clock } from '../io/clock.js';
import type { Connector } from './connector.js';

/** Responses larger than this close the connection (a fetch response is bounded by replica.fetch.response.max.bytes). */
const RESPONSE_BYTES_MAX = 256 * 1024 * 1024;

export class BrokerClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerClientError';
  }
}

export class BrokerClient {
  private wire: WireClient | null = null;
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
    return this.closedFlag || (this.wire?.closed ?? false);
  }

  async connect(): Promise<void> {
    const stream = await this.connector.connect(this.host, this.port, this.requestTimeoutMs);
    this.wire = new WireClient(stream, {
      clientId: this.clientId,
      peer: `${this.host}:${this.port}`,
      timers: this.clock,
      requestTimeoutMs: this.requestTimeoutMs,
      responseBytesMax: RESPONSE_BYTES_MAX,
      error: (_kind, message, cause) => new BrokerClientError(message, cause ? { cause } : undefined),
    });
    if (this.closedFlag) {
      this.wire.close();
      return;
    }
    if (this.connector.authenticate) {
      const wire = this.wire;
      try {
        await this.connector.authenticate((api, version, body) => wire.request(api, version, body));
      } catch (err) {
        wire.close(); // the fetcher sees a failed connect and retries after its backoff
        throw err;
      }
    }
  }

  /** Sends one request and resolves with the decoded response body. */
  request<T>(api: ApiDef, version: number, body: Struct): Promise<T> {
    if (this.closedFlag || this.wire === null) return Promise.reject(new BrokerClientError('not connected'));
    return this.wire.request<T>(api, version, body);
  }

  close(): void {
    this.closedFlag = true;
    this.wire?.close();
  }
}
