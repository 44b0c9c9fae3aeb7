/**
 * The nemesis of a fault run: injects one fault at a time from a schedule, holds it, heals it and
 * waits (bounded) for the cluster to be whole again before the next one. Targets are chosen from
 * the current leader of a partition or at random, with a seeded generator, so a seed and a
 * schedule name the run.
 *
 * Fault kinds:
 *   partition    the target broker is cut from the other brokers (both ways); ZooKeeper and
 *                clients still reach it
 *   split-brain  the target (a leader) is cut from ZooKeeper and from the other brokers, but not
 *                from clients: it may believe it still leads while the controller elects another
 *   zk-cut       the target is cut from ZooKeeper only
 *   one-way      the target's replies to the other brokers are dropped (they fetch, hear nothing);
 *                connections stay open
 *   drop         every link to and from the target is a blackhole (accepted, nothing forwarded)
 *   delay        every link gets 30-150 ms of latency
 *   kill         SIGKILL the target, restart it when the fault ends
 *   pause        SIGSTOP the target (longer than the ZooKeeper session), then SIGCONT
 *   disk-full    the target's data dir (a size-limited tmpfs) is filled to ENOSPC, then freed; a
 *                broker that died of it is restarted
 */
import type { PartitionMetadata } from '../helpers/cluster.js';
import { sleep } from '../helpers/broker.js';
import { nodeName, type FaultCluster } from './fault-cluster.js';

export const FAULT_KINDS = ['partition', 'split-brain', 'zk-cut', 'one-way', 'drop', 'delay', 'kill', 'pause', 'disk-full'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const LONG_FAULTS: ReadonlySet<FaultKind> = new Set(['pause', 'split-brain', 'zk-cut', 'drop']);

export function parseSchedule(text: string): FaultKind[] {
  const kinds = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`unknown fault '${k}' in --schedule; use some of: ${FAULT_KINDS.join(', ')}`);
  }
  if (kinds.length === 0) throw new Error(`--schedule is empty; use some of: ${FAULT_KINDS.join(', ')}`);
  return kinds as FaultKind[];
}


export interface FaultEvent {
  kind: FaultKind;
  target: number;
  startMs: number;
  heldMs: number;
  /** Time from healing to every partition having a full ISR again; null when it did not within the bound. */
  recoveredMs: number | null;
  note: string;
}

export interface NemesisOptions {
  topic: string;
  partitions: number;
  /** How long each fault is held. */
  faultMs: number;
  /** Pauses and cuts from ZooKeeper are held at least this long (past the ZooKeeper session timeout). */
  pauseMs: number;
  /** Quiet time between faults. */
  quietMs: number;
  recoverTimeoutMs: number;
  random: () => number;
  log: (line: string) => void;
  /** Chooses the target of a fault instead of the leader of a random partition (null: the default choice). */
  pickTarget?: (kind: FaultKind) => Promise<number | null>;
}

export class Nemesis {
  readonly events: FaultEvent[] = [];
  readonly skipped: Array<{ kind: FaultKind; reason: string }> = [];

  constructor(
    private readonly fc: FaultCluster,
    private readonly opts: NemesisOptions,
  ) {}

  /** The partitions as a broker that is up sees them (the harness asks brokers directly, not through proxies). */
  private async describe(): Promise<PartitionMetadata[] | null> {
    try {
      return await this.fc.cluster.describe(this.opts.topic);
    } catch {
      return null; // no live broker answered: the caller picks a target at random
    }
  }

  private async pickTarget(): Promise<number> {
    const ids = this.fc.ids;
    const parts = await this.describe();
    const p = Math.floor(this.opts.random() * this.opts.partitions);
    const leader = parts?.find((x) => x.partition === p)?.leader ?? -1;
    if (leader >= 0 && this.fc.cluster.broker(leader).running()) return leader;
    return ids[Math.floor(this.opts.random() * ids.length)]!;
  }

  private others(target: number): string[] {
    return this.fc.brokers.filter((b) => b !== nodeName(target));
  }

  private cutBrokers(target: number): void {
    const t = nodeName(target);
    for (const o of this.others(target)) {
      this.fc.net.set(t, o, { kind: 'cut' });
      this.fc.net.set(o, t, { kind: 'cut' });
    }
  }

  /** Injects `kind` on `target`; returns a note for the report and the heal action. */
  private async inject(kind: FaultKind, target: number): Promise<{ note: string; heal: () => Promise<void> }> {
    const net = this.fc.net;
    const t = nodeName(target);
    const c = this.fc.cluster;
    const healNet = async (): Promise<void> => net.healAll();
    switch (kind) {
      case 'partition':
        this.cutBrokers(target);
        return { note: `${t} | ${this.others(target).join(',')}`, heal: healNet };
      case 'split-brain':
        this.cutBrokers(target);
        net.set(t, 'zk', { kind: 'cut' });
        return { note: `${t} cut from zk and brokers, clients still reach it`, heal: healNet };
      case 'zk-cut':
        net.set(t, 'zk', { kind: 'cut' });
        return { note: `${t} cut from zk`, heal: healNet };
      case 'one-way':
        // Followers' fetches reach the target; its answers are dropped.
        for (const o of this.others(target)) net.set(o, t, { kind: 'one-way', blocked: 'down' });
        return { note: `${t} -> others dropped`, heal: healNet };
      case 'drop':
        for (const o of [...this.others(target), 'client']) net.set(o, t, { kind: 'drop' });
        for (const o of this.others(target)) net.set(t, o, { kind: 'drop' });
        net.set(t, 'zk', { kind: 'drop' });
        return { note: `${t} blackholed`, heal: healNet };
      case 'delay': {
        const delayMs = 30 + Math.floor(this.opts.random() * 120);
        for (const a of [...this.fc.brokers, 'client']) {
          for (const b of this.fc.brokers) if (a !== b) net.set(a, b, { kind: 'pass', delayMs });
        }
        for (const b of this.fc.brokers) net.set(b, 'zk', { kind: 'pass', delayMs });
        return { note: `${delayMs} ms on every link`, heal: healNet };
      }
      case 'kill':
        await c.kill(target);
        return { note: `${t} SIGKILL`, heal: async () => c.restart(target) };
      case 'pause':
        c.pause(target);
        return { note: `${t} SIGSTOP`, heal: async () => c.resume(target) };
      case 'disk-full': {
        const bytes = await this.fc.disk.fill(target);
        return {
          note: `${t} data dir filled (${(bytes / 1048576).toFixed(1)} MiB filler)`,
          heal: async () => {
            await this.fc.disk.free(target);
            if (!c.broker(target).running()) {
              this.opts.log(`  ${t} died while its disk was full; restarting`);
              await c.restart(target);
            }
          },
        };
      }
    }
  }

  /** Every partition led by a live broker with a full ISR. */
  private async whole(): Promise<boolean> {
    const parts = await this.describe();
    return parts !== null && parts.length === this.opts.partitions && parts.every((p) => p.leader >= 0 && p.isr.length === this.fc.ids.length);
  }

  async waitWhole(timeoutMs: number): Promise<number | null> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      if (await this.whole()) return Date.now() - start;
      await sleep(250);
    }
    return null;
  }

  /** Runs one fault of `kind` to its end (held, healed, recovered or timed out). */
  async run(kind: FaultKind, runStartMs: number): Promise<void> {
    if (kind === 'disk-full' && !this.fc.disk.available) {
      this.skipped.push({ kind, reason: this.fc.disk.reason });
      this.opts.log(`  skip disk-full: ${this.fc.disk.reason}`);
      return;
    }
    const target = (await this.opts.pickTarget?.(kind)) ?? (await this.pickTarget());
    const startMs = Date.now() - runStartMs;
    // Faults that silence a broker towards ZooKeeper are held past the session timeout, so they lead to elections.
    const heldMs = LONG_FAULTS.has(kind) ? Math.max(this.opts.pauseMs, this.opts.faultMs) : this.opts.faultMs;
    const { note, heal } = await this.inject(kind, target);
    this.opts.log(`  ${(startMs / 1000).toFixed(1)}s ${kind}: ${note} for ${heldMs} ms`);
    await sleep(heldMs);
    await heal();
    const recoveredMs = await this.waitWhole(this.opts.recoverTimeoutMs);
    this.opts.log(`    healed; ${recoveredMs === null ? `NOT whole again within ${this.opts.recoverTimeoutMs} ms` : `whole again after ${recoveredMs} ms`}`);
    this.events.push({ kind, target, startMs, heldMs, recoveredMs, note });
    await sleep(this.opts.quietMs);
  }

  /** Ends every fault still in force (at the end of a run, or when it fails). */
  async healEverything(): Promise<void> {
    this.fc.net.healAll();
    for (const id of this.fc.ids) {
      const b = this.fc.cluster.broker(id);
      if (b.paused()) this.fc.cluster.resume(id);
      if (this.fc.disk.available) await this.fc.disk.free(id);
      if (!b.running()) await this.fc.cluster.restart(id);
    }
  }
}
