/**
 * ListenerSecurity: everything a listener needs to secure its connections, built once at start
 * from the config (per-listener overrides applied, files read through the io Disk):
 * - TLS server options for SSL and SASL_SSL listeners (tls-config.ts);
 * - for SSL listeners, ssl.principal.mapping.rules (principal-mapper.ts);
 * - for SASL listeners, the enabled mechanisms and how to start an exchange for each: PLAIN users
 *   from the listener's JAAS config, SCRAM credentials from the metadata (Controller), OAUTHBEARER
 *   validation (unsecured by default, JWKS with sasl.oauthbearer.jwks.endpoint.url).
 * Every problem is a StartupError naming the key to fix; no secret is ever part of a message.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Clock } from '../io/clock.js';
import type { Disk } from '../io/disk.js';
import type { TlsServerOptions } from '../io/net.js';
import type { Random } from '../io/random.js';
import { StartupError } from '../startup-error.js';
import type { SaslListener } from './authenticator.js';
import { ListenerConfig } from './listener-config.js';
import { parseMappingRules, PrincipalMappingError, type MappingRule } from './principal-mapper.js';
import { findModule, JaasError, OAUTHBEARER_LOGIN_MODULE, parseJaasConfig, PLAIN_LOGIN_MODULE, type LoginModule } from './sasl/jaas.js';
import { isSupportedMechanism, SASL_MECHANISMS, type SaslServer } from './sasl/mechanism.js';
import { OAuthBearerServer, parseJwks, type TokenValidator } from './sasl/oauthbearer.js';
import { PlainServer } from './sasl/plain.js';
import { isScramMechanism, ScramServer, type ScramCredentialLookup } from './sasl/scram.js';
import { tlsServerOptions } from './tls-config.js';

export interface ListenerSecurity {
  readonly listenerName: string;
  readonly securityProtocol: string;
  readonly tls: TlsServerOptions | null;
  /** SSL listeners: how a client certificate's DN becomes a principal name. */
  readonly mappingRules: readonly MappingRule[];
  readonly sasl: SaslListener | null;
}

export interface SecurityDeps {
  config: BrokerConfig;
  disk: Disk;
  clock: Clock;
  random: Random;
  /** SCRAM credentials (the Controller's metadata); called only once the broker serves. */
  scramLookup: ScramCredentialLookup;
}

/** The listener's JAAS modules for `mechanism` (listener.name.<l>.<mechanism>.sasl.jaas.config, then less specific forms). */
export function jaasModules(lc: ListenerConfig, mechanism: string): { modules: LoginModule[]; from: string } | null {
  const { value, from } = lc.lookup('sasl.jaas.config', mechanism);
  if (value === null) return null;
  try {
    return { modules: parseJaasConfig(value), from };
  } catch (err) {
    if (err instanceof JaasError) throw new StartupError(`Invalid value [hidden] for configuration ${from}: ${err.message}`);
    throw err;
  }
}

/** Mechanisms enabled on a SASL listener, each one Samsa supports. */
export function enabledMechanisms(lc: ListenerConfig): string[] {
  const { from } = lc.lookup('sasl.enabled.mechanisms');
  const mechanisms = lc.list('sasl.enabled.mechanisms').map((m) => m.toUpperCase());
  if (mechanisms.length === 0) throw new StartupError(`listener ${lc.listenerName} (${lc.securityProtocol}) enables no SASL mechanism: set sasl.enabled.mechanisms (or ${lc.prefix}sasl.enabled.mechanisms), e.g. PLAIN,SCRAM-SHA-256`);
  const unsupported = mechanisms.filter((m) => !isSupportedMechanism(m));
  if (unsupported.length > 0) {
    throw new StartupError(
      `Invalid value ${mechanisms.join(',')} for configuration ${from}: Samsa does not support SASL mechanism ${unsupported.join(', ')}${unsupported.includes('GSSAPI') ? ' (Kerberos; GSSAPI is also the default when sasl.enabled.mechanisms is unset)' : ''}; use ${SASL_MECHANISMS.join(', ')}`,
    );
  }
  return mechanisms;
}

function plainUsers(lc: ListenerConfig): Map<string, string> {
  const jaas = jaasModules(lc, 'PLAIN');
  const module = jaas ? findModule(jaas.modules, PLAIN_LOGIN_MODULE) : null;
  if (jaas === null || module === null) {
    throw new StartupError(
      `listener ${lc.listenerName} enables PLAIN but has no PlainLoginModule: set ${lc.prefix}plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`,
    );
  }
  const users = new Map<string, string>();
  for (const [k, v] of module.options) if (k.startsWith('user_') && k.length > 'user_'.length) users.set(k.slice('user_'.length), v);
  if (users.size === 0) throw new StartupError(`${jaas.from} lists no user_<name>="<password>" entries; PLAIN would accept nobody`);
  return users;
}

async function oauthValidator(lc: ListenerConfig, disk: Disk): Promise<TokenValidator> {
  const skewSeconds = lc.count('sasl.oauthbearer.clock.skew.seconds');
  const url = lc.lookup('sasl.oauthbearer.jwks.endpoint.url', 'OAUTHBEARER');
  if (url.value === null || url.value.trim() === '') {
    const jaas = jaasModules(lc, 'OAUTHBEARER');
    const opts = jaas ? findModule(jaas.modules, OAUTHBEARER_LOGIN_MODULE)?.options : undefined;
    const skewMs = Number(opts?.get('unsecuredValidatorAllowableClockSkewMs') ?? skewSeconds * 1000);
    return {
      kind: 'unsecured',
      options: {
        principalClaim: opts?.get('unsecuredValidatorPrincipalClaimName') ?? 'sub',
        scopeClaim: opts?.get('unsecuredValidatorScopeClaimName') ?? 'scope',
        requiredScopes: (opts?.get('unsecuredValidatorRequiredScope') ?? '').split(/[\s,]+/).filter((s) => s !== ''),
        clockSkewMs: Number.isFinite(skewMs) && skewMs >= 0 ? skewMs : skewSeconds * 1000,
      },
    };
  }
  const u = url.value.trim();
  if (!u.startsWith('file:')) {
    throw new StartupError(`Invalid value ${u} for configuration ${url.from}: Samsa reads the JWKS from a file:// URL (fetch the JWKS to a file, e.g. curl -o /etc/samsa/jwks.json <url>)`);
  }
  const path = decodeURIComponent(u.replace(/^file:(\/\/)?/, ''));
  let text: string;
  try {
    text = (await disk.readFile(path)).toString('utf8');
  } catch (err) {
    throw new StartupError(`cannot read the JWKS ${path} (${url.from}): ${(err as Error).message}`);
  }
  let keys;
  try {
    keys = parseJwks(text);
  } catch (err) {
    throw new StartupError(`${url.from}: ${(err as Error).message}`);
  }
  const issuer = lc.get('sasl.oauthbearer.expected.issuer', 'OAUTHBEARER');
  return {
    kind: 'jwks',
    options: {
      ...keys,
      expectedIssuer: issuer === null || issuer.trim() === '' ? null : issuer.trim(),
      expectedAudience: lc.list('sasl.oauthbearer.expected.audience', 'OAUTHBEARER'),
      principalClaim: lc.get('sasl.oauthbearer.sub.claim.name', 'OAUTHBEARER') ?? 'sub',
      clockSkewMs: skewSeconds * 1000,
    },
  };
}

async function saslListener(lc: ListenerConfig, deps: SecurityDeps): Promise<SaslListener> {
  const mechanisms = enabledMechanisms(lc);
  const users = mechanisms.includes('PLAIN') ? plainUsers(lc) : new Map<string, string>();
  const validator = mechanisms.includes('OAUTHBEARER') ? await oauthValidator(lc, deps.disk) : null;
  const serverNonce = (): string => deps.random.base64Id() + deps.random.base64Id();
  return {
    mechanisms,
    reauthMs: lc.count('connections.max.reauth.ms'),
    receiveBytesMax: Math.max(1, lc.count('sasl.server.max.receive.size')),
    newServer(mechanism): SaslServer {
      if (mechanism === 'PLAIN') return new PlainServer(users);
      if (isScramMechanism(mechanism)) return new ScramServer(mechanism, deps.scramLookup, serverNonce);
      if (mechanism === 'OAUTHBEARER' && validator !== null) return new OAuthBearerServer(validator, () => deps.clock.nowMs());
      throw new Error(`no SASL server for ${mechanism}; the handshake admits only enabled mechanisms`);
    },
  };
}

export async function listenerSecurity(listenerName: string, deps: SecurityDeps): Promise<ListenerSecurity> {
  const lc = new ListenerConfig(deps.config, listenerName);
  let mappingRules: MappingRule[] = [{ kind: 'default' }];
  if (lc.securityProtocol === 'SSL') {
    const { value, from } = lc.lookup('ssl.principal.mapping.rules');
    try {
      mappingRules = parseMappingRules(value ?? 'DEFAULT');
    } catch (err) {
      if (err instanceof PrincipalMappingError) throw new StartupError(`Invalid value ${value} for configuration ${from}: ${err.message}`);
      throw err;
    }
  }
  return {
    listenerName,
    securityProtocol: lc.securityProtocol,
    tls: lc.usesTls ? await tlsServerOptions(lc, deps.disk) : null,
    mappingRules,
    sasl: lc.usesSasl ? await saslListener(lc, deps) : null,
  };
}
