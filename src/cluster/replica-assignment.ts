/**
 * Replica assignment for new topics and partitions, spreading leaders and followers across brokers
 * the way Kafka does (facts from Kafka's documentation of its placement; our own code):
 * - Rack-unaware: the first replica of partition i is broker (start + i) mod n over the sorted broker
 *   list; the followers sit at increasing distances from it, and the distance ("shift") grows by one
 *   every n partitions so that followers of a broker's partitions spread over all other brokers.
 * - Rack-aware (every broker has a rack): the broker list is first reordered to alternate racks
 *   (rack a, rack b, rack c, rack a, ...), and each follower is the next broker in that order whose
 *   rack holds no replica of the partition yet (once every rack has one, any unused broker).
 * `start` and `shift` are random for new topics (as in Kafka) so that many small topics do not all
 * put their leaders on the same broker; callers pass a Random-backed picker.
 */
import type { BrokerInfo } from './metadata-image.js';

export class AssignmentError extends Error {
  constructor(
    readonly kind: 'invalidReplicationFactor' | 'invalidReplicaAssignment',
    message: string,
  ) {
    super(message);
    this.name = 'AssignmentError';
  }
}

export interface AssignmentInput {
  brokers: readonly Pick<BrokerInfo, 'id' | 'rack'>[];
  partitions: number;
  replicationFactor: number;
  /** Index of the broker holding partition `firstPartition`'s first replica (default: random). */
  startIndex: number;
  /** Initial follower distance (default: random). */
  shift: number;
  /** Number the partitions from here (adding partitions to an existing topic). */
  firstPartition?: number;
}

function followerIndex(first: number, shift: number, j: number, n: number): number {
  const distance = 1 + ((shift + j) % (n - 1));
  return (first + distance) % n;
}

/** Brokers in an order that alternates racks: racks sorted, brokers sorted within each rack. */
export function rackAlternated(brokers: readonly Pick<BrokerInfo, 'id' | 'rack'>[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    let list = byRack.get(rack);
    if (!list) byRack.set(rack, (list = []));
    list.push(b.id);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const r of racks) {
      const id = byRack.get(r)![round];
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}

export function assignReplicas(input: AssignmentInput): number[][] {
  const { brokers, replicationFactor } = input;
  if (replicationFactor < 1) throw new AssignmentError('invalidReplicationFactor', 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new AssignmentError('invalidReplicationFactor', `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`);
  }
  const racked = brokers.filter((b) => b.rack !== null).length;
  if (racked !== 0 && racked !== brokers.length) {
    throw new AssignmentError('invalidReplicaAssignment', 'Not all brokers have rack information (broker.rack): set it on every broker or on none.');
  }
  return racked === 0 ? assignUnaware(input) : assignRackAware(input);
}

function assignUnaware(input: AssignmentInput): number[][] {
  const ids = input.brokers.map((b) => b.id).sort((a, b) => a - b);
  const n = ids.length;
  const first0 = input.firstPartition ?? 0;
  let shift = input.shift;
  const out: number[][] = [];
  for (let k = 0; k < input.partitions; k++) {
    const i = first0 + k;
    if (i > 0 && i % n === 0) shift++;
    const first = (i + input.startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < input.replicationFactor - 1; j++) replicas.push(ids[followerIndex(first, shift, j, n)]!);
    out.push(replicas);
  }
  return out;
}

function assignRackAware(input: AssignmentInput): number[][] {
  const order = rackAlternated(input.brokers);
  const rackOf = new Map(input.brokers.map((b) => [b.id, b.rack ?? '']));
  const rackCount = new Set(rackOf.values()).size;
  const n = order.length;
  const first0 = input.firstPartition ?? 0;
  let shift = input.shift;
  const out: number[][] = [];
  for (let k = 0; k < input.partitions; k++) {
    const i = first0 + k;
    if (i > 0 && i % n === 0) shift++;
    const first = (i + input.startIndex) % n;
    const leader = order[first]!;
    const replicas = [leader];
    const racksUsed = new Set([rackOf.get(leader)!]);
    const used = new Set([leader]);
    for (let step = 0; replicas.length < input.replicationFactor && step < 2 * n * n; step++) {
      const candidate = order[followerIndex(first, shift, step % (n - 1), n)]!;
      const pass = Math.floor(step / (n - 1));
      if (used.has(candidate)) continue;
      // First pass over the ring: only new racks. Later passes: any unused broker.
      if (pass === 0 && racksUsed.size < rackCount && racksUsed.has(rackOf.get(candidate)!)) continue;
      replicas.push(candidate);
      used.add(candidate);
      racksUsed.add(rackOf.get(candidate)!);
    }
    out.push(replicas);
  }
  return out;
}
