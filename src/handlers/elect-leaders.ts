/**
 * ElectLeaders (v0-2): leader election on demand (kafka-leader-election, Admin.electLeaders).
 * - electionType 0 (PREFERRED; v0 has no field and means preferred) goes to
 *   `controller.electPreferredLeaders`: NONE when leadership moved to the preferred replica,
 *   ELECTION_NOT_NEEDED when it already leads, PREFERRED_LEADER_NOT_AVAILABLE when it is dead or
 *   out of sync. The single-node EmbeddedController has no such method: its one broker leads
 *   everything, so every existing partition is ELECTION_NOT_NEEDED.
 * - electionType 1 (UNCLEAN) is answered per partition without changing anything: a partition
 *   with a leader is ELECTION_NOT_NEEDED (Kafka elects uncleanly only when there is no leader); a
 *   leaderless one is ELIGIBLE_LEADERS_NOT_AVAILABLE with a message saying that unclean election
 *   on demand is not implemented and that `unclean.leader.election.enable=true` makes the
 *   controller do it by itself (Samsa's controller has no safe one-shot unclean election yet).
 * - Any other electionType is INVALID_REQUEST (top level from v1, and on every partition).
 * - topicPartitions null means every partition; as Kafka's KRaft controller does, partitions
 *   whose leader is already the desired one are then left out of the response.
 * - An unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION; a partition named twice is
 *   answered once.
 * - A controller that does not finish within timeoutMs, or cannot reach ZooKeeper (connection
 *   lost, session expired: transient, the admin client retries), answers REQUEST_TIMED_OUT; any
 *   other failure UNKNOWN_SERVER_ERROR; with the reason on every partition asked for.
 */
import type { Timer } from '../io/clock.js';
import type { PreferredElectionResult } from '../cluster/controller.js';
import type { MetadataImage } from '../cluster/metadata-image.js';
import { isCoordinationError } from '../cluster/coordination/coordination.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { electLeadersApi, type ElectLeadersRequest, type ElectLeadersResponse } from '../protocol/messages/elect-leaders.js';
import { defineHandler, type RequestContext } from './handler.js';
import { allowedOnCluster, Op } from './authz.js';

const PREFERRED = 0;
const UNCLEAN = 1;

interface TP {
  topic: string;
  partition: number;
}

interface Outcome extends TP {
  errorCode: number;
  errorMessage: string | null;
}

/** The partitions asked for, deduplicated in request order; null = every partition of the image. */
function requested(req: ElectLeadersRequest, image: MetadataImage): { all: boolean; partitions: TP[] } {
  if (req.topicPartitions === null) {
    const partitions: TP[] = [];
    for (const t of image.topics.values()) for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partition });
    return { all: true, partitions };
  }
  const seen = new Set<string>();
  const partitions: TP[] = [];
  for (const t of req.topicPartitions) {
    for (const partition of t.partitions) {
      const key = `${t.topic}\u0000${partition}`;
      if (seen.has(key)) continue;
      seen.add(key);
      partitions.push({ topic: t.topic, partition });
    }
  }
  return { all: false, partitions };
}

function unknown(tp: TP): Outcome {
  return { ...tp, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The partition ${tp.topic}-${tp.partition} does not exist.` };
}

function notNeeded(tp: TP): Outcome {
  return { ...tp, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
}

function fromPreferred(r: PreferredElectionResult): Outcome {
  const tp = { topic: r.topic, partition: r.partition };
  switch (r.result) {
    case 'elected':
      return { ...tp, errorCode: ErrorCode.NONE, errorMessage: null };
    case 'electionNotNeeded':
      return notNeeded(tp);
    case 'preferredNotAvailable':
      return {
        ...tp,
        errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
        errorMessage: `Failed to elect leader for partition ${tp.topic}-${tp.partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy: the preferred replica is not alive or not in the ISR`,
      };
    case 'unknownTopicOrPartition':
      return unknown(tp);
  }
}

class ElectionTimeout extends Error {}

async function preferred(ctx: RequestContext, known: TP[], timeoutMs: number): Promise<Outcome[]> {
  const controller = ctx.broker.controller;
  if (!controller.electPreferredLeaders) return known.map(notNeeded); // one node: it leads everything
  let timer: Timer | undefined;
  try {
    const results = await Promise.race([
      controller.electPreferredLeaders(known),
      new Promise<never>((_, reject) => {
        timer = ctx.broker.clock.setTimer(Math.max(timeoutMs, 1), () => reject(new ElectionTimeout(`the election did not finish within ${timeoutMs} ms`)));
      }),
    ]);
    const byKey = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r]));
    return known.map((tp) => {
      const r = byKey.get(`${tp.topic}\u0000${tp.partition}`);
      return r ? fromPreferred(r) : unknown(tp);
    });
  } catch (err) {
    const timedOut = err instanceof ElectionTimeout || isCoordinationError(err, 'connectionLoss') || isCoordinationError(err, 'sessionExpired');
    const message = err instanceof Error ? err.message : String(err);
    ctx.log.warn({ err: message, partitions: known.length }, 'preferred leader election failed');
    return known.map((tp) => ({ ...tp, errorCode: timedOut ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: message }));
  } finally {
    timer?.cancel();
  }
}

function unclean(image: MetadataImage, known: TP[]): Outcome[] {
  return known.map((tp) => {
    const p = image.partition(tp.topic, tp.partition)!;
    if (p.leader >= 0) return notNeeded(tp);
    return {
      ...tp,
      errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
      errorMessage:
        `Partition ${tp.topic}-${tp.partition} has no leader and unclean leader election on demand is not supported by Samsa yet; ` +
        'set unclean.leader.election.enable=true in server.properties to let the controller elect an out-of-sync live replica (data may be lost)',
    };
  });
}

function group(outcomes: Outcome[]): ElectLeadersResponse['replicaElectionResults'] {
  const byTopic = new Map<string, ElectLeadersResponse['replicaElectionResults'][number]>();
  for (const o of outcomes) {
    let t = byTopic.get(o.topic);
    if (!t) byTopic.set(o.topic, (t = { topic: o.topic, partitionResult: [] }));
    t.partitionResult.push({ partitionId: o.partition, errorCode: o.errorCode, errorMessage: o.errorMessage });
  }
  return [...byTopic.values()];
}

export const electLeadersHandler = defineHandler<ElectLeadersRequest, ElectLeadersResponse>(electLeadersApi, async (ctx, req) => {
  const electionType = ctx.apiVersion === 0 ? PREFERRED : req.electionType;
  // The controller's image is the freshest (ctx.image was captured on arrival; both are fine).
  const image = ctx.broker.controller.image;
  const { all, partitions } = requested(req, image);
  // Authorization (Kafka's): Alter on the cluster; no election without it.
  if (!allowedOnCluster(ctx, Op.ALTER)) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      replicaElectionResults: group(partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' }))),
    };
  }
  if (electionType !== PREFERRED && electionType !== UNCLEAN) {
    const message = `Unknown election type ${electionType} (0 is PREFERRED, 1 is UNCLEAN)`;
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.INVALID_REQUEST,
      replicaElectionResults: group(partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message }))),
    };
  }
  const known = partitions.filter((tp) => image.partition(tp.topic, tp.partition) !== undefined);
  const missing = partitions.filter((tp) => image.partition(tp.topic, tp.partition) === undefined).map(unknown);
  let decided = electionType === PREFERRED ? await preferred(ctx, known, req.timeoutMs) : unclean(image, known);
  if (all) decided = decided.filter((o) => o.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
  const elected = decided.filter((o) => o.errorCode === ErrorCode.NONE);
  if (elected.length > 0) {
    ctx.log.info({ electionType: electionType === PREFERRED ? 'preferred' : 'unclean', partitions: elected.map((o) => `${o.topic}-${o.partition}`) }, 'leader election completed');
  }
  // Results in request order (unknown ones where they were asked).
  const order = new Map(partitions.map((tp, i) => [`${tp.topic}\u0000${tp.partition}`, i]));
  const outcomes = [...decided, ...missing].sort((a, b) => order.get(`${a.topic}\u0000${a.partition}`)! - order.get(`${b.topic}\u0000${b.partition}`)!);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: group(outcomes) };
});
