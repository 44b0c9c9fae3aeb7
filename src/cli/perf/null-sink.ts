/**
 * Null sink: the loopback ceiling for the benchmarks. A TCP server that reads Kafka frames and
 * discards the records, speaking just enough Kafka for a producer to drive it: ApiVersions,
 * Metadata (it is the only broker and leads every partition), CreateTopics (remembers the partition
 * count) and Produce (success, offsets counted from batch headers only). Nothing touches disk.
 * Usage: node dist/src/cli/perf/null-sink.js [--port 0] [--host 127.0.0.1] [--partitions 1]
 * Prints `null-sink listening on HOST:PORT` once bound; stops on SIGTERM/SIGINT.
 */
import net from 'node:net';
import { ApiCodec, type Struct } from '../../protocol/codec.js';
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from '../../protocol/header.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import type { ApiDef } from '../../protocol/schema.js';
import { apiVersionsApi } from '../../protocol/messages/api-versions.js';
import { metadataApi } from '../../protocol/messages/metadata.js';
import { produceApi } from '../../protocol/messages/produce.js';
import { createTopicsApi } from '../../protocol/messages/create-topics.js';
import { num, parseArgs, str } from './args.js';

const args = parseArgs(process.argv.slice(2), { valued: ['port', 'host', 'partitions'] });
const host = str(args, 'host', '127.0.0.1');
const defaultPartitions = num(args, 'partitions', 1);

const supported: Array<{ api: ApiDef; min: number; max: number }> = [
  { api: produceApi, min: 3, max: 7 },
  { api: metadataApi, min: 1, max: 8 },
  { api: apiVersionsApi, min: 0, max: 3 },
  { api: createTopicsApi, min: 0, max: 4 },
];
const byKey = new Map(supported.map((s) => [s.api.apiKey, { ...s, codec: new ApiCodec(s.api) }]));
const topics = new Map<string, number>();
const nextOffsets = new Map<string, number>();
let boundPort = 0;

function handle(apiKey: number, req: Struct): Struct {
  switch (apiKey) {
    case 18:
      return { errorCode: 0, apiKeys: supported.map((s) => ({ apiKey: s.api.apiKey, minVersion: s.min, maxVersion: s.max })), throttleTimeMs: 0 };
    case 3: {
      const asked = req.topics as Array<{ name: string }> | null;
      const names = asked === null ? [...topics.keys()] : asked.map((t) => t.name);
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 0, host, port: boundPort, rack: null }],
        clusterId: 'null-sink',
        controllerId: 0,
        topics: names.map((name) => {
          if (!topics.has(name)) topics.set(name, defaultPartitions);
          const n = topics.get(name)!;
          return {
            errorCode: 0,
            name,
            isInternal: false,
            partitions: Array.from({ length: n }, (_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] })),
          };
        }),
      };
    }
    case 19: {
      const ts = req.topics as Array<{ name: string; numPartitions: number }>;
      return {
        throttleTimeMs: 0,
        topics: ts.map((t) => {
          const exists = topics.has(t.name);
          if (!exists) topics.set(t.name, t.numPartitions > 0 ? t.numPartitions : defaultPartitions);
          return { name: t.name, errorCode: exists ? 36 : 0, errorMessage: null, numPartitions: topics.get(t.name)!, replicationFactor: 1 };
        }),
      };
    }
    case 0: {
      const td = req.topicData as Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;
      return {
        throttleTimeMs: 0,
        responses: td.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const key = `${t.name}-${p.index}`;
            const base = nextOffsets.get(key) ?? 0;
            let next = base;
            const b = p.records;
            if (b) for (let at = 0; at + 61 <= b.length; at += b.readInt32BE(at + 8) + 12) next += b.readInt32BE(at + 23) + 1;
            nextOffsets.set(key, next);
            return { index: p.index, errorCode: 0, baseOffset: BigInt(base), logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
          }),
        })),
      };
    }
    default:
      throw new Error(`unsupported api ${apiKey}`);
  }
}

function respond(frame: Buffer): Buffer[] | null {
  const apiKey = frame.readInt16BE(0);
  const version = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const s = byKey.get(apiKey);
  if (!s || version < s.min || version > s.max) {
    if (apiKey === 18) {
      const w = new Writer();
      w.int32(0);
      encodeResponseHeader(w, correlationId, 0);
      byKey.get(18)!.codec.encodeResponse(0, { errorCode: 35, apiKeys: handle(18, {}).apiKeys as unknown[], throttleTimeMs: 0 }, w);
      return finish(w);
    }
    throw new Error(`null sink does not speak api ${apiKey} v${version}`);
  }
  const flexible = s.codec.isFlexible(version);
  const r = new Reader(frame);
  decodeRequestHeader(r, flexible);
  const req = s.codec.decodeRequest(version, r);
  if (apiKey === 0 && req.acks === 0) return null;
  const w = new Writer();
  w.int32(0);
  encodeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, flexible));
  s.codec.encodeResponse(version, handle(apiKey, req), w);
  return finish(w);
}

function finish(w: Writer): Buffer[] {
  const total = w.length;
  const chunks = w.toChunks();
  chunks[0]!.writeInt32BE(total - 4, 0);
  return chunks;
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    pending = null;
    let at = 0;
    const out: Buffer[] = [];
    try {
      while (buf.length - at >= 4) {
        const size = buf.readInt32BE(at);
        if (buf.length - at - 4 < size) break;
        const resp = respond(buf.subarray(at + 4, at + 4 + size));
        if (resp) out.push(...resp);
        at += 4 + size;
      }
    } catch (err) {
      process.stderr.write(`null-sink: ${(err as Error).message}; closing the connection\n`);
      socket.destroy();
      return;
    }
    if (at < buf.length) pending = at === 0 ? buf : Buffer.from(buf.subarray(at));
    buf = Buffer.alloc(0);
    if (out.length > 0) {
      socket.cork();
      for (const b of out) socket.write(b);
      socket.uncork();
    }
  });
  socket.on('error', () => undefined);
});

server.listen({ host, port: num(args, 'port', 0) }, () => {
  boundPort = (server.address() as net.AddressInfo).port;
  process.stdout.write(`null-sink listening on ${host}:${boundPort}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
