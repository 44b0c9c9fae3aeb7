/**
 * Partition: the replication state of one partition hosted on this broker (≈ Kafka's Partition):
 * its role (leader, follower or neither) at a leader epoch, the ISR as last agreed with the
 * controller, and — as leader — what each follower has fetched, from which the high watermark and
 * ISR changes follow.
 *
 * It is a state machine without I/O: ReplicaManager feeds it metadata (`becomeLeader`,
 * `becomeFollower`, `stop`, `updateFromImage`), follower fetches (`onFollowerFetch`) and time
 * (`outOfSyncReplicas(nowMs)`), and it answers what to do (advance the high watermark, ask the
 * controller to expand or shrink the ISR). Time is passed in, never read.
 *
 * Rules (Kafka's):
 * - A follower's log end offset is the fetchOffset of its latest Fetch in the current leader epoch:
 *   fetching from offset N proves it holds everything below N.
 * - highWatermark = min log end offset over the "maximal ISR" (the agreed ISR plus replicas in an
 *   expansion not yet confirmed; a pending shrink still counts the removed replicas), never
 *   decreasing while leader. A replica whose log end offset is unknown (no fetch yet in this
 *   epoch) holds the high watermark where it is.
 * - A follower is caught up when it fetched at the leader's log end offset, or at least at the log
 *   end offset the leader had at its previous fetch (then it was caught up as of that fetch). It is
 *   out of sync once it has not been caught up for replica.lag.time.max.ms and is behind.
 * - A replica joins the ISR once its log end offset reaches the high watermark and the start of
 *   the current leader epoch.
 *
 * Owner: ReplicaManager (one per hosted partition, for the life of the log).
 */
import type { PartitionInfo } from '../cluster/metadata-image.js';
import type { LeaderEpochCache } from '../storage/leader-epoch-cache.js';
import type { PartitionLog } from '../storage/partition-log.js';

export type Role = 'leader' | 'follower' | 'none';

export interface FollowerState {
  /** -1 until the follower fetches in the current leader epoch. */
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  lastFetchLeaderLogEndOffset: number;
}

export class Partition {
  role: Role = 'none';
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: readonly number[] = [];
  /** The ISR as agreed with the controller (image or confirmed change). */
  isr: readonly number[] = [];
  /**
   * An ISR change sent to the controller whose outcome is not known yet (in flight, or the call
   * failed without an answer). Until an answer or a newer image settles it, the high watermark
   * counts both the agreed and the pending members, so neither outcome can lose a write.
   */
  pendingIsr: readonly number[] | null = null;
  /** The partition epoch the pending change was based on. */
  pendingAtPartitionEpoch = -1;
  /** True while the alterPartitionIsr call for `pendingIsr` has not returned. */
  alterInFlight = false;
  /** The partition epoch at which the controller fenced our last change: no retry until it moves. */
  fencedAtPartitionEpoch = -1;
  /** First offset of the current leader epoch (leader only). */
  leaderEpochStartOffset = 0;
  readonly followers = new Map<number, FollowerState>();
  /**
   * The fetcher's current operation on this log (truncation or follower append); a new leader
   * waits for it before stamping its epoch start, so the stamp is the real log end.
   */
  fetcherOp: Promise<unknown> = Promise.resolve();
  /** Resolves when the partition is ready to append as leader (epoch start recorded). */
  leaderReady: Promise<void> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: PartitionLog,
    readonly epochs: LeaderEpochCache,
    private readonly localBrokerId: number,
  ) {}

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** The agreed ISR plus any replica a pending change adds. */
  get maximalIsr(): readonly number[] {
    if (this.pendingIsr === null) return this.isr;
    return [...new Set([...this.isr, ...this.pendingIsr])];
  }

  /**
   * Takes leadership at `info.leaderEpoch`. Returns false when already leader at that epoch (only
   * ISR/assignment updates apply then). Followers' fetch state resets; ISR members count as caught
   * up now so they are not dropped before they had a chance to fetch.
   */
  becomeLeader(info: PartitionInfo, nowMs: number): boolean {
    if (this.role === 'leader' && this.leaderEpoch === info.leaderEpoch) {
      this.updateFromImage(info, nowMs);
      return false;
    }
    this.role = 'leader';
    this.leaderId = this.localBrokerId;
    this.leaderEpoch = info.leaderEpoch;
    this.partitionEpoch = info.partitionEpoch;
    this.replicas = info.replicas;
    this.isr = info.isr;
    this.pendingIsr = null;
    this.alterInFlight = false;
    this.fencedAtPartitionEpoch = -1;
    this.followers.clear();
    for (const id of info.replicas) {
      if (id === this.localBrokerId) continue;
      this.followers.set(id, { logEndOffset: -1, lastCaughtUpMs: info.isr.includes(id) ? nowMs : 0, lastFetchMs: 0, lastFetchLeaderLogEndOffset: -1 });
    }
    const epoch = info.leaderEpoch;
    this.leaderReady = this.fetcherOp.then(
      () => this.#stampEpochStart(epoch),
      () => this.#stampEpochStart(epoch),
    );
    return true;
  }

  #stampEpochStart(epoch: number): void {
    if (this.role !== 'leader' || this.leaderEpoch !== epoch) return;
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.epochs.assign(epoch, this.log.logEndOffset);
  }

  /** Follows `info.leader` at `info.leaderEpoch`. Returns true when the fetcher must (re)start with truncation. */
  becomeFollower(info: PartitionInfo): boolean {
    const changed = this.role !== 'follower' || this.leaderId !== info.leader || this.leaderEpoch !== info.leaderEpoch;
    this.role = 'follower';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.partitionEpoch = info.partitionEpoch;
    this.replicas = info.replicas;
    this.isr = info.isr;
    this.pendingIsr = null;
    this.alterInFlight = false;
    this.followers.clear();
    return changed;
  }

  /** Neither leader nor follower (no leader elected, or this broker is no longer a replica). Returns true when the role changed. */
  stop(info: PartitionInfo | null): boolean {
    const changed = this.role !== 'none';
    this.role = 'none';
    this.leaderId = info?.leader ?? -1;
    this.leaderEpoch = info?.leaderEpoch ?? this.leaderEpoch;
    this.partitionEpoch = info?.partitionEpoch ?? this.partitionEpoch;
    this.pendingIsr = null;
    this.alterInFlight = false;
    this.followers.clear();
    return changed;
  }

  /** Same role and epoch: take the image's ISR and assignment when they are at least as new as ours. */
  updateFromImage(info: PartitionInfo, nowMs: number): void {
    if (info.partitionEpoch < this.partitionEpoch) return;
    this.partitionEpoch = info.partitionEpoch;
    // A newer partition state settles a change whose answer we never got.
    if (this.pendingIsr !== null && !this.alterInFlight && info.partitionEpoch > this.pendingAtPartitionEpoch) this.pendingIsr = null;
    this.replicas = info.replicas;
    this.isr = info.isr;
    if (this.fencedAtPartitionEpoch !== -1 && this.fencedAtPartitionEpoch !== info.partitionEpoch) this.fencedAtPartitionEpoch = -1;
    if (this.role !== 'leader') return;
    for (const id of info.replicas) {
      if (id === this.localBrokerId || this.followers.has(id)) continue;
      this.followers.set(id, { logEndOffset: -1, lastCaughtUpMs: nowMs, lastFetchMs: 0, lastFetchLeaderLogEndOffset: -1 });
    }
    for (const id of [...this.followers.keys()]) if (!info.replicas.includes(id)) this.followers.delete(id);
  }

  /**
   * A follower fetched at `fetchOffset` (already checked to be within the leader's log). Updates its
   * state; returns the replica to add to the ISR, if it just qualified.
   */
  onFollowerFetch(replicaId: number, fetchOffset: number, nowMs: number): { expandIsr: boolean } {
    const st = this.followers.get(replicaId);
    if (this.role !== 'leader' || !st) return { expandIsr: false };
    const leaderLogEndOffset = this.log.logEndOffset;
    if (fetchOffset >= leaderLogEndOffset) st.lastCaughtUpMs = Math.max(st.lastCaughtUpMs, nowMs);
    else if (fetchOffset >= st.lastFetchLeaderLogEndOffset && st.lastFetchLeaderLogEndOffset >= 0) {
      st.lastCaughtUpMs = Math.max(st.lastCaughtUpMs, st.lastFetchMs);
    }
    st.logEndOffset = fetchOffset;
    st.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    st.lastFetchMs = nowMs;
    const expandIsr =
      !this.maximalIsr.includes(replicaId) &&
      this.pendingIsr === null &&
      fetchOffset >= this.log.highWatermark &&
      fetchOffset >= this.leaderEpochStartOffset;
    return { expandIsr };
  }

  /** Leader: moves the high watermark up to the min log end offset over the maximal ISR. Returns true when it moved. */
  maybeIncrementHighWatermark(): boolean {
    if (this.role !== 'leader') return false;
    let min = this.log.logEndOffset;
    for (const id of this.maximalIsr) {
      if (id === this.localBrokerId) continue;
      const st = this.followers.get(id);
      if (!st || st.logEndOffset < 0) return false;
      min = Math.min(min, st.logEndOffset);
    }
    const before = this.log.highWatermark;
    if (min <= before) return false;
    this.log.highWatermark = min;
    return this.log.highWatermark !== before;
  }

  /** Leader: ISR followers not caught up for `lagMsMax` (and behind the log end). */
  outOfSyncReplicas(nowMs: number, lagMsMax: number): number[] {
    if (this.role !== 'leader') return [];
    const leaderLogEndOffset = this.log.logEndOffset;
    const out: number[] = [];
    for (const id of this.isr) {
      if (id === this.localBrokerId) continue;
      const st = this.followers.get(id);
      if (st && st.logEndOffset === leaderLogEndOffset) continue;
      const lastCaughtUpMs = st?.lastCaughtUpMs ?? 0;
      if (nowMs - lastCaughtUpMs > lagMsMax) out.push(id);
    }
    return out;
  }
}
