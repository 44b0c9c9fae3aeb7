/**
 * Samsa's Kafka client: KafkaClient (connections, metadata, routing), Producer, Consumer and Admin,
 * built on our protocol codec. See README.md in this folder.
 */
export { KafkaClient, parseBootstrap, parseHostPort, type BrokerInfo, type ClientOptions, type ClusterMetadata, type PartitionInfo, type TopicMetadata } from './client.js';
export { KafkaConnection, type ConnectionOptions } from './connection.js';
export { AuthenticationError, ConnectionError, KafkaError, TimeoutError, TlsHandshakeError, UnsupportedVersionError } from './errors.js';
export { securityFromProps, SecurityConfigError, type ClientSecurity, type ClientTls, type SecurityProtocol } from './security.js';
export { Producer, type DeliveryCallback, type ProducerOptions, type ProducerRecord, type RecordMetadata } from './producer.js';
export { Consumer, type ConsumerOptions, type OffsetSpec, type TopicPartitionOffset } from './consumer.js';
export { Admin, ResourceType, type ConfigEntry, type GroupDescription, type NewTopic } from './admin.js';
export { murmur2, murmur2String, partitionForKey } from './murmur2.js';
export type { ConsumedRecord, RecordHeader } from './records.js';
