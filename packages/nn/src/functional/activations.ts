/**
 * Activation functions beyond core's (`relu`, `gelu`, `silu`, ...): PyTorch's
 * `torch.nn.functional` activations, each a composition of core ops so every backend runs
 * it and its gradient is autograd's. Arguments are positional, as PyTorch's.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkChoice, checkNumber } from '../options.js';
import { normDim, shape } from './common.js';

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

function checkInput(op: string, x: Tensor): void {
  if (!(x instanceof tl.Tensor)) throw new TypeError(`${op}: expected a tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new TypeError(`${op}: expected a float tensor, got ${x.dtype} ${shape(x.shape)}`);
}

/**
 * Gaussian error linear unit, exact (`'none'`, the default) or its tanh approximation; the
 * approximation may also be given as `{ approximate }`, PyTorch's keyword.
 *
 * @example
 * ```ts
 * F.gelu(x, 'tanh');
 * ```
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' } = 'none'): Tensor {
  const a = typeof approximate === 'object' && approximate !== null ? (approximate.approximate ?? 'none') : approximate;
  if (typeof approximate === 'object' && approximate !== null) {
    for (const key of Object.keys(approximate)) if (key !== 'approximate') throw new Error(`gelu: unknown option '${key}'; supported: approximate`);
  }
  checkChoice('gelu', 'approximate', a, ['none', 'tanh'] as const);
  return tl.gelu(x, a);
}

/**
 * `log(1 + e^(beta·x)) / beta`, and `x` itself where `beta·x > threshold` (PyTorch's
 * defaults beta 1, threshold 20).
 *
 * @example
 * ```ts
 * F.softplus(x, 2); // sharper
 * ```
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkInput('softplus', x);
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  if (beta === 1 && threshold === 20) return tl.softplus(x);
  return tl.tidy(() => {
    const bx = x.mul(beta);
    const linear = tl.noGrad(() => bx.gt(threshold));
    const soft = bx.clamp(null, threshold).exp().log1p().div(beta);
    return x.where(linear, soft);
  });
}

/**
 * `x` where positive, `alpha·(e^x - 1)` elsewhere.
 *
 * @example
 * ```ts
 * F.elu(x, 1.0);
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkInput('elu', x);
  checkNumber('elu', 'alpha', alpha);
  return tl.tidy(() => x.where(tl.noGrad(() => x.gt(0)), x.clamp(null, 0).expm1().mul(alpha)));
}

/**
 * Scaled ELU with PyTorch's fixed constants (alpha ≈ 1.6733, scale ≈ 1.0507).
 *
 * @example
 * ```ts
 * F.selu(x);
 * ```
 */
export function selu(x: Tensor): Tensor {
  checkInput('selu', x);
  return tl.tidy(() => elu(x, SELU_ALPHA).mul(SELU_SCALE));
}

/**
 * `max(0, x) + min(0, alpha·(e^(x/alpha) - 1))`.
 *
 * @example
 * ```ts
 * F.celu(x, 0.5);
 * ```
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  checkInput('celu', x);
  checkNumber('celu', 'alpha', alpha);
  if (alpha === 0) throw new Error('celu: alpha must not be 0');
  return tl.tidy(() => x.where(tl.noGrad(() => x.gt(0)), x.clamp(null, 0).div(alpha).expm1().mul(alpha)));
}

/**
 * `x` clamped to `[minVal, maxVal]` (default [-1, 1]).
 *
 * @example
 * ```ts
 * F.hardtanh(x, -2, 2);
 * ```
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  checkInput('hardtanh', x);
  checkNumber('hardtanh', 'minVal', minVal);
  checkNumber('hardtanh', 'maxVal', maxVal);
  if (maxVal < minVal) throw new Error(`hardtanh: maxVal ${maxVal} must be at least minVal ${minVal}`);
  return hardClamp(x, minVal, maxVal);
}

/** Clamp with PyTorch's hardtanh gradient: zero at and beyond the bounds. */
function hardClamp(x: Tensor, lo: number, hi: number): Tensor {
  return tl.tidy(() => {
    const inside = tl.noGrad(() => x.gt(lo).logicalAnd(x.lt(hi)));
    return x.where(inside, tl.noGrad(() => x.clamp(lo, hi)));
  });
}

/**
 * `min(max(x, 0), 6)`.
 *
 * @example
 * ```ts
 * F.relu6(x);
 * ```
 */
export function relu6(x: Tensor): Tensor {
  checkInput('relu6', x);
  return hardClamp(x, 0, 6);
}

/**
 * `relu6(x + 3) / 6`, a piecewise-linear sigmoid.
 *
 * @example
 * ```ts
 * F.hardsigmoid(x);
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  checkInput('hardsigmoid', x);
  return tl.tidy(() => hardClamp(x.add(3), 0, 6).div(6));
}

/**
 * `x · relu6(x + 3) / 6` (MobileNetV3).
 *
 * @example
 * ```ts
 * F.hardswish(x);
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  checkInput('hardswish', x);
  return tl.tidy(() => {
    // PyTorch's gradient: 0 below -3, (2x + 3) / 6 from -3 to 3, 1 above.
    const low = tl.noGrad(() => x.lt(-3));
    const high = tl.noGrad(() => x.gt(3));
    return tl.zerosLike(x).where(low, x.where(high, x.mul(x.add(3)).div(6)));
  });
}

/**
 * `x · tanh(softplus(x))`.
 *
 * @example
 * ```ts
 * F.mish(x);
 * ```
 */
export function mish(x: Tensor): Tensor {
  checkInput('mish', x);
  return tl.tidy(() => x.mul(tl.softplus(x).tanh()));
}

/**
 * `x / (1 + |x|)`.
 *
 * @example
 * ```ts
 * F.softsign(x);
 * ```
 */
export function softsign(x: Tensor): Tensor {
  checkInput('softsign', x);
  return tl.tidy(() => x.div(x.abs().add(1)));
}

/**
 * `log(sigmoid(x))`, computed stably as `-softplus(-x)`.
 *
 * @example
 * ```ts
 * F.logsigmoid(x);
 * ```
 */
export function logsigmoid(x: Tensor): Tensor {
  checkInput('logsigmoid', x);
  return tl.tidy(() => tl.softplus(x.neg()).neg());
}

/** `F.logsigmoid` under its camelCase name. */
export const logSigmoid = logsigmoid;

/**
 * `x - tanh(x)`.
 *
 * @example
 * ```ts
 * F.tanhshrink(x);
 * ```
 */
export function tanhshrink(x: Tensor): Tensor {
  checkInput('tanhshrink', x);
  return tl.tidy(() => x.sub(x.tanh()));
}

/**
 * `x - lambd` above `lambd`, `x + lambd` below `-lambd`, 0 between.
 *
 * @example
 * ```ts
 * F.softshrink(x, 0.5);
 * ```
 */
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  checkInput('softshrink', x);
  checkNumber('softshrink', 'lambd', lambd);
  if (lambd < 0) throw new Error(`softshrink: lambd must be non-negative, got ${lambd}`);
  return tl.tidy(() => {
    const above = tl.noGrad(() => x.gt(lambd));
    const below = tl.noGrad(() => x.lt(-lambd));
    return x.sub(lambd).where(above, x.add(lambd).where(below, 0));
  });
}

/**
 * `x` where `|x| > lambd`, 0 elsewhere.
 *
 * @example
 * ```ts
 * F.hardshrink(x, 0.5);
 * ```
 */
export function hardshrink(x: Tensor, lambd = 0.5): Tensor {
  checkInput('hardshrink', x);
  checkNumber('hardshrink', 'lambd', lambd);
  return tl.tidy(() => x.where(tl.noGrad(() => x.abs().gt(lambd)), 0));
}

/**
 * `x` where `x > threshold`, `value` elsewhere.
 *
 * @example
 * ```ts
 * F.threshold(x, 0.1, 20);
 * ```
 */
export function threshold(x: Tensor, threshold: number, value: number): Tensor {
  checkInput('threshold', x);
  checkNumber('threshold', 'threshold', threshold);
  checkNumber('threshold', 'value', value);
  return tl.tidy(() => x.where(tl.noGrad(() => x.gt(threshold)), value));
}

/**
 * Gated linear unit: split `x` in two halves `a`, `b` along `dim` and return `a · sigmoid(b)`.
 *
 * @example
 * ```ts
 * F.glu(tl.randn([4, 10])); // [4, 5]
 * ```
 */
export function glu(x: Tensor, dim = -1): Tensor {
  checkInput('glu', x);
  if (x.rank === 0) throw new Error('glu: does not support scalars (0-d tensors)');
  const d = normDim('glu', dim, x.rank);
  const n = x.shape[d];
  if (n % 2 !== 0) throw new Error(`glu: halving dimension must be even, but dimension ${d} of ${shape(x.shape)} is size ${n}`);
  return tl.tidy(() => x.narrow(d, 0, n / 2).mul(x.narrow(d, n / 2, n / 2).sigmoid()));
}

/**
 * `softmax(-x)` along `dim`.
 *
 * @example
 * ```ts
 * F.softmin(x, -1);
 * ```
 */
export function softmin(x: Tensor, dim: number): Tensor {
  if (tl.autocastActive()) return tl.autocasting('softmin', [x, dim], softmin);
  checkInput('softmin', x);
  if (typeof dim !== 'number') throw new TypeError(`softmin: dim must be a number, got ${JSON.stringify(dim)}`);
  return tl.tidy(() => x.neg().softmax(dim));
}

/**
 * `x` where positive, `weight · x` elsewhere, with `weight` `[1]` or one slope per channel
 * (dim 1) `[C]`.
 *
 * @example
 * ```ts
 * F.prelu(x, tl.tensor([0.25]));
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  if (tl.autocastActive()) return tl.autocasting('prelu', [x, weight], prelu);
  checkInput('prelu', x);
  if (!(weight instanceof tl.Tensor) || weight.rank > 1) throw new Error('prelu: weight must be a 1-D tensor [1] or [C]');
  const n = weight.size;
  if (n !== 1) {
    const c = x.rank >= 2 ? x.shape[1] : x.rank === 1 ? x.shape[0] : 1;
    if (x.rank === 0 || c !== n) {
      throw new Error(`prelu: mismatch of parameter numbers and input channel size: weight has ${n}, input ${shape(x.shape)} has ${c} channels (dim 1)`);
    }
  }
  return tl.tidy(() => {
    const w = n === 1 || x.rank === 1 ? weight : weight.reshape([n, ...new Array<number>(x.rank - 2).fill(1)]);
    return x.where(tl.noGrad(() => x.gt(0)), x.mul(w));
  });
}

/**
 * Randomised leaky ReLU: while training, each negative element is scaled by a slope drawn
 * from U(lower, upper) (core's seeded generator); otherwise by `(lower + upper) / 2`.
 *
 * @example
 * ```ts
 * F.rrelu(x, 1 / 8, 1 / 3, model.training);
 * ```
 */
export function rrelu(x: Tensor, lower = 1 / 8, upper = 1 / 3, training = false): Tensor {
  checkInput('rrelu', x);
  checkNumber('rrelu', 'lower', lower);
  checkNumber('rrelu', 'upper', upper);
  checkBoolean('rrelu', 'training', training);
  if (upper < lower) throw new Error(`rrelu: upper ${upper} must be at least lower ${lower}`);
  return tl.tidy(() => {
    const positive = tl.noGrad(() => x.ge(0));
    if (!training) return x.where(positive, x.mul((lower + upper) / 2));
    const slope = tl.noGrad(() => tl.rand(x.shape, { device: x.device }).mul(upper - lower).add(lower));
    return x.where(positive, x.mul(slope));
  });
}

/** Options of `gumbelSoftmax`. */
export interface GumbelSoftmaxOptions {
  /** Temperature (default 1). */
  tau?: number;
  /** Return one-hot samples whose gradient is the soft sample's (straight-through; default false). */
  hard?: boolean;
  /** Default -1. */
  dim?: number;
}

/**
 * A sample from the Gumbel-softmax distribution over `dim` of `logits`: `softmax((logits +
 * g) / tau)` with `g = -log(-log(U))` drawn from core's seeded generator; with `hard`, the
 * one-hot of its argmax in the forward pass and the soft sample's gradient.
 *
 * @example
 * ```ts
 * F.gumbelSoftmax(logits, { tau: 0.5, hard: true });
 * ```
 */
export function gumbelSoftmax(logits: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  checkInput('gumbelSoftmax', logits);
  for (const key of Object.keys(options ?? {})) {
    if (!['tau', 'hard', 'dim'].includes(key)) throw new Error(`gumbelSoftmax: unknown option '${key}'; supported: tau, hard, dim`);
  }
  const { tau = 1, hard = false, dim = -1 } = options;
  checkNumber('gumbelSoftmax', 'tau', tau);
  checkBoolean('gumbelSoftmax', 'hard', hard);
  const d = normDim('gumbelSoftmax', dim, logits.rank);
  return tl.tidy(() => {
    // U in (0, 1): keep away from 0 so both logs stay finite.
    const gumbels = tl.noGrad(() => tl.rand(logits.shape, { device: logits.device }).clamp(1e-10, 1 - 1e-7).log().neg().log().neg());
    const soft = logits.add(gumbels).div(tau).softmax(d);
    if (!hard) return soft;
    const index = tl.noGrad(() => soft.argmax(d, true));
    const classes = tl.noGrad(() => tl.arange(0, logits.shape[d], 1, { device: logits.device }).reshape(logits.shape.map((s, i) => (i === d ? s : 1))));
    const oneHot = tl.noGrad(() => classes.eq(index).cast(logits.dtype));
    return oneHot.sub(soft.detach()).add(soft);
  });
}
