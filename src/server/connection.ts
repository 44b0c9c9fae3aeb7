/**
 * Connection: one client socket. Splits frames, dispatches each request as soon as it is read
 * (processing may overlap), and writes responses strictly in request order: each request gets a
 * sequence number, finished responses wait in `ready` until every earlier one has gone, and the
 * contiguous run is written as one gathered write. Requests that arrived in one read are answered
 * with one write where they finish in the same event-loop turn: until the last of them is answered
 * the earlier responses are queued (writeSoon) and go out with it, or at the turn's end. At
 * `inflightRequestsPerConnectionMax` unanswered requests the socket is paused (backpressure) and
 * resumed as responses drain.
 * Lifecycle: created by Server on accept; ends when the client closes, on a protocol violation,
 * or when the server shuts down (`drain()` waits for in-flight requests).
 *
 * Security: the connection carries its principal (TLS client certificate, or ANONYMOUS) to every
 * request. On a SASL listener the SaslAuthenticator sees each frame first: until the client has
 * authenticated, frames are bounded by sasl.server.max.receive.size and read one at a time (each
 * SASL step finishes before the next frame is looked at), and the principal is SASL's.
 *
 * Quotas (KIP-219): a response that carries a throttle time is written at once, then the socket is
 * muted (not read) for that long. Until its first request is complete a connection may announce
 * frames of at most limits.firstRequestBytesMax (a slow-loris or a bogus size cannot reserve
 * socket.request.max.bytes).
 *
 * Hostile senders: every read records the time (connections.max.idle.ms: the Server's sweep closes
 * a connection with nothing read or written for that long and no request in progress), and the
 * time the frame now arriving began (samsa.request.receive.timeout.ms: a frame still incomplete
 * that long after its first byte closes the connection, so a slow-loris trickle cannot hold it
 * open). After each read the connection claims the frame it is receiving from the ReceivePool
 * (queued.max.request.bytes); a refused claim stops reading until the pool grants it.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../io/clock.js';
import type { ByteStream } from '../io/net.js';
import { limits } from '../limits.js';
import type { Dispatcher, DispatchOutcome } from './dispatcher.js';
import type { RequestTiming } from '../metrics/request-metrics.js';
import { FrameSplitter } from '../protocol/frame.js';
import type { AuthOutcome, SaslAuthenticator } from '../security/authenticator.js';
import type { KafkaPrincipal } from '../security/principal.js';
import type { PoolMember, ReceivePool } from './receive-pool.js';

/** After an answer that ends the connection (a failed SASL exchange), the client gets this long to read it. */
const CLOSE_AFTER_RESPONSE_GRACE_MS = 5000;
const EMPTY = Buffer.alloc(0);

export class Connection implements PoolMember {
  private readonly frames: FrameSplitter;
  private nextSeq = 0;
  private nextSeqToSend = 0;
  private readonly ready = new Map<number, DispatchOutcome | AuthOutcome>();
  private paused = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];
  /** A SASL step in progress: no further frame is read until it is answered. */
  private authBusy = false;
  /** Muted for a quota throttle until the timer fires. */
  private muteTimer: Timer | null = null;
  private firstRequestDone = false;
  /** Set once a response carried a throttle: from then on requests are handled one at a time. */
  private serial = false;
  /** The first sequence number of the frames dispatched by the latest read, and how many of them are unanswered. */
  private batchFirstSeq = 0;
  private batchUnanswered = 0;
  /** Requests whose responses were handed to a full socket: their send ends at the next drain. */
  private sending: RequestTiming[] = [];
  /** Monotonic time of the last byte read or response written (connections.max.idle.ms). */
  private lastActivityMs: number;
  /** Monotonic time the frame now arriving began (meaningful while the splitter holds a partial frame). */
  private frameStartMs: number;
  /** Stopped reading because the receive pool is over its bound. */
  private poolPaused = false;
  /** Stopped reading for good (server shutdown). */
  private stopped = false;
  poolHeldBytes = 0;
  poolWantedBytes = 0;

  constructor(
    private readonly stream: ByteStream,
    /** The listener this connection came in on (Metadata answers with that listener's endpoints). */
    private readonly listenerName: string,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly requestSizeBytesMax: number,
    private readonly onClose: (c: Connection) => void,
    private readonly security: { principal: KafkaPrincipal; sasl: SaslAuthenticator | null },
    private readonly clock: Clock,
    private readonly pool: ReceivePool,
  ) {
    this.lastActivityMs = this.frameStartMs = clock.monotonicMs();
    const sasl = security.sasl;
    this.frames = new FrameSplitter(Math.min(requestSizeBytesMax, limits.firstRequestBytesMax, sasl ? sasl.receiveBytesMax : requestSizeBytesMax));
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
    if (chunk.length > 0) {
      const nowMs = this.clock.monotonicMs();
      this.lastActivityMs = nowMs;
      if (this.frames.buffered === 0) this.frameStartMs = nowMs;
      this.frames.push(chunk);
    }
    this.pump();
  }

  private get principal(): KafkaPrincipal {
    return this.security.sasl?.principal ?? this.security.principal;
  }

  /** Reads and dispatches the buffered frames, then reports what stays buffered to the receive pool. */
  private pump(): void {
    this.pumpFrames();
    if (this.closed) return;
    const claimBytes = this.frames.claimBytes();
    if (claimBytes === this.poolHeldBytes && !this.poolPaused) return;
    const mayRead = this.pool.request(this, claimBytes, this.frames.buffered);
    if (!mayRead && !this.poolPaused) {
      this.poolPaused = true;
      this.stream.pause();
    } else if (mayRead && this.poolPaused) {
      this.poolResume(); // released bytes of its own (a frame dispatched) while waiting
    }
  }

  /** The receive pool granted this connection's claim. */
  poolResume(): void {
    this.poolPaused = false;
    this.resumeReading();
  }

  /** Reads again unless something else holds the socket paused. */
  private resumeReading(): void {
    if (this.closed || this.stopped || this.paused || this.muteTimer !== null || this.poolPaused) return;
    this.stream.resume();
  }

  /**
   * Why this connection should be closed at `nowMs`, or null: a frame incomplete for
   * `receiveTimeoutMs` while the broker was reading it, or nothing read or written for `idleMs`
   * with no request in progress (negative = that check is off).
   */
  expiry(nowMs: number, idleMs: number, receiveTimeoutMs: number): string | null {
    if (this.closed) return null;
    const brokerHolds = this.paused || this.muteTimer !== null || this.authBusy;
    if (receiveTimeoutMs >= 0 && !brokerHolds && this.frames.hasPartialFrame() && nowMs - this.frameStartMs >= receiveTimeoutMs) {
      return `a request frame is incomplete ${nowMs - this.frameStartMs} ms after its first byte (${this.frames.buffered} bytes buffered; samsa.request.receive.timeout.ms=${receiveTimeoutMs})`;
    }
    if (idleMs >= 0 && !brokerHolds && this.inflight === 0 && nowMs - this.lastActivityMs >= idleMs) {
      return `idle for ${nowMs - this.lastActivityMs} ms (connections.max.idle.ms=${idleMs})`;
    }
    return null;
  }

  private pumpFrames(): void {
    const firstSeq = this.nextSeq;
    this.dispatchFrames();
    if (this.nextSeq > firstSeq) {
      this.batchFirstSeq = firstSeq;
      this.batchUnanswered = this.nextSeq - firstSeq; // answers come in later microtasks at the earliest
    }
  }

  private dispatchFrames(): void {
    while (!this.closed && !this.authBusy) {
      // A throttled connection takes one request at a time, as Kafka's channels do: the next one
      // waits for the answer (and the mute) of the previous, so a backlog cannot bypass the quota.
      if (this.serial && this.inflight > 0) break;
      const next = this.frames.next();
      if (next.kind === 'none') break;
      if (next.kind === 'tooLarge') {
        this.log.warn(
          { client: this.stream.remoteAddress, sizeBytes: next.sizeBytes },
          this.security.sasl !== null && !this.security.sasl.authenticated
            ? `closing connection: frame size ${next.sizeBytes} before SASL authentication is outside 0..sasl.server.max.receive.size (${this.security.sasl.receiveBytesMax})`
            : this.firstRequestDone
              ? `closing connection: request size ${next.sizeBytes} is outside 0..socket.request.max.bytes`
              : `closing connection: first request size ${next.sizeBytes} is outside 0..${limits.firstRequestBytesMax} (a first request is ApiVersions, Metadata or SASL)`,
        );
        this.close();
        return;
      }
      // Bytes left after this frame arrived by the last read at the latest: the next frame's clock.
      if (this.frames.buffered > 0) this.frameStartMs = this.lastActivityMs;
      const sasl = this.security.sasl;
      if (!this.firstRequestDone) {
        this.firstRequestDone = true;
        // Until SASL authentication completes, frames stay bounded by sasl.server.max.receive.size.
        this.frames.setFrameBytesMax(sasl !== null && !sasl.authenticated ? Math.min(this.requestSizeBytesMax, sasl.receiveBytesMax) : this.requestSizeBytesMax);
      }
      const seq = this.nextSeq++;
      const step = sasl?.handle(next.frame) ?? null;
      if (step !== null) {
        this.authBusy = true;
        step.then(
          (outcome) => {
            this.authBusy = false;
            if (sasl!.authenticated) this.frames.setFrameBytesMax(this.requestSizeBytesMax);
            this.complete(seq, outcome);
            this.pump();
          },
          (err: unknown) => {
            this.authBusy = false;
            this.log.error({ client: this.stream.remoteAddress, err }, 'SASL step failed (a broker bug); closing connection');
            this.complete(seq, { kind: 'close', reason: 'internal error' });
          },
        );
        continue;
      }
      this.dispatcher.dispatch(next.frame, this.stream.remoteAddress, this.listenerName, this.principal).then(
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

  private complete(seq: number, outcome: DispatchOutcome | AuthOutcome): void {
    if (this.closed) return;
    if (seq >= this.batchFirstSeq) this.batchUnanswered--;
    this.ready.set(seq, outcome);
    const out: Buffer[] = [];
    let timed: RequestTiming[] | null = null;
    let closeReason: string | null = null;
    let closeAfterResponse: string | null = null;
    let throttleMs = 0;
    while (this.ready.has(this.nextSeqToSend)) {
      const o = this.ready.get(this.nextSeqToSend)!;
      this.ready.delete(this.nextSeqToSend);
      this.nextSeqToSend++;
      if (o.kind !== 'close' && 'throttleMs' in o) throttleMs = Math.max(throttleMs, o.throttleMs ?? 0);
      if (o.kind === 'response') {
        out.push(...o.chunks);
        if ('timing' in o && o.timing) (timed ??= []).push(o.timing);
        if ('closeAfter' in o && o.closeAfter !== undefined) {
          closeAfterResponse = o.closeAfter;
          break;
        }
      } else if (o.kind === 'noResponse') {
        if (o.timing) this.dispatcher.completed(o.timing, this.dispatcher.nowMs());
      } else {
        closeReason = o.reason;
        break;
      }
    }
    if (out.length > 0) {
      this.lastActivityMs = this.clock.monotonicMs();
      const sendStartMs = timed ? this.dispatcher.nowMs() : 0;
      if (timed) for (const t of timed) t.sendStartMs = sendStartMs;
      // More answers to the same read are on their way in this turn: leave these for their write
      // (their send time is taken now; they leave within this turn).
      const soon = this.batchUnanswered > 0 && throttleMs === 0 && closeReason === null && closeAfterResponse === null && !this.serial;
      const flushed = soon ? this.stream.writeSoon(out) : this.stream.writev(out);
      if (timed) {
        if (flushed) for (const t of timed) this.dispatcher.completed(t, this.dispatcher.nowMs());
        else this.sending.push(...timed);
      }
    }
    if (closeAfterResponse !== null) {
      // The answer (e.g. SASL_AUTHENTICATION_FAILED) goes out first; the socket closes once the
      // client has read it and closed, or after a grace period.
      this.log.info({ client: this.stream.remoteAddress }, `closing connection after the response: ${closeAfterResponse}`);
      this.stream.end();
      const stream = this.stream;
      this.clock.setTimer(CLOSE_AFTER_RESPONSE_GRACE_MS, () => stream.destroy(), { unref: true });
      this.finish();
      return;
    }
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
      this.frameStartMs = this.clock.monotonicMs(); // the broker held the frame back, not the client
      this.resumeReading();
    }
    if (this.inflight === 0) this.wakeDrainWaiters();
  }

  /** Stops reading for `ms` (a quota throttle); a longer throttle arriving meanwhile extends it. */
  private mute(ms: number): void {
    if (this.closed) return;
    this.muteTimer?.cancel();
    this.stream.pause();
    this.muteTimer = this.clock.setTimer(ms, () => {
      this.muteTimer = null;
      if (this.closed) return;
      this.frameStartMs = this.clock.monotonicMs(); // the broker held the frame back, not the client
      this.resumeReading();
      this.onData(EMPTY); // frames that arrived before the mute and were left buffered
    });
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
    this.stopped = true;
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
    this.pool.remove(this);
    this.wakeDrainWaiters();
    this.onClose(this);
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
