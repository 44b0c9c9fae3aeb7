/**
 * Outbound connections for inter-broker requests (replica fetchers). `Connector` is the small
 * interface BrokerClient uses; `netConnector(net)` builds it over the io `Net` (production
 * io/node/net.ts, or the simulator's network), so replication never touches a socket itself.
 */
import type { ByteStream, Net } from '../io/net.js';

export interface OutboundStream {
  write(chunks: Buffer[]): void;
  /** Closes at once; `onClose` fires. */
  destroy(): void;
}

export interface Connector {
  /** Opens a connection; rejects on error or after `timeoutMs`. Handlers are registered before any byte arrives. */
  connect(
    host: string,
    port: number,
    timeoutMs: number,
    handlers: { data(chunk: Buffer): void; close(): void },
  ): Promise<OutboundStream>;
}

export function netConnector(net: Net): Connector {
  return {
    async connect(host, port, timeoutMs, handlers) {
      const stream: ByteStream = await net.connect(host, port, { timeoutMs });
      stream.start({
        data: (chunk) => handlers.data(chunk),
        close: () => handlers.close(),
        error: () => undefined, // a connection error is followed by close, which is what the client acts on
        drain: () => undefined, // BrokerClient bounds what it writes (one request per partition set at a time)
      });
      return {
        write: (chunks) => void stream.writev(chunks),
        destroy: () => stream.destroy(),
      };
    },
  };
}
