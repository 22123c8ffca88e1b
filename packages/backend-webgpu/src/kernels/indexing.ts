/**
 * gather and scatterAdd.
 *
 * scatterAdd is written as a gather, with no atomics (WGSL has no float atomics): each
 * thread owns one output element and walks the index line that can reach it, adding every
 * `src` entry whose index names it, in the index's order. The result is deterministic and
 * sums in the same order as the cpu backend; float16 sums in f32 and rounds once.
 */
import type { TensorView } from '@tensile/core';
import { sizeOf } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, MAX_RANK, offsetsWGSL, Params, pushStrided, storageType, store } from '../wgsl.js';

/** `out[p] = x[p with p[dim] replaced by index[p]]`; `out` has the index's shape. */
export function gather(rt: Runtime, x: TensorView, dim: number, index: TensorView, out: TensorView): void {
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const params = new Params().int(n, x.shape[dim], x.strides[dim]);
  const pinned = { strides: x.strides.map((s, d) => (d === dim ? 0 : s)), offset: x.offset };
  const rank = pushStrided(params, index.shape, [index, pinned, out]);
  // A copy of stored elements: float16 moves as f16, unconverted.
  const t = storageType(x.dtype);
  const kernel: KernelSource = {
    key: `gather:${x.dtype}:r${rank}`,
    writes: [false, false, true],
    wgsl: () => `${headerWGSL([{ name: 'x', type: t, write: false }, { name: 'index', type: 'i32', write: false }, { name: 'out', type: t, write: true }])}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= pu(0u)) { return; }
  ${offsetsWGSL('i', ['io', 'xo', 'oo'], rank, 3)}
  var j = index[io];
  if (j < 0) { j += pi(1u); }
  out[oo] = x[xo + j * pi(2u)];
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(index.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(n));
}

/** `out[p with p[dim] replaced by index[p]] += src[p]` for every p in the index's shape. */
export function scatterAdd(rt: Runtime, dim: number, index: TensorView, src: TensorView, out: TensorView): void {
  const n = sizeOf(out.shape);
  if (n === 0 || sizeOf(index.shape) === 0) return;
  const rank = out.shape.length;
  if (rank > MAX_RANK) throw new Error(`webgpu backend: scatterAdd of rank ${rank} exceeds the supported ${MAX_RANK}`);
  // Words: 0 count, 1 dim, 2 rank, 3 index extent along dim; then from 4, per dim: out shape,
  // index shape, index strides, src strides, out strides (rank words each); then three offsets.
  const params = new Params().int(n, dim, rank, index.shape[dim]);
  params.int(...out.shape, ...index.shape, ...index.strides, ...src.strides, ...out.strides, index.offset, src.offset, out.offset);
  const t = storageType(out.dtype);
  const kernel: KernelSource = {
    key: `scatterAdd:${out.dtype}`,
    writes: [false, false, true],
    wgsl: () => `${headerWGSL([{ name: 'index', type: 'i32', write: false }, { name: 'src', type: t, write: false }, { name: 'out', type: t, write: true }])}
${ENTRY_1D} {
  let e = ${FLAT_INDEX};
  if (e >= pu(0u)) { return; }
  let dim = i32(pu(1u));
  let rank = pu(2u);
  let R = rank;
  var rem = e;
  var io = pi(4u + 5u * R); var so = pi(5u + 5u * R); var oo = pi(6u + 5u * R);
  var wanted = 0;
  var inside = true;
  for (var d = i32(R) - 1; d >= 0; d--) {
    let u = u32(d);
    let size = pu(4u + u);
    let c = rem % size;
    rem = rem / size;
    oo += i32(c) * pi(4u + 4u * R + u);
    if (d == dim) { wanted = i32(c); continue; }
    if (c >= pu(4u + R + u)) { inside = false; }
    io += i32(c) * pi(4u + 2u * R + u);
    so += i32(c) * pi(4u + 3u * R + u);
  }
  var acc = ${load(out.dtype, 'out[oo]')};
  if (inside) {
    let du = u32(dim);
    let size = i32(pu(4u + du));
    let si = pi(4u + 2u * R + du);
    let ss = pi(4u + 3u * R + du);
    for (var k = 0; k < i32(pu(3u)); k++) {
      var j = index[io + k * si];
      if (j < 0) { j += size; }
      if (j == wanted) { acc += ${load(out.dtype, 'src[so + k * ss]')}; }
    }
  }
  out[oo] = ${store(out.dtype, 'acc')};
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(index.buffer).buffer, gpuBufferOf(src.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(n));
}
