/**
 * A real cluster (test/helpers/cluster.ts: Apache ZooKeeper and broker processes) where every
 * connection goes through a fault proxy (proxy.ts), and where each broker's data dir can be made
 * full on demand.
 *
 * Wiring, per broker `b<id>`:
 *   - EXTERNAL listener (clients) on the cluster's port, advertised at a proxy whose link is
 *     `client->b<id>`;
 *   - INTERNAL listener (replication, inter.broker.listener.name) on its own port, advertised at a
 *     proxy that tells replica fetchers apart by client id: links `b<j>->b<id>`;
 *   - zookeeper.connect at a proxy of its own to the ZooKeeper server: link `b<id>->zk`.
 * The test harness itself (describe() with kcat) reaches the real EXTERNAL ports directly, so it
 * can watch the cluster while clients are cut off.
 *
 * Disk full: each broker's log dir is a size-limited tmpfs mounted for the run (needs mount
 * permission: root, or CAP_SYS_ADMIN; this machine and CI run as root). `fillDisk(id)` writes a
 * filler file until ENOSPC, `freeDisk(id)` removes it. When mounting is refused, `disk.available`
 * is false with the reason, and disk-full faults are skipped (reported, never silently).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, startCluster, type Cluster } from '../helpers/cluster.js';
import { makeTempDir, removeDir } from '../helpers/broker.js';
import { brokerSourceOf, FaultNet, type FaultProxy } from './proxy.js';

export interface DiskControl {
  readonly available: boolean;
  /** Why disk-full faults cannot run here (when not available). */
  readonly reason: string;
  readonly sizeBytes: number;
  fill(id: number): Promise<number>;
  free(id: number): Promise<void>;
}

export interface FaultCluster {
  readonly cluster: Cluster;
  readonly net: FaultNet;
  readonly ids: number[];
  /** Node names: b0, b1, ... */
  readonly brokers: string[];
  /** EXTERNAL proxy addresses, for clients. */
  readonly clientBootstrap: string;
  readonly disk: DiskControl;
  stop(): Promise<void>;
}

export function nodeName(id: number): string {
  return `b${id}`;
}

/** Mounts a tmpfs of `sizeBytes` at `dir`; returns null on success or the reason it failed. */
function mountTmpfs(dir: string, sizeBytes: number): string | null {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error) return `unavailable: mount could not run: ${r.error.message}`;
  return r.status === 0 ? null : `unavailable: mount -t tmpfs failed (${r.status}): ${r.stderr.trim()}`;
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
}

const FILLER = 'disk-full-filler';
const FILL_CHUNK_BYTES = 1024 * 1024;

async function fillDir(dir: string, bytesMax: number): Promise<number> {
  const f = await open(path.join(dir, FILLER), 'a');
  let written = 0;
  try {
    const chunk = Buffer.alloc(FILL_CHUNK_BYTES);
    // Bounded: a tmpfs of sizeBytes takes at most sizeBytes; the last chunks shrink to fill it to the byte.
    for (let size = FILL_CHUNK_BYTES; size >= 1 && written <= bytesMax; ) {
      try {
        await f.write(chunk, 0, size);
        written += size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    await f.close();
  }
  return written;
}

export async function startFaultCluster(opts: { brokers: number; overrides?: string[]; diskFull?: boolean; diskBytes?: number }): Promise<FaultCluster> {
  const faultNet = new FaultNet();
  const ids = Array.from({ length: opts.brokers }, (_, i) => i);
  const diskBytes = opts.diskBytes ?? 96 * 1024 * 1024;
  const diskRoot = await makeTempDir('samsa-faults-disk-');
  const mounted: string[] = [];
  let diskReason = opts.diskFull === true ? '' : 'not in the schedule';
  for (const id of diskReason === '' ? ids : []) {
    const dir = path.join(diskRoot, `broker-${id}`);
    await mkdir(dir, { recursive: true });
    const problem = mountTmpfs(dir, diskBytes);
    if (problem !== null) {
      diskReason = problem;
      break;
    }
    mounted.push(dir);
  }
  if (diskReason !== '') for (const d of mounted.splice(0)) unmount(d); // all or none
  const diskAvailable = diskReason === '';

  const realPorts = new Map<number, number>();
  const internalPorts = new Map<number, number>();
  const external = new Map<number, FaultProxy>();
  const internal = new Map<number, FaultProxy>();
  const toZk = new Map<number, FaultProxy>();
  let zkTarget: { host: string; port: number } | null = null;
  for (const id of ids) {
    const name = nodeName(id);
    internalPorts.set(id, await freePort());
    external.set(id, await faultNet.proxy({ destination: name, source: 'client', target: () => ({ host: '127.0.0.1', port: realPorts.get(id) ?? 0 }) }));
    internal.set(id, await faultNet.proxy({ destination: name, source: brokerSourceOf, target: () => ({ host: '127.0.0.1', port: internalPorts.get(id)! }) }));
    toZk.set(id, await faultNet.proxy({ destination: 'zk', source: name, target: () => zkTarget }));
  }

  let cluster: Cluster;
  try {
    cluster = await startCluster({
      brokers: opts.brokers,
      overrides: opts.overrides ?? [],
      brokerOverrides: (id, ctx) => {
        realPorts.set(id, ctx.port);
        const slash = ctx.zookeeperConnect.indexOf('/');
        const servers = ctx.zookeeperConnect.slice(0, slash);
        if (servers.includes(',')) throw new Error('fault runs proxy one ZooKeeper server; start the cluster with zookeepers: 1');
        const colon = servers.lastIndexOf(':');
        zkTarget = { host: servers.slice(0, colon), port: Number(servers.slice(colon + 1)) };
        return [
          `listeners=EXTERNAL://127.0.0.1:${ctx.port},INTERNAL://127.0.0.1:${internalPorts.get(id)}`,
          `advertised.listeners=EXTERNAL://${external.get(id)!.address},INTERNAL://${internal.get(id)!.address}`,
          'listener.security.protocol.map=EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT',
          'inter.broker.listener.name=INTERNAL',
          `zookeeper.connect=${toZk.get(id)!.address}${ctx.zookeeperConnect.slice(slash)}`,
          ...(diskAvailable ? [`log.dirs=${path.join(diskRoot, `broker-${id}`, 'data')}`] : []),
        ];
      },
    });
  } catch (err) {
    await faultNet.close();
    for (const d of mounted) unmount(d);
    await removeDir(diskRoot);
    throw err;
  }

  const disk: DiskControl = {
    available: diskAvailable,
    reason: diskReason,
    sizeBytes: diskBytes,
    fill: (id) => fillDir(path.join(diskRoot, `broker-${id}`), diskBytes),
    free: (id) => rm(path.join(diskRoot, `broker-${id}`, FILLER), { force: true }),
  };
  return {
    cluster,
    net: faultNet,
    ids,
    brokers: ids.map(nodeName),
    clientBootstrap: ids.map((id) => external.get(id)!.address).join(','),
    disk,
    async stop() {
      await cluster.stopAll();
      await faultNet.close();
      for (const d of mounted) unmount(d);
      await removeDir(diskRoot);
    },
  };
}
