/**
 * The node:net side of the wire core (protocol/wire-client.ts) for our client and the perf tools:
 * `openSocket` connects with a timeout, `SocketStream` adapts the socket to `WireStream`.
 *
 * Writes issued in the same tick go out as one gathered write: the first write of a tick corks
 * the socket and the uncork runs on the next tick (pipelined requests share a syscall). Record
 * sets are written as their own chunks, never copied. Backpressure is the socket's: `needsDrain`
 * after the kernel buffer filled, `waitForDrain()`; a write's `onFlushed` runs once the socket has
 * handed it to the kernel (the perf producer reuses an acks=0 request buffer only then).
 *
 * Client code, not broker code: it uses node:net, node:tls and node timers directly.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from './security.js';
import type { WireStream } from '../protocol/wire-client.js';

/**
 * Connects (with `tls`, resolves once the TLS handshake is done); rejects with the socket's error
 * (a `code` such as ECONNREFUSED or a TLS one such as UNABLE_TO_VERIFY_LEAF_SIGNATURE) or, after
 * `timeoutMs`, one with code ETIMEDOUT. Key material node cannot use (a wrong PKCS12 password)
 * rejects with code ETLSCONFIG.
 */
export function openSocket(host: string, port: number, timeoutMs: number, tlsOptions?: ClientTls | null): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    try {
      socket = tlsOptions ? tls.connect(tlsConnectOptions(host, port, tlsOptions)) : net.connect({ host, port, noDelay: true });
    } catch (err) {
      reject(Object.assign(new Error((err as Error).message, { cause: err }), { code: 'ETLSCONFIG' }));
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

function tlsConnectOptions(host: string, port: number, t: ClientTls): tls.ConnectionOptions {
  return {
    host,
    port,
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.key !== undefined ? { key: t.key } : {}),
    ...(t.cert !== undefined ? { cert: t.cert } : {}),
    ...(t.pfx !== undefined ? { pfx: t.pfx } : {}),
    ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}),
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    // SNI takes names only; the identity check uses servername, else host (IP SANs work too).
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    // ssl.endpoint.identification.algorithm= (empty): the chain is still checked, the name is not.
    ...(t.verifyHostName ? {} : { checkServerIdentity: () => undefined }),
  };
}

export class SocketStream implements WireStream {
  #corked = false;
  #error: Error | null = null;
  #closed = false;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
  }

  start(h: { data(chunk: Buffer): void; close(err: Error | null): void }): void {
    this.socket.on('data', h.data);
    this.socket.on('error', (err) => {
      this.#error ??= err; // 'close' follows and reports it
    });
    this.socket.on('close', () => {
      this.#closed = true;
      h.close(this.#error);
    });
  }

  write(chunks: Buffer[], onFlushed?: () => void): void {
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) this.socket.write(chunks[i]!);
    if (onFlushed) this.socket.write(chunks[last]!, () => onFlushed());
    else this.socket.write(chunks[last]!);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** True when the kernel buffer is full; wait with waitForDrain() before writing much more. */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Resolves when the socket drained (at once when it need not) or closed. */
  waitForDrain(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Resolves once the socket is closed, destroying it after `waitMs` if it has not closed by then. */
  closed(waitMs: number): Promise<void> {
    if (this.#closed || this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, waitMs);
      timer.unref();
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
