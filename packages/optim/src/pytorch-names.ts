/**
 * Optimiser state dicts in PyTorch's spelling. The layout is the same as PyTorch's (`state` by
 * parameter index, then `param_groups`), but Tensile writes its names in camelCase
 * (`weightDecay`, `expAvg`) where PyTorch uses snake_case (`weight_decay`, `exp_avg`), and
 * PyTorch keeps its scalar state (`step`, ASGD's `eta` and `mu`, NAdam's `mu_product`) as 0-d
 * tensors where Tensile keeps numbers. `loadStateDict` reads either spelling, and
 * `toPyTorchStateDict` writes PyTorch's, for `torch.load` and `optimizer.load_state_dict`.
 */
import { Tensor } from '@tensile/core';
import type { OptimizerStateDict, PackedGroup, ParamState } from './optimizer.js';

/** An optimizer state dict as PyTorch spells it: `state` a Map, so its parameter indices save as Python ints. */
export interface PyTorchOptimizerStateDict {
  state: Map<number, ParamState>;
  param_groups: PackedGroup[];
}

/** State entries Tensile keeps as numbers, which PyTorch 1.12 and later keep as 0-d tensors. */
const SCALAR_STATE = new Set(['step', 'eta', 'mu', 'muProduct']);

const camelCase = (name: string): string => name.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function renamed<V>(entries: Record<string, V>, rename: (key: string) => string): Record<string, V> {
  return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k === 'params' ? k : rename(k), v]));
}

/**
 * A state dict in Tensile's spelling, from either spelling: snake_case names camelCased, and
 * 0-d scalar-state tensors read into numbers (which needs a backend that reads synchronously:
 * parse a checkpoint on cpu, the default, and loadStateDict moves the state to the parameters).
 */
export function fromPyTorchNames(op: string, stateDict: OptimizerStateDict | PyTorchOptimizerStateDict): OptimizerStateDict {
  const state: Record<number, ParamState> = {};
  for (const [index, entry] of stateDict.state instanceof Map ? [...stateDict.state] : Object.entries(stateDict.state)) {
    if (entry === null || typeof entry !== 'object') throw new Error(`${op}: state[${index}] must be an object of state values`);
    const converted: ParamState = {};
    for (const [key, value] of Object.entries(renamed(entry as ParamState, camelCase))) {
      if (SCALAR_STATE.has(key) && value instanceof Tensor && value.size === 1) {
        if (!value.backend.readSync) {
          throw new Error(`${op}: state[${index}].${key} is a tensor on '${value.device}', which reads asynchronously; load the checkpoint on cpu (parseTorchCheckpoint's default device)`);
        }
        converted[key] = Number(value.dataSync()[0]);
      } else {
        converted[key] = value;
      }
    }
    state[Number(index)] = converted;
  }
  return { state, param_groups: stateDict.param_groups.map((group) => renamed(group, camelCase) as PackedGroup) };
}

/**
 * A state dict (`optimizer.stateDict()`) with PyTorch's names, as PyTorch's
 * `optimizer.load_state_dict` takes it: save it with `saveTorchCheckpoint` (`@tensile/nn`).
 * `state` is a Map, so that its parameter indices are saved as Python ints (the keys
 * `load_state_dict` looks up). Tensors are the same handles (nothing is copied); scalar state
 * stays numbers, which PyTorch's optimisers accept.
 *
 * @example
 * ```ts
 * await saveTorchCheckpoint({ model: model.stateDict(), optimizer: toPyTorchStateDict(opt.stateDict()) }, 'ckpt.pt');
 * ```
 */
export function toPyTorchStateDict(stateDict: OptimizerStateDict): PyTorchOptimizerStateDict {
  if (stateDict === null || typeof stateDict !== 'object' || typeof stateDict.state !== 'object' || !Array.isArray(stateDict.param_groups)) {
    throw new TypeError("toPyTorchStateDict: expected an optimizer's stateDict(), an object with 'state' and 'param_groups'");
  }
  const state = new Map<number, ParamState>();
  for (const [index, entry] of Object.entries(stateDict.state)) state.set(Number(index), renamed(entry, snakeCase));
  return { state, param_groups: stateDict.param_groups.map((group) => renamed(group, snakeCase) as PackedGroup) };
}

/**
 * Scheduler fields whose PyTorch names are not their snake_case: PyTorch's private fields,
 * and the capitalised T_ of the cosine schedules. `milestones` and `schedulers` of
 * SequentialLR and ChainedScheduler are private there too (see `schedulerName`).
 */
const SCHEDULER_NAMES: Record<string, string> = {
  stepCount: '_step_count',
  lastLr: '_last_lr',
  schedulePhases: '_schedule_phases',
  annealStrategy: '_anneal_func_type',
  tMax: 'T_max',
  t0: 'T_0',
  tI: 'T_i',
  tMult: 'T_mult',
  tCur: 'T_cur',
};
const SCHEDULER_FIELDS = Object.fromEntries(Object.entries(SCHEDULER_NAMES).map(([ours, theirs]) => [theirs, ours]));
/**
 * What PyTorch's scheduler state dicts hold that Tensile's schedulers keep no field for: step
 * bookkeeping, and the functions PyTorch 1.13 pickled (a custom `scaleFn` or `lrLambda` stays
 * the scheduler's own, as in PyTorch).
 */
const PYTORCH_ONLY = new Set(['_get_lr_called_within_step', '_is_initial', 'anneal_func', '_scale_fn_ref', '_scale_fn_custom']);

/** Whether a state dict is SequentialLR's or ChainedScheduler's: the others' states nested. */
const isComposite = (stateDict: Record<string, unknown>): boolean => 'schedulers' in stateDict || '_schedulers' in stateDict;

function schedulerName(key: string, composite: boolean): string {
  if (composite && (key === 'milestones' || key === 'schedulers')) return `_${key}`;
  return SCHEDULER_NAMES[key] ?? snakeCase(key);
}

/** OneCycleLR's phases, whose values name param-group keys (`'initialLr'`, `'initial_lr'`). */
function renamedPhases(phases: unknown, rename: (key: string) => string): unknown {
  if (!Array.isArray(phases)) return phases;
  return phases.map((phase: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(phase).map(([k, v]) => [rename(k), typeof v === 'string' ? rename(v) : v])),
  );
}

/**
 * A scheduler's `stateDict()` with PyTorch's names, as PyTorch's `scheduler.load_state_dict`
 * takes it: save it with `saveTorchCheckpoint` (`@tensile/nn`) beside the optimizer's
 * {@link toPyTorchStateDict}. MultiStepLR's milestones become the counts PyTorch keeps (a Map,
 * saved as a dict), the nested states of SequentialLR and ChainedScheduler are renamed too.
 *
 * @example
 * ```ts
 * await saveTorchCheckpoint({ optimizer: toPyTorchStateDict(opt.stateDict()), scheduler: toPyTorchSchedulerStateDict(scheduler.stateDict()) }, 'ckpt.pt');
 * ```
 */
export function toPyTorchSchedulerStateDict(stateDict: Record<string, unknown>): Record<string, unknown> {
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict) || !('lastEpoch' in stateDict || 'lastLr' in stateDict)) {
    throw new TypeError("toPyTorchSchedulerStateDict: expected a scheduler's stateDict(), an object with 'lastEpoch' or 'lastLr'");
  }
  const composite = isComposite(stateDict);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stateDict)) {
    let converted = value;
    if (key === 'schedulePhases') converted = renamedPhases(value, snakeCase);
    else if (composite && key === 'schedulers') converted = (value as Record<string, unknown>[]).map(toPyTorchSchedulerStateDict);
    else if (!composite && key === 'milestones' && Array.isArray(value)) {
      const counts = new Map<number, number>();
      for (const m of value as number[]) counts.set(m, (counts.get(m) ?? 0) + 1);
      converted = counts;
    }
    out[schedulerName(key, composite)] = converted;
  }
  return out;
}

/**
 * A scheduler state dict in Tensile's names, from either spelling: PyTorch's renamed (its
 * bookkeeping and pickled functions dropped), MultiStepLR's milestone counts expanded into the
 * list Tensile keeps. A state dict in Tensile's names comes back unchanged.
 */
export function fromPyTorchSchedulerNames(stateDict: Record<string, unknown>): Record<string, unknown> {
  if (stateDict === null || typeof stateDict !== 'object') return stateDict;
  const keys = Object.keys(stateDict);
  if (!keys.some((k) => k.includes('_'))) return stateDict;
  const composite = isComposite(stateDict);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stateDict)) {
    if (PYTORCH_ONLY.has(key)) continue;
    const name = composite && (key === '_milestones' || key === '_schedulers') ? key.slice(1) : (SCHEDULER_FIELDS[key] ?? camelCase(key));
    let converted = value;
    if (name === 'schedulePhases') converted = renamedPhases(value, camelCase);
    else if (composite && name === 'schedulers' && Array.isArray(value)) converted = value.map(fromPyTorchSchedulerNames);
    else if (!composite && name === 'milestones' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // PyTorch's Counter (read as a dict or Map): each milestone as many times as it counts.
      const entries = value instanceof Map ? [...value] : Object.entries(value);
      converted = entries.flatMap(([m, count]) => Array.from({ length: Number(count) }, () => Number(m))).sort((a, b) => a - b);
    }
    out[name] = converted;
  }
  return out;
}
