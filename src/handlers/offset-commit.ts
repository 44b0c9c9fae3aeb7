/**
 * OffsetCommit (v0-8): stores consumer positions in `__consumer_offsets`. Members commit with
 * their generation; generation -1 commits ("standalone": assign() + commit(), admin tools) are
 * accepted for groups without members (see coordinator/group/offset-manager.ts for every rule).
 * v1 may carry a commit timestamp; v2-4's retentionTimeMs is accepted and ignored (offsets expire by
 * offsets.retention.minutes once the group is empty, as in Kafka 2.1+ with the default -1).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { offsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponse } from '../protocol/messages/offset-commit.js';
import { allPartitions, type CommitRequest, type PartitionResults } from '../coordinator/group/offset-manager.js';
import { defineHandler } from './handler.js';
import { allowed, deniedNames, Op, Res } from './authz.js';

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>(offsetCommitApi, async (ctx, req) => {
  const v = ctx.apiVersion;
  const groups = ctx.broker.groupCoordinator;
  if (!groups) return { throttleTimeMs: 0, topics: allPartitions(req.topics, ErrorCode.COORDINATOR_NOT_AVAILABLE) };
  // Authorization (Kafka's): Read on the group, else every partition GROUP_AUTHORIZATION_FAILED;
  // Read on each topic, else its partitions TOPIC_AUTHORIZATION_FAILED and nothing of them committed.
  if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, topics: allPartitions(req.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const deniedTopics = deniedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
  if (deniedTopics.size > 0) {
    const refused = allPartitions(req.topics.filter((t) => deniedTopics.has(t.name)), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const rest = await offsetCommitHandler.handle(ctx, { ...req, topics: req.topics.filter((t) => !deniedTopics.has(t.name)) });
    const r = rest as OffsetCommitResponse;
    return { throttleTimeMs: 0, topics: [...refused, ...r.topics] };
  }
  const results = await commitSafeOffsets(
    req.topics,
    (p) => ({ committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1, commitTimestampMs: v === 1 ? Number(p.commitTimestamp) : -1 }),
    (topics) =>
      groups.commitOffsets({
        groupId: req.groupId,
        generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: v >= 1 ? req.memberId : '',
        groupInstanceId: v >= 7 ? req.groupInstanceId : null,
        topics,
      }),
  );
  return { throttleTimeMs: 0, topics: results };
});

/**
 * Commits through `commit` the offsets that can be log positions; offsets beyond 2^53 cannot be a
 * position in any log we hold and answer INVALID_COMMIT_OFFSET_SIZE in their topic's results.
 * OffsetCommit and TxnOffsetCommit share it; `fields` gives the version-dependent partition fields.
 */
export async function commitSafeOffsets<P extends { partitionIndex: number; committedOffset: bigint; committedMetadata: string | null }>(
  requested: ReadonlyArray<{ name: string; partitions: readonly P[] }>,
  fields: (p: P) => { committedLeaderEpoch: number; commitTimestampMs: number },
  commit: (topics: CommitRequest['topics']) => Promise<PartitionResults>,
): Promise<PartitionResults> {
  const invalid: Array<{ name: string; partitionIndex: number }> = [];
  const topics = requested.map((t) => ({
    name: t.name,
    partitions: t.partitions.flatMap((p) => {
      const committedOffset = Number(p.committedOffset);
      if (!Number.isSafeInteger(committedOffset)) {
        invalid.push({ name: t.name, partitionIndex: p.partitionIndex });
        return [];
      }
      return [{ partitionIndex: p.partitionIndex, committedOffset, ...fields(p), committedMetadata: p.committedMetadata }];
    }),
  }));
  const results = await commit(topics);
  for (const bad of invalid) {
    const topic = results.find((t) => t.name === bad.name);
    topic?.partitions.push({ partitionIndex: bad.partitionIndex, errorCode: ErrorCode.INVALID_COMMIT_OFFSET_SIZE });
  }
  return results;
}
