/**
 * Outbound connections for inter-broker requests (replica fetchers). `Connector` is what
 * BrokerClient needs: a connected `WireStream` (protocol/wire-client.ts). `netConnector(net)`
 * builds it over the io `Net` (production io/node/net.ts, or the simulator's network), so
 * replication never touches a socket itself.
 */
import assert from 'node:assert/strict';
import type { ByteStream, Net } from '../io/net.js';
import type { WireStream } from '../protocol/wire-client.js';

export interface Connector {
  /** Opens a connection; rejects on error or after `timeoutMs`. No byte is lost before the stream is started. */
  connect(host: string, port: number, timeoutMs: number): Promise<WireStream>;
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
