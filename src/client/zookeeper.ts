/**
 * Finds brokers registered in ZooKeeper the way Kafka registers them: one ephemeral znode per broker
 * at /brokers/ids/<id> (under the chroot of the connect string, e.g. host:2181/kafka) holding JSON
 * with `endpoints` (["PLAINTEXT://host:port", ...]), `listener_security_protocol_map`, and the
 * legacy `host` / `port`. Used by the tools' `--zookeeper host:port` option to turn a ZooKeeper
 * address into a bootstrap list; the tools then talk to the brokers directly.
 *
 * node-zookeeper-client retries forever when nothing answers, so every lookup has its own deadline
 * and closes the client on the way out. The library is imported only when this runs. Paths and the
 * endpoint format come from the broker's layout module (cluster/zk/layout.ts, no run-time imports
 * beyond node:crypto), not from the controller.
 */
import { parseEndpoint, paths } from '../cluster/zk/layout.js';

export interface RegisteredBroker {
  id: number;
  host: string;
  port: number;
}

export class ZooKeeperLookupError extends Error {
  override name = 'ZooKeeperLookupError';
  constructor(
    readonly kind: 'unreachable' | 'noBrokers' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

/** A registration as read back: any Kafka version (or Samsa) wrote it, so every field may be missing. */
interface RegistrationAsRead {
  host?: string | null;
  port?: number;
  endpoints?: string[];
  listener_security_protocol_map?: Record<string, string>;
}

/** Picks a PLAINTEXT endpoint from a registration; null when it has none we can use. */
export function endpointOf(json: string): { host: string; port: number } | null {
  let reg: RegistrationAsRead;
  try {
    reg = JSON.parse(json) as RegistrationAsRead;
  } catch {
    return null; // not Kafka's JSON: skipped (reported as "no usable brokers" by the caller)
  }
  const protocols = reg.listener_security_protocol_map ?? {};
  for (const ep of reg.endpoints ?? []) {
    const e = parseEndpoint(ep);
    if (!e) continue;
    const protocol = protocols[e.listener] ?? e.listener;
    if (protocol !== 'PLAINTEXT') continue;
    return { host: e.host || 'localhost', port: e.port };
  }
  if (reg.host && reg.port && reg.port > 0) return { host: reg.host, port: reg.port };
  return null;
}

/** The PLAINTEXT addresses of every broker registered under /brokers/ids, sorted by id. */
export async function brokersFromZooKeeper(connect: string, opts: { timeoutMs?: number } = {}): Promise<RegisteredBroker[]> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const zk = await import('node-zookeeper-client');
  const createClient = zk.createClient ?? (zk as unknown as { default: typeof zk }).default.createClient;
  const client = createClient(connect, { sessionTimeout: Math.max(timeoutMs * 2, 4000), spinDelay: 200, retries: 0 });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new ZooKeeperLookupError('unreachable', `no ZooKeeper answered at ${connect} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      client.once('connected', () => resolve());
      client.connect();
    });
    const ids = await new Promise<string[]>((resolve, reject) => {
      client.getChildren(paths.brokerIds, (err, children) => {
        if (err) {
          if ((err as { code?: number }).code === zk.Exception.NO_NODE) resolve([]);
          else reject(new ZooKeeperLookupError('failed', `reading /brokers/ids from ZooKeeper at ${connect} failed: ${String(err)}`));
        } else resolve(children);
      });
    });
    const out: RegisteredBroker[] = [];
    for (const id of ids) {
      const data = await new Promise<Buffer | null>((resolve) => {
        // A broker may deregister between the listing and this read: skip it.
        client.getData(`${paths.brokerIds}/${id}`, (err, d) => resolve(err ? null : d));
      });
      if (!data) continue;
      const ep = endpointOf(data.toString('utf8'));
      if (ep && /^\d+$/.test(id)) out.push({ id: Number(id), ...ep });
    }
    if (out.length === 0) {
      throw new ZooKeeperLookupError('noBrokers', `ZooKeeper at ${connect} answered, but no broker is registered under /brokers/ids`);
    }
    return out.sort((a, b) => a.id - b.id);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
