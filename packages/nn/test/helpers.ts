/** Test helpers: fixture tensors and closeness checks. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { expect } from 'vitest';

export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

/** One loss fixture case: the loss's options and inputs, its output, and the input gradients for `gradOutput`. */
export interface LossCase {
  name: string;
  options: Record<string, any>;
  reduction: any;
  inputs: Record<string, FixtureTensor>;
  output: FixtureTensor;
  gradOutput: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

/**
 * What tools/modern_fixtures.py's forward_backward records for a functional or module case:
 * its inputs and outputs, the weighting `gradOutput` of the first output, and the input gradients.
 */
export interface ForwardBackwardCase {
  name: string;
  args: Record<string, any>;
  inputs: FixtureTensor[];
  outputs: FixtureTensor[];
  gradOutput: FixtureTensor;
  inputGrads: (FixtureTensor | null)[];
}

/** The minimum, maximum, mean and unbiased standard deviation of a tensor's values. */
export function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  const d = t.dataSync();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of d) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const mean = sum / d.length;
  let sq = 0;
  for (const v of d) sq += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(sq / (d.length - 1)) };
}

export function loadFixture<T>(name: string): T {
  const path = fileURLToPath(new URL(`./fixtures/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function fromFixture(f: FixtureTensor, requiresGrad = false): Tensor {
  const flat = tl.tensor(f.dtype === 'int32' ? Int32Array.from(f.data) : Float32Array.from(f.data), { dtype: f.dtype });
  const t = flat.reshape(f.shape);
  flat.dispose();
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** Elementwise |a - b| <= atol + rtol·|b|, with a message naming the worst element. */
export function expectClose(actual: Tensor | null, expected: FixtureTensor, what: string, rtol = 1e-4, atol = 1e-5): void {
  expect(actual, `${what}: missing`).not.toBeNull();
  expect([...actual!.shape], `${what}: shape`).toEqual(expected.shape);
  const got = actual!.dataSync();
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    const g = got[i];
    const excess = Math.abs(g - e) - (atol + rtol * Math.abs(e));
    if (Number.isNaN(g) !== Number.isNaN(e) || excess > worstExcess) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${got[worst]}, expected ${expected.data[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}
