/** `nn.utils.weightNorm` / `removeWeightNorm`: PyTorch's `torch.nn.utils.weight_norm`. */
import * as tl from '@tensile/core';
import { type Module, Parameter } from '../module.js';
import { addReparam, fieldOf, normExceptDim, reparamsOf, restoreParameter } from './reparametrize.js';

/**
 * Reparametrize `module[name]` as `g · v / ‖v‖` (Salimans & Kingma 2016), as PyTorch's
 * `weight_norm`: the parameter is replaced by `name_g` (the norm, over every dim but `dim`;
 * a scalar with `dim: null`) and `name_v` (the direction), and `module[name]` is recomputed
 * before each forward. State-dict keys match PyTorch's (`bias`, `weight_g`, `weight_v` for a
 * Linear). Build optimisers after applying it: `g` and `v` are new parameters.
 *
 * @example
 * ```ts
 * const layer = nn.utils.weightNorm(new Linear(20, 40));
 * Object.keys(layer.stateDict()); // ['bias', 'weight_g', 'weight_v']
 * ```
 */
export function weightNorm<M extends Module>(module: M, name = 'weight', dim: number | null = 0): M {
  const fn = 'weightNorm';
  if (reparamsOf(module)[name]) throw new Error(`${fn}: cannot register two weight_norm hooks on the same parameter ${name}`);
  const { key, param } = fieldOf(fn, module, name);
  let d = dim === null ? -1 : dim;
  if (!Number.isInteger(d) || d < -param.rank || d >= param.rank) {
    throw new Error(`${fn}: dim ${String(dim)} is out of range for ${name} of shape ${tl.formatShape(param.shape)}`);
  }
  if (d < -1) d += param.rank;
  const [g, v] = tl.noGrad(() => tl.tidy(() => [normExceptDim(param, d), param.clone()]));
  module.registerParameter(`${name}_g`, new Parameter(g));
  module.registerParameter(`${name}_v`, new Parameter(v));
  g.dispose();
  v.dispose();
  // The old parameter is deregistered (not freed: an optimiser may hold it); its field now
  // holds the computed weight, which is not a parameter.
  (module as unknown as Record<string, unknown>)[key] = null;
  addReparam(fn, module, name, { kind: 'weightNorm', key, dim: d });
  return module;
}

/**
 * Undo `weightNorm`: `module[name]` becomes a parameter again holding `g · v / ‖v‖`
 * (re-registered last, as PyTorch), and `name_g`, `name_v` go.
 *
 * @example
 * ```ts
 * nn.utils.removeWeightNorm(layer);
 * ```
 */
export function removeWeightNorm<M extends Module>(module: M, name = 'weight'): M {
  const entry = reparamsOf(module)[name];
  if (!entry || entry.kind !== 'weightNorm') throw new Error(`removeWeightNorm: weight_norm of '${name}' not found in ${module.constructor.name}`);
  restoreParameter(module, name, entry, [`${name}_g`, `${name}_v`]);
  return module;
}
