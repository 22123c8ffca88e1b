/** `Linear`, `Bilinear` and `Identity`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkOptions } from '../options.js';
import { emptyParameter, pyBool } from './util.js';

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * `y = x · weightᵀ + bias`, with `weight` `[outFeatures, inFeatures]` initialised as
 * PyTorch's (Kaiming uniform with a = √5, so U(±1/√inFeatures)) and `bias` from
 * U(±1/√inFeatures).
 *
 * @example
 * ```ts
 * const fc = new Linear(784, 10);
 * fc.forward(tl.randn([32, 784])); // [32, 10]
 * ```
 */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions('Linear', options, ['bias']);
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 0 || outFeatures < 0) {
      throw new Error(`Linear: feature counts must be non-negative integers, got ${inFeatures} and ${outFeatures}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = emptyParameter([outFeatures, inFeatures]);
    this.bias = options.bias === false ? null : emptyParameter([outFeatures]);
    this.resetParameters();
  }

  /** Re-draw the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * A `Linear` under the class name PyTorch gives `MultiheadAttention.out_proj`, so printed
 * models read as PyTorch's (`(out_proj): NonDynamicallyQuantizableLinear(...)`); it is a
 * `Linear` in every other way.
 *
 * @example
 * ```ts
 * String(new NonDynamicallyQuantizableLinear(8, 8)); // 'NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)'
 * ```
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

/**
 * Returns its input unchanged (a new handle on it); a placeholder in a model.
 *
 * @example
 * ```ts
 * const head = useHead ? new Linear(8, 2) : new Identity();
 * ```
 */
export class Identity extends Module {
  /** PyTorch's `Identity` takes (and ignores) any arguments, so it can replace any layer. */
  constructor(..._args: unknown[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.cast(x.dtype);
  }
}

/**
 * `y_k = x1ᵀ W_k x2 + b_k`, with `weight` `[outFeatures, in1Features, in2Features]` and
 * `bias` `[outFeatures]`, both from U(±1/√in1Features) as PyTorch.
 *
 * @example
 * ```ts
 * const bl = new Bilinear(5, 3, 4);
 * bl.forward(tl.randn([8, 5]), tl.randn([8, 3])); // [8, 4]
 * ```
 */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions('Bilinear', options, ['bias']);
    for (const [name, v] of [['in1Features', in1Features], ['in2Features', in2Features], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Bilinear: ${name} must be a positive integer, got ${v}`);
    }
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    this.weight = emptyParameter([outFeatures, in1Features, in2Features]);
    this.bias = options.bias === false ? null : emptyParameter([outFeatures]);
    this.resetParameters();
  }

  /** U(±1/√in1Features) for weight and bias. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.in1Features);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.bilinear(x1, x2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
