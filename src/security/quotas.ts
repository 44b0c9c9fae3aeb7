/**
 * Client quotas, as Kafka enforces them (KIP-13, KIP-55, KIP-124, KIP-219, KIP-599):
 * - `producer_byte_rate`: bytes/s of Produce requests; `consumer_byte_rate`: bytes/s of Fetch
 *   responses (consumers only; followers are exempt); `request_percentage`: share of one request
 *   thread's time, in percent; `controller_mutation_rate`: partitions created or deleted per second
 *   (CreateTopics, CreatePartitions, DeleteTopics).
 * - Entities and precedence, first match wins per quota key (Kafka's order):
 *   users/<u>/clients/<c>, users/<u>/clients/<default>, users/<u>, users/<default>/clients/<c>,
 *   users/<default>/clients/<default>, users/<default>, clients/<c>, clients/<default>.
 *   The quota is shared by everything that matches the same entity: `users/alice` limits all of
 *   alice's clients together; `clients/<default>` gives each client id its own budget.
 * - Rates are measured over `quota.window.num` samples of `quota.window.size.seconds` (Kafka's
 *   defaults 11 x 1 s). A recording that takes the rate above the quota earns a throttle time
 *   (observed - quota) / quota x window, at most the whole window span: the response says so in
 *   throttle_time_ms and the connection is muted that long (KIP-219: answer first, then mute).
 *
 * The user of a quota is the principal's name (User:alice -> alice); the client id comes from the
 * request header. Owned by Broker; updated from SecurityStore.onChange.
 */
import type { Clock } from '../io/clock.js';
import { ANONYMOUS, type KafkaPrincipal } from './principal.js';
import { DEFAULT_ENTITY, sanitizeEntityName, type QuotaKey, type SecurityState } from './security-store.js';

/** A rate over sliding samples (Kafka's SampledStat Rate). */
export class RateMeter {
  readonly #starts: number[];
  readonly #values: number[];
  #current = 0;

  constructor(
    private readonly windowNum: number,
    private readonly windowSizeMs: number,
    nowMs: number,
  ) {
    this.#starts = new Array<number>(windowNum).fill(nowMs);
    this.#values = new Array<number>(windowNum).fill(0);
  }

  record(value: number, nowMs: number): void {
    this.#roll(nowMs);
    this.#values[this.#current]! += value;
  }

  /** Units per second over the window (at least windowNum - 1 full samples long, as Kafka). */
  rate(nowMs: number): number {
    this.#roll(nowMs);
    return (this.#values.reduce((a, b) => a + b, 0) * 1000) / this.windowMs(nowMs);
  }

  windowMs(nowMs: number): number {
    const oldest = Math.min(...this.#starts);
    let elapsed = Math.max(0, nowMs - oldest);
    const full = Math.floor(elapsed / this.windowSizeMs);
    if (full < this.windowNum - 1) elapsed += (this.windowNum - 1 - full) * this.windowSizeMs;
    return Math.max(elapsed, 1);
  }

  #roll(nowMs: number): void {
    if (nowMs - this.#starts[this.#current]! < this.windowSizeMs) return;
    // Expire samples older than the whole window, then open a new one.
    for (let i = 0; i < this.windowNum; i++) {
      if (nowMs - this.#starts[i]! >= this.windowNum * this.windowSizeMs) {
        this.#values[i] = 0;
        this.#starts[i] = nowMs;
      }
    }
    this.#current = (this.#current + 1) % this.windowNum;
    this.#values[this.#current] = 0;
    this.#starts[this.#current] = nowMs;
  }
}

/** Meters idle this long are dropped (Kafka expires quota sensors after an hour). */
const METER_IDLE_MS = 3_600_000;
const METERS_MAX = 100_000;

export class QuotaManager {
  #quotas: SecurityState['quotas'];
  #meters = new Map<string, { meter: RateMeter; lastMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly windowNum: number,
    private readonly windowSizeMs: number,
    state: SecurityState,
  ) {
    this.#quotas = state.quotas;
  }

  update(state: SecurityState): void {
    this.#quotas = state.quotas;
  }

  /** True when no quota of any kind is configured (the dispatcher then skips all recording). */
  get empty(): boolean {
    return this.#quotas.size === 0;
  }

  /** The quota in force for (user, client id), with the entity key it is shared under; null = unlimited. */
  quotaFor(key: QuotaKey, principal: KafkaPrincipal, clientId: string): { limit: number; entity: string } | null {
    if (this.#quotas.size === 0) return null;
    const user = sanitizeEntityName(principal.name);
    const client = sanitizeEntityName(clientId);
    const D = DEFAULT_ENTITY;
    const candidates: Array<[string, string]> = [
      [`users/${user}/clients/${client}`, `u=${user},c=${client}`],
      [`users/${user}/clients/${D}`, `u=${user},c=${client}`],
      [`users/${user}`, `u=${user}`],
      [`users/${D}/clients/${client}`, `u=${user},c=${client}`],
      [`users/${D}/clients/${D}`, `u=${user},c=${client}`],
      [`users/${D}`, `u=${user}`],
      [`clients/${client}`, `c=${client}`],
      [`clients/${D}`, `c=${client}`],
    ];
    for (const [path, entity] of candidates) {
      const v = this.#quotas.get(path)?.[key];
      if (v !== undefined) return { limit: v, entity };
    }
    return null;
  }

  /**
   * Records `value` against the quota `key` of (principal, clientId) and returns the throttle time
   * it earns in ms (0 when within the quota or when there is none).
   */
  record(key: QuotaKey, principal: KafkaPrincipal | undefined, clientId: string | null, value: number): number {
    const q = this.quotaFor(key, principal ?? ANONYMOUS, clientId ?? '');
    if (q === null) return 0;
    const nowMs = this.clock.monotonicMs();
    const id = `${key} ${q.entity}`;
    let m = this.#meters.get(id);
    if (m === undefined) {
      if (this.#meters.size >= METERS_MAX) this.#expire(nowMs);
      m = { meter: new RateMeter(this.windowNum, this.windowSizeMs, nowMs), lastMs: nowMs };
      this.#meters.set(id, m);
    }
    m.lastMs = nowMs;
    m.meter.record(value, nowMs);
    return this.#throttleMs(m.meter, q.limit, nowMs);
  }

  /** Throttle time the entity would get now without recording (Kafka checks mutation quotas before acting). */
  pendingThrottleMs(key: QuotaKey, principal: KafkaPrincipal | undefined, clientId: string | null): number {
    const q = this.quotaFor(key, principal ?? ANONYMOUS, clientId ?? '');
    if (q === null) return 0;
    const m = this.#meters.get(`${key} ${q.entity}`);
    return m === undefined ? 0 : this.#throttleMs(m.meter, q.limit, this.clock.monotonicMs());
  }

  #throttleMs(meter: RateMeter, limit: number, nowMs: number): number {
    const rate = meter.rate(nowMs);
    if (rate <= limit) return 0;
    const windowMs = meter.windowMs(nowMs);
    const ms = limit <= 0 ? windowMs : ((rate - limit) / limit) * windowMs;
    return Math.min(Math.round(ms), this.windowNum * this.windowSizeMs);
  }

  #expire(nowMs: number): void {
    for (const [id, m] of this.#meters) if (nowMs - m.lastMs > METER_IDLE_MS) this.#meters.delete(id);
    if (this.#meters.size >= METERS_MAX) this.#meters.clear(); // all busy: start over rather than grow
  }
}
