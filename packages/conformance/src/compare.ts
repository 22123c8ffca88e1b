/** Comparing tensors with expected values, with messages that show where they differ. */
import type { Tensor } from '@tensile/core';
import type { Tolerance } from './tolerances.js';

export interface Expected {
  shape: number[];
  dtype: 'float32' | 'float16' | 'int32' | 'bool';
  data: (number | boolean)[];
}

/** The first mismatch of `actual` against `expected`, described, or null when they agree. */
export function mismatch(actual: ArrayLike<number>, expected: ArrayLike<number | boolean>, tol: Tolerance): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != expected ${expected.length}`;
  let bad = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const diff = Math.abs(a - e);
    if (a === e) continue;
    if (!(diff <= tol.atol + tol.rtol * Math.abs(e))) {
      bad++;
      if (first < 0) first = i;
      worst = Math.max(worst, diff);
    }
  }
  if (bad === 0) return null;
  const show = (xs: ArrayLike<number | boolean>) =>
    Array.from({ length: Math.min(8, xs.length - Math.max(0, first - 2)) }, (_, k) => Number(xs[Math.max(0, first - 2) + k]));
  return (
    `${bad} of ${actual.length} values differ (first at ${first}: got ${Number(actual[first])}, expected ` +
    `${Number(expected[first])}; worst |diff| ${worst.toExponential(2)}; rtol ${tol.rtol}, atol ${tol.atol}); ` +
    `got [${show(actual).join(', ')}...] expected [${show(expected).join(', ')}...] from index ${Math.max(0, first - 2)}`
  );
}

/** Throw a readable error unless `t` has `expected`'s shape, dtype and values (within `tol`). */
export async function expectTensor(t: Tensor, expected: Expected, tol: Tolerance, what = 'output'): Promise<void> {
  if (t.shape.length !== expected.shape.length || t.shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${what}: shape [${t.shape.join(',')}] != expected [${expected.shape.join(',')}]`);
  }
  if (t.dtype !== expected.dtype) throw new Error(`${what}: dtype ${t.dtype} != expected ${expected.dtype}`);
  const data = await t.data();
  const exact = expected.dtype !== 'float32' && expected.dtype !== 'float16';
  const m = mismatch(data, expected.data, exact ? { rtol: 0, atol: 0 } : tol);
  if (m) throw new Error(`${what}: ${m}`);
}

/** Expect two tensors to hold the same shape, dtype and values (within `tol`). */
export async function expectSame(actual: Tensor, reference: Tensor, tol: Tolerance, what = 'output'): Promise<void> {
  const data = Array.from(await reference.data());
  await expectTensor(actual, { shape: [...reference.shape], dtype: reference.dtype, data }, tol, what);
}

/** Expect `t` to hold `values` (nested arrays or numbers), within `tol`. */
export async function expectValues(
  t: Tensor,
  shape: number[],
  values: readonly (number | boolean)[],
  tol: Tolerance,
  dtype: Expected['dtype'] = 'float32',
): Promise<void> {
  await expectTensor(t, { shape, dtype, data: [...values] }, tol);
}

/** Deterministic pseudo-random numbers in [lo, hi) (an LCG; inputs for non-fixture tests). */
export function randoms(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround(lo + ((s >>> 8) / 16777216) * (hi - lo)));
  }
  return out;
}

/** Distinct values (a shuffled ramp with gaps of `gap`), for max/min/pooling without ties. */
export function distinct(n: number, seed = 1, gap = 0.1): number[] {
  const order = randoms(n, seed).map((r, i) => [r, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(n);
  order.forEach(([, i], rank) => (out[i] = Math.fround((rank - n / 2) * gap)));
  return out;
}
