/**
 * The perf producer's engine: sends `numRecords` records of `recordSize` bytes to a topic as
 * pipelined Produce v7 requests (up to `maxInflight` unanswered on one connection, as Kafka's
 * max.in.flight.requests.per.connection), each request carrying one pre-built batch for each of up
 * to `partitionsPerRequest` partitions, partitions taken round-robin. Request buffers come from a
 * pool of `maxInflight` slots reused once their response arrived; a batch is one copy of the
 * template plus a header patch and a native CRC32C: nothing is done per record.
 *
 * Rate: with throughput < 0 every batch is full and sent as soon as a slot is free. Otherwise
 * record i becomes due at start + i/throughput; due records are sent when a full request is due,
 * when the oldest due record has waited linger.ms, or at once with linger.ms=0 when a slot is free
 * (Kafka's accumulator behaves the same way).
 * Latency of a record = ack time - due time (Kafka measures send() to callback, where send() is
 * when the record became due); a batch's records are spread between its oldest and newest.
 */
import { produceApi } from '../../protocol/messages/produce.js';
import { Reader } from '../../protocol/primitives.js';
import { decodeResponseHeader } from '../../protocol/header.js';
import { BatchTemplate } from './batch-template.js';
import { LatencyRecorder, nowMs } from './latency.js';
import { CLIENT_ID, codecFor, type PerfConnection } from './wire.js';

const PRODUCE_VERSION = 7;

export interface ProducerEngineOptions {
  conn: PerfConnection;
  topic: string;
  partitions: number;
  numRecords: number;
  recordSize: number;
  /** records/s; < 0 = as fast as possible. */
  throughput: number;
  acks: number;
  lingerMs: number;
  batchBytes: number;
  maxInflight: number;
  partitionsPerRequest: number;
  requestTimeoutMs: number;
  /** Write the due times of the batch's first and last record into its first value (e2e latency). */
  stampValues?: boolean;
  /** Called every reportIntervalMs with a progress line (Kafka prints one every 5 s). */
  onProgress?: (line: string) => void;
  reportIntervalMs?: number;
}

export interface ProducerResult {
  records: number;
  elapsedMs: number;
  latency: LatencyRecorder;
  requests: number;
  errors: number;
  firstError: string | null;
}

interface Slot {
  buf: Buffer;
  records: number;
  dueFirstMs: number;
  dueLastMs: number;
}

export function runProducer(o: ProducerEngineOptions): Promise<ProducerResult> {
  let rpb = BatchTemplate.recordsPerBatch(o.recordSize, o.batchBytes);
  let tpl = new BatchTemplate(o.recordSize, rpb);
  while (rpb > 1 && tpl.bytesFor(rpb) > o.batchBytes) rpb--;
  if (rpb !== tpl.recordsMax) tpl = new BatchTemplate(o.recordSize, rpb);
  const K = Math.max(1, Math.min(o.partitions, o.partitionsPerRequest));
  const topicBytes = Buffer.from(o.topic, 'utf8');
  const clientIdBytes = Buffer.from(CLIENT_ID, 'utf8');
  const headerBytes = 4 + 2 + 2 + 4 + 2 + clientIdBytes.length + 2 + 2 + 4 + 4 + 2 + topicBytes.length + 4;
  const slotBytes = headerBytes + K * (8 + tpl.bytesFor(rpb));
  const free: Slot[] = [];
  for (let i = 0; i < o.maxInflight; i++) {
    const buf = Buffer.alloc(slotBytes);
    let at = 4;
    buf.writeInt16BE(produceApi.apiKey, at);
    buf.writeInt16BE(PRODUCE_VERSION, at + 2);
    at += 8; // correlation id written per request
    buf.writeInt16BE(clientIdBytes.length, at);
    clientIdBytes.copy(buf, at + 2);
    at += 2 + clientIdBytes.length;
    buf.writeInt16BE(-1, at); // transactionalId null
    buf.writeInt16BE(o.acks, at + 2);
    buf.writeInt32BE(o.requestTimeoutMs, at + 4);
    buf.writeInt32BE(1, at + 8); // one topic
    at += 12;
    buf.writeInt16BE(topicBytes.length, at);
    topicBytes.copy(buf, at + 2);
    free.push({ buf, records: 0, dueFirstMs: 0, dueLastMs: 0 });
  }
  const partitionCountAt = headerBytes - 4;
  const codec = codecFor(produceApi);
  const latency = new LatencyRecorder();
  const fullRequest = rpb * K;
  const throttled = o.throughput > 0;
  const reportIntervalMs = o.reportIntervalMs ?? 5000;

  let sent = 0;
  let acked = 0;
  let requests = 0;
  let errors = 0;
  let firstError: string | null = null;
  let nextPartition = 0;
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let lastProgressMs = nowMs();
  let finished = false;
  // progress window
  let winStart = lastProgressMs;
  let winRecords = 0;
  let winLatSum = 0;
  let winLatMax = 0;
  const start = nowMs();

  return new Promise<ProducerResult>((resolve, reject) => {
    const done = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      clearInterval(watchdog);
      if (err) reject(err);
      else resolve({ records: acked, elapsedMs: nowMs() - start, latency, requests, errors, firstError });
    };

    const watchdog = setInterval(() => {
      const t = nowMs();
      if (t - lastProgressMs > o.requestTimeoutMs) done(new Error(`no produce response for ${o.requestTimeoutMs} ms (request.timeout.ms)`));
      if (o.onProgress && t - winStart >= reportIntervalMs && winRecords > 0) {
        const secs = (t - winStart) / 1000;
        o.onProgress(
          `${winRecords} records sent, ${(winRecords / secs).toFixed(1)} records/sec (${((winRecords * o.recordSize) / 1048576 / secs).toFixed(2)} MB/sec), ${(winLatSum / winRecords).toFixed(1)} ms avg latency, ${winLatMax.toFixed(1)} ms max latency.`,
        );
        winStart = t;
        winRecords = 0;
        winLatSum = 0;
        winLatMax = 0;
      }
    }, 250);

    const onAck = (slot: Slot, frame: Buffer | null, err: Error | null): void => {
      if (finished) return;
      if (err || !frame) {
        done(err ?? new Error('no response'));
        return;
      }
      const t = nowMs();
      lastProgressMs = t;
      try {
        const r = new Reader(frame);
        decodeResponseHeader(r, 0);
        const resp = codec.decodeResponse(PRODUCE_VERSION, r) as {
          responses: Array<{ partitionResponses: Array<{ errorCode: number; errorMessage: string | null }> }>;
        };
        for (const t0 of resp.responses) {
          for (const p of t0.partitionResponses) {
            if (p.errorCode !== 0) {
              errors++;
              firstError ??= `error code ${p.errorCode}${p.errorMessage ? `: ${p.errorMessage}` : ''}`;
            }
          }
        }
      } catch (e) {
        done(e as Error);
        return;
      }
      record(slot, t);
      free.push(slot);
      pump();
    };

    const record = (slot: Slot, t: number): void => {
      const k = slot.records;
      acked += k;
      const minLat = t - slot.dueLastMs;
      const maxLat = t - slot.dueFirstMs;
      latency.add(k, minLat, maxLat);
      winRecords += k;
      winLatSum += (k * (minLat + maxLat)) / 2;
      if (maxLat > winLatMax) winLatMax = maxLat;
    };

    const sendRequest = (take: number, t: number): void => {
      const slot = free.pop()!;
      const buf = slot.buf;
      const correlationId = o.conn.takeCorrelationId();
      buf.writeInt32BE(correlationId, 8);
      const dueFirst = throttled ? start + (sent * 1000) / o.throughput : t;
      const dueLast = throttled ? start + ((sent + take - 1) * 1000) / o.throughput : t;
      let at = headerBytes;
      let left = take;
      let batches = 0;
      const tsMs = Math.floor(t);
      while (left > 0) {
        const k = Math.min(rpb, left);
        buf.writeInt32BE(nextPartition, at);
        nextPartition = nextPartition + 1 === o.partitions ? 0 : nextPartition + 1;
        const n = tpl.writeInto(buf, at + 8, k, tsMs, o.stampValues ? dueFirst : -1, o.stampValues ? dueLast : -1);
        buf.writeInt32BE(n, at + 4);
        at += 8 + n;
        left -= k;
        batches++;
      }
      buf.writeInt32BE(batches, partitionCountAt);
      buf.writeInt32BE(at - 4, 0);
      slot.records = take;
      slot.dueFirstMs = dueFirst;
      slot.dueLastMs = dueLast;
      sent += take;
      requests++;
      const frame = buf.subarray(0, at);
      if (o.acks === 0) {
        record(slot, nowMs());
        // The socket copies nothing: keep the slot busy until the bytes are in the kernel's hands.
        o.conn.sendOneWay(frame, () => {
          lastProgressMs = nowMs();
          free.push(slot);
          pump();
        });
      } else {
        o.conn.sendFrame(produceApi, frame, (f, e) => onAck(slot, f, e), o.requestTimeoutMs);
      }
    };

    const schedule = (waitMs: number): void => {
      if (timer || immediate) return;
      if (waitMs < 1) {
        immediate = setImmediate(() => {
          immediate = null;
          pump();
        });
      } else {
        timer = setTimeout(() => {
          timer = null;
          pump();
        }, waitMs);
      }
    };

    const pump = (): void => {
      if (finished) return;
      while (free.length > 0 && sent < o.numRecords) {
        const t = nowMs();
        if (!throttled) {
          sendRequest(Math.min(fullRequest, o.numRecords - sent), t);
          continue;
        }
        const dueTotal = Math.min(o.numRecords, Math.floor(((t - start) * o.throughput) / 1000) + 1);
        const avail = dueTotal - sent;
        if (avail <= 0) {
          schedule((sent * 1000) / o.throughput - (t - start));
          return;
        }
        const oldestDue = start + (sent * 1000) / o.throughput;
        const lingered = t - oldestDue >= o.lingerMs;
        if (avail >= fullRequest || lingered || avail >= o.numRecords - sent) {
          sendRequest(Math.min(avail, fullRequest), t);
          continue;
        }
        schedule(oldestDue + o.lingerMs - t);
        return;
      }
      // Finished when every record is acknowledged and every slot is back (acks=0: flushed).
      if (sent >= o.numRecords && acked >= sent && free.length === o.maxInflight) done(null);
    };

    pump();
  });
}
