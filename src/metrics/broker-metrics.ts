/**
 * BrokerMetrics: the counters the data path updates in place (requests, per-topic bytes and
 * messages, replication bytes, controller and group events, ZooKeeper), plus the broker state.
 * One per broker, created by Broker.start and reached by handlers as `ctx.broker.metrics`.
 * (Replication bytes in and ISR changes are counted by ReplicaManager.stats, connections by Server.)
 * Everything else in /metrics is read from the broker's own state when scraped (collect.ts):
 * partition counts, purgatory sizes, groups and lag, connections, logs, the process.
 */
import type { Logger } from 'pino';
import type { Random } from '../io/random.js';
import { Counter } from './exposition.js';
import { RequestMetrics, type RequestLogSettings } from './request-metrics.js';
import { ZkMetrics } from './zk-metrics.js';

/** Kafka's BrokerState values (kafka.server:type=KafkaServer,name=BrokerState). */
export const BrokerState = {
  NOT_RUNNING: 0,
  STARTING: 1,
  RECOVERY: 2,
  RUNNING: 3,
  PENDING_CONTROLLED_SHUTDOWN: 6,
  SHUTTING_DOWN: 7,
} as const;
export type BrokerStateValue = (typeof BrokerState)[keyof typeof BrokerState];

/** kafka.server:type=BrokerTopicMetrics counts of one topic (or of all topics). */
export class TopicMetrics {
  readonly bytesIn = new Counter();
  readonly bytesOut = new Counter();
  readonly messagesIn = new Counter();
  readonly totalProduceRequests = new Counter();
  readonly failedProduceRequests = new Counter();
  readonly totalFetchRequests = new Counter();
  readonly failedFetchRequests = new Counter();
}

/** Controller events this broker's controller handled (kafka.controller:type=ControllerStats). */
export const CONTROLLER_EVENTS = ['ControllerChange', 'ControllerResign', 'Reconcile'] as const;
export type ControllerEvent = (typeof CONTROLLER_EVENTS)[number];

export class BrokerMetrics {
  state: BrokerStateValue = BrokerState.NOT_RUNNING;
  readonly requests: RequestMetrics;
  /** Per-topic counts; entries of deleted topics are dropped at scrape time (as Kafka removes its per-topic metrics). */
  readonly topics = new Map<string, TopicMetrics>();
  /** All topics together, monotonic even when a topic is deleted. */
  readonly allTopics = new TopicMetrics();
  readonly replicationBytesOut = new Counter();
  readonly controllerEvents = new Map<ControllerEvent, Counter>(CONTROLLER_EVENTS.map((e) => [e, new Counter()]));
  /** Set in ZooKeeper mode (zk-cluster.ts wraps the coordination session with it). */
  zk: ZkMetrics | null = null;

  constructor(log: Logger, settings: () => RequestLogSettings, random: Random) {
    this.requests = new RequestMetrics(log, settings, random);
  }

  topic(name: string): TopicMetrics {
    let t = this.topics.get(name);
    if (!t) {
      t = new TopicMetrics();
      this.topics.set(name, t);
    }
    return t;
  }

  controllerEvent(e: ControllerEvent): void {
    this.controllerEvents.get(e)!.value++;
  }

  /** A successful append of `bytes` holding `messages` records (Kafka: BytesInPerSec, MessagesInPerSec). */
  recordProduced(topic: string, bytes: number, messages: number): void {
    const t = this.topic(topic);
    t.bytesIn.value += bytes;
    t.messagesIn.value += messages;
    this.allTopics.bytesIn.value += bytes;
    this.allTopics.messagesIn.value += messages;
  }

  /** A produce of one partition was attempted (TotalProduceRequestsPerSec) and maybe failed. */
  recordProduceRequest(topic: string, failed: boolean): void {
    const t = this.topic(topic);
    t.totalProduceRequests.value++;
    this.allTopics.totalProduceRequests.value++;
    if (failed) {
      t.failedProduceRequests.value++;
      this.allTopics.failedProduceRequests.value++;
    }
  }

  /** A consumer fetch of one partition answered (TotalFetchRequestsPerSec), with its record bytes (BytesOutPerSec). */
  recordConsumerFetch(topic: string, bytes: number, failed: boolean): void {
    const t = this.topic(topic);
    t.totalFetchRequests.value++;
    this.allTopics.totalFetchRequests.value++;
    t.bytesOut.value += bytes;
    this.allTopics.bytesOut.value += bytes;
    if (failed) {
      t.failedFetchRequests.value++;
      this.allTopics.failedFetchRequests.value++;
    }
  }
}
