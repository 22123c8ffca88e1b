import { fromPyTorchSchedulerNames } from '../pytorch-names.js';
import { Optimizer } from '../optimizer.js';
import { LRScheduler, checkSchedulerOptions, type Scheduler, type SchedulerStateDict } from './lr-scheduler.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';

export interface SequentialLROptions {
  /** The schedulers to run one after another, all on `optimizer`. */
  schedulers: LRScheduler[];
  /** The epochs at which the next scheduler takes over (one fewer than `schedulers`), increasing. */
  milestones: number[];
  /** Index of the last epoch when resuming; default -1. */
  lastEpoch?: number;
  /** Accepted for PyTorch's signature; as in PyTorch it does nothing (the schedulers' own `verbose` prints). */
  verbose?: boolean;
}

/** Index of the first milestone greater than `value` (Python's `bisect_right`). */
function bisectRight(sorted: number[], value: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i] <= value) i++;
  return i;
}

function ownerCheck(name: string, optimizer: Optimizer<any>, schedulers: unknown): LRScheduler[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0) {
    throw new Error(`${name}: expected a non-empty list of schedulers, got ${String(schedulers)}`);
  }
  schedulers.forEach((s, i) => {
    if (!(s instanceof LRScheduler)) throw new TypeError(`${name}: schedulers[${i}] is not an LRScheduler`);
    if (s.optimizer !== optimizer) {
      throw new Error(`${name}: every scheduler must belong to the same optimizer, but schedulers[${i}] has a different one`);
    }
  });
  return schedulers as LRScheduler[];
}

/**
 * Run schedulers one after another: `schedulers[0]` until `milestones[0]`, then
 * `schedulers[1]` (restarted at its epoch 0), and so on. The usual warm-up then decay:
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 5 });
 * const decay = new CosineAnnealingLR(opt, { tMax: 95 });
 * const scheduler = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train();
 *   scheduler.step();
 * }
 * ```
 */
export class SequentialLR implements Scheduler {
  readonly optimizer: Optimizer<any>;
  readonly schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  protected lastLr: number[];

  constructor(optimizer: Optimizer<any>, options: SequentialLROptions) {
    const name = 'SequentialLR';
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${name}: expected an Optimizer`);
    checkSchedulerOptions(name, options, ['schedulers', 'milestones', 'lastEpoch', 'verbose']);
    const schedulers = ownerCheck(name, optimizer, options?.schedulers);
    const milestones = options.milestones;
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(
        `${name}: expected ${schedulers.length - 1} milestones (one fewer than the ${schedulers.length} schedulers), ` +
          `got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`,
      );
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || (i > 0 && m <= milestones[i - 1])) {
        throw new Error(`${name}: invalid milestones [${milestones.join(', ')}]; expected increasing integers`);
      }
    });
    optimizer.paramGroups.forEach((group, i) => {
      if (typeof group.initialLr !== 'number') throw new Error(`${name}: param group ${i} has no 'initialLr' (set by the schedulers)`);
    });
    this.optimizer = optimizer;
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;

    // Back to the initial learning rates; undo the step each scheduler took when it was made.
    for (const group of optimizer.paramGroups) group.lr = group.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  /** Advance one epoch: step the scheduler whose turn it is, restarting it at its milestone. */
  step(): void {
    this.lastEpoch += 1;
    const index = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[index];
    if (index > 0 && this.milestones[index - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  /** The learning rates the last `step()` set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** `lastEpoch`, `milestones`, `lastLr` and each scheduler's own state dict. */
  stateDict(): SchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      milestones: [...this.milestones],
      lastLr: [...this.lastLr],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  /** Restore what `stateDict()` saved, into this scheduler and each of its schedulers. */
  loadStateDict(given: SchedulerStateDict): void {
    const stateDict = fromPyTorchSchedulerNames(given); // PyTorch's names read too
    const saved = stateDict.schedulers;
    if (!Array.isArray(saved) || saved.length !== this.schedulers.length) {
      throw new Error(`SequentialLR.loadStateDict: expected ${this.schedulers.length} scheduler states`);
    }
    this.lastEpoch = stateDict.lastEpoch as number;
    this.milestones = [...(stateDict.milestones as number[])];
    this.lastLr = [...(stateDict.lastLr as number[])];
    saved.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerStateDict));
  }
}

/**
 * Step several schedulers together each epoch, so that their effects multiply (for
 * chainable schedulers: each changes the learning rate the previous one left).
 *
 * @example
 * ```ts
 * const scheduler = new ChainedScheduler([
 *   new ConstantLR(opt, { factor: 0.1, totalIters: 2 }),
 *   new ExponentialLR(opt, { gamma: 0.9 }),
 * ]);
 * ```
 */
export class ChainedScheduler implements Scheduler {
  readonly optimizer: Optimizer<any>;
  readonly schedulers: Scheduler[];
  protected lastLr: number[];

  constructor(schedulers: Scheduler[]) {
    const name = 'ChainedScheduler';
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new Error(`${name}: expected a non-empty list of schedulers, got ${String(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (s === null || typeof s !== 'object' || typeof s.step !== 'function' || !(s.optimizer instanceof Optimizer)) {
        throw new TypeError(`${name}: schedulers[${i}] is not a scheduler`);
      }
      if ((s as unknown) instanceof ReduceLROnPlateau) {
        throw new TypeError(`${name}: schedulers[${i}] needs a metric to step (ReduceLROnPlateau) and cannot be chained`);
      }
      if (s.optimizer !== schedulers[0].optimizer) {
        throw new Error(`${name}: every scheduler must belong to the same optimizer, but schedulers[0] and schedulers[${i}] differ`);
      }
    });
    this.schedulers = [...schedulers];
    this.optimizer = schedulers[0].optimizer;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Step every scheduler, in order. */
  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates after the last `step()`, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** `lastLr` and each scheduler's own state dict. */
  stateDict(): SchedulerStateDict {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Restore what `stateDict()` saved, into this scheduler and each of its schedulers. */
  loadStateDict(given: SchedulerStateDict): void {
    const stateDict = fromPyTorchSchedulerNames(given); // PyTorch's names read too
    const saved = stateDict.schedulers;
    if (!Array.isArray(saved) || saved.length !== this.schedulers.length) {
      throw new Error(`ChainedScheduler.loadStateDict: expected ${this.schedulers.length} scheduler states`);
    }
    this.lastLr = [...(stateDict.lastLr as number[])];
    saved.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerStateDict));
  }
}
