import type { Optimizer } from '../optimizer.js';
import { LRScheduler, checkOption, checkOptionIs, epochArguments, type EpochSchedulerOptions } from './lr-scheduler.js';

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
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: Optimizer<any>, options: LinearLROptions = {}) {
    super(optimizer, ...epochArguments('LinearLR', options, ['startFactor', 'endFactor', 'totalIters']));
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options;
    checkOption(typeof startFactor === 'number' && startFactor > 0 && startFactor <= 1, 'LinearLR', 'startFactor', startFactor, 'a number in (0, 1]');
    checkOption(typeof endFactor === 'number' && endFactor >= 0 && endFactor <= 1, 'LinearLR', 'endFactor', endFactor, 'a number in [0, 1]');
    checkOptionIs('LinearLR', 'totalIters', totalIters, 'a positive integer');
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

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
