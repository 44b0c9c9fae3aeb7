/**
 * Shared helpers for the records tests (no tests here): byte surgery on built batches and
 * comparison of decoded records with builder input.
 */
import assert from 'node:assert/strict';
import { batch, BATCH_HEADER_BYTES } from '../../../src/protocol/records/batch.js';
import type { RecordInput, RecordOutput } from '../../../src/protocol/records/builder.js';

/** Copy of `b` with `edit` applied and the CRC recomputed, so the change passes the CRC check. */
export function resealed(b: Buffer, edit: (copy: Buffer) => void): Buffer {
  const copy = Buffer.from(b);
  edit(copy);
  batch.resealCrc(copy);
  return copy;
}

/** `b`'s header around a new payload with codec `codec`, batchLength and CRC fixed. */
export function withPayload(b: Buffer, codec: number, payload: Buffer): Buffer {
  const out = Buffer.concat([b.subarray(0, BATCH_HEADER_BYTES), payload]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE((out.readInt16BE(21) & ~7) | codec, 21);
  batch.resealCrc(out);
  return out;
}

/** Plain comparable form of a decoded record. */
export function plain(r: RecordOutput): object {
  return {
    offset: r.offset,
    timestampMs: r.timestampMs,
    key: r.key === null ? null : r.key.toString('hex'),
    value: r.value === null ? null : r.value.toString('hex'),
    headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('hex')]),
  };
}

/**
 * Asserts `out` decodes exactly `input` as built with baseOffset `baseOffset` and, for records
 * without their own timestamp, `defaultTimestampMs`.
 */
export function assertSameRecords(out: RecordOutput[], input: RecordInput[], baseOffset: number, defaultTimestampMs: number): void {
  assert.equal(out.length, input.length);
  for (let i = 0; i < input.length; i++) {
    const r = input[i]!;
    assert.deepEqual(plain(out[i]!), {
      offset: baseOffset + (r.offsetDelta ?? i),
      timestampMs: r.timestampMs ?? defaultTimestampMs,
      key: r.key === null ? null : r.key.toString('hex'),
      value: r.value === null ? null : r.value.toString('hex'),
      headers: (r.headers ?? []).map((h) => [h.key, h.value === null ? null : h.value.toString('hex')]),
    });
  }
}

export function text(s: string | null): Buffer | null {
  return s === null ? null : Buffer.from(s, 'utf8');
}
