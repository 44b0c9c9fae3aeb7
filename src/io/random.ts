/** Random: every source of randomness (ids, jitter) goes through here so simulations can seed it. */
export interface Random {
  /** RFC 4122 version-4 UUID string. */
  uuid(): string;
  /** Integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** 16 random bytes, Kafka-style base64url (cluster ids, member ids). */
  base64Id(): string;
}
