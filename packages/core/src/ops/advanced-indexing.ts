/**
 * Indexing by tensors (PyTorch's advanced indexing) and the ops built on it: int32 index
 * tensors broadcast together and pick elements; bool masks pick where true (their result's
 * shape depends on the values, so those forms are asynchronous).
 */
import { owned } from '../memory.js';
import { broadcastShapes, formatShape, normalizeDim } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { tensor, zeros } from './creation.js';
import { gather, indexSelect, scatterAdd } from './indexing.js';
import { cat, index, type IndexSpec } from './shape.js';
import { checkOptionKeys, describeValue, isTensor, requireTensor, scalarDType } from './util.js';

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
  return owned((t) => {
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
  return owned((own) => {
    const table = own(own(tensor(flat, { dtype: 'int32', device: x.device })).reshape([n, rank])); // the result unless asTuple
    if (!asTuple) return table;
    return Array.from({ length: rank }, (_, d) => own(table.select(1, d)).contiguous());
  });
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
  return owned((t) => {
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
  return owned((own) => maskedSelectOf(x, mask, own(mask.expand(shape)).dataSync(), shape));
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
  return owned((own) => {
    resolved.forEach((s) => isTensor(s) && !specs.includes(s) && own(s));
    return index(x, ...resolved);
  });
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
  return owned((t) => {
    const fill = isTensor(value) ? t(value.cast(x.dtype)) : value;
    return x.where(t(mask.logicalNot()), fill);
  });
}

/**
 * `x` with the elements of `source`, in order, written where `mask` is true (PyTorch's
 * `masked_scatter`): the k-th true position (row-major) gets `source`'s k-th element. `mask`
 * (bool) broadcasts to `x`; `source` may have any shape with at least as many elements as the
 * mask has trues. A cumulative count of the trues picks each source element, so GPU backends
 * read nothing; differentiable in `x` and `source`.
 *
 * @example
 * ```ts
 * tl.zeros([2, 3]).maskedScatter(tl.tensor([[true, false, true], [false, true, false]]), tl.tensor([1, 2, 3]));
 * // [[1, 0, 2], [0, 3, 0]]
 * ```
 */
export function maskedScatter(x: Tensor, mask: Tensor, source: Tensor): Tensor {
  const op = 'maskedScatter';
  const shape = checkMask(op, x, mask);
  requireTensor(op, source, 'source');
  if (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`${op}: the mask ${formatShape(mask.shape)} must broadcast to the input ${formatShape(x.shape)}`);
  }
  if (source.dtype !== x.dtype) throw new TypeError(`${op}: source is ${source.dtype} but the input is ${x.dtype}; cast one`);
  return owned((t) => {
    const full = t(mask.expand(shape));
    const flat = t(full.reshape([-1]));
    const counts = t(t(flat.cast('int32')).cumsum(0)); // the trues up to each position
    const read = x.backend.readSync;
    if (read && x.size > 0) {
      const trues = read.call(x.backend, t(counts.narrow(0, x.size - 1, 1)).kernelView)[0];
      if (trues > source.size) throw new Error(`${op}: the mask has ${trues} true elements but source has only ${source.size}`);
    }
    // The k-th true reads element k + 1 of [0, ...source], a false reads the 0: a source too
    // short shows as an out-of-range index, which GPU backends report at the next read.
    const at = t(counts.where(flat, 0));
    const padded = t(cat([t(zeros([1], { dtype: x.dtype, device: x.device })), t(source.reshape([-1]))]));
    const picked = t(t(indexSelect(padded, 0, at)).reshape(shape));
    return picked.where(full, x);
  });
}

/** `gather` by PyTorch's take_along_dim name: indices broadcast with `x` except along `dim` (flattened when omitted). */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number): Tensor {
  requireTensor('takeAlongDim', x);
  requireTensor('takeAlongDim', indices, 'indices');
  return owned((t) => {
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
  return owned((t) => {
    const wrapped = wrapIndex('take', index, x.size, t);
    return t(indexSelect(t(x.reshape([-1])), 0, t(wrapped.reshape([-1])))).reshape(index.shape);
  });
}

/**
 * The elements of `x` at `storageOffset + Σ i[k]·stride[k]` for each index `i` of `size`
 * (torch.as_strided), with `x` read in row-major order: PyTorch's
 * `x.contiguous().as_strided(size, stride, storageOffset)`. Tensile tensors expose no shared
 * storage, so the result is a copy, not an alias; its gradient adds into the elements read,
 * summing where windows overlap, as PyTorch's.
 *
 * @example
 * ```ts
 * tl.asStrided(tl.arange(0, 6), [2, 3], [1, 2]); // [[0, 2, 4], [1, 3, 5]]: a transpose
 * tl.asStrided(signal, [signal.size - 3, 4], [1, 1]); // every window of 4 consecutive samples
 * ```
 */
export function asStrided(x: Tensor, size: readonly number[], stride: readonly number[], storageOffset = 0): Tensor {
  const op = 'asStrided';
  requireTensor(op, x);
  const dims = (name: string, v: unknown): number[] => {
    if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`${op}: ${name} must be an array of non-negative integers, got ${describeValue(v)}`);
    }
    return v as number[];
  };
  const shape = dims('size', size);
  const steps = dims('stride', stride);
  if (steps.length !== shape.length) throw new Error(`${op}: size ${formatShape(shape)} and stride ${formatShape(steps)} must have the same length`);
  if (!Number.isSafeInteger(storageOffset) || storageOffset < 0) throw new TypeError(`${op}: storageOffset must be a non-negative integer, got ${describeValue(storageOffset)}`);
  const count = shape.reduce((a, b) => a * b, 1);
  const last = storageOffset + shape.reduce((sum, d, k) => sum + (d - 1) * steps[k], 0);
  if (count > 0 && last >= x.size) {
    throw new RangeError(`${op}: size ${formatShape(shape)} with stride ${formatShape(steps)} and storage offset ${storageOffset} reaches element ${last}, but the input has ${x.size} elements`);
  }
  const positions = new Int32Array(count);
  for (let flat = 0; flat < count; flat++) {
    let rest = flat;
    let at = storageOffset;
    for (let k = shape.length - 1; k >= 0; k--) {
      at += (rest % shape[k]) * steps[k];
      rest = Math.floor(rest / shape[k]);
    }
    positions[flat] = at;
  }
  return owned((t) => t(indexSelect(t(x.reshape([-1])), 0, t(tensor(positions, { dtype: 'int32', device: x.device })))).reshape(shape));
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
  return owned((t) => {
    const expanded = lineIndex('indexAdd', x, axis, index, source.shape, t);
    const scaled = options.alpha === undefined || options.alpha === 1 ? source : t(source.mul(options.alpha));
    return scatterAdd(x, axis, expanded, scaled.dtype === x.dtype ? scaled : t(scaled.cast(x.dtype)));
  });
}

/** `x` with `value` at positions `index` (1-D int32) along `dim`. */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: TensorLike): Tensor {
  requireTensor('indexFill', x);
  const axis = normalizeDim(dim, x.rank, 'indexFill');
  return owned((t) => {
    const hits = t(zeros(x.shape, { dtype: 'int32', device: x.device }));
    const expanded = lineIndex('indexFill', x, axis, index, x.shape.map((d, i) => (i === axis ? index.size : d)), t);
    const ones = t(t(zeros(expanded.shape, { dtype: 'int32', device: x.device })).add(1));
    const hit = t(t(scatterAdd(hits, axis, expanded, ones)).gt(0));
    return x.where(t(hit.logicalNot()), isTensor(value) ? t(value.cast(x.dtype)) : value);
  });
}

/** Options of {@link searchsorted}: PyTorch's keyword arguments. */
export interface SearchsortedOptions {
  /** Give the last position that keeps the order (after equal elements) rather than the first. */
  right?: boolean;
  /** `'left'` or `'right'`: `right` by another name (PyTorch has both; they must agree). */
  side?: 'left' | 'right';
  /** int32 indices that sort the last dim of `sorted` (as `argsort` gives), when it is not sorted itself. */
  sorter?: Tensor;
}

/**
 * Where each of `values` goes in the last dim of `sorted`: a binary search on the device
 * with PyTorch's predicate (left: past every element that is not >= the value; right: not
 * >), one gather and compare per halving, so the cost is O(values * log(sorted)). Positions
 * move by powers of two, which for a sorted sequence (NaN last, as sort leaves it) gives
 * what PyTorch's bisection gives; a NaN value goes past the end.
 */
function searchsortedOf(op: string, sorted: Tensor, values: Tensor, right: boolean, sorter?: Tensor): Tensor {
  requireTensor(op, sorted, 'the sorted sequence');
  requireTensor(op, values, 'the values');
  if (sorted.rank === 0) throw new Error(`${op}: the sorted sequence must have at least one dim`);
  const batched = sorted.rank > 1;
  if (batched && (values.rank !== sorted.rank || values.shape.slice(0, -1).some((d, i) => d !== sorted.shape[i]))) {
    throw new Error(`${op}: values ${formatShape(values.shape)} must match the sorted sequence ${formatShape(sorted.shape)} in every dim but the last`);
  }
  if (sorter !== undefined) {
    requireTensor(op, sorter, 'sorter');
    if (sorter.dtype !== 'int32' || !sorter.shape.every((d, i) => d === sorted.shape[i]) || sorter.rank !== sorted.rank) {
      throw new Error(`${op}: sorter must be int32 of the sorted sequence's shape ${formatShape(sorted.shape)}, got ${sorter.dtype} ${formatShape(sorter.shape)}`);
    }
  }
  const m = sorted.shape[sorted.rank - 1];
  return owned((t) => {
    const sequence = sorter ? t(gather(sorted, -1, sorter)) : sorted;
    // 1-D sequences search a flat list of values; batched ones search each row.
    const flat = batched ? values : t(values.reshape([values.size]));
    let pos = t(zeros(flat.shape, { dtype: 'int32', device: values.device }));
    let step = 1;
    while (step * 2 <= m) step *= 2;
    for (; step >= 1 && m > 0; step /= 2) {
      const next = t(pos.add(step));
      const probe = t(gather(sequence, -1, t(t(next.minimum(m)).sub(1))));
      const past = t(right ? probe.gt(flat) : probe.ge(flat));
      const moves = t(t(past.logicalNot()).logicalAnd(t(next.le(m))));
      pos = t(next.where(moves, pos));
    }
    return pos.reshape(values.shape);
  });
}

/**
 * Where each of `values` would be inserted into `sorted` (last dim sorted ascending) to keep
 * it sorted: the first such position, or the last with `{ right: true }` (or `side:
 * 'right'`). int32, `values`' shape; a number gives a 0-d result. `sorter` sorts an unsorted
 * `sorted` by index. Function only.
 *
 * @example
 * ```ts
 * tl.searchsorted(tl.tensor([1, 3, 5]), tl.tensor([3, 6]));                  // [1, 3]
 * tl.searchsorted(cdf, tl.rand([32, 1]));                                   // inverse-CDF sampling, per row
 * ```
 */
export function searchsorted(sorted: Tensor, values: Tensor | number, options: SearchsortedOptions = {}): Tensor {
  checkOptionKeys('searchsorted', options, ['right', 'side', 'sorter'], { out_int32: 'indices are always int32', outInt32: 'indices are always int32' });
  if (options.side !== undefined && options.side !== 'left' && options.side !== 'right') {
    throw new Error(`searchsorted: side must be 'left' or 'right', got ${describeValue(options.side)}`);
  }
  const right = options.side ? options.side === 'right' : (options.right ?? false);
  if (options.side && options.right !== undefined && right !== options.right) throw new Error("searchsorted: side and right disagree; give one of them");
  requireTensor('searchsorted', sorted, 'the sorted sequence');
  return owned((own) => {
    const v = typeof values === 'number' ? own(tensor(values, { dtype: scalarDType(values, sorted.dtype), device: sorted.device })) : values;
    return searchsortedOf('searchsorted', sorted, v, right, options.sorter);
  });
}

/** The bucket of each element of `x` among 1-D ascending `boundaries` (torch.bucketize), int32. */
export function bucketize(x: Tensor, boundaries: Tensor, options: { right?: boolean } = {}): Tensor {
  checkOptionKeys('bucketize', options, ['right'], { out_int32: 'indices are always int32', outInt32: 'indices are always int32' });
  requireTensor('bucketize', boundaries, 'boundaries');
  if (boundaries.rank !== 1) throw new Error(`bucketize: boundaries must be 1-D, got ${formatShape(boundaries.shape)}`);
  return searchsortedOf('bucketize', boundaries, x, options.right ?? false);
}

/** Options of {@link unique}: PyTorch's arguments by name. */
export interface UniqueOptions {
  /**
   * Sort the unique values (PyTorch's default). `false` is accepted and leaves the order to
   * the implementation, as in PyTorch: Tensile's comes back sorted either way.
   */
  sorted?: boolean;
  /** Also return where each element (or slice) of `x` went among the unique values. */
  returnInverse?: boolean;
  /** Also return how many times each unique value occurs. */
  returnCounts?: boolean;
  /** Unique slices along this dim (compared lexicographically) instead of unique elements. */
  dim?: number;
}

/** Options of {@link uniqueConsecutive}. */
export type UniqueConsecutiveOptions = Omit<UniqueOptions, 'sorted'>;

export interface UniqueResult {
  values: Tensor;
  /** Shaped as `x`, or `[x.shape[dim]]` with a dim. */
  inverse?: Tensor;
  counts?: Tensor;
}

/** -1, 0 or 1 for two numbers, NaN after every number (and equal to NaN, for ordering only). */
function compareNumbers(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Check unique's or uniqueConsecutive's options against `x` before anything is read; the
 * dim whose slices are grouped (undefined: the elements).
 */
function uniqueAxis(op: string, x: Tensor, options: UniqueOptions, sorts: boolean): number | undefined {
  requireTensor(op, x);
  checkOptionKeys(op, options, sorts ? ['sorted', 'returnInverse', 'returnCounts', 'dim'] : ['returnInverse', 'returnCounts', 'dim'], {
    return_inverse: 'returnInverse', return_counts: 'returnCounts',
  });
  if (options.dim === undefined) return undefined;
  const axis = normalizeDim(options.dim, x.rank, op);
  if (x.rank === 0) throw new Error(`${op}: dim ${options.dim} needs a tensor of rank >= 1, got a 0-d tensor`);
  if (x.size === 0 && x.shape[axis] > 0) {
    throw new Error(`${op}: ${formatShape(x.shape)} has a dim of size 0 other than dim ${options.dim}, so its slices along dim ${options.dim} are empty`);
  }
  return axis;
}

/**
 * What unique and uniqueConsecutive group: `x`'s elements, or its slices along `axis`
 * (read from row-major `data`), with an order (NaN last) and an equality (NaN is never equal).
 */
function itemsOf(x: Tensor, data: ArrayLike<number>, axis: number | undefined) {
  if (axis === undefined) {
    return { count: data.length, compare: (a: number, b: number) => compareNumbers(data[a], data[b]), equal: (a: number, b: number) => data[a] === data[b] };
  }
  const size = x.shape[axis];
  const inner = x.shape.slice(axis + 1).reduce((n, d) => n * d, 1);
  const length = x.size / Math.max(size, 1);
  const at = (j: number, q: number) => Math.floor(q / inner) * size * inner + j * inner + (q % inner);
  return {
    count: size,
    compare: (a: number, b: number) => {
      for (let q = 0; q < length; q++) {
        const c = compareNumbers(data[at(a, q)], data[at(b, q)]);
        if (c !== 0) return c;
      }
      return 0;
    },
    equal: (a: number, b: number) => {
      for (let q = 0; q < length; q++) if (!(data[at(a, q)] === data[at(b, q)])) return false;
      return true;
    },
  };
}

/**
 * Group equal items of `x` (sorted first for unique, in place for uniqueConsecutive) into
 * the result: the first item of each group, where each item went, and the group sizes.
 */
function groupUnique(x: Tensor, data: ArrayLike<number>, axis: number | undefined, options: UniqueOptions, sort: boolean): UniqueResult {
  const items = itemsOf(x, data, axis);
  const order = Array.from({ length: items.count }, (_, i) => i);
  if (sort) order.sort((a, b) => items.compare(a, b) || a - b);
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(items.count);
  for (const i of order) {
    if (firsts.length === 0 || !items.equal(firsts[firsts.length - 1], i)) {
      firsts.push(i);
      counts.push(0);
    }
    counts[counts.length - 1]++;
    inverse[i] = firsts.length - 1;
  }
  const device = x.device;
  let values: Tensor;
  if (axis === undefined) {
    const picked = firsts.map((i) => data[i]);
    values = tensor(x.dtype === 'bool' ? Uint8Array.from(picked) : picked, { dtype: x.dtype, device });
  } else {
    values = owned((t) => indexSelect(x, axis, t(tensor(Int32Array.from(firsts), { dtype: 'int32', device }))));
  }
  const result: UniqueResult = { values };
  if (options.returnInverse) {
    result.inverse = owned((t) => {
      const flat = t(tensor(inverse, { dtype: 'int32', device }));
      return axis === undefined ? flat.reshape(x.shape) : flat.reshape([items.count]);
    });
  }
  if (options.returnCounts) result.counts = tensor(Int32Array.from(counts), { dtype: 'int32', device });
  return result;
}

/**
 * The sorted unique elements of `x` (or unique slices along `dim`), with where each element
 * went (`returnInverse`, shaped as `x`; `[x.shape[dim]]` with a dim) and how often each value
 * occurs (`returnCounts`). NaNs are never equal, so each stays. Asynchronous: the number of
 * values depends on the data. Not differentiable, as in PyTorch.
 *
 * @example
 * ```ts
 * const { values, counts } = await tl.unique(labels, { returnCounts: true });
 * const { values: rows } = await tl.unique(pairs, { dim: 0 }); // unique rows
 * ```
 */
export async function unique(x: Tensor, options: UniqueOptions = {}): Promise<UniqueResult> {
  const axis = uniqueAxis('unique', x, options, true);
  return groupUnique(x, await x.data(), axis, options, true);
}

/** {@link unique} on backends that read synchronously. */
export function uniqueSync(x: Tensor, options: UniqueOptions = {}): UniqueResult {
  const axis = uniqueAxis('unique', x, options, true);
  return groupUnique(x, x.dataSync(), axis, options, true);
}

/**
 * `x` with each run of equal consecutive elements (or slices along `dim`) collapsed to one,
 * as `torch.unique_consecutive`: `{ values, inverse?, counts? }` like {@link unique}, in
 * `x`'s order. Asynchronous, as the length depends on the data.
 *
 * @example
 * ```ts
 * const { values, counts } = await tl.uniqueConsecutive(tl.tensor([1, 1, 2, 2, 3, 1]), { returnCounts: true });
 * // values [1, 2, 3, 1], counts [2, 2, 1, 1]: run-length encoding
 * ```
 */
export async function uniqueConsecutive(x: Tensor, options: UniqueConsecutiveOptions = {}): Promise<UniqueResult> {
  const axis = uniqueAxis('uniqueConsecutive', x, options, false);
  return groupUnique(x, await x.data(), axis, options, false);
}

/** {@link uniqueConsecutive} on backends that read synchronously. */
export function uniqueConsecutiveSync(x: Tensor, options: UniqueConsecutiveOptions = {}): UniqueResult {
  const axis = uniqueAxis('uniqueConsecutive', x, options, false);
  return groupUnique(x, x.dataSync(), axis, options, false);
}
