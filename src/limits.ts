/**
 * Every bound the broker enforces, declared once. Values that users may tune come from the config
 * (socket.request.max.bytes, message.max.bytes, ...); these are the hard ceilings and the
 * defaults behind them. `assertLimits()` checks how they relate and runs at startup.
 */
import assert from 'node:assert/strict';

export const limits = {
  /** Largest request frame accepted before the connection is closed (Kafka socket.request.max.bytes default). */
  requestSizeBytesMax: 104_857_600,
  /** Requests read from one connection but not yet answered; past this the socket is paused. */
  inflightRequestsPerConnectionMax: 100,
  /** Open client connections per broker. */
  connectionsMax: 10_000,
  /**
   * Largest frame a connection may announce before it has completed one request: a client that
   * connects and claims a huge first frame (or trickles one, slow-loris) cannot make the broker
   * reserve up to socket.request.max.bytes for it. First requests are ApiVersions, Metadata or SASL.
   */
  firstRequestBytesMax: 1024 * 1024,
  /**
   * Bytes held in received but not yet dispatched request frames, over all connections, when
   * queued.max.request.bytes is -1 (Kafka: unbounded). Samsa keeps a bound anyway so thousands of
   * connections each sending most of a large frame cannot exhaust memory; the effective bound is
   * the larger of this and socket.request.max.bytes (one largest request must always fit).
   */
  queuedRequestBytesDefault: 256 * 1024 * 1024,
  /** Largest record batch accepted (Kafka message.max.bytes default 1048588). */
  messageBytesMax: 1_048_588,
  /** Largest Fetch response we build, whatever the client asks for. */
  fetchResponseBytesMax: 64 * 1024 * 1024,
  /** Longest a Fetch may wait (max.wait.ms is clamped to this). */
  fetchWaitMsMax: 30_000,
  /** Delayed fetches held at once; past this new fetches are answered immediately. */
  purgatoryEntriesMax: 10_000,
  /** Partitions per topic accepted by CreateTopics/CreatePartitions. */
  partitionsPerTopicMax: 100_000,
  /** Topic name length (Kafka: 249). */
  topicNameLengthMax: 249,
  /** Entries in a single array field decoded from a request (guards allocation by a bad length). */
  arrayEntriesMax: 1_000_000,
} as const;

export function assertLimits(): void {
  assert.ok(limits.messageBytesMax < limits.requestSizeBytesMax, 'a batch must fit in a request');
  assert.ok(limits.messageBytesMax <= limits.fetchResponseBytesMax, 'a batch must fit in a fetch response');
  assert.ok(limits.inflightRequestsPerConnectionMax >= 5, 'clients pipeline up to 5 produce requests');
  assert.ok(limits.firstRequestBytesMax <= limits.requestSizeBytesMax, 'the first-request bound is the tighter one');
}
