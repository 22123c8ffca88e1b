// gather and scatterAdd along one dim, for elements of 4 bytes (float32, int32) or 1 byte
// (bool). The walk `d` runs over the index's shape with views (index, x or src, out); the
// indexed view's stride along `dim` is 0 in the walk and `step` (bytes) is added per
// element from the index value. Core validated the indices; a negative one counts from
// the end.
import { DTYPE_BOOL, DTYPE_FLOAT32, DTYPE_INT32 } from './generated/ops';
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';

/** out[p] = x[p with p[dim] = index[p]]; walk views (index, x pinned, out). */
export function gather(size: i32, d: usize, idx: usize, x: usize, o: usize, dimSize: i32, step: i32): void {
  const n = rowLength(d), rows = rowCount(d);
  const si = <usize>innerStride(d, 0), sx = <usize>innerStride(d, 1), so = <usize>innerStride(d, 2);
  startWalk(d, idx, x, o, 0);
  for (let r = 0; r < rows; r++) {
    let pi = ptrOf(d, 0), px = ptrOf(d, 1), po = ptrOf(d, 2);
    for (let i = 0; i < n; i++, pi += si, px += sx, po += so) {
      let j = load<i32>(pi);
      if (j < 0) j += dimSize;
      const at = px + <usize>(j * step);
      if (size == 4) store<u32>(po, load<u32>(at));
      else store<u8>(po, load<u8>(at));
    }
    nextRow(d, 3);
  }
}

/**
 * out[p with p[dim] = index[p]] += src[p]; walk views (index, src, out pinned), of dtype
 * `dtype`: int32 wraps, bool is a logical or (True + True is True).
 */
export function scatter_add(dtype: i32, d: usize, idx: usize, src: usize, o: usize, dimSize: i32, step: i32): void {
  const n = rowLength(d), rows = rowCount(d);
  const si = <usize>innerStride(d, 0), ss = <usize>innerStride(d, 1), so = <usize>innerStride(d, 2);
  startWalk(d, idx, src, o, 0);
  for (let r = 0; r < rows; r++) {
    let pi = ptrOf(d, 0), ps = ptrOf(d, 1), po = ptrOf(d, 2);
    for (let i = 0; i < n; i++, pi += si, ps += ss, po += so) {
      let j = load<i32>(pi);
      if (j < 0) j += dimSize;
      const at = po + <usize>(j * step);
      switch (dtype) {
        case DTYPE_FLOAT32: store<f32>(at, load<f32>(at) + load<f32>(ps)); break;
        case DTYPE_INT32: store<i32>(at, load<i32>(at) + load<i32>(ps)); break;
        case DTYPE_BOOL: store<u8>(at, load<u8>(at) | load<u8>(ps)); break;
        default: unreachable();
      }
    }
    nextRow(d, 3);
  }
}
