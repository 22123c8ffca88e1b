import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import {
  Adagrad,
  Adam,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  type LRScheduler,
  type Optimizer,
} from '../src/index.js';
import { loadFixture } from './helpers.js';

interface SchedulerCase {
  name: string;
  scheduler: 'StepLR' | 'MultiStepLR' | 'ExponentialLR' | 'CosineAnnealingLR' | 'LinearLR' | 'OneCycleLR';
  options: Record<string, unknown>;
  optimizer: 'SGD' | 'Adam';
  optimizerOptions: Record<string, unknown> & { lr: number };
  groupLrs: number[];
  lrs: number[][];
  momenta: (number | null)[][];
}

interface PlateauCase {
  name: string;
  options: Record<string, unknown>;
  groupLrs: number[];
  metrics: number[];
  lrs: number[][];
}

const fixture = loadFixture<{ epochs: number; cases: SchedulerCase[]; plateau: PlateauCase[] }>('schedulers.json');

const SCHEDULERS = { StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR } as const;

function close(actual: number, expected: number, what: string): void {
  if (!(Math.abs(actual - expected) <= 1e-12 + 1e-10 * Math.abs(expected))) {
    throw new Error(`${what}: got ${actual}, expected ${expected}`);
  }
}

function makeOptimizer(c: SchedulerCase): Optimizer<any> {
  const groups = c.groupLrs.map((lr, i) => (i === 0 ? { params: [tl.zeros([2], { requiresGrad: true })] } : { params: [tl.zeros([3], { requiresGrad: true })], lr }));
  return c.optimizer === 'SGD' ? new SGD(groups, c.optimizerOptions) : new Adam(groups, c.optimizerOptions);
}

function makeScheduler(c: SchedulerCase, opt: Optimizer<any>): LRScheduler {
  const Ctor = SCHEDULERS[c.scheduler] as unknown as new (o: Optimizer<any>, options: unknown) => LRScheduler;
  return new Ctor(opt, c.options);
}

function momentumOf(group: Record<string, unknown>): number {
  return Array.isArray(group.betas) ? (group.betas[0] as number) : (group.momentum as number);
}

function checkEpoch(c: SchedulerCase, opt: Optimizer<any>, sched: LRScheduler, epoch: number): void {
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
      for (let epoch = 1; epoch <= fixture.epochs; epoch++) {
        opt.step();
        sched.step();
        checkEpoch(c, opt, sched, epoch);
      }
    });
  }

  for (const name of ['cosine_annealing_lr', 'one_cycle_cos_sgd', 'multi_step_lr', 'linear_lr_warmup']) {
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
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('OneCycleLR refuses to step past totalSteps', () => {
    const o = new SGD([tl.zeros([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    const s = new OneCycleLR(o, { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/OneCycleLR: tried to step 5 times; the specified number of total steps is 3/);
  });
});
