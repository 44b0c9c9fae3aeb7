/**
 * Goal: the web console shows a 3-broker cluster as it is and as it breaks: (1) the brokers page
 * lists the three brokers with exactly one controller, their partition counts and disk use; (2) a
 * topic with replication factor 3 shows every partition in sync; (3) after kill -9 of a broker the
 * topic page marks every partition under-replicated (highlighted rows) while the dead broker drops
 * out of the ISR, as a real client (kcat) sees it, and the brokers page names the missing broker
 * and counts the under-replicated partitions; the message browser still reads from the new
 * leaders; (4) after the broker restarts, the partitions turn back in sync in the page.
 * Screenshots of each state go to test-results/console/.
 *
 * Method: startCluster (real ZooKeeper, brokers as child processes); the console on its own HTTP
 * server bootstrapped with all three brokers; Debian's chromium through puppeteer-core, the page
 * refreshing every 400 ms; kcat produces and reads metadata. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { Admin, KafkaClient } from '../../src/client/index.js';
import { startConsoleServer, type ConsoleServer } from '../../src/console/server.js';
import { kcat, requireKcat } from '../helpers/broker.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { launchBrowser, openConsole, screenshot, show, waitInPage, type ConsolePage } from './browser.js';

const TOPIC = 'replicated';
const PARTITIONS = 3;

/** The partition rows' under-replicated flags, in partition order. */
function flags(page: Page): Promise<string[]> {
  return page.$$eval('table[data-table=partitions] tbody tr', (trs) => trs.map((tr) => `${tr.getAttribute('data-under-replicated')}${tr.className === 'warn' ? ' warn' : ''}`));
}

describe('web console in chromium, 3-broker cluster', { timeout: 240_000 }, () => {
  let c: Cluster;
  let server: ConsoleServer;
  let browser: Browser;
  let cp: ConsolePage;
  let page: Page;
  let victim = -1;

  before(async () => {
    browser = await launchBrowser(); // first: a missing chromium fails before anything starts
    await requireKcat();
    c = await startCluster({ brokers: 3, overrides: ['replica.lag.time.max.ms=5000'] });
    await c.createTopic(TOPIC, { partitions: PARTITIONS, replicationFactor: 3 });
    for (let p = 0; p < PARTITIONS; p++) await c.waitForPartition(TOPIC, p, (x) => x.leader >= 0 && x.isr.length === 3, 'full ISR');
    const lines = Array.from({ length: 30 }, (_, i) => `event-${i}`).join('\n');
    await kcat(['-b', c.bootstrap, '-q', '-P', '-t', TOPIC, '-p', '0', '-X', 'acks=all'], { input: `${lines}\n`, timeoutMs: 30_000 });
    server = await startConsoleServer({ bootstrapServers: c.bootstrap.split(',') });
    cp = await openConsole(browser, server.url);
    page = cp.page;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await c?.stopAll();
  });

  it('lists three brokers with one controller, their leaders and disk use', async () => {
    await waitInPage(page, () => document.querySelectorAll('table[data-table=brokers] tbody tr').length === 3, 'three broker rows');
    const rows = await page.$$eval('table[data-table=brokers] tbody tr', (trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-broker'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })),
    );
    assert.deepEqual(rows.map((r) => r.id), ['0', '1', '2']);
    assert.equal(rows.filter((r) => r.cells[3] === 'controller').length, 1, 'exactly one controller');
    for (const r of rows) {
      assert.match(r.cells[1]!, new RegExp(`127\\.0\\.0\\.1:${c.broker(Number(r.id)).port}`));
      assert.equal(r.cells[5], String(PARTITIONS), `broker ${r.id} holds a replica of every partition`);
      assert.match(r.cells[6]!, /\d+(\.\d)? (B|KiB)/, 'disk use from DescribeLogDirs');
    }
    assert.equal(rows.reduce((s, r) => s + Number(r.cells[4]), 0), PARTITIONS, 'leaders add up to the partitions');
    await screenshot(page, 'cluster-01-brokers');
  });

  it('shows every partition of the replicated topic in sync', async () => {
    await show(page, `#/topics/${TOPIC}`, `table[data-table=partitions] tr[data-partition="${PARTITIONS - 1}"]`);
    assert.deepEqual(await flags(page), ['0', '0', '0']);
    const replicas = await page.$$eval('table[data-table=partitions] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[2]?.textContent?.split(', ').sort().join(',')));
    assert.deepEqual(replicas, ['0,1,2', '0,1,2', '0,1,2']);
    await screenshot(page, 'cluster-02-topic-in-sync');
  });

  it('marks every partition under-replicated after kill -9 of a broker, as kcat sees it', async () => {
    const client = new KafkaClient({ bootstrapServers: c.bootstrap });
    try {
      const { controllerId } = await new Admin(client).describeCluster();
      victim = [0, 1, 2].find((id) => id !== controllerId)!;
    } finally {
      await client.close();
    }
    await c.kill(victim);
    await waitInPage(
      page,
      () => {
        const rows = [...document.querySelectorAll('table[data-table=partitions] tbody tr')];
        return rows.length === 3 && rows.every((tr) => tr.getAttribute('data-under-replicated') === '1');
      },
      `all partitions under-replicated after broker ${victim} died`,
      45_000,
    );
    assert.deepEqual(await flags(page), ['1 warn', '1 warn', '1 warn'], 'under-replicated rows are highlighted');
    const isrs = await page.$$eval('table[data-table=partitions] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[3]?.textContent ?? ''));
    for (const isr of isrs) assert.ok(!isr.split(', ').includes(String(victim)), `ISR ${isr} without broker ${victim}`);
    for (let p = 0; p < PARTITIONS; p++) {
      const md = await c.waitForPartition(TOPIC, p, (x) => x.leader >= 0 && !x.isr.includes(victim), `broker ${victim} out of the ISR`);
      assert.equal(md.isr.length, 2, 'kcat agrees: two replicas in sync');
    }
    await screenshot(page, 'cluster-03-under-replicated');

    await show(page, '#/brokers', '[data-missing-brokers]');
    assert.equal(await page.$eval('[data-missing-brokers]', (e) => e.getAttribute('data-missing-brokers')), String(victim));
    assert.equal(await page.$$eval('table[data-table=brokers] tbody tr', (trs) => trs.length), 2);
    const under = await page.$eval('[data-card=under-replicated] .num', (e) => Number(e.textContent));
    assert.ok(under >= PARTITIONS, `under-replicated card shows ${under}`);
    await screenshot(page, 'cluster-04-brokers-one-down');

    await show(page, `#/topics/${TOPIC}/messages?partition=0`, '.msg[data-offset="29"]');
    assert.equal(await page.$eval('.msg[data-offset="29"] pre[data-field=value]', (e) => e.textContent), 'event-29');
  });

  it('turns the partitions back in sync after the broker restarts', async () => {
    await c.restart(victim);
    await show(page, `#/topics/${TOPIC}`, 'table[data-table=partitions] tr[data-partition="0"]');
    await waitInPage(
      page,
      () => {
        const rows = [...document.querySelectorAll('table[data-table=partitions] tbody tr')];
        return rows.length === 3 && rows.every((tr) => tr.getAttribute('data-under-replicated') === '0');
      },
      `partitions in sync again after broker ${victim} restarted`,
      60_000,
    );
    await screenshot(page, 'cluster-05-back-in-sync');
    assert.deepEqual(cp.problems, [], 'no page errors');
  });
});
