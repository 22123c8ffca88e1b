import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import {
  BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, functional as F, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
} from '../src/index.js';
import { expectClose, type FixtureTensor, fromFixture, loadFixture, type LossCase } from './helpers.js';


function run(c: LossCase, t: Record<string, tl.Tensor>): tl.Tensor {
  const o = c.options;
  const reduction = c.reduction;
  switch (c.name) {
    case 'crossEntropy':
      return F.crossEntropy(t.input, t.target, { weight: t.weight, ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing, reduction });
    case 'nllLoss':
      return F.nllLoss(t.input, t.target, { weight: t.weight, ignoreIndex: o.ignoreIndex, reduction });
    case 'mseLoss': return F.mseLoss(t.input, t.target, { reduction });
    case 'l1Loss': return F.l1Loss(t.input, t.target, { reduction });
    case 'huberLoss': return F.huberLoss(t.input, t.target, { reduction, delta: o.delta });
    case 'binaryCrossEntropy': return F.binaryCrossEntropy(t.input, t.target, { weight: t.weight, reduction });
    case 'binaryCrossEntropyWithLogits':
      return F.binaryCrossEntropyWithLogits(t.input, t.target, { weight: t.weight, posWeight: t.posWeight, reduction });
    case 'klDiv': return F.klDiv(t.input, t.target, { reduction, logTarget: o.logTarget });
    default: throw new Error(`no loss ${c.name}`);
  }
}

/** The same case through the loss module. */
function runModule(c: LossCase, t: Record<string, tl.Tensor>): tl.Tensor | null {
  const o = c.options;
  const reduction = c.reduction;
  switch (c.name) {
    case 'crossEntropy':
      return new CrossEntropyLoss({ weight: t.weight, ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing, reduction }).forward(t.input, t.target);
    case 'nllLoss': return new NLLLoss({ weight: t.weight, ignoreIndex: o.ignoreIndex, reduction }).forward(t.input, t.target);
    case 'mseLoss': return new MSELoss(reduction).forward(t.input, t.target);
    case 'l1Loss': return new L1Loss(reduction).forward(t.input, t.target);
    case 'huberLoss': return new HuberLoss({ reduction, delta: o.delta }).forward(t.input, t.target);
    case 'binaryCrossEntropy': return new BCELoss({ weight: t.weight, reduction }).forward(t.input, t.target);
    case 'binaryCrossEntropyWithLogits':
      return new BCEWithLogitsLoss({ weight: t.weight, posWeight: t.posWeight, reduction }).forward(t.input, t.target);
    case 'klDiv': return new KLDivLoss({ reduction, logTarget: o.logTarget }).forward(t.input, t.target);
    default: return null;
  }
}

const cases = loadFixture<LossCase[]>('losses');

describe('losses match PyTorch (value and gradients)', () => {
  test.each(cases.map((c, i) => [`${c.name} ${JSON.stringify(c.options)} ${c.reduction} #${i}`, c] as const))('%s', (_, c) => {
    const t = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v, k in c.grads)]));
    // Once without tidy: the loss leaves exactly its result alive.
    const before = tl.memory().numTensors;
    run(c, t).dispose();
    expect(tl.memory().numTensors, 'tensors the loss left alive').toBe(before);
    const out = run(c, t);
    expectClose(out, c.output, 'loss');
    out.mul(fromFixture(c.gradOutput)).sum().backward();
    for (const [name, grad] of Object.entries(c.grads)) expectClose(t[name].grad, grad, `grad of ${name}`);
    tl.noGrad(() => expectClose(runModule(c, t), c.output, 'loss module'));
  });
});

describe('loss argument checks', () => {
  const logits = tl.randn([4, 3]);
  test('crossEntropy names both shapes for a wrong target shape', () => {
    expect(() => F.crossEntropy(logits, tl.tensor([[0], [1], [2], [0]], { dtype: 'int32' }))).toThrow(
      /target \[4,1\] does not match input \[4,3\].*\[4\]/,
    );
  });
  test('crossEntropy explains float class indices', () => {
    expect(() => F.crossEntropy(logits, tl.tensor([0, 1, 2, 0]))).toThrow(/class-index target must be int32, got float32 \[4\] for input \[4,3\]/);
  });
  test('crossEntropy rejects out-of-range classes', () => {
    expect(() => F.crossEntropy(logits, tl.tensor([0, 1, 3, 0], { dtype: 'int32' }))).toThrow(/target 3 is out of bounds for 3 classes/);
  });
  test('crossEntropy checks weight length and labelSmoothing', () => {
    expect(() => F.crossEntropy(logits, tl.tensor([0, 1, 2, 0], { dtype: 'int32' }), { weight: tl.ones([4]) })).toThrow(/weight \[4\] must hold one value per class, \[3\]/);
    expect(() => F.crossEntropy(logits, tl.tensor([0, 1, 2, 0], { dtype: 'int32' }), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
  });
  test('mseLoss refuses to broadcast [N, 1] against [N]', () => {
    expect(() => F.mseLoss(tl.zeros([4, 1]), tl.zeros([4]))).toThrow(/target \[4\] must have the same shape as input \[4,1\]/);
  });
  test('all-ignored mean cross entropy is NaN, as PyTorch', () => {
    const out = F.crossEntropy(logits, tl.full([4], -100, { dtype: 'int32' }));
    expect(Number.isNaN(out.itemSync())).toBe(true);
  });
  test('loss modules keep class weights as PyTorch-named buffers', () => {
    expect(Object.keys(new CrossEntropyLoss({ weight: tl.ones([3]) }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new BCEWithLogitsLoss({ posWeight: tl.ones([3]) }).stateDict())).toEqual(['pos_weight']);
  });
});

describe('other functional ops', () => {
  test('oneHot', () => {
    const idx = tl.tensor([0, 2, 1], { dtype: 'int32' });
    expect(F.oneHot(idx).arraySync()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect([...F.oneHot(idx, 5).shape]).toEqual([3, 5]);
    expect(() => F.oneHot(idx, 2)).toThrow(/smaller than numClasses=2/);
  });
  test('linear and dropout', () => {
    const x = tl.ones([2, 3]);
    const y = F.linear(x, tl.ones([4, 3]), tl.tensor([1, 2, 3, 4]));
    expect(y.arraySync()).toEqual([[4, 5, 6, 7], [4, 5, 6, 7]]);
    expect(F.dropout(x, 0.5, false).arraySync()).toEqual(x.arraySync());
    expect(F.dropout(x, 1).arraySync()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });
});
