/**
 * Goal: bin/kafka-dump-log prints the files a running broker wrote — segments, offset and time
 * indexes, producer snapshots, the leader-epoch checkpoint, __consumer_offsets with
 * --offsets-decoder — in Kafka 3.x's line formats, with payloads matching what a real consumer
 * reads; reports corrupt and truncated files in Kafka's words (invalid bytes, isvalid: false, index
 * mismatches) without a stack trace; and fails missing files and unsupported options with one line
 * and exit code 1.
 *
 * Method: an in-process broker on 127.0.0.1:0 over a temp dir with small segments and a small index
 * interval; kcat (an idempotent producer) writes keyed, gzip-compressed and plain batches; our
 * console consumer commits a group's offsets. After the broker stops (so indexes and snapshots are
 * on disk), the tool runs through bin/ on those files and on damaged copies of them.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, makeTempDir, removeDir, startBroker, type StartedBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { lines, tool, toolOk } from './tools.js';

const BATCH_LINE =
  /^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: (-?\d+) lastSequence: (-?\d+) producerId: (-?\d+) producerEpoch: (-?\d+) partitionLeaderEpoch: (\d+) isTransactional: false isControl: false deleteHorizonMs: OptionalLong\.empty position: (\d+) CreateTime: (\d+) size: (\d+) magic: 2 compresscodec: (none|gzip) crc: (\d+) isvalid: (true|false)$/;
const RECORD_LINE = /^\| offset: (\d+) CreateTime: (\d+) keySize: (-?\d+) valueSize: (\d+) sequence: (-?\d+) headerKeys: \[\](?: key: (\S+))? payload: (.*)$/;

interface Batch {
  baseOffset: number;
  lastOffset: number;
  count: number;
  baseSequence: number;
  lastSequence: number;
  /** Producer ids go past 2^53: kept as text. */
  producerId: string;
  position: number;
  maxTimestamp: number;
  size: number;
  codec: string;
  valid: boolean;
}

function parseBatch(line: string): Batch {
  const m = BATCH_LINE.exec(line);
  assert.ok(m, `not a batch line: ${line}`);
  return {
    baseOffset: Number(m[1]),
    lastOffset: Number(m[2]),
    count: Number(m[3]),
    baseSequence: Number(m[4]),
    lastSequence: Number(m[5]),
    producerId: m[6]!,
    position: Number(m[9]),
    maxTimestamp: Number(m[10]),
    size: Number(m[11]),
    codec: m[12]!,
    valid: m[14] === 'true',
  };
}

const noStackTrace = (text: string): void => assert.doesNotMatch(text, /^\s+at /m, `stack trace in:\n${text}`);

describe('kafka-dump-log', () => {
  let dataDir: string;
  let scratch: string;
  let b: StartedBroker;
  let partitionDir: string;
  let segments: string[];
  const keyed = Array.from({ length: 5 }, (_, i) => `k${i + 1}:v${i + 1}`);
  const gzipped = Array.from({ length: 30 }, (_, i) => `gz-${i + 1}`);
  const plainBatches = Array.from({ length: 8 }, (_, r) => Array.from({ length: 10 }, (_, i) => `p${r}-${i}-${'x'.repeat(90)}`));
  const total = keyed.length + gzipped.length + plainBatches.length * 10;
  let consumed: Array<{ key: string; value: string; offset: number }>;

  before(async () => {
    dataDir = await makeTempDir('samsa-dumplog-');
    scratch = await makeTempDir('samsa-dumplog-copies-');
    b = await startBroker({
      dataDir,
      overrides: ['log.index.interval.bytes=200', 'log.segment.bytes=4096', 'offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0'],
    });
    await toolOk('kafka-topics', ['--create', '--bootstrap-server', b.bootstrap, '--topic', 'dl', '--partitions', '1']);
    const produce = (input: string[], extra: string[]) =>
      kcat(['-P', '-b', b.bootstrap, '-t', 'dl', '-p', '0', '-X', 'enable.idempotence=true', ...extra], { input: `${input.join('\n')}\n` });
    await produce(keyed, ['-K:']);
    await produce(gzipped, ['-z', 'gzip']);
    for (const batch of plainBatches) await produce(batch, []);
    consumed = (await kcatConsume(b.bootstrap, 'dl')).map((r) => ({ key: r.key, value: r.value, offset: r.offset }));
    assert.equal(consumed.length, total);
    const c = await toolOk('kafka-console-consumer', ['--bootstrap-server', b.bootstrap, '--topic', 'dl', '--group', 'dl-group', '--from-beginning', '--max-messages', String(total)]);
    assert.equal(lines(c.stdout).length, total);
    await b.stop();
    partitionDir = path.join(dataDir, 'dl-0');
    segments = (await readdir(partitionDir)).filter((f) => f.endsWith('.log')).sort();
  });
  after(async () => {
    await b?.stop();
    if (dataDir) await removeDir(dataDir);
    if (scratch) await removeDir(scratch);
  });

  const file = (name: string): string => path.join(partitionDir, name);

  it('dumps every segment in Kafka format, with payloads a real consumer reads', async () => {
    assert.ok(segments.length >= 3, `expected rolled segments, got ${segments.join(',')}`);
    const r = await toolOk('kafka-dump-log', ['--print-data-log', '--files', segments.map(file).join(',')]);
    assert.equal(r.stderr, '');
    const out = lines(r.stdout);
    const records: Array<{ offset: number; key: string | undefined; payload: string }> = [];
    const batches: Batch[] = [];
    let segmentIndex = -1;
    let nextPosition = 0;
    for (const line of out) {
      if (line.startsWith('Dumping ')) {
        segmentIndex++;
        assert.equal(line, `Dumping ${file(segments[segmentIndex]!)}`);
        nextPosition = 0;
        continue;
      }
      if (line.startsWith('Log starting offset: ')) {
        assert.equal(line, `Log starting offset: ${Number(segments[segmentIndex]!.slice(0, 20))}`);
        continue;
      }
      if (line.startsWith('| ')) {
        const m = RECORD_LINE.exec(line);
        assert.ok(m, `not a record line: ${line}`);
        const batch = batches.at(-1)!;
        const offset = Number(m[1]);
        assert.equal(Number(m[5]), batch.baseSequence + (offset - batch.baseOffset), 'record sequence');
        assert.equal(Number(m[4]), Buffer.byteLength(m[7]!), 'valueSize');
        records.push({ offset, key: m[6], payload: m[7]! });
        continue;
      }
      const batch = parseBatch(line);
      assert.equal(batch.position, nextPosition, 'positions add up');
      nextPosition += batch.size;
      assert.ok(batch.valid);
      assert.match(batch.producerId, /^\d+$/, 'kcat produced idempotently');
      assert.equal(batch.lastOffset - batch.baseOffset + 1, batch.count);
      assert.equal(batch.lastSequence, batch.baseSequence + batch.count - 1);
      batches.push(batch);
    }
    assert.equal(segmentIndex, segments.length - 1);
    assert.ok(batches.some((x) => x.codec === 'gzip' && x.count === gzipped.length), 'the compressed batch is there');
    assert.deepEqual(
      records.map((x) => x.offset),
      consumed.map((x) => x.offset),
    );
    assert.deepEqual(
      records.map((x) => x.payload),
      consumed.map((x) => x.value),
    );
    assert.deepEqual(
      records.slice(0, keyed.length).map((x) => x.key),
      keyed.map((k) => k.split(':')[0]),
    );
  });

  it('prints batch lines only without --deep-iteration, and record metadata only without --print-data-log', async () => {
    const shallow = await toolOk('kafka-dump-log', ['--files', file(segments[0]!)]);
    assert.ok(lines(shallow.stdout).slice(2).every((l) => BATCH_LINE.test(l)));
    const deep = await toolOk('kafka-dump-log', ['--deep-iteration', '--files', file(segments[0]!)]);
    const recordLines = lines(deep.stdout).filter((l) => l.startsWith('| '));
    assert.ok(recordLines.length > 0);
    for (const l of recordLines) assert.match(l, /^\| offset: \d+ CreateTime: \d+ keySize: -?\d+ valueSize: \d+ sequence: \d+ headerKeys: \[\]$/);
    const skip = await toolOk('kafka-dump-log', ['--print-data-log', '--skip-record-metadata', '--files', file(segments[0]!)]);
    assert.ok(lines(skip.stdout).includes('| key: k1 payload: v1'), skip.stdout);
  });

  it('dumps offset and time indexes that agree with the log', async () => {
    const first = segments[0]!.slice(0, 20);
    const log = await toolOk('kafka-dump-log', ['--files', file(`${first}.log`)]);
    const batches = lines(log.stdout).slice(2).map(parseBatch);
    const idx = await toolOk('kafka-dump-log', ['--files', file(`${first}.index`)]);
    assert.equal(idx.stderr, '', 'no mismatches');
    const entries = lines(idx.stdout).slice(1);
    assert.ok(entries.length >= 1, idx.stdout);
    for (const e of entries) {
      const m = /^offset: (\d+) position: (\d+)$/.exec(e);
      assert.ok(m, e);
      assert.ok(batches.some((x) => x.baseOffset === Number(m[1]) && x.position === Number(m[2])), `index entry ${e} names a batch`);
    }
    const time = await toolOk('kafka-dump-log', ['--files', file(`${first}.timeindex`)]);
    assert.equal(time.stderr, '');
    const timeEntries = lines(time.stdout).slice(1);
    assert.ok(timeEntries.length >= 1, time.stdout);
    for (const e of timeEntries) {
      const m = /^timestamp: (\d+) offset: (\d+)$/.exec(e);
      assert.ok(m, e);
      assert.ok(batches.some((x) => x.baseOffset === Number(m[2]) && x.maxTimestamp === Number(m[1])), `time index entry ${e} names a batch`);
    }
    const verify = await toolOk('kafka-dump-log', ['--verify-index-only', '--files', `${file(`${first}.index`)},${file(`${first}.timeindex`)}`]);
    assert.deepEqual(lines(verify.stdout), [`Dumping ${file(`${first}.index`)}`, `Dumping ${file(`${first}.timeindex`)}`]);
    assert.equal(verify.stderr, '');
    const sanity = await toolOk('kafka-dump-log', ['--index-sanity-check', '--files', file(`${first}.index`)]);
    assert.deepEqual(lines(sanity.stdout), [`Dumping ${file(`${first}.index`)}`, `${file(`${first}.index`)} passed sanity check.`]);
  });

  it('dumps producer snapshots and the leader-epoch checkpoint', async () => {
    const log = await toolOk('kafka-dump-log', ['--files', file(segments[0]!)]);
    const producerId = parseBatch(lines(log.stdout)[2]!).producerId;
    const snapshots = (await readdir(partitionDir)).filter((f) => f.endsWith('.snapshot')).sort();
    assert.ok(snapshots.length >= 1, 'a snapshot was written on roll or close');
    const r = await toolOk('kafka-dump-log', ['--files', file(snapshots.at(-1)!)]);
    const out = lines(r.stdout);
    assert.equal(out[0], `Dumping ${file(snapshots.at(-1)!)}`);
    assert.ok(out.length >= 2, r.stdout);
    const m =
      /^producerId: (\d+) producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong\.empty lastTimestamp: \d+ firstSequence: (\d+) lastSequence: (\d+) lastOffset: (\d+) offsetDelta: (\d+) timestamp: \d+$/.exec(
        out[1]!,
      );
    assert.ok(m, out[1]);
    assert.ok(out.slice(1).some((l) => l.startsWith(`producerId: ${producerId} `)), `the producer of the first batch (${producerId}) is in the snapshot:\n${r.stdout}`);
    assert.equal(Number(m[3]) - Number(m[2]), Number(m[5]));
    const epochs = await toolOk('kafka-dump-log', ['--files', file('leader-epoch-checkpoint')]);
    assert.deepEqual(lines(epochs.stdout), [`Dumping ${file('leader-epoch-checkpoint')}`, 'epoch: 0 startOffset: 0']);
  });

  it('decodes __consumer_offsets with --offsets-decoder', async () => {
    const dir = path.join(dataDir, '__consumer_offsets-0');
    const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    const r = await toolOk('kafka-dump-log', ['--offsets-decoder', '--files', logs.map((f) => path.join(dir, f)).join(',')]);
    const recordLines = lines(r.stdout).filter((l) => l.startsWith('| '));
    const group = recordLines.find((l) => l.includes(' key: {"type":"2","data":{"group":"dl-group"}} payload: {"version":"3","data":{"protocolType":"consumer","generation":1,'));
    assert.ok(group, r.stdout);
    assert.match(group, /"members":\[\{"memberId":"[^"]+","groupInstanceId":null,"clientId":"console-consumer","clientHost":"\/127\.0\.0\.1","rebalanceTimeout":\d+,"sessionTimeout":\d+,"subscription":\{"topics":\["dl"\],"userData":null\},"assignment":\{"assignedPartitions":\[\{"topic":"dl","partitions":\[0\]\}\],"userData":null\}\}\]/);
    const commits = recordLines.filter((l) => l.includes(' key: {"type":"1","data":{"group":"dl-group","topic":"dl","partition":0}} payload: {"version":"3","data":{"offset":'));
    assert.ok(commits.length >= 1, r.stdout);
    assert.match(commits.at(-1)!, new RegExp(`payload: \\{"version":"3","data":\\{"offset":${total},"leaderEpoch":-?\\d+,"metadata":"","commitTimestamp":\\d+\\}\\}$`));
  });

  it('reports a truncated, corrupted or mismatched file as Kafka does, without a stack trace', async () => {
    const first = segments[0]!.slice(0, 20);
    const bytes = await readFile(file(`${first}.log`));
    // Trailing garbage: counted as invalid bytes.
    const torn = path.join(scratch, `${first}.log`);
    await writeFile(torn, Buffer.concat([bytes, Buffer.from([0, 0, 0, 1, 2, 3, 4])]));
    let r = await toolOk('kafka-dump-log', ['--files', torn]);
    assert.equal(lines(r.stdout).at(-1), `Found 7 invalid bytes at the end of ${first}.log`);
    // A flipped byte inside the first batch's records: that batch is shown invalid, the rest still dumps.
    const flipped = Buffer.from(bytes);
    flipped[70] = flipped[70]! ^ 0xff;
    await writeFile(torn, flipped);
    r = await toolOk('kafka-dump-log', ['--files', torn]);
    const shown = lines(r.stdout).slice(2).map(parseBatch);
    assert.equal(shown[0]!.valid, false);
    assert.ok(shown.slice(1).every((x) => x.valid));
    noStackTrace(r.stderr);
    // An index entry pointing at the wrong batch: Kafka's mismatch report on stderr.
    await writeFile(torn, bytes);
    const index = await readFile(file(`${first}.index`));
    const wrong = Buffer.from(index);
    wrong.writeInt32BE(wrong.readInt32BE(0) + 1, 0);
    const badIndex = path.join(scratch, `${first}.index`);
    await writeFile(badIndex, wrong);
    r = await toolOk('kafka-dump-log', ['--files', badIndex]);
    const errLines = lines(r.stderr);
    assert.equal(errLines[0], `Mismatches in :${badIndex}`);
    assert.match(errLines[1]!, new RegExp(`^ {2}Index offset: ${Number(first) + index.readInt32BE(0) + 1}, log offset: \\d+$`));
    // A torn index fails the broker's own sanity check: one line, exit 1.
    await writeFile(badIndex, index.subarray(0, index.length - 3));
    r = await tool('kafka-dump-log', ['--index-sanity-check', '--files', badIndex]);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [`Corrupt index found, index file (${badIndex}) failed its sanity check: size ${index.length - 3} is not a multiple of 8`]);
    // A copied segment dumps the same as the original (no broker involved).
    await copyFile(file(`${first}.log`), torn);
    const a = await toolOk('kafka-dump-log', ['--files', torn]);
    const o = await toolOk('kafka-dump-log', ['--files', file(`${first}.log`)]);
    assert.deepEqual(lines(a.stdout).slice(1), lines(o.stdout).slice(1));
  });

  it('fails missing files and unsupported options with one line and exit code 1', async () => {
    let r = await tool('kafka-dump-log', []);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr)[0], 'Missing required argument "[files]"');
    const missing = path.join(scratch, '00000000000000000999.log');
    r = await tool('kafka-dump-log', ['--files', missing]);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), [`Dumping ${missing}`]);
    assert.deepEqual(lines(r.stderr), [`${missing} (No such file or directory)`]);
    r = await tool('kafka-dump-log', ['--transaction-log-decoder', '--files', file(segments[0]!)]);
    assert.equal(r.code, 1);
    assert.match(lines(r.stderr)[0]!, /^--transaction-log-decoder is not supported yet: /);
    r = await tool('kafka-dump-log', ['--value-decoder-class', 'com.example.AvroDecoder', '--files', file(segments[0]!)]);
    assert.equal(r.code, 1);
    assert.match(lines(r.stderr)[0]!, /is not supported by Samsa: only kafka\.serializer\.StringDecoder/);
    r = await toolOk('kafka-dump-log', ['--value-decoder-class', 'kafka.serializer.StringDecoder', '--print-data-log', '--files', file(segments[0]!)]);
    assert.match(r.stdout, / key: k1 payload: v1$/m);
    r = await tool('kafka-dump-log.sh', ['--files', path.join(scratch, 'notes.txt')]);
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.stderr), [`Ignoring unknown file ${path.join(scratch, 'notes.txt')}`]);
    for (const text of [r.stderr]) noStackTrace(text);
  });
});
