/**
 * Writing by integer indices: `scatter`, `scatterReduce`, `indexCopy`, `indexPut` and the
 * region writes `sliceScatter`, `selectScatter`, `diagonalScatter`. Each
 * returns a new tensor (values are immutable) and is a composite of differentiable ops, so
 * its gradient is the one autograd derives (PyTorch's, except how ties in amax/amin share it).
 *
 * Sums and means go through the `scatterAdd` kernel, and so do the other reductions where no
 * position receives two values (known at once on backends that read synchronously). Otherwise
 * they compare every index with a block of target positions at a time (a one-hot mask of at
 * most `BLOCK_ELEMENTS` entries), which costs `index.size * x.shape[dim]` comparisons in all.
 */
import { owned } from '../memory.js';
import type { Track } from '../backend/op-table.js';
import { broadcastShapes, formatShape, normalizeDim } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { lineIndex, wrapIndex } from './advanced-indexing.js';
import { arange, full, tensor, zeros } from './creation.js';
import { checkIndex } from './index-checks.js';
import { scatterAdd } from './indexing.js';
import { cat } from './shape.js';
import { movedim } from './rearrange.js';
import { describeValue, deviceOf, isTensor, requireTensor } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';

/** The reductions of {@link scatterReduce}, as PyTorch names them. */
export type ScatterReduction = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
const REDUCTIONS: readonly string[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/** How many one-hot entries one block of target positions may take. */
const BLOCK_ELEMENTS = 1 << 22;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Checks shared by the scatter family; returns `src` cut to `index`'s extent. */
function checkScatter(op: string, x: Tensor, axis: number, index: Tensor, src: Tensor, t: Track): Tensor {
  deviceOf(op, x, index, src);
  if (src.dtype !== x.dtype) throw new TypeError(`${op}: src is ${src.dtype} but the input is ${x.dtype}; cast one`);
  if (src.rank !== x.rank) throw new Error(`${op}: src ${formatShape(src.shape)} must have the rank of the input ${formatShape(x.shape)}`);
  checkIndex(op, x, axis, index, src);
  if (src.shape.every((d, i) => d === index.shape[i])) return src;
  let window = src;
  for (let d = 0; d < src.rank; d++) if (index.shape[d] < src.shape[d]) window = t(window.narrow(d, 0, index.shape[d]));
  return window;
}

/** Pad `v` (shaped like `index` with `axis` grown to the input's size) up to `shape` with `value`. */
function padTo(v: Tensor, shape: readonly number[], value: number, t: Track): Tensor {
  if (v.shape.every((d, i) => d === shape[i])) return v;
  const padding: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) padding.push(0, shape[d] - v.shape[d]);
  return t(v.pad(padding, value));
}

/**
 * For every target position along `axis`: the reduction of the `src` values whose index
 * names it (`identity` where none does), shaped like `index` with `axis` the input's size;
 * 'last' keeps the value at the largest position along `axis`.
 */
function blockReduce(
  reduction: 'prod' | 'amax' | 'amin' | 'last', axis: number, size: number, index: Tensor, src: Tensor, identity: number, t: Track,
): Tensor {
  const block = Math.max(1, Math.min(size, Math.floor(BLOCK_ELEMENTS / Math.max(1, index.size))));
  const rank = index.rank;
  const idx = t(index.unsqueeze(-1));
  const srcE = t(src.unsqueeze(-1));
  let positions: Tensor | null = null;
  if (reduction === 'last') {
    const line = t(t(arange(index.shape[axis], undefined, 1, { device: index.device, dtype: 'int32' })).reshape(index.shape.map((d, i) => (i === axis ? d : 1))));
    positions = t(t(line.expand(index.shape)).unsqueeze(-1));
  }
  const valueBlocks: Tensor[] = [];
  for (let start = 0; start < size; start += block) {
    const n = Math.min(block, size - start);
    const targets = t(t(arange(start, start + n, 1, { device: index.device, dtype: 'int32' })).reshape([...new Array<number>(rank).fill(1), n]));
    const eq = t(idx.eq(targets));
    let reduced: Tensor;
    if (reduction === 'last') {
      const lastPosition = t(t(positions!.where(eq, -1)).amax(axis, true));
      const chosen = t(eq.logicalAnd(t(positions!.eq(lastPosition))));
      reduced = t(t(srcE.where(chosen, 0)).sum(axis));
    } else {
      const masked = t(srcE.where(eq, identity));
      reduced = t(reduction === 'prod' ? masked.prod(axis) : reduction === 'amax' ? masked.amax(axis) : masked.amin(axis));
    }
    valueBlocks.push(t(reduced.movedim(-1, axis)));
  }
  return valueBlocks.length === 1 ? valueBlocks[0] : t(cat(valueBlocks, axis));
}

/** Whether every count is at most 1, when the backend can read it without waiting; false otherwise. */
function atMostOnce(counts: Tensor, t: Track): boolean {
  const read = counts.backend.readSync;
  if (!read) return false;
  const most = t(counts.max());
  return read.call(most.backend, most.kernelView)[0]! <= 1;
}

function scatterReduceOf(
  op: string, x: Tensor, dim: number, index: Tensor, src: Tensor, reduction: ScatterReduction | 'last', includeSelf: boolean,
): Tensor {
  const axis = normalizeDim(dim, x.rank, op);
  return owned((t) => {
    const window = checkScatter(op, x, axis, index, src, t);
    if (index.size === 0) return x.clone();
    if (x.dtype === 'bool') {
      // Bool has no arithmetic: run through int32 and back.
      const r = t(scatterReduceOf(op, t(x.cast('int32')), axis, index, t(window.cast('int32')), reduction, includeSelf));
      return r.cast('bool');
    }
    if (reduction === 'sum' && includeSelf) return scatterAdd(x, axis, index, window);
    // How many values each position receives, through the scatterAdd kernel (which also
    // reports out-of-range indices on GPU backends at the next read).
    const counts = t(scatterAdd(t(zeros(x.shape, { dtype: x.dtype, device: x.device })), axis, index, t(full(index.shape, 1, { dtype: x.dtype, device: x.device }))));
    const hit = t(counts.gt(0));
    if (reduction === 'sum' || reduction === 'mean') {
      const sums = t(scatterAdd(t(zeros(x.shape, { dtype: x.dtype, device: x.device })), axis, index, window));
      if (reduction === 'sum') return sums.where(hit, x);
      const total = includeSelf ? t(sums.add(x)) : sums;
      const n = includeSelf ? t(counts.add(1)) : t(counts.maximum(1));
      const mean = x.dtype === 'int32' ? t(t(t(total.cast('float32')).div(t(n.cast('float32')))).floor()) : t(total.div(n));
      const typed = mean.dtype === x.dtype ? mean : t(mean.cast(x.dtype));
      return typed.where(hit, x);
    }
    const isInt = x.dtype === 'int32';
    const identity = reduction === 'prod' ? 1 : reduction === 'amax' ? (isInt ? INT32_MIN : -Infinity) : reduction === 'amin' ? (isInt ? INT32_MAX : Infinity) : 0;
    // Where no position receives two values (which a backend that reads synchronously tells at
    // once), each value only needs placing: the scatterAdd kernel, instead of the blocks.
    const reduced = atMostOnce(counts, t)
      ? t(scatterAdd(t(zeros(x.shape, { dtype: x.dtype, device: x.device })), axis, index, window))
      : padTo(blockReduce(reduction, axis, x.shape[axis], index, window, identity, t), x.shape, identity, t);
    if (!includeSelf || reduction === 'last') return reduced.where(hit, x);
    const combined = t(reduction === 'prod' ? x.mul(reduced) : reduction === 'amax' ? x.maximum(reduced) : x.minimum(reduced));
    return combined.where(hit, x);
  });
}

/**
 * A copy of `x` with `src` written along `dim` at `index` (int32, `x`'s rank, no larger than
 * `src`): `out[i][index[i][j]] = src[i][j]` for `dim` 1. `src` may be a number. Where indices
 * repeat, the value from the largest position along `dim` is kept (PyTorch leaves it
 * unspecified). PyTorch's deprecated `reduce` argument is refused; use `scatterReduce`.
 *
 * @example
 * ```ts
 * tl.zeros([2, 4]).scatter(1, tl.tensor([[1], [3]], { dtype: 'int32' }), 1); // one-hot rows
 * ```
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number, options: { reduce?: never } = {}): Tensor {
  requireTensor('scatter', x);
  requireTensor('scatter', index, 'index');
  if (options.reduce !== undefined) throw new Error("scatter: the 'reduce' option is deprecated in PyTorch and not supported; use scatterReduce(x, dim, index, src, reduce)");
  if (!isTensor(src) && typeof src !== 'number' && typeof src !== 'boolean') {
    throw new TypeError(`scatter: src must be a tensor or a number, got ${describeValue(src)}`);
  }
  if (!isTensor(src)) {
    return owned((t) => scatterReduceOf('scatter', x, dim, index, t(full(index.shape, Number(src), { dtype: x.dtype, device: x.device })), 'last', false));
  }
  requireTensor('scatter', src, 'src');
  return scatterReduceOf('scatter', x, dim, index, src, 'last', false);
}

/**
 * A copy of `x` with the values of `src` at `index` along `dim` reduced into it: 'sum',
 * 'prod', 'mean', 'amax' or 'amin'. With `includeSelf` (the default) `x`'s value takes part;
 * without it, targeted positions hold the reduction of `src` alone. Int32 means round down.
 *
 * @example
 * ```ts
 * // the largest score per segment
 * tl.full([3], -Infinity).scatterReduce(0, segment, scores, 'amax');
 * ```
 */
export function scatterReduce(
  x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, options: { includeSelf?: boolean } = {},
): Tensor {
  requireTensor('scatterReduce', x);
  requireTensor('scatterReduce', index, 'index');
  requireTensor('scatterReduce', src, 'src');
  if (!REDUCTIONS.includes(reduce)) throw new Error(`scatterReduce: reduce must be one of ${REDUCTIONS.join(', ')}, got ${String(reduce)}`);
  for (const key of Object.keys(options)) if (key !== 'includeSelf') throw new Error(`scatterReduce: unknown option '${key}'`);
  return scatterReduceOf('scatterReduce', x, dim, index, src, reduce, options.includeSelf ?? true);
}

/**
 * A copy of `x` with the slices of `source` written at positions `index` (0-d or 1-D int32)
 * along `dim`; `source` is `x`'s shape with `dim` of the index's length.
 *
 * @example
 * ```ts
 * tl.zeros([5, 3]).indexCopy(0, tl.tensor([0, 4, 2], { dtype: 'int32' }), rows);
 * ```
 */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  if (autocastActive()) return autocasting('indexCopy', [x, dim, index, source], indexCopy);
  requireTensor('indexCopy', x);
  requireTensor('indexCopy', index, 'index');
  requireTensor('indexCopy', source, 'source');
  const axis = normalizeDim(dim, x.rank, 'indexCopy');
  return owned((t) => {
    const src = source.rank === x.rank ? source : t(source.reshape(x.shape.map((d, i) => (i === axis ? index.size : d))));
    const expanded = lineIndex('indexCopy', x, axis, index, src.shape, t);
    return scatterReduceOf('indexCopy', x, axis, expanded, src, 'last', false);
  });
}

/**
 * `x` with `values` put at the elements `indices` pick (as `x.index(...indices)` would, one
 * int32 tensor per leading dim, broadcast together), summed in with `accumulate`. A single
 * bool mask of `x`'s leading shape takes a number or 0-d `values`. Returns a new tensor.
 *
 * @example
 * ```ts
 * tl.indexPut(x, [rows, cols], tl.tensor(0));            // x[rows, cols] = 0
 * tl.indexPut(counts, [labels], tl.ones([n]), true);     // counts[labels] += 1
 * ```
 */
export function indexPut(x: Tensor, indices: readonly Tensor[], values: TensorLike, accumulate = false): Tensor {
  if (autocastActive()) return autocasting('indexPut', [x, indices, values, accumulate], indexPut);
  const op = 'indexPut';
  requireTensor(op, x);
  if (!Array.isArray(indices as unknown) || indices.length === 0) throw new TypeError(`${op}: indices must be a non-empty array of tensors, got ${describeValue(indices)}`);
  indices.forEach((v, i) => requireTensor(op, v, `indices[${i}]`));
  if (indices.length > x.rank) throw new Error(`${op}: ${indices.length} index tensors for an input of rank ${x.rank}`);
  if (typeof accumulate !== 'boolean') throw new TypeError(`${op}: accumulate must be a boolean, got ${describeValue(accumulate)}`);
  return owned((t) => {
    const v = isTensor(values) ? (values.dtype === x.dtype ? values : t(values.cast(x.dtype))) : t(full([], Number(values), { dtype: x.dtype, device: x.device }));
    if (indices.some((i) => i.dtype === 'bool')) {
      const mask = indices[0];
      if (indices.length !== 1) throw new Error(`${op}: a bool mask must be the only index`);
      if (mask.rank > x.rank || mask.shape.some((d, i) => d !== x.shape[i])) {
        throw new Error(`${op}: the mask ${formatShape(mask.shape)} must match the input ${formatShape(x.shape)} in its leading dims`);
      }
      if (v.rank > 0) throw new Error(`${op}: with a bool mask, values must be a number or 0-d tensor (tensor values need the element count: use await x.nonzero())`);
      const m = mask.rank === x.rank ? mask : t(mask.reshape([...mask.shape, ...new Array<number>(x.rank - mask.rank).fill(1)]));
      return accumulate ? t(t(v.where(m, 0)).expand(x.shape)).add(x) : v.where(m, x);
    }
    const k = indices.length;
    let broadcast: readonly number[] = [];
    for (const i of indices) {
      if (i.dtype !== 'int32') throw new TypeError(`${op}: index tensors must be int32 or bool, got ${i.dtype}`);
      broadcast = broadcastShapes(broadcast, i.shape, op);
    }
    // One linear position into the first k dims, flattened.
    let linear: Tensor | null = null;
    let stride = 1;
    for (let d = k - 1; d >= 0; d--) {
      const wrapped = wrapIndex(op, indices[d], x.shape[d], t);
      const term = stride === 1 ? wrapped : t(wrapped.mul(stride));
      linear = linear === null ? t(term.expand(broadcast)) : t(linear.add(term));
      stride *= x.shape[d];
    }
    const rest = x.shape.slice(k);
    const flatX = t(x.reshape([stride, ...rest]));
    const n = broadcast.reduce((a, b) => a * b, 1);
    const flatIndex = t(linear!.reshape([n]));
    const target = [...broadcast, ...rest];
    const vals = t(t(v.expand(target)).reshape([n, ...rest]));
    const flatIndexN = t(t(flatIndex.reshape([n, ...rest.map(() => 1)])).expand([n, ...rest]));
    const written = accumulate
      ? t(scatterAdd(flatX, 0, flatIndexN, vals))
      : t(scatterReduceOf(op, flatX, 0, flatIndexN, vals, 'last', false));
    return written.reshape(x.shape);
  });
}

/**
 * `x` with `src` written at `positions` along `axis` (distinct positions, each hit once, so a
 * masked sum of scatterAdd is the write: O(x.size), and its gradient is autograd's).
 */
function writeAt(op: string, x: Tensor, axis: number, positions: readonly number[], src: Tensor): Tensor {
  return owned((t) => {
    const index = t(tensor(Int32Array.from(positions), { dtype: 'int32', device: x.device }));
    return scatterReduceOf(op, x, axis, lineIndex(op, x, axis, index, src.shape, t), src, 'sum', false);
  });
}

function checkRegionSource(op: string, x: Tensor, src: Tensor, want: readonly number[], region: string): void {
  deviceOf(op, x, src);
  if (src.dtype !== x.dtype) throw new TypeError(`${op}: src is ${src.dtype} but the input is ${x.dtype}; cast one`);
  if (src.rank !== want.length || src.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: src must be ${formatShape(want)} (${region} of the input ${formatShape(x.shape)}), got ${formatShape(src.shape)}`);
  }
}

function checkInteger(op: string, what: string, value: unknown): void {
  if (value !== null && value !== undefined && !Number.isInteger(value)) throw new TypeError(`${op}: ${what} must be an integer, got ${shown(value)}`);
}

/** A number as it is written, anything else described. */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeValue(value);
}

/**
 * A copy of `x` with `src` written into the slice `start:end:step` of `dim` (PyTorch's
 * `slice_scatter`: the out-of-place `x[..., start:end:step] = src`). `start` and `end` are
 * Python slice bounds (negative from the end, clamped, null for the ends); `src` has the
 * slice's shape and `x`'s dtype. Differentiable in both.
 *
 * @example
 * ```ts
 * tl.zeros([4, 3]).sliceScatter(tl.ones([2, 3]), 0, 1, 3); // rows 1 and 2 become ones
 * ```
 */
export function sliceScatter(x: Tensor, src: Tensor, dim = 0, start: number | null = null, end: number | null = null, step = 1): Tensor {
  const op = 'sliceScatter';
  requireTensor(op, x);
  requireTensor(op, src, 'src');
  const axis = normalizeDim(dim, x.rank, op);
  checkInteger(op, 'start', start);
  checkInteger(op, 'end', end);
  if (!Number.isInteger(step) || step < 1) throw new Error(`${op}: step must be a positive integer, got ${shown(step)}`);
  const size = x.shape[axis];
  const bound = (v: number | null, fallback: number) => (v === null || v === undefined ? fallback : Math.min(Math.max(v < 0 ? v + size : v, 0), size));
  const lo = bound(start, 0);
  const hi = bound(end, size);
  const positions: number[] = [];
  for (let i = lo; i < hi; i += step) positions.push(i);
  checkRegionSource(op, x, src, x.shape.map((d, i) => (i === axis ? positions.length : d)), `the slice ${lo}:${hi}:${step} of dim ${axis}`);
  return writeAt(op, x, axis, positions, src);
}

/**
 * A copy of `x` with `src` written at `index` of `dim` (PyTorch's `select_scatter`: the
 * out-of-place `x.select(dim, index) = src`); `src` has `x`'s shape without `dim`.
 *
 * @example
 * ```ts
 * tl.zeros([3, 4]).selectScatter(tl.ones([3]), 1, -1); // the last column becomes ones
 * ```
 */
export function selectScatter(x: Tensor, src: Tensor, dim: number, index: number): Tensor {
  const op = 'selectScatter';
  requireTensor(op, x);
  requireTensor(op, src, 'src');
  const axis = normalizeDim(dim, x.rank, op);
  const size = x.shape[axis];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new Error(`${op}: index ${shown(index)} is out of range for dim ${axis} of size ${size}`);
  }
  checkRegionSource(op, x, src, x.shape.filter((_, i) => i !== axis), `index ${index} of dim ${axis}`);
  return owned((t) => writeAt(op, x, axis, [index < 0 ? index + size : index], t(src.unsqueeze(axis))));
}

/**
 * A copy of `x` with `src` written onto the diagonal `offset` of the plane (`dim1`, `dim2`)
 * (PyTorch's `diagonal_scatter`); `src` has the shape of `x.diagonal(offset, dim1, dim2)`:
 * the other dims, then the diagonal's length.
 *
 * @example
 * ```ts
 * tl.zeros([3, 3]).diagonalScatter(tl.tensor([1, 2, 3])); // diag([1, 2, 3])
 * ```
 */
export function diagonalScatter(x: Tensor, src: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const op = 'diagonalScatter';
  requireTensor(op, x);
  requireTensor(op, src, 'src');
  if (x.rank < 2) throw new Error(`${op}: the input needs at least 2 dims, got ${formatShape(x.shape)}`);
  checkInteger(op, 'offset', offset);
  const d1 = normalizeDim(dim1, x.rank, op);
  const d2 = normalizeDim(dim2, x.rank, op);
  if (d1 === d2) throw new Error(`${op}: dim1 and dim2 must differ, got ${dim1} and ${dim2}`);
  const [rows, cols] = [x.shape[d1], x.shape[d2]];
  const r0 = Math.max(-offset, 0);
  const c0 = Math.max(offset, 0);
  const length = Math.max(0, Math.min(rows - r0, cols - c0));
  const others = x.shape.filter((_, i) => i !== d1 && i !== d2);
  checkRegionSource(op, x, src, [...others, length], `diagonal ${offset} of dims ${d1} and ${d2}`);
  // The plane last and flattened: the diagonal is then the positions (r0 + i) * cols + c0 + i.
  return owned((t) => {
    const plane = t(t(movedim(x, [d1, d2], [-2, -1])).reshape([...others, rows * cols]));
    const positions = Array.from({ length }, (_, i) => (r0 + i) * cols + c0 + i);
    const written = t(t(writeAt(op, plane, plane.rank - 1, positions, src)).reshape([...others, rows, cols]));
    return movedim(written, [-2, -1], [d1, d2]);
  });
}
