/** The `LRScheduler` base class, PyTorch 1.13's `_LRScheduler` in its chainable (recursive) form. */
import { Optimizer, type BaseOptions, type OptimizerGroup } from '../optimizer.js';
import { fromPyTorchSchedulerNames } from '../pytorch-names.js';

/** A scheduler's state: every field except the optimiser (numbers, arrays, plain objects). */
export type SchedulerStateDict = Record<string, unknown>;

/** The param-group keys a scheduler reads and writes. */
export type ScheduledGroup = OptimizerGroup<BaseOptions> & { initialLr?: number };

/**
 * What `ChainedScheduler` chains and `SequentialLR` is: something stepped once per epoch (no
 * metric) that sets an optimiser's learning rates.
 */
export interface Scheduler {
  readonly optimizer: Optimizer<any>;
  step(): void;
  getLastLr(): number[];
  stateDict(): SchedulerStateDict;
  loadStateDict(stateDict: SchedulerStateDict): void;
}

/** The options every epoch-based scheduler takes besides its own. */
export interface EpochSchedulerOptions {
  /** Index of the last epoch (the last batch, for the per-batch schedulers) when resuming; default -1. */
  lastEpoch?: number;
  /** Print each learning-rate change; default false. */
  verbose?: boolean;
}

/**
 * A scheduler's fields, deep-copied, except the optimiser and the keys in `skip` (functions a
 * user gave, which stay the scheduler's own): the body of every `stateDict()`.
 */
export function stateFields(scheduler: object, skip: readonly string[] = []): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [key, value] of Object.entries(scheduler)) {
    if (key !== 'optimizer' && !skip.includes(key)) out[key] = structuredClone(value);
  }
  return out;
}

/** Copy fields saved by `stateFields` back into `scheduler` (never its optimiser). */
export function restoreFields(scheduler: object, stateDict: SchedulerStateDict): void {
  for (const [key, value] of Object.entries(stateDict)) {
    if (key !== 'optimizer') (scheduler as Record<string, unknown>)[key] = structuredClone(value);
  }
}

/**
 * What the schedulers that keep their state in their own fields share (`LRScheduler` and
 * `ReduceLROnPlateau`): `getLastLr()`, and a state dict of those fields.
 */
export abstract class SchedulerBase {
  /** The optimiser whose groups' `lr` this scheduler sets. */
  abstract readonly optimizer: Optimizer<any>;
  /** The learning rates set by the last `step()`. */
  protected abstract lastLr: number[];

  /** The learning rates the last `step()` set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Every field except the optimiser, deep-copied. */
  stateDict(): SchedulerStateDict {
    return stateFields(this);
  }

  /** Restore fields saved by `stateDict()`, or by PyTorch's `state_dict()` (its names are converted). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    restoreFields(this, fromPyTorchSchedulerNames(stateDict));
  }
}

/**
 * Base class of the epoch-based learning-rate schedulers. Construction performs PyTorch's
 * initial step (epoch 0), so the optimiser's groups already hold the first learning rate;
 * call `step()` once per epoch after `optimizer.step()`.
 *
 * A subclass sets its own fields, then calls `this.initialStep()` at the end of its
 * constructor, and computes the next learning rates in `getLr()` (reading `lastEpoch` and the
 * groups' current `lr`).
 *
 * @example
 * ```ts
 * const scheduler = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train();
 *   scheduler.step();
 * }
 * ```
 */
export abstract class LRScheduler extends SchedulerBase {
  /** The optimiser whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer<any>;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  /** The index of the last epoch; -1 before the initial step. */
  lastEpoch: number;
  /** How many times `step()` has run (including the initial step). */
  protected stepCount = 0;
  /** The learning rates set by the last `step()`. */
  protected lastLr: number[] = [];
  /** Print every learning-rate change, as PyTorch's `verbose=True` does. */
  verbose: boolean;

  constructor(optimizer: Optimizer<any>, lastEpoch = -1, verbose = false) {
    super();
    if (!(optimizer instanceof Optimizer)) {
      const got = optimizer as unknown;
      const kind = typeof got === 'object' && got !== null ? got.constructor?.name : typeof got;
      throw new TypeError(`${new.target.name}: expected an Optimizer, got ${kind}`);
    }
    this.optimizer = optimizer;
    const groups = this.groups;
    if (lastEpoch === -1) {
      for (const group of groups) if (group.initialLr === undefined) group.initialLr = group.lr;
    } else {
      groups.forEach((group, i) => {
        if (group.initialLr === undefined) {
          throw new Error(`${new.target.name}: param group ${i} has no 'initialLr', which resuming (lastEpoch != -1) needs`);
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    checkOption(Number.isInteger(lastEpoch) && lastEpoch >= -1, new.target.name, 'lastEpoch', lastEpoch, 'an integer >= -1');
    checkOption(typeof verbose === 'boolean', new.target.name, 'verbose', verbose, 'true or false');
    this.lastEpoch = lastEpoch;
    this.verbose = verbose;
  }

  /** The optimiser's parameter groups. */
  protected get groups(): ScheduledGroup[] {
    return this.optimizer.paramGroups as ScheduledGroup[];
  }

  /**
   * PyTorch's `_initial_step`: reset the step count and take a step. Constructors call it
   * once; `SequentialLR` calls it to restart its first scheduler.
   */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The learning rates for `lastEpoch` (already advanced), one per group. */
  protected abstract getLr(): number[];

  /**
   * The learning rates at `lastEpoch` computed from `baseLrs` alone (PyTorch's
   * `_get_closed_form_lr`), for schedulers that have such a form; used by `step(epoch)`.
   */
  protected closedFormLr?(): number[];

  /**
   * Advance one epoch and set every group's `lr`. With `epoch` (PyTorch's deprecated form,
   * which `SequentialLR` uses at its milestones), jump to that epoch instead: the closed form
   * where the scheduler has one, else its usual rule at that epoch.
   */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      checkOption(typeof epoch === 'number' && Number.isFinite(epoch), this.constructor.name, 'epoch', epoch, 'a number');
      this.lastEpoch = epoch;
      values = this.closedFormLr ? this.closedFormLr() : this.getLr();
    }
    this.setLrs(values, epoch);
  }

  /** Write `values` into the groups (printing them when `verbose`) and remember them. */
  protected setLrs(values: number[], epoch?: number): void {
    this.groups.forEach((group, i) => {
      group.lr = values[i];
      if (this.verbose) printLr(i, values[i], epoch);
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

/** Python's `'{:.4e}'`: four decimals and an exponent of at least two digits (`1.0000e-01`). */
export function formatLr(lr: number): string {
  return lr.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** PyTorch's `print_lr` line for a verbose scheduler. */
export function printLr(group: number, lr: number, epoch?: number): void {
  if (epoch === undefined) {
    console.log(`Adjusting learning rate of group ${group} to ${formatLr(lr)}.`);
  } else {
    const epochText = Number.isInteger(epoch) ? String(epoch).padStart(5, '0') : epoch.toFixed(2);
    console.log(`Epoch ${epochText}: adjusting learning rate of group ${group} to ${formatLr(lr)}.`);
  }
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/**
 * Throw naming the first key of `options` that `name` does not take (a PyTorch spelling gets
 * a hint), so that no option is silently ignored. `undefined` values count as absent.
 */
export function checkSchedulerOptions(name: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${name}: options must be an object, got ${String(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (allowed.includes(key) || value === undefined) continue;
    const camel = camelCase(key);
    const hint = camel !== key && allowed.includes(camel) ? ` (did you mean '${camel}'?)` : '';
    throw new Error(`${name}: unknown option '${key}'${hint}; ${name} takes ${allowed.join(', ')}`);
  }
}

/**
 * `checkSchedulerOptions` for a scheduler taking `ownOptions` plus `lastEpoch` and `verbose`,
 * then the base constructor's `lastEpoch` and `verbose` arguments, defaults filled in.
 */
export function epochArguments(name: string, options: (EpochSchedulerOptions & object) | undefined, ownOptions: readonly string[]): [number, boolean] {
  checkSchedulerOptions(name, options, [...ownOptions, 'lastEpoch', 'verbose']);
  return [options?.lastEpoch ?? -1, options?.verbose ?? false];
}

/** Throw `${name}: invalid ${option} ${value}; expected ${expected}` unless `ok`. */
export function checkOption(ok: boolean, name: string, option: string, value: unknown, expected: string): void {
  if (!ok) throw new Error(`${name}: invalid ${option} ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}; expected ${expected}`);
}

/** The kinds of value `checkOptionIs` checks, each named by the words its error message expects. */
const OPTION_KINDS = {
  'a number': (v: unknown) => typeof v === 'number' && Number.isFinite(v),
  'a number in (0, 1]': (v: unknown) => typeof v === 'number' && v > 0 && v <= 1,
  'a number in [0, 1]': (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1,
  'a positive number': (v: unknown) => typeof v === 'number' && v > 0,
  'a positive integer': (v: unknown) => Number.isInteger(v) && (v as number) > 0,
  'a non-negative integer': (v: unknown) => Number.isInteger(v) && (v as number) >= 0,
} satisfies Record<string, (value: unknown) => boolean>;

/** A kind of value `checkOptionIs` checks. */
export type OptionKind = keyof typeof OPTION_KINDS;

/** `checkOption` that `value` is of `kind`: `${name}: invalid ${option} ${value}; expected ${kind}`. */
export function checkOptionIs(name: string, option: string, value: unknown, kind: OptionKind): void {
  checkOption(OPTION_KINDS[kind](value), name, option, value, kind);
}

/** How a scheduler takes one of its own number options: the kind of value, and its default (none: required). */
export type NumberOption = readonly [kind: OptionKind, fallback?: number];

/**
 * Check a scheduler's own number options against `rules` (unknown keys first, then each rule
 * in order, defaults filled in); return their values and the base constructor's `lastEpoch`
 * and `verbose`.
 */
function numberOptions(
  name: string,
  options: (EpochSchedulerOptions & object) | undefined,
  rules: Record<string, NumberOption>,
): { values: Record<string, number>; lastEpoch: number; verbose: boolean } {
  const [lastEpoch, verbose] = epochArguments(name, options, Object.keys(rules));
  const values: Record<string, number> = {};
  for (const [option, [kind, fallback]] of Object.entries(rules)) {
    const value = (options as Record<string, unknown> | undefined)?.[option] ?? fallback;
    checkOptionIs(name, option, value, kind);
    values[option] = value as number;
  }
  return { values, lastEpoch, verbose };
}

/** The fields a `withNumberOptions` scheduler keeps: its own options, filled in. */
type OwnNumbers<O> = Required<Omit<O, keyof EpochSchedulerOptions>>;

/**
 * A base class for a scheduler whose own options are all numbers, given as data (`rules`:
 * each option's kind and default, in order): its constructor checks them before touching the
 * optimiser, keeps them as fields of the same names and takes the initial step, so the
 * subclass writes only `getLr` (and `closedFormLr`).
 *
 * @example
 * ```ts
 * class StepLR extends withNumberOptions<StepLROptions>('StepLR', { stepSize: ['a positive integer'], gamma: ['a number', 0.1] }) {
 *   protected getLr(): number[] { ... }
 * }
 * ```
 */
export function withNumberOptions<O extends EpochSchedulerOptions>(name: string, rules: { [K in keyof OwnNumbers<O>]: NumberOption }) {
  abstract class NumberOptionsScheduler extends LRScheduler {
    constructor(optimizer: Optimizer<any>, options?: O) {
      // Checked before super, so a bad option leaves the optimiser's groups untouched.
      const { values, lastEpoch, verbose } = numberOptions(name, options, rules);
      super(optimizer, lastEpoch, verbose);
      Object.assign(this, values);
      this.initialStep();
    }
  }
  // The fields are named by `rules` at run time, so the class's own type cannot list them: cast.
  return NumberOptionsScheduler as unknown as abstract new (
    optimizer: Optimizer<any>,
    ...options: {} extends O ? [options?: O] : [options: O]
  ) => LRScheduler & OwnNumbers<O>;
}
