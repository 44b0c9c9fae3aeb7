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
 * Legacy clients: Produce v0-2 may carry magic 0/1 message sets, which are up-converted into one v2
 * batch (protocol/records/legacy.ts: CRC-32 of every message checked, keys, values, timestamps and
 * codec kept); v3+ must carry magic 2, as in Kafka (INVALID_RECORD otherwise). The v2 path pays
 * nothing for this: the validator's magic check sends only magic 0/1 sets to the converter.
 * Compacted topics (cleanup.policy includes compact) refuse records without a key: INVALID_RECORD,
 * nothing stored, one recordErrors entry per such record (v8+), Kafka's wording.
 * Idempotent producers: the partition log checks sequence numbers (storage/producer-state.ts). A
 * retried batch already stored answers NONE with its original baseOffset and writes nothing; a
 * sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER and a stale epoch INVALID_PRODUCER_EPOCH
 * (codeForPartitionFailure in errors.ts). A control batch (transaction marker) from a client is INVALID_RECORD.
 * Transactions (KIP-890 part 1): a transactional batch from a producer with no ongoing transaction
 * on the partition is appended only if the producer's transaction coordinator confirms the
 * partition is part of its ongoing transaction (BrokerContext.txnVerifier; in process or
 * AddPartitionsToTxn v4 verifyOnly). Not part of it: INVALID_TXN_STATE, nothing stored. The
 * coordinator busy or unreachable (CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_*):
 * NOT_ENOUGH_REPLICAS, which every producer retries without a metadata refresh (Kafka's choice for
 * clients that predate these errors); a fenced producer: INVALID_PRODUCER_EPOCH.
 * Order: Kafka handles a connection's requests one at a time, so pipelined Produce requests
 * (librdkafka keeps many in flight, kafka-python up to 5) are appended in the order they were sent.
 * Our connections overlap requests, and the work before an append takes variable time (up-conversion,
 * recompression and the compacted-topic key check run codecs on the thread pool), so appends are
 * issued in arrival order per connection and partition (AppendTurns).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { produceApi, type ProducePartitionResponse, type ProduceRequest, type ProduceResponse } from '../protocol/messages/produce.js';
import { batch, BATCH_HEADER_BYTES } from '../protocol/records/batch.js';
import { keylessRecordIndexes } from '../protocol/records/builder.js';
import { upConvertLegacyRecordSet } from '../protocol/records/legacy.js';
import { RecordBatchError, validateRecordSet, type RecordSetErrorKind } from '../protocol/records/validate.js';
import { CompressionError } from '../protocol/records/compression.js';
import { recompressRecordSet, targetCompression } from './compression-policy.js';
import { codeForPartitionFailure } from './errors.js';
import { asRemote, defineHandler, type BrokerContext, type RequestContext } from './handler.js';
import { allowed, deniedNames, Op, Res } from './authz.js';

type RecordError = ProducePartitionResponse['recordErrors'][number];

/**
 * Turns per connection and partition, taken when a request arrives (synchronously, in arrival
 * order): a turn calls the append only after the earlier turns of its key have called theirs or
 * given up. A turn ends as soon as its append is issued, not when it completes: replicas.appendAsLeader
 * hands one partition's appends to the log in call order, so a pipeline's appends still join one
 * gathered write (storage/partition-log.ts). A key's entry lives while it has unfinished turns.
 */
class AppendTurns {
  readonly #tails = new Map<string, Promise<void>>();

  /** No turn of any key is unfinished: an append issued now cannot overtake an earlier one. */
  get idle(): boolean {
    return this.#tails.size === 0;
  }

  /** `ready` resolves when the earlier turns of `key` have ended; call `end` exactly once. */
  take(key: string): { ready: Promise<void>; end: () => void } {
    const previous = this.#tails.get(key);
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const tail = previous === undefined ? ended : previous.then(() => ended);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return { ready: previous ?? Promise.resolve(), end };
  }
}

const appendTurns = new WeakMap<BrokerContext, AppendTurns>();

/** A turn's key: one connection's appends to one partition. */
function turnKey(ctx: RequestContext, topic: string, index: number): string {
  return `${ctx.clientAddress} ${topic} ${index}`;
}

function turnsOf(broker: BrokerContext): AppendTurns {
  let turns = appendTurns.get(broker);
  if (turns === undefined) {
    turns = new AppendTurns();
    appendTurns.set(broker, turns);
  }
  return turns;
}

function failed(index: number, errorCode: number, errorMessage: string | null = null, recordErrors: RecordError[] = []): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors, errorMessage };
}

function codeForRecordSetError(kind: RecordSetErrorKind): number {
  switch (kind) {
    case 'messageTooLarge':
      return ErrorCode.MESSAGE_TOO_LARGE;
    case 'unsupportedForMessageFormat':
      return ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT;
    case 'invalidRecord':
      return ErrorCode.INVALID_RECORD;
    case 'corruptMessage':
      return ErrorCode.CORRUPT_MESSAGE;
  }
}

/** The record set to append (v2 batches), or the partition's refusal; `keyless` when already known. */
type Prepared = { ok: true; records: Buffer; keyless: number[] | null } | { ok: false; response: ProducePartitionResponse };

/**
 * Validates a partition's records and brings them into the stored form: v2 batches pass as they
 * are (recompressed only when the topic's compression.type names another codec); magic 0/1
 * message sets (Produce v0-2 only, as in Kafka) are up-converted into one v2 batch (legacy.ts).
 */
function prepareRecords(ctx: RequestContext, topic: string, index: number, records: Buffer, configs: Readonly<Record<string, string>>): Prepared | Promise<Prepared> {
  const maxBatchBytes = Number(configs['max.message.bytes'] ?? ctx.broker.config.messageMaxBytes);
  const target = targetCompression(configs['compression.type'] ?? ctx.broker.config.compressionType);
  const refuse = (code: number, detail: string, what: string): Prepared => {
    ctx.log.warn({ topic, partition: index, detail }, `rejected produce: ${what}`);
    return { ok: false, response: failed(index, code, detail) };
  };
  const check = validateRecordSet(records, { maxBatchBytes });
  if (!check.ok && check.error === 'unsupportedForMessageFormat') {
    if (ctx.apiVersion >= 3) {
      // Kafka's ProduceRequest rule: v3+ carries exactly one record batch of magic 2.
      const detail = `Produce requests with version ${ctx.apiVersion} are only allowed to contain record batches with magic version 2`;
      return refuse(ErrorCode.INVALID_RECORD, detail, 'magic 0/1 message set');
    }
    return upConvertLegacyRecordSet(records, { maxBatchBytes, targetCompression: target }).then(
      (converted): Prepared => ({ ok: true, records: converted.batch, keyless: converted.keyless }),
      (err: unknown) => {
        // Expected for bad client bytes: the legacy codec throws only RecordBatchError.
        if (!(err instanceof RecordBatchError)) throw err;
        return refuse(codeForRecordSetError(err.kind), err.detail, `legacy message set: ${err.kind}`);
      },
    );
  }
  if (!check.ok) return refuse(codeForRecordSetError(check.error), check.detail, check.error);
  // Control batches (transaction markers) come only from the transaction coordinator, never from a Produce.
  if (check.hasControlBatch) return refuse(ErrorCode.INVALID_RECORD, 'control batches are written by the broker, not produced by clients', 'control batch');
  if (target === null) return { ok: true, records, keyless: null };
  return recompressRecordSet(records, target).then(
    (recompressed): Prepared => ({ ok: true, records: recompressed, keyless: null }),
    (err: unknown) => {
      // Expected for bad client payloads: recompression fails only with these two.
      if (!(err instanceof CompressionError) && !(err instanceof RecordBatchError)) throw err;
      return refuse(ErrorCode.CORRUPT_MESSAGE, err.message, 'batch could not be decompressed');
    },
  );
}

/**
 * Kafka's compacted-topic rule: a record without a key is refused (INVALID_RECORD, nothing of the
 * partition's request stored), each such record listed in recordErrors (Produce v8+) under Kafka's
 * wording. Null when every record has a key.
 */
function keylessRefusal(topic: string, index: number, keyless: readonly number[]): ProducePartitionResponse | null {
  if (keyless.length === 0) return null;
  const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${index}`;
  const recordErrors = keyless.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: message }));
  const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${message}')`);
  const summary =
    `One or more records have been rejected due to ${recordErrors.length} record errors in total, ` +
    `and only showing the first three errors at most: [${shown.join(', ')}]`;
  return failed(index, ErrorCode.INVALID_RECORD, summary, recordErrors);
}

/**
 * One partition's answer. The common case (v2 batches stored as sent, no compacted topic, no
 * transaction to verify, no earlier append of anyone still being prepared) issues the append at
 * once, with no turn and no await before it; anything else takes its turn first, synchronously,
 * so that appends keep arrival order (AppendTurns).
 */
function producePartition(
  ctx: RequestContext,
  req: ProduceRequest,
  topic: string,
  index: number,
  records: Buffer | null,
): ProducePartitionResponse | Promise<ProducePartitionResponse> {
  const info = ctx.image.topics.get(topic);
  if (!info || index < 0 || index >= info.partitions.length) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null || records.length === 0) return failed(index, ErrorCode.CORRUPT_MESSAGE, 'empty record set');
  const turns = turnsOf(ctx.broker);
  // Before the first await: turns are taken in the order the requests arrived.
  const turn = turns.idle ? null : turns.take(turnKey(ctx, topic, index));
  const prepared = prepareRecords(ctx, topic, index, records, info.configs);
  if (turn === null && !(prepared instanceof Promise) && (!prepared.ok || (!isCompacted(ctx, info.configs) && !needsTxnVerification(ctx, req, prepared.records)))) {
    if (!prepared.ok) return prepared.response;
    return appended(ctx, req, topic, index, prepared.records, null);
  }
  const t = turn ?? turns.take(turnKey(ctx, topic, index));
  return preparedAndAppended(ctx, req, topic, index, prepared, info.configs, t).finally(() => t.end()); // end: a no-op once the append ended it
}

async function preparedAndAppended(
  ctx: RequestContext,
  req: ProduceRequest,
  topic: string,
  index: number,
  preparing: Prepared | Promise<Prepared>,
  configs: Readonly<Record<string, string>>,
  turn: { ready: Promise<void>; end: () => void },
): Promise<ProducePartitionResponse> {
  const prepared = await preparing;
  if (!prepared.ok) return prepared.response;
  const toAppend = prepared.records;
  if (isCompacted(ctx, configs)) {
    let keyless = prepared.keyless;
    if (keyless === null) {
      try {
        keyless = await keylessRecordIndexes(toAppend);
      } catch (err) {
        // Expected for a compressed batch whose payload does not decode (validation is shallow).
        if (err instanceof RecordBatchError) return failed(index, codeForRecordSetError(err.kind), err.detail);
        if (err instanceof CompressionError) return failed(index, ErrorCode.INVALID_RECORD, err.message);
        throw err;
      }
    }
    const refusal = keylessRefusal(topic, index, keyless);
    if (refusal !== null) {
      ctx.log.warn({ topic, partition: index, keyless: refusal.recordErrors.length }, 'rejected produce: records without a key on a compacted topic');
      return refusal;
    }
  }
  const verifyRefusal = needsTxnVerification(ctx, req, toAppend) ? await verifyTransactional(ctx, req, topic, index, toAppend) : null;
  if (verifyRefusal !== null) return verifyRefusal;
  await turn.ready;
  return appended(ctx, req, topic, index, toAppend, turn);
}

/** Issues the append (ending `turn` as soon as it is issued), then answers once it is stored (and, for acks=all, committed). */
async function appended(ctx: RequestContext, req: ProduceRequest, topic: string, index: number, toAppend: Buffer, turn: { end: () => void } | null): Promise<ProducePartitionResponse> {
  try {
    const appending = ctx.broker.replicas.appendAsLeader(topic, index, toAppend, { requiredAcks: req.acks });
    turn?.end();
    const r = await appending;
    ctx.broker.metrics?.recordProduced(topic, toAppend.length, r.lastOffset - r.baseOffset + 1);
    if (req.acks === -1) {
      const outcome = await asRemote(ctx, ctx.broker.replicas.waitForCommit(topic, index, r.lastOffset, Math.max(0, req.timeoutMs)));
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

/** Compacted topic (cleanup.policy includes compact; the topic's value or the broker default), parsed once per distinct value. */
function isCompacted(ctx: RequestContext, configs: Readonly<Record<string, string>>): boolean {
  const raw = configs['cleanup.policy'];
  if (raw === undefined) return ctx.broker.config.logCleanupPolicy.includes('compact');
  let compacted = compactedPolicies.get(raw);
  if (compacted === undefined) {
    compacted = raw.split(',').some((p) => p.trim() === 'compact');
    if (compactedPolicies.size < 64) compactedPolicies.set(raw, compacted);
  }
  return compacted;
}
const compactedPolicies = new Map<string, boolean>();

/**
 * Authorization (Kafka's): a transactional produce needs Write on its transactional id (else every
 * partition answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED); each topic needs Write (else its
 * partitions answer TOPIC_AUTHORIZATION_FAILED). Idempotent producers were authorized by
 * InitProducerId (IdempotentWrite on the cluster, or Write on a topic), as in Kafka 3.x.
 * Returns the code to answer a partition of `topic` with, or NONE.
 */
function authorizeProduce(ctx: RequestContext, req: ProduceRequest): (topic: string) => number {
  if (ctx.broker.authorizer === undefined) return () => ErrorCode.NONE;
  if (req.transactionalId && !allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  const denied = deniedNames(ctx, Op.WRITE, Res.TOPIC, req.topicData.map((t) => t.name));
  return (topic) => (denied.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NONE);
}

/**
 * KIP-890 part 1: null when the batch may be appended (not transactional, or the producer already
 * has a transaction open on this partition, or the coordinator confirmed the partition), else the
 * partition's refusal.
 */
function needsTxnVerification(ctx: RequestContext, req: ProduceRequest, records: Buffer): boolean {
  return ctx.broker.txnVerifier !== undefined && req.transactionalId !== null && records.length >= BATCH_HEADER_BYTES && batch.isTransactional(records);
}

async function verifyTransactional(ctx: RequestContext, req: ProduceRequest, topic: string, index: number, records: Buffer): Promise<ProducePartitionResponse | null> {
  const verifier = ctx.broker.txnVerifier;
  // The caller checked needsTxnVerification; this only narrows the types.
  if (verifier === undefined || req.transactionalId === null) return null;
  const producerId = batch.producerId(records);
  const producerEpoch = batch.producerEpoch(records);
  let ongoing: number | null;
  try {
    ongoing = ctx.broker.replicas.leaderLog(topic, index).ongoingTxnFirstOffset(producerId);
  } catch (err) {
    return failed(index, codeForPartitionFailure(err), (err as Error).message);
  }
  if (ongoing !== null) return null;
  const code = await verifier.verify(req.transactionalId, producerId, producerEpoch, topic, index);
  if (code === ErrorCode.NONE) return null;
  const answer = produceCodeForVerification(code);
  ctx.log.info({ topic, partition: index, transactionalId: req.transactionalId, producerId: producerId.toString(), coordinatorError: code, errorCode: answer }, 'transactional batch not verified');
  return failed(index, answer, answer === ErrorCode.INVALID_TXN_STATE ? 'Partition was not added to the transaction' : `Unable to verify the partition has been added to the transaction (coordinator error ${code})`);
}

function produceCodeForVerification(code: number): number {
  switch (code) {
    case ErrorCode.INVALID_TXN_STATE:
    case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
      return ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_PRODUCER_EPOCH:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    default:
      // CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE / LOAD_IN_PROGRESS, unreachable.
      return ErrorCode.NOT_ENOUGH_REPLICAS;
  }
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>(produceApi, async (ctx, req) => {
  const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const refusal = authorizeProduce(ctx, req);
  const responses = await Promise.all(
    req.topicData.map(async (t) => {
      const denied = refusal(t.name);
      return {
        name: t.name,
        partitionResponses: await Promise.all(
          t.partitionData.map(async (p) => {
            const r = !acksValid
              ? failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS)
              : denied !== ErrorCode.NONE
                ? failed(p.index, denied)
                : await producePartition(ctx, req, t.name, p.index, p.records);
            // Per-topic counts only for topics that exist: unknown names would grow the map.
            if (ctx.image.topics.has(t.name)) ctx.broker.metrics?.recordProduceRequest(t.name, r.errorCode !== ErrorCode.NONE);
            return r;
          }),
        ),
      };
    }),
  );
  if (req.acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
});
