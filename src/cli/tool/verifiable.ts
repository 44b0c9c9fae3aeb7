/**
 * What kafka-verifiable-producer and kafka-verifiable-consumer share. Kafka builds them on argparse4j
 * (not joptsimple like the admin tools), and system-test harnesses read their stdout as JSON lines:
 * - `event(name, fields)` prints one JSON object per line, `timestamp` and `name` first;
 * - argparse-style argument checks: `argument --topic is required`, integer conversion, choices,
 *   and the required "one of --bootstrap-server / --broker-list" group; `commonArgs` for the
 *   arguments both start with (help when none, --topic, the connection group, --max-messages);
 * - `connect(...)`: the client from the tool's properties, with metadata fetched once (a failure is
 *   printed as Kafka's exception line and the tool exits 1);
 * - a stop signal (SIGTERM / SIGINT) handler that lets the tool shut down cleanly and print its
 *   shutdown_complete event, as Kafka's shutdown hooks do.
 */
import { KafkaClient } from '../../client/client.js';
import { formatHelp, UsageError, type ParsedArgs, type ToolSpec } from './args.js';
import { clientSettings, err, exceptionName, messageOf, out, START_HINT } from './common.js';

/** One event line: {"timestamp":…,"name":…,…fields}. */
export function event(name: string, fields: Record<string, unknown> = {}): void {
  out(`${JSON.stringify({ timestamp: Date.now(), name, ...fields })}\n`);
}

export function requireArg(args: ParsedArgs, name: string): string {
  const v = args.get(name);
  if (v === undefined) throw new UsageError(`argument --${name} is required`);
  return v;
}

/** An Integer/Long argument as argparse4j converts it; `fallback` when absent. */
export function intArg(args: ParsedArgs, name: string, fallback: number): number;
export function intArg(args: ParsedArgs, name: string, fallback: null): number | null;
export function intArg(args: ParsedArgs, name: string, fallback: number | null): number | null {
  const v = args.get(name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`argument --${name}: could not convert '${v}' to Integer (For input string: "${v}")`);
  }
  return Number(v);
}

/** The bootstrap list from the required "Connection Group" (--bootstrap-server or the deprecated --broker-list). */
export function connectionArg(args: ParsedArgs): string {
  const bootstrap = args.get('bootstrap-server');
  const brokerList = args.get('broker-list');
  if (bootstrap !== undefined && brokerList !== undefined) throw new UsageError('argument --broker-list: not allowed with argument --bootstrap-server');
  const v = bootstrap ?? brokerList;
  if (v === undefined) throw new UsageError('one of the arguments --bootstrap-server --broker-list is required');
  if (v.trim() === '') throw new UsageError('argument --bootstrap-server: expected one argument');
  return v;
}

/** Signals this soon after the first are duplicates (a supervisor signalling the process and its group). */
const DUPLICATE_SIGNAL_WINDOW_MS = 2000;

/**
 * Calls `onStop` once on the first SIGTERM or SIGINT. A later signal, once the first is more than
 * DUPLICATE_SIGNAL_WINDOW_MS old, exits at once (130 / 143) so a stuck shutdown can still be
 * interrupted; repeats within the window are ignored, as Kafka's shutdown hook ignores them.
 */
export function onStopSignal(onStop: () => void): void {
  let firstAtMs = -1;
  const handler = (signal: NodeJS.Signals): void => {
    if (firstAtMs >= 0) {
      if (Date.now() - firstAtMs > DUPLICATE_SIGNAL_WINDOW_MS) process.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    firstAtMs = Date.now();
    onStop();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/**
 * A client for `props` (bootstrap.servers there wins over `bootstrap`, as in Kafka's tools) that has
 * fetched metadata once; null after printing the failure as `<Exception>: <message>`.
 */
export async function connect(props: Record<string, string>, bootstrap: string, clientId: string): Promise<KafkaClient | null> {
  const settings = clientSettings(props);
  const client = new KafkaClient({
      security: settings.security,
    bootstrapServers: props['bootstrap.servers'] ?? bootstrap,
    clientId: settings.clientId ?? clientId,
    connectTimeoutMs: settings.connectTimeoutMs ?? 5000,
    requestTimeoutMs: settings.requestTimeoutMs,
    startHint: START_HINT,
  });
  try {
    await client.refreshMetadata([]);
    return client;
  } catch (e) {
    err(`${exceptionName(e)}: ${messageOf(e)}\n`);
    await client.close();
    return null;
  }
}

/**
 * The arguments both tools start with: no argument at all prints the help (null is returned),
 * stray positionals are refused, then the required --topic, the connection group and
 * --max-messages (-1: no limit).
 */
export function commonArgs(args: ParsedArgs, spec: ToolSpec): { topic: string; bootstrap: string; maxMessages: number } | null {
  if (args.argv.length === 0) {
    out(formatHelp(spec));
    return null;
  }
  if (args.positional.length > 0) throw new UsageError(`unrecognized arguments: '${args.positional.join(' ')}'`);
  return { topic: requireArg(args, 'topic'), bootstrap: connectionArg(args), maxMessages: intArg(args, 'max-messages', -1) };
}
