/**
 * meta.properties: the identity file Kafka keeps in every log directory, in Java properties form.
 * It ties a directory to one cluster and one node, so a broker pointed at the wrong ZooKeeper, or a
 * directory copied from another node, is refused at start instead of mixing two clusters' data.
 *
 *   version=0            ZooKeeper mode: broker.id, cluster.id (written at the first start)
 *   version=1            KRaft mode: node.id, cluster.id, directory.id (written by kafka-storage format)
 *
 * Written atomically through Disk (temp file, fsync, rename). Read by the broker at start
 * (broker.ts), by `kafka-storage format|info` (cli/kafka-storage.ts) and by nothing else.
 */
import path from 'node:path';
import { diskErrorCode, type Disk } from '../io/disk.js';
import { parsePropertiesToMap } from '../config/properties.js';

export const META_PROPERTIES_FILE = 'meta.properties';

export interface MetaProperties {
  version: 0 | 1;
  clusterId: string | null;
  /** broker.id (version 0) or node.id (version 1). */
  nodeId: number;
  /** KRaft (version 1) only: a random id of this directory (Kafka 3.7+, KIP-858). */
  directoryId: string | null;
}

/** Thrown when a meta.properties file exists but cannot be understood. */
export class MetaPropertiesError extends Error {
  override name = 'MetaPropertiesError';
}

/** Reads `<dir>/meta.properties`; null when the directory has none. */
export async function readMetaProperties(disk: Disk, dir: string): Promise<MetaProperties | null> {
  const file = path.join(dir, META_PROPERTIES_FILE);
  let text: string;
  try {
    text = (await disk.readFile(file)).toString('utf8');
  } catch (err) {
    const code = diskErrorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // not formatted / not started here yet
    throw err;
  }
  let props: Map<string, string>;
  try {
    props = parsePropertiesToMap(text, file);
  } catch (err) {
    throw new MetaPropertiesError(`${file} is not a valid properties file: ${(err as Error).message}`);
  }
  const version = props.get('version')?.trim();
  if (version !== '0' && version !== '1') throw new MetaPropertiesError(`${file} has version=${version ?? '(missing)'}; Samsa reads versions 0 and 1`);
  const idKey = version === '0' ? 'broker.id' : 'node.id';
  const idText = props.get(idKey)?.trim();
  // A version-0 file written before the broker id was known may lack broker.id; Kafka tolerates it.
  if (idText === undefined && version === '1') throw new MetaPropertiesError(`${file} has no ${idKey}`);
  const nodeId = idText === undefined ? -1 : Number(idText);
  if (!Number.isInteger(nodeId)) throw new MetaPropertiesError(`${file} has ${idKey}=${idText}, not an integer`);
  const clusterId = props.get('cluster.id')?.trim() || null;
  if (version === '1' && clusterId === null) throw new MetaPropertiesError(`${file} has no cluster.id`);
  return { version: Number(version) as 0 | 1, clusterId, nodeId, directoryId: props.get('directory.id')?.trim() || null };
}

/** Writes `<dir>/meta.properties` (creating the directory), replacing any earlier file atomically. */
export async function writeMetaProperties(disk: Disk, dir: string, meta: MetaProperties, nowMs: number): Promise<void> {
  const lines = ['#', `#${new Date(nowMs).toUTCString()}`];
  if (meta.clusterId !== null) lines.push(`cluster.id=${meta.clusterId}`);
  if (meta.directoryId !== null) lines.push(`directory.id=${meta.directoryId}`);
  lines.push(meta.version === 0 ? `broker.id=${meta.nodeId}` : `node.id=${meta.nodeId}`);
  lines.push(`version=${meta.version}`);
  await disk.mkdir(dir);
  await disk.writeFileAtomic(path.join(dir, META_PROPERTIES_FILE), Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
}

/** Kafka's Uuid.toString(): URL-safe base64 of 16 bytes, no padding (22 characters). */
export function isKafkaUuid(text: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(text) && Buffer.from(text, 'base64url').length === 16;
}
