/** Shared by the port tests: fixture paths and the largest difference from PyTorch. */
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensile/core';
import { expect } from 'vitest';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** max |a - b| over all elements (shapes must match). */
export function maxDiff(actual: Tensor, expected: Tensor): number {
  expect([...actual.shape]).toEqual([...expected.shape]);
  const a = actual.dataSync();
  const b = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** max |x| (for reporting the scale a difference is relative to). */
export function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.dataSync()) m = Math.max(m, Math.abs(Number(v)));
  return m;
}

/** Compare, log the port's difference from PyTorch, and require it within `tol` (1e-4). */
export function expectMatch(what: string, actual: Tensor, expected: Tensor, tol = 1e-4): number {
  const d = maxDiff(actual, expected);
  console.log(`${what}: max |Tensile - PyTorch| = ${d.toExponential(2)} (values up to ${maxAbs(expected).toPrecision(3)})`);
  expect(d, `${what}: max difference ${d}`).toBeLessThanOrEqual(tol);
  return d;
}
