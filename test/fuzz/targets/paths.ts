/** Where the source tree is, from the compiled file's location (dist/test/fuzz/targets/). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function sourceDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
}
