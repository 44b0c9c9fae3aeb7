// NATS JetStream peer for the benchmark table: publishes N messages of S bytes to a file-storage
// stream and waits for every JetStream ack; prints one line:
//   nats-bench: N msgs, X msgs/sec (Y MB/sec), T ms, mode M
// Modes: `async` (default) is JetStream async publishing as the Go client's PublishAsync does it:
// core publishes with a reply subject under one shared inbox subscription, at most WINDOW
// unacknowledged; `js` uses the npm client's js.publish() promise per message (much slower: the
// client spends ~40 µs of CPU per message), batches of WINDOW awaited together.
// Usage: node bench/nats-bench.mjs PORT NUM_RECORDS RECORD_SIZE [WINDOW] [async|js]
import { connect, StorageType, RetentionPolicy, createInbox } from 'nats';

const [port, nArg, sizeArg, windowArg, modeArg] = process.argv.slice(2);
const n = Number(nArg);
const size = Number(sizeArg);
const window = Number(windowArg ?? 4096);
const mode = modeArg ?? 'async';
const nc = await connect({ servers: `127.0.0.1:${port}`, timeout: 10000 });
const jsm = await nc.jetstreamManager();
try {
  await jsm.streams.delete('BENCH');
} catch {
  // not there yet
}
await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, max_bytes: -1 });
const payload = new Uint8Array(size);
for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
const start = performance.now();
let acked = 0;
let errors = 0;
if (mode === 'js') {
  const js = nc.jetstream({ timeout: 60000 });
  let inflight = [];
  for (let i = 0; i < n; i++) {
    inflight.push(js.publish('bench.perf', payload));
    if (inflight.length >= window) {
      acked += (await Promise.all(inflight)).length;
      inflight = [];
    }
  }
  acked += (await Promise.all(inflight)).length;
} else {
  const inbox = createInbox();
  let sent = 0;
  let wake = null;
  const sub = nc.subscribe(`${inbox}.*`, {
    callback: (err, m) => {
      if (err || m.data.length === 0 || m.data[2] !== 0x73 /* {"stream" */) errors++;
      acked++;
      if (wake && sent - acked < window / 2) {
        const w = wake;
        wake = null;
        w();
      }
    },
  });
  const deadline = Date.now() + 300_000;
  while (sent < n) {
    while (sent < n && sent - acked < window) nc.publish('bench.perf', payload, { reply: `${inbox}.${sent++}` });
    await new Promise((r) => {
      wake = r;
      setTimeout(r, 1000);
    });
    if (Date.now() > deadline) throw new Error('nats-bench: timed out');
  }
  while (acked < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  sub.unsubscribe();
}
const ms = performance.now() - start;
const rps = acked / (ms / 1000);
console.log(`nats-bench: ${acked} msgs, ${rps.toFixed(1)} msgs/sec (${((rps * size) / 1048576).toFixed(2)} MB/sec), ${ms.toFixed(0)} ms, mode ${mode}, ${errors} errors`);
await nc.close();
