/**
 * How `samsa` commands reach the cluster: --brokers (or $SAMSA_BROKERS, else localhost:9092),
 * client properties from --command-config <file> (Kafka's client.properties) and -X key=value (which
 * win), turned into a KafkaClient whose connection errors say how to start a broker. The security
 * keys (security.protocol, sasl.*, ssl.*) secure every connection (client/security.ts).
 */
import { readFileSync } from 'node:fs';
import { KafkaClient } from '../../client/client.js';
import { securityFromProps, SecurityConfigError, type ClientSecurity } from '../../client/security.js';
import { parseProperties } from '../../config/properties.js';
import { CliError } from './ui.js';

export interface GlobalOptions {
  brokers?: string;
  property?: string[];
  commandConfig?: string;
  json?: boolean;
  color?: boolean;
}

function fileProps(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read --command-config ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'give a Java properties file of client settings (security.protocol=SASL_SSL, ...)');
  }
  try {
    const out: Record<string, string> = {};
    for (const [k, v] of parseProperties(text, file)) out[k] = v.value.trim();
    return out;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

export function clientProps(opts: GlobalOptions): Record<string, string> {
  const props: Record<string, string> = opts.commandConfig !== undefined ? fileProps(opts.commandConfig) : {};
  for (const p of opts.property ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`-X needs key=value, got '${p}'`, 'for example: -X client.id=me -X request.timeout.ms=5000');
    props[p.slice(0, i).trim()] = p.slice(i + 1);
  }
  return props;
}

function intOf(props: Record<string, string>, key: string): number | undefined {
  const v = props[key];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new CliError(`-X ${key}=${v}: expected a number of milliseconds`);
  return Number(v);
}

export function bootstrapOf(opts: GlobalOptions): string {
  return opts.brokers ?? process.env.SAMSA_BROKERS ?? clientProps(opts)['bootstrap.servers'] ?? 'localhost:9092';
}

/** TLS / SASL from the client properties; CliError naming the fix when they are bad. */
export function securityOf(opts: GlobalOptions): ClientSecurity {
  try {
    return securityFromProps(clientProps(opts));
  } catch (e) {
    if (e instanceof SecurityConfigError) throw new CliError(e.message, 'see docs/SECURITY.md, "Samsa\'s tools on secured listeners"');
    throw e;
  }
}

export function makeClient(opts: GlobalOptions, clientId = 'samsa-cli'): KafkaClient {
  const props = clientProps(opts);
  const security = securityOf(opts);
  try {
    return new KafkaClient({
      bootstrapServers: bootstrapOf(opts),
      clientId: props['client.id'] ?? clientId,
      requestTimeoutMs: intOf(props, 'request.timeout.ms'),
      connectTimeoutMs: intOf(props, 'socket.connection.setup.timeout.ms') ?? 5000,
      retryBackoffMs: intOf(props, 'retry.backoff.ms'),
      startHint: 'is a broker running? start one with `samsa start`',
      security,
    });
  } catch (e) {
    throw new CliError((e as Error).message, 'pass brokers as host:port[,host:port], e.g. -b localhost:9092');
  }
}

/** Runs fn with a client and closes it afterwards, whatever happens. */
export async function withClient<T>(opts: GlobalOptions, fn: (client: KafkaClient) => Promise<T>, clientId?: string): Promise<T> {
  const client = makeClient(opts, clientId);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
