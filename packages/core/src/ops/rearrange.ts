/**
 * Shape ops built from the basic ones: reversing, rolling, repeating, moving dims, stacking,
 * splitting. Most are composites of views, `cat` and `indexSelect`, so their gradients come
 * from those; `flip` and `repeat` record their own. (`unfold` and `t` are in methods.ts.)
 */
import { recordOp } from '../autograd/engine.js';
import { withinOp } from '../autograd/trace.js';

import { tidy } from '../memory.js';
import { formatShape, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { arange, tensor } from './creation.js';
import { indexSelect } from './indexing.js';
import { cat, narrow, permute, reshape, select, transpose } from './shape.js';
import { broadcastAll, describeValue, requireTensor, viewOf } from './util.js';
import { checkInteger, dimList, expandView, uniqueDims } from './views.js';

// ---- reversing and rotating -----------------------------------------------------------

/**
 * Reverse the order of elements along `dims`. A copy (as in PyTorch); the gradient flips back.
 *
 * @example
 * ```ts
 * tl.flip(tl.tensor([[1, 2], [3, 4]]), [1]); // [[2, 1], [4, 3]]
 * ```
 */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  requireTensor('flip', x);
  const axes = uniqueDims('flip', dimList('flip', 'dims', dims), x.rank);
  const out = withinOp(() =>
    tidy(() => {
      let current = x.internalAlias(false);
      for (const axis of axes) {
        const n = x.shape[axis];
        if (n <= 1) continue;
        current = indexSelect(current, axis, arange(n - 1, -1, -1, { device: x.device, dtype: 'int32' }));
      }
      return current;
    }),
  );
  return recordOp('flip', [x], out, [], (g) => [flip(g, axes)], { attrs: { dims: axes } });
}

/** Reverse the columns (dim 1) of a tensor of rank >= 2. @example `tl.fliplr(image)` */
export function fliplr(x: Tensor): Tensor {
  requireTensor('fliplr', x);
  if (x.rank < 2) throw new Error(`fliplr: expected a tensor of rank >= 2, got ${formatShape(x.shape)}`);
  return flip(x, [1]);
}

/** Reverse the rows (dim 0) of a tensor of rank >= 1. @example `tl.flipud(image)` */
export function flipud(x: Tensor): Tensor {
  requireTensor('flipud', x);
  if (x.rank < 1) throw new Error(`flipud: expected a tensor of rank >= 1, got ${formatShape(x.shape)}`);
  return flip(x, [0]);
}

/**
 * Shift elements along `dims` by `shifts`, wrapping around; without `dims`, roll the
 * flattened tensor and restore its shape.
 *
 * @example
 * ```ts
 * tl.roll(tl.tensor([1, 2, 3, 4]), 1);           // [4, 1, 2, 3]
 * tl.roll(x, [1, -1], [0, 1]);                   // shift rows down, columns left
 * ```
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  requireTensor('roll', x);
  const shiftList = dimList('roll', 'shifts', shifts);
  if (!shiftList.every(Number.isInteger)) throw new Error(`roll: shifts must be integers, got ${JSON.stringify(shifts)}`);
  if (dims === undefined) {
    if (shiftList.length !== 1) {
      throw new Error(`roll: without dims, shifts must be one number, got ${JSON.stringify(shifts)}`);
    }
    return tidy(() => rollDim(x.flatten(), shiftList[0], 0).reshape(x.shape));
  }
  const dimsList = dimList('roll', 'dims', dims);
  if (dimsList.length !== shiftList.length) {
    throw new Error(`roll: shifts ${JSON.stringify(shifts)} and dims ${JSON.stringify(dims)} must have the same length`);
  }
  const axes = dimsList.map((d) => normalizeDim(d, x.rank, 'roll'));
  return tidy(() => axes.reduce((current, axis, i) => rollDim(current, shiftList[i], axis), x.internalAlias(false)));
}

function rollDim(x: Tensor, shift: number, axis: number): Tensor {
  const n = x.rank === 0 ? 1 : x.shape[axis];
  const s = n === 0 ? 0 : ((shift % n) + n) % n;
  if (s === 0 || x.rank === 0) return x.internalAlias(false);
  return cat([narrow(x, axis, n - s, s), narrow(x, axis, 0, n - s)], axis);
}

/**
 * Rotate by 90 degrees `k` times in the plane of `dims`, from the first dim towards the
 * second (counter-clockwise for images shown row 0 at the top).
 *
 * @example
 * ```ts
 * tl.rot90(tl.tensor([[1, 2], [3, 4]])); // [[2, 4], [1, 3]]
 * ```
 */
export function rot90(x: Tensor, k = 1, dims: readonly number[] = [0, 1]): Tensor {
  requireTensor('rot90', x);
  if (!Array.isArray(dims) || dims.length !== 2) throw new Error(`rot90: dims must hold two dims, got ${JSON.stringify(dims)}`);
  if (x.rank < 2) throw new Error(`rot90: expected a tensor of rank >= 2, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(k)) throw new Error(`rot90: k must be an integer, got ${k}`);
  const [a, b] = uniqueDims('rot90', dims, x.rank);
  const turns = ((k % 4) + 4) % 4;
  return tidy(() => {
    if (turns === 1) return transpose(flip(x, [b]), a, b);
    if (turns === 2) return flip(x, [a, b]);
    if (turns === 3) return transpose(flip(x, [a]), a, b);
    return x.clone();
  });
}

// ---- repeating ------------------------------------------------------------------------

/**
 * Tile `x` `sizes[i]` times along each dim; `sizes` may be longer than the rank (new
 * leading dims). PyTorch's `x.repeat(*sizes)`.
 *
 * @example
 * ```ts
 * tl.tensor([1, 2]).repeat([2, 2]); // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  requireTensor('repeat', x);
  if (!Array.isArray(sizes)) throw new TypeError(`repeat: sizes must be an array, got ${describeValue(sizes)}`);
  if (sizes.length < x.rank) {
    throw new Error(`repeat: ${sizes.length} repeats ${formatShape(sizes)} for a tensor of rank ${x.rank} ${formatShape(x.shape)}; give at least one per dim`);
  }
  sizes.forEach((s) => checkInteger('repeat', 'each repeat', s));
  const lead = sizes.length - x.rank;
  const shape = [...new Array<number>(lead).fill(1), ...x.shape];
  return tidy(() => {
    // [s0, s1, ...] as [1, s0, 1, s1, ...], expanded to [r0, s0, r1, s1, ...] and merged.
    const interleaved = shape.flatMap((d) => [1, d]);
    const strides = [...new Array<number>(lead).fill(0), ...x.strides].flatMap((s) => [0, s]);
    const spread = recordedView('repeat', x, interleaved, strides);
    const expanded = spread.expand(shape.flatMap((d, i) => [sizes[i], d]));
    return reshape(expanded, shape.map((d, i) => d * sizes[i]));
  });
}

/** A view of `x` with other geometry whose gradient is `g.reshape(x.shape)` (size-1 dims only added). */
function recordedView(op: string, x: Tensor, shape: number[], strides: number[]): Tensor {
  const out = viewOf(x, shape, strides, x.offset);
  const original = x.shape;
  return recordOp(op, [x], out, [], (g) => [g.reshape(original)]);
}

/**
 * Repeat `x` along each dim as NumPy's `tile`: `dims` shorter than the rank is padded with
 * ones at the front.
 *
 * @example
 * ```ts
 * tl.tile(tl.tensor([[1, 2]]), [2]); // [[1, 2, 1, 2]]
 * ```
 */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  requireTensor('tile', x);
  if (!Array.isArray(dims)) throw new TypeError(`tile: dims must be an array, got ${describeValue(dims)}`);
  const padded = [...new Array<number>(Math.max(0, x.rank - dims.length)).fill(1), ...dims];
  return repeat(x, padded);
}

export interface RepeatInterleaveOptions {
  /** The total length along `dim` (the sum of `repeats`): lets backends that read asynchronously take tensor repeats. */
  outputSize?: number;
}

/**
 * Repeat each element `repeats` times along `dim` (the flattened tensor without `dim`).
 * `repeats` is a number or an int32 tensor with one count per element. With a tensor, the
 * output length depends on its values: backends that read synchronously read them; others
 * need `{ outputSize }`. `tl.repeatInterleave(counts)` alone repeats the indices.
 *
 * @example
 * ```ts
 * tl.tensor([1, 2]).repeatInterleave(2);                              // [1, 1, 2, 2]
 * tl.repeatInterleave(tl.tensor([[1, 2], [3, 4]]), tl.tensor([1, 2], { dtype: 'int32' }), 0);
 * // [[1, 2], [3, 4], [3, 4]]
 * ```
 */
export function repeatInterleave(
  x: Tensor, repeats?: number | Tensor, dim?: number, options: RepeatInterleaveOptions = {},
): Tensor {
  requireTensor('repeatInterleave', x);
  if (repeats === undefined) {
    // repeatInterleave(counts): the indices 0..n-1, each repeated counts[i] times.
    if (x.rank !== 1) throw new Error(`repeatInterleave: counts must be 1-D, got ${formatShape(x.shape)}`);
    return tidy(() => repeatInterleave(arange(x.size, undefined, 1, { device: x.device, dtype: 'int32' }), x, 0, options));
  }
  if (dim === undefined) return tidy(() => repeatInterleave(x.flatten(), repeats, 0, options));
  const axis = normalizeDim(dim, x.rank, 'repeatInterleave');
  return tidy(() => {
    const source = x.rank === 0 ? x.reshape([1]) : x.internalAlias(false);
    const n = source.shape[axis];
    if (typeof repeats === 'number') {
      checkInteger('repeatInterleave', 'repeats', repeats);
      const shape = [...source.shape];
      shape.splice(axis + 1, 0, repeats);
      return source.unsqueeze(axis + 1).expand(shape).flatten(axis, axis + 1);
    }
    requireTensor('repeatInterleave', repeats, 'repeats');
    if (repeats.dtype !== 'int32') throw new TypeError(`repeatInterleave: repeats must be int32, got ${repeats.dtype}`);
    if (repeats.rank > 1 || (repeats.size !== 1 && repeats.size !== n)) {
      throw new Error(
        `repeatInterleave: repeats ${formatShape(repeats.shape)} must be 0-d or 1-D with 1 or ${n} entries ` +
          `(dim ${dim} of ${formatShape(x.shape)})`,
      );
    }
    if (repeats.device !== x.device) {
      throw new Error(`repeatInterleave: repeats is on '${repeats.device}' but the input is on '${x.device}'`);
    }
    const counts = repeats.reshape([repeats.size]).expand([n]);
    return indexSelect(source, axis, repeatIndices('repeatInterleave', counts, options.outputSize));
  });
}

/** The int32 indices `i` repeated `counts[i]` times, read on the host or computed on the device. */
function repeatIndices(op: string, counts: Tensor, outputSize: number | undefined): Tensor {
  const read = counts.backend.readSync;
  if (outputSize !== undefined) checkInteger(op, 'outputSize', outputSize);
  if (read) {
    const values = read.call(counts.backend, counts.kernelView);
    let total = 0;
    for (let i = 0; i < values.length; i++) {
      if (values[i] < 0) throw new RangeError(`${op}: repeats must be non-negative, got ${values[i]} at index ${i}`);
      total += values[i];
    }
    if (outputSize !== undefined && outputSize !== total) {
      throw new Error(`${op}: outputSize ${outputSize} does not match the sum of repeats, ${total}`);
    }
    if (outputSize === undefined) {
      const index = new Int32Array(total);
      let at = 0;
      for (let i = 0; i < values.length; i++) index.fill(i, at, (at += values[i]));
      return tensor(index, { device: counts.device });
    }
  } else if (outputSize === undefined) {
    throw new Error(
      `${op}: the '${counts.device}' backend reads asynchronously, so tensor repeats need { outputSize } ` +
        '(the sum of repeats), or pass a number',
    );
  }
  // On the device: index j is the number of inclusive cumulative counts <= j.
  const n = counts.size;
  const device = counts.device;
  const lower = arange(n, undefined, 1, { device, dtype: 'int32' }).unsqueeze(1).ge(arange(n, undefined, 1, { device, dtype: 'int32' }));
  const cumulative = counts.unsqueeze(0).where(lower, 0).sum(1);
  const positions = arange(outputSize!, undefined, 1, { device, dtype: 'int32' }).unsqueeze(1);
  return cumulative.unsqueeze(0).le(positions).sum(1);
}

// ---- splitting and joining ------------------------------------------------------------

/**
 * The slices along `dim`, with that dim removed (views).
 *
 * @example
 * ```ts
 * const [row0, row1] = tl.tensor([[1, 2], [3, 4]]).unbind();
 * ```
 */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  requireTensor('unbind', x);
  if (x.rank === 0) throw new Error('unbind: a 0-d tensor has no dim to unbind');
  const axis = normalizeDim(dim, x.rank, 'unbind');
  return Array.from({ length: x.shape[axis] }, (_, i) => select(x, axis, i));
}

/**
 * Split into views along `dim`, NumPy's `array_split`: a number `n` gives `n` pieces (the
 * first `size % n` one longer); a list gives the indices to split before.
 *
 * @example
 * ```ts
 * tl.arange(7).tensorSplit(3);      // [0, 1, 2], [3, 4], [5, 6]
 * tl.arange(7).tensorSplit([1, 5]); // [0], [1, 2, 3, 4], [5, 6]
 * ```
 */
export function tensorSplit(x: Tensor, indicesOrSections: number | readonly number[], dim = 0): Tensor[] {
  requireTensor('tensorSplit', x);
  if (x.rank === 0) throw new Error('tensorSplit: expected a tensor of rank >= 1, got a 0-d tensor');
  const axis = normalizeDim(dim, x.rank, 'tensorSplit');
  const size = x.shape[axis];
  const bounds: [number, number][] = [];
  if (typeof indicesOrSections === 'number') {
    const n = indicesOrSections;
    checkInteger('tensorSplit', 'the number of sections', n, 1);
    const base = Math.floor(size / n);
    const extra = size % n;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const length = base + (i < extra ? 1 : 0);
      bounds.push([at, length]);
      at += length;
    }
  } else {
    const indices = dimList('tensorSplit', 'indices', indicesOrSections);
    if (!indices.every(Number.isInteger)) throw new Error(`tensorSplit: indices must be integers, got ${JSON.stringify(indicesOrSections)}`);
    // Each piece is the slice [previous index, index), as NumPy: out-of-order indices give empty pieces.
    const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    let start = 0;
    for (const index of [...indices, size]) {
      const end = clampIndex(index);
      bounds.push([start, Math.max(0, end - start)]);
      start = end;
    }
  }
  return bounds.map(([start, length]) => narrow(x, axis, start, length));
}

/**
 * Split dim `dim` into several dims of `sizes` (one may be -1). A view of a contiguous tensor.
 *
 * @example
 * ```ts
 * tl.zeros([2, 12]).unflatten(1, [3, 4]).shape; // [2, 3, 4]
 * ```
 */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  requireTensor('unflatten', x);
  const axis = normalizeDim(dim, x.rank, 'unflatten');
  if (!Array.isArray(sizes) || sizes.length === 0) throw new Error(`unflatten: sizes must be a non-empty array, got ${JSON.stringify(sizes)}`);
  const n = x.shape[axis];
  const inferred = sizes.indexOf(-1);
  if (sizes.lastIndexOf(-1) !== inferred) throw new Error(`unflatten: only one size can be -1, got ${formatShape(sizes)}`);
  const known = sizes.reduce((p, s, i) => (i === inferred ? p : p * s), 1);
  const resolved = [...sizes];
  if (inferred >= 0) resolved[inferred] = known === 0 ? 0 : n / known;
  if (resolved.some((s) => !Number.isInteger(s) || s < 0) || sizeOf(resolved) !== n) {
    throw new Error(`unflatten: sizes ${formatShape(sizes)} do not multiply to ${n}, the size of dim ${dim} of ${formatShape(x.shape)}`);
  }
  return reshape(x, [...x.shape.slice(0, axis), ...resolved, ...x.shape.slice(axis + 1)]);
}

function atLeast(x: Tensor, rank: 1 | 2 | 3): Tensor {
  if (x.rank >= rank) return x.internalAlias(false);
  if (rank === 1 || x.rank === 0) return reshape(x, new Array<number>(rank).fill(1));
  if (rank === 2) return x.unsqueeze(0);
  return x.rank === 1 ? reshape(x, [1, x.size, 1]) : x.unsqueeze(-1);
}

function checkList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`${op}: expected a non-empty array of tensors`);
  tensors.forEach((t, i) => requireTensor(op, t, `tensor ${i}`));
}

/**
 * Join horizontally: along dim 1, or dim 0 for 1-D tensors. Function only.
 *
 * @example
 * ```ts
 * tl.hstack([tl.tensor([1, 2]), tl.tensor([3])]); // [1, 2, 3]
 * ```
 */
export function hstack(tensors: readonly Tensor[]): Tensor {
  checkList('hstack', tensors);
  return tidy(() => {
    const parts = tensors.map((t) => atLeast(t, 1));
    return cat(parts, parts[0].rank === 1 ? 0 : 1);
  });
}

/** Join vertically: along dim 0, 1-D tensors as rows. Function only. @example `tl.vstack([a, b])` */
export function vstack(tensors: readonly Tensor[]): Tensor {
  checkList('vstack', tensors);
  return tidy(() => cat(tensors.map((t) => atLeast(t, 2)), 0));
}

/** Join depth-wise: along dim 2, after making each tensor at least 3-D. Function only. */
export function dstack(tensors: readonly Tensor[]): Tensor {
  checkList('dstack', tensors);
  return tidy(() => cat(tensors.map((t) => atLeast(t, 3)), 2));
}

/** Join as columns: 0-d and 1-D tensors become columns, then `hstack`. Function only. */
export function columnStack(tensors: readonly Tensor[]): Tensor {
  checkList('columnStack', tensors);
  return tidy(() => cat(tensors.map((t) => (t.rank <= 1 ? reshape(t, [t.size, 1]) : t.internalAlias(false))), 1));
}

// ---- moving dims and broadcasting -----------------------------------------------------

/**
 * Move dims `source` to positions `destination`, keeping the others in order. A view.
 *
 * @example
 * ```ts
 * tl.zeros([2, 3, 4]).movedim(0, -1).shape; // [3, 4, 2]
 * ```
 */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  requireTensor('movedim', x);
  const from = uniqueDims('movedim', dimList('movedim', 'source', source), x.rank);
  const to = uniqueDims('movedim', dimList('movedim', 'destination', destination), x.rank);
  if (from.length !== to.length) {
    throw new Error(`movedim: source ${JSON.stringify(source)} and destination ${JSON.stringify(destination)} must name as many dims`);
  }
  const order = new Array<number>(x.rank).fill(-1);
  from.forEach((d, i) => (order[to[i]] = d));
  const rest = Array.from({ length: x.rank }, (_, i) => i).filter((d) => !from.includes(d));
  let next = 0;
  for (let i = 0; i < order.length; i++) if (order[i] < 0) order[i] = rest[next++];
  return permute(x, order);
}

/** Swap two dims (NumPy's name for `transpose`). A view. @example `x.swapaxes(0, 1)` */
export function swapaxes(x: Tensor, axis0: number, axis1: number): Tensor {
  requireTensor('swapaxes', x);
  normalizeDim(axis0, x.rank, 'swapaxes');
  normalizeDim(axis1, x.rank, 'swapaxes');
  return transpose(x, axis0, axis1);
}

/** Swap two dims (another name for `transpose`). A view. */
export function swapdims(x: Tensor, dim0: number, dim1: number): Tensor {
  requireTensor('swapdims', x);
  normalizeDim(dim0, x.rank, 'swapdims');
  normalizeDim(dim1, x.rank, 'swapdims');
  return transpose(x, dim0, dim1);
}

/**
 * Broadcast to `shape` without copying (stride 0 on broadcast dims); -1 keeps a dim.
 *
 * @example
 * ```ts
 * tl.tensor([1, 2, 3]).broadcastTo([2, 3]);
 * ```
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  requireTensor('broadcastTo', x);
  return expandView('broadcastTo', x, shape);
}

/**
 * Broadcast tensors against each other (views), as PyTorch's `broadcast_tensors(*tensors)`;
 * an array of tensors works too.
 *
 * @example
 * ```ts
 * const [a2, b2] = tl.broadcastTensors(tl.zeros([3, 1]), tl.zeros([4])); // both [3, 4]
 * ```
 */
export function broadcastTensors(...tensors: (Tensor | readonly Tensor[])[]): Tensor[] {
  const list = (tensors.length === 1 && Array.isArray(tensors[0]) ? tensors[0] : tensors) as Tensor[];
  list.forEach((t, i) => requireTensor('broadcastTensors', t, `tensor ${i}`));
  if (list.length === 0) return [];
  const shape = broadcastAll('broadcastTensors', ...list);
  return list.map((t) => expandView('broadcastTensors', t, shape));
}

export interface MeshgridOptions {
  /** 'ij' (matrix indexing, PyTorch's default) or 'xy' (Cartesian: the first two dims swapped). */
  indexing?: 'ij' | 'xy';
}

/**
 * Coordinate grids from 1-D tensors: output `i` holds `tensors[i]` broadcast along every
 * other dim (views). Function only.
 *
 * @example
 * ```ts
 * const [ys, xs] = tl.meshgrid([tl.arange(3), tl.arange(4)], { indexing: 'ij' }); // both [3, 4]
 * ```
 */
export function meshgrid(tensors: readonly Tensor[], options: MeshgridOptions = {}): Tensor[] {
  checkList('meshgrid', tensors);
  const indexing = options.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new Error(`meshgrid: indexing must be 'ij' or 'xy', got ${JSON.stringify(indexing)}`);
  tensors.forEach((t, i) => {
    if (t.rank > 1) throw new Error(`meshgrid: tensor ${i} must be 0-d or 1-D, got ${formatShape(t.shape)}`);
    if (t.dtype !== tensors[0].dtype) throw new TypeError(`meshgrid: tensor ${i} is ${t.dtype} but tensor 0 is ${tensors[0].dtype}`);
    if (t.device !== tensors[0].device) throw new Error(`meshgrid: tensor ${i} is on '${t.device}' but tensor 0 is on '${tensors[0].device}'`);
  });
  const swap = indexing === 'xy' && tensors.length >= 2;
  const position = (i: number) => (swap && i < 2 ? 1 - i : i);
  const shape = new Array<number>(tensors.length);
  tensors.forEach((t, i) => (shape[position(i)] = t.size));
  return tensors.map((t, i) =>
    tidy(() => {
      const line = shape.map((_, j) => (j === position(i) ? t.size : 1));
      return reshape(t, line).expand(shape);
    }),
  );
}
