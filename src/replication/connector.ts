/**
 * Outbound connections for inter-broker requests (replica fetchers). `Connector` is what
 * BrokerClient needs: a connected `WireStream` (protocol/wire-client.ts). `netConnector(net)`
 * builds it over the io `Net` (production io/node/net.ts, or the simulator's network), so
 * replication never touches a socket itself.
 */
import assert from 'node:assert/strict';
import type { ByteStream, Net } from '../io/net.js';
import type { Struct } from '../protocol/codec.js';
import type { ApiDef } from '../protocol/schema.js';
import type { WireStream } from '../protocol/wire-client.js';

/** Sends one request on a connected client and resolves with the decoded response. */
export type RequestFn = <T>(api: ApiDef, version: number, body: Struct) => Promise<T>;

export interface Connector {
  /** Opens a connection (TLS when the inter-broker listener uses it); rejects on error or after `timeoutMs`. No byte is lost before the stream is started. */
  connect(host: string, port: number, timeoutMs: number): Promise<WireStream>;
  /** SASL inter-broker listeners: authenticates a fresh connection before any other request (security/inter-broker.ts). */
  authenticate?(request: RequestFn): Promise<void>;
}

/** An io ByteStream as the wire core's stream. */
export function wireStreamOf(stream: ByteStream): WireStream {
  return {
    start(h) {
      let failure: Error | null = null;
      stream.start({
        data: (chunk) => h.data(chunk),
        error: (err) => {
          failure ??= err; // close follows and reports it
        },
        close: () => h.close(failure),
        drain: () => undefined, // BrokerClient bounds what it writes (one request per partition set at a time)
      });
    },
    write: (chunks, onFlushed) => {
      // The io Net reports no flush; broker code sends no fire-and-forget frames that would need it.
      assert.equal(onFlushed, undefined, 'no flush notification over the io Net');
      stream.writev(chunks);
    },
    end: () => stream.end(),
    destroy: () => stream.destroy(),
  };
}

export function netConnector(net: Net): Connector {
  return {
    async connect(host, port, timeoutMs) {
      return wireStreamOf(await net.connect(host, port, { timeoutMs }));
    },
  };
}
