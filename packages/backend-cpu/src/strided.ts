/**
 * Walking strided views. Every kernel reads its inputs through (shape, strides, offset);
 * this module turns that into plain loops: an outer counter over "rows" and a tight inner
 * loop along the last dim, so no kernel recurses or calls a closure per element.
 */
import { collapseDims, isContiguous, sizeOf, type TensorView } from '@tensile/core';
import { dataOf, type HostArray } from './buffer.js';

/**
 * Iterates the rows of one shape across several views at once (an input and `out`, say).
 *
 * Dims are simplified first: size-1 dims are dropped and a dim is merged into its inner
 * neighbour when that is contiguous with it in every view. A contiguous tensor therefore
 * becomes a single long row, which is the fast path for free.
 *
 * @example
 * ```ts
 * const it = new RowIterator(out.shape, [x.strides, out.strides], [x.offset, out.offset]);
 * const [sx, so] = it.innerStrides;
 * for (let r = 0; r < it.rows; r++, it.next()) {
 *   let ix = it.offsets[0], io = it.offsets[1];
 *   for (let i = 0; i < it.rowLength; i++, ix += sx, io += so) o[io] = x[ix];
 * }
 * ```
 */
export class RowIterator {
  /** Elements in each row (the merged innermost dim). */
  readonly rowLength: number;
  /** Number of rows; 0 when the shape is empty. */
  readonly rows: number;
  /** Per view, the step between neighbours within a row. */
  readonly innerStrides: number[];
  /** Per view, the element where the current row starts. */
  readonly offsets: number[];
  private readonly outerShape: number[];
  /** outerStrides[d][v]: stride of outer dim d in view v. */
  private readonly outerStrides: number[][];
  private readonly counter: number[];

  constructor(shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[]) {
    const views = strides.length;
    const total = sizeOf(shape);
    this.offsets = offsets.slice();
    const merged = collapseDims(shape, strides);
    const dims = merged.shape;
    // dimStrides[d][v]: stride of merged dim d in view v.
    const dimStrides = dims.map((_, d) => merged.strides.map((perView) => perView[d]));
    if (total === 0) {
      this.rowLength = 0;
      this.rows = 0;
      this.innerStrides = new Array<number>(views).fill(0);
      this.outerShape = [];
      this.outerStrides = [];
    } else if (dims.length === 0) {
      this.rowLength = 1;
      this.rows = 1;
      this.innerStrides = new Array<number>(views).fill(0);
      this.outerShape = [];
      this.outerStrides = [];
    } else {
      this.rowLength = dims[dims.length - 1];
      this.rows = total / this.rowLength;
      this.innerStrides = dimStrides[dims.length - 1];
      this.outerShape = dims.slice(0, -1);
      this.outerStrides = dimStrides.slice(0, -1);
    }
    this.counter = new Array<number>(this.outerShape.length).fill(0);
  }

  /** Advance `offsets` to the next row (odometer order, last outer dim fastest). */
  next(): void {
    const offsets = this.offsets;
    for (let d = this.outerShape.length - 1; d >= 0; d--) {
      const s = this.outerStrides[d];
      if (++this.counter[d] < this.outerShape[d]) {
        for (let v = 0; v < s.length; v++) offsets[v] += s[v];
        return;
      }
      this.counter[d] = 0;
      for (let v = 0; v < s.length; v++) offsets[v] -= s[v] * (this.outerShape[d] - 1);
    }
  }

  /** Start again from the first row at new base offsets. */
  reset(offsets: readonly number[]): void {
    for (let v = 0; v < offsets.length; v++) this.offsets[v] = offsets[v];
    this.counter.fill(0);
  }
}

/** A view's shape with `axis` moved last, with its strides moved alike. */
export function moveAxisLast(view: TensorView, axis: number): { shape: number[]; strides: number[] } {
  const shape = view.shape.filter((_, d) => d !== axis);
  const strides = view.strides.filter((_, d) => d !== axis);
  shape.push(view.shape[axis]);
  strides.push(view.strides[axis]);
  return { shape, strides };
}

/** Copy a view's elements in row-major order into `dest` starting at `destOffset`. */
export function gatherInto(view: TensorView, dest: HostArray, destOffset = 0): void {
  const src = dataOf(view);
  const it = new RowIterator(view.shape, [view.strides], [view.offset]);
  const n = it.rowLength;
  const step = it.innerStrides[0];
  let o = destOffset;
  for (let r = 0; r < it.rows; r++, it.next()) {
    const start = it.offsets[0];
    if (step === 1) {
      dest.set(src.subarray(start, start + n), o);
      o += n;
    } else {
      for (let i = 0, ix = start; i < n; i++, ix += step) dest[o++] = src[ix];
    }
  }
}

/**
 * The data of a float32 view as a row-major contiguous array: the buffer itself when the
 * view already is, otherwise a packed copy. Kernels that index a dim pair as one (conv's
 * weight, for instance) use this rather than handling every stride pattern.
 */
export function contiguousFloat32(view: TensorView): { data: Float32Array; offset: number } {
  const data = dataOf(view);
  if (data instanceof Float32Array && isContiguous(view.shape, view.strides)) {
    return { data, offset: view.offset };
  }
  const copy = new Float32Array(sizeOf(view.shape));
  gatherInto(view, copy);
  return { data: copy, offset: 0 };
}
