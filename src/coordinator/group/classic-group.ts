/**
 * ClassicGroup: the state of one consumer group under the classic protocol (JoinGroup/SyncGroup),
 * with its committed offsets. Plain data plus the invariants of the state machine; the rebalance
 * logic that moves it lives in classic-rebalance.ts, offsets logic in offset-manager.ts.
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
 *     ▲                 ▲         │ (no members left)                 │ leader's SyncGroup
 *     └─────────────────┼─────────┘                                    ▼
 *                       └──── member joins, leaves, times out ──── Stable
 *   any state ──▶ Dead (group deleted, or its partition moved to another coordinator)
 *
 * Owned by the CoordinatorShard of the group's __consumer_offsets partition; lives while that
 * partition is led here and the group has members, offsets or a stored generation.
 */
import assert from 'node:assert/strict';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'Stable', 'CompletingRebalance'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** From a v1 value (explicit retention), else -1. */
  expireTimestampMs: number;
  /**
   * Base offset of the `__consumer_offsets` batch that wrote it (undefined: not known). Orders a
   * transactional commit against a plain one: when a transaction commits, its offset replaces the
   * committed one only if it was written later in the log (Kafka's rule).
   */
  recordOffset?: number;
}

/** An offset written by a transactional producer whose transaction has not completed yet. */
export interface PendingTxnOffset {
  topic: string;
  partition: number;
  value: CommittedOffset;
}

const EMPTY = Buffer.alloc(0);

export class GroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer = EMPTY;
  /** Resolves this member's parked JoinGroup; set while it waits for the join phase to end. */
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null;
  /** Resolves this member's parked SyncGroup; set while it waits for the leader's assignment. */
  awaitingSync: ((r: SyncGroupResult) => void) | null = null;
  /** True until its first join completes. */
  isNew = true;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: Protocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    assert.ok(p, `member ${this.memberId} does not support the selected protocol ${protocol}`);
    return p.metadata;
  }
}

export class ClassicGroup {
  readonly groupId: string;
  #state: GroupState;
  generationId = 0;
  /** Set by the first member; kept while the group is Empty (Kafka does the same). Null for offsets-only groups. */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Wall time of the last state change (stored in the group metadata record; offsets expiry counts from it). */
  currentStateTimestampMs: number;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → current member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet. */
  readonly pendingMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet (CompletingRebalance). */
  readonly pendingSync = new Set<string>();
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /**
   * producerId → `topic\0partition` → offsets of that producer's open transaction (TxnOffsetCommit
   * written, no COMMIT/ABORT marker yet). Invisible to OffsetFetch; requireStable answers
   * UNSTABLE_OFFSET_COMMIT for them.
   */
  readonly pendingTxnOffsets = new Map<bigint, Map<string, PendingTxnOffset>>();
  /** `topic\0partition` → commits being written (OffsetFetch requireStable answers UNSTABLE_OFFSET_COMMIT). */
  readonly commitsInFlight = new Map<string, number>();
  /** Present while a new group waits group.initial.rebalance.delay.ms for more members. */
  initialDelay: { remainingMs: number; delayMs: number; newMemberAdded: boolean } | null = null;

  constructor(groupId: string, nowMs: number, state: GroupState = 'Empty') {
    this.groupId = groupId;
    this.#state = state;
    this.currentStateTimestampMs = nowMs;
  }

  get state(): GroupState {
    return this.#state;
  }

  is(state: GroupState): boolean {
    return this.#state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert.ok(VALID_PREVIOUS[state].includes(this.#state), `group ${this.groupId}: illegal transition ${this.#state} → ${state}`);
    this.#state = state;
    this.currentStateTimestampMs = nowMs;
  }

  get size(): number {
    return this.members.size;
  }

  add(member: GroupMember): void {
    assert.ok(!this.members.has(member.memberId), `member ${member.memberId} added twice`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert.equal(member.protocolType, this.protocolType, 'members share the protocol type');
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** A static member rejoining with a new member id replaces its old id everywhere. */
  replaceMemberId(oldId: string, newId: string): GroupMember {
    const member = this.members.get(oldId);
    assert.ok(member && member.groupInstanceId !== null, 'only known static members are replaced');
    this.members.delete(oldId);
    member.memberId = newId;
    this.members.set(newId, member);
    this.staticMembers.set(member.groupInstanceId, newId);
    if (this.pendingSync.delete(oldId)) this.pendingSync.add(newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    return member;
  }

  /** Known member id for a group.instance.id, or undefined. */
  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** True when `groupInstanceId` is bound to a different member id than `memberId` (a zombie instance). */
  isStaticFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** Every member has a parked JoinGroup and no MEMBER_ID_REQUIRED member is still on its way. */
  allMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return this.pendingMembers.size === 0;
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== null) n++;
    return n;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Protocol names every member supports. */
  candidateProtocols(): string[] {
    const members = [...this.members.values()];
    if (members.length === 0) return [];
    return members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  }

  /**
   * Whether a member with these protocols may be in the group: any non-empty protocol list joins an
   * Empty group; otherwise the type must match and one protocol must be supported by every member.
   */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[], exceptMemberId?: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const others = [...this.members.values()].filter((m) => m.memberId !== exceptMemberId);
    if (others.length === 0) return true;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  /**
   * The protocol for the next generation: each member votes for its most preferred protocol among
   * those all members support; the most votes win, ties going to the leader's preference order.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert.ok(candidates.length > 0, `group ${this.groupId} has no common protocol`);
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => votes.has(p.name))!.name;
      votes.set(choice, votes.get(choice)! + 1);
    }
    const leader = this.leaderId !== null ? this.members.get(this.leaderId) : undefined;
    const order = leader ? leader.protocols.map((p) => p.name).filter((n) => votes.has(n)) : candidates;
    let best = order[0]!;
    for (const name of order) if (votes.get(name)! > votes.get(best)!) best = name;
    return best;
  }

  // ---- offsets ----

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, value: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.offsets.set(topic, byPartition);
    }
    byPartition.set(partition, value);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (!byPartition) return false;
    const had = byPartition.delete(partition);
    if (byPartition.size === 0) this.offsets.delete(topic);
    return had;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  numOffsets(): number {
    let n = 0;
    for (const m of this.offsets.values()) n += m.size;
    return n;
  }

  // ---- transactional offsets ----

  addPendingTxnOffset(producerId: bigint, pending: PendingTxnOffset): void {
    let byKey = this.pendingTxnOffsets.get(producerId);
    if (!byKey) this.pendingTxnOffsets.set(producerId, (byKey = new Map()));
    byKey.set(inFlightKey(pending.topic, pending.partition), pending);
  }

  /** Some open transaction wrote an offset for this partition. */
  hasPendingTxnOffset(topic: string, partition: number): boolean {
    const key = inFlightKey(topic, partition);
    for (const byKey of this.pendingTxnOffsets.values()) if (byKey.has(key)) return true;
    return false;
  }

  get hasPendingTxnOffsets(): boolean {
    return this.pendingTxnOffsets.size > 0;
  }

  /** Drops every open transaction's offset for this partition (its committed offset was deleted). */
  dropPendingTxnOffset(topic: string, partition: number): void {
    const key = inFlightKey(topic, partition);
    for (const [producerId, byKey] of this.pendingTxnOffsets) {
      byKey.delete(key);
      if (byKey.size === 0) this.pendingTxnOffsets.delete(producerId);
    }
  }

  /**
   * The producer's transaction completed. Commit: each of its offsets becomes the committed one,
   * unless a plain commit written later in the log replaced it meanwhile. Abort: they are dropped.
   * Returns how many offsets became committed.
   */
  completeTxn(producerId: bigint, commit: boolean): number {
    const byKey = this.pendingTxnOffsets.get(producerId);
    if (!byKey) return 0;
    this.pendingTxnOffsets.delete(producerId);
    if (!commit) return 0;
    let applied = 0;
    for (const p of byKey.values()) {
      if (laterInLog(p.value, this.offset(p.topic, p.partition))) {
        this.setOffset(p.topic, p.partition, p.value);
        applied++;
      }
    }
    return applied;
  }
}

/** Whether `candidate` was written after `current` (an unknown position counts as older). */
export function laterInLog(candidate: CommittedOffset, current: CommittedOffset | undefined): boolean {
  if (current === undefined) return true;
  assert.ok(candidate.recordOffset !== undefined, 'a transactional offset always knows its log position');
  return (current.recordOffset ?? -1) < candidate.recordOffset;
}

export function inFlightKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
