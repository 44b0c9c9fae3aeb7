/**
 * Connection limits checked when a connection is accepted, before any of its bytes are read:
 * `max.connections` (all listeners together), `max.connections.per.ip` with
 * `max.connections.per.ip.overrides` (host:count), and `max.connection.creation.rate` (new
 * connections per second). A connection over a limit is closed at once, and counted for nothing.
 * Kafka closes over-per-IP connections the same way; for max.connections and the creation rate it
 * instead waits before accepting (the socket backlog holds the client) — Samsa closes, so a client
 * retries after its reconnect backoff (docs/SECURITY.md).
 * The same settings carry what bounds a connection once accepted: connections.max.idle.ms,
 * samsa.request.receive.timeout.ms (Server's sweep) and queued.max.request.bytes (ReceivePool).
 */
import { hostOf } from '../security/authorizer.js';
import type { SecuritySettings } from '../security/settings.js';
import { limits } from '../limits.js';

export interface ConnectionLimitSettings {
  maxConnections: number;
  maxConnectionsPerIp: number;
  perIpOverrides: ReadonlyMap<string, number>;
  creationRatePerSec: number;
  /** connections.max.idle.ms: nothing read or written for this long closes a connection (negative = off). */
  idleMs: number;
  /** samsa.request.receive.timeout.ms: a frame incomplete this long after its first byte closes it (negative = off). */
  receiveTimeoutMs: number;
  /** Bytes of received, undispatched request data held over all connections (queued.max.request.bytes). */
  queuedRequestBytesMax: number;
}

export function connectionLimits(s: SecuritySettings): ConnectionLimitSettings {
  return {
    maxConnections: Math.min(s.maxConnections, limits.connectionsMax),
    maxConnectionsPerIp: s.maxConnectionsPerIp,
    perIpOverrides: s.maxConnectionsPerIpOverrides,
    creationRatePerSec: s.maxConnectionCreationRate,
    idleMs: s.connectionsMaxIdleMs,
    receiveTimeoutMs: s.requestReceiveTimeoutMs,
    queuedRequestBytesMax: s.queuedRequestBytesMax,
  };
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimitSettings = {
  maxConnections: limits.connectionsMax,
  maxConnectionsPerIp: Number.MAX_SAFE_INTEGER,
  perIpOverrides: new Map(),
  creationRatePerSec: Number.MAX_SAFE_INTEGER,
  idleMs: 600_000,
  receiveTimeoutMs: 60_000,
  queuedRequestBytesMax: Math.max(limits.queuedRequestBytesDefault, limits.requestSizeBytesMax),
};

const RATE_WINDOW_MS = 1000;

export class ConnectionCounter {
  #total = 0;
  readonly #perHost = new Map<string, number>();
  /** Accept times in the last second (only kept when a creation rate is configured). */
  #recent: number[] = [];

  constructor(private readonly s: ConnectionLimitSettings) {}

  get total(): number {
    return this.#total;
  }

  /** Admits a connection from `address` (host:port) at `nowMs`, or returns why not. */
  admit(address: string, nowMs: number): string | null {
    const host = hostOf(address);
    if (this.#total >= this.s.maxConnections) return `${this.#total} connections open (max.connections=${this.s.maxConnections})`;
    const perHostMax = this.s.perIpOverrides.get(host) ?? this.s.maxConnectionsPerIp;
    const open = this.#perHost.get(host) ?? 0;
    if (open >= perHostMax) return `${open} connections open from ${host} (max.connections.per.ip=${perHostMax})`;
    if (this.s.creationRatePerSec < 2 ** 31 - 1) {
      while (this.#recent.length > 0 && nowMs - this.#recent[0]! >= RATE_WINDOW_MS) this.#recent.shift();
      if (this.#recent.length >= this.s.creationRatePerSec) return `more than ${this.s.creationRatePerSec} new connections in the last second (max.connection.creation.rate)`;
      this.#recent.push(nowMs);
    }
    this.#total++;
    this.#perHost.set(host, open + 1);
    return null;
  }

  release(address: string): void {
    const host = hostOf(address);
    const open = this.#perHost.get(host) ?? 0;
    if (open <= 1) this.#perHost.delete(host);
    else this.#perHost.set(host, open - 1);
    this.#total = Math.max(0, this.#total - 1);
  }
}
