/**
 * Outbound connections for inter-broker requests (replica fetchers). `Connector` is the small
 * interface the fetchers use; `nodeConnector` is the production version over node:net.
 *
 * Placement: the house rule keeps node:net inside io/node/. The io/ Net interface only listens
 * today, so this connector lives here until io/net.ts gains `connect()`; moving it is mechanical
 * (nothing else in replication/ imports node:net).
 */
import net from 'node:net';

export interface OutboundStream {
  write(chunks: Buffer[]): void;
  /** Closes at once; `onClose` fires. */
  destroy(): void;
}

export interface Connector {
  /** Opens a TCP connection; rejects on error or after `timeoutMs`. Handlers are registered before any byte arrives. */
  connect(
    host: string,
    port: number,
    timeoutMs: number,
    handlers: { data(chunk: Buffer): void; close(): void },
  ): Promise<OutboundStream>;
}

export const nodeConnector: Connector = {
  connect(host, port, timeoutMs, handlers) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      let connected = false;
      const timer = setTimeout(() => {
        socket.destroy(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('data', (chunk: Buffer) => handlers.data(chunk));
      socket.on('error', (err) => {
        if (!connected) {
          clearTimeout(timer);
          reject(err);
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (connected) handlers.close();
      });
      socket.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        resolve({
          write(chunks) {
            if (socket.destroyed) return;
            socket.cork();
            for (const c of chunks) socket.write(c);
            socket.uncork();
          },
          destroy() {
            socket.destroy();
          },
        });
      });
    });
  },
};
