import type { Optimizer } from '../optimizer.js';
import { LRScheduler, numberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface PolynomialLROptions extends EpochSchedulerOptions {
  /** Epochs over which the learning rate decays to 0; default 5. */
  totalIters?: number;
  /** Power of the polynomial; default 1 (linear decay). */
  power?: number;
}

/**
 * Decay each group's learning rate as `initialLr * (1 - epoch / totalIters)^power`, reaching 0
 * at `totalIters` (the "poly" schedule of segmentation models).
 *
 * @example
 * ```ts
 * const scheduler = new PolynomialLR(opt, { totalIters: 100, power: 0.9 });
 * ```
 */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(optimizer: Optimizer<any>, options: PolynomialLROptions = {}) {
    const own = numberOptions('PolynomialLR', options, { totalIters: ['a positive integer', 5], power: ['a number', 1] });
    super(optimizer, own.lastEpoch, own.verbose);
    this.totalIters = own.totalIters;
    this.power = own.power;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch, totalIters, power } = this;
    if (lastEpoch === 0 || lastEpoch > totalIters) return this.groups.map((g) => g.lr);
    const decay = ((1 - lastEpoch / totalIters) / (1 - (lastEpoch - 1) / totalIters)) ** power;
    return this.groups.map((g) => g.lr * decay);
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch, totalIters, power } = this;
    return this.baseLrs.map((base) => base * (1 - Math.min(totalIters, lastEpoch) / totalIters) ** power);
  }
}
