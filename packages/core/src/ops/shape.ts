/**
 * Shape ops. Most are views: they share storage and only change shape, strides and offset.
 * Each records a gradient that undoes it.
 */
import { recordOp } from '../autograd/engine.js';
import { owned } from '../memory.js';
import { promoteTypes } from '../dtype.js';
import { contiguousStrides, formatShape, isContiguous, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { contiguous } from './cast.js';
import { full, zeros } from './creation.js';
import { advancedIndex } from './advanced-indexing.js';
import { describeValue, deviceOf, empty, isTensor, requireTensor, viewOf } from './util.js';
import { expandView } from './views.js';
import { autocastActive, autocasting } from '../autocast.js';

function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array, got ${JSON.stringify(shape)}`);
  const inferred = shape.indexOf(-1);
  if (shape.lastIndexOf(-1) !== inferred) throw new Error(`${op}: only one dim can be -1, got ${formatShape(shape)}`);
  const known = shape.reduce((n, d, i) => (i === inferred ? n : n * d), 1);
  const out = [...shape];
  if (inferred >= 0) {
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`${op}: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}`);
    }
    out[inferred] = x.size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== x.size) {
    throw new Error(`${op}: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}`);
  }
  return out;
}

function reshapeView(op: string, x: Tensor, shape: number[]): Tensor {
  const out = viewOf(x, shape, contiguousStrides(shape), x.offset);
  const original = x.shape;
  return recordOp(op, [x], out, [], (g) => [g.reshape(original)]);
}

/**
 * The same elements in a new shape; one dim may be -1. A view when `x` is contiguous,
 * otherwise a copy.
 *
 * @example
 * ```ts
 * tl.arange(6).reshape([2, -1]); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', x, shape);
  if (x.isContiguous) return reshapeView('reshape', x, target);
  return owned((own) => reshapeView('reshape', own(contiguous(x)), target));
}

/** Like `reshape`, but always a view: throws for a non-contiguous tensor. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('view', x, shape);
  if (!isContiguous(x.shape, x.strides)) {
    throw new Error(`view: tensor ${formatShape(x.shape)} is not contiguous; use reshape() or call contiguous() first`);
  }
  return reshapeView('view', x, target);
}

/**
 * Reorder dims: output dim i is input dim `dims[i]`. A view.
 *
 * @example
 * ```ts
 * x.permute([0, 2, 1]);
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (!Array.isArray(dims)) throw new TypeError(`permute: dims must be an array, e.g. x.permute([1, 0]), got ${describeValue(dims)}`);
  if (dims.length !== x.rank) {
    throw new Error(`permute: got ${dims.length} dims ${formatShape(dims)} for a tensor of rank ${x.rank}`);
  }
  const axes = dims.map((d) => normalizeDim(d, x.rank, 'permute'));
  if (new Set(axes).size !== axes.length) throw new Error(`permute: dims ${formatShape(dims)} repeat a dim`);
  const out = viewOf(x, axes.map((a) => x.shape[a]), axes.map((a) => x.strides[a]), x.offset);
  const inverse = new Array<number>(axes.length);
  axes.forEach((a, i) => (inverse[a] = i));
  return recordOp('permute', [x], out, [], (g) => [g.permute(inverse)], { attrs: { perm: axes } });
}

/** Swap two dims. A view. @example `x.transpose(0, 1)` */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const dims = Array.from({ length: x.rank }, (_, i) => i);
  if (x.rank === 0) {
    normalizeDim(dim0, 0, 'transpose');
    normalizeDim(dim1, 0, 'transpose');
    return permute(x, []);
  }
  const a = normalizeDim(dim0, x.rank, 'transpose');
  const b = normalizeDim(dim1, x.rank, 'transpose');
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/** Remove dims of size 1 (all of them, or those named). A view. */
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const named =
    dim === undefined
      ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim(d, x.rank, 'squeeze'));
  const drop = new Set(named.filter((i) => x.shape[i] === 1));
  const shape = x.shape.filter((_, i) => !drop.has(i));
  const strides = x.strides.filter((_, i) => !drop.has(i));
  const out = viewOf(x, shape, strides, x.offset);
  const original = x.shape;
  return recordOp('squeeze', [x], out, [], (g) => [g.reshape(original)], { attrs: { dims: [...drop].sort((a, b) => a - b) } });
}

/** Insert a dim of size 1 at `dim` (-1 appends). A view. @example `x.unsqueeze(0)` */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const at = normalizeDim(dim, x.rank + 1, 'unsqueeze');
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(at, 0, 1);
  strides.splice(at, 0, at < x.rank ? x.strides[at] * x.shape[at] : 1);
  const out = viewOf(x, shape, strides, x.offset);
  const original = x.shape;
  return recordOp('unsqueeze', [x], out, [], (g) => [g.reshape(original)], { attrs: { dim: at } });
}

/**
 * Broadcast to a larger shape without copying (stride 0); -1 keeps a dim.
 *
 * @example
 * ```ts
 * tl.tensor([1, 2, 3]).expand([4, 3]);
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return expandView('expand', x, shape);
}

/** Merge dims `startDim`..`endDim` into one. @example `x.flatten(1)` */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.rank, 'flatten');
  const e = normalizeDim(endDim, x.rank, 'flatten');
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = x.shape.slice(s, e + 1).reduce((n, d) => n * d, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/**
 * Elements `start`, `start + step`, ... before `end` along `dim`. A view; the gradient
 * scatters back into zeros. Used by `narrow`, `select` and `index`.
 */
export function slice(x: Tensor, dim: number, start: number, end: number, step = 1): Tensor {
  const axis = normalizeDim(dim, x.rank, 'slice');
  const size = x.shape[axis];
  if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const from = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
  const to = Math.min(Math.max(end < 0 ? end + size : end, from), size);
  const length = Math.ceil((to - from) / step);
  const shape = [...x.shape];
  shape[axis] = length;
  const strides = [...x.strides];
  strides[axis] *= step;
  const out = viewOf(x, shape, strides, x.offset + from * x.strides[axis]);
  const original = x.shape;
  return recordOp('slice', [x], out, [], (g) => [sliceBackward(g, original, axis, from, step)], { attrs: { axis, start: from, end: to, step } });
}

/** Zeros of `shape` with `g` written into the slice (the adjoint of `slice`). */
function sliceBackward(g: Tensor, shape: readonly number[], axis: number, from: number, step: number): Tensor {
  const out = zeros(shape, { device: g.device, dtype: g.dtype });
  const strides = contiguousStrides(shape);
  const window = {
    ...out.kernelView,
    shape: g.shape,
    strides: strides.map((s, i) => (i === axis ? s * step : s)),
    offset: from * strides[axis],
  };
  out.backend.copy(g.kernelView, window);
  return recordOp('sliceBackward', [g], out, [], (gg) => [slice(gg, axis, from, from + step * g.shape[axis], step)]);
}

/**
 * `length` elements from `start` along `dim`. A view.
 *
 * @example
 * ```ts
 * x.narrow(1, 0, 2);
 * ```
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const axis = normalizeDim(dim, x.rank, 'narrow');
  const size = x.shape[axis];
  const from = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0 || from < 0 || from + length > size) {
    throw new RangeError(`narrow: start ${start} and length ${length} do not fit dim ${dim} of size ${size}`);
  }
  return slice(x, axis, from, from + length);
}

/** The slice at `index` along `dim`, with that dim removed. A view. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const axis = normalizeDim(dim, x.rank, 'select');
  const size = x.shape[axis];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`select: index ${index} is out of range for dim ${dim} of size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  return owned((own) => squeeze(own(slice(x, axis, i, i + 1)), axis));
}

/**
 * One basic entry of `index(...)`: a number selects, `[start, end?, step?]` slices, null keeps
 * the dim, 'newaxis' inserts one. (Tensors index too: see `index`.)
 */
export type IndexSpec = number | readonly [number?, number?, number?] | null | 'newaxis';

/**
 * NumPy-style indexing. `x.index(0, [1, 3], null)` is PyTorch's `x[0, 1:3, :]`;
 * `[start, end, step]` may leave out `end` (to the end) and `step` (1). int32 tensors index
 * as PyTorch's advanced indexing (`x.index(rows, cols)` is `x[rows, cols]`); bool masks need
 * `await x.indexAsync(...)` or `x.indexSync(...)`, since their result's size depends on the values.
 *
 * @example
 * ```ts
 * x.index(null, [0, null, 2]); // x[:, ::2]
 * ```
 */
export function index(x: Tensor, ...specs: (IndexSpec | Tensor)[]): Tensor {
  if (specs.some(isTensor)) return advancedIndex(x, specs, basicIndex);
  return basicIndex(x, ...(specs as IndexSpec[]));
}

/** Indexing by numbers, slices, null and 'newaxis': views only. */
function basicIndex(x: Tensor, ...specs: IndexSpec[]): Tensor {
  // Each step's view is owned: the last is the result, the partial ones are freed (also when
  // an index is out of range: a failed index leaves nothing behind).
  return owned((own) => {
    let current = own(x.internalAlias(false));
    let axis = 0;
    const consumed = specs.filter((s) => s !== 'newaxis').length;
    if (consumed > x.rank) throw new Error(`index: ${consumed} indices for a tensor of rank ${x.rank}`);
    for (const spec of specs) {
      let next: Tensor;
      if (spec === 'newaxis') {
        next = unsqueeze(current, axis);
        axis++;
      } else if (spec === null) {
        axis++;
        continue;
      } else if (typeof spec === 'number') {
        next = select(current, axis, spec);
      } else {
        const [start = 0, end = current.shape[axis], step = 1] = spec;
        next = slice(current, axis, start ?? 0, end ?? current.shape[axis], step ?? 1);
        axis++;
      }
      current.dispose();
      current = own(next);
    }
    return current;
  });
}

/** `cat` and `stack` take one array of tensors (`tl.cat([a, b])`), never the tensors spread. */
function requireTensorList(op: string, tensors: unknown): void {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected an array of tensors, e.g. tl.${op}([a, b], dim), got ${isTensor(tensors) ? 'a tensor' : describeValue(tensors)}`);
  tensors.forEach((t, i) => requireTensor(op, t, `tensor ${i}`));
}

/**
 * Join tensors along an existing dim. Dtypes promote; devices must match.
 *
 * @example
 * ```ts
 * tl.cat([a, b], 0);
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (autocastActive()) return autocasting('cat', [tensors, dim], cat);
  requireTensorList('cat', tensors);
  if (tensors.length === 0) throw new Error('cat: expected a non-empty list of tensors');
  const backend = deviceOf('cat', ...tensors);
  const first = tensors[0];
  const axis = normalizeDim(dim, first.rank, 'cat');
  const shape = [...first.shape];
  let total = 0;
  for (const [i, t] of tensors.entries()) {
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== axis && d !== first.shape[j])) {
      throw new Error(`cat: tensor ${i} has shape ${formatShape(t.shape)}, which does not match ${formatShape(first.shape)} outside dim ${axis}`);
    }
    total += t.shape[axis];
  }
  shape[axis] = total;
  const dtype = tensors.reduce((d, t) => promoteTypes(d, t.dtype), tensors[0].dtype);
  return owned((own) => {
    const out = own(empty(backend, shape, dtype, 'cat'));
    const strides = contiguousStrides(shape);
    let at = 0;
    const starts: number[] = [];
    for (const t of tensors) {
      starts.push(at);
      if (t.size > 0) {
        const source = t.dtype === dtype ? t : own(t.cast(dtype));
        backend.copy(source.kernelView, { ...out.kernelView, shape: t.shape, strides, offset: at * strides[axis] });
      }
      at += t.shape[axis];
    }
    const sizes = tensors.map((t) => t.shape[axis]);
    return recordOp('cat', tensors, out, [], (g, _saved, needs) =>
      sizes.map((size, i) => (needs[i] ? narrow(g, axis, starts[i], size) : null)),
    { attrs: { dim: axis } });
  });
}

/** Join tensors of one shape along a new dim. @example `tl.stack([a, b], 0)` */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (autocastActive()) return autocasting('stack', [tensors, dim], stack);
  requireTensorList('stack', tensors);
  if (tensors.length === 0) throw new Error('stack: expected a non-empty list of tensors');
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (t.rank !== first.rank || t.shape.some((d, j) => d !== first.shape[j])) {
      throw new Error(`stack: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has ${formatShape(first.shape)}`);
    }
  });
  const axis = normalizeDim(dim, first.rank + 1, 'stack');
  return owned((own) => cat(tensors.map((t) => own(unsqueeze(t, axis))), axis));
}

/**
 * Split into pieces along `dim`: of `splitSize` each (the last may be smaller), or of the
 * listed sizes. Views.
 */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const axis = normalizeDim(dim, x.rank, 'split');
  const size = x.shape[axis];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new Error(`split: splitSize must be a positive integer, got ${splitSize}`);
    sizes = [];
    for (let at = 0; at < size; at += splitSize) sizes.push(Math.min(splitSize, size - at));
    if (size === 0) sizes = [0];
  } else {
    sizes = [...splitSize];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size) throw new Error(`split: sizes ${formatShape(sizes)} add up to ${total}, but dim ${dim} has size ${size}`);
  }
  let at = 0;
  return sizes.map((n) => {
    const piece = narrow(x, axis, at, n);
    at += n;
    return piece;
  });
}

/** Split into `chunks` nearly equal pieces along `dim`, as PyTorch's `chunk`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const axis = normalizeDim(dim, x.rank, 'chunk');
  return split(x, Math.max(1, Math.ceil(x.shape[axis] / chunks)), axis);
}

/**
 * Pad with a constant, PyTorch's `F.pad` order: `[left, right]` for the last dim, then
 * `[top, bottom]` for the one before, and so on. Negative amounts crop.
 *
 * @example
 * ```ts
 * tl.pad(images, [1, 1, 1, 1]); // one pixel of zeros around H and W
 * ```
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (typeof value !== 'number') {
    throw new TypeError(
      `pad: value must be a number, got ${typeof value === 'string' ? `the string '${value}'` : typeof value}; ` +
        `tl.pad(x, padding, value) pads with a constant. For PyTorch's F.pad(x, pad, mode, value) with the ` +
        `'reflect', 'replicate' and 'circular' modes, use functional.pad from @tensile/nn`,
    );
  }
  if (padding.length % 2 !== 0 || padding.length / 2 > x.rank || !padding.every(Number.isInteger)) {
    throw new Error(`pad: padding must hold integer pairs for at most ${x.rank} dims, got ${JSON.stringify(padding)}`);
  }
  const before = new Array<number>(x.rank).fill(0);
  const after = new Array<number>(x.rank).fill(0);
  for (let p = 0; p < padding.length / 2; p++) {
    before[x.rank - 1 - p] = padding[2 * p];
    after[x.rank - 1 - p] = padding[2 * p + 1];
  }
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  if (shape.some((d) => d < 0)) throw new Error(`pad: padding ${JSON.stringify(padding)} crops ${formatShape(x.shape)} below zero`);
  // The filled output first (a failed allocation then leaves nothing behind); crop the input
  // (negative padding), then write it in.
  return owned((own) => {
    const out = own(full(shape, value, { device: x.device, dtype: x.dtype }));
    let source = own(x.internalAlias(false));
    for (let i = 0; i < x.rank; i++) {
      const cropStart = Math.max(0, -before[i]);
      const cropEnd = Math.max(0, -after[i]);
      if (cropStart || cropEnd) source = own(slice(source, i, cropStart, x.shape[i] - cropEnd));
    }
    const strides = contiguousStrides(shape);
    const offset = before.reduce((o, b, i) => o + Math.max(0, b) * strides[i], 0);
    if (source.size > 0) x.backend.copy(source.kernelView, { ...out.kernelView, shape: source.shape, strides, offset });
    const inner = source.shape;
    return recordOp('pad', [x], out, [], (g) => owned((own) => {
      // The adjoint: crop the padding off, and pad back what was cropped.
      let cur = own(g.internalAlias(false));
      for (let i = 0; i < shape.length; i++) cur = own(slice(cur, i, Math.max(0, before[i]), Math.max(0, before[i]) + inner[i]));
      if (before.some((b) => b < 0) || after.some((a) => a < 0)) {
        const restore: number[] = [];
        for (let i = shape.length - 1; i >= 0; i--) restore.push(Math.max(0, -before[i]), Math.max(0, -after[i]));
        cur = pad(cur, restore, 0);
      }
      return [cur];
    }), { attrs: { before, after, value } });
  });
}
