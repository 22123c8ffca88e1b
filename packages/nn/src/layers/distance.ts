/** `CosineSimilarity` and `PairwiseDistance`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { checkOptions } from '../options.js';

/**
 * Cosine similarity of two inputs along `dim` (default 1).
 *
 * @example
 * ```ts
 * new CosineSimilarity({ dim: -1 }).forward(a, b);
 * ```
 */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;

  constructor(options: { dim?: number; eps?: number } = {}) {
    super();
    checkOptions('CosineSimilarity', options, ['dim', 'eps']);
    this.dim = options.dim ?? 1;
    this.eps = options.eps ?? 1e-8;
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, this.dim, this.eps);
  }
}

/**
 * The `p`-norm distance between the rows of two inputs.
 *
 * @example
 * ```ts
 * new PairwiseDistance({ p: 1 }).forward(a, b);
 * ```
 */
export class PairwiseDistance extends Module {
  readonly norm: number;
  readonly eps: number;
  readonly keepdim: boolean;

  constructor(options: { p?: number; eps?: number; keepdim?: boolean } = {}) {
    super();
    checkOptions('PairwiseDistance', options, ['p', 'eps', 'keepdim']);
    this.norm = options.p ?? 2;
    this.eps = options.eps ?? 1e-6;
    this.keepdim = options.keepdim ?? false;
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.pairwiseDistance(x1, x2, this.norm, this.eps, this.keepdim);
  }
}
