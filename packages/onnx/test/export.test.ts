// exportOnnx on cpu: the models of export-suite.ts in onnxruntime-node, the file's names, the
// errors for what cannot be exported, no tensors left behind.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import * as nn from '@tensile/nn';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportOnnx, loadOnnx } from '../src/index.js';
import { onnx, type ValueInfoProto } from '../src/proto.js';
import { TinyGpt, cnn, exportSuite, mlp } from './export-suite.js';

beforeEach(() => tl.manualSeed(7));

exportSuite('cpu', null);

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
    // Unnamed, an output dim that follows an axis takes the axis's name.
    const plain = onnx.ModelProto.decode(await exportOnnx(model, tl.randn([1, 3, 8, 8]), { dynamicAxes: { input_0: { 0: 'N' } } })).graph!;
    expect(plain.output!.map(dims)).toEqual([['N', 5]]);
    await expect(exportOnnx(model, tl.randn([1, 3, 8, 8]), { dynamicAxes: { input_0: { 0: 'N' }, output_0: { 1: 'classes' } } })).rejects.toThrow(
      /names dim 1 of output 'output_0', but it does not follow any dynamic input axis \(it is always 5\)/,
    );
    // Loaded back, the parameters are trainable under their own names.
    const back = await loadOnnx(bytes);
    const names = back.namedParameters().map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(model.namedParameters().map(([n]) => n)));
    // Constants (the scalars of the decomposed ops) are Constant nodes, not state.
    const keys = Object.keys(model.stateDict());
    expect(names.filter((n) => !keys.includes(n))).toEqual([]);
    expect(graph.node!.filter((n) => n.opType === 'Constant').length).toBeGreaterThan(0);
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
    const square = (v: Tensor) => v.matmul(v.t()).add(tl.eye(2));
    await expect(exportOnnx(new Lambda((v) => tl.linalg.slogdet(tl.linalg.inv(square(v))).logabsdet), x())).rejects.toThrow(/no ONNX form for the ops 'linalg.inv', 'linalg.slogdet'/);
    // scatterAdd is ScatterElements with reduction 'add', from opset 16.
    const bag = new nn.EmbeddingBag(10, 4);
    await expect(exportOnnx(bag, tl.tensor([[1, 2]], { dtype: 'int32' }), { opset: 15 })).rejects.toThrow(/op #\d+ 'scatterAdd': scatterAdd needs opset 16 or later/);
  });

  it('a module whose output the trace cannot follow (a value read to the host and used as a number)', async () => {
    const model = new Lambda((v) => v.sub(Number(v.mean().itemSync())));
    await expect(exportOnnx(model, x())).rejects.toThrow(/output 'output_0' differs from the module's on other input values/);
    // Written anyway when asked.
    expect((await exportOnnx(model, x(), { check: false })).length).toBeGreaterThan(0);
  });

  it('what does not generalise along a dynamic axis', async () => {
    await expect(exportOnnx(new Lambda((v) => v.narrow(0, 0, 1)), x(), { dynamicAxes: { input_0: [0] } })).rejects.toThrow(/slice that stops before the end of a dynamic axis/);
    // Scans ONNX has no node for are unrolled over a static dim only.
    await expect(exportOnnx(new Lambda((v) => v.cummax(0).values), x(), { dynamicAxes: { input_0: [0] } })).rejects.toThrow(/op #\d+ 'cummax': cummax along a dynamic dim is not exported/);
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
    await expect(exportOnnx(new Lambda(() => 3), x())).rejects.toThrow(/forward must return a tensor, or arrays and plain objects of tensors/);
    expect(model.training).toBe(true);
  });
});
