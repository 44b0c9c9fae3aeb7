/**
 * How `samsa` commands reach the cluster: --brokers (or $SAMSA_BROKERS, else localhost:9092) and
 * -X client properties, turned into a KafkaClient whose connection errors say how to start a
 * broker.
 */
import { KafkaClient } from '../../client/client.js';
import { CliError } from './ui.js';

export interface GlobalOptions {
  brokers?: string;
  property?: string[];
  json?: boolean;
  color?: boolean;
}

export function clientProps(opts: GlobalOptions): Record<string, string> {
  const props: Record<string, string> = {};
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

export function makeClient(opts: GlobalOptions, clientId = 'samsa-cli'): KafkaClient {
  const props = clientProps(opts);
  try {
    return new KafkaClient({
      bootstrapServers: bootstrapOf(opts),
      clientId: props['client.id'] ?? clientId,
      requestTimeoutMs: intOf(props, 'request.timeout.ms'),
      connectTimeoutMs: intOf(props, 'socket.connection.setup.timeout.ms') ?? 5000,
      retryBackoffMs: intOf(props, 'retry.backoff.ms'),
      startHint: 'is a broker running? start one with `samsa start`',
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
