/**
 * Reads a whole text file at once, synchronously: configuration files are read once at boot,
 * before a broker (and its Disk) exists. Passed to loadBrokerConfig as `readTextFile` by the entry
 * points (main.ts, the CLI); broker code never reads files except through Disk.
 */
import { readFileSync } from 'node:fs';

export function readTextFileSync(path: string): string {
  return readFileSync(path, 'utf8');
}
