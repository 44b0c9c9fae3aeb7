/**
 * The partition-leader side of WriteTxnMarkers: for every (marker, partition) the COMMIT/ABORT
 * control batch is appended as leader with acks=all (`appendControlAsLeader`, storage's contract),
 * and for a `__consumer_offsets` partition the group coordinator is then told that the
 * transaction's offsets are committed or dropped (`completeTransaction`). Used by the
 * WriteTxnMarkers handler and, in process, by this broker's own marker sender (no socket to itself).
 *
 * Both collaborators are interfaces so unit tests fake them; production passes ReplicaManager and
 * GroupCoordinator.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/messages/write-txn-markers.js';
import type { TxnMarker } from '../../storage/control-batch.js';
import { OFFSETS_TOPIC } from '../offsets/records.js';

/** A COMMIT or ABORT marker for one producer (storage's TxnMarker). */
export type TxnMarkerSpec = TxnMarker;

export interface ControlAppender {
  /** Resolves once the marker is committed (acks=all); rejects with the append's error. */
  appendControlAsLeader(topic: string, partition: number, marker: TxnMarkerSpec): Promise<unknown>;
}

export interface OffsetsTxnCompleter {
  completeTransaction(offsetsPartition: number, producerId: bigint, commit: boolean): void;
}

export interface LocalMarkerWriterDeps {
  appender: ControlAppender;
  groups: OffsetsTxnCompleter | null;
  /** Error code for a failed append (handlers/errors.ts codeForPartitionFailure). */
  codeFor(err: unknown): number;
  onError?(err: unknown, topic: string, partition: number): void;
}

export class LocalMarkerWriter {
  constructor(private readonly deps: LocalMarkerWriterDeps) {}

  /** Writes every marker of the request; per partition NONE or the failure's code. */
  async write(req: WriteTxnMarkersRequest): Promise<WriteTxnMarkersResponse> {
    const markers = await Promise.all(
      req.markers.map(async (m) => ({
        producerId: m.producerId,
        topics: await Promise.all(
          m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(
              t.partitionIndexes.map(async (partitionIndex) => ({
                partitionIndex,
                errorCode: await this.#one(t.name, partitionIndex, {
                  producerId: m.producerId,
                  producerEpoch: m.producerEpoch,
                  coordinatorEpoch: m.coordinatorEpoch,
                  commit: m.transactionResult,
                }),
              })),
            ),
          })),
        ),
      })),
    );
    return { markers };
  }

  async #one(topic: string, partition: number, marker: TxnMarkerSpec): Promise<number> {
    try {
      await this.deps.appender.appendControlAsLeader(topic, partition, marker);
    } catch (err) {
      this.deps.onError?.(err, topic, partition);
      return this.deps.codeFor(err);
    }
    if (topic === OFFSETS_TOPIC) this.deps.groups?.completeTransaction(partition, marker.producerId, marker.commit);
    return ErrorCode.NONE;
  }
}
