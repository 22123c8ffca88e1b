/**
 * gather and scatterAdd along one dim, driven by an int32 index tensor. Core validates the
 * indices; a negative one is still read from the end, which costs nothing here.
 */
import type { TensorView } from '@tensile/core';
import { dataOf } from './buffer.js';
import { RowIterator } from './strided.js';

/** Strides that walk `view` over the index's shape with `dim` pinned at 0: the index supplies it. */
function pinned(view: TensorView, dim: number): number[] {
  return view.strides.map((s, d) => (d === dim ? 0 : s));
}

/** `out[p] = x[p with p[dim] replaced by index[p]]`; `out` has the index's shape. */
export function gather(x: TensorView, dim: number, index: TensorView, out: TensorView): void {
  const xd = dataOf(x), id = dataOf(index), od = dataOf(out);
  const size = x.shape[dim], step = x.strides[dim];
  const it = new RowIterator(index.shape, [index.strides, pinned(x, dim), out.strides], [index.offset, x.offset, out.offset]);
  const [si, sx, so] = it.innerStrides;
  for (let r = 0; r < it.rows; r++, it.next()) {
    let [ii, ix, io] = it.offsets;
    for (let k = 0; k < it.rowLength; k++, ii += si, ix += sx, io += so) {
      const j = id[ii];
      od[io] = xd[ix + (j < 0 ? j + size : j) * step];
    }
  }
}

/** `out[p with p[dim] replaced by index[p]] += src[p]` for every p in the index's shape. */
export function scatterAdd(dim: number, index: TensorView, src: TensorView, out: TensorView): void {
  const id = dataOf(index), sd = dataOf(src), od = dataOf(out);
  const size = out.shape[dim], step = out.strides[dim];
  const it = new RowIterator(index.shape, [index.strides, src.strides, pinned(out, dim)], [index.offset, src.offset, out.offset]);
  const [si, ss, so] = it.innerStrides;
  for (let r = 0; r < it.rows; r++, it.next()) {
    let [ii, is, io] = it.offsets;
    for (let k = 0; k < it.rowLength; k++, ii += si, is += ss, io += so) {
      const j = id[ii];
      const at = io + (j < 0 ? j + size : j) * step;
      od[at] = od[at] + sd[is];
    }
  }
}
