// 5-D gridSample beyond the PyTorch fixtures (functional-ops.json holds its values and
// gradients): gradients against central finite differences, the identity round trip through
// affineGrid, and the errors PyTorch raises.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { functional as F } from '../src/index.js';

/** Deterministic values in [lo, hi) (a linear congruential generator). */
function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** The largest |backward() − central difference| of sum(f(xs) · w) over every element of xs[which]. */
function fdWorst(f: (xs: tl.Tensor[]) => tl.Tensor, inputs: { shape: number[]; data: number[] }[], which: number, eps: number): number {
  const leaves = inputs.map((x) => tl.tensor(x.data).reshape(x.shape).requiresGrad_());
  const out = f(leaves);
  const w = tl.tensor(values(out.size, 7, 0.5, 1.5)).reshape(out.shape);
  out.mul(w).sum().backward();
  const analytic = Array.from(leaves[which].grad!.dataSync());
  const loss = (data: number[]) => tl.tidy(() => {
    const xs = inputs.map((x, i) => tl.tensor(i === which ? data : x.data).reshape(x.shape));
    return f(xs).mul(w).sum().itemSync() as number;
  });
  let worst = 0;
  inputs[which].data.forEach((v, j) => {
    const up = [...inputs[which].data];
    const down = [...inputs[which].data];
    up[j] = v + eps;
    down[j] = v - eps;
    worst = Math.max(worst, Math.abs((loss(up) - loss(down)) / (2 * eps) - analytic[j]));
  });
  return worst;
}

describe('gridSample on 5-D input', () => {
  // Grid points a cell's width from any integer position and from the reflection edges, so a
  // ±eps step stays on one trilinear piece.
  const input = { shape: [1, 2, 3, 4, 3], data: values(72, 1) };
  const grid = { shape: [1, 2, 2, 2, 3], data: values(24, 2, -1.25, 1.25) };
  for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
    for (const alignCorners of [false, true]) {
      test(`trilinear ${paddingMode} alignCorners ${alignCorners}: gradients match finite differences`, () => {
        const f = ([x, g]: tl.Tensor[]) => F.gridSample(x, g, { paddingMode, alignCorners });
        expect(fdWorst(f, [input, grid], 0, 1e-2)).toBeLessThan(2e-3); // linear in the input
        expect(fdWorst(f, [input, grid], 1, 1e-3)).toBeLessThan(2e-2);
      });
    }
  }

  test('nearest: gradients reach the input only', () => {
    const x = tl.tensor(input.data).reshape(input.shape).requiresGrad_();
    const g = tl.tensor(grid.data).reshape(grid.shape).requiresGrad_();
    F.gridSample(x, g, { mode: 'nearest', paddingMode: 'border' }).sum().backward();
    expect(x.grad!.sum().itemSync()).toBeCloseTo(2 * 8 * 1, 4); // border: each of the 8 points hits one voxel per channel
    expect(g.grad === null || (g.grad.abs().max().itemSync() as number) === 0).toBe(true);
  });

  test('affineGrid with the identity and gridSample give the volume back', () => {
    const x = tl.randn([2, 3, 2, 4, 5]);
    const theta = tl.tensor([0, 1].map(() => [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]));
    for (const alignCorners of [false, true]) {
      for (const mode of ['bilinear', 'nearest'] as const) {
        const y = F.gridSample(x, F.affineGrid(theta, [2, 3, 2, 4, 5], alignCorners), { mode, alignCorners });
        expect(y.shape).toEqual([2, 3, 2, 4, 5]);
        expect(y.sub(x).abs().max().itemSync()).toBeLessThan(1e-5);
      }
    }
  });

  test('refuses bicubic, mismatched grids and other ranks, naming gridSample', () => {
    const x = tl.zeros([1, 1, 2, 3, 4]);
    expect(() => F.gridSample(x, tl.zeros([1, 2, 2, 2, 3]), { mode: 'bicubic' })).toThrow("gridSample: mode 'bicubic' only supports 4-D input, got 5-D [1,1,2,3,4]");
    expect(() => F.gridSample(x, tl.zeros([1, 2, 2, 2]))).toThrow('gridSample: grid must be [N, Do, Ho, Wo, 3] with N = 1 for input [1,1,2,3,4], got [1,2,2,2]');
    expect(() => F.gridSample(x, tl.zeros([1, 2, 2, 2, 2]))).toThrow(/gridSample: grid must be \[N, Do, Ho, Wo, 3\]/);
    expect(() => F.gridSample(x, tl.zeros([2, 2, 2, 2, 3]))).toThrow(/with N = 1/);
    expect(() => F.gridSample(tl.zeros([1, 1, 4]), tl.zeros([1, 4, 1]))).toThrow('gridSample: input must be [N, C, H, W] (4-D) or [N, C, D, H, W] (5-D), got [1,1,4]');
  });
});
