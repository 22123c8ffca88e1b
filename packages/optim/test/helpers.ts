import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { expect } from 'vitest';
import { ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Rprop, SGD, type Optimizer } from '../src/index.js';

export const RTOL = 1e-5;
export const ATOL = 1e-6;

/** Drop the gradients of `params` and free them. */
export function disposeParams(params: tl.Tensor[]): void {
  for (const p of params) {
    p.grad = null;
    p.dispose();
  }
}

/** Expect `tl.memory()` after `steps` more calls of `trainStep` to equal what it was before them. */
export async function expectMemoryFlat(steps: number, trainStep: () => unknown): Promise<void> {
  const before = tl.memory();
  for (let i = 0; i < steps; i++) await trainStep();
  const after = tl.memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numBytes).toBe(before.numBytes);
  expect(after.numBuffers).toBe(before.numBuffers);
}

/** A seeded two-layer MLP's parameters (8 → 16 → 1). */
export function tinyMlp(): { w1: tl.Tensor; b1: tl.Tensor; w2: tl.Tensor } {
  tl.manualSeed(0);
  return {
    w1: tl.randn([8, 16], { requiresGrad: true }),
    b1: tl.zeros([16], { requiresGrad: true }),
    w2: tl.randn([16, 1], { requiresGrad: true }),
  };
}

export function loadFixture<T>(name: string): T {
  const path = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A float32 tensor of `shape` from flat values; only the returned handle survives. */
export function fromFlat(data: number[], shape: number[], requiresGrad = false): tl.Tensor {
  const t = tl.tidy(() => tl.tensor(Float32Array.from(data)).reshape(shape).contiguous());
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

export function expectClose(actual: ArrayLike<number>, expected: number[], what: string, rtol = RTOL, atol = ATOL): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${atol + rtol * Math.abs(e)})`);
    }
  }
}

export interface OptimizerCase {
  name: string;
  optimizer: keyof typeof CONSTRUCTORS;
  options: Record<string, unknown>;
  groups: ({ params: number[] } & Record<string, unknown>)[] | null;
  shapes: number[][];
  initial: number[][];
  grads: number[][][];
  trajectory: number[][][];
  /** Each parameter's state after the last step: tensors flat, scalars as numbers. */
  finalState: Record<string, number[] | number>[];
}

const CONSTRUCTORS = { SGD, Adam, AdamW, RMSprop, Adagrad, NAdam, RAdam, Adamax, Adadelta, ASGD, Rprop } as const;

/** Build the case's optimiser over `params` (groups as the fixture lays them out). */
export function makeOptimizer(c: OptimizerCase, params: tl.Tensor[], override: Record<string, unknown> = {}): Optimizer<any> {
  const Ctor = CONSTRUCTORS[c.optimizer] as unknown as new (params: unknown, options: unknown) => Optimizer<any>;
  const target = c.groups ? c.groups.map((g) => ({ ...g, params: g.params.map((i) => params[i]) })) : params;
  return new Ctor(target, { ...c.options, ...override });
}

export function setGrads(c: OptimizerCase, params: tl.Tensor[], step: number): void {
  params.forEach((p, i) => {
    p.grad = fromFlat(c.grads[step][i], c.shapes[i]);
  });
}
