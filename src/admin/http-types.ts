/**
 * The admin HTTP routing contract: what an admin-listener feature (src/admin/*.ts) or the web
 * console (src/console/routes.ts) receives and answers. Types only and no imports, so the console,
 * which also runs on its own node:http server, shares them without depending on the broker.
 */

export interface AdminHttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface AdminHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** Answers a request it owns, or null to let the next handler try. */
export type AdminHttpHandler = (req: AdminHttpRequest) => Promise<AdminHttpResponse | null>;
