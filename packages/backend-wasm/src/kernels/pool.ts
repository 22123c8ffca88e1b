/** 2-D pooling and its gradient (assembly/pool.ts), the sizes in a POOL record packed from core's `poolGeometry`. */
import { poolGeometry, sizeOf, type Pool2dParams, type PoolOp, type TensorView } from '@tensile/core';
import { addressOf } from '../buffer.js';
import { RECORD, type Device } from '../device.js';
import { packer, POOL } from '../layouts.js';

/** Window elements below which pooling stays on the calling thread. */
const PARALLEL_POOL = 1 << 15;
const MAX_POOL_THREADS = 32;

const packPool = packer(POOL);

function isMax(op: PoolOp): number {
  switch (op) {
    case 'max':
      return 1;
    case 'avg':
      return 0;
    default:
      throw new Error(`wasm backend: unknown pool op '${op satisfies never}'`);
  }
}

function writeGeometry(device: Device, op: PoolOp, x: TensorView, outShape: readonly number[], p: Pool2dParams, dyStrides: readonly number[]): void {
  packPool(device.i32(), RECORD, {
    ...poolGeometry(x.shape, outShape, p),
    isMax: isMax(op),
    xStrideN: x.strides[0], xStrideC: x.strides[1], xStrideH: x.strides[2], xStrideW: x.strides[3],
    dyStrideN: dyStrides[0], dyStrideC: dyStrides[1], dyStrideH: dyStrides[2], dyStrideW: dyStrides[3],
  });
}

function threads(device: Device, outShape: readonly number[], p: Pool2dParams): number {
  return Math.min(device.threadsFor(sizeOf(outShape) * p.kernelSize[0] * p.kernelSize[1], PARALLEL_POOL), MAX_POOL_THREADS);
}

export function pool2d(device: Device, op: PoolOp, x: TensorView, out: TensorView, params: Pool2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  writeGeometry(device, op, x, out.shape, params, [0, 0, 0, 0]);
  device.run('pool2d_f32', [RECORD, addressOf(x), addressOf(out)], threads(device, out.shape, params));
}

export function pool2dBackward(device: Device, op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, params: Pool2dParams): void {
  if (sizeOf(out.shape) === 0) return;
  writeGeometry(device, op, x, dy.shape, params, dy.strides);
  device.run('pool2d_bwd_f32', [RECORD, addressOf(x), addressOf(dy), addressOf(out)], threads(device, dy.shape, params));
}
