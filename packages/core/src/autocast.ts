/**
 * Automatic mixed precision (PyTorch's `torch.autocast`): inside `tl.autocast(device, fn)`,
 * listed ops cast their floating inputs on that device, products (matmul, conv, linear,
 * attention) to float16 and range-sensitive ops (exp, log, sum, softmax, norms, losses) to
 * float32, following PyTorch's CUDA lists. Unlisted ops run in their inputs' dtype.
 */
import { isDType, isFloating, promoteTypes, type DType } from './dtype.js';
import { Tensor } from './tensor/tensor.js';
import { cast } from './ops/cast.js';
import { checkOptionKeys } from './ops/util.js';
import { isDTypeSupported } from './ops/creation.js';
import { insideOp, isInsideOp, keep, outsideOp, owned } from './memory.js';

/**
 * What an op does under autocast, as PyTorch's autocast_mode.cpp: `lower` runs it in the
 * autocast dtype, `float32` in float32, `promote` in the widest floating dtype of its
 * inputs; `refuse` ops are numerically unsafe in float16 and throw. The table holds the ops
 * of PyTorch's lists that Tensile has; each calls `autocasting` first (one line).
 */
type AutocastPolicy = 'lower' | 'float32' | 'promote' | 'refuse';

const POLICIES: Readonly<Record<string, AutocastPolicy>> = {
  // Products: fast in float16, accumulated in float32 by the kernels.
  matmul: 'lower', mm: 'lower', bmm: 'lower', mv: 'lower', addmm: 'lower', baddbmm: 'lower',
  conv1d: 'lower', conv2d: 'lower', conv3d: 'lower', convTranspose1d: 'lower', convTranspose2d: 'lower', convTranspose3d: 'lower',
  linear: 'lower', prelu: 'lower', scaledDotProductAttention: 'lower',
  // Not in PyTorch's list, but it decomposes into bmm there, so it runs in float16 too.
  einsum: 'lower',
  // Range-sensitive ops: exponentials, logarithms, powers, sums, softmax, norms and losses.
  pow: 'float32', exp: 'float32', expm1: 'float32', log: 'float32', log10: 'float32', log2: 'float32', log1p: 'float32',
  reciprocal: 'float32', rsqrt: 'float32', acos: 'float32', asin: 'float32', cosh: 'float32', sinh: 'float32',
  tan: 'float32', erfinv: 'float32', softplus: 'float32',
  sum: 'float32', nansum: 'float32', prod: 'float32', cumsum: 'float32', cumprod: 'float32',
  softmax: 'float32', softmin: 'float32', logSoftmax: 'float32', logsumexp: 'float32',
  norm: 'float32', vectorNorm: 'float32', matrixNorm: 'float32', cdist: 'float32', pdist: 'float32',
  layerNorm: 'float32', groupNorm: 'float32', normalize: 'float32', cosineSimilarity: 'float32',
  crossEntropy: 'float32', nllLoss: 'float32', mseLoss: 'float32', l1Loss: 'float32', smoothL1Loss: 'float32',
  huberLoss: 'float32', klDiv: 'float32', binaryCrossEntropyWithLogits: 'float32', cosineEmbeddingLoss: 'float32',
  hingeEmbeddingLoss: 'float32', marginRankingLoss: 'float32', multiMarginLoss: 'float32', softMarginLoss: 'float32', tripletMarginLoss: 'float32', poissonNllLoss: 'float32',
  // Ops of several tensors that need one dtype.
  addcdiv: 'promote', addcmul: 'promote', atan2: 'promote', bilinear: 'promote', cross: 'promote', dot: 'promote',
  gridSample: 'promote', indexPut: 'promote', scatterAdd: 'promote', tensordot: 'promote', cat: 'promote',
  stack: 'promote', indexCopy: 'promote',
  // Unsafe in float16 (PyTorch refuses them too): the logits form is stable.
  binaryCrossEntropy: 'refuse',
};

/** Autocast dtypes: float16 (PyTorch's bfloat16 has no storage in Tensile). */
const AUTOCAST_DTYPES: readonly DType[] = ['float16'];

/** The autocast dtype of each device type with autocast on now (PyTorch keeps one state per device type). */
let regions: ReadonlyMap<string, DType> = new Map();
/** Whether any device has autocast on: what every listed op checks first, so it is kept cheap. */
let anyRegion = false;

export interface AutocastOptions {
  /** The lower-precision dtype for products (default and only choice: float16). */
  dtype?: DType;
  /** Turn autocast off for `fn` (default true), e.g. `{ enabled: useAmp }`. */
  enabled?: boolean;
  /**
   * Cast each parameter (a leaf that requires grad) once per region and reuse the copy, as
   * PyTorch's `cache_enabled` (default true): a model run many times in one region, as in
   * generation, casts its weights once. The copies are freed when the region ends.
   */
  cacheEnabled?: boolean;
}

/** The casts of parameters made in the outermost region, reused until it ends. */
let castCache: Map<Tensor, Tensor> | null = null;

/**
 * Run `fn` with autocast on `deviceType`, as PyTorch's `with torch.autocast(device_type)`:
 * the listed products run in float16, range-sensitive ops in float32, on that device's
 * floating tensors; parameters stay float32 and gradients flow back to them in float32.
 * An async `fn` keeps autocast until it settles. Nested calls override the outer one
 * (`{ enabled: false }` switches it off inside). Pair it with `optim.GradScaler` for training.
 *
 * @example
 * ```ts
 * const loss = tl.autocast('webgpu', () => nn.functional.crossEntropy(model.forward(x), y));
 * ```
 */
export function autocast<T>(deviceType: string, fn: () => T): T;
export function autocast<T>(deviceType: string, options: AutocastOptions, fn: () => T): T;
export function autocast<T>(deviceType: string, optionsOrFn: AutocastOptions | (() => T), maybeFn?: () => T): T {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof deviceType !== 'string') throw new TypeError(`autocast: deviceType must be a backend name such as 'webgpu', got ${typeof deviceType}`);
  if (typeof fn !== 'function') throw new TypeError(`autocast: expected a function to run, got ${typeof fn}`);
  checkOptionKeys('autocast', options, ['dtype', 'enabled', 'cacheEnabled']);
  const { dtype = 'float16', enabled = true, cacheEnabled = true } = options;
  if (typeof enabled !== 'boolean') throw new TypeError(`autocast: enabled must be a boolean, got ${typeof enabled}`);
  if (typeof cacheEnabled !== 'boolean') throw new TypeError(`autocast: cacheEnabled must be a boolean, got ${typeof cacheEnabled}`);
  if (!isDType(dtype) || !AUTOCAST_DTYPES.includes(dtype)) {
    throw new TypeError(`autocast: dtype must be ${AUTOCAST_DTYPES.join(' or ')}, got ${String(dtype)}`);
  }
  if (enabled && !isDTypeSupported(dtype, deviceType)) {
    throw new Error(
      `autocast: ${deviceType} has no ${dtype} (tl.isDTypeSupported('${dtype}', '${deviceType}') is false); ` +
        `autocast runs where float16 does (webgpu with 'shader-f16'), or pass { enabled: false }`,
    );
  }
  const next = new Map(regions);
  if (enabled) next.set(deviceType, dtype);
  else next.delete(deviceType);
  // The outermost region owns the cache; an inner one with cacheEnabled: false only bypasses it.
  const outer = castCache;
  const cache = outer ?? (enabled && cacheEnabled ? new Map<Tensor, Tensor>() : null);
  return withRegions(next, fn, cacheEnabled ? cache : null, outer === null ? cache : null);
}

/**
 * Run `fn` with the regions `next` and the parameter-cast cache `cache`; `owned`, when given,
 * is the cache this call made, whose casts are freed when `fn` is done.
 */
function withRegions<T>(next: ReadonlyMap<string, DType>, fn: () => T, cache = castCache, owned: Map<Tensor, Tensor> | null = null): T {
  const previous = regions;
  const previousCache = castCache;
  const restore = () => {
    regions = previous;
    anyRegion = previous.size > 0;
    castCache = previousCache;
    if (owned) for (const copy of owned.values()) copy.dispose();
  };
  regions = next;
  anyRegion = next.size > 0;
  castCache = cache;
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  // An async body keeps autocast until it settles.
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** Whether autocast is on for `deviceType` (PyTorch's `torch.is_autocast_enabled`). */
export function isAutocastEnabled(deviceType: string): boolean {
  return regions.has(deviceType);
}

/** The dtype products run in under autocast on `deviceType`, or null when autocast is off there. */
export function getAutocastDtype(deviceType: string): DType | null {
  return regions.get(deviceType) ?? null;
}

/** @internal The autocast state now (per device type, its dtype), to run user code in later. */
export function autocastState(): ReadonlyMap<string, DType> {
  return regions;
}

/**
 * @internal Run `fn`, user code that core calls from inside an op (a checkpointed segment,
 * also when it is recomputed in the backward pass), under the autocast `state` it was first
 * called in and outside any op, so that its ops are autocast as they were the first time.
 */
export function asUserCode<T>(fn: () => T, state: ReadonlyMap<string, DType> = regions): T {
  // A recomputation runs after its region ended: it casts afresh (no cache).
  return withRegions(state, () => outsideOp(fn), state === regions ? castCache : null);
}

/** @internal Whether an op called now should consult its autocast policy. */
export function autocastActive(): boolean {
  return anyRegion && !isInsideOp();
}

/**
 * @internal Run op `op` on `args` under its autocast policy: its floating tensors on the
 * autocast device (positional, in arrays, or one level into an options object) are cast,
 * and `run` gets the cast arguments with autocast off for its internals. An options object
 * with an explicit `dtype` opts out, as in PyTorch. Unlisted ops run as they are.
 */
export function autocasting<A extends unknown[], R>(op: string, args: [...A], run: (...args: A) => R): R {
  const policy = POLICIES[op];
  if (!policy || args.some(hasExplicitDtype)) return insideOp(() => run(...args));
  if (policy === 'refuse') {
    throw new Error(
      `${op}: unsafe under autocast (float16 inputs lose its range); use binaryCrossEntropyWithLogits ` +
        `(or BCEWithLogitsLoss), which is stable, or call it outside tl.autocast`,
    );
  }
  const eligible = tensorsIn(args).filter((t) => regions.has(t.device) && isFloating(t.dtype));
  if (eligible.length === 0) return insideOp(() => run(...args));
  const lower = regions.get(eligible[0].device)!;
  const target = policy === 'lower' ? lower : policy === 'float32' ? 'float32' : eligible.map((t) => t.dtype).reduce(promoteTypes);
  if (eligible.every((t) => t.dtype === target)) return insideOp(() => run(...args));
  return owned((own) => {
    const convert = (value: unknown): unknown => {
      if (value instanceof Tensor) return eligible.includes(value) && value.dtype !== target ? castOf(value, target, own) : value;
      return Array.isArray(value) ? value.map(convert) : value;
    };
    const converted = args.map((arg) =>
      isPlainObject(arg) ? Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, v instanceof Tensor ? convert(v) : v])) : convert(arg),
    );
    return run(...(converted as A));
  });
}

/**
 * `value` cast to `dtype`: for a parameter (a leaf that requires grad) under a cache, the
 * region's one copy (PyTorch caches those alone: other tensors change from call to call).
 */
function castOf(value: Tensor, dtype: DType, own: <T extends Tensor>(t: T) => T): Tensor {
  if (!castCache || !value.isLeaf || !value.requiresGrad) return own(cast(value, dtype));
  const hit = castCache.get(value);
  if (hit && hit.dtype === dtype && !hit.isDisposed) return hit;
  const copy = keep(cast(value, dtype));
  hit?.dispose();
  castCache.set(value, copy);
  return copy;
}

function tensorsIn(args: readonly unknown[]): Tensor[] {
  const found: Tensor[] = [];
  const visit = (value: unknown): void => {
    if (value instanceof Tensor) found.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  for (const arg of args) {
    if (isPlainObject(arg)) Object.values(arg).forEach((v) => v instanceof Tensor && found.push(v));
    else visit(arg);
  }
  return found;
}

function hasExplicitDtype(arg: unknown): boolean {
  return isPlainObject(arg) && (arg as { dtype?: unknown }).dtype !== undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** @internal `fn` (op `op`'s public function) with its autocast policy; unlisted ops get `fn` back. */
export function withAutocastPolicy<F extends (...args: never[]) => unknown>(op: string, fn: F): F {
  if (!POLICIES[op]) return fn;
  const run = fn as unknown as (...args: unknown[]) => unknown;
  return ((...args: unknown[]) => (autocastActive() ? autocasting(op, args, run) : run(...args))) as unknown as F;
}
