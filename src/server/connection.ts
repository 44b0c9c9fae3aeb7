/**
 * Connection: one client socket. Splits frames, dispatches each request as soon as it is read
 * (processing may overlap), and writes responses strictly in request order: each request gets a
 * sequence number, finished responses wait in `ready` until every earlier one has gone, and the
 * contiguous run is written as one gathered write. At `inflightRequestsPerConnectionMax` unanswered
 * requests the socket is paused (backpressure) and resumed as responses drain.
 * Quotas (KIP-219): a response that carries a throttle time is written at once, then the socket is
 * muted (not read) for that long. Until its first request is complete a connection may announce
 * frames of at most limits.firstRequestBytesMax (a slow-loris or a bogus size cannot reserve
 * socket.request.max.bytes).
 * Lifecycle: created by Server on accept; ends when the client closes, on a protocol violation,
 * or when the server shuts down (`drain()` waits for in-flight requests).
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../io/clock.js';
import type { ByteStream } from '../io/net.js';
import { limits } from '../limits.js';
import type { Dispatcher, DispatchOutcome } from './dispatcher.js';
import { FrameSplitter } from '../protocol/frame.js';

const EMPTY = Buffer.alloc(0);

export class Connection {
  private readonly frames: FrameSplitter;
  private nextSeq = 0;
  private nextSeqToSend = 0;
  private readonly ready = new Map<number, DispatchOutcome>();
  private paused = false;
  /** Muted for a quota throttle until the timer fires. */
  private muteTimer: Timer | null = null;
  private firstRequestDone = false;
  /** Set once a response carried a throttle: from then on requests are handled one at a time. */
  private serial = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly stream: ByteStream,
    /** The listener this connection came in on (Metadata answers with that listener's endpoints). */
    private readonly listenerName: string,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly requestSizeBytesMax: number,
    private readonly onClose: (c: Connection) => void,
    private readonly clock?: Clock,
  ) {
    this.frames = new FrameSplitter(Math.min(requestSizeBytesMax, limits.firstRequestBytesMax));
    stream.start({
      data: (chunk) => this.onData(chunk),
      close: () => this.finish(),
      error: (err) => this.log.debug({ client: stream.remoteAddress, err: err.message }, 'socket error'),
      drain: () => {},
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
      // A throttled connection takes one request at a time, as Kafka's channels do: the next one
      // waits for the answer (and the mute) of the previous, so a backlog cannot bypass the quota.
      if (this.serial && this.inflight > 0) break;
      const next = this.frames.next();
      if (next.kind === 'none') break;
      if (next.kind === 'tooLarge') {
        this.log.warn(
          { client: this.stream.remoteAddress, sizeBytes: next.sizeBytes },
          this.firstRequestDone
            ? `closing connection: request size ${next.sizeBytes} is outside 0..socket.request.max.bytes`
            : `closing connection: first request size ${next.sizeBytes} is outside 0..${limits.firstRequestBytesMax} (a first request is ApiVersions, Metadata or SASL)`,
        );
        this.close();
        return;
      }
      if (!this.firstRequestDone) {
        this.firstRequestDone = true;
        this.frames.setFrameBytesMax(this.requestSizeBytesMax);
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
      if (this.muteTimer !== null) break; // muted by a throttle: the remaining frames wait
    }
  }

  private complete(seq: number, outcome: DispatchOutcome): void {
    if (this.closed) return;
    this.ready.set(seq, outcome);
    const out: Buffer[] = [];
    let closeReason: string | null = null;
    let throttleMs = 0;
    while (this.ready.has(this.nextSeqToSend)) {
      const o = this.ready.get(this.nextSeqToSend)!;
      this.ready.delete(this.nextSeqToSend);
      this.nextSeqToSend++;
      if (o.kind !== 'close') throttleMs = Math.max(throttleMs, o.throttleMs ?? 0);
      if (o.kind === 'response') out.push(...o.chunks);
      else if (o.kind === 'close') {
        closeReason = o.reason;
        break;
      }
    }
    if (out.length > 0) this.stream.writev(out);
    if (closeReason !== null) {
      this.log.warn({ client: this.stream.remoteAddress }, `closing connection: ${closeReason}`);
      this.stream.end();
      this.close();
      return;
    }
    if (throttleMs > 0) {
      this.serial = true;
      this.mute(throttleMs);
    } else if (this.serial && this.muteTimer === null && this.inflight === 0) {
      this.onData(EMPTY); // the next buffered request, now that this one is answered
    }
    if (this.paused && this.inflight < limits.inflightRequestsPerConnectionMax / 2) {
      this.paused = false;
      if (this.muteTimer === null) this.stream.resume();
    }
    if (this.inflight === 0) this.wakeDrainWaiters();
  }

  /** Stops reading for `ms` (a quota throttle); a longer throttle arriving meanwhile extends it. */
  private mute(ms: number): void {
    if (this.clock === undefined || this.closed) return;
    this.muteTimer?.cancel();
    this.stream.pause();
    this.muteTimer = this.clock.setTimer(ms, () => {
      this.muteTimer = null;
      if (this.closed) return;
      if (!this.paused) this.stream.resume();
      this.onData(EMPTY); // frames that arrived before the mute and were left buffered
    });
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
    this.muteTimer?.cancel();
    this.stream.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.muteTimer?.cancel();
    this.wakeDrainWaiters();
    this.onClose(this);
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
