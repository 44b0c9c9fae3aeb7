/**
 * Server: binds the configured listeners and owns the open connections. `listen()` binds at once
 * (so a taken port fails early in Broker.start) but leaves accepted connections unread until
 * `serve(dispatcher)`: clients that connect while the broker is still recovering wait rather than
 * fail. `stop()` closes the listeners, stops reading new requests, waits (bounded) for in-flight
 * requests to be answered and then closes every connection.
 * Hostile or dead clients: one periodic sweep (not a timer per connection) closes connections idle
 * for connections.max.idle.ms or stuck in one frame for samsa.request.receive.timeout.ms; every
 * connection shares one ReceivePool bounding the request bytes held in memory (queued.max.request.bytes).
 */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../io/clock.js';
import type { ByteStream, Listener, Net } from '../io/net.js';
import { Connection } from './connection.js';
import type { Dispatcher } from './dispatcher.js';
import { ReceivePool } from './receive-pool.js';
import { ConnectionCounter, DEFAULT_CONNECTION_LIMITS, type ConnectionLimitSettings } from './connection-limits.js';
import { SaslAuthenticator } from '../security/authenticator.js';
import type { ListenerSecurity } from '../security/listener-security.js';
import { mapPrincipal } from '../security/principal-mapper.js';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js';

const SWEEP_INTERVAL_MS_MIN = 50;
const SWEEP_INTERVAL_MS_MAX = 5000;

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  /** TLS and SASL settings; absent = PLAINTEXT. */
  security?: ListenerSecurity;
}

export interface BoundListener {
  name: string;
  host: string;
  port: number;
}

export class Server {
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<Connection>();
  /** Connections accepted before serve(), not read yet. */
  private waiting: Array<{ stream: ByteStream; listener: ListenerSpec }> | null = [];
  private dispatcher: Dispatcher | null = null;
  /** Per listener name: connections accepted and closed, counted in place (metrics). */
  private readonly counts = new Map<string, { open: number; created: number; closed: number }>();

  constructor(
    private readonly net: Net,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly requestSizeBytesMax: number,
    private readonly connectionLimits: ConnectionLimitSettings = DEFAULT_CONNECTION_LIMITS,
  ) {
    this.counter = new ConnectionCounter(connectionLimits);
    this.pool = new ReceivePool(connectionLimits.queuedRequestBytesMax);
  }

  /** Request bytes received and not yet dispatched, over all connections (queued.max.request.bytes). */
  private readonly pool: ReceivePool;
  /** The idle / receive-timeout sweep, running between serve() and stop(). */
  private sweepTimer: Timer | null = null;

  /** Open connections per address and in total (max.connections, max.connections.per.ip, creation rate). */
  private readonly counter: ConnectionCounter;

  async listen(spec: ListenerSpec): Promise<BoundListener> {
    this.counts.set(spec.name, { open: 0, created: 0, closed: 0 });
    const tls = spec.security?.tls ?? null;
    const l = await this.net.listen(
      spec.host,
      spec.port,
      (stream) => this.accept(stream, spec),
      tls === null
        ? {}
        : {
            tls,
            // Kafka logs failed TLS handshakes (untrusted certificates, wrong protocol) at INFO.
            onTlsError: (client, err) => this.log.info({ client, listener: spec.name, err: err.message }, 'TLS handshake failed'),
          },
    );
    this.listeners.push(l);
    return { name: spec.name, host: spec.host, port: l.port };
  }

  /** Starts reading requests: the connections that waited first, then every new one. */
  serve(dispatcher: Dispatcher): void {
    assert.equal(this.dispatcher, null, 'serve() runs once');
    this.dispatcher = dispatcher;
    this.startSweep();
    const waiting = this.waiting ?? [];
    this.waiting = null;
    for (const w of waiting) this.accept(w.stream, w.listener, true);
  }

  private accept(stream: ByteStream, listener: ListenerSpec, admitted = false): void {
    if (!admitted) {
      const refusal = this.counter.admit(stream.remoteAddress, this.clock.monotonicMs());
      if (refusal !== null) {
        this.log.warn({ client: stream.remoteAddress, listener: listener.name }, `refusing connection: ${refusal}`);
        stream.destroy();
        return;
      }
    }
    if (this.dispatcher === null) {
      this.waiting?.push({ stream, listener });
      return;
    }
    const security = listener.security;
    const principal = security?.tls ? this.tlsPrincipal(stream, security) : ANONYMOUS;
    if (principal === null) {
      stream.destroy();
      this.counter.release(stream.remoteAddress);
      return;
    }
    const counts = this.counts.get(listener.name);
    if (counts) {
      counts.created++;
      counts.open++;
    }
    const sasl = security?.sasl ? new SaslAuthenticator(security.sasl, this.clock, this.log, stream.remoteAddress, listener.name) : null;
    const c = new Connection(
      stream,
      listener.name,
      this.dispatcher,
      this.log,
      this.requestSizeBytesMax,
      (closed) => {
        this.connections.delete(closed);
        this.counter.release(stream.remoteAddress);
        if (counts) {
          counts.closed++;
          counts.open--;
        }
      },
      { principal, sasl },
      this.clock,
      this.pool,
    );
    this.connections.add(c);
  }

  /**
   * The principal of a TLS connection: on an SSL listener the client certificate's DN mapped by
   * ssl.principal.mapping.rules (ANONYMOUS without a certificate); on SASL_SSL it comes from SASL
   * later. Null (the connection is refused) for a certificate that is present but untrusted
   * (ssl.client.auth=requested) or that no mapping rule applies to.
   */
  private tlsPrincipal(stream: ByteStream, security: ListenerSecurity): KafkaPrincipal | null {
    const peer = stream.tlsPeer?.() ?? null;
    if (peer === null || peer.subjectDn === null) return ANONYMOUS;
    if (!peer.authorized) {
      this.log.info({ client: stream.remoteAddress, listener: security.listenerName, reason: peer.authorizationError }, 'refusing connection: the client certificate is not trusted (ssl.truststore)');
      return null;
    }
    if (security.securityProtocol !== 'SSL') return ANONYMOUS;
    const name = mapPrincipal(security.mappingRules, peer.subjectDn);
    if (name === null) {
      this.log.info({ client: stream.remoteAddress, listener: security.listenerName, subject: peer.subjectDn }, 'refusing connection: no ssl.principal.mapping.rules rule applies to the client certificate');
      return null;
    }
    this.log.info({ client: stream.remoteAddress, listener: security.listenerName, subject: peer.subjectDn, principal: `User:${name}` }, `TLS client authenticated as User:${name}`);
    return { type: 'User', name };
  }

  /**
   * Checks every connection against connections.max.idle.ms and samsa.request.receive.timeout.ms
   * every tenth of the shorter one (50 ms .. 5 s): a connection is closed at most that much late.
   */
  private startSweep(): void {
    const { idleMs, receiveTimeoutMs } = this.connectionLimits;
    const enabled = [idleMs, receiveTimeoutMs].filter((ms) => ms >= 0);
    if (enabled.length === 0) return;
    const intervalMs = Math.min(SWEEP_INTERVAL_MS_MAX, Math.max(SWEEP_INTERVAL_MS_MIN, Math.floor(Math.min(...enabled) / 10)));
    this.sweepTimer = this.clock.setInterval(intervalMs, () => this.sweep(), { unref: true });
  }

  private sweep(): void {
    const nowMs = this.clock.monotonicMs();
    const { idleMs, receiveTimeoutMs } = this.connectionLimits;
    for (const c of this.connections) {
      const reason = c.expiry(nowMs, idleMs, receiveTimeoutMs);
      if (reason === null) continue;
      this.log.info({ client: c.address }, `closing connection: ${reason}`);
      c.close();
    }
  }

  /** The receive pool: bytes held now and the bound (metrics). */
  receivePoolStats(): { usedBytes: number; bytesMax: number } {
    return { usedBytes: this.pool.usedBytes, bytesMax: this.pool.bytesMax };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections per listener: open now, accepted and closed since start (metrics). */
  connectionStats(): Array<{ listener: string; open: number; created: number; closed: number }> {
    return [...this.counts].map(([listener, c]) => ({ listener, ...c }));
  }

  async stop(drainTimeoutMs: number): Promise<void> {
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    const closing = this.listeners.splice(0).map((l) => l.close());
    for (const w of this.waiting ?? []) {
      w.stream.destroy();
      this.counter.release(w.stream.remoteAddress);
    }
    this.waiting = [];
    for (const c of this.connections) c.stopReading();
    const drained = Promise.all([...this.connections].map((c) => c.drain()));
    let timer = { cancel() {} };
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimer(drainTimeoutMs, resolve);
    });
    await Promise.race([drained, timeout]);
    timer.cancel();
    for (const c of [...this.connections]) c.close();
    await Promise.all(closing);
  }
}
