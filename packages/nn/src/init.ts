/**
 * `nn.init`: PyTorch's initialisers. Each fills a leaf tensor (a `Parameter`, usually) in
 * place with `assign`, outside any graph, drawing from core's seeded generator
 * (`tl.manualSeed`), and returns it.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';

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

function fill(op: string, t: Tensor, make: () => Tensor): Tensor {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor, got ${t.dtype}`);
  tl.noGrad(() =>
    tl.tidy(() => {
      t.assign(make());
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
