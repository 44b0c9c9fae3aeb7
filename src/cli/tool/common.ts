/**
 * What every Kafka-compatible tool shares: the run wrapper (parse, --help, --version, usage errors,
 * exit codes), stdout that survives a closed pipe, Kafka-style log lines on stderr, client
 * property files (--command-config, --producer.config, --consumer.config), and turning
 * --bootstrap-server / --broker-list / --zookeeper into a bootstrap list.
 *
 * Kept free of heavy imports: a tool must reach its first request well under a second.
 */
import { readFileSync } from 'node:fs';
import { parseProperties } from '../../config/properties.js';
import { parseBootstrap, type ClientOptions } from '../../client/client.js';
import { parseZookeeperConnect } from '../../config/listeners.js';
import { ConnectionError, KafkaError, TimeoutError, TlsHandshakeError } from '../../client/errors.js';
import { securityFromProps, SecurityConfigError, type ClientSecurity } from '../../client/security.js';
import { formatHelp, parseToolArgs, UsageError, type ParsedArgs, type ToolSpec } from './args.js';

import { SAMSA_VERSION } from './version.js';

export { SAMSA_VERSION };

/** Thrown by a tool to stop with an exit code after printing what it had to say. */
export class ToolExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

let stdoutBroken = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // The reader went away (`| head`): stop writing and leave quietly, as Kafka's tools do.
  if (err.code === 'EPIPE') {
    stdoutBroken = true;
    process.exit(0);
  }
  throw err;
});

export function out(text: string | Buffer): boolean {
  if (stdoutBroken) return true;
  return process.stdout.write(text);
}

export function err(text: string): void {
  process.stderr.write(text);
}

/** Kafka's log4j timestamp: [2024-05-01 12:00:00,123] in local time. */
export function logTimestamp(d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `[${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}]`;
}

/** One Kafka-style log line on stderr: `[ts] LEVEL message (logger)`. */
export function logLine(level: 'ERROR' | 'WARN' | 'INFO', message: string, loggerName: string): void {
  err(`${logTimestamp()} ${level} ${message} (${loggerName})\n`);
}

/** The Java exception class Kafka would name for an error, for log lines people grep. */
export function exceptionName(e: unknown): string {
  if (e instanceof KafkaError) {
    const special: Record<string, string> = {
      TOPIC_ALREADY_EXISTS: 'TopicExistsException',
      INVALID_TOPIC_EXCEPTION: 'InvalidTopicException',
      INVALID_CONFIG: 'InvalidConfigurationException',
      NOT_LEADER_OR_FOLLOWER: 'NotLeaderOrFollowerException',
      UNKNOWN_SERVER_ERROR: 'UnknownServerException',
      KAFKA_STORAGE_ERROR: 'KafkaStorageException',
      SASL_AUTHENTICATION_FAILED: 'SaslAuthenticationException',
    };
    const name =
      special[e.type] ??
      `${e.type
        .toLowerCase()
        .split('_')
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join('')}Exception`;
    return `org.apache.kafka.common.errors.${name}`;
  }
  if (e instanceof TimeoutError) return 'org.apache.kafka.common.errors.TimeoutException';
  if (e instanceof TlsHandshakeError) return 'org.apache.kafka.common.errors.SslAuthenticationException';
  if (e instanceof ConnectionError) return 'org.apache.kafka.common.errors.NetworkException';
  if (e instanceof UsageError) return 'java.lang.IllegalArgumentException';
  return 'java.lang.IllegalArgumentException';
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The last line of defence of every tool: an error nobody expected (a bug) is printed as one line
 * naming the tool, exit 1, rather than as a stack trace in a user's terminal; SAMSA_DEBUG=1 prints
 * the stack too (the argument-fuzz test sets it, so such a path fails the suite).
 */
export function reportUnexpected(tool: string, e: unknown): never {
  if (process.env.SAMSA_DEBUG) err(`${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
  err(`${tool}: unexpected error: ${messageOf(e)} (this is a bug in Samsa: please report it, with SAMSA_DEBUG=1 for the details)\n`);
  process.exit(1);
}

/** Routes uncaught exceptions and unhandled rejections of a tool's process to reportUnexpected. */
export function guardProcess(tool: string): void {
  process.on('uncaughtException', (e) => reportUnexpected(tool, e));
  process.on('unhandledRejection', (e) => reportUnexpected(tool, e));
}

/**
 * Runs a tool: parses argv against its spec, answers --help / --version, turns UsageError into
 * "message + hint" on stderr with exit 1, and exits with what main returns. Anything else thrown
 * goes to reportUnexpected.
 */
export async function runTool(spec: ToolSpec, main: (args: ParsedArgs) => Promise<number>): Promise<never> {
  guardProcess(spec.name);
  let code: number;
  try {
    const args = parseToolArgs(spec, process.argv.slice(2));
    if (args.has('help')) {
      out(formatHelp(spec));
      code = 0;
    } else if (args.has('version')) {
      out(`${SAMSA_VERSION} (Samsa)\n`);
      code = 0;
    } else {
      code = await main(args);
    }
  } catch (e) {
    if (e instanceof ToolExit) code = e.code;
    else if (e instanceof UsageError) {
      if (spec.errorStyle === 'argparse') err(`${spec.name}: error: ${e.message}\n`);
      else err(`${e.message}\nRun '${spec.name} --help' for the list of options.\n`);
      code = 1;
    } else if (e instanceof BootstrapError || e instanceof ConfigFileError) {
      err(`${e.message}\n`);
      code = 1;
    } else {
      reportUnexpected(spec.name, e);
    }
  }
  await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  process.exit(code);
}

/** Parses "k=v" (first '=' splits); UsageError naming the option otherwise. */
export function parseKeyValue(s: string, option: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`Invalid ${option} value '${s}': expected key=value`);
  // Values are kept as given (a separator may be a space); keys are trimmed.
  return [s.slice(0, i).trim(), s.slice(i + 1)];
}

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

/** Reads a Java .properties file into a plain object; ConfigFileError with Kafka-like text otherwise. */
export function loadPropertiesFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigFileError(`${file} (No such file or directory)`);
    if (code === 'EISDIR') throw new ConfigFileError(`${file} (Is a directory)`);
    if (code === 'EACCES') throw new ConfigFileError(`${file} (Permission denied)`);
    throw new ConfigFileError(`${file}: ${messageOf(e)}`);
  }
  try {
    const out: Record<string, string> = {};
    for (const [k, v] of parseProperties(text, file)) out[k] = v.value.trim();
    return out;
  } catch (e) {
    throw new ConfigFileError(messageOf(e));
  }
}

/** Client settings the tools understand, from properties (config files and -property options). */
export interface ClientSettings {
  bootstrapServers?: string;
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  retryBackoffMs?: number;
  /** security.protocol, sasl.*, ssl.* (client/security.ts). */
  security: ClientSecurity;
}

const INT_KEYS = new Set([
  'request.timeout.ms',
  'socket.connection.setup.timeout.ms',
  'retry.backoff.ms',
  'retries',
  'linger.ms',
  'batch.size',
  'max.in.flight.requests.per.connection',
  'delivery.timeout.ms',
  'max.block.ms',
  'buffer.memory',
  'max.request.size',
  'fetch.min.bytes',
  'fetch.max.wait.ms',
  'fetch.max.bytes',
  'max.partition.fetch.bytes',
  'max.poll.records',
  'session.timeout.ms',
  'heartbeat.interval.ms',
  'max.poll.interval.ms',
  'auto.commit.interval.ms',
  'default.api.timeout.ms',
  'metadata.max.age.ms',
  'connections.max.idle.ms',
]);

/** Checks types of the keys we use, as Kafka's ConfigDef would; throws ConfigFileError. */
export function validateClientProps(props: Record<string, string>, source: string): void {
  for (const [k, v] of Object.entries(props)) {
    if (INT_KEYS.has(k) && !/^-?\d+$/.test(v)) {
      throw new ConfigFileError(`Invalid value ${v} for configuration ${k}: Not a number of type INT (in ${source})`);
    }
  }
  securityOf(props, source);
}

/** The security settings of client properties; ConfigFileError naming the fix (and `source`) when they are bad. */
export function securityOf(props: Record<string, string>, source?: string): ClientSecurity {
  try {
    return securityFromProps(props);
  } catch (e) {
    if (e instanceof SecurityConfigError) throw new ConfigFileError(source ? `${e.message} (in ${source})` : e.message);
    throw e;
  }
}

export function intProp(props: Record<string, string>, key: string): number | undefined {
  const v = props[key];
  return v === undefined || v === '' ? undefined : Number(v);
}

export function clientSettings(props: Record<string, string>): ClientSettings {
  return {
    bootstrapServers: props['bootstrap.servers'],
    clientId: props['client.id'],
    requestTimeoutMs: intProp(props, 'request.timeout.ms'),
    connectTimeoutMs: intProp(props, 'socket.connection.setup.timeout.ms'),
    retryBackoffMs: intProp(props, 'retry.backoff.ms'),
    security: securityOf(props),
  };
}

/**
 * Client options for an admin-style tool: --command-config (or `configOption`; validated), the
 * bootstrap list (resolveBootstrap; --broker-list too with `brokerListOption`) and the timeouts,
 * with `clientId` unless the config file names one.
 */
export async function adminClientOptions(
  args: ParsedArgs,
  clientId: string,
  opts: { configOption?: string; brokerListOption?: boolean } = {},
): Promise<ClientOptions> {
  const configOption = opts.configOption ?? 'command-config';
  const props = args.has(configOption) ? loadPropertiesFile(args.get(configOption)!) : {};
  validateClientProps(props, args.get(configOption) ?? '');
  const bootstrap = await resolveBootstrap(args, { props, brokerListOption: opts.brokerListOption });
  const settings = clientSettings(props);
  return {
    bootstrapServers: bootstrap,
    clientId: settings.clientId ?? clientId,
    requestTimeoutMs: settings.requestTimeoutMs,
    connectTimeoutMs: settings.connectTimeoutMs ?? 5000,
    startHint: START_HINT,
    security: settings.security,
  };
}

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/**
 * A tool's work failed: a UsageError goes on up to runTool; the tool's own errors (`ownErrors`),
 * config-file and bootstrap errors print their message alone (they already say what to fix);
 * anything else prints as Kafka's `<Exception>: <message>`. Returns the exit code, 1.
 */
export function reportFailure(e: unknown, ownErrors: ReadonlyArray<new (message: string) => Error>): 1 {
  if (e instanceof UsageError) throw e;
  const plain = e instanceof ConfigFileError || e instanceof BootstrapError || ownErrors.some((kind) => e instanceof kind);
  err(plain ? `${messageOf(e)}\n` : `${exceptionName(e)}: ${messageOf(e)}\n`);
  return 1;
}

/**
 * The bootstrap list from --bootstrap-server (or --broker-list), --zookeeper, or bootstrap.servers
 * in a config file. --zookeeper looks the brokers up under /brokers/ids.
 */
export async function resolveBootstrap(
  args: ParsedArgs,
  opts: { props?: Record<string, string>; brokerListOption?: boolean; required?: boolean } = {},
): Promise<string> {
  const direct = args.get('bootstrap-server') ?? (opts.brokerListOption ? args.get('broker-list') : undefined);
  const zk = args.get('zookeeper');
  if (direct !== undefined && zk !== undefined) throw new UsageError('Only one of --bootstrap-server or --zookeeper must be specified');
  if (direct !== undefined) {
    if (direct.trim() === '') throw new UsageError('Option [bootstrap-server] requires an argument');
    return checkedBootstrap(direct, args.has('bootstrap-server') ? '--bootstrap-server' : '--broker-list');
  }
  if (zk !== undefined) {
    const parsed = parseZookeeperConnect(zk);
    if (!parsed.ok) throw new BootstrapError(`Invalid --zookeeper value '${zk}': ${parsed.reason}`);
    const { brokersFromZooKeeper, ZooKeeperLookupError } = await import('../../client/zookeeper.js');
    try {
      const brokers = await brokersFromZooKeeper(zk, { timeoutMs: 3000 });
      return brokers.map((b) => (b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`)).join(',');
    } catch (e) {
      if (e instanceof ZooKeeperLookupError && e.kind === 'unreachable') {
        throw new BootstrapError(`cannot reach ZooKeeper at ${zk} (nothing answered within 3 s); Samsa's tools talk to brokers directly: use --bootstrap-server localhost:9092 instead`);
      }
      if (e instanceof ZooKeeperLookupError && e.kind === 'noBrokers') {
        throw new BootstrapError(`${e.message}: start a broker with zookeeper.connect=${zk}, or use --bootstrap-server host:port`);
      }
      throw new BootstrapError(messageOf(e));
    }
  }
  const fromProps = opts.props?.['bootstrap.servers'];
  if (fromProps) return checkedBootstrap(fromProps, 'bootstrap.servers');
  if (opts.required === false) return '';
  throw new UsageError(opts.brokerListOption ? 'Missing required argument "[bootstrap-server]"' : 'Missing required argument "[bootstrap-server]"');
}

/** The list unchanged when every entry is host:port (or a bare host, port 9092); BootstrapError naming `what` otherwise. */
export function checkedBootstrap(list: string, what: string): string {
  try {
    parseBootstrap(list);
  } catch (e) {
    throw new BootstrapError(`Invalid ${what} value '${list}': ${messageOf(e)}; write HOST:PORT[,HOST:PORT...], e.g. localhost:9092`);
  }
  return list;
}

/** The hint appended to "cannot connect" errors by the Kafka tools. */
export const START_HINT = 'is a broker running? start one with `samsa start` or `bin/kafka-server-start config/server.properties`';

/** Kafka's Uuid.toString(): URL-safe base64 of the 16 bytes, no padding (how Kafka prints topic ids). */
export function kafkaTopicId(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}
