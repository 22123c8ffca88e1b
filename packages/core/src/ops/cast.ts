/** Copies: dtype casts, contiguous copies, clones and moves between devices. */
import { recordOp } from '../autograd/engine.js';
import { traceOp } from '../autograd/trace.js';
import { getBackend } from '../backend/registry.js';
import { DTYPES, isDType, isFloating, type DType } from '../dtype.js';
import { type BoolTensor, Tensor } from '../tensor/tensor.js';
import { empty } from './util.js';

/**
 * Convert to `dtype`. Float to int truncates toward zero; anything to bool is `!= 0`.
 * Gradients flow only between floating tensors (float32, float16).
 *
 * @example
 * ```ts
 * tl.tensor([1.7, -1.7]).cast('int32'); // [1, -1]
 * ```
 */
export function cast(x: Tensor, dtype: 'bool'): BoolTensor;
export function cast(x: Tensor, dtype: DType): Tensor;
export function cast(x: Tensor, dtype: DType): Tensor {
  if (!isDType(dtype)) throw new Error(`cast: unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
  if (x.dtype === dtype) return x.internalAlias(false);
  const out = empty(x.backend, x.shape, dtype, 'cast');
  x.backend.cast(x.kernelView, out.kernelView);
  if (!isFloating(x.dtype) || !isFloating(dtype)) {
    traceOp('cast', [x], [out]); // no gradient across integer casts, but a trace follows them
    return out;
  }
  const from = x.dtype;
  return recordOp('cast', [x], out, [], (g) => [cast(g, from)]);
}

/**
 * A contiguous copy of `x`'s values (a new handle on the same storage when already
 * contiguous). Differentiable.
 */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous && x.offset === 0) return x.internalAlias(false);
  return copyOf(x, 'contiguous');
}

/** A copy with storage of its own. Differentiable. */
export function clone(x: Tensor): Tensor {
  return copyOf(x, 'clone');
}

function copyOf(x: Tensor, name: string): Tensor {
  const out = empty(x.backend, x.shape, x.dtype, name);
  x.backend.copy(x.kernelView, out.kernelView);
  return recordOp(name, [x], out, [], (g) => [g]);
}

/**
 * Copy to the backend called `device`. Synchronous when the source backend reads
 * synchronously (cpu, wasm, cuda); otherwise use `toAsync`. Differentiable.
 */
export function toDevice(x: Tensor, device: string): Tensor {
  if (device === x.device) return x.internalAlias(false);
  getBackend(device); // an unknown or uninitialised target is the error to report first
  const source = x.backend;
  if (!source.readSync) {
    throw new Error(`to: backend '${source.name}' reads asynchronously; use await t.toAsync('${device}')`);
  }
  return upload(x, device, source.readSync(x.kernelView));
}

/** Copy to the backend called `device`, from any backend. Differentiable. */
export async function toDeviceAsync(x: Tensor, device: string): Promise<Tensor> {
  if (device === x.device) return x.internalAlias(false);
  return upload(x, device, await x.backend.read(x.kernelView));
}

function upload(x: Tensor, device: string, data: Float32Array | Int32Array | Uint8Array): Tensor {
  const target = getBackend(device);
  const out = empty(target, x.shape, x.dtype, 'to');
  target.write(out.storage.buffer, data);
  const from = x.device;
  return recordOp('to', [x], out, [], (g) => [toDevice(g, from)]);
}

