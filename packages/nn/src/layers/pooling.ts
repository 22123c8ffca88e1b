/**
 * Pooling layers: `MaxPool1d/2d/3d`, `AvgPool1d/2d/3d`, `AdaptiveAvgPool1d/2d`,
 * `AdaptiveMaxPool1d/2d` and `MaxUnpool1d/2d`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { checkOptions } from '../options.js';
import { pyBool } from './util.js';

/** What a max pool with `returnIndices` returns. */
export type PoolOutput<Indices extends boolean> = Indices extends true ? F.PoolWithIndices : Tensor;

/** Options of `MaxPool2d`. */
export interface MaxPool2dLayerOptions<Indices extends boolean = boolean> {
  /** Default: the kernel size. */
  stride?: number | [number, number];
  /** Implicit -inf padding on both sides, at most half the kernel (default 0). */
  padding?: number | [number, number];
  dilation?: number | [number, number];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** `forward` returns `{ values, indices }` (int32 flat indices, for `MaxUnpool2d`) (default false). */
  returnIndices?: Indices;
}

/** Options of `AvgPool2d`. */
export interface AvgPool2dLayerOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide each window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

/** Options of `MaxPool1d`. */
export interface MaxPool1dLayerOptions<Indices extends boolean = boolean> {
  stride?: number;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
  returnIndices?: Indices;
}

/** Options of `AvgPool1d`. */
export interface AvgPool1dLayerOptions {
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const repr = (v: number | readonly (number | null)[]): string =>
  typeof v === 'number' ? String(v) : v.length === 1 ? `(${v[0]},)` : `(${v.map((x) => (x === null ? 'None' : x)).join(', ')})`;

/**
 * What the max pools share (PyTorch's `_MaxPoolNd`): the window options, stored with their
 * defaults, and the repr. `Size` is `number` (1-D), or a number or a pair (2-D) or triple (3-D).
 */
abstract class MaxPoolNd<Size extends number | [number, number] | [number, number, number], Indices extends boolean> extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;
  readonly returnIndices: Indices;

  protected constructor(
    op: string,
    kernelSize: Size,
    options: { stride?: Size; padding?: Size; dilation?: Size; ceilMode?: boolean; returnIndices?: Indices },
  ) {
    super();
    checkOptions(op, options, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    // 0 and 1 are sizes of either rank.
    this.padding = options.padding ?? (0 as Size);
    this.dilation = options.dilation ?? (1 as Size);
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = (options.returnIndices ?? false) as Indices;
  }

  /** The options the functional form takes. */
  protected get poolOptions() {
    const { kernelSize, stride, padding, dilation, ceilMode, returnIndices } = this;
    return { kernelSize, stride, padding, dilation, ceilMode, returnIndices };
  }

  override extraRepr(): string {
    return `kernel_size=${repr(this.kernelSize)}, stride=${repr(this.stride)}, padding=${repr(this.padding)}, dilation=${repr(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** What `AvgPool2d` and `AvgPool3d` share: the window options with their defaults, and PyTorch's repr. */
abstract class AvgPoolNd<Size extends number | [number, number] | [number, number, number]> extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  protected constructor(
    op: string,
    kernelSize: Size,
    options: { stride?: Size; padding?: Size; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null },
  ) {
    super();
    checkOptions(op, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? (0 as Size);
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }

  /** The options the functional form takes. */
  protected get poolOptions() {
    const { kernelSize, stride, padding, ceilMode, countIncludePad } = this;
    return { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride: this.divisorOverride ?? undefined };
  }

  override extraRepr(): string {
    // PyTorch's AvgPool2d and AvgPool3d print these three only.
    return `kernel_size=${repr(this.kernelSize)}, stride=${repr(this.stride)}, padding=${repr(this.padding)}`;
  }
}

/**
 * Max over 2-D windows of `[N, C, H, W]` inputs. With `returnIndices: true`, `forward`
 * returns `{ values, indices }`.
 *
 * @example
 * ```ts
 * new MaxPool2d(2).forward(tl.randn([1, 3, 8, 8])); // [1, 3, 4, 4]
 * const { values, indices } = new MaxPool2d(2, { returnIndices: true }).forward(x);
 * ```
 */
export class MaxPool2d<Indices extends boolean = false> extends MaxPoolNd<number | [number, number], Indices> {
  constructor(kernelSize: number | [number, number], options: MaxPool2dLayerOptions<Indices> = {}) {
    super('MaxPool2d', kernelSize, options);
  }

  forward(x: Tensor): PoolOutput<Indices> {
    return tl.maxPool2d(x, this.poolOptions) as PoolOutput<Indices>;
  }
}

/**
 * Mean over 2-D windows of `[N, C, H, W]` inputs.
 *
 * @example
 * ```ts
 * new AvgPool2d(2, { stride: 1 }).forward(x);
 * new AvgPool2d(3, { stride: 2, ceilMode: true, divisorOverride: 9 }).forward(x);
 * ```
 */
export class AvgPool2d extends AvgPoolNd<number | [number, number]> {
  constructor(kernelSize: number | [number, number], options: AvgPool2dLayerOptions = {}) {
    super('AvgPool2d', kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    return tl.avgPool2d(x, this.poolOptions);
  }
}

/** Options of `MaxPool3d`. */
export interface MaxPool3dLayerOptions<Indices extends boolean = boolean> {
  /** Default: the kernel size. */
  stride?: number | [number, number, number];
  /** Implicit -inf padding on both sides, at most half the kernel (default 0). */
  padding?: number | [number, number, number];
  dilation?: number | [number, number, number];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** `forward` returns `{ values, indices }` (int32 flat indices, for `MaxUnpool3d`) (default false). */
  returnIndices?: Indices;
}

/** Options of `AvgPool3d`. */
export interface AvgPool3dLayerOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number, number];
  padding?: number | [number, number, number];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide each window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

/**
 * Max over 3-D windows of `[N, C, D, H, W]` (or `[C, D, H, W]`) inputs. With
 * `returnIndices: true`, `forward` returns `{ values, indices }`.
 *
 * @example
 * ```ts
 * new MaxPool3d(2).forward(tl.randn([1, 3, 8, 8, 8])); // [1, 3, 4, 4, 4]
 * const { values, indices } = new MaxPool3d(2, { returnIndices: true }).forward(volume);
 * ```
 */
export class MaxPool3d<Indices extends boolean = false> extends MaxPoolNd<number | [number, number, number], Indices> {
  constructor(kernelSize: number | [number, number, number], options: MaxPool3dLayerOptions<Indices> = {}) {
    super('MaxPool3d', kernelSize, options);
  }

  forward(x: Tensor): PoolOutput<Indices> {
    return tl.maxPool3d(x, this.poolOptions) as PoolOutput<Indices>;
  }
}

/**
 * Mean over 3-D windows of `[N, C, D, H, W]` (or `[C, D, H, W]`) inputs.
 *
 * @example
 * ```ts
 * new AvgPool3d(2, { stride: 2 }).forward(volume);
 * ```
 */
export class AvgPool3d extends AvgPoolNd<number | [number, number, number]> {
  constructor(kernelSize: number | [number, number, number], options: AvgPool3dLayerOptions = {}) {
    super('AvgPool3d', kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    return tl.avgPool3d(x, this.poolOptions);
  }
}

/**
 * Max over 1-D windows of `[N, C, L]` (or `[C, L]`) inputs.
 *
 * @example
 * ```ts
 * new MaxPool1d(3, { stride: 2 }).forward(tl.randn([2, 4, 20])); // [2, 4, 9]
 * ```
 */
export class MaxPool1d<Indices extends boolean = false> extends MaxPoolNd<number, Indices> {
  constructor(kernelSize: number, options: MaxPool1dLayerOptions<Indices> = {}) {
    super('MaxPool1d', kernelSize, options);
  }

  forward(x: Tensor): PoolOutput<Indices> {
    return F.maxPool1d(x, this.poolOptions) as PoolOutput<Indices>;
  }
}

/**
 * Mean over 1-D windows of `[N, C, L]` (or `[C, L]`) inputs.
 *
 * @example
 * ```ts
 * new AvgPool1d(4).forward(tl.randn([2, 4, 20])); // [2, 4, 5]
 * ```
 */
export class AvgPool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: number, options: AvgPool1dLayerOptions = {}) {
    super();
    checkOptions('AvgPool1d', options, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }

  override extraRepr(): string {
    return `kernel_size=(${this.kernelSize},), stride=(${this.stride},), padding=(${this.padding},)`;
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
    return `output_size=${repr(this.outputSize)}`;
  }
}

/**
 * Average pooling of `[N, C, L]` to `outputSize` positions.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool1d(1).forward(tl.randn([2, 8, 30])); // [2, 8, 1]
 * ```
 */
export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool1d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${this.outputSize}`;
  }
}

/** Options of the adaptive max pools. */
export interface AdaptiveMaxPoolOptions<Indices extends boolean = boolean> {
  /** `forward` returns `{ values, indices }` (default false). */
  returnIndices?: Indices;
}

/** What the adaptive max pools share (PyTorch's `_AdaptiveMaxPoolNd`): the output size, `returnIndices` and the repr. */
abstract class AdaptiveMaxPoolNd<Size extends number | readonly (number | null)[], Indices extends boolean> extends Module {
  readonly outputSize: Size;
  readonly returnIndices: Indices;

  protected constructor(op: string, outputSize: Size, options: AdaptiveMaxPoolOptions<Indices>) {
    super();
    checkOptions(op, options, ['returnIndices']);
    this.outputSize = outputSize;
    this.returnIndices = (options.returnIndices ?? false) as Indices;
  }

  override extraRepr(): string {
    return `output_size=${repr(this.outputSize)}`;
  }
}

/**
 * Max pooling to a fixed output size: `[N, C, H, W]` to `[N, C, oh, ow]`.
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool2d([2, 2]).forward(tl.randn([1, 3, 7, 9])); // [1, 3, 2, 2]
 * ```
 */
export class AdaptiveMaxPool2d<Indices extends boolean = false> extends AdaptiveMaxPoolNd<number | readonly [number | null, number | null], Indices> {
  constructor(outputSize: number | readonly [number | null, number | null], options: AdaptiveMaxPoolOptions<Indices> = {}) {
    super('AdaptiveMaxPool2d', outputSize, options);
  }

  forward(x: Tensor): PoolOutput<Indices> {
    return F.adaptiveMaxPool2d(x, this.outputSize, this.returnIndices) as PoolOutput<Indices>;
  }
}

/**
 * Max pooling of `[N, C, L]` to `outputSize` positions.
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool1d(4).forward(tl.randn([2, 3, 10])); // [2, 3, 4]
 * ```
 */
export class AdaptiveMaxPool1d<Indices extends boolean = false> extends AdaptiveMaxPoolNd<number, Indices> {
  constructor(outputSize: number, options: AdaptiveMaxPoolOptions<Indices> = {}) {
    super('AdaptiveMaxPool1d', outputSize, options);
  }

  forward(x: Tensor): PoolOutput<Indices> {
    return F.adaptiveMaxPool1d(x, this.outputSize, this.returnIndices) as PoolOutput<Indices>;
  }
}

/** What `MaxUnpool2d` and `MaxUnpool3d` share: the window as tuples, `forward` through the functional form, PyTorch's repr. */
abstract class MaxUnpoolNd<Size extends [number, number] | [number, number, number]> extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;

  protected constructor(op: string, dims: number, kernelSize: number | Size, options: { stride?: number | Size; padding?: number | Size }) {
    super();
    checkOptions(op, options, ['stride', 'padding']);
    const tuple = (v: number | Size): Size => (typeof v === 'number' ? new Array<number>(dims).fill(v) : [...v]) as Size;
    this.kernelSize = tuple(kernelSize);
    this.stride = tuple(options.stride ?? kernelSize);
    this.padding = tuple(options.padding ?? 0);
  }

  /** The functional form, with this layer's window. */
  protected abstract unpool(x: Tensor, indices: Tensor, options: { kernelSize: Size; stride: Size; padding: Size; outputSize?: readonly number[] }): Tensor;

  forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return this.unpool(x, indices, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, outputSize: outputSize ?? undefined });
  }

  override extraRepr(): string {
    return `kernel_size=${repr(this.kernelSize)}, stride=${repr(this.stride)}, padding=${repr(this.padding)}`;
  }
}

/** Options of `MaxUnpool2d`. */
export interface MaxUnpool2dLayerOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/**
 * The partial inverse of `MaxPool2d`: `forward(x, indices, outputSize?)` puts each value at
 * the position its index names, zeros elsewhere.
 *
 * @example
 * ```ts
 * const pool = new MaxPool2d(2, { returnIndices: true });
 * const { values, indices } = pool.forward(x);
 * new MaxUnpool2d(2).forward(values, indices); // x's shape
 * ```
 */
export class MaxUnpool2d extends MaxUnpoolNd<[number, number]> {
  constructor(kernelSize: number | [number, number], options: MaxUnpool2dLayerOptions = {}) {
    super('MaxUnpool2d', 2, kernelSize, options);
  }

  protected unpool(x: Tensor, indices: Tensor, options: F.MaxUnpool2dOptions): Tensor {
    return F.maxUnpool2d(x, indices, options);
  }
}

/** Options of `MaxUnpool3d`. */
export interface MaxUnpool3dLayerOptions {
  /** Default: the kernel size. */
  stride?: number | [number, number, number];
  padding?: number | [number, number, number];
}

/**
 * The partial inverse of `MaxPool3d`: `forward(x, indices, outputSize?)` puts each value at
 * the position its index names, zeros elsewhere.
 *
 * @example
 * ```ts
 * const { values, indices } = new MaxPool3d(2, { returnIndices: true }).forward(volume);
 * new MaxUnpool3d(2).forward(values, indices); // the volume's shape
 * ```
 */
export class MaxUnpool3d extends MaxUnpoolNd<[number, number, number]> {
  constructor(kernelSize: number | [number, number, number], options: MaxUnpool3dLayerOptions = {}) {
    super('MaxUnpool3d', 3, kernelSize, options);
  }

  protected unpool(x: Tensor, indices: Tensor, options: F.MaxUnpool3dOptions): Tensor {
    return F.maxUnpool3d(x, indices, options);
  }
}

/** Options of `MaxUnpool1d`. */
export interface MaxUnpool1dLayerOptions {
  stride?: number;
  padding?: number;
}

/**
 * The partial inverse of `MaxPool1d`.
 *
 * @example
 * ```ts
 * new MaxUnpool1d(2).forward(values, indices);
 * ```
 */
export class MaxUnpool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(kernelSize: number, options: MaxUnpool1dLayerOptions = {}) {
    super();
    checkOptions('MaxUnpool1d', options, ['stride', 'padding']);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
  }

  forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return F.maxUnpool1d(x, indices, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, outputSize: outputSize ?? undefined });
  }

  override extraRepr(): string {
    return `kernel_size=(${this.kernelSize},), stride=(${this.stride},), padding=(${this.padding},)`;
  }
}
