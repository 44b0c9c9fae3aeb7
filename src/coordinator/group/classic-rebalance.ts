/**
 * ClassicRebalancer: the classic group membership protocol (JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup) as operations on a ClassicGroup, written from the protocol's documented behaviour
 * (KIP-62 rebalance timeouts, KIP-345 static membership, KIP-394 MEMBER_ID_REQUIRED, KIP-814
 * skipAssignment).
 *
 * JoinGroup and SyncGroup are long polls: the request's promise is parked on the member
 * (`awaitingJoin` / `awaitingSync`) and resolved when the join phase ends or the leader's assignment
 * is stored. The connection keeps the responses of later requests behind it, in request order.
 *
 * A join phase (PreparingRebalance) ends as soon as every known member has rejoined and no member
 * handed an id with MEMBER_ID_REQUIRED is still on its way, or when the largest rebalance timeout of
 * the members passes (dynamic members that did not rejoin are then removed; static members keep
 * their place). Only a group leaving Empty waits group.initial.rebalance.delay.ms first, extended
 * while new members keep arriving, never past the rebalance timeout.
 *
 * Timeouts (sessions, join and sync deadlines, pending members) are entries of the coordinator's
 * DeadlineQueue, keyed per group so a group's timers can be dropped together.
 * Owned by GroupCoordinator; stateless apart from its context.
 */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';
import type { Random } from '../../io/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ClassicGroup, GroupMember, type JoinGroupResult, type Protocol, type SyncGroupResult } from './classic-group.js';
import type { DeadlineQueue } from './deadline-queue.js';

const EMPTY = Buffer.alloc(0);

export interface GroupSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxSize: number;
}

export interface RebalanceContext {
  readonly clock: Clock;
  readonly random: Random;
  readonly timers: DeadlineQueue;
  readonly settings: GroupSettings;
  readonly log: Logger;
  /**
   * Writes the group metadata record (members, generation, and `assignments` when given, else each
   * member's current one); resolves ErrorCode.NONE once durable, or the code to answer with.
   */
  storeGroup(group: ClassicGroup, assignments?: ReadonlyMap<string, Buffer>): Promise<number>;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  reason: string | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface SyncRequest {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface HeartbeatRequest {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

/** Timer keys: the length prefix keeps any group id (even one containing '|') unambiguous. */
export function groupTimerPrefix(groupId: string): string {
  return `${groupId.length}:${groupId}|`;
}
const joinKey = (g: ClassicGroup): string => `${groupTimerPrefix(g.groupId)}join`;
const syncKey = (g: ClassicGroup): string => `${groupTimerPrefix(g.groupId)}sync`;
const sessionKey = (g: ClassicGroup, memberId: string): string => `${groupTimerPrefix(g.groupId)}session|${memberId}`;
const pendingKey = (g: ClassicGroup, memberId: string): string => `${groupTimerPrefix(g.groupId)}pending|${memberId}`;

export class ClassicRebalancer {
  /** Join phases that ended with members, i.e. a new generation to assign (metrics: completed rebalances). */
  completedRebalances = 0;

  constructor(private readonly ctx: RebalanceContext) {}

  // ------------------------------------------------------------------------------- JoinGroup

  /** The caller checked coordinator ownership, the group id and the session timeout bounds. */
  join(group: ClassicGroup, req: JoinRequest): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.#join(group, req, resolve));
  }

  #join(group: ClassicGroup, req: JoinRequest, respond: (r: JoinGroupResult) => void): void {
    if (group.is('Dead')) {
      // The group was just deleted or moved away: the client looks the coordinator up again.
      respond(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols, req.memberId === '' ? undefined : req.memberId)) {
      respond(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (req.memberId === '') this.#joinNewMember(group, req, respond);
    else this.#joinKnownMember(group, req, respond);
  }

  #joinNewMember(group: ClassicGroup, req: JoinRequest, respond: (r: JoinGroupResult) => void): void {
    const instanceId = req.groupInstanceId;
    if (instanceId !== null) {
      const newId = `${instanceId}-${this.ctx.random.uuid()}`;
      const oldId = group.staticMemberId(instanceId);
      if (oldId !== undefined) {
        this.#replaceStaticMember(group, oldId, newId, req, respond);
        return;
      }
      if (this.#isFull(group)) {
        respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
        return;
      }
      // Static members are known by their instance id, so they skip the MEMBER_ID_REQUIRED round trip.
      this.#addMemberAndRebalance(group, newId, req, respond);
      return;
    }
    if (this.#isFull(group)) {
      respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      return;
    }
    const newId = `${req.clientId}-${this.ctx.random.uuid()}`;
    if (req.apiVersion >= 4) {
      // KIP-394: hand out the id first; the member counts as pending until it joins with it, so a
      // client that dies between the two requests never becomes a member that must time out.
      group.pendingMembers.add(newId);
      this.ctx.timers.schedule(pendingKey(group, newId), req.sessionTimeoutMs, () => this.#onPendingMemberExpired(group, newId));
      respond(joinError(newId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    this.#addMemberAndRebalance(group, newId, req, respond);
  }

  #joinKnownMember(group: ClassicGroup, req: JoinRequest, respond: (r: JoinGroupResult) => void): void {
    const memberId = req.memberId;
    if (group.pendingMembers.delete(memberId)) {
      this.ctx.timers.cancel(pendingKey(group, memberId));
      this.#addMemberAndRebalance(group, memberId, req, respond);
      return;
    }
    if (group.isStaticFenced(memberId, req.groupInstanceId)) {
      respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
      return;
    }
    const member = group.members.get(memberId);
    if (!member) {
      respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    switch (group.state) {
      case 'PreparingRebalance':
        this.#updateMember(member, req, respond);
        this.#checkJoinComplete(group);
        return;
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) {
          // It lost the JoinGroup response of this generation: send it again.
          this.#renewSession(group, member);
          respond(this.#generationResult(group, member, group.isLeader(memberId), false));
          return;
        }
        this.#updateMember(member, req, respond);
        this.#prepareRebalance(group, `member ${memberId} rejoined with new protocols`);
        return;
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(req.protocols)) {
          // A leader's JoinGroup asks for a rebalance (e.g. topic metadata changed); so do new protocols.
          this.#updateMember(member, req, respond);
          this.#prepareRebalance(group, group.isLeader(memberId) ? `leader ${memberId} rejoined` : `member ${memberId} changed its protocols`);
          return;
        }
        this.#renewSession(group, member);
        respond(this.#generationResult(group, member, false, false));
        return;
      case 'Empty':
      case 'Dead':
        respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  /** KIP-345: a known group.instance.id joined without a member id: it takes over the old member's place. */
  #replaceStaticMember(group: ClassicGroup, oldId: string, newId: string, req: JoinRequest, respond: (r: JoinGroupResult) => void): void {
    const member = group.members.get(oldId)!;
    const oldJoin = member.awaitingJoin;
    const oldSync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    // The previous incarnation is a zombie now: whatever it still waits for fails fenced.
    oldJoin?.(joinError(oldId, ErrorCode.FENCED_INSTANCE_ID));
    oldSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.ctx.timers.cancel(sessionKey(group, oldId));
    const protocolsChanged = !member.matches(req.protocols);
    group.replaceMemberId(oldId, newId);
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    this.ctx.log.info({ group: group.groupId, groupInstanceId: req.groupInstanceId, oldMemberId: oldId, memberId: newId }, 'static member rejoined with a new member id');
    switch (group.state) {
      case 'Stable': {
        const leader = group.isLeader(newId);
        // A static leader below v9 cannot be told to skip the assignment, so it gets a rebalance.
        if (!protocolsChanged && (!leader || req.apiVersion >= 9)) {
          this.#renewSession(group, member);
          // Persist the new id so a restarted coordinator does not fence the live instance.
          void this.ctx.storeGroup(group).then((code) => {
            if (code !== ErrorCode.NONE) this.ctx.log.warn({ group: group.groupId, errorCode: code }, 'storing the replaced static member id failed');
          });
          respond(this.#generationResult(group, member, leader, leader));
          return;
        }
        this.#updateMember(member, req, respond);
        this.#prepareRebalance(group, `static member ${req.groupInstanceId} rejoined`);
        return;
      }
      case 'CompletingRebalance':
        this.#updateMember(member, req, respond);
        this.#prepareRebalance(group, `static member ${req.groupInstanceId} rejoined during the sync phase`);
        return;
      case 'PreparingRebalance':
        this.#updateMember(member, req, respond);
        this.#checkJoinComplete(group);
        return;
      case 'Empty':
      case 'Dead':
        assert.fail(`group ${group.groupId} in state ${group.state} has static member ${oldId}`);
    }
  }

  #isFull(group: ClassicGroup): boolean {
    return group.members.size + group.pendingMembers.size >= this.ctx.settings.maxSize;
  }

  #addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinRequest, respond: (r: JoinGroupResult) => void): void {
    const member = new GroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
    });
    member.awaitingJoin = respond;
    group.add(member);
    if (group.initialDelay) group.initialDelay.newMemberAdded = true;
    this.ctx.log.debug({ group: group.groupId, memberId, clientId: req.clientId }, 'member joined');
    this.#maybePrepareRebalance(group, `new member ${memberId} joined`);
  }

  #updateMember(member: GroupMember, req: JoinRequest, respond: (r: JoinGroupResult) => void): void {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    const previous = member.awaitingJoin;
    member.awaitingJoin = respond;
    // A retried JoinGroup replaces the parked one; the old request still gets an answer (the
    // connection holds later responses behind it), one that makes a client simply rejoin.
    previous?.(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }

  #maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('Empty') || group.is('Stable') || group.is('CompletingRebalance')) this.#prepareRebalance(group, reason);
    else if (group.is('PreparingRebalance')) this.#checkJoinComplete(group);
  }

  #prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) this.#resetAssignments(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.ctx.timers.cancel(syncKey(group));
    const fromEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.ctx.clock.nowMs());
    this.ctx.log.info({ group: group.groupId, generationId: group.generationId, members: group.size, reason }, 'preparing to rebalance group');
    const rebalanceTimeoutMs = group.maxRebalanceTimeoutMs();
    const initialDelayMs = this.ctx.settings.initialRebalanceDelayMs;
    if (fromEmpty && initialDelayMs > 0) {
      const delayMs = Math.min(initialDelayMs, rebalanceTimeoutMs);
      group.initialDelay = { delayMs: initialDelayMs, remainingMs: Math.max(rebalanceTimeoutMs - delayMs, 0), newMemberAdded: false };
      this.ctx.timers.schedule(joinKey(group), delayMs, () => this.#onInitialDelayExpired(group));
      return;
    }
    group.initialDelay = null;
    this.ctx.timers.schedule(joinKey(group), rebalanceTimeoutMs, () => this.#onJoinDeadline(group));
    this.#checkJoinComplete(group);
  }

  #onInitialDelayExpired(group: ClassicGroup): void {
    const d = group.initialDelay;
    if (d === null || !group.is('PreparingRebalance')) return;
    if (d.newMemberAdded && d.remainingMs > 0) {
      const delayMs = Math.min(d.delayMs, d.remainingMs);
      d.remainingMs -= delayMs;
      d.newMemberAdded = false;
      this.ctx.timers.schedule(joinKey(group), delayMs, () => this.#onInitialDelayExpired(group));
      return;
    }
    group.initialDelay = null;
    this.#completeJoin(group);
  }

  #onJoinDeadline(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    group.initialDelay = null;
    this.#completeJoin(group);
  }

  #checkJoinComplete(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.initialDelay === null && group.allMembersJoined()) this.#completeJoin(group);
  }

  /** Ends the join phase: the next generation starts with the members that rejoined. */
  #completeJoin(group: ClassicGroup): void {
    assert.ok(group.is('PreparingRebalance'));
    this.ctx.timers.cancel(joinKey(group));
    const nowMs = this.ctx.clock.nowMs();
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null && m.groupInstanceId === null) {
        this.ctx.log.info({ group: group.groupId, memberId: m.memberId }, 'removing member that did not rejoin within the rebalance timeout');
        this.ctx.timers.cancel(sessionKey(group, m.memberId));
        m.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.awaitingSync = null;
        group.remove(m.memberId);
      }
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo('Empty', nowMs);
      this.ctx.log.info({ group: group.groupId, generationId: group.generationId }, 'group is empty');
      // Stored so a restart does not bring back members of an older generation.
      void this.ctx.storeGroup(group).then((code) => {
        if (code !== ErrorCode.NONE) this.ctx.log.warn({ group: group.groupId, errorCode: code }, 'storing the empty group failed');
      });
      return;
    }
    const leader = group.leaderId !== null ? group.members.get(group.leaderId) : undefined;
    if (!leader || leader.awaitingJoin === null) {
      const rejoined = [...group.members.values()].find((m) => m.awaitingJoin !== null);
      if (rejoined) group.leaderId = rejoined.memberId;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', nowMs);
    this.completedRebalances++;
    group.pendingSync.clear();
    for (const id of group.members.keys()) group.pendingSync.add(id);
    this.ctx.log.info(
      { group: group.groupId, generationId: group.generationId, protocol: group.protocolName, leader: group.leaderId, members: group.size },
      'join phase complete; waiting for the leader to assign',
    );
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin;
      m.awaitingJoin = null;
      m.isNew = false;
      this.#renewSession(group, m);
      respond?.(this.#generationResult(group, m, group.isLeader(m.memberId), false));
    }
    const generation = group.generationId;
    this.ctx.timers.schedule(syncKey(group), group.maxRebalanceTimeoutMs(), () => this.#onSyncDeadline(group, generation));
  }

  #generationResult(group: ClassicGroup, member: GroupMember, withMembers: boolean, skipAssignment: boolean): JoinGroupResult {
    const protocol = group.protocolName;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: protocol,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId: member.memberId,
      members:
        withMembers && protocol !== null
          ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }))
          : [],
    };
  }

  /** Members that never sent SyncGroup in this generation are dropped and the group rebalances. */
  #onSyncDeadline(group: ClassicGroup, generation: number): void {
    if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
    for (const id of [...group.pendingSync]) {
      this.ctx.log.info({ group: group.groupId, memberId: id, generationId: generation }, 'removing member that did not sync within the rebalance timeout');
      this.ctx.timers.cancel(sessionKey(group, id));
      group.remove(id);
    }
    this.#prepareRebalance(group, 'members did not sync in time');
  }

  /** Answers every parked SyncGroup with `errorCode` and forgets this generation's assignments. */
  #resetAssignments(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) {
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      m.assignment = EMPTY;
      respond?.(syncError(errorCode));
    }
  }

  // ------------------------------------------------------------------------------- SyncGroup

  sync(group: ClassicGroup, req: SyncRequest): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.#sync(group, req, resolve));
  }

  #sync(group: ClassicGroup, req: SyncRequest, respond: (r: SyncGroupResult) => void): void {
    const error = this.#checkMember(group, req.memberId, req.groupInstanceId, req.generationId);
    if (error !== ErrorCode.NONE) {
      respond(syncError(error));
      return;
    }
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      respond(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        return;
      case 'Stable':
        this.#renewSession(group, member);
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        return;
      case 'CompletingRebalance': {
        const previous = member.awaitingSync;
        member.awaitingSync = respond;
        previous?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        group.pendingSync.delete(member.memberId);
        this.#renewSession(group, member);
        if (group.isLeader(member.memberId)) void this.#completeSync(group, req.assignments);
        return;
      }
      case 'Empty':
      case 'Dead':
        assert.fail('checkMember rejects requests to Empty and Dead groups');
    }
  }

  /** The leader's assignment: stored with the group metadata, then relayed to every parked member. */
  async #completeSync(group: ClassicGroup, assignments: SyncRequest['assignments']): Promise<void> {
    const generation = group.generationId;
    const byMember = new Map<string, Buffer>();
    for (const a of assignments) if (group.members.has(a.memberId)) byMember.set(a.memberId, Buffer.from(a.assignment));
    const code = await this.ctx.storeGroup(group, byMember);
    // Meanwhile a member may have left or joined: that rebalance already answered the parked syncs.
    if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
    if (code !== ErrorCode.NONE) {
      this.ctx.log.warn({ group: group.groupId, generationId: generation, errorCode: code }, 'storing the assignment failed; rebalancing');
      this.#resetAssignments(group, code);
      this.#prepareRebalance(group, 'storing the assignment failed');
      return;
    }
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY;
    group.transitionTo('Stable', this.ctx.clock.nowMs());
    this.ctx.timers.cancel(syncKey(group));
    group.pendingSync.clear();
    this.ctx.log.info({ group: group.groupId, generationId: generation, members: group.size }, 'group is stable');
    for (const m of group.members.values()) {
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      if (respond) {
        this.#renewSession(group, m);
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
      }
    }
  }

  // ------------------------------------------------------------------------------- Heartbeat

  heartbeat(group: ClassicGroup, req: HeartbeatRequest): number {
    const error = this.#checkMember(group, req.memberId, req.groupInstanceId, req.generationId);
    if (error !== ErrorCode.NONE) return error;
    this.#renewSession(group, group.members.get(req.memberId)!);
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** The checks SyncGroup, Heartbeat and OffsetCommit share, in Kafka's order. */
  #checkMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (group.is('Empty') || !group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  /** For OffsetCommit from a member: renews its session when the commit is accepted. */
  touch(group: ClassicGroup, memberId: string): void {
    const member = group.members.get(memberId);
    if (member) this.#renewSession(group, member);
  }

  // ------------------------------------------------------------------------------- LeaveGroup

  /** One error code per leaving member (KIP-345 batch leave). */
  leave(group: ClassicGroup, leaving: readonly LeavingMember[]): number[] {
    return leaving.map((l) => {
      if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      let memberId = l.memberId;
      if (l.groupInstanceId !== null) {
        const known = group.staticMemberId(l.groupInstanceId);
        if (known === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
        if (memberId !== '' && memberId !== known) return ErrorCode.FENCED_INSTANCE_ID;
        memberId = known;
      } else if (group.pendingMembers.delete(memberId)) {
        this.ctx.timers.cancel(pendingKey(group, memberId));
        this.#checkJoinComplete(group);
        return ErrorCode.NONE;
      }
      const member = group.members.get(memberId);
      if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.#removeMemberAndUpdateGroup(group, member, `member left${l.reason ? `: ${l.reason}` : ''}`);
      return ErrorCode.NONE;
    });
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.ctx.log.info({ group: group.groupId, memberId: member.memberId, reason }, 'removing member');
    this.ctx.timers.cancel(sessionKey(group, member.memberId));
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    sync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.#prepareRebalance(group, reason);
    else if (group.is('PreparingRebalance')) this.#checkJoinComplete(group);
  }

  // ------------------------------------------------------------------------------- timers

  #renewSession(group: ClassicGroup, member: GroupMember): void {
    const memberId = member.memberId;
    this.ctx.timers.schedule(sessionKey(group, memberId), member.sessionTimeoutMs, () => this.#onSessionExpired(group, memberId));
  }

  #onSessionExpired(group: ClassicGroup, memberId: string): void {
    const member = group.members.get(memberId);
    if (!member) return;
    // A member parked in JoinGroup or SyncGroup is alive; the join and sync deadlines bound its wait.
    if (member.awaitingJoin !== null || member.awaitingSync !== null) {
      this.#renewSession(group, member);
      return;
    }
    this.#removeMemberAndUpdateGroup(group, member, `session timeout (${member.sessionTimeoutMs} ms) expired`);
  }

  #onPendingMemberExpired(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.ctx.log.debug({ group: group.groupId, memberId }, 'member id handed out with MEMBER_ID_REQUIRED expired unused');
    this.#checkJoinComplete(group);
  }

  /** After loading a group from the log: its members must heartbeat within their session timeouts. */
  onLoaded(group: ClassicGroup): void {
    for (const m of group.members.values()) this.#renewSession(group, m);
  }

  /**
   * The group leaves this coordinator (deleted, or its partition moved): every parked request is
   * answered with `errorCode` and the group's timers are dropped.
   */
  shutdownGroup(group: ClassicGroup, errorCode: number): void {
    this.ctx.timers.cancelPrefix(groupTimerPrefix(group.groupId));
    for (const m of group.members.values()) {
      const join = m.awaitingJoin;
      const sync = m.awaitingSync;
      m.awaitingJoin = null;
      m.awaitingSync = null;
      join?.(joinError(m.memberId, errorCode));
      sync?.(syncError(errorCode));
    }
  }
}
