/**
 * This broker as a client of other brokers (replica fetchers), secured like the inter-broker
 * listener (inter.broker.listener.name, or the listener named by security.inter.broker.protocol):
 * TLS with that listener's trust store (and key store, for ssl.client.auth) and
 * ssl.endpoint.identification.algorithm; SASL with sasl.mechanism.inter.broker.protocol and the
 * username/password of that listener's JAAS config for the mechanism, as Kafka brokers log in to
 * each other. OAUTHBEARER between brokers uses an unsecured token (unsecuredLoginStringClaim_sub),
 * so it works only with the unsecured validator.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Clock } from '../io/clock.js';
import type { Disk } from '../io/disk.js';
import type { Net, TlsClientOptions } from '../io/net.js';
import type { Random } from '../io/random.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { saslAuthenticateApi, type SaslAuthenticateResponse } from '../protocol/messages/sasl-authenticate.js';
import { saslHandshakeApi, type SaslHandshakeResponse } from '../protocol/messages/sasl-handshake.js';
import type { Connector, RequestFn } from '../replication/connector.js';
import { wireStreamOf } from '../replication/connector.js';
import { StartupError } from '../startup-error.js';
import { enabledMechanisms, jaasModules } from './listener-security.js';
import { ListenerConfig } from './listener-config.js';
import { findModule, OAUTHBEARER_LOGIN_MODULE, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE } from './sasl/jaas.js';
import { bearerMessage, unsecuredJwt } from './sasl/oauthbearer.js';
import { isScramMechanism, ScramClient } from './sasl/scram.js';
import { tlsClientOptions } from './tls-config.js';

/** How this broker proves itself to others over SASL. */
type SaslLogin =
  | { mechanism: 'PLAIN'; username: string; password: string }
  | { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  | { mechanism: 'OAUTHBEARER'; subject: string; lifetimeSeconds: number };

export class InterBrokerAuthError extends Error {
  override name = 'InterBrokerAuthError';
}

function saslLogin(lc: ListenerConfig, config: BrokerConfig): SaslLogin {
  const mechanism = config.saslMechanismInterBrokerProtocol.toUpperCase();
  const enabled = enabledMechanisms(lc);
  if (!enabled.includes(mechanism)) {
    throw new StartupError(
      `Invalid value ${mechanism} for configuration sasl.mechanism.inter.broker.protocol: the inter-broker listener ${lc.listenerName} enables ${enabled.join(',')}; set sasl.mechanism.inter.broker.protocol to one of them`,
    );
  }
  const jaas = jaasModules(lc, mechanism);
  const moduleClass = mechanism === 'PLAIN' ? PLAIN_LOGIN_MODULE : isScramMechanism(mechanism) ? SCRAM_LOGIN_MODULE : OAUTHBEARER_LOGIN_MODULE;
  const module = jaas ? findModule(jaas.modules, moduleClass) : null;
  const where = `${lc.prefix}${mechanism.toLowerCase()}.sasl.jaas.config`;
  if (module === null) {
    throw new StartupError(`brokers log in to each other with ${mechanism} on listener ${lc.listenerName} but ${where} has no ${moduleClass.slice(moduleClass.lastIndexOf('.') + 1)}; add one with username and password (see docs/SECURITY.md)`);
  }
  if (mechanism === 'OAUTHBEARER') {
    const subject = module.options.get('unsecuredLoginStringClaim_sub');
    if (subject === undefined) throw new StartupError(`${where}: OAuthBearerLoginModule needs unsecuredLoginStringClaim_sub="<broker principal>" for inter-broker OAUTHBEARER`);
    if (lc.get('sasl.oauthbearer.jwks.endpoint.url', 'OAUTHBEARER') !== null) {
      throw new StartupError(`inter-broker OAUTHBEARER on listener ${lc.listenerName} would send an unsecured token, which its JWKS validation refuses; use PLAIN or SCRAM between brokers (sasl.mechanism.inter.broker.protocol)`);
    }
    return { mechanism, subject, lifetimeSeconds: Number(module.options.get('unsecuredLoginLifetimeSeconds') ?? 3600) };
  }
  const username = module.options.get('username');
  const password = module.options.get('password');
  if (username === undefined || password === undefined) throw new StartupError(`${where}: the login module needs username="..." and password="..." for this broker's own connections to other brokers`);
  return { mechanism: mechanism as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username, password };
}

async function authenticate(request: RequestFn, login: SaslLogin, clock: Clock, random: Random): Promise<void> {
  const hs = await request<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: login.mechanism });
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new InterBrokerAuthError(`SaslHandshake for ${login.mechanism} failed with ${errorName(hs.errorCode)} (the peer enables ${hs.mechanisms.join(',') || 'nothing'})`);
  }
  const send = async (token: Buffer): Promise<Buffer> => {
    const r = await request<SaslAuthenticateResponse>(saslAuthenticateApi, 1, { authBytes: token });
    if (r.errorCode !== ErrorCode.NONE) throw new InterBrokerAuthError(`SASL ${login.mechanism} authentication to the peer broker failed: ${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`);
    return r.authBytes;
  };
  if (login.mechanism === 'PLAIN') {
    await send(Buffer.concat([Buffer.from([0]), Buffer.from(login.username, 'utf8'), Buffer.from([0]), Buffer.from(login.password, 'utf8')]));
  } else if (login.mechanism === 'OAUTHBEARER') {
    const nowSeconds = Math.floor(clock.nowMs() / 1000);
    await send(bearerMessage(unsecuredJwt({ sub: login.subject, iat: nowSeconds, exp: nowSeconds + login.lifetimeSeconds })));
  } else {
    const client = new ScramClient(login.mechanism, login.username, login.password, random.base64Id() + random.base64Id());
    const serverFirst = await send(client.first());
    const serverFinal = await send(client.final(serverFirst));
    client.verify(serverFinal);
  }
}

/**
 * The Connector replica fetchers use: plaintext, TLS and/or SASL as the inter-broker listener is
 * configured. Problems a user can fix are StartupErrors (thrown here, at start).
 */
export async function interBrokerConnector(deps: { net: Net; config: BrokerConfig; disk: Disk; clock: Clock; random: Random }): Promise<Connector> {
  const { net, config, disk, clock, random } = deps;
  const lc = new ListenerConfig(config, config.interBrokerListenerName);
  // Material is read once; the host name to verify is set per peer.
  const tls: TlsClientOptions | null = lc.usesTls ? await tlsClientOptions(lc, disk, '') : null;
  const login = lc.usesSasl ? saslLogin(lc, config) : null;
  return {
    async connect(host, port, timeoutMs) {
      const opts = tls === null ? { timeoutMs } : { timeoutMs, tls: { ...tls, verifyHostName: tls.verifyHostName === null ? null : host } };
      return wireStreamOf(await net.connect(host, port, opts));
    },
    ...(login !== null ? { authenticate: (request: RequestFn) => authenticate(request, login, clock, random) } : {}),
  };
}
