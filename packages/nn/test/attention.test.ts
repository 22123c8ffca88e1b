import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { MultiheadAttention, generateSquareSubsequentMask } from '../src/layers/attention.js';
import { casesOf, checkCase, pick, type SequenceCase } from './fixtures/sequence-cases.js';

const build = (c: SequenceCase) => new MultiheadAttention(c.args[0], c.args[1], c.options);

describe('MultiheadAttention matches PyTorch (outputs, weights, input and parameter gradients)', () => {
  for (const name of casesOf('MultiheadAttention')) {
    it(name, () => {
      checkCase(
        name,
        build,
        (m, x, c) =>
          (m as MultiheadAttention).forward(x.query, x.key, x.value, { ...pick(x, 'attnMask', 'keyPaddingMask'), ...c.call }),
      );
    });
  }
});

describe("the causal mask matches PyTorch's generate_square_subsequent_mask", () => {
  it('generateSquareSubsequentMask(5) as attnMask', () => {
    checkCase('mha_causal_bf', build, (m, x) => (m as MultiheadAttention).forward(x.query, x.key, x.value, { attnMask: generateSquareSubsequentMask(5) }));
  });

  it('isCausal: true', () => {
    checkCase('mha_causal_bf', build, (m, x) => (m as MultiheadAttention).forward(x.query, x.key, x.value, { isCausal: true }));
  });

  it('has -inf above the diagonal and 0 elsewhere', () => {
    expect(generateSquareSubsequentMask(3).arraySync()).toEqual([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
    expect(generateSquareSubsequentMask(3).dtype).toBe('float32');
    expect(generateSquareSubsequentMask(0).shape).toEqual([0, 0]);
    expect(() => generateSquareSubsequentMask(-1)).toThrow(/sz must be a non-negative integer, got -1/);
  });
});

describe('MultiheadAttention: names, shapes, masks, errors', () => {
  it("uses PyTorch's state-dict names", () => {
    expect(Object.keys(new MultiheadAttention(8, 2).stateDict())).toEqual([
      'in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias',
    ]);
    expect(Object.keys(new MultiheadAttention(8, 2, { bias: false }).stateDict())).toEqual(['in_proj_weight', 'out_proj.weight']);
    const m = new MultiheadAttention(8, 2);
    expect(m.inProjWeight!.shape).toEqual([24, 8]);
    expect(Array.from(m.inProjBias!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.outProj.bias!.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('uses separate q/k/v projection weights when kdim or vdim differs from embedDim, as PyTorch', () => {
    const m = new MultiheadAttention(8, 2, { kdim: 6, vdim: 4 });
    expect(Object.keys(m.stateDict())).toEqual([
      'q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias',
    ]);
    expect([m.qProjWeight!.shape, m.kProjWeight!.shape, m.vProjWeight!.shape]).toEqual([[8, 8], [8, 6], [8, 4]]);
    expect(m.inProjWeight).toBeNull();
    // Only one of them differing is enough.
    expect(Object.keys(new MultiheadAttention(8, 2, { vdim: 3, bias: false }).stateDict())).toEqual([
      'q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'out_proj.weight',
    ]);
    // Equal to embedDim: still packed.
    expect(Object.keys(new MultiheadAttention(8, 2, { kdim: 8, vdim: 8 }).stateDict())[0]).toBe('in_proj_weight');
    // PyTorch's MultiheadAttention prints its out_proj only, whatever the options.
    expect(String(m)).toBe('MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)');
  });

  it('adds bias_k/bias_v and a zero key as extra, never masked, columns', () => {
    const m = new MultiheadAttention(8, 2, { addBiasKv: true, addZeroAttn: true });
    expect(Object.keys(m.stateDict())).toEqual(['in_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v', 'out_proj.weight', 'out_proj.bias']);
    expect(m.biasK!.shape).toEqual([1, 1, 8]);
    expect(Array.from(m.biasK!.dataSync()).some((v) => v !== 0)).toBe(true); // Xavier-normal, as PyTorch
    const q = tl.randn([3, 2, 8]);
    const kv = tl.randn([4, 2, 8]);
    const everyKey = tl.ones([2, 4], { dtype: 'bool' });
    const [y, w] = m.forward(q, kv, kv, { keyPaddingMask: everyKey, averageAttnWeights: false });
    expect(y.shape).toEqual([3, 2, 8]);
    expect(w!.shape).toEqual([2, 2, 3, 6]);
    // With every real key padded, the weight falls on bias_k and the zero key only.
    const rows = w!.arraySync() as number[][][][];
    for (const row of rows.flat(2)) {
      expect(row.slice(0, 4)).toEqual([0, 0, 0, 0]);
      expect(row[4] + row[5]).toBeCloseTo(1, 5);
    }
    expect(String(m)).toBe('MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)');
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
    expect(() => m.forward(x, x, x, { attnMask: tl.zeros([4, 4], { dtype: 'int32' }) })).toThrow(/only bool and float attnMask are supported, got int32/);
    expect(() => m.forward(x, x, x, { attnMask: tl.zeros([3, 4, 4]) })).toThrow(/shape of the 3D attnMask is \[3,\s?4,\s?4\], but should be \[4,\s?4,\s?4\]/);
    expect(() => m.forward(x, x, x, { isCausal: true, attnMask: generateSquareSubsequentMask(4) })).toThrow(/pass isCausal or attnMask, not both/);
    expect(() => m.forward(tl.randn([4, 2, 6]), x, x)).toThrow(/query \[4,\s?2,\s?6\] must end in embedDim=8/);
    expect(() => m.forward(x, tl.randn([5, 2, 8]), x)).toThrow(/key shape \[5,\s?2,\s?8\] does not match value shape \[4,\s?2,\s?8\]/);
  });

  it('names the problem with kdim and vdim', () => {
    expect(() => new MultiheadAttention(8, 2, { kdim: 0 })).toThrow(/kdim must be a positive integer, got 0/);
    expect(() => new MultiheadAttention(8, 2, { vdim: 2.5 })).toThrow(/vdim must be a positive integer, got 2.5/);
    const m = new MultiheadAttention(8, 2, { kdim: 6, vdim: 4 });
    const q = tl.randn([3, 2, 8]);
    expect(() => m.forward(q, tl.randn([5, 2, 8]), tl.randn([5, 2, 4]))).toThrow(/key \[5,\s?2,\s?8\] must end in kdim=6/);
    expect(() => m.forward(q, tl.randn([5, 2, 6]), tl.randn([5, 2, 6]))).toThrow(/value \[5,\s?2,\s?6\] must end in vdim=4/);
    expect(() => m.forward(q, tl.randn([5, 2, 6]), tl.randn([4, 2, 4]))).toThrow(/key shape \[5,\s?2,\s?6\] does not match value shape \[4,\s?2,\s?4\] in sequence and batch/);
    expect(() => m.forward(q, tl.randn([5, 3, 6]), tl.randn([5, 3, 4]))).toThrow(/query batch 2 does not match key batch 3/);
  });
});
