/**
 * kafka-metadata-quorum: describes the KRaft metadata quorum, with Kafka 3.x's commands and output:
 *   kafka-metadata-quorum --bootstrap-server HOST:PORT describe --status
 *   kafka-metadata-quorum --bootstrap-server HOST:PORT describe --replication [--human-readable]
 * (--bootstrap-controller, KIP-919, reaches the controller listener instead; on a combined node it
 * is the same process). Against a ZooKeeper-mode cluster it says there is no metadata quorum.
 */
import { Admin, type QuorumInfo, type QuorumReplica } from '../client/admin.js';
import { KafkaClient } from '../client/client.js';
import { ParsedArgs, UsageError, type ToolSpec } from './tool/args.js';
import { adminClientOptions, BootstrapError, ConfigFileError, exceptionName, messageOf, out, err, runTool } from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-metadata-quorum',
  summary: 'This tool describes kraft metadata quorum status. Command: describe (--status | --replication).',
  options: [
    { name: 'bootstrap-server', argName: 'String: server to connect to', description: 'A comma-separated list of host:port pairs to use for establishing the connection to the Kafka cluster.' },
    { name: 'bootstrap-controller', argName: 'String: controller to connect to', description: 'A comma-separated list of host:port pairs to use for establishing the connection to the KRaft quorum.' },
    { name: 'command-config', argName: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'status', description: 'With describe: a summary of the quorum (leader, epoch, high watermark, voters, observers).' },
    { name: 'replication', description: 'With describe: the state of each replica of the metadata partition.' },
    { name: 'human-readable', description: 'With describe --replication: timestamps as "N ms ago".' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

function statusLines(clusterId: string, q: QuorumInfo, nowMs: number): string {
  const maxLag = Math.max(0, ...q.voters.map((v) => q.highWatermark - v.logEndOffset));
  const caughtUp = q.voters.map((v) => v.lastCaughtUpTimestamp).filter((t) => t >= 0);
  const maxLagTimeMs = caughtUp.length === 0 ? 0 : Math.max(0, nowMs - Math.min(...caughtUp));
  const rows: Array<[string, string]> = [
    ['ClusterId:', clusterId],
    ['LeaderId:', String(q.leaderId)],
    ['LeaderEpoch:', String(q.leaderEpoch)],
    ['HighWatermark:', String(q.highWatermark)],
    ['MaxFollowerLag:', String(maxLag)],
    ['MaxFollowerLagTimeMs:', String(q.leaderId >= 0 && q.voters.length === 1 ? 0 : maxLagTimeMs)],
    ['CurrentVoters:', `[${q.voters.map((v) => v.replicaId).join(',')}]`],
    ['CurrentObservers:', `[${q.observers.map((v) => v.replicaId).join(',')}]`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(24)}${v}\n`).join('');
}

function replicationTable(q: QuorumInfo, nowMs: number, humanReadable: boolean): string {
  const when = (t: number): string => (t < 0 ? 'N/A' : humanReadable ? `${Math.max(0, nowMs - t)} ms ago` : String(t));
  const row = (r: QuorumReplica, status: string): string[] => [String(r.replicaId), String(r.logEndOffset), String(Math.max(0, q.highWatermark - r.logEndOffset)), when(r.lastFetchTimestamp), when(r.lastCaughtUpTimestamp), status];
  const leader = q.voters.filter((v) => v.replicaId === q.leaderId);
  const rows = [
    ['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'],
    ...leader.map((v) => row(v, 'Leader')),
    ...q.voters.filter((v) => v.replicaId !== q.leaderId).map((v) => row(v, 'Follower')),
    ...q.observers.map((v) => row(v, 'Observer')),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 1))).join('')}\n`).join('');
}

async function main(args: ParsedArgs): Promise<number> {
  const [command, ...extra] = args.positional;
  if (command !== 'describe') throw new UsageError(command === undefined ? 'kafka-metadata-quorum: error: too few arguments: give the command describe' : `kafka-metadata-quorum: error: invalid choice: '${command}' (choose from 'describe')`);
  if (extra.length > 0) throw new UsageError(`kafka-metadata-quorum: error: unrecognized arguments: '${extra.join(' ')}'`);
  if (args.has('status') === args.has('replication')) throw new UsageError('kafka-metadata-quorum: error: one of the arguments --status --replication is required');
  if (args.has('bootstrap-server') && args.has('bootstrap-controller')) throw new UsageError('kafka-metadata-quorum: error: only one of --bootstrap-server or --bootstrap-controller can be set');
  if (!args.has('bootstrap-server') && !args.has('bootstrap-controller')) throw new UsageError('kafka-metadata-quorum: error: one of --bootstrap-server or --bootstrap-controller must be set');
  let client: KafkaClient | undefined;
  try {
    // A combined node serves the quorum on its broker listener too, so both options bootstrap the same way.
    const bootstrapArgs = args.has('bootstrap-controller')
      ? new ParsedArgs(new Map([...args.values, ['bootstrap-server', args.all('bootstrap-controller')]]), args.positional, args.argv)
      : args;
    const options = await adminClientOptions(bootstrapArgs, 'kafka-metadata-quorum');
    client = new KafkaClient(options);
    const admin = new Admin(client);
    const quorum = await admin.describeQuorum();
    const nowMs = Date.now();
    if (args.has('status')) {
      const cluster = await admin.describeCluster();
      out(statusLines(cluster.clusterId ?? '', quorum, nowMs));
    } else {
      out(replicationTable(quorum, nowMs, args.has('human-readable')));
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof BootstrapError || e instanceof ConfigFileError) {
      err(`${messageOf(e)}\n`);
      return 1;
    }
    err(`${exceptionName(e)}: ${messageOf(e)}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
