import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { MultiheadAttention } from '../src/layers/attention.js';
import { casesOf, checkCase } from './fixtures/sequence-cases.js';

describe('MultiheadAttention matches PyTorch (outputs, weights, input and parameter gradients)', () => {
  for (const name of casesOf('MultiheadAttention')) {
    it(name, () => {
      checkCase(
        name,
        (c) => new MultiheadAttention(c.args[0], c.args[1], c.options),
        (m, x, c) =>
          (m as MultiheadAttention).forward(x.query, x.key, x.value, {
            attnMask: x.attnMask,
            keyPaddingMask: x.keyPaddingMask,
            ...c.call,
          }),
      );
    });
  }
});

describe('MultiheadAttention: names, shapes, masks, errors', () => {
  it("uses PyTorch's state-dict names", () => {
    expect(Object.keys(new MultiheadAttention(8, 2).stateDict())).toEqual([
      'in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias',
    ]);
    expect(Object.keys(new MultiheadAttention(8, 2, { bias: false }).stateDict())).toEqual(['in_proj_weight', 'out_proj.weight']);
    const m = new MultiheadAttention(8, 2);
    expect(m.inProjWeight.shape).toEqual([24, 8]);
    expect(Array.from(m.inProjBias!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.outProj.bias!.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('returns weights that sum to one and respect a causal mask', () => {
    const m = new MultiheadAttention(8, 4, { batchFirst: true });
    const x = tl.randn([2, 5, 8]);
    const mask = tl.arange(0, 5).unsqueeze(1).lt(tl.arange(0, 5).unsqueeze(0)); // j > i forbidden
    const [y, w] = m.forward(x, x, x, { attnMask: mask });
    expect(y.shape).toEqual([2, 5, 8]);
    expect(w!.shape).toEqual([2, 5, 5]);
    const sums = w!.sum(-1).dataSync();
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
    const wv = w!.arraySync() as number[][][];
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) expect(wv[0][i][j]).toBe(0);
    const [, perHead] = m.forward(x, x, x, { averageAttnWeights: false });
    expect(perHead!.shape).toEqual([2, 4, 5, 5]);
    expect(m.forward(x, x, x, { needWeights: false })[1]).toBeNull();
  });

  it('a key padding mask gives padded keys zero weight', () => {
    const m = new MultiheadAttention(4, 2);
    const q = tl.randn([3, 2, 4]);
    const kv = tl.randn([4, 2, 4]);
    const pad = tl.tensor([[false, true, false, false], [false, false, false, true]]);
    const w = m.forward(q, kv, kv, { keyPaddingMask: pad })[1]!.arraySync() as number[][][];
    for (let i = 0; i < 3; i++) {
      expect(w[0][i][1]).toBe(0);
      expect(w[1][i][3]).toBe(0);
    }
  });

  it('names the problem with bad arguments', () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(/embedDim \(10\) must be divisible by numHeads \(3\)/);
    const m = new MultiheadAttention(8, 2);
    const x = tl.randn([4, 2, 8]);
    expect(() => m.forward(x, tl.randn([4, 2, 6]), tl.randn([4, 2, 6]))).toThrow(/key \[4,\s?2,\s?6\] must end in embedDim=8/);
    expect(() => m.forward(x, x, x, { attnMask: tl.zeros([3, 4]) })).toThrow(/shape of the 2D attnMask is \[3,\s?4\], but should be \[4,\s?4\]/);
    expect(() => m.forward(x, x, x, { keyPaddingMask: tl.zeros([2, 3]) })).toThrow(/expected keyPaddingMask of shape \[2,\s?4\]/);
    expect(() => m.forward(x, x, x, { attnMask: tl.zeros([4, 4], { dtype: 'int32' }) })).toThrow(/only bool and float32 attnMask/);
  });
});
