/**
 * The reduce family (kernels/reduce.cu): reduce over a set of axes, argReduce along one, and
 * the fused softmax/logSoftmax. Core's reduce plan splits the input into `outer` kept
 * positions (one output each) and `inner` reduced ones, each merged into at most MAX_DIMS dims.
 */
import {
  ARG_REDUCE_TABLE, CORE_DTYPES, planReduce, REDUCE_TABLE,
  type ArgReduceOp, type CoreDType, type DType, type ReduceOp, type TensorView,
} from '@tensile/core';
import { pointerOf } from '../buffer.js';
import type { ArgBlock } from '../params.js';
import { BLOCK, checkRank, gridFor, type KernelRef, type Launcher } from './launch.js';

/** argmax/argmin take every dtype (the op table gives them no dtype rules). */
export const ARG_REDUCE_DTYPES: readonly CoreDType[] = CORE_DTYPES;

/** The reduce kernel of `op` on `x` (float32 or int32: core counts bools in int32). */
export function reduceKernel(op: ReduceOp, x: DType): KernelRef {
  return { family: 'reduce', op: REDUCE_TABLE[op].code, dtype: x };
}

export function argReduceKernel(op: ArgReduceOp, x: DType): KernelRef {
  return { family: 'argReduce', op: ARG_REDUCE_TABLE[op].code, dtype: x };
}

/** Smallest power of two >= n, clamped to [32, max]: a block size for one-block-per-row kernels. */
export function rowBlock(n: number, max = 256): number {
  let b = 32;
  while (b < n && b < max) b *= 2;
  return b;
}

/**
 * 0: one block per output, for long reductions; 1: one thread per output, for short ones or
 * many outputs along a contiguous dim (coalesced across threads).
 */
export function reduceMode(outer: number, inner: number, outerLastStride: number): 0 | 1 {
  return inner <= 32 || (outerLastStride === 1 && outer >= 16384) ? 1 : 0;
}

/** A ReduceParams block for reducing `x` over `axes` into `out`, and the plan it came from. */
function reduceParams(launcher: Launcher, x: TensorView, axes: readonly number[], out: TensorView, what: string) {
  const plan = planReduce(x, axes, out);
  checkRank(plan.outer.shape.length, what);
  checkRank(plan.inner.shape.length, what);
  const p: ArgBlock<'ReduceParams'> = launcher.args('ReduceParams')
    .set('outer', plan.outerSize).set('inner', plan.innerSize)
    .set('outerRank', plan.outer.shape.length).set('innerRank', plan.inner.shape.length)
    .setAll('outerShape', plan.outer.shape).setAll('innerShape', plan.inner.shape)
    .setAll('xOuterStrides', plan.outer.x).setAll('outOuterStrides', plan.outer.out).setAll('xInnerStrides', plan.inner.x)
    .set('xOffset', x.offset).set('outOffset', out.offset).set('x', pointerOf(x)).set('out', pointerOf(out));
  return { p, plan };
}

export function reduce(launcher: Launcher, op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  const kernel = reduceKernel(op, x.dtype);
  const { p, plan } = reduceParams(launcher, x, axes, out, `reduce '${op}'`);
  if (plan.outerSize === 0) return;
  const outer = plan.outer.x;
  const mode = reduceMode(plan.outerSize, plan.innerSize, outer.length > 0 ? outer[outer.length - 1] : 0);
  p.set('mode', mode);
  if (mode === 1) launcher.launch(kernel, [gridFor(plan.outerSize), 1, 1], BLOCK, p);
  else launcher.launch(kernel, [gridFor(plan.outerSize, 1), 1, 1], rowBlock(plan.innerSize), p);
}

/**
 * One block per output row along `axis` (the one reduced dim: the kernels step it by
 * xInnerStrides[0], and softmax writes it by outInnerStrides[0]).
 */
function alongAxis(launcher: Launcher, kernel: KernelRef, what: string, x: TensorView, axis: number, out: TensorView): void {
  const { p, plan } = reduceParams(launcher, x, [axis], out, what);
  if (plan.outerSize === 0) return;
  p.set('outInnerStrides', out.strides[axis]);
  launcher.launch(kernel, [gridFor(plan.outerSize, 1), 1, 1], rowBlock(plan.innerSize), p);
}

export function argReduce(launcher: Launcher, op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  alongAxis(launcher, argReduceKernel(op, x.dtype), `argReduce '${op}'`, x, axis, out);
}

export function softmax(launcher: Launcher, x: TensorView, axis: number, out: TensorView): void {
  if (x.shape[axis] === 0) return; // nothing to write
  alongAxis(launcher, { family: 'softmax', op: 0, dtype: x.dtype }, 'softmax', x, axis, out);
}

export function logSoftmax(launcher: Launcher, x: TensorView, axis: number, out: TensorView): void {
  if (x.shape[axis] === 0) return;
  alongAxis(launcher, { family: 'logSoftmax', op: 0, dtype: x.dtype }, 'logSoftmax', x, axis, out);
}
