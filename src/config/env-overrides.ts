/**
 * Configuration from environment variables, the way the Kafka docker images do it:
 * `KAFKA_NUM_PARTITIONS=3` sets `num.partitions=3`. After the prefix the name is lower-cased and
 * runs of underscores are read left to right: `___` → `-`, `__` → `_`, `_` → `.`
 * (so `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP` → listener.security.protocol.map and
 * `KAFKA_FOO__BAR___BAZ` → foo_bar-baz).
 *
 * `SAMSA_` works the same way, and a `SAMSA_` name whose key is unknown but whose `samsa.`-prefixed
 * key is known maps there (`SAMSA_SLOW_REQUEST_THRESHOLD_MS` → samsa.slow.request.threshold.ms). When both prefixes name the same
 * key, the SAMSA_ variable wins.
 *
 * Variables that are not configuration are skipped without a word: the Kafka launcher's own
 * (KAFKA_HEAP_OPTS, KAFKA_OPTS, ...), Samsa's process settings (SAMSA_LOG_LEVEL, SAMSA_LOG_PRETTY,
 * read by src/log.ts), and Kubernetes service links for a service named "kafka"
 * (KAFKA_SERVICE_HOST, KAFKA_PORT_9092_TCP_ADDR, ...). `KAFKA_PORT=tcp://...` is such a link too; it
 * is skipped with a warning, since it would otherwise set the legacy `port` key.
 */

export interface EnvEntry {
  key: string;
  value: string;
  /** The variable's name, for messages. */
  variable: string;
}

const NOT_CONFIGURATION = new Set([
  'KAFKA_HEAP_OPTS',
  'KAFKA_OPTS',
  'KAFKA_JMX_OPTS',
  'KAFKA_JMX_PORT',
  'KAFKA_JMX_HOSTNAME',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_LOG4J_ROOT_LOGLEVEL',
  'KAFKA_LOG4J_LOGGERS',
  'KAFKA_TOOLS_LOG4J_LOGLEVEL',
  'KAFKA_DEBUG',
  'KAFKA_HOME',
  'KAFKA_VERSION',
  'KAFKA_CLUSTER_ID',
  'SAMSA_LOG_LEVEL',
  'SAMSA_LOG_PRETTY',
]);

const KUBERNETES_SERVICE_LINK = /^KAFKA_(SERVICE_HOST|SERVICE_PORT(_.*)?|PORT_\d+_(TCP|UDP|SCTP)(_.*)?)$/;

/** Maps the part of a variable name after its prefix to a config key. */
export function envNameToKey(rest: string): string {
  let key = '';
  let i = 0;
  while (i < rest.length) {
    if (rest.startsWith('___', i)) {
      key += '-';
      i += 3;
    } else if (rest.startsWith('__', i)) {
      key += '_';
      i += 2;
    } else if (rest[i] === '_') {
      key += '.';
      i += 1;
    } else {
      key += rest[i]!.toLowerCase();
      i += 1;
    }
  }
  return key;
}

/**
 * Reads config entries from `env`. `isKnownKey` decides the SAMSA_ fallback to `samsa.` keys.
 * Returns entries in precedence order (later entries win) plus warnings.
 */
export function configFromEnv(
  env: NodeJS.ProcessEnv,
  isKnownKey: (key: string) => boolean,
): { entries: EnvEntry[]; warnings: string[] } {
  const kafka: EnvEntry[] = [];
  const samsa: EnvEntry[] = [];
  const warnings: string[] = [];
  for (const variable of Object.keys(env).sort()) {
    const value = env[variable];
    if (value === undefined || NOT_CONFIGURATION.has(variable)) continue;
    if (variable.startsWith('KAFKA_')) {
      if (KUBERNETES_SERVICE_LINK.test(variable)) continue;
      if (variable === 'KAFKA_PORT' && /^[a-z]+:\/\//i.test(value)) {
        warnings.push(
          `Environment variable KAFKA_PORT=${value} looks like a Kubernetes service link, not the legacy 'port' setting (ignored); set KAFKA_LISTENERS instead`,
        );
        continue;
      }
      kafka.push({ key: envNameToKey(variable.slice('KAFKA_'.length)), value, variable });
    } else if (variable.startsWith('SAMSA_')) {
      const key = envNameToKey(variable.slice('SAMSA_'.length));
      const samsaKey = `samsa.${key}`;
      samsa.push({ key: !isKnownKey(key) && isKnownKey(samsaKey) ? samsaKey : key, value, variable });
    }
  }
  return { entries: [...kafka, ...samsa], warnings };
}
