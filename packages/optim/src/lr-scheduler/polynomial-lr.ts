import { withNumberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

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
export class PolynomialLR extends withNumberOptions<PolynomialLROptions>('PolynomialLR', { totalIters: ['a positive integer', 5], power: ['a number', 1] }) {
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
