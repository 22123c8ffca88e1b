/**
 * The pool family (kernels/pool.cu): 2-D max and average pooling and their gradients, one
 * thread per output (or dy) element, from core's pool geometry and the views' strides.
 */
import { poolGeometry, sizeOf, type Pool2dParams, type PoolOp, type TensorView } from '@tensile/core';
import { pointerOf } from '../buffer.js';
import type { ArgBlock } from '../params.js';
import { fill } from './elementwise.js';
import { BLOCK, gridFor, type Launcher } from './launch.js';

/** PoolParams of input `x`, output (or dy) `y`, and for the gradient its `g`. */
function poolParams(launcher: Launcher, x: TensorView, y: TensorView, g: TensorView | null, params: Pool2dParams): ArgBlock<'PoolParams'> {
  const p = launcher.args('PoolParams').setRecord(poolGeometry(x.shape, y.shape, params))
    .setAll('xStrides', x.strides).setAll('yStrides', y.strides)
    .set('xOffset', x.offset).set('yOffset', y.offset).set('x', pointerOf(x)).set('y', pointerOf(y));
  if (g) p.setAll('gStrides', g.strides).set('gOffset', g.offset).set('g', pointerOf(g));
  return p;
}

export function pool2d(launcher: Launcher, op: PoolOp, x: TensorView, out: TensorView, params: Pool2dParams): void {
  const n = sizeOf(out.shape);
  if (n === 0) return;
  launcher.launch({ family: `${op}Pool2d`, op: 0, dtype: x.dtype }, [gridFor(n), 1, 1], BLOCK, poolParams(launcher, x, out, null, params));
}

/** Zero `out`, then scatter each dy element into its window (atomically: windows overlap). */
export function pool2dBackward(launcher: Launcher, op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, params: Pool2dParams): void {
  fill(launcher, out, 0);
  const n = sizeOf(dy.shape);
  if (n === 0) return;
  launcher.launch({ family: `${op}Pool2dBackward`, op: 0, dtype: x.dtype }, [gridFor(n), 1, 1], BLOCK, poolParams(launcher, x, dy, out, params));
}
