/**
 * SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), both sides, and the credential format
 * Kafka stores: `salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>` (ZooKeeper
 * /config/users/<name>, or the metadata store). The broker keeps only StoredKey and ServerKey; the
 * password never reaches it (AlterUserScramCredentials carries the salted password, which the broker
 * turns into the two keys and forgets).
 *
 * Server: client-first (`n,,n=user,r=cnonce`) → server-first (`r=cnonce+snonce,s=salt,i=n`) →
 * client-final (`c=biws,r=nonce,p=proof`) → server-final (`v=signature`). The proof is checked in
 * equal time; an unknown user fails with the same message as a wrong password.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { failed, type SaslServer, type SaslStep } from './mechanism.js';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
/** Kafka's bounds on iterations (AlterUserScramCredentials refuses others). */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;
/** KIP-554's numbering of mechanisms on the wire. */
export const SCRAM_MECHANISM_IDS: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

export function scramMechanismOfId(id: number): ScramMechanism | null {
  return id === 1 ? 'SCRAM-SHA-256' : id === 2 ? 'SCRAM-SHA-512' : null;
}

export function isScramMechanism(m: string): m is ScramMechanism {
  return m === 'SCRAM-SHA-256' || m === 'SCRAM-SHA-512';
}

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

/** Looks up a user's credential for one mechanism; null when the user has none. */
export type ScramCredentialLookup = (user: string, mechanism: ScramMechanism) => Promise<ScramCredential | null>;

const hashName = (m: ScramMechanism): 'sha256' | 'sha512' => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const hashBytes = (m: ScramMechanism): number => (m === 'SCRAM-SHA-256' ? 32 : 64);
const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer => createHmac(hashName(m), key).update(data).digest();
const hash = (m: ScramMechanism, data: Buffer): Buffer => createHash(hashName(m)).update(data).digest();

export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, hashBytes(m), hashName(m));
}

export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key'), iterations };
}

export function formatScramCredential(c: ScramCredential): string {
  return `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`;
}

/** Parses the stored form; null when it is not one. */
export function parseScramCredential(text: string): ScramCredential | null {
  const fields = new Map(text.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  const salt = fields.get('salt');
  const storedKey = fields.get('stored_key');
  const serverKey = fields.get('server_key');
  const iterations = Number(fields.get('iterations'));
  if (salt === undefined || storedKey === undefined || serverKey === undefined || !Number.isSafeInteger(iterations)) return null;
  return { salt: Buffer.from(salt, 'base64'), storedKey: Buffer.from(storedKey, 'base64'), serverKey: Buffer.from(serverKey, 'base64'), iterations };
}

/** `=2C` and `=3D` in SCRAM names (RFC 5802 saslname). */
function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Attribute map of a SCRAM message (`a=...,b=...`), keeping order-insensitive lookups. */
function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    if (part.length < 2 || part[1] !== '=') continue;
    if (!out.has(part[0]!)) out.set(part[0]!, part.slice(2));
  }
  return out;
}

const INVALID = 'Authentication failed: Invalid user credentials';
const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const NONCE_CHARS_MAX = 1024;

export class ScramServer implements SaslServer {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | null = null;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: ScramCredentialLookup,
    /** Random printable text for the server's half of the nonce. */
    private readonly serverNonce: () => string,
  ) {}

  async evaluate(token: Buffer): Promise<SaslStep> {
    const msg = token.toString('utf8');
    if (this.state === 'first') {
      this.state = 'final';
      return this.first(msg);
    }
    if (this.state === 'final') {
      this.state = 'done';
      return this.final(msg);
    }
    return failed('Authentication failed: the SCRAM exchange is already complete');
  }

  private async first(msg: string): Promise<SaslStep> {
    // gs2-header: "n," or "y," (no channel binding), then an optional "a=authzid", then ",".
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(msg);
    if (!m) return failed('Authentication failed: Invalid SCRAM client first message (channel binding is not supported)');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    const name = attrs.get('n');
    const cnonce = attrs.get('r');
    if (name === undefined || cnonce === undefined || !this.clientFirstBare.startsWith('n=')) return failed('Authentication failed: Invalid SCRAM client first message');
    if (!PRINTABLE_NONCE.test(cnonce) || cnonce.length > NONCE_CHARS_MAX) return failed('Authentication failed: Invalid SCRAM client nonce');
    const user = decodeSaslName(name);
    if (user === null || user === '') return failed('Authentication failed: Invalid SCRAM user name');
    const authzid = m[2] ? decodeSaslName(m[2].slice(2)) : null;
    if (authzid !== null && authzid !== '' && authzid !== user) {
      return failed('Authentication failed: Authorization id does not match user name');
    }
    const ext = this.clientFirstBare.split(',').slice(2).find((p) => p.startsWith('tokenauth='));
    if (ext !== undefined && ext !== 'tokenauth=false') return failed('Authentication failed: delegation tokens are not supported');
    this.user = user;
    this.credential = await this.lookup(user, this.mechanism);
    if (this.credential === null) return failed(INVALID);
    this.nonce = cnonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    return { kind: 'challenge', token: Buffer.from(this.serverFirst, 'utf8') };
  }

  private final(msg: string): SaslStep {
    const credential = this.credential!;
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) return failed('Authentication failed: Invalid SCRAM client final message');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    // Kafka accepts a final nonce that ends with the server-first one: some librdkafka versions
    // send their own nonce once more in front. The server's fresh half is in it either way.
    const finalNonce = attrs.get('r');
    if (finalNonce === undefined || !finalNonce.endsWith(this.nonce)) return failed('Authentication failed: Invalid SCRAM nonce in the client final message');
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) return failed('Authentication failed: Invalid SCRAM channel binding');
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) return failed(INVALID);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(hash(this.mechanism, clientKey), credential.storedKey)) return failed(INVALID);
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    return {
      kind: 'complete',
      token: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
      principal: { type: 'User', name: this.user },
      credentialExpiryMs: null,
    };
  }
}

/** The client side, for this broker's connections to other brokers (and tests). */
export class ScramClient {
  private clientFirstBare = '';
  private salted: Buffer | null = null;
  private authMessage = '';

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
    private readonly clientNonce: string,
  ) {}

  first(): Buffer {
    this.clientFirstBare = `n=${encodeSaslName(this.user)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  /** Answers the server-first message; throws when the server's message is not acceptable. */
  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const attrs = attributes(text);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (nonce === undefined || !nonce.startsWith(this.clientNonce) || salt === undefined || !Number.isSafeInteger(iterations) || iterations < 1 || iterations > SCRAM_ITERATIONS_MAX * 16) {
      throw new Error('invalid SCRAM server first message');
    }
    this.salted = saltedPassword(this.mechanism, this.password, Buffer.from(salt, 'base64'), iterations);
    const withoutProof = `c=biws,r=${nonce}`;
    this.authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const clientKey = hmac(this.mechanism, this.salted, 'Client Key');
    const signature = hmac(this.mechanism, hash(this.mechanism, clientKey), this.authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server's signature (the server proves it knows the credential too). */
  verify(serverFinal: Buffer): void {
    const v = attributes(serverFinal.toString('utf8')).get('v');
    const got = v === undefined ? Buffer.alloc(0) : Buffer.from(v, 'base64');
    const expected = hmac(this.mechanism, hmac(this.mechanism, this.salted!, 'Server Key'), this.authMessage);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new Error('the server signature in the SCRAM server final message is wrong');
    }
  }
}
