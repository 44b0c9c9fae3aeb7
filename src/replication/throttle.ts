/**
 * Replication throttles (Kafka's replication quotas, KIP-73), used while partitions move between
 * brokers (kafka-reassign-partitions --throttle): a leader serves throttled follower replicas at most
 * `leader.replication.throttled.rate` bytes/s in total, and a follower fetches for its throttled
 * replicas at most `follower.replication.throttled.rate` bytes/s. Which replicas are throttled is
 * the topic config `leader.replication.throttled.replicas` / `follower.replication.throttled.replicas`:
 * a list of `partition:brokerId` (the broker that throttles: the leader, or the follower) or `*`.
 * A replica in the ISR is never throttled (Kafka's rule: only replicas catching up are slowed).
 *
 * The rate is measured as Kafka measures it: bytes in one-second buckets over a window of
 * `WINDOW_BUCKETS` buckets; the quota is exceeded while the window's average passes the rate. When
 * it is, the leader answers throttled partitions without data and the follower leaves them out of
 * its fetch, until the average falls back under the rate. Pure: time is passed in.
 */

/** Kafka's replication.quota.window.num (11 samples) of replication.quota.window.size.seconds (1 s). */
const WINDOW_BUCKETS = 11;
const BUCKET_MS = 1000;

export class ReplicationThrottle {
  readonly #bucketBytes = new Array<number>(WINDOW_BUCKETS).fill(0);
  #bucketStartMs = 0;
  #bucket = 0;
  #firstMs: number | null = null;

  constructor(private rateBytesPerSec: number) {}

  /** A new rate (dynamic config); Number.MAX_SAFE_INTEGER or more means unthrottled. */
  setRate(rateBytesPerSec: number): void {
    this.rateBytesPerSec = rateBytesPerSec;
  }

  get unlimited(): boolean {
    return this.rateBytesPerSec >= Number.MAX_SAFE_INTEGER;
  }

  record(bytes: number, nowMs: number): void {
    if (bytes <= 0) return;
    this.#advance(nowMs);
    this.#bucketBytes[this.#bucket]! += bytes;
  }

  /** True while the measured rate is above the quota. */
  exceeded(nowMs: number): boolean {
    if (this.unlimited) return false;
    this.#advance(nowMs);
    const total = this.#bucketBytes.reduce((a, b) => a + b, 0);
    // The window covers the time since the first sample, up to WINDOW_BUCKETS seconds (at least one).
    const spanMs = Math.min(WINDOW_BUCKETS * BUCKET_MS, Math.max(BUCKET_MS, nowMs - (this.#firstMs ?? nowMs)));
    return (total * 1000) / spanMs > this.rateBytesPerSec;
  }

  #advance(nowMs: number): void {
    if (this.#firstMs === null) {
      this.#firstMs = nowMs;
      this.#bucketStartMs = nowMs;
      return;
    }
    const steps = Math.floor((nowMs - this.#bucketStartMs) / BUCKET_MS);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, WINDOW_BUCKETS); i++) {
      this.#bucket = (this.#bucket + 1) % WINDOW_BUCKETS;
      this.#bucketBytes[this.#bucket] = 0;
    }
    this.#bucketStartMs += steps * BUCKET_MS;
  }
}

/**
 * Whether `partition` of a topic is throttled on broker `brokerId` according to a
 * `*.replication.throttled.replicas` value (`*`, or `partition:brokerId` entries; blank = none).
 */
export function isThrottledReplica(value: string | undefined, partition: number, brokerId: number): boolean {
  if (value === undefined) return false;
  const trimmed = value.trim();
  if (trimmed === '') return false;
  if (trimmed === '*') return true;
  for (const entry of trimmed.split(',')) {
    const [p, b] = entry.trim().split(':');
    if (Number(p) === partition && Number(b) === brokerId) return true;
  }
  return false;
}
