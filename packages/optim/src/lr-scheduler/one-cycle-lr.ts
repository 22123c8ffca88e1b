import type { Optimizer } from '../optimizer.js';
import { LRScheduler, checkOption, checkOptionIs, epochArguments, type EpochSchedulerOptions } from './lr-scheduler.js';

export interface OneCycleLROptions extends EpochSchedulerOptions {
  /** Peak learning rate, one for all groups or one per group. */
  maxLr: number | number[];
  /** Total number of steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the learning rate; default 0.3. */
  pctStart?: number;
  /** 'cos' (default) or 'linear' annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD/RMSprop `momentum`, Adam `betas[0]`) inversely to the learning rate; default true. */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the peak learning rate; default 0.85 (one per group allowed). */
  baseMomentum?: number | number[];
  /** Highest momentum, at the start and end; default 0.95 (one per group allowed). */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor; default 25. */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor; default 1e4. */
  finalDivFactor?: number;
  /** Three phases (up, back down to initialLr, then down to minLr) instead of two; default false. */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy (Smith & Topin): the learning rate rises from `maxLr / divFactor` to
 * `maxLr`, then falls to `maxLr / divFactor / finalDivFactor`, while momentum moves the other
 * way. Call `step()` after every batch, not every epoch. Sets the groups' `initialLr`,
 * `maxLr`, `minLr` (and `maxMomentum`, `baseMomentum`) as PyTorch does.
 *
 * @example
 * ```ts
 * const scheduler = new OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 * ```
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;
  schedulePhases: Phase[];

  constructor(optimizer: Optimizer<any>, options: OneCycleLROptions) {
    super(optimizer, ...epochArguments('OneCycleLR', options, [
      'maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum',
      'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase',
    ]));
    const {
      maxLr,
      totalSteps,
      epochs,
      stepsPerEpoch,
      pctStart = 0.3,
      annealStrategy = 'cos',
      cycleMomentum = true,
      baseMomentum = 0.85,
      maxMomentum = 0.95,
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
      lastEpoch = -1,
    } = options;
    const name = 'OneCycleLR';
    if (totalSteps === undefined && (epochs === undefined || stepsPerEpoch === undefined)) {
      throw new Error(`${name}: give either totalSteps or both epochs and stepsPerEpoch`);
    }
    if (totalSteps !== undefined) {
      checkOptionIs(name, 'totalSteps', totalSteps, 'a positive integer');
      this.totalSteps = totalSteps;
    } else {
      checkOptionIs(name, 'epochs', epochs, 'a positive integer');
      checkOptionIs(name, 'stepsPerEpoch', stepsPerEpoch, 'a positive integer');
      this.totalSteps = epochs! * stepsPerEpoch!;
    }
    checkOption(typeof pctStart === 'number' && pctStart >= 0 && pctStart <= 1, name, 'pctStart', pctStart, 'a number in [0, 1]');
    checkOption(annealStrategy === 'cos' || annealStrategy === 'linear', name, 'annealStrategy', annealStrategy, "'cos' or 'linear'");
    checkOptionIs(name, 'divFactor', divFactor, 'a positive number');
    checkOptionIs(name, 'finalDivFactor', finalDivFactor, 'a positive number');
    const total = this.totalSteps;
    this.schedulePhases = threePhase
      ? [
          { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.annealStrategy = annealStrategy;

    const groups = this.groups;
    const maxLrs = perGroup(name, 'maxLr', maxLr, groups.length);
    if (lastEpoch === -1) {
      groups.forEach((group, i) => {
        group.initialLr = maxLrs[i] / divFactor;
        group.maxLr = maxLrs[i];
        group.minLr = group.initialLr / finalDivFactor;
      });
      this.baseLrs = groups.map((g) => g.initialLr as number);
    }

    this.cycleMomentum = cycleMomentum;
    const defaults = this.optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = 'betas' in defaults;
    if (cycleMomentum) {
      if (!('momentum' in defaults) && !('betas' in defaults)) {
        throw new Error(`${name}: cycleMomentum needs an optimiser with 'momentum' or 'betas'; pass cycleMomentum: false`);
      }
      const maxMomenta = perGroup(name, 'maxMomentum', maxMomentum, groups.length);
      const baseMomenta = perGroup(name, 'baseMomentum', baseMomentum, groups.length);
      if (lastEpoch === -1) {
        groups.forEach((group, i) => {
          if (this.useBeta1) group.betas = [maxMomenta[i], ...(group.betas as number[]).slice(1)];
          else group.momentum = maxMomenta[i];
          group.maxMomentum = maxMomenta[i];
          group.baseMomentum = baseMomenta[i];
        });
      }
    }
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2) * cosOut;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new Error(`OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps}`);
    }
    const phases = this.schedulePhases;
    return this.groups.map((group) => {
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i];
        const endStep = phase.endStep;
        if (stepNum <= endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this.anneal(group[phase.startLr] as number, group[phase.endLr] as number, pct);
          if (this.cycleMomentum) {
            momentum = this.anneal(group[phase.startMomentum] as number, group[phase.endMomentum] as number, pct);
          }
          break;
        }
        startStep = phase.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) group.betas = [momentum, ...(group.betas as number[]).slice(1)];
        else group.momentum = momentum;
      }
      return lr;
    });
  }
}

function perGroup(name: string, option: string, value: number | number[], groups: number): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groups) throw new Error(`${name}: expected ${groups} values for ${option}, got ${value.length}`);
    return [...value];
  }
  checkOption(typeof value === 'number' && Number.isFinite(value), name, option, value, 'a number or one number per group');
  return new Array<number>(groups).fill(value);
}
