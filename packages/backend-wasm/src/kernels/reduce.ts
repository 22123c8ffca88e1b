/**
 * The reduce family: reduce, argReduce and the fused softmax/logSoftmax
 * (assembly/reduce.ts). Reductions are split into kept and reduced dims by core's
 * `planReduce`.
 */
import {
  ARG_REDUCE_TABLE, collapseDims, DTYPE_CODES, isContiguous, planReduce, REDUCE_TABLE, reduceFacts, sizeOf,
  type ArgReduceOp, type ReduceOp, type TensorView,
} from '@tensile/core';
import { addressOf, elementBytes } from '../buffer.js';
import { COUNTERS, kernelError, PARTIALS, type Device } from '../device.js';
import { copy, fill } from './elementwise.js';

/** Elements below which softmax stays on the calling thread. */
const PARALLEL_SOFTMAX = 1 << 16;
/**
 * Elements below which a reduction to one value stays on the calling thread: a million
 * take ~0.1 ms, about what waking a sleeping worker can cost on a busy machine.
 */
const PARALLEL_REDUCE = 1 << 21;

function without<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** `op` over `axes` of float32 or int32 `x` into `out` of x's dtype. */
export function reduce(device: Device, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  try {
    reduceInto(device, op, x, axes, out);
  } catch (error) {
    throw kernelError(error, `reduce '${op}' (code ${REDUCE_TABLE[op].code}) of ${x.dtype}`, 'assembly/reduce.ts');
  }
}

function reduceInto(device: Device, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  const outCount = sizeOf(out.shape);
  if (outCount === 0) return;
  if (!isContiguous(out.shape, out.strides)) {
    // The contract promises a contiguous out; stay correct if it is not.
    const tmp = device.temporary(out.shape, out.dtype, 'reduce output');
    try {
      reduceInto(device, op, x, axes, tmp.view);
      copy(device, tmp.view, out);
    } finally {
      device.release(tmp.block);
    }
    return;
  }
  const code = REDUCE_TABLE[op].code;
  // out is not empty, so an empty x has an empty reduced dim.
  if (sizeOf(x.shape) === 0) return fill(device, out, reduceFacts(op).identity);
  if (outCount === 1 && x.dtype === 'float32') {
    const line = collapseDims(x.shape, [x.strides]);
    if (line.shape.length === 1 && line.strides[0][0] === 1) {
      // One contiguous line to one value (x.sum(), x.max()): split in chunks across threads.
      const n = line.shape[0];
      device.zeroCounters();
      device.run('reduce_line_f32', [code, addressOf(x), n, PARTIALS, COUNTERS], device.threadsFor(n, PARALLEL_REDUCE));
      device.k.reduce_line_end(code, n, PARTIALS, addressOf(out));
      return;
    }
  }
  const dtype = DTYPE_CODES[x.dtype];
  const size = elementBytes(x.dtype);
  const rank = x.shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const axis of axes) reduced[axis] = true;
  let innermost = rank - 1;
  while (innermost > 0 && x.shape[innermost] === 1) innermost--;
  if (rank === 0 || reduced[innermost]) {
    // Each output folds its reduced elements in a register.
    const plan = planReduce(x, axes, out);
    const dk = device.walk(0, { shape: plan.outer.shape, strides: [plan.outer.x, plan.outer.out] }, [size, size]);
    const dr = device.walk(1, { shape: plan.inner.shape, strides: [plan.inner.x] }, [size]);
    device.k.reduce_fold(code, dtype, dk, dr, addressOf(x), addressOf(out));
    return;
  }
  // x's innermost dim is kept: sweep x in memory order into 8-byte accumulators.
  const accStrides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    if (!reduced[d]) {
      accStrides[d] = s;
      s *= x.shape[d];
    }
  }
  const d = device.walk(0, collapseDims(x.shape, [accStrides, x.strides]), [8, size]);
  const acc = device.scratch(outCount * 8, 'reduce');
  try {
    device.k.reduce_acc(code, dtype, d, acc[0], outCount, addressOf(x), addressOf(out));
  } finally {
    device.release(acc);
  }
}

export function argReduce(device: Device, op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  const size = elementBytes(x.dtype);
  const d = device.walk(0, collapseDims(without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)]), [size, 4]);
  const code = ARG_REDUCE_TABLE[op].code;
  try {
    device.k.arg_reduce(code, DTYPE_CODES[x.dtype], d, addressOf(x), addressOf(out), x.shape[axis], x.strides[axis] * size);
  } catch (error) {
    throw kernelError(error, `argReduce '${op}' (code ${code}) of ${x.dtype}`, 'assembly/reduce.ts');
  }
}

/** Softmax (log false) or log-softmax (log true) along `axis` of float32 `x`. */
export function softmax(device: Device, log: boolean, x: TensorView, axis: number, out: TensorView): void {
  const size = sizeOf(out.shape);
  if (size === 0) return;
  const flag = log ? 1 : 0;
  const n = x.shape[axis];
  if ((x.strides[axis] === 1 && out.strides[axis] === 1) || n === 1) {
    // Contiguous lines: fast path when the other dims collapse to one row step.
    const outer = collapseDims(without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)]);
    if (outer.shape.length === 1 && n > 1) {
      const rows = outer.shape[0];
      const nt = Math.min(device.threadsFor(size, PARALLEL_SOFTMAX), rows);
      device.zeroCounters();
      device.run('softmax_rows_f32', [flag, addressOf(x), addressOf(out), rows, n, outer.strides[0][0] * 4, outer.strides[1][0] * 4, COUNTERS], nt);
      return;
    }
  }
  const d = device.walk(0, collapseDims(without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)]), [4, 4]);
  device.k.softmax_f32(flag, d, addressOf(x), addressOf(out), n, x.strides[axis] * 4, out.strides[axis] * 4);
}
