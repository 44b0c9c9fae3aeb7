/**
 * Dynamic broker configs: which broker keys `kafka-configs --entity-type brokers [--entity-name N |
 * --entity-default] --alter` may change while brokers run, and what a change does. Kafka's
 * DynamicBrokerConfig decides the same question; the list below is Samsa's, written from Kafka's
 * documentation of which configs are "cluster-wide" or "per-broker" updatable.
 *
 * - `live`: applied at once without a restart. The topic-config defaults (log.*, compression.type,
 *   message.max.bytes, min.insync.replicas, unclean.leader.election.enable) reach every partition
 *   without a topic override, as a topic config change does; the replication throttles reach the
 *   leaders' fetch answers and the followers' fetchers.
 * - `accepted`: Kafka updates them dynamically (thread pool sizes and buffers of its JVM design);
 *   Samsa stores and reports them but they change nothing, as their static values change nothing.
 * Any other broker key is read-only: INVALID_REQUEST "Cannot update these configs dynamically",
 * Kafka's answer. Values are validated as the static config validates them.
 *
 * Where they live: the controller's metadata (ZooKeeper /config/brokers/<id> and
 * /config/brokers/<default>, Kafka's nodes; the single node's metadata document), delivered to
 * every broker in the MetadataImage (`brokerConfigs`); Broker rebuilds its effective config with
 * withDynamicConfigs() when they change.
 */
import { brokerKeyDef, ConfigError, withDynamicConfigs, type BrokerConfig, type DynamicBrokerConfigs } from './broker-config.js';

import { dynamicEffect } from './dynamic-keys.js';

export { dynamicBrokerKeys, dynamicEffect, type DynamicEffect } from './dynamic-keys.js';

export type DynamicUpdateProblem = { code: 'invalidRequest' | 'invalidConfig'; message: string };

/**
 * Checks a new set of dynamic values for one entity (a broker id, or '' for the cluster default)
 * against this broker's static config: every key must be a dynamic one and every value valid.
 * Returns the problem to answer with, or null.
 */
export function checkDynamicBrokerConfigs(config: BrokerConfig, entity: string, values: Readonly<Record<string, string>>): DynamicUpdateProblem | null {
  const unknown = Object.keys(values).filter((k) => brokerKeyDef(k) === undefined);
  if (unknown.length > 0) return { code: 'invalidConfig', message: `Unknown broker configs: ${unknown.join(', ')}` };
  const readOnly = Object.keys(values).filter((k) => dynamicEffect(k) === undefined);
  if (readOnly.length > 0) return { code: 'invalidRequest', message: `Cannot update these configs dynamically: Set(${readOnly.join(', ')})` };
  // Each entity's values are checked on their own: a valid per-broker value must not hide an
  // invalid cluster default (other brokers would get it), nor the reverse.
  const trial: DynamicBrokerConfigs = entity === '' ? { clusterDefault: values, broker: {} } : { clusterDefault: {}, broker: values };
  try {
    withDynamicConfigs(config, trial);
  } catch (err) {
    if (err instanceof ConfigError) return { code: 'invalidConfig', message: err.message };
    throw err;
  }
  return null;
}

/** This broker's dynamic layers out of the image's map ('' = cluster default, else broker ids). */
export function dynamicLayersFor(brokerId: number, brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>): DynamicBrokerConfigs {
  return { clusterDefault: brokerConfigs.get('') ?? {}, broker: brokerConfigs.get(String(brokerId)) ?? {} };
}

/** True when two dynamic layer sets hold the same values. */
export function sameDynamicLayers(a: DynamicBrokerConfigs, b: DynamicBrokerConfigs): boolean {
  const same = (x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>): boolean => {
    const kx = Object.keys(x);
    return kx.length === Object.keys(y).length && kx.every((k) => y[k] === x[k]);
  };
  return same(a.clusterDefault, b.clusterDefault) && same(a.broker, b.broker);
}
