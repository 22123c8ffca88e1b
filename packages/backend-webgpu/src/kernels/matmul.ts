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
import { planElementwise, sizeOf } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import {
  headerWGSL, load, load4, MAX_RANK, storageType, store, store4, UniformRecord, walkFields, walkValues, walkWGSL, type Params,
} from '../wgsl.js';

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
 * The fields the GEMM templates read, in the record of every kernel built on them: C is
 * M x N with depth K, and `zBase` is the first z of this dispatch.
 */
export const GEMM_FIELDS = [['M', 1], ['N', 1], ['K', 1], ['zBase', 1]] as const;
export type GemmField = (typeof GEMM_FIELDS)[number][0];

/** The template's first lines: its sizes and z, from the kernel's record. */
function gemmSizes(record: UniformRecord<GemmField>): string {
  const r = record.name;
  return `let M = ${r}_M_u(); let N = ${r}_N_u(); let K = ${r}_K_u();
  let z = wid.z + ${r}_zBase_u();`;
}

/**
 * WGSL for a GEMM kernel: `header` (from gemmHeader: `record`'s accessors and the bindings)
 * then `loaders`, which define
 * `fn loadA(z: u32, m: u32, k: u32) -> f32`, `fn loadB(z: u32, k: u32, n: u32) -> f32` and
 * `fn store(z: u32, m: u32, n: u32, v: f32)`, and `fn prelude(z: u32)`, run once per
 * thread first (to set `var<private>` values per z); they may assume m < M, n < N, k < K.
 * Values are f32 in the template whatever the stored dtype: loaders widen float16 and
 * stores round it.
 */
export function gemmWGSL(t: GemmTiling, record: UniformRecord<GemmField>, header: string, loaders: string, vec: GemmVec = NO_VEC): string {
  if (t.kind === 'rows') return rowsWGSL(t, record, header, loaders, vec);
  if (vec.b || vec.a !== 'none') throw new Error('webgpu backend: vec4 loaders need the rows template');
  const TM = t.wy * t.rm, TN = t.wx * t.rn, TK = t.tk;
  const threads = t.wx * t.wy;
  /**
   * Stages this k-block of A (TM x TK) or B (TK x TN) into As or Bs, k-major in both; the
   * threads take its elements in the operand's row-major order. Elements past M, N or K stage 0.
   */
  const stage = (operand: 'A' | 'B'): string => {
    const isA = operand === 'A';
    // The operand's other index (m or n), its size, its place in the block, and the block's size along it.
    const [x, X, xx, TX] = isA ? ['m', 'M', 'mm', TM] : ['n', 'N', 'nn', TN];
    const split = isA ? `let mm = e / ${TK}u; let kk = e % ${TK}u;` : `let kk = e / ${TN}u; let nn = e % ${TN}u;`;
    return `for (var q = 0u; q < ${Math.ceil((TX * TK) / threads)}u; q++) {
      let e = li + q * ${threads}u;
      if (e < ${TX * TK}u) {
        ${split}
        let ${x} = ${x}0 + ${xx}; let k = k0 + kk;
        var v = 0.0;
        if (${x} < ${X} && k < K) { v = ${isA ? 'loadA(z, m, k)' : 'loadB(z, k, n)'}; }
        ${operand}s[kk * ${TX}u + ${xx}] = v;
      }
    }`;
  };
  return `${header}
${loaders}
var<workgroup> As: array<f32, ${TM * TK}>;
var<workgroup> Bs: array<f32, ${TK * TN}>;
@compute @workgroup_size(${t.wx}, ${t.wy}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  ${gemmSizes(record)}
  prelude(z);
  let m0 = wid.y * ${TM}u; let n0 = wid.x * ${TN}u;
  var acc: array<f32, ${t.rm * t.rn}>;
  for (var i = 0u; i < ${t.rm * t.rn}u; i++) { acc[i] = 0.0; }
  for (var k0 = 0u; k0 < K; k0 += ${TK}u) {
    ${stage('A')}
    ${stage('B')}
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
function rowsWGSL(t: Extract<GemmTiling, { kind: 'rows' }>, record: UniformRecord<GemmField>, header: string, loaders: string, vec: GemmVec): string {
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
  ${gemmSizes(record)}
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

export function dispatchGemm(
  rt: Runtime, kernel: KernelSource, buffers: GPUBuffer[], params: Params<GemmField>, tiling: GemmTiling, m: number, n: number, batch: number,
): void {
  for (let z0 = 0; z0 < batch; z0 += MAX_Z) {
    const slice = Math.min(MAX_Z, batch - z0);
    params.set('zBase', z0);
    rt.dispatch(kernel, buffers, params, gemmGrid(tiling, m, n, slice));
  }
}

/** `record`'s accessors and the three bindings (in0, in1, out) of a GEMM over `dtype`, as scalars or vec4s. */
export function gemmHeader(
  record: UniformRecord<string>, dtype: DType, vec: { in0: boolean; in1: boolean; out: boolean } = { in0: false, in1: false, out: false },
): string {
  const t = storageType(dtype);
  const type = (v: boolean) => (v ? `vec4<${t}>` : t);
  return headerWGSL(record, [
    { name: 'in0', type: type(vec.in0), write: false },
    { name: 'in1', type: type(vec.in1), write: false },
    { name: 'out', type: type(vec.out), write: true },
  ]);
}

// ---- matmul ---------------------------------------------------------------------------------

/**
 * Parameters of matmul: the GEMM's sizes, the strides of a, b and out along their two
 * matrix dims, and the walk over the batch dims (a, b, out: its offsets are the operands').
 */
function matmulRecord(batchRank: number) {
  return UniformRecord.of('mm', [
    ...GEMM_FIELDS,
    ['strideAM', 1], ['strideAK', 1], ['strideBK', 1], ['strideBN', 1], ['strideOutM', 1], ['strideOutN', 1],
    ...walkFields('batch', batchRank, 3),
  ]);
}

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
  const batchOf = (v: TensorView) => ({ strides: v.strides.slice(0, -2), offset: v.offset });
  const plan = planElementwise(batchShape, [batchOf(a), batchOf(b), batchOf(out)]);
  const br = plan.shape.length;
  if (br > MAX_RANK - 2) throw new Error(`webgpu backend: matmul batch of rank ${br} exceeds the supported ${MAX_RANK - 2}`);
  const record = matmulRecord(br);
  // k === 0 is an empty sum: the GEMM's depth loop never runs and it stores zeros.
  const params = record.pack({
    M: m, N: n, K: k, zBase: 0,
    strideAM: a.strides[rank - 2], strideAK: a.strides[rank - 1], strideBK: b.strides[rank - 2], strideBN: b.strides[rank - 1],
    strideOutM: out.strides[rank - 2], strideOutN: out.strides[rank - 1],
    ...walkValues('batch', plan),
  });
  // Vector loads (the rows template only) where an operand's rows or columns are contiguous
  // and 16-byte aligned: B and C four columns at a time, A four rows at a time (A^T·B in
  // backward passes).
  const rows = tiling.kind === 'rows';
  const aligned = (offset: number, strides: readonly number[]) => offset % 4 === 0 && strides.every((s) => s % 4 === 0);
  const [sam, sak] = [a.strides[rank - 2], a.strides[rank - 1]];
  const vec: GemmVec = {
    b: rows && tiling.rn % 4 === 0 && n % 4 === 0 &&
      b.strides[rank - 1] === 1 && aligned(b.offset, [b.strides[rank - 2], ...plan.strides[1]]) &&
      out.strides[rank - 1] === 1 && aligned(out.offset, [out.strides[rank - 2], ...plan.strides[2]]),
    a: !rows || !aligned(a.offset, plan.strides[0]) ? 'none'
      : sam === 1 && sak % 4 === 0 && m % 4 === 0 && tiling.rm % 4 === 0 ? 'm'
      : 'none',
  };
  const aVec = vec.a !== 'none';
  const dt = out.dtype;
  const kernel: KernelSource = {
    key: `matmul:${dt}:b${br}:${tilingKey(tiling)}:${vecKey(vec)}`,
    writes: [false, false, true],
    wgsl: () =>
      gemmWGSL(tiling, record, gemmHeader(record, dt, { in0: aVec, in1: vec.b, out: vec.b }), `
var<private> zA: i32;
var<private> zB: i32;
var<private> zO: i32;
fn prelude(z: u32) {
  ${walkWGSL(record, 'batch', 'z', ['a_', 'b_', 'o_'])}
  zA = a_; zB = b_; zO = o_;
}
${aVec
  ? `fn loadA4(z: u32, m: u32, k: u32) -> vec4<f32> { return ${load4(dt, 'in0[u32(zA + i32(m) * mm_strideAM() + i32(k) * mm_strideAK()) >> 2u]')}; }`
  : `fn loadA(z: u32, m: u32, k: u32) -> f32 { return ${load(dt, 'in0[zA + i32(m) * mm_strideAM() + i32(k) * mm_strideAK()]')}; }`}
${vec.b
  ? `fn loadB4(z: u32, k: u32, n: u32) -> vec4<f32> { return ${load4(dt, 'in1[u32(zB + i32(k) * mm_strideBK() + i32(n)) >> 2u]')}; }
fn store4(z: u32, m: u32, n: u32, v: vec4<f32>) { out[u32(zO + i32(m) * mm_strideOutM() + i32(n)) >> 2u] = ${store4(dt, 'v')}; }`
  : `fn loadB(z: u32, k: u32, n: u32) -> f32 { return ${load(dt, 'in1[zB + i32(k) * mm_strideBK() + i32(n) * mm_strideBN()]')}; }
fn store(z: u32, m: u32, n: u32, v: f32) { out[zO + i32(m) * mm_strideOutM() + i32(n) * mm_strideOutN()] = ${store(dt, 'v')}; }`}
`, vec),
  };
  const buffers = [gpuBufferOf(a.buffer).buffer, gpuBufferOf(b.buffer).buffer, gpuBufferOf(out.buffer).buffer];
  dispatchGemm(rt, kernel, buffers, params, tiling, m, n, batch);
}
