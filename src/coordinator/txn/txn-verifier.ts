/**
 * TxnVerifier (KIP-890 part 1): before a partition leader appends a transactional batch from a
 * producer that has no ongoing transaction on that partition, it asks the producer's transaction
 * coordinator whether the partition is part of the producer's ongoing transaction. Without this a
 * late or stray batch (a retry after its transaction was aborted, a zombie) would open a
 * transaction that no coordinator will ever end, and the partition's LSO would hang.
 *
 * The coordinator is the leader of the id's `__transaction_state` partition: this broker answers
 * in process, another broker through AddPartitionsToTxn v4 with verifyOnly. The answer is a
 * coordinator error code (NONE: part of the transaction; INVALID_TXN_STATE: not; PRODUCER_FENCED /
 * INVALID_PRODUCER_ID_MAPPING: wrong producer; NOT_COORDINATOR etc.: ask again later).
 */
import type { Logger } from 'pino';
import type { MetadataImage } from '../../cluster/metadata-image.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { addPartitionsToTxnApi, type AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn.js';
import type { BrokerChannels } from './broker-channels.js';
import { TXN_STATE_TOPIC, txnStatePartitionFor } from './records.js';
import type { TransactionCoordinator } from './transaction-coordinator.js';

const VERIFY_VERSION = 4;

export interface TxnVerifier {
  verify(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<number>;
}

export interface CoordinatorTxnVerifierOptions {
  brokerId: number;
  image(): MetadataImage;
  local: Pick<TransactionCoordinator, 'verifyPartitions'>;
  remote: Pick<BrokerChannels, 'request'>;
  log: Logger;
}

export class CoordinatorTxnVerifier implements TxnVerifier {
  constructor(private readonly opts: CoordinatorTxnVerifierOptions) {}

  async verify(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<number> {
    const image = this.opts.image();
    const stateTopic = image.topics.get(TXN_STATE_TOPIC);
    if (!stateTopic) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const leader = stateTopic.partitions[txnStatePartitionFor(transactionalId, stateTopic.partitions.length)]!.leader;
    if (leader < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const topics = [{ topic, partitions: [partition] }];
    if (leader === this.opts.brokerId) {
      return this.opts.local.verifyPartitions(transactionalId, producerId, producerEpoch, topics).get(topic)?.get(partition) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    let response: AddPartitionsToTxnResponse;
    try {
      response = await this.opts.remote.request<AddPartitionsToTxnResponse>(leader, addPartitionsToTxnApi, VERIFY_VERSION, {
        transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [{ name: topic, partitions: [partition] }] }],
      });
    } catch (err) {
      this.opts.log.info({ transactionalId, coordinator: leader, err: (err as Error).message }, 'transaction verification request failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    if (response.errorCode !== ErrorCode.NONE) return response.errorCode;
    const result = response.resultsByTransaction.find((r) => r.transactionalId === transactionalId);
    const code = result?.topicResults.find((t) => t.name === topic)?.resultsByPartition.find((p) => p.partitionIndex === partition)?.partitionErrorCode;
    return code ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
