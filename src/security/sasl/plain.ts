/**
 * SASL/PLAIN (RFC 4616) on the broker: the client sends `authzid NUL username NUL password` once;
 * the user must be one of the listener's JAAS `user_<name>="<password>"` entries. The password is
 * compared in equal time, and an unknown user costs the same comparison as a wrong password.
 */
import { ANONYMOUS } from '../principal.js';
import { failed, secretsEqual, type SaslServer, type SaslStep } from './mechanism.js';

/** Longest username / password accepted (bytes). */
const FIELD_BYTES_MAX = 4096;
const INVALID = 'Authentication failed: Invalid username or password';

export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  private done = false;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): Promise<SaslStep> {
    if (this.done) return Promise.resolve(failed('Authentication failed: PLAIN takes one message'));
    this.done = true;
    const first = token.indexOf(0);
    const second = first < 0 ? -1 : token.indexOf(0, first + 1);
    if (first < 0 || second < 0 || token.indexOf(0, second + 1) >= 0) {
      return Promise.resolve(failed('Authentication failed: Invalid SASL/PLAIN response: expected 3 tokens separated by NUL'));
    }
    const authzid = token.subarray(0, first).toString('utf8');
    const username = token.subarray(first + 1, second).toString('utf8');
    const password = token.subarray(second + 1);
    if (username === '') return Promise.resolve(failed('Authentication failed: username not specified'));
    if (password.length === 0) return Promise.resolve(failed('Authentication failed: password not specified'));
    if (username.length > FIELD_BYTES_MAX || password.length > FIELD_BYTES_MAX) return Promise.resolve(failed(INVALID));
    if (authzid !== '' && authzid !== username) {
      return Promise.resolve(failed('Authentication failed: Client requested an authorization id that is different from username'));
    }
    const expected = this.users.get(username);
    // An unknown user is compared against a fixed value so that timing tells nothing.
    const ok = secretsEqual(password, expected ?? '\u0000unknown-user') && expected !== undefined;
    if (!ok) return Promise.resolve(failed(INVALID));
    return Promise.resolve({ kind: 'complete', token: Buffer.alloc(0), principal: { type: ANONYMOUS.type, name: username }, credentialExpiryMs: null });
  }
}
