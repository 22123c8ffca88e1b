import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import * as nn from '../src/index.js';
import type { Module } from '../src/index.js';
import { expectClose, type FixtureTensor, type ForwardBackwardCase, fromFixture, loadFixture } from './helpers.js';

/** A module case: what forward_backward records, plus the module's mode, repr and state before and after. */
interface ModuleCase extends ForwardBackwardCase {
  train: boolean;
  repr: string;
  state: Record<string, FixtureTensor>;
  paramGrads: Record<string, FixtureTensor>;
  stateAfter: Record<string, FixtureTensor>;
}

/** The Tensile layer for a PyTorch case: required arguments positional, the rest as options. */
function build(c: ModuleCase): Module {
  const a = c.args;
  const conv = { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias, paddingMode: a.paddingMode };
  switch (c.name) {
    case 'ConvTranspose2d': return new nn.ConvTranspose2d(a.in, a.out, a.kernel, { ...conv, paddingMode: undefined, outputPadding: a.outputPadding });
    case 'ConvTranspose1d': return new nn.ConvTranspose1d(a.in, a.out, a.kernel, { ...conv, paddingMode: undefined, outputPadding: a.outputPadding });
    case 'Conv2d': return new nn.Conv2d(a.in, a.out, a.kernel, conv);
    case 'Conv3d': return new nn.Conv3d(a.in, a.out, a.kernel, conv);
    case 'ConvTranspose3d': return new nn.ConvTranspose3d(a.in, a.out, a.kernel, { ...conv, paddingMode: undefined, outputPadding: a.outputPadding });
    case 'MaxPool3d': return new nn.MaxPool3d(a.kernel, { stride: a.stride, padding: a.padding, ceilMode: a.ceilMode, returnIndices: a.returnIndices });
    case 'MaxUnpool3d': return new nn.MaxUnpool3d(a.kernel, { stride: a.stride, padding: a.padding });
    case 'AvgPool3d': return new nn.AvgPool3d(a.kernel, { stride: a.stride, padding: a.padding, ceilMode: a.ceilMode, countIncludePad: a.countIncludePad });
    case 'Conv1d': return new nn.Conv1d(a.in, a.out, a.kernel, conv);
    case 'MaxPool1d': return new nn.MaxPool1d(a.kernel, { stride: a.stride, padding: a.padding, ceilMode: a.ceilMode, returnIndices: a.returnIndices });
    case 'AvgPool1d': return new nn.AvgPool1d(a.kernel, { stride: a.stride, padding: a.padding, ceilMode: a.ceilMode, countIncludePad: a.countIncludePad });
    case 'MaxPool2d': return new nn.MaxPool2d(a.kernel, { stride: a.stride, ceilMode: a.ceilMode, returnIndices: a.returnIndices });
    case 'AvgPool2d': return new nn.AvgPool2d(a.kernel, { stride: a.stride, padding: a.padding, ceilMode: a.ceilMode, divisorOverride: a.divisorOverride });
    case 'AdaptiveAvgPool1d': return new nn.AdaptiveAvgPool1d(a.output);
    case 'AdaptiveMaxPool1d': return new nn.AdaptiveMaxPool1d(a.output);
    case 'AdaptiveMaxPool2d': return new nn.AdaptiveMaxPool2d(a.output, { returnIndices: a.returnIndices });
    case 'MaxUnpool2d': return new nn.MaxUnpool2d(a.kernel, { stride: a.stride, padding: a.padding });
    case 'MaxUnpool1d': return new nn.MaxUnpool1d(a.kernel);
    case 'GroupNorm': return new nn.GroupNorm(a.groups, a.channels, { eps: a.eps, affine: a.affine });
    case 'InstanceNorm1d': return new nn.InstanceNorm1d(a.features, { affine: a.affine, trackRunningStats: a.trackRunningStats, momentum: a.momentum });
    case 'InstanceNorm2d': return new nn.InstanceNorm2d(a.features, { affine: a.affine, trackRunningStats: a.trackRunningStats, momentum: a.momentum });
    case 'RMSNorm': return new nn.RMSNorm(a.shape, { eps: a.eps, elementwiseAffine: a.elementwiseAffine });
    case 'LocalResponseNorm': return new nn.LocalResponseNorm(a.size, { alpha: a.alpha, beta: a.beta, k: a.k });
    case 'BatchNorm3d': return new nn.BatchNorm3d(a.features);
    case 'PixelShuffle': return new nn.PixelShuffle(a.factor);
    case 'PixelUnshuffle': return new nn.PixelUnshuffle(a.factor);
    case 'ChannelShuffle': return new nn.ChannelShuffle(a.groups);
    case 'Unflatten': return new nn.Unflatten(a.dim, a.size);
    case 'Unfold': return new nn.Unfold(a.kernel, { padding: a.padding, stride: a.stride, dilation: a.dilation });
    case 'Fold': return new nn.Fold(a.output, a.kernel, { padding: a.padding, stride: a.stride });
    case 'Bilinear': return new nn.Bilinear(a.in1, a.in2, a.out, { bias: a.bias });
    case 'Identity': return new nn.Identity(54, { unused: 'x' });
    case 'EmbeddingBag': return new nn.EmbeddingBag(a.num, a.dim, { mode: a.mode, paddingIdx: a.paddingIdx, includeLastOffset: a.includeLastOffset });
    case 'Embedding': return new nn.Embedding(a.num, a.dim, { maxNorm: a.maxNorm, normType: a.normType, paddingIdx: a.paddingIdx });
    case 'Dropout1d': return new nn.Dropout1d(a.p);
    case 'Dropout2d': return new nn.Dropout2d(a.p);
    case 'Dropout3d': return new nn.Dropout3d(a.p);
    case 'AlphaDropout': return new nn.AlphaDropout(a.p);
    case 'FeatureAlphaDropout': return new nn.FeatureAlphaDropout(a.p);
    case 'SiLU': return new nn.SiLU();
    case 'Mish': return new nn.Mish();
    case 'Hardswish': return new nn.Hardswish();
    case 'Hardsigmoid': return new nn.Hardsigmoid();
    case 'ELU': return new nn.ELU({ alpha: a.alpha });
    case 'SELU': return new nn.SELU();
    case 'CELU': return new nn.CELU({ alpha: a.alpha });
    case 'ReLU6': return new nn.ReLU6();
    case 'Hardtanh': return new nn.Hardtanh({ minVal: a.minVal, maxVal: a.maxVal });
    case 'Softsign': return new nn.Softsign();
    case 'LogSigmoid': return new nn.LogSigmoid();
    case 'Tanhshrink': return new nn.Tanhshrink();
    case 'Softshrink': return new nn.Softshrink({ lambd: a.lambd });
    case 'Hardshrink': return new nn.Hardshrink({ lambd: a.lambd });
    case 'Threshold': return new nn.Threshold(a.threshold, a.value);
    case 'GLU': return new nn.GLU({ dim: a.dim });
    case 'Softmin': return new nn.Softmin(a.dim);
    case 'Softplus': return new nn.Softplus({ beta: a.beta, threshold: a.threshold });
    case 'LogSoftmax': return new nn.LogSoftmax(a.dim);
    case 'RReLU': return new nn.RReLU({ lower: a.lower, upper: a.upper });
    case 'PReLU': return new nn.PReLU({ numParameters: a.numParameters, init: a.init });
    case 'GELU': return new nn.GELU({ approximate: a.approximate });
    case 'Softmax2d': return new nn.Softmax2d();
    case 'Upsample':
      return new nn.Upsample({ size: a.size, scaleFactor: a.scaleFactor, mode: a.mode, alignCorners: a.alignCorners, recomputeScaleFactor: a.recomputeScaleFactor });
    case 'UpsamplingBilinear2d': return new nn.UpsamplingBilinear2d({ scaleFactor: a.scaleFactor, size: a.size });
    case 'UpsamplingNearest2d': return new nn.UpsamplingNearest2d({ scaleFactor: a.scaleFactor, size: a.size });
    case 'ZeroPad2d': return new nn.ZeroPad2d(a.padding);
    case 'ConstantPad1d': return new nn.ConstantPad1d(a.padding, a.value);
    case 'ConstantPad2d': return new nn.ConstantPad2d(a.padding, a.value);
    case 'ReflectionPad1d': return new nn.ReflectionPad1d(a.padding);
    case 'ReflectionPad2d': return new nn.ReflectionPad2d(a.padding);
    case 'ReplicationPad1d': return new nn.ReplicationPad1d(a.padding);
    case 'ReplicationPad2d': return new nn.ReplicationPad2d(a.padding);
    case 'RNNCell': return new nn.RNNCell(a.in, a.hidden, { bias: a.bias, nonlinearity: a.nonlinearity });
    case 'LSTMCell': return new nn.LSTMCell(a.in, a.hidden, { bias: a.bias });
    case 'GRUCell': return new nn.GRUCell(a.in, a.hidden, { bias: a.bias });
    case 'CosineSimilarity': return new nn.CosineSimilarity({ dim: a.dim });
    case 'PairwiseDistance': return new nn.PairwiseDistance({ p: a.p, keepdim: a.keepdim });
    default: throw new Error(`no builder for ${c.name}`);
  }
}

function call(c: ModuleCase, m: Module, xs: tl.Tensor[]): tl.Tensor[] {
  const a = c.args;
  let y: unknown;
  if (c.name === 'ConvTranspose2d' && a.outputSize) y = (m as nn.ConvTranspose2d).forward(xs[0], a.outputSize);
  else if (c.name === 'ConvTranspose3d' && a.outputSize) y = (m as nn.ConvTranspose3d).forward(xs[0], a.outputSize);
  else if (c.name === 'MaxUnpool2d') y = (m as nn.MaxUnpool2d).forward(xs[0], xs[1], a.outputSize);
  else if (c.name === 'MaxUnpool3d') y = (m as nn.MaxUnpool3d).forward(xs[0], xs[1], a.outputSize);
  else if (c.name === 'LSTMCell') y = (m as nn.LSTMCell).forward(xs[0], xs.length > 1 ? [xs[1], xs[2]] : null);
  else y = m.forward(...xs);
  if (y instanceof tl.Tensor) return [y];
  if (Array.isArray(y)) return y as tl.Tensor[];
  const { values, indices } = y as { values: tl.Tensor; indices: tl.Tensor };
  return [values, indices];
}

/** Reprs that differ only because the fixture's module is a stand-in for a PyTorch 2 one. */
const OWN_REPR = new Set(['RMSNorm']);

const cases = loadFixture<ModuleCase[]>('modern-layers');

describe('issue-12 layers match PyTorch (outputs, input and parameter gradients, state, repr)', () => {
  test.each(cases.map((c, i) => [`${c.name} ${JSON.stringify(c.args)} ${c.train ? 'train' : 'eval'} #${i}`, c] as const))('%s', (_, c) => {
    const module = build(c);
    expect(Object.keys(module.stateDict())).toEqual(Object.keys(c.state));
    module.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)])));
    module.train(c.train);
    if (!OWN_REPR.has(c.name)) expect(String(module)).toBe(c.repr);
    const xs = c.inputs.map((f) => fromFixture(f, f.dtype === 'float32'));
    if (!c.train) {
      // Once without tidy (in eval mode, where a forward changes no state): only the outputs stay alive.
      const before = tl.memory().numTensors;
      const first = call(c, module, xs);
      expect(tl.memory().numTensors - before, 'tensors the forward left alive beyond its outputs').toBe(first.length);
      first.forEach((t) => t.dispose());
    }
    const ys = call(c, module, xs);
    expect(ys.length).toBe(c.outputs.length);
    ys.forEach((y, i) => expectClose(y, c.outputs[i], `output ${i}`));
    if (ys[0].requiresGrad) {
      ys[0].mul(fromFixture(c.gradOutput)).sum().backward();
      c.inputGrads.forEach((g, i) => {
        if (g) expectClose(xs[i].grad, g, `grad of input ${i}`);
      });
      for (const [name, grad] of Object.entries(c.paramGrads)) expectClose(Object.fromEntries(module.namedParameters())[name].grad, grad, `grad of ${name}`);
    }
    const after = module.stateDict();
    for (const [name, value] of Object.entries(c.stateAfter)) expectClose(after[name], value, `state ${name} after forward`);
    module.dispose();
  });
});
