/**
 * The client side of a SASL exchange over Kafka's framing (SaslHandshake v1, then SaslAuthenticate
 * until the mechanism is done), shared by this broker's connections to other brokers
 * (security/inter-broker.ts) and by Samsa's client library (client/connection.ts, cli/perf). Pure:
 * the caller passes the request function, the time and a fresh nonce.
 *
 * Mechanisms: PLAIN (one message), SCRAM-SHA-256/512 (RFC 5802; the server's signature is checked,
 * so a broker that does not know the credential is caught), OAUTHBEARER with an unsecured token
 * (`alg: none`, for development, as Kafka's OAuthBearerUnsecuredLoginCallbackHandler makes it).
 * Failures are `SaslClientError`s saying which step failed; they never carry a secret.
 */
import { ErrorCode, errorName } from '../../protocol/error-codes.js';
import { saslAuthenticateApi, type SaslAuthenticateResponse } from '../../protocol/messages/sasl-authenticate.js';
import { saslHandshakeApi, type SaslHandshakeResponse } from '../../protocol/messages/sasl-handshake.js';
import type { ApiDef } from '../../protocol/schema.js';
import { findModule, JaasError, OAUTHBEARER_LOGIN_MODULE, parseJaasConfig, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE } from './jaas.js';
import { bearerMessage, unsecuredJwt } from './oauthbearer.js';
import { isScramMechanism, ScramClient } from './scram.js';

/** How a client proves who it is. */
export type SaslLogin =
  | { mechanism: 'PLAIN'; username: string; password: string }
  | { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  | { mechanism: 'OAUTHBEARER'; subject: string; lifetimeSeconds: number };

/** Sends one request at `version` (null: the caller's choice, e.g. the negotiated one). */
export type SaslRequestFn = <T>(api: ApiDef, version: number | null, body: Record<string, unknown>) => Promise<T>;

export class SaslClientError extends Error {
  override name = 'SaslClientError';
  constructor(
    message: string,
    /** handshake: the mechanism is not enabled; authenticate: the broker refused the credentials; server: the broker's answer did not check out. */
    readonly stage: 'handshake' | 'authenticate' | 'server',
    readonly errorCode: number,
    /** The broker's error message (authenticate), or the mechanisms it enables (handshake). */
    readonly detail: string,
  ) {
    super(message);
  }
}

/**
 * The login of `sasl.jaas.config` for `mechanism` (the client's view: username/password, or
 * unsecuredLoginStringClaim_sub for OAUTHBEARER). Throws JaasError with a one-line reason naming
 * the fix; never quotes a value.
 */
export function saslLoginFromJaas(mechanism: string, jaasText: string, where = 'sasl.jaas.config'): SaslLogin {
  const m = mechanism.toUpperCase();
  const moduleClass = m === 'PLAIN' ? PLAIN_LOGIN_MODULE : isScramMechanism(m) ? SCRAM_LOGIN_MODULE : m === 'OAUTHBEARER' ? OAUTHBEARER_LOGIN_MODULE : null;
  if (moduleClass === null) throw new JaasError(`sasl.mechanism=${mechanism} is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
  let modules;
  try {
    modules = parseJaasConfig(jaasText);
  } catch (e) {
    throw new JaasError(`${where}: ${(e as Error).message}`);
  }
  const simple = moduleClass.slice(moduleClass.lastIndexOf('.') + 1);
  const module = findModule(modules, moduleClass);
  if (module === null) throw new JaasError(`${where} has no ${simple} for sasl.mechanism=${m}; write ${moduleClass} required ${m === 'OAUTHBEARER' ? 'unsecuredLoginStringClaim_sub="<user>"' : 'username="<user>" password="<password>"'};`);
  if (m === 'OAUTHBEARER') {
    const subject = module.options.get('unsecuredLoginStringClaim_sub');
    if (subject === undefined || subject === '') throw new JaasError(`${where}: OAuthBearerLoginModule needs unsecuredLoginStringClaim_sub="<user>" (Samsa's tools send unsecured tokens only)`);
    const lifetime = Number(module.options.get('unsecuredLoginLifetimeSeconds') ?? 3600);
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0) throw new JaasError(`${where}: unsecuredLoginLifetimeSeconds must be a whole number of seconds above 0`);
    return { mechanism: 'OAUTHBEARER', subject, lifetimeSeconds: lifetime };
  }
  const username = module.options.get('username');
  const password = module.options.get('password');
  if (username === undefined || username === '' || password === undefined) throw new JaasError(`${where}: ${simple} needs username="<user>" and password="<password>"`);
  return { mechanism: m as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username, password };
}

/** Runs the exchange on a fresh connection (after ApiVersions, before anything else). */
export async function saslAuthenticate(request: SaslRequestFn, login: SaslLogin, opts: { nowMs: number; nonce: string; handshakeVersion?: number | null; authenticateVersion?: number | null }): Promise<void> {
  const hs = await request<SaslHandshakeResponse>(saslHandshakeApi, opts.handshakeVersion ?? 1, { mechanism: login.mechanism });
  if (hs.errorCode !== ErrorCode.NONE) {
    const enabled = hs.mechanisms.join(',') || 'nothing';
    throw new SaslClientError(`SaslHandshake for ${login.mechanism} failed with ${errorName(hs.errorCode)} (the broker enables ${enabled})`, 'handshake', hs.errorCode, enabled);
  }
  const send = async (token: Buffer): Promise<Buffer> => {
    const r = await request<SaslAuthenticateResponse>(saslAuthenticateApi, opts.authenticateVersion ?? null, { authBytes: token });
    if (r.errorCode !== ErrorCode.NONE) {
      throw new SaslClientError(`SASL ${login.mechanism} authentication failed: ${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`, 'authenticate', r.errorCode, r.errorMessage ?? '');
    }
    return r.authBytes;
  };
  if (login.mechanism === 'PLAIN') {
    await send(Buffer.concat([Buffer.from([0]), Buffer.from(login.username, 'utf8'), Buffer.from([0]), Buffer.from(login.password, 'utf8')]));
  } else if (login.mechanism === 'OAUTHBEARER') {
    const nowSeconds = Math.floor(opts.nowMs / 1000);
    await send(bearerMessage(unsecuredJwt({ sub: login.subject, iat: nowSeconds, exp: nowSeconds + login.lifetimeSeconds })));
  } else {
    const client = new ScramClient(login.mechanism, login.username, login.password, opts.nonce);
    const serverFirst = await send(client.first());
    let clientFinal: Buffer;
    try {
      clientFinal = client.final(serverFirst);
    } catch (e) {
      throw new SaslClientError(`SASL ${login.mechanism}: ${(e as Error).message}`, 'server', ErrorCode.SASL_AUTHENTICATION_FAILED, '');
    }
    const serverFinal = await send(clientFinal);
    try {
      client.verify(serverFinal);
    } catch (e) {
      throw new SaslClientError(`SASL ${login.mechanism}: ${(e as Error).message}`, 'server', ErrorCode.SASL_AUTHENTICATION_FAILED, '');
    }
  }
}
