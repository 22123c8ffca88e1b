/** Rearranging layers: `PixelShuffle`, `PixelUnshuffle`, `ChannelShuffle`, `Fold`, `Unfold`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { checkOptions } from '../options.js';

/**
 * `[*, C·r², H, W]` to `[*, C, H·r, W·r]` (sub-pixel convolution, super-resolution).
 *
 * @example
 * ```ts
 * new PixelShuffle(2).forward(tl.randn([1, 8, 3, 3])); // [1, 2, 6, 6]
 * ```
 */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.pixelShuffle(x, this.upscaleFactor);
  }

  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/**
 * `[*, C, H·r, W·r]` to `[*, C·r², H, W]`.
 *
 * @example
 * ```ts
 * new PixelUnshuffle(2).forward(tl.randn([1, 2, 6, 6])); // [1, 8, 3, 3]
 * ```
 */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.pixelUnshuffle(x, this.downscaleFactor);
  }

  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}

/**
 * Interleaves the channels of `[N, C, *]` from `groups` groups (ShuffleNet).
 *
 * @example
 * ```ts
 * new ChannelShuffle(2).forward(x);
 * ```
 */
export class ChannelShuffle extends Module {
  constructor(readonly groups: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.channelShuffle(x, this.groups);
  }

  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}

/** Options of `Unfold` and `Fold`. */
export interface UnfoldLayerOptions {
  dilation?: number | [number, number];
  padding?: number | [number, number];
  stride?: number | [number, number];
}

const show = (v: number | readonly number[]) => (typeof v === 'number' ? String(v) : `(${v.join(', ')})`);

/**
 * Extracts sliding local blocks: `[N, C, H, W]` to `[N, C·kh·kw, L]` (`F.unfold`).
 *
 * @example
 * ```ts
 * new Unfold(3, { padding: 1 }).forward(tl.randn([1, 2, 4, 4])); // [1, 18, 16]
 * ```
 */
export class Unfold extends Module {
  readonly kernelSize: number | [number, number];
  readonly dilation: number | [number, number];
  readonly padding: number | [number, number];
  readonly stride: number | [number, number];

  constructor(kernelSize: number | [number, number], options: UnfoldLayerOptions = {}) {
    super();
    checkOptions('Unfold', options, ['dilation', 'padding', 'stride']);
    this.kernelSize = kernelSize;
    this.dilation = options.dilation ?? 1;
    this.padding = options.padding ?? 0;
    this.stride = options.stride ?? 1;
  }

  forward(x: Tensor): Tensor {
    return F.unfold(x, { kernelSize: this.kernelSize, dilation: this.dilation, padding: this.padding, stride: this.stride });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, dilation=${show(this.dilation)}, padding=${show(this.padding)}, stride=${show(this.stride)}`;
  }
}

/**
 * Combines sliding local blocks into `[N, C, H, W]`, summing overlaps (`F.fold`).
 *
 * @example
 * ```ts
 * new Fold([4, 4], 2, { stride: 2 }).forward(tl.randn([1, 12, 4])); // [1, 3, 4, 4]
 * ```
 */
export class Fold extends Module {
  readonly outputSize: number | [number, number];
  readonly kernelSize: number | [number, number];
  readonly dilation: number | [number, number];
  readonly padding: number | [number, number];
  readonly stride: number | [number, number];

  constructor(outputSize: number | [number, number], kernelSize: number | [number, number], options: UnfoldLayerOptions = {}) {
    super();
    checkOptions('Fold', options, ['dilation', 'padding', 'stride']);
    this.outputSize = outputSize;
    this.kernelSize = kernelSize;
    this.dilation = options.dilation ?? 1;
    this.padding = options.padding ?? 0;
    this.stride = options.stride ?? 1;
  }

  forward(x: Tensor): Tensor {
    return F.fold(x, { outputSize: this.outputSize, kernelSize: this.kernelSize, dilation: this.dilation, padding: this.padding, stride: this.stride });
  }

  override extraRepr(): string {
    return `output_size=${show(this.outputSize)}, kernel_size=${show(this.kernelSize)}, dilation=${show(this.dilation)}, padding=${show(this.padding)}, stride=${show(this.stride)}`;
  }
}
