import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { BatchNorm1d, BatchNorm2d, Dropout, Sequential } from '../src/index.js';

describe('Dropout', () => {
  test('training: drops about p, scales the rest by 1/(1-p), gradient is the mask', () => {
    const drop = new Dropout(0.3);
    const x = tl.ones([100, 100], { requiresGrad: true });
    const y = drop.forward(x);
    const values = y.dataSync();
    let zeros = 0;
    for (const v of values) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(1 / 0.7, 5);
    }
    expect(zeros / values.length).toBeGreaterThan(0.28);
    expect(zeros / values.length).toBeLessThan(0.32);
    y.sum().backward();
    expect(x.grad!.arraySync()).toEqual(y.arraySync());
  });
  test('eval: identity; seeded masks repeat', () => {
    const drop = new Dropout(0.5);
    const x = tl.randn([4, 4]);
    expect(drop.eval().forward(x).arraySync()).toEqual(x.arraySync());
    drop.train();
    tl.manualSeed(3);
    const a = drop.forward(x).arraySync();
    tl.manualSeed(3);
    expect(drop.forward(x).arraySync()).toEqual(a);
    expect(a).not.toEqual(x.arraySync());
  });
  test('train()/eval() reach nested modules', () => {
    const seq = new Sequential(new Sequential(new Dropout(0.9)));
    seq.eval();
    const x = tl.ones([8]);
    expect(seq.forward(x).arraySync()).toEqual(x.arraySync());
  });
});

function channelMeans(t: tl.Tensor): number[] {
  return t.mean([0, 2, 3]).arraySync() as number[];
}

describe('BatchNorm', () => {
  test('training: batch statistics (biased), running update with unbiased variance', () => {
    const bn = new BatchNorm2d(3);
    const x = tl.randn([4, 3, 5, 5]).mul(3).add(2);
    const y = bn.forward(x);
    for (const m of channelMeans(y)) expect(Math.abs(m)).toBeLessThan(1e-5);
    const biased = y.var([0, 2, 3], false, 0).arraySync() as number[];
    for (const v of biased) expect(v).toBeCloseTo(1, 3);
    const batchMean = x.mean([0, 2, 3]).arraySync() as number[];
    const batchVar = x.var([0, 2, 3]).arraySync() as number[]; // unbiased
    const rm = bn.runningMean!.arraySync() as number[];
    const rv = bn.runningVar!.arraySync() as number[];
    rm.forEach((v, i) => expect(v).toBeCloseTo(0.1 * batchMean[i], 5));
    rv.forEach((v, i) => expect(v).toBeCloseTo(0.9 + 0.1 * batchVar[i], 4));
    expect(bn.numBatchesTracked!.itemSync()).toBe(1);
  });
  test('eval: running statistics, unchanged by forward', () => {
    const bn = new BatchNorm1d(2, { eps: 0 });
    bn.runningMean!.assign(tl.tensor([1, -1]));
    bn.runningVar!.assign(tl.tensor([4, 0.25]));
    bn.eval();
    const y = bn.forward(tl.tensor([[3, 0], [1, -1]]));
    expect(y.arraySync()).toEqual([[1, 2], [0, 0]]);
    expect(bn.runningMean!.arraySync()).toEqual([1, -1]);
    expect(bn.numBatchesTracked!.itemSync()).toBe(0);
  });
  test('momentum null: cumulative average', () => {
    const bn = new BatchNorm1d(1, { momentum: null });
    bn.forward(tl.tensor([[1], [3]]));
    bn.forward(tl.tensor([[5], [7]]));
    expect((bn.runningMean!.arraySync() as number[])[0]).toBeCloseTo(4, 5);
    expect(bn.numBatchesTracked!.itemSync()).toBe(2);
  });
  test('one value per channel is refused in training', () => {
    expect(() => new BatchNorm1d(3).forward(tl.zeros([1, 3]))).toThrow(/more than 1 value per channel/);
    expect([...new BatchNorm1d(3).eval().forward(tl.zeros([1, 3])).shape]).toEqual([1, 3]);
  });
});
