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
import type { Struct } from '../protocol/codec.js';
import { errorName } from '../protocol/error-codes.js';
import type { Connector, RequestFn } from '../replication/connector.js';
import { wireStreamOf } from '../replication/connector.js';
import { StartupError } from '../startup-error.js';
import { enabledMechanisms, jaasModules } from './listener-security.js';
import { ListenerConfig } from './listener-config.js';
import { findModule, OAUTHBEARER_LOGIN_MODULE, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE } from './sasl/jaas.js';
import { saslAuthenticate, SaslClientError, type SaslLogin } from './sasl/client.js';
import { isScramMechanism } from './sasl/scram.js';
import { tlsClientOptions } from './tls-config.js';

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
  try {
    await saslAuthenticate((api, version, body) => request(api, version ?? 1, body as Struct), login, { nowMs: clock.nowMs(), nonce: random.base64Id() + random.base64Id() });
  } catch (err) {
    if (!(err instanceof SaslClientError)) throw err;
    if (err.stage === 'handshake') throw new InterBrokerAuthError(`SaslHandshake for ${login.mechanism} failed with ${errorName(err.errorCode)} (the peer enables ${err.detail})`);
    if (err.stage === 'authenticate') throw new InterBrokerAuthError(`SASL ${login.mechanism} authentication to the peer broker failed: ${errorName(err.errorCode)}: ${err.detail}`);
    throw new InterBrokerAuthError(err.message);
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
