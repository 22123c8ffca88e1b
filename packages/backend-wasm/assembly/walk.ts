// Walking strided views inside wasm. The host simplifies the dims (drops size-1 dims,
// merges dims contiguous in every view) and writes a descriptor:
//   i32 at +0: ndim (1..8)
//   i32 at +4 + 4*i: shape[i]
//   i32 at +36 + 32*v + 4*i: stride of dim i in view v, in BYTES (v < 4)
//   scratch: counters at +164 (8 x i32), row pointers at +196 (4 x usize)
// The innermost dim is a row; rows are visited in row-major (odometer) order.

export const DESC_BYTES: i32 = 256;

@inline export function ndimOf(d: usize): i32 {
  return load<i32>(d);
}
@inline export function dimOf(d: usize, i: i32): i32 {
  return load<i32>(d + 4 + (<usize>i << 2));
}
@inline export function strideOf(d: usize, v: i32, i: i32): i32 {
  return load<i32>(d + 36 + (<usize>v << 5) + (<usize>i << 2));
}
@inline export function rowLength(d: usize): i32 {
  return dimOf(d, ndimOf(d) - 1);
}
@inline export function innerStride(d: usize, v: i32): i32 {
  return strideOf(d, v, ndimOf(d) - 1);
}
@inline export function ptrOf(d: usize, v: i32): usize {
  return load<usize>(d + 196 + (<usize>v << 2));
}

/** Number of rows (product of all dims but the last). */
export function rowCount(d: usize): i32 {
  const nd = ndimOf(d);
  let r = 1;
  for (let i = 0; i < nd - 1; i++) r *= dimOf(d, i);
  return r;
}

export function startWalk(d: usize, p0: usize, p1: usize, p2: usize, p3: usize): void {
  for (let i = 0; i < 8; i++) store<i32>(d + 164 + (<usize>i << 2), 0);
  store<usize>(d + 196, p0);
  store<usize>(d + 200, p1);
  store<usize>(d + 204, p2);
  store<usize>(d + 208, p3);
}

/** Advance the row pointers of `nv` views to the next row. */
export function nextRow(d: usize, nv: i32): void {
  const nd = ndimOf(d);
  for (let i = nd - 2; i >= 0; i--) {
    const ctr = d + 164 + (<usize>i << 2);
    const size = dimOf(d, i);
    const c = load<i32>(ctr) + 1;
    if (c < size) {
      store<i32>(ctr, c);
      for (let v = 0; v < nv; v++) {
        const p = d + 196 + (<usize>v << 2);
        store<usize>(p, load<usize>(p) + <usize>strideOf(d, v, i));
      }
      return;
    }
    store<i32>(ctr, 0);
    for (let v = 0; v < nv; v++) {
      const p = d + 196 + (<usize>v << 2);
      store<usize>(p, load<usize>(p) - <usize>(strideOf(d, v, i) * (size - 1)));
    }
  }
}
