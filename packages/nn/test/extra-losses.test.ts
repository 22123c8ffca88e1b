import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import * as nn from '../src/index.js';
import { functional as F } from '../src/index.js';
import { expectClose, type FixtureTensor, fromFixture, loadFixture, type LossCase } from './helpers.js';


/** Options as the case names them, with the weight tensor where the case has one. */
function options(c: LossCase, t: Record<string, tl.Tensor>): Record<string, any> {
  const { concatenated: _c, unbatched: _u, ...o } = c.options;
  return { ...o, ...(o.weight ? { weight: t.weight } : {}), reduction: c.reduction };
}

function run(c: LossCase, t: Record<string, tl.Tensor>): tl.Tensor {
  const o = options(c, t);
  switch (c.name) {
    case 'cosineEmbeddingLoss': return F.cosineEmbeddingLoss(t.x1, t.x2, t.target, o);
    case 'marginRankingLoss': return F.marginRankingLoss(t.x1, t.x2, t.target, o);
    case 'hingeEmbeddingLoss': return F.hingeEmbeddingLoss(t.input, t.target, o);
    case 'softMarginLoss': return F.softMarginLoss(t.input, t.target, o);
    case 'multilabelSoftMarginLoss': return F.multilabelSoftMarginLoss(t.input, t.target, o);
    case 'multiMarginLoss': return F.multiMarginLoss(t.input, t.target, o);
    case 'tripletMarginLoss': return F.tripletMarginLoss(t.anchor, t.positive, t.negative, o);
    case 'poissonNllLoss': return F.poissonNllLoss(t.input, t.target, o);
    case 'gaussianNllLoss': return F.gaussianNllLoss(t.input, t.target, t.var, o);
    case 'smoothL1Loss': return F.smoothL1Loss(t.input, t.target, o);
    case 'huberLoss': return F.huberLoss(t.input, t.target, o);
    case 'ctcLoss': return F.ctcLoss(t.input.logSoftmax(-1), t.targets, t.inputLengths, t.targetLengths, o);
    case 'crossEntropy': return F.crossEntropy(t.input, t.target, o);
    default: throw new Error(`no loss ${c.name}`);
  }
}

function runModule(c: LossCase, t: Record<string, tl.Tensor>): tl.Tensor {
  const o = options(c, t);
  switch (c.name) {
    case 'cosineEmbeddingLoss': return new nn.CosineEmbeddingLoss(o).forward(t.x1, t.x2, t.target);
    case 'marginRankingLoss': return new nn.MarginRankingLoss(o).forward(t.x1, t.x2, t.target);
    case 'hingeEmbeddingLoss': return new nn.HingeEmbeddingLoss(o).forward(t.input, t.target);
    case 'softMarginLoss': return new nn.SoftMarginLoss(o).forward(t.input, t.target);
    case 'multilabelSoftMarginLoss': return new nn.MultiLabelSoftMarginLoss(o).forward(t.input, t.target);
    case 'multiMarginLoss': return new nn.MultiMarginLoss(o).forward(t.input, t.target);
    case 'tripletMarginLoss': return new nn.TripletMarginLoss(o).forward(t.anchor, t.positive, t.negative);
    case 'poissonNllLoss': return new nn.PoissonNLLLoss(o).forward(t.input, t.target);
    case 'gaussianNllLoss': return new nn.GaussianNLLLoss(o).forward(t.input, t.target, t.var);
    case 'smoothL1Loss': return new nn.SmoothL1Loss(o).forward(t.input, t.target);
    case 'huberLoss': return new nn.HuberLoss(o).forward(t.input, t.target);
    case 'ctcLoss': return new nn.CTCLoss(o).forward(t.input.logSoftmax(-1), t.targets, t.inputLengths, t.targetLengths);
    case 'crossEntropy': return new nn.CrossEntropyLoss(o).forward(t.input, t.target);
    default: throw new Error(`no loss module ${c.name}`);
  }
}

const cases = loadFixture<LossCase[]>('extra-losses');

describe('issue-12 losses match PyTorch (value and gradients, functional and module)', () => {
  test.each(cases.map((c, i) => [`${c.name} ${JSON.stringify(c.options)} ${c.reduction} #${i}`, c] as const))('%s', (_, c) => {
    const t = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v, k in c.grads)]));
    // Once without tidy: the loss leaves exactly its result alive (run() itself makes ctcLoss's log-probabilities).
    const made = c.name === 'ctcLoss' ? 1 : 0;
    const before = tl.memory().numTensors;
    run(c, t).dispose();
    expect(tl.memory().numTensors - made, 'tensors the loss left alive').toBe(before);
    const out = run(c, t);
    expectClose(out, c.output, 'loss');
    out.mul(fromFixture(c.gradOutput)).sum().backward();
    for (const [name, grad] of Object.entries(c.grads)) expectClose(t[name].grad, grad, `grad of ${name}`, 1e-4, 2e-5);
    tl.noGrad(() => expectClose(runModule(c, t), c.output, 'loss module'));
  });
});

describe('issue-12 loss checks', () => {
  test('state dicts keep class weights as buffers named weight', () => {
    expect(Object.keys(new nn.MultiMarginLoss({ weight: tl.ones([3]) }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.MultiLabelSoftMarginLoss({ weight: tl.ones([3]) }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.TripletMarginLoss().stateDict())).toEqual([]);
  });
  test('unknown and snake_case options are errors that name them', () => {
    expect(() => F.huberLoss(tl.zeros([2]), tl.zeros([2]), { beta: 2 } as object)).toThrow(/huberLoss: unknown option 'beta'.*smoothL1Loss/);
    expect(() => F.tripletMarginLoss(tl.zeros([2, 3]), tl.zeros([2, 3]), tl.zeros([2, 3]), { margin_: 1 } as object)).toThrow(/unknown option 'margin_'/);
    expect(() => new nn.CTCLoss({ zero_infinity: true } as object)).toThrow(/unknown option 'zero_infinity'; options are camelCase: zeroInfinity/);
    expect(() => new nn.MSELoss({ size_average: true } as object)).toThrow(/size_average is deprecated/);
    expect(() => F.mseLoss(tl.zeros([2]), tl.zeros([2]), { reduction: 'avg' as 'mean' })).toThrow(/reduction must be 'mean', 'sum', 'none', got 'avg'/);
  });
  test('MSELoss and L1Loss take { reduction } as well as the string', () => {
    const a = tl.tensor([1, 2]);
    const b = tl.tensor([0, 0]);
    expect(new nn.MSELoss({ reduction: 'sum' }).forward(a, b).itemSync()).toBe(5);
    expect(new nn.MSELoss('sum').forward(a, b).itemSync()).toBe(5);
    expect(new nn.L1Loss({ reduction: 'sum' }).forward(a, b).itemSync()).toBe(3);
  });
  test('ctcLoss: impossible alignments are infinite, or zero with zeroInfinity', () => {
    const logProbs = tl.randn([2, 1, 3]).logSoftmax(2);
    const targets = tl.tensor([[1, 1, 1]], { dtype: 'int32' });
    expect(F.ctcLoss(logProbs, targets, [2], [3], { reduction: 'sum' }).itemSync()).toBe(Infinity);
    expect(F.ctcLoss(logProbs, targets, [2], [3], { reduction: 'sum', zeroInfinity: true }).itemSync()).toBe(0);
    expect(() => F.ctcLoss(logProbs, targets, [3], [3])).toThrow(/exceeds the 2 time steps/);
  });
  test('gaussianNllLoss refuses negative variances and unbroadcastable shapes', () => {
    expect(() => F.gaussianNllLoss(tl.zeros([2, 3]), tl.zeros([2, 3]), tl.full([2, 3], -1))).toThrow(/negative/);
    expect(() => F.gaussianNllLoss(tl.zeros([2, 3]), tl.zeros([2, 3]), tl.ones([3, 2]))).toThrow(/var \[3,2\]/);
  });
});
