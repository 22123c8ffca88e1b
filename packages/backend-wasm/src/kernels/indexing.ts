/** gather and scatterAdd along one dim (assembly/indexing.ts). */
import { collapseDims, DTYPE_CODES, sizeOf, type TensorView } from '@tensile/core';
import { addressOf, elementBytes } from '../buffer.js';
import type { Device } from '../device.js';

/** `strides` with `dim`'s set to 0: a walk over the index's shape, the index supplying `dim`. */
function pinned(strides: readonly number[], dim: number): number[] {
  return strides.map((s, d) => (d === dim ? 0 : s));
}

export function gather(device: Device, x: TensorView, dim: number, index: TensorView, out: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  const size = elementBytes(x.dtype);
  // Walk the index's shape; x's own position along `dim` comes from the index value.
  const d = device.walk(0, collapseDims(index.shape, [index.strides, pinned(x.strides, dim), out.strides]), [4, size, size]);
  device.k.gather(size, d, addressOf(index), addressOf(x), addressOf(out), x.shape[dim], x.strides[dim] * size);
}

export function scatterAdd(device: Device, dim: number, index: TensorView, src: TensorView, out: TensorView): void {
  if (sizeOf(index.shape) === 0) return;
  const size = elementBytes(out.dtype);
  const d = device.walk(0, collapseDims(index.shape, [index.strides, src.strides, pinned(out.strides, dim)]), [4, size, size]);
  device.k.scatter_add(DTYPE_CODES[out.dtype], d, addressOf(index), addressOf(src), addressOf(out), out.shape[dim], out.strides[dim] * size);
}
