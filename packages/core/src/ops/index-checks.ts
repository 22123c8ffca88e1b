/** Checks of int32 index tensors shared by gather, scatterAdd, indexSelect and the scatter family (internal). */
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Check index values where the backend can read them synchronously (GPU backends skip this,
 * as PyTorch's device-side asserts would).
 */
export function checkIndexValues(op: string, index: Tensor, size: number): void {
  const read = index.backend.readSync;
  if (!read || index.size === 0) return;
  const values = read.call(index.backend, index.kernelView);
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= size) {
      throw new RangeError(`${op}: index ${values[i]} is out of bounds for a dim of size ${size}`);
    }
  }
}

/** Index dtype, rank and extent against the input (and `other`, a src), and its values where readable now. */
export function checkIndex(op: string, x: Tensor, axis: number, index: Tensor, other?: Tensor): void {
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must be int32, got ${index.dtype}`);
  if (index.rank !== x.rank) {
    throw new Error(`${op}: index ${formatShape(index.shape)} must have the same rank as the input ${formatShape(x.shape)}`);
  }
  for (let d = 0; d < x.rank; d++) {
    if (d !== axis && index.shape[d] > x.shape[d]) {
      throw new Error(`${op}: index ${formatShape(index.shape)} is larger than the input ${formatShape(x.shape)} in dim ${d}`);
    }
    if (other && index.shape[d] > other.shape[d]) {
      throw new Error(`${op}: index ${formatShape(index.shape)} is larger than src ${formatShape(other.shape)} in dim ${d}`);
    }
  }
  checkIndexValues(op, index, x.shape[axis]);
}
