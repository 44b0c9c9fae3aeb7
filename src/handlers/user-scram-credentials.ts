/**
 * DescribeUserScramCredentials (key 50) and AlterUserScramCredentials (key 51), KIP-554, with
 * Kafka's validation and messages. Credentials live in the metadata store (ZooKeeper
 * /config/users/<name>, or the embedded/KRaft metadata) in Kafka's stored form; the broker turns
 * the client's salted password into StoredKey/ServerKey and keeps only those.
 * - Describe: null or no users = every user with a credential; a named user without one is
 *   RESOURCE_NOT_FOUND; a name listed twice DUPLICATE_RESOURCE.
 * - Alter: unknown mechanism UNSUPPORTED_SASL_MECHANISM; empty name, iterations outside
 *   4096-16384, empty salt or salted password UNACCEPTABLE_CREDENTIAL; one user+mechanism twice in
 *   the request DUPLICATE_RESOURCE; deleting a credential that does not exist RESOURCE_NOT_FOUND.
 *   The result is per user: one bad change fails every change of that user.
 * Authorization (Describe/Alter on the cluster) is the authorizer's (see docs/SECURITY.md).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  alterUserScramCredentialsApi,
  describeUserScramCredentialsApi,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
} from '../protocol/messages/user-scram-credentials.js';
import type { ScramCredentialChange } from '../cluster/controller.js';
import {
  credentialFromSaltedPassword,
  formatScramCredential,
  parseScramCredential,
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  SCRAM_MECHANISM_IDS,
  scramMechanismOfId,
  isScramMechanism,
} from '../security/sasl/scram.js';
import { defineHandler } from './handler.js';

type UserResult = { user: string; errorCode: number; errorMessage: string | null };

export const describeUserScramCredentialsHandler = defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>(
  describeUserScramCredentialsApi,
  async (ctx, req) => {
    const controller = ctx.broker.controller;
    const top = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null };
    if (!controller.scramCredentials) return { ...top, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'this broker keeps no SCRAM credentials', results: [] };
    const names = req.users === null || req.users.length === 0 ? null : req.users.map((u) => u.name);
    const stored = await controller.scramCredentials(names === null ? null : [...new Set(names)]);
    const infos = (creds: Record<string, string>): Array<{ mechanism: number; iterations: number }> =>
      Object.entries(creds)
        .filter(([m]) => isScramMechanism(m))
        .map(([m, text]) => ({ mechanism: SCRAM_MECHANISM_IDS[m as keyof typeof SCRAM_MECHANISM_IDS], iterations: parseScramCredential(text)?.iterations ?? -1 }))
        .sort((a, b) => a.mechanism - b.mechanism);
    if (names === null) {
      return { ...top, results: [...stored].sort(([a], [b]) => a.localeCompare(b)).map(([user, creds]) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(creds) })) };
    }
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    const results = [...seen].map(([user, count]) => {
      if (count > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
      const creds = stored.get(user);
      if (!creds || infos(creds).length === 0) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(creds) };
    });
    return { ...top, results };
  },
);

export const alterUserScramCredentialsHandler = defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>(
  alterUserScramCredentialsApi,
  async (ctx, req) => {
    const controller = ctx.broker.controller;
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    if (!controller.scramCredentials || !controller.alterScramCredentials) {
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'this broker keeps no SCRAM credentials' })) };
    }
    const failures = new Map<string, UserResult>();
    const failUser = (user: string, errorCode: number, errorMessage: string): void => {
      if (!failures.has(user)) failures.set(user, { user, errorCode, errorMessage });
    };
    const counts = new Map<string, number>();
    for (const c of [...req.deletions, ...req.upsertions]) counts.set(`${c.name}\u0000${c.mechanism}`, (counts.get(`${c.name}\u0000${c.mechanism}`) ?? 0) + 1);
    const existing = await controller.scramCredentials(users);
    const changes: ScramCredentialChange[] = [];
    /** The mechanism of one change, or null after recording why the user's changes fail. */
    const check = (name: string, mechanismId: number): string | null => {
      const mechanism = scramMechanismOfId(mechanismId);
      if (name === '') failUser(name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (mechanism === null) failUser(name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if ((counts.get(`${name}\u0000${mechanismId}`) ?? 0) > 1) failUser(name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else return mechanism;
      return null;
    };
    for (const d of req.deletions) {
      const mechanism = check(d.name, d.mechanism);
      if (mechanism === null) continue;
      if (existing.get(d.name)?.[mechanism] === undefined) {
        failUser(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        continue;
      }
      changes.push({ user: d.name, mechanism, credential: null });
    }
    for (const u of req.upsertions) {
      const mechanism = check(u.name, u.mechanism);
      if (mechanism === null || !isScramMechanism(mechanism)) continue;
      if (u.iterations < SCRAM_ITERATIONS_MIN) failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations (minimum ${SCRAM_ITERATIONS_MIN})`);
      else if (u.iterations > SCRAM_ITERATIONS_MAX) failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations (maximum ${SCRAM_ITERATIONS_MAX})`);
      else if (u.salt.length === 0) failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
      else if (u.saltedPassword.length === 0) failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salted password must not be empty');
      else changes.push({ user: u.name, mechanism, credential: formatScramCredential(credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations)) });
    }
    const accepted = changes.filter((c) => !failures.has(c.user));
    let outcome: UserResult | null = null;
    if (accepted.length > 0) {
      const r = await controller.alterScramCredentials(accepted);
      if (!r.ok) outcome = { user: '', errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: r.message };
    }
    const results = users.map((user) => failures.get(user) ?? (outcome ? { ...outcome, user } : { user, errorCode: ErrorCode.NONE, errorMessage: null }));
    ctx.log.info({ users: results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.user) }, 'SCRAM credentials altered');
    return { throttleTimeMs: 0, results };
  },
);
