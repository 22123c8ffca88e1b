/**
 * Sampling ops beyond rand/randn/randint: permutations, normal and Bernoulli draws. Each takes
 * `{ generator }` and draws from the counter-based RNG, so one seed gives one result on every
 * backend. Like PyTorch, the samples carry no gradient.
 */
import { isFloating } from '../dtype.js';
import { noGrad } from '../autograd/grad-mode.js';
import { broadcastShapes, formatShape, type Shape } from '../shape.js';
import { philox4x32 } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import { rand, randint, randn, tensor, type RandomOptions } from './creation.js';
import { generatorOf } from './generator.js';
import { isTensor, requireTensor } from './util.js';

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
    return noGrad(() => {
      const z = randn(shape, options);
      if (mean === 0 && std === 1) return z;
      try {
        return z.mul(std as number).add(mean as number);
      } finally {
        z.dispose();
      }
    });
  }
  const outShape = tensors.length === 2 ? broadcastShapes(tensors[0].shape, tensors[1].shape) : tensors[0].shape;
  if (shape !== undefined && formatShape(shape) !== formatShape(outShape)) {
    throw new Error(`${op}: shape ${formatShape(shape)} disagrees with the mean/std shape ${formatShape(outShape)}; omit it`);
  }
  if (options.device !== undefined && options.device !== tensors[0].device) {
    throw new Error(`${op}: device '${options.device}' disagrees with the tensors' device '${tensors[0].device}'`);
  }
  if (options.requiresGrad) throw new Error(`${op}: requiresGrad is only for number mean and std; call requiresGrad on the result`);
  return noGrad(() => {
    const z = randn(outShape, { device: tensors[0].device, dtype: tensors[0].dtype, generator: options.generator });
    const scaled = z.mul(std);
    try {
      return scaled.add(mean);
    } finally {
      z.dispose();
      scaled.dispose();
    }
  });
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
  return noGrad(() => {
    const u = rand(input.shape, { device: input.device, generator: options.generator });
    const hit = u.lt(p ?? input);
    try {
      return hit.cast(input.dtype);
    } finally {
      u.dispose();
      hit.dispose();
    }
  });
}
