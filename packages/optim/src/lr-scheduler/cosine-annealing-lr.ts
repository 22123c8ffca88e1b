import { withNumberOptions, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface CosineAnnealingLROptions extends EpochSchedulerOptions {
  /** Half-period in epochs. */
  tMax: number;
  /** Minimum learning rate; default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing from each group's initial learning rate down to `etaMin` over `tMax`
 * epochs (and back up, periodically), in PyTorch's recursive form so that the values match
 * PyTorch's exactly, including when something else also changes the learning rate.
 *
 * @example
 * ```ts
 * const scheduler = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends withNumberOptions<CosineAnnealingLROptions>('CosineAnnealingLR', { tMax: ['a positive number'], etaMin: ['a number', 0] }) {
  protected getLr(): number[] {
    const { lastEpoch, tMax, etaMin } = this;
    const groups = this.groups;
    if (lastEpoch === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && lastEpoch > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((lastEpoch * Math.PI) / tMax))) / 2);
    }
    if ((lastEpoch - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) * (g.lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch, tMax, etaMin } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * lastEpoch) / tMax))) / 2);
  }
}
