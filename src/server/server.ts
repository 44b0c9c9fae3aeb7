/**
 * Server: binds the configured listeners and owns the open connections. `stop()` closes the
 * listeners, stops reading new requests, waits (bounded) for in-flight requests to be answered and
 * then closes every connection.
 */
import type { Logger } from 'pino';
import type { Clock } from '../io/clock.js';
import type { Listener, Net } from '../io/net.js';
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

  constructor(
    private readonly net: Net,
    private readonly clock: Clock,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly requestSizeBytesMax: number,
  ) {}

  async listen(specs: Array<{ name: string; host: string; port: number }>): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const spec of specs) {
      const l = await this.net.listen(spec.host, spec.port, (stream) => {
        if (this.connections.size >= limits.connectionsMax) {
          this.log.warn({ client: stream.remoteAddress }, `refusing connection: ${limits.connectionsMax} connections open`);
          stream.destroy();
          return;
        }
        const c = new Connection(stream, this.dispatcher, this.log, this.requestSizeBytesMax, (closed) => this.connections.delete(closed));
        this.connections.add(c);
      });
      this.listeners.push(l);
      bound.push({ name: spec.name, host: spec.host, port: l.port });
    }
    return bound;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async stop(drainTimeoutMs: number): Promise<void> {
    const closing = this.listeners.map((l) => l.close());
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
