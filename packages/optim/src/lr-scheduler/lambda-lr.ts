import { fromPyTorchSchedulerNames } from '../pytorch-names.js';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, checkOption, epochArguments, stateFields, type EpochSchedulerOptions, type SchedulerStateDict } from './lr-scheduler.js';

/** A function of the epoch index giving a learning-rate factor. */
export type LrLambda = (epoch: number) => number;

export interface LambdaLROptions extends EpochSchedulerOptions {
  /** One function for every group, or one per group: epoch → factor of the group's initial lr. */
  lrLambda: LrLambda | LrLambda[];
}

/** One function per group, checked. */
export function lrLambdas(name: string, lrLambda: unknown, groups: number): LrLambda[] {
  const list = Array.isArray(lrLambda) ? lrLambda : new Array<unknown>(groups).fill(lrLambda);
  if (Array.isArray(lrLambda) && lrLambda.length !== groups) {
    throw new Error(`${name}: expected ${groups} lrLambda functions (one per parameter group), got ${lrLambda.length}`);
  }
  list.forEach((fn, i) => checkOption(typeof fn === 'function', name, Array.isArray(lrLambda) ? `lrLambda[${i}]` : 'lrLambda', fn, 'a function of the epoch'));
  return list as LrLambda[];
}

/**
 * PyTorch's state dict of lambdas: `null` for a plain function, a copy of its own enumerable
 * fields for a function that carries state (the counterpart of a Python callable object).
 */
export function lambdaState(fns: LrLambda[]): (Record<string, unknown> | null)[] {
  return fns.map((fn) => (Object.keys(fn).length === 0 ? null : structuredClone({ ...fn })));
}

/** Restore what `lambdaState` saved into the scheduler's functions. */
export function loadLambdaState(fns: LrLambda[], saved: unknown): void {
  if (!Array.isArray(saved)) return;
  saved.forEach((fields, i) => {
    if (fields !== null && typeof fields === 'object' && fns[i]) Object.assign(fns[i], structuredClone(fields));
  });
}

/** `stateDict` of a scheduler with functions: every field but the optimiser and the functions, which go through `lambdaState`. */
function withoutFunctions(scheduler: object, functionsKey: string, fns: LrLambda[]): SchedulerStateDict {
  const out = stateFields(scheduler, [functionsKey]);
  out[functionsKey] = lambdaState(fns);
  return out;
}

/**
 * The part LambdaLR and MultiplicativeLR share: one checked function per group, and a state dict
 * that saves the functions through `lambdaState` (they differ only in `getLr`).
 */
abstract class LambdaScheduler extends LRScheduler {
  lrLambdas: LrLambda[];

  protected constructor(name: string, optimizer: Optimizer<any>, options: LambdaLROptions | MultiplicativeLROptions) {
    super(optimizer, ...epochArguments(name, options, ['lrLambda']));
    this.lrLambdas = lrLambdas(name, options?.lrLambda, this.groups.length);
    this.initialStep();
  }

  /** Every field except the optimiser; each function saves as `null` unless it carries its own fields. */
  override stateDict(): SchedulerStateDict {
    return withoutFunctions(this, 'lrLambdas', this.lrLambdas);
  }

  /** Restore fields saved by `stateDict()`; the functions stay this scheduler's own. */
  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { lrLambdas: saved, ...rest } = fromPyTorchSchedulerNames(stateDict);
    super.loadStateDict(rest);
    loadLambdaState(this.lrLambdas, saved);
  }
}

/**
 * Set each group's learning rate to its initial lr times `lrLambda(epoch)`: warm-up and any
 * custom schedule (Hugging Face's linear and cosine warm-up schedules are LambdaLRs).
 *
 * @example
 * ```ts
 * const warmup = 500;
 * const scheduler = new LambdaLR(opt, { lrLambda: (step) => Math.min(1, (step + 1) / warmup) });
 * ```
 */
export class LambdaLR extends LambdaScheduler {
  constructor(optimizer: Optimizer<any>, options: LambdaLROptions) {
    super('LambdaLR', optimizer, options);
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
}

export interface MultiplicativeLROptions extends EpochSchedulerOptions {
  /** One function for every group, or one per group: epoch → factor applied to the current lr. */
  lrLambda: LrLambda | LrLambda[];
}

/**
 * Multiply each group's learning rate by `lrLambda(epoch)` every epoch (from epoch 1 on).
 *
 * @example
 * ```ts
 * const scheduler = new MultiplicativeLR(opt, { lrLambda: () => 0.95 });
 * ```
 */
export class MultiplicativeLR extends LambdaScheduler {
  constructor(optimizer: Optimizer<any>, options: MultiplicativeLROptions) {
    super('MultiplicativeLR', optimizer, options);
  }

  protected getLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return this.groups.map((g) => g.lr);
  }
}
