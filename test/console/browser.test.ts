/**
 * Goal: a user can watch and change a live broker through the web console in a real browser:
 * (1) the brokers, topics and topic pages show the broker, the topics and their partitions;
 * (2) the message browser shows a partition's newest records, JSON pretty-printed, as hex on
 * request, from an offset, and finds text in a range; hostile contents (markup, script) show as
 * text and never run; (3) a record produced from the UI appears in the list and is really in Kafka
 * (kcat reads it); the live tail shows a record produced elsewhere without a reload; (4) a group's
 * lag falls in the page, with its lag-over-time chart, while a real consumer works through the
 * backlog, and resetting the group's offsets from the UI brings the lag back; (5) a topic created
 * from the UI (partitions and a config) exists for real clients, gets more partitions and a config
 * change from the UI, and is gone after deleting it from the UI; (6) the metrics page charts
 * throughput. Screenshots of every page go to test-results/console/.
 *
 * Method: an in-process broker (test/helpers/broker.ts); the console on its own HTTP server
 * (src/console/server.ts) on an ephemeral port; Debian's chromium through puppeteer-core, one
 * browser for the file, the page refreshing every 400 ms; kcat and our client as the independent
 * clients. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { Admin, Consumer, KafkaClient, Producer, ResourceType } from '../../src/client/index.js';
import { startConsoleServer, type ConsoleServer } from '../../src/console/server.js';
import { run, sleep, startBroker, type StartedBroker } from '../helpers/broker.js';
import { launchBrowser, openConsole, screenshot, show, type, waitInPage, type ConsolePage } from './browser.js';

const TOPIC = 'orders';
const LAG_TOPIC = 'backlog';
const GROUP = 'billing';
const BACKLOG = 3000;
const HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

describe('web console in chromium, single broker', { timeout: 180_000 }, () => {
  let broker: StartedBroker;
  let client: KafkaClient;
  let admin: Admin;
  let server: ConsoleServer;
  let browser: Browser;
  let cp: ConsolePage;
  let page: Page;

  before(async () => {
    browser = await launchBrowser(); // first: a missing chromium fails before anything starts
    broker = await startBroker({ overrides: ['offsets.topic.num.partitions=1'] });
    client = new KafkaClient({ bootstrapServers: broker.bootstrap });
    admin = new Admin(client);
    for (const r of await admin.createTopics([
      { name: TOPIC, numPartitions: 3, replicationFactor: 1 },
      { name: LAG_TOPIC, numPartitions: 1, replicationFactor: 1 },
    ])) {
      assert.equal(r.error, null);
    }
    const producer = new Producer(client, { acks: 1, lingerMs: 2 });
    for (let i = 0; i < 100; i++) {
      producer.send({ topic: TOPIC, partition: 0, key: `order-${i}`, value: JSON.stringify({ id: i, item: i === 42 ? 'needle' : 'widget' }), headers: [{ key: 'source', value: 'test' }] });
    }
    producer.send({ topic: TOPIC, partition: 0, key: HOSTILE, value: HOSTILE, headers: [{ key: 'x', value: HOSTILE }] });
    for (let i = 0; i < BACKLOG; i++) producer.send({ topic: LAG_TOPIC, partition: 0, value: `job-${i}` });
    await producer.close();
    server = await startConsoleServer({ bootstrapServers: [broker.bootstrap] });
    cp = await openConsole(browser, server.url);
    page = cp.page;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await client?.close();
    await broker?.stop();
  });

  it('shows the broker, the topics and a topic\'s partitions', async () => {
    await page.waitForSelector("tr[data-broker]");
    const row = await page.$eval('table[data-table=brokers] tbody tr', (tr) => tr.textContent ?? '');
    assert.match(row, new RegExp(`127\\.0\\.0\\.1:${broker.port}`));
    assert.match(row, /controller/);
    await screenshot(page, '01-brokers');

    await show(page, '#/topics', `tr[data-topic="${TOPIC}"]`);
    const topicRow = await page.$eval(`tr[data-topic="${TOPIC}"]`, (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    assert.equal(topicRow[2], '3', 'partitions');
    assert.equal(topicRow[6], '101', 'messages');
    await screenshot(page, '02-topics');

    await show(page, `#/topics/${TOPIC}`, 'table[data-table=partitions] tr[data-partition="2"]');
    const ends = await page.$$eval('table[data-table=partitions] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[6]?.textContent));
    assert.deepEqual(ends, ['101', '0', '0'], 'end offsets per partition');
    await page.waitForSelector('table[data-table=configs] tr[data-config="retention.ms"]');
    await screenshot(page, '03-topic');
  });

  it('browses a partition: newest page, JSON, hex, from an offset, search; hostile contents stay text', async () => {
    await show(page, `#/topics/${TOPIC}/messages`, '.msg[data-offset="100"]');
    const offsets = await page.$$eval('.msg', (els) => els.map((e) => Number(e.getAttribute('data-offset'))));
    assert.deepEqual(offsets, Array.from({ length: 50 }, (_, i) => 51 + i), 'the newest 50 records of partition 0');
    const json = await page.$eval('.msg[data-offset="99"] pre[data-field=value]', (e) => e.textContent);
    assert.equal(json, JSON.stringify({ id: 99, item: 'widget' }, null, 2), 'JSON values are pretty-printed');
    const hostile = await page.$eval('.msg[data-offset="100"]', (e) => ({
      key: e.querySelector('pre[data-field=key]')?.textContent,
      value: e.querySelector('pre[data-field=value]')?.textContent,
      header: e.querySelector('pre[data-field=header]')?.textContent,
      imgs: document.querySelectorAll('main img').length,
      scripts: document.querySelectorAll('main script').length,
      xss: (window as unknown as { __xss?: number }).__xss ?? null,
    }));
    assert.deepEqual(hostile, { key: HOSTILE, value: HOSTILE, header: `x: ${HOSTILE}`, imgs: 0, scripts: 0, xss: null });
    await screenshot(page, '04-messages');

    await page.select('select[name=format]', 'hex');
    const hex = await page.$eval('.msg[data-offset="99"] pre[data-field=value]', (e) => e.textContent ?? '');
    assert.match(hex, /^00000000  7b 22 69 64 22 3a 39 39/, 'hex dump of {"id":99');

    await page.select('select[name=format]', 'auto');
    await page.select('select[name=mode]', 'offset');
    await type(page, 'input[name=offset]', '10');
    await type(page, 'input[name=limit]', '5');
    await page.click('form[data-form=browse] button[type=submit]');
    await waitInPage(page, () => document.querySelector('.msg')?.getAttribute('data-offset') === '10', 'the page from offset 10');
    assert.equal(await page.$$eval('.msg', (els) => els.length), 5);

    await page.select('select[name=mode]', 'offset');
    await type(page, 'input[name=offset]', '0');
    await type(page, 'input[name=limit]', '50');
    await type(page, 'input[name=q]', 'NEEDLE');
    await page.click('form[data-form=browse] button[type=submit]');
    await waitInPage(page, () => document.querySelectorAll('.msg').length === 1 && document.querySelector('.msg')?.getAttribute('data-offset') === '42', 'only the record holding "needle"');
    await type(page, 'input[name=q]', '');
  });

  it('produces from the UI; the record is in Kafka and appears; the live tail shows records produced elsewhere', async () => {
    await show(page, `#/topics/${TOPIC}/messages`, '.msg[data-offset="100"]');
    await page.click('details:has(form[data-form=produce]) summary');
    await type(page, 'form[data-form=produce] input[name=key]', 'ui-key');
    await type(page, 'form[data-form=produce] textarea[name=value]', '{"from":"the console"}');
    await type(page, 'form[data-form=produce] textarea[name=headers]', 'origin=browser');
    await type(page, 'form[data-form=produce] input[name=partition]', '0');
    await page.click('form[data-form=produce] button[type=submit]');
    await waitInPage(page, () => /Produced to partition 0 at offset 101/.test(document.querySelector('[data-result=produce]')?.textContent ?? ''), 'the produce result');
    await page.waitForSelector('.msg[data-offset="101"]');
    assert.equal(await page.$eval('.msg[data-offset="101"] pre[data-field=value]', (e) => e.textContent), JSON.stringify({ from: 'the console' }, null, 2));
    const kcat = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', '101', '-c', '1', '-e', '-q', '-f', '%k|%s|%h\n'], { timeoutMs: 15_000 });
    assert.equal(kcat.stdout, 'ui-key|{"from":"the console"}|origin=browser\n', kcat.stderr);
    await screenshot(page, '05-produced');

    await page.click('input[name=tail]');
    const p = new Producer(client, { acks: 1, lingerMs: 0 });
    await p.produce({ topic: TOPIC, partition: 0, value: 'tailed record' });
    await p.close();
    await page.waitForSelector('.msg[data-offset="102"]', { timeout: 10_000 });
    assert.equal(await page.$eval('.msg[data-offset="102"] pre[data-field=value]', (e) => e.textContent), 'tailed record');
    await page.click('input[name=tail]');
  });

  it("watches a group's lag fall while a consumer runs, and resets its offsets from the UI", async () => {
    // The group starts at offset 0 with nobody consuming: lag = the whole backlog.
    const committed = await admin.commitGroupOffsets(GROUP, [{ topic: LAG_TOPIC, partition: 0, offset: 0 }]);
    assert.equal(committed[0]!.error, null);
    await show(page, '#/groups', `tr[data-group="${GROUP}"]`);
    await screenshot(page, '06-groups');
    await show(page, `#/groups/${encodeURIComponent(GROUP)}`, `[data-total-lag="${BACKLOG}"]`);

    const seen: number[] = [];
    const watching = (async () => {
      for (let i = 0; i < 300 && seen[seen.length - 1] !== 0; i++) {
        const v = await page.$eval('[data-total-lag]', (e) => e.getAttribute('data-total-lag')).catch(() => null);
        if (v !== null && v !== '' && Number(v) !== seen[seen.length - 1]) seen.push(Number(v));
        await sleep(100);
      }
    })();
    const consumerClient = new KafkaClient({ bootstrapServers: broker.bootstrap, clientId: 'lag-test-consumer' });
    const consumer = new Consumer(consumerClient, { groupId: GROUP, enableAutoCommit: false, maxPollRecords: 250, sessionTimeoutMs: 10_000 });
    let consumed = 0;
    let membersSeen = false;
    try {
      consumer.subscribe([LAG_TOPIC]);
      for (let i = 0; i < 200 && consumed < BACKLOG; i++) {
        consumed += (await consumer.poll(1000)).length;
        await consumer.commit();
        if (!membersSeen && consumed >= 1000) {
          // Mid-way: the member and its assignment are on the page.
          const members = await page.waitForSelector('table[data-table=members] tbody tr').then((row) => row!.evaluate((tr) => tr.textContent ?? ''));
          assert.match(members, new RegExp(`lag-test-consumer.*${LAG_TOPIC}: 0`));
          await screenshot(page, '07-group-consuming');
          membersSeen = true;
        }
        await sleep(300); // slow enough for the page (400 ms refresh) to see the lag fall in steps
      }
      assert.equal(consumed, BACKLOG);
      assert.ok(membersSeen, 'the page showed the member while it consumed');
      await watching;
    } finally {
      await consumer.close();
      await consumerClient.close();
    }
    assert.equal(seen[0], BACKLOG, `lag values seen: ${seen.join(', ')}`);
    assert.equal(seen[seen.length - 1], 0, `lag values seen: ${seen.join(', ')}`);
    assert.ok(seen.length >= 3, `the lag fell in steps the page showed: ${seen.join(', ')}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! < seen[i - 1]!, `lag only falls: ${seen.join(', ')}`);
    const points = await page.$eval('[data-chart=lag]', (e) => Number(e.getAttribute('data-points')));
    assert.ok(points >= 3, `the lag-over-time chart has ${points} points`);
    assert.equal(await page.$$eval('[data-chart=lag] polyline', (l) => l.length), 1);
    await screenshot(page, '08-group-lag-done');

    // Reset to earliest from the UI once the consumer has left: the lag is the backlog again.
    await waitInPage(page, () => document.querySelector('[data-table=members]') === null, 'the consumer to leave the group');
    await page.click('details:has(form[data-form=reset-offsets]) summary');
    await page.select('form[data-form=reset-offsets] select[name=to]', 'earliest');
    await page.click('form[data-form=reset-offsets] button[type=submit]');
    await waitInPage(page, () => /Reset 1 partition/.test(document.querySelector('[data-result=reset-offsets]')?.textContent ?? ''), 'the reset result');
    await page.waitForSelector(`[data-total-lag="${BACKLOG}"]`);
    const offsets = await admin.fetchCommittedOffsets(GROUP);
    assert.deepEqual(offsets.map((o) => [o.topic, o.partition, o.offset]), [[LAG_TOPIC, 0, 0]]);
  });

  it('creates a topic from the UI, adds partitions, changes a config, and deletes it', async () => {
    const name = 'made-in-ui';
    await show(page, '#/topics', `tr[data-topic="${TOPIC}"]`);
    await page.click('details:has(form[data-form=create-topic]) summary');
    await type(page, 'form[data-form=create-topic] input[name=name]', name);
    await type(page, 'form[data-form=create-topic] input[name=partitions]', '2');
    await type(page, 'form[data-form=create-topic] textarea[name=configs]', 'retention.ms=3600000');
    await page.click('form[data-form=create-topic] button[type=submit]');
    await page.waitForSelector(`tr[data-topic="${name}"]`);
    const md = JSON.parse((await run('kcat', ['-b', broker.bootstrap, '-L', '-J', '-t', name, '-m', '5'], { timeoutMs: 15_000 })).stdout) as { topics: Array<{ topic: string; partitions: unknown[] }> };
    assert.equal(md.topics.find((t) => t.topic === name)?.partitions.length, 2, 'kcat sees the new topic with 2 partitions');
    const retention = async (): Promise<string | null | undefined> =>
      (await admin.describeConfigs([{ type: ResourceType.TOPIC, name }]))[0]?.entries.find((e) => e.name === 'retention.ms')?.value;
    assert.equal(await retention(), '3600000');
    await screenshot(page, '09-topic-created');

    await show(page, `#/topics/${name}`, 'tr[data-partition="1"]');
    await page.click('details:has(form[data-form=add-partitions]) summary');
    await type(page, 'form[data-form=add-partitions] input[name=count]', '4');
    await page.click('form[data-form=add-partitions] button[type=submit]');
    await page.waitForSelector('tr[data-partition="3"]');
    assert.equal((await admin.describeTopics([name]))[0]?.partitions.length, 4);

    await page.click('details:has(form[data-form=set-configs]) summary');
    await type(page, 'form[data-form=set-configs] textarea[name=set]', 'retention.ms=7200000');
    await page.click('form[data-form=set-configs] button[type=submit]');
    await waitInPage(page, () => document.querySelector('tr[data-config="retention.ms"] td:nth-child(2)')?.textContent === '7200000', 'the new retention.ms in the configs table');
    assert.equal(await retention(), '7200000');
    await screenshot(page, '10-topic-edited');

    await page.click('details:has(form[data-form=delete-topic]) summary');
    await type(page, 'form[data-form=delete-topic] input[name=confirm]', name);
    await page.click('form[data-form=delete-topic] button[type=submit]');
    await waitInPage(page, () => location.hash === '#/topics', 'the topic list after deleting');
    await page.waitForSelector(`tr[data-topic="${TOPIC}"]`);
    for (let i = 0; i < 50 && (await page.$(`tr[data-topic="${name}"]`)) !== null; i++) await sleep(200);
    assert.equal(await page.$(`tr[data-topic="${name}"]`), null, 'the deleted topic left the list');
    assert.ok(!(await admin.listTopics()).includes(name), 'the topic is gone for clients too');
  });

  it('charts throughput on the metrics page', async () => {
    await show(page, '#/metrics', '[data-chart=throughput]');
    const p = new Producer(client, { acks: 1, lingerMs: 5 });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 500; i++) p.send({ topic: TOPIC, partition: 1, value: `m${i}` });
      await p.flush();
      await sleep(700);
    }
    await p.close();
    await waitInPage(page, () => Number(document.querySelector('[data-chart=throughput]')?.getAttribute('data-points')) >= 3, 'throughput samples');
    assert.equal(await page.$eval('[data-source]', (e) => e.getAttribute('data-source')), 'offsets');
    const legend = await page.$eval('[data-chart=throughput] .legend', (e) => e.textContent ?? '');
    assert.match(legend, /all topics/);
    assert.match(legend, new RegExp(TOPIC));
    await screenshot(page, '11-metrics');
    assert.deepEqual(cp.problems, [], 'no page errors');
    assert.deepEqual(cp.dialogs, [], 'no dialogs (nothing hostile ran)');
  });
});
