/**
 * 2-D max and average pooling and their gradients, one thread per element.
 *
 * The gradient is a gather, not a scatter: each input cell's thread visits the windows that
 * can contain it and adds their share (max: when it is the window's first maximum, found
 * exactly as the forward kernel finds it). Each cell is written once: no atomics, and the
 * result does not depend on scheduling. float16 is read as f32 and rounded once, at the store.
 */
import { fieldsOf, POOL_FIELDS, poolGeometry, sizeOf, type DType, type Pool2dParams, type PoolOp, type TensorView } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, storageType, store, UniformRecord } from '../wgsl.js';

/**
 * Parameters of both kernels: the elements of `out` (one thread each), core's pool geometry
 * (field for field, in POOL_FIELDS' order), and the strides and offset of each view (x, out;
 * x, dy, out for the gradient).
 */
function poolRecord(views: number) {
  return UniformRecord.of('pool', [['count', 1], ...fieldsOf(POOL_FIELDS), ['strides', [views, 4]], ['offsets', [views]]]);
}
const POOL_RECORD = poolRecord(2);
const POOL_BACKWARD_RECORD = poolRecord(3);

/** `count` threads, the geometry of x's and the output's shapes, and the views in binding order. */
function poolParams(
  record: typeof POOL_RECORD, count: number, x: TensorView, output: readonly number[], p: Pool2dParams, views: readonly TensorView[],
) {
  return record.pack({
    count, ...poolGeometry(x.shape, output, p), strides: views.flatMap((v) => v.strides), offsets: views.map((v) => v.offset),
  });
}

/** Helpers of both kernels; `x` holds `dtype`. */
const poolCommon = (dtype: DType) => /* wgsl */ `
// Element offset in view v (in binding order) of index (a, b, c, d).
fn at(v: u32, a: i32, b: i32, c: i32, d: i32) -> i32 {
  return pool_offsets(v) + a * pool_strides(v, 0u) + b * pool_strides(v, 1u) + c * pool_strides(v, 2u) + d * pool_strides(v, 3u);
}
// Index ih * W + iw of the window's first maximum (a NaN takes over), -1 if all padding.
fn windowArgmax(n: i32, c: i32, h0: i32, w0: i32) -> i32 {
  var best = -1;
  var bestValue = 0.0;
  for (var i = 0; i < pool_kH(); i++) {
    let ih = h0 + i * pool_dilH();
    if (ih < 0 || ih >= pool_inH()) { continue; }
    for (var j = 0; j < pool_kW(); j++) {
      let iw = w0 + j * pool_dilW();
      if (iw < 0 || iw >= pool_inW()) { continue; }
      let v = ${load(dtype, 'x[at(0u, n, c, ih, iw)]')};
      if (best < 0 || v > bestValue || is_nan(v)) { best = ih * pool_inW() + iw; bestValue = v; }
    }
  }
  return best;
}
fn avgDivisor(h0: i32, w0: i32) -> f32 {
  let inc = pool_countIncludePad_u() == 1u;
  let lowH = select(0, -pool_padH(), inc); let highH = select(pool_inH(), pool_inH() + pool_padH(), inc);
  let lowW = select(0, -pool_padW(), inc); let highW = select(pool_inW(), pool_inW() + pool_padW(), inc);
  var rows = 0; var cols = 0;
  for (var i = 0; i < pool_kH(); i++) { let h = h0 + i * pool_dilH(); if (h >= lowH && h < highH) { rows++; } }
  for (var j = 0; j < pool_kW(); j++) { let w = w0 + j * pool_dilW(); if (w >= lowW && w < highW) { cols++; } }
  return f32(rows * cols);
}
`;

/**
 * The entry point's opening: one thread per element `e` of the out (forward) or in (backward)
 * NCHW tensor, split into `n`, `c` and the spatial indices named `h` and `w`.
 */
function onePerElement(dims: 'out' | 'in', h: string, w: string): string {
  const H = `pool_${dims}H_u()`;
  const W = `pool_${dims}W_u()`;
  return `${ENTRY_1D} {
  let e = ${FLAT_INDEX};
  if (e >= pool_count_u()) { return; }
  let ${w} = i32(e % ${W}); let ${h} = i32((e / ${W}) % ${H});
  let c = i32((e / (${W} * ${H})) % pool_channels_u()); let n = i32(e / (${W} * ${H} * pool_channels_u()));`;
}

function isMax(op: PoolOp): boolean {
  switch (op) {
    case 'max':
      return true;
    case 'avg':
      return false;
    default:
      throw new Error(`webgpu backend: unknown pool op '${op satisfies never}'`);
  }
}

export function pool2d(rt: Runtime, op: PoolOp, x: TensorView, out: TensorView, p: Pool2dParams): void {
  const max = isMax(op);
  const count = sizeOf(out.shape);
  if (count === 0) return;
  const params = poolParams(POOL_RECORD, count, x, out.shape, p, [x, out]);
  const t = storageType(x.dtype);
  const kernel: KernelSource = {
    key: `pool2d:${op}:${x.dtype}`,
    writes: [false, true],
    wgsl: () => `${headerWGSL(POOL_RECORD, [{ name: 'x', type: t, write: false }, { name: 'out', type: t, write: true }])}
${poolCommon(x.dtype)}
${onePerElement('out', 'oh', 'ow')}
  let h0 = oh * pool_strideH() - pool_padH();
  let w0 = ow * pool_strideW() - pool_padW();
  var result: f32;
  ${max
    ? `let best = windowArgmax(n, c, h0, w0);
  if (best < 0) { result = f32bits(0xff800000u); } else { result = ${load(x.dtype, 'x[at(0u, n, c, best / pool_inW(), best % pool_inW())]')}; }`
    : `var sum = 0.0;
  for (var i = 0; i < pool_kH(); i++) {
    let ih = h0 + i * pool_dilH();
    if (ih < 0 || ih >= pool_inH()) { continue; }
    for (var j = 0; j < pool_kW(); j++) {
      let iw = w0 + j * pool_dilW();
      if (iw >= 0 && iw < pool_inW()) { sum += ${load(x.dtype, 'x[at(0u, n, c, ih, iw)]')}; }
    }
  }
  result = sum / avgDivisor(h0, w0);`}
  out[at(1u, n, c, oh, ow)] = ${store(out.dtype, 'result')};
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(count));
}

export function pool2dBackward(rt: Runtime, op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, p: Pool2dParams): void {
  const max = isMax(op);
  const count = sizeOf(out.shape);
  if (count === 0) return;
  const params = poolParams(POOL_BACKWARD_RECORD, count, x, dy.shape, p, [x, dy, out]);
  const t = storageType(x.dtype);
  const kernel: KernelSource = {
    key: `pool2dBackward:${op}:${x.dtype}`,
    writes: [false, false, true],
    wgsl: () => `${headerWGSL(POOL_BACKWARD_RECORD, [{ name: 'x', type: t, write: false }, { name: 'dy', type: t, write: false }, { name: 'out', type: t, write: true }])}
${poolCommon(x.dtype)}
${onePerElement('in', 'ih', 'iw')}
  let me = ih * pool_inW() + iw;
  var sum = 0.0;
  // Windows (oh, ow) whose cell (i, j) lands on (ih, iw), in the cpu's accumulation order.
  for (var oh = 0; oh < pool_outH(); oh++) {
    let h0 = oh * pool_strideH() - pool_padH();
    let ti = ih - h0;
    if (ti < 0 || ti % pool_dilH() != 0 || ti / pool_dilH() >= pool_kH()) { continue; }
    for (var ow = 0; ow < pool_outW(); ow++) {
      let w0 = ow * pool_strideW() - pool_padW();
      let tj = iw - w0;
      if (tj < 0 || tj % pool_dilW() != 0 || tj / pool_dilW() >= pool_kW()) { continue; }
      let grad = ${load(dy.dtype, 'dy[at(1u, n, c, oh, ow)]')};
      ${max ? 'if (windowArgmax(n, c, h0, w0) == me) { sum += grad; }' : 'sum += grad / avgDivisor(h0, w0);'}
    }
  }
  out[at(2u, n, c, ih, iw)] = ${store(out.dtype, 'sum')};
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(dy.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(count));
}
