/** `Flatten`. */
import type { Tensor } from '@tensile/core';
import { Module } from '../module.js';

/**
 * Flattens dims `startDim` to `endDim` into one (by default all but the batch dim).
 *
 * @example
 * ```ts
 * new Flatten().forward(tl.randn([8, 16, 4, 4])); // [8, 256]
 * ```
 */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
