/**
 * The identity checks a broker makes on its directories before it serves, and the one-line
 * messages for the start-up failures a user can fix (Broker.start turns them into StartupErrors):
 *
 * - KRaft mode (process.roles): every log dir and the metadata dir must have been formatted by
 *   `kafka-storage format` (meta.properties version 1), all for one cluster and for this node.id.
 * - ZooKeeper mode: a dir formatted for KRaft is refused; meta.properties version 0 (broker.id,
 *   cluster.id) is written at the first start, once the cluster id is known from ZooKeeper, and
 *   checked at every later start, so a broker pointed at another ZooKeeper or given another
 *   broker.id refuses to mix two clusters' data (Kafka's InconsistentClusterIdException and
 *   InconsistentBrokerIdException, with Kafka's wording).
 * - Embedded mode (`npm start`, `samsa start`): no checks; its identity lives in its metadata file.
 */
import path from 'node:path';
import type { BrokerConfig } from '../config/broker-config.js';
import { diskErrorCode, type Disk } from '../io/disk.js';
import { StartupError } from '../startup-error.js';
import { METADATA_PARTITION_DIR } from './kraft/metadata-log.js';
import { MetaPropertiesError, readMetaProperties, writeMetaProperties, type MetaProperties } from './meta-properties.js';

export type BrokerMode = 'zookeeper' | 'kraft' | 'embedded';

/** Where a KRaft node keeps its metadata log: metadata.log.dir, else the first log dir (Kafka's rule). */
export function metadataDir(config: BrokerConfig): string {
  return config.metadataLogDir ?? config.logDirs[0]!;
}

function logDirsKey(config: BrokerConfig): string {
  return config.raw.has('log.dirs') ? 'log.dirs' : 'log.dir';
}

const FORMAT_HINT = 'bin/kafka-storage format -t "$(bin/kafka-storage random-uuid)" -c config/kraft/server.properties';

export function lockedDirMessage(dir: string, holder: string | undefined, config: BrokerConfig): string {
  return `log dir ${dir} (${logDirsKey(config)}) is in use by ${holder ?? 'another process'}: another broker is running on the same directory; stop it, or give each broker its own ${logDirsKey(config)}`;
}

/** One line for a directory the broker cannot use, or null when `err` is not such a problem. */
export function logDirProblem(err: unknown, dir: string, config: BrokerConfig): string | null {
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EEXIST: 'a file of that name is in the way',
    ENOSPC: 'the disk is full',
    EIO: 'the disk reports an I/O error',
  };
  const reason = reasons[diskErrorCode(err) ?? ''];
  if (reason === undefined) return null;
  return `cannot use log dir ${dir} (${logDirsKey(config)}): ${reason}; choose a directory this user can write, e.g. --override ${logDirsKey(config)}=/tmp/samsa-logs`;
}

async function readMeta(disk: Disk, dir: string): Promise<MetaProperties | null> {
  try {
    return await readMetaProperties(disk, dir);
  } catch (err) {
    if (err instanceof MetaPropertiesError) throw new StartupError(`${err.message}; fix or remove it (removing it in KRaft mode means formatting the dir again)`);
    throw err;
  }
}

/** KRaft mode: checks that `dirs` were formatted for one cluster and this node; returns the cluster id. */
export async function checkKraftDirs(disk: Disk, config: BrokerConfig, dirs: string[]): Promise<{ clusterId: string }> {
  let clusterId: string | null = null;
  let clusterIdDir = '';
  for (const dir of dirs) {
    const meta = await readMeta(disk, dir);
    if (meta === null) {
      throw new StartupError(`No meta.properties found in ${dir} (have you run kafka-storage to format the directory?): run ${FORMAT_HINT}, using this broker's properties file`);
    }
    if (meta.version === 0) {
      throw new StartupError(`${dir} was used by a ZooKeeper-mode broker (meta.properties version 0), not formatted for KRaft; give this KRaft node a fresh ${logDirsKey(config)} and run ${FORMAT_HINT}`);
    }
    if (meta.nodeId !== config.brokerId) {
      throw new StartupError(`Stored node id ${meta.nodeId} doesn't match node.id=${config.brokerId} in ${path.join(dir, 'meta.properties')}; set node.id=${meta.nodeId}, or format a fresh directory for node ${config.brokerId}`);
    }
    if (clusterId !== null && meta.clusterId !== clusterId) {
      throw new StartupError(`${dir} belongs to cluster ${meta.clusterId} but ${clusterIdDir} to cluster ${clusterId}; format every directory with the same -t <cluster id>`);
    }
    clusterId = meta.clusterId;
    clusterIdDir = dir;
  }
  if (config.controllerQuorumVoters.length === 0) {
    // Kafka 3.8+ style (controller.quorum.bootstrap.servers): the voter set was written by format --standalone.
    const quorumState = path.join(metadataDir(config), METADATA_PARTITION_DIR, 'quorum-state');
    if ((await disk.stat(quorumState)) === null) {
      throw new StartupError(
        `controller.quorum.voters is not set and ${metadataDir(config)} has no voter set: format it as a single-node quorum with bin/kafka-storage format --standalone -t <cluster id> -c <this file>`,
      );
    }
  }
  return { clusterId: clusterId! };
}

/**
 * ZooKeeper mode: checks the dirs before connecting (KRaft-formatted dirs and another broker.id
 * are refused) and returns `afterClusterId`, which checks the cluster id ZooKeeper holds against
 * the stored one and writes meta.properties where it is missing.
 */
export async function checkZkDir(disk: Disk, config: BrokerConfig): Promise<{ afterClusterId(clusterId: string, nowMs: number): Promise<void> }> {
  const metas = new Map<string, MetaProperties | null>();
  for (const dir of config.logDirs) {
    const meta = await readMeta(disk, dir);
    if (meta?.version === 1) {
      throw new StartupError(
        `${dir} is formatted for KRaft mode (kafka-storage format), but this broker runs with ZooKeeper (zookeeper.connect=${config.zookeeperConnect}); give it another ${logDirsKey(config)}, or start it with the KRaft file config/kraft/server.properties`,
      );
    }
    if (meta !== null && meta.nodeId >= 0 && meta.nodeId !== config.brokerId) {
      throw new StartupError(
        `Configured broker.id ${config.brokerId} doesn't match stored broker.id ${meta.nodeId} in ${path.join(dir, 'meta.properties')}. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (${logDirsKey(config)}).`,
      );
    }
    metas.set(dir, meta);
  }
  return {
    async afterClusterId(clusterId: string, nowMs: number): Promise<void> {
      for (const [dir, meta] of metas) {
        if (meta?.clusterId != null && meta.clusterId !== clusterId) {
          throw new StartupError(
            `The Cluster ID ${clusterId} doesn't match stored clusterId ${meta.clusterId} in ${path.join(dir, 'meta.properties')}. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong (${config.zookeeperConnect}).`,
          );
        }
      }
      for (const [dir, meta] of metas) {
        if (meta?.clusterId === clusterId && meta.nodeId === config.brokerId) continue;
        try {
          await writeMetaProperties(disk, dir, { version: 0, clusterId, nodeId: config.brokerId, directoryId: null }, nowMs);
        } catch (err) {
          const problem = logDirProblem(err, dir, config);
          if (problem !== null) throw new StartupError(problem);
          throw err;
        }
      }
    },
  };
}

/** One line for a listener that cannot be bound, or null when `err` is not such a problem. */
export function listenProblem(err: unknown, listener: { name: string; host: string; port: number }, config: BrokerConfig): string | null {
  const key = config.raw.has('listeners') ? 'listeners' : config.raw.has('port') ? 'port' : 'listeners (default PLAINTEXT://:9092)';
  const where = `${listener.name}://${listener.host.includes(':') ? `[${listener.host}]` : listener.host}:${listener.port}`;
  switch (diskErrorCode(err)) {
    case 'EADDRINUSE':
      return `cannot listen on ${where} (${key}): the port is already in use — is another broker (or Kafka) running? Stop it (bin/kafka-server-stop), or give this broker another port in listeners (or port=)`;
    case 'EACCES':
      return `cannot listen on ${where} (${key}): permission denied (ports below 1024 need root); use a port above 1024, e.g. ${listener.name}://${listener.host}:9092`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where} (${key}): ${listener.host} is not an address of this machine; leave the host empty (${listener.name}://:${listener.port}) to listen on every interface`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where} (${key}): the host name ${listener.host} does not resolve; use an address of this machine or leave the host empty`;
    default:
      return null;
  }
}

/** One line for an admin HTTP listener (admin.listeners) that cannot be bound, or null when the error is not a user's to fix. */
export function adminListenProblem(err: unknown, listener: { host: string; port: number }): string | null {
  const where = `http://${listener.host.includes(':') ? `[${listener.host}]` : listener.host}:${listener.port}`;
  switch (diskErrorCode(err)) {
    case 'EADDRINUSE':
      return `cannot listen on ${where} (admin.listeners): the address is already in use — is another broker running? Give this broker another admin port (admin.listeners=http://127.0.0.1:0 picks a free one), or admin.listeners= (empty) to turn the admin listener off`;
    case 'EACCES':
      return `cannot listen on ${where} (admin.listeners): permission denied (ports below 1024 need root); use a port above 1024, e.g. http://127.0.0.1:9644`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where} (admin.listeners): ${listener.host} is not an address of this machine; use 127.0.0.1, or an empty host for every interface`;
    default:
      return null;
  }
}
