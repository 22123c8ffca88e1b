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
