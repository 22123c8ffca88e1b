/**
 * Samplers: the order in which a DataLoader visits a map-style dataset, as in
 * `torch.utils.data` (`SequentialSampler`, `RandomSampler`, `SubsetRandomSampler`,
 * `WeightedRandomSampler`, `BatchSampler`, `DistributedSampler`).
 *
 * A sampler is any iterable of indices, with a `length` when it knows how many it yields
 * (a plain array of indices is one). Random samplers are seeded and draw from their own
 * generator, never from core's (`tl.manualSeed`): iteration `e` of a sampler seeded with
 * `seed` draws from the stream for `seed + e`, so a run is reproducible, and each pass over
 * the data gets a new order. `setEpoch(e)` chooses the pass the next iteration uses.
 */
import { Rng } from './rng.js';

/** @internal The first index of the ascending `sorted` whose value exceeds `value` (the last index if none does). */
export function firstAbove(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** An iterable of dataset indices (or, for a batch sampler, of index lists). */
export interface Sampler<K = number> extends Iterable<K> {
  /** How many values one iteration yields, when known. */
  readonly length?: number;
  /** Choose the pass the next iteration uses (random samplers). */
  setEpoch?(epoch: number): void;
}

/** Anything with a `length`: a dataset, an array. */
export interface Sized {
  readonly length: number;
}

export function checkCount(name: string, what: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`${name}: ${what} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function checkSeed(name: string, seed: unknown): number {
  if (seed === undefined) return 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new TypeError(`${name}: seed must be an integer, got ${describe(seed)}`);
  return seed;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const ctor = (value as object).constructor;
  if (ctor && ctor !== Object) return `a ${ctor.name}`;
  const keys = Object.keys(value as object);
  return keys.length ? `an object with keys ${keys.slice(0, 6).join(', ')}` : 'an empty object {}';
}

function sizeOf(name: string, source: unknown): number {
  const n = (source as Partial<Sized> | null)?.length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`${name}: expected a dataset (or anything with a length), got ${describe(source)}`);
  }
  return n;
}

function checkEpoch(name: string, epoch: unknown): number {
  return checkCount(`${name}.setEpoch`, 'epoch', epoch);
}

/**
 * `0, 1, ..., n - 1` in order, as PyTorch's `SequentialSampler`.
 *
 * @example
 * ```ts
 * [...new SequentialSampler(dataset)]; // [0, 1, ..., dataset.length - 1]
 * ```
 */
export class SequentialSampler implements Sampler<number> {
  readonly dataSource: Sized;

  constructor(dataSource: Sized) {
    sizeOf('SequentialSampler', dataSource);
    this.dataSource = dataSource;
  }

  get length(): number {
    return this.dataSource.length;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    for (let i = 0; i < n; i++) yield i;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (each draw uniform over the dataset). Default false. */
  replacement?: boolean;
  /**
   * How many indices one iteration yields. Default the dataset's length. Without
   * replacement, more than the length means whole permutations followed by part of one.
   */
  numSamples?: number;
  /** Seed of the sampler's generator; pass `e` uses `seed + e`. Default 0. */
  seed?: number;
}

/**
 * Indices in a random order, as PyTorch's `RandomSampler`: a new permutation each pass, or
 * `numSamples` uniform draws with `replacement: true`.
 *
 * @example
 * ```ts
 * const sampler = new RandomSampler(train, { seed: 1 });
 * const loader = new DataLoader(train, { batchSize: 64, sampler });
 * const bootstrap = new RandomSampler(train, { replacement: true, numSamples: 1000 });
 * ```
 */
export class RandomSampler implements Sampler<number> {
  readonly dataSource: Sized;
  readonly replacement: boolean;
  readonly seed: number;
  /** The pass the next iteration uses; it advances each time an iteration starts. */
  epoch = 0;
  private readonly fixedNumSamples: number | undefined;

  constructor(dataSource: Sized, options: RandomSamplerOptions = {}) {
    sizeOf('RandomSampler', dataSource);
    checkOptions('RandomSampler', options, ['replacement', 'numSamples', 'seed'], { generator: 'use seed: an integer' });
    const replacement = options.replacement ?? false;
    if (typeof replacement !== 'boolean') throw new TypeError(`RandomSampler: replacement must be a boolean, got ${describe(replacement)}`);
    if (options.numSamples !== undefined) checkCount('RandomSampler', 'numSamples', options.numSamples, 1);
    this.dataSource = dataSource;
    this.replacement = replacement;
    this.fixedNumSamples = options.numSamples;
    this.seed = checkSeed('RandomSampler', options.seed);
  }

  /** Indices per iteration. */
  get numSamples(): number {
    return this.fixedNumSamples ?? this.dataSource.length;
  }

  get length(): number {
    return this.numSamples;
  }

  setEpoch(epoch: number): void {
    this.epoch = checkEpoch('RandomSampler', epoch);
  }

  /** The indices pass `epoch` yields. */
  indices(epoch: number): Int32Array {
    const n = this.dataSource.length;
    const count = this.numSamples;
    if (n === 0) {
      if (count > 0 && this.fixedNumSamples !== undefined) throw new Error(`RandomSampler: cannot draw ${count} samples from an empty dataset`);
      return new Int32Array(0);
    }
    if (this.replacement) {
      const rng = new Rng(this.seed + epoch, 0x5253);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = rng.int(n);
      return out;
    }
    // The first permutation is the one `shuffle: true` gives, so the two agree.
    const out = new Int32Array(count);
    let at = 0;
    for (let round = 0; at < count; round++) {
      const perm = new Rng(this.seed + epoch, 0x5348, ...(round === 0 ? [] : [round])).permutation(n);
      const take = Math.min(n, count - at);
      out.set(perm.subarray(0, take), at);
      at += take;
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<number> {
    const indices = this.indices(this.epoch++);
    for (let i = 0; i < indices.length; i++) yield indices[i];
  }
}

/**
 * The given indices in a random order each pass (without replacement), as PyTorch's
 * `SubsetRandomSampler`: e.g. a validation split of one dataset.
 *
 * @example
 * ```ts
 * const val = new DataLoader(train, { batchSize: 256, sampler: new SubsetRandomSampler(valIndices, { seed: 0 }) });
 * ```
 */
export class SubsetRandomSampler implements Sampler<number> {
  readonly indices: Int32Array;
  readonly seed: number;
  epoch = 0;

  constructor(indices: ArrayLike<number> | Iterable<number>, options: { seed?: number } = {}) {
    if (indices === null || typeof indices !== 'object') throw new TypeError(`SubsetRandomSampler: expected a list of indices, got ${describe(indices)}`);
    checkOptions('SubsetRandomSampler', options, ['seed'], { generator: 'use seed: an integer' });
    const list = Array.from(indices as Iterable<number>);
    list.forEach((v, i) => {
      if (!Number.isInteger(v)) throw new TypeError(`SubsetRandomSampler: index ${i} is ${describe(v)}, not an integer`);
    });
    this.indices = Int32Array.from(list);
    this.seed = checkSeed('SubsetRandomSampler', options.seed);
  }

  get length(): number {
    return this.indices.length;
  }

  setEpoch(epoch: number): void {
    this.epoch = checkEpoch('SubsetRandomSampler', epoch);
  }

  *[Symbol.iterator](): Iterator<number> {
    const perm = new Rng(this.seed + this.epoch++, 0x5352).permutation(this.indices.length);
    for (let i = 0; i < perm.length; i++) yield this.indices[perm[i]];
  }
}

export interface WeightedRandomSamplerOptions {
  /** Draw with replacement. Default true, as in PyTorch. */
  replacement?: boolean;
  /** Seed of the sampler's generator. Default 0. */
  seed?: number;
}

/**
 * Index `i` drawn with probability `weights[i] / sum(weights)`, `numSamples` times per pass,
 * as PyTorch's `WeightedRandomSampler` (`torch.multinomial`): the usual fix for an
 * imbalanced training set. Without replacement each index appears at most once, in the
 * order sequential weighted draws would give.
 *
 * @example
 * ```ts
 * // weight each sample by the inverse frequency of its class
 * const weights = labels.map((c) => 1 / classCount[c]);
 * const sampler = new WeightedRandomSampler(weights, labels.length, { seed: 0 });
 * ```
 */
export class WeightedRandomSampler implements Sampler<number> {
  readonly weights: Float64Array;
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly seed: number;
  epoch = 0;
  private readonly cumulative: Float64Array;

  constructor(weights: ArrayLike<number> | Iterable<number>, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    if (weights === null || typeof weights !== 'object') throw new TypeError(`WeightedRandomSampler: weights must be a list of numbers, got ${describe(weights)}`);
    checkOptions('WeightedRandomSampler', options, ['replacement', 'seed'], { generator: 'use seed: an integer' });
    const w = Float64Array.from(Array.from(weights as Iterable<number>, (v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`WeightedRandomSampler: weights must be finite and non-negative; weight ${i} is ${describe(v)}`);
      }
      return v;
    }));
    checkCount('WeightedRandomSampler', 'numSamples', numSamples, 1);
    const replacement = options.replacement ?? true;
    if (typeof replacement !== 'boolean') throw new TypeError(`WeightedRandomSampler: replacement must be a boolean, got ${describe(replacement)}`);
    const cumulative = new Float64Array(w.length);
    let total = 0;
    let positive = 0;
    for (let i = 0; i < w.length; i++) {
      total += w[i];
      cumulative[i] = total;
      if (w[i] > 0) positive++;
    }
    if (!(total > 0)) throw new RangeError(`WeightedRandomSampler: the weights sum to ${total}; at least one must be positive`);
    if (!replacement && numSamples > positive) {
      throw new RangeError(
        `WeightedRandomSampler: cannot draw ${numSamples} samples without replacement from ${positive} indices with a positive weight`,
      );
    }
    this.weights = w;
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.seed = checkSeed('WeightedRandomSampler', options.seed);
    this.cumulative = cumulative;
  }

  get length(): number {
    return this.numSamples;
  }

  setEpoch(epoch: number): void {
    this.epoch = checkEpoch('WeightedRandomSampler', epoch);
  }

  /** The indices pass `epoch` yields. */
  indices(epoch: number): Int32Array {
    const rng = new Rng(this.seed + epoch, 0x5752);
    const out = new Int32Array(this.numSamples);
    const w = this.weights;
    if (this.replacement) {
      const c = this.cumulative;
      const total = c[c.length - 1];
      for (let k = 0; k < out.length; k++) {
        const u = rng.float() * total;
        // The first index whose cumulative weight exceeds u (never a zero-weight index).
        out[k] = firstAbove(c, u);
      }
      return out;
    }
    // Without replacement: keys log(u) / w (Efraimidis-Spirakis); the largest keys, in
    // decreasing order, are distributed as successive draws that remove what they pick.
    const keys: { i: number; key: number }[] = [];
    for (let i = 0; i < w.length; i++) {
      if (w[i] > 0) keys.push({ i, key: Math.log(1 - rng.float()) / w[i] });
    }
    keys.sort((a, b) => b.key - a.key);
    for (let k = 0; k < out.length; k++) out[k] = keys[k].i;
    return out;
  }

  *[Symbol.iterator](): Iterator<number> {
    const indices = this.indices(this.epoch++);
    for (let i = 0; i < indices.length; i++) yield indices[i];
  }
}

/**
 * Groups the indices of `sampler` into lists of `batchSize`, as PyTorch's `BatchSampler`;
 * with `dropLast` a short final list is dropped. Pass it as a DataLoader's `batchSampler`.
 *
 * @example
 * ```ts
 * [...new BatchSampler(new SequentialSampler(range10), 3, false)]; // [[0,1,2],[3,4,5],[6,7,8],[9]]
 * ```
 */
export class BatchSampler implements Sampler<number[]> {
  readonly sampler: Iterable<number>;
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(sampler: Iterable<number>, batchSize: number, dropLast: boolean) {
    if (sampler === null || typeof (sampler as Partial<Iterable<number>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`BatchSampler: sampler must be an iterable of indices (a Sampler or an array), got ${describe(sampler)}`);
    }
    checkCount('BatchSampler', 'batchSize', batchSize, 1);
    if (typeof dropLast !== 'boolean') throw new TypeError(`BatchSampler: dropLast must be a boolean, got ${describe(dropLast)}`);
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }

  get length(): number {
    const n = (this.sampler as Partial<Sized>).length;
    if (typeof n !== 'number') throw new TypeError('BatchSampler.length: the wrapped sampler has no length');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Passes the epoch on to the wrapped sampler. */
  setEpoch(epoch: number): void {
    checkEpoch('BatchSampler', epoch);
    (this.sampler as Sampler).setEpoch?.(epoch);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const index of this.sampler) {
      batch.push(index);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}

export interface DistributedSamplerOptions {
  /** How many processes (replicas) share the data. Required: there is no process group to ask. */
  numReplicas: number;
  /** This process's rank in [0, numReplicas). Required. */
  rank: number;
  /** A new random order each epoch (`setEpoch`), the same on every replica. Default true. */
  shuffle?: boolean;
  /** Seed shared by all replicas. Default 0. */
  seed?: number;
  /** Drop the tail so every replica gets the same count, instead of padding by repeating. Default false. */
  dropLast?: boolean;
}

/**
 * The share of the data one of `numReplicas` processes visits, as PyTorch's
 * `DistributedSampler`: every replica shuffles with the same seed and epoch, pads the order
 * by repeating its start (or drops the tail with `dropLast`) to a multiple of `numReplicas`,
 * and takes every `numReplicas`-th index from `rank`. Call `setEpoch(epoch)` before each
 * epoch, as in PyTorch, for a new order.
 *
 * @example
 * ```ts
 * const sampler = new DistributedSampler(train, { numReplicas: 4, rank: 1, seed: 0 });
 * const loader = new DataLoader(train, { batchSize: 64, sampler });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   sampler.setEpoch(epoch);
 *   for await (const batch of loader) {}
 * }
 * ```
 */
export class DistributedSampler implements Sampler<number> {
  readonly dataset: Sized;
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** The epoch the next iteration uses; only `setEpoch` changes it, as in PyTorch. */
  epoch = 0;

  constructor(dataset: Sized, options: DistributedSamplerOptions) {
    sizeOf('DistributedSampler', dataset);
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`DistributedSampler: expected options { numReplicas, rank }, got ${describe(options)}`);
    }
    checkOptions('DistributedSampler', options, ['numReplicas', 'rank', 'shuffle', 'seed', 'dropLast'], { drop_last: 'dropLast', num_replicas: 'numReplicas' });
    checkCount('DistributedSampler', 'numReplicas', options.numReplicas, 1);
    checkCount('DistributedSampler', 'rank', options.rank, 0);
    if (options.rank >= options.numReplicas) {
      throw new RangeError(`DistributedSampler: invalid rank ${options.rank}, rank should be in the interval [0, ${options.numReplicas - 1}]`);
    }
    const shuffle = options.shuffle ?? true;
    const dropLast = options.dropLast ?? false;
    if (typeof shuffle !== 'boolean') throw new TypeError(`DistributedSampler: shuffle must be a boolean, got ${describe(shuffle)}`);
    if (typeof dropLast !== 'boolean') throw new TypeError(`DistributedSampler: dropLast must be a boolean, got ${describe(dropLast)}`);
    this.dataset = dataset;
    this.numReplicas = options.numReplicas;
    this.rank = options.rank;
    this.shuffle = shuffle;
    this.seed = checkSeed('DistributedSampler', options.seed);
    this.dropLast = dropLast;
  }

  /** Indices this replica yields per epoch. */
  get numSamples(): number {
    const n = this.dataset.length;
    if (this.dropLast && n % this.numReplicas !== 0) return Math.max(0, Math.ceil((n - this.numReplicas) / this.numReplicas));
    return Math.ceil(n / this.numReplicas);
  }

  get length(): number {
    return this.numSamples;
  }

  /** Total indices over all replicas. */
  get totalSize(): number {
    return this.numSamples * this.numReplicas;
  }

  setEpoch(epoch: number): void {
    this.epoch = checkEpoch('DistributedSampler', epoch);
  }

  /** The indices this replica visits in `epoch`. */
  indices(epoch: number): Int32Array {
    const n = this.dataset.length;
    let order: Int32Array;
    if (this.shuffle) order = new Rng(this.seed + epoch, 0x4453).permutation(n);
    else order = Int32Array.from({ length: n }, (_, i) => i);
    const total = this.totalSize;
    let full: Int32Array;
    if (this.dropLast) {
      full = order.subarray(0, total);
    } else {
      full = new Int32Array(total);
      for (let i = 0; i < total; i++) full[i] = order[i % n];
    }
    const out = new Int32Array(this.numSamples);
    for (let k = 0, i = this.rank; i < total; i += this.numReplicas, k++) out[k] = full[i];
    return out;
  }

  *[Symbol.iterator](): Iterator<number> {
    const indices = this.indices(this.epoch);
    for (let i = 0; i < indices.length; i++) yield indices[i];
  }
}

/**
 * Reject options a function does not know: each unknown key is an error naming it, with
 * PyTorch spellings pointed to their camelCase names or explained.
 */
export function checkOptions(name: string, options: unknown, known: readonly string[], hints: Readonly<Record<string, string>> = {}): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${name}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const given = hints[key];
    const hint =
      given !== undefined && !known.includes(given)
        ? given
        : camel !== key && known.includes(camel)
          ? `did you mean ${camel}?`
          : given !== undefined
            ? `did you mean ${given}?`
            : `the options are ${known.join(', ')}`;
    throw new TypeError(`${name}: unsupported option '${key}' (${hint})`);
  }
}
