/**
 * Convolutions. `conv2d` and its two backward kernels are primitives; each backward is itself
 * a recorded op whose gradient is one of the other two, so second derivatives work.
 */
import { recordOp } from '../autograd/engine.js';
import { owned } from '../memory.js';
import type { Conv2dParams } from '../backend/contract.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { pad, slice } from './shape.js';
import { checkOptionKeys, deviceOf, empty, pair, triple } from './util.js';
import { isFloating } from '../dtype.js';
import { inFloat32 } from './elementwise.js';
import { autocastActive, autocasting } from '../autocast.js';

export interface Conv2dOptions {
  /** Step between windows: a number or `[h, w]` (default 1). */
  stride?: number | [number, number];
  /** Zero padding: a number, `[h, w]`, `'valid'` (none) or `'same'` (stride 1 only). */
  padding?: number | [number, number] | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | [number, number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
}

export interface Conv3dOptions {
  /** Step between windows: a number or `[d, h, w]` (default 1). */
  stride?: number | [number, number, number];
  /** Zero padding: a number, `[d, h, w]`, `'valid'` (none) or `'same'` (stride 1 only). */
  padding?: number | [number, number, number] | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | [number, number, number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

export interface ConvTranspose2dOptions {
  /** Step between the input's positions in the output: a number or `[h, w]` (default 1). */
  stride?: number | [number, number];
  /** Rows and columns cropped from each side of the full output: a number or `[h, w]` (default 0). */
  padding?: number | [number, number];
  /** Extra rows and columns on the bottom and right of the output, each below stride or dilation (default 0). */
  outputPadding?: number | [number, number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | [number, number];
}

export interface ConvTranspose3dOptions {
  /** Step between the input's positions in the output: a number or `[d, h, w]` (default 1). */
  stride?: number | [number, number, number];
  /** Planes, rows and columns cropped from each side of the full output: a number or `[d, h, w]` (default 0). */
  padding?: number | [number, number, number];
  /** Extra planes, rows and columns at the end of the output, each below stride or dilation (default 0). */
  outputPadding?: number | [number, number, number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | [number, number, number];
}

export interface ConvTranspose1dOptions {
  stride?: number;
  padding?: number;
  outputPadding?: number;
  groups?: number;
  dilation?: number;
}

const CONV_OPTIONS = ['stride', 'padding', 'dilation', 'groups'] as const;
const CONV_TRANSPOSE_OPTIONS = ['stride', 'padding', 'outputPadding', 'groups', 'dilation'] as const;

const CONV_HINTS: Record<string, string> = {
  paddingMode: "paddingMode belongs to the nn layers (nn.Conv2d); for a functional conv, pad first with nn's F.pad(x, pad, mode)",
  padding_mode: 'options are camelCase (paddingMode, on the nn layers)',
};

function outputSize(size: number, kernel: number, p: Conv2dParams, i: 0 | 1): number {
  return Math.floor((size + 2 * p.padding[i] - p.dilation[i] * (kernel - 1) - 1) / p.stride[i]) + 1;
}

function conv2dKernel(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [n, , h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const out = empty(x.backend, [n, o, outputSize(h, kh, p, 0), outputSize(wd, kw, p, 1)], x.dtype, 'conv2d');
  x.backend.conv2d(x.kernelView, w.kernelView, out.kernelView, p);
  return out;
}

/** Differentiable conv2d without bias on validated 4-D operands. */
function conv2dCore(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const out = conv2dKernel(x, w, p);
  const xShape = x.shape;
  const wShape = w.shape;
  return recordOp('conv2d', [x, w], out, [x, w], (g, [sx, sw], needs) => [
    needs[0] ? conv2dInputGrad(g, sw, xShape, p) : null,
    needs[1] ? conv2dWeightGrad(sx, g, wShape, p) : null,
  ], { attrs: { ...p } });
}

function conv2dInputGrad(dy: Tensor, w: Tensor, xShape: readonly number[], p: Conv2dParams): Tensor {
  const out = empty(dy.backend, xShape, dy.dtype, 'conv2d backward');
  dy.backend.conv2dBackwardInput(dy.kernelView, w.kernelView, out.kernelView, p);
  const wShape = w.shape;
  // Traced with its geometry: convTranspose2d runs as this kernel, and an export writes it as ConvTranspose.
  return recordOp('conv2dBackwardInput', [dy, w], out, [dy, w], (g, [sdy, sw], needs) => [
    needs[0] ? conv2dCore(g, sw, p) : null,
    needs[1] ? conv2dWeightGrad(g, sdy, wShape, p) : null,
  ], { attrs: { ...p } });
}

function conv2dWeightGrad(x: Tensor, dy: Tensor, wShape: readonly number[], p: Conv2dParams): Tensor {
  const out = empty(x.backend, wShape, x.dtype, 'conv2d backward');
  x.backend.conv2dBackwardWeight(x.kernelView, dy.kernelView, out.kernelView, p);
  const xShape = x.shape;
  return recordOp('conv2dBackwardWeight', [x, dy], out, [x, dy], (g, [sx, sdy], needs) => [
    needs[0] ? conv2dInputGrad(sdy, g, xShape, p) : null,
    needs[1] ? conv2dCore(sx, g, p) : null,
  ]);
}

/** Input, weight and bias of one floating dtype, as a convolution (plain or transposed) needs. */
function checkConvDTypes(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined): void {
  for (const [name, t] of [['input', x], ['weight', weight], ['bias', bias]] as const) {
    if (t && (!isFloating(t.dtype) || t.dtype !== x.dtype)) {
      throw new TypeError(`${op}: ${name} must be float32 (or float16, all alike), got input ${x.dtype} and ${name} ${t.dtype}`);
    }
  }
}

/**
 * A transposed convolution's stride, padding, dilation and outputPadding, one per spatial dim
 * of `x` and checked, with the size of its full result and of its output (the full result
 * cropped by padding, plus outputPadding).
 */
function transposedGeometry<T extends [number, number] | [number, number, number]>(
  op: string,
  options: ConvTranspose2dOptions | ConvTranspose3dOptions,
  x: Tensor,
  weight: Tensor,
  tuple: (op: string, name: string, value: number | readonly number[] | undefined, fallback: number) => T,
): { stride: T; padding: T; dilation: T; outputPadding: T; full: number[]; size: number[] } {
  const dims = weight.rank - 2;
  if (typeof options.padding === 'string') {
    throw new Error(`${op}: padding must be a number or ${dims === 2 ? 'a pair' : 'three numbers'}, got '${options.padding}' (PyTorch's transposed convolutions have no 'same' or 'valid')`);
  }
  const stride = tuple(op, 'stride', options.stride, 1);
  const padding = tuple(op, 'padding', options.padding, 0);
  const dilation = tuple(op, 'dilation', options.dilation, 1);
  const outputPadding = tuple(op, 'outputPadding', options.outputPadding, 0);
  if (stride.some((s) => s < 1) || dilation.some((d) => d < 1) || padding.some((p) => p < 0) || outputPadding.some((p) => p < 0)) {
    throw new Error(`${op}: stride and dilation must be >= 1, padding and outputPadding >= 0`);
  }
  if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i])) {
    throw new Error(`${op}: outputPadding ${formatShape(outputPadding)} must be smaller than either stride ${formatShape(stride)} or dilation ${formatShape(dilation)}`);
  }
  const spatial = x.shape.slice(-dims);
  const full = spatial.map((n, i) => (n - 1) * stride[i] + dilation[i] * (weight.shape[2 + i] - 1) + 1);
  const size = full.map((f, i) => f - 2 * padding[i] + outputPadding[i]);
  if (size.some((n) => n < 1)) {
    throw new Error(`${op}: the output would be ${size.join('x')}: padding ${formatShape(padding)} crops away the whole ${full.join('x')} result`);
  }
  return { stride, padding, dilation, outputPadding, full, size };
}

/** The dtypes, groups and channel counts of a transposed convolution (weight `[Cin, Cout / groups, ...]`); its output channels. */
function checkTransposedOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, channels: number, groups: number): number {
  checkConvDTypes(op, x, weight, bias);
  const [cin, outPerGroup] = weight.shape;
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0) {
    throw new Error(`${op}: groups ${groups} must be a positive integer dividing the weight's input channels ${cin}`);
  }
  if (channels !== cin) {
    throw new Error(`${op}: weight ${formatShape(weight.shape)} expects ${cin} input channels, but the input ${formatShape(x.shape)} has ${channels}`);
  }
  const cout = outPerGroup * groups;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) throw new Error(`${op}: bias must be [${cout}], got ${formatShape(bias.shape)}`);
  return cout;
}

/**
 * The checks every convolution starts with: its options, one device, and the ranks of `x`
 * (`dims`, batched or not) and of `weight` (`weightDims`). True when `x` has no batch dim.
 */
function convEntry(
  op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: object, allowed: readonly string[], dims: string, weightDims: string,
): boolean {
  checkOptionKeys(op, options, allowed, CONV_HINTS);
  deviceOf(op, x, weight, ...(bias ? [bias] : []));
  const rank = dims.split(',').length + 1;
  const unbatched = x.rank === rank - 1;
  if (x.rank !== rank && !unbatched) throw new Error(`${op}: input must be [N, ${dims}] or [${dims}], got ${formatShape(x.shape)}`);
  if (weight.rank !== rank) throw new Error(`${op}: weight must be [${weightDims}], got ${formatShape(weight.shape)}`);
  return unbatched;
}

/** The dtypes, groups and channel counts of a convolution, checked with `op` in the messages. */
function checkConvOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, channels: number, groups: number): void {
  checkConvDTypes(op, x, weight, bias);
  const [o, cPerGroup] = weight.shape;
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0 || o % groups !== 0) {
    throw new Error(`${op}: groups ${groups} must divide both input channels ${channels} and output channels ${o}`);
  }
  if (cPerGroup * groups !== channels) {
    throw new Error(
      `${op}: weight ${formatShape(weight.shape)} expects ${cPerGroup * groups} input channels ` +
        `(${cPerGroup} per group x ${groups} groups), but the input ${formatShape(x.shape)} has ${channels}`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) throw new Error(`${op}: bias must be [${o}], got ${formatShape(bias.shape)}`);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) of `x` `[N, C, H, W]` (or unbatched
 * `[C, H, W]`) with `weight` `[O, C / groups, kH, kW]`, plus an optional `bias` `[O]`.
 *
 * @example
 * ```ts
 * const y = tl.conv2d(x, w, b, { stride: 2, padding: 1 });
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (autocastActive()) return autocasting('conv2d', [x, weight, bias, options], conv2d);
  const unbatched = convEntry('conv2d', x, weight, bias, options, CONV_OPTIONS, 'C, H, W', 'O, C/groups, kH, kW');
  const groups = options.groups ?? 1;
  checkConvOperands('conv2d', x, weight, bias, x.shape[unbatched ? 0 : 1], groups);
  // The batch view and the padded copy are freed when the core returns, or throws.
  const out = owned((own) => {
    const input = unbatched ? own(x.unsqueeze(0)) : x;
    const [, , h, w] = input.shape;
    const [, , kh, kw] = weight.shape;
    const stride = pair('conv2d', 'stride', options.stride, 1);
    const dilation = pair('conv2d', 'dilation', options.dilation, 1);
    let padding: [number, number];
    let padded = input;
    if (options.padding === 'same') {
      if (stride[0] !== 1 || stride[1] !== 1) throw new Error(`conv2d: padding 'same' needs stride 1, got ${formatShape(stride)}`);
      const total = [dilation[0] * (kh - 1), dilation[1] * (kw - 1)];
      padding = [Math.floor(total[0] / 2), Math.floor(total[1] / 2)];
      if (total[0] % 2 || total[1] % 2) {
        // Odd total padding goes one more to the bottom/right, as PyTorch.
        padded = own(input.pad([0, total[1] % 2, 0, total[0] % 2]));
      }
    } else {
      padding = options.padding === 'valid' ? [0, 0] : pair('conv2d', 'padding', options.padding, 0);
    }
    if (stride.some((s) => s < 1) || dilation.some((d) => d < 1) || padding.some((p) => p < 0)) {
      throw new Error(`conv2d: stride and dilation must be >= 1 and padding >= 0`);
    }
    const params: Conv2dParams = { stride, padding, dilation, groups };
    const ph = padded.shape[2];
    const pw = padded.shape[3];
    if (outputSize(ph, kh, params, 0) < 1 || outputSize(pw, kw, params, 1) < 1) {
      throw new Error(
        `conv2d: kernel ${kh}x${kw} (dilation ${formatShape(dilation)}) is larger than the padded input ${h + 2 * padding[0]}x${w + 2 * padding[1]}`,
      );
    }
    return conv2dCore(padded, weight, params);
  });
  return finishConv(out, bias, weight.shape[0], unbatched);
}


/** The end of conv2d, conv3d and convTranspose2d: add the bias per channel and drop an added batch dim. */
function finishConv(out: Tensor, bias: Tensor | null | undefined, channels: number, unbatched: boolean): Tensor {
  // `out` is this function's to free; what replaces it is returned.
  return owned((own) => {
    if (bias) out = own(out).add(own(bias.reshape([1, channels, ...out.shape.slice(2).map(() => 1)])));
    return unbatched ? own(out).squeeze(0) : out;
  });
}

/**
 * 1-D convolution of `x` `[N, C, L]` (or `[C, L]`) with `weight` `[O, C / groups, K]`.
 *
 * @example
 * ```ts
 * tl.conv1d(signal, filters, null, { padding: 'same' });
 * ```
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  if (autocastActive()) return autocasting('conv1d', [x, weight, bias, options], conv1d);
  convEntry('conv1d', x, weight, bias, options, CONV_OPTIONS, 'C, L', 'O, C/groups, K');
  const padding = options.padding;
  return owned((own) => {
    const out4 = own(conv2d(own(x.unsqueeze(-2)), own(weight.unsqueeze(-2)), bias, {
      stride: [1, options.stride ?? 1],
      padding: padding === 'same' || padding === 'valid' ? padding : [0, padding ?? 0],
      dilation: [1, options.dilation ?? 1],
      groups: options.groups,
    }));
    return out4.squeeze(-2);
  });
}

/**
 * 3-D convolution of `x` `[N, C, D, H, W]` (or `[C, D, H, W]`) with `weight`
 * `[O, C / groups, kD, kH, kW]`, plus an optional `bias` `[O]` (torch.nn.functional.conv3d).
 * A composite: one `conv2d` per depth tap on the depth slices it reaches, summed, so it runs
 * on every backend with conv2d's gradients.
 *
 * @example
 * ```ts
 * tl.conv3d(video, filters, null, { padding: 1 }); // [N, O, D, H, W] for a 3x3x3 kernel
 * ```
 */
export function conv3d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv3dOptions = {}): Tensor {
  if (autocastActive()) return autocasting('conv3d', [x, weight, bias, options], conv3d);
  const op = 'conv3d';
  const unbatched = convEntry(op, x, weight, bias, options, CONV_OPTIONS, 'C, D, H, W', 'O, C/groups, kD, kH, kW');
  const groups = options.groups ?? 1;
  const c = x.shape[unbatched ? 0 : 1];
  checkConvOperands(op, x, weight, bias, c, groups);
  const [o, , kd] = weight.shape;
  const stride = triple(op, 'stride', options.stride, 1);
  const dilation = triple(op, 'dilation', options.dilation, 1);
  const same = options.padding === 'same';
  if (same && stride.some((s) => s !== 1)) throw new Error(`${op}: padding 'same' needs stride 1, got ${formatShape(stride)}`);
  const padding = same || options.padding === 'valid' ? [0, 0, 0] : triple(op, 'padding', options.padding as number | [number, number, number] | undefined, 0);
  if (stride.some((s) => s < 1) || dilation.some((d) => d < 1) || padding.some((p) => p < 0)) {
    throw new Error(`${op}: stride and dilation must be >= 1 and padding >= 0`);
  }
  // Depth padding is done here ('same': the odd extra at the end, as PyTorch); height and width go to conv2d.
  const depthTotal = dilation[0] * (kd - 1);
  const [front, back] = same ? [Math.floor(depthTotal / 2), depthTotal - Math.floor(depthTotal / 2)] : [padding[0], padding[0]];
  // float16 in float32 with one rounding at the end (opmath, as PyTorch's half kernels), not once per depth tap.
  const out = inFloat32([x, weight], ([x, weight]) => owned((own) => {
    const input = unbatched ? own(x.unsqueeze(0)) : x;
    const [n, , d, h, w] = input.shape;
    const padded = front || back ? own(pad(input, [0, 0, 0, 0, front, back])) : input;
    const depth = padded.shape[2];
    const outDepth = Math.floor((depth - dilation[0] * (kd - 1) - 1) / stride[0]) + 1;
    if (outDepth < 1) throw new Error(`${op}: kernel depth ${kd} (dilation ${dilation[0]}) is larger than the padded input depth ${d + front + back}`);
    const planes = { stride: [stride[1], stride[2]] as [number, number], padding: same ? ('same' as const) : ([padding[1], padding[2]] as [number, number]), dilation: [dilation[1], dilation[2]] as [number, number], groups };
    let sum: Tensor | null = null;
    for (let tap = 0; tap < kd; tap++) {
      // The depth slices this tap meets, one per output depth, as a batch of planes [N·Do, C, H, W].
      const start = tap * dilation[0];
      const slices = own(slice(padded, 2, start, start + (outDepth - 1) * stride[0] + 1, stride[0]));
      const planesIn = own(own(slices.transpose(1, 2)).reshape([n * outDepth, c, h, w]));
      const y = own(conv2d(planesIn, own(weight.select(2, tap)), null, planes));
      sum = sum ? own(sum.add(y)) : y;
    }
    const [, , oh, ow] = sum!.shape;
    return own(own(sum!.reshape([n, outDepth, o, oh, ow])).transpose(1, 2)).contiguous();
  }));
  return finishConv(out, bias, o, unbatched);
}

/**
 * 2-D transposed convolution (the gradient of `conv2d` with respect to its input, as
 * PyTorch's `conv_transpose2d`) of `x` `[N, Cin, H, W]` (or unbatched `[Cin, H, W]`) with
 * `weight` `[Cin, Cout / groups, kH, kW]`, plus an optional `bias` `[Cout]`. The output is
 * `[N, Cout, (H - 1)·stride - 2·padding + dilation·(kH - 1) + outputPadding + 1, ...]`.
 * Its gradients are `conv2d` (input) and conv2d's weight gradient (weight), so second
 * derivatives work too.
 *
 * @example
 * ```ts
 * const up = tl.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }); // doubles H and W for a 3x3 kernel
 * ```
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  if (autocastActive()) return autocasting('convTranspose2d', [x, weight, bias, options], convTranspose2d);
  const op = 'convTranspose2d';
  const unbatched = convEntry(op, x, weight, bias, options, CONV_TRANSPOSE_OPTIONS, 'Cin, H, W', 'Cin, Cout/groups, kH, kW');
  const groups = options.groups ?? 1;
  const cout = checkTransposedOperands(op, x, weight, bias, x.shape[unbatched ? 0 : 1], groups);
  const { stride, padding, dilation, outputPadding, full, size } = transposedGeometry(op, options, x, weight, pair);
  const n = unbatched ? 1 : x.shape[0];
  const out = owned((own) => {
    const input = unbatched ? own(x.unsqueeze(0)) : x;
    if (outputPadding[0] < stride[0] && outputPadding[1] < stride[1]) {
      // conv2d of an input of the output's size has exactly x's size: the kernel's geometry.
      return conv2dInputGrad(input, weight, [n, cout, size[0], size[1]], { stride, padding, dilation, groups });
    }
    // outputPadding >= stride (allowed below the dilation): the full result, cropped by
    // padding on the top/left and padding - outputPadding on the bottom/right (zeros beyond).
    const whole = own(conv2dInputGrad(input, weight, [n, cout, full[0], full[1]], { stride, padding: [0, 0], dilation, groups }));
    return pad(whole, [-padding[1], outputPadding[1] - padding[1], -padding[0], outputPadding[0] - padding[0]]);
  });
  return finishConv(out, bias, cout, unbatched);
}

/**
 * 3-D transposed convolution (torch.nn.functional.conv_transpose3d) of `x` `[N, Cin, D, H, W]`
 * (or unbatched `[Cin, D, H, W]`) with `weight` `[Cin, Cout / groups, kD, kH, kW]`, plus an
 * optional `bias` `[Cout]`. The output's depth is `(D - 1)·stride - 2·padding +
 * dilation·(kD - 1) + outputPadding + 1`, and so are its height and width. Each depth tap is a
 * `convTranspose2d` of the input's planes; its planes land `stride` apart in the output.
 *
 * @example
 * ```ts
 * tl.convTranspose3d(volume, w, null, { stride: 2, padding: 1, outputPadding: 1 }); // doubles D, H and W for a 3-wide kernel
 * ```
 */
export function convTranspose3d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose3dOptions = {}): Tensor {
  if (autocastActive()) return autocasting('convTranspose3d', [x, weight, bias, options], convTranspose3d);
  const op = 'convTranspose3d';
  const unbatched = convEntry(op, x, weight, bias, options, CONV_TRANSPOSE_OPTIONS, 'Cin, D, H, W', 'Cin, Cout/groups, kD, kH, kW');
  const cout = checkTransposedOperands(op, x, weight, bias, x.shape[unbatched ? 0 : 1], options.groups ?? 1);
  // Checked here for all three dims, so that no message names the convTranspose2d below.
  const { stride, padding, dilation, outputPadding, size } = transposedGeometry(op, options, x, weight, triple);
  const kd = weight.shape[2];
  const outDepth = size[0];
  // Height and width go to convTranspose2d, per depth tap.
  const planes = {
    stride: [stride[1], stride[2]] as [number, number],
    padding: [padding[1], padding[2]] as [number, number],
    outputPadding: [outputPadding[1], outputPadding[2]] as [number, number],
    dilation: [dilation[1], dilation[2]] as [number, number],
    groups: options.groups,
  };
  // float16 in float32 with one rounding at the end (opmath), not once per depth tap.
  const out = inFloat32([x, weight], ([x, weight]) => owned((own) => {
    const input = unbatched ? own(x.unsqueeze(0)) : x;
    const [n, c, d, h, w] = input.shape;
    const planesIn = own(own(input.transpose(1, 2)).reshape([n * d, c, h, w]));
    let sum: Tensor | null = null;
    for (let tap = 0; tap < kd; tap++) {
      const y = own(convTranspose2d(planesIn, own(weight.select(2, tap)), null, planes));
      const [, co, oh, ow] = y.shape;
      const volume = own(own(y.reshape([n, d, co, oh, ow])).transpose(1, 2));
      // Input plane i lands at depth tap·dilation + i·stride of the full result: stride - 1
      // zero planes after each, then the full result cropped by padding (outputPadding adds zeros).
      const spaced = stride[0] === 1 ? volume : own(own(pad(own(volume.unsqueeze(3)), [0, 0, 0, 0, 0, stride[0] - 1])).reshape([n, co, d * stride[0], oh, ow]));
      const start = tap * dilation[0] - padding[0];
      const placed = own(pad(spaced, [0, 0, 0, 0, start, outDepth - start - spaced.shape[2]]));
      sum = sum ? own(sum.add(placed)) : placed;
    }
    return sum!.contiguous();
  }));
  return finishConv(out, bias, cout, unbatched);
}

/**
 * 1-D transposed convolution of `x` `[N, Cin, L]` (or `[Cin, L]`) with `weight`
 * `[Cin, Cout / groups, K]`: `convTranspose2d` over a height of one.
 *
 * @example
 * ```ts
 * tl.convTranspose1d(x, w, null, { stride: 2 }); // [N, Cout, (L - 1)·2 + K]
 * ```
 */
export function convTranspose1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose1dOptions = {}): Tensor {
  if (autocastActive()) return autocasting('convTranspose1d', [x, weight, bias, options], convTranspose1d);
  const op = 'convTranspose1d';
  convEntry(op, x, weight, bias, options, CONV_TRANSPOSE_OPTIONS, 'Cin, L', 'Cin, Cout/groups, K');
  for (const name of ['stride', 'padding', 'outputPadding', 'dilation'] as const) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'number') throw new Error(`${op}: ${name} must be a number, got ${JSON.stringify(v)}`);
  }
  return owned((own) => {
    const out4 = own(convTranspose2d(own(x.unsqueeze(-2)), own(weight.unsqueeze(-2)), bias, {
      stride: [1, options.stride ?? 1],
      padding: [0, options.padding ?? 0],
      outputPadding: [0, options.outputPadding ?? 0],
      dilation: [1, options.dilation ?? 1],
      groups: options.groups,
    }));
    return out4.squeeze(-2);
  });
}
