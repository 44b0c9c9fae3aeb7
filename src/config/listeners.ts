/**
 * Listener strings (`listeners`, `advertised.listeners`), `listener.security.protocol.map` and
 * `controller.quorum.voters`: syntax and the rules Kafka applies to them. Pure functions that return
 * a reason string on bad input; broker-config.ts turns reasons into ConfigErrors naming the key.
 *
 * A listener is `NAME://HOST:PORT`. NAME is upper-cased (Kafka normalises listener names). HOST may
 * be empty (all interfaces), a name, an IPv4 address or a bracketed IPv6 address (`[::1]`, brackets
 * dropped). PORT is 0-65535; 0 asks the OS for a free port, which tests use; the server layer must
 * advertise the port it actually bound in that case.
 */

export interface Listener {
  /** Listener name, upper case: PLAINTEXT, SSL, INTERNAL, ... */
  name: string;
  /** PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL, from listener.security.protocol.map. */
  securityProtocol: string;
  /** '' = all interfaces. */
  host: string;
  port: number;
}

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;

export interface QuorumVoter {
  nodeId: number;
  host: string;
  port: number;
}

const LISTENER_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const HOST_PATTERN = /^[0-9A-Za-z\-%._]*$/;
const IPV6_PATTERN = /^[0-9A-Fa-f:.%A-Za-z]+$/;
const PORT_PATTERN = /^\d+$/;
const PORT_MAX = 65_535;

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`) into upper-case name → protocol. */
export function parseSecurityProtocolMap(items: string[]): Parsed<Map<string, string>> {
  const map = new Map<string, string>();
  for (const item of items) {
    const colon = item.lastIndexOf(':');
    const name = item.slice(0, colon).trim().toUpperCase();
    const protocol = item.slice(colon + 1).trim().toUpperCase();
    if (colon <= 0 || !LISTENER_NAME_PATTERN.test(name)) {
      return { ok: false, reason: `Entry '${item}' is not of the form LISTENER_NAME:SECURITY_PROTOCOL (e.g. INTERNAL:PLAINTEXT)` };
    }
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      return { ok: false, reason: `Entry '${item}' names an unknown security protocol; use one of ${SECURITY_PROTOCOLS.join(', ')}` };
    }
    if (map.has(name)) return { ok: false, reason: `Listener name ${name} is mapped twice` };
    map.set(name, protocol);
  }
  return { ok: true, value: map };
}

/** Splits `HOST:PORT` (HOST may be `[ipv6]`) and checks both parts. */
export function parseHostPort(text: string): Parsed<{ host: string; port: number }> {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return { ok: false, reason: `'${text}' has an unclosed IPv6 bracket or no port` };
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!IPV6_PATTERN.test(host)) return { ok: false, reason: `'${host}' is not a valid IPv6 address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { ok: false, reason: `'${text}' has no port; write HOST:PORT` };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return { ok: false, reason: `'${host}' looks like an IPv6 address; put it in brackets: [${host}]` };
    if (!HOST_PATTERN.test(host)) return { ok: false, reason: `'${host}' is not a valid host name or address` };
  }
  if (!PORT_PATTERN.test(portText)) return { ok: false, reason: `Port '${portText}' is not a number` };
  const port = Number(portText);
  if (port > PORT_MAX) return { ok: false, reason: `Port ${port} is out of range 0-${PORT_MAX}` };
  return { ok: true, value: { host, port } };
}

/**
 * Parses a listener list. `protocols` maps listener names to security protocols.
 * `requireDistinctPorts` is true for `listeners` (two sockets cannot share a port; port 0 exempt)
 * and false for `advertised.listeners` (several names may sit behind one proxy port).
 */
export function parseListeners(
  items: string[],
  protocols: Map<string, string>,
  requireDistinctPorts: boolean,
): Parsed<Listener[]> {
  const listeners: Listener[] = [];
  for (const item of items) {
    const separator = item.indexOf('://');
    const name = item.slice(0, separator).toUpperCase();
    if (separator <= 0 || !LISTENER_NAME_PATTERN.test(name)) {
      return { ok: false, reason: `Listener '${item}' is not of the form NAME://HOST:PORT (e.g. PLAINTEXT://:9092)` };
    }
    const hostPort = parseHostPort(item.slice(separator + 3));
    if (!hostPort.ok) return { ok: false, reason: `Listener '${item}': ${hostPort.reason}` };
    const securityProtocol = protocols.get(name);
    if (securityProtocol === undefined) {
      return {
        ok: false,
        reason: `No security protocol defined for listener ${name}; add ${name}:PLAINTEXT (or SSL, SASL_PLAINTEXT, SASL_SSL) to listener.security.protocol.map`,
      };
    }
    listeners.push({ name, securityProtocol, host: hostPort.value.host, port: hostPort.value.port });
  }
  const names = listeners.map((listener) => listener.name);
  if (new Set(names).size !== names.length) {
    return { ok: false, reason: 'Each listener must have a different name' };
  }
  if (requireDistinctPorts) {
    const ports = listeners.map((listener) => listener.port).filter((port) => port !== 0);
    if (new Set(ports).size !== ports.length) return { ok: false, reason: 'Each listener must have a different port' };
  }
  return { ok: true, value: listeners };
}

/** Formats a listener back to `NAME://HOST:PORT` (brackets around IPv6 hosts). */
export function formatListener(listener: Listener): string {
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  return `${listener.name}://${host}:${listener.port}`;
}

/** Parses `controller.quorum.voters` items, each `ID@HOST:PORT`. */
export function parseQuorumVoters(items: string[]): Parsed<QuorumVoter[]> {
  const voters: QuorumVoter[] = [];
  for (const item of items) {
    const at = item.indexOf('@');
    const idText = item.slice(0, at);
    if (at <= 0 || !/^\d+$/.test(idText)) {
      return { ok: false, reason: `Voter '${item}' is not of the form ID@HOST:PORT (e.g. 1@localhost:9093)` };
    }
    const hostPort = parseHostPort(item.slice(at + 1));
    if (!hostPort.ok) return { ok: false, reason: `Voter '${item}': ${hostPort.reason}` };
    if (hostPort.value.host === '') return { ok: false, reason: `Voter '${item}' needs a host` };
    voters.push({ nodeId: Number(idText), host: hostPort.value.host, port: hostPort.value.port });
  }
  if (new Set(voters.map((voter) => voter.nodeId)).size !== voters.length) {
    return { ok: false, reason: 'Each voter must have a different id' };
  }
  return { ok: true, value: voters };
}

/** ZooKeeper's client port when a connect string names a host without one (ZooKeeper's own rule). */
export const ZOOKEEPER_PORT_DEFAULT = 2181;

export interface ConnectString {
  servers: Array<{ host: string; port: number }>;
  /** The chroot path (`/kafka`), or null. */
  chroot: string | null;
}

/**
 * Parses a ZooKeeper connect string, `host[:port][,host[:port]...][/chroot]` (zookeeper.connect,
 * --zookeeper). A host without a port gets 2181, as ZooKeeper's client does. Port 0 is refused
 * (nothing listens there), as are empty entries and a chroot that is `/` followed by nothing useful.
 */
export function parseZookeeperConnect(text: string): Parsed<ConnectString> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'The connection string is empty; write HOST:PORT[,HOST:PORT...][/chroot], e.g. localhost:2181' };
  const slash = trimmed.indexOf('/');
  const serverPart = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const chrootText = slash < 0 ? '' : trimmed.slice(slash).replace(/\/+$/, '');
  if (chrootText !== '' && !/^(\/[^/\s\u0000]+)+$/.test(chrootText)) return { ok: false, reason: `The chroot path '${trimmed.slice(slash)}' is not valid; write /name[/name...]` };
  const servers: Array<{ host: string; port: number }> = [];
  for (const raw of serverPart.split(',')) {
    const item = raw.trim();
    if (item === '') return { ok: false, reason: 'The connection string has an empty server entry; write HOST:PORT[,HOST:PORT...]' };
    const withPort = /^\[.*\]$/.test(item) || (!item.startsWith('[') && !item.includes(':')) ? `${item}:${ZOOKEEPER_PORT_DEFAULT}` : item;
    const hp = parseHostPort(withPort);
    if (!hp.ok) return { ok: false, reason: hp.reason };
    if (hp.value.host === '') return { ok: false, reason: `Entry '${item}' has no host` };
    if (hp.value.port === 0) return { ok: false, reason: `Entry '${item}' has port 0; ZooKeeper listens on a real port (2181 by default)` };
    servers.push(hp.value);
  }
  return { ok: true, value: { servers, chroot: chrootText === '' ? null : chrootText } };
}

/**
 * Parses a bootstrap list, `host:port[,host:port...]` (bootstrap.servers, --bootstrap-server,
 * --broker-list). Unlike ZooKeeper's, every entry needs its port (Kafka's clients refuse a bare host).
 */
export function parseBootstrapServers(text: string): Parsed<Array<{ host: string; port: number }>> {
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => s === '')) return { ok: false, reason: 'The server list is empty; write HOST:PORT[,HOST:PORT...], e.g. localhost:9092' };
  const out: Array<{ host: string; port: number }> = [];
  for (const item of items) {
    if (item === '') continue; // "a:1,,b:2" and a trailing comma: Kafka's clients skip empty entries
    const hp = parseHostPort(item.replace(/^[A-Za-z_]+:\/\//, ''));
    if (!hp.ok) return { ok: false, reason: hp.reason };
    if (hp.value.host === '') return { ok: false, reason: `Entry '${item}' has no host` };
    if (hp.value.port === 0) return { ok: false, reason: `Entry '${item}' has port 0` };
    out.push(hp.value);
  }
  return { ok: true, value: out };
}
