/** `Conv1d` and `Conv2d`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { emptyParameter, pyTuple, toPair } from './util.js';

/** Options of `Conv2d`. */
export interface Conv2dLayerOptions {
  /** Default 1. */
  stride?: number | [number, number];
  /** Zero padding: a number, `[h, w]`, `'valid'` or `'same'` (default 0). */
  padding?: number | [number, number] | 'valid' | 'same';
  /** Default 1. */
  dilation?: number | [number, number];
  /** Default 1; `inChannels` and `outChannels` must both be divisible by it. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** Options of `Conv1d`. */
export interface Conv1dLayerOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

function checkChannels(op: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0) throw new Error(`${op}: in_channels ${inChannels} must be divisible by groups ${groups}`);
  if (outChannels % groups !== 0) throw new Error(`${op}: out_channels ${outChannels} must be divisible by groups ${groups}`);
}

/** PyTorch's default conv initialisation: Kaiming uniform (a = √5) and U(±1/√fanIn) bias. */
function resetConv(weight: Parameter, bias: Parameter | null): void {
  init.kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = init.calculateFanInAndFanOut(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    init.uniform_(bias, -bound, bound);
  }
}

function convRepr(
  inChannels: number,
  outChannels: number,
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[] | string,
  dilation: readonly number[],
  groups: number,
  bias: boolean,
): string {
  let s = `${inChannels}, ${outChannels}, kernel_size=${pyTuple(kernel)}, stride=${pyTuple(stride)}`;
  if (typeof padding === 'string') s += `, padding=${padding}`;
  else if (padding.some((p) => p !== 0)) s += `, padding=${pyTuple(padding)}`;
  if (dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(dilation)}`;
  if (groups !== 1) s += `, groups=${groups}`;
  if (!bias) s += ', bias=False';
  return s;
}

/**
 * 2-D convolution over `[N, C, H, W]` (or `[C, H, W]`) inputs, with `weight`
 * `[outChannels, inChannels / groups, kH, kW]` and `bias` `[outChannels]`, initialised as
 * PyTorch's.
 *
 * @example
 * ```ts
 * const conv = new Conv2d(3, 16, 3, { padding: 1 });
 * conv.forward(tl.randn([8, 3, 32, 32])); // [8, 16, 32, 32]
 * ```
 */
export class Conv2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'valid' | 'same';
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Conv2dLayerOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    checkChannels('Conv2d', inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = toPair('Conv2d: kernelSize', kernelSize);
    this.stride = toPair('Conv2d: stride', options.stride ?? 1);
    const padding = options.padding ?? 0;
    this.padding = typeof padding === 'string' ? padding : toPair('Conv2d: padding', padding);
    this.dilation = toPair('Conv2d: dilation', options.dilation ?? 1);
    this.groups = groups;
    this.weight = emptyParameter([outChannels, inChannels / groups, ...this.kernelSize]);
    this.bias = options.bias === false ? null : emptyParameter([outChannels]);
    this.resetParameters();
  }

  /** Re-draw the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return tl.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.dilation, this.groups, this.bias !== null);
  }
}

/**
 * 1-D convolution over `[N, C, L]` (or `[C, L]`) inputs, with `weight`
 * `[outChannels, inChannels / groups, k]` and `bias` `[outChannels]`, initialised as
 * PyTorch's.
 *
 * @example
 * ```ts
 * const conv = new Conv1d(4, 8, 5, { padding: 'same' });
 * conv.forward(tl.randn([2, 4, 100])); // [2, 8, 100]
 * ```
 */
export class Conv1d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dLayerOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    checkChannels('Conv1d', inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = groups;
    this.weight = emptyParameter([outChannels, inChannels / groups, kernelSize]);
    this.bias = options.bias === false ? null : emptyParameter([outChannels]);
    this.resetParameters();
  }

  /** Re-draw the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return tl.conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? this.padding : [this.padding];
    return convRepr(this.inChannels, this.outChannels, [this.kernelSize], [this.stride], padding, [this.dilation], this.groups, this.bias !== null);
  }
}
