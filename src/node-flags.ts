/**
 * The V8 flags every broker process runs with. Node takes them only on its command line (not in
 * NODE_OPTIONS, and not at run time), so every launcher passes them: bin/kafka-server-start,
 * bin/samsa (`samsa start` runs the broker in its own process), `npm start`, the brokers of
 * `samsa cluster start`, the tests' and the bench's brokers. test/node-flags.test.ts checks that
 * the shell launchers and package.json carry exactly these; main.ts logs a warning when they are
 * missing (someone ran `node dist/src/main.js` by hand).
 *
 * --initial-old-space-size=64: with V8's default sizing, a broker's old generation limit stays
 * near 36 MB (about 13 MB live), and under load V8 then starts an incremental mark-compact every
 * 20-30 ms: 70 full collections, 6 scavenges and 0.85 µs of broker CPU per record over a 3 s,
 * 3 M-record P1 run, with concurrent marking taking a quarter of the leader's CPU under acks=all.
 * With a 64 MB initial old generation: 12 full collections and 0.57 µs per record (128 MB: 6 and
 * 0.56). It is a threshold, not a reservation: memory is used only as the heap grows.
 * docs/PERFORMANCE.md ("Garbage collection") has the measurements.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The flags of BROKER_NODE_FLAGS that `execArgv` (process.execArgv) lacks. */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  return BROKER_NODE_FLAGS.filter((f) => !execArgv.includes(f));
}
