/** `Conv1d`, `Conv2d`, `Conv3d`, `ConvTranspose1d` and `ConvTranspose2d`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { pad as padFn, type PadMode } from '../functional/padding.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkChoice, checkOptions } from '../options.js';
import { emptyParameter, pyTuple, toPair } from './util.js';

/** How a convolution pads its input: zeros (default), or PyTorch's other padding modes. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];
const CONV_OPTIONS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'];
const CONV_TRANSPOSE_OPTIONS = ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation', 'paddingMode'];

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
  /** How the padding is filled: `'zeros'` (default), `'reflect'`, `'replicate'` or `'circular'`. */
  paddingMode?: PaddingMode;
}

/** Options of `Conv3d`. */
export interface Conv3dLayerOptions {
  /** Default 1. */
  stride?: number | [number, number, number];
  /** Zero padding: a number, `[d, h, w]`, `'valid'` or `'same'` (default 0). */
  padding?: number | [number, number, number] | 'valid' | 'same';
  /** Default 1. */
  dilation?: number | [number, number, number];
  /** Default 1; `inChannels` and `outChannels` must both be divisible by it. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** How the padding is filled: `'zeros'` (default), `'reflect'`, `'replicate'` or `'circular'`. */
  paddingMode?: PaddingMode;
}

/** Options of `Conv1d`. */
export interface Conv1dLayerOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

/** Options of `ConvTranspose2d`. */
export interface ConvTranspose2dLayerOptions {
  /** Default 1. */
  stride?: number | [number, number];
  /** Cropped from each side of the full output (default 0). */
  padding?: number | [number, number];
  /** Added to the bottom/right of the output, below stride or dilation (default 0). */
  outputPadding?: number | [number, number];
  /** Default 1; `inChannels` and `outChannels` must both be divisible by it. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Default 1. */
  dilation?: number | [number, number];
  /** Only `'zeros'`, as PyTorch. */
  paddingMode?: 'zeros';
}

/** Options of `ConvTranspose3d`. */
export interface ConvTranspose3dLayerOptions {
  /** Default 1. */
  stride?: number | [number, number, number];
  /** Cropped from each side of the full output (default 0). */
  padding?: number | [number, number, number];
  /** Added at the end of each spatial dim of the output, below stride or dilation (default 0). */
  outputPadding?: number | [number, number, number];
  /** Default 1; `inChannels` and `outChannels` must both be divisible by it. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Default 1. */
  dilation?: number | [number, number, number];
  /** Only `'zeros'`, as PyTorch. */
  paddingMode?: 'zeros';
}

/** Options of `ConvTranspose1d`. */
export interface ConvTranspose1dLayerOptions {
  stride?: number;
  padding?: number;
  outputPadding?: number;
  groups?: number;
  bias?: boolean;
  dilation?: number;
  paddingMode?: 'zeros';
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
  paddingMode: PaddingMode = 'zeros',
  outputPadding: readonly number[] | null = null,
): string {
  let s = `${inChannels}, ${outChannels}, kernel_size=${pyTuple(kernel)}, stride=${pyTuple(stride)}`;
  if (typeof padding === 'string') s += `, padding=${padding}`;
  else if (padding.some((p) => p !== 0)) s += `, padding=${pyTuple(padding)}`;
  if (dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(dilation)}`;
  if (outputPadding && outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyTuple(outputPadding)}`;
  if (groups !== 1) s += `, groups=${groups}`;
  if (!bias) s += ', bias=False';
  if (paddingMode !== 'zeros') s += `, padding_mode=${paddingMode}`;
  return s;
}

/**
 * PyTorch's `_reversed_padding_repeated_twice` for a non-zeros padding mode: `F.pad` amounts
 * (last dim first) for numeric padding or `'same'` (the odd extra on the right/bottom).
 */
function explicitPadding(padding: readonly number[] | 'same' | 'valid', kernel: readonly number[], dilation: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = kernel.length - 1; i >= 0; i--) {
    if (padding === 'valid') out.push(0, 0);
    else if (padding === 'same') {
      const total = dilation[i] * (kernel[i] - 1);
      const left = Math.floor(total / 2);
      out.push(left, total - left);
    } else out.push(padding[i], padding[i]);
  }
  return out;
}

/** Check a layer's paddingMode and return it. */
function paddingModeOf(op: string, mode: unknown, allowed: readonly PaddingMode[] = PADDING_MODES): PaddingMode {
  const m = mode ?? 'zeros';
  if (allowed.length === 1 && m !== 'zeros') throw new Error(`${op}: only 'zeros' paddingMode is supported, got '${String(m)}' (as PyTorch)`);
  checkChoice(op, 'paddingMode', m, allowed);
  return m;
}

/**
 * `conv(input, padding)` over `x` with the layer's `padding`; a padding mode other than
 * 'zeros' pads `x` itself first, and the convolution then pads nothing.
 */
function convolvePadded<P extends readonly number[] | 'same' | 'valid'>(
  x: Tensor,
  mode: PaddingMode,
  padding: P,
  kernel: readonly number[],
  dilation: readonly number[],
  conv: (input: Tensor, padding: P | 0) => Tensor,
): Tensor {
  if (mode === 'zeros') return conv(x, padding);
  return tl.tidy(() => conv(padFn(x, explicitPadding(padding, kernel, dilation), mode as PadMode), 0));
}

/** The transposed convolutions' output padding for a requested output size (PyTorch's `_output_padding`). */
function outputPaddingFor(
  op: string,
  x: Tensor,
  outputSize: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
  dilation: readonly number[],
): number[] {
  const k = kernel.length;
  const size = outputSize.length === k + 2 || outputSize.length === k + 1 ? outputSize.slice(outputSize.length - k) : [...outputSize];
  if (size.length !== k) throw new Error(`${op}: outputSize must have ${k} or ${k + 2} elements (got ${outputSize.length})`);
  const spatial = x.shape.slice(x.rank - k);
  return size.map((want, i) => {
    const min = (spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + 1;
    const max = min + stride[i] - 1;
    if (want < min || want > max) {
      throw new Error(`${op}: requested an output size of ${JSON.stringify(outputSize)}, but valid sizes range from ${min} to ${max} in dim ${i} (for an input of ${tl.formatShape(x.shape)})`);
    }
    return want - min;
  });
}

/**
 * What the four convolutions share (PyTorch's `_ConvNd`): the channel counts and `groups`,
 * checked; `weight` and `bias`, which a subclass allocates with `createParameters` once it has
 * checked its own arguments; and PyTorch's default initialisation.
 */
abstract class ConvNd extends Module {
  weight!: Parameter;
  bias!: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;

  protected constructor(op: string, inChannels: number, outChannels: number, groups: number) {
    super();
    checkChannels(op, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
  }

  /** Allocate `weight` of `weightShape` and (unless `bias` is false) `bias` `[outChannels]`, initialised. */
  protected createParameters(weightShape: readonly number[], bias: boolean | undefined): void {
    this.weight = emptyParameter(weightShape);
    this.bias = bias === false ? null : emptyParameter([this.outChannels]);
    this.resetParameters();
  }

  /** Re-draw the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }
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
export class Conv2d extends ConvNd {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'valid' | 'same';
  readonly dilation: [number, number];
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Conv2dLayerOptions = {}) {
    checkOptions('Conv2d', options, CONV_OPTIONS);
    const paddingMode = paddingModeOf('Conv2d', options.paddingMode);
    super('Conv2d', inChannels, outChannels, options.groups ?? 1);
    this.paddingMode = paddingMode;
    this.kernelSize = toPair('Conv2d: kernelSize', kernelSize);
    this.stride = toPair('Conv2d: stride', options.stride ?? 1);
    const padding = options.padding ?? 0;
    this.padding = typeof padding === 'string' ? padding : toPair('Conv2d: padding', padding);
    this.dilation = toPair('Conv2d: dilation', options.dilation ?? 1);
    this.createParameters([outChannels, inChannels / this.groups, ...this.kernelSize], options.bias);
  }

  forward(x: Tensor): Tensor {
    return convolvePadded(x, this.paddingMode, this.padding, this.kernelSize, this.dilation, (input, padding) =>
      tl.conv2d(input, this.weight, this.bias, { stride: this.stride, dilation: this.dilation, groups: this.groups, padding }),
    );
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.dilation, this.groups, this.bias !== null, this.paddingMode);
  }
}

/** A number or triple as a triple. */
function toTriple(name: string, value: number | readonly number[]): [number, number, number] {
  if (typeof value === 'number') return [value, value, value];
  if (value.length !== 3) throw new Error(`${name} must be a number or three numbers, got ${JSON.stringify(value)}`);
  return [value[0], value[1], value[2]];
}

/**
 * 3-D convolution over `[N, C, D, H, W]` (or `[C, D, H, W]`) inputs, with `weight`
 * `[outChannels, inChannels / groups, kD, kH, kW]` and `bias` `[outChannels]`, initialised as
 * PyTorch's.
 *
 * @example
 * ```ts
 * const conv = new Conv3d(3, 8, 3, { padding: 1 });
 * conv.forward(tl.randn([2, 3, 8, 16, 16])); // [2, 8, 8, 16, 16]
 * ```
 */
export class Conv3d extends ConvNd {
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number] | 'valid' | 'same';
  readonly dilation: [number, number, number];
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number, number], options: Conv3dLayerOptions = {}) {
    checkOptions('Conv3d', options, CONV_OPTIONS);
    const paddingMode = paddingModeOf('Conv3d', options.paddingMode);
    super('Conv3d', inChannels, outChannels, options.groups ?? 1);
    this.paddingMode = paddingMode;
    this.kernelSize = toTriple('Conv3d: kernelSize', kernelSize);
    this.stride = toTriple('Conv3d: stride', options.stride ?? 1);
    const padding = options.padding ?? 0;
    this.padding = typeof padding === 'string' ? padding : toTriple('Conv3d: padding', padding);
    this.dilation = toTriple('Conv3d: dilation', options.dilation ?? 1);
    this.createParameters([outChannels, inChannels / this.groups, ...this.kernelSize], options.bias);
  }

  forward(x: Tensor): Tensor {
    return convolvePadded(x, this.paddingMode, this.padding, this.kernelSize, this.dilation, (input, padding) =>
      tl.conv3d(input, this.weight, this.bias, { stride: this.stride, dilation: this.dilation, groups: this.groups, padding }),
    );
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.dilation, this.groups, this.bias !== null, this.paddingMode);
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
export class Conv1d extends ConvNd {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dLayerOptions = {}) {
    checkOptions('Conv1d', options, CONV_OPTIONS);
    const paddingMode = paddingModeOf('Conv1d', options.paddingMode);
    super('Conv1d', inChannels, outChannels, options.groups ?? 1);
    this.paddingMode = paddingMode;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.createParameters([outChannels, inChannels / this.groups, kernelSize], options.bias);
  }

  forward(x: Tensor): Tensor {
    const padding = typeof this.padding === 'string' ? this.padding : [this.padding];
    return convolvePadded(x, this.paddingMode, padding, [this.kernelSize], [this.dilation], (input, p) =>
      tl.conv1d(input, this.weight, this.bias, { stride: this.stride, dilation: this.dilation, groups: this.groups, padding: typeof p === 'object' ? p[0]! : p }),
    );
  }

  override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? this.padding : [this.padding];
    return convRepr(this.inChannels, this.outChannels, [this.kernelSize], [this.stride], padding, [this.dilation], this.groups, this.bias !== null, this.paddingMode);
  }
}

/**
 * What `ConvTranspose2d` and `ConvTranspose3d` share: the window options as tuples, PyTorch's
 * weight layout `[inChannels, outChannels / groups, ...kernel]`, `forward(x, outputSize?)`
 * (an output size picks the output padding, as PyTorch) and PyTorch's repr.
 */
abstract class ConvTransposeNd<Size extends [number, number] | [number, number, number]> extends ConvNd {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly outputPadding: Size;
  readonly dilation: Size;
  readonly paddingMode = 'zeros' as const;
  private readonly op: string;

  protected constructor(
    op: string,
    inChannels: number,
    outChannels: number,
    kernelSize: number | Size,
    options: ConvTranspose2dLayerOptions | ConvTranspose3dLayerOptions,
    tuple: (name: string, value: number | readonly number[]) => Size,
  ) {
    checkOptions(op, options, CONV_TRANSPOSE_OPTIONS);
    paddingModeOf(op, options.paddingMode, ['zeros']);
    super(op, inChannels, outChannels, options.groups ?? 1);
    this.op = op;
    this.kernelSize = tuple(`${op}: kernelSize`, kernelSize);
    this.stride = tuple(`${op}: stride`, options.stride ?? 1);
    this.padding = tuple(`${op}: padding`, options.padding ?? 0);
    this.outputPadding = tuple(`${op}: outputPadding`, options.outputPadding ?? 0);
    this.dilation = tuple(`${op}: dilation`, options.dilation ?? 1);
    this.createParameters([inChannels, outChannels / this.groups, ...this.kernelSize], options.bias);
  }

  /** The functional form with this layer's weight and bias. */
  protected abstract convolve(x: Tensor, options: { stride: Size; padding: Size; outputPadding: Size; groups: number; dilation: Size }): Tensor;

  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    const outputPadding = outputSize
      ? (outputPaddingFor(this.op, x, outputSize, this.kernelSize, this.stride, this.padding, this.dilation) as Size)
      : this.outputPadding;
    return this.convolve(x, { stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation });
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.padding, this.dilation, this.groups, this.bias !== null, 'zeros', this.outputPadding);
  }
}

/**
 * 2-D transposed convolution ("deconvolution") over `[N, Cin, H, W]` (or `[Cin, H, W]`),
 * with PyTorch's `weight` `[inChannels, outChannels / groups, kH, kW]`, `bias`
 * `[outChannels]` and initialisation. `forward(x, outputSize?)` may ask for an output size
 * (the spatial `[H, W]` or a full shape), which picks the output padding, as PyTorch.
 *
 * @example
 * ```ts
 * const up = new ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * up.forward(tl.randn([1, 16, 10, 10])); // [1, 8, 20, 20]
 * ```
 */
export class ConvTranspose2d extends ConvTransposeNd<[number, number]> {
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: ConvTranspose2dLayerOptions = {}) {
    super('ConvTranspose2d', inChannels, outChannels, kernelSize, options, toPair);
  }

  protected convolve(x: Tensor, options: tl.ConvTranspose2dOptions): Tensor {
    return tl.convTranspose2d(x, this.weight, this.bias, options);
  }
}

/**
 * 3-D transposed convolution over `[N, Cin, D, H, W]` (or `[Cin, D, H, W]`), with PyTorch's
 * `weight` `[inChannels, outChannels / groups, kD, kH, kW]`, `bias` `[outChannels]` and
 * initialisation. `forward(x, outputSize?)` may ask for an output size (the spatial
 * `[D, H, W]` or a full shape), which picks the output padding, as PyTorch.
 *
 * @example
 * ```ts
 * const up = new ConvTranspose3d(8, 4, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * up.forward(tl.randn([1, 8, 4, 8, 8])); // [1, 4, 8, 16, 16]
 * ```
 */
export class ConvTranspose3d extends ConvTransposeNd<[number, number, number]> {
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number, number], options: ConvTranspose3dLayerOptions = {}) {
    super('ConvTranspose3d', inChannels, outChannels, kernelSize, options, toTriple);
  }

  protected convolve(x: Tensor, options: tl.ConvTranspose3dOptions): Tensor {
    return tl.convTranspose3d(x, this.weight, this.bias, options);
  }
}

/**
 * 1-D transposed convolution over `[N, Cin, L]` (or `[Cin, L]`), with `weight`
 * `[inChannels, outChannels / groups, k]` and `bias` `[outChannels]`.
 *
 * @example
 * ```ts
 * new ConvTranspose1d(8, 4, 4, { stride: 2, padding: 1 }).forward(tl.randn([2, 8, 50])); // [2, 4, 100]
 * ```
 */
export class ConvTranspose1d extends ConvNd {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  readonly dilation: number;
  readonly paddingMode = 'zeros' as const;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvTranspose1dLayerOptions = {}) {
    checkOptions('ConvTranspose1d', options, CONV_TRANSPOSE_OPTIONS);
    paddingModeOf('ConvTranspose1d', options.paddingMode, ['zeros']);
    super('ConvTranspose1d', inChannels, outChannels, options.groups ?? 1);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.outputPadding = options.outputPadding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.createParameters([inChannels, outChannels / this.groups, kernelSize], options.bias);
  }

  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    const outputPadding = outputSize
      ? outputPaddingFor('ConvTranspose1d', x, outputSize, [this.kernelSize], [this.stride], [this.padding], [this.dilation])[0]
      : this.outputPadding;
    return tl.convTranspose1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation });
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, [this.kernelSize], [this.stride], [this.padding], [this.dilation], this.groups, this.bias !== null, 'zeros', [this.outputPadding]);
  }
}
