/**
 * matmul, and the GEMM templates it shares with the three convolution kernels (conv.ts).
 *
 * Each kernel supplies `loadA(z, m, k)`, `loadB(z, k, n)` and `store(z, m, n, value)` in
 * WGSL, so matmul reads any strided (transposed, broadcast) operands and the convolutions
 * read their input through an implicit im2col (the GEMM operand is never materialised). `z`
 * is the third grid dimension: the batch for matmul, the group for convolutions.
 *
 * Two templates share that interface:
 * - 'tiled' (GPUs; the convolutions everywhere): a workgroup computes a TM x TN tile of
 *   C = A·B, staging TM x TK blocks of A and TK x TN blocks of B in workgroup memory; every
 *   thread accumulates an RM x RN block of C in registers.
 * - 'rows' (matmul on adapters that run shaders on CPU SIMD lanes: llvmpipe, lavapipe,
 *   SwiftShader): no workgroup memory and no barriers. The invocations of a workgroup lie
 *   side by side along n and share the same RM rows of A, so A's address depends only on the
 *   workgroup and the k counter (it is uniform: a compiler that vectorises across invocations
 *   can load it once and broadcast it). B is loaded per invocation, RN consecutive columns
 *   per k, each reused for RM rows; where the views allow, B and C move four columns and A
 *   four rows per load (vec4, see {@link GemmVec}). Without barriers llvmpipe runs a
 *   workgroup as a plain loop instead of switching coroutines at every barrier. On llvmpipe
 *   (2 cores) matmul went from about 2.4 to 9-15 GFLOP/s at 256-1024.
 */
import type { DType, TensorView } from '@tensile/core';
import { collapseDims, sizeOf } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { headerWGSL, load, load4, MAX_RANK, Params, storageType, store, store4 } from '../wgsl.js';

export type GemmTiling =
  | {
      kind: 'tiled';
      /** Threads along n and m. */
      wx: number;
      wy: number;
      /** Registers per thread along m and n. */
      rm: number;
      rn: number;
      /** Depth of a staged block. */
      tk: number;
    }
  | {
      kind: 'rows';
      /** Invocations per workgroup, along n. */
      wx: number;
      /** Rows of C per workgroup, shared by all its invocations. */
      rm: number;
      /** Consecutive columns of C per invocation. */
      rn: number;
    };

/** A short name of a tiling for pipeline cache keys. */
export function tilingKey(t: GemmTiling): string {
  return t.kind === 'rows' ? `rows${t.wx}x${t.rm}x${t.rn}` : `${t.wx}x${t.wy}x${t.rm}x${t.rn}x${t.tk}`;
}

/**
 * The tiling for an adapter. On CPU adapters: 'rows' with 16 invocations along n, 16 rows by
 * 8 columns each (a 16 x 128 block of C per workgroup); on llvmpipe (2 cores) this was among
 * the fastest of 8-64 invocations with 4-32 rows and 2-16 columns, on square 256-1024 and on
 * the MLP's shapes (8 columns clearly beat 4; 12-20 rows and 16-32 invocations were within
 * the machine's noise). On GPUs: 64x64 tiles from 8x8 threads holding 8x8 accumulators each, with
 * 8-deep staged blocks (4 KiB of workgroup memory); adapters whose limits are below that get
 * 32x32 tiles of 4x4 per thread.
 */
export function chooseTiling(limits: GPUSupportedLimits, cpu = false): GemmTiling {
  if (cpu && limits.maxComputeInvocationsPerWorkgroup >= 16) return { kind: 'rows', wx: 16, rm: 16, rn: 8 };
  const fits = limits.maxComputeInvocationsPerWorkgroup >= 64 && limits.maxComputeWorkgroupStorageSize >= 2 * 64 * 8 * 4;
  return fits ? { kind: 'tiled', wx: 8, wy: 8, rm: 8, rn: 8, tk: 8 } : { kind: 'tiled', wx: 8, wy: 8, rm: 4, rn: 4, tk: 8 };
}

/**
 * WGSL for a GEMM kernel: `header` (from headerWGSL: parameters and bindings) then
 * `loaders`, which define
 * `fn loadA(z: u32, m: u32, k: u32) -> f32`, `fn loadB(z: u32, k: u32, n: u32) -> f32` and
 * `fn store(z: u32, m: u32, n: u32, v: f32)`, and `fn prelude(z: u32)`, run once per
 * thread first (to set `var<private>` values per z); they may assume m < M, n < N, k < K.
 * Params words 0..3 are M, N, K and the first z of this dispatch. Values are f32 in the
 * template whatever the stored dtype: loaders widen float16 and stores round it.
 */
export function gemmWGSL(t: GemmTiling, header: string, loaders: string, vec: GemmVec = NO_VEC): string {
  if (t.kind === 'rows') return rowsWGSL(t, header, loaders, vec);
  if (vec.b || vec.a !== 'none') throw new Error('webgpu backend: vec4 loaders need the rows template');
  const TM = t.wy * t.rm, TN = t.wx * t.rn, TK = t.tk;
  const threads = t.wx * t.wy;
  const loadsA = Math.ceil((TM * TK) / threads), loadsB = Math.ceil((TK * TN) / threads);
  return `${header}
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
  if (t.kind === 'rows') return [Math.ceil(n / (t.wx * t.rn)), Math.ceil(m / t.rm), batch];
  return [Math.ceil(n / (t.wx * t.rn)), Math.ceil(m / (t.wy * t.rm)), batch];
}

/**
 * Vector loaders of the 'rows' template (each needs its operand 16-byte aligned; the caller
 * checks strides and offsets):
 * - `b`: `loadB4(z, k, n) -> vec4<f32>` and `store4(z, m, n, v)` for the four columns from n
 *   (a multiple of 4; N must be one too).
 * - `a: 'm'`: `loadA4(z, m, k) -> vec4<f32>`, A[m..m+3, k] (m a multiple of 4; M must be one).
 *   (Four k at a time instead, for row-major A, measured slower on llvmpipe: unrolling the
 *   depth loop by four spills the accumulators.)
 */
export interface GemmVec {
  a: 'none' | 'm';
  b: boolean;
}
export const NO_VEC: GemmVec = { a: 'none', b: false };

/** A name of a vector variant for cache keys. */
export function vecKey(v: GemmVec): string {
  return `${v.a === 'none' ? '' : `a${v.a}`}${v.b ? 'b4' : ''}`;
}

/**
 * The 'rows' template, unrolled: RM x RN accumulators in named registers (RN/4 vec4 ones
 * with vector B), loads of A and B per step as {@link GemmVec} allows. On llvmpipe every
 * load costs several vector instructions however wide it is, so fewer, wider loads win.
 */
function rowsWGSL(t: Extract<GemmTiling, { kind: 'rows' }>, header: string, loaders: string, vec: GemmVec): string {
  const I = [...Array(t.rm).keys()];
  const W = vec.b ? t.rn / 4 : t.rn;
  const J = [...Array(W).keys()];
  const col = (j: number) => (vec.b ? 4 * j : j);
  const setup: string[] = [], stores: string[] = [];
  // Rows and columns past the edge load the last valid one (clamped) and store nothing.
  if (vec.a === 'm') for (let q = 0; q < t.rm / 4; q++) setup.push(`let g${q} = min(m0 + ${4 * q}u, M - 4u);`);
  else for (const i of I) setup.push(`let r${i} = min(m0 + ${i}u, M - 1u);`);
  for (const j of J) setup.push(vec.b ? `let c${j} = min(n0 + ${col(j)}u, N - 4u);` : `let c${j} = min(n0 + ${j}u, N - 1u);`);
  for (const i of I) for (const j of J) setup.push(vec.b ? `var s${i}_${j} = vec4<f32>(0.0);` : `var s${i}_${j} = 0.0;`);
  const splat = (x: string) => (vec.b ? `vec4<f32>(${x})` : x);
  /** One k: load B, multiply by A values `a(i)`. */
  const depth = (a: (i: number) => string): string[] => {
    const out: string[] = [];
    for (const j of J) out.push(vec.b ? `let b${j} = loadB4(z, k, c${j});` : `let b${j} = loadB(z, k, c${j});`);
    for (const i of I) {
      out.push(`{ let a = ${splat(a(i))};`);
      for (const j of J) out.push(`  s${i}_${j} = fma(a, b${j}, s${i}_${j});`);
      out.push('}');
    }
    return out;
  };
  const lanes = ['x', 'y', 'z', 'w'];
  let loop: string;
  if (vec.a === 'm') {
    const step: string[] = [];
    for (let q = 0; q < t.rm / 4; q++) step.push(`let a${q} = loadA4(z, g${q}, k);`);
    step.push(...depth((i) => `a${i >> 2}.${lanes[i & 3]}`));
    loop = `for (var k = 0u; k < K; k++) {
    ${step.join('\n    ')}
  }`;
  } else {
    loop = `for (var k = 0u; k < K; k++) {
    ${depth((i) => `loadA(z, r${i}, k)`).join('\n    ')}
  }`;
  }
  for (const i of I) {
    stores.push(`if (m0 + ${i}u < M) {`);
    for (const j of J) stores.push(`  if (n0 + ${col(j)}u < N) { ${vec.b ? 'store4' : 'store'}(z, m0 + ${i}u, n0 + ${col(j)}u, s${i}_${j}); }`);
    stores.push('}');
  }
  return `${header}
${loaders}
@compute @workgroup_size(${t.wx}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = pu(0u); let N = pu(1u); let K = pu(2u);
  let z = wid.z + pu(3u);
  prelude(z);
  let m0 = wid.y * ${t.rm}u;
  let n0 = (wid.x * ${t.wx}u + lid.x) * ${t.rn}u;
  ${setup.join('\n  ')}
  ${loop}
  ${stores.join('\n  ')}
}`;
}

// ---- launching a GEMM (matmul below, the convolutions in conv.ts) ---------------------------

/** The most z-slices (batch entries, groups) one dispatch takes: the grid's limit per dimension. */
const MAX_Z = 65535;

export function dispatchGemm(rt: Runtime, kernel: KernelSource, buffers: GPUBuffer[], params: Params, tiling: GemmTiling, m: number, n: number, batch: number): void {
  for (let z0 = 0; z0 < batch; z0 += MAX_Z) {
    const slice = Math.min(MAX_Z, batch - z0);
    params.data[3] = z0;
    rt.dispatch(kernel, buffers, params, gemmGrid(tiling, m, n, slice));
  }
}

/** Parameters and the three bindings (in0, in1, out) of a GEMM over `dtype`, as scalars or vec4s. */
export function gemmHeader(dtype: DType, vec: { in0: boolean; in1: boolean; out: boolean } = { in0: false, in1: false, out: false }): string {
  const t = storageType(dtype);
  const type = (v: boolean) => (v ? `vec4<${t}>` : t);
  return headerWGSL([
    { name: 'in0', type: type(vec.in0), write: false },
    { name: 'in1', type: type(vec.in1), write: false },
    { name: 'out', type: type(vec.out), write: true },
  ]);
}

// ---- matmul ---------------------------------------------------------------------------------

/** The view with its last two dims swapped. */
function transposed(v: TensorView): TensorView {
  const r = v.shape.length;
  const swap = <T>(xs: readonly T[]) => [...xs.slice(0, r - 2), xs[r - 1], xs[r - 2]];
  return { buffer: v.buffer, dtype: v.dtype, shape: swap(v.shape), strides: swap(v.strides), offset: v.offset };
}

export function matmul(rt: Runtime, tiling: GemmTiling, a: TensorView, b: TensorView, out: TensorView): void {
  const rank = out.shape.length;
  const m = out.shape[rank - 2], n = out.shape[rank - 1], k = a.shape[rank - 1];
  const batchShape = out.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  if (m === 0 || n === 0 || batch === 0) return;
  if (tiling.kind === 'rows' && n < tiling.rn * 4 && m > n) {
    // Few columns (a classifier's logits): most lanes of the rows template would idle, so
    // compute C^T = B^T·A^T instead, with the long side across the lanes.
    matmul(rt, tiling, transposed(b), transposed(a), transposed(out));
    return;
  }
  const merged = collapseDims(batchShape, [a.strides.slice(0, -2), b.strides.slice(0, -2), out.strides.slice(0, -2)]);
  const br = merged.shape.length;
  if (br > MAX_RANK - 2) throw new Error(`webgpu backend: matmul batch of rank ${br} exceeds the supported ${MAX_RANK - 2}`);
  const params = new Params().int(m, n, k, 0);
  params.int(a.strides[rank - 2], a.strides[rank - 1], b.strides[rank - 2], b.strides[rank - 1], out.strides[rank - 2], out.strides[rank - 1]);
  params.int(a.offset, b.offset, out.offset);
  // Batch dims from word 13: shape, then strides of a, b, out.
  params.int(...merged.shape, ...merged.strides[0], ...merged.strides[1], ...merged.strides[2]);
  // k === 0 is an empty sum: the GEMM's depth loop never runs and it stores zeros.
  const decompose: string[] = [];
  for (let d = br - 1; d >= 0; d--) {
    decompose.push(`{ let s = pu(${13 + d}u); let c = i32(rem % s); rem = rem / s;
    zA += c * pi(${13 + br + d}u); zB += c * pi(${13 + 2 * br + d}u); zO += c * pi(${13 + 3 * br + d}u); }`);
  }
  // Vector loads (the rows template only) where an operand's rows or columns are contiguous
  // and 16-byte aligned: B and C four columns at a time, A four rows at a time (A^T·B in
  // backward passes).
  const rows = tiling.kind === 'rows';
  const aligned = (offset: number, strides: readonly number[]) => offset % 4 === 0 && strides.every((s) => s % 4 === 0);
  const [sam, sak] = [a.strides[rank - 2], a.strides[rank - 1]];
  const vec: GemmVec = {
    b: rows && tiling.rn % 4 === 0 && n % 4 === 0 &&
      b.strides[rank - 1] === 1 && aligned(b.offset, [b.strides[rank - 2], ...merged.strides[1]]) &&
      out.strides[rank - 1] === 1 && aligned(out.offset, [out.strides[rank - 2], ...merged.strides[2]]),
    a: !rows || !aligned(a.offset, merged.strides[0]) ? 'none'
      : sam === 1 && sak % 4 === 0 && m % 4 === 0 && tiling.rm % 4 === 0 ? 'm'
      : 'none',
  };
  const aVec = vec.a !== 'none';
  const dt = out.dtype;
  const kernel: KernelSource = {
    key: `matmul:${dt}:b${br}:${tilingKey(tiling)}:${vecKey(vec)}`,
    writes: [false, false, true],
    wgsl: () =>
      gemmWGSL(tiling, gemmHeader(dt, { in0: aVec, in1: vec.b, out: vec.b }), `
var<private> zA: i32;
var<private> zB: i32;
var<private> zO: i32;
fn prelude(z: u32) {
  zA = pi(10u); zB = pi(11u); zO = pi(12u);
  var rem = z;
  ${decompose.join('\n  ')}
}
${aVec
  ? `fn loadA4(z: u32, m: u32, k: u32) -> vec4<f32> { return ${load4(dt, 'in0[u32(zA + i32(m) * pi(4u) + i32(k) * pi(5u)) >> 2u]')}; }`
  : `fn loadA(z: u32, m: u32, k: u32) -> f32 { return ${load(dt, 'in0[zA + i32(m) * pi(4u) + i32(k) * pi(5u)]')}; }`}
${vec.b
  ? `fn loadB4(z: u32, k: u32, n: u32) -> vec4<f32> { return ${load4(dt, 'in1[u32(zB + i32(k) * pi(6u) + i32(n)) >> 2u]')}; }
fn store4(z: u32, m: u32, n: u32, v: vec4<f32>) { out[u32(zO + i32(m) * pi(8u) + i32(n)) >> 2u] = ${store4(dt, 'v')}; }`
  : `fn loadB(z: u32, k: u32, n: u32) -> f32 { return ${load(dt, 'in1[zB + i32(k) * pi(6u) + i32(n) * pi(7u)]')}; }
fn store(z: u32, m: u32, n: u32, v: f32) { out[zO + i32(m) * pi(8u) + i32(n) * pi(9u)] = ${store(dt, 'v')}; }`}
`, vec),
  };
  const buffers = [gpuBufferOf(a.buffer).buffer, gpuBufferOf(b.buffer).buffer, gpuBufferOf(out.buffer).buffer];
  dispatchGemm(rt, kernel, buffers, params, tiling, m, n, batch);
}
