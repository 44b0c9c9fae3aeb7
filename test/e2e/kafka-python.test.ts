/**
 * Goal: kafka-python 2.0.2 (pure-Python client, Debian's python3-kafka), which infers the broker's
 * version from ApiVersions and then picks its own request versions (Produce v7, Fetch v4,
 * ListOffsets v1, Metadata v1 for what it infers as 2.4), produces to Samsa and reads back with
 * assign/seek and no consumer group.
 *
 * Method: one in-process broker. An inline /usr/bin/python3 script sends N keyed records with a
 * header to partition 0 (uncompressed, and gzip, the only codec this Python has libraries for),
 * waits for every future and prints the RecordMetadata offsets and the version it inferred. A
 * second script uses KafkaConsumer(group_id=None) with assign(), beginning_offsets/end_offsets,
 * seek_to_beginning, seek to a middle offset and seek_to_end, and prints what it read. The test
 * checks offsets 0..N-1, the exact content from each start point, and that nothing comes after
 * seek_to_end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lastJsonLine, requirePythonModule, runPython, startBroker, type StartedBroker } from '../helpers/broker.js';

const N = 2000;
const MIDDLE = 1500;

const PRODUCE = String.raw`
import json, sys
from kafka import KafkaProducer
bootstrap, topic, n, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
p = KafkaProducer(bootstrap_servers=[bootstrap], acks=1, linger_ms=5, request_timeout_ms=10000,
                  max_block_ms=15000, compression_type=None if codec == 'none' else codec)
futures = [p.send(topic, key=('k%d' % i).encode(), value=('value-%d' % i).encode(),
                  headers=[('idx', str(i).encode())], partition=0) for i in range(n)]
p.flush(timeout=30)
offsets = [f.get(timeout=10).offset for f in futures]
print(json.dumps({'api_version': list(p.config['api_version']), 'offsets': offsets}))
p.close(timeout=5)
`;

const CONSUME = String.raw`
import json, sys, time
from kafka import KafkaConsumer, TopicPartition
bootstrap, topic, middle = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = KafkaConsumer(bootstrap_servers=[bootstrap], group_id=None, enable_auto_commit=False,
                  fetch_max_wait_ms=100, request_timeout_ms=10000)
tp = TopicPartition(topic, 0)
c.assign([tp])

def read_until(last_offset, seconds=20):
    got = []
    deadline = time.time() + seconds
    while time.time() < deadline and (not got or got[-1]['offset'] < last_offset):
        for records in c.poll(timeout_ms=200, max_records=5000).values():
            for r in records:
                got.append({'offset': r.offset, 'key': r.key.decode(), 'value': r.value.decode(),
                            'headers': [[k, v.decode()] for k, v in r.headers]})
    return got

out = {'api_version': list(c.config['api_version'])}
out['beginning'] = c.beginning_offsets([tp])[tp]
out['end'] = c.end_offsets([tp])[tp]
c.seek_to_beginning(tp)
out['position_after_seek_to_beginning'] = c.position(tp)
out['from_beginning'] = read_until(out['end'] - 1)
c.seek(tp, middle)
out['from_middle'] = read_until(out['end'] - 1)
c.seek_to_end(tp)
out['position_after_seek_to_end'] = c.position(tp)
after_end = []
deadline = time.time() + 1.5
while time.time() < deadline:
    for records in c.poll(timeout_ms=200).values():
        after_end.extend(r.offset for r in records)
out['after_end'] = after_end
print(json.dumps(out))
c.close()
`;

interface Rec {
  offset: number;
  key: string;
  value: string;
  headers: string[][];
}

const expected = (i: number): Rec => ({ offset: i, key: `k${i}`, value: `value-${i}`, headers: [['idx', String(i)]] });

describe('kafka-python against Samsa', () => {
  let b: StartedBroker;

  before(async () => {
    await requirePythonModule('kafka');
    b = await startBroker({ overrides: ['num.partitions=1'] });
  });
  after(async () => {
    await b?.stop();
  });

  for (const codec of ['none', 'gzip']) {
    describe(`records sent ${codec === 'none' ? 'uncompressed' : `with ${codec}`}`, () => {
      const topic = `kafka-python-${codec}`;

      it(`KafkaProducer.send() gets offsets 0..${N - 1} for ${N} records`, async (t) => {
        const r = await runPython(PRODUCE, [b.bootstrap, topic, String(N), codec], { timeoutMs: 90_000 });
        const { api_version, offsets } = lastJsonLine<{ api_version: number[]; offsets: number[] }>(r.stdout);
        t.diagnostic(`kafka-python inferred broker version ${api_version.join('.')}`);
        assert.ok(api_version[0]! >= 1, `kafka-python inferred a pre-1.0 broker (${api_version.join('.')}), so it would use old request versions`);
        assert.deepEqual(offsets, Array.from({ length: N }, (_, i) => i));
      });

      it('KafkaConsumer(group_id=None) reads from the beginning, a middle offset and the end via assign/seek', async () => {
        const r = await runPython(CONSUME, [b.bootstrap, topic, String(MIDDLE)], { timeoutMs: 90_000 });
        const out = lastJsonLine<{
          beginning: number;
          end: number;
          position_after_seek_to_beginning: number;
          from_beginning: Rec[];
          from_middle: Rec[];
          position_after_seek_to_end: number;
          after_end: number[];
        }>(r.stdout);
        assert.equal(out.beginning, 0);
        assert.equal(out.end, N);
        assert.equal(out.position_after_seek_to_beginning, 0);
        assert.deepEqual(out.from_beginning, Array.from({ length: N }, (_, i) => expected(i)));
        assert.deepEqual(out.from_middle, Array.from({ length: N - MIDDLE }, (_, i) => expected(MIDDLE + i)));
        assert.equal(out.position_after_seek_to_end, N);
        assert.deepEqual(out.after_end, []);
      });
    });
  }
});
