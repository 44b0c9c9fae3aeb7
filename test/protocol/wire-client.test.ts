/**
 * Goal: the wire core every request/response connection shares (src/protocol/wire-client.ts)
 * frames and correlates correctly and fails safely: pipelined requests carry increasing
 * correlation ids and are answered in order whatever the chunking; a response that does not match
 * the oldest pending request, an oversized or negative frame, a timed-out request, or the peer
 * hanging up closes the connection and fails every pending request with the right kind; a body
 * that does not decode fails only its own request; ApiVersions answered in v0 form is read as v0;
 * pre-built frames (the perf producer) share the counter and the FIFO.
 *
 * Method: a WireClient over an in-memory WireStream that records writes and lets the test push
 * response bytes, with the ManualClock for deadlines (no sockets, no real time). Responses are
 * encoded with our codec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/io/sim/manual-clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeResponseHeader } from '../../src/protocol/header.js';
import { apiVersionsApi, type ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js';
import { Writer } from '../../src/protocol/primitives.js';
import type { ApiDef } from '../../src/protocol/schema.js';
import { codecFor, encodeRequestFrame, WireClient, type WireErrorKind, type WireStream } from '../../src/protocol/wire-client.js';

class MemoryStream implements WireStream {
  written: Buffer[] = [];
  ended = false;
  destroyed = false;
  h: { data(chunk: Buffer): void; close(err: Error | null): void } | null = null;
  start(h: { data(chunk: Buffer): void; close(err: Error | null): void }): void {
    assert.equal(this.h, null, 'started once');
    this.h = h;
  }
  write(chunks: Buffer[], onFlushed?: () => void): void {
    assert.ok(!this.destroyed && !this.ended, 'no write after close');
    this.written.push(Buffer.concat(chunks));
    onFlushed?.();
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Correlation ids of the request frames written so far. */
  correlationIds(): number[] {
    return this.written.map((f) => f.readInt32BE(8));
  }
}

class KindError extends Error {
  constructor(
    readonly kind: WireErrorKind,
    message: string,
  ) {
    super(message);
  }
}

function setup(opts: { responseBytesMax?: number } = {}): { stream: MemoryStream; clock: ManualClock; wire: WireClient } {
  const stream = new MemoryStream();
  const clock = new ManualClock();
  const wire = new WireClient(stream, {
    clientId: 'test',
    peer: 'peer:1',
    timers: clock,
    requestTimeoutMs: 1000,
    responseBytesMax: opts.responseBytesMax ?? 1 << 20,
    error: (kind, message) => new KindError(kind, message),
  });
  return { stream, clock, wire };
}

/** A size-prefixed response frame of `api` at `version`. */
function responseFrame(api: ApiDef, version: number, correlationId: number, body: object, headerVersion = 0): Buffer {
  const w = new Writer();
  w.int32(0);
  encodeResponseHeader(w, correlationId, headerVersion);
  codecFor(api).encodeResponse(version, body as never, w);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

const versionsBody = (maxVersion: number): ApiVersionsResponse => ({ errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion }], throttleTimeMs: 0 });

async function rejection(p: Promise<unknown>): Promise<KindError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KindError, `a KindError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('WireClient', () => {
  it('pipelines requests and matches in-order answers whatever the chunking', async () => {
    const { stream, wire, clock } = setup();
    const answers = [1, 2, 3].map((i) => wire.request<ApiVersionsResponse>(apiVersionsApi, 2, {}).then((r) => r.apiKeys[0]!.maxVersion * 10 + i));
    assert.deepEqual(stream.correlationIds(), [1, 2, 3]);
    assert.equal(wire.inflight, 3);
    // Request frames: size prefix, apiKey, version, correlation id, clientId.
    assert.equal(stream.written[0]!.readInt32BE(0), stream.written[0]!.length - 4);
    assert.equal(stream.written[0]!.readInt16BE(4), apiVersionsApi.apiKey);
    assert.equal(stream.written[0]!.readInt16BE(6), 2);
    const bytes = Buffer.concat([1, 2, 3].map((id) => responseFrame(apiVersionsApi, 2, id, versionsBody(id))));
    // Odd chunk boundaries: inside a size prefix, inside a header, across frames.
    for (const [from, to] of [[0, 2], [2, 7], [7, 40], [40, bytes.length]] as const) stream.h!.data(bytes.subarray(from, to));
    assert.deepEqual(await Promise.all(answers), [11, 22, 33]);
    assert.equal(wire.inflight, 0);
    clock.advance(1000); // the deadline timer lapses: nothing is pending
    assert.ok(!wire.closed);
    assert.equal(clock.pendingTimers, 0, 'no deadline timer re-armed once nothing is pending');
  });

  it('closes the connection on a response that does not answer the oldest request', async () => {
    const { stream, wire } = setup();
    const a = wire.request(apiVersionsApi, 2, {});
    const b = wire.request(apiVersionsApi, 2, {});
    stream.h!.data(responseFrame(apiVersionsApi, 2, 2, versionsBody(1)));
    const [ea, eb] = await Promise.all([rejection(a), rejection(b)]);
    assert.equal(ea.kind, 'protocol');
    assert.match(ea.message, /answered correlation id 2, expected 1/);
    assert.equal(eb, ea, 'every pending request fails with the same error');
    assert.ok(wire.closed && stream.destroyed);
    assert.equal((await rejection(wire.request(apiVersionsApi, 2, {}))).kind, 'closed', 'a dead connection refuses new requests');
  });

  it('closes the connection on a response without a request, and on negative or oversized frames', async () => {
    const unasked = setup();
    let closedWith: Error | null = null;
    unasked.wire.onClose((err) => (closedWith = err));
    unasked.stream.h!.data(responseFrame(apiVersionsApi, 2, 1, versionsBody(1)));
    assert.ok(unasked.wire.closed);
    assert.match(String(closedWith), /response without a request/);

    for (const size of [-5, 4096]) {
      const { stream, wire } = setup({ responseBytesMax: 1024 });
      const p = wire.request(apiVersionsApi, 2, {});
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size);
      stream.h!.data(prefix);
      const e = await rejection(p);
      assert.equal(e.kind, 'protocol');
      assert.match(e.message, size < 0 ? /negative size -5/ : /4096-byte frame, over the 1024-byte limit/);
      assert.ok(stream.destroyed);
    }
  });

  it('times out a request at its own deadline, closing the connection and failing the rest', async () => {
    const { stream, wire, clock } = setup();
    const slow = wire.request(apiVersionsApi, 2, {}, 5000);
    const quick = wire.request(apiVersionsApi, 2, {}, 100);
    const slowFailed = rejection(slow);
    clock.advance(99);
    assert.ok(!wire.closed, 'not before the earliest deadline');
    clock.advance(1);
    const [es, eq] = await Promise.all([slowFailed, rejection(quick)]);
    assert.equal(eq.kind, 'timeout');
    assert.match(eq.message, /^ApiVersions request to peer:1 timed out after 100 ms$/);
    assert.equal(es, eq);
    assert.ok(stream.destroyed);
    assert.equal(clock.pendingTimers, 0);
  });

  it('does not time out answered requests; the deadline moves to the next one', async () => {
    const { stream, wire, clock } = setup();
    const first = wire.request<ApiVersionsResponse>(apiVersionsApi, 2, {}, 100);
    clock.advance(50);
    const second = wire.request<ApiVersionsResponse>(apiVersionsApi, 2, {}, 100); // due at 150
    stream.h!.data(responseFrame(apiVersionsApi, 2, 1, versionsBody(7)));
    assert.equal((await first).apiKeys[0]!.maxVersion, 7);
    clock.advance(60); // t=110: past the first deadline, before the second
    assert.ok(!wire.closed);
    clock.advance(40); // t=150
    assert.equal((await rejection(second)).kind, 'timeout');
  });

  it('fails only the request whose body does not decode', async () => {
    const { stream, wire } = setup();
    const bad = wire.request(apiVersionsApi, 2, {});
    const good = wire.request<ApiVersionsResponse>(apiVersionsApi, 2, {});
    const truncated = Buffer.alloc(4 + 4 + 1); // size, correlation id, one byte of an int16 error code
    truncated.writeInt32BE(5, 0);
    truncated.writeInt32BE(1, 4);
    stream.h!.data(truncated);
    stream.h!.data(responseFrame(apiVersionsApi, 2, 2, versionsBody(3)));
    const e = await rejection(bad);
    assert.equal(e.kind, 'undecodable');
    assert.match(e.message, /^cannot decode ApiVersions v2 response from peer:1/);
    assert.equal((await good).apiKeys[0]!.maxVersion, 3);
    assert.ok(!wire.closed);
  });

  it('reads an ApiVersions answer in v0 form when the broker lacks the version asked for', async () => {
    const { stream, wire } = setup();
    const p = wire.request<ApiVersionsResponse>(apiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    stream.h!.data(responseFrame(apiVersionsApi, 0, 1, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] }));
    const r = await p;
    assert.equal(r.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(r.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 2 }]);
  });

  it('reports the peer hanging up and transport failures', async () => {
    const hangUp = setup();
    const a = hangUp.wire.request(apiVersionsApi, 2, {});
    hangUp.stream.h!.close(null);
    assert.equal((await rejection(a)).kind, 'peerClosed');

    const broken = setup();
    const b = broken.wire.request(apiVersionsApi, 2, {});
    broken.stream.h!.close(new Error('read ECONNRESET'));
    const e = await rejection(b);
    assert.equal(e.kind, 'transport');
    assert.match(e.message, /connection to peer:1 failed: read ECONNRESET/);
  });

  it('closes gracefully: pending requests fail, written bytes are flushed (end, not destroy)', async () => {
    const { stream, wire } = setup();
    const p = wire.request(apiVersionsApi, 2, {});
    wire.send(apiVersionsApi, 2, {}); // no response expected
    wire.close(true);
    assert.ok(stream.ended && !stream.destroyed);
    assert.equal((await rejection(p)).kind, 'closed');
    assert.throws(() => wire.send(apiVersionsApi, 2, {}), (err: unknown) => err instanceof KindError && err.kind === 'closed');
  });

  it('carries pre-built frames through the same bookkeeping, sharing the correlation counter', async () => {
    const { stream, wire } = setup();
    let id = wire.takeCorrelationId();
    assert.equal(id, 1);
    const frames: Array<{ id: number; frame: Buffer[] }> = [];
    for (let i = 0; i < 2; i++) {
      id = wire.takeCorrelationId();
      frames.push({ id, frame: encodeRequestFrame(apiVersionsApi, 2, id, 'perf', {}) });
    }
    const got: number[] = [];
    for (const f of frames) wire.sendFrame(apiVersionsApi, f.frame, (resp, err) => got.push(err ? -1 : resp!.readInt32BE(0)));
    stream.h!.data(Buffer.concat(frames.map((f) => responseFrame(apiVersionsApi, 2, f.id, versionsBody(1)))));
    assert.deepEqual(got, [2, 3]);
    let flushed = false;
    wire.sendFrameNoResponse(encodeRequestFrame(apiVersionsApi, 2, wire.takeCorrelationId(), 'perf', {}), () => (flushed = true));
    assert.ok(flushed, 'a one-way frame reports its flush');
    assert.equal(wire.inflight, 0, 'and waits for no answer');
    assert.throws(() => wire.sendFrame(apiVersionsApi, [Buffer.alloc(4)], () => undefined), /starts with its size and header/);
  });
});
