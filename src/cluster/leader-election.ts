/**
 * The controller's partition decisions, as pure functions of the partition state and the cluster
 * view (no I/O), so they are unit-tested directly. The active controller (zk/active-controller.ts)
 * applies the result as one conditional, controller-epoch-fenced write.
 *
 * Rules (Kafka's):
 * - A new partition's leader is its first live replica in assignment order; its ISR is the live replicas.
 * - When the leader is dead, shutting down (controlled shutdown) or absent (-1), the new leader is
 *   the first replica in assignment order that is live and in the ISR. If none is, with
 *   unclean.leader.election.enable=false the partition has no leader (-1) and keeps its ISR so a
 *   returning in-sync replica can lead again; with it enabled, any live replica leads (data may be lost).
 * - Dead and shutting-down brokers leave the ISR (never emptying it: the last member stays, which
 *   is what lets it come back as a clean leader).
 * - Preferred election moves leadership to replicas[0] when it is live, in the ISR and not stopping.
 * - Every leader or ISR change made by the controller bumps the leader epoch.
 */

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export interface ClusterView {
  live: ReadonlySet<number>;
  /** Brokers in controlled shutdown: alive, but must lose leadership and leave ISRs. */
  stopping: ReadonlySet<number>;
  uncleanLeaderElection: boolean;
}

export function initialState(replicas: readonly number[], view: ClusterView): PartitionState {
  const live = replicas.filter((r) => view.live.has(r));
  const candidates = live.filter((r) => !view.stopping.has(r));
  const leader = candidates[0] ?? live[0] ?? -1;
  // No live replica: every replica is equally (empty and) in sync; the first to return leads.
  return { leader, leaderEpoch: 0, isr: live.length > 0 ? live : [...replicas] };
}

/** The next state, or null when nothing should change. `preferred` asks for preferred-leader election. */
export function nextState(replicas: readonly number[], current: PartitionState, view: ClusterView, preferred = false): PartitionState | null {
  const usable = (id: number): boolean => view.live.has(id) && !view.stopping.has(id);
  const liveIsr = current.isr.filter(usable);
  const leaderOk = current.leader !== -1 && usable(current.leader) && current.isr.includes(current.leader);

  let leader = current.leader;
  let isr: number[];
  if (!leaderOk) {
    const clean = replicas.find((r) => usable(r) && current.isr.includes(r));
    if (clean !== undefined) {
      leader = clean;
      isr = liveIsr;
    } else if (current.leader !== -1 && view.live.has(current.leader) && view.stopping.has(current.leader)) {
      // Controlled shutdown of the only in-sync replica: leadership cannot move; it stays.
      return null;
    } else if (view.uncleanLeaderElection && replicas.some(usable)) {
      leader = replicas.find(usable)!;
      isr = [leader];
    } else {
      leader = -1;
      isr = current.isr.length > 0 ? [...current.isr] : [...replicas];
      if (current.leader === -1) return null; // already offline; wait for an in-sync replica
    }
  } else {
    isr = current.isr.filter((id) => usable(id) || id === leader);
    if (preferred) {
      const p = replicas[0];
      if (p !== undefined && p !== leader && usable(p) && current.isr.includes(p)) leader = p;
    }
  }
  if (isr.length === 0) isr = [leader];
  if (leader === current.leader && sameMembers(isr, current.isr)) return null;
  return { leader, leaderEpoch: current.leaderEpoch + 1, isr };
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Partitions whose leader is not their preferred replica although it could lead. */
export function preferredImbalance(
  partitions: Iterable<{ replicas: readonly number[]; leader: number; isr: readonly number[] }>,
  live: ReadonlySet<number>,
): { ratioByBroker: Map<number, number> } {
  const preferredCount = new Map<number, number>();
  const notLeading = new Map<number, number>();
  for (const p of partitions) {
    const pref = p.replicas[0];
    if (pref === undefined || !live.has(pref)) continue;
    preferredCount.set(pref, (preferredCount.get(pref) ?? 0) + 1);
    if (p.leader !== pref && p.isr.includes(pref)) notLeading.set(pref, (notLeading.get(pref) ?? 0) + 1);
  }
  const ratioByBroker = new Map<number, number>();
  for (const [id, total] of preferredCount) ratioByBroker.set(id, (notLeading.get(id) ?? 0) / total);
  return { ratioByBroker };
}
