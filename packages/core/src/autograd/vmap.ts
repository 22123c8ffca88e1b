/**
 * `tl.func.vmap`: PyTorch's `torch.func.vmap`. It maps a function over a dim of its inputs and
 * stacks the results. Tensile has no batching rules yet, so `fn` runs once per sample, as
 * PyTorch does for an op without a batching rule. The results are PyTorch's, gradients
 * included, because every sample's graph reaches the inputs through `select` and leaves
 * through `stack`. Each sample runs in its own `tidy`, so what one sample makes is freed
 * before the next starts.
 */
import type { Tensor } from '../tensor/tensor.js';
import { tidy, tidyCreated, type Disposable } from '../memory.js';
import { defaultGenerator } from '../ops/generator.js';
import { stack } from '../ops/shape.js';

/** The dim each input is mapped over: a number, null (not mapped), or a structure matching the input. */
export type InDims = number | null | readonly InDims[] | { readonly [key: string]: InDims };

/** Where each output gets the mapped dim: a number, or a structure matching the output. */
export type OutDims = number | readonly OutDims[] | { readonly [key: string]: OutDims };

export interface VmapOptions {
  /** The dim of each positional argument to map over (default 0). Non-tensor inputs are passed to every sample. */
  inDims?: InDims;
  /** Where the mapped dim goes in each output (default 0). */
  outDims?: OutDims;
  /**
   * Random ops on the default stream inside `fn`: `'error'` (default, as PyTorch) refuses them,
   * `'different'` gives each sample its own draws, `'same'` gives every sample the same
   * draws. Ops given their own `tl.Generator` are not watched.
   */
  randomness?: 'error' | 'different' | 'same';
  /**
   * PyTorch's memory knob (samples per chunk). Tensile runs one sample at a time, which
   * `chunkSize` cannot change; a positive integer or null is accepted for ported code.
   */
  chunkSize?: number | null;
}

function isTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && typeof (value as Tensor).kernelView === 'object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** Every (tensor, dim) the in-dims map, with where it sits, checked. */
function mappedLeaves(value: unknown, dims: InDims, where: string, out: { tensor: Tensor; dim: number; where: string }[]): void {
  if (dims === null) return;
  if (typeof dims === 'number') {
    if (isTensor(value)) {
      if (!Number.isInteger(dims) || dims < -value.rank || dims >= value.rank) {
        throw new Error(`vmap: inDims ${dims} for ${where} is out of range for a tensor of rank ${value.rank}`);
      }
      out.push({ tensor: value, dim: dims < 0 ? dims + value.rank : dims, where });
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => mappedLeaves(v, dims, `${where}[${i}]`, out));
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) mappedLeaves(v, dims, `${where}.${k}`, out);
    return;
  }
  if (Array.isArray(dims)) {
    if (!Array.isArray(value) || value.length !== dims.length) {
      throw new Error(`vmap: inDims for ${where} is an array of ${dims.length}, but the input is ${Array.isArray(value) ? `an array of ${value.length}` : typeof value}`);
    }
    dims.forEach((d, i) => mappedLeaves(value[i], d, `${where}[${i}]`, out));
    return;
  }
  if (isPlainObject(dims)) {
    if (!isPlainObject(value)) throw new Error(`vmap: inDims for ${where} is an object, but the input is ${isTensor(value) ? 'a tensor' : typeof value}`);
    for (const [k, d] of Object.entries(dims)) {
      if (!(k in value)) throw new Error(`vmap: inDims names ${where}.${k}, which the input does not have`);
      mappedLeaves(value[k], d as InDims, `${where}.${k}`, out);
    }
    return;
  }
  throw new TypeError(`vmap: inDims must be a number, null, an array or an object, got ${typeof dims}`);
}

/** `value` with every mapped tensor replaced by its sample `i`. */
function sampleOf(value: unknown, dims: InDims, i: number): unknown {
  if (dims === null) return value;
  if (typeof dims === 'number') {
    if (isTensor(value)) return value.select(dims, i);
    if (Array.isArray(value)) return value.map((v) => sampleOf(v, dims, i));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sampleOf(v, dims, i)]));
    return value;
  }
  if (Array.isArray(dims)) return (value as unknown[]).map((v, j) => sampleOf(v, dims[j] as InDims, i));
  const object = value as Record<string, unknown>;
  const dimsOf = dims as Record<string, InDims>;
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, k in dimsOf ? sampleOf(v, dimsOf[k], i) : v]));
}

/** The samples' outputs stacked leaf by leaf, each along its out-dim. */
function stackOutputs(samples: unknown[], dims: OutDims, where: string): unknown {
  const first = samples[0];
  if (isTensor(first)) {
    if (typeof dims !== 'number') throw new Error(`vmap: outDims for ${where} must be a number, since the output is a tensor`);
    const rank = first.rank + 1;
    if (!Number.isInteger(dims) || dims < -rank || dims >= rank) throw new Error(`vmap: outDims ${dims} for ${where} is out of range for an output of rank ${rank}`);
    return stack(samples as Tensor[], dims);
  }
  if (Array.isArray(first)) {
    if (Array.isArray(dims) && dims.length !== first.length) throw new Error(`vmap: outDims for ${where} is an array of ${dims.length}, but the output is an array of ${first.length}`);
    return first.map((_, j) => stackOutputs(samples.map((s) => (s as unknown[])[j]), Array.isArray(dims) ? (dims[j] as OutDims) : dims, `${where}[${j}]`));
  }
  if (isPlainObject(first)) {
    return Object.fromEntries(
      Object.keys(first).map((k) => [k, stackOutputs(samples.map((s) => (s as Record<string, unknown>)[k]), isPlainObject(dims) ? (dims as Record<string, OutDims>)[k] ?? 0 : dims, `${where}.${k}`)]),
    );
  }
  throw new TypeError(`vmap: fn must return tensors (or arrays and objects of them), got ${first === null ? 'null' : typeof first} at ${where}`);
}

/**
 * `fn` mapped over a dim of its inputs (torch.func.vmap): `vmap(fn)(x)` is
 * `stack([fn(x[0]), fn(x[1]), ...])`. `inDims` picks each argument's mapped dim (null: passed
 * whole to every sample), `outDims` where the outputs' new dim goes. It composes with
 * `func.grad` (per-sample gradients) and with itself.
 *
 * @example
 * ```ts
 * const perSample = tl.func.vmap(tl.func.grad((w: tl.Tensor, x: tl.Tensor) => x.matmul(w).square().sum()), { inDims: [null, 0] });
 * perSample(w, batch); // one gradient per row of batch
 * ```
 */
export function vmap<A extends unknown[], R>(fn: (...args: A) => R, options: VmapOptions = {}): (...args: A) => R {
  if (typeof fn !== 'function') throw new TypeError(`vmap: expected a function, got ${typeof fn}`);
  if (options === null || typeof options !== 'object') throw new TypeError('vmap: options must be an object');
  for (const key of Object.keys(options)) {
    if (!['inDims', 'outDims', 'randomness', 'chunkSize'].includes(key)) throw new Error(`vmap: unknown option '${key}'; supported: inDims, outDims, randomness, chunkSize`);
  }
  const { inDims = 0, outDims = 0, randomness = 'error', chunkSize = null } = options;
  if (!['error', 'different', 'same'].includes(randomness)) throw new Error(`vmap: randomness must be 'error', 'different' or 'same', got ${String(randomness)}`);
  if (chunkSize !== null && !(Number.isInteger(chunkSize) && chunkSize > 0)) throw new Error(`vmap: chunkSize must be a positive integer or null, got ${String(chunkSize)}`);
  return (...args: A): R => {
    const perArg = Array.isArray(inDims) ? inDims : args.map(() => inDims);
    if (perArg.length !== args.length) throw new Error(`vmap: inDims has ${perArg.length} entries but fn got ${args.length} arguments`);
    const leaves: { tensor: Tensor; dim: number; where: string }[] = [];
    args.forEach((a, i) => mappedLeaves(a, perArg[i] as InDims, `argument ${i}`, leaves));
    if (leaves.length === 0) throw new Error('vmap: at least one input must be a tensor mapped over a dim (inDims maps nothing)');
    const sizes = leaves.map((l) => l.tensor.shape[l.dim]);
    if (sizes.some((s) => s !== sizes[0])) {
      throw new Error(`vmap: every mapped input needs the same size along its mapped dim, got ${leaves.map((l, i) => `${sizes[i]} (${l.where})`).join(', ')}`);
    }
    const n = sizes[0];
    if (n === 0) throw new Error('vmap: the mapped dim has size 0, so there is no sample to run fn on');
    const start = defaultGenerator.getState();
    const outputs: unknown[] = [];
    // What the samples made: freed once stacked (an output fn did not make, an input or a
    // tensor it closes over, is the caller's).
    const made = new Set<Disposable>();
    try {
      for (let i = 0; i < n; i++) {
        if (randomness === 'same') defaultGenerator.setState(start);
        const before = defaultGenerator.getState().offset;
        const { result, created } = tidyCreated(() => fn(...(args.map((a, j) => sampleOf(a, perArg[j] as InDims, i)) as A)));
        outputs.push(result);
        for (const t of created) made.add(t);
        if (randomness === 'error' && defaultGenerator.getState().offset !== before) {
          throw new Error("vmap: fn drew random numbers while randomness is 'error' (the default, as PyTorch); pass { randomness: 'different' } or { randomness: 'same' }, or draw them outside vmap");
        }
      }
      return tidy(() => stackOutputs(outputs, outDims, 'the output')) as R;
    } finally {
      for (const out of outputs) disposeMade(out, made);
    }
  };
}

function disposeMade(value: unknown, made: Set<Disposable>): void {
  if (isTensor(value)) {
    if (made.has(value)) value.dispose();
  } else if (Array.isArray(value)) value.forEach((v) => disposeMade(v, made));
  else if (isPlainObject(value)) Object.values(value).forEach((v) => disposeMade(v, made));
}
