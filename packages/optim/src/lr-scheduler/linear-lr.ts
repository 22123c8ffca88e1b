import { withNumberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface LinearLROptions extends EpochSchedulerOptions {
  /** Factor applied at epoch 0; default 1/3. */
  startFactor?: number;
  /** Factor reached at `totalIters`; default 1. */
  endFactor?: number;
  /** Epochs over which the factor changes; default 5. */
  totalIters?: number;
}

/**
 * Scale each group's learning rate by a factor that changes linearly from `startFactor` to
 * `endFactor` over `totalIters` epochs (a warm-up when `startFactor < endFactor`).
 *
 * @example
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * ```
 */
export class LinearLR extends withNumberOptions<LinearLROptions>('LinearLR', {
  startFactor: ['a number in (0, 1]', 1 / 3],
  endFactor: ['a number in [0, 1]', 1],
  totalIters: ['a positive integer', 5],
}) {
  protected getLr(): number[] {
    const { lastEpoch, startFactor, endFactor, totalIters } = this;
    if (lastEpoch === 0) return this.groups.map((g) => g.lr * startFactor);
    if (lastEpoch > totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map(
      (g) => g.lr * (1 + (endFactor - startFactor) / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor))),
    );
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch, startFactor, endFactor, totalIters } = this;
    return this.baseLrs.map((base) => base * (startFactor + ((endFactor - startFactor) * Math.min(totalIters, lastEpoch)) / totalIters));
  }
}
