/** Production Net over node:net, with Nagle disabled and gathered writes via cork/uncork. */
import net from 'node:net';
import type { ByteStream, Listener, Net } from '../net.js';

class NodeByteStream implements ByteStream {
  readonly remoteAddress: string;
  /** An error before start() (a connection accepted while the broker was still starting and reset). */
  #earlyError: Error | null = null;
  readonly #onEarlyError = (err: Error): void => {
    this.#earlyError = err; // reported to the handlers by start(); the socket is already destroyed
  };
  constructor(private readonly socket: net.Socket) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('error', this.#onEarlyError);
  }
  start(h: { data(chunk: Buffer): void; close(hadError: boolean): void; error(err: Error): void; drain(): void }): void {
    this.socket.off('error', this.#onEarlyError);
    if (this.socket.destroyed) {
      const early = this.#earlyError;
      queueMicrotask(() => {
        if (early) h.error(early);
        h.close(early !== null);
      });
      return;
    }
    this.socket.on('data', h.data);
    this.socket.on('close', h.close);
    this.socket.on('error', h.error);
    this.socket.on('drain', h.drain);
  }
  writev(chunks: Buffer[]): boolean {
    if (this.socket.destroyed) return true;
    this.socket.cork();
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c);
    this.socket.uncork();
    return ok;
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  end(): void {
    this.socket.end();
  }
  destroy(): void {
    this.socket.destroy();
  }
}

export class NodeNet implements Net {
  connect(host: string, port: number, opts: { timeoutMs: number }): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`connect to ${host}:${port} timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' });
        socket.destroy(err);
      }, opts.timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new NodeByteStream(socket)); // paused until start(): no byte is lost
      });
    });
  }

  listen(host: string, port: number, onConnection: (stream: ByteStream) => void): Promise<Listener> {
    const server = net.createServer({ noDelay: true }, (socket) => onConnection(new NodeByteStream(socket)));
    const sockets = new Set<net.Socket>();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === '' ? undefined : host, port }, () => {
        server.off('error', reject);
        const addr = server.address();
        const boundPort = typeof addr === 'object' && addr ? addr.port : port;
        resolve({
          host,
          port: boundPort,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              for (const s of sockets) s.end();
              // Sockets that do not close promptly after end() are destroyed.
              setTimeout(() => {
                for (const s of sockets) s.destroy();
              }, 2000).unref();
            }),
        });
      });
    });
  }
}
