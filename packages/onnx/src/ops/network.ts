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

function pool(kind: 'max' | 'avg'): OpSpec {
  return {
    attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides', 'count_include_pad', 'storage_order'],
    outputs: kind === 'max' ? 2 : 1,
    check: (attrs) => [
      ...spatialCheck(attrs),
      ...only(attrs, 'storage_order', [0]),
      ...(kind === 'avg' && attrInts(attrs, 'dilations')?.some((d) => d !== 1) ? ['dilated average pooling is not supported'] : []),
    ],
    run(ctx, [x], attrs) {
      const input = tensorOf(ctx, x, 'X');
      const kernel = attrInts(attrs, 'kernel_shape')!;
      const g = as2d(input, windowOf(ctx, attrs, input.shape.slice(2), kernel));
      const ceilMode = attrNumber(attrs, 'ceil_mode', 0) === 1;
      const countIncludePad = attrNumber(attrs, 'count_include_pad', 0) === 1;
      const n = g.w.kernel.length;
      const asymmetric = g.w.pads.slice(0, n).some((p, i) => p !== g.w.pads[i + n]);
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
  // Opset 18's form: scale and bias hold one value per group (opset 21 made them per channel).
  GroupNormalization: {
    attributes: ['epsilon', 'num_groups'],
    check: (attrs) => (typeof attrs.num_groups === 'number' ? [] : ['attribute num_groups is missing']),
    run(ctx, [x, s, b], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const groups = attrNumber(attrs, 'num_groups', 1);
      const [scale, bias] = [s, b].map((v, i) => tensorOf(ctx, v, ['scale', 'bias'][i]!, t.device));
      const c = t.shape[1]!;
      if (t.rank < 3 || c % groups !== 0) throw new Error(`${ctx.node}: X [${t.shape}] must be [N, C, D1, ...] with C a multiple of num_groups ${groups}`);
      for (const [name, v] of [['scale', scale!], ['bias', bias!]] as const) {
        if (v.rank !== 1 || v.shape[0] !== groups) throw new Error(`${ctx.node}: ${name} of shape [${v.shape}] must be [num_groups] ([${groups}]), opset 18's form`);
      }
      // Each group's value repeated over its channels, for groupNorm's per-channel affine.
      const perChannel = (v: Tensor) => v.reshape([groups, 1]).expand([groups, c / groups]).reshape([c]);
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
    run(ctx, [x, s], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', -1), t.rank);
      const axes = t.shape.slice(axis).map((_, i) => axis + i);
      const invStd = t.square().mean(axes, true).add(attrNumber(attrs, 'epsilon', 1e-5)).rsqrt();
      return [t.mul(invStd).mul(tensorOf(ctx, s, 'scale', t.device)), invStd];
    },
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
  ReduceMax: reduce((x, a, k) => tl.amax(x, a, k)),
  ReduceMin: reduce((x, a, k) => tl.amin(x, a, k)),
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
  CumSum: {
    attributes: ['exclusive', 'reverse'],
    run(ctx, [x, axisInput], attrs) {
      const input = tensorOf(ctx, x, 'x');
      const axis = axisOf(ctx, intsOf(ctx, axisInput, 'axis')[0]!, input.rank);
      const reverse = attrNumber(attrs, 'reverse', 0) !== 0;
      let t = reverse ? tl.flip(input, axis) : input;
      const n = t.shape[axis]!;
      if (attrNumber(attrs, 'exclusive', 0) !== 0 && n > 0) {
        // Exclusive: shift by one behind a zero (subtracting x from the sums would round).
        const zero = tl.zeros(t.shape.map((d, i) => (i === axis ? 1 : d)), { dtype: t.dtype, device: t.device });
        t = tl.cat([zero, tl.slice(t, axis, 0, n - 1)], axis);
      }
      const y = tl.cumsum(t, axis);
      return one(reverse ? tl.flip(y, axis) : y);
    },
  },
  // Opset 16's GridSample is PyTorch's grid_sample, with the same names.
  GridSample: {
    attributes: ['align_corners', 'mode', 'padding_mode'],
    check: (attrs) => [...only(attrs, 'mode', ['bilinear', 'nearest', 'bicubic']), ...only(attrs, 'padding_mode', ['zeros', 'border', 'reflection']), ...only(attrs, 'align_corners', [0, 1])],
    run(ctx, [x, grid], attrs) {
      const [t, g] = tensorsOf(ctx, [x, grid]) as [Tensor, Tensor];
      return one(F.gridSample(t, g, {
        mode: attrString(attrs, 'mode', 'bilinear') as 'bilinear',
        paddingMode: attrString(attrs, 'padding_mode', 'zeros') as 'zeros',
        alignCorners: attrNumber(attrs, 'align_corners', 0) === 1,
      }));
    },
  },
  Resize: {
    attributes: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias'],
    check: (attrs) => {
      const mode = attrString(attrs, 'mode', 'nearest');
      const ctm = attrString(attrs, 'coordinate_transformation_mode', 'half_pixel');
      const problems = only(attrs, 'mode', ['nearest', 'linear', 'cubic']);
      // PyTorch's bicubic: Keys' kernel with a = -0.75.
      if (mode === 'cubic') problems.push(...only(attrs, 'cubic_coeff_a', [-0.75]));
      if (mode === 'nearest') {
        problems.push(...only(attrs, 'nearest_mode', ['floor']), ...only(attrs, 'coordinate_transformation_mode', ['asymmetric']));
        if (attrs.nearest_mode === undefined) problems.push(`nearest mode 'round_prefer_floor' (the default) is not supported (floor is)`);
        if (attrs.coordinate_transformation_mode === undefined) problems.push(`coordinate_transformation_mode 'half_pixel' with nearest is not supported (asymmetric is)`);
      } else if (!['half_pixel', 'pytorch_half_pixel', 'align_corners'].includes(ctm)) {
        problems.push(`coordinate_transformation_mode='${ctm}' with ${mode} is not supported`);
      }
      return [...problems, ...only(attrs, 'antialias', [0]), ...only(attrs, 'exclude_outside', [0])];
    },
    run(ctx, [x, , scalesV, sizesV], attrs) {
      const t = tensorOf(ctx, x, 'X');
      const sizes = sizesV !== undefined && (isHost(sizesV) ? sizesV.size : sizesV.size) > 0 ? intsOf(ctx, sizesV, 'sizes') : null;
      const scales = scalesV !== undefined && (isHost(scalesV) ? scalesV.size : scalesV.size) > 0 ? intsOf(ctx, scalesV, 'scales') : null;
      const out = sizes ?? t.shape.map((d, i) => Math.floor(d * scales![i]!));
      if (out[0] !== t.shape[0] || out[1] !== t.shape[1]) throw new Error(`${ctx.node}: resizing the batch or channel dims is not supported`);
      const onnxMode = attrString(attrs, 'mode', 'nearest');
      const linear = onnxMode !== 'nearest';
      if (onnxMode === 'cubic' && t.rank !== 4) throw new Error(`${ctx.node}: cubic resizing is supported for [N, C, H, W] inputs, got [${t.shape}]`);
      const mode = onnxMode === 'cubic' ? 'bicubic' : linear ? (['linear', 'bilinear', 'trilinear'][t.rank - 3] as 'linear') : 'nearest';
      const alignCorners = attrString(attrs, 'coordinate_transformation_mode', '') === 'align_corners';
      return one(F.interpolate(t, { size: out.slice(2), mode, ...(linear ? { alignCorners } : {}) }));
    },
  },
};
