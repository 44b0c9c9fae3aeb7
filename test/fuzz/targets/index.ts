/**
 * The fuzz targets by name, loaded on demand (the server target starts a broker, so nothing is
 * imported until a target is chosen). `hangMs`: no progress for this long is reported as a hang.
 */
import type { FuzzTarget } from '../target.js';

export interface TargetEntry {
  name: string;
  hangMs: number;
  load(): Promise<FuzzTarget>;
}

export const targetEntries: TargetEntry[] = [
  { name: 'request', hangMs: 10_000, load: async () => (await import('./codec.js')).requestTarget },
  { name: 'response', hangMs: 10_000, load: async () => (await import('./codec.js')).responseTarget },
  { name: 'records', hangMs: 10_000, load: async () => (await import('./records.js')).recordsTarget },
  { name: 'records-async', hangMs: 10_000, load: async () => (await import('./records.js')).recordsAsyncTarget },
  { name: 'legacy', hangMs: 10_000, load: async () => (await import('./records.js')).legacyTarget },
  { name: 'compression', hangMs: 10_000, load: async () => (await import('./records.js')).compressionTarget },
  { name: 'server', hangMs: 60_000, load: async () => (await import('./server.js')).serverTarget },
];

export function targetEntry(name: string): TargetEntry {
  const entry = targetEntries.find((t) => t.name === name);
  if (!entry) throw new Error(`unknown fuzz target '${name}'; targets: ${targetEntries.map((t) => t.name).join(', ')}`);
  return entry;
}
