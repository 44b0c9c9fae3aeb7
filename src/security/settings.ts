/**
 * The security-related settings of a BrokerConfig, read once from its validated raw values with the
 * table defaults (config/security-keys.ts): the authorizer's, the quota windows and the connection
 * limits.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { parseConnectionOverrides } from '../config/security-keys.js';
import { ACL_AUTHORIZER_CLASS_NAMES, parseSuperUsers } from './authorizer.js';
import { limits } from '../limits.js';

export interface SecuritySettings {
  /** True when authorizer.class.name names the ACL authorizer. */
  aclAuthorizer: boolean;
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
  quotaWindowNum: number;
  quotaWindowSizeMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxConnectionsPerIpOverrides: Map<string, number>;
  maxConnectionCreationRate: number;
  /** connections.max.idle.ms (negative = off). */
  connectionsMaxIdleMs: number;
  /** samsa.request.receive.timeout.ms (negative = off). */
  requestReceiveTimeoutMs: number;
  /** The receive pool's bound: queued.max.request.bytes, or Samsa's default when it is <= 0. */
  queuedRequestBytesMax: number;
}

export function securitySettings(config: BrokerConfig): SecuritySettings {
  const raw = (key: string, dflt: string): string => config.raw.get(key)?.trim() ?? dflt;
  const overrides = parseConnectionOverrides(raw('max.connections.per.ip.overrides', ''));
  return {
    aclAuthorizer: ACL_AUTHORIZER_CLASS_NAMES.includes(config.authorizerClassName.trim()),
    superUsers: parseSuperUsers(raw('super.users', '')),
    allowEveryoneIfNoAclFound: raw('allow.everyone.if.no.acl.found', 'false').toLowerCase() === 'true',
    quotaWindowNum: Number(raw('quota.window.num', '11')),
    quotaWindowSizeMs: Number(raw('quota.window.size.seconds', '1')) * 1000,
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    // Validated at load: a string here would be our bug.
    maxConnectionsPerIpOverrides: typeof overrides === 'string' ? new Map() : overrides,
    maxConnectionCreationRate: Number(raw('max.connection.creation.rate', String(2 ** 31 - 1))),
    connectionsMaxIdleMs: config.connectionsMaxIdleMs,
    requestReceiveTimeoutMs: config.requestReceiveTimeoutMs,
    queuedRequestBytesMax: config.queuedMaxRequestBytes > 0 ? config.queuedMaxRequestBytes : Math.max(limits.queuedRequestBytesDefault, config.socketRequestMaxBytes),
  };
}
