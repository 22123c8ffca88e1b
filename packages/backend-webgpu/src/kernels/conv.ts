/**
 * The 2-D convolutions (forward, gradient wrt input, gradient wrt weight) on the tiled GEMM
 * template of matmul.ts. They are implicit GEMMs: the loaders
 * compute the im2col (or col2im) index of each element they stage, so no column matrix is
 * ever stored and every output element is written exactly once (no zero-fill, no atomics).
 *
 *   forward         out[n, g*Og+m, oh, ow] = sum_k W[g*Og+m, k] · col(x)[k, (n, oh, ow)]
 *   grad wrt input  dx[n, g*Cg+c, ih, iw]  = sum_(o,kh,kw) W[g*Og+o, c, kh, kw] · dy[n, g*Og+o, oh, ow]
 *                   where ih = oh*stride - pad + kh*dilation (only exact multiples contribute)
 *   grad wrt weight dW[g*Og+o, (c,kh,kw)]  = sum_(n,oh,ow) dy[n, g*Og+o, oh, ow] · col(x)[(c,kh,kw), (n,oh,ow)]
 *
 * Operands and result share one dtype; float16 is widened by the loaders, accumulated in
 * f32 and rounded once by the store.
 */
import { CONV_FIELDS, convGeometry, fieldsOf, type Conv2dParams, type ConvGeometry, type DType, type TensorView } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { load, store, UniformRecord, type Params } from '../wgsl.js';
import { dispatchGemm, GEMM_FIELDS, gemmHeader, gemmWGSL, tilingKey, type GemmField, type GemmTiling } from './matmul.js';

/**
 * Parameters of the three kernels: the GEMM's sizes, core's conv geometry (field for field,
 * in CONV_FIELDS' order), and the strides and offset of the three views (in0, in1, out).
 */
const CONV_RECORD = UniformRecord.of('conv', [...GEMM_FIELDS, ...fieldsOf(CONV_FIELDS), ['strides', [3, 4]], ['offsets', [3]]]);

const CONV_COMMON = `
// Element offset in view v (0, 1: in0, in1; 2: out) of index (a, b, c, d).
fn at(v: u32, a: i32, b: i32, c: i32, d: i32) -> i32 {
  return conv_offsets(v) + a * conv_strides(v, 0u) + b * conv_strides(v, 1u) + c * conv_strides(v, 2u) + d * conv_strides(v, 3u);
}
fn prelude(z: u32) {}
`;

/** The GEMM's sizes, the geometry, and the views in binding order. */
function convParams(m: number, n: number, k: number, geometry: ConvGeometry, views: readonly TensorView[]): Params<GemmField> {
  return CONV_RECORD.pack({
    M: m, N: n, K: k, zBase: 0,
    ...geometry,
    strides: views.flatMap((v) => v.strides),
    offsets: views.map((v) => v.offset),
  });
}

function convKernel(name: string, dtype: DType, tiling: GemmTiling, loaders: string): KernelSource {
  return {
    key: `conv.${name}:${dtype}:${tilingKey(tiling)}`,
    writes: [false, false, true],
    wgsl: () => gemmWGSL(tiling, CONV_RECORD, gemmHeader(CONV_RECORD, dtype), CONV_COMMON + loaders),
  };
}

/**
 * Run one of the three kernels as the grouped GEMM out = A · B of `[m, n, k]`: `views` are
 * in0 (A), in1 (B) and out, in binding order; `loaders` gives the WGSL of loadA, loadB and
 * store for out's dtype.
 */
function runConvGemm(
  rt: Runtime,
  tiling: GemmTiling,
  name: string,
  geometry: ConvGeometry,
  [m, n, k]: [number, number, number],
  views: [TensorView, TensorView, TensorView],
  loaders: (dt: DType) => string,
): void {
  if (m === 0 || n === 0) return;
  const params = convParams(m, n, k, geometry, views);
  const kernel = convKernel(name, views[2].dtype, tiling, loaders(views[2].dtype));
  dispatchGemm(rt, kernel, views.map((v) => gpuBufferOf(v.buffer).buffer), params, tiling, m, n, geometry.groups);
}

export function conv2d(rt: Runtime, tiling: GemmTiling, x: TensorView, weight: TensorView, out: TensorView, p: Conv2dParams): void {
  const g = convGeometry(x.shape, weight.shape, out.shape, p);
  // in0 = weight (A), in1 = x (B).
  runConvGemm(rt, tiling, 'forward', g, [g.outCPerGroup, g.batch * g.outH * g.outW, g.inCPerGroup * g.kH * g.kW], [weight, x, out], (dt) => `
fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let khw = conv_kH_u() * conv_kW_u();
  let c = k / khw; let r = k % khw;
  return ${load(dt, 'in0[at(0u, i32(z * conv_outCPerGroup_u() + m), i32(c), i32(r / conv_kW_u()), i32(r % conv_kW_u()))]')};
}
fn loadB(z: u32, k: u32, n: u32) -> f32 {
  let khw = conv_kH_u() * conv_kW_u(); let ohw = conv_outH_u() * conv_outW_u();
  let c = k / khw; let r = k % khw; let kh = i32(r / conv_kW_u()); let kw = i32(r % conv_kW_u());
  let b = n / ohw; let q = n % ohw; let oh = i32(q / conv_outW_u()); let ow = i32(q % conv_outW_u());
  let ih = oh * conv_strideH() - conv_padH() + kh * conv_dilH();
  let iw = ow * conv_strideW() - conv_padW() + kw * conv_dilW();
  if (ih < 0 || iw < 0 || ih >= conv_inH() || iw >= conv_inW()) { return 0.0; }
  return ${load(dt, 'in1[at(1u, i32(b), i32(z * conv_inCPerGroup_u() + c), ih, iw)]')};
}
fn store(z: u32, m: u32, n: u32, v: f32) {
  let ohw = conv_outH_u() * conv_outW_u();
  let b = n / ohw; let q = n % ohw;
  out[at(2u, i32(b), i32(z * conv_outCPerGroup_u() + m), i32(q / conv_outW_u()), i32(q % conv_outW_u()))] = ${store(dt, 'v')};
}
`);
}

export function conv2dBackwardInput(rt: Runtime, tiling: GemmTiling, dy: TensorView, weight: TensorView, out: TensorView, p: Conv2dParams): void {
  const g = convGeometry(out.shape, weight.shape, dy.shape, p);
  runConvGemm(rt, tiling, 'backwardInput', g, [g.inCPerGroup, g.batch * g.inH * g.inW, g.outCPerGroup * g.kH * g.kW], [weight, dy, out], (dt) => `
fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let khw = conv_kH_u() * conv_kW_u();
  let o = k / khw; let r = k % khw;
  return ${load(dt, 'in0[at(0u, i32(z * conv_outCPerGroup_u() + o), i32(m), i32(r / conv_kW_u()), i32(r % conv_kW_u()))]')};
}
fn loadB(z: u32, k: u32, n: u32) -> f32 {
  let khw = conv_kH_u() * conv_kW_u(); let hw = conv_inH_u() * conv_inW_u();
  let o = k / khw; let r = k % khw; let kh = i32(r / conv_kW_u()); let kw = i32(r % conv_kW_u());
  let b = n / hw; let q = n % hw; let ih = i32(q / conv_inW_u()); let iw = i32(q % conv_inW_u());
  let th = ih + conv_padH() - kh * conv_dilH();
  let tw = iw + conv_padW() - kw * conv_dilW();
  if (th < 0 || tw < 0) { return 0.0; }
  let sh = conv_strideH(); let sw = conv_strideW();
  if (th % sh != 0 || tw % sw != 0) { return 0.0; }
  let oh = th / sh; let ow = tw / sw;
  if (oh >= conv_outH() || ow >= conv_outW()) { return 0.0; }
  return ${load(dt, 'in1[at(1u, i32(b), i32(z * conv_outCPerGroup_u() + o), oh, ow)]')};
}
fn store(z: u32, m: u32, n: u32, v: f32) {
  let hw = conv_inH_u() * conv_inW_u();
  let b = n / hw; let q = n % hw;
  out[at(2u, i32(b), i32(z * conv_inCPerGroup_u() + m), i32(q / conv_inW_u()), i32(q % conv_inW_u()))] = ${store(dt, 'v')};
}
`);
}

export function conv2dBackwardWeight(rt: Runtime, tiling: GemmTiling, x: TensorView, dy: TensorView, out: TensorView, p: Conv2dParams): void {
  const g = convGeometry(x.shape, out.shape, dy.shape, p);
  runConvGemm(rt, tiling, 'backwardWeight', g, [g.outCPerGroup, g.inCPerGroup * g.kH * g.kW, g.batch * g.outH * g.outW], [dy, x, out], (dt) => `
fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let ohw = conv_outH_u() * conv_outW_u();
  let b = k / ohw; let q = k % ohw;
  return ${load(dt, 'in0[at(0u, i32(b), i32(z * conv_outCPerGroup_u() + m), i32(q / conv_outW_u()), i32(q % conv_outW_u()))]')};
}
fn loadB(z: u32, k: u32, n: u32) -> f32 {
  let khw = conv_kH_u() * conv_kW_u(); let ohw = conv_outH_u() * conv_outW_u();
  let c = n / khw; let r = n % khw; let kh = i32(r / conv_kW_u()); let kw = i32(r % conv_kW_u());
  let b = k / ohw; let q = k % ohw; let oh = i32(q / conv_outW_u()); let ow = i32(q % conv_outW_u());
  let ih = oh * conv_strideH() - conv_padH() + kh * conv_dilH();
  let iw = ow * conv_strideW() - conv_padW() + kw * conv_dilW();
  if (ih < 0 || iw < 0 || ih >= conv_inH() || iw >= conv_inW()) { return 0.0; }
  return ${load(dt, 'in1[at(1u, i32(b), i32(z * conv_inCPerGroup_u() + c), ih, iw)]')};
}
fn store(z: u32, m: u32, n: u32, v: f32) {
  let khw = conv_kH_u() * conv_kW_u();
  let c = n / khw; let r = n % khw;
  out[at(2u, i32(z * conv_outCPerGroup_u() + m), i32(c), i32(r / conv_kW_u()), i32(r % conv_kW_u()))] = ${store(dt, 'v')};
}
`);
}
