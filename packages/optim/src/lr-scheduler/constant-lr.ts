import { withNumberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface ConstantLROptions extends EpochSchedulerOptions {
  /** Factor applied until `totalIters`; default 1/3. */
  factor?: number;
  /** Epochs during which the factor applies; default 5. */
  totalIters?: number;
}

/**
 * Scale each group's learning rate by a constant `factor` for the first `totalIters` epochs,
 * then restore it (a constant warm-up).
 *
 * @example
 * ```ts
 * const scheduler = new ConstantLR(opt, { factor: 0.5, totalIters: 4 }); // lr/2 for epochs 0-3
 * ```
 */
export class ConstantLR extends withNumberOptions<ConstantLROptions>('ConstantLR', {
  // PyTorch allows 0, which divides by zero when the factor is undone.
  factor: ['a number in (0, 1]', 1 / 3],
  totalIters: ['a non-negative integer', 5],
}) {
  protected getLr(): number[] {
    const { lastEpoch, factor, totalIters } = this;
    if (lastEpoch === 0) return this.groups.map((g) => g.lr * factor);
    if (lastEpoch !== totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 / factor));
  }

  protected override closedFormLr(): number[] {
    const reached = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((base) => base * (this.factor + reached * (1 - this.factor)));
  }
}
