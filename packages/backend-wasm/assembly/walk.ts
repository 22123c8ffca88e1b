// Walking strided views inside wasm. The host simplifies the dims (drops size-1 dims,
// merges dims contiguous in every view) and writes a descriptor of any rank `nd`:
//   i32 at +0: nd (>= 1)
//   i32 at +16 + 4*i: shape[i]
//   i32 at +16 + 4*nd + 4*(v*nd + i): stride of dim i in view v, in BYTES (v < 4)
//   scratch: counters at +16 + 20*nd (nd x i32), row pointers after them (4 x usize)
// That is 32 + 24*nd bytes in all (WALK_BYTES). The innermost dim is a row; rows are
// visited in row-major (odometer) order.

@inline export function ndimOf(d: usize): i32 {
  return load<i32>(d);
}
@inline export function dimOf(d: usize, i: i32): i32 {
  return load<i32>(d + 16 + (<usize>i << 2));
}
@inline export function strideOf(d: usize, v: i32, i: i32): i32 {
  const nd = ndimOf(d);
  return load<i32>(d + 16 + (<usize>(nd + v * nd + i) << 2));
}
@inline function counters(d: usize): usize {
  return d + 16 + (<usize>(20 * ndimOf(d)));
}
@inline function pointers(d: usize): usize {
  return d + 16 + (<usize>(24 * ndimOf(d)));
}
@inline export function rowLength(d: usize): i32 {
  return dimOf(d, ndimOf(d) - 1);
}
@inline export function innerStride(d: usize, v: i32): i32 {
  return strideOf(d, v, ndimOf(d) - 1);
}
@inline export function ptrOf(d: usize, v: i32): usize {
  return load<usize>(pointers(d) + (<usize>v << 2));
}

/** Number of rows (product of all dims but the last). */
export function rowCount(d: usize): i32 {
  const nd = ndimOf(d);
  let r = 1;
  for (let i = 0; i < nd - 1; i++) r *= dimOf(d, i);
  return r;
}

export function startWalk(d: usize, p0: usize, p1: usize, p2: usize, p3: usize): void {
  memory.fill(counters(d), 0, <usize>ndimOf(d) << 2);
  const p = pointers(d);
  store<usize>(p, p0);
  store<usize>(p, p1, 4);
  store<usize>(p, p2, 8);
  store<usize>(p, p3, 12);
}

/** Advance the row pointers of `nv` views to the next row. */
export function nextRow(d: usize, nv: i32): void {
  const nd = ndimOf(d);
  const ctrs = counters(d), ptrs = pointers(d);
  const strides = d + 16 + (<usize>nd << 2);
  for (let i = nd - 2; i >= 0; i--) {
    const ctr = ctrs + (<usize>i << 2);
    const size = dimOf(d, i);
    const c = load<i32>(ctr) + 1;
    if (c < size) {
      store<i32>(ctr, c);
      for (let v = 0; v < nv; v++) {
        const p = ptrs + (<usize>v << 2);
        store<usize>(p, load<usize>(p) + <usize>load<i32>(strides + (<usize>(v * nd + i) << 2)));
      }
      return;
    }
    store<i32>(ctr, 0);
    for (let v = 0; v < nv; v++) {
      const p = ptrs + (<usize>v << 2);
      store<usize>(p, load<usize>(p) - <usize>(load<i32>(strides + (<usize>(v * nd + i) << 2)) * (size - 1)));
    }
  }
}
