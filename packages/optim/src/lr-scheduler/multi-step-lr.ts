import type { Optimizer } from '../optimizer.js';
import { LRScheduler, checkOption, checkOptionIs, epochArguments, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface MultiStepLROptions extends EpochSchedulerOptions {
  /** Epochs at which to decay; a milestone listed twice decays twice. */
  milestones: number[];
  /** Multiplicative factor; default 0.1. */
  gamma?: number;
}

/**
 * Multiply each group's learning rate by `gamma` at every milestone epoch.
 *
 * @example
 * ```ts
 * const scheduler = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: Optimizer<any>, options: MultiStepLROptions) {
    super(optimizer, ...epochArguments('MultiStepLR', options, ['milestones', 'gamma']));
    const { milestones, gamma = 0.1 } = options;
    checkOption(Array.isArray(milestones) && milestones.every((m) => Number.isInteger(m)), 'MultiStepLR', 'milestones', milestones, 'a list of integers');
    checkOptionIs('MultiStepLR', 'gamma', gamma, 'a number');
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}
