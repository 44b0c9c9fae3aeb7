/**
 * How the client secures its connections, from Kafka's client properties: security.protocol
 * (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), sasl.mechanism + sasl.jaas.config (PLAIN,
 * SCRAM-SHA-256/512, OAUTHBEARER with an unsecured token), and the ssl.* keys: trust store in PEM
 * (ssl.truststore.location or inline ssl.truststore.certificates; absent: the platform's CAs), key
 * store for mutual TLS in PEM (ssl.keystore.location holding key and chain, or inline
 * ssl.keystore.key + ssl.keystore.certificate.chain) or PKCS12 (ssl.keystore.location +
 * ssl.keystore.password), ssl.key.password, ssl.endpoint.identification.algorithm (https, the
 * default, checks the broker's name against its certificate; empty turns the check off),
 * ssl.enabled.protocols / ssl.protocol (TLSv1.2, TLSv1.3).
 *
 * Bad or unsupported values are `SecurityConfigError`s: one line naming the key and the fix (JKS
 * stores: the command that converts them). No message quotes a password.
 *
 * Client code: reads files with node:fs directly.
 */
import { readFileSync } from 'node:fs';
import { pemCertificates, pemPrivateKeys } from '../security/pem.js';
import { saslLoginFromJaas, type SaslLogin } from '../security/sasl/client.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** TLS settings for node's tls.connect. */
export interface ClientTls {
  /** Trusted CA certificates (PEM); absent: node's default CAs. */
  ca?: string;
  /** Client key and chain (mutual TLS), PEM, or `pfx` (PKCS12). */
  key?: string;
  cert?: string;
  pfx?: Buffer;
  passphrase?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** ssl.endpoint.identification.algorithm=https: check the broker's host name against its certificate. */
  verifyHostName: boolean;
}

export interface ClientSecurity {
  protocol: SecurityProtocol;
  tls: ClientTls | null;
  sasl: SaslLogin | null;
}

export const PLAINTEXT_SECURITY: ClientSecurity = { protocol: 'PLAINTEXT', tls: null, sasl: null };

export class SecurityConfigError extends Error {
  override name = 'SecurityConfigError';
}

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** The security keys this module reads (tools list them as known client properties). */
export const SECURITY_KEYS = [
  'security.protocol',
  'sasl.mechanism',
  'sasl.jaas.config',
  'ssl.truststore.location',
  'ssl.truststore.type',
  'ssl.truststore.certificates',
  'ssl.truststore.password',
  'ssl.keystore.location',
  'ssl.keystore.type',
  'ssl.keystore.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
  'ssl.enabled.protocols',
  'ssl.protocol',
] as const;

function readFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new SecurityConfigError(`cannot read ${key}=${path} (${why}); point ${key} at a readable file`);
  }
}

/** Props with empty values treated as absent, except where emptiness means something. */
function value(props: Record<string, string | undefined>, key: string): string | undefined {
  const v = props[key]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function trustStore(props: Record<string, string | undefined>): string | undefined {
  const inline = value(props, 'ssl.truststore.certificates');
  const location = value(props, 'ssl.truststore.location');
  if (inline === undefined && location === undefined) return undefined;
  const text = inline ?? readFile(location!, 'ssl.truststore.location').toString('utf8');
  // Kafka's default type is JKS; a file that is PEM is read as PEM whatever the type says is unset.
  const type = (value(props, 'ssl.truststore.type') ?? (text.includes('-----BEGIN') ? 'PEM' : 'JKS')).toUpperCase();
  if (type !== 'PEM') {
    const file = location ?? 'truststore.jks';
    throw new SecurityConfigError(
      `ssl.truststore.type=${type} is not supported by Samsa's tools; export the CA to PEM (keytool -exportcert -rfc -alias CARoot -keystore ${file} -file ca.pem, or openssl pkcs12 -in ${file} -nokeys -out ca.pem) and set ssl.truststore.location=ca.pem, ssl.truststore.type=PEM`,
    );
  }
  const from = inline !== undefined ? 'ssl.truststore.certificates' : 'ssl.truststore.location';
  const certs = pemCertificates(text);
  if (certs === '') throw new SecurityConfigError(`${from}: no PEM certificate (-----BEGIN CERTIFICATE-----) found; give the CA certificate that signed the broker's certificate, in PEM`);
  return certs;
}

function keyStore(props: Record<string, string | undefined>): Pick<ClientTls, 'key' | 'cert' | 'pfx' | 'passphrase'> {
  const location = value(props, 'ssl.keystore.location');
  const inlineKey = value(props, 'ssl.keystore.key');
  const inlineChain = value(props, 'ssl.keystore.certificate.chain');
  const keyPassword = props['ssl.key.password'];
  const storePassword = props['ssl.keystore.password'];
  const typeGiven = value(props, 'ssl.keystore.type');
  if (inlineKey !== undefined || inlineChain !== undefined) {
    if (typeGiven !== undefined && typeGiven.toUpperCase() !== 'PEM') throw new SecurityConfigError(`ssl.keystore.key and ssl.keystore.certificate.chain need ssl.keystore.type=PEM (it is ${typeGiven})`);
    if (inlineKey === undefined || inlineChain === undefined) throw new SecurityConfigError(`set both ssl.keystore.key and ssl.keystore.certificate.chain (only ${inlineKey !== undefined ? 'ssl.keystore.key' : 'ssl.keystore.certificate.chain'} is set)`);
    return pemKeyStore(inlineKey, inlineChain, keyPassword, 'ssl.keystore.key');
  }
  if (location === undefined) return {};
  const bytes = readFile(location, 'ssl.keystore.location');
  const type = (typeGiven ?? (bytes.includes('-----BEGIN') ? 'PEM' : 'JKS')).toUpperCase();
  if (type === 'PKCS12') return { pfx: bytes, ...(storePassword !== undefined ? { passphrase: storePassword } : {}) };
  if (type === 'PEM') {
    const text = bytes.toString('utf8');
    return pemKeyStore(text, text, keyPassword, 'ssl.keystore.location');
  }
  throw new SecurityConfigError(
    `ssl.keystore.type=${type} is not supported by Samsa's tools; convert with keytool -importkeystore -srckeystore ${location} -destkeystore client.p12 -deststoretype PKCS12 and set ssl.keystore.type=PKCS12, ssl.keystore.location=client.p12`,
  );
}

function pemKeyStore(keyText: string, chainText: string, keyPassword: string | undefined, from: string): Pick<ClientTls, 'key' | 'cert' | 'passphrase'> {
  const keys = pemPrivateKeys(keyText);
  const cert = pemCertificates(chainText);
  if (keys.length !== 1) throw new SecurityConfigError(`${from}: expected one PEM private key (-----BEGIN PRIVATE KEY-----), found ${keys.length}`);
  if (cert === '') throw new SecurityConfigError(`${from}: no PEM certificate (-----BEGIN CERTIFICATE-----) found for the key store; add the client certificate chain`);
  return { key: keys[0]!, cert, ...(keyPassword !== undefined && keyPassword !== '' ? { passphrase: keyPassword } : {}) };
}

function tlsVersions(props: Record<string, string | undefined>): Pick<ClientTls, 'minVersion' | 'maxVersion'> {
  const listed = value(props, 'ssl.enabled.protocols');
  const wanted = (listed ?? 'TLSv1.2,TLSv1.3').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = wanted.filter((v) => v !== 'TLSv1.2' && v !== 'TLSv1.3');
  if (bad.length > 0 || wanted.length === 0) throw new SecurityConfigError(`Invalid value ${listed ?? ''} for configuration ssl.enabled.protocols: Samsa's tools speak TLSv1.2 and TLSv1.3; list one or both`);
  return { minVersion: wanted.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3', maxVersion: wanted.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2' };
}

/**
 * The security settings of client properties (a tool's config file and -property options).
 * Throws SecurityConfigError for bad or unsupported values.
 */
export function securityFromProps(props: Record<string, string | undefined>): ClientSecurity {
  const protocolText = (value(props, 'security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocolText)) {
    throw new SecurityConfigError(`Invalid value ${props['security.protocol']} for configuration security.protocol: use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`);
  }
  const protocol = protocolText as SecurityProtocol;
  let sasl: SaslLogin | null = null;
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = value(props, 'sasl.mechanism') ?? 'GSSAPI';
    if (mechanism.toUpperCase() === 'GSSAPI') {
      throw new SecurityConfigError(`sasl.mechanism=${mechanism} (Kerberos${props['sasl.mechanism'] === undefined ? ", Kafka's default" : ''}) is not supported by Samsa; set sasl.mechanism to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
    }
    const jaas = value(props, 'sasl.jaas.config');
    if (jaas === undefined) {
      throw new SecurityConfigError(`security.protocol=${protocol} needs sasl.jaas.config, e.g. sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="...";`);
    }
    try {
      sasl = saslLoginFromJaas(mechanism, jaas);
    } catch (e) {
      throw new SecurityConfigError((e as Error).message);
    }
  }
  let tls: ClientTls | null = null;
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const algorithm = (props['ssl.endpoint.identification.algorithm'] ?? 'https').trim().toLowerCase();
    if (algorithm !== 'https' && algorithm !== '') {
      throw new SecurityConfigError(`Invalid value ${algorithm} for configuration ssl.endpoint.identification.algorithm: use https (check the broker's host name) or an empty value (do not)`);
    }
    const ca = trustStore(props);
    tls = { ...(ca !== undefined ? { ca } : {}), ...keyStore(props), ...tlsVersions(props), verifyHostName: algorithm === 'https' };
  }
  return { protocol, tls, sasl };
}

/** A short description for log lines: `SASL_SSL (SCRAM-SHA-512 as alice)`; never a secret. */
export function describeSecurity(s: ClientSecurity): string {
  if (s.sasl === null) return s.protocol;
  const who = s.sasl.mechanism === 'OAUTHBEARER' ? s.sasl.subject : s.sasl.username;
  return `${s.protocol} (${s.sasl.mechanism} as ${who})`;
}
