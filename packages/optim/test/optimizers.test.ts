import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { afterEach, describe, expect, test } from 'vitest';
import { ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Rprop, SGD, type Optimizer } from '../src/index.js';
import { expectClose, fromFlat, loadFixture, makeOptimizer, setGrads, type OptimizerCase } from './helpers.js';

const fixture = loadFixture<{ torch: string; steps: number; cases: OptimizerCase[] }>('optimizers.json');

function dispose(params: tl.Tensor[]): void {
  for (const p of params) {
    p.grad = null;
    p.dispose();
  }
}

describe('optimisers match PyTorch 1.13 step by step', () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const params = c.initial.map((data, i) => fromFlat(data, c.shapes[i], true));
      const opt = makeOptimizer(c, params);
      for (let step = 0; step < fixture.steps; step++) {
        setGrads(c, params, step);
        opt.step();
        params.forEach((p, i) => expectClose(p.dataSync(), c.trajectory[step][i], `${c.name} step ${step + 1} param ${i}`));
      }
      params.forEach((p, i) => {
        const state = opt.state.get(p)!;
        expect(Object.keys(state).sort(), `${c.name} param ${i} state keys`).toEqual(Object.keys(c.finalState[i]).sort());
        for (const [key, expected] of Object.entries(c.finalState[i])) {
          const value = state[key];
          const what = `${c.name} param ${i} state.${key}`;
          if (Array.isArray(expected)) expectClose((value as tl.Tensor).dataSync(), expected, what);
          else expectClose([value as number], [expected], what);
        }
      });
      opt.dispose();
      dispose(params);
    });
  }
});

describe('loadStateDict continues the trajectory identically', () => {
  const names = [
    'sgd_momentum', 'sgd_groups', 'adam_amsgrad', 'adam_groups', 'adamw_amsgrad', 'rmsprop_centered_momentum_wd', 'adagrad_wd_init',
    'nadam_groups', 'radam_decoupled_weight_decay', 'radam_groups', 'adamax_groups', 'adadelta_groups', 'asgd_averaging', 'rprop_groups',
  ];
  for (const name of names) {
    test(name, () => {
      const c = fixture.cases.find((x) => x.name === name)!;
      const half = fixture.steps / 2;
      const params = c.initial.map((data, i) => fromFlat(data, c.shapes[i], true));
      const first = makeOptimizer(c, params);
      for (let step = 0; step < half; step++) {
        setGrads(c, params, step);
        first.step();
      }
      const saved = first.stateDict();
      expect(Object.keys(saved.state).map(Number).sort()).toEqual([0, 1]);
      expect(saved.param_groups.flatMap((g) => g.params).sort()).toEqual([0, 1]);
      first.dispose();

      // A fresh optimiser with different hyper-parameters and fresh parameter handles.
      const resumed = c.initial.map((_, i) => fromFlat(Array.from(params[i].dataSync()), c.shapes[i], true));
      const second = makeOptimizer(c, resumed, { lr: 123 });
      second.loadStateDict(saved);
      // The state dict is a copy: disposing it does not touch the optimiser.
      for (const s of Object.values(saved.state)) for (const v of Object.values(s)) if (v instanceof tl.Tensor) v.dispose();
      expect(second.paramGroups.map((g) => g.lr)).toEqual(saved.param_groups.map((g) => g.lr));
      for (let step = half; step < fixture.steps; step++) {
        setGrads(c, resumed, step);
        second.step();
        resumed.forEach((p, i) => expectClose(p.dataSync(), c.trajectory[step][i], `${name} resumed step ${step + 1} param ${i}`));
      }
      second.dispose();
      dispose(params);
      dispose(resumed);
    });
  }

  test('loadStateDict rejects a mismatched layout or shape', () => {
    const a = tl.zeros([2], { requiresGrad: true });
    const b = tl.zeros([3], { requiresGrad: true });
    const opt = new Adam([a]);
    a.grad = tl.ones([2]);
    opt.step();
    const saved = opt.stateDict();
    const other = new Adam([b]);
    expect(() => other.loadStateDict(saved)).toThrow(/Adam\.loadStateDict: state\[0\]\.expAvg is \[2\] but its parameter is \[3\]/);
    const two = new Adam([{ params: [b] }, { params: [tl.zeros([1], { requiresGrad: true })] }]);
    expect(() => two.loadStateDict(saved)).toThrow(/Adam\.loadStateDict: the state dict has 1 parameter groups, the optimiser 2/);
    for (const v of Object.values(saved.state[0])) if (v instanceof tl.Tensor) v.dispose();
    opt.dispose();
  });
});

describe('memory stays flat', () => {
  test('2000 steps of Adam (amsgrad) with backward keep numTensors and numBytes flat', () => {
    tl.manualSeed(0);
    const w1 = tl.randn([8, 16], { requiresGrad: true });
    const b1 = tl.zeros([16], { requiresGrad: true });
    const w2 = tl.randn([16, 1], { requiresGrad: true });
    const x = tl.randn([4, 8]);
    const y = tl.randn([4, 1]);
    const opt = new Adam([w1, b1, w2], { lr: 1e-3, amsgrad: true, weightDecay: 1e-4 });
    const trainStep = () => {
      opt.zeroGrad();
      tl.tidy(() => {
        const loss = x.matmul(w1).add(b1).relu().matmul(w2).sub(y).square().mean();
        loss.backward();
      });
      opt.step();
    };
    trainStep();
    const before = tl.memory();
    for (let i = 0; i < 2000; i++) trainStep();
    const after = tl.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numBuffers).toBe(before.numBuffers);
    opt.dispose();
    for (const t of [w1, b1, w2]) {
      t.grad = null;
      t.dispose();
    }
    x.dispose();
    y.dispose();
  });

  const newOptimizers: [string, (ps: tl.Tensor[]) => Optimizer<any>][] = [
    ['NAdam (decoupled weight decay)', (ps) => new NAdam(ps, { lr: 1e-3, weightDecay: 1e-2, decoupledWeightDecay: true })],
    ['RAdam (L2 weight decay)', (ps) => new RAdam(ps, { lr: 1e-3, weightDecay: 1e-4 })],
    ['Adamax', (ps) => new Adamax(ps, { lr: 1e-3, weightDecay: 1e-4 })],
    ['Adadelta', (ps) => new Adadelta(ps, { lr: 0.1, weightDecay: 1e-4 })],
    ['ASGD (averaging)', (ps) => new ASGD(ps, { lr: 1e-3, t0: 10, weightDecay: 1e-4 })],
    ['Rprop', (ps) => new Rprop(ps, { lr: 1e-3 })],
  ];
  test.each(newOptimizers)('2000 steps of %s with backward keep numTensors and numBytes flat', (_name, factory) => {
    tl.manualSeed(0);
    const w1 = tl.randn([8, 16], { requiresGrad: true });
    const b1 = tl.zeros([16], { requiresGrad: true });
    const w2 = tl.randn([16, 1], { requiresGrad: true });
    const x = tl.randn([4, 8]);
    const y = tl.randn([4, 1]);
    const opt = factory([w1, b1, w2]);
    const trainStep = () => {
      opt.zeroGrad();
      tl.tidy(() => x.matmul(w1).add(b1).relu().matmul(w2).sub(y).square().mean().backward());
      opt.step();
    };
    trainStep();
    const before = tl.memory();
    for (let i = 0; i < 2000; i++) trainStep();
    const after = tl.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numBuffers).toBe(before.numBuffers);
    opt.dispose();
    dispose([w1, b1, w2]);
    x.dispose();
    y.dispose();
  });

  test('every optimiser keeps memory flat, and dispose() frees its state', () => {
    const start = tl.memory();
    const make = [
      (ps: tl.Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }),
      (ps: tl.Tensor[]) => new Adam(ps, { maximize: true }),
      (ps: tl.Tensor[]) => new AdamW(ps, { amsgrad: true }),
      (ps: tl.Tensor[]) => new RMSprop(ps, { centered: true, momentum: 0.5, weightDecay: 0.1 }),
      (ps: tl.Tensor[]) => new Adagrad(ps, { lrDecay: 0.01, weightDecay: 0.1 }),
      (ps: tl.Tensor[]) => new NAdam(ps, { weightDecay: 0.1, maximize: true }),
      (ps: tl.Tensor[]) => new RAdam(ps, { weightDecay: 0.1, decoupledWeightDecay: true, betas: [0.9, 0.9] }),
      (ps: tl.Tensor[]) => new Adamax(ps, { maximize: true, weightDecay: 0.1 }),
      (ps: tl.Tensor[]) => new Adadelta(ps, { maximize: true, weightDecay: 0.1 }),
      (ps: tl.Tensor[]) => new ASGD(ps, { t0: 0, maximize: true, weightDecay: 0.1 }),
      (ps: tl.Tensor[]) => new Rprop(ps, { maximize: true }),
    ];
    for (const factory of make) {
      const params = [tl.randn([5, 3], { requiresGrad: true }), tl.randn([7], { requiresGrad: true })];
      const opt = factory(params);
      const grads = () => params.forEach((p) => (p.grad = tl.randnLike(p)));
      grads();
      opt.step();
      const before = tl.memory();
      for (let i = 0; i < 100; i++) {
        grads();
        opt.step();
      }
      const after = tl.memory();
      expect([opt.name, after.numTensors, after.numBytes]).toEqual([opt.name, before.numTensors, before.numBytes]);
      opt.dispose();
      dispose(params);
    }
    expect(tl.memory().numTensors).toBe(start.numTensors);
    expect(tl.memory().numBytes).toBe(start.numBytes);
  });
});

describe('hyper-parameter errors name the optimiser and the option', () => {
  const p = () => tl.zeros([2], { requiresGrad: true });
  test.each([
    ['SGD lr', () => new SGD([p()], { lr: -1 }), /SGD: invalid lr -1/],
    ['SGD missing lr', () => new SGD([p()], {} as { lr: number }), /SGD: invalid lr undefined/],
    ['SGD momentum', () => new SGD([p()], { lr: 0.1, momentum: -0.5 }), /SGD: invalid momentum -0\.5/],
    ['SGD weightDecay', () => new SGD([p()], { lr: 0.1, weightDecay: -1 }), /SGD: invalid weightDecay -1/],
    ['SGD nesterov', () => new SGD([p()], { lr: 0.1, nesterov: true }), /SGD: invalid nesterov .*momentum > 0 and dampening 0/],
    ['Adam lr', () => new Adam([p()], { lr: -0.001 }), /Adam: invalid lr -0\.001/],
    ['Adam betas[0]', () => new Adam([p()], { betas: [1.5, 0.999] }), /Adam: invalid betas\[0\] 1\.5; expected a number in \[0, 1\)/],
    ['Adam betas[1]', () => new Adam([p()], { betas: [0.9, -0.1] }), /Adam: invalid betas\[1\] -0\.1/],
    ['Adam eps', () => new Adam([p()], { eps: -1e-8 }), /Adam: invalid eps -1e-8/],
    ['AdamW betas[1]', () => new AdamW([p()], { betas: [0.9, 1] }), /AdamW: invalid betas\[1\] 1/],
    ['AdamW weightDecay', () => new AdamW([p()], { weightDecay: -0.01 }), /AdamW: invalid weightDecay -0\.01/],
    ['RMSprop alpha', () => new RMSprop([p()], { alpha: -0.1 }), /RMSprop: invalid alpha -0\.1/],
    ['RMSprop momentum', () => new RMSprop([p()], { momentum: -1 }), /RMSprop: invalid momentum -1/],
    ['Adagrad lrDecay', () => new Adagrad([p()], { lrDecay: -1 }), /Adagrad: invalid lrDecay -1/],
    ['Adagrad initialAccumulatorValue', () => new Adagrad([p()], { initialAccumulatorValue: -1 }), /Adagrad: invalid initialAccumulatorValue -1/],
    ['group override', () => new Adam([{ params: [p()] }, { params: [p()], lr: -2 }]), /Adam: invalid lr -2/],
    ['NAdam momentumDecay', () => new NAdam([p()], { momentumDecay: -1 }), /NAdam: invalid momentumDecay -1/],
    ['NAdam betas', () => new NAdam([p()], { betas: [0.9] as unknown as [number, number] }), /NAdam: invalid betas \[0\.9\]; expected a pair/],
    ['NAdam decoupledWeightDecay', () => new NAdam([p()], { decoupledWeightDecay: 1 as unknown as boolean }), /NAdam: invalid decoupledWeightDecay 1; expected true or false/],
    ['RAdam betas[1]', () => new RAdam([p()], { betas: [0.9, 1] }), /RAdam: invalid betas\[1\] 1; expected a number in \[0, 1\)/],
    ['RAdam eps', () => new RAdam([p()], { eps: -1 }), /RAdam: invalid eps -1/],
    ['Adamax betas[0]', () => new Adamax([p()], { betas: [-0.1, 0.9] }), /Adamax: invalid betas\[0\] -0\.1/],
    ['Adadelta rho', () => new Adadelta([p()], { rho: 1.5 }), /Adadelta: invalid rho 1\.5; expected a number in \[0, 1\]/],
    ['Adadelta lr', () => new Adadelta([p()], { lr: -1 }), /Adadelta: invalid lr -1/],
    ['ASGD weightDecay', () => new ASGD([p()], { weightDecay: -1 }), /ASGD: invalid weightDecay -1/],
    ['Rprop etas', () => new Rprop([p()], { etas: [1.2, 0.5] }), /Rprop: invalid etas \[1\.2, 0\.5\]; expected a pair \[etaminus, etaplus\] with 0 < etaminus < 1 < etaplus/],
    ['Rprop stepSizes', () => new Rprop([p()], { stepSizes: [1, 0.1] }), /Rprop: invalid stepSizes \[1, 0\.1\]; expected a pair \[min, max\] with min <= max/],
    ['RAdam has no amsgrad', () => new RAdam([p()], { amsgrad: true } as object), /RAdam: unknown option 'amsgrad'/],
    ['Rprop has no weightDecay', () => new Rprop([p()], { weightDecay: 0.1 } as object), /Rprop: unknown option 'weightDecay'; Rprop takes lr, etas, stepSizes, maximize/],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test.each([
    ['an unknown option', () => new Adam([p()], { nesterov: true } as object), /Adam: unknown option 'nesterov'; Adam takes lr, betas, eps, weightDecay, amsgrad, maximize/],
    ['a PyTorch spelling', () => new SGD([p()], { lr: 0.1, weight_decay: 0.1 } as { lr: number }), /SGD: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/],
    ['foreach true', () => new Adam([p()], { foreach: true } as object), /Adam: option foreach true is not supported: Tensile updates one parameter at a time/],
    ['fused true', () => new AdamW([p()], { fused: true } as object), /AdamW: option fused true is not supported/],
    ['capturable true', () => new Adam([p()], { capturable: true } as object), /Adam: option capturable true is not supported/],
    ['differentiable true', () => new SGD([p()], { lr: 0.1, differentiable: true } as { lr: number }), /SGD: option differentiable true is not supported/],
    ['another optimiser\'s option in a group', () => new Adam([{ params: [p()], momentum: 0.9 }]), /Adam: parameter group 0 has option 'momentum', which Adam does not take/],
    ['a PyTorch spelling in a group', () => new RMSprop([{ params: [p()] }, { params: [p()], weight_decay: 0 }]), /RMSprop: parameter group 1 has option 'weight_decay' \(did you mean 'weightDecay'\?\)/],
    ['an implementation flag in a group', () => new Adagrad([{ params: [p()], foreach: true }]), /Adagrad: option foreach true is not supported/],
    ['options that are not an object', () => new Adam([p()], 0.1 as unknown as object), /Adam: options must be an object, got 0\.1/],
  ])('%s is an error that names it', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test("PyTorch's implementation switches at Tensile's own values, and extra group keys, are accepted", () => {
    const opt = new Adam([{ params: [p()], name: 'backbone' }], { foreach: null, fused: false, capturable: false, differentiable: false } as object);
    expect(opt.paramGroups[0].name).toBe('backbone');
    expect('foreach' in opt.paramGroups[0]).toBe(false);
    expect(() => new SGD([p()], { lr: 0.1, foreach: false, momentum: undefined } as { lr: number })).not.toThrow();
  });

  test('bad parameter lists', () => {
    expect(() => new Adam([])).toThrow(/Adam: got an empty parameter list/);
    const a = p();
    expect(() => new SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 })).toThrow(/SGD: some parameters appear in more than one parameter group/);
    const nonLeaf = a.mul(2);
    expect(() => new SGD([nonLeaf], { lr: 0.1 })).toThrow(/SGD: params\[0\] is not a leaf tensor/);
    expect(() => new SGD([tl.zeros([2], { dtype: 'int32' })], { lr: 0.1 })).toThrow(/SGD: params\[0\] is int32/);
  });
});

describe('Optimizer API', () => {
  test('zeroGrad sets grads to null, or to zeros with setToNone = false', () => {
    const a = tl.ones([2], { requiresGrad: true });
    const opt = new SGD([a], { lr: 0.1 });
    a.grad = tl.ones([2]);
    opt.zeroGrad(false);
    expect(Array.from(a.grad!.dataSync())).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  test('parameters without a gradient are skipped; step takes a closure', () => {
    const a = tl.tensor([1, 2], { requiresGrad: true });
    const b = tl.tensor([3], { requiresGrad: true });
    const opt = new SGD([a, b], { lr: 0.5 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = a.square().sum();
      l.backward();
      return l.itemSync();
    });
    expect(loss).toBe(5);
    expect(Array.from(a.dataSync())).toEqual([0, 0]);
    expect(Array.from(b.dataSync())).toEqual([3]);
    expect(a.requiresGrad).toBe(true);
    expect(a.isLeaf).toBe(true);
  });

  test('addParamGroup fills defaults and keeps per-group hyper-parameters', () => {
    const a = tl.ones([1], { requiresGrad: true });
    const b = tl.ones([1], { requiresGrad: true });
    const opt = new SGD([a], { lr: 0.1, momentum: 0.9 });
    opt.addParamGroup({ params: [b], lr: 0.01 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0.9], [0.01, 0.9]]);
    a.grad = tl.ones([1]);
    b.grad = tl.ones([1]);
    opt.step();
    expect(a.itemSync()).toBeCloseTo(0.9, 6);
    expect(b.itemSync()).toBeCloseTo(0.99, 6);
    expect(() => opt.addParamGroup({ params: [b] })).toThrow(/more than one parameter group/);
  });

  test('a lr changed in a group takes effect at the next step', () => {
    const a = tl.zeros([1], { requiresGrad: true });
    const opt = new SGD([a], { lr: 1 });
    opt.paramGroups[0].lr = 0.25;
    a.grad = tl.ones([1]);
    opt.step();
    expect(a.itemSync()).toBe(-0.25);
  });

  test('stateDict layout follows PyTorch', () => {
    const a = tl.zeros([2], { requiresGrad: true });
    const b = tl.zeros([3], { requiresGrad: true });
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.1 }], { betas: [0.8, 0.9] });
    a.grad = tl.ones([2]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([
      { lr: 0.001, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [0] },
      { lr: 0.1, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0']);
    expect(sd.state[0].step).toBe(1);
    expect(sd.state[0].expAvg).toBeInstanceOf(tl.Tensor);
    expect(Array.from((sd.state[0].expAvg as tl.Tensor).dataSync()).map((v) => +v.toFixed(6))).toEqual([0.2, 0.2]);
    opt.dispose();
  });
});
