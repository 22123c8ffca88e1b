/** `Dropout`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyFloat } from './util.js';

/**
 * While training, zeroes each element with probability `p` (from core's seeded generator)
 * and scales the rest by `1 / (1 - p)`; the identity in evaluation mode.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.1);
 * drop.forward(x);        // training: masked and scaled
 * drop.eval().forward(x); // identity
 * ```
 */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
