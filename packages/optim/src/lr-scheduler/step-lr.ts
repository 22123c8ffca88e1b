import { withNumberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface StepLROptions extends EpochSchedulerOptions {
  /** Decay every `stepSize` epochs. */
  stepSize: number;
  /** Multiplicative factor; default 0.1. */
  gamma?: number;
}

/**
 * Multiply each group's learning rate by `gamma` every `stepSize` epochs.
 *
 * @example
 * ```ts
 * const scheduler = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // 0.05 for epochs 0-29, 0.005 for 30-59, ...
 * ```
 */
export class StepLR extends withNumberOptions<StepLROptions>('StepLR', { stepSize: ['a positive integer'], gamma: ['a number', 0.1] }) {
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}
