/**
 * `samsa topic elect-leaders [name…] [-p n…] [--unclean]`: leader election on demand (ElectLeaders,
 * like bin/kafka-leader-election). Without names every partition of the cluster is asked for and
 * only those that needed an election are shown. One row per partition: elected (with the new
 * leader), already led by its preferred replica, or why not; --json for scripts. Exit 1 if any
 * partition could not be elected.
 */
import type { KafkaClient } from '../../client/client.js';
import { KafkaError } from '../../client/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { electLeadersApi, type ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import { withClient, type GlobalOptions } from './connect.js';
import { c, CliError, print, printJson, printTable } from './ui.js';

interface ElectOptions extends GlobalOptions {
  partition?: string[];
  unclean?: boolean;
}

async function send(client: KafkaClient, body: object): Promise<ElectLeadersResponse> {
  return client.retry(async () => {
    const md = await client.refreshMetadata([]);
    const res =
      md.controllerId >= 0 && client.brokers.has(md.controllerId)
        ? await client.requestNode<ElectLeadersResponse>(md.controllerId, electLeadersApi, body, { timeoutMs: 60_000 })
        : await client.requestAny<ElectLeadersResponse>(electLeadersApi, body, { timeoutMs: 60_000 });
    if (res.replicaElectionResults.some((t) => t.partitionResult.some((p) => p.errorCode === ErrorCode.NOT_CONTROLLER))) throw new KafkaError(ErrorCode.NOT_CONTROLLER);
    return res;
  });
}

export async function topicElectLeaders(names: string[], opts: ElectOptions): Promise<void> {
  const only = (opts.partition ?? []).map((p) => {
    if (!/^\d+$/.test(p.trim())) throw new CliError(`--partition must be a whole number ≥ 0, got '${p}'`);
    return Number(p);
  });
  if (only.length > 0 && names.length === 0) throw new CliError('--partition needs a topic name', 'for example: samsa topic elect-leaders orders -p 0');
  await withClient(opts, async (client) => {
    let topicPartitions: Array<{ topic: string; partitions: number[] }> | null = null;
    if (names.length > 0) {
      topicPartitions = [];
      for (const name of names) {
        let partitions = only;
        if (partitions.length === 0) {
          try {
            partitions = (await client.topicMetadata(name, { refresh: true })).partitions.map((p) => p.partition);
          } catch (e) {
            if (e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
              throw new CliError(`topic '${name}' does not exist`, 'see the topics there are with `samsa topic list`');
            }
            throw e;
          }
        }
        topicPartitions.push({ topic: name, partitions });
      }
    }
    const res = await send(client, { electionType: opts.unclean ? 1 : 0, topicPartitions, timeoutMs: 30_000 });
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(new KafkaError(res.errorCode).message);
    const md = await client.refreshMetadata(null).catch(() => null); // best effort: only to show the new leaders
    const rows = res.replicaElectionResults.flatMap((t) =>
      t.partitionResult.map((p) => {
        const leader = md?.topics.get(t.topic)?.partitions.find((x) => x.partition === p.partitionId)?.leader ?? -1;
        const status = p.errorCode === ErrorCode.NONE ? 'elected' : p.errorCode === ErrorCode.ELECTION_NOT_NEEDED ? 'not needed' : 'failed';
        const error = status === 'failed' ? new KafkaError(p.errorCode, p.errorMessage).message : null;
        return { topic: t.topic, partition: p.partitionId, status, leader, error };
      }),
    );
    if (opts.json) printJson(rows.map((r) => ({ topic: r.topic, partition: r.partition, status: r.status, leader: r.leader, ...(r.error ? { error: r.error } : {}) })));
    else if (rows.length === 0) print(`${c.green('✓')} every partition is led by its ${opts.unclean ? 'elected' : 'preferred'} replica already`);
    else {
      printTable(
        ['TOPIC', 'PARTITION', 'LEADER', 'RESULT'],
        rows.map((r) => [r.topic, r.partition, r.leader < 0 ? 'none' : r.leader, r.error ? c.red(r.error) : r.status === 'elected' ? c.green('elected') : c.dim(opts.unclean ? 'has a leader' : 'already preferred')]),
      );
    }
    if (rows.some((r) => r.error)) process.exitCode = 1;
  });
}
