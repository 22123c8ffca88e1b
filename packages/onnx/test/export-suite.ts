// exportOnnx on one backend: Tensile-built models (an MLP, a CNN, a decoder, activations, an
// LSTM, a transformer block, a small GPT) written to ONNX and run by onnxruntime-node (CPU) on the traced inputs and,
// along a dynamic axis, at another size, within 1e-5 of the module on that backend.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as nn from '@tensile/nn';
const F = nn.functional;
import ort from 'onnxruntime-node';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/index.js';

/** onnxruntime's outputs for `inputs`, in graph order. */
async function ortRun(bytes: Uint8Array, inputs: readonly Tensor[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [i, x] of inputs.entries()) {
    const values = await x.data();
    const data = x.dtype === 'bool' ? Uint8Array.from(values as ArrayLike<number>) : values;
    feeds[session.inputNames[i]] = new ort.Tensor(x.dtype === 'float32' ? 'float32' : x.dtype === 'int32' ? 'int32' : 'bool', data as Float32Array, [...x.shape]);
  }
  const out = await session.run(feeds);
  return session.outputNames.map((n) => out[n].data as Float32Array);
}

/** Largest difference between onnxruntime's outputs and the module's, relative to max(1, |value|). */
async function worstDifference(model: nn.Module, bytes: Uint8Array, inputs: readonly Tensor[]): Promise<number> {
  const got = await ortRun(bytes, inputs);
  const y = tl.tidy(() => tl.noGrad(() => model.call(...inputs)) as Tensor | Tensor[]);
  // Nested arrays (an LSTM's [output, [h, c]]) flatten in order, as the export does.
  const outs = [y].flat(Infinity as 1) as Tensor[];
  const want = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
  outs.forEach((t) => t.dispose());
  expect(got.length).toBe(want.length);
  let worst = 0;
  got.forEach((a, k) => {
    expect(a.length).toBe(want[k].length);
    const b = Array.from(want[k] as ArrayLike<number>, Number);
    const scale = b.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 1);
    for (let i = 0; i < a.length; i++) {
      const [u, v] = [Number(a[i]), b[i]];
      // Infinities must match exactly, and NaN where the module has NaN.
      if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue;
      worst = Math.max(worst, Number.isFinite(u) && Number.isFinite(v) ? Math.abs(u - v) / scale : Infinity);
    }
  });
  return worst;
}

export const mlp = () => new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 4), new nn.LogSoftmax(1));

export const cnn = () =>
  new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2, { ceilMode: true }),
    new nn.Conv2d(8, 8, 3, { stride: 2, groups: 2, dilation: 1 }),
    new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }),
    new nn.Sigmoid(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(8, 5),
    new nn.Softmax(1),
  );

/** A decoder's upsampling path: transposed convolutions (groups, outputPadding, dilation), GroupNorm, SiLU, bilinear upsampling. */
export const decoder = () =>
  new nn.Sequential(
    new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
    new nn.GroupNorm(2, 6),
    new nn.SiLU(),
    new nn.ConvTranspose2d(6, 3, 2, { stride: 2, dilation: 2 }),
    // outputPadding at or past the stride (allowed below the dilation): cropped and padded after the kernel.
    new nn.ConvTranspose2d(3, 3, 3, { padding: 2, dilation: 2, outputPadding: 1 }),
    new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }),
  );

/** Every activation whose forward builds masks (under noGrad, for PyTorch's gradients at the kinks). */
export const activations = () =>
  new nn.Sequential(
    new nn.Linear(6, 8), new nn.ELU({ alpha: 0.5 }), new nn.Hardswish(), new nn.Linear(8, 8), new nn.PReLU({ numParameters: 8 }),
    new nn.Hardtanh({ minVal: -0.5, maxVal: 0.5 }), new nn.Linear(8, 8), new nn.SELU(), new nn.CELU({ alpha: 0.7 }),
    new nn.Softshrink({ lambd: 0.2 }), new nn.Hardshrink({ lambd: 0.1 }), new nn.Linear(8, 8),
    new nn.Threshold(0.1, -1), new nn.ReLU6(), new nn.Softplus({ beta: 2, threshold: 1 }), new nn.LeakyReLU(0.1),
  );

/** The ops that pick and order: arg-reductions, sort and its selections, running sums, products and extremes, flips, diagonals, windows. */
export class Selections extends nn.Module {
  forward(x: Tensor): Tensor[] {
    const { values, indices } = x.topk(3, -1, false);
    return [
      x.argmax(1), x.argmin(), values, indices, x.sort(1, true).values, x.argsort(-1), x.kthvalue(2, 2).values,
      x.median(-1).values, x.cumsum(1), x.gt(0).cumsum(2), x.cumprod(2), x.cumprod(0), x.flip([1, 2]), x.diagonal(1, 1, 2),
      x.diagonal(-1, 2, 1), x.unfold(2, 3, 1), x.unfold(1, 2, 2),
      ...Object.values(x.cummax(2)), ...Object.values(x.cummin(1)), x.gt(0).cummax(2).values, x.mul(3).int().cummin(2).indices,
      x.logcumsumexp(2), ...Object.values(x.mul(2).round().mode(2)),
    ];
  }
}

/** Pointwise math with no single ONNX node, floats and int32; infinities and NaN made from the inputs. */
export class PointwiseMath extends nn.Module {
  forward(a: Tensor, b: Tensor): Tensor[] {
    const [i, j] = [a.mul(5).int(), b.abs().mul(3).int().add(1).mul(b.sign().int()).add(b.eq(0).int())];
    const special = a.div(b.gt(0).float()).mul(a.gt(-1).float()); // ±inf where b <= 0, NaN where also a <= -1
    // One output per float op: each is compared relative to its own largest value.
    return [
      ...[
        tl.log2(a.abs()), tl.log10(a.abs()), tl.exp2(a), tl.trunc(a.mul(3)), tl.frac(a.mul(3)), tl.round(a.mul(3)), tl.sign(a), tl.erfc(a), tl.sinc(a),
        tl.tan(a), tl.sinh(a), tl.cosh(a), tl.asin(a.tanh()), tl.acos(a.tanh()), tl.atan(a), tl.asinh(a), tl.acosh(a.abs().add(1)), tl.atanh(a.tanh().mul(0.9)),
        tl.atan2(a, b), tl.hypot(a, b), tl.copysign(a, b), tl.logaddexp(a, b), tl.logaddexp2(a, b), tl.xlogy(a, b.abs()), tl.fmod(a, b), tl.remainder(a, b),
        tl.floorDivide(a, b), tl.fmax(a, special), tl.fmin(special, b), tl.erfinv(a.tanh().mul(0.99)), tl.lgamma(a), tl.digamma(a),
        tl.linalg.det(a.reshape([-1, 2, 3]).matmul(b.reshape([-1, 3, 2]))),
      ],
      tl.stack([tl.remainder(i, j), tl.fmod(i, j), tl.floorDivide(i, j)]),
      tl.stack([tl.isinf(special), tl.isposinf(special), tl.isneginf(special), tl.isfinite(special), tl.isnan(special), tl.logicalXor(a.gt(0), b.gt(0))]),
    ];
  }
}

/** Bitwise ops on int32 (ONNX's Bitwise*, opset 18) and on bools (And, Or, Xor, Not). */
export class Bitwise extends nn.Module {
  forward(a: Tensor, b: Tensor): Tensor[] {
    const [i, j] = [a.mul(40).int(), b.mul(40).int()];
    const [p, q] = [a.gt(0), b.gt(0)];
    return [
      tl.stack([tl.bitwiseAnd(i, j), tl.bitwiseOr(i, j), tl.bitwiseXor(i, j), tl.bitwiseNot(i)]),
      tl.stack([tl.bitwiseAnd(p, q), tl.bitwiseOr(p, q), tl.bitwiseXor(p, q), tl.bitwiseNot(p)]),
    ];
  }
}

/** Max pooling's indices (ceil mode, padding) into MaxUnpool2d, and 3-D max pooling. */
export class PoolingIndices extends nn.Module {
  pool3d = new nn.MaxPool3d(2, { stride: [1, 2, 2] });
  forward(x: Tensor): Tensor[] {
    const { values, indices } = F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, returnIndices: true });
    const unpooled = F.maxUnpool2d(values, indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: x.shape.slice(2) });
    return [indices, unpooled, this.pool3d.call(x.unsqueeze(1))];
  }
}

/** Token and position embeddings, a causal pre-norm block with a padding mask, two heads. */
export class TinyGpt extends nn.Module {
  tok = new nn.Embedding(30, 16);
  pos = new nn.Embedding(8, 16);
  block = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true, activation: 'gelu', normFirst: true });
  norm = new nn.LayerNorm(16);
  head = new nn.Linear(16, 30, { bias: false });
  forward(ids: Tensor, padding: Tensor): Tensor[] {
    const t = ids.shape[1];
    const x = this.tok.call(ids).add(this.pos.call(tl.arange(0, t, 1, { dtype: 'int32' })));
    const causal = tl.ones([t, t], { dtype: 'bool' }).triu(1);
    const h = this.norm.call(this.block.call(x, { srcMask: causal, srcKeyPaddingMask: padding }));
    return [this.head.call(h), h.mean(1)];
  }
}

export function exportSuite(device: string, unavailable: string | null): void {
  if (unavailable) {
    it.skip(`exportOnnx on ${device}: ${unavailable}`, () => {});
    return;
  }
  beforeAll(() => tl.setBackend(device));
  beforeEach(() => tl.manualSeed(7));
  describe(`exportOnnx on ${device}: onnxruntime-node runs the file with the module's outputs`, () => {
    it('an MLP, with a dynamic batch', async () => {
      const model = mlp().eval();
      const bytes = await exportOnnx(model, [tl.randn([3, 8])], { dynamicAxes: { input_0: { 0: 'batch' } } });
      expect(await worstDifference(model, bytes, [tl.randn([3, 8])])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([11, 8])])).toBeLessThan(1e-5);
    });

    it('a CNN (conv, batch norm, max and average pooling, groups, ceil mode), with a dynamic batch', async () => {
      const model = cnn();
      tl.noGrad(() => {
        // Running statistics other than 0 and 1, as after training.
        const bn = model.get(1) as nn.BatchNorm2d;
        bn.runningMean!.assign(tl.randn([8]).mul(0.1));
        bn.runningVar!.assign(tl.rand([8]).add(0.5));
      });
      model.eval();
      const bytes = await exportOnnx(model, tl.randn([2, 3, 15, 15]), { dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(model, bytes, [tl.randn([2, 3, 15, 15])])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([5, 3, 15, 15])])).toBeLessThan(1e-5);
    });

    it('a decoder (transposed convolutions with groups, outputPadding and dilation; GroupNorm; bilinear upsampling), with a dynamic batch', async () => {
      const model = decoder().eval();
      const bytes = await exportOnnx(model, tl.randn([2, 4, 5, 6]), { dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(model, bytes, [tl.randn([2, 4, 5, 6])])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([3, 4, 5, 6])])).toBeLessThan(1e-5);
    });

    it('activations with masks (ELU, Hardswish, PReLU, Hardtanh, SELU, CELU, shrinks, Threshold, ReLU6, Softplus), with a dynamic batch', async () => {
      const model = activations().eval();
      const bytes = await exportOnnx(model, tl.randn([4, 6]).mul(3), { dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(model, bytes, [tl.randn([4, 6]).mul(3)])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([9, 6]).mul(3)])).toBeLessThan(1e-5);
    });

    it("a 2-layer LSTM (its [output, [h, c]] flattened to three outputs), with a dynamic batch", async () => {
      const model = new nn.LSTM(5, 6, { numLayers: 2, batchFirst: true }).eval();
      const bytes = await exportOnnx(model, tl.randn([2, 4, 5]), { dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(model, bytes, [tl.randn([2, 4, 5])])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([3, 4, 5])])).toBeLessThan(1e-5);
    });

    it('a transformer encoder block (fused attention), with a dynamic batch', async () => {
      const model = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true, activation: 'gelu' }).eval();
      const bytes = await exportOnnx(model, [tl.randn([2, 5, 16])], { dynamicAxes: { input_0: { 0: 'batch' } } });
      expect(await worstDifference(model, bytes, [tl.randn([2, 5, 16])])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([4, 5, 16])])).toBeLessThan(1e-5);
    });

    it('selections: argmax/argmin, topk, sort, argsort, kthvalue, median, mode, cumsum, cumprod (static and dynamic dims), cummax, cummin, logcumsumexp, flip, diagonal, unfold, with a dynamic batch', async () => {
      const model = new Selections();
      const bytes = await exportOnnx(model, tl.randn([2, 4, 5]), { dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(model, bytes, [tl.randn([2, 4, 5])])).toBeLessThan(1e-5);
      expect(await worstDifference(model, bytes, [tl.randn([3, 4, 5])])).toBeLessThan(1e-5);
    });

    it('pointwise math without one ONNX node (inverse trig, roundings, atan2, remainders, logaddexp, erfinv, lgamma, digamma, predicates) and det, with a dynamic batch', async () => {
      const model = new PointwiseMath();
      const inputs = () => [tl.randn([3, 6]).mul(2), tl.randn([3, 6]).mul(2)];
      const bytes = await exportOnnx(model, inputs(), { dynamicAxes: { input_0: { 0: 'batch' }, input_1: { 0: 'batch' } } });
      expect(await worstDifference(model, bytes, inputs())).toBeLessThan(1e-5);
    });

    it('bitwise ops on integers (opset 18) and on bools, with a dynamic batch', async () => {
      const model = new Bitwise();
      const inputs = () => [tl.randn([3, 5]), tl.randn([3, 5])];
      const dynamicAxes = { input_0: { 0: 'batch' }, input_1: { 0: 'batch' } };
      await expect(exportOnnx(model, inputs(), { dynamicAxes })).rejects.toThrow(/'bitwiseAnd': BitwiseAnd on integers needs opset 18 or later/);
      const bytes = await exportOnnx(model, inputs(), { dynamicAxes, opset: 18 });
      expect(await worstDifference(model, bytes, inputs())).toBe(0);
    });

    it('max pooling indices into MaxUnpool2d, 3-D max pooling, and EmbeddingBag (ScatterElements add, opset 16), with a dynamic batch', async () => {
      const model = new PoolingIndices();
      const bytes = await exportOnnx(model, tl.randn([2, 3, 7, 8]), { dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(model, bytes, [tl.randn([3, 3, 7, 8])])).toBeLessThan(1e-5);
      const bag = new nn.EmbeddingBag(10, 4, { mode: 'sum' });
      const ids = tl.tensor([[1, 2, 2, 7], [0, 9, 3, 3]], { dtype: 'int32' });
      const bagBytes = await exportOnnx(bag, ids, { opset: 16, dynamicAxes: { input_0: [0] } });
      expect(await worstDifference(bag, bagBytes, [tl.tensor([[4, 4, 4, 1], [5, 6, 7, 8], [0, 0, 1, 1]], { dtype: 'int32' })])).toBeLessThan(1e-5);
    });

    it('a small GPT: int32 ids and a bool padding mask in, dynamic batch and sequence, two named outputs, at opsets 13 and 18', async () => {
      const model = new TinyGpt().eval();
      const ids = tl.tensor([[1, 5, 9, 2, 7, 3], [4, 4, 8, 29, 0, 11]], { dtype: 'int32' });
      const padding = tl.tensor([[false, false, false, false, false, false], [false, false, false, false, true, true]]);
      for (const opset of [13, 18]) {
        const bytes = await exportOnnx(model, [ids, padding], {
          opset, inputNames: ['ids', 'padding'], outputNames: ['logits', 'pooled'], dynamicAxes: { ids: { 0: 'batch', 1: 'seq' }, padding: { 0: 'batch', 1: 'seq' } },
        });
        expect(await worstDifference(model, bytes, [ids, padding])).toBeLessThan(1e-5);
        const three = tl.tensor([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8], [9, 7, 9, 3, 2, 3]], { dtype: 'int32' });
        expect(await worstDifference(model, bytes, [three, tl.zeros([3, 6], { dtype: 'bool' })])).toBeLessThan(1e-5);
      // A shorter sequence: positions and the causal mask are computed from the input's shape.
      const short = tl.tensor([[7, 1, 2], [5, 5, 9]], { dtype: 'int32' });
      expect(await worstDifference(model, bytes, [short, tl.tensor([[false, false, false], [false, false, true]])])).toBeLessThan(1e-5);
      }
    });
  });
}
