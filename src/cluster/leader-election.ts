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
 * - Broker epochs (Kafka's KIP-380 and KIP-903): a state records the registration epoch of its
 *   leader and of each ISR member as they were when they were in sync. A broker whose registration
 *   epoch changed since has restarted — perhaps after losing unflushed data in a power failure —
 *   so its replica no longer counts as in sync: it leaves the ISR and loses leadership, exactly as a
 *   dead broker would, and rejoins the ISR through its leader once it has caught up. Only when it
 *   is the last ISR member does it stay (and lead again at a new epoch), as the last member of any
 *   ISR does: nobody has more of the data.
 * - Every ISR member restarted or is down (none alive is known to be in sync, and any may have lost
 *   unflushed data in a power failure): the partition has no leader until every ISR member is back
 *   (a down one returns restarted, perhaps with the longest log); then the one
 *   whose log is longest — highest (last leader epoch, log end), as each broker published with its
 *   registration — leads alone and the others rejoin by catching up (the idea of Kafka's KIP-966
 *   unclean recovery, applied where Kafka would pick any of them). Without published log ends
 *   (older brokers) the previous leader leads again if it is back, as before. Restarted members
 *   that stay in an ISR keep the epoch recorded for them: an ISR change never passes them off as
 *   in sync (simulator seed 30034: a power-failed replica with an empty log was elected).
 */

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** The leader's registration epoch when it was elected; absent in states written before epochs were recorded. */
  leaderBrokerEpoch?: string;
  /** Registration epochs of the ISR members, in ISR order; absent or null entries mean unknown. */
  isrBrokerEpochs?: Array<string | null>;
}

export interface ClusterView {
  live: ReadonlySet<number>;
  /** Brokers in controlled shutdown: alive, but must lose leadership and leave ISRs. */
  stopping: ReadonlySet<number>;
  uncleanLeaderElection: boolean;
  /** Current registration epoch of each live broker; absent: epochs are not checked. */
  brokerEpochs?: ReadonlyMap<number, string>;
  /** What each live broker's replicas held when it registered, by "topic/partition"; absent per broker when it published none. */
  logEnds?: ReadonlyMap<number, ReadonlyMap<string, LogEnd>>;
}

/** A replica's log as its broker registered: the leader epoch of its last batch and its log end. */
export interface LogEnd {
  lastEpoch: number;
  logEndOffset: number;
}

export function initialState(replicas: readonly number[], view: ClusterView): PartitionState {
  const live = replicas.filter((r) => view.live.has(r));
  const candidates = live.filter((r) => !view.stopping.has(r));
  const leader = candidates[0] ?? live[0] ?? -1;
  // No live replica: every replica is equally (empty and) in sync; the first to return leads.
  return withEpochs({ leader, leaderEpoch: 0, isr: live.length > 0 ? live : [...replicas] }, view, null);
}

/**
 * The members of `s` (leader and ISR) that restarted since the state recorded them: their
 * recorded registration epoch differs from the live broker's current one.
 */
export function restartedMembers(s: PartitionState, view: ClusterView): Set<number> {
  const out = new Set<number>();
  const epochs = view.brokerEpochs;
  if (epochs === undefined) return out;
  const moved = (id: number, recorded: string | null | undefined): boolean => recorded != null && view.live.has(id) && epochs.get(id) !== undefined && epochs.get(id) !== recorded;
  if (s.leader !== -1 && moved(s.leader, s.leaderBrokerEpoch)) out.add(s.leader);
  s.isr.forEach((id, i) => {
    if (moved(id, s.isrBrokerEpochs?.[i])) out.add(id);
  });
  return out;
}

/**
 * `s` with the epochs recorded: the current epoch of each live member; a member not live keeps
 * what `previous` recorded for it (unknown otherwise), and so does a member that restarted since
 * `previous` recorded it (it is not in sync; staying in an ISR must not make it look so) — unless
 * it is the leader of `s`, which the controller chose knowing it restarted.
 */
export function withEpochs(s: PartitionState, view: ClusterView, previous: PartitionState | null): PartitionState {
  const epochs = view.brokerEpochs;
  if (epochs === undefined) return s;
  const keepRecorded = previous === null ? new Set<number>() : restartedMembers(previous, view);
  keepRecorded.delete(s.leader);
  const recorded = (id: number): string | null => {
    if (view.live.has(id) && epochs.has(id) && !keepRecorded.has(id)) return epochs.get(id)!;
    if (previous === null) return null;
    if (previous.leader === id && previous.leaderBrokerEpoch !== undefined) return previous.leaderBrokerEpoch;
    const at = previous.isr.indexOf(id);
    return at >= 0 ? (previous.isrBrokerEpochs?.[at] ?? null) : null;
  };
  const leaderEpoch = s.leader === -1 ? null : recorded(s.leader);
  return { ...s, ...(leaderEpoch !== null ? { leaderBrokerEpoch: leaderEpoch } : {}), isrBrokerEpochs: s.isr.map(recorded) };
}

/**
 * The next state, or null when nothing should change. `preferred` asks for preferred-leader
 * election; `key` ("topic/partition") finds the partition in `view.logEnds`.
 */
export function nextState(replicas: readonly number[], current: PartitionState, view: ClusterView, preferred = false, key?: string): PartitionState | null {
  const next = decide(replicas, current, view, preferred, key);
  return next === null ? null : withEpochs(next, view, current);
}

function decide(replicas: readonly number[], stored: PartitionState, view: ClusterView, preferred: boolean, key: string | undefined): PartitionState | null {
  // Restarted members are out of sync: drop them from the ISR (never emptying it) before deciding.
  const restarted = restartedMembers(stored, view);
  const syncedIsr = stored.isr.filter((id) => !restarted.has(id));
  // No member known to be in sync and alive (the rest restarted, or are down and will be restarted
  // when they return): only the longest log is safe.
  if (restarted.size > 0 && !syncedIsr.some((id) => view.live.has(id))) return recoverFromRestartedIsr(stored, view, key);
  const current: PartitionState = restarted.size === 0 ? stored : { ...stored, isr: syncedIsr };
  const leaderRestarted = restarted.has(stored.leader);
  const usable = (id: number): boolean => view.live.has(id) && !view.stopping.has(id);
  const liveIsr = current.isr.filter(usable);
  const leaderOk = current.leader !== -1 && !leaderRestarted && usable(current.leader) && current.isr.includes(current.leader);

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
  if (restarted.size === 0 && leader === current.leader && sameMembers(isr, current.isr)) return null;
  return { leader, leaderEpoch: current.leaderEpoch + 1, isr };
}

/**
 * Every ISR member restarted: wait for all of them (one still down may hold the longest log), then
 * the longest log leads alone. Without published log ends, the previous leader leads again if back.
 */
function recoverFromRestartedIsr(stored: PartitionState, view: ClusterView, key: string | undefined): PartitionState | null {
  const usable = (id: number): boolean => view.live.has(id) && !view.stopping.has(id);
  // One still down may hold the longest log: wait (simulator seed 80266 elected a restarted,
  // empty previous leader while the two members holding the data were down).
  if (!stored.isr.every(usable)) return stored.leader === -1 ? null : { leader: -1, leaderEpoch: stored.leaderEpoch + 1, isr: [...stored.isr] };
  const ends = view.logEnds;
  const published = key !== undefined && ends !== undefined && stored.isr.every((id) => ends.has(id));
  if (!published) {
    // Brokers that publish no log ends (older versions): the previous leader, if it is one of them.
    const leader = stored.isr.includes(stored.leader) ? stored.leader : stored.isr[0]!;
    return { leader, leaderEpoch: stored.leaderEpoch + 1, isr: [...stored.isr] };
  }
  const endOf = (id: number): LogEnd => ends.get(id)!.get(key) ?? { lastEpoch: -1, logEndOffset: 0 };
  const longer = (a: number, b: number): boolean => {
    const ea = endOf(a);
    const eb = endOf(b);
    return ea.lastEpoch !== eb.lastEpoch ? ea.lastEpoch > eb.lastEpoch : ea.logEndOffset > eb.logEndOffset;
  };
  // Ties: the previous leader, then ISR order.
  let best = stored.isr.includes(stored.leader) ? stored.leader : stored.isr[0]!;
  for (const id of stored.isr) if (longer(id, best)) best = id;
  return { leader: best, leaderEpoch: stored.leaderEpoch + 1, isr: [best] };
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
