/**
 * `nn.utils.prune`: PyTorch's `torch.nn.utils.prune`. Pruning `module[name]` replaces the
 * parameter by `name_orig` (the same Parameter object) and a buffer `name_mask`, and
 * recomputes `module[name] = name_orig · name_mask` before each forward; pruning again
 * combines masks (each new amount applies to what is still unpruned, as PyTorch's
 * PruningContainer); `remove` makes the pruning permanent.
 *
 * One difference in spelling: PyTorch tells a fraction (`0.3`, a float) from a count (`3`,
 * an int); JavaScript has one number type, so `amount` is a fraction in [0, 1] and a count
 * is `{ count: 3 }`.
 *
 * Masks are computed on the host from the values (sorting), so pruning needs a backend that
 * reads synchronously (cpu, wasm, cuda); the masked forward then runs anywhere.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import type { Module, Parameter } from '../module.js';
import { addReparam, deleteField, disposeComputed, dropReparam, fieldOf, recompute, reparamsOf, resetField } from './reparametrize.js';

/** How much to prune: a fraction of the (still unpruned) entries, or `{ count }` of them. */
export type PruneAmount = number | { count: number };

/** A norm order for `lnStructured`: p (a positive number), `Infinity`, `-Infinity`, or `'fro'` (2). */
export type NormOrder = number | 'fro';

function readSync(fn: string, t: Tensor): Float64Array {
  if (!t.backend.readSync) {
    throw new Error(`${fn}: computing a pruning mask reads values synchronously, which backend '${t.device}' cannot; prune on cpu or wasm, then move the model`);
  }
  return Float64Array.from(t.dataSync());
}

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** PyTorch's `_compute_nparams_toprune` with its validation. */
function toPrune(fn: string, amount: PruneAmount, size: number): number {
  if (typeof amount === 'number') {
    if (!(amount >= 0 && amount <= 1)) {
      throw new Error(
        `${fn}: amount=${amount} should be a fraction in the range [0, 1]` +
          (Number.isInteger(amount) && amount > 1 ? `; for a number of parameters pass { count: ${amount} }` : ''),
      );
    }
    return roundHalfEven(amount * size);
  }
  if (amount === null || typeof amount !== 'object' || !Number.isInteger(amount.count) || amount.count < 0) {
    throw new Error(`${fn}: amount must be a fraction in [0, 1] or { count } with a non-negative integer count, got ${JSON.stringify(amount)}`);
  }
  if (amount.count > size) throw new Error(`${fn}: amount=${amount.count} should be smaller than the number of parameters to prune=${size}`);
  return amount.count;
}

/** Indices of `values` sorted ascending (ties by index, so masks are deterministic). */
function ascending(values: ArrayLike<number>, indices: number[]): number[] {
  return [...indices].sort((a, b) => values[a] - values[b] || a - b);
}

/** The mask currently applied to `name` (ones when not pruned yet), on the host. */
function currentMask(fn: string, module: Module, name: string, size: number): Float64Array {
  const entry = reparamsOf(module)[name];
  if (!entry) return new Float64Array(size).fill(1);
  if (entry.kind !== 'prune') throw new Error(`${fn}: '${name}' is already reparametrized by ${entry.kind}`);
  return readSync(fn, module.getBuffer(`${name}_mask`));
}

/** The parameter being pruned: name_orig once pruned, else name itself. */
function original(fn: string, module: Module, name: string): Parameter {
  return reparamsOf(module)[name]?.kind === 'prune' ? module.getParameter(`${name}_orig`) : fieldOf(fn, module, name).param;
}

/** Write `mask` (combined by the caller) and set up the reparametrization on first use. */
function applyMask(fn: string, module: Module, name: string, mask: Float64Array, method: string): Module {
  const entry = reparamsOf(module)[name];
  if (entry) {
    const buffer = module.getBuffer(`${name}_mask`);
    tl.noGrad(() => tl.tidy(() => buffer.assign(tl.tensor(Float32Array.from(mask), { device: buffer.device }).reshape(buffer.shape))));
    entry.methods!.push(method);
    recompute(module, name, false);
    return module;
  }
  const { key, param } = fieldOf(fn, module, name);
  const maskTensor = tl.tidy(() => tl.tensor(Float32Array.from(mask), { device: param.device }).reshape(param.shape));
  (module as unknown as Record<string, unknown>)[key] = null;
  module.registerParameter(`${name}_orig`, param);
  module.registerBuffer(`${name}_mask`, maskTensor);
  maskTensor.dispose();
  addReparam(fn, module, name, { kind: 'prune', key, methods: [method] });
  return module;
}

/** Unstructured pruning on the host: zero `k` of the still-unpruned entries chosen by `scores` (smallest first). */
function unstructured(fn: string, module: Module, name: string, amount: PruneAmount, scores: (orig: Parameter, size: number) => ArrayLike<number>, method: string): Module {
  const orig = original(fn, module, name);
  const mask = currentMask(fn, module, name, orig.size);
  const remaining = [...mask.keys()].filter((i) => mask[i] !== 0);
  const k = toPrune(fn, amount, remaining.length);
  const s = scores(orig, orig.size);
  for (const i of ascending(s, remaining).slice(0, k)) mask[i] = 0;
  return applyMask(fn, module, name, mask, method);
}

/**
 * Zero the `amount` entries of `module[name]` with the smallest absolute value (PyTorch's
 * `l1_unstructured`), among those not pruned yet.
 *
 * @example
 * ```ts
 * nn.utils.prune.l1Unstructured(linear, 'weight', 0.3);
 * Object.keys(linear.stateDict()); // ['bias', 'weight_orig', 'weight_mask']
 * ```
 */
export function l1Unstructured<M extends Module>(module: M, name: string, amount: PruneAmount, options: { importanceScores?: Tensor } = {}): M {
  const fn = 'l1Unstructured';
  return unstructured(fn, module, name, amount, (orig) => readSync(fn, options.importanceScores ?? orig).map(Math.abs), 'L1Unstructured') as M;
}

/**
 * Zero `amount` randomly chosen entries of `module[name]` (PyTorch's `random_unstructured`),
 * among those not pruned yet, drawing core's generator (`tl.manualSeed`).
 *
 * @example
 * ```ts
 * nn.utils.prune.randomUnstructured(conv, 'weight', { count: 10 });
 * ```
 */
export function randomUnstructured<M extends Module>(module: M, name: string, amount: PruneAmount): M {
  return unstructured('randomUnstructured', module, name, amount, (_orig, size) => hostUniform(size), 'RandomUnstructured') as M;
}

/** `n` uniform draws of core's generator (what `tl.rand([n])` would give), on the host. */
function hostUniform(n: number): Float64Array {
  const { seed, offset } = tl.getRngState();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(tl.randomElement('uniform', seed, offset + i));
  tl.setRngState({ seed, offset: offset + n });
  return out;
}

function checkDim(fn: string, dim: number, t: Tensor): number {
  if (!Number.isInteger(dim) || dim < -t.rank || dim >= t.rank) throw new Error(`${fn}: dim ${dim} is out of range for a tensor of shape ${tl.formatShape(t.shape)}`);
  return dim < 0 ? dim + t.rank : dim;
}

/** Channel of each flat index along `dim`. */
function channelOf(shape: readonly number[], dim: number): (i: number) => number {
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  return (i) => Math.floor(i / inner) % shape[dim];
}

/** Structured pruning: remove whole channels along `dim`, the `amount` with the smallest scores, among channels still kept. */
function structured(fn: string, module: Module, name: string, amount: PruneAmount, dim: number, channelScores: (orig: Parameter, dim: number, channel: (i: number) => number) => Float64Array, method: string): Module {
  const orig = original(fn, module, name);
  const d = checkDim(fn, dim, orig);
  const mask = currentMask(fn, module, name, orig.size);
  const channel = channelOf(orig.shape, d);
  const channels = orig.shape[d];
  const kept = new Array<boolean>(channels).fill(false);
  mask.forEach((m, i) => {
    if (m !== 0) kept[channel(i)] = true;
  });
  const remaining = [...kept.keys()].filter((c) => kept[c]);
  const k = toPrune(fn, amount, remaining.length);
  const scores = channelScores(orig, d, channel);
  const pruned = new Set(ascending(scores, remaining).slice(0, k));
  mask.forEach((_, i) => {
    if (pruned.has(channel(i))) mask[i] = 0;
  });
  return applyMask(fn, module, name, mask, method);
}

/**
 * Remove the `amount` channels along `dim` of `module[name]` with the smallest L`n` norm
 * (PyTorch's `ln_structured`), among channels not pruned yet.
 *
 * @example
 * ```ts
 * nn.utils.prune.lnStructured(conv, 'weight', 0.5, 2, 0); // half the output channels, by L2 norm
 * ```
 */
export function lnStructured<M extends Module>(module: M, name: string, amount: PruneAmount, n: NormOrder, dim: number, options: { importanceScores?: Tensor } = {}): M {
  const fn = 'lnStructured';
  const p = n === 'fro' ? 2 : n;
  if (typeof p !== 'number' || !(p > 0 || p === -Infinity)) throw new Error(`lnStructured: n must be a positive number, Infinity, -Infinity or 'fro', got ${String(n)}`);
  return structured(fn, module, name, amount, dim, (orig, d, channel) => {
    const values = readSync(fn, options.importanceScores ?? orig);
    const channels = orig.shape[d];
    const acc = new Float64Array(channels).fill(p === Infinity ? 0 : p === -Infinity ? Infinity : 0);
    values.forEach((v, i) => {
      const c = channel(i);
      const a = Math.abs(v);
      if (p === Infinity) acc[c] = Math.max(acc[c], a);
      else if (p === -Infinity) acc[c] = Math.min(acc[c], a);
      else acc[c] += a ** p;
    });
    return Number.isFinite(p) ? acc.map((s) => s ** (1 / p)) : acc;
  }, 'LnStructured') as M;
}

/**
 * Remove `amount` random channels along `dim` of `module[name]` (PyTorch's
 * `random_structured`), among channels not pruned yet.
 *
 * @example
 * ```ts
 * nn.utils.prune.randomStructured(conv, 'weight', 0.25, 0);
 * ```
 */
export function randomStructured<M extends Module>(module: M, name: string, amount: PruneAmount, dim: number): M {
  return structured('randomStructured', module, name, amount, dim, (orig, d) => hostUniform(orig.shape[d]), 'RandomStructured') as M;
}

/**
 * Prune with a mask of ones, changing no value (PyTorch's `identity`): sets up `name_orig`
 * and `name_mask` for later use.
 *
 * @example
 * ```ts
 * nn.utils.prune.identity(linear, 'bias');
 * ```
 */
export function identity<M extends Module>(module: M, name: string): M {
  const orig = original('identity', module, name);
  const mask = reparamsOf(module)[name] ? currentMask('identity', module, name, orig.size) : new Float64Array(orig.size).fill(1);
  return applyMask('identity', module, name, mask, 'Identity') as M;
}

/**
 * Prune with a given mask (0 removes an entry; combined with any earlier mask), as
 * PyTorch's `custom_from_mask`.
 *
 * @example
 * ```ts
 * nn.utils.prune.customFromMask(linear, 'weight', tl.tensor([[1, 0], [0, 1]]));
 * ```
 */
export function customFromMask<M extends Module>(module: M, name: string, mask: Tensor): M {
  const fn = 'customFromMask';
  const orig = original(fn, module, name);
  if (!(mask instanceof tl.Tensor) || !tl.shapesEqual(mask.shape, orig.shape)) {
    throw new Error(`${fn}: the mask must be a tensor of the parameter's shape ${tl.formatShape(orig.shape)}, got ${mask instanceof tl.Tensor ? tl.formatShape(mask.shape) : typeof mask}`);
  }
  const given = readSync(fn, mask);
  const combined = currentMask(fn, module, name, orig.size).map((m, i) => (m !== 0 && given[i] !== 0 ? 1 : 0));
  return applyMask(fn, module, name, combined, 'CustomFromMask') as M;
}

/** Options of `globalUnstructured`. */
export interface GlobalPruneOptions {
  /** How entries are ranked across all the tensors: by |value| (default) or at random. */
  pruningMethod?: 'l1Unstructured' | 'randomUnstructured';
  amount: PruneAmount;
  /** Scores to rank by instead of the values, per [module, name] (in the same order). */
  importanceScores?: (Tensor | null)[];
}

/**
 * Prune across several tensors at once (PyTorch's `global_unstructured`): the `amount` entries
 * with the smallest scores over all of them together (so some tensors lose more than others).
 *
 * @example
 * ```ts
 * nn.utils.prune.globalUnstructured([[model.fc1, 'weight'], [model.fc2, 'weight']], { amount: 0.2 });
 * ```
 */
export function globalUnstructured(parameters: [Module, string][], options: GlobalPruneOptions): void {
  const fn = 'globalUnstructured';
  if (!Array.isArray(parameters) || parameters.length === 0) throw new Error(`${fn}: expected a non-empty array of [module, name] pairs`);
  for (const k of Object.keys(options)) {
    if (!['pruningMethod', 'amount', 'importanceScores'].includes(k)) throw new Error(`${fn}: unknown option '${k}'; supported: pruningMethod, amount, importanceScores`);
  }
  const method = options.pruningMethod ?? 'l1Unstructured';
  if (method !== 'l1Unstructured' && method !== 'randomUnstructured') throw new Error(`${fn}: pruningMethod must be 'l1Unstructured' or 'randomUnstructured', got '${String(method)}'`);
  const origs = parameters.map(([m, n]) => original(fn, m, n));
  const sizes = origs.map((o) => o.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const masks = parameters.map(([m, n], i) => currentMask(fn, m, n, sizes[i]));
  const mask = new Float64Array(total);
  const scores = new Float64Array(total);
  const random = method === 'randomUnstructured' ? hostUniform(total) : null;
  let at = 0;
  parameters.forEach(([m, n], i) => {
    // PyTorch ranks the pruned weights (orig · mask) when no scores are given.
    const values = random ? null : readSync(fn, options.importanceScores?.[i] ?? (m as unknown as Record<string, Tensor>)[reparamsOf(m)[n]?.key ?? fieldOf(fn, m, n).key]);
    for (let e = 0; e < sizes[i]; e++) {
      mask[at + e] = masks[i][e];
      scores[at + e] = random ? random[at + e] : Math.abs(values![e]);
    }
    at += sizes[i];
  });
  const remaining = [...mask.keys()].filter((i) => mask[i] !== 0);
  const k = toPrune(fn, options.amount, remaining.length);
  for (const i of ascending(scores, remaining).slice(0, k)) mask[i] = 0;
  at = 0;
  parameters.forEach(([m, n], i) => {
    applyMask(fn, m, n, mask.slice(at, at + sizes[i]), 'CustomFromMask');
    at += sizes[i];
  });
}

/**
 * Make the pruning of `module[name]` permanent (PyTorch's `remove`): the Parameter that was
 * `name_orig` takes the pruned values and is registered as `name` again (last, as PyTorch);
 * the mask and the hook's work go.
 *
 * @example
 * ```ts
 * nn.utils.prune.remove(linear, 'weight');
 * ```
 */
export function remove<M extends Module>(module: M, name: string): M {
  const entry = reparamsOf(module)[name];
  if (!entry || entry.kind !== 'prune') {
    throw new Error(`remove: parameter '${name}' of module ${module.constructor.name} has to be pruned before pruning can be removed`);
  }
  recompute(module, name, false);
  const orig = module.getParameter(`${name}_orig`);
  const pruned = (module as unknown as Record<string, Tensor>)[entry.key];
  tl.noGrad(() => orig.assign(pruned));
  disposeComputed(module, entry.key);
  dropReparam(module, name);
  delete (module as unknown as Record<string, unknown>)[`${name}_orig`];
  deleteField(module, `${name}_mask`);
  resetField(module, entry.key, orig);
  return module;
}

/**
 * Whether any part of `module` is pruned (PyTorch's `is_pruned`).
 *
 * @example
 * ```ts
 * nn.utils.prune.isPruned(model); // false
 * ```
 */
export function isPruned(module: Module): boolean {
  return module.modules().some((m) => Object.values(reparamsOf(m)).some((e) => e.kind === 'prune'));
}

