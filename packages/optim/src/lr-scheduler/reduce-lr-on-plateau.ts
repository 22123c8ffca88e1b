import { Tensor } from '@tensile/core';
import { Optimizer, type BaseOptions, type OptimizerGroup } from '../optimizer.js';
import { SchedulerBase, checkOption, checkOptionIs, checkSchedulerOptions, formatLr } from './lr-scheduler.js';

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): the metric should fall; 'max': it should rise. */
  mode?: 'min' | 'max';
  /** lr is multiplied by this when the metric stalls; default 0.1 (must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing; default 10. */
  patience?: number;
  /** How much better counts as an improvement; default 1e-4. */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again; default 0. */
  cooldown?: number;
  /** Lower bound on the learning rate, for all groups or one per group; default 0. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped; default 1e-8. */
  eps?: number;
  /** Print each reduction; default false. */
  verbose?: boolean;
}

/**
 * Reduce each group's learning rate by `factor` when a metric has stopped improving for
 * `patience` epochs. Call `step(metric)` once per epoch with the validation metric.
 *
 * @example
 * ```ts
 * const scheduler = new ReduceLROnPlateau(opt, { mode: 'min', patience: 5 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train();
 *   scheduler.step(await validate());
 * }
 * ```
 */
export class ReduceLROnPlateau extends SchedulerBase {
  readonly optimizer: Optimizer<any>;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  cooldownCounter = 0;
  minLrs: number[];
  eps: number;
  verbose: boolean;
  best: number;
  numBadEpochs = 0;
  modeWorse: number;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: Optimizer<any>, options: ReduceLROnPlateauOptions = {}) {
    super();
    const name = 'ReduceLROnPlateau';
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${name}: expected an Optimizer`);
    checkSchedulerOptions(name, options, [
      'mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps', 'verbose',
    ]);
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
      verbose = false,
    } = options;
    checkOption(typeof factor === 'number' && factor < 1, name, 'factor', factor, 'a number < 1');
    checkOption(mode === 'min' || mode === 'max', name, 'mode', mode, "'min' or 'max'");
    checkOption(thresholdMode === 'rel' || thresholdMode === 'abs', name, 'thresholdMode', thresholdMode, "'rel' or 'abs'");
    checkOptionIs(name, 'patience', patience, 'a non-negative integer');
    checkOptionIs(name, 'cooldown', cooldown, 'a non-negative integer');
    checkOption(typeof threshold === 'number' && threshold >= 0, name, 'threshold', threshold, 'a number >= 0');
    checkOption(typeof verbose === 'boolean', name, 'verbose', verbose, 'true or false');
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups;
    if (Array.isArray(minLr)) {
      if (minLr.length !== groups.length) throw new Error(`${name}: expected ${groups.length} values for minLr, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else {
      this.minLrs = new Array<number>(groups.length).fill(minLr);
    }
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.verbose = verbose;
    this.modeWorse = mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this.lastLr = groups.map((g) => g.lr);
  }

  private get groups(): OptimizerGroup<BaseOptions>[] {
    return this.optimizer.paramGroups;
  }

  /** Whether the cooldown after a reduction is still running. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Whether `a` improves on `best` under the mode and threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /**
   * Record one epoch's metric, reducing the learning rates if it has not improved for more
   * than `patience` epochs. A 1-element tensor is read synchronously (cpu/wasm/cuda); on other
   * backends pass `await metric.item()`.
   */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? Number(metric.itemSync()) : Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.groups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.groups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) {
        group.lr = newLr;
        if (this.verbose) console.log(`Epoch ${String(this.lastEpoch).padStart(5, '0')}: reducing learning rate of group ${i} to ${formatLr(newLr)}.`);
      }
    });
  }
}
