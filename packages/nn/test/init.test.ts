import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { Conv1d, Conv2d, Embedding, init, Linear, Parameter } from '../src/index.js';
import { stats } from './helpers.js';


const param = (shape: number[]) => new Parameter(tl.zeros(shape));

describe('gains and fans (PyTorch formulas)', () => {
  test('calculateGain', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
  });
  test('calculateFanInAndFanOut', () => {
    expect(init.calculateFanInAndFanOut([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
    expect(init.calculateFanInAndFanOut([10, 20])).toEqual({ fanIn: 20, fanOut: 10 });
    expect(() => init.calculateFanInAndFanOut([5])).toThrow(/fewer than 2 dims/);
  });
});

describe('initialisers: bounds, spread, in place', () => {
  test('kaimingUniform_ stays within gain·√(3/fanIn) with the uniform std', () => {
    const w = param([256, 512]);
    const same = init.kaimingUniform_(w, { nonlinearity: 'relu' });
    expect(same).toBe(w);
    expect(w.isLeaf && w.requiresGrad && w.gradFn === null).toBe(true);
    const bound = Math.SQRT2 * Math.sqrt(3 / 512);
    const s = stats(w);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeGreaterThan(bound * 0.99);
    expect(s.std).toBeCloseTo(bound / Math.sqrt(3), 3);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
  });
  test('kaimingNormal_ with fan_out', () => {
    const w = param([64, 32, 3, 3]);
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    const s = stats(w);
    expect(s.std / (Math.SQRT2 / Math.sqrt(64 * 9))).toBeCloseTo(1, 1);
    expect(Math.abs(s.mean)).toBeLessThan(0.005);
  });
  test('xavierUniform_ and xavierNormal_', () => {
    const w = param([300, 200]);
    init.xavierUniform_(w, 2);
    const bound = 2 * Math.sqrt(6 / 500);
    const s = stats(w);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    init.xavierNormal_(w);
    expect(stats(w).std / Math.sqrt(2 / 500)).toBeCloseTo(1, 1);
  });
  test('uniform_, normal_, constant_, zeros_, ones_', () => {
    const w = param([100, 100]);
    init.uniform_(w, 2, 5);
    let s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(2);
    expect(s.max).toBeLessThan(5);
    expect(s.mean).toBeCloseTo(3.5, 1);
    init.normal_(w, 1, 0.5);
    s = stats(w);
    expect(s.mean).toBeCloseTo(1, 1);
    expect(s.std).toBeCloseTo(0.5, 1);
    init.constant_(w, 0.25);
    expect(stats(w)).toMatchObject({ min: 0.25, max: 0.25 });
    init.zeros_(w);
    expect(stats(w)).toMatchObject({ min: 0, max: 0 });
    init.ones_(w);
    expect(stats(w)).toMatchObject({ min: 1, max: 1 });
  });
  test('seeded: the same seed gives the same weights', () => {
    tl.manualSeed(7);
    const a = new Linear(8, 4).weight.arraySync();
    tl.manualSeed(7);
    const b = new Linear(8, 4).weight.arraySync();
    expect(a).toEqual(b);
  });
  test('init records no graph and leaves memory flat', () => {
    const w = param([4, 4]);
    const before = tl.memory().numTensors;
    init.kaimingUniform_(w);
    init.normal_(w);
    expect(tl.memory().numTensors).toBe(before);
    expect(w.gradFn).toBeNull();
  });
});

describe('layer defaults follow PyTorch', () => {
  test('Linear: weight and bias within 1/√inFeatures', () => {
    const fc = new Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    for (const p of [fc.weight, fc.bias!]) {
      const s = stats(p);
      expect(s.max).toBeLessThanOrEqual(bound);
      expect(s.min).toBeGreaterThanOrEqual(-bound);
    }
    expect(stats(fc.weight).std).toBeCloseTo(bound / Math.sqrt(3), 3);
  });
  test('Conv2d and Conv1d: within 1/√fanIn', () => {
    const conv = new Conv2d(16, 32, 3, { groups: 2 });
    const bound = 1 / Math.sqrt(8 * 9);
    expect(stats(conv.weight).max).toBeLessThanOrEqual(bound);
    expect(stats(conv.weight).std).toBeCloseTo(bound / Math.sqrt(3), 2);
    expect(Math.abs(stats(conv.bias!).min)).toBeLessThanOrEqual(bound);
    const c1 = new Conv1d(10, 20, 5);
    expect(stats(c1.weight).max).toBeLessThanOrEqual(1 / Math.sqrt(50));
  });
  test('Embedding: N(0, 1)', () => {
    const s = stats(new Embedding(200, 100).weight);
    expect(s.std).toBeCloseTo(1, 1);
    expect(Math.abs(s.mean)).toBeLessThan(0.03);
  });
});

describe('zeroRow_ (an embedding\'s padding row)', () => {
  test('zeroes one row along dim 0 and leaves the others; refuses a row the tensor lacks', () => {
    const t = tl.ones([3, 2, 2]);
    init.zeroRow_(t, 1);
    expect(Array.from(t.dataSync())).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(() => init.zeroRow_(t, 3)).toThrow('zeroRow_: row 3 is not a row of a tensor of shape [3,2,2]');
    expect(() => init.zeroRow_(t, -1)).toThrow('zeroRow_: row -1 is not a row');
    expect(() => init.zeroRow_(tl.ones([2], { dtype: 'int32' }), 0)).toThrow('zeroRow_: expected a float32 or float16 tensor, got int32');
    t.dispose();
  });

  test('does nothing inside skipInit, where an Embedding\'s padding row is zero already', () => {
    const before = tl.memory().numTensors;
    const e = init.skipInit(() => {
      const t = tl.ones([2, 3]);
      init.zeroRow_(t, 0);
      expect(Array.from(t.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
      t.dispose();
      return new Embedding(4, 3, { paddingIdx: 2 });
    });
    expect(Array.from(e.weight.dataSync())).toEqual(new Array(12).fill(0));
    const fresh = new Embedding(4, 3, { paddingIdx: -1 });
    const w = fresh.weight.dataSync();
    expect(Array.from(w.slice(9))).toEqual([0, 0, 0]);
    expect(Array.from(w.slice(0, 9)).some((v) => v !== 0)).toBe(true);
    for (const m of [e, fresh]) m.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });
});

describe('skipInit (torch.nn.utils.skip_init)', () => {
  test('builds modules with zero parameters and no random draws, then initialises as before', () => {
    tl.manualSeed(3);
    const skipped = init.skipInit(() => new Linear(4, 3));
    const next = tl.rand([2]).dataSync();
    tl.manualSeed(3);
    const fresh = tl.rand([2]).dataSync();
    expect(Array.from(next)).toEqual(Array.from(fresh)); // no draw was made inside
    expect(Array.from(skipped.weight.dataSync())).toEqual(new Array(12).fill(0));
    expect(init.parameterDType()).toBe('float32');
    // Outside it, layers initialise again.
    const after = new Linear(4, 3);
    expect(stats(after.weight).std).toBeGreaterThan(0);
    for (const m of [skipped, after]) m.dispose();
  });

  test('refuses a dtype it cannot make, nesting and an async function, and ends cleanly after a throw', () => {
    expect(() => init.skipInit(() => 1, { dtype: 'int32' as never })).toThrow(/skipInit: dtype must be float32 or float16, got int32/);
    expect(() => init.skipInit(() => init.skipInit(() => 1))).toThrow(/skipInit: already inside skipInit/);
    expect(() => init.skipInit(async () => 1)).toThrow(/skipInit: fn must be synchronous/);
    expect(() =>
      init.skipInit(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    const l = new Linear(2, 2);
    expect(stats(l.weight).std).toBeGreaterThan(0);
    l.dispose();
  });
});
