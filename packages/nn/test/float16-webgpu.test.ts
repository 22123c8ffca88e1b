// float16 through the functional ops on webgpu, the one backend that holds float16 (adapters
// with 'shader-f16'). Each case runs on webgpu in float16 and, as the reference, on the cpu
// backend in float32 with the same (half-representable) values; the output and every input
// gradient must be float16 and agree to float16 precision. The cpu float32 path is the one
// the PyTorch fixtures check. Without an adapter the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import { roundToFloat16, type Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-webgpu';
import { settleGarbage } from '@tensile/conformance';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d, BatchNorm2d, Conv2d, functional as F, generateSquareSubsequentMask, GRU, init, Linear, LSTM, type Module, MultiheadAttention, RNN, Sequential, TransformerEncoderLayer,
} from '../src/index.js';

const unavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
// Modules are built on cpu (sync reads for the reference's rounding), then moved.
await tl.setBackend('cpu');

/** [shape, low, high] of a float input that takes a gradient. */
type Input = [number[], number?, number?];

interface Case {
  name: string;
  inputs: Input[];
  /** The op on inputs of one dtype; non-float arguments are made here, on `device`. */
  run: (xs: Tensor[], device: string) => Tensor;
  /**
   * Largest difference allowed, relative to the reference's largest magnitude (default
   * 5e-3: ten float16 ulps, room for the rounding of each op in a composite).
   */
  tol?: number;
}

/** Deterministic values in [lo, hi), rounded to float16 (a linear congruential generator). */
function halves(n: number, seed: number, lo = -2, hi = 2): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return roundToFloat16(lo + ((hi - lo) * s) / 2 ** 32);
  });
}

const ints = (values: number[], device: string, shape = [values.length]) => tl.tensor(values, { dtype: 'int32', device }).reshape(shape);
const floats = (values: number[], device: string, like: Tensor, shape = [values.length]) =>
  tl.tensor(values, { device, dtype: like.dtype }).reshape(shape);

const CASES: Case[] = [
  // normalisation: computed in float32 (PyTorch's fused half kernels accumulate in float)
  { name: 'batchNorm (training)', inputs: [[[4, 3, 5]], [[3], 0.5, 1.5], [[3]]], run: ([x, w, b]) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }) },
  { name: 'groupNorm', inputs: [[[2, 4, 6]], [[4], 0.5, 1.5], [[4]]], run: ([x, w, b]) => F.groupNorm(x, 2, w, b) },
  { name: 'instanceNorm', inputs: [[[2, 3, 8]]], run: ([x]) => F.instanceNorm(x) },
  { name: 'layerNorm', inputs: [[[3, 8]], [[8], 0.5, 1.5], [[8]]], run: ([x, w, b]) => F.layerNorm(x, [8], w, b) },
  { name: 'rmsNorm', inputs: [[[3, 8]], [[8], 0.5, 1.5]], run: ([x, w]) => F.rmsNorm(x, [8], w) },
  { name: 'localResponseNorm', inputs: [[[2, 5, 4]]], run: ([x]) => F.localResponseNorm(x, 3) },
  { name: 'normalize', inputs: [[[3, 6]]], run: ([x]) => F.normalize(x) },
  { name: 'cosineSimilarity', inputs: [[[3, 6]], [[3, 6]]], run: ([a, b]) => F.cosineSimilarity(a, b) },
  { name: 'pairwiseDistance', inputs: [[[3, 6]], [[3, 6]]], run: ([a, b]) => F.pairwiseDistance(a, b) },
  { name: 'pdist', inputs: [[[4, 5]]], run: ([x]) => F.pdist(x) },
  // losses
  { name: 'mseLoss', inputs: [[[4, 5]], [[4, 5]]], run: ([x, t]) => F.mseLoss(x, t) },
  { name: 'l1Loss', inputs: [[[4, 5]], [[4, 5]]], run: ([x, t]) => F.l1Loss(x, t, { reduction: 'sum' }) },
  { name: 'huberLoss', inputs: [[[4, 5]], [[4, 5]]], run: ([x, t]) => F.huberLoss(x, t, { delta: 0.5 }) },
  { name: 'smoothL1Loss', inputs: [[[4, 5]], [[4, 5]]], run: ([x, t]) => F.smoothL1Loss(x, t, { beta: 0.5 }) },
  { name: 'crossEntropy (class indices, weight, smoothing)', inputs: [[[4, 5]], [[5], 0.5, 1.5]], run: ([x, w], d) => F.crossEntropy(x, ints([1, 0, 4, 2], d), { weight: w, labelSmoothing: 0.1 }) },
  { name: 'crossEntropy (probabilities)', inputs: [[[4, 5]], [[4, 5], 0, 1]], run: ([x, p]) => F.crossEntropy(x, p) },
  { name: 'nllLoss', inputs: [[[4, 5], -3, 0]], run: ([x], d) => F.nllLoss(x, ints([1, 0, 4, 2], d), { reduction: 'sum' }) },
  { name: 'binaryCrossEntropy', inputs: [[[4, 3], 0.05, 0.95], [[4, 3], 0, 1]], run: ([x, t]) => F.binaryCrossEntropy(x, t) },
  { name: 'binaryCrossEntropyWithLogits', inputs: [[[4, 3]], [[4, 3], 0, 1], [[3], 0.5, 2]], run: ([x, t, p]) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: p }) },
  { name: 'klDiv', inputs: [[[4, 3], -3, 0], [[4, 3], 0.05, 1]], run: ([x, t]) => F.klDiv(x, t, { reduction: 'batchmean' }) },
  { name: 'poissonNllLoss', inputs: [[[4, 3], -1, 1], [[4, 3], 0, 3]], run: ([x, t]) => F.poissonNllLoss(x, t) },
  { name: 'gaussianNllLoss', inputs: [[[4, 3]], [[4, 3]], [[4, 3], 0.5, 2]], run: ([x, t, v]) => F.gaussianNllLoss(x, t, v) },
  { name: 'softMarginLoss', inputs: [[[4, 3]]], run: ([x], d) => F.softMarginLoss(x, floats([1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, -1], d, x, [4, 3])) },
  { name: 'hingeEmbeddingLoss', inputs: [[[4, 3]]], run: ([x], d) => F.hingeEmbeddingLoss(x, floats([1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, -1], d, x, [4, 3])) },
  { name: 'multilabelSoftMarginLoss', inputs: [[[4, 3]], [[4, 3], 0, 1]], run: ([x, t]) => F.multilabelSoftMarginLoss(x, t) },
  { name: 'multiMarginLoss', inputs: [[[4, 5]]], run: ([x], d) => F.multiMarginLoss(x, ints([1, 0, 4, 2], d)) },
  { name: 'tripletMarginLoss', inputs: [[[4, 6]], [[4, 6]], [[4, 6]]], run: ([a, p, n]) => F.tripletMarginLoss(a, p, n, { margin: 2 }) },
  { name: 'cosineEmbeddingLoss', inputs: [[[4, 6]], [[4, 6]]], run: ([a, b], d) => F.cosineEmbeddingLoss(a, b, floats([1, -1, 1, -1], d, a)) },
  { name: 'marginRankingLoss', inputs: [[[6]], [[6]]], run: ([a, b], d) => F.marginRankingLoss(a, b, floats([1, -1, 1, -1, 1, 1], d, a), { margin: 0.5 }) },
  {
    name: 'ctcLoss',
    inputs: [[[6, 2, 4], -3, 0]],
    run: ([x], d) => F.ctcLoss(x.logSoftmax(2), ints([1, 2, 3, 1, 2, 0], d, [2, 3]), [6, 5], [3, 2]),
    tol: 1e-2, // a log-sum-exp over every alignment path, each step rounded to half
  },
  // pooling, resampling and embeddings
  { name: 'adaptiveAvgPool2d', inputs: [[[1, 2, 5, 7]]], run: ([x]) => F.adaptiveAvgPool2d(x, [2, 3]) },
  { name: 'adaptiveMaxPool2d', inputs: [[[1, 2, 5, 7]]], run: ([x]) => F.adaptiveMaxPool2d(x, [2, 3]) },
  { name: 'adaptiveMaxPool1d', inputs: [[[2, 3, 7]]], run: ([x]) => F.adaptiveMaxPool1d(x, 3) },
  { name: 'unfold', inputs: [[[1, 2, 4, 5]]], run: ([x]) => F.unfold(x, { kernelSize: [2, 3], padding: 1 }) },
  { name: 'fold', inputs: [[[1, 8, 6]]], run: ([x]) => F.fold(x, { kernelSize: 2, outputSize: [3, 4] }) },
  { name: 'interpolate (bilinear)', inputs: [[[1, 2, 3, 4]]], run: ([x]) => F.interpolate(x, { size: [5, 7], mode: 'bilinear' }) },
  { name: 'interpolate (bicubic, alignCorners)', inputs: [[[1, 1, 4, 4]]], run: ([x]) => F.interpolate(x, { scaleFactor: 2, mode: 'bicubic', alignCorners: true }) },
  { name: 'affineGrid', inputs: [[[2, 2, 3], -1, 1]], run: ([t]) => F.affineGrid(t, [2, 1, 3, 4], false) },
  { name: 'gridSample', inputs: [[[1, 2, 4, 5]], [[1, 3, 3, 2], -0.9, 0.9]], run: ([x, g]) => F.gridSample(x, g, { alignCorners: false }) },
  { name: 'gridSample (5-D, trilinear)', inputs: [[[1, 2, 3, 4, 5]], [[1, 2, 3, 2, 3], -0.9, 0.9]], run: ([x, g]) => F.gridSample(x, g, { alignCorners: false }) },
  { name: 'embeddingBag (mean)', inputs: [[[6, 3]]], run: ([w], d) => F.embeddingBag(ints([0, 2, 5, 1, 1, 4], d), w, ints([0, 2, 3], d)) },
  { name: 'bilinear', inputs: [[[3, 4]], [[3, 5]], [[2, 4, 5], -0.5, 0.5], [[2]]], run: ([a, b, w, bias]) => F.bilinear(a, b, w, bias) },
  // activations, padding, pooling, shuffles, dropout (the counter-based generator draws the
  // same mask on every backend) and attention
  { name: 'gelu (erf and tanh)', inputs: [[[3, 8], -4, 4]], run: ([x]) => F.gelu(x).add(F.gelu(x, 'tanh')) },
  { name: 'softplus, elu, selu, celu', inputs: [[[3, 8], -4, 4]], run: ([x]) => F.softplus(x, 2).add(F.elu(x)).add(F.selu(x)).add(F.celu(x, 0.5)) },
  { name: 'hardtanh, relu6, hardsigmoid, hardswish', inputs: [[[3, 8], -5, 7]], run: ([x]) => F.hardtanh(x, -2, 2).add(F.relu6(x)).add(F.hardsigmoid(x)).add(F.hardswish(x)) },
  { name: 'mish, softsign, logsigmoid, tanhshrink', inputs: [[[3, 8], -4, 4]], run: ([x]) => F.mish(x).add(F.softsign(x)).add(F.logsigmoid(x)).add(F.tanhshrink(x)) },
  { name: 'softshrink, hardshrink, threshold', inputs: [[[3, 8], -2, 2]], run: ([x]) => F.softshrink(x, 0.3).add(F.hardshrink(x, 0.4)).add(F.threshold(x, 0.1, -1)) },
  { name: 'glu and softmin', inputs: [[[3, 8]]], run: ([x]) => F.glu(x, 1).sum(1, true).add(F.softmin(x, 1)) },
  { name: 'prelu', inputs: [[[2, 3, 4]], [[3], 0, 0.5]], run: ([x, w]) => F.prelu(x, w) },
  { name: 'pad (reflect, replicate, circular, constant)', inputs: [[[1, 2, 3, 4]]], run: ([x]) => tl.cat([F.pad(x, [1, 2, 2, 1], 'reflect'), F.pad(x, [1, 2, 2, 1], 'replicate'), F.pad(x, [1, 2, 2, 1], 'circular'), F.pad(x, [1, 2, 2, 1], 'constant', 0.5)], 1) },
  { name: 'maxPool1d and avgPool1d', inputs: [[[2, 3, 9]]], run: ([x]) => F.maxPool1d(x, { kernelSize: 3, stride: 2 }).add(F.avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).narrow(2, 0, 4)) },
  { name: 'maxUnpool2d', inputs: [[[1, 2, 4, 4]]], run: ([x]) => { const { values, indices } = F.maxPool2d(x, { kernelSize: 2, returnIndices: true }); return F.maxUnpool2d(values, indices, { kernelSize: 2 }); } },
  { name: 'pixelShuffle, pixelUnshuffle, channelShuffle', inputs: [[[1, 8, 2, 2]]], run: ([x]) => F.pixelUnshuffle(F.pixelShuffle(F.channelShuffle(x, 2), 2), 2).mul(x) },
  { name: 'dropout and alphaDropout (training)', inputs: [[[4, 16]]], run: ([x]) => { tl.manualSeed(3); return F.dropout(x, 0.3, true).add(F.alphaDropout(x, 0.2, true)); } },
  { name: 'embedding (paddingIdx)', inputs: [[[6, 4]]], run: ([w], d) => F.embedding(ints([0, 2, 5, 2, 1], d, [5]), w, 2) },
  { name: 'scaledDotProductAttention (causal, float mask)', inputs: [[[2, 5, 8]], [[2, 5, 8]], [[2, 5, 8]], [[5, 5], -1, 0]], run: ([q, k, v, m]) => F.scaledDotProductAttention(q, k, v, { isCausal: true }).add(F.scaledDotProductAttention(q, k, v, { attnMask: m })) },
];

/** The op's output and the gradients of sum(out · w) for each input, on `device` in `dtype`. */
function evaluate(c: Case, device: string, dtype: 'float32' | 'float16', seed: number) {
  return tl.tidy(() => {
    const leaves = c.inputs.map(([shape, lo, hi], i) =>
      tl.tensor(halves(tl.sizeOf(shape), seed + 97 * i, lo, hi), { device, dtype }).reshape(shape).detach().requiresGrad_(),
    );
    const out = c.run(leaves, device);
    const w = tl.tensor(halves(out.size, seed + 1, 0.5, 1.5), { device, dtype: out.dtype }).reshape(out.shape);
    out.mul(w).sum().backward();
    return { out: tl.keep(out.detach()), grads: leaves.map((l) => tl.keep(l.grad!)) };
  });
}

async function expectHalfOf(what: string, half: Tensor, reference: Tensor, tol: number): Promise<void> {
  expect(half.dtype, `${what}: dtype`).toBe('float16');
  expect(half.shape, `${what}: shape`).toEqual(reference.shape);
  const got = Array.from(await half.data());
  const want = Array.from(await reference.data());
  const scale = Math.max(1e-6, ...want.map(Math.abs));
  const worst = got.reduce((m, g, i) => Math.max(m, Math.abs(g - want[i])), 0);
  expect(worst / scale, `${what}: largest difference ${worst} against a scale of ${scale}`).toBeLessThanOrEqual(tol);
}

if (unavailable) {
  describe('float16 through nn.functional on webgpu', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  describe('float16 through nn.functional on webgpu', () => {
    CASES.forEach((c, n) => {
      it(`${c.name}: float16 output and gradients, equal to float32 on cpu to half precision`, async () => {
        await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
        const before = tl.memory().numTensors;
        const half = evaluate(c, 'webgpu', 'float16', 1000 + 31 * n);
        const reference = evaluate(c, 'cpu', 'float32', 1000 + 31 * n);
        const tol = c.tol ?? 5e-3;
        await expectHalfOf('output', half.out, reference.out, tol);
        for (const [i, g] of half.grads.entries()) await expectHalfOf(`gradient of input ${i}`, g, reference.grads[i], tol);
        for (const r of [half, reference]) for (const t of [r.out, ...r.grads]) t.dispose();
        expect(tl.memory().numTensors).toBe(before);
      });
    });

    it('a float16 input with a float32 target is refused, naming both dtypes', () => {
      const x = tl.zeros([2, 3], { device: 'webgpu', dtype: 'float16' });
      const t = tl.zeros([2, 3], { device: 'webgpu' });
      expect(() => F.mseLoss(x, t)).toThrow('mseLoss: target is float32 but input is float16; give them one dtype (.half() or .float())');
      expect(() => F.crossEntropy(x, t)).toThrow(/crossEntropy: target is float32 but input is float16/);
      x.dispose();
      t.dispose();
    });

    it('the initialisers fill float16 parameters, and a half BatchNorm1d keeps float16 running statistics', async () => {
      const linear = new Linear(6, 4).to('webgpu').half();
      const w = linear.weight;
      const values = async () => {
        expect(w.dtype).toBe('float16');
        return Array.from(await w.data());
      };
      init.eye_(w);
      expect(await values()).toEqual(Array.from({ length: 24 }, (_, i) => (i % 6 === Math.floor(i / 6) ? 1 : 0)));
      init.orthogonal_(w);
      const q = await values(); // 4 orthonormal rows of 6, to half precision
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const dot = q.slice(6 * i, 6 * i + 6).reduce((s, v, k) => s + v * q[6 * j + k], 0);
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 2);
        }
      }
      init.truncNormal_(w, 0, 1, -0.5, 0.5);
      const t = await values();
      expect(t.every((v) => v >= -0.5 && v <= 0.5) && new Set(t).size > 12).toBe(true);
      init.sparse_(w, 0.5);
      const sp = await values(); // ceil(0.5 · 4) = 2 zeros in each column
      for (let c = 0; c < 6; c++) expect([0, 1, 2, 3].filter((r) => sp[6 * r + c] === 0).length).toBe(2);
      init.kaimingNormal_(w);
      expect(new Set(await values()).size).toBeGreaterThan(12);
      const norm = new BatchNorm1d(3).to('webgpu').half();
      const x = tl.tidy(() => tl.randn([8, 3], { device: 'webgpu' }).mul(2).add(1).half());
      const y = norm.forward(x);
      expect(y.dtype).toBe('float16');
      expect(norm.runningMean!.dtype).toBe('float16');
      const mean = await norm.runningMean!.data();
      const batchMean = tl.tidy(() => x.float().mean(0));
      const expected = await batchMean.data();
      for (let i = 0; i < 3; i++) expect(mean[i]).toBeCloseTo(0.1 * expected[i], 2);
      batchMean.dispose();
      for (const t of [x, y]) t.dispose();
      linear.dispose();
      norm.dispose();
    });
  });

  // Modules: the same seeded weights (rounded to half) on cpu in float32 and on webgpu after
  // .half(); outputs, input gradients and parameter gradients agree to half precision.
  interface ModuleCase {
    name: string;
    make: () => Module;
    inputs: Input[];
    run: (m: Module, xs: Tensor[], device: string, dtype: 'float32' | 'float16') => Tensor;
    tol?: number;
  }
  const bools = (values: number[], device: string, shape: number[]) => tl.tensor(values, { dtype: 'int32', device }).reshape(shape).cast('bool');
  const MODULES: ModuleCase[] = [
    { name: 'LSTM (2 layers, bidirectional, batchFirst)', make: () => new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }), inputs: [[[2, 5, 3]]], run: (m, [x]) => (m as LSTM).forward(x)[0] },
    { name: 'LSTM (projSize, given states)', make: () => new LSTM(3, 5, { projSize: 2 }), inputs: [[[4, 2, 3]], [[1, 2, 2]], [[1, 2, 5]]], run: (m, [x, h, c]) => { const [y, [hN, cN]] = (m as LSTM).forward(x, [h, c]); return tl.cat([y.reshape([-1]), hN.reshape([-1]), cN.reshape([-1])], 0); } },
    { name: 'GRU', make: () => new GRU(3, 4, { numLayers: 2 }), inputs: [[[5, 2, 3]]], run: (m, [x]) => (m as GRU).forward(x)[0] },
    { name: 'RNN (relu)', make: () => new RNN(3, 4, { nonlinearity: 'relu' }), inputs: [[[5, 3]]], run: (m, [x]) => (m as RNN).forward(x)[0] },
    {
      name: 'MultiheadAttention (bool causal and padding masks, weights)',
      make: () => new MultiheadAttention(8, 2, { addBiasKv: true, addZeroAttn: true }),
      inputs: [[[4, 2, 8]]],
      run: (m, [x], d) => {
        const [y, w] = (m as MultiheadAttention).forward(x, x, x, { isCausal: true, keyPaddingMask: bools([0, 0, 0, 1, 0, 0, 1, 1], d, [2, 4]) });
        return tl.cat([y.reshape([-1]), w!.reshape([-1])], 0);
      },
    },
    {
      name: 'MultiheadAttention (float causal mask in the model\'s dtype, no weights)',
      make: () => new MultiheadAttention(8, 2, { batchFirst: true }),
      inputs: [[[2, 5, 8]]],
      run: (m, [x], d, dtype) => (m as MultiheadAttention).forward(x, x, x, { attnMask: generateSquareSubsequentMask(5, { device: d, dtype }), needWeights: false })[0],
    },
    { name: 'TransformerEncoderLayer (norm first, gelu)', make: () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, normFirst: true, activation: 'gelu', batchFirst: true }), inputs: [[[2, 4, 8]]], run: (m, [x]) => (m as TransformerEncoderLayer).forward(x) },
    // No conv bias: ahead of a training-mode BatchNorm its gradient is 0 up to rounding.
    { name: 'Conv2d + BatchNorm2d (training)', make: () => new Sequential(new Conv2d(2, 3, 3, { padding: 1, bias: false }), new BatchNorm2d(3)), inputs: [[[2, 2, 5, 5]]], run: (m, [x]) => (m as Sequential).forward(x) },
  ];

  /** The module's output and the gradients of sum(out · w) for its inputs and parameters. */
  function evaluateModule(c: ModuleCase, device: string, dtype: 'float32' | 'float16', seed: number) {
    tl.manualSeed(seed);
    const m = c.make().to(device);
    if (dtype === 'float16') m.half();
    else tl.noGrad(() => tl.tidy(() => { for (const p of m.parameters()) p.assign(tl.tensor(Array.from(p.dataSync(), roundToFloat16), { device }).reshape(p.shape)); }));
    const result = tl.tidy(() => {
      const leaves = c.inputs.map(([shape, lo, hi], i) =>
        tl.tensor(halves(tl.sizeOf(shape), seed + 97 * i, lo, hi), { device, dtype }).reshape(shape).detach().requiresGrad_(),
      );
      const out = c.run(m, leaves, device, dtype);
      const w = tl.tensor(halves(out.size, seed + 1, 0.5, 1.5), { device, dtype: out.dtype }).reshape(out.shape);
      out.mul(w).sum().backward();
      // Parameter gradients are copied: the module's disposal takes its own.
      const grads = [...leaves.map((l) => l.grad!), ...m.parameters().map((p) => p.grad!.clone())];
      return { out: tl.keep(out.detach()), grads: grads.map((g) => tl.keep(g)) };
    });
    m.dispose();
    return result;
  }

  describe('float16 modules on webgpu', () => {
    MODULES.forEach((c, n) => {
      it(`${c.name}: float16 output, input and parameter gradients, equal to float32 on cpu to half precision`, async () => {
        await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
        const before = tl.memory().numTensors;
        const half = evaluateModule(c, 'webgpu', 'float16', 5000 + 31 * n);
        const reference = evaluateModule(c, 'cpu', 'float32', 5000 + 31 * n);
        const tol = c.tol ?? 5e-3;
        await expectHalfOf('output', half.out, reference.out, tol);
        expect(half.grads.length).toBe(reference.grads.length);
        for (const [i, g] of half.grads.entries()) await expectHalfOf(`gradient ${i}`, g, reference.grads[i], tol);
        for (const r of [half, reference]) for (const t of [r.out, ...r.grads]) t.dispose();
        expect(tl.memory().numTensors).toBe(before);
      });
    });

    it('a float32 input, hidden state or float mask for a float16 module is refused, naming both dtypes', () => {
      const lstm = new LSTM(3, 4).to('webgpu').half();
      const mha = new MultiheadAttention(4, 1).to('webgpu').half();
      const x32 = tl.zeros([2, 1, 3], { device: 'webgpu' });
      const x16 = tl.zeros([2, 1, 3], { device: 'webgpu', dtype: 'float16' });
      const h32 = tl.zeros([1, 1, 4], { device: 'webgpu' });
      const q = tl.zeros([2, 1, 4], { device: 'webgpu', dtype: 'float16' });
      const mask = generateSquareSubsequentMask(2, { device: 'webgpu' });
      expect(() => lstm.forward(x32)).toThrow("LSTM: input must have the layer's dtype float16, got float32");
      expect(() => lstm.forward(x16, [h32, h32])).toThrow("LSTM: hidden[0] must have the input's dtype float16, got float32");
      expect(() => mha.forward(q, q, q, { attnMask: mask })).toThrow("MultiheadAttention: a float attnMask must have the attention's dtype float16, got float32");
      expect(() => mha.forward(q, q, q, { attnMask: mask, needWeights: false })).toThrow(/a float attnMask must have the attention's dtype float16/);
      for (const t of [x32, x16, h32, q, mask]) t.dispose();
      lstm.dispose();
      mha.dispose();
    });
  });
}
