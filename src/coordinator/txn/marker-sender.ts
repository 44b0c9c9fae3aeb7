/**
 * TxnMarkerSender: completes a transaction in PrepareCommit/PrepareAbort by writing its COMMIT or
 * ABORT marker to every partition in it, then reports back so the coordinator writes
 * CompleteCommit/CompleteAbort.
 *
 * Each send is a bounded-backoff loop over the partitions still unmarked: group them by their
 * current leader in the metadata image (so a leader move is followed on the next round), send one
 * WriteTxnMarkers per leader — in process when this broker leads (LocalMarkerWriter), else over the
 * inter-broker client — and drop the partitions answered NONE. Retriable answers (not leader, no
 * leader yet, timeouts, unreachable broker, not enough replicas) are retried with backoff
 * (100 ms doubling to 1 s) for as long as the coordinator owns the transaction. A partition whose
 * topic is gone from the image is dropped (Kafka does the same: nothing is left to mark). A fencing
 * answer (TRANSACTION_COORDINATOR_FENCED, INVALID_PRODUCER_EPOCH) means this coordinator is stale:
 * sending stops and the transaction stays in Prepare* for the new coordinator, which resumes it
 * when it loads the partition.
 *
 * Sends stop when `owned()` turns false (the coordinator lost the `__transaction_state` partition).
 */
import type { Logger } from 'pino';
import type { MetadataImage } from '../../cluster/metadata-image.js';
import { sleepOn, type Clock } from '../../io/clock.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { writeTxnMarkersApi, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../../protocol/messages/write-txn-markers.js';
import type { BrokerChannels } from './broker-channels.js';
import type { LocalMarkerWriter } from './marker-writer.js';
import type { TxnTopicPartitions } from './records.js';

const BACKOFF_MS_MIN = 100;
const BACKOFF_MS_MAX = 1_000;
/** WriteTxnMarkers version spoken to other brokers (v1 is the flexible one; every Samsa broker serves both). */
const WRITE_TXN_MARKERS_VERSION = 1;

export interface MarkerJob {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  partitions: TxnTopicPartitions[];
}

export type MarkerOutcome = 'written' | 'fenced' | 'stopped';

export interface TxnMarkerSenderOptions {
  brokerId: number;
  clock: Clock;
  image(): MetadataImage;
  local: LocalMarkerWriter;
  remote: Pick<BrokerChannels, 'request'>;
  log: Logger;
}

const FENCING = new Set<number>([ErrorCode.TRANSACTION_COORDINATOR_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);

export class TxnMarkerSender {
  #stopped = false;

  constructor(private readonly opts: TxnMarkerSenderOptions) {}

  stop(): void {
    this.#stopped = true;
  }

  /** Writes every marker of `job`; resolves 'written' when all are, 'fenced' or 'stopped' otherwise. */
  async send(job: MarkerJob, owned: () => boolean): Promise<MarkerOutcome> {
    const pending = new Map<string, { topic: string; partition: number }>();
    for (const t of job.partitions) for (const p of t.partitions) pending.set(`${t.topic}\u0000${p}`, { topic: t.topic, partition: p });
    let backoffMs = BACKOFF_MS_MIN;
    let round = 0;
    while (pending.size > 0) {
      if (this.#stopped || !owned()) return 'stopped';
      round++;
      const image = this.opts.image();
      const byLeader = new Map<number, Array<{ topic: string; partition: number }>>();
      for (const [key, tp] of pending) {
        const topic = image.topics.get(tp.topic);
        if (!topic || tp.partition >= topic.partitions.length) {
          this.opts.log.warn({ transactionalId: job.transactionalId, topic: tp.topic, partition: tp.partition }, 'topic of a transaction partition is gone; no marker to write');
          pending.delete(key);
          continue;
        }
        const leader = topic.partitions[tp.partition]!.leader;
        if (leader < 0) continue; // no leader now: next round
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(tp);
      }
      const results = await Promise.all([...byLeader].map(([leader, tps]) => this.#sendTo(leader, job, tps)));
      let fenced = false;
      for (const answered of results) {
        for (const r of answered) {
          if (r.errorCode === ErrorCode.NONE) pending.delete(`${r.topic}\u0000${r.partition}`);
          else if (FENCING.has(r.errorCode)) fenced = true;
        }
      }
      if (fenced) {
        this.opts.log.warn({ transactionalId: job.transactionalId, coordinatorEpoch: job.coordinatorEpoch }, 'a partition leader fenced our markers; leaving the transaction to the newer coordinator');
        return 'fenced';
      }
      if (pending.size === 0) break;
      if (round % 10 === 0) {
        this.opts.log.info({ transactionalId: job.transactionalId, pending: [...pending.values()], round }, 'still writing transaction markers');
      }
      await sleepOn(this.opts.clock, backoffMs);
      backoffMs = Math.min(backoffMs * 2, BACKOFF_MS_MAX);
    }
    return this.#stopped || !owned() ? 'stopped' : 'written';
  }

  async #sendTo(leader: number, job: MarkerJob, tps: Array<{ topic: string; partition: number }>): Promise<Array<{ topic: string; partition: number; errorCode: number }>> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) {
      let list = byTopic.get(tp.topic);
      if (!list) byTopic.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    const request: WriteTxnMarkersRequest = {
      markers: [
        {
          producerId: job.producerId,
          producerEpoch: job.producerEpoch,
          transactionResult: job.commit,
          coordinatorEpoch: job.coordinatorEpoch,
          topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        },
      ],
    };
    let response: WriteTxnMarkersResponse;
    try {
      response =
        leader === this.opts.brokerId
          ? await this.opts.local.write(request)
          : await this.opts.remote.request<WriteTxnMarkersResponse>(leader, writeTxnMarkersApi, WRITE_TXN_MARKERS_VERSION, request as unknown as Record<string, unknown>);
    } catch (err) {
      this.opts.log.info({ transactionalId: job.transactionalId, leader, err: (err as Error).message }, 'WriteTxnMarkers failed; retrying');
      return [];
    }
    const out: Array<{ topic: string; partition: number; errorCode: number }> = [];
    for (const m of response.markers) {
      for (const t of m.topics) for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode });
    }
    const failed = out.filter((r) => r.errorCode !== ErrorCode.NONE);
    if (failed.length > 0) this.opts.log.debug({ transactionalId: job.transactionalId, leader, failed }, 'some markers not written yet');
    return out;
  }
}
