/**
 * SaslHandshake (v0-1) and SaslAuthenticate (v0-2) reaching the dispatcher. On a SASL listener the
 * connection's SaslAuthenticator (security/authenticator.ts) answers both before the dispatcher
 * sees them, so a request gets here only on a PLAINTEXT or SSL listener, or on an authenticated
 * connection in a state the authenticator does not take. Kafka answers ILLEGAL_SASL_STATE then;
 * the handshake lists no mechanisms (none is enabled on this listener).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { saslAuthenticateApi, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../protocol/messages/sasl-authenticate.js';
import { saslHandshakeApi, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../protocol/messages/sasl-handshake.js';
import { defineHandler } from './handler.js';

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>(saslHandshakeApi, () => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  mechanisms: [],
}));

export const saslAuthenticateHandler = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>(saslAuthenticateApi, (ctx) => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  errorMessage: `SaslAuthenticate request received on listener ${ctx.listenerName ?? ''}, which does not use SASL`,
  authBytes: Buffer.alloc(0),
  sessionLifetimeMs: 0n,
}));
