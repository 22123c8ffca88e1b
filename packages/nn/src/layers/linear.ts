/** `Linear` and `Identity`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
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
  forward(x: Tensor): Tensor {
    return x.cast(x.dtype);
  }
}
