import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import * as nn from '../src/index.js';
import { functional as F } from '../src/index.js';

const close = (a: tl.Tensor, b: tl.Tensor, tol = 1e-5) => {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  x.forEach((v, i) => expect(Math.abs(v - y[i])).toBeLessThan(tol));
};

describe('options Tensile does not support are errors that name them', () => {
  test('layers', () => {
    expect(() => new nn.Conv2d(1, 1, 3, { padding_mode: 'reflect' } as object)).toThrow(/Conv2d: unknown option 'padding_mode'; options are camelCase: paddingMode/);
    expect(() => new nn.Conv2d(1, 1, 3, { paddingMode: 'mirror' as 'reflect' })).toThrow(/paddingMode must be 'zeros', 'reflect', 'replicate', 'circular'/);
    expect(() => new nn.ConvTranspose2d(1, 1, 3, { paddingMode: 'reflect' as 'zeros' })).toThrow(/only 'zeros' paddingMode is supported/);
    expect(() => new nn.Linear(2, 2, { device: 'cpu' } as object)).toThrow(/Linear: unknown option 'device'; create the layer, then move it/);
    expect(() => new nn.MaxPool2d(2, { ceil_mode: true } as object)).toThrow(/unknown option 'ceil_mode'; options are camelCase: ceilMode/);
    expect(() => new nn.BatchNorm2d(3, { affin: false } as object)).toThrow(/BatchNorm2d: unknown option 'affin'/);
    expect(() => new nn.Embedding(4, 2, { sparse: true })).toThrow(/Embedding: sparse is not supported/);
    expect(() => new nn.Embedding(4, 2, { scaleGradByFreq: true })).toThrow(/scaleGradByFreq is not supported/);
    expect(() => new nn.MultiheadAttention(4, 2, { batch_first: true } as object)).toThrow(/unknown option 'batch_first'; options are camelCase: batchFirst/);
    expect(() => new nn.LSTM(2, 3, { bidirectionnal: true } as object)).toThrow(/LSTM: unknown option 'bidirectionnal'/);
    expect(() => new nn.TransformerEncoderLayer(4, 2, { dim_feedforward: 8 } as object)).toThrow(/unknown option 'dim_feedforward'/);
    expect(() => new nn.ELU(0.5 as unknown as object)).toThrow(/ELU: options must be an object/);
    expect(() => new nn.Upsample({ scale_factor: 2 } as object)).toThrow(/options are camelCase: scaleFactor/);
  });

  test('functionals and core ops', () => {
    const x = tl.randn([1, 1, 4, 4]);
    expect(() => tl.conv2d(x, tl.randn([1, 1, 3, 3]), null, { paddingMode: 'reflect' } as object)).toThrow(/conv2d: unknown option 'paddingMode'/);
    expect(() => tl.maxPool2d(x, { kernelSize: 2, return_indices: true } as unknown as tl.MaxPool2dOptions)).toThrow(/return_indices.*returnIndices/);
    expect(() => F.softplus(tl.tensor([1]), { beta: 2 } as unknown as number)).toThrow(/softplus: beta must be a number/);
    expect(() => F.gelu(x, { approximate: 'tanh', inplace: true } as object)).toThrow(/gelu: unknown option 'inplace'/);
    expect(() => F.gelu(x, 'fast' as 'tanh')).toThrow(/approximate must be 'none', 'tanh'/);
    expect(() => F.interpolate(x, { scaleFactor: 2, mode: 'nearest', alignCorners: true })).toThrow(/alignCorners option can only be set with the interpolating modes/);
    expect(() => F.interpolate(x, { scaleFactor: 2, size: 8 })).toThrow(/only one of size or scaleFactor/);
    expect(() => F.interpolate(x, { scaleFactor: 2, mode: 'linear' })).toThrow(/mode 'linear' needs a 3-D input/);
    expect(() => F.interpolate(x, { scaleFactor: 2, antialias: true })).toThrow(/antialias is not supported/);
    expect(() => F.scaledDotProductAttention(x, x, x, { is_causal: true } as object)).toThrow(/options are camelCase: isCausal/);
    expect(() => F.scaledDotProductAttention(x, x, x, { isCausal: true, attnMask: tl.ones([4, 4]) })).toThrow(/attnMask or isCausal, not both/);
    expect(() => F.embedding(tl.tensor([1], { dtype: 'int32' }), tl.randn([3, 2]), { maxNorm: 1 } as unknown as number)).toThrow(/positional/);
  });

  test('pad: PyTorch signature; a mode string no longer pads NaN', () => {
    const x = tl.tensor([[1, 2, 3]]);
    expect(F.pad(x, [1, 1], 'constant', 0).arraySync()).toEqual([[0, 1, 2, 3, 0]]);
    expect(F.pad(x, [1, 1], 'reflect').arraySync()).toEqual([[2, 1, 2, 3, 2]]);
    expect(F.pad(x, [2, 1], 'replicate').arraySync()).toEqual([[1, 1, 1, 2, 3, 3]]);
    expect(F.pad(x, [1, 2], 'circular').arraySync()).toEqual([[3, 1, 2, 3, 1, 2]]);
    expect(F.pad(x, [1, 0], 'constant', 7).arraySync()).toEqual([[7, 1, 2, 3]]);
    expect(() => F.pad(x, [1, 1], 5 as unknown as 'constant')).toThrow(/the third argument is the mode/);
    expect(() => F.pad(x, [3, 0], 'reflect')).toThrow(/should be less than the size 3/);
    expect(() => F.pad(x, [1, 1], 'reflect', 2)).toThrow(/doesn't take in value argument/);
    expect(() => (tl.pad as (a: tl.Tensor, b: number[], c: unknown) => tl.Tensor)(x, [1, 1], 'reflect')).toThrow(/pad: value must be a number, got the string 'reflect'/);
  });
});

describe('behaviour the fixtures cannot pin down (random draws, training mode, identities)', () => {
  test('channel dropout zeroes whole channels and scales the rest', () => {
    tl.manualSeed(1);
    const y = F.dropout2d(tl.ones([4, 16, 3, 3]), 0.5, true).reshape([64, 9]).arraySync() as number[][];
    for (const row of y) expect(new Set(row).size).toBe(1);
    const kept = y.filter((row) => row[0] === 2).length;
    expect(kept).toBeGreaterThan(15);
    expect(kept).toBeLessThan(49);
    expect(y.every((row) => row[0] === 0 || row[0] === 2)).toBe(true);
    expect(() => F.dropout2d(tl.ones([2, 3]))).toThrow(/expected 3-D \(unbatched\) or 4-D/);
    const m = new nn.Dropout1d(0.3).eval();
    const x = tl.randn([2, 3, 4]);
    close(m.forward(x), x);
  });

  test('alpha dropout keeps mean 0 and variance 1 of a standard normal input', () => {
    tl.manualSeed(2);
    const y = F.alphaDropout(tl.randn([20000]), 0.3, true);
    expect(Math.abs(Number(y.mean().itemSync()))).toBeLessThan(0.05);
    expect(Math.abs(Number(y.var().itemSync()) - 1)).toBeLessThan(0.06);
    const x = tl.randn([5]);
    close(F.alphaDropout(x, 0.3), x); // training defaults to false, as PyTorch
  });

  test('rrelu draws slopes in [lower, upper] while training', () => {
    tl.manualSeed(3);
    const x = tl.full([1000], -1);
    const y = new nn.RReLU({ lower: 0.1, upper: 0.3 }).forward(x).dataSync();
    expect(Math.min(...y)).toBeGreaterThanOrEqual(-0.3);
    expect(Math.max(...y)).toBeLessThanOrEqual(-0.1);
    expect(new Set(y).size).toBeGreaterThan(100);
  });

  test('MultiheadAttention without weights (the scaledDotProductAttention path) equals the path with them', () => {
    tl.manualSeed(4);
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true, addBiasKv: true });
    const q = tl.randn([2, 5, 8]);
    const kv = tl.randn([2, 6, 8]);
    const keyPaddingMask = tl.tensor([[false, false, true, false, false, false], [false, false, false, false, false, true]]);
    const attnMask = tl.randn([5, 6]);
    const [a] = mha.forward(q, kv, kv, { keyPaddingMask, attnMask });
    const [b, w] = mha.forward(q, kv, kv, { keyPaddingMask, attnMask, needWeights: false });
    expect(w).toBeNull();
    close(a, b);
    const [c] = mha.forward(q, q, q, { isCausal: true });
    const [d] = mha.forward(q, q, q, { isCausal: true, needWeights: false });
    close(c, d);
  });

  test('scaledDotProductAttention: bool masks attend where true; dropout draws from the generator', () => {
    const q = tl.randn([1, 3, 4]);
    const k = tl.randn([1, 3, 4]);
    const v = tl.randn([1, 3, 2]);
    const causal = tl.tensor([[true, false, false], [true, true, false], [true, true, true]]);
    close(F.scaledDotProductAttention(q, k, v, { attnMask: causal }), F.scaledDotProductAttention(q, k, v, { isCausal: true }));
    tl.manualSeed(5);
    const dropped = F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 });
    expect([...dropped.shape]).toEqual([1, 3, 2]);
  });

  test('embedding maxNorm renormalises the looked-up rows in the weight itself', () => {
    const emb = new nn.Embedding(4, 2, { maxNorm: 1 });
    emb.weight.assign(tl.tensor([[3, 4], [0.3, 0.4], [6, 8], [1, 0]]));
    emb.forward(tl.tensor([0, 1], { dtype: 'int32' }));
    const w = emb.weight.arraySync() as number[][];
    expect(Math.hypot(...w[0])).toBeCloseTo(1, 5);
    expect(w[1]).toEqual([0.30000001192092896, 0.4000000059604645]);
    expect(w[2]).toEqual([6, 8]); // not looked up: unchanged
  });

  test('affineGrid with the identity and gridSample give the input back', () => {
    const x = tl.randn([2, 3, 4, 5]);
    const theta = tl.tensor([[[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 1, 0]]]);
    close(F.gridSample(x, F.affineGrid(theta, [2, 3, 4, 5], true), { alignCorners: true }), x, 1e-5);
    close(F.gridSample(x, F.affineGrid(theta, [2, 3, 4, 5]), {}), x, 1e-5);
  });

  test('fold of unfold with non-overlapping blocks is the identity; unfold is unbatched-friendly', () => {
    const x = tl.randn([2, 3, 4, 6]);
    close(F.fold(F.unfold(x, { kernelSize: 2, stride: 2 }), { outputSize: [4, 6], kernelSize: 2, stride: 2 }), x);
    expect([...F.unfold(tl.randn([3, 4, 4]), { kernelSize: 3 }).shape]).toEqual([27, 4]);
    expect(() => F.fold(tl.randn([1, 8, 5]), { outputSize: [4, 4], kernelSize: 2 })).toThrow(/calculated number of sliding blocks 3 \* 3 = 9/);
  });

  test('pixelUnshuffle inverts pixelShuffle; maxUnpool inverts maxPool where it kept values', () => {
    const x = tl.randn([2, 8, 3, 3]);
    close(F.pixelUnshuffle(F.pixelShuffle(x, 2), 2), x);
    const img = tl.randn([1, 2, 4, 4]);
    const { values, indices } = tl.maxPool2d(img, { kernelSize: 2, returnIndices: true });
    const restored = F.maxUnpool2d(values, indices, { kernelSize: 2 });
    close(restored.reshape([1, 2, 16]).gather(2, indices.reshape([1, 2, 4])).reshape([1, 2, 2, 2]), values);
    expect(restored.ne(0).cast('float32').sum().itemSync()).toBe(8);
    expect(() => F.maxUnpool2d(values, indices.add(100).int(), { kernelSize: 2 })).toThrow(/invalid max index/);
  });

  test('ConvTranspose2d inverts a strided Conv2d shape, with outputSize choosing the padding', () => {
    const up = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1 });
    const x = tl.randn([1, 4, 5, 5]);
    expect([...up.forward(x).shape]).toEqual([1, 2, 9, 9]);
    expect([...up.forward(x, [10, 10]).shape]).toEqual([1, 2, 10, 10]);
    expect(() => up.forward(x, [11, 11])).toThrow(/valid sizes range from 9 to 10/);
    expect(String(new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 }))).toBe(
      'ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))',
    );
    expect(String(new nn.Conv2d(3, 8, 3, { padding: 1, paddingMode: 'reflect' }))).toBe(
      'Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)',
    );
  });

  test('InstanceNorm tracks running statistics only when asked, with PyTorch keys', () => {
    expect(Object.keys(new nn.InstanceNorm2d(3).stateDict())).toEqual([]);
    expect(Object.keys(new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }).stateDict())).toEqual([
      'weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked',
    ]);
    expect(() => new nn.InstanceNorm2d(3).forward(tl.randn([2, 4, 3, 3]))).toThrow(/match numFeatures \(3\), but got 4/);
  });

  test('memory: the new composites free their intermediates', () => {
    const before = tl.memory().numTensors;
    const x = tl.randn([1, 2, 6, 6]);
    tl.tidy(() => {
      F.interpolate(x, { scaleFactor: 2, mode: 'bicubic' });
      F.gridSample(x, F.affineGrid(tl.tensor([[[1, 0.1, 0], [0, 1, 0]]]), [1, 2, 5, 5]));
      F.scaledDotProductAttention(x, x, x, { isCausal: true });
      F.pad(x, [1, 2, 3, 0], 'reflect');
    });
    const out = F.interpolate(x, { size: [3, 3], mode: 'bilinear' });
    out.dispose();
    const pooled = tl.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true, returnIndices: true });
    pooled.values.dispose();
    pooled.indices.dispose();
    const ids = tl.tensor([1, 2, 0], { dtype: 'int32' });
    const offsets = tl.tensor([0, 1], { dtype: 'int32' });
    const table = tl.randn([3, 2]);
    F.embeddingBag(ids, table, offsets, { mode: 'max' }).dispose();
    [ids, offsets, table].forEach((t) => t.dispose());
    x.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });
});

describe('existing layers take their PyTorch keywords as options too', () => {
  test('Dropout, LeakyReLU and GELU', () => {
    expect(new nn.Dropout({ p: 0.2 }).p).toBe(0.2);
    expect(() => new nn.Dropout({ p: 0.2, inplace: true } as object)).toThrow(/Dropout: unknown option 'inplace'; Tensile values are immutable/);
    expect(new nn.LeakyReLU({ negativeSlope: 0.3 }).negativeSlope).toBe(0.3);
    expect(new nn.GELU({ approximate: 'tanh' }).approximate).toBe('tanh');
    expect(() => tl.gelu(tl.ones([1]), { approximate: 'tanh' } as unknown as 'tanh')).toThrow(/gelu: approximate must be 'none' or 'tanh'/);
  });
});

describe('gumbelSoftmax', () => {
  test('soft samples are distributions; hard ones are one-hot with the soft gradient', () => {
    tl.manualSeed(6);
    const logits = tl.randn([5, 4]).requiresGrad_();
    const soft = F.gumbelSoftmax(logits, { tau: 0.5 });
    close(soft.sum(-1), tl.ones([5]));
    const hard = F.gumbelSoftmax(logits, { hard: true });
    for (const row of hard.arraySync() as number[][]) expect(row.slice().sort()).toEqual([0, 0, 0, 1]);
    hard.mul(tl.randn([5, 4])).sum().backward();
    expect(logits.grad).not.toBeNull();
    expect(() => F.gumbelSoftmax(logits, { eps: 1e-10 } as object)).toThrow(/unknown option 'eps'/);
  });
});
