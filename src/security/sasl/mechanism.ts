/**
 * One SASL exchange on the broker side: tokens in, challenges or an outcome out. Each mechanism
 * (plain.ts, scram.ts, oauthbearer.ts) implements `SaslServer`; the per-connection authenticator
 * (authenticator.ts) frames the tokens (SaslAuthenticate or v0 raw frames) and turns a failure into
 * SASL_AUTHENTICATION_FAILED and a closed connection. Failure messages are for the client and the
 * log: they never contain a password, a token or a proof.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KafkaPrincipal } from '../principal.js';

export type SaslStep =
  | { kind: 'challenge'; token: Buffer }
  /** Done: `token` is the last server message (may be empty); `credentialExpiryMs` bounds the session (OAUTHBEARER). */
  | { kind: 'complete'; token: Buffer; principal: KafkaPrincipal; credentialExpiryMs: number | null }
  | { kind: 'failed'; message: string };

export interface SaslServer {
  readonly mechanism: string;
  evaluate(token: Buffer): Promise<SaslStep>;
}

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSupportedMechanism(m: string): m is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(m);
}

/** Equal-time comparison of two secrets of any lengths (both are hashed to a fixed size first). */
export function secretsEqual(a: Buffer | string, b: Buffer | string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function failed(message: string): SaslStep {
  return { kind: 'failed', message };
}
