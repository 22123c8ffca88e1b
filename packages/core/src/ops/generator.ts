/** Random number generators: independent, seeded streams of the counter-based RNG. */

const DEFAULT_SEED = 0x5eed;

/** A generator's position in its stream, as `getState` returns it. */
export interface GeneratorState {
  seed: number;
  offset: number;
}

/**
 * An independent stream of random numbers, for `{ generator }` on every random op. The RNG is
 * counter-based (Philox4x32-10): a draw of n numbers takes counters `offset .. offset + n` under
 * the generator's seed and advances `offset`, so one seed gives the same numbers on every
 * backend, and a generator is not tied to a device (PyTorch's `device` argument has no
 * counterpart here).
 *
 * @example
 * ```ts
 * const g = new tl.Generator().manualSeed(42);
 * const a = tl.randn([3], { generator: g }); // the global stream (tl.manualSeed) is untouched
 * ```
 */
export class Generator {
  #seed: number;
  #offset = 0;

  constructor(seed: number = DEFAULT_SEED) {
    this.#seed = checkSeed('Generator', seed);
  }

  /** Restart the stream at `seed`; returns the generator, as PyTorch's `manual_seed`. */
  manualSeed(seed: number): this {
    this.#seed = checkSeed('Generator.manualSeed', seed);
    this.#offset = 0;
    return this;
  }

  /** The seed the stream started from. */
  initialSeed(): number {
    return this.#seed;
  }

  /** The seed and how many numbers have been drawn, to restore with `setState`. */
  getState(): GeneratorState {
    return { seed: this.#seed, offset: this.#offset };
  }

  setState(state: GeneratorState): this {
    if (typeof state !== 'object' || state === null) throw new TypeError('Generator.setState: expected { seed, offset }');
    const { seed, offset } = state;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`Generator.setState: offset must be a non-negative integer, got ${offset}`);
    this.#seed = checkSeed('Generator.setState', seed);
    this.#offset = offset;
    return this;
  }

  /**
   * Reserve `count` counters and return the first: the caller draws counters
   * `start .. start + count` under `initialSeed()`.
   * @internal
   */
  take(count: number): number {
    const start = this.#offset;
    this.#offset += count;
    return start;
  }
}

function checkSeed(op: string, seed: number): number {
  if (!Number.isInteger(seed)) throw new Error(`${op}: seed must be an integer, got ${String(seed)}`);
  return seed >>> 0;
}

/** The stream `tl.manualSeed`, `rand`, `randn`, dropout and the other random ops use by default. */
export const defaultGenerator = new Generator();

/** The generator an op was given in its options, or the default one; anything else is refused by name. */
export function generatorOf(op: string, options: { generator?: Generator }): Generator {
  const g = options.generator;
  if (g === undefined) return defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError(`${op}: generator must be a tl.Generator, got ${typeof g === 'object' ? String((g as object)?.constructor?.name ?? g) : typeof g}`);
  return g;
}
