/** Creating tensors: from data, constants, ranges, and the seeded counter-based RNG. */
import type { Backend, RandomDistribution } from '../backend/contract.js';
import { getBackend } from '../backend/registry.js';
import { DTYPES, isDType, isFloating, typedArrayFor, type AnyTypedArray, type DType } from '../dtype.js';
import { sizeOf, type Shape } from '../shape.js';
import { flattenInto, inferShape } from '../tensor/nested.js';
import type { BoolTensor, Tensor } from '../tensor/tensor.js';
import { cast } from './cast.js';
import { empty as allocate } from './util.js';
import { defaultGenerator, generatorOf, type Generator } from './generator.js';
import { checkDType, supportsDType } from '../tensor/storage.js';
import { philox4x32 } from '../random.js';
import { traceOp } from '../autograd/trace.js';
import { owned } from '../memory.js';

export interface TensorOptions {
  /** Element type; float32 unless the data says otherwise. */
  dtype?: DType;
  /** Backend name; the current backend by default. */
  device?: string;
  /** Track operations on this leaf for `backward()`. */
  requiresGrad?: boolean;
}

export type TensorData = number | boolean | readonly TensorData[] | Float32Array | Int32Array | Uint8Array;
/** Booleans, nested: what `tensor` turns into a bool tensor by default. */
export type BoolData = boolean | readonly BoolData[];

function resolve(op: string, options: TensorOptions, fallback: DType = 'float32'): { backend: Backend; dtype: DType } {
  const dtype = options.dtype ?? fallback;
  if (!isDType(dtype)) throw new Error(`${op}: unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
  return { backend: getBackend(options.device), dtype };
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (!options.requiresGrad) return t;
  // An int32 or bool tensor cannot require grad: what was made for it is freed.
  return owned((own) => {
    own(t).requiresGrad = true;
    return t;
  });
}

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

function inferDType(data: TensorData): DType {
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  let first: unknown = data;
  while (Array.isArray(first) && first.length > 0) first = first[0];
  return typeof first === 'boolean' ? 'bool' : 'float32';
}

/**
 * A tensor from a number, nested arrays or a typed array. Numbers make float32 (as
 * DESIGN.md's default), booleans bool, an Int32Array int32.
 *
 * @example
 * ```ts
 * const x = tl.tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * ```
 */
export function tensor(data: BoolData, options?: TensorOptions & { dtype?: 'bool' }): BoolTensor;
export function tensor(data: TensorData, options: TensorOptions & { dtype: 'bool' }): BoolTensor;
export function tensor(data: TensorData, options?: TensorOptions): Tensor;
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  const { backend, dtype } = resolve('tensor', options, inferDType(data));
  const shape = inferShape(data);
  if (dtype === 'int32' && !(data instanceof Int32Array)) checkInt32Values(data);
  const host = typedArrayFor(dtype, sizeOf(shape));
  if (ArrayBuffer.isView(data) && shape.length === 1) host.set(data as AnyTypedArray);
  else flattenInto(data, host);
  const t = allocate(backend, shape, dtype, 'tensor');
  backend.write(t.storage.buffer, host);
  return finish(t, options);
}

/**
 * PyTorch's check of values bound for int32: fractions truncate toward zero (as torch.tensor
 * does), but NaN, infinities and integers outside [-2^31, 2^31) raise instead of wrapping.
 */
function checkInt32Values(data: unknown): void {
  const check = (v: number): void => {
    const t = Math.trunc(v);
    if (!(t >= -2147483648 && t <= 2147483647)) {
      throw new RangeError(`tensor: value ${v} cannot be converted to dtype int32 without overflow`);
    }
  };
  const visit = (value: unknown): void => {
    if (typeof value === 'number') check(value);
    else if (typeof value !== 'boolean') for (let j = 0; j < (value as ArrayLike<unknown>).length; j++) visit((value as ArrayLike<unknown>)[j]);
  };
  visit(data);
}

/**
 * A tensor of `shape` holding `value`.
 *
 * @example
 * ```ts
 * tl.full([2, 3], 7);
 * ```
 */
export function full(shape: Shape, value: boolean, options?: TensorOptions & { dtype?: 'bool' }): BoolTensor;
export function full(shape: Shape, value: number | boolean, options: TensorOptions & { dtype: 'bool' }): BoolTensor;
export function full(shape: Shape, value: number | boolean, options?: TensorOptions): Tensor;
export function full(shape: Shape, value: number | boolean, options: TensorOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

/** `full`, reporting errors as `op` (zeros, ones and the `...Like` forms go through here). */
function filled(op: string, shape: Shape, value: number | boolean, options: TensorOptions): Tensor {
  checkShape(op, shape);
  const fallback: DType = typeof value === 'boolean' ? 'bool' : 'float32';
  const { backend, dtype } = resolve(op, options, fallback);
  const t = allocate(backend, shape, dtype, op);
  backend.fill(t.kernelView, Number(value));
  // A trace follows the shape (an exported graph sizes it from the inputs' dynamic axes).
  traceOp('full', [], [t], { value: Number(value) });
  return finish(t, options);
}

/** Zeros of `shape`. @example `tl.zeros([2, 3])` */
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return filled('zeros', shape, 0, options);
}

/** Ones of `shape`. @example `tl.ones([2, 3], { dtype: 'int32' })` */
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return filled('ones', shape, 1, options);
}

function likeOptions(t: Tensor, options: TensorOptions): TensorOptions {
  return { dtype: t.dtype, device: t.device, ...options };
}

/** Zeros shaped, typed and placed like `t`. */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return filled('zerosLike', t.shape, 0, likeOptions(t, options));
}

/** Ones shaped, typed and placed like `t`. */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return filled('onesLike', t.shape, 1, likeOptions(t, options));
}

/**
 * A tensor of `shape` whose contents are unspecified (whatever the allocator hands back), as
 * PyTorch's `empty`: for buffers every element of which is written before it is read.
 *
 * @example
 * ```ts
 * const out = tl.empty([2, 3]);
 * ```
 */
export function empty(shape: Shape, options: TensorOptions = {}): Tensor {
  checkShape('empty', shape);
  const { backend, dtype } = resolve('empty', options);
  checkDType(backend, dtype);
  return finish(allocate(backend, shape, dtype, 'empty'), options);
}

/** An uninitialised tensor shaped, typed and placed like `t` (see {@link empty}). */
export function emptyLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return empty(t.shape, likeOptions(t, options));
}

/** `value` shaped, typed and placed like `t`. */
export function fullLike(t: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return full(t.shape, value, likeOptions(t, options));
}

function fromHost(op: string, shape: Shape, values: ArrayLike<number>, options: TensorOptions, fallback: DType): Tensor {
  const { backend, dtype } = resolve(op, options, fallback);
  const host = typedArrayFor(dtype, values.length);
  for (let i = 0; i < values.length; i++) host[i] = values[i];
  const t = allocate(backend, shape, dtype, op);
  backend.write(t.storage.buffer, host);
  return finish(t, options);
}

/**
 * Values from `start` up to (not including) `end` by `step`. With one argument it counts from
 * 0. Integer arguments give int32 (as PyTorch gives its integer type), others float32.
 *
 * @example
 * ```ts
 * tl.arange(5);          // [0, 1, 2, 3, 4] int32
 * tl.arange(0, 1, 0.25); // [0, 0.25, 0.5, 0.75] float32
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`);
  if ((end - start) / step < 0) {
    throw new Error(`arange: the range [${start}, ${end}) cannot be walked with step ${step}`);
  }
  const length = Math.max(0, Math.ceil((end - start) / step));
  const values = Array.from({ length }, (_, i) => start + i * step);
  const integral = [start, end, step].every(Number.isInteger);
  const out = fromHost('arange', [length], values, options, integral ? 'int32' : 'float32');
  traceOp('arange', [], [out], { start, step });
  return out;
}

/**
 * `steps` evenly spaced values from `start` to `end`, both included.
 *
 * @example
 * ```ts
 * tl.linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  const values = Array.from({ length: steps }, (_, i) =>
    steps === 1 ? start : i < half ? start + i * step : end - (steps - 1 - i) * step,
  );
  return fromHost('linspace', [steps], values, options, 'float32');
}

/**
 * `steps` values from `base ** start` to `base ** end`, evenly spaced in the exponent (both
 * ends included). float32 by default; computed in double precision and rounded once.
 *
 * @example
 * ```ts
 * tl.logspace(0, 3, 4);          // [1, 10, 100, 1000]
 * tl.logspace(0, 4, 3, 2);       // [1, 4, 16]
 * ```
 */
export function logspace(start: number, end: number, steps: number, base = 10, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`logspace: steps must be a non-negative integer, got ${steps}`);
  if (typeof base !== 'number' || Number.isNaN(base)) throw new Error(`logspace: base must be a number, got ${String(base)}`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  const values = Array.from({ length: steps }, (_, i) =>
    base ** (steps === 1 ? start : i < half ? start + i * step : end - (steps - 1 - i) * step),
  );
  return fromHost('logspace', [steps], values, options, 'float32');
}

/**
 * An `n` x `m` identity matrix (`m` defaults to `n`).
 *
 * @example
 * ```ts
 * tl.eye(3);
 * ```
 */
export function eye(n: number, m: number = n, options: TensorOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const values = new Float32Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return fromHost('eye', [n, m], values, options, 'float32');
}

// ---- random -------------------------------------------------------------------------------

/** Options of the random ops: which stream to draw from (the default one unless given). */
export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

/**
 * Seed the generator behind `rand`, `randn`, `randint` and dropout. One seed gives the same
 * numbers on every backend (Philox4x32-10, counter-based).
 *
 * @example
 * ```ts
 * tl.manualSeed(42);
 * const a = tl.randn([3]);
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new Error(`manualSeed: seed must be an integer, got ${seed}`);
  defaultGenerator.manualSeed(seed);
}

/** The current generator state, to save and restore with `setRngState`. */
export function getRngState(): { seed: number; offset: number } {
  return defaultGenerator.getState();
}

export function setRngState(state: { seed: number; offset: number }): void {
  defaultGenerator.setState(state);
}

/** 1 - 2^-11: the largest float16 below 1. */
const LARGEST_HALF_BELOW_ONE = 0.99951171875;

/**
 * Whether tensors of `dtype` can live on `device` (the current backend by default).
 * float32, int32 and bool work everywhere; float16 where the backend supports it (webgpu on
 * an adapter with 'shader-f16').
 *
 * @example
 * ```ts
 * const dtype = tl.isDTypeSupported('float16', 'webgpu') ? 'float16' : 'float32';
 * ```
 */
export function isDTypeSupported(dtype: DType, device?: string): boolean {
  if (!isDType(dtype)) throw new Error(`isDTypeSupported: unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
  return supportsDType(getBackend(device), dtype);
}

function draw(op: string, distribution: RandomDistribution, shape: Shape, options: RandomOptions): Tensor {
  checkShape(op, shape);
  const { backend, dtype } = resolve(op, options);
  const generator = generatorOf(op, options);
  if (!isFloating(dtype)) throw new Error(`${op}: dtype must be float32 or float16, got ${dtype}`);
  checkDType(backend, dtype); // before drawing, so a refused dtype uses no random numbers
  // Backends draw float32 (the same numbers everywhere); float16 rounds those.
  const drawn = owned((own) => {
    const t = own(allocate(backend, shape, 'float32', op)); // the result for float32
    backend.random(distribution, { seed: generator.initialSeed(), offset: generator.take(t.size) }, t.kernelView);
    if (dtype === 'float32') return t;
    const half = own(cast(t, dtype));
    // Rounding can carry values near 1 up to 1; keep uniform samples in [0, 1) as PyTorch does.
    return distribution === 'uniform' ? half.clamp(undefined, LARGEST_HALF_BELOW_ONE) : half;
  });
  return finish(drawn, options);
}

/** Uniform samples in [0, 1). @example `tl.rand([2, 3])` */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  return draw('rand', 'uniform', shape, options);
}

/** Standard normal samples. @example `tl.randn([2, 3])` */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  return draw('randn', 'normal', shape, options);
}

/**
 * Integers drawn uniformly from [low, high), int32 by default.
 *
 * @example
 * ```ts
 * tl.randint(0, 10, [5]);
 * ```
 */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new Error(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  const { backend, dtype } = resolve('randint', options, 'int32');
  checkShape('randint', shape);
  if (dtype === 'int32' && (low < -2147483648 || high > 2147483648)) {
    throw new RangeError(`randint: low=${low} and high=${high} must lie in [-2^31, 2^31] for dtype int32`);
  }
  if (dtype !== 'int32' && (Math.abs(low) > 2 ** 24 || Math.abs(high) > 2 ** 24)) {
    throw new RangeError(`randint: low=${low} and high=${high} must lie in [-2^24, 2^24] for dtype ${dtype}, whose integers are exact only there`);
  }
  checkDType(backend, dtype);
  const generator = generatorOf('randint', options);
  // Exact integers from the raw Philox words of element i (counter offset + i), the same on
  // every backend: the 64-bit word pair reduced modulo the range (bias below 2^-32).
  const n = sizeOf(shape);
  const start = generator.take(n);
  const seed = generator.initialSeed() >>> 0;
  const range = high - low;
  const host = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const index = start + i;
    const [w0, w1] = philox4x32(index % 4294967296, Math.floor(index / 4294967296), seed, 0x7e45113);
    // (w0 * 2^32 + w1) mod range, in steps whose products stay below 2^53.
    let r = w0 % range;
    r = (r * 65536) % range;
    r = (r * 65536 + w1) % range;
    host[i] = low + r;
  }
  const drawn = owned((own) => {
    const t = own(allocate(backend, shape, 'int32', 'randint')); // the result for int32
    backend.write(t.storage.buffer, host);
    return dtype === 'int32' ? t : cast(t, dtype);
  });
  return finish(drawn, options);
}

/** Uniform samples shaped and placed like `t`. */
export function randLike(t: Tensor): Tensor {
  return rand(t.shape, { device: t.device });
}

/** Normal samples shaped and placed like `t`. */
export function randnLike(t: Tensor): Tensor {
  return randn(t.shape, { device: t.device });
}

