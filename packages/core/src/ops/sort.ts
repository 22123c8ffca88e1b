/**
 * Sorting and selection: `sort`, `argsort`, `msort`, `topk`, `kthvalue`, `median`,
 * `nanmedian`, `quantile`, `nanquantile` and `mode`. One kernel of the
 * contract serves them all (`Backend.sort`: the first `k` elements of each row's stable
 * order, with their positions); core moves the sorted dim last for it and puts it back
 * after. The gradient of the values sends each one back to where it came from.
 */
import { recordOp } from '../autograd/engine.js';
import { traceOp, withinOp } from '../autograd/trace.js';
import type { TensorView } from '../backend/contract.js';
import { collapseDims, contiguousStrides, formatShape, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { owned, tidy, type Own } from '../memory.js';
import { cast } from './cast.js';
import { arange, full, zeros } from './creation.js';
import { gather, scatterAdd } from './indexing.js';
import { lerp } from './unary.js';
import { cummax } from './scan.js';
import { where } from './where.js';
import { checkOptionKeys, describeValue, empty, requireTensor, viewOf } from './util.js';

/** What `sort`, `topk`, `kthvalue` return: the values and their int32 positions along the dim. */
export interface SortResult {
  values: Tensor;
  indices: Tensor;
}

/** PyTorch's keyword-only argument of `sort` and `argsort`. */
export interface SortOptions {
  /**
   * Keep equal elements in their order. Tensile's sort is always stable (so every backend
   * gives the same indices), so this only documents intent.
   */
  stable?: boolean;
}

function checkDim(op: string, dim: unknown, rank: number): number {
  if (typeof dim !== 'number') {
    throw new TypeError(`${op}: dim must be a number, got ${describeValue(dim)} (PyTorch's arguments stay positional: see the signature)`);
  }
  return normalizeDim(dim, rank, op);
}

function checkFlag(op: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

function checkSortOptions(op: string, options: SortOptions): void {
  checkOptionKeys(op, options, ['stable']);
  if (options.stable !== undefined) checkFlag(op, 'stable', options.stable);
}

/** A dim's size, a 0-d tensor counting as one element along dim 0. */
function sizeAlong(x: Tensor, axis: number): number {
  return x.rank === 0 ? 1 : x.shape[axis];
}

/**
 * The first `k` elements along `axis` of `x`'s stable order (ascending, or descending), and
 * their int32 positions: both shaped as `x` with `axis` of size `k`. Runs the kernel on a
 * `[rows, n]` view, copying first only when the other dims do not merge into one. Records
 * no gradient; a running trace gets one 'sort' op with both results.
 */
function sortAlong(x: Tensor, axis: number, descending: boolean, k: number): SortResult {
  const result = withinOp(() => sortKernel(x, axis, descending, k));
  traceOp('sort', [x], [result.values, result.indices], { axis, descending, k });
  return result;
}

function sortKernel(x: Tensor, axis: number, descending: boolean, k: number): SortResult {
  const backend = x.backend;
  const n = sizeAlong(x, axis);
  const outShape = x.rank === 0 ? [] : x.shape.map((d, i) => (i === axis ? k : d));
  const lead = x.shape.filter((_, i) => i !== axis);
  const rows = sizeOf(lead);
  if (rows * k === 0) return { values: empty(backend, outShape, x.dtype, 'sort'), indices: empty(backend, outShape, 'int32', 'sort') };
  // Kernels sort numbers: bools go through int32 and come back.
  return owned((own) => {
    const input = x.dtype === 'bool' ? own(cast(x, 'int32')) : x;
    const leadStrides = input.strides.filter((_, i) => i !== axis);
    const axisStride = input.rank === 0 ? 1 : input.strides[axis];
    const merged = collapseDims(lead, [leadStrides]);
    let source: TensorView;
    if (merged.shape.length <= 1) {
      const rowStride = merged.shape.length === 1 ? merged.strides[0][0] : 0;
      source = { ...input.kernelView, shape: [rows, n], strides: [rowStride, axisStride] };
    } else {
      const packed = own(empty(backend, [...lead, n], input.dtype, 'sort'));
      backend.copy({ ...input.kernelView, shape: [...lead, n], strides: [...leadStrides, axisStride] }, packed.kernelView);
      source = { ...packed.kernelView, shape: [rows, n], strides: [n, 1] };
    }
    const values = own(empty(backend, [rows, k], input.dtype, 'sort'));
    const indices = own(empty(backend, [rows, k], 'int32', 'sort'));
    backend.sort(source, descending, values.kernelView, indices.kernelView);
    // [rows, k] is [...lead, k] row-major: put the k dim back at `axis`, as a view.
    const packedStrides = contiguousStrides([...lead, k]);
    const strides = outShape.map((_, i) => (i === axis ? 1 : packedStrides[i < axis ? i : i - 1]));
    const place = (t: Tensor): Tensor => own(viewOf(t, outShape, strides, 0)); // returned views are kept
    const placedValues = place(values);
    if (x.dtype !== 'bool') return { values: placedValues, indices: place(indices) };
    return { values: own(cast(placedValues, 'bool')), indices: place(indices) };
  });
}

/**
 * Record the gradient of `result.values` (taken from `x` along `axis` at `result.indices`):
 * each value's gradient goes back to its position, zeros elsewhere. `squeezed` values (and
 * indices) lost the dim, as `kthvalue` without `keepdim` does.
 */
function recordSelection(op: string, x: Tensor, axis: number, result: SortResult, squeezed = false): SortResult {
  const shape = x.shape;
  const dtype = x.dtype;
  recordOp(op, [x], result.values, [result.indices], (g, [idx]) => {
    if (shape.length === 0) return [g.internalAlias(false)];
    return owned((own) => {
      const gLine = squeezed ? own(g.unsqueeze(axis)) : g;
      const idxLine = squeezed ? own(idx.unsqueeze(axis)) : idx;
      return [scatterAdd(own(zeros(shape, { device: g.device, dtype })), axis, idxLine, gLine)];
    });
  }, { reported: true }); // a trace follows the sort and the ops that picked from it
  return result;
}

/** `f` of `r`'s values and of its indices; `r`'s tensors (and what `f` owns) are freed, also when `f` throws. */
function mapResult(r: SortResult, f: (t: Tensor, own: Own) => Tensor): SortResult {
  return owned((own) => {
    own(r.values);
    own(r.indices);
    return { values: f(r.values, own), indices: f(r.indices, own) };
  });
}

/**
 * Sort along `dim` (default the last), ascending unless `descending`: `{ values, indices }`,
 * with `indices` (int32) each value's position along `dim`. NaN sorts as the largest value;
 * equal elements keep their order (always stable, `{ stable: true }` or not). The gradient
 * flows to the values' positions.
 *
 * @example
 * ```ts
 * const { values, indices } = tl.sort(tl.tensor([3, 1, 2]));      // [1, 2, 3], [1, 2, 0]
 * tl.sort(scores, -1, true).indices;                              // ranking, best first
 * ```
 */
export function sort(x: Tensor, dim = -1, descending = false, options: SortOptions = {}): SortResult {
  requireTensor('sort', x);
  const axis = checkDim('sort', dim, x.rank);
  checkFlag('sort', 'descending', descending);
  checkSortOptions('sort', options);
  return recordSelection('sort', x, axis, sortAlong(x, axis, descending, sizeAlong(x, axis)));
}

/**
 * The indices (int32) that sort `x` along `dim`: `sort(x, dim, descending).indices`.
 *
 * @example
 * ```ts
 * tl.argsort(tl.tensor([[3, 1, 2]]), -1, true); // [[0, 2, 1]]
 * ```
 */
export function argsort(x: Tensor, dim = -1, descending = false, options: SortOptions = {}): Tensor {
  requireTensor('argsort', x);
  const axis = checkDim('argsort', dim, x.rank);
  checkFlag('argsort', 'descending', descending);
  checkSortOptions('argsort', options);
  const { values, indices } = sortAlong(x, axis, descending, sizeAlong(x, axis));
  values.dispose();
  return indices;
}

/**
 * `x` sorted ascending along its first dim (the values of `sort(x, 0)`).
 *
 * @example
 * ```ts
 * tl.msort(tl.tensor([[3, 1], [2, 4]])); // [[2, 1], [3, 4]]
 * ```
 */
export function msort(x: Tensor): Tensor {
  requireTensor('msort', x);
  const { values, indices } = sort(x, 0);
  indices.dispose();
  return values;
}

function checkCount(op: string, k: unknown, lo: number, x: Tensor, dim: number, axis: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k)) throw new TypeError(`${op}: k must be an integer, got ${describeValue(k)}`);
  const n = sizeAlong(x, axis);
  if (k < lo || k > n) {
    throw new RangeError(`${op}: k ${k} is out of range for dim ${dim} of ${formatShape(x.shape)} ${x.dtype} (size ${n}; k must be ${lo}..${n})`);
  }
  return k;
}

/**
 * The `k` largest elements along `dim` (the smallest with `largest` false), best first:
 * `{ values, indices }`, `indices` (int32) each one's position along `dim`. NaN counts as
 * the largest value; among equal values the earlier position comes first. `sorted` false
 * is accepted: the values come back in order anyway.
 *
 * @example
 * ```ts
 * const { values, indices } = logits.topk(50); // the 50 best tokens of each row, for sampling
 * ```
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): SortResult {
  requireTensor('topk', x);
  const axis = checkDim('topk', dim, x.rank);
  checkCount('topk', k, 0, x, dim, axis);
  checkFlag('topk', 'largest', largest);
  checkFlag('topk', 'sorted', sorted);
  return recordSelection('topk', x, axis, sortAlong(x, axis, largest, k));
}

/**
 * The `k`-th smallest element (k from 1) along `dim`, and its position: `{ values, indices }`
 * shaped as `x` without `dim` (kept with size 1 when `keepdim`).
 *
 * @example
 * ```ts
 * tl.kthvalue(tl.tensor([4, 1, 3, 2]), 2); // { values: 2, indices: 3 }
 * ```
 */
export function kthvalue(x: Tensor, k: number, dim = -1, keepdim = false): SortResult {
  requireTensor('kthvalue', x);
  const axis = checkDim('kthvalue', dim, x.rank);
  checkCount('kthvalue', k, 1, x, dim, axis);
  checkFlag('kthvalue', 'keepdim', keepdim);
  const first = sortAlong(x, axis, false, k);
  if (x.rank === 0) return recordSelection('kthvalue', x, axis, first);
  const kth = mapResult(first, (t, own) => (keepdim ? t.narrow(axis, k - 1, 1) : own(t.narrow(axis, k - 1, 1)).squeeze(axis)));
  return recordSelection('kthvalue', x, axis, kth, !keepdim);
}

/**
 * The median of each line along `axis` (kept with size 1): the lower middle value, NaN
 * propagating (`median`: a line with NaN gives its first NaN) or skipped (`nanmedian`: the
 * lower middle of the line's other values). Records nothing.
 */
function medianAlong(op: string, x: Tensor, axis: number, ignoreNaN: boolean): SortResult {
  const n = sizeAlong(x, axis);
  if (n === 0) throw new Error(`${op}: cannot take the median of an empty dim (input ${formatShape(x.shape)})`);
  if (x.rank === 0) return sortAlong(x, axis, false, 1);
  const middle = Math.floor((n - 1) / 2);
  if (x.dtype === 'int32') {
    // No NaN: the lower middle is a selection of the first middle + 1.
    return mapResult(sortAlong(x, axis, false, middle + 1), (t) => t.narrow(axis, middle, 1));
  }
  return tidy(() => {
    // NaN sorts last, so each line ends with its `nans` NaNs.
    const sorted = sortAlong(x, axis, false, n);
    const nans = sorted.values.isnan().sum(axis, true).int();
    const position = ignoreNaN
      ? nans.neg().add(n - 1).maximum(0).float().div(2).floor().int()
      : where(nans.gt(0), nans.neg().add(n), middle);
    return { values: gather(sorted.values, axis, position), indices: gather(sorted.indices, axis, position) };
  });
}

function medianOp(op: string, ignoreNaN: boolean, x: Tensor, dim: number | undefined, keepdim: boolean): Tensor | SortResult {
  requireTensor(op, x);
  if (x.dtype === 'bool') throw new TypeError(`${op}: bool tensors have no median (as PyTorch); cast to int32 first`);
  checkFlag(op, 'keepdim', keepdim);
  if (dim === undefined) {
    // Of all elements: a 0-d value, NaN for an empty float tensor (as PyTorch).
    if (x.size === 0) {
      if (x.dtype === 'int32') throw new Error(`${op}: cannot take the median of an empty int32 tensor ${formatShape(x.shape)}`);
      return full([], NaN, { dtype: x.dtype, device: x.device });
    }
    return tidy(() => (medianOp(op, ignoreNaN, x.reshape([x.size]), 0, false) as SortResult).values);
  }
  const axis = checkDim(op, dim, x.rank);
  const line = medianAlong(op, x, axis, ignoreNaN);
  if (keepdim || x.rank === 0) return recordSelection(op, x, axis, line);
  return recordSelection(op, x, axis, mapResult(line, (t) => t.squeeze(axis)), true);
}

/**
 * The median of `x`: of all elements (a 0-d tensor), or along `dim` with its int32 position
 * (`{ values, indices }`, the dim dropped unless `keepdim`). For an even count it is the lower
 * of the two middle values, as PyTorch; a NaN in a line makes that line's median NaN.
 *
 * @example
 * ```ts
 * tl.tensor([3, 1, 4, 2]).median();            // 2
 * const { values, indices } = x.median(1);     // per row
 * ```
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number, keepdim?: boolean): SortResult;
export function median(x: Tensor, dim?: number, keepdim = false): Tensor | SortResult {
  return medianOp('median', false, x, dim, keepdim);
}

/**
 * {@link median} skipping NaN: the lower middle of each line's other values (NaN where a line
 * holds only NaN).
 *
 * @example
 * ```ts
 * tl.tensor([NaN, 3, 1, 2]).nanmedian(); // 2
 * ```
 */
export function nanmedian(x: Tensor): Tensor;
export function nanmedian(x: Tensor, dim: number, keepdim?: boolean): SortResult;
export function nanmedian(x: Tensor, dim?: number, keepdim = false): Tensor | SortResult {
  return medianOp('nanmedian', true, x, dim, keepdim);
}

/**
 * The most frequent value along `dim` (default the last) and its int32 position:
 * `{ values, indices }`, the dim dropped unless `keepdim`. Among equally frequent values the
 * smallest wins, and the index is that value's last position, as PyTorch on the CPU. Each NaN
 * counts as its own value. The gradient flows to the chosen position.
 *
 * @example
 * ```ts
 * tl.mode(tl.tensor([[1, 2, 2, 3], [5, 5, 4, 4]]), 1); // values [2, 4], indices [2, 3]
 * ```
 */
export function mode(x: Tensor, dim = -1, keepdim = false): SortResult {
  requireTensor('mode', x);
  const axis = checkDim('mode', dim, x.rank);
  checkFlag('mode', 'keepdim', keepdim);
  const n = sizeAlong(x, axis);
  if (n === 0) throw new Error(`mode: cannot take the mode of an empty dim (input ${formatShape(x.shape)})`);
  if (x.rank === 0) return recordSelection('mode', x, axis, sortAlong(x, axis, false, 1));
  const line = tidy(() => {
    // In the stable ascending order equal values form runs, each ending at the value's last
    // position. A run's length so far is i - (its start) + 1, the start being the running
    // maximum of the positions where a new value begins; the first place the longest length
    // is reached ends the smallest of the most frequent values.
    const sorted = sortAlong(x, axis, false, n);
    const at = arange(n, undefined, 1, { device: x.device, dtype: 'int32' }).reshape(x.shape.map((d, i) => (i === axis ? n : 1)));
    // Position 0 always begins a run: its `at` is 0 whatever it is compared with.
    const continues = sorted.values.eq(sorted.values.roll(1, axis));
    const start = cummax(where(continues, 0, at), axis).values;
    const position = at.sub(start).argmax(axis, true);
    return { values: gather(sorted.values, axis, position), indices: gather(sorted.indices, axis, position) };
  });
  if (keepdim) return recordSelection('mode', x, axis, line);
  return recordSelection('mode', x, axis, mapResult(line, (t) => t.squeeze(axis)), true);
}

/** How `quantile` picks between the two values around a quantile's position. */
export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest';

/** PyTorch's keyword-only argument of `quantile` and `nanquantile`. */
export interface QuantileOptions {
  /** Default `'linear'`; `'nearest'` rounds a position halfway between two to the even one, as PyTorch. */
  interpolation?: QuantileInterpolation;
}

const INTERPOLATIONS: readonly QuantileInterpolation[] = ['linear', 'lower', 'higher', 'midpoint', 'nearest'];

function quantileOp(op: string, ignoreNaN: boolean, x: Tensor, q: number | Tensor, dim: number | null | undefined, keepdim: boolean, options: QuantileOptions): Tensor {
  requireTensor(op, x);
  if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new TypeError(`${op}: input must be float32 or float16, got ${x.dtype} (as PyTorch); cast with .float()`);
  checkFlag(op, 'keepdim', keepdim);
  checkOptionKeys(op, options, ['interpolation']);
  const interpolation = options.interpolation ?? 'linear';
  if (!INTERPOLATIONS.includes(interpolation)) throw new Error(`${op}: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got ${describeValue(interpolation)}`);
  if (x.size === 0) throw new Error(`${op}: the input must be non-empty, got ${formatShape(x.shape)}`);
  const axis = dim === undefined || dim === null ? null : checkDim(op, dim, x.rank);
  let scalarQ: boolean;
  if (typeof q === 'number') {
    if (!(q >= 0 && q <= 1)) throw new Error(`${op}: q must be in [0, 1], got ${q}`);
    scalarQ = true;
  } else {
    requireTensor(op, q, 'q');
    if (q.rank > 1) throw new Error(`${op}: q must be a number, a 0-d or a 1-D tensor, got ${formatShape(q.shape)}`);
    if (q.dtype !== x.dtype) throw new TypeError(`${op}: q must have the input's dtype ${x.dtype}, got ${q.dtype}`);
    if (q.device !== x.device) throw new Error(`${op}: q is on '${q.device}' but the input is on '${x.device}'`);
    // A q outside [0, 1] is an error where values read synchronously; on GPU backends its quantile is NaN.
    const bad = firstOutside(q);
    if (bad !== null) throw new Error(`${op}: q must be in [0, 1], got ${bad}`);
    scalarQ = q.rank === 0;
  }
  return owned((t) => {
    // Lines along the last dim: [..., n], sorted (NaN last).
    const lines = axis === null ? t(x.reshape([x.size])) : x.rank === 0 ? t(x.reshape([1])) : t(x.movedim(axis, -1));
    const n = lines.shape[lines.rank - 1];
    const order = sort(lines, -1);
    t(order.indices);
    const sorted = t(order.values);
    const given = typeof q === 'number' ? t(full([1], q, { device: x.device })) : t(t(q.reshape([-1])).float());
    // Where q could not be read, compute on q clamped into [0, 1] (no gather out of bounds) and put NaN after.
    const unread = typeof q !== 'number' && !q.backend.readSync;
    const qs = unread ? t(given.clamp(0, 1)) : given;
    const isNan = t(sorted.isnan());
    // Each quantile's position among a line's values: q (count - 1), count skipping NaN for
    // nanquantile; a line with NaN points at its last value (NaN) for quantile.
    let ranks: Tensor;
    if (ignoreNaN) {
      const count = t(t(t(t(isNan.logicalNot()).sum(-1, true)).float()).sub(1));
      ranks = t(t(count.mul(qs)).maximum(0));
    } else {
      ranks = t(where(t(isNan.any(-1, true)), n - 1, t(qs.mul(n - 1))));
    }
    if (interpolation === 'lower') ranks = t(ranks.floor());
    else if (interpolation === 'higher') ranks = t(ranks.ceil());
    else if (interpolation === 'nearest') ranks = t(ranks.round());
    const below = t(ranks.floor());
    const ranksShape = [...sorted.shape.slice(0, -1), ranks.shape[ranks.rank - 1]];
    const at = (position: Tensor) => t(gather(sorted, -1, t(t(position.int()).expand(ranksShape))));
    let values = at(below);
    if (interpolation === 'linear' || interpolation === 'midpoint') {
      const weights = interpolation === 'midpoint' ? 0.5 : t(cast(t(t(ranks.sub(below)).expand(ranksShape)), x.dtype));
      values = t(lerp(values, at(t(ranks.ceil())), weights));
    }
    if (unread) {
      const outside = t(t(given.ne(qs)).expand(ranksShape));
      values = t(where(outside, NaN, values));
    }
    // [..., Q] → [Q, ...], the reduced dim kept as 1 where asked, Q dropped for a scalar q.
    let out = t(values.movedim(-1, 0));
    if (keepdim) {
      if (axis === null) out = t(out.reshape([out.shape[0], ...x.shape.map(() => 1)]));
      else if (x.rank > 0) out = t(out.unsqueeze(axis + 1));
    } else if (axis === null || x.rank === 0) {
      out = t(out.reshape([out.shape[0]]));
    }
    return scalarQ ? out.select(0, 0) : out.contiguous();
  });
}

/** The first value of `q` outside [0, 1] where it reads synchronously, else null. */
function firstOutside(q: Tensor): number | null {
  const read = q.backend.readSync;
  if (!read || q.size === 0) return null;
  const values = read.call(q.backend, q.kernelView) as ArrayLike<number>;
  for (let i = 0; i < values.length; i++) if (!(values[i] >= 0 && values[i] <= 1)) return values[i];
  return null;
}

/**
 * The `q`-quantiles of `x` along `dim` (of all elements when `dim` is null or omitted), as
 * torch.quantile: `q` a number, a 0-d tensor or a 1-D tensor in [0, 1]; a 1-D `q` puts its
 * quantiles in a new first dim. Between the two values around a position `q·(n - 1)` of the
 * sorted line, `interpolation` chooses (linear by default). A line holding NaN gives NaN
 * (see {@link nanquantile}). The gradient flows to the values chosen.
 *
 * @example
 * ```ts
 * tl.quantile(tl.tensor([1, 2, 3, 4]), 0.5);                              // 2.5
 * tl.quantile(x, tl.tensor([0.25, 0.75]), 1, false, { interpolation: 'nearest' }); // [2, rows]
 * ```
 */
export function quantile(x: Tensor, q: number | Tensor, dim: number | null = null, keepdim = false, options: QuantileOptions = {}): Tensor {
  return quantileOp('quantile', false, x, q, dim, keepdim, options);
}

/**
 * {@link quantile} skipping NaN: the quantiles of each line's other values (NaN where a line
 * holds only NaN), as torch.nanquantile.
 *
 * @example
 * ```ts
 * tl.nanquantile(tl.tensor([1, NaN, 3]), 0.5); // 2
 * ```
 */
export function nanquantile(x: Tensor, q: number | Tensor, dim: number | null = null, keepdim = false, options: QuantileOptions = {}): Tensor {
  return quantileOp('nanquantile', true, x, q, dim, keepdim, options);
}
