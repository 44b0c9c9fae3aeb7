/**
 * Goal: every way of starting a broker runs node with the V8 flags of src/node-flags.ts (they are
 * accepted only on node's command line, so each launcher must carry them), and a broker started
 * without them says so in its log instead of silently running with ~6x the garbage collections.
 *
 * Method: the shell launchers (bin/kafka-server-start, bin/samsa) and package.json's start script
 * are read and must name each flag on the node command line; a broker spawned by the tests' helper
 * (which passes the flags, as the bench and `samsa cluster start` do) must show them in
 * /proc/<pid>/cmdline and log no warning; bin/kafka-server-start itself is run and its process
 * checked the same way; a broker started as plain `node dist/src/main.js` must log the warning
 * naming the missing flag.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';
import { MAIN_JS, makeTempDir, removeDir, spawnBroker, spawnCaptured, waitFor } from '../helpers/broker.js';
import { freePort } from '../helpers/cluster.js';
import { BIN, ROOT } from './tools.js';

const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
const WARNING = /node was started without (--[^\s:]+)/;

describe('node flags of broker processes', () => {
  it('the shell launchers and npm start pass every flag to node', () => {
    assert.ok(BROKER_NODE_FLAGS.length > 0);
    const launchers: Array<[string, RegExp]> = [
      [path.join(BIN, 'kafka-server-start'), /\bnode ([^"]*)"\$root\/dist\/src\/main\.js"/g],
      [path.join(BIN, 'samsa'), /\bexec node ([^"]*)"\$js"/g],
      [path.join(ROOT, 'package.json'), /"start": "[^"]*\bnode ([^"]*)dist\/src\/main\.js/g],
    ];
    for (const [file, pattern] of launchers) {
      const text = readFileSync(file, 'utf8');
      const invocations = [...text.matchAll(pattern)];
      assert.ok(invocations.length > 0, `${file}: no node invocation found`);
      for (const m of invocations) {
        const flags = m[1]!.trim().split(/\s+/);
        for (const f of BROKER_NODE_FLAGS) assert.ok(flags.includes(f), `${file}: \`node ${m[1]}…\` lacks ${f}`);
      }
    }
  });

  it('a broker spawned by the helper runs with the flags and logs no warning', async () => {
    const b = await spawnBroker();
    try {
      const args = cmdline(b.pid);
      for (const f of BROKER_NODE_FLAGS) assert.ok(args.includes(f), `cmdline ${args.join(' ')} lacks ${f}`);
      assert.doesNotMatch(b.output(), WARNING);
    } finally {
      await b.cleanup();
    }
  });

  it('bin/kafka-server-start runs node with the flags', async () => {
    const dir = await makeTempDir('samsa-flags-');
    const port = await freePort();
    const p = spawnCaptured(path.join(BIN, 'kafka-server-start'), ['--override', `log.dirs=${dir}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`], process.env);
    try {
      await waitFor(() => /started/.test(p.out.join('')) || p.hasExited(), { timeoutMs: 30_000, what: 'kafka-server-start to start' });
      assert.ok(!p.hasExited(), p.out.join(''));
      const args = cmdline(p.child.pid!); // the script execs node: same pid
      for (const f of BROKER_NODE_FLAGS) assert.ok(args.includes(f), `cmdline ${args.join(' ')} lacks ${f}`);
      assert.doesNotMatch(p.out.join(''), WARNING);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      await removeDir(dir);
    }
  });

  it('plain `node dist/src/main.js` warns which flag is missing', async () => {
    const dir = await makeTempDir('samsa-flags-');
    const port = await freePort();
    const p = spawnCaptured(process.execPath, [MAIN_JS, '--override', `log.dirs=${dir}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`], process.env);
    try {
      await waitFor(() => WARNING.test(p.out.join('')) || p.hasExited(), { timeoutMs: 30_000, what: 'the warning' });
      assert.equal(WARNING.exec(p.out.join(''))?.[1], BROKER_NODE_FLAGS[0]);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      await removeDir(dir);
    }
  });
});
