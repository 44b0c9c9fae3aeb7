/**
 * ReceivePool: one bound on the request bytes all client connections may hold — the role of
 * Kafka's queued.max.request.bytes memory pool, with its model: when a connection has read the
 * size prefix of a frame it claims the whole frame (4 + size bytes) from the pool, and gives the
 * claim back when the frame has been dispatched. A claim that does not fit is refused: the
 * connection stops reading (its socket is paused, TCP pushes back on the sender) and waits here,
 * in arrival order, until released bytes make room for it. A connection whose claim was granted
 * is never paused by the pool, so it can always finish its frame (no deadlock between holders);
 * its frame and idle timers keep running, so a stalled sender's claim is freed by
 * samsa.request.receive.timeout.ms / connections.max.idle.ms.
 * The claim of a connection with no readable size prefix yet is the bytes it buffers. Bytes a
 * connection has read before its claim is refused (at most one socket read) are real memory the
 * pool counts but did not grant: the overshoot is at most one read per open connection.
 */
import assert from 'node:assert/strict';

export interface PoolMember {
  /** Bytes this member's granted claim covers (maintained by the pool). */
  poolHeldBytes: number;
  /** The claim this member waits for while paused (maintained by the pool). */
  poolWantedBytes: number;
  /** Called when the member's claim was granted: it may read again. */
  poolResume(): void;
}

export class ReceivePool {
  #usedBytes = 0;
  /** Paused members in the order they were refused (a Set keeps insertion order). */
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
   * `m` now claims `claimBytes` and really buffers `bufferedBytes` (<= claimBytes). Returns true
   * when the claim is granted (or is no larger than what `m` already holds); false when `m` must
   * stop reading until poolResume().
   */
  request(m: PoolMember, claimBytes: number, bufferedBytes: number): boolean {
    assert.ok(bufferedBytes <= claimBytes, 'a claim covers the bytes already buffered');
    if (claimBytes <= m.poolHeldBytes || (this.first(m) && this.fits(m, claimBytes))) {
      this.#waiting.delete(m);
      m.poolWantedBytes = 0;
      const released = claimBytes < m.poolHeldBytes;
      this.hold(m, claimBytes);
      if (released) this.wake();
      return true;
    }
    this.hold(m, bufferedBytes);
    m.poolWantedBytes = claimBytes;
    this.#waiting.add(m);
    return false;
  }

  /** `m` is gone (closed): its bytes are free and it waits no longer. */
  remove(m: PoolMember): void {
    this.#waiting.delete(m);
    m.poolWantedBytes = 0;
    this.hold(m, 0);
    this.wake();
  }

  private hold(m: PoolMember, bytes: number): void {
    this.#usedBytes += bytes - m.poolHeldBytes;
    m.poolHeldBytes = bytes;
    assert.ok(this.#usedBytes >= 0, 'receive pool accounting went negative');
  }

  /** Nobody waits ahead of `m`. */
  private first(m: PoolMember): boolean {
    for (const w of this.#waiting) return w === m;
    return true;
  }

  /** `m`'s claim fits, or nothing else is held (one largest request always gets through). */
  private fits(m: PoolMember, claimBytes: number): boolean {
    const others = this.#usedBytes - m.poolHeldBytes;
    return others + claimBytes <= this.bytesMax || others === 0;
  }

  /** Grants waiting claims in arrival order while they fit. */
  private wake(): void {
    for (const m of this.#waiting) {
      if (!this.fits(m, m.poolWantedBytes)) break;
      this.#waiting.delete(m);
      this.hold(m, m.poolWantedBytes);
      m.poolWantedBytes = 0;
      m.poolResume();
    }
  }
}
