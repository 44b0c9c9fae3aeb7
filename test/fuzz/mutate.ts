/**
 * Seeded randomness and byte-level mutations for the coverage-guided fuzzer (engine.ts).
 *
 * `Rng` is xorshift128 seeded through splitmix32, so a (seed, target) pair replays the same input
 * stream. `havoc()` stacks 1-16 mutations the way AFL's havoc stage does: bit flips, interesting
 * bytes/int16/int32 (0, ±1, extremes, lengths near the bytes left), unsigned varints (also
 * overlong ones), small arithmetic, deletions, insertions, duplicated and overwritten ranges,
 * dictionary tokens (format magics, lengths) and a splice with another corpus entry. Every result
 * is capped at `maxBytes`.
 */

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      // splitmix32
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next() | 1;
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uint32. */
  u32(): number {
    const t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    this.d = (this.d ^ (this.d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.d;
  }

  /** An integer in [0, n) (n ≥ 1). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x10, 0x20, 2, 3, 4];
const INTERESTING_16 = [0, 1, -1, 0x7fff, -0x8000, 0x100, 0xff, 2, 3, 4, 0x3fff];
const INTERESTING_32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0x10000, 0xffff, 2, 3, 4, 0x100000, 1_000_001, 61, 49];

function encodeUvarint(v: number): Buffer {
  const out: number[] = [];
  let n = v >>> 0;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Varints worth trying: small, boundaries of each byte count, the largest, and malformed ones. */
const VARINTS: Buffer[] = [
  ...[0, 1, 2, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0x7fffffff, 0xffffffff].map(encodeUvarint),
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // 6 bytes: overlong
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), // overflows 32 bits
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // varlong extreme
  Buffer.from([0x80]), // truncated
];

export interface MutateContext {
  rng: Rng;
  maxBytes: number;
  /** Tokens worth inserting or overwriting with (format magics, codec ids, names). */
  dictionary: readonly Buffer[];
  /** Another corpus entry for splicing, or null. */
  other: Buffer | null;
}

function clampLength(b: Buffer, maxBytes: number): Buffer {
  return b.length > maxBytes ? b.subarray(0, maxBytes) : b;
}

function insertAt(b: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
}

function overwriteAt(b: Buffer, at: number, piece: Buffer): Buffer {
  const out = Buffer.from(b);
  piece.copy(out, at, 0, Math.min(piece.length, out.length - at));
  return out;
}

/** Values for a length field at `pos`: near the bytes left after it, in a few widths. */
function lengthLike(rng: Rng, b: Buffer, pos: number, width: number): number {
  const left = b.length - pos - width;
  return left + rng.below(5) - 2;
}

/** One mutation; returns a new buffer or `b` modified in place (the caller owns `b`). */
function mutateOnce(b: Buffer, ctx: MutateContext): Buffer {
  const { rng } = ctx;
  const n = b.length;
  if (n === 0) return rng.bytes(1 + rng.below(8));
  const pos = rng.below(n);
  switch (rng.below(16)) {
    case 0:
      b[pos] = b[pos]! ^ (1 << rng.below(8));
      return b;
    case 1:
      b[pos] = rng.u32() & 0xff;
      return b;
    case 2:
      b[pos] = rng.pick(INTERESTING_8);
      return b;
    case 3: {
      if (n < 2) return b;
      const at = rng.below(n - 1);
      const v = rng.chance(3) ? lengthLike(rng, b, at, 2) : rng.pick(INTERESTING_16);
      b.writeInt16BE(((v << 16) >> 16), at);
      return b;
    }
    case 4: {
      if (n < 4) return b;
      const at = rng.below(n - 3);
      const v = rng.chance(3) ? lengthLike(rng, b, at, 4) : rng.pick(INTERESTING_32);
      b.writeInt32BE(v | 0, at);
      return b;
    }
    case 5: {
      const v = rng.chance(2) ? rng.pick(VARINTS) : encodeUvarint(rng.below(2) ? lengthLike(rng, b, pos, 1) * 2 + 2 : rng.below(300));
      return rng.chance(2) ? overwriteAt(b, pos, v) : insertAt(b, pos, v);
    }
    case 6: {
      // small arithmetic on one byte or an int32
      const delta = rng.below(35) - 17 || 1;
      if (rng.chance(2) || n < 4) b[pos] = (b[pos]! + delta) & 0xff;
      else {
        const at = rng.below(n - 3);
        b.writeInt32BE((b.readInt32BE(at) + delta) | 0, at);
      }
      return b;
    }
    case 7: {
      const len = 1 + rng.below(rng.chance(4) ? n : Math.min(16, n));
      return Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(n, pos + len))]);
    }
    case 8:
      return insertAt(b, pos, rng.bytes(1 + rng.below(16)));
    case 9: {
      const from = rng.below(n);
      const len = 1 + rng.below(Math.min(64, n - from));
      return insertAt(b, pos, Buffer.from(b.subarray(from, from + len)));
    }
    case 10: {
      const from = rng.below(n);
      const len = 1 + rng.below(Math.min(64, n - from));
      return overwriteAt(b, pos, Buffer.from(b.subarray(from, from + len)));
    }
    case 11:
      return b.subarray(0, pos);
    case 12:
    case 13: {
      if (ctx.dictionary.length === 0) return b;
      const token = rng.pick(ctx.dictionary);
      return rng.chance(2) ? overwriteAt(b, pos, token) : insertAt(b, pos, token);
    }
    case 14: {
      // splice: our head, the other's tail
      const other = ctx.other;
      if (other === null || other.length === 0) return b;
      const cut = rng.below(other.length);
      return Buffer.concat([b.subarray(0, pos), other.subarray(cut)]);
    }
    default: {
      // a run of one byte value (zeroed or 0xff-filled region)
      const len = 1 + rng.below(Math.min(32, n - pos));
      b.fill(rng.chance(2) ? 0 : 0xff, pos, pos + len);
      return b;
    }
  }
}

/** A mutated copy of `input`: 1-16 stacked mutations, at most ctx.maxBytes long. */
export function havoc(input: Buffer, ctx: MutateContext): Buffer {
  let b: Buffer = Buffer.from(input);
  const stack = 1 << ctx.rng.below(5);
  for (let i = 0; i < stack; i++) b = clampLength(mutateOnce(b, ctx), ctx.maxBytes);
  return b;
}

export { encodeUvarint };
