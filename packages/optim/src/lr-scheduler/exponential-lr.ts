import { withNumberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

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
export class ExponentialLR extends withNumberOptions<ExponentialLROptions>('ExponentialLR', { gamma: ['a number'] }) {
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}
