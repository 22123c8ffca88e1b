/**
 * Every word record the host writes into linear memory for the kernels to read, declared
 * once. `pnpm generate` (packages/codegen/src/wasm.ts) turns each into `<RECORD>_<FIELD>`
 * word offsets in assembly/generated/ops.ts, which the device code reads by name; the host
 * packs from the same list (`packer`). Neither side keeps a positional layout by hand.
 *
 * This module imports only core: the generator loads it without the kernels.
 */
import { CONV_FIELDS, fieldsOf, layoutPlaces, POOL_FIELDS, type RecordLayout } from '@tensile/core';

/** Views one walk carries (where: cond, a, b, out). */
export const MAX_WALK_VIEWS = 4;

/**
 * A strided walk (assembly/walk.ts): this header, then `ndim` {@link WALK_DIM} records,
 * outermost dim first. The row pointers are the walk's own scratch, set by the kernel.
 */
export const WALK = [
  ['ndim', 1],
  ['pointers', MAX_WALK_VIEWS, 'pointer'],
] as const satisfies RecordLayout;

/** One dim of a walk: its size, the walk's counter for it, its byte stride in each view. */
export const WALK_DIM = [
  ['size', 1],
  ['counter', 1],
  ['strides', MAX_WALK_VIEWS],
] as const satisfies RecordLayout;

/** conv2d and its gradients: core's geometry, then the input's strides in elements. */
export const CONV = [
  ...fieldsOf(CONV_FIELDS),
  ['xStrideN', 1], ['xStrideC', 1], ['xStrideH', 1], ['xStrideW', 1],
] as const satisfies RecordLayout;

/** pool2d and its gradient: core's geometry, max (1) or avg (0), x's and dy's strides in elements. */
export const POOL = [
  ...fieldsOf(POOL_FIELDS),
  ['isMax', 1],
  ['xStrideN', 1], ['xStrideC', 1], ['xStrideH', 1], ['xStrideW', 1],
  ['dyStrideN', 1], ['dyStrideC', 1], ['dyStrideH', 1], ['dyStrideW', 1],
] as const satisfies RecordLayout;

/** One product of a batched matmul: the byte addresses of its a, b and c. */
export const PRODUCT = [
  ['a', 1, 'pointer'],
  ['b', 1, 'pointer'],
  ['c', 1, 'pointer'],
] as const satisfies RecordLayout;

/** Every record, by the name its generated constants take. */
export const LAYOUTS = { walk: WALK, walkDim: WALK_DIM, conv: CONV, pool: POOL, product: PRODUCT } as const satisfies Record<string, RecordLayout>;

/** The names of a layout's one-word fields. */
type ScalarField<L extends RecordLayout> = Extract<L[number], readonly [string, 1, ...unknown[]]>[0];

/** Word offsets of every field of `layout`, and its size in words. */
export function wordsOf<L extends RecordLayout>(layout: L): { readonly at: { readonly [F in L[number][0]]: number }; readonly words: number } {
  const { fields, size } = layoutPlaces(layout);
  const at = Object.fromEntries(Object.entries(fields).map(([name, place]) => [name, place.at]));
  return { at: at as { [F in L[number][0]]: number }, words: size };
}

/**
 * A function that writes a record of one-word fields at byte address `at` of `i32` (an
 * Int32Array over memory), every field named in `values`.
 */
export function packer<L extends RecordLayout>(layout: L): (i32: Int32Array, at: number, values: { readonly [F in ScalarField<L>]: number }) => void {
  const { fields } = layoutPlaces(layout);
  const slots = Object.entries(fields).map(([name, place]) => {
    if (place.count !== 1) throw new Error(`wasm backend: layout field '${name}' has ${place.count} words; packer writes one-word fields`);
    return [name, place.at] as const;
  });
  return (i32, at, values) => {
    const base = at >> 2;
    const named = values as Readonly<Record<string, number>>;
    for (const [name, slot] of slots) i32[base + slot] = named[name];
  };
}
