import { fromPyTorchSchedulerNames } from '../pytorch-names.js';
import { Optimizer } from '../optimizer.js';
import { LRScheduler, checkOption, checkOptionIs, checkSchedulerOptions, stateFields, type EpochSchedulerOptions, type SchedulerStateDict } from './lr-scheduler.js';

export interface CyclicLROptions extends EpochSchedulerOptions {
  /** Lowest learning rate of the cycle, one for all groups or one per group (sets the groups' lr at the start). */
  baseLr: number | number[];
  /** Highest learning rate of the cycle, one for all groups or one per group. */
  maxLr: number | number[];
  /** Steps in the increasing half of a cycle; default 2000. */
  stepSizeUp?: number;
  /** Steps in the decreasing half; default `stepSizeUp`. */
  stepSizeDown?: number;
  /** 'triangular' (default), 'triangular2' (amplitude halves every cycle) or 'exp_range' (amplitude times `gamma^step`). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** Base of 'exp_range'; default 1. */
  gamma?: number;
  /** A custom amplitude scale (replaces `mode`), of the cycle number or of the step (see `scaleMode`). */
  scaleFn?: (x: number) => number;
  /** What `scaleFn` is given: 'cycle' (default) or 'iterations'. */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum inversely to the learning rate (SGD/RMSprop `momentum`, Adam-style `betas[0]`); default true. */
  cycleMomentum?: boolean;
  /** Lowest momentum (at the peak learning rate), one for all groups or one per group; default 0.8. */
  baseMomentum?: number | number[];
  /** Highest momentum, one for all groups or one per group; default 0.9. */
  maxMomentum?: number | number[];
}

const NAME = 'CyclicLR';

function perGroup(option: string, value: number | number[], groups: number): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groups) throw new Error(`${NAME}: expected ${groups} values for ${option}, got ${value.length}`);
    value.forEach((v, i) => checkOption(typeof v === 'number' && Number.isFinite(v), NAME, `${option}[${i}]`, v, 'a number'));
    return [...value];
  }
  checkOption(typeof value === 'number' && Number.isFinite(value), NAME, option, value, 'a number or one number per group');
  return new Array<number>(groups).fill(value);
}

/**
 * The cyclical learning-rate policy (Smith): the learning rate goes back and forth between
 * `baseLr` and `maxLr` (and momentum the other way), one cycle every `stepSizeUp +
 * stepSizeDown` steps; call `step()` after every batch. PyTorch 1.13's schedule; as in
 * PyTorch 2 (and this package's `OneCycleLR`), an optimiser with `betas` has `betas[0]` cycled.
 *
 * @example
 * ```ts
 * const opt = new SGD(params, { lr: 0.1, momentum: 0.9 });
 * const scheduler = new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2000, mode: 'triangular2' });
 * ```
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: 'triangular' | 'triangular2' | 'exp_range';
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  /** The custom scale function, if one was given (not part of the state dict). */
  scaleFnCustom: ((x: number) => number) | null;
  cycleMomentum: boolean;
  useBeta1: boolean;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];

  constructor(optimizer: Optimizer<any>, options: CyclicLROptions) {
    checkSchedulerOptions(NAME, options, [
      'baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode',
      'cycleMomentum', 'baseMomentum', 'maxMomentum', 'lastEpoch', 'verbose',
    ]);
    const lastEpoch = options?.lastEpoch ?? -1;
    // As in PyTorch, the groups start at baseLr before the base class records initialLr.
    const groupCount = optimizer instanceof Optimizer ? optimizer.paramGroups.length : 0;
    const baseLrs = optimizer instanceof Optimizer ? perGroup('baseLr', options?.baseLr, groupCount) : [];
    if (lastEpoch === -1 && optimizer instanceof Optimizer) optimizer.paramGroups.forEach((g, i) => (g.lr = baseLrs[i]));
    super(optimizer, lastEpoch, options?.verbose ?? false);
    const {
      maxLr,
      stepSizeUp = 2000,
      stepSizeDown,
      mode = 'triangular',
      gamma = 1,
      scaleFn,
      scaleMode = 'cycle',
      cycleMomentum = true,
      baseMomentum = 0.8,
      maxMomentum = 0.9,
    } = options;
    const groups = this.groups;
    this.maxLrs = perGroup('maxLr', maxLr, groups.length);
    checkOptionIs(NAME, 'stepSizeUp', stepSizeUp, 'a positive number');
    const down = stepSizeDown ?? stepSizeUp;
    checkOption(typeof down === 'number' && down > 0, NAME, 'stepSizeDown', stepSizeDown, 'a positive number');
    this.totalSize = stepSizeUp + down;
    this.stepRatio = stepSizeUp / this.totalSize;
    checkOptionIs(NAME, 'gamma', gamma, 'a number');
    this.gamma = gamma;
    if (scaleFn === undefined) {
      checkOption(['triangular', 'triangular2', 'exp_range'].includes(mode), NAME, 'mode', mode, "'triangular', 'triangular2' or 'exp_range' (or give scaleFn)");
      this.mode = mode;
      this.scaleFnCustom = null;
      this.scaleMode = mode === 'exp_range' ? 'iterations' : 'cycle';
    } else {
      checkOption(typeof scaleFn === 'function', NAME, 'scaleFn', scaleFn, 'a function');
      checkOption(scaleMode === 'cycle' || scaleMode === 'iterations', NAME, 'scaleMode', scaleMode, "'cycle' or 'iterations'");
      this.mode = mode;
      this.scaleFnCustom = scaleFn;
      this.scaleMode = scaleMode;
    }

    this.cycleMomentum = cycleMomentum;
    const defaults = this.optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = !('momentum' in defaults) && 'betas' in defaults;
    if (cycleMomentum) {
      if (!('momentum' in defaults) && !('betas' in defaults)) {
        throw new Error(`${NAME}: cycleMomentum needs an optimiser with 'momentum' or 'betas'; pass cycleMomentum: false`);
      }
      const baseMomenta = perGroup('baseMomentum', baseMomentum, groups.length);
      if (lastEpoch === -1) {
        groups.forEach((group, i) => {
          if (this.useBeta1) group.betas = [baseMomenta[i], ...(group.betas as number[]).slice(1)];
          else group.momentum = baseMomenta[i];
        });
      }
      this.baseMomentums = groups.map((g) => (this.useBeta1 ? (g.betas as number[])[0] : (g.momentum as number)));
      this.maxMomentums = perGroup('maxMomentum', maxMomentum, groups.length);
    }
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  /** The amplitude scale at `x` (a cycle number or a step). */
  scaleFn(x: number): number {
    if (this.scaleFnCustom) return this.scaleFnCustom(x);
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    if (this.mode === 'exp_range') return this.gamma ** x;
    return 1;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i] - base) * scaleFactor * scale);
    if (this.cycleMomentum) {
      this.groups.forEach((group, i) => {
        const momentum = this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * scaleFactor * scale;
        if (this.useBeta1) group.betas = [momentum, ...(group.betas as number[]).slice(1)];
        else group.momentum = momentum;
      });
    }
    return lrs;
  }

  /** Every field except the optimiser and a custom `scaleFn` (which stays this scheduler's). */
  override stateDict(): SchedulerStateDict {
    return stateFields(this, ['scaleFnCustom']);
  }

  /** Restore fields saved by `stateDict()`; a custom `scaleFn` stays this scheduler's own. */
  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { scaleFnCustom: _ignored, ...rest } = fromPyTorchSchedulerNames(stateDict);
    super.loadStateDict(rest);
  }
}
