// Ops that pick, order, accumulate or place values along a dim: arg-reductions, sorting,
// running sums and products, flips, diagonals, windows and scatters. ONNX's indices are
// int64; Tensile's int32.
import { ONNX_TYPES, isStatic } from './graph.js';
import { logAddExpOf } from './math.js';
import { type EmitContext, type Writer, element, ints } from './writer.js';

const toInt32 = (c: EmitContext, index: string, output: string): void => void c.graph.node('Cast', [index], [output], { to: ONNX_TYPES.int32 });

/** The traced op keeps the reduced dim (a view after it drops it), as ArgMax with keepdims. */
function argReduce(opType: 'ArgMax' | 'ArgMin'): Writer {
  return (c, op) => {
    const g = c.graph;
    if (c.shape(0).length === 0) return void g.node('Identity', [g.scalar(0, 'int32')], c.outputs);
    toInt32(c, g.node(opType, [c.inputs[0]], 1, { axis: Number(op.attrs.axis), keepdims: 1 })[0], c.outputs[0]);
  };
}

/**
 * sort, topk and the selections built on them: TopK, whose ties keep the lower index first
 * as Tensile's stable sort does. Bools sort as int32, as in core.
 */
const sort: Writer = (c, op) => {
  const g = c.graph;
  const axis = Number(op.attrs.axis);
  if (c.shape(0).length === 0) throw new Error(`${c.where}: sorting a 0-d tensor is not exported`);
  const bool = c.dtype(0) === 'bool';
  const x = bool ? g.node('Cast', [c.inputs[0]], 1, { to: ONNX_TYPES.int32 })[0] : c.inputs[0];
  const [values, indices] = g.node('TopK', [x, g.shape([c.outDims[axis]])], 2, { axis, largest: op.attrs.descending ? 1 : 0, sorted: 1 });
  g.node(bool ? 'Cast' : 'Identity', [values], [c.outputs[0]], bool ? { to: ONNX_TYPES.bool } : {});
  toInt32(c, indices, c.outputs[1]);
};

/**
 * A scan ONNX has no node for, along a static dim of `n`: position 0's slice of `x`, then
 * each position's result from the one before it and its own slice. The results, in order.
 */
function runningAlong(c: EmitContext, x: string, axis: number, n: number, next: (before: string, slice: string) => string): string[] {
  const g = c.graph;
  const results: string[] = [];
  for (let i = 0; i < n; i++) {
    const slice = g.node('Slice', [x, g.int64s([i]), g.int64s([i + 1]), g.int64s([axis])])[0];
    results.push(i === 0 ? slice : next(results[i - 1]!, slice));
  }
  return results;
}

/** The static length of the scanned dim, or a refusal naming the op. */
function scanLength(c: EmitContext, axis: number, what: string): number {
  const length = c.dims(0)[axis]!;
  if (!isStatic(length)) throw new Error(`${c.where}: ${what} along a dynamic dim is not exported`);
  return length.factor;
}

/**
 * cummax/cummin: values and int32 indices, each position taking over where it is at least
 * (at most) the running extreme or NaN, so the latest tie wins and NaN stays, as in PyTorch.
 */
function extremeScan(opType: 'GreaterOrEqual' | 'LessOrEqual'): Writer {
  return (c, op) => {
    const g = c.graph;
    const axis = Number(op.attrs.axis);
    if (c.shape(0).length === 0) {
      g.node('Identity', [c.inputs[0]], [c.outputs[0]]);
      return void g.node('Identity', [g.scalar(0, 'int32')], [c.outputs[1]]);
    }
    const n = scanLength(c, axis, op.op);
    const dtype = c.dtype(0);
    const x = dtype === 'bool' ? g.node('Cast', [c.inputs[0]], 1, { to: ONNX_TYPES.int32 })[0] : c.inputs[0];
    // Where each position takes over; the indices follow from them after the values.
    const takeovers: string[] = [];
    const values = runningAlong(c, x, axis, n, (before, slice) => {
      let takes = g.node(opType, [slice, before])[0];
      if (dtype === 'float32') takes = g.node('Or', [takes, g.node('IsNaN', [slice])[0]])[0];
      takeovers.push(takes);
      return g.node('Where', [takes, slice, before])[0];
    });
    const indices = [g.node('Expand', [g.scalar(0, 'int32'), g.node('Shape', [values[0]!])[0]])[0]];
    takeovers.forEach((takes, k) => indices.push(g.node('Where', [takes, g.scalar(k + 1, 'int32'), indices[k]!])[0]));
    if (dtype === 'bool') g.node('Cast', [g.node('Concat', values, 1, { axis })[0]], [c.outputs[0]], { to: ONNX_TYPES.bool });
    else g.node('Concat', values, [c.outputs[0]], { axis });
    g.node('Concat', indices, [c.outputs[1]], { axis });
  };
}

/** logcumsumexp along a static dim: each position's logaddexp with the result before it. */
const logcumsumexp: Writer = (c, op) => {
  const g = c.graph;
  const axis = Number(op.attrs.axis);
  if (c.shape(0).length === 0) return void g.node('Identity', c.inputs, c.outputs);
  const k = (v: number) => g.scalar(v, element(c.dtype(0)));
  const steps = runningAlong(c, c.inputs[0], axis, scanLength(c, axis, 'logcumsumexp'), (before, slice) => logAddExpOf(g, [before, slice], k));
  g.node('Concat', steps, c.outputs, { axis });
};

/**
 * Running products: ONNX has no CumProd. Along a static dim, a chain of products of the
 * slices (exact, for every dtype); along a dynamic one, for floats, from running sums:
 * zero after a zero, else (-1)^(negatives so far) · exp(cumsum(log |x|)).
 */
const cumprod: Writer = (c, op) => {
  const g = c.graph;
  const axis = Number(op.attrs.axis);
  const x = c.inputs[0];
  const length = c.dims(0)[axis];
  if (c.shape(0).length === 0 || (isStatic(length) && length.factor <= 1)) return void g.node('Identity', [x], c.outputs);
  if (isStatic(length)) {
    const steps = runningAlong(c, x, axis, length.factor, (before, slice) => g.node('Mul', [before, slice])[0]);
    return void g.node('Concat', steps, c.outputs, { axis });
  }
  if (c.dtype(0) !== 'float32') throw new Error(`${c.where}: cumprod of ${c.dtype(0)} values along a dynamic dim is not exported (float32 only)`);
  const k = (v: number) => g.scalar(v, 'float32');
  const along = g.int64s([axis]);
  const running = (v: string) => g.node('CumSum', [v, along])[0];
  const count = (mask: string) => running(g.node('Cast', [mask], 1, { to: ONNX_TYPES.float32 })[0]);
  const magnitude = g.node('Exp', [running(g.node('Log', [g.node('Abs', [x])[0]])[0])])[0];
  const negatives = count(g.node('Less', [x, k(0)])[0]);
  // (-1)^n as 1 - 2 · (n mod 2).
  const sign = g.node('Sub', [k(1), g.node('Mul', [k(2), g.node('Mod', [negatives, k(2)], 1, { fmod: 1 })[0]])[0]])[0];
  const zeroSoFar = g.node('Greater', [count(g.node('Equal', [x, k(0)])[0]), k(0)])[0];
  g.node('Where', [zeroSoFar, k(0), g.node('Mul', [sign, magnitude])[0]], c.outputs);
};

/** Each flipped dim read backwards: Slice from the end (-1) past the start, step -1. */
const flip: Writer = (c, op) => {
  const dims = ints(op.attrs.dims);
  const g = c.graph;
  if (dims.length === 0) return void g.node('Identity', c.inputs, c.outputs);
  const each = (v: number) => g.int64s(dims.map(() => v));
  g.node('Slice', [c.inputs[0], each(-1), each(-(2 ** 63)), g.int64s(dims), each(-1)], c.outputs);
};

/** scatterAdd(x, dim, index, src): ScatterElements with reduction 'add' (opset 16), `src` cut to the index's shape. */
const scatterAdd: Writer = (c, op) => {
  const g = c.graph;
  if (c.opset < 16) throw new Error(`${c.where}: scatterAdd needs opset 16 or later (ScatterElements' reduction 'add'); pass { opset: 16 }`);
  const [x, index, src] = c.inputs;
  const rank = c.shape(1).length;
  const sameShape = c.shape(1).every((d, i) => d === c.shape(2)[i]);
  const updates = sameShape ? src : g.node('Slice', [src, g.int64s(Array(rank).fill(0)), g.shape(c.dims(1)), g.int64s([...Array(rank).keys()])])[0];
  g.node('ScatterElements', [x, index, updates], c.outputs, { axis: Number(op.attrs.dim), reduction: 'add' });
};

/**
 * maxUnpool's placement (a custom op of `@tensile/nn` on `[..., L]` values and flat
 * positions): the values scattered into zeros along the last dim. Positions named twice hold
 * one value, so ScatterElements' order does not matter.
 */
const unpool: Writer = (c) => {
  const g = c.graph;
  const zeros = g.node('Expand', [g.scalar(0, element(c.outDtype)), g.shape(c.outDims)])[0];
  g.node('ScatterElements', [zeros, c.inputs[1], c.inputs[0]], c.outputs, { axis: c.outDims.length - 1 });
};

/**
 * diagonal(x, offset, dim1, dim2): the plane's two dims moved last and merged, then the
 * diagonal's flat positions gathered (the plane's sizes must be static).
 */
const diagonal: Writer = (c, op) => {
  const g = c.graph;
  const [a, b, offset] = [Number(op.attrs.dim1), Number(op.attrs.dim2), Number(op.attrs.offset)];
  const dims = c.dims(0);
  if (!isStatic(dims[a]!) || !isStatic(dims[b]!)) throw new Error(`${c.where}: a diagonal of a plane with a dynamic dim is not exported`);
  const width = dims[b]!.factor;
  const others = dims.flatMap((_, i) => (i === a || i === b ? [] : [i]));
  const moved = g.node('Transpose', [c.inputs[0]], 1, { perm: [...others, a, b] })[0];
  const plane = g.node('Reshape', [moved, g.shape([...others.map((i) => dims[i]!), { factor: dims[a]!.factor * width, axes: {} }])])[0];
  const length = c.outDims.at(-1)!.factor;
  const positions = Array.from({ length }, (_, i) => (i + Math.max(0, -offset)) * width + i + Math.max(0, offset));
  g.node('Gather', [plane, g.int64s(positions)], c.outputs, { axis: -1 });
};

/** x.unfold(dim, size, step): the windows' positions gathered along the dim, their size dim moved last. */
const unfold: Writer = (c, op) => {
  const g = c.graph;
  const [axis, size, step] = [Number(op.attrs.axis), Number(op.attrs.size), Number(op.attrs.step)];
  const windows = c.outDims[axis]!;
  if (!isStatic(c.dims(0)[axis]!)) throw new Error(`${c.where}: unfolding a dynamic dim is not exported`);
  const positions = Array.from({ length: windows.factor * size }, (_, k) => Math.floor(k / size) * step + (k % size));
  const picked = g.node('Gather', [c.inputs[0], g.constant('int64', [windows.factor, size], positions)], 1, { axis })[0];
  const rank = c.shape(0).length;
  const perm = [...Array(rank + 1).keys()].filter((i) => i !== axis + 1);
  g.node('Transpose', [picked], c.outputs, { perm: [...perm, axis + 1] });
};

export const SELECTION_WRITERS: Readonly<Record<string, Writer>> = {
  argmax: argReduce('ArgMax'),
  argmin: argReduce('ArgMin'),
  sort,
  cumsum: (c, op) => void c.graph.node('CumSum', [c.inputs[0], c.graph.scalar(Number(op.attrs.axis), 'int64')], c.outputs),
  cumprod,
  cummax: extremeScan('GreaterOrEqual'),
  cummin: extremeScan('LessOrEqual'),
  logcumsumexp,
  flip,
  diagonal,
  unfold,
  scatterAdd,
  maxUnpool1d: unpool,
  maxUnpool2d: unpool,
  maxUnpool3d: unpool,
};
