/**
 * ReceivePool: one bound on the bytes all client connections hold in received request frames that
 * are not yet dispatched (partial frames, and complete ones waiting behind a busy connection) —
 * the role of Kafka's queued.max.request.bytes memory pool. A connection reports what it holds
 * after each read; when the total is over the bound, a connection that holds bytes stops reading
 * (its socket is paused, TCP pushes back on the sender) and waits here. As held bytes are released
 * (frames dispatched, connections closed) waiting connections are resumed in arrival order, as many
 * as the free room allows: each resumed one reserves READ_AHEAD_BYTES (what one socket read may
 * bring) until it next reports, so a burst of wake-ups cannot overshoot the bound.
 * Bytes read before a pause takes effect (at most one socket read per connection) may overshoot
 * the bound; the waiting connections' frame and idle timers keep running, so memory held by a
 * stalled sender is freed by samsa.request.receive.timeout.ms / connections.max.idle.ms.
 */
import assert from 'node:assert/strict';

export interface PoolMember {
  /** Bytes this member holds as last reported (maintained by the pool). */
  poolHeldBytes: number;
  /** Room reserved for this member's next read after a wake-up (maintained by the pool). */
  poolReservedBytes: number;
  /** Called when the member may read again. */
  poolResume(): void;
}

/** One socket read brings at most this much (node reads 64 KiB at a time). */
const READ_AHEAD_BYTES = 64 * 1024;

export class ReceivePool {
  #usedBytes = 0;
  #reservedBytes = 0;
  /** Paused members in the order they stopped (a Set keeps insertion order). */
  readonly #waiting = new Set<PoolMember>();

  constructor(readonly bytesMax: number) {
    assert.ok(bytesMax > 0, 'the receive pool needs a positive bound');
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  get waitingCount(): number {
    return this.#waiting.size;
  }

  /**
   * Records that `m` now holds `heldBytes`. Returns false when `m` must stop reading (the pool is
   * over its bound and `m` holds some of it); `m` is then resumed through poolResume().
   */
  update(m: PoolMember, heldBytes: number): boolean {
    this.#usedBytes += heldBytes - m.poolHeldBytes;
    m.poolHeldBytes = heldBytes;
    this.#reservedBytes -= m.poolReservedBytes;
    m.poolReservedBytes = 0;
    assert.ok(this.#usedBytes >= 0 && this.#reservedBytes >= 0, 'receive pool accounting went negative');
    if (heldBytes > 0 && this.#usedBytes > this.bytesMax) {
      this.#waiting.add(m);
      return false;
    }
    this.#waiting.delete(m);
    if (this.#waiting.size > 0) this.wake();
    return true;
  }

  /** `m` is gone (closed): its bytes are free and it waits no longer. */
  remove(m: PoolMember): void {
    this.#waiting.delete(m);
    this.update(m, 0);
  }

  private wake(): void {
    for (const m of this.#waiting) {
      if (this.bytesMax - this.#usedBytes - this.#reservedBytes <= 0) break;
      this.#waiting.delete(m);
      m.poolReservedBytes = READ_AHEAD_BYTES;
      this.#reservedBytes += READ_AHEAD_BYTES;
      m.poolResume();
    }
  }
}
