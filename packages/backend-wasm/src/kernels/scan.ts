/**
 * The optional scan kernel (assembly/reduce.ts: scan_lines, scan_line_f32). One contiguous
 * float32 line of a cumsum is split in chunks over the worker pool (chunk totals first, then
 * each chunk scans from the totals before it); everything else walks its lines on the
 * calling thread.
 */
import { collapseDims, DTYPE_CODES, REDUCE_TABLE, sizeOf, type ScanOp, type TensorView } from '@tensile/core';
import { addressOf, elementBytes } from '../buffer.js';
import { COUNTERS, kernelError, PARTIALS, type Device } from '../device.js';

/** The op codes of assembly/reduce.ts's scan kernels. */
const SCAN_CODES: Record<ScanOp, number> = { sum: 0, prod: 1, max: 2, min: 3, logsumexp: 4 };
/** Elements from which one line's cumsum goes to the worker pool. */
const PARALLEL_SCAN = 1 << 20;

function without<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

export function scan(device: Device, op: ScanOp, x: TensorView, axis: number, out: TensorView, indices?: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  if ((op === 'max' || op === 'min') && !indices) throw new Error(`wasm backend: scan '${op}' needs an indices view`);
  try {
    const n = x.shape[axis];
    const line = collapseDims(x.shape, [x.strides]);
    if (op === 'sum' && x.dtype === 'float32' && n >= PARALLEL_SCAN && line.shape.length === 1 && line.strides[0][0] === 1) {
      const nt = device.threadsFor(n, PARALLEL_SCAN);
      if (nt > 1) {
        device.zeroCounters();
        device.run('reduce_line_f32', [REDUCE_TABLE.sum.code, addressOf(x), n, PARTIALS, COUNTERS], nt);
        device.zeroCounters();
        device.run('scan_line_f32', [addressOf(x), addressOf(out), n, PARTIALS, COUNTERS], nt);
        return;
      }
    }
    const size = elementBytes(x.dtype);
    const d = device.walk(0, collapseDims(without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)]), [size, size]);
    const ix = indices ? addressOf(indices) : addressOf(out);
    device.k.scan_lines(SCAN_CODES[op], DTYPE_CODES[x.dtype], d, addressOf(x), addressOf(out), ix, n, x.strides[axis] * size, out.strides[axis] * size);
  } catch (error) {
    throw kernelError(error, `scan '${op}' of ${x.dtype}`, 'assembly/reduce.ts');
  }
}
