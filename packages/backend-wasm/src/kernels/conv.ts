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

/** The im2col GEMMs of one call, and the threads that share them. */
interface ColumnPlan {
  /** Images (N) and output channels (O) of the output, or of dy for the gradients. */
  batch: number;
  outChannels: number;
  /** The column matrix: C/groups * kH * kW rows (the GEMM's depth), oH * oW columns. */
  rows: number;
  cols: number;
  /** Threads, each with its own column matrix of `colBytes` (float32, 16-byte aligned). */
  threads: number;
  colBytes: number;
}

/** Plan the GEMMs from the output (or dy) shape and the weight (or dw) shape, on at most `maxThreads` threads. */
function planColumns(device: Device, output: readonly number[], weight: readonly number[], maxThreads = MAX_CONV_THREADS): ColumnPlan {
  const [batch, outChannels, oH, oW] = output;
  const rows = weight[1] * weight[2] * weight[3];
  const cols = oH * oW;
  const threads = Math.min(device.threadsFor(batch * outChannels * rows * cols, PARALLEL_MACS), maxThreads);
  return { batch, outChannels, rows, cols, threads, colBytes: Math.ceil((rows * cols * 4) / 16) * 16 };
}

export function conv2d(device: Device, x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  writeGeometry(device, x.shape, weight.shape, out.shape, params, x.strides);
  const { threads: nt, colBytes } = planColumns(device, out.shape, weight.shape);
  const w = contiguousAddress(device, weight, 'conv2d weight');
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
  // Images split across threads, so no more threads than images.
  const { rows, threads: nt, colBytes } = planColumns(device, dy.shape, weight.shape, Math.min(dy.shape[0], MAX_CONV_THREADS));
  if (sizeOf(dy.shape) === 0 || rows === 0) return fill(device, out, 0);
  const w = contiguousAddress(device, weight, 'conv2dBackwardInput weight');
  const d = contiguousAddress(device, dy, 'conv2dBackwardInput dy');
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
  const { batch, outChannels, rows, threads: nt, colBytes } = planColumns(device, dy.shape, out.shape);
  const byImage = batch >= nt;
  const d = contiguousAddress(device, dy, 'conv2dBackwardWeight dy');
  const col = device.scratch(nt * colBytes, 'conv2dBackwardWeight im2col');
  const wSize = outChannels * rows;
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
