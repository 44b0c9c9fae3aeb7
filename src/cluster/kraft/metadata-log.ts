/**
 * The KRaft single-node metadata log: where a `process.roles=broker,controller` node keeps its
 * cluster metadata, durably, in its metadata log dir — `<metadata.log.dir>/__cluster_metadata-0/`,
 * the directory Kafka uses — as an ordinary Kafka-format partition log (so `kafka-dump-log` reads
 * it), next to a `quorum-state` file holding the voter set and the leader epoch.
 *
 * Format, by design simpler than Kafka's delta records while there is one voter: every change
 * appends one record batch with one record, key `state`, value the controller's whole state
 * document (the JSON that EmbeddedController keeps), fsynced before the change is acknowledged.
 * The newest record is the state; older segments are dropped (retention keeps the active segment,
 * which always holds the newest record because a roll happens before an append). The built-in
 * Raft quorum (a later issue) replaces whole-state records with replicated delta records in this
 * same directory and keeps these files and tools.
 *
 *   quorum-state (JSON, rewritten atomically at every start): {"clusterId", "leaderId",
 *   "leaderEpoch", "votedId", "appliedOffset", "currentVoters": [{"voterId"}], "data_version": 0}
 *
 * Lifecycle: `MetadataLog.open()` at broker start (after meta.properties was checked), bumps the
 * leader epoch (a single voter elects itself at every start, as Kafka's does), `close()` at stop.
 * Owned by Broker; used by EmbeddedController through the MetadataStore interface.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Clock } from '../../io/clock.js';
import { diskErrorCode, type Disk } from '../../io/disk.js';
import { BATCH_LENGTH_PREFIX_BYTES } from '../../protocol/records/batch.js';
import { buildRecordBatchSync, readRecordsSync } from '../../protocol/records/builder.js';
import { defaultLogConfig, type LogConfig } from '../../storage/log-config.js';
import { PartitionLog } from '../../storage/partition-log.js';
import { StartupError } from '../../startup-error.js';
import type { MetadataStore } from '../embedded-controller.js';

export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION_DIR = `${METADATA_TOPIC}-0`;
const QUORUM_STATE_FILE = 'quorum-state';
const STATE_KEY = Buffer.from('state', 'utf8');
/** Reads of the active segment at open go in steps of this many bytes (at least one whole batch each). */
const READ_STEP_BYTES = 1 << 20;

const METADATA_LOG_CONFIG: LogConfig = {
  ...defaultLogConfig,
  segmentBytes: 1 << 20,
  segmentMs: Number.MAX_SAFE_INTEGER,
  retentionMs: -1,
  retentionBytes: 0, // everything but the active segment goes (see the header)
  flushIntervalMessages: 1,
  fileDeleteDelayMs: 0,
};

export interface QuorumState {
  clusterId: string;
  leaderId: number;
  leaderEpoch: number;
  votedId: number;
  appliedOffset: number;
  currentVoters: Array<{ voterId: number }>;
  data_version: 0;
}

export interface QuorumStatus {
  clusterId: string;
  leaderId: number;
  leaderEpoch: number;
  /** The metadata log's end offset: with one voter, everything appended is committed. */
  highWatermark: number;
  voters: number[];
  /** Wall-clock time of the last append (ms), or of the start when nothing was appended since. */
  lastAppendMs: number;
}

export class MetadataLog implements MetadataStore {
  #lastAppendMs: number;

  private constructor(
    private readonly log: PartitionLog,
    private readonly clock: Clock,
    private readonly state: QuorumState,
  ) {
    this.#lastAppendMs = clock.nowMs();
  }

  /**
   * Opens (creating when missing) the metadata log of node `nodeId` in `metadataLogDir` for
   * cluster `clusterId`, with the single voter `nodeId`, and takes a new leader epoch.
   */
  static async open(opts: { disk: Disk; clock: Clock; metadataLogDir: string; clusterId: string; nodeId: number }): Promise<MetadataLog> {
    const dir = path.join(opts.metadataLogDir, METADATA_PARTITION_DIR);
    await opts.disk.mkdir(dir);
    const previous = await readQuorumState(opts.disk, dir);
    if (previous !== null && previous.clusterId !== '' && previous.clusterId !== opts.clusterId) {
      throw new StartupError(
        `${path.join(dir, QUORUM_STATE_FILE)} belongs to cluster ${previous.clusterId}, not ${opts.clusterId} (meta.properties): the directory holds another cluster's metadata; restore its meta.properties or format a fresh directory`,
      );
    }
    const state: QuorumState = {
      clusterId: opts.clusterId,
      leaderId: opts.nodeId,
      leaderEpoch: (previous?.leaderEpoch ?? 0) + 1,
      votedId: opts.nodeId,
      appliedOffset: 0,
      currentVoters: [{ voterId: opts.nodeId }],
      data_version: 0,
    };
    const log = await PartitionLog.open({ disk: opts.disk, clock: opts.clock, dir, topic: METADATA_TOPIC, partition: 0, config: METADATA_LOG_CONFIG });
    const metadataLog = new MetadataLog(log, opts.clock, state);
    state.appliedOffset = log.logEndOffset;
    await opts.disk.writeFileAtomic(path.join(dir, QUORUM_STATE_FILE), Buffer.from(JSON.stringify(state), 'utf8'));
    return metadataLog;
  }

  /** The newest state document, or null when nothing was ever written. */
  async load(): Promise<string | null> {
    let offset = this.log.logStartOffset;
    let newest: Buffer | null = null;
    while (offset < this.log.logEndOffset) {
      const { records } = await this.log.read(offset, READ_STEP_BYTES, { minOneMessage: true });
      if (records.length === 0) break;
      // Whole batches only (a read may end inside one): [baseOffset int64][length int32][length bytes].
      for (let at = 0; at + BATCH_LENGTH_PREFIX_BYTES <= records.length; ) {
        const end = at + BATCH_LENGTH_PREFIX_BYTES + records.readInt32BE(at + 8);
        if (end > records.length) break;
        for (const r of readRecordsSync(records.subarray(at, end))) {
          if (r.key !== null && r.key.equals(STATE_KEY) && r.value !== null) newest = Buffer.from(r.value);
          offset = r.offset + 1;
        }
        at = end;
      }
    }
    return newest === null ? null : newest.toString('utf8');
  }

  /** Appends the new state document and fsyncs it; then drops segments that only hold older states. */
  async save(document: string): Promise<void> {
    const nowMs = this.clock.nowMs();
    const batch = buildRecordBatchSync({ records: [{ key: STATE_KEY, value: Buffer.from(document, 'utf8'), timestampMs: nowMs }], partitionLeaderEpoch: this.state.leaderEpoch });
    await this.log.appendAsLeader(batch, { leaderEpoch: this.state.leaderEpoch });
    await this.log.flush();
    this.#lastAppendMs = nowMs;
    await this.log.applyRetention();
    assert.ok(this.log.logEndOffset > this.log.logStartOffset, 'the newest state survives retention');
  }

  status(): QuorumStatus {
    return {
      clusterId: this.state.clusterId,
      leaderId: this.state.leaderId,
      leaderEpoch: this.state.leaderEpoch,
      highWatermark: this.log.logEndOffset,
      voters: this.state.currentVoters.map((v) => v.voterId),
      lastAppendMs: this.#lastAppendMs,
    };
  }

  async close(): Promise<void> {
    await this.log.close({ flush: true });
  }
}

async function readQuorumState(disk: Disk, dir: string): Promise<QuorumState | null> {
  const file = path.join(dir, QUORUM_STATE_FILE);
  let text: string;
  try {
    text = (await disk.readFile(file)).toString('utf8');
  } catch (err) {
    if (diskErrorCode(err) === 'ENOENT') return null; // a new metadata log
    throw err;
  }
  try {
    const state = JSON.parse(text) as QuorumState;
    if (typeof state.clusterId !== 'string' || !Number.isInteger(state.leaderEpoch)) throw new Error('missing clusterId or leaderEpoch');
    return state;
  } catch (err) {
    throw new StartupError(`${file} is damaged (${(err as Error).message}); restore it from a backup, or format the node again`);
  }
}
