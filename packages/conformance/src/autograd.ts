/**
 * Autograd semantics: accumulation, tl.grad with createGraph, retainGraph, noGrad, detach,
 * customOp, assign; and corgi's README examples.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { expectValues } from './compare.js';
import type { Suite } from './context.js';
import { TOLERANCES } from './tolerances.js';

const E = TOLERANCES.elementwise;

export function autogradTests(suite: Suite): void {
  const device = suite.device;
  const leaf = (data: tl.TensorData) => tl.tensor(data, { device, requiresGrad: true });
  const t = (data: tl.TensorData) => tl.tensor(data, { device });
  const free = (...xs: tl.Tensor[]) =>
    xs.forEach((x) => {
      x.grad = null;
      x.dispose();
    });
  const test = (name: string, fn: () => Promise<void>) => suite.test('autograd', name, fn);

  describe('autograd', () => {
    test('backward accumulates into .grad across calls and across uses', async () => {
      const x = leaf([1, 2, 3]);
      tl.tidy(() => x.mul(x).sum().backward()); // 2x
      await expectValues(x.grad!, [3], [2, 4, 6], E);
      tl.tidy(() => x.mul(3).add(x).sum().backward()); // + 4
      await expectValues(x.grad!, [3], [6, 8, 10], E);
      x.grad = null;
      expect(x.grad).toBeNull();
      tl.tidy(() => x.sum().backward());
      await expectValues(x.grad!, [3], [1, 1, 1], E);
      free(x);
    });
    test('backward with an explicit output gradient, and gradients through views', async () => {
      const x = leaf([[1, 2], [3, 4]]);
      tl.tidy(() => x.transpose(0, 1).select(0, 1).mul(2).backward(t([10, 100])));
      await expectValues(x.grad!, [2, 2], [0, 20, 0, 200], E);
      free(x);
    });
    test('tl.grad with createGraph gives second derivatives and leaves .grad alone', async () => {
      const x = leaf(3);
      const y = x.pow(3);
      const [dy] = tl.grad(y, [x], { createGraph: true });
      expect(await dy!.item()).toBeCloseTo(27, 4);
      const [d2y] = tl.grad(dy!, [x], { createGraph: true });
      expect(await d2y!.item()).toBeCloseTo(18, 4);
      const [d3y] = tl.grad(d2y!, [x]);
      expect(await d3y!.item()).toBeCloseTo(6, 4);
      expect(x.grad).toBeNull();
      free(x, y, dy!, d2y!, d3y!);
    });
    test('tl.grad takes a single input tensor as PyTorch does, and still returns an array', async () => {
      const x = leaf([1, 2]);
      const out = tl.tidy(() => x.mul(x).sum());
      const grads = tl.grad(out, x);
      expect(grads).toHaveLength(1);
      await expectValues(grads[0]!, [2], [2, 4], E);
      free(x, out, grads[0]!);
    });
    test('tl.grad of several inputs and allowUnused', async () => {
      const a = leaf([1, 2]);
      const b = leaf([3, 4]);
      const c = leaf([5, 6]);
      const out = tl.tidy(() => a.mul(b).sum());
      const [ga, gb, gc] = tl.grad(out, [a, b, c], { allowUnused: true, retainGraph: true });
      await expectValues(ga!, [2], [3, 4], E);
      await expectValues(gb!, [2], [1, 2], E);
      expect(gc).toBeNull();
      expect(() => tl.grad(out, [c])).toThrow(/allowUnused/);
      free(a, b, c, out, ga!, gb!);
    });
    test('a second backward without retainGraph throws; with it, it accumulates', async () => {
      const x = leaf([1, 2]);
      const y = tl.tidy(() => x.exp().sum());
      y.backward(undefined, { retainGraph: true });
      y.backward();
      await expectValues(x.grad!, [2], [2 * Math.E, 2 * Math.exp(2)], E);
      expect(() => y.backward()).toThrow(/retainGraph/);
      free(x, y);
    });
    test('noGrad records nothing; enableGrad inside it records again', async () => {
      const x = leaf([1, 2]);
      const y = tl.noGrad(() => x.mul(2));
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
      expect(tl.isGradEnabled()).toBe(true);
      const z = tl.noGrad(() => tl.enableGrad(() => x.mul(2)));
      expect(z.requiresGrad).toBe(true);
      expect(() => y.sum().backward()).toThrow(/does not require grad/);
      free(x, y, z);
    });
    test('detach cuts the graph but shares the values', async () => {
      const x = leaf([1, 2]);
      const d = x.mul(3).detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.isLeaf).toBe(true);
      await expectValues(d, [2], [3, 6], E);
      tl.tidy(() => x.mul(d).sum().backward());
      await expectValues(x.grad!, [2], [3, 6], E);
      free(x, d);
    });
    test('customOp runs the user backward; its forward is not recorded', async () => {
      let forwardRecorded: boolean | null = null;
      const scaled = tl.customOp({
        name: 'scaledSquare',
        forward: (x) => {
          forwardRecorded = tl.isGradEnabled();
          return x.mul(x).mul(5);
        },
        backward: (g, { inputs: [x] }) => [g.mul(x).mul(10)],
      });
      const x = leaf([1, -2]);
      const y = scaled(x);
      expect(forwardRecorded).toBe(false);
      expect(y.gradFn?.name).toBe('scaledSquare');
      await expectValues(y, [2], [5, 20], E);
      tl.tidy(() => y.sum().backward());
      await expectValues(x.grad!, [2], [10, -20], E);
      free(x, y);
    });
    test('assign replaces a leaf in place; the recorded graph keeps the old values', async () => {
      const p = leaf([1, 2]);
      const y = p.mul(p);
      p.assign(t([10, 20]));
      await expectValues(p, [2], [10, 20], E);
      expect(p.requiresGrad).toBe(true);
      tl.tidy(() => y.sum().backward());
      await expectValues(p.grad!, [2], [2, 4], E);
      expect(() => y.assign(t([0, 0]))).toThrow(/assign/);
      expect(() => p.assign(t([1, 2, 3]))).toThrow(/assign.*\[3\]/);
      free(p, y);
    });
    test('.grad survives tidy; requiresGrad on int32 throws', async () => {
      const x = leaf([1, 2]);
      tl.tidy(() => x.square().sum().backward());
      expect(x.grad!.isDisposed).toBe(false);
      await expectValues(x.grad!, [2], [2, 4], E);
      const i = tl.tensor(new Int32Array([1]), { device });
      expect(() => (i.requiresGrad = true)).toThrow(/requiresGrad/);
      free(x, i);
    });
  });

  describe("corgi's examples", () => {
    test('the dynamic-graph loop: c = 195300, b.grad = 97650, a.grad = 232420', async () => {
      const a = leaf([5]);
      const b = leaf([2]);
      let c = leaf([0]);
      const made: tl.Tensor[] = [c];
      for (let i = 0; i < 10; i++) {
        c = c.add(a.mul(b));
        made.push(c);
        if (((await c.data())[0]) > 50) {
          c = c.mul(a);
          made.push(c);
        }
      }
      expect(Array.from(await c.data())).toEqual([195300]);
      c.backward();
      expect(Array.from(await b.grad!.data())).toEqual([97650]);
      expect(Array.from(await a.grad!.data())).toEqual([232420]);
      expect(Array.from(await made[0].grad!.data())).toEqual([3125]);
      free(a, b, ...made);
    });
    test('the custom product op: gradients [3, 2, 1] and [1, 2, 3]', async () => {
      const product = tl.customOp({
        name: 'product',
        forward: (x, y) => x.mul(y),
        backward: (g, { inputs: [x, y] }) => [g.mul(y), g.mul(x)],
      });
      const a = leaf([1, 2, 3]);
      const b = leaf([3, 2, 1]);
      const p = product(a, b);
      await expectValues(p, [3], [3, 4, 3], E);
      tl.tidy(() => p.backward(tl.onesLike(p)));
      await expectValues(a.grad!, [3], [3, 2, 1], E);
      await expectValues(b.grad!, [3], [1, 2, 3], E);
      free(a, b, p);
    });
  });
}
