#!/usr/bin/env node
// The per-request floor on this machine (issue 15): broker CPU per ApiVersions request, one at a
// time and 50 pipelined on one connection, next to a bare node:net server that answers the same
// frames with a fixed 14-byte reply (no broker code at all). The difference is what the broker's
// request path costs above Node and the kernel; the bare figure is what no broker code change can go
// below. Usage: node bench/request-floor.mjs [REQUESTS]   (after npm run build; 127.0.0.1 only)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requests = Number(process.argv[2] ?? 50_000);
const { BROKER_NODE_FLAGS } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'node-flags.js')).href);

const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * (1000 / 100); // utime + stime, in clock ticks of 10 ms
};
const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const clientId = Buffer.from('floor');
function apiVersionsV0(correlationId) {
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  let o = b.writeInt32BE(b.length - 4, 0);
  o = b.writeInt16BE(18, o);
  o = b.writeInt16BE(0, o);
  o = b.writeInt32BE(correlationId, o);
  o = b.writeInt16BE(clientId.length, o);
  clientId.copy(b, o);
  return b;
}

/** Sends `n` requests keeping `depth` in flight; resolves with µs of `pid`'s CPU per request. */
async function drive(port, pid, n, depth) {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
  let sent = 0;
  let answered = 0;
  let buf = Buffer.alloc(0);
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('request-floor: no answer within 120 s')), 120_000);
    const pump = () => {
      const parts = [];
      while (sent < n && sent - answered < depth) parts.push(apiVersionsV0(sent++));
      if (parts.length > 0) s.write(Buffer.concat(parts));
    };
    s.on('data', (d) => {
      buf = buf.length > 0 ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        buf = buf.subarray(4 + buf.readInt32BE(0));
        answered++;
      }
      if (answered === n) {
        clearTimeout(timer);
        resolve();
      } else pump();
    });
    s.on('error', reject);
    pump();
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ((cpuMs(pid) - c0) * 1000) / n;
  s.destroy();
  return { perSecond: n / seconds, cpuUsPerRequest: cpu };
}

const bareJs = `const net=require('net');net.createServer((s)=>{s.setNoDelay(true);let b=Buffer.alloc(0);s.on('data',(d)=>{b=b.length?Buffer.concat([b,d]):d;const out=[];while(b.length>=4&&b.length>=4+b.readInt32BE(0)){const c=b.readInt32BE(8);b=b.subarray(4+b.readInt32BE(0));const r=Buffer.alloc(14);r.writeInt32BE(10,0);r.writeInt32BE(c,4);out.push(r);}if(out.length)s.write(out.length===1?out[0]:Buffer.concat(out));});}).listen(Number(process.argv[1]),'127.0.0.1',()=>console.log('ready'));`;

async function start(cmd, args, ready) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_LEVEL: 'info', SAMSA_LOG_PRETTY: '0' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const t0 = Date.now();
  while (!ready(out)) {
    if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`${cmd} did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'samsa-floor-'));
const brokerPort = await freePort();
const barePort = await freePort();
const broker = await start(process.execPath, [...BROKER_NODE_FLAGS, path.join(root, 'dist', 'src', 'main.js'), '--override', `log.dirs=${dataDir}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${brokerPort}`], (o) => o.includes('started'));
const bare = await start(process.execPath, ['-e', bareJs, String(barePort)], (o) => o.includes('ready'));
try {
  for (const [name, port, pid] of [['bare node:net server', barePort, bare.pid], ['broker, ApiVersions', brokerPort, broker.pid]]) {
    await drive(port, pid, Math.min(requests, 5000), 1); // warm-up
    for (const depth of [1, 50]) {
      const r = await drive(port, pid, requests, depth);
      console.log(`${name}, ${depth === 1 ? 'one at a time' : `${depth} pipelined`}: ${Math.round(r.perSecond)} requests/s, ${r.cpuUsPerRequest.toFixed(1)} µs CPU per request`);
    }
  }
} finally {
  broker.kill('SIGTERM');
  bare.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
}
