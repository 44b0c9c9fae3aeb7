/**
 * TransactionMetadata: one transactional id's state at its coordinator, and the state machine's
 * rules (Kafka's transitions, written from KIP-98's description):
 *
 *   Empty             ← Empty, CompleteCommit, CompleteAbort        (InitProducerId)
 *   Ongoing           ← Ongoing, Empty, CompleteCommit, CompleteAbort (AddPartitions/AddOffsets)
 *   PrepareCommit     ← Ongoing                                     (EndTxn commit)
 *   PrepareAbort      ← Ongoing, PrepareEpochFence                  (EndTxn abort, fencing, timeout)
 *   CompleteCommit    ← PrepareCommit                               (every marker written)
 *   CompleteAbort     ← PrepareAbort
 *   Dead              ← Empty, CompleteCommit, CompleteAbort        (transactional.id expired)
 *   PrepareEpochFence ← Ongoing                                     (Kafka's in-memory step before a fencing abort)
 *
 * Every change is two-phase, as the coordinator must write it to `__transaction_state` before it
 * holds: `prepareTransition(target)` checks the rule, marks the id busy (`pendingState`) and returns
 * the complete next state (`TxnTransit`); after the write `completeTransition(transit)` installs it,
 * or `abortTransition()` drops it when the write failed. While a change is pending, every other
 * request for the id answers CONCURRENT_TRANSACTIONS (the coordinator checks `pendingState`).
 *
 * We never write PrepareEpochFence: a fencing abort (InitProducerId meeting an ongoing transaction,
 * or its timeout) goes straight from Ongoing to PrepareAbort with the bumped epoch, which is the state
 * Kafka writes after its in-memory fence step. The state exists so records written by Kafka load.
 */
import assert from 'node:assert/strict';
import type { TxnState, TxnStateValue, TxnTopicPartitions } from './records.js';

/** Kafka's largest usable epoch is Short.MAX_VALUE - 1; at it a new producer id is allocated instead of a bump. */
export const PRODUCER_EPOCH_MAX = 32_766;

const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

export function isValidTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** The full state a transition leads to (what is written to the log). */
export interface TxnTransit extends TxnStateValue {
  /** In memory only: the epoch before the last bump (KIP-360 retries), -1 none. */
  lastProducerEpoch: number;
}

export class TransactionMetadata {
  producerId: bigint;
  producerEpoch: number;
  lastProducerEpoch = -1;
  transactionTimeoutMs: number;
  state: TxnState;
  /** topic → partitions in the transaction. */
  readonly partitions = new Map<string, Set<number>>();
  startTimestampMs: number;
  lastUpdateTimestampMs: number;
  /** The state being written, or null; other requests answer CONCURRENT_TRANSACTIONS meanwhile. */
  pendingState: TxnState | null = null;

  constructor(
    readonly transactionalId: string,
    value: TxnStateValue,
  ) {
    this.producerId = value.producerId;
    this.producerEpoch = value.producerEpoch;
    this.transactionTimeoutMs = value.transactionTimeoutMs;
    this.state = value.state;
    this.startTimestampMs = value.startTimestampMs;
    this.lastUpdateTimestampMs = value.lastUpdateTimestampMs;
    for (const t of value.partitions) this.partitions.set(t.topic, new Set(t.partitions));
  }

  get isProducerEpochExhausted(): boolean {
    return this.producerEpoch >= PRODUCER_EPOCH_MAX;
  }

  hasPartition(topic: string, partition: number): boolean {
    return this.partitions.get(topic)?.has(partition) ?? false;
  }

  /** The partitions as stored: topics and partitions sorted. */
  partitionList(): TxnTopicPartitions[] {
    return [...this.partitions]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, ps]) => ({ topic, partitions: [...ps].sort((x, y) => x - y) }));
  }

  /** The current state as a value (the starting point of every transit). */
  snapshot(): TxnTransit {
    return {
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      transactionTimeoutMs: this.transactionTimeoutMs,
      state: this.state,
      partitions: this.partitionList(),
      lastUpdateTimestampMs: this.lastUpdateTimestampMs,
      startTimestampMs: this.startTimestampMs,
    };
  }

  /**
   * Checks `changes.state` against the transition table, marks the id busy and returns the next
   * state. Throws (our bug) when a change is already pending or the transition is not allowed:
   * callers check both first and answer the client's error.
   */
  prepareTransition(changes: Partial<TxnTransit> & { state: TxnState }, nowMs: number): TxnTransit {
    assert.equal(this.pendingState, null, `${this.transactionalId}: a transition to ${this.pendingState} is already pending`);
    assert.ok(isValidTransition(this.state, changes.state), `${this.transactionalId}: ${this.state} → ${changes.state} is not a valid transition`);
    this.pendingState = changes.state;
    return { ...this.snapshot(), lastUpdateTimestampMs: nowMs, ...changes };
  }

  completeTransition(transit: TxnTransit): void {
    assert.equal(this.pendingState, transit.state, `${this.transactionalId}: completing ${transit.state} but ${this.pendingState} is pending`);
    this.pendingState = null;
    this.install(transit);
  }

  abortTransition(): void {
    this.pendingState = null;
  }

  private install(v: TxnTransit): void {
    this.producerId = v.producerId;
    this.producerEpoch = v.producerEpoch;
    this.lastProducerEpoch = v.lastProducerEpoch;
    this.transactionTimeoutMs = v.transactionTimeoutMs;
    this.state = v.state;
    this.startTimestampMs = v.startTimestampMs;
    this.lastUpdateTimestampMs = v.lastUpdateTimestampMs;
    this.partitions.clear();
    for (const t of v.partitions) this.partitions.set(t.topic, new Set(t.partitions));
  }
}

/** `existing` plus `added`, merged per topic and sorted. */
export function unionPartitions(existing: readonly TxnTopicPartitions[], added: readonly TxnTopicPartitions[]): TxnTopicPartitions[] {
  const byTopic = new Map<string, Set<number>>();
  for (const t of [...existing, ...added]) {
    let set = byTopic.get(t.topic);
    if (!set) byTopic.set(t.topic, (set = new Set()));
    for (const p of t.partitions) set.add(p);
  }
  return [...byTopic]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, ps]) => ({ topic, partitions: [...ps].sort((x, y) => x - y) }));
}
