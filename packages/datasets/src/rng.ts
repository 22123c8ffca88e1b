/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32) for shuffling and data
 * augmentation. It is independent of core's global RNG: drawing from it never moves
 * `tl.manualSeed`'s stream, and training code that draws from core (dropout, init) never
 * changes which samples a loader yields.
 */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * A generator for `seed`; `streams` (e.g. an epoch number) select independent sequences
   * for one seed.
   *
   * @example
   * ```ts
   * const rng = new Rng(42, 3); // seed 42, epoch 3
   * rng.int(10);
   * ```
   */
  constructor(seed: number, ...streams: number[]) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    const state = { s: Math.trunc(seed) >>> 0 };
    // Fold the high bits and every stream number into the state.
    state.s = (state.s ^ Math.imul(Math.floor(Math.trunc(seed) / 4294967296) >>> 0, 0x27d4eb2d)) >>> 0;
    for (const stream of streams) {
      splitmix32(state);
      state.s = (state.s ^ Math.imul((Math.trunc(stream) >>> 0) + 0x632be5ab, 0x165667b1)) >>> 0;
    }
    this.s0 = splitmix32(state);
    this.s1 = splitmix32(state);
    this.s2 = splitmix32(state);
    this.s3 = splitmix32(state);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Shuffle `values` in place (Fisher-Yates) and return them. */
  shuffle<A extends { length: number; [i: number]: number }>(values: A): A {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
    return values;
  }

  /** `0 .. n-1` in a random order. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }
}
