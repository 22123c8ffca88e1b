/**
 * gather, scatterAdd and the counter-based RNG.
 *
 * scatterAdd is written as a gather, with no atomics (WGSL has no float atomics): each
 * thread owns one output element and walks the index line that can reach it, adding every
 * `src` entry whose index names it, in the index's order. The result is deterministic and
 * sums in the same order as the cpu backend; float16 sums in f32 and rounds once.
 */
import type { RandomDistribution, RandomKey, TensorView } from '@tensile/core';
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

/** Philox4x32-10, line for line as core's random.ts (16-bit limbs for the high product words). */
const PHILOX_WGSL = /* wgsl */ `
fn mulhi(a: u32, b: u32) -> u32 {
  let aHi = a >> 16u; let aLo = a & 0xffffu; let bHi = b >> 16u; let bLo = b & 0xffffu;
  let loLo = aLo * bLo; let mid1 = aHi * bLo; let mid2 = aLo * bHi;
  let carry = ((loLo >> 16u) + (mid1 & 0xffffu) + (mid2 & 0xffffu)) >> 16u;
  return aHi * bHi + (mid1 >> 16u) + (mid2 >> 16u) + carry;
}
fn philox(c0: u32, c1: u32, k0: u32, k1: u32) -> vec2<u32> {
  var x0 = c0; var x1 = c1; var x2 = 0u; var x3 = 0u;
  var key0 = k0; var key1 = k1;
  for (var rnd = 0; rnd < 10; rnd++) {
    let hi0 = mulhi(0xd2511f53u, x0); let lo0 = 0xd2511f53u * x0;
    let hi1 = mulhi(0xcd9e8d57u, x2); let lo1 = 0xcd9e8d57u * x2;
    let n0 = hi1 ^ x1 ^ key0;
    let n2 = hi0 ^ x3 ^ key1;
    x0 = n0; x1 = lo1; x2 = n2; x3 = lo0;
    key0 = key0 + 0x9e3779b9u;
    key1 = key1 + 0xbb67ae85u;
  }
  return vec2<u32>(x0, x1);
}
fn uniform_(w: u32) -> f32 { return f32(w >> 8u) * (1.0 / 16777216.0); }
// cos(2 pi u) for u in [0, 1), reduced on u exactly (u is a multiple of 2^-24), then a
// polynomial on [-pi/4, pi/4]: accurate to float32 rounding, whatever the builtin cos does.
fn cos2pi(u: f32) -> f32 {
  let q = round(u * 4.0);            // nearest quarter turn
  let r = (u - q * 0.25) * 6.28318530717958647; // in [-pi/4, pi/4]
  let z = r * r;
  let c = 1.0 + z * (-0.5 + z * (0.041666666666 + z * (-0.0013888888889 + z * 0.0000248015873)));
  let s = r * (1.0 + z * (-0.16666666667 + z * (0.0083333333333 + z * (-0.000198412698 + z * 0.0000027557319))));
  let k = u32(q) & 3u;
  if (k == 0u) { return c; }
  if (k == 1u) { return -s; }
  if (k == 2u) { return -c; }
  return s;
}
`;

/** Element i (row-major) of `out` gets Philox at counter `key.offset + i`. */
export function random(rt: Runtime, distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
  if (out.dtype !== 'float32') throw new Error(`webgpu backend: random expects float32 tensors, got ${out.dtype}`);
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const normal = distribution === 'normal';
  const params = new Params().int(n, key.offset % 4294967296, Math.floor(key.offset / 4294967296), key.seed >>> 0);
  const rank = pushStrided(params, out.shape, [out]);
  const kernel: KernelSource = {
    key: `random:${distribution}:r${rank}`,
    writes: [true],
    wgsl: () => `${headerWGSL([{ name: 'out', type: 'f32', write: true }])}
${PHILOX_WGSL}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= pu(0u)) { return; }
  ${offsetsWGSL('i', ['oo'], rank, 4)}
  let lo = pu(1u) + i;
  let hi = pu(2u) + select(0u, 1u, lo < i);
  let w = philox(lo, hi, pu(3u), 0x7e45113u);
  let u0 = uniform_(w.x);
  ${normal ? 'out[oo] = sqrt(-2.0 * log(1.0 - u0)) * cos2pi(uniform_(w.y));' : 'out[oo] = u0;'}
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(out.buffer).buffer], params, grid(n));
}
