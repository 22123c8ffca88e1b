// Shape and data-movement operators. Most also run on host values, which is how shape
// subgraphs (Shape -> Gather -> Concat -> Reshape) fold without touching a device.
import type { Tensor } from '@tensile/core';
import { type PadMode, functional as F } from '@tensile/nn';
import { deviceDType, Host, type HostDType, hostConcat, hostGather, hostSlice, hostTranspose, isHost, isIntegerDType, strides, type Value, withShape } from '../value.js';
import { computedAs, type ElementName, ELEMENT_TYPES, INTEGER_RANGES, isMiniFloat, type NarrowInteger } from '../element-types.js';
import { toMiniFloat, wrapInteger, wrapNumber } from './narrow-types.js';
import {
  type Attributes, type OpContext, type OpSpec, attrNumber, attrInts, attrString, axisOf, hostOf, intsOf, one, only, shapeOf, tensorOf, tensorsOf, tl, deviceOf,
} from './context.js';

/** Reshape's target with ONNX's 0 (copy the input's dim, unless allowzero) and -1. */
function reshapeTarget(ctx: OpContext, input: readonly number[], target: number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = input.reduce((a, b) => a * b, 1);
  const free = out.indexOf(-1);
  if (free >= 0) out[free] = known === 0 ? 0 : total / known;
  if (out.reduce((a, b) => a * b, 1) !== total || !out.every(Number.isInteger)) {
    throw new Error(`${ctx.node}: cannot reshape [${input}] to [${target}]`);
  }
  return out;
}

/** Axes of Squeeze/Unsqueeze/Reduce*: an attribute before opset 13 (18 for most reductions), an input after. */
export function axesOf(ctx: OpContext, attrs: Record<string, unknown>, input: Value | undefined): number[] | undefined {
  if (input !== undefined) return intsOf(ctx, input, 'axes');
  return attrInts(attrs as never, 'axes');
}

function sliceBounds(start: number, end: number, step: number, n: number): [number, number] {
  // ONNX clamps like numpy; int64 extremes stand for "to the end".
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = clamp(s, 0, n);
    e = clamp(e, 0, n);
  } else {
    s = clamp(s, -1, n - 1);
    e = clamp(e, -1, n - 1);
  }
  return [s, e];
}

/**
 * GatherElements' and ScatterElements' indices on `device`: ONNX counts negative ones from the
 * end of the axis (of size `n`); Tensile's gather and scatter (as PyTorch's) do not.
 */
function elementIndices(ctx: OpContext, idx: Value | undefined, n: number, device: string): Tensor {
  if (isHost(idx)) return new Host(idx.dtype, idx.shape, Array.from(idx.data, (i) => (i < 0 ? i + n : i))).upload(device, `${ctx.node} indices`);
  const indices = tensorOf(ctx, idx, 'indices', device);
  return tl.where(indices.lt(0), indices.add(n), indices);
}

/**
 * ScatterND's and GatherND's index tuples (the last dim of `indices`, `k` long) as flat
 * positions into `dims` (the k dims they index, negative entries counted from each dim's end):
 * an int32 tensor of `indices`' shape without its last dim.
 */
function flatPositions(ctx: OpContext, idx: Value | undefined, dims: readonly number[], device: string): Tensor {
  const indices = tensorOf(ctx, idx, 'indices', device);
  const k = dims.length;
  if (indices.shape[indices.rank - 1] !== k) throw new Error(`${ctx.node}: indices' last dim must be ${k}, got [${indices.shape}]`);
  const sizes = tl.tensor(Int32Array.from(dims), { dtype: 'int32', device });
  const wrapped = tl.where(indices.lt(0), indices.add(sizes), indices);
  const place = tl.tensor(Int32Array.from(strides(dims)), { dtype: 'int32', device });
  return wrapped.mul(place).sum(-1);
}

/** ScatterElements' reductions as Tensile's, with the opset each came in. */
const SCATTER_REDUCTIONS: Record<string, { reduce: tl.ScatterReduction; since: number }> = {
  add: { reduce: 'sum', since: 16 },
  mul: { reduce: 'prod', since: 16 },
  max: { reduce: 'amax', since: 18 },
  min: { reduce: 'amin', since: 18 },
};

/** `updates` written into `data` at `index` along `axis`, or reduced into it with data's own value taking part. */
function scatterWith(reduction: { reduce: tl.ScatterReduction } | undefined, data: Tensor, axis: number, index: Tensor, updates: Tensor): Tensor {
  return reduction ? tl.scatterReduce(data, axis, index, updates, reduction.reduce, { includeSelf: true }) : tl.scatter(data, axis, index, updates);
}

/** A scatter's reduction: one of ONNX's, and one its opset has. */
function checkReduction(attrs: Attributes, opset: number): string[] {
  const r = attrString(attrs, 'reduction', 'none');
  const problems = only(attrs, 'reduction', ['none', ...Object.keys(SCATTER_REDUCTIONS)]);
  const since = SCATTER_REDUCTIONS[r]?.since;
  if (since !== undefined && opset < since) problems.push(`attribute reduction='${r}' needs opset ${since} or later (the model imports opset ${opset})`);
  return problems;
}

function scatterElements(ctx: OpContext, [x, idx, u]: (Value | undefined)[], attrs: Attributes): Value[] {
  const device = deviceOf(ctx, [x, idx, u]);
  const data = tensorOf(ctx, x, 'data', device);
  const updates = tensorOf(ctx, u, 'updates', device);
  const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), data.rank);
  const reduction = SCATTER_REDUCTIONS[attrString(attrs, 'reduction', 'none')];
  return one(tl.tidy(() => {
    const indices = elementIndices(ctx, idx, data.shape[axis]!, device);
    return scatterWith(reduction, data, axis, indices, updates);
  }));
}

/** An element type as a host dtype, as Cast makes them (every float as float32, int32 as int64). */
function hostDType(ctx: OpContext, dtype: string): HostDType {
  if (dtype === 'float16') throw new Error(`${ctx.node}: float16 values are not supported here`);
  const computed = computedAs(dtype as ElementName);
  return computed === 'int32' ? 'int64' : computed;
}

/** Cast's codes for the host dtypes. */
const TYPE_CODES: Record<HostDType, number> = { float32: 1, int64: 7, int32: 6, bool: 9, uint8: 2, int8: 3 };

/**
 * Unique's groups: the slices of `h` along `axis` (elements when flattened), each group named
 * by its first occurrence, in order of appearance or, when `sorted`, ascending (slices compared
 * element by element).
 */
function uniqueGroups(h: Host, axis: number, sorted: boolean): { firsts: number[]; inverse: number[]; counts: number[] } {
  const n = h.shape[axis]!;
  const outer = h.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = h.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const items = Array.from({ length: n }, (_, i) => {
    const v: number[] = [];
    for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) v.push(h.data[(o * n + i) * inner + k]!);
    return v;
  });
  const group = new Map<string, number>();
  const keys = items.map((v) => v.join(','));
  keys.forEach((key, i) => {
    if (!group.has(key)) group.set(key, i);
  });
  const firsts = [...group.values()];
  if (sorted) {
    firsts.sort((i, j) => {
      const [a, b] = [items[i]!, items[j]!];
      const k = a.findIndex((v, q) => v !== b[q]);
      return k < 0 ? 0 : a[k]! - b[k]!;
    });
  }
  firsts.forEach((first, u) => group.set(keys[first]!, u));
  const inverse = keys.map((key) => group.get(key)!);
  const counts = firsts.map(() => 0);
  for (const u of inverse) counts[u]!++;
  return { firsts, inverse, counts };
}

/** Hann, Hamming and Blackman windows: Σ_k (-1)^k a_k cos(2πkn/N), N the size (periodic) or the size - 1. */
function cosineWindow(coefficients: number[]): OpSpec {
  return {
    attributes: ['output_datatype', 'periodic'],
    check: (attrs) => only(attrs, 'output_datatype', [1]),
    run(ctx, [s], attrs) {
      const size = intsOf(ctx, s, 'size')[0]!;
      const n = attrNumber(attrs, 'periodic', 1) !== 0 ? size : size - 1;
      const values = Array.from({ length: size }, (_, i) => coefficients.reduce((w, a, k) => w + (k % 2 ? -a : a) * Math.cos((2 * Math.PI * k * i) / n), 0));
      return one(new Host('float32', [size], Float32Array.from(values)));
    },
  };
}

/** ONNX's Pad modes as PyTorch's; wrap (opset 19) is done here, as it may wrap more than once. */
const PAD_MODES: Record<string, PadMode | 'wrap'> = { constant: 'constant', reflect: 'reflect', edge: 'replicate', wrap: 'wrap' };

/**
 * Pad `t` as if it were a torus (numpy's wrap, ONNX's reference): negative pads crop first, then
 * each position reads (position - before) mod the cropped size, so an amount may pass the size.
 */
function wrapPad(ctx: OpContext, t: Tensor, before: number[], after: number[]): Tensor {
  let out = t;
  for (let d = 0; d < t.rank; d++) {
    const [b, a] = [before[d]!, after[d]!];
    if (b === 0 && a === 0) continue;
    const start = Math.max(-b, 0);
    const size = t.shape[d]! - start - Math.max(-a, 0);
    if (size <= 0) throw new Error(`${ctx.node}: pads ${b} and ${a} leave nothing of dim ${d} of [${t.shape}] to wrap`);
    const [lo, hi] = [Math.max(b, 0), Math.max(a, 0)];
    const index = Int32Array.from({ length: lo + size + hi }, (_, o) => start + ((((o - lo) % size) + size) % size));
    out = out.indexSelect(d, tl.tensor(index, { dtype: 'int32', device: t.device }));
  }
  return out;
}

export const shapeOps: Record<string, OpSpec> = {
  Identity: { attributes: [], run: (_ctx, [x]) => one(x!) },
  Shape: {
    attributes: ['start', 'end'],
    run(_ctx, [x], attrs) {
      const shape = shapeOf(x!);
      const r = shape.length;
      const start = attrNumber(attrs, 'start', 0);
      const end = attrNumber(attrs, 'end', r);
      const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      return one(Host.vector('int64', shape.slice(norm(start), norm(end))));
    },
  },
  Size: { attributes: [], run: (_ctx, [x]) => one(Host.scalar('int64', shapeOf(x!).reduce((a, b) => a * b, 1))) },
  Reshape: {
    attributes: ['allowzero'],
    run(ctx, [x, s], attrs) {
      return one(withShape(x!, reshapeTarget(ctx, shapeOf(x!), intsOf(ctx, s, 'shape'), attrNumber(attrs, 'allowzero', 0) === 1)));
    },
  },
  Flatten: {
    attributes: ['axis'],
    run(ctx, [x], attrs) {
      const shape = shapeOf(x!);
      const axis = attrNumber(attrs, 'axis', 1);
      const a = axis < 0 ? axis + shape.length : axis;
      const rows = shape.slice(0, a).reduce((p, q) => p * q, 1);
      return one(withShape(x!, [rows, shape.slice(a).reduce((p, q) => p * q, 1)]));
    },
  },
  Squeeze: {
    attributes: ['axes'],
    run(ctx, [x, axesInput], attrs) {
      const shape = shapeOf(x!);
      const axes = axesOf(ctx, attrs, axesInput)?.map((a) => axisOf(ctx, a, shape.length));
      for (const a of axes ?? []) if (shape[a] !== 1) throw new Error(`${ctx.node}: cannot squeeze axis ${a} of size ${shape[a]}`);
      return one(withShape(x!, shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1))));
    },
  },
  Unsqueeze: {
    attributes: ['axes'],
    run(ctx, [x, axesInput], attrs) {
      const shape = shapeOf(x!);
      const axes = axesOf(ctx, attrs, axesInput);
      if (!axes) throw new Error(`${ctx.node}: Unsqueeze needs axes`);
      const rank = shape.length + axes.length;
      const sorted = axes.map((a) => axisOf(ctx, a, rank)).sort((a, b) => a - b);
      const out = [...shape];
      for (const a of sorted) out.splice(a, 0, 1);
      return one(withShape(x!, out));
    },
  },
  Transpose: {
    attributes: ['perm'],
    run(ctx, [x], attrs) {
      const rank = shapeOf(x!).length;
      const perm = attrInts(attrs, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
      if (isHost(x)) return one(hostTranspose(x, perm));
      return one(tl.permute(tensorOf(ctx, x, 'data'), perm));
    },
  },
  Concat: {
    attributes: ['axis'],
    run(ctx, inputs, attrs) {
      const present = inputs.filter((v): v is Value => v !== undefined);
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), shapeOf(present[0]!).length);
      if (present.every(isHost)) return one(hostConcat(present as Host[], axis));
      // Empty inputs (a zero-length shape part) are skipped, as in ONNX.
      const ts = tensorsOf(ctx, present).filter((t) => t.size > 0 || present.length === 1);
      return one(tl.cat(ts, axis));
    },
  },
  Split: {
    attributes: ['axis', 'split', 'num_outputs'],
    outputs: Infinity,
    run(ctx, [x, splitInput], attrs) {
      const t = tensorOf(ctx, x, 'input');
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), t.rank);
      const sizes = splitInput !== undefined ? intsOf(ctx, splitInput, 'split') : attrInts(attrs, 'split');
      const n = attrNumber(attrs, 'num_outputs', 0);
      if (sizes) return tl.split(t, sizes, axis);
      const parts = n || ctx.outputs;
      return tl.split(t, Math.ceil(t.shape[axis]! / parts), axis);
    },
  },
  Slice: {
    attributes: [],
    run(ctx, [x, startsV, endsV, axesV, stepsV]) {
      const shape = shapeOf(x!);
      const starts = intsOf(ctx, startsV, 'starts');
      const ends = intsOf(ctx, endsV, 'ends');
      const axes = axesV ? intsOf(ctx, axesV, 'axes').map((a) => axisOf(ctx, a, shape.length)) : starts.map((_, i) => i);
      const steps = stepsV ? intsOf(ctx, stepsV, 'steps') : starts.map(() => 1);
      let v: Value = x!;
      axes.forEach((axis, i) => {
        const step = steps[i]!;
        if (step === 0) throw new Error(`${ctx.node}: a step of 0`);
        const [s, e] = sliceBounds(starts[i]!, ends[i]!, step, shape[axis]!);
        if (isHost(v)) v = hostSlice(v, axis, s, e, step);
        else if (step > 0) v = tl.slice(v as Tensor, axis, s, Math.max(e, s), step);
        else {
          // Negative steps: flip, then slice forwards.
          const n = shape[axis]!;
          const flipped = tl.flip(v as Tensor, axis);
          const fs = n - 1 - s;
          v = tl.slice(flipped, axis, fs, Math.max(n - 1 - e, fs), -step);
        }
      });
      return one(v);
    },
  },
  Gather: {
    attributes: ['axis'],
    run(ctx, [x, idx], attrs) {
      const shape = shapeOf(x!);
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), shape.length);
      if (isHost(x) && isHost(idx)) return one(hostGather(x, axis, idx));
      const data = tensorOf(ctx, x, 'data', deviceOf(ctx, [x, idx]));
      let indices: Tensor;
      if (isHost(idx)) {
        const n = shape[axis]!;
        const fixed = Array.from(idx.data, (i) => (i < 0 ? i + n : i));
        indices = new Host(idx.dtype, idx.shape, fixed).upload(data.device, `${ctx.node} indices`);
      } else indices = idx!;
      const flat = tl.indexSelect(data, axis, indices.rank === 1 ? indices : indices.reshape([-1]));
      return one(flat.reshape([...shape.slice(0, axis), ...indices.shape, ...shape.slice(axis + 1)]));
    },
  },
  GatherElements: {
    attributes: ['axis'],
    run(ctx, [x, idx], attrs) {
      const data = tensorOf(ctx, x, 'data', deviceOf(ctx, [x, idx]));
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), data.rank);
      return one(tl.tidy(() => tl.gather(data, axis, elementIndices(ctx, idx, data.shape[axis]!, data.device))));
    },
  },
  ScatterElements: { attributes: ['axis', 'reduction'], check: checkReduction, run: scatterElements },
  // Opsets 9 and 10: ScatterElements under its first name.
  Scatter: { attributes: ['axis'], run: scatterElements },
  ScatterND: {
    attributes: ['reduction'],
    check: checkReduction,
    run(ctx, [x, idx, u], attrs) {
      const device = deviceOf(ctx, [x, idx, u]);
      const data = tensorOf(ctx, x, 'data', device);
      const updates = tensorOf(ctx, u, 'updates', device);
      const reduction = SCATTER_REDUCTIONS[attrString(attrs, 'reduction', 'none')];
      return one(tl.tidy(() => {
        // The k indexed dims flattened to one: a scatter along dim 0 of [L, ...rest].
        const k = shapeOf(idx!).at(-1)!;
        const rest = data.shape.slice(k);
        const flat = data.reshape([-1, ...rest]);
        const positions = flatPositions(ctx, idx, data.shape.slice(0, k), device).reshape([-1, ...rest.map(() => 1)]);
        const values = updates.reshape([-1, ...rest]);
        const index = positions.expand(values.shape);
        return scatterWith(reduction, flat, 0, index, values).reshape(data.shape);
      }));
    },
  },
  GatherND: {
    attributes: ['batch_dims'],
    run(ctx, [x, idx], attrs) {
      const device = deviceOf(ctx, [x, idx]);
      const data = tensorOf(ctx, x, 'data', device);
      const b = attrNumber(attrs, 'batch_dims', 0);
      const indexShape = shapeOf(idx!);
      const k = indexShape.at(-1)!;
      if (b < 0 || b + k > data.rank || b >= indexShape.length) throw new Error(`${ctx.node}: batch_dims ${b} with ${k}-long index tuples does not fit data [${data.shape}] and indices [${indexShape}]`);
      return one(tl.tidy(() => {
        // Each batch's k indexed dims flattened, batches one after another: one indexSelect.
        const batch = data.shape.slice(0, b);
        const rest = data.shape.slice(b + k);
        const plane = data.shape.slice(b, b + k).reduce((p, d) => p * d, 1);
        const positions = flatPositions(ctx, idx, data.shape.slice(b, b + k), device).reshape([batch.reduce((p, d) => p * d, 1), -1]);
        const offsets = tl.arange(0, positions.shape[0]! * plane, plane, { dtype: 'int32', device }).reshape([-1, 1]);
        const picked = tl.indexSelect(data.reshape([-1, ...rest]), 0, positions.add(offsets).reshape([-1]));
        return picked.reshape([...indexShape.slice(0, -1), ...rest]);
      }));
    },
  },
  // PixelShuffle's and PixelUnshuffle's export: the block's b·b channels to and from space.
  DepthToSpace: {
    attributes: ['blocksize', 'mode'],
    check: (attrs) => only(attrs, 'mode', ['DCR', 'CRD']),
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'input');
      const b = attrNumber(attrs, 'blocksize', 0);
      const [n, c, h, w] = t.shape as [number, number, number, number];
      if (t.rank !== 4 || !(b >= 1) || c % (b * b) !== 0) throw new Error(`${ctx.node}: input [${t.shape}] must be [N, C, H, W] with C a multiple of blocksize² (${b}²)`);
      // DCR: channels are (row in block, column in block, depth); CRD: (depth, row, column).
      const crd = attrString(attrs, 'mode', 'DCR') === 'CRD';
      const blocks = crd ? t.reshape([n, c / (b * b), b, b, h, w]).permute([0, 1, 4, 2, 5, 3]) : t.reshape([n, b, b, c / (b * b), h, w]).permute([0, 3, 4, 1, 5, 2]);
      return one(blocks.reshape([n, c / (b * b), h * b, w * b]));
    },
  },
  SpaceToDepth: {
    attributes: ['blocksize'],
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'input');
      const b = attrNumber(attrs, 'blocksize', 0);
      const [n, c, h, w] = t.shape as [number, number, number, number];
      if (t.rank !== 4 || !(b >= 1) || h % b !== 0 || w % b !== 0) throw new Error(`${ctx.node}: input [${t.shape}] must be [N, C, H, W] with H and W multiples of blocksize ${b}`);
      return one(t.reshape([n, c, h / b, b, w / b, b]).permute([0, 3, 5, 1, 2, 4]).reshape([n, c * b * b, h / b, w / b]));
    },
  },
  OneHot: {
    attributes: ['axis'],
    run(ctx, [i, d, v], attrs) {
      const device = deviceOf(ctx, [i, v]);
      const depth = hostOf(ctx, d, 'depth').data[0]!;
      let indices = tensorOf(ctx, i, 'indices', device);
      if (indices.dtype !== 'int32') indices = indices.trunc().int();
      const values = tensorOf(ctx, v, 'values', device);
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', -1), indices.rank + 1);
      // Negative indices count from depth; out-of-range ones match no position (all off).
      const wrapped = tl.where(indices.lt(0), indices.add(depth), indices).unsqueeze(axis);
      const positions = tl.arange(0, depth, 1, { dtype: 'int32', device }).reshape(wrapped.shape.map((_, k) => (k === axis ? depth : 1)));
      return one(tl.where(wrapped.eq(positions), values.select(0, 1), values.select(0, 0)));
    },
  },
  Expand: {
    attributes: [],
    run(ctx, [x, s]) {
      const target = intsOf(ctx, s, 'shape');
      const t = tensorOf(ctx, x, 'input');
      // ONNX Expand broadcasts both ways (a 1 in the target keeps the input's dim).
      const rank = Math.max(t.rank, target.length);
      const full = Array.from({ length: rank }, (_, i) => {
        const a = t.shape[i - (rank - t.rank)] ?? 1;
        const b = target[i - (rank - target.length)] ?? 1;
        return b === 1 ? a : b;
      });
      return one(tl.expand(t.rank < rank ? t.reshape([...new Array<number>(rank - t.rank).fill(1), ...t.shape]) : t, full));
    },
  },
  Trilu: {
    attributes: ['upper'],
    run(ctx, [x, k], attrs) {
      const t = tensorOf(ctx, x, 'input');
      const diagonal = k === undefined ? 0 : intsOf(ctx, k, 'k')[0]!;
      return one(attrNumber(attrs, 'upper', 1) !== 0 ? tl.triu(t, diagonal) : tl.tril(t, diagonal));
    },
  },
  Tile: {
    attributes: [],
    run: (ctx, [x, r]) => one(tl.tile(tensorOf(ctx, x, 'input'), intsOf(ctx, r, 'repeats'))),
  },
  Constant: {
    attributes: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
    check: (attrs) => (Object.keys(attrs).length === 1 ? [] : ['needs exactly one of value, value_float(s), value_int(s)']),
    run(_ctx, _inputs, attrs) {
      const v = Object.values(attrs)[0]!;
      if (v instanceof Host) return one(v);
      if ('value_float' in attrs) return one(Host.scalar('float32', attrs.value_float as number));
      if ('value_int' in attrs) return one(Host.scalar('int64', attrs.value_int as number));
      const list = v as number[];
      return one(Host.vector('value_floats' in attrs ? 'float32' : 'int64', list));
    },
  },
  ConstantOfShape: {
    attributes: ['value'],
    run(ctx, [s], attrs) {
      const shape = intsOf(ctx, s, 'input');
      const value = attrs.value instanceof Host ? attrs.value : Host.scalar('float32', 0);
      const size = shape.reduce((a, b) => a * b, 1);
      return one(new Host(value.dtype, shape, new Array<number>(size).fill(value.data[0]!)));
    },
  },
  Range: {
    attributes: [],
    run(ctx, [a, b, c]) {
      const [start, limit, delta] = [a, b, c].map((v, i) => hostOf(ctx, v, ['start', 'limit', 'delta'][i]!));
      const n = Math.max(Math.ceil((limit!.data[0]! - start!.data[0]!) / delta!.data[0]!), 0);
      return one(Host.vector(start!.dtype, Array.from({ length: n }, (_, i) => start!.data[0]! + i * delta!.data[0]!)));
    },
  },
  Cast: {
    attributes: ['to', 'saturate', 'round_mode'],
    check: (attrs) => {
      const name = ELEMENT_TYPES[attrs.to as number];
      if (!name) return [`cast to element type ${attrs.to} is not supported`];
      // float8e8m0 (MX formats' power-of-two scales) has rounding modes of its own, not implemented.
      if (name === 'float8e8m0') return ['cast to float8e8m0 is not supported'];
      return only(attrs, 'round_mode', ['up']);
    },
    run(ctx, [x], attrs) {
      const name = ELEMENT_TYPES[attrs.to as number]!;
      const computed = computedAs(name);
      const dtype: HostDType = computed === 'int32' ? 'int64' : computed;
      // float8 and float4 round to the format, in float32 (saturate only applies to float8).
      if (isMiniFloat(name)) return one(toMiniFloat(tensorOf(ctx, x, 'input').float(), name, attrNumber(attrs, 'saturate', 1) !== 0));
      // Integers narrower than 32 bits keep their low bits, two's complement (ONNX's rule between fixed-point types; floats are truncated first).
      const narrow = (name in INTEGER_RANGES ? name : null) as NarrowInteger | null;
      if (isHost(x)) {
        const data = Array.from(x.data, (v) => (dtype === 'bool' ? (v ? 1 : 0) : isIntegerDType(dtype) ? (narrow ? wrapNumber(Math.trunc(v), narrow) : Math.trunc(v)) : v));
        return one(new Host(dtype, x.shape, dtype === 'float32' ? Float32Array.from(data) : data));
      }
      const cast = tl.cast(x!, deviceDType(dtype));
      return one(narrow && cast.dtype === 'int32' ? wrapInteger(cast, narrow) : cast);
    },
  },
  CastLike: {
    attributes: [],
    run(ctx, [x, like]) {
      if (like === undefined) throw new Error(`${ctx.node}: input target_type is missing`);
      return shapeOps.Cast!.run(ctx, [x], { to: TYPE_CODES[hostDType(ctx, like.dtype)]! });
    },
  },
  EyeLike: {
    attributes: ['dtype', 'k'],
    check: (attrs) => (attrs.dtype === undefined || ELEMENT_TYPES[attrs.dtype as number] ? [] : [`attribute dtype=${attrs.dtype} is not supported`]),
    run(ctx, [x], attrs) {
      const shape = shapeOf(x!);
      if (shape.length !== 2) throw new Error(`${ctx.node}: input must be 2-D, got [${shape}]`);
      const [n, m] = shape as [number, number];
      const k = attrNumber(attrs, 'k', 0);
      const dtype = hostDType(ctx, attrs.dtype === undefined ? x!.dtype : ELEMENT_TYPES[attrs.dtype as number]!);
      const data = new Array<number>(n * m).fill(0);
      for (let i = Math.max(0, -k); i < n && i + k < m; i++) data[i * m + i + k] = 1;
      return one(new Host(dtype, shape, dtype === 'float32' ? Float32Array.from(data) : data));
    },
  },
  ReverseSequence: {
    attributes: ['batch_axis', 'time_axis'],
    run(ctx, [x, lens], attrs) {
      const device = deviceOf(ctx, [x, lens]);
      const t = tensorOf(ctx, x, 'input', device);
      const batch = axisOf(ctx, attrNumber(attrs, 'batch_axis', 1), t.rank);
      const time = axisOf(ctx, attrNumber(attrs, 'time_axis', 0), t.rank);
      if (batch === time) throw new Error(`${ctx.node}: batch_axis and time_axis are both ${batch}`);
      const along = (axis: number) => t.shape.map((_, i) => (i === axis ? -1 : 1));
      const length = tensorOf(ctx, lens, 'sequence_lens', device).reshape(along(batch));
      const step = tl.arange(0, t.shape[time]!, 1, { dtype: 'int32', device }).reshape(along(time));
      // Step i of sequence j reads step length_j - 1 - i while i < length_j, and itself after.
      const source = tl.where(step.lt(length), length.sub(1).sub(step), step);
      return one(tl.gather(t, time, source.expand(t.shape)));
    },
  },
  // Compress, NonZero and Unique: the output's shape depends on values read on the host.
  Compress: {
    attributes: ['axis'],
    run(ctx, [x, c], attrs) {
      let t = tensorOf(ctx, x, 'input');
      if (attrs.axis === undefined) t = t.reshape([-1]);
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), t.rank);
      const condition = hostOf(ctx, c, 'condition').data;
      const picked: number[] = [];
      for (let i = 0; i < condition.length; i++) if (condition[i]) picked.push(i);
      if (picked.length && picked.at(-1)! >= t.shape[axis]!) throw new Error(`${ctx.node}: condition selects index ${picked.at(-1)} of an axis of ${t.shape[axis]}`);
      return one(tl.indexSelect(t, axis, tl.tensor(Int32Array.from(picked), { dtype: 'int32', device: t.device })));
    },
  },
  NonZero: {
    attributes: [],
    run(ctx, [x]) {
      const h = hostOf(ctx, x, 'X');
      const step = strides(h.shape);
      const hits: number[] = [];
      for (let i = 0; i < h.size; i++) if (h.data[i] !== 0) hits.push(i);
      // [rank, n]: dim d's coordinate of each hit (a scalar gives [0, n], as ONNX says).
      return one(new Host('int64', [h.shape.length, hits.length], h.shape.flatMap((d, k) => hits.map((i) => Math.floor(i / step[k]!) % d))));
    },
  },
  Unique: {
    attributes: ['axis', 'sorted'],
    outputs: 4,
    run(ctx, [x], attrs) {
      const flat = attrs.axis === undefined;
      const v = flat ? withShape(x!, [shapeOf(x!).reduce((a, b) => a * b, 1)]) : x!;
      const axis = flat ? 0 : axisOf(ctx, attrs.axis as number, v.shape.length);
      const { firsts, inverse, counts } = uniqueGroups(hostOf(ctx, v, 'X'), axis, attrNumber(attrs, 'sorted', 1) !== 0);
      const indices = Host.vector('int64', firsts);
      // A tensor's unique values are gathered from it, so that they carry its gradient.
      const y = isHost(v) ? hostGather(v, axis, indices) : tl.indexSelect(v, axis, indices.upload(v.device, `${ctx.node} indices`));
      return [y, indices, Host.vector('int64', inverse), Host.vector('int64', counts)];
    },
  },
  HannWindow: cosineWindow([0.5, 0.5]),
  HammingWindow: cosineWindow([25 / 46, 21 / 46]),
  BlackmanWindow: cosineWindow([0.42, 0.5, 0.08]),
  Dropout: {
    // Inference: the identity (and an all-true mask); the ratio and training_mode inputs are not read.
    attributes: ['seed', 'ratio', 'is_test'],
    outputs: 2,
    run(ctx, [x]) {
      const t = tensorOf(ctx, x, 'data');
      return [t, tl.full(t.shape, true, { dtype: 'bool', device: t.device })];
    },
  },
  // Each axis cut or zero-padded to its new size about the centre; an odd difference puts the extra element at the end.
  CenterCropPad: {
    attributes: ['axes'],
    run(ctx, [x, s], attrs) {
      let t = tensorOf(ctx, x, 'input_data');
      const sizes = intsOf(ctx, s, 'shape');
      const axes = (attrInts(attrs, 'axes') ?? t.shape.map((_, i) => i)).map((a) => axisOf(ctx, a, t.rank));
      if (sizes.length !== axes.length) throw new Error(`${ctx.node}: shape [${sizes}] does not give one size per axis (${axes.length})`);
      axes.forEach((axis, i) => {
        const [have, want] = [t.shape[axis]!, sizes[i]!];
        const begin = Math.floor(Math.abs(want - have) / 2);
        if (want < have) t = tl.slice(t, axis, begin, begin + want);
        else if (want > have) t = tl.pad(t, [...new Array<number>(2 * (t.rank - 1 - axis)).fill(0), begin, want - have - begin], 0);
      });
      return one(t);
    },
  },
  Pad: {
    attributes: ['mode', 'pads', 'value'],
    // edge is PyTorch's replicate; wrap came with opset 19.
    check: (attrs, opset) => (opset < 19 && attrs.mode === 'wrap' ? [`attribute mode="wrap" needs opset 19 or later (the model imports opset ${opset})`] : only(attrs, 'mode', Object.keys(PAD_MODES))),
    run(ctx, [x, padsV, valueV, axesV], attrs) {
      const t = tensorOf(ctx, x, 'data');
      const raw = padsV !== undefined ? intsOf(ctx, padsV, 'pads') : (attrInts(attrs, 'pads') ?? []);
      const axes = axesV ? intsOf(ctx, axesV, 'axes').map((a) => axisOf(ctx, a, t.rank)) : t.shape.map((_, i) => i);
      const value = valueV !== undefined ? hostOf(ctx, valueV, 'constant_value').data[0]! : attrNumber(attrs, 'value', 0);
      // ONNX: [x1_begin, x2_begin, ..., x1_end, ...]; Tensile (PyTorch): last dim first, [begin, end] pairs.
      const k = axes.length;
      const before = new Array<number>(t.rank).fill(0);
      const after = new Array<number>(t.rank).fill(0);
      axes.forEach((a, i) => {
        before[a] = raw[i]!;
        after[a] = raw[i + k]!;
      });
      const torchPads: number[] = [];
      for (let d = t.rank - 1; d >= 0; d--) torchPads.push(before[d]!, after[d]!);
      const mode = PAD_MODES[attrString(attrs, 'mode', 'constant')]!;
      if (mode === 'constant') return one(tl.pad(t, torchPads, value));
      if (mode === 'wrap') return one(wrapPad(ctx, t, before, after));
      // Reflect and edge pad trailing dims only, as PyTorch's: the unpadded leading dims are left out.
      while (torchPads.length > 2 && torchPads.at(-1) === 0 && torchPads.at(-2) === 0) torchPads.length -= 2;
      return one(F.pad(t, torchPads, mode));
    },
  },
};
