/**
 * The saved corpus: test/fuzz/corpus/<target>/<sha1 prefix>.bin, one raw input per file (small,
 * committed). Every run replays it first, so an input saved here (a regression input for a fixed
 * finding, or one that reached new code) is run again by every later run and by the CI test.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sourceDir } from './targets/paths.js';

export function corpusDir(target: string): string {
  return path.join(sourceDir(), 'test/fuzz/corpus', target);
}

export function loadCorpus(target: string): Buffer[] {
  const dir = corpusDir(target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f)));
}

export function inputName(input: Buffer): string {
  return createHash('sha1').update(input).digest('hex').slice(0, 16);
}

/** Writes inputs not yet saved; returns how many were new. */
export function saveInputs(dir: string, inputs: Buffer[]): number {
  mkdirSync(dir, { recursive: true });
  let added = 0;
  for (const input of inputs) {
    const file = path.join(dir, `${inputName(input)}.bin`);
    if (existsSync(file)) continue;
    writeFileSync(file, input);
    added++;
  }
  return added;
}
