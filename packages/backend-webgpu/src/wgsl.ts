/**
 * Pieces of WGSL shared by every kernel, and the host side of kernel parameters.
 *
 * Every kernel reads its sizes, strides and offsets from one uniform block of
 * {@link PARAM_WORDS} 32-bit words (`P`), never from constants baked into the source, so one
 * compiled pipeline serves every shape of its class. Kernels are generated per variant
 * (op, dtypes, rank after dims are merged) and cached by that key.
 *
 * float16 is stored as f16 and computed in f32: kernels read stored elements through
 * {@link load} and write through {@link store}, which are no-ops for the other dtypes.
 */
import { collapseDims, type DType, type TensorView } from '@tensile/core';

/** 32-bit words in a kernel's uniform block (256 bytes: one uniform slot). */
export const PARAM_WORDS = 64;
/** Highest rank a strided kernel handles after merging contiguous dims. */
export const MAX_RANK = 8;

/**
 * The WGSL type a dtype is stored as: float16 as f16 (2 bytes, needs the 'shader-f16'
 * feature), bool as one u32 (0 or 1) per element.
 */
export function storageType(dtype: DType): 'f32' | 'f16' | 'i32' | 'u32' {
  return dtype === 'float16' ? 'f16' : computeType(dtype);
}

/**
 * The WGSL type kernels compute a dtype in. float16 is computed in f32, as PyTorch's CUDA
 * kernels do (opmath): loads widen, arithmetic and accumulation run in f32, stores round.
 */
export function computeType(dtype: DType): 'f32' | 'i32' | 'u32' {
  switch (dtype) {
    case 'float32':
    case 'float16':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'bool':
      return 'u32';
  }
  throw new Error(`webgpu backend: unknown dtype '${String(dtype)}'`);
}

/** A stored element (WGSL `expr`) of `dtype` as its compute type. */
export function load(dtype: DType, expr: string): string {
  return dtype === 'float16' ? `f32(${expr})` : expr;
}

/** A compute value (WGSL `expr`) as `dtype`'s stored type: float16 rounds to nearest even. */
export function store(dtype: DType, expr: string): string {
  return dtype === 'float16' ? `to_f16(${expr})` : expr;
}

/** {@link load} for four elements (a `vec4` of the stored type). */
export function load4(dtype: DType, expr: string): string {
  return dtype === 'float16' ? `vec4<f32>(${expr})` : expr;
}

/** {@link store} for four values (a `vec4` of the compute type). */
export function store4(dtype: DType, expr: string): string {
  return dtype === 'float16' ? `to_f16x4(${expr})` : expr;
}

/** The uniform block and accessors: `pu(i)` (u32), `pi(i)` (i32), `pf(i)` (f32). */
const PARAMS_WGSL = /* wgsl */ `
@group(0) @binding(0) var<uniform> P: array<vec4<u32>, ${PARAM_WORDS / 4}>;
fn pu(i: u32) -> u32 { return P[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(P[i >> 2u][i & 3u]); }
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i >> 2u][i & 3u]); }
// Special values through a function call: WGSL rejects NaN and infinity in constant expressions.
fn f32bits(b: u32) -> f32 { return bitcast<f32>(b); }
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
`;

/**
 * f32 to f16, rounded to nearest even, bit for bit as the host's half.ts and PyTorch. WGSL
 * leaves the rounding of `f16(x)` to the implementation (and it may saturate past 65504),
 * so the bits are computed in integers and reinterpreted. f16 to f32 (`f32(h)`) is exact.
 */
const HALF_WGSL = /* wgsl */ `
fn f16bits_(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  let sign = (x >> 16u) & 0x8000u;
  let a = x & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }
  if (a >= 0x38800000u) { return sign | ((a + 0xfffu + ((a >> 13u) & 1u) - 0x38000000u) >> 13u); }
  // Subnormal halves are multiples of 2^-24; round() ties to even.
  return sign | u32(round(abs(v) * 16777216.0));
}
fn to_f16(v: f32) -> f16 { return bitcast<vec2<f16>>(f16bits_(v)).x; }
fn to_f16x4(v: vec4<f32>) -> vec4<f16> { return vec4<f16>(to_f16(v.x), to_f16(v.y), to_f16(v.z), to_f16(v.w)); }
`;

/** A storage binding: `name: array<type>`, read-only unless `write`. */
export interface Binding {
  name: string;
  type: string;
  write: boolean;
}

/**
 * The start of a kernel's WGSL: `enable f16;` and the f16 helpers when any binding holds
 * f16, the uniform block, and the storage bindings at 1, 2, ... in order.
 */
export function headerWGSL(buffers: readonly Binding[]): string {
  const half = buffers.some((b) => b.type.includes('f16'));
  const bindings = buffers
    .map((b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.name}: array<${b.type}>;`)
    .join('\n');
  return `${half ? `enable f16;\n${HALF_WGSL}` : ''}${PARAMS_WGSL}\n${bindings}`;
}

/** Threads per workgroup of the one-thread-per-element kernels. */
export const ELEMENT_WORKGROUP = 64;

/**
 * The flat thread index of a 1-D launch spread over a 2-D grid of workgroups (a dimension of
 * the grid holds at most 65535), as WGSL: `let i = ...;`.
 */
export const FLAT_INDEX = `gid.x + gid.y * (nwg.x * ${ELEMENT_WORKGROUP}u)`;
export const ENTRY_1D = `@compute @workgroup_size(${ELEMENT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`;

/** Workgroups for `threads` threads of `perGroup`: [x, y] with x <= 65535. */
export function grid(threads: number, perGroup = ELEMENT_WORKGROUP): [number, number] {
  const groups = Math.ceil(threads / perGroup);
  if (groups <= 65535) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** Kernel parameters, packed into the uniform block. */
export class Params {
  private readonly words = new Uint32Array(PARAM_WORDS);
  private readonly floats = new Float32Array(this.words.buffer);
  private n = 0;

  get length(): number {
    return this.n;
  }
  private check(): void {
    if (this.n >= PARAM_WORDS) throw new Error(`webgpu backend: kernel parameters exceed ${PARAM_WORDS} words`);
  }
  /** Append unsigned or signed integers (stored as two's complement). */
  int(...values: number[]): this {
    for (const v of values) {
      this.check();
      this.words[this.n++] = v >>> 0;
    }
    return this;
  }
  float(...values: number[]): this {
    for (const v of values) {
      this.check();
      this.floats[this.n++] = v;
    }
    return this;
  }
  get data(): Uint32Array {
    return this.words;
  }
}


/**
 * Parameters for {@link offsetsWGSL}: the merged shape, then each view's strides, then each
 * view's offset. Returns the merged rank.
 */
export function pushStrided(params: Params, shape: readonly number[], views: readonly Pick<TensorView, 'strides' | 'offset'>[]): number {
  const merged = collapseDims(shape, views.map((v) => v.strides));
  const rank = merged.shape.length;
  if (rank > MAX_RANK) {
    throw new Error(`webgpu backend: views of rank ${rank} (after merging contiguous dims) exceed the supported ${MAX_RANK}`);
  }
  params.int(...merged.shape);
  for (const s of merged.strides) params.int(...s);
  params.int(...views.map((v) => v.offset));
  return rank;
}

/**
 * WGSL that turns a flat row-major index `index` over a strided shape (parameters from
 * `base`, laid out by {@link pushStrided}) into element offsets `names[v]` (`var`s, i32).
 */
export function offsetsWGSL(index: string, names: readonly string[], rank: number, base: number | string): string {
  const b = (k: number) => `${base}u + ${k}u`;
  const lines: string[] = [];
  names.forEach((name, v) => lines.push(`var ${name}: i32 = pi(${b(rank + names.length * rank + v)});`));
  if (rank > 0) {
    lines.push(`var rem_: u32 = ${index};`);
    for (let d = rank - 1; d >= 0; d--) {
      // The outermost coordinate is what is left (the index is in range): no division, and
      // none at all for a contiguous view (rank 1). Divisions by a runtime value are scalar
      // on SIMD-on-CPU adapters (one per lane).
      lines.push(d === 0 ? '{ let c_ = i32(rem_);' : `{ let size_ = pu(${b(d)}); let c_ = i32(rem_ % size_); rem_ = rem_ / size_;`);
      names.forEach((name, v) => lines.push(`  ${name} += c_ * pi(${b(rank + v * rank + d)});`));
      lines.push('}');
    }
  }
  return lines.join('\n  ');
}

/** Words {@link pushStrided} uses for `views` views of merged rank `rank`. */
export function stridedWords(rank: number, views: number): number {
  return rank + views * rank + views;
}
