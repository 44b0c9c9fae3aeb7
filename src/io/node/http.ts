/**
 * Production Http over node:http. node's parser enforces the header limit (maxHeaderSize) and the
 * request timeout; malformed requests arrive as 'clientError' and get a plain-text 400 (431 for
 * headers over the limit, 408 for a request that did not arrive in time) on a closed connection.
 * Bodies are read up to `bodyBytesMax`: a larger Content-Length is refused before reading, a
 * chunked body is cut off at the limit; both answer 413 and close the connection.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Http, HttpRequestIn, HttpResponseOut, HttpServerLimits } from '../http.js';
import type { Listener } from '../net.js';

const CLOSE_GRACE_MS = 2000;

function plainAnswer(status: number, text: string): string {
  const body = `${text}\n`;
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function clientErrorAnswer(err: NodeJS.ErrnoException): string {
  if (err.code === 'HPE_HEADER_OVERFLOW') return plainAnswer(431, 'request headers too large');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return plainAnswer(408, 'request not received in time');
  return plainAnswer(400, `malformed HTTP request (${err.code ?? 'parse error'})`);
}

function headersOf(req: http.IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(res: http.ServerResponse, answer: HttpResponseOut, close: boolean): void {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  const headers: Record<string, string | number> = { ...answer.headers, 'Content-Length': body.length };
  if (close) headers.Connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(body);
}

export class NodeHttp implements Http {
  listen(host: string, port: number, limits: HttpServerLimits, handler: (req: HttpRequestIn) => Promise<HttpResponseOut>): Promise<Listener> {
    const sockets = new Set<Socket>();
    const server = http.createServer(
      { maxHeaderSize: limits.headerBytesMax, requestTimeout: limits.requestTimeoutMs, headersTimeout: Math.min(limits.requestTimeoutMs, 60_000) },
      (req, res) => this.#serve(req, res, limits, handler),
    );
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // The parser refused the bytes: answer once if the socket can still take it, then close.
      if (err.code === 'ECONNRESET' || !socket.writable) socket.destroy();
      else socket.end(clientErrorAnswer(err));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === '' ? undefined : host, port }, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve({
          host,
          port: typeof addr === 'object' && addr ? addr.port : port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeIdleConnections();
              setTimeout(() => {
                for (const s of sockets) s.destroy();
              }, CLOSE_GRACE_MS).unref();
            }),
        });
      });
    });
  }

  #serve(req: http.IncomingMessage, res: http.ServerResponse, limits: HttpServerLimits, handler: (req: HttpRequestIn) => Promise<HttpResponseOut>): void {
    const tooLarge = (): void => {
      send(res, { status: 413, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `request body larger than ${limits.bodyBytesMax} bytes\n` }, true);
      req.socket.end();
      req.resume();
    };
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.bodyBytesMax) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      bytes += chunk.length;
      if (bytes > limits.bodyBytesMax) {
        refused = true;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy()); // the client went away mid-body: nothing to answer
    req.on('end', () => {
      if (refused) return;
      const input: HttpRequestIn = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: headersOf(req),
        body: Buffer.concat(chunks),
        remoteAddress: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      };
      handler(input).then(
        (answer) => send(res, answer, false),
        (err: unknown) => send(res, { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `internal error: ${(err as Error).message}\n` }, true),
      );
    });
  }
}
