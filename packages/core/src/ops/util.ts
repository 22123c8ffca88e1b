/** Helpers every op uses: output allocation, operand checks, scalars and broadcasting. */
import type { Backend, TensorView } from '../backend/contract.js';
import { BYTES_PER_ELEMENT, isFloating, promoteTypes, type DType } from '../dtype.js';
import { broadcastShapes, formatShape, sizeOf, type Shape } from '../shape.js';
import type { Own } from '../memory.js';
import { Storage } from '../tensor/storage.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { cast } from './cast.js';

/**
 * A fresh, uninitialised, contiguous tensor on `backend`. A failed allocation (too large for
 * a typed array, device out of memory) is reported with `op`, the shape, dtype and bytes.
 */
export function empty(backend: Backend, shape: Shape, dtype: DType, op: string): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape ${formatShape(shape)}: dims must be non-negative integers`);
  }
  const size = sizeOf(shape);
  let storage: Storage;
  try {
    storage = Storage.allocate(backend, size, dtype);
  } catch (error) {
    if (error instanceof TypeError) throw error; // a dtype the backend lacks: already clear
    const reason = error instanceof Error ? error.message : String(error);
    throw new RangeError(
      `${op}: cannot allocate ${formatShape(shape)} ${dtype} (${size * BYTES_PER_ELEMENT[dtype]} bytes) on '${backend.name}': ${reason}`,
      { cause: error },
    );
  }
  return Tensor.fromStorage(storage, shape, dtype);
}

/** The backend shared by `tensors`; throws if any is disposed or they live on different devices. */
export function deviceOf(op: string, ...tensors: Tensor[]): Backend {
  // Plain-JavaScript callers can pass anything; say so before reading a device off it.
  tensors.forEach((t, i) => requireTensor(op, t, tensors.length === 1 ? 'the input' : `operand ${i}`));
  const backend = tensors[0].backend;
  for (const t of tensors) {
    if (t.backend !== backend) {
      throw new Error(
        `${op}: tensors are on different devices ('${tensors[0].device}' and '${t.device}'); ` +
          `move one with t.to('${tensors[0].device}')`,
      );
    }
  }
  return backend;
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** What a value is, for error messages about plain-JavaScript misuse. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}…` : x)}`;
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return `${typeof x} ${String(x)}`;
}

/** Throw a TypeError naming `op` unless `x` is a Tensor. */
export function requireTensor(op: string, x: unknown, what = 'the input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a tensor for ${what}, got ${describeValue(x)}`);
}

/** The dtype a plain number takes next to a tensor of `dtype` (PyTorch's scalar rules). */
export function scalarDType(value: number | boolean, dtype: DType): DType {
  if (typeof value === 'boolean') return dtype;
  if (!Number.isInteger(value)) return isFloating(dtype) ? dtype : 'float32';
  return dtype === 'bool' ? 'int32' : dtype;
}

/** A 0-d tensor holding `value` on `backend`. */
export function scalar(backend: Backend, value: number | boolean, dtype: DType): Tensor {
  const t = empty(backend, [], dtype, 'scalar operand');
  backend.fill(t.kernelView, Number(value));
  return t;
}

/**
 * Turn the operands of a binary op into tensors of one dtype on one device: PyTorch's
 * promotion, then `retarget` (an op's dtype rule: int / int is float32). The temporaries
 * made on the way (casts, 0-d scalars) go to `own`, the caller's {@link owned} scope.
 */
export function binaryOperands(
  op: string, a: TensorLike, b: TensorLike, own: Own, retarget: (promoted: DType) => DType = (d) => d,
): [Tensor, Tensor] {
  for (const [x, which] of [[a, 'first'], [b, 'second']] as const) {
    if (!isTensor(x) && typeof x !== 'number' && typeof x !== 'boolean') {
      throw new TypeError(`${op}: expected a tensor, a number or a boolean for the ${which} operand, got ${describeValue(x)}`);
    }
  }
  if (!isTensor(a) && !isTensor(b)) throw new TypeError(`${op}: at least one operand must be a tensor`);
  const anchor = (isTensor(a) ? a : b) as Tensor;
  const backend = anchor.backend;
  const dtypeOf = (x: TensorLike): DType => (isTensor(x) ? x.dtype : scalarDType(x, anchor.dtype));
  const dtype = retarget(promoteTypes(dtypeOf(a), dtypeOf(b)));
  const convert = (x: TensorLike): Tensor => {
    if (!isTensor(x)) return own(scalar(backend, x, dtype));
    return x.dtype === dtype ? x : own(cast(x, dtype));
  };
  const ta = convert(a);
  const tb = convert(b);
  deviceOf(op, ta, tb);
  return [ta, tb];
}

/** The view of `t` broadcast to `shape` (stride 0 on broadcast dims), for a kernel. */
export function broadcastView(t: Tensor, shape: Shape): TensorView {
  const view = t.kernelView;
  const lead = shape.length - t.shape.length;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const own = t.shape[i - lead];
    return own === d ? t.strides[i - lead] : 0;
  });
  return { ...view, shape, strides };
}

/** Broadcast shape of tensors, with the op's name in the error. */
export function broadcastAll(op: string, ...tensors: Tensor[]): number[] {
  return tensors.reduce<number[]>((shape, t) => broadcastShapes(shape, t.shape, op), []);
}

/** Normalise a reduction's `dim` argument to sorted unique axes (all axes when undefined). */
export function reductionAxes(op: string, rank: number, dim: number | readonly number[] | undefined): number[] {
  if (dim === undefined) return Array.from({ length: rank }, (_, i) => i);
  const dims = typeof dim === 'number' ? [dim] : dim;
  const axes = dims.map((d) => {
    const lo = rank === 0 ? -1 : -rank;
    const hi = rank === 0 ? 0 : rank - 1;
    if (!Number.isInteger(d) || d < lo || d > hi) {
      throw new RangeError(`${op}: dim ${d} is out of range for a tensor of rank ${rank} (expected ${lo}..${hi})`);
    }
    return d < 0 ? d + Math.max(rank, 1) : d;
  });
  const unique = [...new Set(axes)].sort((x, y) => x - y);
  if (unique.length !== axes.length) throw new Error(`${op}: dim ${formatShape(dims)} names a dim twice`);
  return rank === 0 ? [] : unique;
}

/** A pair from a number or a `[h, w]` pair, with the op and option named on bad input. */
export function pair(op: string, name: string, value: number | readonly number[] | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  const p = typeof value === 'number' ? [value, value] : value;
  if (p.length !== 2 || !p.every((v) => Number.isInteger(v))) {
    throw new Error(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(value)}`);
  }
  return [p[0], p[1]];
}

/** `pair` for the three dims of 3-D convolution and pooling. */
export function triple(op: string, name: string, value: number | readonly number[] | undefined, fallback: number): [number, number, number] {
  if (value === undefined) return [fallback, fallback, fallback];
  const p = typeof value === 'number' ? [value, value, value] : value;
  if (p.length !== 3 || !p.every((v) => Number.isInteger(v))) {
    throw new Error(`${op}: ${name} must be an integer or three integers, got ${JSON.stringify(value)}`);
  }
  return [p[0], p[1], p[2]];
}

/** A view of `x`'s storage with other geometry (no recording; callers record). */
export function viewOf(x: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  return new Tensor(x.storage.retain(), shape, strides, offset, x.dtype);
}

/**
 * Throw unless `options` is an object whose keys are all in `allowed`: an option Tensile
 * does not support is an error that names it, never silently ignored.
 */
export function checkOptionKeys(op: string, options: unknown, allowed: readonly string[], hints: Record<string, string> = {}): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] === undefined) continue;
    if (!allowed.includes(key)) {
      // PyTorch's snake_case names (is_causal) point at Tensile's camelCase ones (isCausal).
      const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const hint = hints[key] ? `; ${hints[key]}` : key !== camel && allowed.includes(camel) ? `; options are camelCase: ${camel}` : '';
      throw new Error(`${op}: unknown option '${key}'${hint}; supported: ${allowed.join(', ')}`);
    }
  }
}
