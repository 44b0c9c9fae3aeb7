/**
 * kafka-storage: prepares the directories of a KRaft node, as Kafka's tool does.
 *   kafka-storage random-uuid                          a new cluster id
 *   kafka-storage format -t ID -c FILE [--standalone] [--ignore-formatted] [--release-version V]
 *   kafka-storage info -c FILE
 * `format` writes meta.properties (version 1: cluster.id, directory.id, node.id) into every log dir
 * and the metadata log dir, and the single-voter quorum state into __cluster_metadata-0, so that
 * `kafka-server-start FILE` starts (the broker refuses an unformatted KRaft dir). Options take
 * Kafka's short forms too (-t, -c, -g, -s, -r). Output and exit codes follow Kafka's tool; a
 * ZooKeeper-mode file is refused with the line that says which file to use.
 */
import { readTextFileSync } from '../io/node/text-file.js';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { METADATA_PARTITION_DIR } from '../cluster/kraft/metadata-log.js';
import { isKafkaUuid, readMetaProperties, writeMetaProperties, MetaPropertiesError } from '../cluster/meta-properties.js';
import { ConfigError, loadBrokerConfig, type BrokerConfig } from '../config/broker-config.js';
import { NodeDisk } from '../io/node/disk.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { err, messageOf, out, runTool, ToolExit } from './tool/common.js';

/** The metadata.version Samsa's KRaft format reports (the features it serves are listed in docs/COMPATIBILITY.md). */
const METADATA_VERSION = '3.7-IV4';
const SHORT: Record<string, string> = { '-c': '--config', '-t': '--cluster-id', '-g': '--ignore-formatted', '-s': '--standalone', '-r': '--release-version', '-h': '--help' };

const spec: ToolSpec = {
  name: 'kafka-storage',
  summary: 'The Kafka storage tool. Commands: random-uuid, format (-t CLUSTER_ID -c FILE), info (-c FILE).',
  options: [
    { name: 'config', argName: 'String: properties file', description: 'The Kafka configuration file to use (-c).' },
    { name: 'cluster-id', argName: 'String: cluster id', description: 'The cluster ID to use, from kafka-storage random-uuid (-t).' },
    { name: 'ignore-formatted', description: 'When formatting, ignore directories that are already formatted (-g).' },
    { name: 'standalone', description: 'Format this controller as the only voter of its quorum (-s, Kafka 3.9+).' },
    { name: 'initial-controllers', argName: 'String: id@host:port:directory-id,...', description: 'The initial voters; Samsa accepts exactly one, this node.' },
    { name: 'no-initial-controllers', description: 'Format without an initial voter set (not supported: Samsa runs a single voter).' },
    { name: 'release-version', argName: 'String: version', description: `The metadata.version to record (default ${METADATA_VERSION}) (-r).` },
    { name: 'add-scram', argName: 'String: credential', multiple: true, description: 'SCRAM credentials to store (not supported yet).' },
    { name: 'feature', argName: 'String: feature=level', multiple: true, description: 'Feature levels to record (accepted, not used).' },
    { name: 'help', description: 'Print usage information.' },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

function fail(message: string): never {
  err(`${message}\n`);
  throw new ToolExit(1);
}

function loadConfig(args: ParsedArgs): { config: BrokerConfig; file: string } {
  const file = args.get('config');
  if (file === undefined) throw new UsageError('kafka-storage: error: argument --config/-c is required');
  if (!existsSync(file)) fail(`kafka-storage: cannot read ${file}: no such file`);
  if (statSync(file).isDirectory()) fail(`kafka-storage: cannot read ${file}: it is a directory, not a properties file`);
  try {
    return { config: loadBrokerConfig({ file, env: process.env, readTextFile: readTextFileSync }).config, file };
  } catch (e) {
    if (e instanceof ConfigError) fail(`kafka-storage: ${e.message}`);
    throw e;
  }
}

function directories(config: BrokerConfig): string[] {
  return [...new Set([...config.logDirs, config.metadataLogDir ?? config.logDirs[0]!])];
}

async function format(args: ParsedArgs): Promise<number> {
  const { config, file } = loadConfig(args);
  if (config.processRoles.length === 0) {
    fail(
      `The kafka configuration file appears to be for a legacy cluster. Formatting is only supported for clusters in KRaft mode. ${file} is a ZooKeeper-mode file (no process.roles${config.zookeeperConnect ? `, zookeeper.connect=${config.zookeeperConnect}` : ''}): it needs no format step. For the KRaft quickstart use config/kraft/server.properties.`,
    );
  }
  const clusterId = args.get('cluster-id');
  if (clusterId === undefined) throw new UsageError('kafka-storage: error: argument --cluster-id/-t is required');
  if (!isKafkaUuid(clusterId)) {
    fail(`Cluster ID string ${clusterId} does not appear to be a valid UUID: use the output of bin/kafka-storage random-uuid (22 characters of URL-safe base64)`);
  }
  if (args.has('add-scram')) fail('kafka-storage: --add-scram is not supported by Samsa yet (SCRAM users arrive with the security work)');
  if (args.has('no-initial-controllers')) fail('kafka-storage: --no-initial-controllers is not supported: Samsa runs KRaft with a single voter; use --standalone');
  const nodeId = config.brokerId;
  const initial = args.get('initial-controllers');
  if (initial !== undefined) {
    const voters = initial.split(',').map((s) => Number(s.split('@')[0]));
    if (voters.length !== 1 || voters[0] !== nodeId) fail(`kafka-storage: --initial-controllers ${initial}: Samsa runs KRaft with a single voter, this node (${nodeId}); use --standalone`);
  }
  const staticVoters = config.controllerQuorumVoters;
  if (staticVoters.length === 0 && !args.has('standalone') && initial === undefined) {
    fail('Because controller.quorum.voters is not set on this controller, you must specify one of the following: --standalone, --initial-controllers, or --no-initial-controllers.');
  }
  const disk = new NodeDisk();
  const now = Date.now();
  const toFormat: string[] = [];
  for (const dir of directories(config)) {
    let meta;
    try {
      meta = await readMetaProperties(disk, dir);
    } catch (e) {
      if (e instanceof MetaPropertiesError) fail(`kafka-storage: ${e.message}`);
      throw e;
    }
    if (meta !== null) {
      if (!args.has('ignore-formatted')) fail(`Log directory ${dir} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`);
      continue;
    }
    toFormat.push(dir);
  }
  if (toFormat.length === 0) {
    out('All of the log directories are already formatted.\n');
    return 0;
  }
  const metadataDir = config.metadataLogDir ?? config.logDirs[0]!;
  const release = args.get('release-version') ?? METADATA_VERSION;
  for (const dir of toFormat) {
    try {
      await writeMetaProperties(disk, dir, { version: 1, clusterId, nodeId, directoryId: randomClusterId() }, now);
      if (dir === metadataDir) {
        const partitionDir = path.join(dir, METADATA_PARTITION_DIR);
        await disk.mkdir(partitionDir);
        const state = { clusterId, leaderId: -1, leaderEpoch: 0, votedId: -1, appliedOffset: 0, currentVoters: [{ voterId: nodeId }], data_version: 0 };
        await disk.writeFileAtomic(path.join(partitionDir, 'quorum-state'), Buffer.from(JSON.stringify(state), 'utf8'));
      }
    } catch (e) {
      fail(`kafka-storage: cannot format ${dir}: ${messageOf(e)}`);
    }
    out(`Formatting ${dir} with metadata.version ${release}.\n`);
  }
  return 0;
}

async function info(args: ParsedArgs): Promise<number> {
  const { config } = loadConfig(args);
  const disk = new NodeDisk();
  const found: string[] = [];
  const problems: string[] = [];
  const metas = new Map<string, string>();
  for (const dir of directories(config)) {
    if (!existsSync(dir)) {
      problems.push(`${dir} does not exist`);
      continue;
    }
    found.push(dir);
    try {
      const meta = await readMetaProperties(disk, dir);
      if (meta === null) {
        problems.push(`${dir} is not formatted.`);
        continue;
      }
      const fields = [`cluster.id=${meta.clusterId ?? ''}`, ...(meta.directoryId ? [`directory.id=${meta.directoryId}`] : []), `${meta.version === 0 ? 'broker.id' : 'node.id'}=${meta.nodeId}`, `version=${meta.version}`];
      metas.set(dir, `{${fields.join(', ')}}`);
      if (config.processRoles.length > 0 && meta.version === 0) problems.push(`The kafka configuration file appears to be for a cluster in KRaft mode, but the directories are formatted for legacy mode.`);
      if (config.processRoles.length === 0 && meta.version === 1) problems.push(`The kafka configuration file appears to be for a legacy cluster, but the directories are formatted for a cluster in KRaft mode.`);
    } catch (e) {
      problems.push(messageOf(e));
    }
  }
  if (found.length > 0) out(`Found log director${found.length === 1 ? 'y' : 'ies'}:\n${found.map((d) => `  ${d}\n`).join('')}\n`);
  const distinct = [...new Set(metas.values())];
  if (distinct.length === 1) out(`Found metadata: ${distinct[0]}\n\n`);
  else for (const [dir, m] of metas) out(`Found metadata in ${dir}: ${m}\n`);
  if (problems.length > 0) out(`Found problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}\n`).join('')}\n`);
  return problems.length > 0 ? 1 : 0;
}

/** Kafka's Uuid.randomUuid(): 16 random bytes as URL-safe base64, never starting with '-' (it would read as an option). */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const argv = process.argv.slice(2).map((a) => SHORT[a] ?? a);
process.argv = [...process.argv.slice(0, 2), ...argv];
await runTool(spec, async (args) => {
  const [command, ...extra] = args.positional;
  if (extra.length > 0) throw new UsageError(`kafka-storage: error: unrecognized arguments: '${extra.join(' ')}'`);
  switch (command) {
    case 'random-uuid':
      out(`${randomClusterId()}\n`);
      return 0;
    case 'format':
      return format(args);
    case 'info':
      return info(args);
    case undefined:
      throw new UsageError('kafka-storage: error: too few arguments: give a command (random-uuid, format, info)');
    default:
      throw new UsageError(`kafka-storage: error: argument command: invalid choice: '${command}' (choose from 'info', 'format', 'random-uuid')`);
  }
});
