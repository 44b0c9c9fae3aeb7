/**
 * What the runner (run.ts) hands a fuzz worker (worker.ts), and the layout of the buffer they
 * share: Int32 [0] executions, [1] length of the current input, then the input bytes.
 */
export interface WorkerJob {
  target: string;
  inputs: number;
  seed: number;
  coverage: boolean;
  timeBudgetMs?: number;
  shared: SharedArrayBuffer;
  /** Replay these instead of the saved corpus (--replay). */
  only?: Uint8Array[];
}

export const SHARED_HEADER_BYTES = 8;

