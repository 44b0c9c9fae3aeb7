/**
 * Broker keys of authorization (ACLs), client quotas and connection limits, kept apart from the
 * main table in broker-config.ts (which spreads them in) so they read as one block. The values are
 * read by security/settings.ts from BrokerConfig.raw with these defaults.
 */
import { atLeast, custom, INT_MAX_STRING, type ConfigKeyDef, type Validator } from './config-def.js';

/** Class names that enable Samsa's ACL authorizer (security/authorizer.ts ACL_AUTHORIZER_CLASS_NAMES). */
const AUTHORIZER_CLASSES = ['kafka.security.authorizer.AclAuthorizer', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.auth.SimpleAclAuthorizer'];

export const AUTHORIZER_CLASS_VALIDATOR: Validator = custom(`empty or one of ${AUTHORIZER_CLASSES.join(', ')}`, (v) =>
  v === '' || AUTHORIZER_CLASSES.includes(String(v))
    ? null
    : `Samsa has one authorizer, the ACL authorizer; set authorizer.class.name=kafka.security.authorizer.AclAuthorizer (or org.apache.kafka.metadata.authorizer.StandardAuthorizer), or leave it empty for no authorization`,
);

/** `host:count,host:count` (max.connections.per.ip.overrides). */
export function parseConnectionOverrides(value: string): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const item of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const at = item.lastIndexOf(':');
    const n = Number(item.slice(at + 1));
    if (at <= 0 || !Number.isInteger(n) || n < 0) return `'${item}' is not host:count (e.g. 127.0.0.1:200)`;
    out.set(item.slice(0, at), n);
  }
  return out;
}

const overridesValidator = custom('comma-separated host:count pairs', (v) => {
  const r = parseConnectionOverrides(String(v));
  return typeof r === 'string' ? r : null;
});

const superUsersValidator = custom('semicolon-separated principals, e.g. User:admin;User:bob', (v) => {
  const bad = String(v)
    .split(';')
    .map((s) => s.trim())
    .find((s) => s !== '' && !/^[^:]+:.+$/.test(s));
  return bad === undefined ? null : `'${bad}' is not a principal of the form Type:name (e.g. User:admin)`;
});

export const SECURITY_ACL_QUOTA_KEYS: ConfigKeyDef[] = [
  { name: 'super.users', type: 'string', default: '', validator: superUsersValidator, doc: 'Principals allowed everything by the ACL authorizer, separated by semicolons (User:admin;User:bob).' },
  { name: 'allow.everyone.if.no.acl.found', type: 'boolean', default: 'false', doc: 'ACL authorizer: allow an operation on a resource that has no ACL at all.' },
  { name: 'max.connections.per.ip.overrides', type: 'string', default: '', validator: overridesValidator, doc: 'Per-address exceptions to max.connections.per.ip: host:count,host:count.' },
  { name: 'max.connection.creation.rate', type: 'int', default: INT_MAX_STRING, validator: atLeast(0), doc: 'New connections accepted per second by the broker; connections beyond it are closed at once.' },
  { name: 'quota.window.num', type: 'int', default: '11', validator: atLeast(1), doc: 'Samples kept for client quota rates.' },
  { name: 'quota.window.size.seconds', type: 'int', default: '1', validator: atLeast(1), doc: 'Length of one client quota sample.' },
];
