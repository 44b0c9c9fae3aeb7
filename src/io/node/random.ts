/** Production Random over node:crypto. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Random } from '../random.js';

export class NodeRandom implements Random {
  uuid(): string {
    return randomUUID();
  }
  int(maxExclusive: number): number {
    return randomInt(maxExclusive);
  }
  base64Id(): string {
    return randomBytes(16).toString('base64url');
  }
}
