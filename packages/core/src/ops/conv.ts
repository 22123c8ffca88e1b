/**
 * Convolutions. `conv2d` and its two backward kernels are primitives; each backward is itself
 * a recorded op whose gradient is one of the other two, so second derivatives work.
 */
import { recordOp } from '../autograd/engine.js';
import type { Conv2dParams } from '../backend/contract.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { deviceOf, empty, pair } from './util.js';
import { isFloating } from '../dtype.js';

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

function outputSize(size: number, kernel: number, p: Conv2dParams, i: 0 | 1): number {
  return Math.floor((size + 2 * p.padding[i] - p.dilation[i] * (kernel - 1) - 1) / p.stride[i]) + 1;
}

function conv2dKernel(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [n, , h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const out = empty(x.backend, [n, o, outputSize(h, kh, p, 0), outputSize(wd, kw, p, 1)], x.dtype);
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
  ]);
}

function conv2dInputGrad(dy: Tensor, w: Tensor, xShape: readonly number[], p: Conv2dParams): Tensor {
  const out = empty(dy.backend, xShape, dy.dtype);
  dy.backend.conv2dBackwardInput(dy.kernelView, w.kernelView, out.kernelView, p);
  const wShape = w.shape;
  return recordOp('conv2dBackwardInput', [dy, w], out, [dy, w], (g, [sdy, sw], needs) => [
    needs[0] ? conv2dCore(g, sw, p) : null,
    needs[1] ? conv2dWeightGrad(g, sdy, wShape, p) : null,
  ]);
}

function conv2dWeightGrad(x: Tensor, dy: Tensor, wShape: readonly number[], p: Conv2dParams): Tensor {
  const out = empty(x.backend, wShape, x.dtype);
  x.backend.conv2dBackwardWeight(x.kernelView, dy.kernelView, out.kernelView, p);
  const xShape = x.shape;
  return recordOp('conv2dBackwardWeight', [x, dy], out, [x, dy], (g, [sx, sdy], needs) => [
    needs[0] ? conv2dInputGrad(sdy, g, xShape, p) : null,
    needs[1] ? conv2dCore(sx, g, p) : null,
  ]);
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
  deviceOf('conv2d', x, weight, ...(bias ? [bias] : []));
  const unbatched = x.rank === 3;
  if (x.rank !== 4 && !unbatched) throw new Error(`conv2d: input must be [N, C, H, W] or [C, H, W], got ${formatShape(x.shape)}`);
  if (weight.rank !== 4) throw new Error(`conv2d: weight must be [O, C/groups, kH, kW], got ${formatShape(weight.shape)}`);
  for (const [name, t] of [['input', x], ['weight', weight], ['bias', bias]] as const) {
    if (t && (!isFloating(t.dtype) || t.dtype !== x.dtype)) {
      throw new TypeError(`conv2d: ${name} must be float32 (or float16, all alike), got input ${x.dtype} and ${name} ${t.dtype}`);
    }
  }
  const groups = options.groups ?? 1;
  const input = unbatched ? x.unsqueeze(0) : x;
  const [, c, h, w] = input.shape;
  const [o, cPerGroup, kh, kw] = weight.shape;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new Error(`conv2d: groups ${groups} must divide both input channels ${c} and output channels ${o}`);
  }
  if (cPerGroup * groups !== c) {
    throw new Error(
      `conv2d: weight ${formatShape(weight.shape)} expects ${cPerGroup * groups} input channels ` +
        `(${cPerGroup} per group x ${groups} groups), but the input ${formatShape(x.shape)} has ${c}`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new Error(`conv2d: bias must be [${o}], got ${formatShape(bias.shape)}`);
  }
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
      padded = input.pad([0, total[1] % 2, 0, total[0] % 2]);
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
    if (padded !== input) padded.dispose();
    if (input !== x) input.dispose();
    throw new Error(
      `conv2d: kernel ${kh}x${kw} (dilation ${formatShape(dilation)}) is larger than the padded input ${h + 2 * padding[0]}x${w + 2 * padding[1]}`,
    );
  }
  let out = conv2dCore(padded, weight, params);
  if (padded !== input) padded.dispose();
  if (input !== x) input.dispose();
  if (bias) {
    const b = bias.reshape([1, o, 1, 1]);
    const withBias = out.add(b);
    b.dispose();
    out.dispose();
    out = withBias;
  }
  if (unbatched) {
    const squeezed = out.squeeze(0);
    out.dispose();
    out = squeezed;
  }
  return out;
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
  if (x.rank !== 3 && x.rank !== 2) throw new Error(`conv1d: input must be [N, C, L] or [C, L], got ${formatShape(x.shape)}`);
  if (weight.rank !== 3) throw new Error(`conv1d: weight must be [O, C/groups, K], got ${formatShape(weight.shape)}`);
  const x4 = x.unsqueeze(-2);
  const w4 = weight.unsqueeze(-2);
  const padding = options.padding;
  const out4 = conv2d(x4, w4, bias, {
    stride: [1, options.stride ?? 1],
    padding: padding === 'same' || padding === 'valid' ? padding : [0, padding ?? 0],
    dilation: [1, options.dilation ?? 1],
    groups: options.groups,
  });
  const out = out4.squeeze(-2);
  [x4, w4, out4].forEach((t) => t.dispose());
  return out;
}
