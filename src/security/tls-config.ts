/**
 * TLS material for a listener (server side) and for inter-broker connections (client side), from
 * Kafka's ssl.* keys as ListenerConfig resolves them (per-listener overrides first). Files are read
 * through the io Disk. Supported: ssl.keystore.type=PEM (ssl.keystore.certificate.chain +
 * ssl.keystore.key inline, or ssl.keystore.location holding key and chain) and PKCS12
 * (ssl.keystore.location + ssl.keystore.password); trust stores in PEM (ssl.truststore.certificates
 * or a PEM file at ssl.truststore.location, whatever ssl.truststore.type says). JKS files and PKCS12
 * trust stores are refused with the command that converts them. Errors name the key, never a secret.
 */
import type { Disk } from '../io/disk.js';
import type { TlsClientOptions, TlsMaterial, TlsServerOptions } from '../io/net.js';
import { StartupError } from '../startup-error.js';
import { pemBlocks } from './pem.js';
import type { ListenerConfig } from './listener-config.js';

/** A client that has connected but not finished its TLS handshake after this long is dropped. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;


/** IANA names of common TLS 1.2 suites → OpenSSL's names (node takes OpenSSL names for TLS 1.2). */
const TLS12_SUITES: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 'DHE-RSA-AES128-GCM-SHA256',
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 'DHE-RSA-AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

async function readBytes(disk: Disk, path: string, key: string): Promise<Buffer> {
  try {
    return await disk.readFile(path);
  } catch (err) {
    throw new StartupError(`cannot read ${path} (${key}): ${(err as Error).message}`);
  }
}

async function readText(disk: Disk, path: string, key: string): Promise<string> {
  return (await readBytes(disk, path, key)).toString('utf8');
}

/** The TLS versions from ssl.enabled.protocols (TLSv1.2, TLSv1.3; older ones are refused). */
function versions(lc: ListenerConfig): Pick<TlsMaterial, 'minVersion' | 'maxVersion'> {
  const { from } = lc.lookup('ssl.enabled.protocols');
  const wanted = lc.list('ssl.enabled.protocols');
  const known = wanted.filter((v): v is 'TLSv1.2' | 'TLSv1.3' => v === 'TLSv1.2' || v === 'TLSv1.3');
  const unknown = wanted.filter((v) => v !== 'TLSv1.2' && v !== 'TLSv1.3');
  if (known.length === 0) {
    throw new StartupError(`Invalid value ${wanted.join(',') || "''"} for configuration ${from}: Samsa supports TLSv1.2 and TLSv1.3; list one or both`);
  }
  if (unknown.length > 0) {
    throw new StartupError(`Invalid value ${wanted.join(',')} for configuration ${from}: ${unknown.join(', ')} is not supported (TLS versions before 1.2 are insecure); use TLSv1.2,TLSv1.3`);
  }
  return { minVersion: known.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3', maxVersion: known.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2' };
}

/** Node takes TLS 1.3 suites (TLS_AES_...) and OpenSSL names of TLS 1.2 ones in one list. */
function ciphers(lc: ListenerConfig): string | undefined {
  const suites = lc.list('ssl.cipher.suites');
  if (suites.length === 0) return undefined;
  return suites.map((s) => TLS12_SUITES[s] ?? s).join(':');
}

async function keyMaterial(lc: ListenerConfig, disk: Disk, required: boolean): Promise<Pick<TlsMaterial, 'keyPem' | 'certChainPem' | 'pfx' | 'passphrase'>> {
  const type = (lc.get('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const typeFrom = lc.lookup('ssl.keystore.type').from;
  const location = lc.lookup('ssl.keystore.location');
  const chain = lc.lookup('ssl.keystore.certificate.chain');
  const inlineKey = lc.lookup('ssl.keystore.key');
  const keyPassword = lc.get('ssl.key.password');
  const storePassword = lc.get('ssl.keystore.password');
  if (chain.value !== null || inlineKey.value !== null) {
    if (type !== 'PEM') throw new StartupError(`${chain.value !== null ? chain.from : inlineKey.from} needs ssl.keystore.type=PEM (${typeFrom} is ${type})`);
    if (chain.value === null || inlineKey.value === null) throw new StartupError(`set both ssl.keystore.certificate.chain and ssl.keystore.key for listener ${lc.listenerName} (only ${chain.value !== null ? chain.from : inlineKey.from} is set)`);
    return pemKey(inlineKey.value, chain.value, keyPassword, inlineKey.from);
  }
  if (location.value === null) {
    if (!required) return {};
    throw new StartupError(
      `listener ${lc.listenerName} (${lc.securityProtocol}) needs a key store: set ssl.keystore.location (PKCS12 or PEM) or ssl.keystore.certificate.chain and ssl.keystore.key with ssl.keystore.type=PEM (or ${lc.prefix}ssl.keystore.location for this listener only)`,
    );
  }
  if (type === 'PKCS12') {
    const pfx = await readBytes(disk, location.value, location.from);
    return { pfx, ...(storePassword !== null ? { passphrase: storePassword } : {}) };
  }
  const text = await readText(disk, location.value, location.from);
  if (type === 'PEM' || text.includes('-----BEGIN')) return pemKey(text, text, keyPassword, location.from);
  throw new StartupError(
    `${location.from}: Samsa reads key stores of type PEM or PKCS12, not ${type}; convert with keytool -importkeystore -srckeystore ${location.value} -destkeystore server.p12 -deststoretype PKCS12 and set ssl.keystore.type=PKCS12`,
  );
}

function pemKey(keyText: string, chainText: string, keyPassword: string | null, from: string): Pick<TlsMaterial, 'keyPem' | 'certChainPem' | 'passphrase'> {
  const keys = pemBlocks(keyText).filter((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = pemBlocks(chainText).filter((b) => b.label === 'CERTIFICATE');
  if (keys.length !== 1) throw new StartupError(`${from}: expected one PEM private key (-----BEGIN PRIVATE KEY-----), found ${keys.length}`);
  if (certs.length === 0) throw new StartupError(`${from}: no PEM certificate (-----BEGIN CERTIFICATE-----) found for the key store`);
  return { keyPem: keys[0]!.pem, certChainPem: certs.map((c) => c.pem).join('\n'), ...(keyPassword !== null ? { passphrase: keyPassword } : {}) };
}

async function trustMaterial(lc: ListenerConfig, disk: Disk): Promise<Pick<TlsMaterial, 'caPem'>> {
  const inline = lc.lookup('ssl.truststore.certificates');
  const location = lc.lookup('ssl.truststore.location');
  let text: string;
  let from: string;
  if (inline.value !== null) {
    text = inline.value;
    from = inline.from;
  } else if (location.value !== null) {
    text = await readText(disk, location.value, location.from);
    from = location.from;
    if (!text.includes('-----BEGIN')) {
      throw new StartupError(
        `${from}: Samsa reads trust stores in PEM only; export the CA with keytool -exportcert -rfc -alias CARoot -keystore ${location.value} -file ca.pem (or openssl pkcs12 -in ${location.value} -nokeys -out ca.pem) and set ssl.truststore.location=ca.pem, ssl.truststore.type=PEM`,
      );
    }
  } else {
    return {}; // the platform's CAs
  }
  const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) throw new StartupError(`${from}: no PEM certificate (-----BEGIN CERTIFICATE-----) found for the trust store`);
  return { caPem: certs.map((c) => c.pem).join('\n') };
}

/** Server-side TLS for an SSL or SASL_SSL listener. */
export async function tlsServerOptions(lc: ListenerConfig, disk: Disk): Promise<TlsServerOptions> {
  const clientAuthFrom = lc.lookup('ssl.client.auth');
  const clientAuth = (lc.get('ssl.client.auth') ?? 'none').trim().toLowerCase();
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required') {
    throw new StartupError(`Invalid value ${clientAuth} for configuration ${clientAuthFrom.from}: use none, requested or required`);
  }
  const trust = await trustMaterial(lc, disk);
  if (clientAuth !== 'none' && trust.caPem === undefined) {
    throw new StartupError(`ssl.client.auth=${clientAuth} on listener ${lc.listenerName} needs the CA that signs client certificates: set ssl.truststore.location (PEM) or ssl.truststore.certificates`);
  }
  const c = ciphers(lc);
  return {
    ...(await keyMaterial(lc, disk, true)),
    ...trust,
    ...versions(lc),
    ...(c !== undefined ? { ciphers: c } : {}),
    clientAuth,
    handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
  };
}

/** Client-side TLS for this broker's connections to other brokers' `lc` listener. */
export async function tlsClientOptions(lc: ListenerConfig, disk: Disk, peerHost: string): Promise<TlsClientOptions> {
  const algorithm = (lc.get('ssl.endpoint.identification.algorithm') ?? '').trim().toLowerCase();
  const c = ciphers(lc);
  return {
    ...(await keyMaterial(lc, disk, false)),
    ...(await trustMaterial(lc, disk)),
    ...versions(lc),
    ...(c !== undefined ? { ciphers: c } : {}),
    verifyHostName: algorithm === 'https' ? peerHost : null,
  };
}
