/**
 * One tiled GEMM template behind matmul and the three convolution kernels.
 *
 * A workgroup computes a TM x TN tile of C = A·B: each step it stages a TM x TK block of A
 * and a TK x TN block of B in workgroup memory, then every thread accumulates an RM x RN
 * block of C in registers. The template knows nothing about layouts: each kernel supplies
 * `loadA(z, m, k)`, `loadB(z, k, n)` and `store(z, m, n, value)` in WGSL, so matmul reads
 * any strided (transposed, broadcast) operands and the convolutions read their input
 * through an implicit im2col (the GEMM operand is never materialised). `z` is the third
 * grid dimension: the batch for matmul, the group for convolutions.
 */
import { PARAMS_WGSL } from '../wgsl.js';

export interface GemmTiling {
  /** Threads along n and m. */
  wx: number;
  wy: number;
  /** Registers per thread along m and n. */
  rm: number;
  rn: number;
  /** Depth of a staged block. */
  tk: number;
}

/**
 * The tiling for an adapter: 64x64 tiles from 8x8 threads holding 8x8 accumulators each, with
 * 8-deep staged blocks (4 KiB of workgroup memory). Measured on llvmpipe this beat 16x16
 * threads of 4x4 by about 2x (fewer invocations per barrier, more work per load). Adapters
 * whose limits are below that get 32x32 tiles of 4x4 per thread.
 */
export function chooseTiling(limits: GPUSupportedLimits): GemmTiling {
  const fits = limits.maxComputeInvocationsPerWorkgroup >= 64 && limits.maxComputeWorkgroupStorageSize >= 2 * 64 * 8 * 4;
  return fits ? { wx: 8, wy: 8, rm: 8, rn: 8, tk: 8 } : { wx: 8, wy: 8, rm: 4, rn: 4, tk: 8 };
}

/**
 * WGSL for a GEMM kernel. The body code `loaders` defines
 * `fn loadA(z: u32, m: u32, k: u32) -> f32`, `fn loadB(z: u32, k: u32, n: u32) -> f32` and
 * `fn store(z: u32, m: u32, n: u32, v: f32)`, and `fn prelude(z: u32)`, run once per
 * thread first (to set `var<private>` values per z); they may assume m < M, n < N, k < K.
 * Params words 0..3 are M, N, K and the first z of this dispatch.
 */
export function gemmWGSL(t: GemmTiling, bindings: string, loaders: string): string {
  const TM = t.wy * t.rm, TN = t.wx * t.rn, TK = t.tk;
  const threads = t.wx * t.wy;
  const loadsA = Math.ceil((TM * TK) / threads), loadsB = Math.ceil((TK * TN) / threads);
  return `${PARAMS_WGSL}
${bindings}
${loaders}
var<workgroup> As: array<f32, ${TM * TK}>;
var<workgroup> Bs: array<f32, ${TK * TN}>;
@compute @workgroup_size(${t.wx}, ${t.wy}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = pu(0u); let N = pu(1u); let K = pu(2u);
  let z = wid.z + pu(3u);
  prelude(z);
  let m0 = wid.y * ${TM}u; let n0 = wid.x * ${TN}u;
  var acc: array<f32, ${t.rm * t.rn}>;
  for (var i = 0u; i < ${t.rm * t.rn}u; i++) { acc[i] = 0.0; }
  for (var k0 = 0u; k0 < K; k0 += ${TK}u) {
    for (var q = 0u; q < ${loadsA}u; q++) {
      let e = li + q * ${threads}u;
      if (e < ${TM * TK}u) {
        let mm = e / ${TK}u; let kk = e % ${TK}u;
        let m = m0 + mm; let k = k0 + kk;
        var v = 0.0;
        if (m < M && k < K) { v = loadA(z, m, k); }
        As[kk * ${TM}u + mm] = v;
      }
    }
    for (var q = 0u; q < ${loadsB}u; q++) {
      let e = li + q * ${threads}u;
      if (e < ${TK * TN}u) {
        let kk = e / ${TN}u; let nn = e % ${TN}u;
        let n = n0 + nn; let k = k0 + kk;
        var v = 0.0;
        if (n < N && k < K) { v = loadB(z, k, n); }
        Bs[kk * ${TN}u + nn] = v;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      var a: array<f32, ${t.rm}>;
      var b: array<f32, ${t.rn}>;
      for (var i = 0u; i < ${t.rm}u; i++) { a[i] = As[kk * ${TM}u + lid.y + i * ${t.wy}u]; }
      for (var j = 0u; j < ${t.rn}u; j++) { b[j] = Bs[kk * ${TN}u + lid.x + j * ${t.wx}u]; }
      for (var i = 0u; i < ${t.rm}u; i++) {
        for (var j = 0u; j < ${t.rn}u; j++) { acc[i * ${t.rn}u + j] = fma(a[i], b[j], acc[i * ${t.rn}u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${t.rm}u; i++) {
    let m = m0 + lid.y + i * ${t.wy}u;
    for (var j = 0u; j < ${t.rn}u; j++) {
      let n = n0 + lid.x + j * ${t.wx}u;
      if (m < M && n < N) { store(z, m, n, acc[i * ${t.rn}u + j]); }
    }
  }
}`;
}

/** Workgroups for an M x N product over `batch` z-slices: [x, y, z]. */
export function gemmGrid(t: GemmTiling, m: number, n: number, batch: number): [number, number, number] {
  return [Math.ceil(n / (t.wx * t.rn)), Math.ceil(m / (t.wy * t.rm)), batch];
}
