#!/usr/bin/env node
// The broker's own cost per Produce request, without sockets (issue 15): an in-process broker
// (the tests' helper), one partition, and Produce v7 requests of one batch (RECORDS records of 100 B)
// handed straight to its Dispatcher, DEPTH at a time (as a pipelining client's requests overlap).
// Prints wall and CPU µs per request: decode, validation, the append (its write(2) included),
// encode and metrics, but no socket read or write. With `node --cpu-prof bench/produce-path.mjs`
// the profile is of that path alone. Compare with bench/request-floor.mjs (the socket round trip).
//   node bench/produce-path.mjs [REQUESTS] [DEPTH] [RECORDS]   (after npm run build; 127.0.0.1 only)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
const requests = Number(process.argv[2] ?? 200_000);
const depth = Number(process.argv[3] ?? 3);
const recordsPerBatch = Number(process.argv[4] ?? 43); // P3's average at 1 M records/s, linger.ms=0
const WARMUP_REQUESTS = 50_000;

const { startBroker } = await dist('test/helpers/broker.js');
const { buildBatch } = await dist('test/helpers/batches.js');
const { ApiCodec } = await dist('src/protocol/codec.js');
const { Reader, Writer } = await dist('src/protocol/primitives.js');
const { produceApi } = await dist('src/protocol/messages/produce.js');

const b = await startBroker();
try {
  // The topic is made by the real tool over the socket (the in-process broker must keep running meanwhile).
  const code = await new Promise((resolve) =>
    spawn(process.execPath, [path.join(root, 'dist/src/cli/kafka-topics.js'), '--bootstrap-server', b.bootstrap, '--create', '--topic', 'path', '--partitions', '1'], { stdio: 'inherit' }).on('exit', resolve),
  );
  if (code !== 0) throw new Error(`kafka-topics --create failed (exit ${code})`);
  const dispatcher = b.broker.server.dispatcher; // private in TypeScript; this tool reaches in on purpose
  const batchBytes = buildBatch({ records: Array.from({ length: recordsPerBatch }, (_, i) => ({ value: Buffer.alloc(100, i) })) });
  const codec = new ApiCodec(produceApi);
  // Frames as the Connection hands them over (size prefix stripped); each has its own batch buffer,
  // since the leader patches baseOffset in place.
  const frames = Array.from({ length: 64 }, (_, i) => {
    const w = new Writer();
    w.int16(produceApi.apiKey).int16(7).int32(i).string('produce-path', false);
    codec.encodeRequest(7, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'path', partitionData: [{ index: 0, records: Buffer.from(batchBytes) }] }] }, w);
    return Buffer.concat(w.toChunks());
  });
  let sent = 0;
  const one = async () => {
    const o = await dispatcher.dispatch(frames[sent++ % frames.length], '127.0.0.1:1', 'PLAINTEXT');
    if (o.kind !== 'response') throw new Error(`no response: ${JSON.stringify(o)}`);
    if (o.timing) dispatcher.completed(o.timing, dispatcher.nowMs());
    return o;
  };
  const runN = async (n) => {
    const worker = async () => {
      while (sent < n) await one();
    };
    sent = 0;
    await Promise.all(Array.from({ length: depth }, worker));
  };
  // One request checked in full: the path measured must be the successful one.
  const first = await one();
  const r = new Reader(Buffer.concat(first.chunks).subarray(8)); // size + correlation id
  const decoded = codec.decodeResponse(7, r);
  const errorCode = decoded.responses[0].partitionResponses[0].errorCode;
  if (errorCode !== 0) throw new Error(`the broker answered Produce with error code ${errorCode}: that is not the path to measure`);
  await runN(WARMUP_REQUESTS);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runN(requests);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const per = (us) => (us / requests).toFixed(2);
  console.log(
    `${requests} Produce v7 requests of ${recordsPerBatch} records (100 B), ${depth} at a time: ${per(wallMs * 1000)} µs wall, ` +
      `${per(cpu.user + cpu.system)} µs CPU (user ${per(cpu.user)}, system ${per(cpu.system)}) per request`,
  );
} finally {
  await b.stop();
}
