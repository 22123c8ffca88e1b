/**
 * The machinery behind weight norm, spectral norm and pruning: a parameter `name` of a
 * module is replaced by other parameters/buffers (`name_g`/`name_v`, `name_orig`/`name_u`/
 * `name_v`, `name_orig`/`name_mask`), and a forward pre-hook recomputes the tensor the layer
 * reads under `name` before each forward, as PyTorch's `torch.nn.utils` does. The state lives
 * on the module (so `clone()` copies it); one hook per module serves every parametrization.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Buffer, Module, Parameter } from '../module.js';

export type ReparamKind = 'weightNorm' | 'spectralNorm' | 'prune';

export interface Reparam {
  kind: ReparamKind;
  /** The field the layer reads (usually equal to the state name). */
  key: string;
  /** weightNorm: the dim kept (-1 for none); spectralNorm: the dim moved first. */
  dim?: number;
  nPowerIterations?: number;
  eps?: number;
  /** prune: the methods applied so far (PyTorch's PruningContainer history), for messages. */
  methods?: string[];
}

interface ReparamState {
  hooked: boolean;
  entries: Record<string, Reparam>;
}

const STATE = Symbol('tensile.nn.reparametrizations');

/** The module's parametrizations, by state name (read-only view). */
export function reparamsOf(module: Module): Record<string, Reparam> {
  return (module as unknown as { [STATE]?: ReparamState })[STATE]?.entries ?? {};
}

function stateOf(module: Module): ReparamState {
  const self = module as unknown as { [STATE]?: ReparamState };
  if (!self[STATE]) {
    Object.defineProperty(module, STATE, { value: { hooked: false, entries: {} }, enumerable: false, configurable: true, writable: true });
  }
  return self[STATE]!;
}

/** The field holding parameter `name` of `module` (a direct member). */
export function fieldOf(fn: string, module: Module, name: string): { key: string; param: Parameter } {
  if (!(module instanceof Module)) throw new TypeError(`${fn}: expected a Module, got ${module === null ? 'null' : typeof module}`);
  if (typeof name !== 'string' || name.includes('.')) throw new Error(`${fn}: name must be a parameter of the module itself (no dots), got '${String(name)}'`);
  const param = module.getParameter(name);
  const self = module as unknown as Record<string, unknown>;
  const key = Object.keys(module).find((k) => self[k] === param);
  if (key === undefined) throw new Error(`${fn}: parameter '${name}' of ${module.constructor.name} is not a field, so it cannot be replaced`);
  return { key, param };
}

/**
 * Add a parametrization of `name`, after the caller registered its parameters and buffers;
 * the field gets the parametrized value now, unless `computeNow` is false (spectral norm,
 * whose caller writes the unnormalised weight, as PyTorch does until the first forward).
 */
export function addReparam(fn: string, module: Module, name: string, entry: Reparam, computeNow = true): void {
  const state = stateOf(module);
  if (state.entries[name]) {
    const what = { weightNorm: 'weight_norm', spectralNorm: 'spectral_norm', prune: 'pruning' }[state.entries[name].kind];
    throw new Error(`${fn}: ${name} already has a ${what} reparametrization; remove it first`);
  }
  state.entries[name] = entry;
  if (!state.hooked) {
    // One pre-hook per module; it reads the parametrizations of the module it is called on,
    // so a clone() (which copies the hook and this state) recomputes its own tensors.
    state.hooked = true;
    module.registerForwardPreHook((m: Module) => {
      for (const n of Object.keys(reparamsOf(m))) recompute(m, n);
    });
  }
  if (computeNow) recompute(module, name, false);
}

/** Drop the parametrization of `name` (the caller restores the parameter). */
export function dropReparam(module: Module, name: string): Reparam {
  const state = stateOf(module);
  const entry = state.entries[name];
  delete state.entries[name];
  return entry;
}

/** Dispose the tensor a parametrization wrote under `key` (not a parameter or buffer). */
export function disposeComputed(module: Module, key: string): void {
  const current = (module as unknown as Record<string, unknown>)[key];
  if (current instanceof tl.Tensor && !(current instanceof Parameter) && !(current instanceof Buffer)) current.dispose();
}

/**
 * Remove a member field a parametrization added. Buffers are freed; parameters are only
 * deregistered, as in PyTorch, since an optimiser may still hold them (the GC frees them).
 */
export function deleteField(module: Module, key: string): void {
  const value = (module as unknown as Record<string, unknown>)[key];
  if (value instanceof Buffer) value.dispose();
  delete (module as unknown as Record<string, unknown>)[key];
}

/** A new Parameter holding a copy-free detached view of `t`'s values. */
export function parameterOf(t: Tensor): Parameter {
  const d = t.detach();
  const p = new Parameter(d);
  d.dispose();
  return p;
}

/** Re-add a field at the end of the member order, as PyTorch re-registers a removed parameter. */
export function resetField(module: Module, key: string, value: unknown): void {
  delete (module as unknown as Record<string, unknown>)[key];
  Object.defineProperty(module, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Undo a weight or spectral norm (`entry`, checked by the caller): `module[name]` becomes a new
 * parameter holding the value computed now (re-registered last, as PyTorch), and the members
 * the parametrization added (`added`, their names) go.
 */
export function restoreParameter(module: Module, name: string, entry: Reparam, added: readonly string[]): void {
  recompute(module, name, false);
  const computed = (module as unknown as Record<string, Tensor>)[entry.key];
  const weight = parameterOf(computed);
  disposeComputed(module, entry.key);
  dropReparam(module, name);
  for (const key of added) deleteField(module, key);
  resetField(module, entry.key, weight);
}

/** The 2-norm of `v` over every dim but `dim`, keeping dims (PyTorch's `norm_except_dim`); over all for -1. */
export function normExceptDim(v: Tensor, dim: number): Tensor {
  if (dim === -1) return v.square().sum().sqrt();
  const others = v.shape.map((_, i) => i).filter((i) => i !== dim);
  return others.length ? v.square().sum(others, true).sqrt() : v.abs();
}

/** `w` as a matrix with `dim` first: `[w.shape[dim], rest]` (spectral norm's weight matrix). */
export function weightMatrix(w: Tensor, dim: number): Tensor {
  const moved = dim === 0 ? w : w.permute([dim, ...w.shape.map((_, i) => i).filter((i) => i !== dim)]);
  return moved.reshape([w.shape[dim], -1]);
}

/** x / max(‖x‖, eps) (PyTorch's `F.normalize` of a vector). */
export function normalizeVector(x: Tensor, eps: number): Tensor {
  return x.div(x.square().sum().sqrt().clamp(eps));
}

/** The tensor a parametrization gives for `name` now. */
function compute(module: Module, name: string, entry: Reparam, powerIteration: boolean): Tensor {
  switch (entry.kind) {
    case 'weightNorm': {
      const g = module.getParameter(`${name}_g`);
      const v = module.getParameter(`${name}_v`);
      return v.mul(g.div(normExceptDim(v, entry.dim!)));
    }
    case 'spectralNorm': {
      const orig = module.getParameter(`${name}_orig`);
      const u = module.getBuffer(`${name}_u`);
      const v = module.getBuffer(`${name}_v`);
      const mat = weightMatrix(orig, entry.dim!);
      if (powerIteration && entry.nPowerIterations! > 0) {
        tl.noGrad(() =>
          tl.tidy(() => {
            let uu: Tensor = u;
            let vv: Tensor = v;
            for (let i = 0; i < entry.nPowerIterations!; i++) {
              vv = normalizeVector(mat.t().matmul(uu), entry.eps!);
              uu = normalizeVector(mat.matmul(vv), entry.eps!);
            }
            v.assign(vv);
            u.assign(uu);
          }),
        );
      }
      const sigma = u.mul(mat.matmul(v)).sum();
      return orig.div(sigma);
    }
    case 'prune': {
      const orig = module.getParameter(`${name}_orig`);
      const mask = module.getBuffer(`${name}_mask`);
      return orig.mul(mask.cast(orig.dtype));
    }
  }
}

/** Recompute `name` and write it into its field (kept alive until the next recompute). */
export function recompute(module: Module, name: string, powerIteration = module.training): void {
  const entry = reparamsOf(module)[name];
  if (!entry) return;
  const value = tl.keep(tl.tidy(() => compute(module, name, entry, powerIteration)));
  disposeComputed(module, entry.key);
  (module as unknown as Record<string, unknown>)[entry.key] = value;
}
