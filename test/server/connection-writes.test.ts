/**
 * Goal: a connection answers the requests of one read with one socket write when they finish in the
 * same event-loop turn (fewer write(2) calls and reader wake-ups under pipelining), without holding
 * back anything else: a lone request is written at once, a slow request in the batch does not hold
 * the earlier answers past the turn (writeSoon leaves them to the end of the turn), responses keep
 * request order whatever order they finish in, and a throttled answer is written at once.
 * Method: unit test of Connection with a stub dispatcher (each request answers with its own frame
 * body, after a promise the test controls) and a stream that records writev and writeSoon calls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/io/sim/manual-clock.js';
import type { ByteStream } from '../../src/io/net.js';
import { Connection } from '../../src/server/connection.js';
import type { Dispatcher, DispatchOutcome } from '../../src/server/dispatcher.js';
import { ReceivePool } from '../../src/server/receive-pool.js';
import { ANONYMOUS } from '../../src/security/principal.js';

type Handlers = Parameters<ByteStream['start']>[0];

/** Records each write as `soon:` or `now:` followed by the response bodies it carried. */
class RecordingStream implements ByteStream {
  readonly remoteAddress = '127.0.0.1:1';
  readonly writes: string[] = [];
  handlers: Handlers | null = null;
  start(h: Handlers): void {
    this.handlers = h;
  }
  writev(chunks: Buffer[]): boolean {
    this.writes.push(`now:${bodies(chunks)}`);
    return true;
  }
  writeSoon(chunks: Buffer[]): boolean {
    this.writes.push(`soon:${bodies(chunks)}`);
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
}

function bodies(chunks: Buffer[]): string {
  return chunks.map((c) => c.toString()).join(',');
}

/** A request frame (int32 size + body); the stub dispatcher answers with the body. */
function frame(body: string): Buffer {
  const b = Buffer.from(body);
  const out = Buffer.alloc(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

/**
 * A dispatcher whose answers wait for `release(body)` when the body starts with "slow", and carry a
 * quota throttle of 5 ms when it starts with "throttled".
 */
function stubDispatcher(): { dispatcher: Dispatcher; release(body: string): void } {
  const held = new Map<string, () => void>();
  const dispatcher = {
    nowMs: () => 0,
    completed: () => {},
    async dispatch(f: Buffer): Promise<DispatchOutcome> {
      const body = f.toString();
      if (body.startsWith('slow')) await new Promise<void>((resolve) => held.set(body, resolve));
      return { kind: 'response', chunks: [Buffer.from(body)], ...(body.startsWith('throttled') ? { throttleMs: 5 } : {}) };
    },
  } as unknown as Dispatcher;
  return { dispatcher, release: (body) => held.get(body)!() };
}

function connect(dispatcher: Dispatcher): RecordingStream {
  const stream = new RecordingStream();
  new Connection(stream, 'PLAINTEXT', dispatcher, pino({ level: 'silent' }), 1 << 20, () => {}, { principal: ANONYMOUS, sasl: null }, new ManualClock(), new ReceivePool(1 << 20));
  return stream;
}

/** Lets every pending promise reaction run (the stub's answers are a few microtask hops away). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Connection response writes', () => {
  it('answers the requests of one read with one write once the last is answered', async () => {
    const { dispatcher } = stubDispatcher();
    const stream = connect(dispatcher);
    stream.handlers!.data(Buffer.concat([frame('a'), frame('b'), frame('c')]));
    await settle();
    assert.deepEqual(stream.writes, ['soon:a', 'soon:b', 'now:c']);
  });

  it('writes a lone request at once, one write per read', async () => {
    const { dispatcher } = stubDispatcher();
    const stream = connect(dispatcher);
    stream.handlers!.data(frame('a'));
    await settle();
    stream.handlers!.data(frame('b'));
    await settle();
    assert.deepEqual(stream.writes, ['now:a', 'now:b']);
  });

  it('does not hold earlier answers for a slow request of the same read, and keeps request order', async () => {
    const { dispatcher, release } = stubDispatcher();
    const stream = connect(dispatcher);
    stream.handlers!.data(Buffer.concat([frame('a'), frame('slow1'), frame('c')]));
    await settle();
    // a leaves with the turn (writeSoon); c is answered but waits behind slow1 (request order).
    assert.deepEqual(stream.writes, ['soon:a']);
    release('slow1');
    await settle();
    assert.deepEqual(stream.writes, ['soon:a', 'now:slow1,c'], 'the last answer of the read goes out at once, with the one it waited for');
  });

  it('starts a new batch with each read that brings frames; a partial frame changes nothing', async () => {
    const { dispatcher, release } = stubDispatcher();
    const stream = connect(dispatcher);
    const second = frame('d');
    stream.handlers!.data(Buffer.concat([frame('slow1'), frame('b')]));
    stream.handlers!.data(Buffer.concat([frame('c'), second.subarray(0, 3)]));
    await settle();
    assert.deepEqual(stream.writes, [], 'everything waits behind slow1');
    stream.handlers!.data(second.subarray(3));
    await settle();
    release('slow1');
    await settle();
    // slow1 belonged to an earlier read: answering it does not end the latest batch (d), which is done already.
    assert.deepEqual(stream.writes, ['now:slow1,b,c,d']);
  });

  it('writes a throttled answer at once, before the mute', async () => {
    const { dispatcher } = stubDispatcher();
    const stream = connect(dispatcher);
    stream.handlers!.data(Buffer.concat([frame('throttled'), frame('b')]));
    await settle();
    assert.deepEqual(stream.writes, ['now:throttled', 'now:b']);
  });
});
