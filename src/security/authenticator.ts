/**
 * SaslAuthenticator: the SASL state of one connection on a SASL_PLAINTEXT or SASL_SSL listener,
 * as Kafka's server side runs it.
 *
 * Before authentication a client may send ApiVersions (answered by the dispatcher), SaslHandshake
 * and then either SaslAuthenticate requests (handshake v1, KIP-152) or raw size-prefixed SASL tokens
 * (handshake v0). Anything else closes the connection. A failed exchange answers
 * SASL_AUTHENTICATION_FAILED with the mechanism's message (v1) and closes the connection after the
 * response (v0: closes at once). Frames before authentication are bounded by
 * sasl.server.max.receive.size (connection.ts applies it).
 *
 * Re-authentication (KIP-368): with connections.max.reauth.ms > 0, SaslAuthenticate v1+ tells the
 * client its session lifetime (for OAUTHBEARER at most the token's remaining life); the client
 * re-runs SaslHandshake v1 + SaslAuthenticate on the same connection, with the same mechanism and
 * principal. A request that arrives after the session expired closes the connection, as Kafka does.
 */
import type { Logger } from 'pino';
import type { Clock } from '../io/clock.js';
import { ApiCodec } from '../protocol/codec.js';
import { ApiKey, apiName } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRequestHeader, encodeResponseHeader, peekRequestHeader } from '../protocol/header.js';
import { DecodeError, Reader, Writer } from '../protocol/primitives.js';
import { saslAuthenticateApi, type SaslAuthenticateRequest } from '../protocol/messages/sasl-authenticate.js';
import { saslHandshakeApi, type SaslHandshakeRequest } from '../protocol/messages/sasl-handshake.js';
import { ANONYMOUS, principalString, type KafkaPrincipal } from './principal.js';
import type { SaslServer, SaslStep } from './sasl/mechanism.js';

/** What a listener's SASL settings give each of its connections (security/listener-security.ts builds it). */
export interface SaslListener {
  /** Mechanisms enabled on the listener, in sasl.enabled.mechanisms order. */
  readonly mechanisms: readonly string[];
  /** A fresh exchange for `mechanism` (one of `mechanisms`). */
  newServer(mechanism: string): SaslServer;
  /** connections.max.reauth.ms; 0 = sessions never expire. */
  readonly reauthMs: number;
  /** sasl.server.max.receive.size: largest frame before authentication and largest token. */
  readonly receiveBytesMax: number;
}

/** What the connection does with a frame the authenticator took. */
export type AuthOutcome =
  | { kind: 'response'; chunks: Buffer[]; closeAfter?: string }
  | { kind: 'close'; reason: string };

type State =
  | { s: 'handshake' }
  | { s: 'authenticate'; server: SaslServer; version: 'kip152' | 'raw' }
  | { s: 'authenticated' }
  | { s: 'reauthenticate'; server: SaslServer }
  | { s: 'failed' };

const handshakeCodec = new ApiCodec(saslHandshakeApi);
const authenticateCodec = new ApiCodec(saslAuthenticateApi);

export class SaslAuthenticator {
  private state: State = { s: 'handshake' };
  private principalValue: KafkaPrincipal = ANONYMOUS;
  private mechanism = '';
  /** Monotonic ms when the session ends, or null for never. */
  private sessionEndMs: number | null = null;

  constructor(
    private readonly listener: SaslListener,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly clientAddress: string,
    private readonly listenerName: string,
  ) {}

  get authenticated(): boolean {
    return this.state.s === 'authenticated' || this.state.s === 'reauthenticate';
  }

  get receiveBytesMax(): number {
    return this.listener.receiveBytesMax;
  }

  get principal(): KafkaPrincipal {
    return this.principalValue;
  }

  /**
   * Takes `frame` when it belongs to the SASL exchange (or must be refused); null when the
   * dispatcher should serve it as usual.
   */
  handle(frame: Buffer): Promise<AuthOutcome> | null {
    const st = this.state;
    if (st.s === 'authenticate' && st.version === 'raw') return this.step(st.server, frame, null);
    const peek = peekRequestHeader(frame);
    if (peek === null) return Promise.resolve({ kind: 'close', reason: `request of ${frame.length} bytes is shorter than a request header` });
    const { apiKey } = peek;
    if (st.s === 'authenticated' || st.s === 'reauthenticate') {
      if (this.sessionEndMs !== null && this.clock.monotonicMs() >= this.sessionEndMs && st.s === 'authenticated' && apiKey !== ApiKey.SaslHandshake) {
        return Promise.resolve({ kind: 'close', reason: `the SASL session of ${principalString(this.principalValue)} expired (connections.max.reauth.ms) and the client did not re-authenticate` });
      }
      if (apiKey === ApiKey.SaslHandshake) return this.handshake(frame, true);
      if (apiKey === ApiKey.SaslAuthenticate) {
        if (st.s !== 'reauthenticate') return Promise.resolve({ kind: 'close', reason: 'SaslAuthenticate without a SaslHandshake first (ILLEGAL_SASL_STATE)' });
        return this.authenticateRequest(frame, st.server);
      }
      return null;
    }
    if (st.s === 'failed') return Promise.resolve({ kind: 'close', reason: 'request after a failed SASL authentication' });
    if (st.s === 'handshake') {
      if (apiKey === ApiKey.ApiVersions) return null;
      if (apiKey === ApiKey.SaslHandshake) return this.handshake(frame, false);
    } else if (apiKey === ApiKey.SaslAuthenticate) {
      return this.authenticateRequest(frame, st.server);
    }
    return Promise.resolve({
      kind: 'close',
      reason: `${apiName(apiKey)} request before SASL authentication on listener ${this.listenerName} (only ApiVersions, SaslHandshake and SaslAuthenticate are allowed until the client authenticates; is the client configured with security.protocol=SASL_...?)`,
    });
  }

  private decode<T>(codec: ApiCodec, frame: Buffer, versionMax: number): { version: number; correlationId: number; body: T } | string {
    const peek = peekRequestHeader(frame)!;
    if (peek.apiVersion < 0 || peek.apiVersion > versionMax) return `unsupported version ${peek.apiVersion} of ${apiName(peek.apiKey)} (we implement 0-${versionMax})`;
    try {
      const r = new Reader(frame);
      decodeRequestHeader(r, codec.isFlexible(peek.apiVersion));
      return { version: peek.apiVersion, correlationId: peek.correlationId, body: codec.decodeRequest(peek.apiVersion, r) as T };
    } catch (err) {
      if (err instanceof DecodeError) return `malformed ${apiName(peek.apiKey)} request: ${err.message}`;
      throw err;
    }
  }

  private handshake(frame: Buffer, reauth: boolean): Promise<AuthOutcome> {
    const req = this.decode<SaslHandshakeRequest>(handshakeCodec, frame, 1);
    if (typeof req === 'string') return Promise.resolve({ kind: 'close', reason: req });
    const mechanisms = [...this.listener.mechanisms];
    const answer = (errorCode: number, closeAfter?: string): Promise<AuthOutcome> =>
      Promise.resolve({ kind: 'response', chunks: respond(handshakeCodec, req.version, req.correlationId, { errorCode, mechanisms }), ...(closeAfter ? { closeAfter } : {}) });
    const mechanism = req.body.mechanism;
    if (!mechanisms.includes(mechanism)) {
      this.state = { s: 'failed' };
      return answer(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `client asked for SASL mechanism ${mechanism.slice(0, 64)}, which listener ${this.listenerName} does not enable (sasl.enabled.mechanisms=${mechanisms.join(',')})`);
    }
    if (reauth) {
      if (req.version < 1) return answer(ErrorCode.ILLEGAL_SASL_STATE, 're-authentication needs SaslHandshake v1');
      if (mechanism !== this.mechanism) {
        this.state = { s: 'failed' };
        return answer(ErrorCode.ILLEGAL_SASL_STATE, `re-authentication must use the same SASL mechanism (${this.mechanism}), not ${mechanism}`);
      }
      this.state = { s: 'reauthenticate', server: this.listener.newServer(mechanism) };
      return answer(ErrorCode.NONE);
    }
    this.mechanism = mechanism;
    this.state = { s: 'authenticate', server: this.listener.newServer(mechanism), version: req.version === 0 ? 'raw' : 'kip152' };
    return answer(ErrorCode.NONE);
  }

  private authenticateRequest(frame: Buffer, server: SaslServer): Promise<AuthOutcome> {
    const req = this.decode<SaslAuthenticateRequest>(authenticateCodec, frame, 2);
    if (typeof req === 'string') return Promise.resolve({ kind: 'close', reason: req });
    return this.step(server, req.body.authBytes, req);
  }

  /** Runs one SASL step; `req` is null for a raw (handshake v0) token. */
  private async step(server: SaslServer, token: Buffer, req: { version: number; correlationId: number } | null): Promise<AuthOutcome> {
    let result: SaslStep;
    if (token.length > this.listener.receiveBytesMax) {
      result = { kind: 'failed', message: `Authentication failed: the SASL token of ${token.length} bytes is larger than sasl.server.max.receive.size=${this.listener.receiveBytesMax}` };
    } else {
      result = await server.evaluate(token);
    }
    const reply = (errorCode: number, errorMessage: string | null, authBytes: Buffer, lifetimeMs: number, closeAfter?: string): AuthOutcome => {
      if (req === null) {
        if (closeAfter !== undefined) return { kind: 'close', reason: closeAfter };
        const size = Buffer.alloc(4);
        size.writeInt32BE(authBytes.length, 0);
        return { kind: 'response', chunks: [size, authBytes] };
      }
      const body = { errorCode, errorMessage, authBytes, sessionLifetimeMs: BigInt(lifetimeMs) };
      return { kind: 'response', chunks: respond(authenticateCodec, req.version, req.correlationId, body), ...(closeAfter !== undefined ? { closeAfter } : {}) };
    };
    if (result.kind === 'challenge') return reply(ErrorCode.NONE, null, result.token, 0);
    const wasReauth = this.state.s === 'reauthenticate';
    if (result.kind === 'failed') {
      this.state = { s: 'failed' };
      this.log.info({ client: this.clientAddress, listener: this.listenerName, mechanism: server.mechanism }, `SASL authentication failed: ${result.message}`);
      return reply(ErrorCode.SASL_AUTHENTICATION_FAILED, result.message, Buffer.alloc(0), 0, `SASL authentication failed (${server.mechanism})`);
    }
    if (wasReauth && principalString(result.principal) !== principalString(this.principalValue)) {
      this.state = { s: 'failed' };
      const message = `Authentication failed: re-authentication must keep the principal ${principalString(this.principalValue)}`;
      return reply(ErrorCode.SASL_AUTHENTICATION_FAILED, message, Buffer.alloc(0), 0, 're-authentication changed the principal');
    }
    this.principalValue = result.principal;
    this.state = { s: 'authenticated' };
    const lifetimeMs = this.sessionLifetimeMs(result.credentialExpiryMs);
    this.sessionEndMs = lifetimeMs > 0 ? this.clock.monotonicMs() + lifetimeMs : null;
    this.log.info(
      { client: this.clientAddress, listener: this.listenerName, mechanism: server.mechanism, principal: principalString(result.principal), sessionLifetimeMs: lifetimeMs },
      wasReauth ? `re-authenticated ${principalString(result.principal)}` : `authenticated ${principalString(result.principal)}`,
    );
    return reply(ErrorCode.NONE, null, result.token, lifetimeMs);
  }

  /** KIP-368: connections.max.reauth.ms, shortened to the credential's remaining life; 0 = unlimited. */
  private sessionLifetimeMs(credentialExpiryMs: number | null): number {
    const max = this.listener.reauthMs;
    if (max <= 0) return 0;
    if (credentialExpiryMs === null) return max;
    return Math.max(1, Math.min(max, credentialExpiryMs - this.clock.nowMs()));
  }
}

/** One encoded response frame (size prefix patched). */
function respond(codec: ApiCodec, version: number, correlationId: number, body: Record<string, unknown>): Buffer[] {
  const w = new Writer();
  w.int32(0);
  encodeResponseHeader(w, correlationId, codec.isFlexible(version) ? 1 : 0);
  codec.encodeResponse(version, body, w);
  const total = w.length;
  const chunks = w.toChunks();
  chunks[0]!.writeInt32BE(total - 4, 0);
  return chunks;
}
