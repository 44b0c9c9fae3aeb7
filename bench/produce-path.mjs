#!/usr/bin/env node
// The broker's own cost per Produce request, without sockets (issue 15): an in-process broker
// (the tests' helper), a topic of TOPIC_PARTITIONS partitions, and Produce v7 requests of SPREAD
// batches (one per partition, RECORDS records of 100 B each; successive requests move on through the
// partitions) handed straight to its Dispatcher, DEPTH at a time (as a pipelining client's requests
// overlap). P3's shape is the default (one partition, 43 records); P6's is `… 8 1 100 2` (keyed
// records from many producers: ~2 partitions of ~1 record per request).
// Prints wall and CPU µs per request: decode, validation, the append (its write(2) included),
// encode and metrics, but no socket read or write. With `node --cpu-prof bench/produce-path.mjs`
// the profile is of that path alone. Compare with bench/request-floor.mjs (the socket round trip).
//   node bench/produce-path.mjs [REQUESTS] [DEPTH] [RECORDS] [TOPIC_PARTITIONS] [SPREAD]
//   (after npm run build; 127.0.0.1 only)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
const requests = Number(process.argv[2] ?? 200_000);
const depth = Number(process.argv[3] ?? 3);
const recordsPerBatch = Number(process.argv[4] ?? 43); // P3's average at 1 M records/s, linger.ms=0
const topicPartitions = Number(process.argv[5] ?? 1);
const spread = Math.min(topicPartitions, Number(process.argv[6] ?? 1));
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
    spawn(process.execPath, [path.join(root, 'dist/src/cli/kafka-topics.js'), '--bootstrap-server', b.bootstrap, '--create', '--topic', 'path', '--partitions', String(topicPartitions)], { stdio: 'inherit' }).on('exit', resolve),
  );
  if (code !== 0) throw new Error(`kafka-topics --create failed (exit ${code})`);
  const dispatcher = b.broker.server.dispatcher; // private in TypeScript; this tool reaches in on purpose
  const batchBytes = buildBatch({ records: Array.from({ length: recordsPerBatch }, (_, i) => ({ value: Buffer.alloc(100, i) })) });
  const codec = new ApiCodec(produceApi);
  // Frames as the Connection hands them over (size prefix stripped); each has its own batch buffer,
  // since the leader patches baseOffset in place.
  const frames = Array.from({ length: Math.max(64, topicPartitions) }, (_, i) => {
    const w = new Writer();
    w.int16(produceApi.apiKey).int16(7).int32(i).string('produce-path', false);
    const partitionData = Array.from({ length: spread }, (_, j) => ({ index: (i * spread + j) % topicPartitions, records: Buffer.from(batchBytes) }));
    codec.encodeRequest(7, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'path', partitionData }] }, w);
    return Buffer.concat(w.toChunks());
  });
  let sent = 0;
  // A frame is sent again only once its last request is answered: the leader patches offsets into
  // the request's bytes, and an append can wait in its partition's queue while others are answered.
  const inFlight = new Set();
  let next = 0;
  const one = async () => {
    while (inFlight.has(next % frames.length)) next++;
    const f = next++ % frames.length;
    inFlight.add(f);
    sent++;
    const o = await dispatcher.dispatch(frames[f], '127.0.0.1:1', 'PLAINTEXT');
    inFlight.delete(f);
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
  // CreateTopics answers before every partition has its leader: wait until each has (bounded).
  const leadersBy = performance.now() + 30_000;
  for (let p = 0; p < topicPartitions; p++) {
    while (!b.broker.replicas.partitions.get(`path-${p}`)?.isLeader) {
      if (performance.now() > leadersBy) throw new Error(`path-${p} has no leader after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // Every frame answered once and checked in full: the path measured must be the successful one
  // (a refused partition costs an Error's stack trace and writes nothing).
  for (let i = 0; i < frames.length; i++) {
    const o = await one();
    const decoded = codec.decodeResponse(7, new Reader(Buffer.concat(o.chunks).subarray(8))); // size + correlation id
    const refused = decoded.responses[0].partitionResponses.find((p) => p.errorCode !== 0);
    if (refused) throw new Error(`the broker answered Produce for partition ${refused.index} with error code ${refused.errorCode}: that is not the path to measure`);
  }
  await runN(WARMUP_REQUESTS);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runN(requests);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const per = (us) => (us / requests).toFixed(2);
  console.log(
    `${requests} Produce v7 requests of ${spread} × ${recordsPerBatch} records (100 B; ${topicPartitions} partitions), ${depth} at a time: ${per(wallMs * 1000)} µs wall, ` +
      `${per(cpu.user + cpu.system)} µs CPU (user ${per(cpu.user)}, system ${per(cpu.system)}) per request`,
  );
} finally {
  await b.stop();
}
