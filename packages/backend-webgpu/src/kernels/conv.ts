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
import type { Conv2dParams, DType, TensorView } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { load, Params, store } from '../wgsl.js';
import { dispatchGemm, gemmHeader, gemmWGSL, tilingKey, type GemmTiling } from './matmul.js';

/** Geometry words (after the GEMM's four) and three views' strides and offsets. */
const CONV_COMMON = `
fn g(i: u32) -> u32 { return pu(4u + i); }
fn gi(i: u32) -> i32 { return pi(4u + i); }
// Element offset in view v (0, 1: inputs; 2: out) of index (a, b, c, d).
fn at(v: u32, a: i32, b: i32, c: i32, d: i32) -> i32 {
  let base = 21u + v * 5u;
  return pi(base + 4u) + a * pi(base) + b * pi(base + 1u) + c * pi(base + 2u) + d * pi(base + 3u);
}
fn prelude(z: u32) {}
`;
// Geometry indices: 0 N, 1 C, 2 H, 3 W, 4 O, 5 Cg, 6 Og, 7 kH, 8 kW, 9 oH, 10 oW, 11 sH, 12 sW, 13 pH, 14 pW, 15 dH, 16 dW.

function convParams(
  m: number, n: number, k: number,
  input: readonly number[], weight: readonly number[], output: readonly number[], p: Conv2dParams,
  views: readonly TensorView[],
): Params {
  const params = new Params().int(m, n, k, 0);
  const [batch, channels, height, width] = input;
  const [outChannels, groupChannels, kH, kW] = weight;
  params.int(batch, channels, height, width, outChannels, groupChannels, outChannels / p.groups, kH, kW, output[2], output[3]);
  params.int(p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1]);
  for (const v of views) params.int(...v.strides, v.offset);
  return params;
}

function convKernel(name: string, dtype: DType, tiling: GemmTiling, loaders: string): KernelSource {
  return {
    key: `conv.${name}:${dtype}:${tilingKey(tiling)}`,
    writes: [false, false, true],
    wgsl: () => gemmWGSL(tiling, gemmHeader(dtype), CONV_COMMON + loaders),
  };
}

function buffersOf(...views: TensorView[]): GPUBuffer[] {
  return views.map((v) => gpuBufferOf(v.buffer).buffer);
}

export function conv2d(rt: Runtime, tiling: GemmTiling, x: TensorView, weight: TensorView, out: TensorView, p: Conv2dParams): void {
  const [batch] = x.shape;
  const [outChannels, groupChannels, kH, kW] = weight.shape;
  const [, , oH, oW] = out.shape;
  const m = outChannels / p.groups, n = batch * oH * oW, k = groupChannels * kH * kW;
  if (m === 0 || n === 0) return;
  const params = convParams(m, n, k, x.shape, weight.shape, out.shape, p, [weight, x, out]);
  // in0 = weight (A), in1 = x (B).
  const dt = out.dtype;
  const kernel = convKernel('forward', dt, tiling, `
fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let khw = g(7u) * g(8u);
  let c = k / khw; let r = k % khw;
  return ${load(dt, 'in0[at(0u, i32(z * g(6u) + m), i32(c), i32(r / g(8u)), i32(r % g(8u)))]')};
}
fn loadB(z: u32, k: u32, n: u32) -> f32 {
  let khw = g(7u) * g(8u); let ohw = g(9u) * g(10u);
  let c = k / khw; let r = k % khw; let kh = i32(r / g(8u)); let kw = i32(r % g(8u));
  let b = n / ohw; let q = n % ohw; let oh = i32(q / g(10u)); let ow = i32(q % g(10u));
  let ih = oh * gi(11u) - gi(13u) + kh * gi(15u);
  let iw = ow * gi(12u) - gi(14u) + kw * gi(16u);
  if (ih < 0 || iw < 0 || ih >= gi(2u) || iw >= gi(3u)) { return 0.0; }
  return ${load(dt, 'in1[at(1u, i32(b), i32(z * g(5u) + c), ih, iw)]')};
}
fn store(z: u32, m: u32, n: u32, v: f32) {
  let ohw = g(9u) * g(10u);
  let b = n / ohw; let q = n % ohw;
  out[at(2u, i32(b), i32(z * g(6u) + m), i32(q / g(10u)), i32(q % g(10u)))] = ${store(dt, 'v')};
}
`);
  dispatchGemm(rt, kernel, buffersOf(weight, x, out), params, tiling, m, n, p.groups);
}

export function conv2dBackwardInput(rt: Runtime, tiling: GemmTiling, dy: TensorView, weight: TensorView, out: TensorView, p: Conv2dParams): void {
  const [batch, , height, width] = out.shape;
  const [outChannels, groupChannels, kH, kW] = weight.shape;
  const m = groupChannels, n = batch * height * width, k = (outChannels / p.groups) * kH * kW;
  if (m === 0 || n === 0) return;
  const params = convParams(m, n, k, out.shape, weight.shape, dy.shape, p, [weight, dy, out]);
  const dt = out.dtype;
  const kernel = convKernel('backwardInput', dt, tiling, `
fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let khw = g(7u) * g(8u);
  let o = k / khw; let r = k % khw;
  return ${load(dt, 'in0[at(0u, i32(z * g(6u) + o), i32(m), i32(r / g(8u)), i32(r % g(8u)))]')};
}
fn loadB(z: u32, k: u32, n: u32) -> f32 {
  let khw = g(7u) * g(8u); let hw = g(2u) * g(3u);
  let o = k / khw; let r = k % khw; let kh = i32(r / g(8u)); let kw = i32(r % g(8u));
  let b = n / hw; let q = n % hw; let ih = i32(q / g(3u)); let iw = i32(q % g(3u));
  let th = ih + gi(13u) - kh * gi(15u);
  let tw = iw + gi(14u) - kw * gi(16u);
  if (th < 0 || tw < 0) { return 0.0; }
  let sh = gi(11u); let sw = gi(12u);
  if (th % sh != 0 || tw % sw != 0) { return 0.0; }
  let oh = th / sh; let ow = tw / sw;
  if (oh >= gi(9u) || ow >= gi(10u)) { return 0.0; }
  return ${load(dt, 'in1[at(1u, i32(b), i32(z * g(6u) + o), oh, ow)]')};
}
fn store(z: u32, m: u32, n: u32, v: f32) {
  let hw = g(2u) * g(3u);
  let b = n / hw; let q = n % hw;
  out[at(2u, i32(b), i32(z * g(5u) + m), i32(q / g(3u)), i32(q % g(3u)))] = ${store(dt, 'v')};
}
`);
  dispatchGemm(rt, kernel, buffersOf(weight, dy, out), params, tiling, m, n, p.groups);
}

export function conv2dBackwardWeight(rt: Runtime, tiling: GemmTiling, x: TensorView, dy: TensorView, out: TensorView, p: Conv2dParams): void {
  const [batch] = x.shape;
  const [outChannels, groupChannels, kH, kW] = out.shape;
  const [, , oH, oW] = dy.shape;
  const m = outChannels / p.groups, n = groupChannels * kH * kW, k = batch * oH * oW;
  if (m === 0 || n === 0) return;
  const params = convParams(m, n, k, x.shape, out.shape, dy.shape, p, [dy, x, out]);
  const dt = out.dtype;
  const kernel = convKernel('backwardWeight', dt, tiling, `
fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let ohw = g(9u) * g(10u);
  let b = k / ohw; let q = k % ohw;
  return ${load(dt, 'in0[at(0u, i32(b), i32(z * g(6u) + m), i32(q / g(10u)), i32(q % g(10u)))]')};
}
fn loadB(z: u32, k: u32, n: u32) -> f32 {
  let khw = g(7u) * g(8u); let ohw = g(9u) * g(10u);
  let c = n / khw; let r = n % khw; let kh = i32(r / g(8u)); let kw = i32(r % g(8u));
  let b = k / ohw; let q = k % ohw; let oh = i32(q / g(10u)); let ow = i32(q % g(10u));
  let ih = oh * gi(11u) - gi(13u) + kh * gi(15u);
  let iw = ow * gi(12u) - gi(14u) + kw * gi(16u);
  if (ih < 0 || iw < 0 || ih >= gi(2u) || iw >= gi(3u)) { return 0.0; }
  return ${load(dt, 'in1[at(1u, i32(b), i32(z * g(5u) + c), ih, iw)]')};
}
fn store(z: u32, m: u32, n: u32, v: f32) {
  let khw = g(7u) * g(8u);
  let c = n / khw; let r = n % khw;
  out[at(2u, i32(z * g(6u) + m), i32(c), i32(r / g(8u)), i32(r % g(8u)))] = ${store(dt, 'v')};
}
`);
  dispatchGemm(rt, kernel, buffersOf(dy, x, out), params, tiling, m, n, p.groups);
}
