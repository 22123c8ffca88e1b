/**
 * Internal helpers shared by the shape ops (not public ops): argument checks, the
 * broadcast view behind `expand` and `broadcastTo`, and the geometry of diagonal views.
 */
import { recordOp } from '../autograd/engine.js';
import { formatShape, normalizeDim } from '../shape.js';
import { owned } from '../memory.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeValue, viewOf } from './util.js';

/** A number or a list of numbers as a list, with the op named when it is neither. */
export function dimList(op: string, what: string, value: number | readonly number[]): number[] {
  if (typeof value === 'number') return [value];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
    throw new TypeError(`${op}: ${what} must be a number or an array of numbers, got ${describeValue(value)}`);
  }
  return [...value];
}

/** Distinct normalised dims, or an error naming the op. */
export function uniqueDims(op: string, dims: readonly number[], rank: number): number[] {
  const axes = dims.map((d) => normalizeDim(d, rank, op));
  if (new Set(axes).size !== axes.length) throw new Error(`${op}: dims ${formatShape(dims)} name a dim twice`);
  return axes;
}

/** Throw naming the op unless `value` is an integer >= `min`. */
export function checkInteger(op: string, what: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${op}: ${what} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * `x` broadcast to `shape` as a view (stride 0 on broadcast dims; -1 keeps a dim), its
 * gradient summed back: `expand`, `broadcastTo` and `broadcastTensors`, named `op` in errors.
 */
export function expandView(op: string, x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array, got ${describeValue(shape)}`);
  if (shape.length < x.rank) {
    throw new Error(`${op}: target ${formatShape(shape)} has fewer dims than the tensor ${formatShape(x.shape)}`);
  }
  const lead = shape.length - x.rank;
  const target: number[] = [];
  const strides: number[] = [];
  shape.forEach((d, i) => {
    const own = i < lead ? 1 : x.shape[i - lead];
    const size = d === -1 && i >= lead ? own : d;
    if (!Number.isInteger(size) || size < 0 || (own !== size && own !== 1)) {
      throw new Error(`${op}: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)} (dim ${i}: ${own} to ${d})`);
    }
    target.push(size);
    strides.push(i < lead || (own === 1 && size !== 1) ? 0 : x.strides[i - lead]);
  });
  const out = viewOf(x, target, strides, x.offset);
  const original = x.shape;
  return recordOp(op, [x], out, [], (g) => {
    const lead2 = g.rank - original.length;
    const axes: number[] = [];
    for (let i = 0; i < g.rank; i++) if (i < lead2 || (original[i - lead2] === 1 && g.shape[i] !== 1)) axes.push(i);
    if (axes.length === 0) return [g];
    return [owned((own) => own(g.sum(axes, true)).reshape(original))];
  });
}

/** A strided window: shape, strides and offset (in elements). */
export interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

/**
 * The diagonal `offset` of the plane (`dim1`, `dim2`) of a view with this geometry: those
 * two dims removed and the diagonal appended last (PyTorch's `diagonal` layout).
 */
export function diagonalGeometry(
  shape: readonly number[], strides: readonly number[], offset: number, diagonal: number, dim1: number, dim2: number,
): Geometry {
  const n1 = shape[dim1];
  const n2 = shape[dim2];
  const length = Math.max(0, diagonal >= 0 ? Math.min(n1, n2 - diagonal) : Math.min(n1 + diagonal, n2));
  const start = length === 0 ? offset : offset + (diagonal >= 0 ? diagonal * strides[dim2] : -diagonal * strides[dim1]);
  const keep = (_: number, i: number) => i !== dim1 && i !== dim2;
  return {
    shape: [...shape.filter(keep), length],
    strides: [...strides.filter(keep), strides[dim1] + strides[dim2]],
    offset: start,
  };
}
