/**
 * Reductions: sum/prod/max/min over any set of axes (a workgroup tree reduction per output,
 * or one thread per output for short reductions), argmax/argmin along one axis, and the
 * fused softmax/logSoftmax (one workgroup per line). On CPU adapters, where a barrier is a
 * coroutine switch, one thread per output (or line) is used whenever there are enough of them.
 *
 * core's planReduce splits the input's dims into kept dims (walked by the output index) and
 * reduced dims (walked by the reduction index), each merged where contiguous. max/min
 * propagate NaN. float16 inputs are accumulated in f32 and rounded once, at the store.
 */
import type { ArgReduceOp, ReduceOp, TensorView } from '@tensile/core';
import { planReduce } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import {
  checkRank, computeType, ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, planWalk, storageType, store, UniformRecord, walkFields, walkValues, walkWGSL,
} from '../wgsl.js';

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

/**
 * Parameters of reduce: outputs and the elements folded into each; the walk over the kept
 * dims (x, out) and over the reduced ones (x, from offset 0).
 */
function reduceRecord(keptRank: number, reducedRank: number) {
  return UniformRecord.of('reduce', [
    ['count', 1], ['innerSize', 1], ...walkFields('outer', keptRank, 2), ...walkFields('inner', reducedRank, 1),
  ]);
}

export function reduce(rt: Runtime, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  const plan = planReduce(x, axes, out);
  const keptSize = plan.outerSize, redSize = plan.innerSize;
  if (keptSize === 0) return;
  const kr = plan.outer.shape.length, rr = plan.inner.shape.length;
  checkRank('reduce', Math.max(kr, rr));
  const record = reduceRecord(kr, rr);
  const params = record.pack({
    count: keptSize,
    innerSize: redSize,
    ...walkValues('outer', { shape: plan.outer.shape, strides: [plan.outer.x, plan.outer.out], offsets: [x.offset, out.offset] }),
    ...walkValues('inner', { shape: plan.inner.shape, strides: [plan.inner.x], offsets: [0] }),
  });
  const t: ReduceType = x.dtype === 'int32' ? 'i32' : 'f32';
  // On CPU adapters a thread per output is best once there are two workgroups of them (one
  // per core): the tree reduction's barriers are coroutine switches there.
  const perThread = redSize <= 16 || (keptSize >= 1024 && redSize <= 256) || (rt.cpu && keptSize >= 128);
  const common = `${headerWGSL(record, [{ name: 'x', type: storageType(x.dtype), write: false }, { name: 'out', type: storageType(out.dtype), write: true }])}
fn combine_(a: ${t}, b: ${t}) -> ${t} { return ${combine(op, t)}; }
fn load_(base: i32, r: u32) -> ${t} {
  ${walkWGSL(record, 'inner', 'r', ['ro'])}
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
  if (i >= reduce_count_u()) { return; }
  ${walkWGSL(record, 'outer', 'i', ['xo', 'oo'])}
  var acc: ${t} = ${identity(op, t)};
  for (var r = 0u; r < reduce_innerSize_u(); r++) { acc = combine_(acc, load_(xo, r)); }
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
  let live = i < reduce_count_u();
  ${walkWGSL(record, 'outer', 'select(0u, i, live)', ['xo', 'oo'])}
  var acc: ${t} = ${identity(op, t)};
  if (live) {
    for (var r = li; r < reduce_innerSize_u(); r += ${W}u) { acc = combine_(acc, load_(xo, r)); }
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

/**
 * Parameters of the kernels that walk whole lines along one axis (argReduce, softmax): the
 * lines and their length, x's and out's strides along the axis, and the walk over the
 * other dims (x, out).
 */
function linesRecord(rank: number) {
  return UniformRecord.of('lines', [['count', 1], ['lineLength', 1], ['xStride', 1], ['outStride', 1], ...walkFields('outer', rank, 2)]);
}

function lineParams(kernel: string, x: TensorView, axis: number, out: TensorView) {
  const others = (strides: readonly number[]) => strides.filter((_, d) => d !== axis);
  const plan = planWalk(kernel, x.shape.filter((_, d) => d !== axis), [
    { strides: others(x.strides), offset: x.offset },
    { strides: others(out.strides), offset: out.offset },
  ]);
  const record = linesRecord(plan.shape.length);
  const params = record.pack({
    count: plan.size, lineLength: x.shape[axis], xStride: x.strides[axis], outStride: out.strides[axis], ...walkValues('outer', plan),
  });
  return { record, params, rank: plan.shape.length, lines: plan.size };
}

/**
 * The entry point's opening for a kernel with one thread per line `i`: the line's start in
 * `x` and `out` (`xo`, `oo`), its length `n` and its stride in `x` (`sx`).
 */
function oneThreadPerLine(record: UniformRecord<string>): string {
  return `${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= lines_count_u()) { return; }
  ${walkWGSL(record, 'outer', 'i', ['xo', 'oo'])}
  let n = lines_lineLength_u();
  let sx = lines_xStride();`;
}

/** First index of the extreme value along `axis`; a NaN counts as the extreme (as PyTorch). */
export function argReduce(rt: Runtime, op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  const { record, params, rank, lines } = lineParams(op, x, axis, out);
  if (lines === 0) return;
  const t = computeType(x.dtype);
  const better = op === 'argmax' ? 'v > best' : 'v < best';
  const nan = t === 'f32' ? 'is_nan(v)' : 'false';
  const bestNan = t === 'f32' ? 'is_nan(best)' : 'false';
  const kernel: KernelSource = {
    key: `argreduce:${op}:${x.dtype}:r${rank}`,
    writes: [false, true],
    wgsl: () => `${headerWGSL(record, [{ name: 'x', type: storageType(x.dtype), write: false }, { name: 'out', type: 'i32', write: true }])}
${oneThreadPerLine(record)}
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
  const { record, params, rank, lines } = lineParams(log ? 'logSoftmax' : 'softmax', x, axis, out);
  if (lines === 0 || x.shape[axis] === 0) return;
  const header = headerWGSL(record, [{ name: 'x', type: storageType(x.dtype), write: false }, { name: 'out', type: storageType(out.dtype), write: true }]);
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
${oneThreadPerLine(record)}
  let so = lines_outStride();
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
  let live = i < lines_count_u();
  ${walkWGSL(record, 'outer', 'select(0u, i, live)', ['xo', 'oo'])}
  let n = select(0u, lines_lineLength_u(), live);
  let sx = lines_xStride();
  let so = lines_outStride();
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
