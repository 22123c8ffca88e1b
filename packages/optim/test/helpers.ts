import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { expect } from 'vitest';
import { ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Rprop, SGD, type Optimizer } from '../src/index.js';

export const RTOL = 1e-5;
export const ATOL = 1e-6;

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
