/**
 * Indexing by tensors (PyTorch's advanced indexing) and the ops built on it: int32 index
 * tensors broadcast together and pick elements; bool masks pick where true (their result's
 * shape depends on the values, so those forms are asynchronous).
 */
import { withTemps } from '../backend/composites.js';
import { broadcastShapes, formatShape, normalizeDim } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { tensor, zeros } from './creation.js';
import { gather, indexSelect, scatterAdd } from './indexing.js';
import { index, type IndexSpec } from './shape.js';
import { describeValue, isTensor, requireTensor } from './util.js';

/** Wrap negative int32 indices by `size` (as PyTorch) and check them where values can be read synchronously. */
export function wrapIndex(op: string, index: Tensor, size: number, t: <T extends Tensor>(v: T) => T): Tensor {
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index tensors must be int32 (or bool masks), got ${index.dtype}`);
  const read = index.backend.readSync;
  if (read && index.size > 0) {
    const values = read.call(index.backend, index.kernelView);
    for (let i = 0; i < values.length; i++) {
      if (values[i] < -size || values[i] >= size) throw new RangeError(`${op}: index ${values[i]} is out of bounds for a dim of size ${size}`);
    }
  }
  return t(index.where(t(index.ge(0)), t(index.add(size))));
}

/**
 * `x` indexed by `specs` where some are int32 tensors: basic specs (numbers, slices, null,
 * 'newaxis') apply first, then the index tensors, broadcast together, pick along the dims
 * they stand for. Their broadcast dims replace those dims in place when the tensors are
 * adjacent, or go first when a slice separates them, as in PyTorch.
 */
export function advancedIndex(x: Tensor, specs: readonly (IndexSpec | Tensor)[], basic: (x: Tensor, ...s: IndexSpec[]) => Tensor): Tensor {
  // Basic indexing first, keeping every tensor's dim (a full slice) and noting where it lands.
  const basicSpecs: IndexSpec[] = [];
  const tensors: { index: Tensor; dim: number }[] = [];
  let dim = 0;
  for (const spec of specs) {
    if (isTensor(spec)) {
      if (spec.dtype === 'bool') {
        throw new TypeError('index: a bool mask selects a data-dependent number of elements; use await x.indexAsync(...) or x.indexSync(...)');
      }
      tensors.push({ index: spec, dim });
      basicSpecs.push(null);
      dim++;
    } else if (spec === 'newaxis' || spec === null || Array.isArray(spec)) {
      basicSpecs.push(spec);
      dim++;
    } else if (typeof spec === 'number') {
      basicSpecs.push(spec);
    } else {
      throw new TypeError(`index: expected numbers, [start, end, step] slices, null, 'newaxis' or tensors, got ${describeValue(spec)}`);
    }
  }
  return withTemps((t) => {
    const y = t(basic(x, ...basicSpecs));
    const dims = tensors.map((e) => e.dim);
    const sizes = dims.map((d) => y.shape[d]);
    const broadcast = tensors.reduce<number[]>((shape, e) => broadcastShapes(shape, e.index.shape, 'index'), []);
    // The linear position within the indexed dims, row-major over them.
    let linear: Tensor | null = null;
    tensors.forEach((e, k) => {
      const wrapped = wrapIndex('index', e.index, sizes[k], t);
      const stride = sizes.slice(k + 1).reduce((n, s) => n * s, 1);
      const term = stride === 1 ? wrapped : t(wrapped.mul(stride));
      linear = linear ? t(linear.add(term)) : term;
    });
    const rest = y.shape.map((_, d) => d).filter((d) => !dims.includes(d));
    const moved = t(t(y.permute([...dims, ...rest])).reshape([-1, ...rest.map((d) => y.shape[d])]));
    const flat = t(t(linear!.expand(broadcast)).reshape([-1]));
    const picked = t(t(indexSelect(moved, 0, flat)).reshape([...broadcast, ...rest.map((d) => y.shape[d])]));
    const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
    if (!adjacent || dims[0] === 0) return picked.internalAlias(false);
    // Adjacent index tensors: their broadcast dims take the place of the dims they indexed.
    const b = broadcast.length;
    const before = Array.from({ length: dims[0] }, (_, i) => b + i);
    const order = [...before, ...Array.from({ length: b }, (_, i) => i), ...Array.from({ length: picked.rank - b - dims[0] }, (_, i) => b + dims[0] + i)];
    return picked.permute(order);
  });
}

/** The positions of a mask's true elements, read on the host (what makes the bool forms asynchronous). */
function positionsOf(mask: ArrayLike<number>, shape: readonly number[]): Int32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++;
  const out = new Int32Array(count * shape.length);
  let k = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    for (let d = shape.length - 1, r = i; d >= 0; d--) {
      out[k * shape.length + d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    k++;
  }
  return out;
}

function nonzeroOf(x: Tensor, values: ArrayLike<number>, asTuple: boolean): Tensor | Tensor[] {
  const rank = Math.max(x.rank, 1);
  const shape = x.rank === 0 ? [1] : x.shape;
  const flat = positionsOf(values, shape);
  const n = flat.length / rank;
  const all = tensor(flat, { dtype: 'int32', device: x.device });
  const table = all.reshape([n, rank]);
  all.dispose();
  if (!asTuple) return table;
  const columns = Array.from({ length: rank }, (_, d) => table.select(1, d).contiguous());
  table.dispose();
  return columns;
}

/**
 * The indices of the non-zero elements of `x`, as int32 `[n, rank]` (or, with `asTuple`, one
 * 1-D tensor per dim). Asynchronous: n depends on the values.
 *
 * @example
 * ```ts
 * const where = await x.gt(0).nonzero();
 * ```
 */
export async function nonzero(x: Tensor, options: { asTuple?: boolean } = {}): Promise<Tensor | Tensor[]> {
  requireTensor('nonzero', x);
  return nonzeroOf(x, await x.data(), options.asTuple ?? false);
}

/** {@link nonzero} on backends that read synchronously. */
export function nonzeroSync(x: Tensor, options: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  requireTensor('nonzero', x);
  return nonzeroOf(x, x.dataSync(), options.asTuple ?? false);
}

function checkMask(op: string, x: Tensor, mask: Tensor): number[] {
  requireTensor(op, x);
  requireTensor(op, mask, 'the mask');
  if (mask.dtype !== 'bool') throw new TypeError(`${op}: the mask must be bool, got ${mask.dtype}`);
  return broadcastShapes(x.shape, mask.shape, op);
}

function maskedSelectOf(x: Tensor, mask: Tensor, values: ArrayLike<number>, shape: number[]): Tensor {
  const positions = positionsOf(values, shape.length ? shape : [1]);
  const linear = new Int32Array(positions.length / Math.max(shape.length, 1));
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((n, s) => n * s, 1));
  for (let k = 0; k < linear.length; k++) {
    let at = 0;
    for (let d = 0; d < shape.length; d++) at += positions[k * shape.length + d] * strides[d];
    linear[k] = at;
  }
  return withTemps((t) => {
    const flat = t(t(t(x.expand(shape)).contiguous()).reshape([-1]));
    return indexSelect(flat, 0, t(tensor(linear, { dtype: 'int32', device: x.device })));
  });
}

/**
 * The elements of `x` where `mask` (bool, broadcasting with `x`) is true, as 1-D.
 * Asynchronous: the length depends on the mask.
 */
export async function maskedSelect(x: Tensor, mask: Tensor): Promise<Tensor> {
  const shape = checkMask('maskedSelect', x, mask);
  const expanded = mask.expand(shape);
  try {
    return maskedSelectOf(x, mask, await expanded.data(), shape);
  } finally {
    expanded.dispose();
  }
}

/** {@link maskedSelect} on backends that read synchronously. */
export function maskedSelectSync(x: Tensor, mask: Tensor): Tensor {
  const shape = checkMask('maskedSelect', x, mask);
  const expanded = mask.expand(shape);
  try {
    return maskedSelectOf(x, mask, expanded.dataSync(), shape);
  } finally {
    expanded.dispose();
  }
}

/** Replace each bool mask among `specs` by the int32 index tensors of its true positions. */
async function masksToIndices(specs: readonly (IndexSpec | Tensor)[], read: (t: Tensor) => ArrayLike<number> | Promise<ArrayLike<number>>): Promise<(IndexSpec | Tensor)[]> {
  const out: (IndexSpec | Tensor)[] = [];
  for (const spec of specs) {
    if (isTensor(spec) && spec.dtype === 'bool') {
      const columns = nonzeroOf(spec, await read(spec), true) as Tensor[];
      out.push(...columns);
    } else {
      out.push(spec);
    }
  }
  return out;
}

/**
 * `index(...)` where specs may also be bool masks, which stand for the dims they cover and
 * pick where true (PyTorch's `x[mask]`). Asynchronous: the size depends on the masks.
 *
 * @example
 * ```ts
 * const positive = await x.indexAsync(x.gt(0));
 * ```
 */
export async function indexAsync(x: Tensor, ...specs: (IndexSpec | Tensor)[]): Promise<Tensor> {
  requireTensor('indexAsync', x);
  return indexResolved(x, specs, await masksToIndices(specs, (t) => t.data()));
}

/** {@link indexAsync} on backends that read synchronously. */
export function indexSync(x: Tensor, ...specs: (IndexSpec | Tensor)[]): Tensor {
  requireTensor('indexSync', x);
  const resolved: (IndexSpec | Tensor)[] = [];
  for (const spec of specs) {
    if (isTensor(spec) && spec.dtype === 'bool') resolved.push(...(nonzeroOf(spec, spec.dataSync(), true) as Tensor[]));
    else resolved.push(spec);
  }
  return indexResolved(x, specs, resolved);
}

/** `index` once masks are index tensors; the tensors made from masks are freed. */
function indexResolved(x: Tensor, specs: readonly (IndexSpec | Tensor)[], resolved: (IndexSpec | Tensor)[]): Tensor {
  try {
    return index(x, ...resolved);
  } finally {
    resolved.forEach((s) => isTensor(s) && !specs.includes(s) && s.dispose());
  }
}

/**
 * `x` with `value` where `mask` (bool, broadcasting to `x`'s shape) is true.
 *
 * @example
 * ```ts
 * scores.maskedFill(causal.logicalNot(), -Infinity);
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorLike): Tensor {
  const shape = checkMask('maskedFill', x, mask);
  if (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`maskedFill: the mask ${formatShape(mask.shape)} must broadcast to the input ${formatShape(x.shape)}`);
  }
  if (isTensor(value) && value.rank > 0) throw new Error(`maskedFill: value must be a number or a 0-d tensor, got ${formatShape(value.shape)}`);
  return withTemps((t) => {
    const fill = isTensor(value) ? t(value.cast(x.dtype)) : value;
    return x.where(t(mask.logicalNot()), fill);
  });
}

/** `gather` by PyTorch's take_along_dim name: indices broadcast with `x` except along `dim` (flattened when omitted). */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number): Tensor {
  requireTensor('takeAlongDim', x);
  requireTensor('takeAlongDim', indices, 'indices');
  return withTemps((t) => {
    if (dim === undefined) return gather(t(x.reshape([-1])), 0, t(indices.reshape([-1])));
    const axis = normalizeDim(dim, x.rank, 'takeAlongDim');
    if (indices.rank !== x.rank) throw new Error(`takeAlongDim: indices ${formatShape(indices.shape)} must have the input's rank ${x.rank}`);
    const shapeOf = (s: readonly number[], n: number) => s.map((d, i) => (i === axis ? n : d));
    const both = broadcastShapes(shapeOf(x.shape, 1), shapeOf(indices.shape, 1), 'takeAlongDim');
    const xs = t(x.expand(shapeOf(both, x.shape[axis])));
    const is = t(indices.expand(shapeOf(both, indices.shape[axis])));
    return gather(xs, axis, is);
  });
}

/** The elements of `x`, flattened, at the int32 positions `index` (negative ones wrap), shaped as `index`. */
export function take(x: Tensor, index: Tensor): Tensor {
  requireTensor('take', x);
  requireTensor('take', index, 'index');
  return withTemps((t) => {
    const wrapped = wrapIndex('take', index, x.size, t);
    return t(indexSelect(t(x.reshape([-1])), 0, t(wrapped.reshape([-1])))).reshape(index.shape);
  });
}

/** The int32 `index` (1-D) as a tensor of `x`'s rank along `dim`, expanded to `source`'s shape. */
export function lineIndex(op: string, x: Tensor, axis: number, index: Tensor, source: readonly number[], t: <T extends Tensor>(v: T) => T): Tensor {
  if (index.rank > 1 || index.dtype !== 'int32') throw new TypeError(`${op}: index must be a 0-d or 1-D int32 tensor, got ${formatShape(index.shape)} ${index.dtype}`);
  const n = index.size;
  if (source.length !== x.rank || source.some((d, i) => (i === axis ? d !== n : d !== x.shape[i]))) {
    const expected = x.shape.map((d, i) => (i === axis ? n : d));
    throw new Error(`${op}: source must be ${formatShape(expected)} (the input's shape with dim ${axis} the index's length), got ${formatShape(source)}`);
  }
  const wrapped = wrapIndex(op, index, x.shape[axis], t);
  return t(t(wrapped.reshape(x.shape.map((_, i) => (i === axis ? n : 1)))).expand(source));
}

/**
 * `x` with `alpha * source` added at positions `index` (1-D int32) along `dim`; repeated
 * indices accumulate.
 *
 * @example
 * ```ts
 * tl.indexAdd(tl.zeros([3, 2]), 0, tl.tensor([0, 2, 0], { dtype: 'int32' }), rows);
 * ```
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): Tensor {
  requireTensor('indexAdd', x);
  requireTensor('indexAdd', source, 'source');
  const axis = normalizeDim(dim, x.rank, 'indexAdd');
  return withTemps((t) => {
    const expanded = lineIndex('indexAdd', x, axis, index, source.shape, t);
    const scaled = options.alpha === undefined || options.alpha === 1 ? source : t(source.mul(options.alpha));
    return scatterAdd(x, axis, expanded, scaled.dtype === x.dtype ? scaled : t(scaled.cast(x.dtype)));
  });
}

/** `x` with `value` at positions `index` (1-D int32) along `dim`. */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: TensorLike): Tensor {
  requireTensor('indexFill', x);
  const axis = normalizeDim(dim, x.rank, 'indexFill');
  return withTemps((t) => {
    const hits = t(zeros(x.shape, { dtype: 'int32', device: x.device }));
    const expanded = lineIndex('indexFill', x, axis, index, x.shape.map((d, i) => (i === axis ? index.size : d)), t);
    const ones = t(t(zeros(expanded.shape, { dtype: 'int32', device: x.device })).add(1));
    const hit = t(t(scatterAdd(hits, axis, expanded, ones)).gt(0));
    return x.where(t(hit.logicalNot()), isTensor(value) ? t(value.cast(x.dtype)) : value);
  });
}

function searchsortedOf(op: string, sorted: Tensor, values: Tensor, right: boolean): Tensor {
  requireTensor(op, sorted, 'the sorted sequence');
  requireTensor(op, values, 'the values');
  if (sorted.rank === 0) throw new Error(`${op}: the sorted sequence must have at least one dim`);
  const batched = sorted.rank > 1;
  if (batched && (values.rank !== sorted.rank || values.shape.slice(0, -1).some((d, i) => d !== sorted.shape[i]))) {
    throw new Error(`${op}: values ${formatShape(values.shape)} must match the sorted sequence ${formatShape(sorted.shape)} in every dim but the last`);
  }
  // How many boundaries lie below each value (at or below with `right`): an insertion point.
  return withTemps((t) => {
    const v = t(values.unsqueeze(-1));
    const s = batched ? t(sorted.unsqueeze(-2)) : sorted;
    return t(right ? v.ge(s) : v.gt(s)).sum(-1);
  });
}

/**
 * Where each of `values` would be inserted into `sorted` (last dim sorted ascending) to keep
 * it sorted: the first such position, or the last with `right`. int32, `values`' shape.
 */
export function searchsorted(sorted: Tensor, values: Tensor | number, options: { right?: boolean; side?: 'left' | 'right' } = {}): Tensor {
  const right = options.side ? options.side === 'right' : (options.right ?? false);
  if (options.side && options.right !== undefined && right !== options.right) throw new Error("searchsorted: side and right disagree; give one of them");
  const v = typeof values === 'number' ? tensor(values, { dtype: sorted.dtype, device: sorted.device }) : values;
  try {
    return searchsortedOf('searchsorted', sorted, v, right);
  } finally {
    if (v !== values) v.dispose();
  }
}

/** The bucket of each element of `x` among 1-D ascending `boundaries` (torch.bucketize), int32. */
export function bucketize(x: Tensor, boundaries: Tensor, options: { right?: boolean } = {}): Tensor {
  requireTensor('bucketize', boundaries, 'boundaries');
  if (boundaries.rank !== 1) throw new Error(`bucketize: boundaries must be 1-D, got ${formatShape(boundaries.shape)}`);
  return searchsortedOf('bucketize', boundaries, x, options.right ?? false);
}

/** Options of {@link unique}. */
export interface UniqueOptions {
  /** Sorted ascending (the only order Tensile gives; false is refused). */
  sorted?: boolean;
  returnInverse?: boolean;
  returnCounts?: boolean;
  /** Unique slices along this dim instead of unique elements. Not supported yet. */
  dim?: number;
}

export interface UniqueResult {
  values: Tensor;
  inverse?: Tensor;
  counts?: Tensor;
}

function uniqueOf(x: Tensor, data: ArrayLike<number>, options: UniqueOptions): UniqueResult {
  if (options.sorted === false) throw new Error('unique: sorted: false is not supported; the values come back sorted');
  if (options.dim !== undefined) throw new Error('unique: dim is not supported yet');
  const order = Array.from({ length: data.length }, (_, i) => i).sort((a, b) => {
    const va = data[a], vb = data[b];
    // NaNs sort last and stay distinct, as PyTorch.
    return va !== va ? (vb !== vb ? a - b : 1) : vb !== vb ? -1 : va - vb;
  });
  const values: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(data.length);
  for (const i of order) {
    const v = data[i];
    if (values.length === 0 || !(values[values.length - 1] === v)) {
      values.push(v);
      counts.push(0);
    }
    counts[counts.length - 1]++;
    inverse[i] = values.length - 1;
  }
  const device = x.device;
  const result: UniqueResult = { values: tensor(x.dtype === 'bool' ? Uint8Array.from(values) : values, { dtype: x.dtype, device }) };
  if (options.returnInverse) result.inverse = tensor(inverse, { dtype: 'int32', device }).reshape(x.shape);
  if (options.returnCounts) result.counts = tensor(Int32Array.from(counts), { dtype: 'int32', device });
  return result;
}

/**
 * The sorted unique elements of `x`, with where each element went (`returnInverse`, shaped
 * as `x`) and how often each value occurs (`returnCounts`). Asynchronous: the number of
 * values depends on the data. Not differentiable, as in PyTorch.
 *
 * @example
 * ```ts
 * const { values, counts } = await tl.unique(labels, { returnCounts: true });
 * ```
 */
export async function unique(x: Tensor, options: UniqueOptions = {}): Promise<UniqueResult> {
  requireTensor('unique', x);
  return uniqueOf(x, await x.data(), options);
}

/** {@link unique} on backends that read synchronously. */
export function uniqueSync(x: Tensor, options: UniqueOptions = {}): UniqueResult {
  requireTensor('unique', x);
  return uniqueOf(x, x.dataSync(), options);
}
