/**
 * CountingRandom: a Random whose answers are a counter, so unit tests get distinct, predictable
 * ids (uuids ending in 1, 2, 3 …) without seeding anything. The simulator uses the seeded PRNG of
 * test/sim instead.
 */
import type { Random } from '../random.js';

export class CountingRandom implements Random {
  #n = 0;
  uuid(): string {
    const n = (++this.#n).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }
  int(maxExclusive: number): number {
    return ++this.#n % maxExclusive;
  }
  base64Id(): string {
    return `id${++this.#n}`.padEnd(22, 'A');
  }
}
