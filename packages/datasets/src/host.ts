/**
 * Host values: tensor contents as plain typed arrays, the form in which data crosses between
 * worker threads and the main thread (a Tensor lives on one thread's backend; its host copy
 * can be posted and transferred). A worker turns the tensors it makes into host tensors; the
 * main thread turns them back into tensors on its own backend.
 */
import * as tl from '@tensile/core';
import type { DType, Tensor } from '@tensile/core';

/** Tensor contents on the host: `data` holds `shape`'s elements, row-major. */
export interface HostTensor {
  readonly hostTensor: true;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array;
}

/** A host tensor of `shape`, `dtype` over `data` (not copied). */
export function hostTensor(data: Float32Array | Int32Array | Uint8Array, shape: readonly number[], dtype?: DType): HostTensor {
  const inferred: DType = data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32';
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`hostTensor: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  return { hostTensor: true, dtype: dtype ?? inferred, shape: [...shape], data };
}

export function isHostTensor(value: unknown): value is HostTensor {
  return value !== null && typeof value === 'object' && (value as { hostTensor?: unknown }).hostTensor === true;
}

/** A tensor on the current backend holding `h` (one write). */
export function fromHost(h: HostTensor): Tensor {
  return tl.owned((own) => {
    const flat = own(tl.tensor(h.data, { dtype: h.dtype }));
    return h.shape.length === 1 ? flat : flat.reshape([...h.shape]); // a returned flat is kept
  });
}

/** The contents of `t` on the host. */
export async function toHost(t: Tensor): Promise<HostTensor> {
  const data = (await t.data()) as Float32Array | Int32Array | Uint8Array;
  // Own the buffer so it can be transferred.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer) ? data : data.slice();
  return hostTensor(own, t.shape, t.dtype);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** Replace every host tensor in `value` (arrays, plain objects, Maps) by a tensor. */
export function reviveTensors(value: unknown): unknown {
  if (isHostTensor(value)) return fromHost(value);
  if (Array.isArray(value)) return value.map(reviveTensors);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, reviveTensors(v)]));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveTensors(v)]));
  return value;
}

/** Replace every tensor in `value` (arrays, plain objects, Maps) by its host copy. */
export async function encodeTensors(value: unknown): Promise<unknown> {
  if (value instanceof tl.Tensor) return toHost(value);
  if (Array.isArray(value)) return Promise.all(value.map(encodeTensors));
  if (value instanceof Map) return new Map(await Promise.all([...value].map(async ([k, v]) => [k, await encodeTensors(v)] as [unknown, unknown])));
  if (isPlainObject(value)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await encodeTensors(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** The transferable buffers of the host tensors in `value` (never shared memory). */
export function transferList(value: unknown, into: ArrayBuffer[] = []): ArrayBuffer[] {
  if (isHostTensor(value)) {
    const buffer = value.data.buffer;
    if (buffer instanceof ArrayBuffer && !into.includes(buffer) && value.data.byteLength === buffer.byteLength) into.push(buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) transferList(v, into);
  } else if (value instanceof Map) {
    for (const v of value.values()) transferList(v, into);
  } else if (isPlainObject(value)) {
    for (const v of Object.values(value)) transferList(v, into);
  }
  return into;
}

/** Stack host tensors of one shape and dtype along a new first dim. */
export function stackHost(items: readonly HostTensor[], where: string): HostTensor {
  const first = items[0];
  const size = first.data.length;
  for (let i = 1; i < items.length; i++) {
    const t = items[i];
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, j) => d !== first.shape[j])) {
      throw new Error(
        `${where}: item ${i} is ${t.dtype} [${t.shape.join(', ')}] but item 0 is ${first.dtype} [${first.shape.join(', ')}]; ` +
          'items must match to be stacked (pass a collateFn to batch them differently, e.g. with padSequence)',
      );
    }
  }
  const Ctor = first.data.constructor as new (n: number) => Float32Array | Int32Array | Uint8Array;
  const out = new Ctor(items.length * size);
  items.forEach((t, i) => out.set(t.data, i * size));
  return hostTensor(out, [items.length, ...first.shape], first.dtype);
}
