/**
 * Sampling ops beyond rand/randn/randint: permutations, normal, Bernoulli and multinomial draws. Each takes
 * `{ generator }` and draws from the counter-based RNG, so one seed gives one result on every
 * backend. Like PyTorch, the samples carry no gradient.
 */
import { withinOp } from '../autograd/trace.js';
import { isFloating } from '../dtype.js';

import { broadcastShapes, formatShape, type Shape } from '../shape.js';
import { philox4x32 } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import { owned } from '../memory.js';
import { searchsorted } from './advanced-indexing.js';
import { arange, rand, randint, randn, tensor, zeros, type RandomOptions } from './creation.js';
import { generatorOf } from './generator.js';
import { topk } from './sort.js';
import { cumsum } from './scan.js';
import { describeValue, isTensor, requireTensor } from './util.js';

const PHILOX_KEY = 0x7e45113;

/** A uniform double in [0, 1) from counter `index` of `seed`: 53 bits of words 0 and 1. */
function uniform53(seed: number, index: number): number {
  const [w0, w1] = philox4x32(index % 4294967296, Math.floor(index / 4294967296), seed, PHILOX_KEY);
  return ((w0 >>> 5) * 67108864 + (w1 >>> 6)) / 9007199254740992;
}

/**
 * A random permutation of `0 .. n-1` (int32), shuffled on the host (Fisher-Yates on 53-bit
 * uniforms, so every permutation is reachable for any n an int32 holds).
 *
 * @example
 * ```ts
 * const order = tl.randperm(10, { generator: g }); // shuffle a data set
 * ```
 */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${String(n)}`);
  const dtype = options.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'float32') throw new Error(`randperm: dtype must be int32 or float32, got ${dtype}`);
  if (dtype === 'float32' && n > 2 ** 24) throw new Error(`randperm: n = ${n} is more than float32 holds exactly (2^24); use int32`);
  if (n > 2 ** 31) throw new Error(`randperm: n = ${n} does not fit int32`);
  const generator = generatorOf('randperm', options);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const seed = generator.initialSeed();
  const start = generator.take(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform53(seed, start + i) * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  const { generator: _, ...rest } = options;
  return tensor(order, { ...rest, dtype });
}

/**
 * Integers uniform in [low, high) shaped and placed like `t` (int32 unless `dtype` says
 * otherwise): `randintLike(t, high)` or `randintLike(t, low, high)`.
 *
 * @example
 * ```ts
 * tl.randintLike(labels, 10);
 * ```
 */
export function randintLike(t: Tensor, high: number, options?: RandomOptions): Tensor;
export function randintLike(t: Tensor, low: number, high: number, options?: RandomOptions): Tensor;
export function randintLike(t: Tensor, a: number, b?: number | RandomOptions, c?: RandomOptions): Tensor {
  requireTensor('randintLike', t);
  const [low, high, options] = typeof b === 'number' ? [a, b, c ?? {}] : [0, a, b ?? {}];
  return randint(low, high, t.shape, { device: t.device, dtype: t.dtype === 'bool' ? 'int32' : t.dtype, ...options });
}

function checkStdNumber(op: string, std: number): void {
  if (typeof std !== 'number' || !(std >= 0)) throw new Error(`${op}: std must be a number >= 0, got ${String(std)}`);
}

/** Throws if a tensor of standard deviations holds a negative or NaN value (where it can be read now). */
function checkStdTensor(op: string, std: Tensor): void {
  const read = std.backend.readSync;
  if (!read) return;
  const values = read.call(std.backend, std.kernelView);
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0)) throw new Error(`${op}: std must be >= 0 everywhere, got ${values[i]}`);
  }
}

/**
 * Normal samples with the given `mean` and `std` (numbers or tensors, broadcast together);
 * with two numbers, `shape` gives the output's shape. float32 (or the tensors' float dtype).
 *
 * @example
 * ```ts
 * tl.normal(0, 0.02, [768, 768]);          // init weights
 * tl.normal(mu, sigma);                    // one sample per element of mu and sigma
 * ```
 */
export function normal(mean: number | Tensor, std: number | Tensor, shape?: Shape, options: RandomOptions = {}): Tensor {
  const op = 'normal';
  const tensors = [mean, std].filter(isTensor);
  if (!isTensor(mean) && typeof mean !== 'number') throw new TypeError(`${op}: mean must be a number or a tensor, got ${typeof mean}`);
  if (!isTensor(std)) checkStdNumber(op, std);
  else checkStdTensor(op, std);
  for (const t of tensors) {
    requireTensor(op, t);
    if (!isFloating(t.dtype)) throw new TypeError(`${op}: mean and std tensors must be floating point, got ${t.dtype}`);
  }
  if (tensors.length === 0) {
    if (shape === undefined) throw new Error(`${op}: with a number mean and std, give the output shape`);
    return withinOp(() =>
      owned((t) => {
        const z = t(randn(shape, options));
        if (mean === 0 && std === 1) return z; // the result: kept
        return t(z.mul(std as number)).add(mean as number);
      }),
    );
  }
  const outShape = tensors.length === 2 ? broadcastShapes(tensors[0].shape, tensors[1].shape) : tensors[0].shape;
  if (shape !== undefined && formatShape(shape) !== formatShape(outShape)) {
    throw new Error(`${op}: shape ${formatShape(shape)} disagrees with the mean/std shape ${formatShape(outShape)}; omit it`);
  }
  if (options.device !== undefined && options.device !== tensors[0].device) {
    throw new Error(`${op}: device '${options.device}' disagrees with the tensors' device '${tensors[0].device}'`);
  }
  if (options.requiresGrad) throw new Error(`${op}: requiresGrad is only for number mean and std; call requiresGrad on the result`);
  return withinOp(() =>
    owned((t) => t(t(randn(outShape, { device: tensors[0].device, dtype: tensors[0].dtype, generator: options.generator })).mul(std)).add(mean)),
  );
}

/**
 * 0/1 samples, 1 with probability `p` elementwise: `bernoulli(probs)` takes the probabilities
 * from a float tensor; `bernoulli(x, p)` uses one probability and `x`'s shape. The result has
 * the input's dtype.
 *
 * @example
 * ```ts
 * const keep = tl.bernoulli(tl.full([4, 4], 0.9));
 * ```
 */
export function bernoulli(input: Tensor, p?: number, options: RandomOptions = {}): Tensor {
  const op = 'bernoulli';
  requireTensor(op, input);
  if (!isFloating(input.dtype)) throw new TypeError(`${op}: the input must be floating point, got ${input.dtype}`);
  for (const key of ['dtype', 'device', 'requiresGrad'] as const) {
    if (options[key] !== undefined) throw new Error(`${op}: option '${key}' is not supported; the result takes the input's`);
  }
  if (p !== undefined && (typeof p !== 'number' || !(p >= 0 && p <= 1))) throw new Error(`${op}: p must be in [0, 1], got ${String(p)}`);
  if (p === undefined) {
    const read = input.backend.readSync;
    if (read) {
      const values = read.call(input.backend, input.kernelView);
      for (let i = 0; i < values.length; i++) {
        if (!(values[i] >= 0 && values[i] <= 1)) throw new Error(`${op}: probabilities must be in [0, 1], got ${values[i]}`);
      }
    }
  }
  return withinOp(() => owned((t) => t(t(rand(input.shape, { device: input.device, generator: options.generator })).lt(p ?? input)).cast(input.dtype)));
}

/** `options` must be an object whose only option, if any, is `generator`. */
function checkGeneratorOnly(op: string, options: object): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (key !== 'generator') throw new Error(`${op}: option '${key}' is not supported (only generator)`);
  }
}

/** PyTorch's checks of multinomial's rows, where the values can be read now (cpu, wasm). */
function checkDistribution(probs: Tensor, numSamples: number, replacement: boolean): void {
  const read = probs.backend.readSync;
  if (!read) return;
  const values = read.call(probs.backend, probs.kernelView);
  const n = probs.shape[probs.rank - 1];
  for (let row = 0; row * n < values.length; row++) {
    let sum = 0;
    let nonzero = 0;
    for (let j = row * n; j < (row + 1) * n; j++) {
      const p = values[j];
      if (!Number.isFinite(p) || p < 0) throw new Error(`multinomial: probabilities must be finite and >= 0, got ${p} in row ${row}`);
      sum += p;
      if (p > 0) nonzero++;
    }
    if (!(sum > 0)) throw new Error(`multinomial: row ${row} sums to ${sum}; a distribution needs a positive sum`);
    if (!replacement && numSamples > nonzero) {
      throw new Error(`multinomial: cannot draw ${numSamples} samples without replacement from row ${row}, which has ${nonzero} categories of nonzero probability`);
    }
  }
}

/**
 * Draw `numSamples` category indices (int32) from each row of `input`, a 1-D or 2-D tensor of
 * non-negative weights (they need not sum to 1): `[numSamples]` or `[rows, numSamples]`.
 * Without `replacement` a row's samples are distinct. On webgpu and cuda the weights are not
 * read, so invalid rows (negative, NaN, a zero sum) are not reported there.
 *
 * @example
 * ```ts
 * const next = tl.multinomial(logits.softmax(-1), 1); // sample the next token of each row
 * ```
 */
export function multinomial(input: Tensor, numSamples: number, replacement = false, options: Pick<RandomOptions, 'generator'> = {}): Tensor {
  const op = 'multinomial';
  requireTensor(op, input);
  checkGeneratorOnly(op, options);
  if (!isFloating(input.dtype)) throw new TypeError(`${op}: the weights must be floating point, got ${input.dtype}`);
  if (input.rank !== 1 && input.rank !== 2) throw new Error(`${op}: the weights must be 1-D or 2-D, got ${formatShape(input.shape)}`);
  if (typeof replacement !== 'boolean') throw new TypeError(`${op}: replacement must be a boolean, got ${describeValue(replacement)}`);
  const n = input.shape[input.rank - 1];
  if (n === 0) throw new Error(`${op}: the weights ${formatShape(input.shape)} have no categories`);
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new Error(`${op}: numSamples must be a positive integer, got ${String(numSamples)}`);
  if (!replacement && numSamples > n) {
    throw new Error(`${op}: cannot draw ${numSamples} samples without replacement from ${n} categories`);
  }
  checkDistribution(input, numSamples, replacement);
  const device = input.device;
  const sampleShape = [...input.shape.slice(0, -1), numSamples];
  return withinOp(() => owned((t) => {
    const p = input.dtype === 'float32' ? input : t(input.float());
    if (!replacement) {
      // An exponential race: the k smallest Exp(1) / p are a draw without replacement
      // (zero weights give Infinity and are never taken).
      const u = t(rand(p.shape, { device, generator: options.generator }));
      const keys = t(t(t(u.log()).neg()).div(p));
      const { values, indices } = topk(keys, numSamples, -1, false);
      t(values);
      return indices;
    }
    // Inverse CDF: the first category whose running sum passes u * total.
    const cdf = t(cumsum(p, -1));
    const total = t(cdf.narrow(-1, n - 1, 1));
    const u = t(rand(sampleShape, { device, generator: options.generator }));
    const target = t(u.mul(total));
    const found = t(searchsorted(cdf, target, { right: true }));
    // Rounding can put u * total at the very end, past trailing zero weights: take the last
    // category with a positive weight instead.
    const at = t(arange(n, undefined, 1, { device, dtype: 'int32' }));
    const last = t(t(at.where(t(p.gt(0)), 0)).amax(-1, true));
    return found.minimum(last);
  }));
}

/** Rates at or above this use transformed rejection; below it, counting exponential arrivals. */
const POISSON_PTRS_MIN_RATE = 10;
/** Arrivals counted for rates below 10: P(X >= 40) is below 1e-11 there. */
const POISSON_ARRIVALS = 40;
/** Rejection rounds for rates of 10 and more; each accepts with probability above 0.9. */
const POISSON_ROUNDS = 12;
const HALF_LOG_2PI = 0.9189385332046727;

/** PyTorch's check of poisson's rates, where the values can be read now; returns their range. */
function readRates(rates: Tensor): { min: number; max: number } | undefined {
  const read = rates.backend.readSync;
  if (!read) return undefined;
  const values = read.call(rates.backend, rates.kernelView);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v < Infinity)) throw new Error(`poisson: rates must be finite and >= 0, got ${v} at flat index ${i}`);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { min, max };
}

/**
 * Poisson(rate) for small rates: the number of Exp(1) arrivals whose running sum stays below
 * the rate (a fixed number of rounds, so the same ops run on every backend).
 */
function poissonByArrivals(rate: Tensor, generator: RandomOptions['generator']): Tensor {
  return owned((own) => {
    let elapsed = own(zeros(rate.shape, { device: rate.device }));
    let count = elapsed;
    for (let i = 0; i < POISSON_ARRIVALS; i++) {
      const next = own(owned((t) => elapsed.sub(t(t(rand(rate.shape, { device: rate.device, generator })).log()))));
      const counted = own(owned((t) => count.add(t(t(next.lt(rate)).float()))));
      // The previous round is freed as soon as the next exists (it is owned too, should a round throw).
      if (count !== elapsed) count.dispose();
      elapsed.dispose();
      elapsed = next;
      count = counted;
    }
    return count;
  });
}

/**
 * log P(X = k) for X ~ Poisson(rate): directly for small k, and through Stirling's series
 * with k log(rate / k) + (k - rate) for larger k, which keeps float32 free of the
 * cancellation between -rate + k log(rate) and lgamma(k + 1).
 */
function poissonLogPmf(k: Tensor, rate: Tensor, logRate: Tensor): Tensor {
  return owned((t) => {
    const direct = t(t(t(k.mul(logRate)).sub(rate)).sub(t(t(k.add(1)).lgamma())));
    const safeK = t(k.clamp(15, Infinity));
    const inv = t(safeK.reciprocal());
    const inv2 = t(inv.square());
    // lgamma(k + 1) - ((k + 1/2) log k - k + log(2 pi) / 2), to within 1e-9 for k >= 15.
    const stirlingError = t(t(t(t(t(inv2.mul(1 / 1260)).sub(1 / 360)).mul(inv2)).add(1 / 12)).mul(inv));
    const d = t(t(rate.sub(safeK)).div(safeK));
    const mainTerm = t(t(t(d.log1p()).sub(d)).mul(safeK));
    const halfLog = t(t(t(safeK.log()).mul(0.5)).add(HALF_LOG_2PI));
    const stirling = t(t(mainTerm.sub(halfLog)).sub(stirlingError));
    return direct.where(t(k.lt(15)), stirling);
  });
}

/**
 * Poisson(rate) for rates of 10 and more: Hörmann's transformed rejection with squeeze (PTRS,
 * 1993), every element running the same fixed rounds and keeping its first accepted candidate.
 */
function poissonByRejection(rate: Tensor, generator: RandomOptions['generator']): Tensor {
  const device = rate.device;
  return owned((t) => {
    const rootRate = t(rate.sqrt());
    const logRate = t(rate.log());
    const b = t(t(rootRate.mul(2.53)).add(0.931));
    const a = t(t(b.mul(0.02483)).sub(0.059));
    const twoA = t(a.mul(2));
    const logInvAlpha = t(t(t(t(t(b.sub(3.4)).reciprocal()).mul(1.1328)).add(1.1239)).log());
    const vr = t(t(t(t(b.sub(2)).reciprocal()).mul(-3.6224)).add(0.9277));
    // The running result and done mask are replaced each round: a round owns the previous
    // pair (freed when it ends, or throws) and returns the next.
    let result = t(zeros(rate.shape, { device }));
    let done = t(zeros(rate.shape, { device, dtype: 'bool' }));
    for (let round = 0; round < POISSON_ROUNDS; round++) {
      [result, done] = owned((r) => {
        r(result);
        r(done);
        const u = r(r(rand(rate.shape, { device, generator })).sub(0.5));
        const v = r(rand(rate.shape, { device, generator }));
        const us = r(r(r(u.abs()).neg()).add(0.5));
        const k = r(r(r(r(r(r(twoA.div(us)).add(b)).mul(u)).add(rate)).add(0.43)).floor());
        const squeeze = r(r(us.ge(0.07)).logicalAnd(r(v.le(vr))));
        const inTail = r(r(us.lt(0.013)).logicalAnd(r(v.gt(us))));
        const candidate = r(r(k.ge(0)).logicalAnd(r(inTail.logicalNot())));
        const lhs = r(r(r(v.log()).add(logInvAlpha)).sub(r(r(r(a.div(r(us.square()))).add(b)).log())));
        const accepted = r(squeeze.logicalOr(r(candidate.logicalAnd(r(lhs.le(r(poissonLogPmf(k, rate, logRate))))))));
        const take = r(accepted.logicalAnd(r(done.logicalNot())));
        return [r(k.where(take, result)), r(done.logicalOr(accepted))];
      });
    }
    // An element whose every round was rejected (probability below 1e-12) takes the
    // rate's floor, the mode, so no sample is wildly off.
    return t(result).where(t(done), t(rate.floor()));
  });
}

/**
 * Samples of Poisson(rate) elementwise, with the rates' shape and dtype. Rates of 10 and more
 * use transformed rejection (Hörmann's PTRS), smaller ones count exponential arrivals; both
 * run a fixed number of rounds on the counter-based RNG, so every backend runs the same ops.
 * Like PyTorch, negative or NaN rates are an error (checked where the values can be read
 * now: cpu, wasm), and the samples carry no gradient.
 *
 * @example
 * ```ts
 * const counts = tl.poisson(tl.full([1000], 4.5)); // mean and variance about 4.5
 * ```
 */
export function poisson(rates: Tensor, options: Pick<RandomOptions, 'generator'> = {}): Tensor {
  const op = 'poisson';
  requireTensor(op, rates);
  checkGeneratorOnly(op, options);
  if (!isFloating(rates.dtype)) throw new TypeError(`${op}: the rates must be floating point, got ${rates.dtype}`);
  const range = readRates(rates);
  const generator = options.generator;
  return withinOp(() => owned((t) => {
    const rate = rates.dtype === 'float32' ? rates : t(rates.float());
    // Where the rates were read, skip a branch no element takes.
    const small = range && range.min >= POISSON_PTRS_MIN_RATE ? undefined : t(poissonByArrivals(rate, generator));
    const large = range && range.max < POISSON_PTRS_MIN_RATE ? undefined : t(poissonByRejection(rate, generator));
    const samples = small && large ? t(small.where(t(rate.lt(POISSON_PTRS_MIN_RATE)), large)) : (small ?? large)!;
    return samples.cast(rates.dtype);
  }));
}
