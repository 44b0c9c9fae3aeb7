/**
 * kafka-configs for SCRAM users (KIP-554), as Kafka 3.x's ConfigCommand does it over
 * --bootstrap-server:
 *   --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]' --entity-type users --entity-name alice
 *     → a random salt, the salted password (PBKDF2, computed here: the password never leaves the
 *       tool), AlterUserScramCredentials; "Completed updating config for user alice."
 *   --alter --delete-config SCRAM-SHA-512 ... → deletes that credential
 *   --describe [--entity-name alice] → "SCRAM credential configs for user-principal 'alice' are
 *     SCRAM-SHA-256=iterations=8192"
 * Without iterations Kafka uses 4096.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaClient } from '../../client/client.js';
import { KafkaError } from '../../client/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  alterUserScramCredentialsApi,
  describeUserScramCredentialsApi,
  type AlterUserScramCredentialsResponse,
  type DescribeUserScramCredentialsResponse,
} from '../../protocol/messages/user-scram-credentials.js';
import { isScramMechanism, saltedPassword, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISM_IDS, scramMechanismOfId } from '../../security/sasl/scram.js';

const SALT_BYTES = 32;

export function isScramKey(key: string): boolean {
  return isScramMechanism(key);
}

export class ScramConfigError extends Error {}

/** `iterations=8192,password=secret` (the bracketed value of a SCRAM key) → its parts. */
function parseScramValue(mechanism: string, value: string): { iterations: number; password: string } {
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new ScramConfigError(`Invalid ${mechanism} value; write ${mechanism}=[iterations=8192,password=...]`);
    fields.set(part.slice(0, i).trim(), part.slice(i + 1));
  }
  const password = fields.get('password');
  if (password === undefined || password === '') throw new ScramConfigError(`${mechanism} needs password=...; write ${mechanism}=[iterations=8192,password=...]`);
  const iterationsText = fields.get('iterations');
  const iterations = iterationsText === undefined ? SCRAM_ITERATIONS_MIN : Number(iterationsText);
  if (!Number.isSafeInteger(iterations)) throw new ScramConfigError(`${mechanism}: iterations must be a number`);
  return { iterations, password };
}

export async function alterScramUser(client: KafkaClient, user: string, add: Array<[string, string]>, del: string[]): Promise<void> {
  const upsertions = add.map(([mechanism, value]) => {
    if (!isScramMechanism(mechanism)) throw new ScramConfigError(`Invalid config(s): ${mechanism}`);
    const { iterations, password } = parseScramValue(mechanism, value);
    const salt = randomBytes(SALT_BYTES);
    return { name: user, mechanism: SCRAM_MECHANISM_IDS[mechanism], iterations, salt, saltedPassword: saltedPassword(mechanism, password, salt, iterations) };
  });
  const deletions = del.map((mechanism) => {
    if (!isScramMechanism(mechanism)) throw new ScramConfigError(`Invalid config(s): ${mechanism}`);
    return { name: user, mechanism: SCRAM_MECHANISM_IDS[mechanism] };
  });
  const res = await client.requestAny<AlterUserScramCredentialsResponse>(alterUserScramCredentialsApi, { deletions, upsertions });
  const failure = res.results.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failure) throw new KafkaError(failure.errorCode, failure.errorMessage ?? undefined);
}

/** The describe lines for `user` (null = every user with a credential). */
export async function describeScramUsers(client: KafkaClient, user: string | null): Promise<string[]> {
  const res = await client.requestAny<DescribeUserScramCredentialsResponse>(describeUserScramCredentialsApi, { users: user === null ? null : [{ name: user }] });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
  const lines: string[] = [];
  for (const r of res.results) {
    if (r.errorCode === ErrorCode.RESOURCE_NOT_FOUND) continue; // Kafka prints nothing for a user without credentials
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
    const infos = r.credentialInfos.map((c) => `${scramMechanismOfId(c.mechanism) ?? 'UNKNOWN'}=iterations=${c.iterations}`).join(', ');
    lines.push(`SCRAM credential configs for user-principal '${r.user}' are ${infos}`);
  }
  return lines;
}
