/**
 * BrokerChannels: one inter-broker connection per destination broker, for the transaction
 * coordinator's requests (WriteTxnMarkers to partition leaders, AddPartitionsToTxn verifyOnly to a
 * transaction coordinator). Connections are opened on first use over the inter-broker listener's
 * endpoint from the current metadata image, reused while they live, and replaced after any failure
 * (BrokerClient is dead after an error). Callers retry; this class never does.
 */
import type { Clock } from '../../io/clock.js';
import type { Struct } from '../../protocol/codec.js';
import type { ApiDef } from '../../protocol/schema.js';
import { BrokerClient, BrokerClientError } from '../../replication/broker-client.js';
import type { Connector } from '../../replication/connector.js';

export interface BrokerChannelsOptions {
  connector: Connector;
  clock: Clock;
  clientId: string;
  requestTimeoutMs: number;
  /** The destination's inter-broker endpoint, or null when it is not in the image. */
  endpoint(brokerId: number): { host: string; port: number } | null;
}

export class BrokerChannels {
  readonly #clients = new Map<number, { client: BrokerClient; ready: Promise<void> }>();
  #closed = false;

  constructor(private readonly opts: BrokerChannelsOptions) {}

  /** Sends one request to `brokerId`; rejects (BrokerClientError) when it cannot be reached or answers nothing. */
  async request<T>(brokerId: number, api: ApiDef, version: number, body: Struct): Promise<T> {
    if (this.#closed) throw new BrokerClientError('broker channels are closed');
    const ep = this.opts.endpoint(brokerId);
    if (ep === null) throw new BrokerClientError(`broker ${brokerId} is not in the metadata image`);
    let entry = this.#clients.get(brokerId);
    if (entry && (entry.client.closed || entry.client.host !== ep.host || entry.client.port !== ep.port)) {
      entry.client.close();
      this.#clients.delete(brokerId);
      entry = undefined;
    }
    if (!entry) {
      const client = new BrokerClient(this.opts.connector, this.opts.clock, this.opts.clientId, ep.host, ep.port, this.opts.requestTimeoutMs);
      entry = { client, ready: client.connect() };
      this.#clients.set(brokerId, entry);
    }
    try {
      await entry.ready;
      return await entry.client.request<T>(api, version, body);
    } catch (err) {
      entry.client.close();
      if (this.#clients.get(brokerId) === entry) this.#clients.delete(brokerId);
      throw err;
    }
  }

  close(): void {
    this.#closed = true;
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
