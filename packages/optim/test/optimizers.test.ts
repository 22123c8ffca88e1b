import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { afterEach, describe, expect, test } from 'vitest';
import { ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, LBFGS, NAdam, RAdam, RMSprop, Rprop, SGD, Optimizer } from '../src/index.js';
import {
  ATOL, RTOL, disposeParams, expectClose, expectMemoryFlat, fromFlat, loadFixture, makeOptimizer, setGrads, tinyMlp,
  type OptimizerCase,
} from './helpers.js';

interface LBFGSCase {
  name: string;
  problem: 'rosenbrock' | 'quartic';
  options: Record<string, unknown>;
  shapes: number[][];
  initial: number[][];
  data: number[][];
  trajectory: number[][][];
  /** |PyTorch float32 - PyTorch float64| for every value of `trajectory`. */
  spread: number[][][];
  losses: number[];
  lossSpread: number[];
  funcEvals: number[];
  nIter: number[];
}

const fixture = loadFixture<{ torch: string; steps: number; cases: OptimizerCase[]; lbfgs: LBFGSCase[] }>('optimizers.json');

/** The LBFGS fixtures' objectives, written as tools/generate_fixtures.py writes them. */
function lbfgsProblem(c: LBFGSCase): { params: tl.Tensor[]; data: tl.Tensor[]; loss: () => tl.Tensor } {
  const params = c.initial.map((v, i) => fromFlat(v, c.shapes[i], true));
  if (c.problem === 'rosenbrock') {
    const [a, b] = params;
    return { params, data: [], loss: () => a.neg().add(1).square().add(b.sub(a.square()).square().mul(100)).sum() };
  }
  const data = [fromFlat(c.data[0], [6, 3]), fromFlat(c.data[1], [6, 2]), fromFlat(c.data[2], [3, 2])];
  const [w, b] = params;
  const [x, y, wTrue] = data;
  return { params, data, loss: () => x.matmul(w).add(b).sub(y).square().mean().add(w.sub(wTrue).pow(4).sum().mul(0.1)) };
}

/** |actual - expected| <= ATOL + RTOL |expected| + 2 spread, element by element. */
function expectWithinSpread(actual: ArrayLike<number>, expected: number[], spread: number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const bound = ATOL + RTOL * Math.abs(expected[i]) + 2 * spread[i];
    if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i])} > ${bound})`);
    }
  }
}

function lbfgsClosure(opt: LBFGS, loss: () => tl.Tensor): () => tl.Tensor {
  return () => {
    opt.zeroGrad();
    return tl.tidy(() => {
      const l = loss();
      l.backward();
      return l;
    });
  };
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
      disposeParams(params);
    });
  }
});

describe('LBFGS matches PyTorch 1.13 step by step', () => {
  for (const c of fixture.lbfgs) {
    test(c.name, async () => {
      const start = tl.memory();
      const { params, data, loss } = lbfgsProblem(c);
      const opt = new LBFGS(params, c.options);
      const closure = lbfgsClosure(opt, loss);
      for (let step = 0; step < c.losses.length; step++) {
        const value = await opt.step(closure);
        expectWithinSpread([value], [c.losses[step]], [c.lossSpread[step]], `${c.name} step ${step + 1} loss`);
        params.forEach((p, i) =>
          expectWithinSpread(p.dataSync(), c.trajectory[step][i], c.spread[step][i], `${c.name} step ${step + 1} param ${i}`),
        );
        const state = opt.state.get(params[0])!;
        expect([state.funcEvals, state.nIter], `${c.name} step ${step + 1} [funcEvals, nIter]`).toEqual([c.funcEvals[step], c.nIter[step]]);
      }
      opt.dispose();
      disposeParams(params);
      for (const t of data) t.dispose();
      expect(tl.memory().numTensors).toBe(start.numTensors);
      expect(tl.memory().numBytes).toBe(start.numBytes);
    });
  }
});

describe('LBFGS API', () => {
  const lbfgsCase = (name: string) => fixture.lbfgs.find((c) => c.name === name)!;

  test('stateDict / loadStateDict continue the trajectory', async () => {
    const c = lbfgsCase('lbfgs_quartic_strong_wolfe_history');
    const first = lbfgsProblem(c);
    const opt = new LBFGS(first.params, c.options);
    for (let step = 0; step < 2; step++) await opt.step(lbfgsClosure(opt, first.loss));
    const saved = opt.stateDict();
    expect(Object.keys(saved.state)).toEqual(['0']);
    expect(Object.keys(saved.state[0]).sort()).toEqual(['d', 'funcEvals', 'hDiag', 'nIter', 'oldDirs', 'oldStps', 'prevFlatGrad', 'prevLoss', 'ro', 't']);
    expect((saved.state[0].oldDirs as tl.Tensor[]).length).toBe(2);
    expect(saved.param_groups[0]).toMatchObject({ lr: 1, maxIter: 4, maxEval: 5, historySize: 2, lineSearchFn: 'strong_wolfe', params: [0, 1] });
    opt.dispose();

    const second = lbfgsProblem(c);
    second.params.forEach((p, i) => p.assign(tl.tidy(() => tl.tensor(first.params[i].dataSync()).reshape(p.shape))));
    const resumed = new LBFGS(second.params, { lr: 7 });
    resumed.loadStateDict(saved);
    // The dict's tensors are the caller's: free them; the optimiser holds copies.
    for (const v of Object.values(saved.state[0])) {
      if (v instanceof tl.Tensor) v.dispose();
      else if (Array.isArray(v)) for (const t of v) if (t instanceof tl.Tensor) t.dispose();
    }
    expect(resumed.paramGroups[0].lr).toBe(1);
    for (let step = 2; step < c.losses.length; step++) {
      const value = await resumed.step(lbfgsClosure(resumed, second.loss));
      expectWithinSpread([value], [c.losses[step]], [c.lossSpread[step]], `resumed step ${step + 1} loss`);
      second.params.forEach((p, i) => expectWithinSpread(p.dataSync(), c.trajectory[step][i], c.spread[step][i], `resumed step ${step + 1} param ${i}`));
      const state = resumed.state.get(second.params[0])!;
      expect([state.funcEvals, state.nIter]).toEqual([c.funcEvals[step], c.nIter[step]]);
    }
    resumed.dispose();
    disposeParams([...first.params, ...second.params]);
    for (const t of [...first.data, ...second.data]) t.dispose();
  });

  test('the closure may return a number or a promise; the first loss comes back as a number', async () => {
    const c = lbfgsCase('lbfgs_rosenbrock_strong_wolfe');
    const { params, loss } = lbfgsProblem(c);
    const opt = new LBFGS(params, c.options);
    const asyncClosure = async (): Promise<number> => {
      opt.zeroGrad();
      const l = loss();
      l.backward();
      const value = Number(await l.item());
      l.dispose();
      return value;
    };
    const syncNumber = (): number => {
      opt.zeroGrad();
      return tl.tidy(() => {
        const l = loss();
        l.backward();
        return Number(l.itemSync());
      });
    };
    for (let step = 0; step < c.losses.length; step++) {
      const value = await opt.step(step % 2 === 0 ? asyncClosure : syncNumber);
      expect(typeof value).toBe('number');
      expectWithinSpread([value], [c.losses[step]], [c.lossSpread[step]], `step ${step + 1} loss`);
      params.forEach((p, i) => expectWithinSpread(p.dataSync(), c.trajectory[step][i], c.spread[step][i], `step ${step + 1} param ${i}`));
    }
    opt.dispose();
    disposeParams(params);
  });

  test('a step at a stationary point evaluates once and leaves the parameters alone', async () => {
    const w = tl.zeros([3], { requiresGrad: true });
    const opt = new LBFGS([w], { lineSearchFn: 'strong_wolfe' });
    const value = await opt.step(lbfgsClosure(opt, () => w.square().sum()));
    expect(value).toBe(0);
    expect(Array.from(w.dataSync())).toEqual([0, 0, 0]);
    expect([opt.state.get(w)!.funcEvals, opt.state.get(w)!.nIter]).toEqual([1, 0]);
  });

  const p = () => tl.zeros([2], { requiresGrad: true });
  test.each([
    ['two groups', () => new LBFGS([{ params: [p()] }, { params: [p()] }]), /LBFGS: parameter groups are not supported/],
    ['addParamGroup', () => new LBFGS([p()]).addParamGroup({ params: [p()] }), /LBFGS: parameter groups are not supported/],
    ['lineSearchFn', () => new LBFGS([p()], { lineSearchFn: 'backtracking' as 'strong_wolfe' }), /LBFGS: invalid lineSearchFn 'backtracking'; expected 'strong_wolfe' or null/],
    ['maxIter', () => new LBFGS([p()], { maxIter: 0 }), /LBFGS: invalid maxIter 0; expected a positive integer/],
    ['historySize', () => new LBFGS([p()], { historySize: 1.5 }), /LBFGS: invalid historySize 1\.5; expected a positive integer/],
    ['toleranceGrad', () => new LBFGS([p()], { toleranceGrad: -1 }), /LBFGS: invalid toleranceGrad -1/],
    ['a PyTorch spelling', () => new LBFGS([p()], { line_search_fn: 'strong_wolfe' } as object), /LBFGS: unknown option 'line_search_fn' \(did you mean 'lineSearchFn'\?\)/],
    ['an option it lacks', () => new LBFGS([p()], { weightDecay: 0.1 } as object), /LBFGS: unknown option 'weightDecay'/],
    ['no closure', () => (new LBFGS([p()]) as unknown as { step(): unknown }).step(), /LBFGS\.step: needs a closure/],
  ])('%s is an error', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('a closure that returns something else, or a tensor with several elements, is an error naming it', async () => {
    const w = tl.ones([2], { requiresGrad: true });
    const opt = new LBFGS([w]);
    await expect(opt.step(() => 'loss' as unknown as number)).rejects.toThrow(/LBFGS\.step: the closure must return the loss as a Tensor or a number, got string/);
    await expect(opt.step(() => tl.ones([3]))).rejects.toThrow(/LBFGS\.step: the closure returned a loss of shape \[3\]; expected one element/);
  });

  test('loadStateDict checks the flat vectors against the parameters', async () => {
    const w = tl.ones([2], { requiresGrad: true });
    const opt = new LBFGS([w]);
    await opt.step(lbfgsClosure(opt, () => w.square().sum()));
    const saved = opt.stateDict();
    const other = new LBFGS([tl.ones([3], { requiresGrad: true })]);
    expect(() => other.loadStateDict(saved)).toThrow(/LBFGS\.loadStateDict: state\.d must be a tensor of shape \[3\], got \[2\]/);
    expect(() => new LBFGS([tl.ones([2], { requiresGrad: true }), tl.ones([1], { requiresGrad: true })]).loadStateDict(saved)).toThrow(
      /LBFGS\.loadStateDict: the state dict's group has 1 parameters, the optimiser 2/,
    );
    opt.dispose();
  });
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
      disposeParams(params);
      disposeParams(resumed);
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
  /** Train the tiny MLP on one batch with `factory`'s optimiser: after one step, 2000 more leave memory as it was. */
  async function expectTrainingMemoryFlat(factory: (ps: tl.Tensor[]) => Optimizer<any>): Promise<void> {
    const { w1, b1, w2 } = tinyMlp();
    const x = tl.randn([4, 8]);
    const y = tl.randn([4, 1]);
    const opt = factory([w1, b1, w2]);
    const trainStep = () => {
      opt.zeroGrad();
      tl.tidy(() => x.matmul(w1).add(b1).relu().matmul(w2).sub(y).square().mean().backward());
      opt.step();
    };
    trainStep();
    await expectMemoryFlat(2000, trainStep);
    opt.dispose();
    disposeParams([w1, b1, w2]);
    x.dispose();
    y.dispose();
  }

  test('2000 steps of Adam (amsgrad) with backward keep numTensors and numBytes flat', async () => {
    await expectTrainingMemoryFlat((ps) => new Adam(ps, { lr: 1e-3, amsgrad: true, weightDecay: 1e-4 }));
  });

  const newOptimizers: [string, (ps: tl.Tensor[]) => Optimizer<any>][] = [
    ['NAdam (decoupled weight decay)', (ps) => new NAdam(ps, { lr: 1e-3, weightDecay: 1e-2, decoupledWeightDecay: true })],
    ['RAdam (L2 weight decay)', (ps) => new RAdam(ps, { lr: 1e-3, weightDecay: 1e-4 })],
    ['Adamax', (ps) => new Adamax(ps, { lr: 1e-3, weightDecay: 1e-4 })],
    ['Adadelta', (ps) => new Adadelta(ps, { lr: 0.1, weightDecay: 1e-4 })],
    ['ASGD (averaging)', (ps) => new ASGD(ps, { lr: 1e-3, t0: 10, weightDecay: 1e-4 })],
    ['Rprop', (ps) => new Rprop(ps, { lr: 1e-3 })],
  ];
  test.each(newOptimizers)('2000 steps of %s with backward keep numTensors and numBytes flat', async (_name, factory) => {
    await expectTrainingMemoryFlat(factory);
  });

  test('2000 steps of LBFGS (strong Wolfe, history 5, rotating batches) keep numTensors and numBytes flat once the history is full', async () => {
    const { w1, b1, w2 } = tinyMlp();
    const batches = [0, 1, 2, 3].map(() => [tl.randn([4, 8]), tl.randn([4, 1])]);
    let batch = 0;
    const opt = new LBFGS([w1, b1, w2], { maxIter: 1, historySize: 5, lineSearchFn: 'strong_wolfe' });
    const closure = lbfgsClosure(opt, () => {
      const [x, y] = batches[batch];
      return x.matmul(w1).add(b1).relu().matmul(w2).sub(y).square().mean();
    });
    const trainStep = async () => {
      batch = (batch + 1) % batches.length;
      await opt.step(closure);
    };
    for (let i = 0; i < 10; i++) await trainStep();
    expect((opt.state.get(w1)!.oldDirs as tl.Tensor[]).length).toBe(5);
    await expectMemoryFlat(2000, trainStep);
    // About two evaluations a step (the closure, then the line search): no step runs into the 25-evaluation cap.
    expect((opt.state.get(w1)!.funcEvals as number) / 2010).toBeLessThan(4);
    opt.dispose();
    disposeParams([w1, b1, w2]);
    for (const t of batches.flat()) t.dispose();
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
      disposeParams(params);
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

  test('misuse from plain JavaScript: a module, a tensor, a non-iterable or non-tensor entries', () => {
    // A module-like object: optim cannot import nn, so anything with parameters() counts.
    class Linear {
      parameters(): tl.Tensor[] {
        return [];
      }
    }
    expect(() => new Adam(new Linear() as never)).toThrow(
      'Adam: params must be an iterable of tensors or of parameter groups, got a Linear; pass model.parameters() to optimise a module',
    );
    expect(() => new Adam(p() as never)).toThrow('Adam: params must be an iterable of tensors or of parameter groups, got a single Tensor; wrap it in an array: [tensor]');
    expect(() => new Adam(undefined as never)).toThrow('Adam: params must be an iterable of tensors or of parameter groups, got undefined');
    expect(() => new SGD(5 as never, { lr: 0.1 })).toThrow('SGD: params must be an iterable of tensors or of parameter groups, got number 5');
    expect(() => new RMSprop('ab' as never)).toThrow("RMSprop: params must be an iterable of tensors or of parameter groups, got string 'ab'");
    expect(() => new Adam([p(), 2] as never)).toThrow('Adam: params[1] is number 2, not a Tensor or a parameter group');
    expect(() => new Adam([null] as never)).toThrow('Adam: params[0] is null, not a Tensor or a parameter group');
  });
});

describe('Optimizer API', () => {
  test('a subclass is named after its class, and its options are checked by their defaults\' types', () => {
    interface Options { lr: number; decay: number; betas: [number, number]; nesterov: boolean }
    class Scaled extends Optimizer<Options> {
      constructor(params: Iterable<tl.Tensor>, options: Partial<Options> = {}) {
        super(params, { lr: 0.1, decay: 0, betas: [0.9, 0.99], nesterov: false }, options);
      }
      protected updateParam(p: tl.Tensor, grad: tl.Tensor): void {
        p.assign(p.sub(grad.mul(this.paramGroups[0].lr)));
      }
    }
    expect(new Scaled([tl.ones([1], { requiresGrad: true })], { decay: 0.5 }).defaults).toEqual({ lr: 0.1, decay: 0.5, betas: [0.9, 0.99], nesterov: false });
    expect(() => new Scaled([tl.ones([1], { requiresGrad: true })], { decay: -1 })).toThrow(/^Scaled: invalid decay -1; expected a number >= 0$/);
    expect(() => new Scaled([tl.ones([1], { requiresGrad: true })], { nesterov: 1 as unknown as boolean })).toThrow(/^Scaled: invalid nesterov 1; expected true or false$/);
    expect(() => new Scaled([tl.ones([1], { requiresGrad: true })], { betas: [0.9, 1] })).toThrow(/^Scaled: invalid betas\[1\] 1; expected a number in \[0, 1\)$/);
    // An option with no rule by type (here a string) must be checked by the subclass, never skipped.
    class Untyped extends Optimizer<{ lr: number; mode: string }> {
      constructor(params: Iterable<tl.Tensor>) {
        super(params, { lr: 0.1, mode: 'fast' }, {}, 'MyOptimizer');
      }
      protected updateParam(): void {}
    }
    expect(() => new Untyped([tl.ones([1], { requiresGrad: true })])).toThrow(/^MyOptimizer: option mode has no default check; MyOptimizer must override validateGroup$/);
  });

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
