/**
 * Test certificates made with the Debian `openssl` CLI in a temp dir: a CA, a broker certificate
 * (SAN localhost and 127.0.0.1) and client certificates, as PEM files (key and chain also combined
 * in one file, Kafka's PEM key store layout) and PKCS12 key stores. A second, untrusted CA signs
 * the `rogue` client. Every file name is returned; nothing is left running.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeDir } from './broker.js';

const run = promisify(execFile);

export interface CertFiles {
  /** Key, certificate, key+certificate (PEM), PKCS12 store. */
  key: string;
  cert: string;
  keyAndCert: string;
  p12: string;
  /** Subject as given to openssl (`/C=../O=../CN=..`). */
  subject: string;
}

export interface TestCerts {
  dir: string;
  /** The trusted CA's certificate (PEM): the brokers' and clients' trust store. */
  caCert: string;
  /** A CA nobody trusts. */
  rogueCaCert: string;
  broker: CertFiles;
  /** Signed by the trusted CA, subject CN=alice,OU=eng,O=Samsa Test,C=US. */
  alice: CertFiles;
  /** Signed by the rogue CA. */
  rogue: CertFiles;
  /** Password of every PKCS12 store. */
  p12Password: string;
  remove(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  if (!existsSync('/usr/bin/openssl')) throw new Error('openssl not found: apt-get install openssl');
  await run('/usr/bin/openssl', args, { cwd, timeout: 30_000 });
}

async function makeCa(dir: string, name: string): Promise<{ key: string; cert: string }> {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/O=Samsa Test/CN=${name}`], dir);
  return { key, cert };
}

async function makeLeaf(dir: string, name: string, subject: string, ca: { key: string; cert: string }, password: string, san: string | null): Promise<CertFiles> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.pem`);
  const keyAndCert = path.join(dir, `${name}-keystore.pem`);
  const p12 = path.join(dir, `${name}.p12`);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], dir);
  const ext = path.join(dir, `${name}.ext`);
  await writeFile(ext, san === null ? 'basicConstraints=CA:FALSE\n' : `basicConstraints=CA:FALSE\nsubjectAltName=${san}\n`);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], dir);
  await writeFile(keyAndCert, `${await readFile(key, 'utf8')}${await readFile(cert, 'utf8')}`);
  await openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', p12, '-passout', `pass:${password}`, '-name', name], dir);
  return { key, cert, keyAndCert, p12, subject };
}

export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await makeTempDir('samsa-certs-');
  const p12Password = 'store-secret';
  try {
    const ca = await makeCa(dir, 'ca');
    const rogueCa = await makeCa(dir, 'rogue-ca');
    const broker = await makeLeaf(dir, 'broker', '/O=Samsa Test/CN=localhost', ca, p12Password, 'DNS:localhost,IP:127.0.0.1');
    const alice = await makeLeaf(dir, 'alice', '/C=US/O=Samsa Test/OU=eng/CN=alice', ca, p12Password, null);
    const rogue = await makeLeaf(dir, 'rogue', '/O=Samsa Test/CN=mallory', rogueCa, p12Password, null);
    return { dir, caCert: ca.cert, rogueCaCert: rogueCa.cert, broker, alice, rogue, p12Password, remove: () => removeDir(dir) };
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
}
