/**
 * Goal: no user-caused path of any bin/ tool prints a stack trace or hangs: whatever a user types,
 * a tool answers with a result or one clear error, and exits 0, 1 or 2 (the codes Kafka's tools use).
 *
 * Method: a property test over argument vectors. For every tool in bin/ (the Kafka tools and
 * `samsa`; the long-running servers have targeted tests elsewhere), the option names come from the
 * tool's own --help; a seeded PRNG builds vectors of 0-5 options (known ones, unique prefixes and
 * unknown ones), each with a value drawn from a pool of the inputs users get wrong: host:port lists
 * with bad ports (localhost:218192, a typo found in real tutorials), missing ports, empty strings,
 * garbage, negative and huge numbers, missing and unreadable files, JSON garbage, plus valid values
 * pointing at a live broker (so deeper paths run) and at a closed port. Each vector runs the real
 * wrapper as a child process with SAMSA_DEBUG=1 (so an unexpected error prints its stack and fails
 * here) and a deadline; only tools that legitimately run until stopped (console consumer, perf
 * tests, verifiable consumer/producer) may reach it. The seed is printed; SAMSA_FUZZ_SEED=N replays
 * a run, SAMSA_SOAK=1 runs ten times as many vectors.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir, run, startBroker, type RunResult, type StartedBroker } from '../helpers/broker.js';
import { BIN, closedPort } from './tools.js';
import { seededRandom } from '../helpers/seeded-random.js';

const SEED = Number(process.env.SAMSA_FUZZ_SEED ?? 20261204);
const VECTORS_PER_TOOL = process.env.SAMSA_SOAK ? 60 : 6;
const DEADLINE_MS = 12_000;
/** Tools that run until stopped when given a live broker and no bound; reaching the deadline is fine for them. */
const LONG_RUNNING = new Set(['kafka-console-consumer', 'kafka-console-producer', 'kafka-consumer-perf-test', 'kafka-producer-perf-test', 'kafka-verifiable-consumer', 'kafka-verifiable-producer']);
/** Servers and wrappers with targeted tests of their own (they would start real servers here). */
const EXCLUDED = new Set(['kafka-server-start', 'kafka-server-stop', 'zookeeper-server-start', 'zookeeper-server-stop']);
/** Tools whose first word is a command: a vector starts with one of these (or a wrong one). */
const SUBCOMMANDS: Record<string, string[]> = {
  samsa: ['topic', 'group', 'txn', 'start', 'cluster', 'nope'],
  'kafka-transactions': ['list', 'describe', 'describe-producers', 'abort', 'find-hanging', 'nope'],
};
const STACK_FRAME = /^\s+at .+(\(.+:\d+:\d+\)|:\d+:\d+)$/m;

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** Every `--name` a tool's --help mentions (its option table, a usage line, or commander's list). */
function optionsFromHelp(help: string): string[] {
  const names = new Set<string>();
  for (const m of help.matchAll(/(?:^|[\s[(,])--([a-z][a-z0-9.-]*[a-z0-9])/gm)) names.add(m[1]!);
  return [...names];
}

describe('every bin/ tool answers any argument vector without a stack trace or a hang', () => {
  let broker: StartedBroker;
  let dir: string;
  let values: string[];
  const tools = readdirSync(BIN)
    .filter((n) => !n.endsWith('.sh') && !EXCLUDED.has(n))
    .sort();

  before(async () => {
    broker = await startBroker();
    dir = await makeTempDir('samsa-fuzz-');
    const files = {
      empty: path.join(dir, 'empty.txt'),
      garbage: path.join(dir, 'garbage.json'),
      json: path.join(dir, 'reassign.json'),
      props: path.join(dir, 'client.properties'),
      kraft: path.join(dir, 'kraft.properties'),
      // Client security settings (docs/SECURITY.md): TLS to a PLAINTEXT broker, SASL on a listener
      // without it, a JKS trust store, Kafka's default GSSAPI, a missing trust store file.
      ssl: path.join(dir, 'ssl.properties'),
      saslPlain: path.join(dir, 'sasl-plaintext.properties'),
      jks: path.join(dir, 'jks.properties'),
      gssapi: path.join(dir, 'gssapi.properties'),
      noTrust: path.join(dir, 'missing-truststore.properties'),
    };
    await writeFile(files.empty, '');
    await writeFile(files.garbage, '{"partitions": [ {"topic": 7, ');
    await writeFile(files.json, JSON.stringify({ version: 1, partitions: [{ topic: 'fuzz', partition: 0, replicas: [0], offset: 1 }] }));
    await writeFile(files.props, 'request.timeout.ms=abc\nbootstrap.servers=localhost:218192\n');
    await writeFile(files.ssl, 'security.protocol=SSL\nssl.endpoint.identification.algorithm=\n');
    await writeFile(files.saslPlain, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";\n');
    await writeFile(files.jks, 'security.protocol=SSL\nssl.truststore.location=/etc/hostname\nssl.truststore.type=JKS\n');
    await writeFile(files.gssapi, 'security.protocol=SASL_SSL\nsasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required;\n');
    await writeFile(files.noTrust, 'security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b";\nssl.truststore.location=/nonexistent/ca.pem\n');
    await writeFile(files.kraft, `process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:1\nlisteners=PLAINTEXT://:0,CONTROLLER://:0\ncontroller.listener.names=CONTROLLER\nlog.dirs=${path.join(dir, 'kraft-logs')}\n`);
    const closed = await closedPort();
    values = [
      broker.bootstrap,
      broker.bootstrap,
      `127.0.0.1:${closed}`,
      'localhost:218192',
      'localhost:',
      ':9092',
      'localhost:-1',
      '[::1',
      'a:b:c',
      'garbage',
      '',
      ' ',
      ',',
      '0',
      '1',
      '-1',
      '-2',
      '3',
      '99999999999',
      'NaN',
      '1e3',
      'fuzz',
      'fuzz-topic',
      '.*',
      '*',
      'a b',
      '💥',
      '-',
      '--',
      'x=y',
      '=',
      'acks=all',
      'PREFERRED',
      'describe',
      'format',
      'info',
      'random-uuid',
      // kafka-acls and kafka-configs' client quotas
      'User:alice',
      'User:',
      'prefixed',
      'match',
      'Read',
      'IdempotentWrite',
      'users',
      'clients',
      'producer_byte_rate=1024',
      'producer_byte_rate=-5',
      // client security properties (-property / -X / --consumer-property)
      'security.protocol=SSL',
      'security.protocol=SASL_SSL',
      'security.protocol=bogus',
      'sasl.mechanism=GSSAPI',
      'sasl.jaas.config=nonsense',
      '/nonexistent/file',
      dir,
      ...Object.values(files),
    ];
  });

  after(async () => {
    await broker?.stop();
    if (dir) await removeDir(dir);
  });

  it(`${tools.length} tools found in bin/`, () => {
    assert.ok(tools.includes('kafka-topics') && tools.includes('samsa') && tools.includes('kafka-storage'), tools.join(', '));
  });

  for (const name of tools) {
    it(`${name}: ${VECTORS_PER_TOOL} random argument vectors (seed ${SEED})`, async () => {
      const rand = seededRandom(SEED ^ [...name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
      const help = await run(path.join(BIN, name), ['--help'], { timeoutMs: DEADLINE_MS, env: { ...process.env, SAMSA_DEBUG: '1', NO_COLOR: '1' } });
      assert.equal(help.code, 0, `${name} --help exits 0\n${help.stderr}`);
      const options = optionsFromHelp(help.stdout);
      assert.ok(options.length > 0, `${name} --help lists options:\n${help.stdout}`);
      const subcommands = SUBCOMMANDS[name] ?? [];
      // Tools with argparse-style subcommands list each command's options in its own help.
      if (name === 'kafka-transactions') {
        for (const sub of subcommands) {
          const subHelp = await run(path.join(BIN, name), [sub, '--help'], { timeoutMs: DEADLINE_MS, env: { ...process.env, SAMSA_DEBUG: '1', NO_COLOR: '1' } });
          for (const o of optionsFromHelp(subHelp.stdout)) if (!options.includes(o)) options.push(o);
        }
      }
      for (let i = 0; i < VECTORS_PER_TOOL; i++) {
        const argv: string[] = [];
        if (subcommands.length > 0) argv.push(pick(rand, subcommands));
        const count = Math.floor(rand() * 6);
        for (let k = 0; k < count; k++) {
          const r = rand();
          const option = r < 0.8 ? pick(rand, options) : r < 0.9 ? pick(rand, options).slice(0, 3) : pick(rand, ['nope', 'x', '-', 'bootstrap']);
          argv.push(`--${option}`);
          if (rand() < 0.85) argv.push(pick(rand, values));
        }
        if (rand() < 0.2) argv.push(pick(rand, values)); // a stray positional
        // samsa start/cluster would run servers: keep them to their flag checks (a bad flag first).
        if (name === 'samsa' && (argv[0] === 'start' || argv[0] === 'cluster')) argv.splice(1, 0, '--no-such-flag');
        let result: RunResult | null = null;
        try {
          result = await run(path.join(BIN, name), argv, { timeoutMs: DEADLINE_MS, env: { ...process.env, SAMSA_DEBUG: '1', NO_COLOR: '1', SAMSA_LOG_PRETTY: '0' } });
        } catch (e) {
          if (!/timed out after/.test(String(e))) throw e;
          assert.ok(LONG_RUNNING.has(name), `${name} ${JSON.stringify(argv)} hung (no answer within ${DEADLINE_MS} ms; seed ${SEED}): ${String(e).slice(0, 2000)}`);
          assert.doesNotMatch(String(e), STACK_FRAME, `${name} ${JSON.stringify(argv)} printed a stack trace before its deadline (seed ${SEED})`);
          continue;
        }
        const output = `${result.stdout}\n${result.stderr}`;
        const what = `${name} ${JSON.stringify(argv)} (seed ${SEED})\nexit ${result.code} ${result.signal ?? ''}\n${output.slice(-3000)}`;
        assert.doesNotMatch(output, STACK_FRAME, `stack trace from ${what}`);
        assert.doesNotMatch(output, /unexpected error:/, `unexpected error from ${what}`);
        assert.ok(result.code === 0 || result.code === 1 || result.code === 2, `exit code 0, 1 or 2 from ${what}`);
      }
    });
  }
});
