/**
 * Frame-level fuzz target against a live broker: an in-process Broker (test/helpers/broker.ts:
 * real NodeNet sockets on 127.0.0.1, a temp data dir), driven over node:net.
 *
 * Input: a mode byte, then a request frame without its size prefix (header + body).
 *   mode & 3 = 0: sent as [size][frame] in one write; 1: the same split into writes of
 *   1 + (mode >> 2 & 7) bytes (frames crossing chunks); 2: followed in the same write by an
 *   ApiVersions v3 probe (pipelining after a bad frame); 3: raw, the bytes are the stream itself
 *   (size prefixes included: negative, oversized, partial and back-to-back frames).
 * The harness decodes each frame with our codec (the broker's own decode is deterministic, so this
 * tells what the broker must do) and then requires, frame by frame in order:
 *   - a frame that does not decode, or names an API/version we do not implement: the connection
 *     is closed promptly without an answer (ApiVersions of an unknown version: a v0 answer);
 *   - a decodable request: a well-formed answer (size prefix, its correlation id, a response body
 *     that our codec decodes to the last byte) within its own wait or timeout field (capped) +
 *     slack; Produce acks=0: no answer; JoinGroup/SyncGroup, and requests whose wait/timeout
 *     field exceeds WAIT_CHECKED_MS, may stay parked (counted, not checked further);
 *   - after the pipelined probe: its answer, in order.
 * Broker log lines at error level are findings too ("request handler failed (a broker bug)" is
 * how a handler exception surfaces: the client only sees a close). Every LIVENESS_EVERY inputs a
 * fresh connection must get an ApiVersions answer; `finish` has a real client (kcat) produce and
 * consume on a fresh topic. To keep a long run bounded the harness does not send requests that
 * would create more than PARTITIONS_PER_REQUEST_MAX partitions or alter broker-level configs,
 * and deletes topics it did not create every HOUSEKEEPING_EVERY inputs.
 * SAMSA_FUZZ_SERVER_LOG=1 prints every broker log line (warn and up) to stderr, for debugging.
 */
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { ApiCodec, type Struct } from '../../../src/protocol/codec.js';
import { handlerTable } from '../../../src/handlers/index.js';
import { ApiKey } from '../../../src/protocol/api-keys.js';
import { decodeRequestHeader, decodeResponseHeader, peekRequestHeader, responseHeaderVersion } from '../../../src/protocol/header.js';
import { DecodeError, Reader } from '../../../src/protocol/primitives.js';
import { buildRecordBatchSync } from '../../../src/protocol/records/builder.js';
import type { FieldDef } from '../../../src/protocol/schema.js';
import { setRootLogger } from '../../../src/log.js';
import { structArb } from '../../protocol/arbitraries.js';
import type { StartedBroker } from '../../helpers/broker.js';
import { Finding, type FuzzTarget } from '../target.js';
import { apiVersions, codecs, goldenFrames, requestFrame } from './codec.js';

const REQUEST_BYTES_MAX = 1 << 20;
const SLACK_MS = 3000;
/** Requests whose own wait is longer than this are not waited for (they may legitimately park). */
const WAIT_CHECKED_MS = 2000;
const CLOSE_MS = 3000;
const LIVENESS_EVERY = 250;
const HOUSEKEEPING_EVERY = 500;
const PARTITIONS_PER_REQUEST_MAX = 8;
const PROBE_CORRELATION_ID = 0x7e57;
const BASE_TOPICS = ['fuzz-a', 'fuzz-b', 'golden-topic'];
const GROUP = 'fuzz-group';

/** What the broker serves (embedded mode: no KRaft-only APIs), with each handler's version range. */
const served = new Map([...handlerTable({ kraft: false })].map(([key, h]) => [key, { codec: new ApiCodec(h.api), versionMin: h.versionMin, versionMax: h.versionMax }]));

type Reply = { kind: 'frame'; frame: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

/** A client socket that splits the broker's answers into frames; every wait is bounded. */
class Conn {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private closed = false;
  private wake: (() => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (size < 0 || this.buffered.length < 4 + size) break;
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined); // ECONNRESET when the broker drops us: 'close' follows
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Finding(`connecting to the broker took more than ${CLOSE_MS} ms`));
      }, CLOSE_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new Conn(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new Finding(`cannot connect to the broker: ${err.message}`));
      });
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  async write(bytes: Buffer, chunkBytes = 0): Promise<void> {
    if (this.closed) return;
    if (chunkBytes <= 0) {
      this.socket.write(bytes);
      return;
    }
    for (let at = 0; at < bytes.length && !this.closed; at += chunkBytes) {
      this.socket.write(bytes.subarray(at, at + chunkBytes));
      if (at % (chunkBytes * 64) === 0) await new Promise((r) => setImmediate(r));
    }
  }

  async next(timeoutMs: number): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return { kind: 'frame', frame };
      if (this.closed) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function sized(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

/** What the broker must do with one frame. */
type Expectation =
  | { kind: 'close'; why: string }
  | { kind: 'answer'; codec: ApiCodec; version: number; correlationId: number; waitMs: number }
  | { kind: 'none' } // Produce acks=0
  | { kind: 'parked'; api: string }; // may legitimately wait: not checked further

function numericWaitMs(body: Struct): number {
  let waitMs = 0;
  for (const [name, v] of Object.entries(body)) {
    if (typeof v === 'number' && /(timeout|wait)/i.test(name)) waitMs = Math.max(waitMs, v);
  }
  return waitMs;
}

function expectationOf(frame: Buffer): Expectation {
  const peek = peekRequestHeader(frame);
  if (peek === null) return { kind: 'close', why: 'shorter than a request header' };
  const handler = served.get(peek.apiKey);
  if (handler === undefined) return { kind: 'close', why: `API key ${peek.apiKey} not served` };
  const codec = handler.codec;
  if (peek.apiVersion < handler.versionMin || peek.apiVersion > handler.versionMax) {
    if (peek.apiKey === ApiKey.ApiVersions) return { kind: 'answer', codec, version: 0, correlationId: peek.correlationId, waitMs: 0 };
    return { kind: 'close', why: `${codec.def.name} v${peek.apiVersion} not implemented` };
  }
  let body: Struct;
  try {
    const r = new Reader(frame);
    decodeRequestHeader(r, codec.isFlexible(peek.apiVersion));
    body = codec.decodeRequest(peek.apiVersion, r);
  } catch (err) {
    if (err instanceof DecodeError) return { kind: 'close', why: `does not decode: ${err.message}` };
    throw err;
  }
  if (peek.apiKey === ApiKey.Produce && body.acks === 0) return { kind: 'none' };
  if (peek.apiKey === ApiKey.JoinGroup || peek.apiKey === ApiKey.SyncGroup) return { kind: 'parked', api: codec.def.name };
  const waitMs = numericWaitMs(body);
  if (waitMs > WAIT_CHECKED_MS) return { kind: 'parked', api: codec.def.name };
  return { kind: 'answer', codec, version: peek.apiVersion, correlationId: peek.correlationId, waitMs: Math.max(0, waitMs) };
}

/** Requests the harness does not send (see the header): null when the frame may go. */
function tooExpensive(frame: Buffer): string | null {
  const peek = peekRequestHeader(frame);
  const codec = peek && codecs.get(peek.apiKey);
  if (!peek || !codec || !codec.supports(peek.apiVersion)) return null;
  let body: Struct;
  try {
    const r = new Reader(frame);
    decodeRequestHeader(r, codec.isFlexible(peek.apiVersion));
    body = codec.decodeRequest(peek.apiVersion, r);
  } catch {
    return null; // does not decode: the broker closes the connection, nothing is expensive
  }
  if (peek.apiKey === ApiKey.CreateTopics) {
    const topics = body.topics as Array<{ numPartitions: number; assignments: unknown[] }>;
    const partitions = topics.reduce((n, t) => n + Math.max(t.numPartitions, t.assignments.length, 1), 0);
    if (partitions > PARTITIONS_PER_REQUEST_MAX) return 'CreateTopics with many partitions';
  }
  if (peek.apiKey === ApiKey.CreatePartitions) {
    const topics = body.topics as Array<{ count: number }>;
    if (topics.reduce((n, t) => n + Math.max(0, t.count), 0) > PARTITIONS_PER_REQUEST_MAX * 4) return 'CreatePartitions with many partitions';
  }
  if (peek.apiKey === ApiKey.AlterConfigs || peek.apiKey === ApiKey.IncrementalAlterConfigs) {
    const resources = body.resources as Array<{ resourceType: number }>;
    if (resources.some((r) => r.resourceType === 4 || r.resourceType === 8)) return 'broker-level config change';
  }
  return null;
}

/** The frames a raw stream holds, in order; stops at a bad size or a partial frame. */
function rawFrames(stream: Buffer): { frames: Buffer[]; badSize: boolean } {
  const frames: Buffer[] = [];
  for (let at = 0; at + 4 <= stream.length; ) {
    const size = stream.readInt32BE(at);
    if (size < 0 || size > REQUEST_BYTES_MAX) return { frames, badSize: true };
    if (at + 4 + size > stream.length) break;
    frames.push(stream.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return { frames, badSize: false };
}

function checkAnswer(frame: Buffer, e: Extract<Expectation, { kind: 'answer' }>): void {
  const what = `${e.codec.def.name} v${e.version}`;
  const r = new Reader(frame);
  try {
    const correlationId = decodeResponseHeader(r, responseHeaderVersion(e.codec.def.apiKey, e.codec.isFlexible(e.version)));
    if (correlationId !== e.correlationId) throw new Finding(`${what}: answer carries correlation id ${correlationId}, the request ${e.correlationId}`);
    e.codec.decodeResponse(e.version, r);
  } catch (err) {
    if (err instanceof DecodeError) throw new Finding(`${what}: the broker's answer does not decode: ${err.message}`);
    throw err;
  }
  if (r.remaining !== 0) throw new Finding(`${what}: the broker's answer has ${r.remaining} trailing bytes`);
}

// ---------------------------------------------------------------------------------------------
// seeds

/** Field values that reach past "unknown topic/group": our topics, groups, small numbers, real batches. */
function override(def: FieldDef): fc.Arbitrary<unknown> | undefined {
  const n = def.name;
  if (def.type === 'string') {
    if (/^(name|topic|topicName)$/.test(n)) return fc.constantFrom(...BASE_TOPICS, 'fuzz-new');
    if (/groupId|^group$/.test(n)) return fc.constantFrom(GROUP, 'fuzz-group-2');
    if (/^(memberId|groupInstanceId)$/.test(n)) return fc.constantFrom('', 'fuzz-member');
    if (/^(protocolType)$/.test(n)) return fc.constant('consumer');
  }
  if (def.type === 'string[]' && /topic/i.test(n)) return fc.array(fc.constantFrom(...BASE_TOPICS), { maxLength: 2 });
  if (def.type === 'int32' || def.type === 'int16') {
    if (/^(partitionIndex|partition|index|partitionId)$/.test(n)) return fc.integer({ min: 0, max: 2 });
    if (/numPartitions|count/.test(n)) return fc.integer({ min: 1, max: 3 });
    if (/replicationFactor/.test(n)) return fc.constantFrom(1, -1);
    if (/(timeout|wait)/i.test(n)) return fc.integer({ min: 0, max: 300 });
    if (/^(minBytes|maxBytes|partitionMaxBytes)$/.test(n)) return fc.integer({ min: 0, max: 1 << 16 });
    if (/acks/.test(n)) return fc.constantFrom(-1, 0, 1);
    if (/brokerId|nodeId|replicaId|leaderId/.test(n)) return fc.constantFrom(-1, 0, 1);
    if (/epoch/i.test(n)) return fc.constantFrom(-1, 0);
  }
  if (def.type === 'int64' && /offset/i.test(n)) return fc.bigInt({ min: -2n, max: 5n });
  if (def.type === 'records') {
    return fc.constantFrom(null, buildRecordBatchSync({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }), buildRecordBatchSync({ records: [{ key: null, value: Buffer.from('gz') }], compression: 1 }));
  }
  return undefined;
}

function serverSeeds(seed: number): Buffer[] {
  const out: Buffer[] = [];
  const modes = [0, 1 | (3 << 2), 2];
  for (const frame of goldenFrames()) out.push(Buffer.concat([Buffer.from([modes[out.length % 3]!]), frame]));
  for (const { codec, version } of apiVersions()) {
    const values = fc.sample(structArb(codec.def.request, version, codec.isFlexible(version), override), { seed: seed + codec.def.apiKey * 100 + version, numRuns: 2 });
    for (const body of [{}, ...values]) out.push(Buffer.concat([Buffer.from([modes[out.length % 3]!]), requestFrame(codec, version, out.length, body)]));
  }
  // Raw streams: negative and oversized sizes, a partial frame, two frames back to back.
  const apiVersionsFrame = requestFrame(codecs.get(ApiKey.ApiVersions)!, 3, 1, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' });
  out.push(Buffer.concat([Buffer.from([3]), sized(apiVersionsFrame), sized(apiVersionsFrame)]));
  out.push(Buffer.from([3, 0xff, 0xff, 0xff, 0xff, 0, 0]));
  out.push(Buffer.from([3, 0x7f, 0xff, 0xff, 0xff, 0, 0]));
  out.push(Buffer.concat([Buffer.from([3]), sized(apiVersionsFrame).subarray(0, 10)]));
  return out;
}

// ---------------------------------------------------------------------------------------------
// the target

let broker: StartedBroker | null = null;
let executed = 0;
const brokerErrors: string[] = [];
const handlerFailures = new Map<number, string>();
const stats = { answered: 0, closed: 0, parked: 0, noAnswer: 0, skipped: 0 };
const parkedByApi = new Map<string, number>();

/** One request to the broker on a fresh connection, outside the fuzzed traffic. */
async function adminRequest(codec: ApiCodec, version: number, body: Struct): Promise<void> {
  const c = await Conn.open(broker!.port);
  try {
    await c.write(sized(requestFrame(codec, version, 1, body)));
    const reply = await c.next(10_000);
    if (reply.kind !== 'frame') throw new Finding(`the broker did not answer ${codec.def.name} v${version} on a fresh connection (${reply.kind})`);
    checkAnswer(reply.frame, { kind: 'answer', codec, version, correlationId: 1, waitMs: 0 });
  } finally {
    c.close();
  }
}

async function assertAlive(): Promise<void> {
  await adminRequest(codecs.get(ApiKey.ApiVersions)!, 3, { clientSoftwareName: 'fuzz-liveness', clientSoftwareVersion: '1' });
}

async function createBaseTopics(): Promise<void> {
  await adminRequest(codecs.get(ApiKey.CreateTopics)!, 4, {
    topics: BASE_TOPICS.map((name) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 5000,
    validateOnly: false,
  });
}

/** Deletes every topic except the base ones and the internal ones. */
async function housekeeping(): Promise<void> {
  const metadata = codecs.get(ApiKey.Metadata)!;
  const c = await Conn.open(broker!.port);
  let names: string[] = [];
  try {
    await c.write(sized(requestFrame(metadata, 1, 1, { topics: null })));
    const reply = await c.next(10_000);
    if (reply.kind !== 'frame') throw new Finding(`the broker did not answer Metadata during housekeeping (${reply.kind})`);
    const r = new Reader(reply.frame);
    decodeResponseHeader(r, 0);
    const body = metadata.decodeResponse(1, r) as { topics: Array<{ name: string; isInternal: boolean }> };
    names = body.topics.filter((t) => !t.isInternal && !BASE_TOPICS.includes(t.name) && !t.name.startsWith('__')).map((t) => t.name);
  } finally {
    c.close();
  }
  if (names.length > 0) await adminRequest(codecs.get(ApiKey.DeleteTopics)!, 1, { topicNames: names, timeoutMs: 5000 });
  await createBaseTopics();
}

async function runFrames(c: Conn, frames: Buffer[], badSizeAfter: boolean): Promise<void> {
  for (const frame of frames) {
    const e = expectationOf(frame);
    if (e.kind === 'parked') {
      stats.parked++;
      parkedByApi.set(e.api, (parkedByApi.get(e.api) ?? 0) + 1);
      return;
    }
    if (e.kind === 'none') {
      stats.noAnswer++;
      continue;
    }
    if (e.kind === 'close') {
      const reply = await c.next(CLOSE_MS);
      if (reply.kind === 'frame') throw new Finding(`the broker answered a frame it should refuse (${e.why})`);
      if (reply.kind === 'timeout') throw new Finding(`the broker kept the connection open ${CLOSE_MS} ms after a frame it should refuse (${e.why})`);
      stats.closed++;
      return;
    }
    const reply = await c.next(e.waitMs + SLACK_MS);
    if (reply.kind === 'timeout') throw new Finding(`hang: ${e.codec.def.name} v${e.version} got no answer within ${e.waitMs + SLACK_MS} ms`);
    if (reply.kind === 'closed' && badSizeAfter) {
      // A bad size prefix later in the stream closes the connection at once, dropping answers
      // still being prepared (as Kafka does on an invalid receive).
      stats.closed++;
      return;
    }
    if (reply.kind === 'closed') {
      const failure = handlerFailures.get(c.localPort);
      throw new Finding(`${e.codec.def.name} v${e.version} decodes but the broker closed the connection instead of answering${failure ? `: ${failure}` : ''}`);
    }
    checkAnswer(reply.frame, e);
    stats.answered++;
  }
  if (badSizeAfter) {
    const reply = await c.next(CLOSE_MS);
    if (reply.kind === 'timeout') throw new Finding(`the broker kept the connection open ${CLOSE_MS} ms after a bad size prefix`);
    if (reply.kind === 'frame') throw new Finding('the broker answered more frames than it was sent');
    stats.closed++;
  }
}

export const serverTarget: FuzzTarget = {
  name: 'server',
  description: 'request frames (plain, fragmented, pipelined, raw streams) against an in-process broker over real sockets',
  coverageScope: /\/dist\/src\/(server|handlers|protocol|coordinator|cluster|replication|storage)\//,
  maxInputBytes: 4096,
  batchSize: 16,
  concurrency: 4,
  allocationBytesMax: 256 * 1024 * 1024,
  dictionary: [...[...codecs.keys()].map((k) => Buffer.from([k >> 8, k & 0xff])), ...BASE_TOPICS.map((t) => Buffer.from(t)), Buffer.from(GROUP)],
  seeds: (seed) => serverSeeds(seed),
  mutate(input, rand) {
    if (input.length < 5) return null;
    const out = Buffer.from(input);
    if (rand(2) === 0) out[0] = rand(256); // another delivery mode
    else {
      const keys = [...codecs.keys()];
      const codec = codecs.get(keys[rand(keys.length)]!)!;
      out.writeInt16BE(codec.def.apiKey, 1);
      out.writeInt16BE(codec.def.versionMin + rand(codec.def.versionMax - codec.def.versionMin + 1), 3);
    }
    return out;
  },
  async setup() {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line) continue;
          const entry = JSON.parse(line) as { level: number; msg: string; client?: string; err?: { message?: string; stack?: string } };
          if (process.env.SAMSA_FUZZ_SERVER_LOG === '1') console.error(line);
          if (entry.level < 50) continue;
          const text = `${entry.msg}${entry.err ? `: ${entry.err.stack ?? entry.err.message}` : ''}`;
          brokerErrors.push(text);
          const port = Number(/:(\d+)$/.exec(entry.client ?? '')?.[1] ?? 0);
          if (port > 0) handlerFailures.set(port, text);
        }
        done();
      },
    });
    setRootLogger(pino({ level: 'warn' }, sink));
    const { startBroker } = await import('../../helpers/broker.js');
    broker = await startBroker({
      overrides: [`socket.request.max.bytes=${REQUEST_BYTES_MAX}`, 'group.initial.rebalance.delay.ms=0', 'num.partitions=2', 'log.segment.bytes=1048576'],
    });
    await createBaseTopics();
  },
  async run(input) {
    if (broker === null) throw new Error('server target: setup() did not run');
    if (input.length === 0) return;
    const mode = input[0]!;
    const rest = input.subarray(1);
    const raw = (mode & 3) === 3;
    const { frames, badSize } = raw ? rawFrames(rest) : { frames: [rest], badSize: false };
    for (const frame of frames) {
      if (tooExpensive(frame) !== null) {
        stats.skipped++;
        return;
      }
    }
    const c = await Conn.open(broker.port);
    try {
      const probe = (mode & 3) === 2 ? sized(requestFrame(codecs.get(ApiKey.ApiVersions)!, 3, PROBE_CORRELATION_ID, { clientSoftwareName: 'fuzz-probe', clientSoftwareVersion: '1' })) : null;
      if (raw) await c.write(rest);
      else await c.write(probe ? Buffer.concat([sized(rest), probe]) : sized(rest), (mode & 3) === 1 ? 1 + ((mode >> 2) & 7) : 0);
      await runFrames(c, probe ? [...frames, probe.subarray(4)] : frames, badSize);
      const failure = handlerFailures.get(c.localPort);
      if (failure !== undefined) throw new Finding(`the broker logged an error for this connection: ${failure}`);
    } finally {
      c.close();
    }
    executed++;
    if (executed % LIVENESS_EVERY === 0) await assertAlive();
    if (executed % HOUSEKEEPING_EVERY === 0) await housekeeping();
  },
  async finish() {
    await assertAlive();
    const notes = [
      `outcomes: ${stats.answered} answered, ${stats.closed} closed, ${stats.noAnswer} acks=0 (no answer), ${stats.parked} parked (${[...parkedByApi].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), ${stats.skipped} not sent (expensive admin)`,
    ];
    if (brokerErrors.length > 0) notes.push(`broker error lines: ${brokerErrors.length}; first: ${brokerErrors[0]!.split('\n')[0]}`);
    if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0) {
      notes.push('kcat is not installed: the real-client check was skipped (apt-get install -y kcat)');
      return notes;
    }
    const { kcat } = await import('../../helpers/broker.js');
    const { kcatConsume } = await import('../../helpers/kcat.js');
    const topic = `after-fuzz-${Date.now()}`;
    const input = Array.from({ length: 20 }, (_, i) => `k${i}:after-fuzz-${i}`).join('\n') + '\n';
    await kcat(['-b', broker!.bootstrap, '-q', '-P', '-t', topic, '-K', ':'], { input, timeoutMs: 30_000 });
    const records = await kcatConsume(broker!.bootstrap, topic);
    const values = records.map((r) => r.value).sort();
    const expected = Array.from({ length: 20 }, (_, i) => `after-fuzz-${i}`).sort();
    if (values.length !== 20 || values.some((v, i) => v !== expected[i])) {
      throw new Finding(`after fuzzing, kcat consumed ${JSON.stringify(values.slice(0, 5))}… (${values.length} records), not the 20 it produced`);
    }
    notes.push('after fuzzing, kcat produced and consumed 20 records on a fresh topic');
    return notes;
  },
  async teardown() {
    await broker?.stop();
    broker = null;
  },
};
