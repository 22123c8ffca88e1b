/**
 * Pieces of WGSL shared by every kernel, and the host side of kernel parameters.
 *
 * Every kernel reads its sizes, strides and offsets from one uniform block of
 * {@link PARAM_WORDS} 32-bit words (`P`), never from constants baked into the source, so one
 * compiled pipeline serves every shape of its class. Kernels are generated per variant
 * (op, dtypes, rank after dims are merged) and cached by that key.
 */
import { collapseDims, type DType, type TensorView } from '@tensile/core';

/** 32-bit words in a kernel's uniform block (256 bytes: one uniform slot). */
export const PARAM_WORDS = 64;
/** Highest rank a strided kernel handles after merging contiguous dims. */
export const MAX_RANK = 8;

/** The WGSL storage type of a dtype: bool is stored as one u32 (0 or 1) per element. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  switch (dtype) {
    case 'float32':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'bool':
      return 'u32';
  }
  throw new Error(`webgpu backend: unknown dtype '${String(dtype)}'`);
}

/** The uniform block and accessors: `pu(i)` (u32), `pi(i)` (i32), `pf(i)` (f32). */
export const PARAMS_WGSL = /* wgsl */ `
@group(0) @binding(0) var<uniform> P: array<vec4<u32>, ${PARAM_WORDS / 4}>;
fn pu(i: u32) -> u32 { return P[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(P[i >> 2u][i & 3u]); }
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i >> 2u][i & 3u]); }
// Special values through a function call: WGSL rejects NaN and infinity in constant expressions.
fn f32bits(b: u32) -> f32 { return bitcast<f32>(b); }
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
`;

/** Storage bindings after the uniform block: `name: array<type>` at bindings 1, 2, ... */
export function bindingsWGSL(buffers: readonly { name: string; type: string; write: boolean }[]): string {
  return buffers
    .map((b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.name}: array<${b.type}>;`)
    .join('\n');
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
