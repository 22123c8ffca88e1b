// Network operators: products, convolutions, pooling, normalisation, softmax, reductions.
import type { Tensor } from '@tensile/core';
import { functional as F } from '@tensile/nn';
import { isHost, type Value } from '../value.js';
import { type Attributes, type OpContext, type OpSpec, attrNumber, attrInts, attrString, axisOf, intsOf, one, only, tensorOf, tensorsOf, tl } from './context.js';
import { axesOf } from './shape.js';

type Pair = [number, number];
type Triple = [number, number, number];

/** Spatial geometry of Conv/pool nodes: 1-D, 2-D and 3-D; 1-D runs as 2-D with a unit height. */
interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin_1, begin_2, end_1, end_2], after auto_pad. */
  pads: number[];
}

function windowOf(ctx: OpContext, attrs: Attributes, spatial: number[], kernel: number[]): Window {
  const n = spatial.length;
  const strides = attrInts(attrs, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(attrs, 'dilations') ?? new Array<number>(n).fill(1);
  let pads = attrInts(attrs, 'pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = attrString(attrs, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = new Array<number>(2 * n).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max((out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!, 0);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    }
  }
  if (kernel.length !== n || strides.length !== n || dilations.length !== n || pads.length !== 2 * n) {
    throw new Error(`${ctx.node}: kernel_shape, strides, dilations and pads disagree with ${n} spatial dims`);
  }
  return { kernel, strides, dilations, pads };
}

export const spatialCheck = (attrs: Attributes, most = 3): string[] => {
  const k = attrInts(attrs, 'kernel_shape');
  const supported = most === 3 ? '1-D, 2-D and 3-D are' : '1-D and 2-D are';
  return k && (k.length < 1 || k.length > most) ? [`${k.length}-D windows are not supported (${supported})`] : [];
};

/** Run a 2-D op on 1-D input by adding a unit height (2-D and 3-D windows pass through). */
function as2d(x: Tensor, w: Window): { x: Tensor; w: Window; undo: (y: Tensor) => Tensor } {
  if (w.kernel.length !== 1) return { x, w, undo: (y) => y };
  const p = w.pads;
  return {
    x: x.unsqueeze(2),
    w: { kernel: [1, w.kernel[0]!], strides: [1, w.strides[0]!], dilations: [1, w.dilations[0]!], pads: [0, p[0]!, 0, p[1]!] },
    undo: (y) => y.squeeze(2),
  };
}

/**
 * Symmetric pads go to the op; asymmetric ones are applied first with `fill`. `pads` is ONNX's
 * [begin per dim, end per dim]; tl.pad takes the last dim first.
 */
function splitPads(x: Tensor, pads: number[], fill: number): { x: Tensor; padding: number[] } {
  const n = pads.length / 2;
  const begin = pads.slice(0, n);
  const end = pads.slice(n);
  if (begin.every((p, i) => p === end[i])) return { x, padding: begin };
  return { x: tl.pad(x, begin.flatMap((_, i) => [begin[n - 1 - i]!, end[n - 1 - i]!]), fill), padding: begin.map(() => 0) };
}

export function conv(ctx: OpContext, [x, w, b]: (Value | undefined)[], attrs: Attributes): Value[] {
  const [input, weight] = tensorsOf(ctx, [x, w]);
  const bias = b === undefined ? null : tensorOf(ctx, b, 'B', input!.device);
  const kernel = attrInts(attrs, 'kernel_shape') ?? weight!.shape.slice(2);
  const geometry = windowOf(ctx, attrs, input!.shape.slice(2), kernel);
  const g = as2d(input!, geometry);
  const w2 = kernel.length === 1 ? weight!.unsqueeze(2) : weight!;
  const { x: padded, padding } = splitPads(g.x, g.w.pads, 0);
  const groups = attrNumber(attrs, 'group', 1);
  if (kernel.length === 3) {
    return one(tl.conv3d(padded, weight!, bias, { stride: g.w.strides as Triple, dilation: g.w.dilations as Triple, padding: padding as Triple, groups }));
  }
  const y = tl.conv2d(padded, w2, bias, { stride: g.w.strides as Pair, dilation: g.w.dilations as Pair, padding: padding as Pair, groups });
  return one(g.undo(y));
}

function convTranspose(ctx: OpContext, [x, w, b]: (Value | undefined)[], attrs: Attributes): Value[] {
  const [input, weight] = tensorsOf(ctx, [x, w]);
  const bias = b === undefined ? null : tensorOf(ctx, b, 'B', input!.device);
  const kernel = attrInts(attrs, 'kernel_shape') ?? weight!.shape.slice(2);
  const n = kernel.length;
  const strides = attrInts(attrs, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(attrs, 'dilations') ?? new Array<number>(n).fill(1);
  const pads = attrInts(attrs, 'pads') ?? new Array<number>(2 * n).fill(0);
  const outputPadding = attrInts(attrs, 'output_padding') ?? new Array<number>(n).fill(0);
  const two = n === 1;
  const groups = attrNumber(attrs, 'group', 1);
  const x2 = two ? input!.unsqueeze(2) : input!;
  const w2 = two ? weight!.unsqueeze(2) : weight!;
  const lift = (v: number[], unit: number): Pair => (two ? [unit, v[0]!] : (v as Pair));
  // Full output, then crop begin/end pads (they may differ).
  let y = n === 3
    ? tl.convTranspose3d(input!, weight!, bias, { stride: strides as Triple, dilation: dilations as Triple, outputPadding: outputPadding as Triple, groups })
    : tl.convTranspose2d(x2, w2, bias, { stride: lift(strides, 1), dilation: lift(dilations, 1), outputPadding: lift(outputPadding, 0), groups });
  for (let i = 0; i < n; i++) {
    const axis = 2 + (two ? 1 : i);
    const size = y.shape[axis]!;
    y = tl.slice(y, axis, pads[i]!, size - pads[i + n]!);
  }
  return one(two ? y.squeeze(2) : y);
}

/**
 * MaxPool's Indices: row-major positions in the whole input `x` (batch and channel included),
 * from maxPool's positions within each plane of what it pooled (`x` padded by `begin` before
 * each spatial dim, when the pads were applied first).
 */
function wholeTensorIndices(planeIndices: Tensor, x: Tensor, pooled: readonly number[], begin: readonly number[]): Tensor {
  const spatial = x.shape.slice(2);
  let at = planeIndices;
  if (begin.some((b) => b !== 0)) {
    // A position in the padded planes, back to the same element's in x's.
    let rest = planeIndices;
    let unpadded: Tensor | null = null;
    let stride = 1;
    for (let d = pooled.length - 1; d >= 0; d--) {
      const term = tl.remainder(rest, pooled[d]!).sub(begin[d]!).mul(stride);
      unpadded = unpadded ? unpadded.add(term) : term;
      rest = tl.floorDivide(rest, pooled[d]!);
      stride *= spatial[d]!;
    }
    at = unpadded!;
  }
  const [n, c] = x.shape as [number, number];
  const plane = spatial.reduce((a, b) => a * b, 1);
  const offsets = tl.arange(0, n * c * plane, plane, { device: x.device }).reshape([n, c, ...spatial.map(() => 1)]);
  return at.add(offsets);
}

/**
 * Dilated average pooling (opset 19) on a 2-D or 3-D `x`: window sums as a depthwise
 * convolution with ones, divided by how many elements each window counts (pads only with
 * count_include_pad; never the extra end that ceil_mode adds).
 */
function dilatedAvgPool(x: Tensor, w: Window, ceilMode: boolean, countIncludePad: boolean): Tensor {
  const n = w.kernel.length;
  const spatial = x.shape.slice(2);
  const extra = spatial.map((size, i) => {
    if (!ceilMode) return 0;
    const padded = size + w.pads[i]! + w.pads[i + n]!;
    const span = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    let out = Math.ceil((padded - span) / w.strides[i]!) + 1;
    // As PyTorch and onnxruntime: the last window starts inside the input or its begin pad.
    if ((out - 1) * w.strides[i]! >= size + w.pads[i]!) out--;
    return Math.max((out - 1) * w.strides[i]! + span - padded, 0);
  });
  // tl.pad takes the last dim first, as [begin, end] pairs.
  const torchPads = (end: (i: number) => number) => spatial.flatMap((_, k) => [w.pads[n - 1 - k]!, end(n - 1 - k)]);
  const withPads = torchPads((i) => w.pads[i + n]!);
  const ones = tl.ones([1, 1, ...spatial], { device: x.device });
  // What each position counts: the input, pads where counted, never ceil_mode's extra end.
  let mask = tl.pad(ones, withPads, countIncludePad ? 1 : 0);
  mask = tl.pad(mask, spatial.flatMap((_, k) => [0, extra[n - 1 - k]!]), 0);
  const padded = tl.pad(x, torchPads((i) => w.pads[i + n]! + extra[i]!), 0);
  const c = x.shape[1]!;
  const options = { stride: w.strides, dilation: w.dilations };
  const window = (t: Tensor, channels: number) => {
    const k = tl.ones([channels, 1, ...w.kernel], { device: x.device });
    return n === 3
      ? tl.conv3d(t, k, null, { ...options, groups: channels } as tl.Conv3dOptions)
      : tl.conv2d(t, k, null, { ...options, groups: channels } as tl.Conv2dOptions);
  };
  return window(padded, c).div(window(mask, 1));
}

function pool(kind: 'max' | 'avg'): OpSpec {
  return {
    attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides', 'count_include_pad', 'storage_order'],
    outputs: kind === 'max' ? 2 : 1,
    check: (attrs, opset) => [
      ...spatialCheck(attrs),
      ...only(attrs, 'storage_order', [0]),
      // AveragePool's dilations came with opset 19.
      ...(kind === 'avg' && opset < 19 && attrInts(attrs, 'dilations')?.some((d) => d !== 1) ? [`attribute dilations other than 1 needs opset 19 or later (the model imports opset ${opset})`] : []),
    ],
    run(ctx, [x], attrs) {
      const input = tensorOf(ctx, x, 'X');
      const kernel = attrInts(attrs, 'kernel_shape')!;
      const g = as2d(input, windowOf(ctx, attrs, input.shape.slice(2), kernel));
      const ceilMode = attrNumber(attrs, 'ceil_mode', 0) === 1;
      const countIncludePad = attrNumber(attrs, 'count_include_pad', 0) === 1;
      const n = g.w.kernel.length;
      const asymmetric = g.w.pads.slice(0, n).some((p, i) => p !== g.w.pads[i + n]);
      if (kind === 'avg' && g.w.dilations.some((d) => d !== 1)) return one(g.undo(dilatedAvgPool(g.x, g.w, ceilMode, countIncludePad)));
      if (kind === 'avg' && asymmetric && !countIncludePad) throw new Error(`${ctx.node}: asymmetric pads without count_include_pad are not supported`);
      const { x: padded, padding } = splitPads(g.x, g.w.pads, kind === 'max' ? -Infinity : 0);
      if (kind === 'avg') {
        const common = { kernelSize: g.w.kernel, stride: g.w.strides, padding, ceilMode, countIncludePad };
        return one(g.undo(n === 3 ? tl.avgPool3d(padded, common as tl.AvgPool3dOptions) : tl.avgPool2d(padded, common as tl.AvgPool2dOptions)));
      }
      const common = { kernelSize: g.w.kernel, stride: g.w.strides, padding, ceilMode, dilation: g.w.dilations };
      // The Indices output only where the node names one.
      if (ctx.outputs < 2) {
        return one(g.undo(n === 3 ? tl.maxPool3d(padded, { ...(common as tl.MaxPool3dOptions), returnIndices: false }) : tl.maxPool2d(padded, { ...(common as tl.MaxPool2dOptions), returnIndices: false })));
      }
      const { values, indices } = n === 3
        ? tl.maxPool3d(padded, { ...(common as tl.MaxPool3dOptions), returnIndices: true })
        : tl.maxPool2d(padded, { ...(common as tl.MaxPool2dOptions), returnIndices: true });
      const begin = padded === g.x ? g.w.pads.slice(0, n).map(() => 0) : g.w.pads.slice(0, n);
      return [g.undo(values), g.undo(wholeTensorIndices(indices, g.x, padded.shape.slice(2), begin))];
    },
  };
}

/**
 * MaxUnpool: each value of X goes to the position its index names in a zero output; indices
 * are flat over the whole output, as MaxPool writes them.
 */
function maxUnpool(ctx: OpContext, [x, i, outputShape]: (Value | undefined)[], attrs: Attributes): Value[] {
  const [values, indices] = tensorsOf(ctx, [x, i]) as [Tensor, Tensor];
  if (!tl.shapesEqual(values.shape, indices.shape)) throw new Error(`${ctx.node}: I has shape [${indices.shape.join(', ')}] but X has [${values.shape.join(', ')}]; they must match`);
  const kernel = attrInts(attrs, 'kernel_shape')!;
  const n = kernel.length;
  if (values.rank !== n + 2) throw new Error(`${ctx.node}: X must have ${n + 2} dims for a ${n}-D kernel_shape, got [${values.shape.join(', ')}]`);
  const strides = attrInts(attrs, 'strides') ?? new Array<number>(n).fill(1);
  const pads = attrInts(attrs, 'pads') ?? new Array<number>(2 * n).fill(0);
  let shape = [...values.shape.slice(0, 2), ...values.shape.slice(2).map((len, d) => (len - 1) * strides[d]! + kernel[d]! - pads[d]! - pads[d + n]!)];
  if (outputShape !== undefined) {
    shape = intsOf(ctx, outputShape, 'output_shape');
    if (shape.length !== n + 2 || shape[0] !== values.shape[0] || shape[1] !== values.shape[1]) {
      throw new Error(`${ctx.node}: output_shape [${shape.join(', ')}] must be [N, C, ...] with X's N and C (${values.shape[0]}, ${values.shape[1]})`);
    }
  }
  const total = shape.reduce((a, b) => a * b, 1);
  const zeros = tl.zeros([total], { dtype: values.dtype, device: values.device });
  return one(tl.scatter(zeros, 0, indices.reshape([-1]), values.reshape([-1])).reshape(shape));
}

function globalPool(kind: 'mean' | 'max'): OpSpec {
  return {
    attributes: [],
    run(ctx, [x]) {
      const t = tensorOf(ctx, x, 'X');
      const axes = t.shape.slice(2).map((_, i) => i + 2);
      return one(kind === 'mean' ? t.mean(axes, true) : tl.amax(t, axes, true));
    },
  };
}

/** Softmax and LogSoftmax: before opset 13 the input is coerced to 2-D at `axis`. */
function softmax(fn: (x: Tensor, dim: number) => Tensor): OpSpec {
  return {
    attributes: ['axis'],
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'input');
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', ctx.opset >= 13 ? -1 : 1), t.rank);
      if (ctx.opset >= 13) return one(fn(t, axis));
      const rows = t.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      return one(fn(t.reshape([rows, -1]), 1).reshape(t.shape));
    },
  };
}

/** Reduce*: axes from the attribute (or, from opsets 13/18, an input); empty means all. */
function reduce(fn: (x: Tensor, axes: number[], keep: boolean) => Tensor): OpSpec {
  return {
    attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
    run(ctx, [x, axesInput], attrs) {
      const t = tensorOf(ctx, x, 'data');
      const keep = attrNumber(attrs, 'keepdims', 1) === 1;
      let axes = axesOf(ctx, attrs, axesInput)?.map((a) => axisOf(ctx, a, t.rank));
      if (!axes || axes.length === 0) {
        if (attrNumber(attrs, 'noop_with_empty_axes', 0) === 1) return one(t);
        axes = t.shape.map((_, i) => i);
      }
      return one(fn(t, axes, keep));
    },
  };
}

/** `t` over `axes` to zero mean and unit (biased) variance, with the mean and 1/sqrt(var + eps) kept. */
function standardized(t: Tensor, axes: number[], eps: number): { normalized: Tensor; mean: Tensor; invStd: Tensor } {
  const mean = t.mean(axes, true);
  const centred = t.sub(mean);
  const invStd = centred.square().mean(axes, true).add(eps).rsqrt();
  return { normalized: centred.mul(invStd), mean, invStd };
}

function argExtreme(fn: (x: Tensor, dim: number, keep: boolean) => Tensor): OpSpec {
  return {
    attributes: ['axis', 'keepdims', 'select_last_index'],
    check: (attrs) => only(attrs, 'select_last_index', [0]),
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'data');
      return one(fn(t, axisOf(ctx, attrNumber(attrs, 'axis', 0), t.rank), attrNumber(attrs, 'keepdims', 1) === 1));
    },
  };
}

/** 1 at the first maximum along `dim`, 0 elsewhere. */
function hardmax(x: Tensor, dim: number): Tensor {
  const positions = tl.arange(0, x.shape[dim]!, 1, { dtype: 'int32', device: x.device }).reshape(x.shape.map((d, i) => (i === dim ? d : 1)));
  return tl.argmax(x, dim, true).eq(positions).cast(x.dtype);
}

/** LpPool: (Σ |x|^p)^(1/p) over each window, the sum a depthwise convolution with ones (zero pads add nothing). */
function lpPool(ctx: OpContext, [x]: (Value | undefined)[], attrs: Attributes): Value[] {
  const t = tensorOf(ctx, x, 'X');
  const p = attrNumber(attrs, 'p', 2);
  const ones = tl.ones([t.shape[1]!, 1, ...attrInts(attrs, 'kernel_shape')!], { device: t.device });
  const [sums] = conv(ctx, [t.abs().pow(p), ones], { ...attrs, group: t.shape[1]! });
  return one((sums as Tensor).pow(1 / p));
}

/**
 * Upsample (opsets 7 to 9): output i of each axis samples input i / scale (onnxruntime's
 * asymmetric coordinates, in float32), nearest or linear, one axis at a time.
 */
function upsample(ctx: OpContext, [x, s]: (Value | undefined)[], attrs: Attributes): Value[] {
  let t = tensorOf(ctx, x, 'X');
  const scales = ctx.opset < 9 ? attrInts(attrs, 'scales')! : intsOf(ctx, s, 'scales');
  if (scales.length !== t.rank || scales.some((v) => !(v >= 1))) throw new Error(`${ctx.node}: scales [${scales}] must hold one value >= 1 per dim of X [${t.shape}]`);
  const linear = attrString(attrs, 'mode', 'nearest') === 'linear';
  const device = t.device;
  scales.forEach((scale, axis) => {
    const n = t.shape[axis]!;
    if (scale === 1) return;
    const src = Array.from({ length: Math.floor(Math.fround(n * scale)) }, (_, i) => Math.min(Math.fround(i / scale), n - 1));
    const lo = src.map(Math.floor);
    const pick = (at: number[]) => tl.indexSelect(t, axis, tl.tensor(Int32Array.from(at), { dtype: 'int32', device }));
    if (!linear) {
      t = pick(lo);
      return;
    }
    const w = tl.tensor(Float32Array.from(src, (v, i) => v - lo[i]!), { device }).reshape(t.shape.map((_, i) => (i === axis ? -1 : 1)));
    t = pick(lo).mul(w.neg().add(1)).add(pick(lo.map((i) => Math.min(i + 1, n - 1))).mul(w));
  });
  return one(t);
}

/**
 * Col2Im: the [N, C·prod(block), L] columns summed into an image, F.fold's col2im (2-D). The
 * blocks are folded into the padded image, whose pads (begin and end may differ) are cut off.
 */
function col2Im(ctx: OpContext, [x, imageV, blockV]: (Value | undefined)[], attrs: Attributes): Value[] {
  const t = tensorOf(ctx, x, 'input');
  const image = intsOf(ctx, imageV, 'image_shape');
  const block = intsOf(ctx, blockV, 'block_shape');
  if (image.length !== 2 || block.length !== 2) throw new Error(`${ctx.node}: ${image.length}-D images are not supported (2-D are)`);
  const strides = attrInts(attrs, 'strides') ?? [1, 1];
  const dilations = attrInts(attrs, 'dilations') ?? [1, 1];
  const pads = attrInts(attrs, 'pads') ?? [0, 0, 0, 0];
  const padded = image.map((d, i) => d + pads[i]! + pads[i + 2]!) as Pair;
  const y = F.fold(t, { outputSize: padded, kernelSize: block as Pair, stride: strides as Pair, dilation: dilations as Pair });
  return one(tl.slice(tl.slice(y, 2, pads[0]!, pads[0]! + image[0]!), 3, pads[1]!, pads[1]! + image[1]!));
}

/** x / sqrt(mean(x²) + epsilon) · scale over the dims from axis on, and 1 / sqrt(mean(x²) + epsilon). */
function rmsNormalized(ctx: OpContext, x: Value | undefined, s: Value | undefined, attrs: Attributes): Tensor[] {
  const t = tensorOf(ctx, x, 'X');
  const axis = axisOf(ctx, attrNumber(attrs, 'axis', -1), t.rank);
  const axes = t.shape.slice(axis).map((_, i) => axis + i);
  const invStd = t.square().mean(axes, true).add(attrNumber(attrs, 'epsilon', 1e-5)).rsqrt();
  return [t.mul(invStd).mul(tensorOf(ctx, s, 'scale', t.device)), invStd];
}

/** CumSum and CumProd: the running sums or products along the axis input, exclusive or reversed as asked. */
function cumulative(op: 'sum' | 'prod'): OpSpec {
  return {
    attributes: ['exclusive', 'reverse'],
    run(ctx, [x, axisInput], attrs) {
      const input = tensorOf(ctx, x, 'x');
      const axis = axisOf(ctx, intsOf(ctx, axisInput, 'axis')[0]!, input.rank);
      const reverse = attrNumber(attrs, 'reverse', 0) !== 0;
      let t = reverse ? tl.flip(input, axis) : input;
      const n = t.shape[axis]!;
      if (attrNumber(attrs, 'exclusive', 0) !== 0 && n > 0) {
        // Exclusive: shift by one behind the identity, 0 or 1 (undoing the last step would round, or divide by zero).
        const identity = tl.full(t.shape.map((d, i) => (i === axis ? 1 : d)), op === 'sum' ? 0 : 1, { dtype: t.dtype, device: t.device });
        t = tl.cat([identity, tl.slice(t, axis, 0, n - 1)], axis);
      }
      const y = op === 'sum' ? tl.cumsum(t, axis) : tl.cumprod(t, axis);
      return one(reverse ? tl.flip(y, axis) : y);
    },
  };
}

/**
 * DeformConv (opset 19) on [N, C, H, W], as torchvision's deform_conv2d: each kernel tap of each
 * output position samples X bilinearly at its place moved by `offset` ((dy, dx) pairs per offset
 * group and tap), zero outside X, scaled by `mask`; then the taps meet W in one matmul per group.
 * Gathers and products throughout, so gradients reach X, W, offset, mask and B.
 */
function deformConv(ctx: OpContext, [xV, wV, offsetV, bV, maskV]: (Value | undefined)[], attrs: Attributes): Value[] {
  const [x, w, offset] = tensorsOf(ctx, [xV, wV, offsetV], 3) as [Tensor, Tensor, Tensor];
  if (x.rank !== 4 || w.rank !== 4) throw new Error(`${ctx.node}: X [${x.shape}] and W [${w.shape}] must be 4-D; only 2-D deformable convolution is supported`);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [oc, cg, kh, kw] = w.shape as [number, number, number, number];
  const groups = attrNumber(attrs, 'group', 1);
  const offsetGroups = attrNumber(attrs, 'offset_group', 1);
  const kernel = attrInts(attrs, 'kernel_shape') ?? [kh, kw];
  if (kernel[0] !== kh || kernel[1] !== kw) throw new Error(`${ctx.node}: kernel_shape [${kernel}] disagrees with W [${w.shape}]`);
  if (c % groups !== 0 || oc % groups !== 0 || cg * groups !== c || c % offsetGroups !== 0) {
    throw new Error(`${ctx.node}: X of ${c} channels, W [${w.shape}], group ${groups} and offset_group ${offsetGroups} do not fit`);
  }
  const [sh, sw] = attrInts(attrs, 'strides') ?? [1, 1];
  const [dh, dw] = attrInts(attrs, 'dilations') ?? [1, 1];
  const [pt, pl, pb, pr] = attrInts(attrs, 'pads') ?? [0, 0, 0, 0];
  const oh = Math.floor((h + pt! + pb! - dh! * (kh - 1) - 1) / sh!) + 1;
  const ow = Math.floor((wd + pl! + pr! - dw! * (kw - 1) - 1) / sw!) + 1;
  const k = kh * kw;
  const p = oh * ow;
  if (!tl.shapesEqual(offset.shape, [n, offsetGroups * k * 2, oh, ow])) throw new Error(`${ctx.node}: offset of shape [${offset.shape}] must be [${[n, offsetGroups * k * 2, oh, ow]}]`);
  const mask = maskV === undefined ? null : tensorOf(ctx, maskV, 'mask', x.device);
  if (mask && !tl.shapesEqual(mask.shape, [n, offsetGroups * k, oh, ow])) throw new Error(`${ctx.node}: mask of shape [${mask.shape}] must be [${[n, offsetGroups * k, oh, ow]}]`);
  // Where each tap of each output position sits before its offset: [k, p].
  const base = (stride: number, pad: number, dilation: number, rows: boolean) => tl.tensor(Float32Array.from({ length: k * p }, (_, i) => {
    const [tap, at] = [Math.floor(i / p), i % p];
    const [kk, o] = rows ? [Math.floor(tap / kw), Math.floor(at / ow)] : [tap % kw, at % ow];
    return o * stride - pad + kk * dilation;
  }), { device: x.device }).reshape([1, 1, k, p]);
  const o5 = offset.reshape([n, offsetGroups, k, 2, p]);
  const ys = o5.select(3, 0).add(base(sh!, pt!, dh!, true));
  const xs = o5.select(3, 1).add(base(sw!, pl!, dw!, false));
  // Bilinear taps, each zero outside X: [n, offsetGroups, channels per offset group, k·p].
  const perOffset = c / offsetGroups;
  const flat = x.reshape([n, offsetGroups, perOffset, h * wd]);
  const y0 = tl.noGrad(() => ys.floor());
  const x0 = tl.noGrad(() => xs.floor());
  const [fy, fx] = [ys.sub(y0), xs.sub(x0)];
  let sampled: Tensor | null = null;
  for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
    const [yi, xi] = [y0.add(dy), x0.add(dx)];
    const [index, inside] = tl.noGrad(() => {
      const ok = yi.ge(0).logicalAnd(yi.le(h - 1)).logicalAnd(xi.ge(0)).logicalAnd(xi.le(wd - 1));
      const at = yi.clamp(0, h - 1).mul(wd).add(xi.clamp(0, wd - 1)).cast('int32').reshape([n, offsetGroups, 1, k * p]);
      return [at.expand([n, offsetGroups, perOffset, k * p]), ok.reshape([n, offsetGroups, 1, k * p])] as const;
    });
    const weight = (dy ? fy : fy.neg().add(1)).mul(dx ? fx : fx.neg().add(1)).reshape([n, offsetGroups, 1, k * p]);
    const term = flat.gather(3, index).where(inside, 0).mul(weight);
    sampled = sampled ? sampled.add(term) : term;
  }
  let columns = sampled!;
  if (mask) columns = columns.mul(mask.reshape([n, offsetGroups, 1, k * p]));
  // [n, c, k, p] as [n, groups, (c / groups)·k, p] against W as [groups, oc / groups, (c / groups)·k].
  const cols = columns.reshape([n, groups, cg * k, p]);
  let y = tl.matmul(w.reshape([groups, oc / groups, cg * k]), cols).reshape([n, oc, oh, ow]);
  if (bV !== undefined) y = y.add(tensorOf(ctx, bV, 'B', x.device).reshape([1, oc, 1, 1]));
  return one(y);
}

/**
 * GridSample (opset 20) of 1 to 3 spatial dims through F.gridSample, whose padding modes,
 * unnormalisation and gradients are PyTorch's: 1 spatial dim samples as a row of height 1 at
 * y = 0 (which both align_corners settings put on the row's centre, so only x moves the taps).
 */
function gridSampleOf(ctx: OpContext, x: Tensor, grid: Tensor, mode: string, paddingMode: string, alignCorners: boolean): Tensor {
  const r = x.rank - 2;
  const [n, c] = x.shape as [number, number];
  if (grid.rank !== r + 2 || grid.shape[0] !== n || grid.shape.at(-1) !== r) {
    throw new Error(`${ctx.node}: grid of shape [${grid.shape}] must be [${n}, ${r} output dims, ${r}] for X [${x.shape}]`);
  }
  if (r > 3) throw new Error(`${ctx.node}: GridSample of ${r} spatial dims is not supported (1 to 3 are)`);
  if (mode === 'cubic' && r === 3) throw new Error(`${ctx.node}: cubic sampling of 3 spatial dims is not supported (1-D and 2-D are)`);
  const options = {
    mode: ({ linear: 'bilinear', cubic: 'bicubic' } as Record<string, 'bilinear' | 'bicubic'>)[mode] ?? (mode as 'bilinear'),
    paddingMode: paddingMode as 'zeros',
    alignCorners,
  };
  if (r !== 1) return F.gridSample(x, grid, options);
  const w = x.shape[2]!;
  const wo = grid.shape[1]!;
  return tl.tidy(() => {
    const row = tl.cat([grid.reshape([n, 1, wo, 1]), tl.zeros([n, 1, wo, 1], { device: grid.device, dtype: grid.dtype })], 3);
    return F.gridSample(x.reshape([n, c, 1, w]), row, options).reshape([n, c, wo]);
  });
}

const f32 = Math.fround;

/** Resize's coordinate_transformation_mode: where output position `o` of a dim reads, in float32 as onnxruntime. */
function resizeSource(ctm: string, o: number, scale: number, inSize: number, outSize: number): number {
  switch (ctm) {
    case 'align_corners':
      return outSize === 1 ? 0 : f32((o * (inSize - 1)) / (outSize - 1));
    case 'asymmetric':
      return f32(o / scale);
    case 'pytorch_half_pixel':
      return outSize > 1 ? f32(f32((o + 0.5) / scale) - 0.5) : 0;
    case 'half_pixel_symmetric': {
      // The output's centre over the input's when floor(in · scale) cut the output short.
      const adjustment = f32(outSize / f32(scale * inSize));
      const offset = f32(f32(inSize / 2) * f32(1 - adjustment));
      return f32(offset + f32(f32((o + 0.5) / scale) - 0.5));
    }
    default:
      return f32(f32((o + 0.5) / scale) - 0.5);
  }
}

/** Keys' cubic kernel (cubic_coeff_a `a`) at distance v. */
function cubicKernel(v: number, a: number): number {
  const u = Math.abs(v);
  return u < 1 ? ((a + 2) * u - (a + 3)) * u * u + 1 : u < 2 ? ((a * u - 5 * a) * u + 8 * a) * u - 4 * a : 0;
}

/** Resize's cubic_coeff_a, and whether exclude_outside drops the taps past the edges (cubic and antialiased ones). */
interface Kernel {
  a: number;
  excludeOutside: boolean;
}

/**
 * Antialiased taps (opset 18's antialias) as onnxruntime computes them: when shrinking, the
 * filter stretches by in / out (PIL's scheme) and its weights are normalised to sum to 1 over
 * its whole window; with exclude_outside 0 the positions past an edge read the edge.
 */

function antialiasTaps(ctm: string, scale: number, inSize: number, outSize: number, cubic: boolean, kernel: Kernel): { index: number[][]; weight: number[][] } {
  const stretch = Math.max(1, 1 / scale);
  const support = (cubic ? 2 : 1) * stretch;
  const filter = cubic ? (v: number) => cubicKernel(v, kernel.a) : (v: number) => Math.max(0, 1 - Math.abs(v));
  const rows = Array.from({ length: outSize }, (_, o) => {
    const center = resizeSource(ctm, o, scale, inSize, outSize) + 0.5;
    const lo = Math.floor(center - support + 0.5);
    // exclude_outside: positions past the edges weigh nothing.
    const w = Array.from({ length: Math.max(Math.floor(center + support + 0.5) - lo, 0) }, (_, j) => (kernel.excludeOutside && (j + lo < 0 || j + lo >= inSize) ? 0 : filter((j + lo - center + 0.5) / stretch)));
    const total = w.reduce((a, b) => a + b, 0);
    return { lo, w: w.map((v) => (total !== 0 ? v / total : 0)) };
  });
  const width = Math.max(...rows.map((r) => r.w.length));
  return {
    index: Array.from({ length: width }, (_, k) => rows.map((r) => Math.min(Math.max(r.lo + k, 0), inSize - 1))),
    weight: Array.from({ length: width }, (_, k) => rows.map((r) => r.w[k] ?? 0)),
  };
}

/**
 * Resize as onnxruntime computes it, one dim at a time: each output position a weighted sum of
 * input positions along the dim (nearest by nearest_mode, linear clamped to the input, cubic with
 * edge indices repeated or, with exclude_outside, dropped), as gathers and products so gradients reach X.
 */
function resizeByTaps(ctx: OpContext, x: Tensor, out: number[], scale: number[], mode: string, ctm: string, nearestMode: string, antialias: boolean, kernel: Kernel): Tensor {
  let y = x;
  for (let d = 0; d < x.rank; d++) {
    const inSize = x.shape[d]!;
    const outSize = out[d]!;
    if (outSize === inSize && scale[d] === 1) continue;
    if (!(outSize >= 1) || inSize === 0) throw new Error(`${ctx.node}: cannot resize dim ${d} of [${x.shape}] to ${outSize}`);
    const clampIndex = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
    const bshape = x.shape.map((_, i) => (i === d ? outSize : 1));
    if (antialias && mode !== 'nearest') {
      const aa = antialiasTaps(ctm, scale[d]!, inSize, outSize, mode === 'cubic', kernel);
      let sum: Tensor | null = null;
      aa.index.forEach((index, k) => {
        const picked = y.indexSelect(d, tl.tensor(Int32Array.from(index), { dtype: 'int32', device: x.device }));
        const term = picked.mul(tl.tensor(Float32Array.from(aa.weight[k]!), { device: x.device }).reshape(bshape));
        sum = sum ? sum.add(term) : term;
      });
      y = sum!;
      continue;
    }
    const taps = mode === 'cubic' ? 4 : mode === 'linear' ? 2 : 1;
    const index = Array.from({ length: taps }, () => new Int32Array(outSize));
    const weight = Array.from({ length: taps }, () => new Float32Array(outSize));
    for (let o = 0; o < outSize; o++) {
      const src = resizeSource(ctm, o, scale[d]!, inSize, outSize);
      if (mode === 'nearest') {
        // onnxruntime's rounding; a tie below zero (the only place JS's and C's round differ) is clamped to 0 either way.
        const tie = src - Math.floor(src) === 0.5;
        const pick = nearestMode === 'floor' ? Math.floor(src) : nearestMode === 'ceil' ? Math.ceil(src) : tie && nearestMode === 'round_prefer_floor' ? Math.floor(src) : Math.round(src);
        index[0]![o] = clampIndex(pick);
        weight[0]![o] = 1;
      } else if (mode === 'linear') {
        const c = Math.min(Math.max(src, 0), inSize - 1);
        const i0 = Math.floor(c);
        const lambda = f32(c - i0);
        index[0]![o] = i0;
        index[1]![o] = clampIndex(i0 + 1);
        weight[0]![o] = f32(1 - lambda);
        weight[1]![o] = lambda;
      } else {
        const base = Math.floor(src);
        const t = f32(src - base);
        const at = [base - 1, base, base + 1, base + 2];
        const w = [t + 1, t, 1 - t, 2 - t].map((v, k) => (kernel.excludeOutside && (at[k]! < 0 || at[k]! >= inSize) ? 0 : cubicKernel(v, kernel.a)));
        const total = kernel.excludeOutside ? w.reduce((p, q) => p + q, 0) : 1;
        at.forEach((i, k) => {
          index[k]![o] = clampIndex(i);
          weight[k]![o] = w[k]! / total;
        });
      }
    }
    let sum: Tensor | null = null;
    for (let k = 0; k < taps; k++) {
      const picked = y.indexSelect(d, tl.tensor(index[k]!, { dtype: 'int32', device: x.device }));
      const term = mode === 'nearest' ? picked : picked.mul(tl.tensor(weight[k]!, { device: x.device }).reshape(bshape));
      sum = sum ? sum.add(term) : term;
    }
    y = sum!;
  }
  return y;
}

export const networkOps: Record<string, OpSpec> = {
  Det: { attributes: [], run: (ctx, [x]) => one(tl.linalg.det(tensorOf(ctx, x, 'X'))) },
  MatMul: { attributes: [], run: (ctx, inputs) => one(tl.matmul(...(tensorsOf(ctx, inputs, 2) as [Tensor, Tensor]))) },
  Gemm: {
    attributes: ['alpha', 'beta', 'transA', 'transB'],
    run(ctx, [a, b, c], attrs) {
      let [x, y] = tensorsOf(ctx, [a, b]) as [Tensor, Tensor];
      if (attrNumber(attrs, 'transA', 0)) x = x.transpose(0, 1);
      if (attrNumber(attrs, 'transB', 0)) y = y.transpose(0, 1);
      const alpha = attrNumber(attrs, 'alpha', 1);
      const beta = attrNumber(attrs, 'beta', 1);
      let out = tl.matmul(x, y);
      if (alpha !== 1) out = out.mul(alpha);
      if (c !== undefined) {
        const bias = tensorOf(ctx, c, 'C', x.device);
        out = out.add(beta === 1 ? bias : bias.mul(beta));
      }
      return one(out);
    },
  },
  Einsum: {
    attributes: ['equation'],
    run: (ctx, inputs, attrs) => one(tl.einsum(attrString(attrs, 'equation', ''), ...tensorsOf(ctx, inputs))),
  },
  Conv: { attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'], check: spatialCheck, run: conv },
  DeformConv: { attributes: ['dilations', 'group', 'kernel_shape', 'offset_group', 'pads', 'strides'], check: (attrs) => spatialCheck(attrs, 2), run: deformConv },
  ConvTranspose: {
    attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'pads', 'strides'],
    check: (attrs) => [...spatialCheck(attrs), ...only(attrs, 'auto_pad', ['NOTSET'])],
    run: convTranspose,
  },
  Col2Im: { attributes: ['dilations', 'pads', 'strides'], run: col2Im },
  MaxPool: pool('max'),
  MaxUnpool: { attributes: ['kernel_shape', 'pads', 'strides'], check: (attrs) => spatialCheck(attrs), run: maxUnpool },
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('mean'),
  GlobalMaxPool: globalPool('max'),
  GlobalLpPool: {
    attributes: ['p'],
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const p = attrNumber(attrs, 'p', 2);
      return one(t.abs().pow(p).sum(t.shape.slice(2).map((_, i) => i + 2), true).pow(1 / p));
    },
  },
  // Opset 18's ceil_mode is refused: which windows a ceiling adds differs between runtimes.
  LpPool: { attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'p', 'pads', 'strides'], check: (attrs) => [...spatialCheck(attrs), ...only(attrs, 'ceil_mode', [0])], run: lpPool },
  Upsample: {
    attributes: ['mode', 'scales'],
    check: (attrs, opset) => [
      ...only(attrs, 'mode', ['nearest', 'linear']),
      ...(opset < 9 && attrs.scales === undefined ? ['attribute scales is missing'] : []),
      ...(opset >= 9 && attrs.scales !== undefined ? [`attribute 'scales' is not part of Upsample at opset ${opset} (scales is an input)`] : []),
    ],
    run: upsample,
  },
  BatchNormalization: {
    // Inference form: normalise with the running statistics (PyTorch's eval mode).
    attributes: ['epsilon', 'momentum', 'training_mode', 'spatial'],
    check: (attrs) => [...only(attrs, 'training_mode', [0]), ...only(attrs, 'spatial', [1])],
    run(ctx, inputs, attrs) {
      const [x, scale, bias, mean, variance] = tensorsOf(ctx, inputs, 5) as Tensor[];
      const shape = [1, -1, ...new Array<number>(x!.rank - 2).fill(1)];
      const inv = variance!.add(attrNumber(attrs, 'epsilon', 1e-5)).rsqrt().mul(scale!);
      return one(x!.sub(mean!.reshape(shape)).mul(inv.reshape(shape)).add(bias!.reshape(shape)));
    },
  },
  // What torch.onnx.export writes for InstanceNorm and (between two Reshapes) GroupNorm.
  InstanceNormalization: {
    attributes: ['epsilon'],
    run(ctx, [x, s, b], attrs) {
      const t = tensorOf(ctx, x, 'input');
      if (t.rank < 3) throw new Error(`${ctx.node}: input must be [N, C, D1, ...], got [${t.shape}]`);
      const axes = t.shape.slice(2).map((_, i) => i + 2);
      const channels = [1, -1, ...axes.map(() => 1)];
      const { normalized } = standardized(t, axes, attrNumber(attrs, 'epsilon', 1e-5));
      const scale = tensorOf(ctx, s, 'scale', t.device).reshape(channels);
      return one(normalized.mul(scale).add(tensorOf(ctx, b, 'B', t.device).reshape(channels)));
    },
  },
  // Scale and bias hold one value per group at opset 18, and one per channel from opset 21.
  GroupNormalization: {
    attributes: ['epsilon', 'num_groups', 'stash_type'],
    check: (attrs) => [...(typeof attrs.num_groups === 'number' ? [] : ['attribute num_groups is missing']), ...only(attrs, 'stash_type', [1])],
    run(ctx, [x, s, b], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const groups = attrNumber(attrs, 'num_groups', 1);
      const [scale, bias] = [s, b].map((v, i) => tensorOf(ctx, v, ['scale', 'bias'][i]!, t.device));
      const c = t.shape[1]!;
      if (t.rank < 3 || c % groups !== 0) throw new Error(`${ctx.node}: X [${t.shape}] must be [N, C, D1, ...] with C a multiple of num_groups ${groups}`);
      const perGroup = ctx.opset < 21;
      const want = perGroup ? groups : c;
      for (const [name, v] of [['scale', scale!], ['bias', bias!]] as const) {
        if (v.rank !== 1 || v.shape[0] !== want) {
          throw new Error(`${ctx.node}: ${name} of shape [${v.shape}] must be [${perGroup ? 'num_groups' : 'C'}] ([${want}]), opset ${ctx.opset}'s form (per ${perGroup ? 'group before opset 21' : 'channel from opset 21'})`);
        }
      }
      // Opset 18: each group's value repeated over its channels, for groupNorm's per-channel affine.
      const perChannel = (v: Tensor) => (perGroup ? v.reshape([groups, 1]).expand([groups, c / groups]).reshape([c]) : v);
      return one(F.groupNorm(t, groups, perChannel(scale!), perChannel(bias!), attrNumber(attrs, 'epsilon', 1e-5)));
    },
  },
  LayerNormalization: {
    attributes: ['axis', 'epsilon', 'stash_type'],
    outputs: 3,
    check: (attrs) => only(attrs, 'stash_type', [1]),
    run(ctx, [x, s, b], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', -1), t.rank);
      const axes = t.shape.slice(axis).map((_, i) => axis + i);
      const { normalized, mean, invStd } = standardized(t, axes, attrNumber(attrs, 'epsilon', 1e-5));
      let y = normalized.mul(tensorOf(ctx, s, 'Scale', t.device));
      if (b !== undefined) y = y.add(tensorOf(ctx, b, 'B', t.device));
      return [y, mean, invStd];
    },
  },
  // onnxruntime's RMS norm, which it registers in the ONNX domain: x / sqrt(mean(x²) + eps) · scale
  // over the dims from axis on, with 1 / sqrt(mean(x²) + eps) as the second output.
  SimplifiedLayerNormalization: {
    attributes: ['axis', 'epsilon', 'stash_type'],
    outputs: 2,
    check: (attrs) => only(attrs, 'stash_type', [1]),
    run: (ctx, [x, s], attrs) => rmsNormalized(ctx, x, s, attrs),
  },
  // Opset 23's RMS norm: SimplifiedLayerNormalization's first output.
  RMSNormalization: {
    attributes: ['axis', 'epsilon', 'stash_type'],
    check: (attrs) => only(attrs, 'stash_type', [1]),
    run: (ctx, [x, s], attrs) => rmsNormalized(ctx, x, s, attrs).slice(0, 1),
  },
  LRN: {
    attributes: ['alpha', 'beta', 'bias', 'size'],
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const size = attrNumber(attrs, 'size', 0);
      const lrn = (v: Tensor) => F.localResponseNorm(v, size, attrNumber(attrs, 'alpha', 1e-4), attrNumber(attrs, 'beta', 0.75), attrNumber(attrs, 'bias', 1));
      // An even window has its extra channel before c in PyTorch, after c in ONNX: flipping the channels swaps the sides.
      return one(size % 2 === 0 ? tl.flip(lrn(tl.flip(t, 1)), 1) : lrn(t));
    },
  },
  LpNormalization: {
    attributes: ['axis', 'p'],
    check: (attrs) => only(attrs, 'p', [1, 2]),
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'input');
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', -1), t.rank);
      const p1 = attrNumber(attrs, 'p', 2) === 1;
      const sum = p1 ? t.abs().sum(axis, true) : t.square().sum(axis, true);
      // A zero vector stays zero, as in onnxruntime: its norm taken as 1 (before the root, so the gradient stays finite).
      const safe = tl.where(sum.eq(0), 1, sum);
      return one(t.div(p1 ? safe : safe.sqrt()));
    },
  },
  // Opset 9's function over `axes`, or the opset 1 operator: per channel, or across channels,
  // over the whole batch (onnxruntime's reading of it, the same as opset 9's default axes).
  MeanVarianceNormalization: {
    attributes: ['axes', 'across_channels', 'normalize_variance'],
    check: (attrs, opset) => (opset >= 9 ? ['across_channels', 'normalize_variance'] : ['axes']).filter((a) => attrs[a] !== undefined).map((a) => `attribute ${a} is not in opset ${opset}'s MeanVarianceNormalization`),
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const old = ctx.opset < 9;
      const axes = old ? (attrNumber(attrs, 'across_channels', 0) ? [0, 1, 2, 3] : [0, 2, 3]) : (attrInts(attrs, 'axes') ?? [0, 2, 3]).map((a) => axisOf(ctx, a, t.rank));
      if (old && t.rank !== 4) throw new Error(`${ctx.node}: X of shape [${t.shape}] must be NCHW`);
      const centred = t.sub(t.mean(axes, true));
      if (old && !attrNumber(attrs, 'normalize_variance', 1)) return one(centred);
      // The ONNX function's epsilon, added to the standard deviation.
      return one(centred.div(centred.square().mean(axes, true).sqrt().add(1e-9)));
    },
  },
  Softmax: softmax((x, d) => tl.softmax(x, d)),
  Hardmax: softmax(hardmax),
  LogSoftmax: softmax((x, d) => tl.logSoftmax(x, d)),
  ReduceMean: reduce((x, a, k) => x.mean(a, k)),
  ReduceSum: reduce((x, a, k) => x.sum(a, k)),
  // Bool data (opset 20): any and all, as the max and min of 0s and 1s.
  ReduceMax: reduce((x, a, k) => (x.dtype === 'bool' ? tl.amax(x.cast('int32'), a, k).cast('bool') : tl.amax(x, a, k))),
  ReduceMin: reduce((x, a, k) => (x.dtype === 'bool' ? tl.amin(x.cast('int32'), a, k).cast('bool') : tl.amin(x, a, k))),
  ReduceProd: reduce((x, a, k) => {
    // prod reduces one dim at a time.
    let y = x;
    for (const axis of [...a].sort((p, q) => q - p)) y = tl.prod(y, axis, k);
    return y;
  }),
  ReduceSumSquare: reduce((x, a, k) => x.square().sum(a, k)),
  ReduceL2: reduce((x, a, k) => x.square().sum(a, k).sqrt()),
  ReduceL1: reduce((x, a, k) => x.abs().sum(a, k)),
  ReduceLogSum: reduce((x, a, k) => x.sum(a, k).log()),
  ReduceLogSumExp: reduce((x, a, k) => tl.logsumexp(x, a, k)),
  ArgMax: argExtreme((x, d, k) => tl.argmax(x, d, k)),
  ArgMin: argExtreme((x, d, k) => tl.argmin(x, d, k)),
  TopK: {
    // k is an attribute before opset 10 and an input after; largest and sorted came in opset 11.
    attributes: ['axis', 'k', 'largest', 'sorted'],
    outputs: 2,
    check: (attrs, opset) => {
      const known = opset < 10 ? ['axis', 'k'] : opset < 11 ? ['axis'] : ['axis', 'largest', 'sorted'];
      return Object.keys(attrs).filter((a) => !known.includes(a)).map((a) => `attribute '${a}' is not part of TopK at opset ${opset}`);
    },
    run(ctx, [x, kInput], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const k = ctx.opset < 10 ? attrs.k : intsOf(ctx, kInput, 'K')[0];
      if (typeof k !== 'number') throw new Error(`${ctx.node}: attribute k is missing`);
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', -1), t.rank);
      // sorted=0 leaves the order to the implementation: topk's is sorted. Equal values keep
      // the lower index first, as ONNX asks; the int32 indices are the importer's int64.
      const { values, indices } = tl.topk(t, k, axis, attrNumber(attrs, 'largest', 1) !== 0, attrNumber(attrs, 'sorted', 1) !== 0);
      return [values, indices];
    },
  },
  CumSum: cumulative('sum'),
  // Opset 26: running products, as CumSum's running sums.
  CumProd: cumulative('prod'),
  // Opset 16's GridSample is PyTorch's grid_sample, with the same names; opset 20 renamed
  // bilinear and bicubic to linear and cubic (and the old names left the spec), and took any
  // number of spatial dims.
  GridSample: {
    attributes: ['align_corners', 'mode', 'padding_mode'],
    check: (attrs, opset) => [
      ...only(attrs, 'mode', opset >= 20 ? ['linear', 'nearest', 'cubic'] : ['bilinear', 'nearest', 'bicubic']),
      ...only(attrs, 'padding_mode', ['zeros', 'border', 'reflection']),
      ...only(attrs, 'align_corners', [0, 1]),
    ],
    run(ctx, [x, grid], attrs) {
      const [t, g] = tensorsOf(ctx, [x, grid]) as [Tensor, Tensor];
      const mode = attrString(attrs, 'mode', ctx.opset >= 20 ? 'linear' : 'bilinear');
      // Opset 20 reads any number of spatial dims (at least one); opset 16 only images.
      if (t.rank < 3 || (t.rank !== 4 && ctx.opset < 20)) throw new Error(`${ctx.node}: X of shape [${t.shape}] must be [N, C, H, W]${ctx.opset >= 20 ? ' or have other spatial dims' : ` at opset ${ctx.opset}`}`);
      return one(gridSampleOf(ctx, t, g, mode, attrString(attrs, 'padding_mode', 'zeros'), attrNumber(attrs, 'align_corners', 0) === 1));
    },
  },
  // Opset 20: PyTorch's affine_grid; size is read on the host.
  AffineGrid: {
    attributes: ['align_corners'],
    check: (attrs) => only(attrs, 'align_corners', [0, 1]),
    run(ctx, [thetaV, sizeV], attrs) {
      const theta = tensorOf(ctx, thetaV, 'theta');
      const size = intsOf(ctx, sizeV, 'size');
      if (size.length !== 4 && size.length !== 5) throw new Error(`${ctx.node}: size [${size}] must be [N, C, H, W] or [N, C, D, H, W]`);
      const d = size.length - 2;
      if (theta.rank !== 3 || theta.shape[0] !== size[0] || theta.shape[1] !== d || theta.shape[2] !== d + 1) {
        throw new Error(`${ctx.node}: theta of shape [${theta.shape}] must be [${size[0]}, ${d}, ${d + 1}] for size [${size}]`);
      }
      // A dim of 1 with align_corners sits at 0 as in PyTorch, which models exported by
      // torch.onnx expect; onnxruntime puts it at +1 and ONNX's reference at -1.
      return one(F.affineGrid(theta, size, attrNumber(attrs, 'align_corners', 0) === 1));
    },
  },
  Resize: {
    attributes: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'axes', 'keep_aspect_ratio_policy'],
    check: (attrs, opset) => {
      const mode = attrString(attrs, 'mode', 'nearest');
      const ctm = attrString(attrs, 'coordinate_transformation_mode', 'half_pixel');
      const problems = only(attrs, 'mode', ['nearest', 'linear', 'cubic']);
      if (mode === 'nearest') problems.push(...only(attrs, 'nearest_mode', ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']));
      if (ctm === 'half_pixel_symmetric') {
        if (opset < 19) problems.push(`coordinate_transformation_mode='half_pixel_symmetric' needs opset 19 or later (the model imports opset ${opset})`);
      } else if (!['half_pixel', 'pytorch_half_pixel', 'align_corners', ...(mode === 'nearest' ? ['asymmetric'] : [])].includes(ctm)) {
        problems.push(`coordinate_transformation_mode='${ctm}' with ${mode} is not supported`);
      }
      return [...problems, ...only(attrs, 'antialias', [0, 1]), ...only(attrs, 'exclude_outside', [0, 1]), ...only(attrs, 'keep_aspect_ratio_policy', ['stretch', 'not_larger', 'not_smaller'])];
    },
    run(ctx, [x, , scalesV, sizesV], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const r = t.rank;
      const sizes = sizesV !== undefined && (isHost(sizesV) ? sizesV.size : sizesV.size) > 0 ? intsOf(ctx, sizesV, 'sizes') : null;
      const scales = scalesV !== undefined && (isHost(scalesV) ? scalesV.size : scalesV.size) > 0 ? intsOf(ctx, scalesV, 'scales') : null;
      if (!sizes && !scales) throw new Error(`${ctx.node}: needs scales or sizes`);
      // scales and sizes name the dims of axes (default all); the others keep their size.
      const axes = (attrInts(attrs, 'axes') ?? t.shape.map((_, i) => i)).map((a) => axisOf(ctx, a, r));
      const given = (sizes ?? scales)!;
      if (given.length !== axes.length) throw new Error(`${ctx.node}: ${sizes ? 'sizes' : 'scales'} [${given}] must hold one value per axis (${axes.length}) of X [${t.shape}]`);
      const out = [...t.shape];
      const scale = t.shape.map(() => 1);
      const policy = attrString(attrs, 'keep_aspect_ratio_policy', 'stretch');
      if (sizes && policy !== 'stretch') {
        // One scale for every axis, the smallest (not_larger) or largest (not_smaller) asked; sizes rounded half up.
        const ratios = axes.map((a, i) => f32(sizes[i]! / t.shape[a]!));
        const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
        axes.forEach((a) => {
          scale[a] = s;
          out[a] = Math.floor(f32(s * t.shape[a]!) + 0.5);
        });
      } else {
        axes.forEach((a, i) => {
          scale[a] = sizes ? f32(sizes[i]! / t.shape[a]!) : f32(scales![i]!);
          out[a] = sizes ? sizes[i]! : Math.floor(f32(t.shape[a]! * scale[a]!));
        });
      }
      const onnxMode = attrString(attrs, 'mode', 'nearest');
      const ctm = attrString(attrs, 'coordinate_transformation_mode', 'half_pixel');
      const linear = onnxMode !== 'nearest';
      const nearestMode = attrString(attrs, 'nearest_mode', 'round_prefer_floor');
      // F.interpolate takes PyTorch's forms: N and C kept, linear of rank 3 to 5, cubic of rank 4, sampling at
      // in / out; the rest (nearest too: PyTorch's legacy rounding, and a scale other than out / in) goes by taps.
      const antialias = linear && attrNumber(attrs, 'antialias', 0) === 1;
      // Linear taps stay inside X, so exclude_outside changes only cubic and antialiased ones.
      const kernel = { a: attrNumber(attrs, 'cubic_coeff_a', -0.75), excludeOutside: attrNumber(attrs, 'exclude_outside', 0) === 1 };
      // PyTorch's bicubic is Keys' kernel with a = -0.75, edge indices repeated.
      const exact = !linear || antialias || (onnxMode === 'cubic' && (kernel.a !== -0.75 || kernel.excludeOutside)) || ctm === 'half_pixel_symmetric' || axes.some((a) => scale[a] !== f32(out[a]! / t.shape[a]!)) || out[0] !== t.shape[0] || out[1] !== t.shape[1]
        || (onnxMode === 'linear' && (r < 3 || r > 5)) || (onnxMode === 'cubic' && r !== 4);
      if (exact) return one(resizeByTaps(ctx, t, out, scale, onnxMode, ctm, nearestMode, antialias, kernel));
      const mode = onnxMode === 'cubic' ? 'bicubic' : (['linear', 'bilinear', 'trilinear'][r - 3] as 'linear');
      return one(F.interpolate(t, { size: out.slice(2), mode, alignCorners: ctm === 'align_corners' }));
    },
  },
};
