/**
 * `nn.init`: PyTorch's initialisers. Each fills a leaf tensor (a `Parameter`, usually) in
 * place with `assign`, outside any graph, drawing from core's seeded generator
 * (`tl.manualSeed`), and returns it.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { erfinv } from './erfinv.js';
import { orthonormalColumns } from './orthonormal.js';

/** Nonlinearities that `calculateGain` knows, with PyTorch's names. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** Which fan a Kaiming initialiser preserves: forward activations (`fan_in`) or backward gradients (`fan_out`). */
export type FanMode = 'fan_in' | 'fan_out';

/**
 * The recommended gain for a nonlinearity, as PyTorch's `calculate_gain`: 1 for linear,
 * convolutions and sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + a²)) for leaky_relu
 * (`param` is the negative slope `a`, default 0.01), 3/4 for selu.
 *
 * @example
 * ```ts
 * init.calculateGain('leaky_relu', Math.sqrt(5)); // √(1/3)
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity satisfies never)}'`);
  }
}

/**
 * Fan-in and fan-out of a weight shape, as PyTorch: `[out, in, ...kernel]` gives
 * `fanIn = in · prod(kernel)` and `fanOut = out · prod(kernel)`. Needs at least 2 dims.
 *
 * @example
 * ```ts
 * init.calculateFanInAndFanOut([16, 3, 5, 5]); // { fanIn: 75, fanOut: 400 }
 * ```
 */
export function calculateFanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(`calculateFanInAndFanOut: fan in and fan out cannot be computed for a tensor with fewer than 2 dims, got ${tl.formatShape(shape)}`);
  }
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Inside `skipInit`: the dtype new parameters get, and initialisers leave them alone. */
let skipping: { dtype: 'float32' | 'float16' } | null = null;

/**
 * Build modules without initialising their parameters, as PyTorch's
 * `torch.nn.utils.skip_init`: for weights about to be overwritten (a checkpoint), so no
 * random draws are made and no float32 copy of a float16 model is ever allocated. Inside
 * `fn`, new parameters are zeros of `dtype` (default float32) and the initialisers
 * (`normal_`, `kaimingUniform_`, ...) return their tensor unchanged.
 *
 * @example
 * ```ts
 * const model = nn.init.skipInit(() => new GPT2(config), { dtype: 'float16' });
 * model.loadStateDict(weights);
 * ```
 */
export function skipInit<T>(fn: () => T, options: { dtype?: 'float32' | 'float16' } = {}): T {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') throw new Error(`skipInit: dtype must be float32 or float16, got ${String(dtype)}`);
  if (skipping) throw new Error('skipInit: already inside skipInit');
  skipping = { dtype };
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('skipInit: fn must be synchronous (modules are built synchronously)');
    return result;
  } finally {
    skipping = null;
  }
}

/** The dtype a new parameter gets: float32, or `skipInit`'s. */
export function parameterDType(): 'float32' | 'float16' {
  return skipping?.dtype ?? 'float32';
}

/** Assign `make()` (computed in float32) to `t`, rounded to `t`'s dtype; nothing inside `skipInit`. */
function fill(op: string, t: Tensor, make: () => Tensor): Tensor {
  checkFloatTarget(op, t);
  if (skipping) return t;
  tl.noGrad(() =>
    tl.tidy(() => {
      t.assign(make().cast(t.dtype));
    }),
  );
  return t;
}

/**
 * Fill with samples from U(a, b).
 *
 * @example
 * ```ts
 * init.uniform_(linear.bias!, -0.1, 0.1);
 * ```
 */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return fill('uniform_', t, () => tl.rand(t.shape, { device: t.device }).mul(b - a).add(a));
}

/**
 * Fill with samples from N(mean, std²).
 *
 * @example
 * ```ts
 * init.normal_(embedding.weight, 0, 0.02);
 * ```
 */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return fill('normal_', t, () => tl.randn(t.shape, { device: t.device }).mul(std).add(mean));
}

/**
 * Fill with a constant.
 *
 * @example
 * ```ts
 * init.constant_(layerNorm.weight!, 1);
 * ```
 */
export function constant_(t: Tensor, value: number): Tensor {
  return fill('constant_', t, () => tl.full(t.shape, value, { device: t.device, dtype: t.dtype }));
}

/**
 * Fill row `row` (along dim 0) with zeros, the rest unchanged: an embedding's padding row, as
 * PyTorch's `Embedding._fill_padding_idx_with_zero`. Nothing inside `skipInit` (the row is zero there).
 *
 * @example
 * ```ts
 * init.normal_(embedding.weight, 0, 0.02);
 * init.zeroRow_(embedding.weight, embedding.paddingIdx!);
 * ```
 */
export function zeroRow_(t: Tensor, row: number): Tensor {
  checkFloatTarget('zeroRow_', t);
  const rows = t.shape[0];
  if (t.rank === 0 || !Number.isInteger(row) || row < 0 || row >= rows!) throw new RangeError(`zeroRow_: row ${row} is not a row of a tensor of shape [${t.shape}]`);
  return fill('zeroRow_', t, () => t.where(tl.arange(rows!, undefined, 1, { dtype: 'int32', device: t.device }).reshape([-1, ...new Array<number>(t.rank - 1).fill(1)]).ne(row), 0));
}

/** Fill with zeros. @example `init.zeros_(linear.bias!)` */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fill with ones. @example `init.ones_(batchNorm.weight!)` */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Options of the Kaiming (He) initialisers. */
export interface KaimingOptions {
  /** Negative slope of the leaky_relu that follows (default 0). */
  a?: number;
  /** `fan_in` (default) or `fan_out`. */
  mode?: FanMode;
  /** Default `leaky_relu`, as PyTorch. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t.shape);
  const mode = o.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`${op}: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  if (fan === 0) throw new Error(`${op}: cannot initialise a tensor with a zero fan, shape ${tl.formatShape(t.shape)}`);
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/**
 * He initialisation from U(-bound, bound), `bound = gain · √(3 / fan)`.
 *
 * @example
 * ```ts
 * init.kaimingUniform_(linear.weight, { a: Math.sqrt(5) }); // nn.Linear's default
 * ```
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound);
}

/**
 * He initialisation from N(0, std²), `std = gain / √fan`.
 *
 * @example
 * ```ts
 * init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options));
}

function xavierStd(t: Tensor, gain: number): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t.shape);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Glorot initialisation from U(-a, a), `a = gain · √(6 / (fanIn + fanOut))`.
 *
 * @example
 * ```ts
 * init.xavierUniform_(attention.inProjWeight);
 * ```
 */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const a = Math.sqrt(3) * xavierStd(t, gain);
  return uniform_(t, -a, a);
}

/**
 * Glorot initialisation from N(0, std²), `std = gain · √(2 / (fanIn + fanOut))`.
 *
 * @example
 * ```ts
 * init.xavierNormal_(linear.weight, init.calculateGain('tanh'));
 * ```
 */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  return normal_(t, 0, xavierStd(t, gain));
}

// ---- structured and orthogonal initialisers ------------------------------------------------

function checkFloatTarget(op: string, t: Tensor): void {
  if (!(t instanceof tl.Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float16') throw new TypeError(`${op}: expected a float32 or float16 tensor, got ${t.dtype}`);
}

/** `n` draws of the global generator, exactly as `tl.randn`/`tl.rand` of `n` elements would give them, on the host. */
function hostDraws(distribution: 'uniform' | 'normal', n: number): Float64Array {
  const { seed, offset } = tl.getRngState();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(tl.randomElement(distribution, seed, offset + i));
  tl.setRngState({ seed, offset: offset + n });
  return out;
}

/** Write host values (row-major, `t`'s shape) into `t`. */
function assignHost(op: string, t: Tensor, values: Float32Array): Tensor {
  return fill(op, t, () => tl.tensor(values, { device: t.device }).reshape(t.shape));
}

/**
 * Fill with a (semi-)orthogonal matrix, as PyTorch's `orthogonal_` (Saxe et al. 2013): the
 * tensor is viewed as `[rows, rest]`; a normal matrix of that shape (drawn from core's
 * generator, as `tl.randn` would) is factorised as QR with R's diagonal made positive, and Q
 * (transposed first when rows < columns) times `gain` is written. Rows (or columns, whichever
 * are fewer) come out orthonormal. Computed on the host, so it works on every backend.
 *
 * @example
 * ```ts
 * init.orthogonal_(rnn.weight_hh_l0, init.calculateGain('tanh'));
 * ```
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  checkFloatTarget('orthogonal_', t);
  if (t.rank < 2) throw new Error(`orthogonal_: only tensors with 2 or more dimensions are supported, got ${tl.formatShape(t.shape)}`);
  if (!Number.isFinite(gain)) throw new Error(`orthogonal_: gain must be a finite number, got ${gain}`);
  if (skipping || t.size === 0) return t;
  const rows = t.shape[0];
  const cols = t.size / rows;
  const a = hostDraws('normal', rows * cols);
  const out = new Float32Array(rows * cols);
  if (rows >= cols) {
    const q = orthonormalColumns(a, rows, cols);
    for (let i = 0; i < q.length; i++) out[i] = q[i] * gain;
  } else {
    const at = new Float64Array(cols * rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) at[j * rows + i] = a[i * cols + j];
    const q = orthonormalColumns(at, cols, rows); // cols × rows
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q[j * rows + i] * gain;
  }
  return assignHost('orthogonal_', t, out);
}

function normalCdf(x: number): number {
  return (1 + erfHost(x / Math.SQRT2)) / 2;
}

/** erf in float64 (Abramowitz-Stegun 7.1.26 is too coarse here): a series / continued fraction. */
function erfHost(x: number): number {
  if (!Number.isFinite(x)) return Math.sign(x);
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc by its continued fraction (Lentz), for |x| >= 2.5
  let f = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const an = k / 2;
    d = ax + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
}

/**
 * Fill with samples from N(mean, std²) truncated to [a, b], as PyTorch's `trunc_normal_`
 * (the ViT / transformer default): uniform samples between the bounds' CDF values mapped
 * through the inverse normal CDF, then clamped to [a, b]. Drawn on the tensor's device.
 *
 * @example
 * ```ts
 * init.truncNormal_(vit.posEmbed, 0, 0.02);           // within ±2 (i.e. effectively untruncated)
 * init.truncNormal_(linear.weight, 0, 1, -1, 1);      // within ±1
 * ```
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  checkFloatTarget('truncNormal_', t);
  for (const [name, v] of [['mean', mean], ['std', std], ['a', a], ['b', b]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`truncNormal_: ${name} must be a number, got ${String(v)}`);
  }
  if (!(std > 0) || !Number.isFinite(std)) throw new Error(`truncNormal_: std must be positive and finite, got ${std}`);
  if (!(a < b)) throw new Error(`truncNormal_: the lower bound a (${a}) must be below the upper bound b (${b})`);
  const low = normalCdf((a - mean) / std);
  const high = normalCdf((b - mean) / std);
  if (!(high > low)) {
    throw new Error(`truncNormal_: [${a}, ${b}] lies too far in the tail of N(${mean}, ${std}²) to sample (its probability rounds to 0)`);
  }
  return fill('truncNormal_', t, () => {
    const u = tl.rand(t.shape, { device: t.device }).mul(2 * high - 2 * low).add(2 * low - 1);
    // Keep the erfinv argument strictly inside (-1, 1), where it is finite.
    const inside = u.clamp(-1 + 2 ** -24, 1 - 2 ** -24);
    return erfinv(inside).mul(std * Math.SQRT2).add(mean).clamp(a, b);
  });
}

/**
 * Fill a 2-D tensor as a sparse matrix, as PyTorch's `sparse_` (Martens 2010): N(0, std²)
 * everywhere, then in each column `ceil(sparsity · rows)` entries, chosen at random, set to 0.
 *
 * @example
 * ```ts
 * init.sparse_(linear.weight, 0.9); // 90% of each column is zero
 * ```
 */
export function sparse_(t: Tensor, sparsity: number, std = 0.01): Tensor {
  checkFloatTarget('sparse_', t);
  if (t.rank !== 2) throw new Error(`sparse_: only tensors with 2 dimensions are supported, got ${tl.formatShape(t.shape)}`);
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1)) {
    throw new Error(`sparse_: sparsity must be a fraction in [0, 1], got ${String(sparsity)}`);
  }
  if (!Number.isFinite(std) || std < 0) throw new Error(`sparse_: std must be a non-negative number, got ${std}`);
  const [rows, cols] = t.shape;
  const numZeros = Math.ceil(sparsity * rows);
  normal_(t, 0, std);
  if (skipping || numZeros === 0 || t.size === 0) return t;
  // A random permutation of the rows for each column (argsort of uniform draws), as randperm.
  const u = hostDraws('uniform', rows * cols);
  const keep = new Float32Array(rows * cols).fill(1);
  const order = Array.from({ length: rows }, (_, i) => i);
  for (let c = 0; c < cols; c++) {
    const perm = [...order].sort((i, j) => u[c * rows + i] - u[c * rows + j] || i - j);
    for (let k = 0; k < numZeros; k++) keep[perm[k] * cols + c] = 0;
  }
  return fill('sparse_', t, () => t.mul(tl.tensor(keep, { device: t.device, dtype: t.dtype }).reshape(t.shape)));
}

/**
 * Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, as PyTorch's `dirac_`: the
 * layer passes its input channels through unchanged (per group, for grouped convolutions:
 * `groups` must divide the output channels).
 *
 * @example
 * ```ts
 * init.dirac_(conv.weight);            // identity conv, as in a residual branch's start
 * init.dirac_(grouped.weight, 2);
 * ```
 */
export function dirac_(t: Tensor, groups = 1): Tensor {
  checkFloatTarget('dirac_', t);
  if (t.rank < 3 || t.rank > 5) throw new Error(`dirac_: only tensors with 3, 4, or 5 dimensions are supported, got ${tl.formatShape(t.shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`dirac_: groups must be a positive integer, got ${groups}`);
  const [outChannels, inChannels, ...spatial] = t.shape;
  if (outChannels % groups !== 0) throw new Error(`dirac_: dim 0 (${outChannels}) must be divisible by groups (${groups})`);
  const perGroup = outChannels / groups;
  const minDim = Math.min(perGroup, inChannels);
  const values = new Float32Array(t.size);
  const strides = tl.contiguousStrides(t.shape);
  const centre = spatial.reduce((offset, size, i) => offset + Math.floor(size / 2) * strides[i + 2], 0);
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < minDim; d++) values[(g * perGroup + d) * strides[0] + d * strides[1] + centre] = 1;
  }
  return assignHost('dirac_', t, values);
}

/**
 * Fill a 2-D tensor with the identity (ones on the main diagonal), as PyTorch's `eye_`: a
 * `Linear` initialised so preserves its inputs' identity where it can.
 *
 * @example
 * ```ts
 * init.eye_(linear.weight);
 * ```
 */
export function eye_(t: Tensor): Tensor {
  checkFloatTarget('eye_', t);
  if (t.rank !== 2) throw new Error(`eye_: only tensors with 2 dimensions are supported, got ${tl.formatShape(t.shape)}`);
  return fill('eye_', t, () => tl.eye(t.shape[0], t.shape[1], { device: t.device }));
}
