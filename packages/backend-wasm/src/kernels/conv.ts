/**
 * conv2d and its two gradients (assembly/conv.ts): im2col + GEMM on the worker pool, the
 * sizes in a CONV record packed from core's `convGeometry`.
 */
import { contiguousStrides, convGeometry, sizeOf, type Conv2dParams, type TensorView } from '@tensile/core';
import { addressOf } from '../buffer.js';
import { RECORD, type Device } from '../device.js';
import { CONV, packer } from '../layouts.js';
import { contiguousAddress, fill } from './elementwise.js';
import { PARALLEL_MACS } from './matmul.js';

/** Threads conv splits its work over at most (one column buffer each). */
const MAX_CONV_THREADS = 32;

const packConv = packer(CONV);

/** Write the CONV record for input, weight and output shapes (see convGeometry), with the input's strides. */
function writeGeometry(device: Device, input: readonly number[], weight: readonly number[], output: readonly number[], p: Conv2dParams, xStrides: readonly number[]): void {
  packConv(device.i32(), RECORD, {
    ...convGeometry(input, weight, output, p),
    xStrideN: xStrides[0], xStrideC: xStrides[1], xStrideH: xStrides[2], xStrideW: xStrides[3],
  });
}

/** Bytes of one thread's column matrix (rows x cols float32, 16-byte aligned). */
function columnBytes(rows: number, cols: number): number {
  return Math.ceil((rows * cols * 4) / 16) * 16;
}

export function conv2d(device: Device, x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  writeGeometry(device, x.shape, weight.shape, out.shape, params, x.strides);
  const [N, O, oH, oW] = out.shape;
  const rows = weight.shape[1] * weight.shape[2] * weight.shape[3];
  const cols = oH * oW;
  const nt = Math.min(device.threadsFor(N * O * rows * cols, PARALLEL_MACS), MAX_CONV_THREADS);
  const w = contiguousAddress(device, weight, 'conv2d weight');
  const colBytes = columnBytes(rows, cols);
  const col = device.scratch(nt * colBytes, 'conv2d im2col');
  try {
    const scratch = device.gemmScratchFor(nt);
    device.run('conv2d_fwd', [RECORD, addressOf(x), w.ptr, addressOf(out), col[0], colBytes, scratch], nt);
  } finally {
    device.release(col);
    if (w.block) device.release(w.block);
  }
}

export function conv2dBackwardInput(device: Device, dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  writeGeometry(device, out.shape, weight.shape, dy.shape, params, contiguousStrides(out.shape));
  const [N, O, oH, oW] = dy.shape;
  const rows = weight.shape[1] * weight.shape[2] * weight.shape[3];
  const cols = oH * oW;
  if (sizeOf(dy.shape) === 0 || rows === 0) return fill(device, out, 0);
  const nt = Math.min(device.threadsFor(N * O * rows * cols, PARALLEL_MACS), N, MAX_CONV_THREADS);
  const w = contiguousAddress(device, weight, 'conv2dBackwardInput weight');
  const d = contiguousAddress(device, dy, 'conv2dBackwardInput dy');
  const colBytes = columnBytes(rows, cols);
  const col = device.scratch(nt * colBytes, 'conv2dBackwardInput col2im');
  try {
    const scratch = device.gemmScratchFor(nt);
    device.run('conv2d_bwd_input', [RECORD, d.ptr, w.ptr, addressOf(out), col[0], colBytes, scratch], nt);
  } finally {
    device.release(col);
    if (w.block) device.release(w.block);
    if (d.block) device.release(d.block);
  }
}

export function conv2dBackwardWeight(device: Device, x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  fill(device, out, 0);
  if (sizeOf(dy.shape) === 0) return;
  writeGeometry(device, x.shape, out.shape, dy.shape, params, x.strides);
  const [N, O, oH, oW] = dy.shape;
  const rows = out.shape[1] * out.shape[2] * out.shape[3];
  const cols = oH * oW;
  const nt = Math.min(device.threadsFor(N * O * rows * cols, PARALLEL_MACS), MAX_CONV_THREADS);
  const byImage = N >= nt;
  const d = contiguousAddress(device, dy, 'conv2dBackwardWeight dy');
  const colBytes = columnBytes(rows, cols);
  const col = device.scratch(nt * colBytes, 'conv2dBackwardWeight im2col');
  const wSize = O * rows;
  const partial = byImage && nt > 1 ? device.scratch((nt - 1) * wSize * 4, 'conv2dBackwardWeight partial sums') : null;
  try {
    const scratch = device.gemmScratchFor(nt);
    device.run('conv2d_bwd_weight', [RECORD, addressOf(x), d.ptr, addressOf(out), partial ? partial[0] : 0, col[0], colBytes, scratch], nt);
    if (partial) device.k.add_parts(addressOf(out), partial[0], nt - 1, wSize);
  } finally {
    device.release(col);
    if (partial) device.release(partial);
    if (d.block) device.release(d.block);
  }
}
