// exportOnnx: Tensile-built models (an MLP, a CNN, a transformer block, a small GPT) written
// to ONNX and run by onnxruntime-node (CPU) on the traced inputs and, along a dynamic axis,
// at another size; the file's names; the errors for what cannot be exported; no tensors
// left behind.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import * as nn from '@tensile/nn';
import ort from 'onnxruntime-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportOnnx, loadOnnx } from '../src/index.js';
import { onnx, type ValueInfoProto } from '../src/proto.js';

beforeEach(() => tl.manualSeed(7));

/** onnxruntime's outputs for `inputs`, in graph order. */
async function ortRun(bytes: Uint8Array, inputs: readonly Tensor[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((x, i) => {
    const data = x.dtype === 'bool' ? Uint8Array.from(x.dataSync() as ArrayLike<number>) : x.dataSync();
    feeds[session.inputNames[i]] = new ort.Tensor(x.dtype === 'float32' ? 'float32' : x.dtype === 'int32' ? 'int32' : 'bool', data as Float32Array, [...x.shape]);
  });
  const out = await session.run(feeds);
  return session.outputNames.map((n) => out[n].data as Float32Array);
}

/** Largest difference between onnxruntime's outputs and the module's, relative to max(1, |value|). */
async function worstDifference(model: nn.Module, bytes: Uint8Array, inputs: readonly Tensor[]): Promise<number> {
  const got = await ortRun(bytes, inputs);
  const want = tl.tidy(() => {
    const y = tl.noGrad(() => model.call(...inputs)) as Tensor | Tensor[];
    return (y instanceof tl.Tensor ? [y] : y).map((t) => t.dataSync());
  });
  expect(got.length).toBe(want.length);
  let worst = 0;
  got.forEach((a, k) => {
    expect(a.length).toBe(want[k].length);
    const scale = Math.max(1, ...Array.from(want[k], Math.abs));
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - want[k][i]) / scale);
  });
  return worst;
}

const mlp = () => new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 4), new nn.LogSoftmax(1));

const cnn = () =>
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

/** Token and position embeddings, a causal pre-norm block with a padding mask, two heads. */
class TinyGpt extends nn.Module {
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

describe('exportOnnx runs in onnxruntime-node with the module\'s outputs', () => {
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

  it('a transformer encoder block (fused attention), with a dynamic batch', async () => {
    const model = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true, activation: 'gelu' }).eval();
    const bytes = await exportOnnx(model, [tl.randn([2, 5, 16])], { dynamicAxes: { input_0: { 0: 'batch' } } });
    expect(await worstDifference(model, bytes, [tl.randn([2, 5, 16])])).toBeLessThan(1e-5);
    expect(await worstDifference(model, bytes, [tl.randn([4, 5, 16])])).toBeLessThan(1e-5);
  });

  it('a small GPT: int32 ids and a bool padding mask in, two named outputs, at opsets 13 and 18', async () => {
    const model = new TinyGpt().eval();
    const ids = tl.tensor([[1, 5, 9, 2, 7, 3], [4, 4, 8, 29, 0, 11]], { dtype: 'int32' });
    const padding = tl.tensor([[false, false, false, false, false, false], [false, false, false, false, true, true]]);
    for (const opset of [13, 18]) {
      const bytes = await exportOnnx(model, [ids, padding], {
        opset, inputNames: ['ids', 'padding'], outputNames: ['logits', 'pooled'], dynamicAxes: { ids: { 0: 'batch' }, padding: { 0: 'batch' } },
      });
      expect(await worstDifference(model, bytes, [ids, padding])).toBeLessThan(1e-5);
      const three = tl.tensor([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8], [9, 7, 9, 3, 2, 3]], { dtype: 'int32' });
      expect(await worstDifference(model, bytes, [three, tl.zeros([3, 6], { dtype: 'bool' })])).toBeLessThan(1e-5);
    }
  });
});

describe('the written file', () => {
  it('names initializers by the state dict, and inputs, outputs and dynamic dims as asked', async () => {
    const model = cnn().eval();
    const bytes = await exportOnnx(model, tl.randn([1, 3, 8, 8]), { inputNames: ['image'], outputNames: ['probs'], dynamicAxes: { image: { 0: 'N' }, probs: { 0: 'N' } } });
    const graph = onnx.ModelProto.decode(bytes).graph!;
    const stored = graph.initializer!.map((t) => t.name);
    // Every parameter and the batch norm's running statistics (not its step counter, which forward does not read).
    for (const name of ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '4.weight', '4.bias', '9.weight', '9.bias']) {
      expect(stored).toContain(name);
    }
    expect(stored).not.toContain('1.num_batches_tracked');
    const dims = (v: ValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input!.map((v) => [v.name, dims(v)])).toEqual([['image', ['N', 3, 8, 8]]]);
    expect(graph.output!.map((v) => [v.name, dims(v)])).toEqual([['probs', ['N', 5]]]);
    // Loaded back, the parameters are trainable under their own names.
    const back = await loadOnnx(bytes);
    expect(back.namedParameters().map(([n]) => n)).toEqual(expect.arrayContaining(['0.weight', '9.bias']));
    back.dispose();
  });

  it('leaves no tensors behind and restores the module\'s training mode', async () => {
    const model = new TinyGpt();
    const ids = tl.tensor([[1, 2, 3]], { dtype: 'int32' });
    const padding = tl.zeros([1, 3], { dtype: 'bool' });
    const before = tl.memory().numTensors;
    await exportOnnx(model, [ids, padding], { dynamicAxes: { input_0: { 0: 'batch' }, input_1: { 0: 'batch' } } });
    expect(tl.memory().numTensors).toBe(before);
    expect(model.training).toBe(true);
    expect(model.block.training).toBe(true);
  });
});

class Lambda extends nn.Module {
  constructor(private readonly fn: (x: Tensor) => unknown) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x) as Tensor;
  }
}

describe('exportOnnx refuses', () => {
  const x = () => tl.randn([2, 3]);

  it('ops without an ONNX form, naming them', async () => {
    await expect(exportOnnx(new Lambda((v) => v.cumsum(1).cumprod(0)), x())).rejects.toThrow(/no ONNX form for the ops 'cumsum', 'cumprod'/);
  });

  it('a module whose output the trace cannot follow (a value computed under noGrad)', async () => {
    const model = new Lambda((v) => v.sub(tl.noGrad(() => v.mean())));
    await expect(exportOnnx(model, x())).rejects.toThrow(/output 'output_0' differs from the module's on other input values/);
    // Written anyway when asked.
    expect((await exportOnnx(model, x(), { check: false })).length).toBeGreaterThan(0);
  });

  it('what does not generalise along a dynamic axis', async () => {
    await expect(exportOnnx(new Lambda((v) => v.narrow(0, 0, 1)), x(), { dynamicAxes: { input_0: [0] } })).rejects.toThrow(/slice that stops before the end of a dynamic axis/);
    // A constant sized by the example breaks the forward at another size...
    await expect(exportOnnx(new Lambda((v) => v.add(tl.ones([2, 3]))), x(), { dynamicAxes: { input_0: [0] } })).rejects.toThrow(/forward fails with the dynamic axis 'input_0_dim0' one larger \(inputs \[3,3\]\)/);
    // ...and a number read from a size gives other values there.
    await expect(exportOnnx(new Lambda((v) => v.mul(v.shape[0])), x(), { dynamicAxes: { input_0: [0] } })).rejects.toThrow(/differs from the module's on 'input_0_dim0' one larger/);
  });

  it('bad arguments and options, with what is wrong', async () => {
    const model = mlp();
    await expect(exportOnnx(model, tl.randn([1, 8]), { opset: 12 })).rejects.toThrow(/opset must be an integer from 13 to 18, got 12/);
    await expect(exportOnnx(model, tl.randn([1, 8]), { opset_version: 17 } as never)).rejects.toThrow(/unknown option 'opset_version'; did you mean opset\?/);
    await expect(exportOnnx({} as never, tl.randn([1, 8]))).rejects.toThrow(/expected an nn.Module/);
    await expect(exportOnnx(model, [5] as never)).rejects.toThrow(/input 0 is not a tensor/);
    const gone = tl.randn([1, 8]);
    gone.dispose();
    await expect(exportOnnx(model, gone)).rejects.toThrow(/input 0 has been disposed/);
    await expect(exportOnnx(model, tl.randn([1, 8]), { dynamicAxes: { image: [0] } })).rejects.toThrow(/dynamicAxes names 'image', which is neither an input \(input_0\) nor an output \(output_0\)/);
    await expect(exportOnnx(model, tl.randn([1, 8]), { dynamicAxes: { input_0: [2] } })).rejects.toThrow(/names dim 2 of an input of shape \[1,8\]/);
    await expect(exportOnnx(model, tl.randn([1, 8]), { inputNames: ['a', 'b'] })).rejects.toThrow(/inputNames must be 1 non-empty strings/);
    await expect(exportOnnx(new Lambda(() => 3), x())).rejects.toThrow(/forward must return a tensor or an array of tensors/);
    expect(model.training).toBe(true);
  });
});
