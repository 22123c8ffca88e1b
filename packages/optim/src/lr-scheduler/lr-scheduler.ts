/** The `LRScheduler` base class, PyTorch 1.13's `_LRScheduler` in its chainable (recursive) form. */
import { Optimizer, type BaseOptions, type OptimizerGroup } from '../optimizer.js';

/** A scheduler's state: every field except the optimiser (numbers, arrays, plain objects). */
export type SchedulerStateDict = Record<string, unknown>;

/** The param-group keys a scheduler reads and writes. */
export type ScheduledGroup = OptimizerGroup<BaseOptions> & { initialLr?: number };

function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Base class of the epoch-based learning-rate schedulers. Construction performs PyTorch's
 * initial step (epoch 0), so the optimiser's groups already hold the first learning rate;
 * call `step()` once per epoch after `optimizer.step()`.
 *
 * A subclass sets its own fields, then calls `this.initialStep()` at the end of its
 * constructor, and computes the next learning rates in `getLr()` (reading `lastEpoch` and the
 * groups' current `lr`).
 *
 * @example
 * ```ts
 * const scheduler = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train();
 *   scheduler.step();
 * }
 * ```
 */
export abstract class LRScheduler {
  /** The optimiser whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer<any>;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  /** The index of the last epoch; -1 before the initial step. */
  lastEpoch: number;
  /** How many times `step()` has run (including the initial step). */
  protected stepCount = 0;
  /** The learning rates set by the last `step()`. */
  protected lastLr: number[] = [];

  constructor(optimizer: Optimizer<any>, lastEpoch = -1) {
    if (!(optimizer instanceof Optimizer)) {
      const got = optimizer as unknown;
      const kind = typeof got === 'object' && got !== null ? got.constructor?.name : typeof got;
      throw new TypeError(`${new.target.name}: expected an Optimizer, got ${kind}`);
    }
    this.optimizer = optimizer;
    const groups = this.groups;
    if (lastEpoch === -1) {
      for (const group of groups) if (group.initialLr === undefined) group.initialLr = group.lr;
    } else {
      groups.forEach((group, i) => {
        if (group.initialLr === undefined) {
          throw new Error(`${new.target.name}: param group ${i} has no 'initialLr', which resuming (lastEpoch != -1) needs`);
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** The optimiser's parameter groups. */
  protected get groups(): ScheduledGroup[] {
    return this.optimizer.paramGroups as ScheduledGroup[];
  }

  /** PyTorch's `_initial_step`: reset the step count and take the epoch-0 step. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The learning rates for `lastEpoch` (already advanced), one per group. */
  protected abstract getLr(): number[];

  /** Advance one epoch and set every group's `lr`. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    const values = this.getLr();
    this.groups.forEach((group, i) => {
      group.lr = values[i];
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The learning rates the last `step()` set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Every field except the optimiser, deep-copied. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [key, value] of Object.entries(this)) if (key !== 'optimizer') out[key] = deepCopy(value);
    return out;
  }

  /** Restore fields saved by `stateDict()`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    for (const [key, value] of Object.entries(stateDict)) {
      if (key !== 'optimizer') (this as Record<string, unknown>)[key] = deepCopy(value);
    }
  }
}

/** Throw `${name}: invalid ${option} ${value}; expected ${expected}` unless `ok`. */
export function checkOption(ok: boolean, name: string, option: string, value: unknown, expected: string): void {
  if (!ok) throw new Error(`${name}: invalid ${option} ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}; expected ${expected}`);
}
