/**
 * Goal: docs/COMPATIBILITY.md's API table says exactly what the broker serves.
 * Method: read the handler table (the same list the version gate and ApiVersions use) and compare it,
 * row by row, with the table between the `<!-- api-table -->` markers in the document.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { handlerTable } from '../../src/handlers/index.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

export function apiRows(): string[] {
  return [...handlerTable().values()]
    .sort((a, b) => a.api.apiKey - b.api.apiKey)
    .map((h) => `| ${h.api.name} | ${h.api.apiKey} | ${h.versionMin}-${h.versionMax} | ${h.api.flexibleMin ?? '-'} |`);
}

test('docs/COMPATIBILITY.md lists exactly the APIs and versions the handler table serves', () => {
  const doc = readFileSync(path.join(root, 'docs/COMPATIBILITY.md'), 'utf8');
  const m = /<!-- api-table -->\n([\s\S]*?)<!-- \/api-table -->/.exec(doc);
  assert.ok(m, 'COMPATIBILITY.md must have an <!-- api-table --> ... <!-- /api-table --> block');
  const rows = m[1]!.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| API ') && !l.startsWith('|--'));
  assert.deepEqual(rows, apiRows(), 'regenerate with: node scripts/compat-table.mjs');
});
