/**
 * Activation layers: `ReLU`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`, `Softmax` and the rest
 * of PyTorch's (`SiLU`, `Mish`, `Hardswish`, `ELU`, `PReLU`, `GLU`, ...). Each forwards to
 * `nn.functional`; optional hyper-parameters go in one options object.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module, type Parameter } from '../module.js';
import { checkOptions } from '../options.js';
import { emptyParameter, pyFloat } from './util.js';

/** A number in a repr as Python prints what was given: `20`, `0.5`, `1e-05`. */
const num = (x: number): string => (Number.isInteger(x) ? String(x) : pyFloat(x));

/** The class of an activation without hyper-parameters (`Pointwise(fn)` below). */
type PointwiseActivation = new () => Module & { forward(x: Tensor): Tensor };

/**
 * A base class for an activation without hyper-parameters whose `forward` is `fn`: each such
 * layer is `class X extends Pointwise(fn) {}`, a named class with its own docs and repr.
 */
function Pointwise(fn: (x: Tensor) => Tensor): PointwiseActivation {
  return class extends Module {
    forward(x: Tensor): Tensor {
      return fn(x);
    }
  };
}

/**
 * `max(x, 0)`.
 *
 * @example
 * ```ts
 * new ReLU().forward(tl.tensor([-1, 2])); // [0, 2]
 * ```
 */
export class ReLU extends Pointwise((x) => x.relu()) {}

/**
 * `x` where positive, `negativeSlope · x` elsewhere (default slope 0.01, given as a number
 * or as `{ negativeSlope }`).
 *
 * @example
 * ```ts
 * new LeakyReLU(0.2).forward(x);
 * ```
 */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(negativeSlope: number | { negativeSlope?: number } = 0.01) {
    super();
    if (typeof negativeSlope === 'object') {
      checkOptions('LeakyReLU', negativeSlope, ['negativeSlope']);
      this.negativeSlope = negativeSlope.negativeSlope ?? 0.01;
    } else {
      this.negativeSlope = negativeSlope;
    }
    if (typeof this.negativeSlope !== 'number') throw new TypeError(`LeakyReLU: negativeSlope must be a number, got ${String(this.negativeSlope)}`);
  }

  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/**
 * Gaussian error linear unit, exact (`'none'`, the default) or its tanh approximation
 * (given as a string or as `{ approximate }`).
 *
 * @example
 * ```ts
 * new GELU('tanh').forward(x);
 * ```
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(approximate: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' } = 'none') {
    super();
    if (typeof approximate === 'object' && approximate !== null) {
      checkOptions('GELU', approximate, ['approximate']);
      this.approximate = approximate.approximate ?? 'none';
    } else {
      this.approximate = approximate;
    }
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${String(this.approximate)}`);
  }

  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * `1 / (1 + e^-x)`.
 *
 * @example
 * ```ts
 * new Sigmoid().forward(logits);
 * ```
 */
export class Sigmoid extends Pointwise((x) => x.sigmoid()) {}

/**
 * Hyperbolic tangent.
 *
 * @example
 * ```ts
 * new Tanh().forward(x);
 * ```
 */
export class Tanh extends Pointwise((x) => x.tanh()) {}

/** The class `AlongDim` makes: built from the `dim` it normalises along. */
type AlongDimActivation = new (dim: number) => Module & { readonly dim: number; forward(x: Tensor): Tensor };

/** A base class for `Softmax`, `LogSoftmax` and `Softmin`: `forward` is `fn` along `dim`. */
function AlongDim(op: string, fn: (x: Tensor, dim: number) => Tensor): AlongDimActivation {
  return class extends Module {
    readonly dim: number;

    constructor(dim: number) {
      super();
      if (typeof dim !== 'number') throw new TypeError(`${op}: dim must be a number, got ${JSON.stringify(dim)}`);
      this.dim = dim;
    }

    forward(x: Tensor): Tensor {
      return fn(x, this.dim);
    }

    override extraRepr(): string {
      return `dim=${this.dim}`;
    }
  };
}

/**
 * Softmax along `dim`.
 *
 * @example
 * ```ts
 * new Softmax(-1).forward(logits); // rows sum to 1
 * ```
 */
export class Softmax extends AlongDim('Softmax', (x, dim) => x.softmax(dim)) {}

/**
 * Log-softmax along `dim`.
 *
 * @example
 * ```ts
 * new LogSoftmax(1).forward(logits);
 * ```
 */
export class LogSoftmax extends AlongDim('LogSoftmax', (x, dim) => x.logSoftmax(dim)) {}

/**
 * Softmin (`softmax(-x)`) along `dim`.
 *
 * @example
 * ```ts
 * new Softmin(-1).forward(x);
 * ```
 */
export class Softmin extends AlongDim('Softmin', F.softmin) {}

/**
 * Softmax over the channels of `[N, C, H, W]` (or `[C, H, W]`) at every position.
 *
 * @example
 * ```ts
 * new Softmax2d().forward(tl.randn([2, 3, 4, 4]));
 * ```
 */
export class Softmax2d extends Module {
  forward(x: Tensor): Tensor {
    if (x.rank !== 3 && x.rank !== 4) throw new Error(`Softmax2d: expected 3-D or 4-D input, got ${tl.formatShape(x.shape)}`);
    return x.softmax(-3);
  }
}

/**
 * `x · sigmoid(x)` (swish), as in EfficientNet and Llama MLPs.
 *
 * @example
 * ```ts
 * new SiLU().forward(x);
 * ```
 */
export class SiLU extends Pointwise((x) => x.silu()) {}

/**
 * `x · tanh(softplus(x))`.
 *
 * @example
 * ```ts
 * new Mish().forward(x);
 * ```
 */
export class Mish extends Pointwise(F.mish) {}

/**
 * `x · relu6(x + 3) / 6` (MobileNetV3).
 *
 * @example
 * ```ts
 * new Hardswish().forward(x);
 * ```
 */
export class Hardswish extends Pointwise(F.hardswish) {}

/**
 * `relu6(x + 3) / 6`.
 *
 * @example
 * ```ts
 * new Hardsigmoid().forward(x);
 * ```
 */
export class Hardsigmoid extends Pointwise(F.hardsigmoid) {}

/**
 * Scaled ELU with PyTorch's constants.
 *
 * @example
 * ```ts
 * new SELU().forward(x);
 * ```
 */
export class SELU extends Pointwise(F.selu) {}

/**
 * `x / (1 + |x|)`.
 *
 * @example
 * ```ts
 * new Softsign().forward(x);
 * ```
 */
export class Softsign extends Pointwise(F.softsign) {}

/**
 * `log(sigmoid(x))`.
 *
 * @example
 * ```ts
 * new LogSigmoid().forward(x);
 * ```
 */
export class LogSigmoid extends Pointwise(F.logsigmoid) {}

/**
 * `x - tanh(x)`.
 *
 * @example
 * ```ts
 * new Tanhshrink().forward(x);
 * ```
 */
export class Tanhshrink extends Pointwise(F.tanhshrink) {}

/** Options of `ELU` and `CELU`. */
export interface AlphaOptions {
  /** Default 1. */
  alpha?: number;
}

/**
 * The class `Numbers` makes: built from options of numbers, which it keeps under the options'
 * names.
 */
type NumbersActivation<O extends object> = new (options?: O) => Module & Readonly<Required<O>> & { forward(x: Tensor): Tensor };

/**
 * A base class for an activation whose options are numbers with defaults (`defaults` names
 * them all, in PyTorch's order); `forward` and `repr` read them off the layer: `Hardtanh`,
 * `Softplus`, `RReLU` and, through `OneNumber`, the activations with one number.
 */
function Numbers<O extends object>(
  op: string,
  defaults: Required<O>,
  fn: (x: Tensor, layer: Module & Readonly<Required<O>>) => Tensor,
  repr: (layer: Readonly<Required<O>>) => string,
): NumbersActivation<O> {
  const keys = Object.keys(defaults) as (keyof O & string)[];
  // The fields are named by `keys` at run time, so the class's own type cannot list them: cast.
  const asLayer = (layer: Module) => layer as unknown as Module & Readonly<Required<O>>;
  return class extends Module {
    constructor(options: O = {} as O) {
      super();
      checkOptions(op, options, keys);
      for (const key of keys) Object.assign(this, { [key]: options[key] ?? defaults[key] });
    }

    forward(x: Tensor): Tensor {
      return fn(x, asLayer(this));
    }

    override extraRepr(): string {
      return repr(asLayer(this));
    }
  } as unknown as NumbersActivation<O>;
}

/**
 * A base class for an activation with one number option, `key` (default `fallback`), that
 * `forward` passes on to `fn` and `repr` prints as PyTorch does: `ELU`, `CELU`, `Softshrink`,
 * `Hardshrink` and `GLU`.
 */
function OneNumber<O extends object>(
  op: string,
  key: keyof O & string,
  fallback: number,
  fn: (x: Tensor, value: number) => Tensor,
  repr: (value: number) => string,
): NumbersActivation<O> {
  const valueOf = (layer: Readonly<Required<O>>): number => layer[key] as number;
  return Numbers<O>(
    op,
    { [key]: fallback } as Required<O>,
    (x, layer) => fn(x, valueOf(layer)),
    (layer) => repr(valueOf(layer)),
  );
}

/**
 * `x` where positive, `alpha·(e^x - 1)` elsewhere.
 *
 * @example
 * ```ts
 * new ELU({ alpha: 0.5 }).forward(x);
 * ```
 */
export class ELU extends OneNumber<AlphaOptions>('ELU', 'alpha', 1, F.elu, (alpha) => `alpha=${pyFloat(alpha)}`) {}

/**
 * `max(0, x) + min(0, alpha·(e^(x/alpha) - 1))`.
 *
 * @example
 * ```ts
 * new CELU({ alpha: 2 }).forward(x);
 * ```
 */
export class CELU extends OneNumber<AlphaOptions>('CELU', 'alpha', 1, F.celu, (alpha) => `alpha=${pyFloat(alpha)}`) {}

/** Options of `Hardtanh`. */
export interface HardtanhOptions {
  /** Default -1. */
  minVal?: number;
  /** Default 1. */
  maxVal?: number;
}

/**
 * `x` clamped to `[minVal, maxVal]`.
 *
 * @example
 * ```ts
 * new Hardtanh({ minVal: -2, maxVal: 2 }).forward(x);
 * ```
 */
export class Hardtanh extends Numbers<HardtanhOptions>(
  'Hardtanh',
  { minVal: -1, maxVal: 1 },
  (x, { minVal, maxVal }) => F.hardtanh(x, minVal, maxVal),
  ({ minVal, maxVal }) => `min_val=${pyFloat(minVal)}, max_val=${pyFloat(maxVal)}`,
) {
  constructor(options: HardtanhOptions = {}) {
    super(options);
    if (this.maxVal < this.minVal) throw new Error(`Hardtanh: maxVal ${this.maxVal} must be at least minVal ${this.minVal}`);
  }
}

/**
 * `min(max(x, 0), 6)`.
 *
 * @example
 * ```ts
 * new ReLU6().forward(x);
 * ```
 */
export class ReLU6 extends Pointwise(F.relu6) {}

/** Options of `Softplus`. */
export interface SoftplusOptions {
  /** Default 1. */
  beta?: number;
  /** Above `beta·x > threshold` the output is `x` (default 20). */
  threshold?: number;
}

/**
 * `log(1 + e^(beta·x)) / beta`, linear above the threshold.
 *
 * @example
 * ```ts
 * new Softplus({ beta: 2 }).forward(x);
 * ```
 */
export class Softplus extends Numbers<SoftplusOptions>(
  'Softplus',
  { beta: 1, threshold: 20 },
  (x, { beta, threshold }) => F.softplus(x, beta, threshold),
  ({ beta, threshold }) => `beta=${num(beta)}, threshold=${num(threshold)}`,
) {}

/** Options of `Softshrink` and `Hardshrink`. */
export interface ShrinkOptions {
  /** Default 0.5. */
  lambd?: number;
}

/**
 * `x ∓ lambd` outside `[-lambd, lambd]`, 0 inside.
 *
 * @example
 * ```ts
 * new Softshrink({ lambd: 0.3 }).forward(x);
 * ```
 */
export class Softshrink extends OneNumber<ShrinkOptions>('Softshrink', 'lambd', 0.5, F.softshrink, num) {}

/**
 * `x` where `|x| > lambd`, 0 elsewhere.
 *
 * @example
 * ```ts
 * new Hardshrink().forward(x);
 * ```
 */
export class Hardshrink extends OneNumber<ShrinkOptions>('Hardshrink', 'lambd', 0.5, F.hardshrink, num) {}

/**
 * `x` where `x > threshold`, `value` elsewhere.
 *
 * @example
 * ```ts
 * new Threshold(0.1, 20).forward(x);
 * ```
 */
export class Threshold extends Module {
  constructor(
    readonly threshold: number,
    readonly value: number,
  ) {
    super();
    if (typeof threshold !== 'number' || typeof value !== 'number') throw new TypeError('Threshold: threshold and value must be numbers');
  }

  forward(x: Tensor): Tensor {
    return F.threshold(x, this.threshold, this.value);
  }

  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}`;
  }
}

/**
 * Gated linear unit over `dim` (default -1): the first half times the sigmoid of the second.
 *
 * @example
 * ```ts
 * new GLU().forward(tl.randn([4, 10])); // [4, 5]
 * ```
 */
export class GLU extends OneNumber<{ dim?: number }>('GLU', 'dim', -1, F.glu, (dim) => `dim=${dim}`) {}

/** Options of `PReLU`. */
export interface PReLUOptions {
  /** Number of slopes: 1 (default), or one per channel (dim 1). */
  numParameters?: number;
  /** The slopes' initial value (default 0.25). */
  init?: number;
}

/**
 * Leaky ReLU with learned slopes `weight` `[numParameters]`.
 *
 * @example
 * ```ts
 * new PReLU({ numParameters: 16 }).forward(tl.randn([2, 16, 8, 8]));
 * ```
 */
export class PReLU extends Module {
  weight: Parameter;
  /** PyTorch's `num_parameters` (the name `numParameters` is Module's parameter count). */
  readonly numSlopes: number;
  readonly init: number;

  constructor(options: PReLUOptions = {}) {
    super();
    checkOptions('PReLU', options, ['numParameters', 'init']);
    this.numSlopes = options.numParameters ?? 1;
    this.init = options.init ?? 0.25;
    if (!Number.isInteger(this.numSlopes) || this.numSlopes < 1) throw new Error(`PReLU: numParameters must be a positive integer, got ${this.numSlopes}`);
    this.weight = emptyParameter([this.numSlopes]);
    this.resetParameters();
  }

  /** Every slope back to `init`. */
  resetParameters(): void {
    tl.noGrad(() => tl.tidy(() => this.weight.assign(tl.full([this.numSlopes], this.init, { device: this.weight.device }))));
  }

  forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }

  override extraRepr(): string {
    return `num_parameters=${this.numSlopes}`;
  }
}

/** Options of `RReLU`. */
export interface RReLUOptions {
  /** Default 1/8. */
  lower?: number;
  /** Default 1/3. */
  upper?: number;
}

/**
 * Randomised leaky ReLU: random slopes in [lower, upper] while training, their mean in
 * evaluation.
 *
 * @example
 * ```ts
 * new RReLU().forward(x);
 * ```
 */
export class RReLU extends Numbers<RReLUOptions>(
  'RReLU',
  { lower: 1 / 8, upper: 1 / 3 },
  (x, layer) => F.rrelu(x, layer.lower, layer.upper, layer.training),
  ({ lower, upper }) => `lower=${pyFloat(lower)}, upper=${pyFloat(upper)}`,
) {}
