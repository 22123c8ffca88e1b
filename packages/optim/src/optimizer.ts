/**
 * The `Optimizer` base class: parameter groups, per-parameter state, `step()`, `zeroGrad()`,
 * and PyTorch-layout state dicts.
 *
 * Memory model: every update runs under `noGrad` inside its own `tidy`, writes the parameter
 * with `p.assign(...)`, and replaces (never mutates) state tensors: the new state tensor is
 * `keep`-ed and the old one disposed, so a training loop's `tl.memory()` stays flat.
 * float16 parameters are updated in float32, with float32 state, and rounded back.
 */
import { Tensor, enableGrad, formatShape, fullLike, keep, noGrad, tidy, zerosLike } from '@tensile/core';
import { fromPyTorchNames, type PyTorchOptimizerStateDict } from './pytorch-names.js';

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? (Symbol.for('Symbol.dispose') as typeof Symbol.dispose);

/**
 * A value in one parameter's optimiser state: tensors (moments, buffers), scalars (step), and
 * lists of either (LBFGS's history).
 */
export type StateValue = Tensor | number | boolean | Tensor[] | number[];

/** One parameter's optimiser state, e.g. `{ step: 3, expAvg: Tensor, expAvgSq: Tensor }`. */
export type ParamState = Record<string, StateValue>;

/** Hyper-parameters every optimiser has. */
export interface BaseOptions {
  lr: number;
}

/** A parameter group as passed in: its tensors plus any hyper-parameters overriding the defaults. */
export type ParamGroup<O extends BaseOptions = BaseOptions> = { params: Tensor[] } & Partial<O> & Record<string, unknown>;

/** What an optimiser's constructor takes first: the tensors to optimise, or parameter groups. */
export type OptimizerParams<O extends BaseOptions = BaseOptions> = Iterable<Tensor> | Iterable<ParamGroup<O>>;

/**
 * A parameter group as the optimiser holds it: every hyper-parameter filled in. Schedulers
 * change values here (`lr`, `momentum`, `betas`) and add their own keys (`initialLr`, ...).
 */
export type OptimizerGroup<O extends BaseOptions = BaseOptions> = O & { params: Tensor[]; [key: string]: unknown };

/** A group in a state dict: hyper-parameters plus the indices of its parameters. */
export type PackedGroup = Record<string, unknown> & { params: number[] };

/**
 * PyTorch's `state_dict()` layout: `state` keyed by parameter index (counting through the
 * groups in order), `param_groups` with the hyper-parameters and those indices.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: PackedGroup[];
}

function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Tensor)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyValue(v)]));
  }
  return value;
}

/** What a value is, for an error message about a misused argument: `undefined`, `number 5`, `a Linear`. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : `a ${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${formatValue(value)}`;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/**
 * PyTorch's switches that choose how an update runs rather than what it computes. Tensile
 * has one implementation of each optimiser, so each is accepted only at the value that
 * describes it (`false`, or `null` for `foreach`) and refused otherwise.
 */
const IMPLEMENTATION_FLAGS: Record<string, string> = {
  foreach: "Tensile updates one parameter at a time (PyTorch's foreach=False)",
  capturable: 'Tensile has no CUDA-graph capture',
  differentiable: 'Tensile does not record optimiser steps for autograd',
  fused: 'Tensile has no fused optimiser kernels',
};

/**
 * Every hyper-parameter name of the optimisers in this package. A parameter group that names
 * one its optimiser does not have (`momentum` in an Adam group) is refused rather than kept
 * and ignored; other extra keys (a group's `name`, a scheduler's `initialLr`) are kept, as in
 * PyTorch.
 */
const OPTIMIZER_OPTIONS = new Set([
  'lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize', 'betas', 'eps', 'amsgrad', 'alpha',
  'centered', 'lrDecay', 'initialAccumulatorValue', 'rho', 'lambd', 't0', 'momentumDecay', 'decoupledWeightDecay',
  'etas', 'stepSizes', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn',
]);

function cloneStateValue(value: StateValue): StateValue {
  if (value instanceof Tensor) return value.clone();
  if (Array.isArray(value)) return (value as (Tensor | number)[]).map((v) => (v instanceof Tensor ? v.clone() : v)) as StateValue;
  return value;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/** Every key of `defaults`, taken from `options` where the user gave it (`undefined` counts as absent). */
function withDefaults<O extends object>(options: Partial<O> | undefined, defaults: O): O {
  const filled = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof O)[]) filled[key] = options?.[key] ?? defaults[key];
  return filled;
}

/**
 * Base class of every optimiser. A subclass gives its name and defaults to this constructor and
 * updates one parameter in `updateParam` (called under `noGrad` inside a `tidy`, only for
 * parameters that have a gradient). `validateGroup` checks each hyper-parameter by its
 * default's type; a subclass with other rules (a range, a string, a pair) overrides it.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The hyper-parameters a group gets unless it names its own. */
  readonly defaults: O;
  /** The parameter groups, each with its own hyper-parameters. */
  readonly paramGroups: OptimizerGroup<O>[] = [];
  /** Per-parameter state (moments, momentum buffers, step counts). */
  readonly state = new Map<Tensor, ParamState>();
  /** See `name`. */
  private readonly optimizerName: string;
  /** What `validateGroup` checks each option against: `typeof` its default, as declared. */
  private readonly defaultTypes: Record<string, string>;

  /**
   * @param params the tensors to optimise, or parameter groups (`{ params, ...overrides }`).
   * @param defaults every hyper-parameter's default.
   * @param options the options object the user passed, if any: its values replace the
   *   defaults (`undefined` counts as absent), and a key that is not one of `defaults` is an
   *   error that names it (never silently ignored).
   * @param name the optimiser's name in error messages; default the class name (which a
   *   minifier may shorten, so the built-in optimisers pass theirs).
   */
  constructor(params: OptimizerParams<O>, defaults: O, options?: object, name: string = new.target.name) {
    this.optimizerName = name;
    this.defaultTypes = Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, typeof value]));
    this.defaults = copyValue(withDefaults(options as Partial<O> | undefined, defaults)) as O;
    if (options !== undefined) this.checkOptions(options);
    const list = this.paramList(params);
    if (list.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
    if (list.every((p) => p instanceof Tensor)) {
      this.addParamGroup({ params: list as Tensor[] } as ParamGroup<O>);
    } else if (list.every((g) => !(g instanceof Tensor) && typeof g === 'object' && g !== null)) {
      for (const group of list as ParamGroup<O>[]) this.addParamGroup(group);
    } else {
      throw new Error(`${this.name}: params must be a list of tensors or a list of parameter groups, not a mixture`);
    }
  }

  /**
   * `params` as an array, or a TypeError for what plain JavaScript can pass instead: a Module
   * itself (pointing at `model.parameters()`), a single tensor, a non-iterable, or an entry
   * that is neither a tensor nor a parameter group.
   */
  private paramList(params: unknown): (Tensor | ParamGroup<O>)[] {
    const expected = 'an iterable of tensors or of parameter groups';
    if (params instanceof Tensor) {
      throw new TypeError(`${this.name}: params must be ${expected}, got a single Tensor; wrap it in an array: [tensor]`);
    }
    if (typeof (params as { parameters?: unknown } | null)?.parameters === 'function') {
      throw new TypeError(`${this.name}: params must be ${expected}, got ${describeValue(params)}; pass model.parameters() to optimise a module`);
    }
    if (params === null || typeof (params as { [Symbol.iterator]?: unknown } | undefined)?.[Symbol.iterator] !== 'function' || typeof params === 'string') {
      throw new TypeError(`${this.name}: params must be ${expected}, got ${describeValue(params)}`);
    }
    const list = [...(params as Iterable<unknown>)];
    list.forEach((entry, i) => {
      if (!(entry instanceof Tensor) && (entry === null || typeof entry !== 'object')) {
        throw new TypeError(`${this.name}: params[${i}] is ${describeValue(entry)}, not a Tensor or a parameter group`);
      }
    });
    return list as (Tensor | ParamGroup<O>)[];
  }

  /** The optimiser's name, used in error messages. */
  get name(): string {
    return this.optimizerName;
  }

  /**
   * Check one group's (filled-in) hyper-parameters; throw naming the optimiser and the option.
   * By each default's type, in the defaults' order: a number is a finite number >= 0, a
   * boolean is true or false, `betas` is a pair in [0, 1). Any other default has no rule
   * here, so an optimiser that has one must override this.
   */
  protected validateGroup(group: OptimizerGroup<O>): void {
    for (const [option, type] of Object.entries(this.defaultTypes)) {
      if (option === 'betas') this.checkBetas(group);
      else if (type === 'number') this.checkNumber(group, option);
      else if (type === 'boolean') this.checkBoolean(group, option);
      else throw new Error(`${this.name}: option ${option} has no default check; ${this.name} must override validateGroup`);
    }
  }

  /** Update one parameter from its gradient. Runs under `noGrad` inside a `tidy`. */
  protected abstract updateParam(param: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<O>): void;

  /** Called for every parameter of a new group; optimisers with eager state (Adagrad) fill it here. */
  protected initParamState(_param: Tensor, _state: ParamState, _group: OptimizerGroup<O>): void {}

  /** Throw `${name}: invalid ${option} ${value}; expected ${expected}` unless `ok`. */
  protected check(ok: boolean, option: string, value: unknown, expected: string): void {
    if (!ok) throw new Error(`${this.name}: invalid ${option} ${formatValue(value)}; expected ${expected}`);
  }

  /** Check that `group[option]` is a finite number at least `min`. */
  protected checkNumber(group: Record<string, unknown>, option: string, min = 0): void {
    const value = group[option];
    this.check(typeof value === 'number' && Number.isFinite(value) && value >= min, option, value, `a number >= ${min}`);
  }

  /** Check that `group.betas` is a pair of numbers in [0, 1). */
  protected checkBetas(group: Record<string, unknown>): void {
    const betas = group.betas;
    this.check(Array.isArray(betas) && betas.length === 2, 'betas', betas, 'a pair [beta1, beta2]');
    const [b1, b2] = betas as unknown[];
    this.check(typeof b1 === 'number' && b1 >= 0 && b1 < 1, 'betas[0]', b1, 'a number in [0, 1)');
    this.check(typeof b2 === 'number' && b2 >= 0 && b2 < 1, 'betas[1]', b2, 'a number in [0, 1)');
  }

  /** Check that `group[option]` is a boolean. */
  protected checkBoolean(group: Record<string, unknown>, option: string): void {
    this.check(typeof group[option] === 'boolean', option, group[option], 'true or false');
  }

  /** The names this optimiser takes, for error messages. */
  private optionList(): string {
    return Object.keys(this.defaults).join(', ');
  }

  /** Refuse a PyTorch implementation switch at any value other than the one Tensile implements. */
  private checkImplementationFlag(key: string, value: unknown): void {
    const ok = value === undefined || value === false || (key === 'foreach' && value === null);
    if (!ok) throw new Error(`${this.name}: option ${key} ${formatValue(value)} is not supported: ${IMPLEMENTATION_FLAGS[key]}`);
  }

  /** Throw naming the first key of `options` that this optimiser does not take. */
  private checkOptions(options: object): void {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new Error(`${this.name}: options must be an object, got ${formatValue(options)}`);
    }
    for (const [key, value] of Object.entries(options)) {
      if (key in this.defaults || value === undefined) continue;
      if (key in IMPLEMENTATION_FLAGS) {
        this.checkImplementationFlag(key, value);
        continue;
      }
      const camel = camelCase(key);
      const hint = camel !== key && camel in this.defaults ? ` (did you mean '${camel}'?)` : '';
      throw new Error(`${this.name}: unknown option '${key}'${hint}; ${this.name} takes ${this.optionList()}`);
    }
  }

  /** Throw naming a group key that is some optimiser's hyper-parameter but not this one's. */
  private checkGroupKeys(group: Record<string, unknown>, index: number): void {
    for (const [key, value] of Object.entries(group)) {
      if (key === 'params' || key in this.defaults) continue;
      if (key in IMPLEMENTATION_FLAGS) {
        this.checkImplementationFlag(key, value);
        continue;
      }
      const camel = camelCase(key);
      if (camel !== key && camel in this.defaults) {
        throw new Error(`${this.name}: parameter group ${index} has option '${key}' (did you mean '${camel}'?)`);
      }
      if (OPTIMIZER_OPTIONS.has(key)) {
        throw new Error(
          `${this.name}: parameter group ${index} has option '${key}', which ${this.name} does not take; ` +
            `${this.name} takes ${this.optionList()}`,
        );
      }
    }
  }

  /**
   * Add a group of parameters, with hyper-parameters that override the defaults. Useful for
   * fine-tuning: unfreeze layers and add them as training goes on.
   */
  addParamGroup(group: ParamGroup<O>): void {
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new Error(`${this.name}: a parameter group must be an object with a 'params' list`);
    }
    this.checkGroupKeys(group, this.paramGroups.length);
    const params = group.params instanceof Tensor ? [group.params] : [...(group.params as Iterable<Tensor>)];
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${this.name}: params[${i}] is not a Tensor`);
      if (p.isDisposed) throw new Error(`${this.name}: params[${i}] was disposed`);
      if (!p.isLeaf) throw new Error(`${this.name}: params[${i}] is not a leaf tensor (made by an op); optimise leaves`);
      if (p.dtype !== 'float32' && (p.dtype as string) !== 'float16') {
        throw new Error(`${this.name}: params[${i}] is ${p.dtype}; only floating-point tensors can be optimised`);
      }
      if (seen.has(p)) throw new Error(`${this.name}: params[${i}] appears twice in the same parameter group`);
      seen.add(p);
    });
    for (const other of this.paramGroups) {
      if (other.params.some((p) => seen.has(p))) {
        throw new Error(`${this.name}: some parameters appear in more than one parameter group`);
      }
    }
    const filled: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(group)) {
      if (key !== 'params' && !(key in IMPLEMENTATION_FLAGS)) filled[key] = copyValue(value);
    }
    for (const [key, value] of Object.entries(this.defaults)) if (filled[key] === undefined) filled[key] = copyValue(value);
    filled.params = params;
    const full = filled as OptimizerGroup<O>;
    this.validateGroup(full);
    this.paramGroups.push(full);
    for (const p of params) {
      const state: ParamState = {};
      noGrad(() => this.initParamState(p, state, full));
      if (Object.keys(state).length > 0) this.state.set(p, state);
    }
  }

  /** Drop every parameter's gradient (`p.grad = null`); with `setToNone = false`, fill them with zeros. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (setToNone) p.grad = null;
        else noGrad(() => tidy(() => void grad.assign(zerosLike(grad))));
      }
    }
  }

  /**
   * Update every parameter that has a gradient. A `closure` (which recomputes the loss and
   * calls `backward()`) runs first, with gradients on; its result is returned.
   */
  step<T = void>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (grad === null) continue;
          let state = this.state.get(p);
          if (!state) {
            state = {};
            this.state.set(p, state);
          }
          const s = state;
          tidy(() => {
            if (p.dtype === 'float16') this.updateInFloat32(p, grad, s, group);
            else this.updateParam(p, grad, s, group);
          });
        }
      }
    });
    return loss;
  }

  /**
   * `updateParam` for a float16 parameter, in float32 with float32 state, as mixed-precision
   * training keeps it: in float16, Adam's `eps` (1e-8) is 0, so a zero gradient steps by 0/0,
   * and a second moment `(1 - β2)·g²` underflows for any |g| below about 8e-3, which grows
   * every later step by √t (fine-tuning GPT-2 in float16 diverged). PyTorch keeps such state
   * in the parameter's dtype; a float16 state loaded from a state dict is widened here.
   */
  private updateInFloat32(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<O>): void {
    const wide = p.float();
    const wideState: ParamState = {};
    for (const [key, value] of Object.entries(state)) wideState[key] = value instanceof Tensor ? value.float() : value;
    const copies = { ...wideState }; // the tidy frees the float32 copies nothing replaced
    this.updateParam(wide, grad.float(), wideState, group);
    p.assign(wide.half());
    for (const [key, value] of Object.entries(wideState)) {
      if (!(value instanceof Tensor)) state[key] = value;
      else if (value !== copies[key]) {
        // A new state tensor (setState kept it) replaces the old one.
        const old = state[key];
        state[key] = value;
        if (old instanceof Tensor) old.dispose();
      }
    }
  }

  /**
   * Store `value` as `state[key]`: keep it past the enclosing `tidy` and dispose the tensor it
   * replaces. Never pass a tensor that something else owns (such as `p.grad`); clone it.
   */
  protected setState(state: ParamState, key: string, value: Tensor): Tensor {
    const old = state[key];
    if (old === value) return value;
    keep(value);
    state[key] = value;
    if (old instanceof Tensor) old.dispose();
    return value;
  }

  /** Count one more step in `state.step` and return the new count (1 on the first step). */
  protected nextStep(state: ParamState): number {
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    return step;
  }

  /** The gradient after `maximize` (negated) and L2 weight decay (`+ weightDecay * p`). */
  protected l2Gradient(p: Tensor, grad: Tensor, options: { weightDecay: number; maximize: boolean }): Tensor {
    const g = options.maximize ? grad.neg() : grad;
    return options.weightDecay !== 0 ? g.add(p, options.weightDecay) : g;
  }

  /** Store and return `state[key] = beta * state[key] + (1 - beta) * value` (zeros when absent). */
  protected updateAverage(state: ParamState, key: string, p: Tensor, beta: number, value: Tensor): Tensor {
    return this.setState(state, key, this.stateTensor(state, key, p).mul(beta).add(value, 1 - beta));
  }

  /** Store and return `state[key] = beta * state[key] + (1 - beta) * value²` (zeros when absent). */
  protected updateSquareAverage(state: ParamState, key: string, p: Tensor, beta: number, value: Tensor): Tensor {
    return this.setState(state, key, this.stateTensor(state, key, p).mul(beta).add(value.mul(1 - beta).mul(value)));
  }

  /**
   * The gradient and starting parameter after `maximize` and weight decay, shared by the
   * optimisers that offer both L2 and decoupled (AdamW-style) decay: decoupled decay scales the
   * parameter (`p * (1 - lr * weightDecay)`), L2 adds `weightDecay * p` to the gradient.
   */
  protected decayedGradient(
    p: Tensor,
    grad: Tensor,
    options: { lr: number; weightDecay: number; decoupledWeightDecay: boolean; maximize: boolean },
  ): { g: Tensor; start: Tensor } {
    const { lr, weightDecay, decoupledWeightDecay, maximize } = options;
    if (!decoupledWeightDecay) return { g: this.l2Gradient(p, grad, options), start: p };
    const g = maximize ? grad.neg() : grad;
    return { g, start: weightDecay !== 0 ? p.mul(1 - lr * weightDecay) : p };
  }

  /** `state[key]` as a tensor, or zeros shaped like `param` (freed by the enclosing tidy) if absent. */
  protected stateTensor(state: ParamState, key: string, param: Tensor, fill = 0): Tensor {
    const value = state[key];
    if (value instanceof Tensor) return value;
    return fullLike(param, fill);
  }

  /**
   * The optimiser's state in PyTorch's layout. Tensors in `state` are fresh copies that the
   * caller owns: dispose them (or call this inside `tl.tidy` and return what you keep).
   *
   * @example
   * ```ts
   * const saved = opt.stateDict();
   * other.loadStateDict(saved);
   * ```
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const param_groups = this.paramGroups.map((group) => {
      const packed: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(group)) if (key !== 'params') packed[key] = copyValue(value);
      packed.params = group.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed as PackedGroup;
    });
    const state: Record<number, ParamState> = {};
    noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined) continue;
        const packed: ParamState = {};
        for (const [key, value] of Object.entries(s)) packed[key] = cloneStateValue(value);
        state[i] = packed;
      }
    });
    return { state, param_groups };
  }

  /**
   * Load a state dict made by `stateDict()` (of an optimiser over parameters of the same
   * shapes, in the same group layout), or by PyTorch's `optimizer.state_dict()` (read from a
   * `torch.save` file: snake_case names and 0-d `step` tensors are accepted). Tensors are
   * copied; the dict stays the caller's.
   */
  loadStateDict(stateDict: OptimizerStateDict | PyTorchOptimizerStateDict): void {
    if (!stateDict?.param_groups || !Array.isArray(stateDict.param_groups) || typeof stateDict.state !== 'object' || stateDict.state === null) {
      throw new Error(`${this.name}.loadStateDict: expected an object with 'state' and 'param_groups'`);
    }
    const normalized = fromPyTorchNames(`${this.name}.loadStateDict`, stateDict);
    const saved = normalized.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new Error(
        `${this.name}.loadStateDict: the state dict has ${saved.length} parameter groups, the optimiser ${this.paramGroups.length}`,
      );
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((group, g) => {
      const params = this.paramGroups[g].params;
      if (!Array.isArray(group.params) || group.params.length !== params.length) {
        throw new Error(
          `${this.name}.loadStateDict: parameter group ${g} has ${group.params?.length ?? 0} parameters in the state dict, ` +
            `${params.length} in the optimiser`,
        );
      }
      group.params.forEach((index, i) => byIndex.set(index, params[i]));
    });
    // Validate everything before changing anything.
    const incoming = new Map<Tensor, ParamState>();
    for (const [key, value] of Object.entries(normalized.state)) {
      const p = byIndex.get(Number(key));
      if (!p) continue;
      for (const [name, v] of Object.entries(value)) {
        if (v instanceof Tensor) {
          if (v.isDisposed) throw new Error(`${this.name}.loadStateDict: state[${key}].${name} was disposed`);
          if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
            throw new Error(
              `${this.name}.loadStateDict: state[${key}].${name} is ${formatShape(v.shape)} but its parameter is ${formatShape(p.shape)}`,
            );
          }
        } else if (typeof v !== 'number' && typeof v !== 'boolean') {
          throw new Error(`${this.name}.loadStateDict: state[${key}].${name} must be a tensor, a number or a boolean`);
        }
      }
      incoming.set(p, value);
    }
    const groups = saved.map((group, g) => {
      const merged: Record<string, unknown> = { ...this.paramGroups[g] };
      for (const [key, value] of Object.entries(group)) if (key !== 'params') merged[key] = copyValue(value);
      merged.params = this.paramGroups[g].params;
      this.validateGroup(merged as OptimizerGroup<O>);
      return merged as OptimizerGroup<O>;
    });

    this.disposeState();
    noGrad(() => {
      for (const [p, value] of incoming) {
        const state: ParamState = {};
        for (const [name, v] of Object.entries(value)) {
          state[name] = v instanceof Tensor ? keep(v.device === p.device ? v.clone() : v.to(p.device)) : v;
        }
        this.state.set(p, state);
      }
    });
    groups.forEach((group, g) => {
      const target = this.paramGroups[g] as Record<string, unknown>;
      for (const key of Object.keys(target)) if (!(key in group)) delete target[key];
      Object.assign(target, group);
    });
  }

  /** Free every state tensor (the optimiser starts afresh on its next step). */
  disposeState(): void {
    for (const state of this.state.values()) {
      for (const value of Object.values(state)) {
        if (value instanceof Tensor) value.dispose();
        else if (Array.isArray(value)) for (const v of value) if (v instanceof Tensor) v.dispose();
      }
    }
    this.state.clear();
  }

  /** Free the optimiser's state tensors. The parameters are the caller's and stay alive. */
  dispose(): void {
    this.disposeState();
  }

  [disposeSymbol](): void {
    this.dispose();
  }
}
