/**
 * The indexing family (kernels/indexing.cu): gather and scatterAdd along one dim, one thread
 * per index element over core's elementwise plan of (index, source, out). The indexed
 * operand is walked with `dim` pinned (stride 0 there); the index supplies that coordinate.
 */
import { planElementwise, type TensorView } from '@tensile/core';
import { pointerOf } from '../buffer.js';
import { BLOCK, checkRank, gridFor, type KernelRef, type Launcher } from './launch.js';

/** Strides of `v` with `dim` pinned to 0. */
function pinned(v: TensorView, dim: number): number[] {
  return v.strides.map((s, d) => (d === dim ? 0 : s));
}

function launchIndex(
  launcher: Launcher, kernel: KernelRef, index: TensorView, src: TensorView, srcStrides: readonly number[],
  out: TensorView, outStrides: readonly number[], dimSize: number, dimStride: number,
): void {
  const plan = planElementwise(index.shape, [index, { strides: srcStrides, offset: src.offset }, { strides: outStrides, offset: out.offset }]);
  if (plan.size === 0) return;
  checkRank(plan.shape.length, kernel.family);
  const p = launcher.args('IndexParams')
    .set('n', plan.size).set('rank', plan.shape.length).set('dimSize', dimSize).set('dimStride', dimStride)
    .setAll('shape', plan.shape).setAll('indexStrides', plan.strides[0])
    .setAll('srcStrides', plan.strides[1]).setAll('outStrides', plan.strides[2])
    .set('indexOffset', index.offset).set('srcOffset', src.offset).set('outOffset', out.offset)
    .set('index', pointerOf(index)).set('src', pointerOf(src)).set('out', pointerOf(out));
  launcher.launch(kernel, [gridFor(plan.size), 1, 1], BLOCK, p);
}

export function gather(launcher: Launcher, x: TensorView, dim: number, index: TensorView, out: TensorView): void {
  launchIndex(launcher, { family: 'gather', op: 0, dtype: x.dtype }, index, x, pinned(x, dim), out, out.strides, x.shape[dim], x.strides[dim]);
}

export function scatterAdd(launcher: Launcher, dim: number, index: TensorView, src: TensorView, out: TensorView): void {
  launchIndex(launcher, { family: 'scatterAdd', op: 0, dtype: out.dtype }, index, src, src.strides, out, pinned(out, dim), out.shape[dim], out.strides[dim]);
}
