/** `Upsample`, `UpsamplingNearest2d` and `UpsamplingBilinear2d`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import type { InterpolateMode, InterpolateOptions } from '../functional/resample.js';
import { Module } from '../module.js';
import { checkOptions } from '../options.js';
import { pyFloat } from './util.js';

/** Options of `Upsample`: `F.interpolate`'s, but `antialias`. */
export interface UpsampleOptions extends Omit<InterpolateOptions, 'antialias'> {}

/**
 * Resizes `[N, C, *spatial]` inputs with `F.interpolate`'s modes.
 *
 * @example
 * ```ts
 * new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false }).forward(x);
 * ```
 */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(options: UpsampleOptions = {}) {
    super();
    checkOptions(new.target.name, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
    this.size = options.size ?? null;
    this.scaleFactor = options.scaleFactor ?? null;
    this.mode = options.mode ?? 'nearest';
    this.alignCorners = options.alignCorners ?? null;
    this.recomputeScaleFactor = options.recomputeScaleFactor ?? null;
  }

  forward(x: Tensor): Tensor {
    return F.interpolate(x, {
      size: this.size ?? undefined,
      scaleFactor: this.scaleFactor ?? undefined,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const list = (v: number | readonly number[], f: (x: number) => string) => (typeof v === 'number' ? f(v) : `(${v.map(f).join(', ')})`);
    const info = this.scaleFactor !== null ? `scale_factor=${list(this.scaleFactor, pyFloat)}` : `size=${list(this.size ?? 0, String)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/**
 * Nearest-neighbour upsampling of `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * new UpsamplingNearest2d({ scaleFactor: 2 }).forward(x);
 * ```
 */
export class UpsamplingNearest2d extends Upsample {
  constructor(options: { size?: number | readonly number[]; scaleFactor?: number | readonly number[] } = {}) {
    checkOptions('UpsamplingNearest2d', options, ['size', 'scaleFactor']);
    super({ ...options, mode: 'nearest' });
  }
}

/**
 * Bilinear upsampling of `[N, C, H, W]` with aligned corners, as PyTorch's.
 *
 * @example
 * ```ts
 * new UpsamplingBilinear2d({ scaleFactor: 2 }).forward(x);
 * ```
 */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options: { size?: number | readonly number[]; scaleFactor?: number | readonly number[] } = {}) {
    checkOptions('UpsamplingBilinear2d', options, ['size', 'scaleFactor']);
    super({ ...options, mode: 'bilinear', alignCorners: true });
  }
}
