/**
 * `samsa group list|describe`: consumer groups, their members, committed offsets and lag (the
 * committed offset against each partition's high watermark), like kafka-consumer-groups --describe.
 */
import { Admin } from '../../client/admin.js';
import { UnsupportedVersionError } from '../../client/errors.js';
import { LATEST_TIMESTAMP } from '../../client/offsets.js';
import { withClient, type GlobalOptions } from './connect.js';
import { c, CliError, isTTY, print, printJson, printTable } from './ui.js';

function groupsUnsupported(e: unknown): never {
  if (e instanceof UnsupportedVersionError) {
    throw new CliError(e.message, 'consumer groups need a broker with the group coordinator; upgrade the broker');
  }
  throw e;
}

export async function groupList(opts: GlobalOptions): Promise<void> {
  await withClient(opts, async (client) => {
    const groups = await new Admin(client).listGroups().catch(groupsUnsupported);
    if (opts.json) {
      printJson(groups);
      return;
    }
    if (groups.length === 0) {
      if (isTTY) print(c.dim('no consumer groups yet — `samsa topic consume <topic> -g <group>` creates one'));
      return;
    }
    printTable(
      ['GROUP', 'STATE', 'PROTOCOL-TYPE', 'COORDINATOR'],
      groups.map((g) => [g.groupId, g.state || '-', g.protocolType || '-', g.coordinator]),
    );
  });
}

export async function groupDescribe(groupIds: string[], opts: GlobalOptions): Promise<void> {
  await withClient(opts, async (client) => {
    const admin = new Admin(client);
    const described = await admin.describeGroups(groupIds).catch(groupsUnsupported);
    const out: unknown[] = [];
    for (const g of described) {
      if (g.error) throw new CliError(`group '${g.groupId}': ${g.error.message}`);
      const committed = await admin.fetchCommittedOffsets(g.groupId);
      if (g.state === 'Dead' && g.members.length === 0 && committed.length === 0) {
        throw new CliError(`consumer group '${g.groupId}' does not exist`, 'list the groups with `samsa group list`');
      }
      const owner = new Map<string, { memberId: string; clientId: string; clientHost: string }>();
      for (const m of g.members) for (const tp of m.assignment) for (const p of tp.partitions) owner.set(`${tp.topic}:${p}`, m);
      const keys = new Map<string, { topic: string; partition: number }>();
      for (const o of committed) keys.set(`${o.topic}:${o.partition}`, o);
      for (const m of g.members) for (const tp of m.assignment) for (const p of tp.partitions) keys.set(`${tp.topic}:${p}`, { topic: tp.topic, partition: p });
      const list = [...keys.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
      const ends = list.length > 0 ? await admin.listOffsets(list.map((x) => ({ ...x, timestamp: LATEST_TIMESTAMP }))).catch(() => null) : []; // no end offsets: shown as "-", the committed offsets still are
      const rows = list.map((x, i) => {
        const c0 = committed.find((o) => o.topic === x.topic && o.partition === x.partition);
        const current = c0 && c0.offset >= 0 ? c0.offset : null;
        const end = ends ? ends[i]!.offset : null;
        const m = owner.get(`${x.topic}:${x.partition}`);
        return {
          topic: x.topic,
          partition: x.partition,
          currentOffset: current,
          logEndOffset: end,
          lag: current !== null && end !== null ? Math.max(0, end - current) : null,
          memberId: m?.memberId ?? null,
          clientId: m?.clientId ?? null,
          host: m?.clientHost ?? null,
        };
      });
      if (opts.json) {
        out.push({
          group: g.groupId,
          state: g.state,
          protocolType: g.protocolType,
          protocol: g.protocol,
          coordinator: g.coordinator.nodeId,
          members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: m.assignment })),
          offsets: rows,
        });
        continue;
      }
      print(`${c.bold('GROUP')} ${g.groupId}  ${c.bold('STATE')} ${g.state}  ${c.bold('COORDINATOR')} ${g.coordinator.nodeId}  ${c.bold('MEMBERS')} ${g.members.length}`);
      print();
      if (rows.length === 0) print(c.dim('no committed offsets and no assigned partitions'));
      else {
        printTable(
          ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER-ID', 'CLIENT-ID', 'HOST'],
          rows.map((r) => [r.topic, r.partition, r.currentOffset ?? '-', r.logEndOffset ?? '-', r.lag ?? '-', r.memberId ?? '-', r.clientId ?? '-', r.host ?? '-']),
        );
      }
      print();
    }
    if (opts.json) printJson(out);
  });
}
