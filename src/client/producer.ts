/**
 * Producer: accumulates records into per-partition record batches and sends them to each
 * partition's leader, several requests in flight per broker. Lifecycle: create over a KafkaClient,
 * send() any number of records, flush() to wait for everything so far, close() to flush and release.
 *
 * - Partitioning as Kafka's default partitioner: an explicit partition wins; a keyed record goes to
 *   murmur2(key) % partitions; records without a key stick to one partition until its batch is sent,
 *   then move on (the "sticky" partitioner), so keyless traffic fills whole batches.
 * - Batching: a batch is sent when it reaches batchSizeBytes or has waited lingerMs, or on flush().
 *   Each record's bytes are written straight into the batch buffer; the only per-record allocation
 *   is the delivery report, and only when the caller passed a callback.
 * - Sending: one Produce request per broker carries at most one batch per partition; up to
 *   maxInFlightPerBroker requests per broker are pipelined, written in creation order.
 * - Errors: retriable errors (leader moved, not available, timeouts, lost connections) refresh
 *   metadata and retry the batch after retryBackoffMs until deliveryTimeoutMs; anything else fails
 *   the batch's records with a KafkaError carrying the broker's code and message.
 * - Backpressure: send() returns false once more than bufferMemoryBytes are waiting; await
 *   waitForCapacity() before sending more.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { produceApi, type ProduceResponse } from '../protocol/messages/produce.js';
import type { KafkaClient } from './client.js';
import { ConnectionError, KafkaError, needsMetadataRefresh, TimeoutError } from './errors.js';
import { partitionForKey } from './murmur2.js';
import { codecId, recordSize, RecordBatchBuilder, type Bytes, type RecordHeader } from './records.js';

export interface ProducerOptions {
  /** -1 (all), 0 or 1. Default -1. */
  acks?: number;
  /** Default 5 ms. */
  lingerMs?: number;
  /** Default 16384. */
  batchSizeBytes?: number;
  /** Codec id or Kafka name (none, gzip, snappy, lz4, zstd). Default none. */
  compression?: number | string;
  compressionLevel?: number;
  /** Default 5. */
  maxInFlightPerBroker?: number;
  /** Produce request timeoutMs (how long the broker may wait for acks). Default 30000. */
  requestTimeoutMs?: number;
  /** Give up on a record this long after send(). Default 120000. */
  deliveryTimeoutMs?: number;
  /** Retries per batch (bounded by deliveryTimeoutMs too). Default unlimited. */
  retries?: number;
  retryBackoffMs?: number;
  /** How long to wait for a topic to appear in metadata. Default 60000. */
  maxBlockMs?: number;
  /** Default 32 MiB. */
  bufferMemoryBytes?: number;
  /** Largest single record (Kafka max.request.size). Default 1048576. */
  maxRequestSizeBytes?: number;
  /** Ask the broker to create unknown topics (it still needs auto.create.topics.enable). Default true. */
  allowAutoTopicCreation?: boolean;
  /** Called with a line of text for conditions worth telling a user about (e.g. waiting for a topic). */
  onWarning?: (message: string) => void;
}

export interface ProducerRecord {
  topic: string;
  value: Bytes;
  key?: Bytes;
  partition?: number;
  headers?: RecordHeader[];
  timestampMs?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0. */
  offset: number;
  timestampMs: number;
}

export type DeliveryCallback = (err: Error | null, meta: RecordMetadata | null) => void;

interface Batch {
  topic: string;
  partition: number;
  builder: RecordBatchBuilder;
  callbacks: Array<DeliveryCallback | undefined> | null;
  createdMs: number;
  attempts: number;
  retryAtMs: number;
  bytes: number;
  sealed: Buffer | Promise<Buffer> | null;
}

interface PartitionState {
  topic: string;
  partition: number;
  open: Batch | null;
  /** Sealed batches waiting to be sent; retried ones go back to the front. */
  queue: Batch[];
}

interface TopicState {
  name: string;
  partitionCount: number;
  sticky: number;
  partitions: PartitionState[];
  /** Records sent before the topic's metadata was known. */
  waiting: Array<{ record: ProducerRecord; cb: DeliveryCallback | undefined }>;
  loading: boolean;
}

const INT32_MAX = 0x7fffffff;

export class Producer {
  readonly acks: number;
  #client: KafkaClient;
  #lingerMs: number;
  #batchSizeBytes: number;
  #codec: number;
  #compressionLevel: number | undefined;
  #maxInFlight: number;
  #requestTimeoutMs: number;
  #deliveryTimeoutMs: number;
  #retries: number;
  #retryBackoffMs: number;
  #maxBlockMs: number;
  #bufferMemoryBytes: number;
  #maxRequestSizeBytes: number;
  #allowAutoTopicCreation: boolean;
  #onWarning: (message: string) => void;

  #topics = new Map<string, TopicState>();
  /** Partitions with an open batch or queued batches: what #sendReady looks at (not every known partition). */
  #active = new Set<PartitionState>();
  #inflight = new Map<number, number>();
  #chains = new Map<number, Promise<void>>();
  #pendingRecords = 0;
  #bufferedBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAtMs = Infinity;
  #sendScheduled = false;
  #flushing = 0;
  #idleWaiters: Array<() => void> = [];
  #capacityWaiters: Array<() => void> = [];
  #metadataRefresh: Promise<void> | null = null;
  #closed = false;

  constructor(client: KafkaClient, opts: ProducerOptions = {}) {
    this.#client = client;
    this.acks = opts.acks ?? -1;
    if (this.acks !== -1 && this.acks !== 0 && this.acks !== 1) throw new Error(`acks must be -1 (all), 0 or 1, got ${opts.acks}`);
    this.#lingerMs = opts.lingerMs ?? 5;
    this.#batchSizeBytes = Math.max(opts.batchSizeBytes ?? 16384, 128);
    const codec = typeof opts.compression === 'string' ? codecId(opts.compression) : (opts.compression ?? 0);
    if (codec === undefined || codec < 0 || codec > 4) throw new Error(`unknown compression codec '${opts.compression}' (none, gzip, snappy, lz4, zstd)`);
    this.#codec = codec;
    this.#compressionLevel = opts.compressionLevel;
    this.#maxInFlight = Math.max(1, opts.maxInFlightPerBroker ?? 5);
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#deliveryTimeoutMs = opts.deliveryTimeoutMs ?? 120_000;
    this.#retries = opts.retries ?? INT32_MAX;
    this.#retryBackoffMs = opts.retryBackoffMs ?? 100;
    this.#maxBlockMs = opts.maxBlockMs ?? 60_000;
    this.#bufferMemoryBytes = opts.bufferMemoryBytes ?? 32 * 1024 * 1024;
    this.#maxRequestSizeBytes = opts.maxRequestSizeBytes ?? 1_048_576;
    this.#allowAutoTopicCreation = opts.allowAutoTopicCreation ?? true;
    this.#onWarning = opts.onWarning ?? (() => undefined);
  }

  /** Records accepted by send() and not yet acknowledged or failed. */
  get pendingRecords(): number {
    return this.#pendingRecords;
  }

  /**
   * Queues one record. The callback (optional) gets the record's offset or its error. Returns false
   * when the buffer is over bufferMemoryBytes: wait for waitForCapacity() before sending more.
   */
  send(record: ProducerRecord, cb?: DeliveryCallback): boolean {
    if (this.#closed) {
      const err = new Error('the producer is closed');
      if (cb) cb(err, null);
      return false;
    }
    let t = this.#topics.get(record.topic);
    if (!t) {
      t = { name: record.topic, partitionCount: 0, sticky: 0, partitions: [], waiting: [], loading: false };
      this.#topics.set(record.topic, t);
    }
    this.#pendingRecords++;
    if (t.partitionCount === 0) {
      t.waiting.push({ record, cb });
      this.#bufferedBytes += recordSize(0, 0, record.key ?? null, record.value, record.headers);
      this.#loadTopic(t);
    } else {
      this.#append(t, record, cb);
    }
    return this.#bufferedBytes < this.#bufferMemoryBytes;
  }

  /** Sends one record and resolves with its metadata (a convenience over send()). */
  produce(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise((resolve, reject) => {
      this.send(record, (err, meta) => (err ? reject(err) : resolve(meta!)));
    });
  }

  /** Resolves once the buffered bytes are below the limit again. */
  waitForCapacity(): Promise<void> {
    if (this.#bufferedBytes < this.#bufferMemoryBytes || this.#pendingRecords === 0) return Promise.resolve();
    return new Promise((resolve) => this.#capacityWaiters.push(resolve));
  }

  /** Sends everything buffered now and resolves when every pending record is acknowledged or failed. */
  async flush(): Promise<void> {
    if (this.#pendingRecords === 0) return;
    this.#flushing++;
    try {
      const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      this.#scheduleSend();
      await idle;
    } finally {
      this.#flushing--;
    }
  }

  /** Flushes, then stops accepting records. Does not close the client (its owner does). */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  // -------------------------------------------------------------------------------------------
  // accumulating

  #append(t: TopicState, record: ProducerRecord, cb: DeliveryCallback | undefined): void {
    let partition: number;
    if (record.partition !== undefined && record.partition !== null && record.partition >= 0) {
      partition = record.partition;
      if (partition >= t.partitionCount) {
        this.#failRecord(cb, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${partition} of topic ${t.name} with partition count ${t.partitionCount} is not present in metadata.`));
        return;
      }
    } else if (record.key !== undefined && record.key !== null) {
      partition = partitionForKey(record.key, t.partitionCount);
    } else {
      partition = t.sticky;
    }
    let ps = t.partitions[partition];
    if (!ps) {
      ps = { topic: t.name, partition, open: null, queue: [] };
      t.partitions[partition] = ps;
    }
    const now = Date.now();
    const ts = record.timestampMs ?? now;
    const key = record.key ?? null;
    const size = recordSize(0, 0, key, record.value, record.headers);
    if (size > this.#maxRequestSizeBytes) {
      this.#failRecord(
        cb,
        new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `The message is ${size} bytes when serialized which is larger than ${this.#maxRequestSizeBytes}, which is the value of the max.request.size configuration.`),
      );
      return;
    }
    let batch = ps.open;
    if (batch === null) {
      batch = ps.open = this.#newBatch(t.name, partition, now);
      this.#active.add(ps);
    }
    if (!batch.builder.tryAppend(ts, key, record.value, record.headers)) {
      this.#sealOpen(t, ps);
      batch = ps.open = this.#newBatch(t.name, partition, now);
      batch.builder.tryAppend(ts, key, record.value, record.headers);
    }
    if (cb) {
      batch.callbacks ??= [];
      batch.callbacks[batch.builder.count - 1] = cb;
    }
    batch.bytes += size;
    this.#bufferedBytes += size;
    if (batch.builder.sizeBytes >= this.#batchSizeBytes) {
      this.#sealOpen(t, ps);
      this.#scheduleSend();
    } else {
      this.#armTimer(batch.createdMs + this.#lingerMs);
    }
  }

  #newBatch(topic: string, partition: number, now: number): Batch {
    return {
      topic,
      partition,
      builder: new RecordBatchBuilder(this.#batchSizeBytes + 512),
      callbacks: null,
      createdMs: now,
      attempts: 0,
      retryAtMs: 0,
      bytes: 0,
      sealed: null,
    };
  }

  #sealOpen(t: TopicState, ps: PartitionState): void {
    const b = ps.open;
    if (!b) return;
    ps.open = null;
    b.sealed = this.#codec === 0 ? b.builder.seal() : b.builder.sealCompressed(this.#codec, this.#compressionLevel);
    if (b.sealed instanceof Promise) b.sealed.catch(() => undefined); // awaited (and reported) when the request is built
    ps.queue.push(b);
    if (ps.partition === t.sticky && t.partitionCount > 1) t.sticky = (t.sticky + 1) % t.partitionCount;
  }

  #failRecord(cb: DeliveryCallback | undefined, err: Error): void {
    this.#pendingRecords--;
    if (cb) cb(err, null);
    this.#checkIdle();
  }

  // -------------------------------------------------------------------------------------------
  // metadata

  #loadTopic(t: TopicState): void {
    if (t.loading) return;
    t.loading = true;
    const deadline = Date.now() + this.#maxBlockMs;
    let warned = false;
    const attempt = async (): Promise<void> => {
      for (let i = 0; ; i++) {
        try {
          const md = await this.#client.refreshMetadata([t.name], { allowAutoTopicCreation: this.#allowAutoTopicCreation });
          const tm = md.topics.get(t.name);
          if (tm && tm.errorCode === ErrorCode.NONE && tm.partitions.length > 0) {
            t.partitionCount = tm.partitions.length;
            t.sticky = Math.floor(Math.random() * t.partitionCount);
            return;
          }
          const code = tm?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          if (code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && code !== ErrorCode.LEADER_NOT_AVAILABLE && code !== ErrorCode.NONE) {
            throw new KafkaError(code, code === ErrorCode.INVALID_TOPIC_EXCEPTION ? `Invalid topic: ${t.name}` : undefined);
          }
          if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !warned && i >= 1) {
            warned = true;
            this.#onWarning(`topic '${t.name}' does not exist and the broker did not create it; waiting up to ${this.#maxBlockMs} ms for it to appear`);
          }
        } catch (err) {
          if (!(err instanceof ConnectionError && err.reason === 'CLOSED') && !(err instanceof TimeoutError)) throw err;
        }
        if (Date.now() + 100 > deadline) throw new TimeoutError(`Topic ${t.name} not present in metadata after ${this.#maxBlockMs} ms.`);
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** i, 500)));
      }
    };
    attempt().then(
      () => {
        t.loading = false;
        const waiting = t.waiting;
        t.waiting = [];
        for (const w of waiting) {
          this.#bufferedBytes -= recordSize(0, 0, w.record.key ?? null, w.record.value, w.record.headers);
          this.#append(t, w.record, w.cb);
        }
        this.#scheduleSend();
      },
      (err: Error) => {
        t.loading = false;
        const waiting = t.waiting;
        t.waiting = [];
        this.#topics.delete(t.name);
        for (const w of waiting) {
          this.#bufferedBytes -= recordSize(0, 0, w.record.key ?? null, w.record.value, w.record.headers);
          this.#failRecord(w.cb, err);
        }
        this.#releaseCapacity();
      },
    );
  }

  #refreshMetadata(): void {
    if (this.#metadataRefresh) return;
    const names = [...this.#topics.keys()];
    this.#metadataRefresh = this.#client
      .refreshMetadata(names, { allowAutoTopicCreation: false })
      .then(
        (md) => {
          for (const [name, tm] of md.topics) {
            const t = this.#topics.get(name);
            if (t && tm.errorCode === ErrorCode.NONE && tm.partitions.length > t.partitionCount) t.partitionCount = tm.partitions.length;
          }
        },
        () => undefined, // the batches waiting on it retry and report their own error when they expire
      )
      .finally(() => {
        this.#metadataRefresh = null;
        this.#scheduleSend();
      });
  }

  // -------------------------------------------------------------------------------------------
  // sending

  #armTimer(atMs: number): void {
    if (this.#timer && this.#timerAtMs <= atMs) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAtMs = Infinity;
      this.#sendReady();
    }, Math.max(0, atMs - Date.now()));
  }

  #scheduleSend(): void {
    if (this.#sendScheduled) return;
    this.#sendScheduled = true;
    setImmediate(() => {
      this.#sendScheduled = false;
      this.#sendReady();
    });
  }

  #sendReady(): void {
    const now = Date.now();
    let nextWakeMs = Infinity;
    const byNode = new Map<number, Batch[]>();
    let needMetadata = false;
    for (const ps of this.#active) {
      const open = ps.open;
      if (open) {
        if (this.#flushing > 0 || now - open.createdMs >= this.#lingerMs) this.#sealOpen(this.#topics.get(ps.topic)!, ps);
        else nextWakeMs = Math.min(nextWakeMs, open.createdMs + this.#lingerMs);
      }
      if (ps.queue.length === 0) {
        if (ps.open === null) this.#active.delete(ps); // deleting the current entry keeps the iteration valid
        continue;
      }
      const head = ps.queue[0]!;
      if (now - head.createdMs > this.#deliveryTimeoutMs) {
        for (const b of ps.queue.splice(0)) {
          this.#failBatch(b, new TimeoutError(`Expiring ${b.builder.count} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation`));
        }
        continue;
      }
      if (head.retryAtMs > now) {
        nextWakeMs = Math.min(nextWakeMs, head.retryAtMs);
        continue;
      }
      const leader = this.#client.leaderOf(ps.topic, ps.partition);
      if (leader < 0) {
        needMetadata = true;
        nextWakeMs = Math.min(nextWakeMs, now + this.#retryBackoffMs);
        continue;
      }
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(head);
    }
    if (needMetadata) this.#refreshMetadata();
    // Kafka's drain: a node with a batch to send now also gets the open batches of its other
    // partitions (lingering, nothing queued), one request instead of one per linger expiry.
    if (byNode.size > 0) this.#drainOpen(byNode);
    for (const [node, heads] of byNode) {
      let inflight = this.#inflight.get(node) ?? 0;
      // One batch per partition per request; several requests while the node has room.
      let candidates = heads;
      while (candidates.length > 0 && inflight < this.#maxInFlight) {
        const batches: Batch[] = [];
        let bytes = 0;
        const rest: Batch[] = [];
        for (const b of candidates) {
          const size = b.builder.sizeBytes;
          if (batches.length > 0 && bytes + size > this.#maxRequestSizeBytes) {
            rest.push(b);
            continue;
          }
          bytes += size;
          batches.push(b);
          const ps = this.#topics.get(b.topic)!.partitions[b.partition]!;
          ps.queue.shift();
          const next = ps.queue[0];
          if (next && next.retryAtMs <= now) rest.push(next);
        }
        inflight++;
        this.#inflight.set(node, inflight);
        this.#sendRequest(node, batches);
        candidates = rest;
      }
    }
    if (nextWakeMs !== Infinity) this.#armTimer(nextWakeMs);
  }

  /**
   * Seals the lingering batches of partitions whose leader is in `byNode` with room for a request
   * (and nothing queued before them: a queued batch already leads its partition) and adds them to
   * that node's list. They leave before their linger ends, as in Kafka's RecordAccumulator.drain,
   * which takes the first batch of every partition of a ready node.
   */
  #drainOpen(byNode: Map<number, Batch[]>): void {
    for (const ps of this.#active) {
      if (ps.open === null || ps.queue.length > 0 || ps.open.builder.count === 0) continue;
      const leader = this.#client.leaderOf(ps.topic, ps.partition);
      const list = byNode.get(leader);
      if (list === undefined || (this.#inflight.get(leader) ?? 0) >= this.#maxInFlight) continue;
      this.#sealOpen(this.#topics.get(ps.topic)!, ps);
      list.push(ps.queue[0]!); // a new batch: no retry backoff to wait for
    }
  }

  #sendRequest(node: number, batches: Batch[]): void {
    const previous = this.#chains.get(node) ?? Promise.resolve();
    const written = previous.then(async () => {
      const buffers = await Promise.all(batches.map((b) => b.sealed!));
      const conn = await this.#client.connectionToNode(node);
      const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        let list = byTopic.get(b.topic);
        if (!list) byTopic.set(b.topic, (list = []));
        list.push({ index: b.partition, records: buffers[i]! });
      }
      const body = {
        transactionalId: null,
        acks: this.acks,
        timeoutMs: this.#requestTimeoutMs,
        topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
      };
      if (this.acks === 0) {
        conn.sendNoResponse(produceApi, body);
        return { response: null as Promise<ProduceResponse> | null };
      }
      return { response: conn.request<ProduceResponse>(produceApi, body, { timeoutMs: this.#requestTimeoutMs + 5_000 }) };
    });
    this.#chains.set(
      node,
      written.then(
        () => undefined,
        () => undefined, // failures are handled below, per batch
      ),
    );
    written
      .then(({ response }) => response)
      .then(
        (res) => this.#onResponse(node, batches, res),
        (err: Error) => this.#onRequestError(node, batches, err),
      );
  }

  #onResponse(node: number, batches: Batch[], res: ProduceResponse | null): void {
    this.#inflight.set(node, (this.#inflight.get(node) ?? 1) - 1);
    if (res === null) {
      for (const b of batches) this.#deliver(b, -1, -1);
    } else {
      const results = new Map<string, ProduceResponse['responses'][number]['partitionResponses'][number]>();
      for (const t of res.responses) for (const p of t.partitionResponses) results.set(`${t.name}\u0000${p.index}`, p);
      for (const b of batches) {
        const r = results.get(`${b.topic}\u0000${b.partition}`);
        if (!r) this.#retryOrFail(b, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the broker did not answer for ${b.topic}-${b.partition}`));
        else if (r.errorCode === ErrorCode.NONE) this.#deliver(b, Number(r.baseOffset), Number(r.logAppendTimeMs));
        else this.#retryOrFail(b, new KafkaError(r.errorCode, r.errorMessage));
      }
    }
    this.#scheduleSend();
  }

  #onRequestError(node: number, batches: Batch[], err: Error): void {
    this.#inflight.set(node, (this.#inflight.get(node) ?? 1) - 1);
    for (const b of batches) this.#retryOrFail(b, err);
    this.#scheduleSend();
  }

  #retryOrFail(b: Batch, err: Error): void {
    // A lost or refused connection may mean the leader moved: retry with fresh metadata.
    const retriable = (err instanceof KafkaError && err.retriable) || err instanceof ConnectionError || err instanceof TimeoutError;
    const now = Date.now();
    if (retriable && b.attempts < this.#retries && now - b.createdMs < this.#deliveryTimeoutMs && !this.#closed) {
      b.attempts++;
      b.retryAtMs = now + this.#retryBackoffMs;
      const t = this.#topics.get(b.topic);
      const ps = t?.partitions[b.partition];
      if (ps) {
        ps.queue.unshift(b);
        this.#active.add(ps);
        if (!(err instanceof KafkaError) || needsMetadataRefresh(err.code)) this.#refreshMetadata();
        this.#armTimer(b.retryAtMs);
        return;
      }
    }
    if (err instanceof KafkaError && !/\b(topic|partition)\b/i.test(err.message)) {
      err.message = `${err.message} (${b.topic}-${b.partition})`;
    }
    this.#failBatch(b, err);
  }

  #deliver(b: Batch, baseOffset: number, logAppendTimeMs: number): void {
    const count = b.builder.count;
    const cbs = b.callbacks;
    if (cbs) {
      const base = b.builder.baseTimestampMs;
      for (let i = 0; i < count; i++) {
        const cb = cbs[i];
        if (cb) cb(null, { topic: b.topic, partition: b.partition, offset: baseOffset < 0 ? -1 : baseOffset + i, timestampMs: logAppendTimeMs >= 0 ? logAppendTimeMs : base });
      }
    }
    this.#finish(b, count);
  }

  #failBatch(b: Batch, err: Error): void {
    const count = b.builder.count;
    const cbs = b.callbacks;
    if (cbs) for (let i = 0; i < count; i++) cbs[i]?.(err, null);
    this.#finish(b, count);
  }

  #finish(b: Batch, count: number): void {
    this.#pendingRecords -= count;
    this.#bufferedBytes -= b.bytes;
    this.#releaseCapacity();
    this.#checkIdle();
  }

  #releaseCapacity(): void {
    if (this.#capacityWaiters.length > 0 && (this.#bufferedBytes < this.#bufferMemoryBytes || this.#pendingRecords === 0)) {
      const ws = this.#capacityWaiters;
      this.#capacityWaiters = [];
      for (const w of ws) w();
    }
  }

  #checkIdle(): void {
    if (this.#pendingRecords === 0 && this.#idleWaiters.length > 0) {
      const ws = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of ws) w();
    }
  }
}
