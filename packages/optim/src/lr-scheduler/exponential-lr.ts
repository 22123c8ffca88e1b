import type { Optimizer } from '../optimizer.js';
import { LRScheduler, numberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface ExponentialLROptions extends EpochSchedulerOptions {
  /** Multiplicative factor per epoch. */
  gamma: number;
}

/**
 * Multiply each group's learning rate by `gamma` every epoch.
 *
 * @example
 * ```ts
 * const scheduler = new ExponentialLR(opt, { gamma: 0.95 });
 * ```
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer<any>, options: ExponentialLROptions) {
    const own = numberOptions('ExponentialLR', options, { gamma: ['a number'] });
    super(optimizer, own.lastEpoch, own.verbose);
    this.gamma = own.gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}
