/**
 * Dispatcher: one request frame in, one encoded response (or nothing) out. Reads the header,
 * finds the handler for the API key, gates the version (ApiVersions answers an unsupported version
 * with UNSUPPORTED_VERSION in v0 form so the client can retry with a version we have), decodes the
 * body with the codec derived from the handler's ApiDef, runs the handler and encodes its result.
 * Malformed input closes the connection with a log line naming client and correlation id.
 */
import type { Logger } from 'pino';
import { ApiCodec } from '../protocol/codec.js';
import { ApiKey, apiName } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  decodeRequestHeader,
  encodeResponseHeader,
  peekRequestHeader,
  responseHeaderVersion,
} from '../protocol/header.js';
import { DecodeError, Reader, Writer } from '../protocol/primitives.js';
import type { BrokerContext } from '../handlers/handler.js';
import { apiVersionsBody } from '../handlers/api-versions.js';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js';
import { FETCH_CONSUMER_SLOT, FETCH_FOLLOWER_SLOT, RequestTiming } from '../metrics/request-metrics.js';

/**
 * `throttleMs` (client quotas, security/quotas.ts): the connection is muted that long after the
 * response is written (KIP-219). `timing` is set when the request reached its handler (metrics:
 * connection.ts completes it).
 */
export type DispatchOutcome =
  | { kind: 'response'; chunks: Buffer[]; throttleMs?: number; timing?: RequestTiming }
  | { kind: 'noResponse'; throttleMs?: number; timing?: RequestTiming }
  | { kind: 'close'; reason: string };

export class Dispatcher {
  private readonly codecs = new Map<number, ApiCodec>();

  constructor(
    private readonly broker: BrokerContext,
    private readonly log: Logger,
  ) {
    for (const [key, handler] of broker.handlers) this.codecs.set(key, new ApiCodec(handler.api));
  }

  /** Monotonic ms (the connection stamps when a response was sent). */
  nowMs(): number {
    return this.broker.clock.monotonicMs();
  }

  /** The response of `timing`'s request has been sent (or none is sent): record its phases. */
  completed(timing: RequestTiming, sendDoneMs: number): void {
    this.broker.metrics?.requests.complete(timing, sendDoneMs);
  }

  async dispatch(frame: Buffer, clientAddress: string, listenerName = '', principal: KafkaPrincipal = ANONYMOUS): Promise<DispatchOutcome> {
    const receivedMs = this.broker.clock.monotonicMs();
    const peek = peekRequestHeader(frame);
    if (!peek) return { kind: 'close', reason: `request of ${frame.length} bytes is shorter than a request header` };
    const { apiKey, apiVersion, correlationId } = peek;
    const handler = this.broker.handlers.get(apiKey);
    const codec = this.codecs.get(apiKey);
    if (!handler || !codec) {
      return { kind: 'close', reason: `unsupported API key ${apiKey} (${apiName(apiKey)}) v${apiVersion}, correlation id ${correlationId}` };
    }
    if (apiVersion < handler.versionMin || apiVersion > handler.versionMax) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer in v0 with UNSUPPORTED_VERSION and our ranges; the client retries.
        const w = new Writer();
        w.int32(0); // size, patched below
        encodeResponseHeader(w, correlationId, 0);
        codec.encodeResponse(0, { ...apiVersionsBody(this.broker), errorCode: ErrorCode.UNSUPPORTED_VERSION }, w);
        return { kind: 'response', chunks: finishFrame(w) };
      }
      return {
        kind: 'close',
        reason: `unsupported version ${apiVersion} of ${apiName(apiKey)} (we implement ${handler.versionMin}-${handler.versionMax}), correlation id ${correlationId}`,
      };
    }
    const startedMs = this.quotasActive() ? this.broker.clock.monotonicMs() : 0;
    const flexible = codec.isFlexible(apiVersion);
    const reader = new Reader(frame);
    let request: unknown;
    let header;
    try {
      header = decodeRequestHeader(reader, flexible);
      request = codec.decodeRequest(apiVersion, reader);
    } catch (err) {
      if (err instanceof DecodeError) {
        return { kind: 'close', reason: `malformed ${apiName(apiKey)} v${apiVersion} request, correlation id ${correlationId}: ${err.message}` };
      }
      throw err;
    }
    const metrics = this.broker.metrics;
    let timing: RequestTiming | undefined;
    if (metrics) {
      timing = new RequestTiming(apiKey, apiVersion, correlationId, receivedMs, frame.length);
      timing.clientId = header.clientId;
      timing.clientAddress = clientAddress;
      if (apiKey === ApiKey.Fetch) timing.slot = (request as { replicaId: number }).replicaId >= 0 ? FETCH_FOLLOWER_SLOT : FETCH_CONSUMER_SLOT;
    }
    // The per-request child logger is built only when a handler logs: pino's child() costs ~2 µs,
    // paid on every Produce/Fetch otherwise (docs/PERFORMANCE.md).
    const parentLog = this.log;
    const requestHeader = header;
    let childLog: Logger | null = null;
    const ctx = {
      header,
      apiVersion,
      clientAddress,
      listenerName,
      principal,
      broker: this.broker,
      image: this.broker.controller.image,
      ...(timing ? { timing } : {}),
      get log(): Logger {
        childLog ??= parentLog.child({ api: apiName(apiKey), v: apiVersion, correlationId, client: clientAddress, clientId: requestHeader.clientId });
        return childLog;
      },
    };
    if (timing) timing.handlerStartMs = this.broker.clock.monotonicMs();
    const pending = handler.handle(ctx, request);
    const syncMs = startedMs === 0 ? 0 : this.broker.clock.monotonicMs() - startedMs;
    const response = await pending;
    if (timing) {
      timing.handlerDoneMs = this.broker.clock.monotonicMs();
      if (response !== null) metrics!.requests.countErrors(timing, response);
    }
    let throttleMs = startedMs === 0 ? 0 : this.throttle(apiKey, ctx, request, response, frame.length, syncMs);
    // The controller mutation quota is applied by its handlers (handlers/mutation-quota.ts); the mute follows their throttle too.
    if (startedMs !== 0 && response !== null && MUTATION_APIS.has(apiKey)) throttleMs = Math.max(throttleMs, (response as { throttleTimeMs: number }).throttleTimeMs);
    if (response === null) return annotate({ kind: 'noResponse' }, throttleMs, timing);
    if (throttleMs > 0 && typeof (response as { throttleTimeMs?: unknown }).throttleTimeMs === 'number') {
      const r = response as { throttleTimeMs: number };
      r.throttleTimeMs = Math.max(r.throttleTimeMs, throttleMs);
    }
    const w = new Writer();
    w.int32(0);
    encodeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, flexible));
    codec.encodeResponse(apiVersion, response as Record<string, unknown>, w);
    const chunks = finishFrame(w);
    if (timing) timing.responseBytes = w.length;
    return annotate({ kind: 'response', chunks }, throttleMs, timing);
  }

  /** True when some client quota is configured (else nothing is measured). */
  private quotasActive(): boolean {
    return this.broker.quotas !== undefined && !this.broker.quotas.empty;
  }

  /**
   * Records the request against the client's quotas and returns the throttle time it earns:
   * Produce request bytes (producer_byte_rate), consumer Fetch response bytes (consumer_byte_rate)
   * and the request's processing time (request_percentage: its synchronous part, in percent of
   * one second per second). ApiVersions, SASL and follower fetches are exempt, as in Kafka.
   */
  private throttle(apiKey: number, ctx: { principal: KafkaPrincipal; header: { clientId: string | null } }, request: unknown, response: object | null, requestBytes: number, syncMs: number): number {
    const quotas = this.broker.quotas!;
    if (QUOTA_EXEMPT.has(apiKey)) return 0;
    const clientId = ctx.header.clientId;
    let ms = 0;
    if (apiKey === ApiKey.Produce) ms = quotas.record('producer_byte_rate', ctx.principal, clientId, requestBytes);
    if (apiKey === ApiKey.Fetch) {
      if (((request as { replicaId?: number }).replicaId ?? -1) >= 0) return 0;
      ms = quotas.record('consumer_byte_rate', ctx.principal, clientId, fetchedBytes(response));
    }
    return Math.max(ms, quotas.record('request_percentage', ctx.principal, clientId, syncMs / 10));
  }
}

/** Adds the quota throttle and the metrics timing to an outcome (fields set only when present). */
function annotate(o: Exclude<DispatchOutcome, { kind: 'close' }>, throttleMs: number, timing: RequestTiming | undefined): DispatchOutcome {
  if (throttleMs > 0) o.throttleMs = throttleMs;
  if (timing) o.timing = timing;
  return o;
}

/** APIs under the controller mutation quota (KIP-599): CreateTopics, DeleteTopics, CreatePartitions. */
const MUTATION_APIS = new Set<number>([ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.CreatePartitions]);

/** APIs outside client quotas (Kafka exempts these from throttling). */
const QUOTA_EXEMPT = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/** Record bytes in a Fetch response. */
function fetchedBytes(response: object | null): number {
  let n = 0;
  for (const t of (response as { responses?: Array<{ partitions: Array<{ records: Buffer | null }> }> } | null)?.responses ?? []) {
    for (const p of t.partitions) n += p.records?.length ?? 0;
  }
  return n;
}

/** Patches the int32 size prefix (the first 4 bytes of the first chunk) and returns the chunks. */
function finishFrame(w: Writer): Buffer[] {
  const total = w.length;
  const chunks = w.toChunks();
  chunks[0]!.writeInt32BE(total - 4, 0);
  return chunks;
}
