/** `MaxPool2d`, `AvgPool2d` and `AdaptiveAvgPool2d`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyBool } from './util.js';

/** Options of `MaxPool2d`. */
export interface MaxPool2dLayerOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number];
  /** Implicit -inf padding on both sides, at most half the kernel (default 0). */
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

/** Options of `AvgPool2d`. */
export interface AvgPool2dLayerOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
}

const repr = (v: number | readonly number[]): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')})`);

/**
 * Max over 2-D windows of `[N, C, H, W]` inputs.
 *
 * @example
 * ```ts
 * new MaxPool2d(2).forward(tl.randn([1, 3, 8, 8])); // [1, 3, 4, 4]
 * ```
 */
export class MaxPool2d extends Module {
  readonly kernelSize: number | [number, number];
  readonly stride: number | [number, number];
  readonly padding: number | [number, number];
  readonly dilation: number | [number, number];

  constructor(kernelSize: number | [number, number], options: MaxPool2dLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
  }

  forward(x: Tensor): Tensor {
    return tl.maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation });
  }

  override extraRepr(): string {
    return `kernel_size=${repr(this.kernelSize)}, stride=${repr(this.stride)}, padding=${repr(this.padding)}, dilation=${repr(this.dilation)}, ceil_mode=False`;
  }
}

/**
 * Mean over 2-D windows of `[N, C, H, W]` inputs.
 *
 * @example
 * ```ts
 * new AvgPool2d(2, { stride: 1 }).forward(x);
 * ```
 */
export class AvgPool2d extends Module {
  readonly kernelSize: number | [number, number];
  readonly stride: number | [number, number];
  readonly padding: number | [number, number];
  readonly countIncludePad: boolean;

  constructor(kernelSize: number | [number, number], options: AvgPool2dLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    return tl.avgPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad });
  }

  override extraRepr(): string {
    // PyTorch's AvgPool2d prints these three only.
    return `kernel_size=${repr(this.kernelSize)}, stride=${repr(this.stride)}, padding=${repr(this.padding)}`;
  }
}

/**
 * Average pooling to a fixed output size, whatever the input size: `[N, C, H, W]` to
 * `[N, C, oh, ow]`. Windows follow PyTorch's `floor(i·H/oh)` to `ceil((i+1)·H/oh)`.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d(1).forward(features); // global average pooling
 * new AdaptiveAvgPool2d([7, 7]).forward(features);
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | readonly [number | null, number | null];

  constructor(outputSize: number | readonly [number | null, number | null]) {
    super();
    this.outputSize = outputSize;
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    const o = this.outputSize;
    return `output_size=${typeof o === 'number' ? o : `(${o.map((v) => (v === null ? 'None' : v)).join(', ')})`}`;
  }
}

