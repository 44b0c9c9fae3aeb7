// Security rows of the benchmark (issue 12, "Performance"), run by bench/run.mjs:
//   S1 / S2    produce over SSL / SASL_SSL (SCRAM-SHA-512) vs PLAINTEXT, one broker with the three
//              listeners, the same generator as P1 (kafka-producer-perf-test, acks=1, 100 B,
//              linger.ms=0, batch.size=16384), each to its own 1-partition topic, in this run.
//   S1f / S2f  fetch of those topics over the same listeners (kafka-consumer-perf-test) vs PLAINTEXT.
//   S3         connection setup (connect + ApiVersions [+ TLS handshake] [+ SCRAM]) per connection,
//              our client's KafkaConnection.connect, vs PLAINTEXT.
//   A1-A3      bench/auth-micro.mjs: broker-side SASL cost per connection and AclAuthorizer cost
//              per check with N ACLs, vs the no-authorizer baseline.
// Certificates come from test/helpers/certs.ts (the openssl CLI); without openssl the S rows are
// marked not available.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bench" password="bench-secret";';

export async function securityRows(d) {
  const { work, root, dist, smoke, want, row, na, guard, fmt, run, startChild, stopChild, waitForPort, freePort, createTopic, producerPerf, consumerPerf, HOST } = d;
  const records = smoke ? 5_000 : 1_000_000;
  const connections = smoke ? 5 : 200;

  if (want('S1') || want('S2') || want('S3')) {
    await guard('S1', 'produce/fetch over SSL and SASL_SSL vs PLAINTEXT', async () => {
      const certsJs = path.join(root, 'dist', 'test', 'helpers', 'certs.js');
      if (!existsSync('/usr/bin/openssl') || !existsSync(certsJs)) {
        for (const id of ['S1', 'S2']) na(id, `produce over ${id === 'S1' ? 'SSL' : 'SASL_SSL'}`, 'needs /usr/bin/openssl and dist/test/helpers/certs.js (npm run build)');
        return;
      }
      const { makeTestCerts } = await import(pathToFileURL(certsJs).href);
      const certs = await makeTestCerts();
      const ports = { PLAINTEXT: await freePort(), SSL: await freePort(), SASL_SSL: await freePort() };
      const listeners = Object.entries(ports).map(([n, p]) => `${n}://${HOST}:${p}`).join(',');
      const { BROKER_NODE_FLAGS } = await import(pathToFileURL(path.join(dist, 'node-flags.js')).href);
      const broker = startChild(process.execPath, [
        ...BROKER_NODE_FLAGS,
        path.join(dist, 'main.js'),
        ...[
          `log.dirs=${path.join(work, 'secure')}`,
          `listeners=${listeners}`,
          `advertised.listeners=${listeners}`,
          'inter.broker.listener.name=PLAINTEXT',
          'sasl.enabled.mechanisms=SCRAM-SHA-512',
          'ssl.keystore.type=PKCS12',
          `ssl.keystore.location=${certs.broker.p12}`,
          `ssl.keystore.password=${certs.p12Password}`,
        ].flatMap((o) => ['--override', o]),
      ], { SAMSA_LOG_LEVEL: 'warn' });
      try {
        for (const p of Object.values(ports)) await waitForPort(p, 60_000);
        const kc = await run(process.execPath, [path.join(dist, 'cli', 'kafka-configs.js'), '--bootstrap-server', `${HOST}:${ports.PLAINTEXT}`, '--alter', '--add-config', 'SCRAM-SHA-512=[iterations=4096,password=bench-secret]', '--entity-type', 'users', '--entity-name', 'bench']);
        if (kc.code !== 0) throw new Error(`kafka-configs: ${kc.stderr}`);
        const security = {
          PLAINTEXT: {},
          SSL: { 'security.protocol': 'SSL', 'ssl.truststore.location': certs.caCert },
          SASL_SSL: { 'security.protocol': 'SASL_SSL', 'ssl.truststore.location': certs.caCert, 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': SCRAM_JAAS },
        };
        const configFile = (name) => {
          const f = path.join(certs.dir, `${name}.properties`);
          writeFileSync(f, Object.entries(security[name]).map(([k, v]) => `${k}=${v}\n`).join(''));
          return f;
        };
        const bootstrap = (name) => `${HOST}:${ports[name]}`;
        for (const name of Object.keys(ports)) await createTopic(`${HOST}:${ports.PLAINTEXT}`, `s-${name.toLowerCase()}`, 1);
        await createTopic(`${HOST}:${ports.PLAINTEXT}`, 's-warm', 1);
        await producerPerf(bootstrap('PLAINTEXT'), 's-warm', Math.min(records, 200_000));
        const produce = {};
        const fetch = {};
        for (const name of Object.keys(ports)) {
          const props = Object.entries(security[name]).map(([k, v]) => `${k}=${v}`);
          produce[name] = await producerPerf(bootstrap(name), `s-${name.toLowerCase()}`, records, { props, cpuPid: broker.child.pid });
        }
        // The first fetch of a run pays for JIT and for reading back: warm up on another topic.
        await consumerPerf(bootstrap('PLAINTEXT'), 's-warm', Math.min(records, 200_000));
        for (const name of Object.keys(ports)) fetch[name] = await consumerPerf(bootstrap(name), `s-${name.toLowerCase()}`, records, { configFile: name === 'PLAINTEXT' ? null : configFile(name) });
        const plain = produce.PLAINTEXT;
        const cpu = (r) => `broker CPU ${fmt(r.brokerCpuUsPerRecord, 2)} µs/record (PLAINTEXT ${fmt(plain.brokerCpuUsPerRecord, 2)}); p99 ${fmt(r.p99, 2)} ms`;
        row('S1', `produce ${fmt(records)} records over SSL (TLS 1.3), 1 partition, acks=1, 100 B`, produce.SSL.rps, 'records/s', plain.rps, 'PLAINTEXT, same broker', cpu(produce.SSL));
        row('S2', `produce ${fmt(records)} records over SASL_SSL (SCRAM-SHA-512), 1 partition, acks=1, 100 B`, produce.SASL_SSL.rps, 'records/s', plain.rps, 'PLAINTEXT, same broker', cpu(produce.SASL_SSL));
        row('S1f', `fetch ${fmt(records)} records over SSL`, fetch.SSL.rps, 'records/s', fetch.PLAINTEXT.rps, 'PLAINTEXT fetch', `${fmt(fetch.SSL.mbps, 1)} MB/s`);
        row('S2f', `fetch ${fmt(records)} records over SASL_SSL`, fetch.SASL_SSL.rps, 'records/s', fetch.PLAINTEXT.rps, 'PLAINTEXT fetch', `${fmt(fetch.SASL_SSL.mbps, 1)} MB/s`);
        d.raw.security = { produce, fetch };

        // S3: connection setup through our client, sequential, closed each time.
        const setup = await run(process.execPath, [
          '--input-type=module',
          '-e',
          `import { KafkaConnection } from ${JSON.stringify(pathToFileURL(path.join(dist, 'client', 'connection.js')).href)};
           import { securityFromProps } from ${JSON.stringify(pathToFileURL(path.join(dist, 'client', 'security.js')).href)};
           const ports = ${JSON.stringify(ports)}; const props = ${JSON.stringify(security)};
           const out = {};
           for (const name of Object.keys(ports)) {
             const security = securityFromProps(props[name]);
             const once = async () => (await KafkaConnection.connect({ host: ${JSON.stringify(HOST)}, port: ports[name], security })).close();
             await once();
             const t0 = process.hrtime.bigint();
             for (let i = 0; i < ${connections}; i++) await once();
             out[name] = Number(process.hrtime.bigint() - t0) / 1e6 / ${connections};
           }
           console.log(JSON.stringify(out));`,
        ]);
        if (setup.code !== 0) throw new Error(`connection setup: ${setup.stderr}`);
        const ms = JSON.parse(setup.stdout.trim().split('\n').pop());
        d.raw.security.connectionSetupMs = ms;
        row('S3', `connection setup, SSL (connect + TLS + ApiVersions), ${connections} sequential`, ms.SSL, 'ms/connection', ms.PLAINTEXT, 'PLAINTEXT', '', false);
        row('S3', `connection setup, SASL_SSL (+ SCRAM-SHA-512, 4096 iterations), ${connections} sequential`, ms.SASL_SSL, 'ms/connection', ms.PLAINTEXT, 'PLAINTEXT', 'includes the client\'s PBKDF2', false);
      } finally {
        await stopChild(broker);
        await certs.remove();
      }
    });
  }

  if (want('A1')) {
    await guard('A1', 'authentication and authorization cost (micro)', async () => {
      const r = await run(process.execPath, [path.join(root, 'bench', 'auth-micro.mjs'), ...(smoke ? ['--smoke'] : [])]);
      if (r.code !== 0) throw new Error(`auth-micro: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').pop());
      d.raw.authMicro = m;
      const s = m.sasl;
      row('A1', 'broker SASL cost per connection: SCRAM-SHA-512 (4096 iterations)', s['SCRAM-SHA-512'].serverUsPerHandshake, 'µs', null, 'PLAINTEXT: 0', `SCRAM-SHA-256 ${fmt(s['SCRAM-SHA-256'].serverUsPerHandshake, 1)} µs; PLAIN ${fmt(s.PLAIN.serverUsPerHandshake, 1)} µs; client side (PBKDF2) SHA-512 ${fmt(s['SCRAM-SHA-512'].clientUsPerHandshake, 0)} µs, SHA-256 ${fmt(s['SCRAM-SHA-256'].clientUsPerHandshake, 0)} µs`);
      for (const n of [10, 1000, 10000]) {
        const a = m.authz[`acls${n}`];
        row(n === 10 ? 'A2' : n === 1000 ? 'A2b' : 'A2c', `AclAuthorizer.authorize per check, ${fmt(n)} ACLs, first check of a name (memo miss)`, a.missUsPerCheck, 'µs/check', m.authz.noAuthorizerUsPerCheck, 'no authorizer (loop only)', `repeat check (memo hit) ${fmt(a.hitUsPerCheck, 2)} µs`, false);
      }
    });
  }
}
