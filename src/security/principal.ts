/**
 * KafkaPrincipal: who a connection is, as Kafka names it (`User:alice`). A connection starts as
 * `User:ANONYMOUS` (PLAINTEXT, or TLS without a client certificate); TLS client certificates and
 * SASL authentication replace it. Authorization (ACLs) and quotas read it from the RequestContext.
 */

export interface KafkaPrincipal {
  /** Principal type; Kafka's authorizer knows only 'User' (and 'Group' in some plugins). */
  readonly type: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

/** `User:alice`, the form ACLs and tools use. */
export function principalString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}
