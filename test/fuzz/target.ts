/**
 * What a fuzz target is (targets/*.ts implement it; engine.ts drives it).
 *
 * `run(input)` feeds one input to the code under test and returns normally when the code behaved
 * as documented: a value, or one of the documented error kinds (DecodeError, RecordBatchError,
 * CompressionError, a clean close of the connection). Any other outcome is a finding, reported by
 * throwing (a `Finding` names what broke the contract; anything else thrown is itself the finding).
 */

export class Finding extends Error {
  override readonly name = 'Finding';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface FuzzTarget {
  name: string;
  /** One line: what the inputs are and which code they reach. */
  description: string;
  /** Script URLs whose block coverage guides the fuzzer. */
  coverageScope: RegExp;
  maxInputBytes: number;
  /** Valid (or interesting) inputs built with our own encoders; `seed` makes them reproducible. */
  seeds(seed: number): Buffer[] | Promise<Buffer[]>;
  /** Tokens for the mutator: format magics, plausible lengths, names. */
  dictionary?: Buffer[];
  /** Structure-aware mutation, tried on some inputs instead of plain byte havoc (null: none). */
  mutate?(input: Buffer, rand: (n: number) => number): Buffer | null;
  run(input: Buffer): void | Promise<void>;
  /** Inputs executed between coverage samples (sync targets: hundreds; server: a few). */
  batchSize: number;
  /** Inputs in flight at once (async targets that wait on I/O); default 1. */
  concurrency?: number;
  /** Largest single Buffer allocation that is not a finding (default 64 MiB). */
  allocationBytesMax?: number;
  setup?(): Promise<void>;
  /** Checks after the run (e.g. the broker still serves a real client); throws a Finding if not. */
  finish?(): Promise<string[]>;
  teardown?(): Promise<void>;
}
