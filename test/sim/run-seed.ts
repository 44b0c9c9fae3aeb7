/**
 * One simulation run: a seed decides everything — network latencies, the order of concurrent
 * events, which faults strike when and where — and the same seed replays the run bit for bit
 * (the scheduler's digest of every event proves it).
 *
 * The run: three brokers and the simulated ZooKeeper start; a topic with 3 partitions and
 * replication factor 3 (min.insync.replicas=2) is created; an idempotent acks=all producer, a
 * consumer and a consumer group (group.ts) run while the nemesis injects faults (see FAULT_KINDS;
 * one at a time, or up to `overlap` at once) for `durationMs` of simulated time; then every fault
 * heals, and the run checks liveness (every partition gets a leader and a full ISR again, the
 * producer and the group make progress, within a bound) and safety:
 *
 *   continuously (every CHECK_EVERY_MS):
 *   - at most one broker leads a partition at a given leader epoch;
 *   - a leader's high watermark never decreases within its epoch;
 *   - a leader's high watermark never exceeds the log end offset of a live ISR member (one that
 *     has not lost power since the epoch began: Kafka's model keeps acknowledged data in page
 *     caches, not on disk, so a power loss of an ISR member is outside it);
 *   - controller writes are fenced: the /controller_epoch version they checked never goes back;
 *   - a reader (the consumer, a group member) never sees a record at or above the answer's high
 *     watermark, and an offset never changes its record;
 *   - a group's committed offset never goes back (an OffsetFetch answers at least every commit
 *     acknowledged before it was sent);
 *   every PREFIX_CHECK_EVERY_MS:
 *   - the committed prefix (batches below the high watermark) is identical, batch for batch, on
 *     the leader and every live ISR member in its epoch;
 *   at the end:
 *   - no acknowledged record is lost: each is at its acknowledged offset in the leader's log and
 *     in every ISR member's log;
 *   - no record is stored twice (the producer is idempotent);
 *   - the committed prefix (below the high watermark) is identical on every ISR member.
 *
 * The fault model: at most one broker is down or has lost power at a time beyond what
 * min.insync.replicas=2 tolerates (power loss strikes only a cluster whose ISRs are whole), as
 * Kafka's guarantees assume; partitions, pauses, slow links, clock jumps and disk faults strike
 * anywhere. Disk faults (ENOSPC, EIO on fsync) take logs offline, and a broker whose every log dir
 * failed halts (as Kafka does); when the fault heals the nemesis restarts that broker, as an
 * operator would.
 */
import { BATCH_HEADER_BYTES, batch } from '../../src/protocol/records/batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { MemoryDisk } from '../../src/io/memory/disk.js';
import type { Partition } from '../../src/replication/partition.js';
import { ReadChecker, SimAdmin, SimConsumer, SimProducer, recordsOf, type AdminOperation } from './clients.js';
import { checkCommittedAtEnd, GroupLedger, SimGroupMember } from './group.js';
import { SimCluster, brokerName, type SimBroker } from './cluster.js';
import { SimNode } from './node.js';
import { SeededRandom, SimScheduler } from './scheduler.js';
import { ZK_NODE } from './sim-zookeeper.js';

export const FAULT_KINDS = ['crash', 'power', 'pause', 'partition', 'one-way', 'zk-cut', 'client-cut', 'slow', 'disk-full', 'disk-eio', 'bitflip', 'clock', 'drift'] as const;
/** The fault kinds before 'drift' joined: runs found with them replay only with this list. */
export const FAULT_KINDS_BEFORE_DRIFT = FAULT_KINDS.filter((k) => k !== 'drift');
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SeedOptions {
  seed: number;
  faults?: readonly FaultKind[];
  /** Simulated time during which faults strike. */
  durationMs?: number;
  /** Bound for the cluster to recover after the faults heal (liveness). */
  livenessMs?: number;
  partitions?: number;
  recordsPerBatch?: number;
  /** Simulated pause of the producer between two batches of one partition (keeps runs short). */
  produceIntervalMs?: number;
  /** A partition whose replica states and acknowledgements go into the story (debugging). */
  watchPartition?: number;
  /** Consumer-group members reading the topic and committing (default 2; 0: no group). */
  groupMembers?: number;
  /** Faults in force at once (default 1: each heals before the next strikes). */
  overlap?: number;
  /** Extra broker settings (tests use an unsafe one to prove the checks catch a loss). */
  brokerOverrides?: string[];
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  failure: string | null;
  digest: string;
  simMs: number;
  realMs: number;
  events: number;
  acked: number;
  lost: number;
  duplicates: number;
  producerResets: number;
  /** Consumer group: acknowledged commits, generations, committed-offset reads checked. */
  groupCommits: number;
  groupGenerations: number;
  groupOffsetReads: number;
  /** Admin requests sent during the faults, by kind and answer ("config NONE", "create unanswered", ...). */
  adminOps: Record<string, number>;
  /** Bits flipped on read by the bitflip fault (each one caught or harmless, or the seed fails). */
  bitsFlipped: number;
  faults: Partial<Record<FaultKind, number>>;
  /** The last events, and every note (the run's story), for failure reports. */
  trace: string[];
  notes: string[];
}

const TOPIC = 'sim';
const GROUP = 'sim-group';
/** Mixed into the seed for the nemesis's own random stream, and the admin's. */
const NEMESIS_STREAM = 0x5eed_fa17;
const ADMIN_STREAM = 0x5eed_ad31;
const GROUP_MEMBERS = 2;
const CHECK_EVERY_MS = 250;
const PREFIX_CHECK_EVERY_MS = 5000;

export async function runSeed(opts: SeedOptions): Promise<SeedResult> {
  const startedMs = Date.now();
  const sched = new SimScheduler(opts.seed);
  const faults = opts.faults ?? FAULT_KINDS;
  const partitions = opts.partitions ?? 3;
  const counts: Partial<Record<FaultKind, number>> = {};
  let producer: SimProducer | null = null;
  let consumer: SimConsumer | null = null;
  let members: SimGroupMember[] = [];
  const ledger = new GroupLedger(GROUP);
  const adminOps: Record<string, number> = {};
  let cluster: SimCluster | null = null;
  let failure: string | null = null;
  let lost = 0;
  let duplicates = 0;
  try {
    cluster = await SimCluster.start(sched, { brokers: 3, overrides: opts.brokerOverrides ?? [] });
    const client = new SimNode(sched, 'client-0');
    const admin = new SimAdmin(cluster, client);
    let created = false;
    admin.createTopic(TOPIC, partitions, 3).then(
      () => (created = true),
      (err: unknown) => sched.fail(err instanceof Error ? err : new Error(String(err))),
    );
    await sched.run({ done: () => created, untilMs: sched.nowMs + 30_000 });
    if (!created) throw new Error('the topic was not created within 30 s');
    admin.close();
    const c = cluster;
    await sched.run({ done: () => allHealthy(c, partitions), untilMs: sched.nowMs + 30_000 });

    producer = new SimProducer(cluster, client, TOPIC, partitions, opts.recordsPerBatch ?? 5, opts.produceIntervalMs ?? 25);
    const reads = new ReadChecker(TOPIC, partitions);
    consumer = new SimConsumer(cluster, client, reads, partitions);
    members = Array.from({ length: opts.groupMembers ?? GROUP_MEMBERS }, (_, i) => new SimGroupMember(cluster!, client, `m${i}`, reads, ledger, partitions));
    producer.start();
    consumer.start();
    for (const m of members) m.start();
    const checker = new Checker(cluster, [reads.anomalies, ledger.anomalies]);
    if (opts.watchPartition !== undefined) checker.watchPartition = producer.watchPartition = opts.watchPartition;
    const checking = (): void => {
      checker.check();
      sched.after(CHECK_EVERY_MS, 'check', checking);
    const checkingPrefixes = (): void => {
      checker.checkCommittedPrefixes();
      sched.after(PREFIX_CHECK_EVERY_MS, 'prefix check', checkingPrefixes);
    };
    sched.after(PREFIX_CHECK_EVERY_MS, 'prefix check', checkingPrefixes);
    };
    sched.after(CHECK_EVERY_MS, 'check', checking);

    // The nemesis draws from its own stream of the seed (not a fork of the shared one), so which
    // faults strike when stays the same when the broker's code changes how many draws start-up takes.
    const nemesis = new Nemesis(cluster, client, new SeededRandom(opts.seed ^ NEMESIS_STREAM), faults, counts, partitions, opts.overlap ?? 1);
    const endOfFaultsMs = sched.nowMs + (opts.durationMs ?? 30_000);
    nemesis.runUntil(endOfFaultsMs);
    void runAdminOperations(new SimAdmin(cluster, client), new SeededRandom(opts.seed ^ ADMIN_STREAM), sched, endOfFaultsMs, partitions, adminOps);
    await sched.run({ untilMs: endOfFaultsMs });
    await sched.run({ done: () => nemesis.idle, untilMs: sched.nowMs + 30_000 });
    nemesis.healAll();

    // Liveness: leaders and whole ISRs again, and the producer makes progress.
    const livenessMs = opts.livenessMs ?? 60_000;
    const healedAtMs = sched.nowMs;
    await sched.run({ done: () => allHealthy(c, partitions), untilMs: healedAtMs + livenessMs });
    if (sched.failure === null && !allHealthy(c, partitions)) throw new Error(`liveness: the cluster did not recover within ${livenessMs} ms after the faults healed: ${describeHealth(c, partitions)}`);
    const before = producer.ackedCount;
    const p = producer;
    await sched.run({ done: () => p.ackedCount >= before + 50, untilMs: sched.nowMs + livenessMs });
    if (sched.failure === null && producer.ackedCount < before + 50) throw new Error(`liveness: the producer made no progress within ${livenessMs} ms after the faults healed (acked ${producer.ackedCount - before})`);
    const commitsBefore = members.length > 0 ? ledger.commits : -1;
    await sched.run({ done: () => ledger.commits > commitsBefore, untilMs: sched.nowMs + livenessMs });
    if (sched.failure === null && ledger.commits <= commitsBefore) throw new Error(`liveness: the consumer group committed nothing within ${livenessMs} ms after the faults healed`);

    // Quiesce, then the final checks.
    const stopping = Promise.all([producer.stop(), consumer.stop(), ...members.map((m) => m.stop())]);
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await sched.run({ done: () => stopped, untilMs: sched.nowMs + 30_000 });
    await sched.run({ done: () => allHealthy(c, partitions) && highWatermarksAtEnd(c, partitions), untilMs: sched.nowMs + 30_000 });
    if (sched.failure === null && members.length > 0) {
      let committedProblem: string | null = 'not read';
      void checkCommittedAtEnd(cluster, client, ledger, TOPIC, partitions).then((problem) => (committedProblem = problem));
      await sched.run({ done: () => committedProblem !== 'not read', untilMs: sched.nowMs + 30_000 });
      if (committedProblem !== null) throw new Error(committedProblem);
    }
    if (sched.failure === null) {
      const final = finalChecks(cluster, producer, partitions);
      lost = final.lost;
      duplicates = final.duplicates;
      if (final.problems.length > 0) throw new Error(final.problems.slice(0, 5).join('; '));
    }
    if (sched.failure !== null) throw sched.failure;
    const anomalies = [...checker.violations, ...reads.anomalies, ...ledger.anomalies];
    if (anomalies.length > 0) throw new Error(anomalies.slice(0, 5).join('; '));
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    sched.note(`FAILED: ${failure}`);
  } finally {
    cluster?.stopAll();
  }
  return {
    seed: opts.seed,
    ok: failure === null,
    failure,
    digest: sched.digest.toString(16).padStart(8, '0'),
    simMs: sched.nowMs,
    realMs: Date.now() - startedMs,
    events: sched.eventsRun,
    acked: producer?.ackedCount ?? 0,
    lost,
    duplicates,
    producerResets: producer?.producerResets ?? 0,
    adminOps,
    groupCommits: ledger.commits,
    groupGenerations: ledger.generations.size,
    groupOffsetReads: ledger.offsetFetches,
    bitsFlipped: cluster === null ? 0 : [...cluster.brokers.values()].reduce((n, b) => n + b.disk.bitsFlipped, 0),
    faults: counts,
    trace: sched.trace.slice(-200),
    notes: sched.notes,
  };
}

/**
 * Until `untilMs`, every 2-6 s one admin request, as an operator would send during trouble: create
 * or delete a scratch topic, change a config of the workload's topic (small segments make the
 * logs roll often), or a preferred leader election. Answers are counted, never required.
 */
async function runAdminOperations(admin: SimAdmin, rng: SeededRandom, sched: SimScheduler, untilMs: number, partitions: number, counts: Record<string, number>): Promise<void> {
  let scratch = 0;
  let scratchExists = false;
  const all = Array.from({ length: partitions }, (_, p) => p);
  while (sched.nowMs < untilMs && sched.failure === null) {
    await new Promise<void>((resolve) => sched.after(rng.between(2000, 6000), 'admin', resolve));
    if (sched.nowMs >= untilMs) break;
    const choice = rng.int(4);
    const op: AdminOperation =
      !scratchExists ? { kind: 'create', topic: `scratch-${scratch}`, partitions: 1, replicationFactor: 3 }
      : choice === 0 ? { kind: 'delete', topic: `scratch-${scratch}` }
      : choice === 1 ? { kind: 'config', topic: TOPIC, name: 'segment.bytes', value: String(rng.between(16 * 1024, 1024 * 1024)) }
      : choice === 2 ? { kind: 'config', topic: TOPIC, name: 'retention.ms', value: String(rng.between(8, 30) * 86_400_000) }
      : { kind: 'elect-preferred', topic: TOPIC, partitions: all };
    const code = await admin.once(op);
    const answer = code === null ? 'unanswered' : (Object.entries(ErrorCode).find(([, v]) => v === code)?.[0] ?? String(code));
    counts[`${op.kind} ${answer}`] = (counts[`${op.kind} ${answer}`] ?? 0) + 1;
    if (op.kind === 'create' && (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS)) scratchExists = true;
    if (op.kind === 'delete' && (code === ErrorCode.NONE || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) {
      scratchExists = false;
      scratch++;
    }
  }
  admin.close();
}

function leaderOf(cluster: SimCluster, topic: string, partition: number): { b: SimBroker; p: Partition } | null {
  for (const b of cluster.live) {
    const p = b.broker!.replicas?.partitionState(topic, partition);
    if (p?.isLeader) return { b, p };
  }
  return null;
}

function allHealthy(cluster: SimCluster, partitions: number): boolean {
  if (cluster.live.length !== cluster.brokers.size) return false;
  for (let i = 0; i < partitions; i++) {
    const l = leaderOf(cluster, TOPIC, i);
    if (l === null || l.p.isr.length !== cluster.brokers.size) return false;
  }
  return true;
}

/** Every follower caught up with its leader (nothing produced any more). */
function highWatermarksAtEnd(cluster: SimCluster, partitions: number): boolean {
  for (let i = 0; i < partitions; i++) {
    const l = leaderOf(cluster, TOPIC, i);
    if (l === null || l.p.log.highWatermark !== l.p.log.logEndOffset) return false;
    for (const b of cluster.live) {
      const f = b.broker!.replicas?.partitionState(TOPIC, i);
      if (f === undefined || f.log.logEndOffset !== l.p.log.logEndOffset) return false;
    }
  }
  return true;
}

function describeHealth(cluster: SimCluster, partitions: number): string {
  const parts: string[] = [`live ${cluster.live.map((b) => b.id).join(',')}`];
  for (let i = 0; i < partitions; i++) {
    const l = leaderOf(cluster, TOPIC, i);
    parts.push(l ? `${TOPIC}-${i} leader ${l.b.id} epoch ${l.p.leaderEpoch} isr ${l.p.isr.join(',')}` : `${TOPIC}-${i} no leader`);
  }
  return parts.join('; ');
}

/** The invariants checked while the run goes on (see the header). */
class Checker {
  readonly violations: string[] = [];
  /** "topic/p/epoch" → broker that led it. */
  readonly #leaders = new Map<string, number>();
  /** "broker/start/topic/p/epoch" → last high watermark seen. */
  readonly #hw = new Map<string, number>();
  /** "topic/p/epoch" → when the epoch was first seen. */
  readonly #epochSeenMs = new Map<string, number>();
  #controllerWrites = 0;
  #epochVersion = -1;

  constructor(
    readonly cluster: SimCluster,
    /** Lists the clients push their anomalies to (drained into violations at each check). */
    readonly anomalyLists: string[][],
  ) {}

  /** Incremental log scans per broker incarnation (a restart starts afresh). */
  readonly #scans = new Map<string, Map<string, LogScan>>();

  #scansOf(brokerId: number, starts: number): Map<string, LogScan> {
    const key = `${brokerId}/${starts}`;
    let scans = this.#scans.get(key);
    if (scans === undefined) {
      scans = new Map();
      this.#scans.set(key, scans);
    }
    return scans;
  }

  /** Every led partition: each live ISR member of the leader's epoch holds the same batches below the high watermark. */
  checkCommittedPrefixes(): void {
    const c = this.cluster;
    for (const b of c.live) {
      for (const p of b.broker!.replicas?.hostedPartitions() ?? []) {
        if (!p.isLeader) continue;
        const hw = p.log.highWatermark;
        const mine = batchesBelow(p, hw, this.#scansOf(b.id, b.starts));
        for (const m of p.isr) {
          if (m === b.id) continue;
          const member = c.broker(m);
          if (member.node.state !== 'up' || member.broker === null) continue;
          const f = member.broker.replicas?.partitionState(p.topic, p.partition);
          if (f === undefined || f.leaderEpoch !== p.leaderEpoch || f.log.logEndOffset < hw) continue;
          const theirs = batchesBelow(f, hw, this.#scansOf(m, member.starts));
          const at = mine.findIndex((x, i) => x !== theirs[i]);
          if (at >= 0 || theirs.length !== mine.length) {
            this.#violation(`the committed prefix of ${p.topic}-${p.partition} differs between leader ${b.id} and ISR member ${m} (epoch ${p.leaderEpoch}, hw ${hw}): batch ${mine[at] ?? '-'} vs ${theirs[at] ?? '-'}`);
          }
        }
      }
    }
  }

  #watch(partition: number): void {
    const state = [...this.cluster.brokers.values()]
      .map((b) => {
        const p = b.broker?.replicas?.partitionState(TOPIC, partition);
        return p === undefined ? `${b.id}: -` : `${b.id}: ${p.isLeader ? 'leader' : 'follower'} e${p.leaderEpoch} isr ${p.isr.join(',')} hw ${p.log.highWatermark} leo ${p.log.logEndOffset}`;
      })
      .join(' | ');
    if (state !== this.#watched) this.cluster.sched.note(`watch ${TOPIC}-${partition}: ${state}`);
    this.#watched = state;
  }

  #violation(text: string): void {
    if (this.violations.length < 20) this.violations.push(text);
    this.cluster.sched.fail(new Error(`invariant: ${text}`));
  }

  #watched = '';
  /** A partition whose replicas' state goes into the run's story at every change (--watch). */
  watchPartition = -1;

  check(): void {
    const c = this.cluster;
    const now = c.sched.nowMs;
    if (this.watchPartition >= 0) this.#watch(this.watchPartition);
    for (const b of c.live) {
      for (const p of b.broker!.replicas?.hostedPartitions() ?? []) {
        if (!p.isLeader) continue;
        const epochKey = `${p.topic}/${p.partition}/${p.leaderEpoch}`;
        if (!this.#epochSeenMs.has(epochKey)) this.#epochSeenMs.set(epochKey, now);
        const other = this.#leaders.get(epochKey);
        if (other === undefined) {
          this.#leaders.set(epochKey, b.id);
          c.sched.note(`leader ${p.topic}-${p.partition} epoch ${p.leaderEpoch}: broker ${b.id}, isr ${p.isr.join(',')}, hw ${p.log.highWatermark}, leo ${p.log.logEndOffset}, log start ${p.log.logStartOffset}`);
        }
        else if (other !== b.id) this.#violation(`two leaders for ${p.topic}-${p.partition} at epoch ${p.leaderEpoch}: brokers ${other} and ${b.id}`);
        const hwKey = `${b.id}/${b.starts}/${epochKey}`;
        const hw = p.log.highWatermark;
        const last = this.#hw.get(hwKey);
        if (last !== undefined && hw < last) this.#violation(`the high watermark of ${p.topic}-${p.partition} on leader ${b.id} went back from ${last} to ${hw} in epoch ${p.leaderEpoch}`);
        this.#hw.set(hwKey, hw);
        const since = this.#epochSeenMs.get(epochKey)!;
        for (const m of p.isr) {
          if (m === b.id) continue;
          const member = c.broker(m);
          if (member.node.state !== 'up' || member.broker === null || member.powerLossAtMs >= since - 60_000) continue;
          const f = member.broker.replicas?.partitionState(p.topic, p.partition);
          if (f !== undefined && f.log.logEndOffset < hw && f.leaderEpoch === p.leaderEpoch) {
            this.#violation(`the high watermark ${hw} of ${p.topic}-${p.partition} (leader ${b.id}, epoch ${p.leaderEpoch}) exceeds the log end ${f.log.logEndOffset} of ISR member ${m}`);
          }
        }
      }
    }
    const writes = c.zk.stateWrites;
    for (; this.#controllerWrites < writes.length; this.#controllerWrites++) {
      const w = writes[this.#controllerWrites]!;
      if (w.epochNodeVersion < this.#epochVersion) this.#violation(`a stale controller (epoch version ${w.epochNodeVersion} < ${this.#epochVersion}) wrote ${w.path}`);
      this.#epochVersion = Math.max(this.#epochVersion, w.epochNodeVersion);
    }
    for (const list of this.anomalyLists) for (const a of list.splice(0)) this.#violation(a);
  }
}

/** The checks after the run (see the header). */
function finalChecks(cluster: SimCluster, producer: SimProducer, partitions: number): { lost: number; duplicates: number; problems: string[] } {
  const problems: string[] = [];
  let lost = 0;
  let duplicates = 0;
  for (let i = 0; i < partitions; i++) {
    const l = leaderOf(cluster, TOPIC, i);
    if (l === null) {
      problems.push(`${TOPIC}-${i} has no leader at the end`);
      continue;
    }
    const logs = new Map<number, Map<number, string>>();
    for (const m of l.p.isr) {
      const b = cluster.broker(m);
      const p = b.broker?.replicas?.partitionState(TOPIC, i);
      if (p === undefined) {
        problems.push(`ISR member ${m} of ${TOPIC}-${i} hosts no replica at the end`);
        continue;
      }
      logs.set(m, readLog(p, l.p.log.highWatermark));
    }
    const leaderLog = logs.get(l.b.id) ?? new Map<number, string>();
    for (const a of producer.acked) {
      if (a.partition !== i) continue;
      const at = leaderLog.get(a.offset);
      if (at !== a.value) {
        lost++;
        if (problems.length < 10) problems.push(`acknowledged ${a.value} at ${TOPIC}-${i}@${a.offset} is lost (the leader ${l.b.id} has ${at ?? 'nothing'} there)`);
      }
    }
    const values = new Map<string, number>();
    for (const [offset, value] of leaderLog) {
      const other = values.get(value);
      if (other !== undefined) {
        duplicates++;
        if (problems.length < 10) problems.push(`${value} is stored twice in ${TOPIC}-${i}, at ${other} and ${offset}`);
      }
      values.set(value, offset);
    }
    for (const [m, log] of logs) {
      if (m === l.b.id) continue;
      for (const [offset, value] of leaderLog) {
        if (log.get(offset) !== value) {
          problems.push(`the committed prefix of ${TOPIC}-${i} differs at offset ${offset}: leader ${l.b.id} has ${value}, ISR member ${m} has ${log.get(offset) ?? 'nothing'}`);
          break;
        }
      }
    }
  }
  return { lost, duplicates, problems };
}

/** A replica's segment files in offset order, with their current bytes (the simulator's disks are memory disks). */
function segmentsOf(p: Partition): Array<{ file: string; bytes: Buffer }> {
  const disk = p.log.disk as MemoryDisk;
  return disk
    .listFiles()
    .filter((f) => f.startsWith(`${p.log.dir}/`) && f.endsWith('.log'))
    .map((file) => ({ file, bytes: disk.fileView(file) }));
}

/** offset → value of the records below `maxOffset` in a replica's log (synchronous: reads the memory disk). */
function readLog(p: Partition, maxOffset: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const { bytes } of segmentsOf(p)) {
    for (const r of recordsOf(bytes)) if (r.offset < maxOffset) out.set(r.offset, r.value);
  }
  return out;
}

/** What batchesBelow has read of one log file: its length then, and each batch. */
interface LogScan {
  length: number;
  batches: Array<{ base: number; position: number; text: string }>;
}

/**
 * "base-last:crc" of every batch of a replica's log that starts below `maxOffset`, read from the
 * memory disk (synchronous). Scans are incremental per log file (`scans`), started again when a
 * file shrank or its last scanned batch changed (a truncation, then appends past the old end).
 */
function batchesBelow(p: Partition, maxOffset: number, scans: Map<string, LogScan>): string[] {
  const out: string[] = [];
  for (const { file, bytes } of segmentsOf(p)) {
    const describe = (at: number): string => `${batch.baseOffset(bytes, at)}-${batch.lastOffset(bytes, at)}:${batch.crc(bytes, at)}`;
    let scan = scans.get(file);
    const last = scan?.batches.at(-1);
    if (scan === undefined || bytes.length < scan.length || (last !== undefined && describe(last.position) !== last.text)) {
      scan = { length: 0, batches: [] };
      scans.set(file, scan);
    }
    for (let at = scan.length; at + BATCH_HEADER_BYTES <= bytes.length && at + batch.totalBytes(bytes, at) <= bytes.length; at += batch.totalBytes(bytes, at)) {
      scan.batches.push({ base: batch.baseOffset(bytes, at), position: at, text: describe(at) });
      scan.length = at + batch.totalBytes(bytes, at);
    }
    for (const b of scan.batches) {
      if (b.base >= maxOffset) break;
      out.push(b.text);
    }
  }
  return out;
}

/** Chooses and applies faults from the seed, one at a time, and heals them. */
class Nemesis {
  #active = 0;
  #strikePending = false;
  #stopAtMs = 0;
  readonly #down = new Set<number>();
  readonly #restartAfterHeal = new Set<number>();

  constructor(
    readonly cluster: SimCluster,
    readonly client: SimNode,
    readonly rng: SeededRandom,
    readonly kinds: readonly FaultKind[],
    readonly counts: Partial<Record<FaultKind, number>>,
    readonly partitions: number,
    readonly overlap: number,
  ) {}

  get idle(): boolean {
    return this.#active === 0;
  }

  runUntil(stopAtMs: number): void {
    this.#stopAtMs = stopAtMs;
    this.#next();
  }

  /** Schedules the next strike unless one is pending or `overlap` faults are in force. */
  #next(): void {
    const sched = this.cluster.sched;
    if (sched.nowMs >= this.#stopAtMs || this.kinds.length === 0 || this.#strikePending || this.#active >= this.overlap) return;
    this.#strikePending = true;
    sched.after(this.rng.between(500, 3000), 'nemesis', () => {
      this.#strikePending = false;
      this.#strike();
    });
  }

  #strike(): void {
    const sched = this.cluster.sched;
    if (sched.nowMs >= this.#stopAtMs) return;
    const kind = this.rng.pick(this.kinds);
    const ids = [...this.cluster.brokers.keys()];
    const id = this.rng.pick(ids);
    const other = this.rng.pick(ids.filter((x) => x !== id));
    const name = brokerName(id);
    const durationMs = this.rng.between(500, 15_000);
    const c = this.cluster;
    const heal = (fn: () => void): void => {
      this.#active++;
      sched.after(durationMs, `nemesis heal ${kind}`, () => {
        fn();
        this.#active--;
        this.#next();
      });
      this.#next(); // with overlap > 1 another fault may strike while this one lasts
    };
    const apply = (what: string): void => {
      this.counts[kind] = (this.counts[kind] ?? 0) + 1;
      sched.note(`! fault ${kind}: ${what} for ${durationMs} ms`);
    };
    /** The broker goes down now and starts again when the fault heals. */
    const downUntilHealed = (what: string, takeDown: () => void): void => {
      apply(what);
      takeDown();
      this.#down.add(id);
      heal(() => {
        c.startBroker(id);
        this.#down.delete(id);
      });
    };
    switch (kind) {
      case 'crash': {
        // kill -9 keeps what was written (the page cache survives): two brokers may be down at once.
        if (this.#downCount() > 1 || c.broker(id).broker === null) break;
        downUntilHealed(`kill -9 broker ${id}`, () => c.crash(id));
        return;
      }
      case 'power': {
        if (this.#anyDown() || !allHealthy(c, this.partitions)) break;
        downUntilHealed(`power loss of broker ${id}`, () => c.powerLoss(id));
        return;
      }
      case 'pause': {
        if (c.broker(id).node.state !== 'up') break;
        apply(`SIGSTOP broker ${id}`);
        c.pause(id);
        heal(() => {
          if (c.broker(id).node.state === 'paused') c.resume(id); // (a crash meanwhile ends the pause)
        });
        return;
      }
      case 'partition': {
        apply(`${name} cut off from the other brokers`);
        for (const x of ids) if (x !== id) c.network.partition(name, brokerName(x));
        heal(() => {
          for (const x of ids) if (x !== id) c.network.heal(name, brokerName(x));
        });
        return;
      }
      case 'one-way': {
        apply(`${name} → ${brokerName(other)} blocked (one way)`);
        c.network.partition(name, brokerName(other), true);
        heal(() => c.network.heal(name, brokerName(other)));
        return;
      }
      case 'zk-cut': {
        apply(`${name} cut off from ZooKeeper (clients still reach it)`);
        c.network.partition(name, ZK_NODE);
        heal(() => c.network.heal(name, ZK_NODE));
        return;
      }
      case 'client-cut': {
        apply(`the client cut off from ${name}`);
        c.network.partition(this.client.name, name);
        heal(() => c.network.heal(this.client.name, name));
        return;
      }
      case 'slow': {
        const extraMs = this.rng.between(50, 400);
        apply(`${name} ↔ ${brokerName(other)} slowed by ${extraMs} ms`);
        c.network.slow(name, brokerName(other), extraMs);
        heal(() => c.network.heal(name, brokerName(other)));
        return;
      }
      case 'disk-full': {
        if (c.broker(id).broker === null) break;
        apply(`disk of broker ${id} full`);
        c.broker(id).disk.failWritesAfter(this.rng.int(64 * 1024), { code: 'ENOSPC' });
        heal(() => this.#diskHealed(id));
        return;
      }
      case 'disk-eio': {
        if (c.broker(id).broker === null) break;
        apply(`fsync of broker ${id} fails with EIO`);
        c.broker(id).disk.failSyncs('EIO');
        heal(() => this.#diskHealed(id));
        return;
      }
      case 'bitflip': {
        apply(`broker ${id} reads flipped bits`);
        const draw = this.rng.fork();
        c.broker(id).disk.flipBitsOnRead(0.05, () => draw.float(), '.log');
        heal(() => this.#diskHealed(id));
        return;
      }
      case 'drift': {
        // NTP keeps real clocks within parts per million; a few percent is a machine in trouble
        // (a bad oscillator, a VM starved of time). Timeouts on that machine run early or late.
        const rate = 1 + this.rng.pick([-1, 1]) * this.rng.between(1, 5) / 100;
        apply(`clock of broker ${id} runs at rate ${rate.toFixed(2)}`);
        c.broker(id).node.setClockRate(rate);
        heal(() => c.broker(id).node.setClockRate(1));
        return;
      }
      case 'clock': {
        const jumpMs = this.rng.pick([-1, 1]) * this.rng.between(60_000, 86_400_000);
        apply(`wall clock of broker ${id} jumps ${jumpMs} ms`);
        c.broker(id).node.wallOffsetMs += jumpMs;
        heal(() => {
          c.broker(id).node.wallOffsetMs = 0;
        });
        return;
      }
    }
    this.#next(); // that fault did not fit the cluster's state now: pick again later
  }

  /**
   * After a disk fault the broker may hold offline logs: restart it, as an operator replaces a
   * disk or frees space (only when no other broker is down, per the fault model; else later).
   */
  #diskHealed(id: number): void {
    const c = this.cluster;
    const b = c.broker(id);
    b.disk.clearFaults();
    if (b.broker === null && !b.halted) return; // down by another fault, or starting: not ours to restart
    if (this.#down.size > 0) {
      this.#restartAfterHeal.add(id);
      return;
    }
    if (b.broker !== null) c.crash(id);
    c.startBroker(id);
  }

  /** A broker is down by a crash or power fault, or halted on its own (every log dir failed). */
  #anyDown(): boolean {
    return this.#downCount() > 0;
  }

  /** Brokers down by a crash or power fault, or halted on their own. */
  #downCount(): number {
    return [...this.cluster.brokers.values()].filter((b) => this.#down.has(b.id) || b.halted).length;
  }

  /** Every fault ends: links heal, paused brokers resume, stopped brokers start, disks clear. */
  healAll(): void {
    const c = this.cluster;
    c.network.heal();
    for (const b of c.brokers.values()) {
      b.disk.clearFaults();
      b.node.wallOffsetMs = 0;
      b.node.setClockRate(1);
      if (b.node.state === 'paused') c.resume(b.id);
    }
    for (const id of this.#restartAfterHeal) {
      if (c.broker(id).broker !== null) c.crash(id);
    }
    this.#restartAfterHeal.clear();
    for (const b of c.brokers.values()) if (b.broker === null && !b.starting) c.startBroker(b.id);
    this.#down.clear();
  }
}
