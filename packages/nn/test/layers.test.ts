import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import {
  AdaptiveAvgPool2d, AvgPool2d, AvgPool3d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Conv3d, Dropout, Embedding, Flatten, GELU, Identity,
  LayerNorm, LeakyReLU, Linear, MaxPool2d, MaxPool3d, type Module, ReLU, Sigmoid, Softmax, Tanh,
} from '../src/index.js';
import { expectClose, type FixtureTensor, fromFixture, loadFixture } from './helpers.js';

interface LayerCase {
  name: string;
  args: Record<string, any>;
  train: boolean;
  state: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
  gradOutput: FixtureTensor;
  inputGrad?: FixtureTensor;
  paramGrads: Record<string, FixtureTensor>;
  stateAfter: Record<string, FixtureTensor>;
}

function build(c: LayerCase): Module {
  const a = c.args;
  switch (c.name) {
    case 'Linear': return new Linear(a.in, a.out, { bias: a.bias });
    case 'Conv1d': return new Conv1d(a.in, a.out, a.kernel, { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias });
    case 'Conv2d': return new Conv2d(a.in, a.out, a.kernel, { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias });
    case 'MaxPool2d': return new MaxPool2d(a.kernel, { stride: a.stride, padding: a.padding });
    case 'AvgPool2d': return new AvgPool2d(a.kernel, { stride: a.stride, padding: a.padding, countIncludePad: a.countIncludePad });
    case 'AdaptiveAvgPool2d': return new AdaptiveAvgPool2d(a.output);
    case 'BatchNorm1d': return new BatchNorm1d(a.features, { momentum: a.momentum, affine: a.affine, trackRunningStats: a.trackRunningStats });
    case 'BatchNorm2d': return new BatchNorm2d(a.features, { momentum: a.momentum, affine: a.affine, trackRunningStats: a.trackRunningStats });
    case 'LayerNorm': return new LayerNorm(a.shape, { eps: a.eps, elementwiseAffine: a.elementwiseAffine });
    case 'Embedding': return new Embedding(a.num, a.dim, { paddingIdx: a.paddingIdx });
    case 'Flatten': return new Flatten(a.start, a.end);
    case 'Identity': return new Identity();
    case 'Dropout': return new Dropout(a.p);
    case 'ReLU': return new ReLU();
    case 'LeakyReLU': return new LeakyReLU(a.slope);
    case 'GELU': return new GELU(a.approximate);
    case 'Sigmoid': return new Sigmoid();
    case 'Tanh': return new Tanh();
    case 'Softmax': return new Softmax(a.dim);
    default: throw new Error(`no builder for ${c.name}`);
  }
}

const cases = loadFixture<LayerCase[]>('layers');

describe('layers match PyTorch (forward, input and parameter gradients, state)', () => {
  test.each(cases.map((c, i) => [`${c.name} ${JSON.stringify(c.args)} ${c.train ? 'train' : 'eval'} #${i}`, c] as const))('%s', (_, c) => {
    const module = build(c);
    expect(Object.keys(module.stateDict())).toEqual(Object.keys(c.state));
    const state = Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)]));
    module.loadStateDict(state);
    module.train(c.train);
    const x = fromFixture(c.input, c.input.dtype === 'float32');
    if (!c.train) {
      // Once without tidy (in eval mode, where a forward changes no state): only the output stays alive.
      const before = tl.memory().numTensors;
      module.forward(x).dispose();
      expect(tl.memory().numTensors, 'tensors the forward left alive').toBe(before);
    }
    const y = module.forward(x);
    expectClose(y, c.output, 'output');
    const g = fromFixture(c.gradOutput);
    y.mul(g).sum().backward();
    if (c.inputGrad) expectClose(x.grad, c.inputGrad, 'input grad');
    const params = Object.fromEntries(module.namedParameters());
    expect(Object.keys(params).sort()).toEqual(Object.keys(c.paramGrads).sort());
    for (const [name, grad] of Object.entries(c.paramGrads)) expectClose(params[name].grad, grad, `grad of ${name}`);
    const after = module.stateDict();
    for (const [name, value] of Object.entries(c.stateAfter)) expectClose(after[name], value, `state ${name} after forward`);
    module.dispose();
  });
});

describe('layer shapes and options', () => {
  test('Linear has PyTorch parameter shapes and no bias when asked', () => {
    const fc = new Linear(7, 3);
    expect(fc.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual([['weight', [3, 7]], ['bias', [3]]]);
    expect(new Linear(7, 3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(() => fc.forward(tl.zeros([2, 6]))).toThrow(/in_features=7/);
  });

  test('Conv3d weight is [out, in / groups, kd, kh, kw]; MaxPool3d and AvgPool3d name what they refuse', () => {
    const conv = new Conv3d(4, 6, [2, 3, 1], { groups: 2 });
    expect([...conv.weight.shape]).toEqual([6, 2, 2, 3, 1]);
    expect([...conv.forward(tl.zeros([1, 4, 3, 3, 3])).shape]).toEqual([1, 6, 2, 1, 3]);
    expect(() => new Conv3d(3, 6, 3, { groups: 2 })).toThrow(/Conv3d: in_channels 3 must be divisible by groups 2/);
    expect(() => new MaxPool3d(2, { returnIndices: 'yes' as never }).forward(tl.zeros([1, 1, 2, 2, 2]))).toThrow(/maxPool3d: returnIndices must be a boolean, got "yes"/);
    expect(() => new AvgPool3d(2, { dilation: 2 } as object)).toThrow(/AvgPool3d: unknown option 'dilation'/);
  });

  test('Conv2d weight is [out, in / groups, kh, kw] and checks groups', () => {
    expect([...new Conv2d(4, 8, [3, 5], { groups: 2 }).weight.shape]).toEqual([8, 2, 3, 5]);
    expect(() => new Conv2d(3, 8, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect([...new Conv2d(3, 8, 3, { padding: 'same' }).forward(tl.zeros([1, 3, 5, 5])).shape]).toEqual([1, 8, 5, 5]);
  });

  test('BatchNorm state dict uses PyTorch names and int32 num_batches_tracked', () => {
    const bn = new BatchNorm2d(3);
    const sd = bn.stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(sd.num_batches_tracked.dtype).toBe('int32');
    expect(sd.num_batches_tracked.shape).toEqual([]);
    expect(Object.keys(new BatchNorm1d(3, { affine: false, trackRunningStats: false }).stateDict())).toEqual([]);
    expect(() => bn.forward(tl.zeros([2, 3, 4]))).toThrow(/expected 4D input/);
    expect(() => bn.forward(tl.zeros([2, 4, 2, 2]))).toThrow(/expected 3/);
  });

  test('AdaptiveAvgPool2d handles null sizes and unbatched input', () => {
    const pool = new AdaptiveAvgPool2d([null, 2]);
    expect([...pool.forward(tl.zeros([2, 3, 5, 7])).shape]).toEqual([2, 3, 5, 2]);
    expect([...new AdaptiveAvgPool2d(3).forward(tl.zeros([3, 7, 7])).shape]).toEqual([3, 3, 3]);
  });

  test('Embedding rejects float indices and zeroes the padding row at init', () => {
    const emb = new Embedding(5, 3, { paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(4);
    expect((emb.weight.arraySync() as number[][])[4]).toEqual([0, 0, 0]);
    expect(() => emb.forward(tl.tensor([1, 2]))).toThrow(/indices must be int32, got float32/);
  });

  test('reprs follow PyTorch', () => {
    expect(String(new Linear(4, 2))).toBe('Linear(in_features=4, out_features=2, bias=True)');
    expect(String(new Conv2d(3, 16, 3, { padding: 1, bias: false }))).toBe('Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)');
    expect(String(new Conv1d(3, 16, 5))).toBe('Conv1d(3, 16, kernel_size=(5,), stride=(1,))');
    expect(String(new BatchNorm1d(8))).toBe('BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)');
    expect(String(new LayerNorm(8))).toBe('LayerNorm((8,), eps=1e-05, elementwise_affine=True)');
    expect(String(new Dropout(0.25))).toBe('Dropout(p=0.25, inplace=False)');
    expect(String(new MaxPool2d(2))).toBe('MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
    expect(String(new Embedding(10, 3, { paddingIdx: 0 }))).toBe('Embedding(10, 3, padding_idx=0)');
    expect(String(new ReLU())).toBe('ReLU()');
    expect(String(new Flatten())).toBe('Flatten(start_dim=1, end_dim=-1)');
  });
});
