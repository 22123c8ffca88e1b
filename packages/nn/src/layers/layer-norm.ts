/** `LayerNorm`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkOptions } from '../options.js';
import { emptyParameter, pyBool, pyFloat, pyTuple } from './util.js';

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn a per-element scale (and shift) of the normalised shape (default true). */
  elementwiseAffine?: boolean;
  /** Learn the shift too when affine (default true). */
  bias?: boolean;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims, with `weight` (ones) and
 * `bias` (zeros) of that shape.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(512);
 * ln.forward(tl.randn([4, 10, 512]));
 * ```
 */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    checkOptions('LayerNorm', options, ['eps', 'elementwiseAffine', 'bias']);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? emptyParameter(this.normalizedShape) : null;
    this.bias = this.elementwiseAffine && options.bias !== false ? emptyParameter(this.normalizedShape) : null;
    this.resetParameters();
  }

  /** Scale 1, shift 0. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
