/**
 * Pieces of WGSL shared by every kernel, and the host side of kernel parameters.
 *
 * Every kernel reads its sizes, strides and offsets from one uniform block of
 * {@link PARAM_WORDS} 32-bit words (`P`), never from constants baked into the source, so one
 * compiled pipeline serves every shape of its class. Kernels are generated per variant
 * (op, dtypes, rank after dims are merged) and cached by that key.
 *
 * What the block holds is declared once per kernel as a {@link UniformRecord} (a core
 * `RecordLayout`): the host packs it by field name and the WGSL reads it through accessors
 * generated from the same layout (`fn pool_kH() -> i32 { return pi(7u); }`), so no word
 * index is kept by hand on either side.
 *
 * float16 is stored as f16 and computed in f32: kernels read stored elements through
 * {@link load} and write through {@link store}, which are no-ops for the other dtypes.
 */
import {
  layoutPlaces, planElementwise,
  type DType, type ElementwisePlan, type FieldPlace, type RecordLayout, type TensorView,
} from '@tensile/core';

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

/** Bind groups a kernel uses: WebGPU's guaranteed minimum of `maxBindGroups`. */
export const BIND_GROUPS = 4;

/**
 * Where storage buffer `i` of `count` is bound. Each buffer has a bind group of its own
 * (group 0 also holds the uniform block, at binding 0), so a bind group depends on one pooled
 * buffer and is made once per buffer: a bind group per combination of buffers would be made
 * anew on most dispatches, as the pool hands buffers out in a different order each step, and
 * each waits for V8's garbage collector to be released. A kernel with more buffers than
 * groups shares the last group among the rest.
 */
export function bindingSlot(i: number, count: number): { group: number; binding: number } {
  const group = Math.min(i, BIND_GROUPS - 1);
  return { group, binding: group === 0 ? 1 : count > BIND_GROUPS ? i - group : 0 };
}

/**
 * The start of a kernel's WGSL: `enable f16;` and the f16 helpers when any binding holds
 * f16, the uniform block with the accessors of `record` (the kernel's parameters), and the
 * storage bindings in order, placed by {@link bindingSlot}.
 */
export function headerWGSL(record: UniformRecord<string>, buffers: readonly Binding[]): string {
  const half = buffers.some((b) => b.type.includes('f16'));
  const bindings = buffers
    .map((b, i) => {
      const { group, binding } = bindingSlot(i, buffers.length);
      return `@group(${group}) @binding(${binding}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.name}: array<${b.type}>;`;
    })
    .join('\n');
  return `${half ? `enable f16;\n${HALF_WGSL}` : ''}${PARAMS_WGSL}\n${record.wgsl()}\n${bindings}`;
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

// ---- uniform records ----------------------------------------------------------------------

/** The names of a layout's fields. */
export type FieldName<L extends RecordLayout> = L[number][0];

/** A record's values by field: a number for a one-slot field, the slots in row-major order for an array. */
export type RecordValues<F extends string> = { readonly [K in F]: number | readonly number[] };

/**
 * A kernel's uniform block, declared once as a `RecordLayout`. {@link UniformRecord.pack}
 * writes values at the slots `layoutPlaces` gives each field; {@link UniformRecord.wgsl}
 * emits, from the same places, one accessor per field named `<record>_<field>`:
 * - an int field: `fn r_f() -> i32` and `fn r_f_u() -> u32` (sizes and counts read better
 *   unsigned, strides and offsets signed); a float field: `fn r_f() -> f32`;
 * - an array field takes one `u32` index per dim: `fn r_f(i0: u32, i1: u32) -> i32`.
 * A field whose count is the number 1 is a scalar; give an array whose length may be 1 as
 * its dims (`['offsets', [views]]`).
 */
export class UniformRecord<F extends string> {
  readonly places: Readonly<Record<F, FieldPlace>>;
  /** Slots (32-bit words) the record takes. */
  readonly words: number;
  private readonly scalars: ReadonlySet<string>;

  private constructor(readonly name: string, layout: RecordLayout) {
    const { fields, size } = layoutPlaces(layout);
    this.scalars = new Set(layout.filter(([, count]) => count === 1).map(([field]) => field));
    if (size > PARAM_WORDS) {
      throw new Error(`webgpu backend: kernel record '${name}' takes ${size} words, more than the ${PARAM_WORDS} of a uniform block`);
    }
    this.places = fields as Record<F, FieldPlace>;
    this.words = size;
  }

  /** The record `name` (the prefix of its WGSL accessors) with fields `layout`, in order. */
  static of<const L extends RecordLayout>(name: string, layout: L): UniformRecord<FieldName<L>> {
    return new UniformRecord(name, layout);
  }

  /** Parameters holding `values`, one entry per field. */
  pack(values: RecordValues<F>): Params<F> {
    const params = new Params(this);
    for (const field in this.places) params.set(field, values[field]);
    return params;
  }

  /** The place of `field`; an error naming the record when it has no such field. */
  place(field: string): FieldPlace {
    const place = (this.places as Record<string, FieldPlace | undefined>)[field];
    if (!place) throw new Error(`webgpu backend: kernel record '${this.name}' has no field '${field}'`);
    return place;
  }

  /** WGSL accessors of every field (see the class doc). */
  wgsl(): string {
    const lines: string[] = [];
    for (const [field, place] of Object.entries(this.places) as [string, FieldPlace][]) {
      const scalar = this.scalars.has(field);
      const indices = scalar ? [] : place.dims.map((_, d) => `i${d}`);
      const args = indices.map((i) => `${i}: u32`).join(', ');
      // Row-major slot of the index: at + ((i0 * d1 + i1) * d2 + i2)...
      let slot = `${place.at}u`;
      if (!scalar) {
        const flat = indices.reduce((acc, i, d) => (d === 0 ? i : `(${acc}) * ${place.dims[d]}u + ${i}`), '');
        slot = `${place.at}u + ${flat}`;
      }
      const fn = `${this.name}_${field}`;
      if (place.kind === 'float') {
        lines.push(`fn ${fn}(${args}) -> f32 { return pf(${slot}); }`);
      } else {
        lines.push(`fn ${fn}(${args}) -> i32 { return pi(${slot}); }`, `fn ${fn}_u(${args}) -> u32 { return pu(${slot}); }`);
      }
    }
    return lines.join('\n');
  }
}

/** A kernel's parameters: one uniform block filled by field name from its {@link UniformRecord}. */
export class Params<F extends string = string> {
  readonly data = new Uint32Array(PARAM_WORDS);
  private readonly floats = new Float32Array(this.data.buffer);

  constructor(readonly record: UniformRecord<F>) {}

  /** Write `field`: integers as 32-bit words (negative ones in two's complement), floats as f32. */
  set(field: F, value: number | readonly number[]): this {
    const place = this.record.place(field);
    const values = typeof value === 'number' ? [value] : value;
    if (values.length !== place.count) {
      throw new Error(`webgpu backend: kernel record '${this.record.name}' field '${field}' takes ${place.count} values, got ${values.length}`);
    }
    if (place.kind === 'float') this.floats.set(values, place.at);
    else for (let i = 0; i < values.length; i++) this.data[place.at + i] = values[i] >>> 0;
    return this;
  }
}

// ---- strided walks --------------------------------------------------------------------------

/** The fields of a strided walk (a planElementwise plan) named `walk` in a record. */
export type WalkField<W extends string> = `${W}Shape` | `${W}Strides` | `${W}Offsets`;

/**
 * The fields a strided walk named `walk` over `views` views of merged rank `rank` takes:
 * its merged shape, each view's strides (`[views, rank]`) and each view's offset.
 */
export function walkFields<W extends string>(walk: W, rank: number, views: number) {
  return [[`${walk}Shape`, [rank]], [`${walk}Strides`, [views, rank]], [`${walk}Offsets`, [views]]] as const;
}

/** A plan's values for the fields of {@link walkFields}. */
export function walkValues<W extends string>(
  walk: W, plan: Pick<ElementwisePlan, 'shape' | 'strides' | 'offsets'>,
): Record<WalkField<W>, readonly number[]> {
  const values = { [`${walk}Shape`]: plan.shape, [`${walk}Strides`]: plan.strides.flat(), [`${walk}Offsets`]: plan.offsets };
  return values as Record<WalkField<W>, readonly number[]>;
}

/** Merged rank a plan may keep: an error naming `kernel` beyond {@link MAX_RANK}. */
export function checkRank(kernel: string, rank: number): void {
  if (rank > MAX_RANK) {
    throw new Error(`webgpu backend: ${kernel}: views of rank ${rank} (after merging contiguous dims) exceed the supported ${MAX_RANK}`);
  }
}

/** planElementwise of `views` over `shape`, within {@link MAX_RANK} (an error naming `kernel`). */
export function planWalk(kernel: string, shape: readonly number[], views: readonly Pick<TensorView, 'strides' | 'offset'>[]): ElementwisePlan {
  const plan = planElementwise(shape, views);
  checkRank(kernel, plan.shape.length);
  return plan;
}

/**
 * WGSL that turns a flat row-major index `index` (u32) over the walk `walk` of `record` into
 * element offsets `names[v]` (`var`s, i32) of its views, in order.
 */
export function walkWGSL(record: UniformRecord<string>, walk: string, index: string, names: readonly string[]): string {
  const rank = record.place(`${walk}Shape`).count;
  const views = record.place(`${walk}Offsets`).count;
  if (views !== names.length) throw new Error(`webgpu backend: walk '${walk}' of '${record.name}' has ${views} views, not ${names.length}`);
  const f = (field: string) => `${record.name}_${walk}${field}`;
  const lines: string[] = [];
  names.forEach((name, v) => lines.push(`var ${name}: i32 = ${f('Offsets')}(${v}u);`));
  if (rank > 0) {
    lines.push(`var rem_: u32 = ${index};`);
    for (let d = rank - 1; d >= 0; d--) {
      // The outermost coordinate is what is left (the index is in range): no division, and
      // none at all for a contiguous view (rank 1). Divisions by a runtime value are scalar
      // on SIMD-on-CPU adapters (one per lane).
      lines.push(d === 0 ? '{ let c_ = i32(rem_);' : `{ let size_ = ${f('Shape')}_u(${d}u); let c_ = i32(rem_ % size_); rem_ = rem_ / size_;`);
      names.forEach((name, v) => lines.push(`  ${name} += c_ * ${f('Strides')}(${v}u, ${d}u);`));
      lines.push('}');
    }
  }
  return lines.join('\n  ');
}
