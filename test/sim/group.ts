/**
 * Simulated consumer-group members (Kafka's classic group protocol, the eager rebalance of the Java
 * consumer and librdkafka), and the ledger that checks what the group committed.
 *
 * Each SimGroupMember finds the coordinator (FindCoordinator), joins (JoinGroup with the member-id
 * handshake), the leader assigns the topic's partitions with the range assignor, everyone syncs
 * (SyncGroup), reads its committed positions (OffsetFetch), then fetches its partitions through
 * the shared ReadChecker, commits its positions (OffsetCommit with its generation) and heartbeats.
 * Any group error makes it rejoin, as real members do; a lost coordinator is looked up again.
 *
 * GroupLedger holds the invariant "committed group offsets never go backwards": an OffsetFetch
 * answer must be at or above every commit acknowledged before the fetch was sent.
 */
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Struct } from '../../src/protocol/codec.js';
import { findCoordinatorApi, type FindCoordinatorResponse } from '../../src/protocol/messages/find-coordinator.js';
import { heartbeatApi, type HeartbeatResponse } from '../../src/protocol/messages/heartbeat.js';
import { joinGroupApi, type JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import { offsetCommitApi, type OffsetCommitResponse } from '../../src/protocol/messages/offset-commit.js';
import { offsetFetchApi, type OffsetFetchResponse } from '../../src/protocol/messages/offset-fetch.js';
import { syncGroupApi, type SyncGroupResponse } from '../../src/protocol/messages/sync-group.js';
import { assignRange, CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, RANGE_ASSIGNOR } from '../../src/client/group-protocol.js';
import type { SimCluster } from './cluster.js';
import { Connections, fetchChecked, RETRY_BACKOFF_MS, sleep, type ReadChecker } from './clients.js';
import type { SimNode } from './node.js';

const SESSION_TIMEOUT_MS = 10_000;
const REBALANCE_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1000;
/** Longer than the rebalance timeout: JoinGroup waits for the whole rebalance. */
const GROUP_REQUEST_TIMEOUT_MS = REBALANCE_TIMEOUT_MS + 5000;
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

/** What the group committed, and the check that it never goes back. */
export class GroupLedger {
  /** Highest acknowledged commit per partition. */
  readonly acked = new Map<number, number>();
  readonly anomalies: string[] = [];
  commits = 0;
  offsetFetches = 0;
  generations = new Set<number>();

  constructor(readonly groupId: string) {}

  /** The floor an OffsetFetch sent now must answer at or above. */
  floor(partition: number): number {
    return this.acked.get(partition) ?? -1;
  }

  commitAcked(partition: number, offset: number): void {
    this.commits++;
    if (offset > this.floor(partition)) this.acked.set(partition, offset);
  }

  /** An OffsetFetch answer `committed` for a request sent when the floor was `floor`. */
  fetched(partition: number, committed: number, floor: number, context: string): void {
    this.offsetFetches++;
    if (committed < floor) this.anomalies.push(`the committed offset of group ${this.groupId} partition ${partition} went back: ${context} read ${committed} after a commit of ${floor} was acknowledged`);
  }
}

/** The group's coordinator (FindCoordinator through any broker), or -1 when none is known. */
async function findCoordinator(conns: Connections, groupId: string): Promise<number> {
  const res = await conns.any<FindCoordinatorResponse>(findCoordinatorApi, 3, { key: groupId, keyType: 0, coordinatorKeys: [] });
  return res.errorCode === ErrorCode.NONE ? res.nodeId : -1;
}

/** OffsetFetch of `partitions` of `topic` from the coordinator. */
function fetchCommitted(conns: Connections, coordinator: number, groupId: string, topic: string, partitions: number[]): Promise<OffsetFetchResponse> {
  return conns.request<OffsetFetchResponse>(coordinator, offsetFetchApi, 7, { groupId, topics: [{ name: topic, partitionIndexes: partitions }], requireStable: false } as unknown as Struct);
}

export class SimGroupMember {
  #stop = false;
  #running: Promise<void> | null = null;
  readonly #conns: Connections;
  #memberId = '';
  #generation = -1;
  #coordinator = -1;
  rebalances = 0;

  constructor(
    readonly cluster: SimCluster,
    readonly node: SimNode,
    readonly name: string,
    readonly reads: ReadChecker,
    readonly ledger: GroupLedger,
    readonly partitions: number,
  ) {
    this.#conns = new Connections(cluster, node, GROUP_REQUEST_TIMEOUT_MS);
  }

  start(): void {
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#running;
    this.#conns.close();
  }

  async #loop(): Promise<void> {
    while (!this.#stop) {
      try {
        if (this.#coordinator < 0) await this.#findCoordinator();
        const assigned = await this.#join();
        if (assigned !== null) await this.#consume(assigned);
      } catch {
        // Connection problems: look the coordinator up again.
        this.#coordinator = -1;
      }
      if (!this.#stop) await sleep(this.node, RETRY_BACKOFF_MS);
    }
  }

  async #findCoordinator(): Promise<void> {
    this.#coordinator = await findCoordinator(this.#conns, this.ledger.groupId);
  }

  /** Returns the partitions assigned in the new generation, or null to start over. */
  async #join(): Promise<number[] | null> {
    if (this.#coordinator < 0) return null;
    const topic = this.reads.topic;
    let join: JoinGroupResponse;
    for (;;) {
      join = await this.#conns.request<JoinGroupResponse>(this.#coordinator, joinGroupApi, 5, {
        groupId: this.ledger.groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.#memberId,
        groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: [{ name: RANGE_ASSIGNOR, metadata: encodeSubscription([topic]) }],
        reason: null,
      } as unknown as Struct);
      if (join.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) break;
      this.#memberId = join.memberId;
    }
    if (!this.#groupError(join.errorCode)) return null;
    this.#memberId = join.memberId;
    this.#generation = join.generationId;
    this.ledger.generations.add(join.generationId);
    this.rebalances++;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (join.leader === join.memberId) {
      const members = join.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata).topics }));
      const plan = assignRange(members, new Map([[topic, this.partitions]]));
      assignments = [...plan].map(([memberId, parts]) => ({ memberId, assignment: encodeAssignment(parts) }));
    }
    const sync = await this.#conns.request<SyncGroupResponse>(this.#coordinator, syncGroupApi, 3, {
      groupId: this.ledger.groupId,
      generationId: this.#generation,
      memberId: this.#memberId,
      groupInstanceId: null,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: RANGE_ASSIGNOR,
      assignments,
    } as unknown as Struct);
    if (!this.#groupError(sync.errorCode)) return null;
    return decodeAssignment(sync.assignment).partitions.filter((p) => p.topic === topic).flatMap((p) => p.partitions);
  }

  /**
   * True when `code` is NONE; otherwise reacts and returns false: the member rejoins (every group
   * error ends its generation here, as in the eager protocol), after looking the coordinator up
   * again when it moved, and with a new member id when the coordinator forgot it.
   */
  #groupError(code: number): boolean {
    if (code === ErrorCode.NONE) return true;
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
    if (COORDINATOR_MOVED.has(code)) this.#coordinator = -1;
    return false;
  }

  /** Reads, commits and heartbeats in one generation until the group needs a rejoin. */
  async #consume(assigned: number[]): Promise<void> {
    const positions = await this.#committedPositions(assigned);
    if (positions === null) return;
    let lastHeartbeatMs = this.node.clock().monotonicMs();
    while (!this.#stop) {
      let progressed = false;
      for (const p of assigned) {
        const next = await fetchChecked(this.#conns, this.reads, p, positions.get(p)!, `group member ${this.name}`);
        if (next !== null && next > positions.get(p)!) {
          positions.set(p, next);
          progressed = true;
        }
      }
      if (progressed && !(await this.#commit(positions))) return;
      if (this.node.clock().monotonicMs() - lastHeartbeatMs >= HEARTBEAT_INTERVAL_MS) {
        const hb = await this.#conns.request<HeartbeatResponse>(this.#coordinator, heartbeatApi, 3, { groupId: this.ledger.groupId, generationId: this.#generation, memberId: this.#memberId, groupInstanceId: null } as unknown as Struct);
        if (!this.#groupError(hb.errorCode)) return;
        lastHeartbeatMs = this.node.clock().monotonicMs();
      }
      if (!progressed) await sleep(this.node, 100);
    }
  }

  /** OffsetFetch for `assigned` (checked against the ledger); null to rejoin. */
  async #committedPositions(assigned: number[]): Promise<Map<number, number> | null> {
    const topic = this.reads.topic;
    const floors = new Map(assigned.map((p) => [p, this.ledger.floor(p)]));
    const res = await fetchCommitted(this.#conns, this.#coordinator, this.ledger.groupId, topic, assigned);
    if (!this.#groupError(res.errorCode)) return null;
    const positions = new Map<number, number>();
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (!this.#groupError(p.errorCode)) return null;
        const committed = Number(p.committedOffset);
        this.ledger.fetched(p.partitionIndex, committed, floors.get(p.partitionIndex) ?? -1, `member ${this.name} (generation ${this.#generation})`);
        positions.set(p.partitionIndex, Math.max(0, committed));
      }
    }
    for (const p of assigned) if (!positions.has(p)) positions.set(p, 0);
    return positions;
  }

  /** OffsetCommit of every position; false when the member must rejoin. */
  async #commit(positions: Map<number, number>): Promise<boolean> {
    const topic = this.reads.topic;
    const res = await this.#conns.request<OffsetCommitResponse>(this.#coordinator, offsetCommitApi, 7, {
      groupId: this.ledger.groupId,
      generationIdOrMemberEpoch: this.#generation,
      memberId: this.#memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topic, partitions: [...positions].map(([partitionIndex, offset]) => ({ partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) }],
    } as unknown as Struct);
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE) this.ledger.commitAcked(p.partitionIndex, positions.get(p.partitionIndex)!);
        else if (!this.#groupError(p.errorCode)) return false;
      }
    }
    return true;
  }
}

/**
 * The final check: the group's committed offsets, read by a fresh client from the coordinator,
 * are at or above every acknowledged commit. Retries (bounded) while the coordinator moves.
 */
export async function checkCommittedAtEnd(cluster: SimCluster, node: SimNode, ledger: GroupLedger, topic: string, partitions: number): Promise<string | null> {
  const conns = new Connections(cluster, node);
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const coordinator = await findCoordinator(conns, ledger.groupId);
        if (coordinator >= 0) {
          const all = Array.from({ length: partitions }, (_, p) => p);
          const floors = all.map((p) => ledger.floor(p));
          const res = await fetchCommitted(conns, coordinator, ledger.groupId, topic, all);
          const parts = res.topics.flatMap((t) => t.partitions);
          if (res.errorCode === ErrorCode.NONE && parts.length === partitions && parts.every((p) => p.errorCode === ErrorCode.NONE)) {
            for (const p of parts) ledger.fetched(p.partitionIndex, Number(p.committedOffset), floors[p.partitionIndex]!, 'the final read');
            return null;
          }
        }
      } catch {
        // the coordinator is moving: try again
      }
      await sleep(node, RETRY_BACKOFF_MS);
    }
    return `the committed offsets of group ${ledger.groupId} could not be read at the end`;
  } finally {
    conns.close();
  }
}
