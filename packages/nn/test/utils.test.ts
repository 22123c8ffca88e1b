/**
 * nn.utils against PyTorch 1.13's torch.nn.utils (test/fixtures/utils.json, from
 * tools/utils_fixtures.py): weight norm, spectral norm, pruning, parameter vectors; and the
 * summary table.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { BatchNorm1d, Conv2d, Linear, Module, ReLU, Sequential, utils } from '../src/index.js';
import { expectClose, type FixtureTensor, fromFixture, loadFixture } from './helpers.js';

type State = Record<string, FixtureTensor>;
interface UtilsFixture {
  weightNorm: {
    linear: { before: State; after: State; x: FixtureTensor; y: FixtureTensor; grads: State };
    convDim1: { before: State; after: State };
    convNone: { before: State; after: State };
    convLast: { before: State; after: State };
  };
  spectralNorm: {
    linear: { start: State; x: FixtureTensor; yTrain: FixtureTensor; afterTrain: State; grads: State; yEval: FixtureTensor; keys: string[] };
    convDim1: { start: State; x: FixtureTensor; y: FixtureTensor; after: State };
  };
  prune: {
    l1: { start: State; mask1: FixtureTensor; mask2: FixtureTensor; keys: string[]; x: FixtureTensor; y: FixtureTensor; origGrad: FixtureTensor; afterRemove: State; keysAfterRemove: string[] };
    ln: { start: State; mask1: FixtureTensor; mask2: FixtureTensor };
    global: { a: State; b: State; maskA: FixtureTensor; maskB: FixtureTensor };
  };
  vector: { state: State; vector: FixtureTensor };
}

const fixture = loadFixture<UtilsFixture>('utils');
/** Load a fixture state into `m`, and return `m`. */
const load = <M extends Module>(m: M, s: State): M => {
  m.loadStateDict(Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fromFixture(v)])));
  return m;
};
const expectState = (m: Module, s: State, what: string, rtol = 1e-5, atol = 1e-6) => {
  expect(Object.keys(m.stateDict()), `${what}: keys`).toEqual(Object.keys(s));
  for (const [k, v] of Object.entries(m.stateDict())) expectClose(v, s[k], `${what}: ${k}`, rtol, atol);
};

describe('weightNorm', () => {
  test('Linear: PyTorch keys and values, output and gradients', () => {
    const f = fixture.weightNorm.linear;
    const lin = load(new Linear(3, 4), f.before);
    const original = lin.weight;
    expect(utils.weightNorm(lin)).toBe(lin);
    expectState(lin, f.after, 'after');
    expect(lin.parameters()).not.toContain(original);
    const y = lin.forward(fromFixture(f.x));
    expectClose(y, f.y, 'output');
    tl.tidy(() => y.square().sum().backward());
    for (const [n, p] of lin.namedParameters()) expectClose(p.grad, f.grads[n], `${n}.grad`, 1e-4, 1e-5);
    // The weight the layer reads is g·v/‖v‖, recomputed each forward, not a parameter.
    expectClose(lin.weight, f.before.weight, 'weight');
    expect(() => utils.weightNorm(lin)).toThrow('weightNorm: cannot register two weight_norm hooks on the same parameter weight');
    utils.removeWeightNorm(lin);
    expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weight']);
    expectClose(lin.weight, f.before.weight, 'weight after remove');
    expect(() => utils.removeWeightNorm(lin)).toThrow("removeWeightNorm: weight_norm of 'weight' not found in Linear");
  });

  test.each([['convDim1', 1], ['convNone', null], ['convLast', -1]] as const)('Conv2d with dim %s: g as PyTorch', (key, dim) => {
    const f = fixture.weightNorm[key];
    const conv = load(new Conv2d(2, 3, 2), f.before);
    utils.weightNorm(conv, 'weight', dim);
    expectState(conv, f.after, key);
  });

  test('errors name the problem', () => {
    const lin = new Linear(2, 2);
    expect(() => utils.weightNorm(lin, 'nope')).toThrow('getParameter: Linear has no attribute `nope`');
    expect(() => utils.weightNorm(lin, 'weight', 2)).toThrow('weightNorm: dim 2 is out of range for weight of shape [2,2]');
  });
});

describe('spectralNorm', () => {
  test('Linear: keys, training forward (power iterations), gradients, eval forward', () => {
    const f = fixture.spectralNorm.linear;
    const lin = new Linear(5, 3);
    const original = lin.weight;
    utils.spectralNorm(lin, 'weight', { nPowerIterations: 2 });
    expect(Object.keys(lin.stateDict())).toEqual(f.keys);
    expect(lin.getParameter('weight_orig')).toBe(original);
    expect(lin.namedBuffers().map(([n]) => n)).toEqual(['weight_u', 'weight_v']);
    load(lin, f.start);
    const x = fromFixture(f.x);
    const y = lin.forward(x);
    expectClose(y, f.yTrain, 'training output', 1e-4, 1e-5);
    tl.tidy(() => y.sum().backward());
    expectState(lin, f.afterTrain, 'after a training forward', 1e-4, 1e-5);
    for (const [n, p] of lin.namedParameters()) expectClose(p.grad, f.grads[n], `${n}.grad`, 1e-3, 1e-4);
    lin.eval();
    expectClose(lin.forward(x), f.yEval, 'eval output', 1e-4, 1e-5);
    utils.removeSpectralNorm(lin);
    expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weight']);
  });

  test('Conv2d with dim 1', () => {
    const f = fixture.spectralNorm.convDim1;
    const conv = utils.spectralNorm(new Conv2d(2, 3, 2), 'weight', { dim: 1 });
    load(conv, f.start);
    expectClose(conv.forward(fromFixture(f.x)), f.y, 'output', 1e-4, 1e-5);
    expectState(conv, f.after, 'after', 1e-4, 1e-5);
    expect(() => utils.spectralNorm(conv)).toThrow('spectralNorm: cannot register two spectral_norm hooks on the same parameter weight');
    expect(() => utils.spectralNorm(new Linear(2, 2), 'weight', { nPowerIterations: -1 })).toThrow(/non-negative integer/);
  });
});

describe('prune', () => {
  test('l1Unstructured twice (iterative), the masked forward and gradient, remove', () => {
    const f = fixture.prune.l1;
    const lin = load(new Linear(4, 5), f.start);
    const original = lin.weight;
    utils.prune.l1Unstructured(lin, 'weight', 0.3);
    expect(Object.keys(lin.stateDict())).toEqual(f.keys);
    expect(lin.getParameter('weight_orig')).toBe(original);
    expectClose(lin.getBuffer('weight_mask'), f.mask1, 'first mask');
    utils.prune.l1Unstructured(lin, 'weight', { count: 3 });
    expectClose(lin.getBuffer('weight_mask'), f.mask2, 'second mask');
    expect(utils.prune.isPruned(new Sequential(new ReLU(), lin))).toBe(true);
    const y = lin.forward(fromFixture(f.x));
    expectClose(y, f.y, 'output');
    tl.tidy(() => y.sum().backward());
    expectClose(original.grad, f.origGrad, 'weight_orig.grad');
    utils.prune.remove(lin, 'weight');
    expect(Object.keys(lin.stateDict())).toEqual(f.keysAfterRemove);
    expect(lin.weight).toBe(original);
    expectState(lin, f.afterRemove, 'after remove');
    expect(utils.prune.isPruned(lin)).toBe(false);
    expect(() => utils.prune.remove(lin, 'weight')).toThrow(
      "remove: parameter 'weight' of module Linear has to be pruned before pruning can be removed",
    );
  });

  test('lnStructured on output channels, then on input channels', () => {
    const f = fixture.prune.ln;
    const conv = load(new Conv2d(3, 4, 2), f.start);
    utils.prune.lnStructured(conv, 'weight', 0.5, 2, 0);
    expectClose(conv.getBuffer('weight_mask'), f.mask1, 'first mask');
    utils.prune.lnStructured(conv, 'weight', { count: 1 }, 1, 1);
    expectClose(conv.getBuffer('weight_mask'), f.mask2, 'second mask');
  });

  test('globalUnstructured ranks across tensors', () => {
    const f = fixture.prune.global;
    const a = load(new Linear(3, 4), f.a);
    const b = load(new Linear(4, 2), f.b);
    utils.prune.globalUnstructured([[a, 'weight'], [b, 'weight']], { amount: 0.4 });
    expectClose(a.getBuffer('weight_mask'), f.maskA, 'mask of a');
    expectClose(b.getBuffer('weight_mask'), f.maskB, 'mask of b');
  });

  test('random, identity and custom masks; amounts validated as PyTorch', () => {
    const lin = new Linear(5, 4);
    tl.manualSeed(1);
    utils.prune.randomUnstructured(lin, 'weight', 0.25);
    const zeros = (t: Tensor) => Array.from(t.dataSync()).filter((v) => v === 0).length;
    expect(zeros(lin.getBuffer('weight_mask'))).toBe(5);
    utils.prune.randomStructured(lin, 'weight', { count: 1 }, 0);
    const mask = lin.getBuffer('weight_mask').arraySync() as number[][];
    expect(mask.filter((row) => row.every((v) => v === 0)).length).toBe(1);
    utils.prune.identity(lin, 'bias');
    expect(lin.getBuffer('bias_mask').arraySync()).toEqual([1, 1, 1, 1]);
    utils.prune.customFromMask(lin, 'bias', tl.tensor([1, 0, 1, 0]));
    expect(Array.from(lin.bias!.dataSync()).filter((v) => v === 0).length).toBe(2);
    const small = new Linear(2, 2);
    expect(() => utils.prune.l1Unstructured(small, 'weight', 1.5)).toThrow('l1Unstructured: amount=1.5 should be a fraction in the range [0, 1]');
    expect(() => utils.prune.l1Unstructured(small, 'weight', 3)).toThrow(
      'l1Unstructured: amount=3 should be a fraction in the range [0, 1]; for a number of parameters pass { count: 3 }',
    );
    expect(() => utils.prune.l1Unstructured(small, 'weight', { count: 5 })).toThrow(
      'l1Unstructured: amount=5 should be smaller than the number of parameters to prune=4',
    );
    expect(() => utils.prune.l1Unstructured(small, 'nope', 0.5)).toThrow('getParameter: Linear has no attribute `nope`');
  });

  test('a clone keeps its own pruning', () => {
    const lin = new Linear(3, 3);
    utils.prune.l1Unstructured(lin, 'weight', 0.5);
    const copy = lin.clone();
    tl.noGrad(() => copy.getParameter('weight_orig').assign(tl.ones([3, 3])));
    const out = copy.forward(tl.ones([1, 3]));
    const kept = Array.from(copy.getBuffer('weight_mask').dataSync()).reduce((s, v) => s + v, 0);
    expect(Array.from(out.dataSync()).reduce((s, v) => s + v, 0)).toBeCloseTo(kept + Array.from(copy.bias!.dataSync()).reduce((s, v) => s + v, 0), 5);
    expect(lin.weight).not.toBe(copy.weight);
  });
});

describe('parameter vectors and summary', () => {
  test('parametersToVector matches PyTorch; vectorToParameters writes back', () => {
    const m = load(new Sequential(new Linear(2, 3), new Linear(3, 1)), fixture.vector.state);
    const v = utils.parametersToVector(m.parameters());
    expectClose(v, fixture.vector.vector, 'vector');
    const before = tl.memory().numTensors;
    utils.vectorToParameters(tl.tidy(() => v.mul(2)), m.parameters());
    expect(tl.memory().numTensors).toBeLessThanOrEqual(before + 1);
    expectClose(utils.parametersToVector(m.parameters()), { ...fixture.vector.vector, data: fixture.vector.vector.data.map((x) => 2 * x) }, 'doubled');
    expect(() => utils.vectorToParameters(tl.zeros([3]), m.parameters())).toThrow('vectorToParameters: the vector has 3 elements but the parameters have 13');
    expect(() => utils.parametersToVector([])).toThrow('parametersToVector: got no parameters');
  });

  test('summary lists layers, output shapes and parameter counts', () => {
    class Net extends Module {
      conv = new Conv2d(1, 4, 3, { padding: 1 });
      head = new Sequential(new Linear(64, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 2));
      forward(x: Tensor): Tensor {
        return this.head.forward(this.conv.forward(x).reshape([x.shape[0], -1]));
      }
    }
    const net = new Net();
    net.head.get(3).requiresGrad_(false);
    const before = tl.memory().numTensors;
    const text = utils.summary(net, { inputSize: [2, 1, 4, 4] });
    expect(tl.memory().numTensors).toBe(before);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^Layer \(type:depth-idx\)\s+Output Shape\s+Param #$/);
    expect(lines[3]).toMatch(/^Net\s+\[2, 2\]\s+--$/);
    expect(lines[4]).toMatch(/^├─Conv2d: 1-1\s+\[2, 4, 4, 4\]\s+40$/);
    expect(lines[5]).toMatch(/^└─Sequential: 1-2\s+\[2, 2\]\s+--$/);
    expect(lines[6]).toMatch(/^│    ├─Linear: 2-1\s+\[2, 8\]\s+520$/);
    expect(lines[9]).toMatch(/^│    └─Linear: 2-4\s+\[2, 2\]\s+18$/);
    expect(text).toContain('Total params: 594');
    expect(text).toContain('Trainable params: 576');
    expect(text).toContain('Non-trainable params: 18');
    expect(utils.summary(net, { depth: 0 }).split('\n').filter((l) => l.startsWith('├') || l.startsWith('└'))).toEqual([]);
    expect(() => utils.summary(net, { input_size: [1] } as never)).toThrow("summary: unknown option 'input_size'");
  });
});
