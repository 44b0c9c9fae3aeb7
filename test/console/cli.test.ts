/**
 * Goal: `samsa console` runs the web console against a running broker the way a user starts it:
 * it prints its URL, serves the page and the /v1 API there (bound to 127.0.0.1 by default), and
 * stops cleanly (exit 0) on SIGTERM; bad options get one line naming the fix (port in use, bad
 * port, bad metrics URL); `samsa --help` lists the command.
 *
 * Method: an in-process broker (test/helpers/broker.ts); bin/samsa as a child process through its
 * bash wrapper, as in test/cli/samsa.test.ts; HTTP with node's fetch on 127.0.0.1. Every wait is
 * bounded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterView } from '../../src/console/types.js';
import { startBroker, waitFor, withTimeout, type StartedBroker } from '../helpers/broker.js';
import { BIN, tool, toolOk } from '../cli/tools.js';

describe('samsa console', { timeout: 90_000 }, () => {
  let broker: StartedBroker;

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.stop();
  });

  it('prints its URL, serves the console there and exits 0 on SIGTERM', async () => {
    const child = spawn(path.join(BIN, 'samsa'), ['console', '-b', broker.bootstrap, '--port', '0'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // Both banner lines (they may arrive in separate chunks).
      const url = await waitFor((): string | undefined => (/Ctrl-C stops it/.test(out) ? /Samsa console for \S+: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1] : undefined), { timeoutMs: 20_000, what: `the console URL in:\n${out}` }) as string;
      assert.match(out, new RegExp(`^Samsa console for ${broker.bootstrap.replace(/\./g, '\\.')}: http://127\\.0\\.0\\.1:\\d+/\\nCtrl-C stops it\\.\\n$`));
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Samsa console<\/title>/);
      const cluster = (await (await fetch(`${url}v1/cluster`)).json()) as ClusterView;
      assert.deepEqual(cluster.brokers.map((b) => b.port), [broker.port]);
      assert.equal((await fetch(`${url}metrics`)).status, 404, 'paths the console does not own are 404 on its own server');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await withTimeout(exited, 15_000, 'samsa console to exit after SIGTERM'), 0, out);
  });

  it('answers bad options with one line naming the fix', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      let r = await tool('samsa', ['console', '-b', broker.bootstrap, '--port', String(port)]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: port ${port} is already in use\nhint:  pick another with --port <n> (0 picks a free one)\n`);
      r = await tool('samsa', ['console', '--port', 'eighty']);
      assert.equal(r.stderr, "error: --port must be 0-65535, got 'eighty'\n");
      r = await tool('samsa', ['console', '--metrics-url', 'localhost:9644']);
      assert.equal(r.stderr, "error: --metrics-url must be an http(s) URL, got 'localhost:9644'\n");
    } finally {
      busy.close();
    }
    const help = await toolOk('samsa', ['--help']);
    assert.match(help.stdout, /\n {2}console {2,}web console: brokers, topics, messages, groups and lag/);
  });
});
