/**
 * `message.format.version` (topic) and `log.message.format.version` (broker): deprecated by KIP-724.
 * Kafka 3.x accepts them, ignores them once the inter-broker protocol is 3.0 or later (always
 * storing record batches v2) and logs a warning when the value names a format older than v2
 * (releases before 0.11.0). Samsa behaves like a 3.x broker: it stores v2 only and converts for old
 * clients (protocol/records/legacy.ts), so the keys are accepted, validated like Kafka validates
 * them (a release such as 0.10.2, 0.10.2-IV0, 2.8 or 3.0-IV1; extra segments such as 0.10.2.1 or
 * 2.8.1 are tolerated, as in Kafka), and answered with a warning in the broker log.
 */
import { custom } from './config-def.js';

/** Kafka 3.x's default (and the only format it writes from IBP 3.0 on). */
export const MESSAGE_FORMAT_VERSION_DEFAULT = '3.0-IV1';

/** The release names Kafka's version validator knows, without their -IVn variants. */
const RELEASES: ReadonlySet<string> = new Set([
  '0.8.0', '0.8.1', '0.8.2', '0.9.0', '0.10.0', '0.10.1', '0.10.2', '0.11.0', '1.0', '1.1',
  '2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8',
  '3.0', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9',
]);

/** The release a version string names (Kafka's parsing: 3 segments for 0.x, 2 after), or null. */
function releaseOf(version: string): string | null {
  const match = /^([0-9.]+)(-IV\d+)?$/.exec(version.trim());
  if (match === null) return null;
  const segments = match[1]!.split('.');
  const kept = segments[0] === '0' ? 3 : 2;
  if (match[2] !== undefined && segments.length !== kept) return null;
  const release = segments.slice(0, kept).join('.');
  return RELEASES.has(release) ? release : null;
}

export const messageFormatVersionValidator = custom('a Kafka release such as 0.10.2 or 3.0-IV1', (value) =>
  typeof value === 'string' && releaseOf(value) === null ? `Version \`${value}\` is not a valid version` : null,
);

/** Whether the version names a format older than record batch v2 (a release before 0.11.0). */
function olderThanV2(version: string): boolean {
  const release = releaseOf(version);
  return release !== null && release.startsWith('0.') && release !== '0.11.0';
}

/** The broker-log warning for a topic override, or null when Kafka would not warn. */
export function topicMessageFormatWarning(topic: string, version: string): string | null {
  if (!olderThanV2(version)) return null;
  return (
    `Topic configuration message.format.version with value \`${version}\` is ignored for \`${topic}\`: Samsa always ` +
    'stores record batches v2 (as Kafka does from inter-broker protocol 3.0) and converts for older clients. ' +
    'This configuration is deprecated (KIP-724) and Apache Kafka 4.0 removed it.'
  );
}

/** The startup warning for the broker key, or null when Kafka would not warn. */
export function brokerMessageFormatWarning(version: string): string | null {
  if (!olderThanV2(version)) return null;
  return (
    `Broker configuration log.message.format.version with value ${version} is ignored: Samsa always stores ` +
    'record batches v2 (as Kafka does from inter-broker protocol 3.0) and converts for older clients. ' +
    'This configuration is deprecated (KIP-724) and Apache Kafka 4.0 removed it.'
  );
}
