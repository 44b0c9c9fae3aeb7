/**
 * The consumer-groups pages: the list, one group in detail (state, members and their assignments,
 * committed offset, end offset and lag per partition, total lag over time), and resetting a
 * group's offsets. Lag is end offset (high watermark) minus committed offset, as
 * kafka-consumer-groups computes it; each look at a group adds a sample to its lag history.
 */
import { tpKey } from '../client/offsets.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { HttpError, type ConsoleContext } from './context.js';
import type { GroupDetail, GroupOffsetView, GroupSummary } from './types.js';

export async function groupList(ctx: ConsoleContext): Promise<GroupSummary[]> {
  const groups = await ctx.admin.listGroups();
  return groups.map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType, coordinator: g.coordinator }));
}

export async function groupDetail(ctx: ConsoleContext, groupId: string): Promise<GroupDetail> {
  const [desc] = await ctx.admin.describeGroups([groupId]);
  if (!desc) throw new HttpError(502, `the coordinator did not describe group '${groupId}'`);
  if (desc.error) throw desc.error;
  const committed = await ctx.admin.fetchCommittedOffsets(groupId);
  if (desc.state === 'Dead' && committed.length === 0) throw new HttpError(404, `group '${groupId}' does not exist`);

  const owner = new Map<string, { memberId: string; clientId: string }>();
  for (const m of desc.members) {
    for (const a of m.assignment) for (const p of a.partitions) owner.set(tpKey(a.topic, p), { memberId: m.memberId, clientId: m.clientId });
  }
  const rows = new Map<string, { topic: string; partition: number; committed: number }>();
  for (const c of committed) rows.set(tpKey(c.topic, c.partition), { topic: c.topic, partition: c.partition, committed: c.offset });
  for (const m of desc.members) {
    for (const a of m.assignment) for (const p of a.partitions) if (!rows.has(tpKey(a.topic, p))) rows.set(tpKey(a.topic, p), { topic: a.topic, partition: p, committed: -1 });
  }
  const topics = [...new Set([...rows.values()].map((r) => r.topic))];
  const md = await ctx.client.refreshMetadata(topics);
  const offsets = await ctx.partitionOffsets(md, [...rows.values()]);
  let totalLag: number | null = 0;
  const views: GroupOffsetView[] = [...rows.values()]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((r) => {
      const end = offsets.get(tpKey(r.topic, r.partition))?.latest ?? null;
      const lag = end === null || r.committed < 0 ? null : Math.max(0, end - r.committed);
      if (end === null) totalLag = null;
      else if (totalLag !== null) totalLag += lag ?? 0;
      const o = owner.get(tpKey(r.topic, r.partition));
      return { topic: r.topic, partition: r.partition, committed: r.committed, end, lag, memberId: o?.memberId ?? null, clientId: o?.clientId ?? null };
    });
  const now = ctx.now();
  const lagHistory = [...(totalLag === null ? ctx.history.get(`lag:${groupId}`) : ctx.history.add(`lag:${groupId}`, now, totalLag))];
  // A sample too close to the last stored one is not kept, but the chart still ends at the current value.
  if (totalLag !== null && lagHistory[lagHistory.length - 1]?.[0] !== now) lagHistory.push([now, totalLag]);
  return {
    groupId,
    state: desc.state,
    protocolType: desc.protocolType,
    protocol: desc.protocol,
    coordinator: { id: desc.coordinator.nodeId, host: desc.coordinator.host, port: desc.coordinator.port },
    members: desc.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: m.assignment })),
    offsets: views,
    totalLag,
    lagHistory,
  };
}

type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: number } | { kind: 'timestamp'; timestampMs: number };

function parseTarget(body: Record<string, unknown>): ResetTarget {
  const to = body.to;
  if (to === 'earliest' || to === 'latest') return { kind: to };
  const n = Number(body.value);
  if (to === 'offset' && Number.isSafeInteger(n) && n >= 0) return { kind: 'offset', offset: n };
  if (to === 'timestamp' && Number.isSafeInteger(n) && n >= 0) return { kind: 'timestamp', timestampMs: n };
  throw new HttpError(400, 'to must be "earliest", "latest", "offset" (with a value >= 0) or "timestamp" (with a value in ms)');
}

/**
 * Moves the group's committed offsets (of `topic`, or of every topic it has committed) to the
 * target. As with kafka-consumer-groups, only a group without members may be reset: a running
 * consumer would overwrite the new offsets with its next commit.
 */
export async function resetOffsets(
  ctx: ConsoleContext,
  groupId: string,
  body: Record<string, unknown>,
): Promise<{ groupId: string; offsets: Array<{ topic: string; partition: number; offset: number }> }> {
  const target = parseTarget(body);
  const topicFilter = typeof body.topic === 'string' && body.topic !== '' ? body.topic : null;
  const [desc] = await ctx.admin.describeGroups([groupId]);
  if (!desc) throw new HttpError(502, `the coordinator did not describe group '${groupId}'`);
  if (desc.error) throw desc.error;
  if (desc.members.length > 0) {
    throw new HttpError(409, `group '${groupId}' has ${desc.members.length} active member(s) (state ${desc.state}); stop its consumers first: offsets can be reset only while a group is empty`);
  }
  const committed = (await ctx.admin.fetchCommittedOffsets(groupId)).filter((c) => topicFilter === null || c.topic === topicFilter);
  let partitions = committed.map((c) => ({ topic: c.topic, partition: c.partition }));
  if (topicFilter !== null && partitions.length === 0) {
    // A topic the group never committed: reset every partition of it.
    const md = await ctx.client.refreshMetadata([topicFilter]);
    const t = md.topics.get(topicFilter);
    if (!t || t.errorCode !== ErrorCode.NONE) throw new HttpError(404, `topic '${topicFilter}' does not exist`);
    partitions = t.partitions.map((p) => ({ topic: topicFilter, partition: p.partition }));
  }
  if (partitions.length === 0) throw new HttpError(400, `group '${groupId}' has no committed offsets; name a topic to reset`);
  let offsets: Array<{ topic: string; partition: number; offset: number }>;
  if (target.kind === 'offset') {
    offsets = partitions.map((p) => ({ ...p, offset: target.offset }));
  } else {
    const timestamp = target.kind === 'earliest' ? -2 : target.kind === 'latest' ? -1 : target.timestampMs;
    const answers = await ctx.admin.listOffsets(partitions.map((p) => ({ ...p, timestamp })));
    const latest = target.kind === 'timestamp' ? await ctx.admin.listOffsets(partitions.map((p) => ({ ...p, timestamp: -1 }))) : [];
    offsets = answers.map((a, i) => ({ topic: a.topic, partition: a.partition, offset: a.offset >= 0 ? a.offset : (latest[i]?.offset ?? 0) }));
  }
  const results = await ctx.admin.commitGroupOffsets(groupId, offsets);
  const failed = results.find((r) => r.error !== null);
  if (failed?.error) throw failed.error;
  return { groupId, offsets };
}
