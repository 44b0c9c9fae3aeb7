/**
 * Server: binds the configured listeners and owns the open connections. `listen()` binds at once
 * (so a taken port fails early in Broker.start) but leaves accepted connections unread until
 * `serve(dispatcher)`: clients that connect while the broker is still recovering wait rather than
 * fail. `stop()` closes the listeners, stops reading new requests, waits (bounded) for in-flight
 * requests to be answered and then closes every connection.
 */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { Clock } from '../io/clock.js';
import type { ByteStream, Listener, Net } from '../io/net.js';
import { limits } from '../limits.js';
import { Connection } from './connection.js';
import type { Dispatcher } from './dispatcher.js';

export interface BoundListener {
  name: string;
  host: string;
  port: number;
}

export class Server {
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<Connection>();
  /** Connections accepted before serve(), not read yet. */
  private waiting: Array<{ stream: ByteStream; listenerName: string }> | null = [];
  private dispatcher: Dispatcher | null = null;
  /** Per listener name: connections accepted and closed, counted in place (metrics). */
  private readonly counts = new Map<string, { open: number; created: number; closed: number }>();

  constructor(
    private readonly net: Net,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly requestSizeBytesMax: number,
  ) {}

  async listen(spec: { name: string; host: string; port: number }): Promise<BoundListener> {
    this.counts.set(spec.name, { open: 0, created: 0, closed: 0 });
    const l = await this.net.listen(spec.host, spec.port, (stream) => this.accept(stream, spec.name));
    this.listeners.push(l);
    return { name: spec.name, host: spec.host, port: l.port };
  }

  /** Starts reading requests: the connections that waited first, then every new one. */
  serve(dispatcher: Dispatcher): void {
    assert.equal(this.dispatcher, null, 'serve() runs once');
    this.dispatcher = dispatcher;
    const waiting = this.waiting ?? [];
    this.waiting = null;
    for (const w of waiting) this.accept(w.stream, w.listenerName);
  }

  private accept(stream: ByteStream, listenerName: string): void {
    if (this.connections.size + (this.waiting?.length ?? 0) >= limits.connectionsMax) {
      this.log.warn({ client: stream.remoteAddress }, `refusing connection: ${limits.connectionsMax} connections open`);
      stream.destroy();
      return;
    }
    if (this.dispatcher === null) {
      this.waiting?.push({ stream, listenerName });
      return;
    }
    const counts = this.counts.get(listenerName);
    if (counts) {
      counts.created++;
      counts.open++;
    }
    const c = new Connection(stream, listenerName, this.dispatcher, this.log, this.requestSizeBytesMax, (closed) => {
      this.connections.delete(closed);
      if (counts) {
        counts.closed++;
        counts.open--;
      }
    });
    this.connections.add(c);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections per listener: open now, accepted and closed since start (metrics). */
  connectionStats(): Array<{ listener: string; open: number; created: number; closed: number }> {
    return [...this.counts].map(([listener, c]) => ({ listener, ...c }));
  }

  async stop(drainTimeoutMs: number): Promise<void> {
    const closing = this.listeners.splice(0).map((l) => l.close());
    for (const w of this.waiting ?? []) w.stream.destroy();
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
