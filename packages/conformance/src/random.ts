/**
 * The counter-based RNG: seeded determinism, distributions, and a golden check that ties
 * every backend's numbers to core's reference `randomElement` bit for bit.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import type { Suite } from './context.js';

async function draw(make: () => tl.Tensor): Promise<number[]> {
  const t = make();
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stdOf = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

export function randomTests(suite: Suite): void {
  const device = suite.device;
  const test = (name: string, fn: () => Promise<void>) => suite.test('random', name, fn);
  describe('random numbers', () => {
    test('manualSeed(s) gives the same numbers twice, another seed others', async () => {
      tl.manualSeed(7);
      const a = await draw(() => tl.rand([50], { device }));
      const an = await draw(() => tl.randn([50], { device }));
      tl.manualSeed(7);
      const b = await draw(() => tl.rand([50], { device }));
      const bn = await draw(() => tl.randn([50], { device }));
      tl.manualSeed(8);
      const c = await draw(() => tl.rand([50], { device }));
      expect(b).toEqual(a);
      expect(bn).toEqual(an);
      expect(c).not.toEqual(a);
    });
    test('draws continue the stream: rand([4]) twice equals rand([8])', async () => {
      tl.manualSeed(3);
      const first = [...(await draw(() => tl.rand([4], { device }))), ...(await draw(() => tl.rand([2, 2], { device })))];
      tl.manualSeed(3);
      const once = await draw(() => tl.rand([8], { device }));
      expect(first).toEqual(once);
    });
    test('golden: seed 42 first 8 rand values equal core randomElement exactly', async () => {
      tl.manualSeed(42);
      const got = await draw(() => tl.rand([8], { device }));
      const expected = Array.from({ length: 8 }, (_, i) => Math.fround(tl.randomElement('uniform', 42, i)));
      expect(got).toEqual(expected);
    });
    test('golden: seed 42 first 8 randn values match core randomElement', async () => {
      tl.manualSeed(42);
      const got = await draw(() => tl.randn([8], { device }));
      got.forEach((v, i) => expect(Math.abs(v - tl.randomElement('normal', 42, i))).toBeLessThan(1e-5));
    });
    test('every other registered backend draws the same numbers', async () => {
      const others = tl.listBackends().filter((name) => name !== device && !name.endsWith('-mirror'));
      tl.manualSeed(11);
      const mine = await draw(() => tl.randn([64], { device }));
      for (const other of others) {
        await tl.ready(other);
        tl.manualSeed(11);
        const theirs = await draw(() => tl.randn([64], { device: other }));
        theirs.forEach((v, i) => expect(Math.abs(v - mine[i])).toBeLessThan(1e-5));
      }
      // With no other backend, this backend against core's reference.
      mine.forEach((v, i) => expect(Math.abs(v - tl.randomElement('normal', 11, i))).toBeLessThan(1e-5));
    });
    test('rand is uniform on [0, 1)', async () => {
      tl.manualSeed(1);
      const xs = await draw(() => tl.rand([20000], { device }));
      expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
      expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(stdOf(xs) - Math.sqrt(1 / 12))).toBeLessThan(0.01);
      const low = xs.filter((x) => x < 0.1).length / xs.length;
      expect(Math.abs(low - 0.1)).toBeLessThan(0.01);
    });
    test('randn has mean 0 and std 1', async () => {
      tl.manualSeed(2);
      const xs = await draw(() => tl.randn([20000], { device }));
      expect(xs.every(Number.isFinite)).toBe(true);
      expect(Math.abs(mean(xs))).toBeLessThan(0.03);
      expect(Math.abs(stdOf(xs) - 1)).toBeLessThan(0.03);
      const within1 = xs.filter((x) => Math.abs(x) < 1).length / xs.length;
      expect(Math.abs(within1 - 0.6827)).toBeLessThan(0.015);
    });
    test('randint stays in [low, high) and hits every value', async () => {
      tl.manualSeed(4);
      const t = tl.randint(-3, 4, [2000], { device });
      expect(t.dtype).toBe('int32');
      expect(t.device).toBe(device);
      const xs = Array.from(await t.data());
      t.dispose();
      expect(xs.every((x) => Number.isInteger(x) && x >= -3 && x < 4)).toBe(true);
      expect(new Set(xs).size).toBe(7);
      expect(Math.abs(mean(xs) - 0)).toBeLessThan(0.15);
    });
    test('a Generator is its own stream: the global one is untouched, and one seed repeats', async () => {
      tl.manualSeed(5);
      const global = await draw(() => tl.rand([6], { device }));
      tl.manualSeed(5);
      const g = new tl.Generator().manualSeed(99);
      const a = await draw(() => tl.randn([6], { device, generator: g }));
      const afterA = g.getState();
      expect(afterA).toEqual({ seed: 99, offset: 6 });
      expect(await draw(() => tl.rand([6], { device }))).toEqual(global);
      g.manualSeed(99);
      expect(await draw(() => tl.randn([6], { device, generator: g }))).toEqual(a);
      a.forEach((v, i) => expect(Math.abs(v - tl.randomElement('normal', 99, i))).toBeLessThan(1e-5));
      expect(() => tl.rand([2], { device, generator: {} as tl.Generator })).toThrow(/rand: generator must be a tl.Generator/);
      expect(() => g.setState({ seed: 1, offset: -1 })).toThrow(/Generator.setState: offset/);
    });
    test('randperm is a permutation, the same for one seed on every backend, and refuses bad n', async () => {
      const p = await draw(() => tl.randperm(1000, { device, generator: new tl.Generator(3) }));
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(p.slice(0, 20)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
      const again = await draw(() => tl.randperm(1000, { device, generator: new tl.Generator(3) }));
      expect(again).toEqual(p);
      const perm = tl.randperm(5, { device });
      expect([perm.dtype, perm.device]).toEqual(['int32', device]);
      perm.dispose();
      expect(() => tl.randperm(-1, { device })).toThrow(/randperm: n must be a non-negative integer/);
      expect(() => tl.randperm(4, { device, dtype: 'bool' })).toThrow(/randperm: dtype/);
    });
    test('randintLike draws integers in [low, high) shaped like its input', async () => {
      const like = tl.zeros([400], { device, dtype: 'int32' });
      const xs = await draw(() => tl.randintLike(like, 3));
      const ys = await draw(() => tl.randintLike(like, -2, 2));
      like.dispose();
      expect(new Set(xs)).toEqual(new Set([0, 1, 2]));
      expect(new Set(ys)).toEqual(new Set([-2, -1, 0, 1]));
    });
    test('normal takes numbers with a shape or tensors (broadcast), and carries no gradient', async () => {
      tl.manualSeed(6);
      const xs = await draw(() => tl.normal(3, 0.5, [20000], { device }));
      expect(Math.abs(mean(xs) - 3)).toBeLessThan(0.02);
      expect(Math.abs(stdOf(xs) - 0.5)).toBeLessThan(0.02);
      const live = tl.memory().numTensors;
      tl.normal(3, 0.5, [4], { device }).dispose(); // no intermediate (the scaled draw) left alive
      expect(tl.memory().numTensors).toBe(live);
      const mu = tl.tensor([[-100], [100]], { device, requiresGrad: true });
      const sigma = tl.tensor([0, 0, 0], { device });
      const sample = tl.normal(mu, sigma);
      expect(sample.shape).toEqual([2, 3]);
      expect(sample.requiresGrad).toBe(false);
      expect(Array.from(await sample.data())).toEqual([-100, -100, -100, 100, 100, 100]);
      [mu, sigma, sample].forEach((t) => t.dispose());
      expect(() => tl.normal(0, -1, [2], { device })).toThrow(/normal: std must be a number >= 0/);
      expect(() => tl.normal(0, 1)).toThrow(/normal: with a number mean and std, give the output shape/);
    });
    test('multinomial with replacement follows the weights and never draws a zero weight', async () => {
      tl.manualSeed(11);
      const w = tl.tensor([0.2, 0, 1.2, 0.6], { device });
      const xs = await draw(() => tl.multinomial(w, 20000, true));
      const freq = (k: number) => xs.filter((x) => x === k).length / xs.length;
      expect(freq(1)).toBe(0);
      [0.1, 0, 0.6, 0.3].forEach((p, k) => expect(Math.abs(freq(k) - p)).toBeLessThan(0.015));
      const rows = tl.tensor([[1, 0, 0], [0, 0, 5], [0, 3, 0]], { device });
      const r = rows.multinomial(50, true);
      expect([r.shape, r.dtype]).toEqual([[3, 50], 'int32']);
      const ys = Array.from(await r.data());
      [rows, r, w].forEach((t) => t.dispose());
      expect(ys.slice(0, 50).every((y) => y === 0) && ys.slice(50, 100).every((y) => y === 2) && ys.slice(100).every((y) => y === 1)).toBe(true);
    });
    test('multinomial without replacement draws distinct categories, the first in proportion to the weights', async () => {
      tl.manualSeed(12);
      const w = tl.tensor([1, 2, 3, 4, 0, 0], { device }).reshape([1, 6]).expand([3000, 6]).contiguous();
      const s = tl.multinomial(w, 4);
      expect(s.shape).toEqual([3000, 4]);
      const xs = Array.from(await s.data());
      [w, s].forEach((t) => t.dispose());
      for (let row = 0; row < 3000; row++) {
        const picks = xs.slice(row * 4, row * 4 + 4);
        expect(new Set(picks).size).toBe(4);
        expect(picks.every((p) => p < 4)).toBe(true);
      }
      const firsts = xs.filter((_, i) => i % 4 === 0);
      [0.1, 0.2, 0.3, 0.4].forEach((p, k) => expect(Math.abs(firsts.filter((x) => x === k).length / 3000 - p)).toBeLessThan(0.03));
    });
    test('poisson matches each rate\'s mean, variance and probabilities, on both sides of the method switch at 10', async () => {
      tl.manualSeed(21);
      const rates = [0, 0.5, 4, 9.9, 10, 37, 1000, 1e5];
      const n = 4000;
      const before = tl.memory();
      const r = tl.tensor(Array.from({ length: n }, () => rates), { device });
      const xs = await draw(() => tl.poisson(r));
      r.dispose();
      expect(tl.memory().numTensors).toBe(before.numTensors);
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      rates.forEach((rate, j) => {
        const col = xs.filter((_, i) => i % rates.length === j);
        if (rate === 0) return expect(col.every((x) => x === 0)).toBe(true);
        // Five standard errors of the sample mean and of the sample variance of Poisson(rate).
        expect(Math.abs(mean(col) - rate)).toBeLessThan(5 * Math.sqrt(rate / n));
        expect(Math.abs(stdOf(col) ** 2 - rate)).toBeLessThan(5 * Math.sqrt((rate + 2 * rate * rate) / n));
      });
      for (const [rate, column] of [[4, 2], [37, 5]] as const) {
        const col = xs.filter((_, i) => i % rates.length === column);
        let logP = -rate;
        for (let k = 0; k < 3 * rate; k++) {
          const p = Math.exp(logP);
          const freq = col.filter((x) => x === k).length / n;
          expect(Math.abs(freq - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-3);
          logP += Math.log(rate) - Math.log(k + 1);
        }
      }
    });
    test('poisson repeats for one generator seed, keeps shape and dtype, and refuses bad arguments', async () => {
      const r = tl.tensor([[1, 20], [3, 400]], { device });
      const a = tl.poisson(r, { generator: new tl.Generator(9) });
      const b = r.poisson({ generator: new tl.Generator(9) });
      expect([a.shape, a.dtype, a.requiresGrad]).toEqual([[2, 2], 'float32', false]);
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      const ints = tl.ones([3], { device, dtype: 'int32' });
      expect(() => tl.poisson(ints)).toThrow(/poisson: the rates must be floating point, got int32/);
      expect(() => tl.poisson(r, { dtype: 'int32' } as object)).toThrow(/poisson: option 'dtype' is not supported/);
      if (tl.getBackend(device).readSync !== undefined) {
        const bad = tl.tensor([1, -1, NaN], { device });
        expect(() => tl.poisson(bad)).toThrow(/poisson: rates must be finite and >= 0, got -1 at flat index 1/);
        expect(() => tl.poisson(bad.narrow(0, 2, 1))).toThrow(/poisson: rates must be finite and >= 0, got NaN at flat index 0/);
        bad.dispose();
      }
      [r, a, b, ints].forEach((t) => t.dispose());
    });
    test('multinomial repeats for one generator seed and refuses bad arguments', async () => {
      const w = tl.tensor([0.5, 1, 2], { device });
      const a = await draw(() => tl.multinomial(w, 8, true, { generator: new tl.Generator(4) }));
      const b = await draw(() => tl.multinomial(w, 8, true, { generator: new tl.Generator(4) }));
      expect(b).toEqual(a);
      expect(() => tl.multinomial(w, 4)).toThrow(/multinomial: cannot draw 4 samples without replacement from 3 categories/);
      expect(() => tl.multinomial(w, 0, true)).toThrow(/multinomial: numSamples must be a positive integer, got 0/);
      expect(() => tl.multinomial(w, 1, true, { dtype: 'int32' } as object)).toThrow(/multinomial: option 'dtype' is not supported/);
      const cube = tl.ones([2, 2, 2], { device });
      const ints = tl.ones([3], { device, dtype: 'int32' });
      expect(() => tl.multinomial(cube, 1)).toThrow(/multinomial: the weights must be 1-D or 2-D, got \[2,2,2\]/);
      expect(() => tl.multinomial(ints, 1)).toThrow(/multinomial: the weights must be floating point, got int32/);
      if (tl.getBackend(device).readSync !== undefined) {
        const bad = tl.tensor([[0.5, -1, 1], [0, 0, 0], [1, 0, 0]], { device });
        expect(() => tl.multinomial(bad.narrow(0, 0, 1), 1)).toThrow(/multinomial: probabilities must be finite and >= 0, got -1 in row 0/);
        expect(() => tl.multinomial(bad.narrow(0, 1, 1), 1, true)).toThrow(/multinomial: row 0 sums to 0/);
        expect(() => tl.multinomial(bad.narrow(0, 2, 1), 2)).toThrow(/multinomial: cannot draw 2 samples without replacement from row 0, which has 1 categories of nonzero probability/);
        bad.dispose();
      }
      [w, cube, ints].forEach((t) => t.dispose());
    });
    test('bernoulli draws 0/1 with the given probabilities, in the input dtype', async () => {
      tl.manualSeed(8);
      const p = tl.tensor([0, 1, 0.25], { device }).reshape([1, 3]).expand([10000, 3]).contiguous();
      const b = tl.bernoulli(p);
      const xs = Array.from(await b.data());
      expect(b.dtype).toBe('float32');
      [p, b].forEach((t) => t.dispose());
      const col = (j: number) => xs.filter((_, i) => i % 3 === j);
      expect(col(0).every((v) => v === 0)).toBe(true);
      expect(col(1).every((v) => v === 1)).toBe(true);
      expect(Math.abs(mean(col(2)) - 0.25)).toBeLessThan(0.02);
      const like = tl.zeros([5000], { device });
      expect(Math.abs(mean(await draw(() => like.bernoulli(0.7))) - 0.7)).toBeLessThan(0.03);
      like.dispose();
      expect(() => tl.bernoulli(tl.tensor([1], { device }), 2)).toThrow(/bernoulli: p must be in \[0, 1\]/);
    });
    test('empty and emptyLike allocate the shape, dtype and device asked for', async () => {
      const e = tl.empty([2, 3], { device, dtype: 'int32' });
      const f = tl.emptyLike(e);
      expect([e.shape, e.dtype, e.device]).toEqual([[2, 3], 'int32', device]);
      expect([f.shape, f.dtype, f.device]).toEqual([[2, 3], 'int32', device]);
      [e, f].forEach((t) => t.dispose());
      expect(() => tl.empty([2, -1], { device })).toThrow(/empty: shape/);
    });
    test('randint is exact for large ranges and offsets (regression: it computed in float32)', async () => {
      tl.manualSeed(0);
      const high = await draw(() => tl.randint(10_000_000, 10_000_010, [4000], { device }));
      expect(high.every((x) => x >= 10_000_000 && x < 10_000_010)).toBe(true);
      const counts = new Map<number, number>();
      for (const x of high) counts.set(x, (counts.get(x) ?? 0) + 1);
      expect(counts.size).toBe(10);
      for (const c of counts.values()) expect(Math.abs(c - 400)).toBeLessThan(100);
      const odd = await draw(() => tl.randint(2 ** 24, 2 ** 24 + 4, [2000], { device }));
      expect(new Set(odd).size).toBe(4);
      expect(Math.max(...odd)).toBe(2 ** 24 + 3);
      const wide = await draw(() => tl.randint(0, 2 ** 30, [2000], { device }));
      // Multiples of 64 would be all of them in float32; exact integers give about 1/64.
      expect(wide.filter((x) => x % 64 === 0).length).toBeLessThan(100);
      const full = await draw(() => tl.randint(-(2 ** 31), 2 ** 31, [2000], { device }));
      expect(full.some((x) => x < 0) && full.some((x) => x > 0)).toBe(true);
    });
    test('randint gives the same integers for one seed on every backend (core draws the Philox words)', async () => {
      tl.manualSeed(123);
      const xs = await draw(() => tl.randint(-5, 1000003, [8], { device }));
      // The first element: (w0 * 2^32 + w1) mod range of Philox(counter 0, seed 123).
      const [w0, w1] = tl.philox4x32(0, 0, 123, 0x7e45113);
      const expected = -5 + Number((BigInt(w0) * 2n ** 32n + BigInt(w1)) % 1000008n);
      expect(xs[0]).toBe(expected);
    });
    test('rand with requiresGrad makes a leaf; other dtypes are refused', async () => {
      const t = tl.rand([3], { device, requiresGrad: true });
      expect(t.requiresGrad && t.isLeaf).toBe(true);
      t.dispose();
      expect(() => tl.rand([2], { device, dtype: 'int32' })).toThrow(/rand.*float32/);
    });
  });
}
