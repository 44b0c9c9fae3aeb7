/**
 * The console on its own node:http server (`samsa console`, and the browser tests): adapts each
 * request to the AdminHttpRequest shape routes.ts takes, answers 404 for paths the handler does not
 * own, and caps request bodies. Binds 127.0.0.1 unless told otherwise: the console can create and
 * delete topics (see docs/CONSOLE.md before exposing it).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConsoleHandler, type AdminHttpRequest, type ConsoleOptions } from './routes.js';

const BODY_BYTES_MAX = 2 * 1024 * 1024;

export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startConsoleServer(opts: ConsoleOptions & { host?: string; port?: number }): Promise<ConsoleServer> {
  const { handler, close } = createConsoleHandler(opts);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_BYTES_MAX) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `request body over ${BODY_BYTES_MAX} bytes` }));
        return;
      }
      const url = new URL(req.url ?? '/', 'http://console.invalid');
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const request: AdminHttpRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body: Buffer.concat(chunks) };
      handler(request).then(
        (answer) => {
          if (answer === null) {
            res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${url.pathname}\n`);
            return;
          }
          res.writeHead(answer.status, answer.headers).end(req.method === 'HEAD' ? undefined : answer.body);
        },
        (err: unknown) => {
          // The handler answers its own errors; this is a bug in it. Say so, keep serving.
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`console error: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await close();
    },
  };
}
