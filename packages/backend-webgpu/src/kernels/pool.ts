/**
 * 2-D max and average pooling and their gradients, one thread per element.
 *
 * The gradient is a gather, not a scatter: each input cell's thread visits the windows that
 * can contain it and adds their share (max: when it is the window's first maximum, found
 * exactly as the forward kernel finds it). Each cell is written once: no atomics, and the
 * result does not depend on scheduling. float16 is read as f32 and rounded once, at the store.
 */
import type { DType, Pool2dParams, PoolOp, TensorView } from '@tensile/core';
import { sizeOf } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, Params, storageType, store } from '../wgsl.js';

// Words: 0 count, 1 C, 2 H, 3 W, 4 oH, 5 oW, 6 kH, 7 kW, 8 sH, 9 sW, 10 pH, 11 pW, 12 dH, 13 dW,
// 14 countIncludePad, then views x, dy (backward only), out: 4 strides and an offset each from 15.
function poolParams(count: number, x: TensorView, oH: number, oW: number, p: Pool2dParams, views: TensorView[]): Params {
  const [, channels, height, width] = x.shape;
  const params = new Params().int(count, channels, height, width, oH, oW, p.kernelSize[0], p.kernelSize[1]);
  params.int(p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], p.countIncludePad ? 1 : 0);
  for (const v of views) params.int(...v.strides, v.offset);
  return params;
}

/** Helpers of both kernels; `x` holds `dtype`. */
const poolCommon = (dtype: DType) => /* wgsl */ `
fn g(i: u32) -> i32 { return pi(i); }
fn at(v: u32, a: i32, b: i32, c: i32, d: i32) -> i32 {
  let base = 15u + v * 5u;
  return pi(base + 4u) + a * pi(base) + b * pi(base + 1u) + c * pi(base + 2u) + d * pi(base + 3u);
}
// Index ih * W + iw of the window's first maximum (a NaN takes over), -1 if all padding.
fn windowArgmax(n: i32, c: i32, h0: i32, w0: i32) -> i32 {
  var best = -1;
  var bestValue = 0.0;
  for (var i = 0; i < g(6u); i++) {
    let ih = h0 + i * g(12u);
    if (ih < 0 || ih >= g(2u)) { continue; }
    for (var j = 0; j < g(7u); j++) {
      let iw = w0 + j * g(13u);
      if (iw < 0 || iw >= g(3u)) { continue; }
      let v = ${load(dtype, 'x[at(0u, n, c, ih, iw)]')};
      if (best < 0 || v > bestValue || is_nan(v)) { best = ih * g(3u) + iw; bestValue = v; }
    }
  }
  return best;
}
fn avgDivisor(h0: i32, w0: i32) -> f32 {
  let inc = pu(14u) == 1u;
  let lowH = select(0, -g(10u), inc); let highH = select(g(2u), g(2u) + g(10u), inc);
  let lowW = select(0, -g(11u), inc); let highW = select(g(3u), g(3u) + g(11u), inc);
  var rows = 0; var cols = 0;
  for (var i = 0; i < g(6u); i++) { let h = h0 + i * g(12u); if (h >= lowH && h < highH) { rows++; } }
  for (var j = 0; j < g(7u); j++) { let w = w0 + j * g(13u); if (w >= lowW && w < highW) { cols++; } }
  return f32(rows * cols);
}
`;

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
  const [, , oH, oW] = out.shape;
  const params = poolParams(count, x, oH, oW, p, [x, out]);
  const t = storageType(x.dtype);
  const kernel: KernelSource = {
    key: `pool2d:${op}:${x.dtype}`,
    writes: [false, true],
    wgsl: () => `${headerWGSL([{ name: 'x', type: t, write: false }, { name: 'out', type: t, write: true }])}
${poolCommon(x.dtype)}
${ENTRY_1D} {
  let e = ${FLAT_INDEX};
  if (e >= pu(0u)) { return; }
  let ow = i32(e % pu(5u)); let oh = i32((e / pu(5u)) % pu(4u));
  let c = i32((e / (pu(5u) * pu(4u))) % pu(1u)); let n = i32(e / (pu(5u) * pu(4u) * pu(1u)));
  let h0 = oh * g(8u) - g(10u);
  let w0 = ow * g(9u) - g(11u);
  var result: f32;
  ${max
    ? `let best = windowArgmax(n, c, h0, w0);
  if (best < 0) { result = f32bits(0xff800000u); } else { result = ${load(x.dtype, 'x[at(0u, n, c, best / g(3u), best % g(3u))]')}; }`
    : `var sum = 0.0;
  for (var i = 0; i < g(6u); i++) {
    let ih = h0 + i * g(12u);
    if (ih < 0 || ih >= g(2u)) { continue; }
    for (var j = 0; j < g(7u); j++) {
      let iw = w0 + j * g(13u);
      if (iw >= 0 && iw < g(3u)) { sum += ${load(x.dtype, 'x[at(0u, n, c, ih, iw)]')}; }
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
  const [, , oH, oW] = dy.shape;
  const params = poolParams(count, x, oH, oW, p, [x, dy, out]);
  const t = storageType(x.dtype);
  const kernel: KernelSource = {
    key: `pool2dBackward:${op}:${x.dtype}`,
    writes: [false, false, true],
    wgsl: () => `${headerWGSL([{ name: 'x', type: t, write: false }, { name: 'dy', type: t, write: false }, { name: 'out', type: t, write: true }])}
${poolCommon(x.dtype)}
${ENTRY_1D} {
  let e = ${FLAT_INDEX};
  if (e >= pu(0u)) { return; }
  let iw = i32(e % pu(3u)); let ih = i32((e / pu(3u)) % pu(2u));
  let c = i32((e / (pu(3u) * pu(2u))) % pu(1u)); let n = i32(e / (pu(3u) * pu(2u) * pu(1u)));
  let me = ih * g(3u) + iw;
  var sum = 0.0;
  // Windows (oh, ow) whose cell (i, j) lands on (ih, iw), in the cpu's accumulation order.
  for (var oh = 0; oh < g(4u); oh++) {
    let h0 = oh * g(8u) - g(10u);
    let ti = ih - h0;
    if (ti < 0 || ti % g(12u) != 0 || ti / g(12u) >= g(6u)) { continue; }
    for (var ow = 0; ow < g(5u); ow++) {
      let w0 = ow * g(9u) - g(11u);
      let tj = iw - w0;
      if (tj < 0 || tj % g(13u) != 0 || tj / g(13u) >= g(7u)) { continue; }
      let grad = ${load(dy.dtype, 'dy[at(1u, n, c, oh, ow)]')};
      ${max ? 'if (windowArgmax(n, c, h0, w0) == me) { sum += grad; }' : 'sum += grad / avgDivisor(h0, w0);'}
    }
  }
  out[at(2u, n, c, ih, iw)] = ${store(out.dtype, 'sum')};
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(x.buffer).buffer, gpuBufferOf(dy.buffer).buffer, gpuBufferOf(out.buffer).buffer], params, grid(count));
}
