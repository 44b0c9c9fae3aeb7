/**
 * The controller mutation quota (KIP-599, client quota `controller_mutation_rate`: partitions
 * created or deleted per second) for CreateTopics, CreatePartitions and DeleteTopics, as Kafka
 * applies it per request:
 * - strict, for the versions whose clients know THROTTLING_QUOTA_EXCEEDED (CreateTopics v6+,
 *   CreatePartitions v3+, DeleteTopics v5+): a topic is refused with THROTTLING_QUOTA_EXCEEDED while
 *   the principal's rate is already over its quota; otherwise its partitions are recorded and it
 *   goes ahead (the topic that crosses the quota is still accepted, as in Kafka);
 * - permissive, for older versions: every topic goes ahead and is recorded.
 * Either way the response's throttle_time_ms is the time until the rate is back under the quota,
 * and the dispatcher mutes the connection that long (KIP-219). validateOnly requests are not
 * recorded. With no quota configured every call is a single check.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { RequestContext } from './handler.js';

export class MutationQuota {
  readonly #strict: boolean;
  #throttleMs = 0;

  constructor(
    private readonly ctx: RequestContext,
    strictFromVersion: number,
    private readonly validateOnly = false,
  ) {
    this.#strict = ctx.apiVersion >= strictFromVersion;
  }

  /** NONE when a mutation of `partitions` partitions may go ahead (it is then recorded), else THROTTLING_QUOTA_EXCEEDED. */
  admit(partitions: number): number {
    const quotas = this.ctx.broker.quotas;
    if (quotas === undefined || quotas.empty || this.validateOnly) return ErrorCode.NONE;
    const clientId = this.ctx.header.clientId;
    const pending = quotas.pendingThrottleMs('controller_mutation_rate', this.ctx.principal, clientId);
    if (this.#strict && pending > 0) {
      this.#throttleMs = Math.max(this.#throttleMs, pending);
      return ErrorCode.THROTTLING_QUOTA_EXCEEDED;
    }
    this.#throttleMs = Math.max(this.#throttleMs, quotas.record('controller_mutation_rate', this.ctx.principal, clientId, partitions));
    return ErrorCode.NONE;
  }

  /** The response's throttle_time_ms. */
  get throttleMs(): number {
    return this.#throttleMs;
  }
}

export const THROTTLED_MESSAGE = 'The controller mutation quota is exceeded (controller_mutation_rate); retry after throttle_time_ms.';
