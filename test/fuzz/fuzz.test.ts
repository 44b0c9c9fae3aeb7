/**
 * Goal: no input makes the request/response decoders, the record-batch code (v2 validation and
 * reading, compression, recompression, legacy up/down-conversion) or a live broker misbehave:
 * every input gets a value or a documented error (DecodeError, RecordBatchError,
 * CompressionError), the agreement oracles hold (sync = async, decode → encode → decode is stable,
 * our own conversions read back), and the broker answers each frame well-formed or closes the
 * connection, logs no handler failure, and still serves kcat afterwards. Every input once found to
 * break something (test/fuzz/corpus/*, regression-*.bin) is replayed.
 *
 * Method: the coverage-guided fuzzer (test/fuzz/engine.ts, V8 block coverage) runs a fixed
 * budget of mutated inputs per target in this process, after replaying the saved corpus and the
 * seeds; a fixed seed makes the run reproducible (SAMSA_FUZZ_SEED=<n> picks another). The long
 * runs are `npm run fuzz -- --long` (docs/RELIABILITY.md). About 20 s here.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runTarget, type EngineReport } from './engine.js';
import { loadCorpus } from './corpus.js';
import { targetEntry } from './targets/index.js';
import { requireKcat } from '../helpers/broker.js';

const SEED = Number(process.env.SAMSA_FUZZ_SEED ?? 20_261_204);
const BUDGET: Array<[string, number]> = [
  ['request', 15_000],
  ['response', 10_000],
  ['records', 10_000],
  ['records-async', 4_000],
  ['legacy', 4_000],
  ['compression', 5_000],
  ['server', 2_000],
];

describe('fuzzing: a fixed budget per target, corpus replayed', () => {
  const lines: string[] = [];
  after(() => console.log(`fuzz (seed ${SEED}):\n${lines.join('\n')}`));

  for (const [name, inputs] of BUDGET) {
    it(`${name}: ${inputs} mutated inputs and the saved corpus, no finding`, { timeout: 120_000 }, async () => {
      if (name === 'server') await requireKcat();
      const target = await targetEntry(name).load();
      const corpus = loadCorpus(name);
      const report: EngineReport = await runTarget(target, { inputs, seed: SEED, coverage: true, corpus });
      const cov = report.coverage!;
      lines.push(`  ${name}: ${report.inputs} inputs (${report.inputsPerSecond}/s), ${report.replayed} replayed, corpus ${report.corpus}, ${cov.blocksCovered}/${cov.blocksSeen} blocks; ${report.notes.join('; ')}`);
      assert.deepEqual(
        report.crashReports.map((c) => `${c.signature} (${c.count}×, input ${c.input.toString('hex').slice(0, 120)}): ${c.stack.split('\n').slice(0, 4).join(' | ')}`),
        [],
        `seed ${SEED}`,
      );
      assert.equal(report.inputs, inputs);
      assert.equal(report.replayed, corpus.length);
      assert.ok(report.corpus > corpus.length, 'the seeds joined the corpus');
      assert.ok(cov.blocksCovered > 50, `coverage guided the run (${cov.blocksCovered} blocks covered)`);
      if (name === 'server') assert.ok(report.notes.some((n) => n.includes('kcat produced and consumed 20 records')), report.notes.join('\n'));
    });
  }
});
