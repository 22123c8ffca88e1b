/**
 * Reductions: sum/prod/max/min over any set of axes (a workgroup tree reduction per output,
 * or one thread per output for short reductions), argmax/argmin along one axis, and the
 * fused softmax/logSoftmax (one workgroup per line). On CPU adapters, where a barrier is a
 * coroutine switch, one thread per output (or line) is used whenever there are enough of them.
 *
 * The input's dims are split into kept dims (walked by the output index) and reduced dims
 * (walked by the reduction index), each merged where contiguous. max/min propagate NaN.
 * float16 inputs are accumulated in f32 and rounded once, at the store.
 */
import type { ArgReduceOp, ReduceOp, TensorView } from '@tensile/core';
import { collapseDims, sizeOf } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { computeType, ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, MAX_RANK, offsetsWGSL, Params, storageType, store } from '../wgsl.js';

const REDUCE_WORKGROUP = 64;

/** The WGSL type reduce computes `x` in: core sends float and int32 only (bools count in int32, as PyTorch's sum). */
type ReduceType = 'f32' | 'i32';

function identity(op: ReduceOp, t: ReduceType): string {
  switch (op) {
    case 'sum':
      return t === 'f32' ? '0.0' : '0';
    case 'prod':
      return t === 'f32' ? '1.0' : '1';
    case 'max':
      return t === 'f32' ? 'f32bits(0xff800000u)' : 'i32(-2147483647 - 1)';
    case 'min':
      return t === 'f32' ? 'f32bits(0x7f800000u)' : '2147483647';
    default:
      throw new Error(`webgpu backend: reduce kernel has no identity for '${op satisfies never}'`);
  }
}

function combine(op: ReduceOp, t: ReduceType): string {
  const nan = (v: string) => (t === 'f32' ? ` || is_nan(${v})` : '');
  switch (op) {
    case 'sum':
      return 'a + b';
    case 'prod':
      return 'a * b';
    case 'max':
      // Once a NaN is in `a` it stays; a NaN in `b` takes over.
      return `select(a, b, (b > a${nan('b')}) && !(false${nan('a')}))`;
    case 'min':
      return `select(a, b, (b < a${nan('b')}) && !(false${nan('a')}))`;
    default:
      throw new Error(`webgpu backend: reduce kernel has no combine for '${op satisfies never}'`);
  }
}

/** Split `x` into kept and reduced dims, merged; with `out`'s strides for the kept ones. */
function split(x: TensorView, axes: readonly number[], out: TensorView) {
  const reduced = new Set(axes);
  const kShape: number[] = [], kX: number[] = [], kOut: number[] = [];
  const rShape: number[] = [], rX: number[] = [];
  x.shape.forEach((size, d) => {
    if (reduced.has(d)) {
      rShape.push(size);
      rX.push(x.strides[d]);
    } else {
      kShape.push(size);
      kX.push(x.strides[d]);
      kOut.push(out.strides[d]);
    }
  });
  const kept = collapseDims(kShape, [kX, kOut]);
  const red = collapseDims(rShape, [rX]);
  if (kept.shape.length > MAX_RANK || red.shape.length > MAX_RANK) {
    throw new Error(`webgpu backend: reduce over a view of rank ${x.shape.length} exceeds the supported merged rank ${MAX_RANK}`);
  }
  return { kept, red, keptSize: sizeOf(kShape), redSize: sizeOf(rShape) };
}

export function reduce(rt: Runtime, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  const { kept, red, keptSize, redSize } = split(x, axes, out);
  if (keptSize === 0) return;
  const kr = kept.shape.length, rr = red.shape.length;
  // params: [outCount, redSize, kept strided (x, out), reduced strided (x)]
  const params = new Params().int(keptSize, redSize);
  const keptBase = params.length;
  params.int(...kept.shape, ...kept.strides[0], ...kept.strides[1], x.offset, out.offset);
  const redBase = params.length;
  params.int(...red.shape, ...red.strides[0], 0);
  const t: ReduceType = x.dtype === 'int32' ? 'i32' : 'f32';
  // On CPU adapters a thread per output is best once there are two workgroups of them (one
  // per core): the tree reduction's barriers are coroutine switches there.
  const perThread = redSize <= 16 || (keptSize >= 1024 && redSize <= 256) || (rt.cpu && keptSize >= 128);
  const common = `${headerWGSL([{ name: 'x', type: storageType(x.dtype), write: false }, { name: 'out', type: storageType(out.dtype), write: true }])}
fn combine_(a: ${t}, b: ${t}) -> ${t} { return ${combine(op, t)}; }
fn load_(base: i32, r: u32) -> ${t} {
  ${offsetsWGSL('r', ['ro'], rr, redBase)}
  return ${load(x.dtype, 'x[base + ro]')};
}`;
  const xb = gpuBufferOf(x.buffer).buffer, ob = gpuBufferOf(out.buffer).buffer;
  if (perThread) {
    const kernel: KernelSource = {
      key: `reduce.thread:${op}:${x.dtype}:k${kr}:r${rr}`,
      writes: [false, true],
      wgsl: () => `${common}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= pu(0u)) { return; }
  ${offsetsWGSL('i', ['xo', 'oo'], kr, keptBase)}
  var acc: ${t} = ${identity(op, t)};
  for (var r = 0u; r < pu(1u); r++) { acc = combine_(acc, load_(xo, r)); }
  out[oo] = ${store(out.dtype, 'acc')};
}`,
    };
    rt.dispatch(kernel, [xb, ob], params, grid(keptSize));
    return;
  }
  const W = REDUCE_WORKGROUP;
  const kernel: KernelSource = {
    key: `reduce.group:${op}:${x.dtype}:k${kr}:r${rr}`,
    writes: [false, true],
    wgsl: () => `${common}
var<workgroup> part: array<${t}, ${W}>;
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = wid.x + wid.y * nwg.x;
  let live = i < pu(0u);
  ${offsetsWGSL('select(0u, i, live)', ['xo', 'oo'], kr, keptBase)}
  var acc: ${t} = ${identity(op, t)};
  if (live) {
    for (var r = li; r < pu(1u); r += ${W}u) { acc = combine_(acc, load_(xo, r)); }
  }
  part[li] = acc;
  workgroupBarrier();
  for (var s = ${W / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { part[li] = combine_(part[li], part[li + s]); }
    workgroupBarrier();
  }
  if (live && li == 0u) { out[oo] = ${store(out.dtype, 'part[0]')}; }
}`,
  };
  rt.dispatch(kernel, [xb, ob], params, grid(keptSize, 1));
}

/** Per line along `axis`: params [lines, n, outer strided (x, out), x stride along axis]. */
function lineParams(x: TensorView, axis: number, out: TensorView) {
  const oShape = x.shape.filter((_, d) => d !== axis);
  const merged = collapseDims(oShape, [x.strides.filter((_, d) => d !== axis), out.strides.filter((_, d) => d !== axis)]);
  const lines = sizeOf(oShape);
  const params = new Params().int(lines, x.shape[axis], x.strides[axis], out.strides[axis]);
  const rank = merged.shape.length;
  if (rank > MAX_RANK) throw new Error(`webgpu backend: a view of rank ${x.shape.length} exceeds the supported merged rank ${MAX_RANK}`);
  params.int(...merged.shape, ...merged.strides[0], ...merged.strides[1], x.offset, out.offset);
  return { params, rank, lines };
}

/** First index of the extreme value along `axis`; a NaN counts as the extreme (as PyTorch). */
export function argReduce(rt: Runtime, op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  const { params, rank, lines } = lineParams(x, axis, out);
  if (lines === 0) return;
  const t = computeType(x.dtype);
  const better = op === 'argmax' ? 'v > best' : 'v < best';
  const nan = t === 'f32' ? 'is_nan(v)' : 'false';
  const bestNan = t === 'f32' ? 'is_nan(best)' : 'false';
  const kernel: KernelSource = {
    key: `argreduce:${op}:${x.dtype}:r${rank}`,
    writes: [false, true],
    wgsl: () => `${headerWGSL([{ name: 'x', type: storageType(x.dtype), write: false }, { name: 'out', type: 'i32', write: true }])}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= pu(0u)) { return; }
  ${offsetsWGSL('i', ['xo', 'oo'], rank, 4)}
  let n = pu(1u);
  let sx = pi(2u);
  var at = 0;
  if (n > 0u) {
    var best = ${load(x.dtype, 'x[xo]')};
    if (!(${bestNan})) {
      for (var k = 1u; k < n; k++) {
        let v = ${load(x.dtype, 'x[xo + i32(k) * sx]')};
        if (${nan}) { at = i32(k); break; }
        if (${better}) { at = i32(k); best = v; }
      }
    }
  }
  out[oo] = at;
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(lines));
}

/** Softmax (or log-softmax) along `axis`: one workgroup per line, three passes over it. */
export function softmax(rt: Runtime, x: TensorView, axis: number, out: TensorView, log: boolean): void {
  const { params, rank, lines } = lineParams(x, axis, out);
  if (lines === 0 || x.shape[axis] === 0) return;
  const header = headerWGSL([{ name: 'x', type: storageType(x.dtype), write: false }, { name: 'out', type: storageType(out.dtype), write: true }]);
  const xAt = (k: string) => load(x.dtype, `x[xo + i32(${k}) * sx]`);
  const write = (k: string) => `out[oo + i32(${k}) * so] = ${store(out.dtype, log ? `${xAt(k)} - shift` : `exp(${xAt(k)} - m) / total`)};`;
  const variant = `${log ? 'log' : 'plain'}:${x.dtype}:r${rank}`;
  if (rt.cpu && lines >= 128) {
    // CPU adapters, enough lines for every core: a thread per line, no barriers.
    const kernel: KernelSource = {
      key: `softmax.thread:${variant}`,
      writes: [false, true],
      wgsl: () => `${header}
fn maxNan(a: f32, b: f32) -> f32 { return select(a, b, (b > a || is_nan(b)) && !is_nan(a)); }
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= pu(0u)) { return; }
  ${offsetsWGSL('i', ['xo', 'oo'], rank, 4)}
  let n = pu(1u);
  let sx = pi(2u);
  let so = pi(3u);
  var m = f32bits(0xff800000u);
  for (var k = 0u; k < n; k++) { m = maxNan(m, ${xAt('k')}); }
  var total = 0.0;
  for (var k = 0u; k < n; k++) { total += exp(${xAt('k')} - m); }
  ${log ? 'let shift = m + log(total);' : ''}
  for (var k = 0u; k < n; k++) { ${write('k')} }
}`,
    };
    rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(lines));
    return;
  }
  const W = REDUCE_WORKGROUP;
  const kernel: KernelSource = {
    key: `softmax:${variant}`,
    writes: [false, true],
    wgsl: () => `${header}
var<workgroup> part: array<f32, ${W}>;
fn maxNan(a: f32, b: f32) -> f32 { return select(a, b, (b > a || is_nan(b)) && !is_nan(a)); }
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = wid.x + wid.y * nwg.x;
  let live = i < pu(0u);
  ${offsetsWGSL('select(0u, i, live)', ['xo', 'oo'], rank, 4)}
  let n = select(0u, pu(1u), live);
  let sx = pi(2u);
  let so = pi(3u);
  var m = f32bits(0xff800000u);
  for (var k = li; k < n; k += ${W}u) { m = maxNan(m, ${xAt('k')}); }
  part[li] = m;
  workgroupBarrier();
  for (var s = ${W / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { part[li] = maxNan(part[li], part[li + s]); }
    workgroupBarrier();
  }
  m = part[0];
  workgroupBarrier();
  var total = 0.0;
  for (var k = li; k < n; k += ${W}u) { total += exp(${xAt('k')} - m); }
  part[li] = total;
  workgroupBarrier();
  for (var s = ${W / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { part[li] = part[li] + part[li + s]; }
    workgroupBarrier();
  }
  total = part[0];
  ${log ? 'let shift = m + log(total);' : ''}
  for (var k = li; k < n; k += ${W}u) { ${write('k')} }
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(lines, 1));
}
