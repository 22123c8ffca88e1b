import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test, vi } from 'vitest';
import {
  Adagrad,
  Adam,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  LambdaLR,
  MultiplicativeLR,
  PolynomialLR,
  SequentialLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  type LRScheduler,
  type Optimizer,
  type Scheduler,
} from '../src/index.js';
import { loadFixture } from './helpers.js';

interface SchedulerCase {
  name: string;
  scheduler: keyof typeof SCHEDULERS | 'SequentialLR' | 'ChainedScheduler';
  options: Record<string, unknown>;
  optimizer: 'SGD' | 'Adam';
  optimizerOptions: Record<string, unknown> & { lr: number };
  groupLrs: number[];
  lrs: number[][];
  momenta: (number | null)[][];
  /** Arguments of `step(epoch)`, where the case steps with explicit epochs. */
  stepEpochs?: number[];
}

interface PlateauCase {
  name: string;
  options: Record<string, unknown>;
  groupLrs: number[];
  metrics: number[];
  lrs: number[][];
}

const fixture = loadFixture<{ epochs: number; cases: SchedulerCase[]; plateau: PlateauCase[] }>('schedulers.json');

const SCHEDULERS = {
  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR, LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR,
  CosineAnnealingWarmRestarts, CyclicLR,
} as const;

/** The functions tools/generate_fixtures.py names (its LAMBDAS). */
const LAMBDAS: Record<string, (x: number) => number> = {
  warmup: (epoch) => Math.min(1, (epoch + 1) / 5),
  decay: (epoch) => 0.95 ** epoch,
  stairs: (epoch) => 0.5 ** Math.floor(epoch / 7),
  times09: () => 0.9,
  alternate: (epoch) => (epoch % 3 === 0 ? 0.8 : 1.02),
  harmonic: (x) => 1 / (1 + 0.1 * x),
};

interface ChildSpec {
  scheduler: keyof typeof SCHEDULERS;
  options: Record<string, unknown>;
}

/** A fixture's options with function names resolved and child schedulers built on `opt`. */
function resolveOptions(options: Record<string, unknown>, opt: Optimizer<any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'lrLambda' || key === 'scaleFn') out[key] = Array.isArray(value) ? value.map((v: string) => LAMBDAS[v]) : LAMBDAS[value as string];
    else if (key === 'schedulers') out[key] = (value as ChildSpec[]).map((c) => build(c.scheduler, c.options, opt));
    else out[key] = value;
  }
  return out;
}

function build(kind: SchedulerCase['scheduler'], options: Record<string, unknown>, opt: Optimizer<any>): Scheduler {
  const resolved = resolveOptions(options, opt);
  if (kind === 'SequentialLR') return new SequentialLR(opt, resolved as unknown as ConstructorParameters<typeof SequentialLR>[1]);
  if (kind === 'ChainedScheduler') return new ChainedScheduler(resolved.schedulers as Scheduler[]);
  const Ctor = SCHEDULERS[kind] as unknown as new (o: Optimizer<any>, options: unknown) => LRScheduler;
  return new Ctor(opt, resolved);
}

function close(actual: number, expected: number, what: string): void {
  if (!(Math.abs(actual - expected) <= 1e-12 + 1e-10 * Math.abs(expected))) {
    throw new Error(`${what}: got ${actual}, expected ${expected}`);
  }
}

function makeOptimizer(c: SchedulerCase): Optimizer<any> {
  const groups = c.groupLrs.map((lr, i) => (i === 0 ? { params: [tl.zeros([2], { requiresGrad: true })] } : { params: [tl.zeros([3], { requiresGrad: true })], lr }));
  return c.optimizer === 'SGD' ? new SGD(groups, c.optimizerOptions) : new Adam(groups, c.optimizerOptions);
}

function makeScheduler(c: SchedulerCase, opt: Optimizer<any>): Scheduler {
  return build(c.scheduler, c.options, opt);
}

/** Step `sched` for epoch `epoch` (1-based) of the case: `step()`, or `step(stepEpochs[epoch - 1])`. */
function stepOnce(c: SchedulerCase, sched: Scheduler, epoch: number): void {
  if (c.stepEpochs) (sched as CosineAnnealingWarmRestarts).step(c.stepEpochs[epoch - 1]);
  else sched.step();
}

function momentumOf(group: Record<string, unknown>): number {
  return Array.isArray(group.betas) ? (group.betas[0] as number) : (group.momentum as number);
}

function checkEpoch(c: SchedulerCase, opt: Optimizer<any>, sched: Scheduler, epoch: number): void {
  sched.getLastLr().forEach((lr, g) => close(lr, c.lrs[epoch][g], `${c.name} epoch ${epoch} group ${g} lr`));
  opt.paramGroups.forEach((group, g) => {
    close(group.lr, c.lrs[epoch][g], `${c.name} epoch ${epoch} group ${g} group.lr`);
    const expected = c.momenta[epoch][g];
    if (expected !== null) close(momentumOf(group), expected, `${c.name} epoch ${epoch} group ${g} momentum`);
  });
}

describe('schedulers match PyTorch 1.13 epoch by epoch', () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const opt = makeOptimizer(c);
      const sched = makeScheduler(c, opt);
      checkEpoch(c, opt, sched, 0);
      for (let epoch = 1; epoch < c.lrs.length; epoch++) {
        opt.step();
        stepOnce(c, sched, epoch);
        checkEpoch(c, opt, sched, epoch);
      }
    });
  }

  for (const name of [
    'cosine_annealing_lr', 'one_cycle_cos_sgd', 'multi_step_lr', 'linear_lr_warmup', 'lambda_lr_per_group', 'multiplicative_lr_per_group',
    'constant_lr', 'polynomial_lr', 'cosine_warm_restarts_mult', 'cyclic_triangular2_asymmetric', 'cyclic_scale_fn_iterations',
    'sequential_three', 'sequential_warmup_restarts', 'chained_linear_step_cosine',
  ]) {
    test(`${name}: stateDict round trip (optimiser and scheduler) continues identically`, () => {
      const c = fixture.cases.find((x) => x.name === name)!;
      const opt = makeOptimizer(c);
      const sched = makeScheduler(c, opt);
      for (let epoch = 1; epoch <= 12; epoch++) {
        opt.step();
        sched.step();
      }
      const optState = opt.stateDict();
      const schedState = JSON.parse(JSON.stringify(sched.stateDict())) as Record<string, unknown>;

      const opt2 = makeOptimizer(c);
      const sched2 = makeScheduler(c, opt2);
      opt2.step();
      sched2.step();
      opt2.loadStateDict(optState);
      sched2.loadStateDict(schedState);
      checkEpoch(c, opt2, sched2, 12);
      for (let epoch = 13; epoch <= fixture.epochs; epoch++) {
        opt2.step();
        sched2.step();
        checkEpoch(c, opt2, sched2, epoch);
      }
    });
  }
});

describe('scheduler details', () => {
  const sgd = (momentum = 0) => new SGD([tl.zeros([1], { requiresGrad: true })], { lr: 0.1, momentum });

  test("CyclicLR cycles an Adam-style optimiser's betas[0] as it cycles SGD's momentum", () => {
    const c = fixture.cases.find((x) => x.name === 'cyclic_triangular')!;
    const adam = new Adam([tl.zeros([1], { requiresGrad: true })], { lr: 0.1, betas: [0.5, 0.99] });
    const sched = new CyclicLR(adam, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4 });
    for (let epoch = 0; epoch < c.lrs.length; epoch++) {
      if (epoch > 0) sched.step();
      const group = adam.paramGroups[0];
      close(group.lr, c.lrs[epoch][0], `epoch ${epoch} lr`);
      close((group.betas as number[])[0], c.momenta[epoch][0]!, `epoch ${epoch} betas[0]`);
      expect((group.betas as number[])[1]).toBe(0.99);
    }
  });

  test('LambdaLR saves a stateful function as its fields and a plain one as null', () => {
    const counter = Object.assign((epoch: number) => 1 / (1 + epoch * (counter.rate as number)), { rate: 0.5 }) as ((e: number) => number) & {
      rate: number;
    };
    const plain = (epoch: number) => 0.9 ** epoch;
    const opt = new SGD([{ params: [tl.zeros([1], { requiresGrad: true })] }, { params: [tl.zeros([1], { requiresGrad: true })] }], { lr: 1 });
    const sched = new LambdaLR(opt, { lrLambda: [counter, plain] });
    const saved = JSON.parse(JSON.stringify(sched.stateDict())) as Record<string, unknown>;
    expect(saved.lrLambdas).toEqual([{ rate: 0.5 }, null]);
    counter.rate = 2;
    sched.loadStateDict(saved);
    expect(counter.rate).toBe(0.5);
    expect(sched.lrLambdas[1]).toBe(plain);
    sched.step();
    expect(sched.getLastLr()).toEqual([1 / 1.5, 0.9]);
  });

  test('step(epoch) jumps with the closed form; CosineAnnealingWarmRestarts takes fractional epochs', () => {
    const opt = sgd();
    const sched = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    sched.step(7);
    expect(sched.getLastLr()).toEqual([0.1 * 0.5 ** 2]);
    const opt2 = sgd();
    const sgdr = new CosineAnnealingWarmRestarts(opt2, { t0: 4 });
    sgdr.step(6.5);
    expect(sgdr.tCur).toBe(2.5);
    expect(sgdr.lastEpoch).toBe(6);
    close(sgdr.getLastLr()[0], (0.1 * (1 + Math.cos((Math.PI * 2.5) / 4))) / 2, 'lr at 6.5');
  });

  test('verbose prints as PyTorch does', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const sched = new ExponentialLR(sgd(), { gamma: 0.5, verbose: true });
      sched.step();
      const sgdr = new CosineAnnealingWarmRestarts(sgd(), { t0: 2, verbose: true });
      sgdr.step(1.5);
      const opt = sgd();
      const plateau = new ReduceLROnPlateau(opt, { patience: 0, verbose: true });
      plateau.step(1);
      plateau.step(2);
      expect(log.mock.calls.map((call) => call[0])).toEqual([
        'Adjusting learning rate of group 0 to 1.0000e-01.',
        'Adjusting learning rate of group 0 to 5.0000e-02.',
        'Epoch 00000: adjusting learning rate of group 0 to 1.0000e-01.',
        'Epoch 1.50: adjusting learning rate of group 0 to 1.4645e-02.',
        'Epoch 00002: reducing learning rate of group 0 to 1.0000e-02.',
      ]);
    } finally {
      log.mockRestore();
    }
  });

  test('SequentialLR and ChainedScheduler state dicts hold their schedulers', () => {
    const opt = sgd();
    const seq = new SequentialLR(opt, { schedulers: [new ConstantLR(opt, { factor: 0.5 }), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [3] });
    const saved = seq.stateDict();
    expect(Object.keys(saved).sort()).toEqual(['lastEpoch', 'lastLr', 'milestones', 'schedulers']);
    expect((saved.schedulers as Record<string, unknown>[]).map((s) => s.lastEpoch)).toEqual([0, -1]);
    const chained = new ChainedScheduler([seq, new StepLR(opt, { stepSize: 2 })]);
    expect((chained.stateDict().schedulers as unknown[]).length).toBe(2);
  });
});

describe('ReduceLROnPlateau matches PyTorch 1.13', () => {
  for (const c of fixture.plateau) {
    test(c.name, () => {
      const opt = new SGD(
        [{ params: [tl.zeros([2], { requiresGrad: true })] }, { params: [tl.zeros([3], { requiresGrad: true })], lr: c.groupLrs[1] }],
        { lr: c.groupLrs[0] },
      );
      const sched = new ReduceLROnPlateau(opt, c.options);
      c.metrics.forEach((metric, epoch) => {
        opt.step();
        sched.step(epoch % 2 === 0 ? metric : tl.tidy(() => tl.tensor(metric)));
        sched.getLastLr().forEach((lr, g) => close(lr, c.lrs[epoch][g], `${c.name} epoch ${epoch} group ${g}`));
      });
    });
  }

  test('stateDict round trip', () => {
    const c = fixture.plateau[0];
    const make = () =>
      new SGD([{ params: [tl.zeros([2], { requiresGrad: true })] }, { params: [tl.zeros([3], { requiresGrad: true })], lr: c.groupLrs[1] }], {
        lr: c.groupLrs[0],
      });
    const opt = make();
    const sched = new ReduceLROnPlateau(opt, c.options);
    c.metrics.slice(0, 10).forEach((m) => sched.step(m));
    const opt2 = make();
    const sched2 = new ReduceLROnPlateau(opt2, {});
    opt2.loadStateDict(opt.stateDict());
    sched2.loadStateDict(sched.stateDict());
    c.metrics.slice(10).forEach((m, i) => {
      sched2.step(m);
      sched2.getLastLr().forEach((lr, g) => close(lr, c.lrs[10 + i][g], `resumed epoch ${10 + i} group ${g}`));
    });
  });
});

describe('scheduler errors', () => {
  const opt = () => new SGD([tl.zeros([1], { requiresGrad: true })], { lr: 0.1 });
  test.each([
    ['StepLR stepSize', () => new StepLR(opt(), { stepSize: 0 }), /StepLR: invalid stepSize 0/],
    ['LinearLR startFactor', () => new LinearLR(opt(), { startFactor: 2 }), /LinearLR: invalid startFactor 2/],
    ['CosineAnnealingLR tMax', () => new CosineAnnealingLR(opt(), { tMax: 0 }), /CosineAnnealingLR: invalid tMax 0/],
    ['OneCycleLR steps', () => new OneCycleLR(opt(), { maxLr: 1 }), /OneCycleLR: give either totalSteps or both epochs and stepsPerEpoch/],
    [
      'OneCycleLR momentum',
      () => new OneCycleLR(new Adagrad([tl.zeros([1], { requiresGrad: true })]), { maxLr: 1, totalSteps: 10 }),
      /OneCycleLR: cycleMomentum needs an optimiser with 'momentum' or 'betas'/,
    ],
    ['OneCycleLR maxLr list', () => new OneCycleLR(opt(), { maxLr: [1, 2], totalSteps: 10, cycleMomentum: false }), /OneCycleLR: expected 1 values for maxLr, got 2/],
    ['ReduceLROnPlateau factor', () => new ReduceLROnPlateau(opt(), { factor: 1 }), /ReduceLROnPlateau: invalid factor 1/],
    ['ReduceLROnPlateau mode', () => new ReduceLROnPlateau(opt(), { mode: 'up' as 'min' }), /ReduceLROnPlateau: invalid mode up/],
    ['resume without initialLr', () => new StepLR(opt(), { stepSize: 2, lastEpoch: 3 }), /StepLR: param group 0 has no 'initialLr'/],
    ['a PyTorch spelling', () => new StepLR(opt(), { step_size: 3 } as unknown as { stepSize: number }), /StepLR: unknown option 'step_size' \(did you mean 'stepSize'\?\); StepLR takes stepSize, gamma, lastEpoch, verbose/],
    ['an unknown option', () => new CosineAnnealingLR(opt(), { tMax: 3, eta: 0.1 } as object as { tMax: number }), /CosineAnnealingLR: unknown option 'eta'/],
    ['ReduceLROnPlateau unknown option', () => new ReduceLROnPlateau(opt(), { min_lr: 0.1 } as object), /ReduceLROnPlateau: unknown option 'min_lr' \(did you mean 'minLr'\?\)/],
    ['verbose', () => new ExponentialLR(opt(), { gamma: 0.9, verbose: 1 as unknown as boolean }), /ExponentialLR: invalid verbose 1; expected true or false/],
    ['LambdaLR count', () => new LambdaLR(opt(), { lrLambda: [() => 1, () => 2] }), /LambdaLR: expected 1 lrLambda functions \(one per parameter group\), got 2/],
    ['LambdaLR not a function', () => new LambdaLR(opt(), { lrLambda: 0.5 as unknown as () => number }), /LambdaLR: invalid lrLambda 0\.5; expected a function of the epoch/],
    ['MultiplicativeLR missing', () => new MultiplicativeLR(opt(), {} as { lrLambda: () => number }), /MultiplicativeLR: invalid lrLambda undefined/],
    ['ConstantLR factor', () => new ConstantLR(opt(), { factor: 0 }), /ConstantLR: invalid factor 0; expected a number in \(0, 1\]/],
    ['PolynomialLR totalIters', () => new PolynomialLR(opt(), { totalIters: 0 }), /PolynomialLR: invalid totalIters 0; expected a positive integer/],
    ['CosineAnnealingWarmRestarts t0', () => new CosineAnnealingWarmRestarts(opt(), { t0: 1.5 }), /CosineAnnealingWarmRestarts: invalid t0 1\.5; expected a positive integer/],
    ['CosineAnnealingWarmRestarts T_0', () => new CosineAnnealingWarmRestarts(opt(), { T_0: 2 } as unknown as { t0: number }), /CosineAnnealingWarmRestarts: unknown option 'T_0'/],
    ['CosineAnnealingWarmRestarts tMult', () => new CosineAnnealingWarmRestarts(opt(), { t0: 2, tMult: 0 }), /CosineAnnealingWarmRestarts: invalid tMult 0; expected an integer >= 1/],
    ['CosineAnnealingWarmRestarts epoch', () => new CosineAnnealingWarmRestarts(opt(), { t0: 2 }).step(-1), /CosineAnnealingWarmRestarts: invalid epoch -1; expected a non-negative number/],
    ['CyclicLR mode', () => new CyclicLR(opt(), { baseLr: 0.1, maxLr: 1, mode: 'sine' as 'triangular', cycleMomentum: false }), /CyclicLR: invalid mode sine/],
    ['CyclicLR momentum', () => new CyclicLR(new Adagrad([tl.zeros([1], { requiresGrad: true })]), { baseLr: 0.1, maxLr: 1 }), /CyclicLR: cycleMomentum needs an optimiser with 'momentum' or 'betas'/],
    ['CyclicLR maxLr list', () => new CyclicLR(opt(), { baseLr: 0.1, maxLr: [1, 2], cycleMomentum: false }), /CyclicLR: expected 1 values for maxLr, got 2/],
    [
      'SequentialLR milestones',
      () => {
        const o = opt();
        return new SequentialLR(o, { schedulers: [new StepLR(o, { stepSize: 2 }), new StepLR(o, { stepSize: 3 })], milestones: [] });
      },
      /SequentialLR: expected 1 milestones \(one fewer than the 2 schedulers\), got 0/,
    ],
    [
      'SequentialLR optimiser',
      () => {
        const o = opt();
        return new SequentialLR(o, { schedulers: [new StepLR(o, { stepSize: 2 }), new StepLR(opt(), { stepSize: 3 })], milestones: [4] });
      },
      /SequentialLR: every scheduler must belong to the same optimizer, but schedulers\[1\] has a different one/,
    ],
    [
      'ChainedScheduler optimiser',
      () => new ChainedScheduler([new StepLR(opt(), { stepSize: 2 }), new StepLR(opt(), { stepSize: 3 })]),
      /ChainedScheduler: every scheduler must belong to the same optimizer, but schedulers\[0\] and schedulers\[1\] differ/,
    ],
    [
      'ChainedScheduler with ReduceLROnPlateau',
      () => {
        const o = opt();
        return new ChainedScheduler([new StepLR(o, { stepSize: 2 }), new ReduceLROnPlateau(o) as unknown as LRScheduler]);
      },
      /ChainedScheduler: schedulers\[1\] needs a metric to step \(ReduceLROnPlateau\) and cannot be chained/,
    ],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test("a bad option is an error before the scheduler touches the optimiser's groups", () => {
    const cases: [string, (o: Optimizer<any>) => unknown, RegExp][] = [
      ['ConstantLR', (o) => new ConstantLR(o, { factor: 0 }), /^ConstantLR: invalid factor 0; expected a number in \(0, 1\]$/],
      ['LinearLR', (o) => new LinearLR(o, { endFactor: -0.5 }), /^LinearLR: invalid endFactor -0.5; expected a number in \[0, 1\]$/],
      ['PolynomialLR', (o) => new PolynomialLR(o, { totalIters: 2.5 }), /^PolynomialLR: invalid totalIters 2.5; expected a positive integer$/],
      ['ExponentialLR', (o) => new ExponentialLR(o, {} as { gamma: number }), /^ExponentialLR: invalid gamma undefined; expected a number$/],
      ['StepLR', (o) => new StepLR(o, { stepSize: 3, gamma: Number.NaN }), /^StepLR: invalid gamma NaN; expected a number$/],
      ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, { tMax: 10, etaMin: 'x' as unknown as number }), /^CosineAnnealingLR: invalid etaMin x; expected a number$/],
    ];
    for (const [, make, message] of cases) {
      const o = opt();
      expect(() => make(o)).toThrow(message);
      expect(o.paramGroups[0].initialLr).toBeUndefined();
    }
  });

  test('OneCycleLR refuses to step past totalSteps', () => {
    const o = new SGD([tl.zeros([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const s = new OneCycleLR(o, { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/OneCycleLR: tried to step 5 times; the specified number of total steps is 3/);
  });
});
