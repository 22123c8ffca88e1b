// Resuming training across PyTorch and Tensile: checkpoints PyTorch 1.13 saved mid-training
// (tools/resume_fixtures.py, committed under test/fixtures/resume) continue in Tensile to
// PyTorch's parameters, and a checkpoint Tensile saves continues in PyTorch to Tensile's.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { PYTHON, skipReason } from '@tensile/conformance/required-tools';
import { parseTorchCheckpoint, saveTorchCheckpoint } from '@tensile/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ASGD,
  Adagrad,
  Adam,
  ChainedScheduler,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  type Optimizer,
  RMSprop,
  ReduceLROnPlateau,
  SGD,
  type Scheduler,
  SequentialLR,
  StepLR,
  toPyTorchSchedulerStateDict,
  toPyTorchStateDict,
} from '../src/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures', 'resume');
const tool = join(here, '..', 'tools', 'resume_fixtures.py');
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Record<string, { w: number[]; b: number[] }>;
const dir = mkdtempSync(join(tmpdir(), 'tensile-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The optimisers of resume_fixtures.py's CASES, with Tensile's option names. */
const MAKE: Record<string, (params: tl.Tensor[]) => Optimizer> = {
  adam: (p) => new Adam(p, { lr: 0.05, weightDecay: 0.1, amsgrad: true }),
  sgd: (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
  rmsprop: (p) => new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 }),
  adagrad: (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.2 }),
  asgd: (p) => new ASGD(p, { lr: 0.05, t0: 1 }),
};

/** The fixed least-squares problem of resume_fixtures.py (its x and y, drawn there and saved here by value). */
function train(params: tl.Tensor[], opt: Optimizer, x: tl.Tensor, y: tl.Tensor, steps: number): void {
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    tl.tidy(() => {
      const [w, b] = params;
      x.matmul(w.t()).add(b).sub(y).square().mean().backward();
    });
    opt.step();
  }
}

function close(got: ArrayLike<number>, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 + 1e-5 * Math.abs(want[i]));
}

// x and y as torch.Generator().manual_seed(7) draws them in resume_fixtures.py (torch.randn(8, 3), then (8, 2)).
const problem = JSON.parse(readFileSync(join(fixtures, 'problem.json'), 'utf8')) as { x: number[][]; y: number[][] };

describe('optimizer checkpoints PyTorch saved mid-training', () => {
  for (const kind of Object.keys(MAKE)) {
    it(`${kind}: loadStateDict takes PyTorch's state_dict() (snake_case names, 0-d step tensors) and 3 more steps land on PyTorch's parameters`, () => {
      const { value } = parseTorchCheckpoint(new Uint8Array(readFileSync(join(fixtures, `${kind}.pt`))));
      const saved = value as { model: Record<string, tl.Tensor>; optimizer: never; kind: string };
      expect(saved.kind).toBe(kind);
      const params = [saved.model.w, saved.model.b].map((t) => t.clone().requiresGrad_(true));
      const opt = MAKE[kind](params);
      opt.loadStateDict(saved.optimizer);
      const [x, y] = [tl.tensor(problem.x), tl.tensor(problem.y)];
      train(params, opt, x, y, 3);
      close(params[0].dataSync(), expected[kind].w);
      close(params[1].dataSync(), expected[kind].b);
    });
  }
});

const torchMissing = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
  ? null
  : skipReason(`${PYTHON} cannot import torch, so PyTorch does not resume Tensile's checkpoints here (CI installs python3-torch)`);

describe.skipIf(torchMissing !== null)(`checkpoints Tensile saves, resumed by PyTorch${torchMissing ? ` (skipped: ${torchMissing})` : ''}`, () => {
  for (const kind of Object.keys(MAKE)) {
    it(`${kind}: toPyTorchStateDict + saveTorchCheckpoint, then optimizer.load_state_dict in PyTorch: 3 more steps there equal 3 more here`, async () => {
      tl.manualSeed(3);
      const params = [tl.randn([2, 3]).requiresGrad_(true), tl.randn([2]).requiresGrad_(true)];
      const opt = MAKE[kind](params);
      const [x, y] = [tl.tensor(problem.x), tl.tensor(problem.y)];
      train(params, opt, x, y, 3);
      const path = join(dir, `${kind}.pt`);
      const state = opt.stateDict();
      await saveTorchCheckpoint({ model: { w: params[0].detach(), b: params[1].detach() }, optimizer: toPyTorchStateDict(state), kind }, path);
      const there = JSON.parse(execFileSync(PYTHON, [tool, '--continue', path], { encoding: 'utf8' })) as { w: number[]; b: number[] };
      train(params, opt, x, y, 3);
      close(params[0].dataSync(), there.w);
      close(params[1].dataSync(), there.b);
    });
  }
});

/** The schedulers of resume_fixtures.py's SCHEDULERS, on its SGD, with Tensile's option names. */
const SCHEDULE: Record<string, (opt: Optimizer) => Scheduler | ReduceLROnPlateau> = {
  steplr: (opt) => new StepLR(opt, { stepSize: 2, gamma: 0.5 }),
  multisteplr: (opt) => new MultiStepLR(opt, { milestones: [2, 4, 4], gamma: 0.5 }),
  warmrestarts: (opt) => new CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 2, etaMin: 0.01 }),
  onecycle: (opt) => new OneCycleLR(opt, { maxLr: 0.2, totalSteps: 10 }),
  plateau: (opt) => new ReduceLROnPlateau(opt, { factor: 0.5, patience: 0 }),
  sequential: (opt) =>
    new SequentialLR(opt, { schedulers: [new LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [2] }),
};
const expectedScheduled = JSON.parse(readFileSync(join(fixtures, 'expected-schedulers.json'), 'utf8')) as Record<string, { w: number[]; b: number[]; lrs: number[] }>;

/** train() with the scheduler stepped after each step (with the loss, for ReduceLROnPlateau); the learning rate after each step. */
function trainScheduled(params: tl.Tensor[], opt: Optimizer, scheduler: Scheduler | ReduceLROnPlateau, x: tl.Tensor, y: tl.Tensor, steps: number): number[] {
  const lrs: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = tl.tidy(() => {
      const [w, b] = params;
      const l = x.matmul(w.t()).add(b).sub(y).square().mean();
      l.backward();
      return l.itemSync();
    });
    opt.step();
    if (scheduler instanceof ReduceLROnPlateau) scheduler.step(loss);
    else scheduler.step();
    lrs.push(opt.paramGroups[0].lr);
  }
  return lrs;
}

/** A fresh SGD and scheduler as resume_fixtures.py's scheduled() makes them, on `params`. */
function scheduled(kind: string, params: tl.Tensor[]): { opt: Optimizer; scheduler: Scheduler | ReduceLROnPlateau } {
  const opt = new SGD(params, { lr: 0.1, momentum: 0.9 });
  return { opt, scheduler: SCHEDULE[kind](opt) };
}

describe('scheduler checkpoints PyTorch saved mid-training', () => {
  for (const kind of Object.keys(SCHEDULE)) {
    it(`${kind}: the scheduler's loadStateDict takes PyTorch's state_dict(), and 3 more steps follow PyTorch's learning rates to its parameters`, () => {
      const { value } = parseTorchCheckpoint(new Uint8Array(readFileSync(join(fixtures, `sched-${kind}.pt`))));
      const saved = value as { model: Record<string, tl.Tensor>; optimizer: never; scheduler: Record<string, unknown>; kind: string };
      expect(saved.kind).toBe(kind);
      const params = [saved.model.w, saved.model.b].map((t) => t.clone().requiresGrad_(true));
      const { opt, scheduler } = scheduled(kind, params);
      opt.loadStateDict(saved.optimizer);
      scheduler.loadStateDict(saved.scheduler);
      const lrs = trainScheduled(params, opt, scheduler, tl.tensor(problem.x), tl.tensor(problem.y), 3);
      close(lrs, expectedScheduled[kind].lrs);
      close(params[0].dataSync(), expectedScheduled[kind].w);
      close(params[1].dataSync(), expectedScheduled[kind].b);
    });
  }
});

describe.skipIf(torchMissing !== null)(`scheduler checkpoints Tensile saves, resumed by PyTorch${torchMissing ? ` (skipped: ${torchMissing})` : ''}`, () => {
  for (const kind of Object.keys(SCHEDULE)) {
    it(`${kind}: toPyTorchSchedulerStateDict, then scheduler.load_state_dict in PyTorch: 3 more steps there take the learning rates and parameters of 3 more here`, async () => {
      tl.manualSeed(5);
      const params = [tl.randn([2, 3]).requiresGrad_(true), tl.randn([2]).requiresGrad_(true)];
      const { opt, scheduler } = scheduled(kind, params);
      const [x, y] = [tl.tensor(problem.x), tl.tensor(problem.y)];
      trainScheduled(params, opt, scheduler, x, y, 3);
      const path = join(dir, `sched-${kind}.pt`);
      const checkpoint = { optimizer: toPyTorchStateDict(opt.stateDict()), scheduler: toPyTorchSchedulerStateDict(scheduler.stateDict()), kind };
      await saveTorchCheckpoint({ model: { w: params[0].detach(), b: params[1].detach() }, ...checkpoint }, path);
      const there = JSON.parse(execFileSync(PYTHON, [tool, '--continue', path], { encoding: 'utf8' })) as { w: number[]; b: number[]; lrs: number[] };
      const lrs = trainScheduled(params, opt, scheduler, x, y, 3);
      close(lrs, there.lrs);
      close(params[0].dataSync(), there.w);
      close(params[1].dataSync(), there.b);
    });
  }
});

describe('toPyTorchSchedulerStateDict', () => {
  it("writes PyTorch's names (private fields, T_ names, milestone counts, nested states) and loadStateDict reads them back", () => {
    const opt = new SGD([tl.ones([2]).requiresGrad_(true)], { lr: 0.1 });
    const restarts = toPyTorchSchedulerStateDict(new CosineAnnealingWarmRestarts(opt, { t0: 3, tMult: 2 }).stateDict());
    expect(Object.keys(restarts).sort()).toEqual(['T_0', 'T_cur', 'T_i', 'T_mult', '_last_lr', '_step_count', 'base_lrs', 'eta_min', 'last_epoch', 'verbose']);
    expect(toPyTorchSchedulerStateDict(new MultiStepLR(opt, { milestones: [2, 5, 5] }).stateDict()).milestones).toEqual(new Map([[2, 1], [5, 2]]));
    const sequential = toPyTorchSchedulerStateDict(SCHEDULE.sequential(opt).stateDict());
    expect(Object.keys(sequential).sort()).toEqual(['_last_lr', '_milestones', '_schedulers', 'last_epoch']);
    expect(Object.keys((sequential._schedulers as Record<string, unknown>[])[0])).toContain('start_factor');
    const chainedOpt = new SGD([tl.ones([2]).requiresGrad_(true)], { lr: 0.1 });
    const chain = () => new ChainedScheduler([new StepLR(chainedOpt, { stepSize: 1, gamma: 0.5 }), new ExponentialLR(chainedOpt, { gamma: 0.9 })]);
    const chained = chain();
    chained.step();
    const chainedTorch = toPyTorchSchedulerStateDict(chained.stateDict());
    expect(Object.keys(chainedTorch).sort()).toEqual(['_last_lr', '_schedulers']);
    const restored = chain();
    restored.loadStateDict(chainedTorch);
    expect(restored.stateDict()).toEqual(chained.stateDict());
    const phases = toPyTorchSchedulerStateDict(SCHEDULE.onecycle(opt).stateDict())._schedule_phases as Record<string, unknown>[];
    expect(phases[0]).toMatchObject({ start_lr: 'initial_lr', end_lr: 'max_lr' });
    const other = new CosineAnnealingWarmRestarts(new SGD([tl.ones([2]).requiresGrad_(true)], { lr: 0.1 }), { t0: 7 });
    other.loadStateDict(restarts);
    expect(other.stateDict()).toMatchObject({ t0: 3, tMult: 2 });
    expect(() => toPyTorchSchedulerStateDict({} as never)).toThrow(/toPyTorchSchedulerStateDict: expected a scheduler's stateDict\(\)/);
  });
});

describe('toPyTorchStateDict', () => {
  it('renames to snake_case and keeps the tensors; loadStateDict reads the result back', () => {
    const p = tl.ones([2]).requiresGrad_(true);
    const opt = new Adam([p], { lr: 0.1, weightDecay: 0.5 });
    p.grad = tl.ones([2]);
    opt.step();
    const sd = opt.stateDict();
    const torchNames = toPyTorchStateDict(sd);
    expect(Object.keys(torchNames.param_groups[0]).sort()).toEqual(['amsgrad', 'betas', 'eps', 'lr', 'maximize', 'params', 'weight_decay']);
    expect(Object.keys(torchNames.state.get(0)!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
    expect(torchNames.state.get(0)!.exp_avg).toBe(sd.state[0].expAvg);
    const other = new Adam([tl.ones([2]).requiresGrad_(true)], { lr: 0.2 });
    other.loadStateDict(torchNames);
    expect(other.paramGroups[0].weightDecay).toBe(0.5);
    expect(() => toPyTorchStateDict({} as never)).toThrow(/toPyTorchStateDict: expected an optimizer's stateDict\(\)/);
  });
});
