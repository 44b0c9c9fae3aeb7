/**
 * mulberry32: a small seeded generator of numbers in [0, 1) for tests that choose inputs or faults
 * from a seed (the argument fuzzer, the real-process fault runs). The simulator has its own,
 * test/sim/scheduler.ts's SeededRandom, with forks and helpers.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
