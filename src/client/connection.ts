/**
 * KafkaConnection: one TCP connection to one broker. Owned by a KafkaClient (or a tool that talks to
 * a single broker); lives until close() or until the broker hangs up, after which it is dead for
 * good (the client opens a new one).
 *
 * - Requests are pipelined, matched by correlation id, answered in order, and time out (closing
 *   the connection, as Kafka's client does, since the response stream can no longer be trusted to
 *   line up) through the shared wire core, protocol/wire-client.ts, over a node:net socket
 *   (socket-stream.ts). Writes issued in the same tick go out as one gathered write.
 * - Versions: right after connecting we send ApiVersions (v3, falling back to the version the broker
 *   names when it answers UNSUPPORTED_VERSION) and from then on every request uses the highest
 *   version both sides implement. An API the broker does not offer fails with
 *   UnsupportedVersionError naming it.
 * - Backpressure: `needsDrain` / `waitForDrain()` expose the socket's.
 * - Errors: connecting failures become ConnectionError with a message that names the address and
 *   the fix; everything in flight when the socket dies is rejected with a ConnectionError, a
 *   timed-out request with a TimeoutError (and the rest with it: the connection is closed).
 *
 * This is client code for our tools and tests, not part of the broker, so it uses node:net directly
 * instead of the io/ interfaces (which model the server side).
 */
import type net from 'node:net';
import { NodeClock } from '../io/node/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { apiVersionsApi, type ApiVersionsResponse } from '../protocol/messages/api-versions.js';
import type { Struct } from '../protocol/codec.js';
import type { ApiDef } from '../protocol/schema.js';
import { WireClient, type WireErrorKind } from '../protocol/wire-client.js';
import { randomBytes } from 'node:crypto';
import { saslAuthenticate, SaslClientError } from '../security/sasl/client.js';
import { AuthenticationError, ConnectionError, KafkaError, TimeoutError, TlsHandshakeError, UnsupportedVersionError } from './errors.js';
import type { ClientSecurity } from './security.js';
import { openSocket, SocketStream } from './socket-stream.js';

export const CLIENT_SOFTWARE_NAME = 'samsa-client';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Default 30 s; a request may pass its own. */
  requestTimeoutMs?: number;
  /** Hint appended when nothing listens at the address (default: start one with `samsa start`). */
  startHint?: string;
  /** TLS and SASL (security.ts); default PLAINTEXT. */
  security?: ClientSecurity;
}

export interface RequestOptions {
  /** Use exactly this version instead of the negotiated one. */
  version?: number;
  /** Upper bound on the version (for callers that only understand older shapes). */
  versionMax?: number;
  timeoutMs?: number;
}

const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
const NEGOTIATE_TIMEOUT_MS = 10_000;
const CLOSE_FLUSH_MS_MAX = 1000;
/** Larger response frames close the connection (far above any fetch.max.bytes in use). */
const RESPONSE_BYTES_MAX = 1024 * 1024 * 1024;
const DEFAULT_START_HINT = 'is a broker running? start one with `samsa start`';
const clock = new NodeClock();

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Certificate codes (OpenSSL's) that mean "the broker's certificate does not chain to a trusted CA". */
const UNTRUSTED_CERT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A TLS failure as one line naming the fix; null when `code` is not a TLS one. */
function tlsError(err: Error, code: string, host: string, port: number): ConnectionError | null {
  const address = formatAddress(host, port);
  const make = (why: string): ConnectionError => new TlsHandshakeError(`TLS handshake with ${address} failed: ${why}`, address, code, { cause: err });
  if (UNTRUSTED_CERT.has(code)) {
    return make(`the broker's certificate is not trusted (${code}); set ssl.truststore.location to the PEM file of the CA that signed it (ssl.truststore.type=PEM)`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(`the broker's certificate is not valid for the name '${host}'; connect with a name its certificate lists, or set ssl.endpoint.identification.algorithm= (empty) to skip the host name check`);
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return make(`the broker's certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'} (${code}); renew it on the broker`);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'EPROTO') {
    return make(`the listener does not speak TLS (${code}); use the broker's SSL or SASL_SSL listener, or set security.protocol=PLAINTEXT or SASL_PLAINTEXT`);
  }
  if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
    return make(
      `the broker refused the handshake (${code}); if the listener requires client certificates (ssl.client.auth=required), set ssl.keystore.location to a key store (PEM or PKCS12) whose certificate is signed by a CA the broker trusts`,
    );
  }
  if (code === 'ECONNRESET' && err.message.includes('before secure TLS connection')) {
    return make(`the broker hung up during the handshake; if the listener does not speak TLS (PLAINTEXT, SASL_PLAINTEXT), set security.protocol=PLAINTEXT or SASL_PLAINTEXT, or use the broker's SSL or SASL_SSL port`);
  }
  if (code === 'ETLSCONFIG') return make(`cannot use the client key store or trust store: ${err.message}; check ssl.keystore.password / ssl.key.password and the files`);
  return null;
}

function connectError(err: NodeJS.ErrnoException, host: string, port: number, hint: string): ConnectionError {
  const address = formatAddress(host, port);
  const code = err.code ?? 'UNKNOWN';
  const tls = tlsError(err, code, host, port);
  if (tls !== null) return tls;
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError(`cannot connect to ${address} (connection refused) — ${hint}`, address, code, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConnectionError(`cannot connect to ${address}: unknown host '${host}' — check the address`, address, code, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionError(`cannot connect to ${address}: host unreachable — check the address`, address, code, { cause: err });
    case 'ETIMEDOUT':
      return new ConnectionError(`cannot connect to ${address}: ${err.message} — ${hint}`, address, code, { cause: err });
    default:
      return new ConnectionError(`cannot connect to ${address}: ${err.message}`, address, code, { cause: err });
  }
}

/** The client's error classes for the wire core's failures. */
function wireError(address: string): (kind: WireErrorKind, message: string, cause?: Error) => Error {
  return (kind, message, cause) => {
    switch (kind) {
      case 'timeout':
        return new TimeoutError(message);
      case 'undecodable':
        return new Error(message, { cause });
      case 'transport':
        return new ConnectionError(message, address, (cause as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN', { cause });
      case 'protocol':
        return new ConnectionError(message, address, 'PROTOCOL');
      case 'closed':
      case 'peerClosed':
        return new ConnectionError(message, address, 'CLOSED');
    }
  };
}

export class KafkaConnection {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** The broker's [min, max] per API key, from ApiVersions. */
  readonly brokerVersions = new Map<number, { min: number; max: number }>();

  #stream: SocketStream;
  #wire: WireClient;
  #chosen = new Map<number, number>();
  #security: ClientSecurity | undefined;

  private constructor(socket: net.Socket, opts: ConnectionOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.address = formatAddress(opts.host, opts.port);
    this.#security = opts.security;
    this.#stream = new SocketStream(socket);
    this.#wire = new WireClient(this.#stream, {
      clientId: opts.clientId ?? CLIENT_SOFTWARE_NAME,
      peer: this.address,
      timers: clock,
      requestTimeoutMs: opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
      responseBytesMax: RESPONSE_BYTES_MAX,
      error: wireError(this.address),
    });
  }

  /**
   * Opens the socket (TLS when security.protocol is SSL or SASL_SSL), negotiates versions and, on
   * SASL listeners, authenticates. Sessions are not re-authenticated (KIP-368): when a broker with
   * connections.max.reauth.ms closes an expired session, the client opens a new connection.
   */
  static async connect(opts: ConnectionOptions): Promise<KafkaConnection> {
    const hint = opts.startHint ?? DEFAULT_START_HINT;
    let socket: net.Socket;
    try {
      socket = await openSocket(opts.host, opts.port, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT, opts.security?.tls);
    } catch (err) {
      throw connectError(err as NodeJS.ErrnoException, opts.host, opts.port, hint);
    }
    const conn = new KafkaConnection(socket, opts);
    try {
      await conn.#negotiate();
      if (opts.security?.sasl) await conn.#authenticate();
    } catch (err) {
      conn.#wire.close();
      throw conn.#explain(err);
    }
    return conn;
  }

  get closed(): boolean {
    return this.#wire.closed;
  }

  get inflight(): number {
    return this.#wire.inflight;
  }

  /** True when the kernel buffer is full; wait with waitForDrain() before writing much more. */
  get needsDrain(): boolean {
    return this.#stream.needsDrain;
  }

  waitForDrain(): Promise<void> {
    if (this.#wire.closed) return Promise.resolve();
    return this.#stream.waitForDrain();
  }

  onClose(listener: (err: Error) => void): void {
    this.#wire.onClose(listener);
  }

  /** Whether the broker offers this API at a version we implement. */
  supports(api: ApiDef): boolean {
    return this.#versionFor(api, undefined) >= 0;
  }

  /** The version requests of this API will use (throws UnsupportedVersionError when there is none). */
  versionFor(api: ApiDef, versionMax?: number): number {
    const v = this.#versionFor(api, versionMax);
    if (v < 0) {
      const range = this.brokerVersions.get(api.apiKey);
      const why = range
        ? `offers versions ${range.min}-${range.max}, this client needs ${api.versionMin}-${versionMax ?? api.versionMax}`
        : 'does not offer it';
      throw new UnsupportedVersionError(`the broker at ${this.address} does not support ${api.name} (it ${why})`);
    }
    return v;
  }

  #versionFor(api: ApiDef, versionMax: number | undefined): number {
    if (versionMax === undefined) {
      const cached = this.#chosen.get(api.apiKey);
      if (cached !== undefined) return cached;
    }
    const range = this.brokerVersions.get(api.apiKey);
    let v = -1;
    if (range) {
      const hi = Math.min(range.max, api.versionMax, versionMax ?? Number.MAX_SAFE_INTEGER);
      const lo = Math.max(range.min, api.versionMin);
      if (hi >= lo) v = hi;
    }
    if (versionMax === undefined) this.#chosen.set(api.apiKey, v);
    return v;
  }

  /** Sends a request and resolves with the decoded response body. */
  request<T>(api: ApiDef, body: object, opts: RequestOptions = {}): Promise<T> {
    if (this.#wire.closed) return Promise.reject(this.#closedError());
    let version: number;
    try {
      version = opts.version ?? this.versionFor(api, opts.versionMax);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#wire.request<T>(api, version, body as Struct, opts.timeoutMs);
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendNoResponse(api: ApiDef, body: object, opts: RequestOptions = {}): void {
    if (this.#wire.closed) throw this.#closedError();
    this.#wire.send(api, opts.version ?? this.versionFor(api, opts.versionMax), body as Struct);
  }

  /**
   * Closes the connection: requests still waiting for an answer fail, but bytes already written
   * (an acks=0 produce) are flushed first. Resolves when the socket is gone (at most ~1 s).
   */
  close(): Promise<void> {
    if (this.#wire.closed) return Promise.resolve();
    const gone = this.#stream.closed(CLOSE_FLUSH_MS_MAX);
    this.#wire.close(true);
    return gone;
  }

  #closedError(): ConnectionError {
    return new ConnectionError(`connection to ${this.address} is closed`, this.address, 'CLOSED');
  }

  /** A failure while setting the connection up, said in terms of what the user can change. */
  #explain(err: unknown): unknown {
    if (!(err instanceof ConnectionError)) return err;
    const cause = err.cause as NodeJS.ErrnoException | undefined;
    const tls = cause?.code !== undefined ? tlsError(cause, cause.code, this.host, this.port) : null;
    if (tls !== null) return tls;
    if (err.reason === 'CLOSED' && !this.#security?.tls) {
      return new ConnectionError(
        `${err.message} while setting up the connection; if ${this.address} is an SSL or SASL_SSL listener, set security.protocol (and ssl.truststore.location) in the client properties`,
        this.address,
        err.reason,
        { cause: err },
      );
    }
    return err;
  }

  async #authenticate(): Promise<void> {
    const login = this.#security!.sasl!;
    const who = login.mechanism === 'OAUTHBEARER' ? login.subject : login.username;
    try {
      await saslAuthenticate((api, version, body) => this.request(api, body, { ...(version !== null ? { version } : {}), timeoutMs: NEGOTIATE_TIMEOUT_MS }), login, {
        nowMs: clock.nowMs(),
        nonce: randomBytes(24).toString('base64'),
        handshakeVersion: 1,
        authenticateVersion: null,
      });
    } catch (err) {
      if (!(err instanceof SaslClientError)) throw err;
      if (err.stage === 'handshake') {
        const fix = err.detail === 'nothing' ? `is ${this.address} a SASL listener? if not, set security.protocol=PLAINTEXT or SSL` : `set sasl.mechanism to one of them`;
        throw new KafkaError(err.errorCode, `the broker at ${this.address} does not enable SASL mechanism ${login.mechanism} (it enables ${err.detail}); ${fix}`);
      }
      if (err.stage === 'authenticate') {
        throw new AuthenticationError(`SASL authentication failed at ${this.address} (${login.mechanism} as ${who}): ${err.detail || 'no reason given'}; check the username and password in sasl.jaas.config`);
      }
      throw new AuthenticationError(`SASL authentication with ${this.address} (${login.mechanism} as ${who}) failed: ${err.message}`);
    }
  }

  async #negotiate(): Promise<void> {
    const res = await this.request<ApiVersionsResponse>(
      apiVersionsApi,
      { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION },
      { version: apiVersionsApi.versionMax, timeoutMs: NEGOTIATE_TIMEOUT_MS },
    );
    let answer = res;
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      // The broker answered in v0 with the versions it has; ask again at its highest.
      const mine = res.apiKeys.find((k) => k.apiKey === apiVersionsApi.apiKey);
      const v = Math.min(mine?.maxVersion ?? 0, apiVersionsApi.versionMax);
      answer = await this.request<ApiVersionsResponse>(apiVersionsApi, {}, { version: v, timeoutMs: NEGOTIATE_TIMEOUT_MS });
    }
    if (answer.errorCode !== ErrorCode.NONE) throw new KafkaError(answer.errorCode, `ApiVersions failed at ${this.address}`);
    for (const k of answer.apiKeys) this.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }
}
