/**
 * Goal: bin/kafka-verifiable-producer and bin/kafka-verifiable-consumer emit the JSON-lines events
 * Kafka's system tests read, with Kafka's names and fields: the producer acks every one of N
 * messages (values 0..N-1, offsets increasing from 0 per partition), honours --value-prefix,
 * --repeating-keys, --message-create-time and --throughput, and ends with shutdown_complete and
 * tool_data (also on SIGTERM); two consumers in one group (round-robin assignor) split the
 * partitions, read every message exactly once with records_consumed counts adding up and
 * offsets_committed after each poll, and stop cleanly on SIGTERM; --max-messages and --verbose
 * work; bad arguments and an unreachable broker fail with one line and exit 1.
 *
 * Method: one in-process broker on 127.0.0.1:0 (temp dir); the tools run through bin/ as child
 * processes (long-running consumers are signalled like a test harness would); kcat reads back
 * timestamps; every wait is bounded.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kcat, spawnCaptured, startBroker, waitFor, withTimeout, type CapturedProcess, type StartedBroker } from '../helpers/broker.js';
import { BIN, closedPort, lines, tool, toolOk } from './tools.js';

type Event = { timestamp: number; name: string } & Record<string, unknown>;
type TP = { topic: string; partition: number };
type Summary = TP & { count: number; minOffset: number; maxOffset: number };

/** The JSON event lines of a tool's output, checked for Kafka's leading "timestamp", "name". */
function events(text: string): Event[] {
  return lines(text)
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const e = JSON.parse(l) as Event;
      assert.deepEqual(Object.keys(e).slice(0, 2), ['timestamp', 'name'], l);
      assert.ok(Number.isInteger(e.timestamp) && e.timestamp > 1_600_000_000_000, l);
      return e;
    });
}

const named = (list: Event[], name: string): Event[] => list.filter((e) => e.name === name);

function startTool(name: string, args: string[]): CapturedProcess {
  return spawnCaptured(path.join(BIN, name), args, { ...process.env, NO_COLOR: '1' });
}

describe('kafka-verifiable-producer and kafka-verifiable-consumer', () => {
  let b: StartedBroker;
  let bs: string;
  const running: CapturedProcess[] = [];

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000'] });
    bs = b.bootstrap;
    for (const [topic, partitions] of [
      ['vt', 3],
      ['vt-one', 1],
      ['vt-slow', 2],
    ] as const) {
      await toolOk('kafka-topics', ['--create', '--bootstrap-server', bs, '--topic', topic, '--partitions', String(partitions)]);
    }
  });
  after(async () => {
    for (const p of running) if (!p.hasExited()) p.child.kill('SIGKILL');
    await b?.stop();
  });

  it('producer: N messages, all acked, offsets increasing per partition, then shutdown_complete and tool_data', async () => {
    const r = await toolOk('kafka-verifiable-producer', ['--topic', 'vt-one', '--bootstrap-server', bs, '--max-messages', '50']);
    const all = events(r.stdout);
    assert.equal(all[0]!.name, 'startup_complete');
    assert.deepEqual(
      all.slice(-2).map((e) => e.name),
      ['shutdown_complete', 'tool_data'],
    );
    const sent = named(all, 'producer_send_success');
    assert.equal(sent.length, 50);
    for (const e of sent) assert.deepEqual(Object.keys(e), ['timestamp', 'name', 'key', 'value', 'topic', 'partition', 'offset']);
    assert.deepEqual(
      sent.map((e) => e.offset),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      sent.map((e) => e.value),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    assert.ok(sent.every((e) => e.key === null && e.topic === 'vt-one' && e.partition === 0));
    const data = all.at(-1)!;
    assert.deepEqual(Object.keys(data), ['timestamp', 'name', 'sent', 'acked', 'target_throughput', 'avg_throughput']);
    assert.equal(data.sent, 50);
    assert.equal(data.acked, 50);
    assert.equal(data.target_throughput, -1);
    assert.ok((data.avg_throughput as number) > 0);
  });

  it('producer: --value-prefix, --repeating-keys, --message-create-time, --acks', async () => {
    const r = await toolOk('kafka-verifiable-producer.sh', [
      '--topic', 'vt-one', '--broker-list', bs, '--max-messages', '6', '--value-prefix', '7', '--repeating-keys', '3', '--acks', '1', '--message-create-time', '1700000000000',
    ]);
    const sent = named(events(r.stdout), 'producer_send_success');
    assert.deepEqual(
      sent.map((e) => [e.key, e.value]),
      [
        ['0', '7.0'],
        ['1', '7.1'],
        ['2', '7.2'],
        ['0', '7.3'],
        ['1', '7.4'],
        ['2', '7.5'],
      ],
    );
    assert.deepEqual(
      sent.map((e) => e.offset),
      [50, 51, 52, 53, 54, 55],
    );
    const read = await kcat(['-C', '-b', bs, '-t', 'vt-one', '-o', '50', '-e', '-q', '-f', '%T %k %s\\n']);
    const got = lines(read.stdout).map((l) => l.split(' '));
    assert.equal(got.length, 6);
    assert.equal(got[0]![0], '1700000000000', 'the first record carries --message-create-time');
    assert.ok(got.every((g, i) => Number(g[0]) >= 1_700_000_000_000 && g[2] === `7.${i}` && g[1] === String(i % 3)));
  });

  it('producer: --throughput paces sending and SIGTERM stops it cleanly', async () => {
    const p = startTool('kafka-verifiable-producer', ['--topic', 'vt-slow', '--bootstrap-server', bs, '--throughput', '40']);
    running.push(p);
    await waitFor(() => named(events(p.out.join('')), 'producer_send_success').length >= 20, { timeoutMs: 20_000, what: '20 acks' });
    p.child.kill('SIGTERM');
    const exit = await withTimeout(p.exited, 20_000, 'the producer to stop');
    assert.equal(exit.code, 0);
    const all = events(p.out.join(''));
    assert.deepEqual(
      all.slice(-2).map((e) => e.name),
      ['shutdown_complete', 'tool_data'],
    );
    const acked = named(all, 'producer_send_success').length;
    const data = all.at(-1)!;
    assert.equal(data.acked, acked);
    assert.ok((data.sent as number) >= acked);
    assert.equal(data.target_throughput, 40);
    assert.ok((data.avg_throughput as number) < 60, `paced near 40/s, got ${String(data.avg_throughput)}`);
  });

  it('two consumers in a group read every message once, with records_consumed counts adding up', async () => {
    const consumerArgs = ['--topic', 'vt', '--group-id', 'vg', '--bootstrap-server', bs, '--session-timeout', '6000', '--assignment-strategy', 'org.apache.kafka.clients.consumer.RoundRobinAssignor'];
    const a = startTool('kafka-verifiable-consumer', consumerArgs);
    running.push(a);
    await waitFor(() => named(events(a.out.join('')), 'partitions_assigned').length >= 1, { timeoutMs: 20_000, what: 'the first consumer to join' });
    const c = startTool('kafka-verifiable-consumer.sh', consumerArgs);
    running.push(c);
    const assignmentOf = (p: CapturedProcess): TP[] => (named(events(p.out.join('')), 'partitions_assigned').at(-1)?.partitions as TP[] | undefined) ?? [];
    // Both joined the same generation: their latest assignments split the 3 partitions.
    await waitFor(
      () => {
        const parts = [...assignmentOf(a), ...assignmentOf(c)].map((x) => x.partition).sort();
        return named(events(c.out.join('')), 'partitions_assigned').length >= 1 && JSON.stringify(parts) === '[0,1,2]';
      },
      { timeoutMs: 30_000, what: 'the group to rebalance over both consumers' },
    );
    const split = [assignmentOf(a), assignmentOf(c)].map((l) => l.map((x) => x.partition)).sort((x, y) => y.length - x.length);
    assert.deepEqual(split, [[0, 2], [1]], 'the round-robin assignor dealt the partitions');
    const aEvents = events(a.out.join(''));
    assert.equal(aEvents[0]!.name, 'startup_complete');
    assert.ok(named(aEvents, 'partitions_revoked').length >= 1, 'the first consumer gave its partitions back for the rebalance');

    const produced = await toolOk('kafka-verifiable-producer', ['--topic', 'vt', '--bootstrap-server', bs, '--max-messages', '300']);
    const acks = named(events(produced.stdout), 'producer_send_success');
    assert.equal(acks.length, 300);
    const endOffsets = new Map<number, number>();
    for (const e of acks) {
      const p = e.partition as number;
      const previous = endOffsets.get(p) ?? -1;
      assert.ok((e.offset as number) > previous, 'offsets increase per partition');
      endOffsets.set(p, e.offset as number);
    }

    const consumedSummaries = (p: CapturedProcess): Summary[] => named(events(p.out.join('')), 'records_consumed').flatMap((e) => e.partitions as Summary[]);
    const total = (): number => [...consumedSummaries(a), ...consumedSummaries(c)].reduce((n, s) => n + s.count, 0);
    await waitFor(() => total() >= 300, { timeoutMs: 30_000, what: 'the group to consume 300 records' });
    for (const p of [a, c]) p.child.kill('SIGTERM');
    for (const p of [a, c]) assert.equal((await withTimeout(p.exited, 20_000, 'a consumer to stop')).code, 0);
    assert.equal(total(), 300, 'every record once');

    for (const p of [a, c]) {
      const all = events(p.out.join(''));
      assert.equal(all.at(-1)!.name, 'shutdown_complete');
      const owned = new Set(assignmentOf(p).map((x) => x.partition));
      for (const e of named(all, 'records_consumed')) {
        assert.deepEqual(Object.keys(e), ['timestamp', 'name', 'count', 'partitions']);
        const parts = e.partitions as Summary[];
        assert.equal(e.count, parts.reduce((n, s) => n + s.count, 0));
        for (const s of parts) {
          assert.deepEqual(Object.keys(s), ['topic', 'partition', 'count', 'minOffset', 'maxOffset']);
          assert.ok(owned.has(s.partition), `consumed only from owned partitions (${s.partition})`);
          assert.equal(s.maxOffset - s.minOffset + 1, s.count);
        }
      }
      const commits = named(all, 'offsets_committed');
      assert.equal(commits.length, named(all, 'records_consumed').length, 'one commit per poll');
      for (const e of commits) {
        assert.deepEqual(Object.keys(e), ['timestamp', 'name', 'offsets', 'success']);
        assert.equal(e.success, true);
      }
    }
    // Per partition, the consumed ranges run from 0 to the last acked offset without gaps.
    const byPartition = new Map<number, Summary[]>();
    for (const s of [...consumedSummaries(a), ...consumedSummaries(c)]) byPartition.set(s.partition, [...(byPartition.get(s.partition) ?? []), s]);
    for (const [partition, end] of endOffsets) {
      const ranges = (byPartition.get(partition) ?? []).sort((x, y) => x.minOffset - y.minOffset);
      let next = 0;
      for (const r of ranges) {
        assert.equal(r.minOffset, next, `partition ${partition} continues at ${next}`);
        next = r.maxOffset + 1;
      }
      assert.equal(next, end + 1, `partition ${partition} read to its end`);
    }
  });

  it('consumer: --max-messages stops by itself; --verbose prints record_data; auto-commit prints no commits', async () => {
    const r = await toolOk('kafka-verifiable-consumer', ['--topic', 'vt', '--group-id', 'vg-limited', '--broker-list', bs, '--max-messages', '120', '--verbose', '--enable-autocommit', '--session-timeout', '6000']);
    const all = events(r.stdout);
    assert.equal(all[0]!.name, 'startup_complete');
    assert.equal(all.at(-1)!.name, 'shutdown_complete');
    assert.equal(all.at(-2)!.name, 'partitions_revoked');
    const data = named(all, 'record_data');
    assert.equal(data.length, 120);
    for (const e of data) assert.deepEqual(Object.keys(e), ['timestamp', 'name', 'key', 'value', 'topic', 'partition', 'offset']);
    const counted = named(all, 'records_consumed').flatMap((e) => e.partitions as Summary[]).reduce((n, s) => n + s.count, 0);
    assert.equal(counted, 120);
    assert.equal(named(all, 'offsets_committed').length, 0);
  });

  it('fail bad arguments and an unreachable broker with one line and exit code 1', async () => {
    const help = await toolOk('kafka-verifiable-consumer', []);
    assert.match(help.stdout, /--group-id/);
    const fails = async (name: string, args: string[], line: string | RegExp): Promise<void> => {
      const r = await tool(name, args);
      assert.equal(r.code, 1, `${name} ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      if (typeof line === 'string') assert.equal(lines(r.stderr)[0], line);
      else assert.match(lines(r.stderr)[0]!, line);
    };
    await fails('kafka-verifiable-producer', ['--bootstrap-server', bs], 'verifiable-producer: error: argument --topic is required');
    await fails('kafka-verifiable-producer', ['--topic', 'vt'], 'verifiable-producer: error: one of the arguments --bootstrap-server --broker-list is required');
    await fails('kafka-verifiable-producer', ['--topic', 'vt', '--bootstrap-server', bs, '--acks', '2'], "verifiable-producer: error: argument --acks: invalid choice: '2' (choose from {0,1,-1})");
    await fails('kafka-verifiable-producer', ['--topic', 'vt', '--bootstrap-server', bs, '--max-messages', 'ten'], /^verifiable-producer: error: argument --max-messages: could not convert 'ten' to Integer/);
    await fails('kafka-verifiable-consumer', ['--topic', 'vt', '--bootstrap-server', bs], 'verifiable-consumer: error: argument --group-id is required');
    await fails('kafka-verifiable-consumer', ['--topic', 'vt', '--group-id', 'g', '--bootstrap-server', bs, '--consumer.config', '/nonexistent/c.properties'], 'verifiable-consumer: error: /nonexistent/c.properties (No such file or directory)');
    await fails('kafka-verifiable-consumer', ['--topic', 'vt', '--group-id', 'g', '--bootstrap-server', bs, '--assignment-strategy', 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor'], /is not supported by Samsa yet/);
    await fails('kafka-verifiable-consumer', ['--topic', 'vt', '--group-id', 'g', '--bootstrap-server', bs, '--reset-policy', 'middle'], /^verifiable-consumer: error: Invalid value middle for configuration auto\.offset\.reset/);
    const port = await closedPort();
    const down = ['--topic', 'vt', '--bootstrap-server', `127.0.0.1:${port}`];
    const refused = new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`);
    await fails('kafka-verifiable-producer', down, refused);
    await fails('kafka-verifiable-consumer', [...down, '--group-id', 'g'], refused);
  });
});
