/**
 * Goal: bin/kafka-consumer-groups prints what Kafka 3.x's tool prints and does what it does:
 * --list (and --list --state), --describe with the offsets view (committed offset, log end offset,
 * lag, owning member), --members [--verbose], --state, the "no active members" note and right lag
 * for an empty group, a missing group's error; --reset-offsets with every scenario (--to-earliest,
 * --to-latest, --to-offset, --shift-by, --to-datetime, --by-duration, --to-current), --dry-run
 * changing nothing and --execute refused while the group has members; --delete and
 * --delete-offsets. Also that two kafka-console-consumer --group processes split a 2-partition
 * topic between them.
 *
 * Method: one in-process broker on 127.0.0.1:0 (groups form at once). Groups are made by real
 * clients: the console consumer (consumes and commits 4 of 10 records) and a kafkajs consumer
 * (an active member that does not commit). The tool runs as a child process through bin/; its
 * output is compared line by line (column positions included), and every change it claims is
 * checked against the committed offsets our client reads back.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { KafkaClient } from '../../src/client/client.js';
import { startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { BIN, lines, LOG_LINE, tool, toolOk } from './tools.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'cg-orders';
const GROUP = 'cg-billing';
/** Record i of TOPIC has CreateTime BASE + i minutes (an hour ago: recent enough for retention). */
const BASE = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const timeOf = (i: number): number => BASE + i * 60_000;
/** Kafka's --to-datetime format (no zone = UTC). */
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, -1);
/** The same instant written in +01:00. */
const isoPlusOne = (ms: number): string => `${new Date(ms + 3_600_000).toISOString().slice(0, -1)}+01:00`;

const OFFSETS_HEADER = /^GROUP {11}TOPIC {11}PARTITION {2}CURRENT-OFFSET {2}LOG-END-OFFSET {2}LAG {13}CONSUMER-ID +HOST +CLIENT-ID$/;

describe('kafka-consumer-groups', () => {
  let b: StartedBroker;
  let bs: string;
  let client: KafkaClient;
  let admin: Admin;
  let kafka: InstanceType<typeof Kafka>;
  let producer: Producer;
  let member: Consumer | null = null;
  const children: ChildProcess[] = [];

  const cg = (args: string[]) => tool('kafka-consumer-groups', ['--bootstrap-server', bs, ...args]);
  const cgOk = (args: string[]) => toolOk('kafka-consumer-groups', ['--bootstrap-server', bs, ...args]);
  const committed = async (group = GROUP): Promise<number[]> => (await admin.fetchCommittedOffsets(group)).filter((c) => c.offset >= 0).map((c) => c.offset);
  /** The offsets view's data rows, split into columns. */
  const rowsOf = (stdout: string): string[][] => lines(stdout).slice(1).map((l) => l.split(/ +/));

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000', 'offsets.topic.num.partitions=3'] });
    bs = b.bootstrap;
    client = new KafkaClient({ bootstrapServers: bs });
    admin = new Admin(client);
    kafka = new Kafka({ clientId: 'cg-test', brokers: [bs], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    const ka = kafka.admin();
    await ka.connect();
    await ka.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }, { topic: 'cg-pairs', numPartitions: 2 }] });
    await ka.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ value: `order-${i}`, timestamp: String(timeOf(i)) })) });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await member?.disconnect();
    await producer?.disconnect();
    await client?.close();
    await b?.stop();
  });

  it('describes a group made by real consumers: offsets, lag, members, state; refuses changes while it is active', async () => {
    // The console consumer reads 4 records and commits them on exit.
    const c = await toolOk('kafka-console-consumer', ['--bootstrap-server', bs, '--topic', TOPIC, '--group', GROUP, '--from-beginning', '--max-messages', '4']);
    assert.equal(c.stdout, 'order-0\norder-1\norder-2\norder-3\n');
    assert.deepEqual(await committed(), [4]);

    // A kafkajs member joins and reads the rest without committing: lag stays 6.
    member = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    await member.connect();
    await member.subscribe({ topic: TOPIC });
    let seen = 0;
    await member.run({ autoCommit: false, eachMessage: async () => void seen++ });
    let described: Awaited<ReturnType<typeof cg>> | undefined;
    await waitFor(
      async () => {
        const r = await cg(['--describe', '--group', GROUP]);
        if (r.code === 0 && rowsOf(r.stdout)[0]?.[6]?.startsWith('cg-test-')) described = r;
        return described !== undefined;
      },
      { timeoutMs: 15_000, what: 'the kafkajs member to own the partition' },
    );
    assert.ok(described);
    await waitFor(() => seen === 6, { timeoutMs: 10_000, what: 'kafkajs to read the 6 remaining records' });

    assert.equal(described.stdout.split('\n')[0], '', 'a blank line before the header, as Kafka');
    const [header, row] = lines(described.stdout);
    assert.match(header!, OFFSETS_HEADER);
    const cols = row!.split(/ +/);
    assert.deepEqual(cols.slice(0, 6), [GROUP, TOPIC, '0', '4', '10', '6']);
    assert.match(cols[7]!, /^\/127\.0\.0\.1$/);
    assert.equal(cols[8], 'cg-test');
    // Columns line up under their headings (Kafka's %-Ns widths).
    for (const [name, value] of [['CONSUMER-ID', cols[6]!], ['HOST', cols[7]!], ['CLIENT-ID', cols[8]!], ['LAG', '6']] as const) {
      assert.equal(row!.lastIndexOf(` ${value}`) + 1, header!.indexOf(name), `${name} column`);
    }
    assert.equal(header!.indexOf('PARTITION'), 32);
    assert.equal(header!.indexOf('CURRENT-OFFSET'), 43);

    let r = await cgOk(['--list']);
    assert.ok(lines(r.stdout).includes(GROUP), r.stdout);
    r = await cgOk(['--list', '--state']);
    assert.match(r.stdout, /^GROUP {10,}STATE\n/);
    assert.ok(lines(r.stdout).some((l) => new RegExp(`^${GROUP} +Stable$`).test(l)), r.stdout);
    r = await cgOk(['--list', '--state', 'empty']);
    assert.ok(!r.stdout.includes(GROUP), 'a Stable group is not listed under --state empty');

    r = await cgOk(['--describe', '--group', GROUP, '--members']);
    let ls = lines(r.stdout);
    assert.match(ls[0]!, /^GROUP {11}CONSUMER-ID +HOST +CLIENT-ID +#PARTITIONS {5}$/);
    assert.deepEqual(ls[1]!.trim().split(/ +/), [GROUP, cols[6], '/127.0.0.1', 'cg-test', '1']);
    r = await cgOk(['--describe', '--group', GROUP, '--members', '--verbose']);
    ls = lines(r.stdout);
    assert.match(ls[0]!, /#PARTITIONS {5}ASSIGNMENT$/);
    assert.match(ls[1]!, / 1 {15}cg-orders\(0\)$/);

    r = await cgOk(['--describe', '--group', GROUP, '--state']);
    ls = lines(r.stdout);
    assert.match(ls[0]!, /^GROUP {21}COORDINATOR \(ID\) {10}ASSIGNMENT-STRATEGY {2}STATE {11}#MEMBERS$/);
    assert.match(ls[1]!, new RegExp(`^${GROUP} +127\\.0\\.0\\.1:${b.port} \\(0\\) +RoundRobinAssigner +Stable +1$`));

    // Changes are refused while the group has an active member, and nothing changes.
    r = await cg(['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--execute']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^\nError: Assignments can only be reset if the group 'cg-billing' is inactive, but the current state is Stable\.\n/);
    r = await cg(['--delete', '--group', GROUP]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\* Group 'cg-billing' could not be deleted due to: org\.apache\.kafka\.common\.errors\.GroupNotEmptyException: The group is not empty\./);
    r = await cg(['--delete-offsets', '--group', GROUP, '--topic', TOPIC]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /cg-orders +0 +Error: The consumer group is actively subscribed to the topic/);
    assert.deepEqual(await committed(), [4]);

    // Once the member leaves, the group is Empty and its lag is still right.
    await member.disconnect();
    member = null;
    r = await cgOk(['--describe', '--group', GROUP]);
    assert.match(r.stderr, /^\nConsumer group 'cg-billing' has no active members\.\n$/);
    assert.match(lines(r.stdout)[0]!, OFFSETS_HEADER);
    assert.deepEqual(rowsOf(r.stdout), [[GROUP, TOPIC, '0', '4', '10', '6', '-', '-', '-']]);
    r = await cgOk(['--describe', '--group', GROUP, '--state']);
    assert.match(lines(r.stdout)[1]!, / Empty +0$/);
  });

  it('resets offsets with every scenario; --dry-run (the default) changes nothing', async () => {
    const reset = async (args: string[], expect: number): Promise<void> => {
      const r = await cgOk(['--reset-offsets', '--group', GROUP, ...args]);
      const ls = lines(r.stdout).filter((l) => !l.startsWith('Warn:'));
      assert.equal(ls[0], 'GROUP                          TOPIC                          PARTITION  NEW-OFFSET     ');
      assert.deepEqual(ls.slice(1).map((l) => l.trim().split(/ +/)), [[GROUP, TOPIC, '0', String(expect)]], `${args.join(' ')}`);
    };
    await reset(['--topic', TOPIC, '--to-earliest', '--dry-run'], 0);
    assert.deepEqual(await committed(), [4], '--dry-run changes nothing');
    const noFlag = await cgOk(['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-latest']);
    assert.match(noFlag.stderr, /^WARN: No action will be performed as the --execute option is missing\./);
    assert.deepEqual(await committed(), [4], 'without --execute nothing changes');

    await reset(['--topic', TOPIC, '--to-earliest', '--execute'], 0);
    const r = await cgOk(['--describe', '--group', GROUP]);
    assert.deepEqual(rowsOf(r.stdout)[0]!.slice(3, 6), ['0', '10', '10'], 'CURRENT-OFFSET 0, lag 10');

    await reset(['--topic', `${TOPIC}:0`, '--to-offset', '7', '--execute'], 7);
    assert.deepEqual(await committed(), [7]);
    await reset(['--all-topics', '--shift-by', '-2', '--execute'], 5);
    assert.deepEqual(await committed(), [5]);
    await reset(['--topic', TOPIC, '--to-datetime', iso(timeOf(3)), '--execute'], 3);
    assert.deepEqual(await committed(), [3]);
    await reset(['--topic', TOPIC, '--to-datetime', isoPlusOne(timeOf(2) + 1), '--execute'], 3);
    await reset(['--topic', TOPIC, '--to-latest', '--execute'], 10);
    await reset(['--topic', TOPIC, '--by-duration', 'P1D', '--execute'], 0);
    await reset(['--topic', TOPIC, '--by-duration', 'P36500D', '--execute'], 0);
    await reset(['--topic', TOPIC, '--to-current', '--execute'], 0);
    const clamped = await cgOk(['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-offset', '100', '--execute']);
    assert.match(lines(clamped.stderr)[0]!, LOG_LINE);
    assert.match(clamped.stderr, /WARN New offset \(100\) is higher than latest offset for topic partition cg-orders-0\. Value will be set to 10/);
    assert.deepEqual(await committed(), [10]);
    // After the last record: no offset at that time, so the log end (Kafka's fallback).
    const late = await cgOk(['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-datetime', '2099-01-01T00:00:00.000', '--dry-run']);
    assert.match(late.stdout, /^\nWarn: Partition 0 from topic cg-orders is empty\. Falling back to latest known offset\.\n/);

    // Bad input is a usage error naming the problem.
    let bad = await cg(['--reset-offsets', '--group', GROUP, '--to-earliest']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /One of the reset scopes should be defined: --all-topics, --topic\./);
    bad = await cg(['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-datetime', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /It does not contain a 'T'/);
    bad = await cg(['--reset-offsets', '--group', GROUP, '--topic', 'cg-ghost', '--to-earliest', '--execute']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /Error: Executing consumer group command failed due to .*Topic 'cg-ghost' does not exist\./);
  });

  it('deletes offsets and groups; a missing group is an error', async () => {
    let r = await cgOk(['--delete-offsets', '--group', GROUP, '--topic', TOPIC]);
    assert.deepEqual(lines(r.stdout), [
      `Request succeed for deleting offsets with topic ${TOPIC} group ${GROUP}`,
      'TOPIC                          PARTITION       STATUS         ',
      'cg-orders                      0               Successful     ',
    ]);
    assert.deepEqual(await committed(), []);

    r = await cgOk(['--delete', '--group', GROUP]);
    assert.equal(r.stdout, "Deletion of requested consumer groups ('cg-billing') was successful.\n");
    r = await cgOk(['--list']);
    assert.ok(!lines(r.stdout).includes(GROUP));

    r = await cg(['--describe', '--group', GROUP]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "\nError: Consumer group 'cg-billing' does not exist.\n");
    assert.match(r.stderr, /--list/);
    r = await cg(['--delete', '--group', 'cg-nobody']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\* Group 'cg-nobody' could not be deleted due to: org\.apache\.kafka\.common\.errors\.GroupIdNotFoundException: The group id does not exist\./);
    r = await cg(['--describe']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Option \[describe\] takes one of these options: \[all-groups\], \[group\]/);
  });

  it('two console consumers in one group split a 2-partition topic', async () => {
    const start = (): { child: ChildProcess; out: () => string; err: () => string } => {
      const child = spawn(
        path.join(BIN, 'kafka-console-consumer'),
        ['--bootstrap-server', bs, '--topic', 'cg-pairs', '--group', 'cg-pair', '--consumer-property', 'heartbeat.interval.ms=200', '--consumer-property', 'session.timeout.ms=6000'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      return { child, out: () => out, err: () => err };
    };
    const a = start();
    const c = start();
    let members: string[] = [];
    await waitFor(
      async () => {
        const r = await cg(['--describe', '--group', 'cg-pair', '--members', '--verbose']);
        const rows = lines(r.stdout).slice(1);
        if (r.code === 0 && rows.length === 2 && rows.every((l) => / 1 {15}cg-pairs\([01]\)$/.test(l))) members = rows;
        return members.length === 2;
      },
      { timeoutMs: 20_000, what: 'both console consumers to own one partition each' },
    );
    assert.notEqual(members[0]!.slice(-2), members[1]!.slice(-2), 'different partitions');

    await producer.send({ topic: 'cg-pairs', messages: Array.from({ length: 10 }, (_, i) => ({ value: `p0-${i}`, partition: 0 })) });
    await producer.send({ topic: 'cg-pairs', messages: Array.from({ length: 10 }, (_, i) => ({ value: `p1-${i}`, partition: 1 })) });
    await waitFor(() => lines(a.out()).length + lines(c.out()).length === 20, { timeoutMs: 15_000, what: 'the two consumers to print all 20 records' });
    const exits = [a, c].map((x) => new Promise<number | null>((resolve) => x.child.once('exit', (code) => resolve(code))));
    a.child.kill('SIGINT');
    c.child.kill('SIGINT');
    assert.deepEqual(await withTimeout(Promise.all(exits), 10_000, 'the console consumers to exit'), [0, 0]);
    const got = [lines(a.out()), lines(c.out())];
    for (const g of got) {
      assert.equal(g.length, 10, `each consumer printed one partition's 10 records: ${g.join(',')}`);
      assert.equal(new Set(g.map((v) => v.slice(0, 2))).size, 1, 'all from one partition');
    }
    assert.notEqual(got[0]![0]!.slice(0, 2), got[1]![0]!.slice(0, 2));
    assert.match(a.err(), /Processed a total of 10 messages/);
    // Both committed on exit: the group is empty with no lag.
    const r = await cgOk(['--describe', '--group', 'cg-pair']);
    assert.deepEqual(
      rowsOf(r.stdout).map((x) => x.slice(1, 6)),
      [
        ['cg-pairs', '0', '10', '10', '0'],
        ['cg-pairs', '1', '10', '10', '0'],
      ],
    );
  });
});
