/**
 * Produce: validates each partition's record batches (magic 2, CRC32C, sizes) and appends them
 * verbatim through ReplicaManager, which patches offsets in place. Partitions are independent:
 * one partition's failure sets only its own errorCode. acks=0 gets no response; acks=1 answers once
 * appended locally; acks=-1 (all) first needs an ISR of at least min.insync.replicas
 * (NOT_ENOUGH_REPLICAS, nothing appended), then waits in the delayed-produce purgatory until the
 * high watermark passes the batch (NONE), the ISR shrinks below min.insync.replicas
 * (NOT_ENOUGH_REPLICAS_AFTER_APPEND), this broker stops leading the partition
 * (NOT_LEADER_OR_FOLLOWER) or timeoutMs passes (REQUEST_TIMED_OUT). On a single node the leader is
 * the whole ISR, so acks=all answers at once. Topics whose compression.type is a codec other than
 * the producer's have their batches recompressed first.
 * Idempotent producers: the partition log checks sequence numbers (storage/producer-state.ts). A
 * retried batch already stored answers NONE with its original baseOffset and writes nothing; a
 * sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER and a stale epoch INVALID_PRODUCER_EPOCH
 * (codeForPartitionFailure in errors.ts).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { produceApi, type ProducePartitionResponse, type ProduceRequest, type ProduceResponse } from '../protocol/messages/produce.js';
import { validateRecordSet } from '../protocol/records/validate.js';
import { recompressRecordSet, targetCompression } from './compression-policy.js';
import { codeForPartitionFailure } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';

function failed(index: number, errorCode: number, errorMessage: string | null = null): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

async function producePartition(
  ctx: RequestContext,
  req: ProduceRequest,
  topic: string,
  index: number,
  records: Buffer | null,
): Promise<ProducePartitionResponse> {
  const info = ctx.image.topics.get(topic);
  if (!info || index < 0 || index >= info.partitions.length) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null || records.length === 0) return failed(index, ErrorCode.CORRUPT_MESSAGE, 'empty record set');
  const maxBatchBytes = Number(info.configs['max.message.bytes'] ?? ctx.broker.config.messageMaxBytes);
  const check = validateRecordSet(records, { maxBatchBytes });
  if (!check.ok) {
    ctx.log.warn({ topic, partition: index, detail: check.detail }, `rejected produce: ${check.error}`);
    const code =
      check.error === 'messageTooLarge'
        ? ErrorCode.MESSAGE_TOO_LARGE
        : check.error === 'unsupportedForMessageFormat'
          ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT
          : check.error === 'invalidRecord'
            ? ErrorCode.INVALID_RECORD
            : ErrorCode.CORRUPT_MESSAGE;
    return failed(index, code, check.detail);
  }
  let toAppend = records;
  const target = targetCompression(info.configs['compression.type'] ?? ctx.broker.config.compressionType);
  if (target !== null) {
    try {
      toAppend = await recompressRecordSet(records, target);
    } catch (err) {
      ctx.log.warn({ topic, partition: index, err: (err as Error).message }, 'rejected produce: batch could not be decompressed');
      return failed(index, ErrorCode.CORRUPT_MESSAGE, (err as Error).message);
    }
  }
  try {
    const r = await ctx.broker.replicas.appendAsLeader(topic, index, toAppend, { requiredAcks: req.acks });
    if (req.acks === -1) {
      const outcome = await ctx.broker.replicas.waitForCommit(topic, index, r.lastOffset, Math.max(0, req.timeoutMs));
      if (outcome !== 'committed') {
        const code =
          outcome === 'notLeader'
            ? ErrorCode.NOT_LEADER_OR_FOLLOWER
            : outcome === 'notEnoughReplicasAfterAppend'
              ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
              : ErrorCode.REQUEST_TIMED_OUT;
        ctx.log.info({ topic, partition: index, lastOffset: r.lastOffset, outcome }, 'acks=all produce not acknowledged');
        return failed(index, code, `acks=all: ${outcome}`);
      }
    }
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(r.baseOffset),
      logAppendTimeMs: BigInt(r.logAppendTimeMs),
      logStartOffset: BigInt(r.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  } catch (err) {
    const code = codeForPartitionFailure(err);
    ctx.log.warn({ topic, partition: index, err: (err as Error).message }, 'produce failed');
    return failed(index, code, (err as Error).message);
  }
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>(produceApi, async (ctx, req) => {
  const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const responses = await Promise.all(
    req.topicData.map(async (t) => ({
      name: t.name,
      partitionResponses: await Promise.all(
        t.partitionData.map((p) =>
          acksValid ? producePartition(ctx, req, t.name, p.index, p.records) : Promise.resolve(failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS)),
        ),
      ),
    })),
  );
  if (req.acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
});
