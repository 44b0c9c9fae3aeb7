/**
 * Per-listener security settings as Kafka resolves them: a key `k` for listener `L` is taken from
 * `listener.name.<l>.k` (l = the listener name in lower case), else the broker-wide `k`, else its
 * default. SASL keys may also be scoped to a mechanism: `listener.name.<l>.<mechanism>.k`
 * (e.g. `listener.name.sasl_ssl.plain.sasl.jaas.config`), which wins over the listener-wide form.
 * Values are the raw strings of the static config (the per-listener keys are not in the key table).
 */
import { brokerKeyDef, type BrokerConfig } from '../config/broker-config.js';
import { StartupError } from '../startup-error.js';

export class ListenerConfig {
  readonly prefix: string;

  constructor(
    private readonly config: BrokerConfig,
    /** Upper-case listener name. */
    readonly listenerName: string,
  ) {
    this.prefix = `listener.name.${listenerName.toLowerCase()}.`;
  }

  /** The security protocol of this listener (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL). */
  get securityProtocol(): string {
    return this.config.listenerSecurityProtocolMap.get(this.listenerName) ?? 'PLAINTEXT';
  }

  get usesTls(): boolean {
    return this.securityProtocol === 'SSL' || this.securityProtocol === 'SASL_SSL';
  }

  get usesSasl(): boolean {
    return this.securityProtocol.startsWith('SASL_');
  }

  /** The value of `key` for this listener (and mechanism, when given), with the key that supplied it. */
  lookup(key: string, mechanism?: string): { value: string | null; from: string } {
    const candidates = [
      ...(mechanism !== undefined ? [`${this.prefix}${mechanism.toLowerCase()}.${key}`] : []),
      `${this.prefix}${key}`,
      key,
    ];
    for (const name of candidates) {
      const v = this.config.raw.get(name);
      if (v !== undefined) return { value: v, from: name };
    }
    return { value: brokerKeyDef(key)?.default ?? null, from: key };
  }

  get(key: string, mechanism?: string): string | null {
    return this.lookup(key, mechanism).value;
  }

  /** A comma-separated value as a list (empty entries dropped). */
  list(key: string, mechanism?: string): string[] {
    return (this.get(key, mechanism) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** A whole number of 0 or more; a bad value is a StartupError naming the key that gave it. */
  count(key: string): number {
    const { value, from } = this.lookup(key);
    const n = value === null ? NaN : Number(value.trim());
    if (!Number.isSafeInteger(n) || n < 0) throw new StartupError(`Invalid value ${value ?? 'null'} for configuration ${from}: must be a whole number of 0 or more`);
    return n;
  }
}
