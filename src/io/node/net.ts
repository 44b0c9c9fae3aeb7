/**
 * Production Net over node:net (plaintext) and node:tls (TLS listeners and connections), with Nagle
 * disabled and gathered writes via cork/uncork (writeSoon holds the cork until the next writev or
 * the end of the event-loop turn, a setImmediate). A TLS socket has the same stream API; its writes are
 * encrypted into new buffers (no zero-copy there), plaintext ones go to the kernel as given.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ByteStream, Listener, Net, TlsClientOptions, TlsMaterial, TlsPeer, TlsServerOptions } from '../net.js';

class NodeByteStream implements ByteStream {
  readonly remoteAddress: string;
  /** An error before start() (a connection accepted while the broker was still starting and reset). */
  #earlyError: Error | null = null;
  readonly #onEarlyError = (err: Error): void => {
    this.#earlyError = err; // reported to the handlers by start(); the socket is already destroyed
  };
  /** writeSoon's cork is held (its chunks wait for the next writev or the turn's end). */
  #corkedSoon = false;
  #flushScheduled = false;
  readonly #flushSoon = (): void => {
    this.#flushScheduled = false;
    this.#uncorkSoon();
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
    this.#uncorkSoon();
    return ok;
  }
  writeSoon(chunks: Buffer[]): boolean {
    if (this.socket.destroyed) return true;
    if (!this.#corkedSoon) {
      this.#corkedSoon = true;
      this.socket.cork();
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#flushSoon);
      }
    }
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c);
    return ok;
  }
  #uncorkSoon(): void {
    if (!this.#corkedSoon) return;
    this.#corkedSoon = false;
    if (!this.socket.destroyed) this.socket.uncork();
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
  tlsPeer(): TlsPeer | null {
    if (!(this.socket instanceof tls.TLSSocket)) return null;
    const cert = this.socket.getPeerX509Certificate();
    const error = this.socket.authorizationError as unknown;
    return {
      subjectDn: cert ? rfc2253(cert.subject) : null,
      authorized: this.socket.authorized,
      authorizationError: error === null || error === undefined ? null : String(error instanceof Error ? error.message : error),
    };
  }
}

/**
 * Node prints a subject one attribute a line, most general first, values already escaped as RFC
 * 2253 asks; the RFC 2253 string is the reverse order joined with commas.
 */
function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .join(',');
}

function secureContextOptions(m: TlsMaterial): tls.SecureContextOptions {
  return {
    ...(m.keyPem !== undefined ? { key: m.keyPem } : {}),
    ...(m.certChainPem !== undefined ? { cert: m.certChainPem } : {}),
    ...(m.pfx !== undefined ? { pfx: m.pfx } : {}),
    ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}),
    ...(m.caPem !== undefined ? { ca: m.caPem } : {}),
    ...(m.ciphers !== undefined ? { ciphers: m.ciphers } : {}),
    minVersion: m.minVersion,
    maxVersion: m.maxVersion,
  };
}

function serverOptions(o: TlsServerOptions): tls.TlsOptions {
  return {
    ...secureContextOptions(o),
    requestCert: o.clientAuth !== 'none',
    // 'requested': an absent certificate is fine; the broker (server/server.ts) closes a connection
    // whose certificate is present but untrusted, as Kafka's SSL engine does.
    rejectUnauthorized: o.clientAuth === 'required',
    handshakeTimeout: o.handshakeTimeoutMs,
  };
}

export class NodeNet implements Net {
  connect(host: string, port: number, opts: { timeoutMs: number; tls?: TlsClientOptions }): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const t = opts.tls;
      const socket = t
        ? tls.connect({
            host,
            port,
            ...secureContextOptions(t),
            // SNI takes names only; the identity check uses servername, else host (IP SANs work too).
            ...(net.isIP(t.verifyHostName ?? host) === 0 ? { servername: t.verifyHostName ?? host } : {}),
            // ssl.endpoint.identification.algorithm=https checks the name; '' checks only the chain.
            ...(t.verifyHostName === null ? { checkServerIdentity: () => undefined } : {}),
          })
        : net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`connect to ${host}:${port} timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' });
        socket.destroy(err);
      }, opts.timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once(t ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new NodeByteStream(socket)); // paused until start(): no byte is lost
      });
    });
  }

  listen(
    host: string,
    port: number,
    onConnection: (stream: ByteStream) => void,
    opts: { tls?: TlsServerOptions; onTlsError?: (remoteAddress: string, err: Error) => void } = {},
  ): Promise<Listener> {
    const accept = (socket: net.Socket): void => onConnection(new NodeByteStream(socket));
    let server: net.Server;
    if (opts.tls) {
      const tlsServer = tls.createServer({ noDelay: true, ...serverOptions(opts.tls) }, accept);
      tlsServer.on('tlsClientError', (err, socket) => {
        opts.onTlsError?.(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, err);
        socket.destroy();
      });
      server = tlsServer;
    } else {
      server = net.createServer({ noDelay: true }, accept);
    }
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
