import type { Optimizer } from '../optimizer.js';
import { LRScheduler, checkOption, checkOptionIs, epochArguments, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface CosineAnnealingWarmRestartsOptions extends EpochSchedulerOptions {
  /** Epochs until the first restart (PyTorch's `T_0`). */
  t0: number;
  /** Factor by which the period grows after each restart (PyTorch's `T_mult`); default 1. */
  tMult?: number;
  /** Minimum learning rate; default 0. */
  etaMin?: number;
}

/**
 * SGDR (Loshchilov & Hutter): cosine annealing from each group's initial learning rate to
 * `etaMin` over `tI` epochs, then a warm restart, with `tI` starting at `t0` and multiplied by
 * `tMult` at each restart. `step()` advances one epoch; `step(epoch)` takes a fractional epoch,
 * so it can be stepped per batch as `step(epoch + i / itersPerEpoch)`.
 *
 * @example
 * ```ts
 * const scheduler = new CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2, etaMin: 1e-5 });
 * for (let epoch = 0; epoch < 70; epoch++) {
 *   for (let i = 0; i < iters; i++) {
 *     trainBatch(i);
 *     scheduler.step(epoch + i / iters);
 *   }
 * }
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  /** Epochs since the last restart (fractional when stepped with an epoch). */
  tCur: number;

  constructor(optimizer: Optimizer<any>, options: CosineAnnealingWarmRestartsOptions) {
    const name = 'CosineAnnealingWarmRestarts';
    super(optimizer, ...epochArguments(name, options, ['t0', 'tMult', 'etaMin']));
    const { t0, tMult = 1, etaMin = 0 } = options;
    checkOptionIs(name, 't0', t0, 'a positive integer');
    checkOption(Number.isInteger(tMult) && tMult >= 1, name, 'tMult', tMult, 'an integer >= 1');
    checkOptionIs(name, 'etaMin', etaMin, 'a number');
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }

  /** Advance one epoch, or go to `epoch` (a non-negative number, fractional allowed). */
  override step(epoch?: number): void {
    this.stepCount += 1;
    let target = epoch;
    if (target === undefined && this.lastEpoch < 0) target = 0;
    if (target === undefined) {
      target = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      checkOption(typeof target === 'number' && target >= 0, 'CosineAnnealingWarmRestarts', 'epoch', target, 'a non-negative number');
      if (target >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = target % this.t0;
        } else {
          const n = Math.trunc(Math.log((target / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = target - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = target;
      }
    }
    this.lastEpoch = Math.floor(target);
    this.setLrs(this.getLr(), target);
  }
}
