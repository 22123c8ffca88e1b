/** sort: the first k of each row's stable order (assembly/sort.ts), rows split across threads. */
import { sizeOf, type TensorView } from '@tensile/core';
import { addressOf } from '../buffer.js';
import type { Device } from '../device.js';

/** Elements below which a sort stays on the calling thread. */
const PARALLEL_SORT = 1 << 15;
/** Top-k keeps a heap when k is at most this, and at most 1/8 of the row (as the cpu backend). */
const HEAP_K = 512;

export function sort(device: Device, x: TensorView, descending: boolean, values: TensorView, indices: TensorView): void {
  const [rows, n] = x.shape;
  const k = values.shape[1];
  if (sizeOf(values.shape) === 0) return;
  const nt = Math.min(device.threadsFor(rows * n, PARALLEL_SORT), rows);
  const perThread = device.k.sort_scratch_bytes(n);
  const scratch = device.scratch(nt * perThread, 'sort');
  try {
    const heap = k * 8 <= n && k <= HEAP_K ? 1 : 0;
    device.run('sort_rows', [
      x.dtype === 'int32' ? 0 : 1, descending ? 1 : 0, addressOf(x), x.strides[0] * 4, x.strides[1] * 4, n, rows,
      addressOf(values), addressOf(indices), k, heap, scratch[0],
    ], nt);
  } finally {
    device.release(scratch);
  }
}
