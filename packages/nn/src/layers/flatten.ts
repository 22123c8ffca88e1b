/** `Flatten` and `Unflatten`. */
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

/**
 * Splits dim `dim` into `unflattenedSize` (one entry may be -1), the inverse of `Flatten`.
 *
 * @example
 * ```ts
 * new Unflatten(1, [2, 5]).forward(tl.randn([4, 10])); // [4, 2, 5]
 * ```
 */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];

  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: dim must be an integer, got ${JSON.stringify(dim)}`);
    if (!Array.isArray(unflattenedSize) || unflattenedSize.length === 0 || !unflattenedSize.every((d) => Number.isInteger(d) && (d >= 0 || d === -1))) {
      throw new Error(`Unflatten: unflattenedSize must be a non-empty list of sizes (one may be -1), got ${JSON.stringify(unflattenedSize)}`);
    }
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }

  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.rank : this.dim;
    if (d < 0 || d >= x.rank) throw new RangeError(`Unflatten: dim ${this.dim} is out of range for input of rank ${x.rank}`);
    return x.reshape([...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    const s = this.unflattenedSize;
    return `dim=${this.dim}, unflattened_size=${s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`}`;
  }
}
