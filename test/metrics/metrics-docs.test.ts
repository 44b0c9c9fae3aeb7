/**
 * Goal: docs/METRICS.md lists every series family /metrics can expose, and nothing it cannot —
 * with every optional family switched on (ZooKeeper mode, a group, per-partition log metrics,
 * requests of several kinds, the process).
 *
 * Method: collectMetrics over hand-built sources that light up every family (no broker needed),
 * parsed strictly; the families' names (as the 0.0.4 TYPE lines spell them) are compared with the
 * backticked names in the first column of the document's tables.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { MetadataImage, type TopicInfo } from '../../src/cluster/metadata-image.js';
import { FixedProcessStats } from '../../src/io/sim/fixed-process-stats.js';
import { BrokerMetrics } from '../../src/metrics/broker-metrics.js';
import { collectMetrics, type MetricsSources } from '../../src/metrics/collect.js';
import { RequestTiming } from '../../src/metrics/request-metrics.js';
import { ZkMetrics } from '../../src/metrics/zk-metrics.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Partition } from '../../src/replication/partition.js';
import { parseExposition, valueOf } from './prom-parser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function fullSources(): MetricsSources {
  const metrics = new BrokerMetrics(pino({ level: 'silent' }), () => ({ slowRequestThresholdMs: -1, requestLogSampleRate: 0 }), { uuid: () => '', int: () => 0, base64Id: () => '' });
  metrics.zk = new ZkMetrics();
  metrics.recordProduced('t', 100, 3);
  metrics.recordProduceRequest('t', false);
  const t = new RequestTiming(ApiKey.Produce, 9, 1, 0, 50);
  t.handlerStartMs = 1;
  t.handlerDoneMs = 2;
  metrics.requests.countErrors(t, { responses: [{ partitionResponses: [{ errorCode: 0 }] }] });
  metrics.requests.complete(t, 3);
  const topic: TopicInfo = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', internal: false, partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offline: [], partitionEpoch: 0 }], configs: {} };
  const image = new MetadataImage('c', 1, new Map(), new Map([['t', topic]]));
  const partition = { topic: 't', partition: 0, isLeader: true, isr: [1], replicas: [1], log: { offline: false, sizeBytes: () => 100, segmentCount: 1, logStartOffset: 0, logEndOffset: 3, highWatermark: 3 } } as unknown as Partition;
  const stats = new FixedProcessStats();
  stats.values = { ...stats.values, openFds: 10, maxFds: 1024, gc: [{ kind: 'minor', bucketCounts: [1, 0, 0, 0, 0], pauseSecondsSum: 0.0005, count: 1 }] };
  return {
    brokerId: 1,
    metrics,
    image: () => image,
    partitions: () => [partition],
    minInsyncReplicas: () => 1,
    isrShrinks: () => 0,
    isrExpands: () => 0,
    replicationBytesIn: () => 0,
    producePurgatorySize: () => 0,
    fetchPurgatorySize: () => 0,
    isActiveController: () => true,
    connections: () => [{ listener: 'PLAINTEXT', open: 1, created: 1, closed: 0 }],
    receivePool: () => ({ usedBytes: 0, bytesMax: 268435456 }),
    groups: () => ({ groups: [{ groupId: 'g', state: 'Stable', members: 1, offsets: new Map([['t', new Map([[0, { offset: 1 }]])]]) }], completedRebalances: 1 }),
    process: stats,
    partitionLogMetrics: () => true,
    logDirs: () => ({ total: 1, offline: 0 }),
    tailCache: () => ({ bytes: 4096, hits: 3, misses: 1 }),
    diskWrites: () => ({ inline: 10, pooled: 2, slow: 1, costly: 0 }),
    writeBehind: () => ({ syncs: 4, queued: 1 }),
    fetchSessions: () => ({ sessions: 2, partitions: 7 }),
  };
}

test('docs/METRICS.md lists exactly the families /metrics can expose', () => {
  const text = collectMetrics(fullSources(), 'prometheus').finish();
  const e = parseExposition(text, 'prometheus');
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  const doc = readFileSync(path.join(ROOT, 'docs', 'METRICS.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `((?:kafka|process|nodejs|samsa)_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!));
  assert.deepEqual([...exposed].filter((n) => !documented.has(n)).sort(), [], 'exposed but not documented');
  assert.deepEqual([...documented].filter((n) => !exposed.has(n)).sort(), [], 'documented but never exposed');
  // A few values of the hand-built state, to show the sources are really read.
  assert.equal(valueOf(e, 'kafka_consumergroup_lag_sum', { consumergroup: 'g', topic: 't' }), 2);
  assert.equal(valueOf(e, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: 't' }), 100);
  assert.equal(valueOf(e, 'kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'NONE' }), 1);
});
