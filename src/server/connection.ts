/**
 * Connection: one client socket. Splits frames, dispatches each request as soon as it is read
 * (processing may overlap), and writes responses strictly in request order: each request gets a
 * sequence number, finished responses wait in `ready` until every earlier one has gone, and the
 * contiguous run is written as one gathered write. At `inflightRequestsPerConnectionMax` unanswered
 * requests the socket is paused (backpressure) and resumed as responses drain.
 * Lifecycle: created by Server on accept; ends when the client closes, on a protocol violation,
 * or when the server shuts down (`drain()` waits for in-flight requests).
 */
import type { Logger } from 'pino';
import type { ByteStream } from '../io/net.js';
import { limits } from '../limits.js';
import type { Dispatcher, DispatchOutcome } from './dispatcher.js';
import type { RequestTiming } from '../metrics/request-metrics.js';
import { FrameSplitter } from '../protocol/frame.js';

export class Connection {
  private readonly frames: FrameSplitter;
  private nextSeq = 0;
  private nextSeqToSend = 0;
  private readonly ready = new Map<number, DispatchOutcome>();
  private paused = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];
  /** Requests whose responses were handed to a full socket: their send ends at the next drain. */
  private sending: RequestTiming[] = [];

  constructor(
    private readonly stream: ByteStream,
    /** The listener this connection came in on (Metadata answers with that listener's endpoints). */
    private readonly listenerName: string,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    requestSizeBytesMax: number,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.frames = new FrameSplitter(requestSizeBytesMax);
    stream.start({
      data: (chunk) => this.onData(chunk),
      close: () => this.finish(),
      error: (err) => this.log.debug({ client: stream.remoteAddress, err: err.message }, 'socket error'),
      drain: () => this.onDrain(),
    });
  }

  get address(): string {
    return this.stream.remoteAddress;
  }

  get inflight(): number {
    return this.nextSeq - this.nextSeqToSend;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.frames.push(chunk);
    for (;;) {
      const next = this.frames.next();
      if (next.kind === 'none') break;
      if (next.kind === 'tooLarge') {
        this.log.warn(
          { client: this.stream.remoteAddress, sizeBytes: next.sizeBytes },
          `closing connection: request size ${next.sizeBytes} is outside 0..socket.request.max.bytes`,
        );
        this.close();
        return;
      }
      const seq = this.nextSeq++;
      this.dispatcher.dispatch(next.frame, this.stream.remoteAddress, this.listenerName).then(
        (outcome) => this.complete(seq, outcome),
        (err: unknown) => {
          this.log.error({ client: this.stream.remoteAddress, err }, 'request handler failed (a broker bug); closing connection');
          this.complete(seq, { kind: 'close', reason: 'internal error' });
        },
      );
      if (this.inflight >= limits.inflightRequestsPerConnectionMax && !this.paused) {
        this.paused = true;
        this.stream.pause();
      }
    }
  }

  private complete(seq: number, outcome: DispatchOutcome): void {
    if (this.closed) return;
    this.ready.set(seq, outcome);
    const out: Buffer[] = [];
    let timed: RequestTiming[] | null = null;
    let closeReason: string | null = null;
    while (this.ready.has(this.nextSeqToSend)) {
      const o = this.ready.get(this.nextSeqToSend)!;
      this.ready.delete(this.nextSeqToSend);
      this.nextSeqToSend++;
      if (o.kind === 'response') {
        out.push(...o.chunks);
        if (o.timing) (timed ??= []).push(o.timing);
      } else if (o.kind === 'noResponse') {
        if (o.timing) this.dispatcher.completed(o.timing, this.dispatcher.nowMs());
      } else {
        closeReason = o.reason;
        break;
      }
    }
    if (out.length > 0) {
      const sendStartMs = timed ? this.dispatcher.nowMs() : 0;
      if (timed) for (const t of timed) t.sendStartMs = sendStartMs;
      const flushed = this.stream.writev(out);
      if (timed) {
        if (flushed) for (const t of timed) this.dispatcher.completed(t, this.dispatcher.nowMs());
        else this.sending.push(...timed);
      }
    }
    if (closeReason !== null) {
      this.log.warn({ client: this.stream.remoteAddress }, `closing connection: ${closeReason}`);
      this.stream.end();
      this.close();
      return;
    }
    if (this.paused && this.inflight < limits.inflightRequestsPerConnectionMax / 2) {
      this.paused = false;
      this.stream.resume();
    }
    if (this.inflight === 0) this.wakeDrainWaiters();
  }

  private onDrain(): void {
    if (this.sending.length === 0) return;
    const done = this.sending;
    this.sending = [];
    const nowMs = this.dispatcher.nowMs();
    for (const t of done) this.dispatcher.completed(t, nowMs);
  }

  /** Resolves when no request is in flight (graceful shutdown). */
  drain(): Promise<void> {
    if (this.inflight === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stops reading further requests (shutdown); in-flight ones still get answers. */
  stopReading(): void {
    this.stream.pause();
  }

  close(): void {
    if (this.closed) return;
    this.stream.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeDrainWaiters();
    this.onClose(this);
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
