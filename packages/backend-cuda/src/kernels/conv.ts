/**
 * The conv family (kernels/conv.cu): conv2d and both its gradients as implicit GEMMs on the
 * matmul family's tile loops, the input read through im2col positions computed on the fly.
 * Each packs core's conv geometry and the three views into one ConvParams block.
 */
import { convGeometry, sizeOf, type Conv2dParams, type TensorView } from '@tensile/core';
import { pointerOf } from '../buffer.js';
import type { ArgBlock } from '../params.js';
import { fill } from './elementwise.js';
import type { Launcher } from './launch.js';
import { gemmGrid, gemmKernel, gemmTiles, splitK } from './matmul.js';

/** ConvParams for input-side `x`, weight-side `w` and output-side `y` views. */
function convParams(launcher: Launcher, x: TensorView, w: TensorView, y: TensorView, c: Conv2dParams): ArgBlock<'ConvParams'> {
  return launcher.args('ConvParams').setRecord(convGeometry(x.shape, w.shape, y.shape, c))
    .setAll('xStrides', x.strides).setAll('wStrides', w.strides).setAll('yStrides', y.strides)
    .set('xOffset', x.offset).set('wOffset', w.offset).set('yOffset', y.offset)
    .set('x', pointerOf(x)).set('w', pointerOf(w)).set('y', pointerOf(y))
    .set('kChunk', 1).set('splits', 1);
}

/** out[b, o, oh, ow]: M = O/groups rows, N = batch*oH*oW columns, K = C/groups*kH*kW. */
export function conv2d(launcher: Launcher, x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  const g = params.groups;
  const M = out.shape[1] / g, N = out.shape[0] * out.shape[2] * out.shape[3];
  const K = (x.shape[1] / g) * weight.shape[2] * weight.shape[3];
  if (K === 0) return fill(launcher, out, 0);
  const { kernel, block } = gemmKernel(launcher, 'conv2d', x.dtype);
  const p = convParams(launcher, x, weight, out, params).set('kChunk', K);
  launcher.launch(kernel, gemmGrid(M, N, g, 'conv2d'), block, p);
}

/** dx[b, c, ih, iw]: M = C/groups, N = batch*H*W, K = O/groups*kH*kW. */
export function conv2dBackwardInput(launcher: Launcher, dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  const g = params.groups;
  const M = out.shape[1] / g, N = out.shape[0] * out.shape[2] * out.shape[3];
  const K = (weight.shape[0] / g) * weight.shape[2] * weight.shape[3];
  if (K === 0 || sizeOf(dy.shape) === 0) return fill(launcher, out, 0);
  const { kernel, block } = gemmKernel(launcher, 'conv2dBackwardInput', dy.dtype);
  const p = convParams(launcher, out, weight, dy, params).set('kChunk', K);
  launcher.launch(kernel, gemmGrid(M, N, g, 'conv2dBackwardInput'), block, p);
}

/** dw[o, c, kh, kw]: M = O/groups, N = C/groups*kH*kW, K = batch*oH*oW (long: split-K applies). */
export function conv2dBackwardWeight(launcher: Launcher, x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  const g = params.groups;
  const M = out.shape[0] / g, N = out.shape[1] * out.shape[2] * out.shape[3];
  const K = dy.shape[0] * dy.shape[2] * dy.shape[3];
  if (K === 0) return fill(launcher, out, 0);
  const { kernel, block } = gemmKernel(launcher, 'conv2dBackwardWeight', x.dtype);
  const { splits, kChunk } = splitK(gemmTiles(M, N, g), K, launcher.device.multiProcessorCount);
  if (splits > 1) fill(launcher, out, 0);
  const p = convParams(launcher, x, out, dy, params).set('kChunk', kChunk).set('splits', splits);
  launcher.launch(kernel, gemmGrid(M, N, g * splits, 'conv2dBackwardWeight'), block, p);
}
