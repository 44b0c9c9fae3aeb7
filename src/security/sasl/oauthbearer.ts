/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255 / KIP-768) on the broker. The client's one message is
 * `n,,\x01auth=Bearer <JWT>\x01[key=value\x01]*\x01`. Two validators, as Kafka has:
 * - unsecured (the default, for development; Kafka's OAuthBearerUnsecuredJws): the JWT must be
 *   unsigned (`alg: none`), carry the principal claim and `exp`; JAAS options
 *   unsecuredValidatorPrincipalClaimName / ScopeClaimName / RequiredScope / AllowableClockSkewMs;
 * - JWKS (sasl.oauthbearer.jwks.endpoint.url set): the JWT must be signed (RS256/384/512,
 *   ES256/384/512, PS256/384/512) by a key of the JWKS (by `kid`), unexpired (`exp` required, `nbf`
 *   and `iat` checked), and match sasl.oauthbearer.expected.issuer / expected.audience.
 * A failed validation answers the RFC 7628 error challenge (`{"status":"invalid_token"}`); the
 * client's `\x01` reply then fails the exchange. Tokens are never logged or echoed.
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { failed, type SaslServer, type SaslStep } from './mechanism.js';

/** Longest token accepted (bytes); Kafka bounds the whole SASL message by sasl.server.max.receive.size. */
const TOKEN_BYTES_MAX = 64 * 1024;

export interface UnsecuredOptions {
  principalClaim: string;
  scopeClaim: string;
  requiredScopes: string[];
  clockSkewMs: number;
}

export interface JwksOptions {
  keys: ReadonlyMap<string, { key: KeyObject; alg: string | null }>;
  /** Keys without a `kid`, tried in order when the token names none. */
  anonymousKeys: ReadonlyArray<{ key: KeyObject; alg: string | null }>;
  expectedIssuer: string | null;
  expectedAudience: string[];
  principalClaim: string;
  clockSkewMs: number;
}

export type TokenValidator = { kind: 'unsecured'; options: UnsecuredOptions } | { kind: 'jwks'; options: JwksOptions };

class TokenError extends Error {}

function b64urlJson(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(`the token's ${what} is not base64url JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TokenError(`the token's ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function numericClaim(claims: Record<string, unknown>, name: string, required: boolean): number | null {
  const v = claims[name];
  if (v === undefined) {
    if (required) throw new TokenError(`the token has no '${name}' claim`);
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TokenError(`the token's '${name}' claim is not a number`);
  return v * 1000;
}

function stringClaim(claims: Record<string, unknown>, name: string): string {
  const v = claims[name];
  if (typeof v !== 'string' || v.trim() === '') throw new TokenError(`the token has no '${name}' (principal) claim`);
  return v;
}

function checkTimes(claims: Record<string, unknown>, nowMs: number, skewMs: number): number {
  const exp = numericClaim(claims, 'exp', true)!;
  if (nowMs - skewMs >= exp) throw new TokenError('the token has expired');
  const nbf = numericClaim(claims, 'nbf', false);
  if (nbf !== null && nowMs + skewMs < nbf) throw new TokenError('the token is not valid yet (nbf)');
  const iat = numericClaim(claims, 'iat', false);
  if (iat !== null && nowMs + skewMs < iat) throw new TokenError('the token was issued in the future (iat)');
  return exp;
}

const SIGNATURE_ALGS: Record<string, { hash: string; ec?: boolean; pss?: boolean }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
  ES512: { hash: 'sha512', ec: true },
};

/** Validates a compact JWS; returns the principal name and the expiry (ms since the epoch). */
export function validateToken(token: string, validator: TokenValidator, nowMs: number): { principal: string; expiryMs: number } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('the token is not a compact JWS (three dot-separated parts)');
  const header = b64urlJson(parts[0]!, 'header');
  const claims = b64urlJson(parts[1]!, 'payload');
  if (validator.kind === 'unsecured') {
    const o = validator.options;
    if (header.alg !== 'none' || parts[2] !== '') throw new TokenError("an unsecured token must have alg 'none' and no signature (set sasl.oauthbearer.jwks.endpoint.url to accept signed tokens)");
    const expiryMs = checkTimes(claims, nowMs, o.clockSkewMs);
    const principal = stringClaim(claims, o.principalClaim);
    if (o.requiredScopes.length > 0) {
      const raw = claims[o.scopeClaim];
      const scopes = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw.map(String) : [];
      const missing = o.requiredScopes.filter((s) => !scopes.includes(s));
      if (missing.length > 0) throw new TokenError(`the token lacks the required scope ${missing.join(' ')}`);
    }
    return { principal, expiryMs };
  }
  const o = validator.options;
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const spec = SIGNATURE_ALGS[alg];
  if (spec === undefined) throw new TokenError(`the token's algorithm '${alg.slice(0, 16)}' is not accepted (use RS256, RS384, RS512, PS256..512 or ES256..512)`);
  const kid = typeof header.kid === 'string' ? header.kid : null;
  const candidates = kid !== null ? [o.keys.get(kid)].filter((k) => k !== undefined) : o.anonymousKeys;
  if (candidates.length === 0) throw new TokenError(kid !== null ? `no key with the token's kid in the JWKS` : 'the token names no kid and the JWKS has no key without one');
  const data = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
  const signature = Buffer.from(parts[2]!, 'base64url');
  const ok = candidates.some(
    (k) =>
      (k.alg === null || k.alg === alg) &&
      verifySignature(spec.hash, data, spec.ec ? { key: k.key, dsaEncoding: 'ieee-p1363' } : spec.pss ? { key: k.key, padding: 6, saltLength: -1 } : k.key, signature),
  );
  if (!ok) throw new TokenError('the token signature does not verify against the JWKS');
  const expiryMs = checkTimes(claims, nowMs, o.clockSkewMs);
  if (o.expectedIssuer !== null && claims.iss !== o.expectedIssuer) throw new TokenError('the token issuer (iss) is not the expected one');
  if (o.expectedAudience.length > 0) {
    const aud = claims.aud;
    const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.map(String) : [];
    if (!auds.some((a) => o.expectedAudience.includes(a))) throw new TokenError('the token audience (aud) is not an expected one');
  }
  return { principal: stringClaim(claims, o.principalClaim), expiryMs };
}

/** Parses a JWKS document (`{"keys":[...]}`) into public keys by kid. Throws Error with a reason. */
export function parseJwks(text: string): Pick<JwksOptions, 'keys' | 'anonymousKeys'> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the JWKS is not JSON');
  }
  const list = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(list)) throw new Error("the JWKS has no 'keys' array");
  const keys = new Map<string, { key: KeyObject; alg: string | null }>();
  const anonymousKeys: Array<{ key: KeyObject; alg: string | null }> = [];
  for (const jwk of list as Array<Record<string, unknown>>) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch (err) {
      throw new Error(`a JWKS key${typeof jwk.kid === 'string' ? ` (kid ${jwk.kid})` : ''} cannot be loaded: ${(err as Error).message}`);
    }
    const entry = { key, alg: typeof jwk.alg === 'string' ? jwk.alg : null };
    if (typeof jwk.kid === 'string') keys.set(jwk.kid, entry);
    else anonymousKeys.push(entry);
  }
  if (keys.size + anonymousKeys.length === 0) throw new Error('the JWKS has no signing keys');
  return { keys, anonymousKeys };
}

/** The bearer token of a client's initial response, or a reason it is malformed. */
export function bearerToken(message: Buffer): string | TokenError {
  if (message.length > TOKEN_BYTES_MAX) return new TokenError('the OAUTHBEARER message is too large');
  const text = message.toString('utf8');
  const m = /^[ny],(?:a=[^,\x01]*)?,\x01((?:[A-Za-z]+=[\x21-\x7E \t\r\n]*\x01)*)\x01$/.exec(text);
  if (!m) return new TokenError('Invalid OAUTHBEARER client first message');
  const pairs = m[1]!.split('\x01').filter((p) => p !== '');
  const auth = pairs.find((p) => p.startsWith('auth='));
  const t = auth === undefined ? null : /^auth=Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(auth);
  if (!t) return new TokenError('Invalid OAUTHBEARER client first message: no auth=Bearer token');
  return t[1]!;
}

export class OAuthBearerServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  private state: 'first' | 'failing' | 'done' = 'first';
  private failure = '';

  constructor(
    private readonly validator: TokenValidator,
    private readonly nowMs: () => number,
  ) {}

  evaluate(token: Buffer): Promise<SaslStep> {
    if (this.state === 'failing') {
      this.state = 'done';
      return Promise.resolve(failed(`Authentication failed: ${this.failure}`));
    }
    if (this.state === 'done') return Promise.resolve(failed('Authentication failed: the OAUTHBEARER exchange is already complete'));
    const jwt = bearerToken(token);
    if (jwt instanceof TokenError) {
      this.state = 'done';
      return Promise.resolve(failed(`Authentication failed: ${jwt.message}`));
    }
    try {
      const { principal, expiryMs } = validateToken(jwt, this.validator, this.nowMs());
      this.state = 'done';
      return Promise.resolve({ kind: 'complete', token: Buffer.alloc(0), principal: { type: 'User', name: principal }, credentialExpiryMs: expiryMs });
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      // RFC 7628 3.2.2: an error challenge; the client answers %x01 and the exchange then fails.
      this.state = 'failing';
      this.failure = err.message;
      return Promise.resolve({ kind: 'challenge', token: Buffer.from(JSON.stringify({ status: 'invalid_token' }), 'utf8') });
    }
  }
}

/** An unsigned JWT (alg none), as Kafka's OAuthBearerUnsecuredLoginModule makes (tests, inter-broker OAUTHBEARER). */
export function unsecuredJwt(claims: Record<string, unknown>): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
  return `${enc({ alg: 'none' })}.${enc(claims)}.`;
}

/** The client's initial response for a bearer token. */
export function bearerMessage(jwt: string): Buffer {
  return Buffer.from(`n,,\x01auth=Bearer ${jwt}\x01\x01`, 'utf8');
}
