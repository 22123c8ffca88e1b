// Walking strided views inside wasm. The host merges the dims (core's collapseDims) and
// writes a descriptor of any rank `nd` (src/walk.ts): a WALK header, then nd WALK_DIM
// records, outermost first, each with the dim's size and its byte stride in every view
// (layouts in src/layouts.ts, offsets generated). The innermost dim is a row; rows are
// visited in row-major (odometer) order. The counters and row pointers are the walk's own
// scratch.
import {
  WALK_DIM_COUNTER, WALK_DIM_SIZE, WALK_DIM_STRIDES, WALK_DIM_WORDS, WALK_NDIM, WALK_POINTERS, WALK_WORDS,
} from './generated/ops';

@inline export function ndimOf(d: usize): i32 {
  return load<i32>(d + (<usize>WALK_NDIM << 2));
}
/** Address of dim i's record. */
@inline function dimAt(d: usize, i: i32): usize {
  return d + (<usize>(WALK_WORDS + i * WALK_DIM_WORDS) << 2);
}
@inline export function dimOf(d: usize, i: i32): i32 {
  return load<i32>(dimAt(d, i) + (<usize>WALK_DIM_SIZE << 2));
}
@inline export function strideOf(d: usize, v: i32, i: i32): i32 {
  return load<i32>(dimAt(d, i) + (<usize>(WALK_DIM_STRIDES + v) << 2));
}
@inline export function rowLength(d: usize): i32 {
  return dimOf(d, ndimOf(d) - 1);
}
@inline export function innerStride(d: usize, v: i32): i32 {
  return strideOf(d, v, ndimOf(d) - 1);
}
@inline export function ptrOf(d: usize, v: i32): usize {
  return load<usize>(d + (<usize>(WALK_POINTERS + v) << 2));
}

/** Number of rows (product of all dims but the last). */
export function rowCount(d: usize): i32 {
  const nd = ndimOf(d);
  let r = 1;
  for (let i = 0; i < nd - 1; i++) r *= dimOf(d, i);
  return r;
}

export function startWalk(d: usize, p0: usize, p1: usize, p2: usize, p3: usize): void {
  const nd = ndimOf(d);
  for (let i = 0; i < nd; i++) store<i32>(dimAt(d, i) + (<usize>WALK_DIM_COUNTER << 2), 0);
  const p = d + (<usize>WALK_POINTERS << 2);
  store<usize>(p, p0);
  store<usize>(p, p1, 4);
  store<usize>(p, p2, 8);
  store<usize>(p, p3, 12);
}

/** Advance the row pointers of `nv` views to the next row. */
export function nextRow(d: usize, nv: i32): void {
  const nd = ndimOf(d);
  const ptrs = d + (<usize>WALK_POINTERS << 2);
  for (let i = nd - 2; i >= 0; i--) {
    const dim = dimAt(d, i);
    const ctr = dim + (<usize>WALK_DIM_COUNTER << 2);
    const strides = dim + (<usize>WALK_DIM_STRIDES << 2);
    const size = load<i32>(dim + (<usize>WALK_DIM_SIZE << 2));
    const c = load<i32>(ctr) + 1;
    if (c < size) {
      store<i32>(ctr, c);
      for (let v = 0; v < nv; v++) {
        const p = ptrs + (<usize>v << 2);
        store<usize>(p, load<usize>(p) + <usize>load<i32>(strides + (<usize>v << 2)));
      }
      return;
    }
    store<i32>(ctr, 0);
    for (let v = 0; v < nv; v++) {
      const p = ptrs + (<usize>v << 2);
      store<usize>(p, load<usize>(p) - <usize>(load<i32>(strides + (<usize>v << 2)) * (size - 1)));
    }
  }
}
