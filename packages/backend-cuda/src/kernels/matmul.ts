/**
 * The matmul family (kernels/matmul.cu, on the tile loops of kernels/gemm.cuh): batched
 * matmul with any strides, and the GEMM launch geometry that conv shares: a grid of
 * GEMM_TILE x GEMM_TILE output tiles, grid.z over batches (or conv groups) times K-splits.
 */
import { planElementwise, type DType, type TensorView } from '@tensile/core';
import { pointerOf } from '../buffer.js';
import { GEMM_SIMT_THREADS, GEMM_TF32_THREADS, GEMM_TILE, GEMM_TILE_K } from '../params.js';
import { fill } from './elementwise.js';
import { checkRank, MAX_GRID_YZ, type KernelRef, type Launcher } from './launch.js';

/**
 * Split-K for a GEMM with `tiles` output tiles over K: split only when the tiles alone
 * cannot fill the GPU and K is long; each split covers a multiple of GEMM_TILE_K.
 */
export function splitK(tiles: number, k: number, multiprocessors: number): { splits: number; kChunk: number } {
  const full = { splits: 1, kChunk: Math.max(k, 1) };
  if (k < 1024 || tiles >= 2 * multiprocessors) return full;
  let splits = Math.min(Math.ceil((2 * multiprocessors) / tiles), Math.ceil(k / 256), 64);
  if (splits <= 1) return full;
  const kChunk = Math.ceil(k / splits / GEMM_TILE_K) * GEMM_TILE_K;
  splits = Math.ceil(k / kChunk);
  return splits > 1 ? { splits, kChunk } : full;
}

/** Output tiles of an M x N product repeated `z` times. */
export function gemmTiles(m: number, n: number, z: number): number {
  return Math.ceil(m / GEMM_TILE) * Math.ceil(n / GEMM_TILE) * z;
}

/** The grid of an M x N GEMM over `z` problems (the kernels loop over z beyond MAX_GRID_YZ). */
export function gemmGrid(m: number, n: number, z: number, what: string): [number, number, number] {
  const gy = Math.ceil(m / GEMM_TILE);
  if (gy > MAX_GRID_YZ) throw new Error(`cuda backend: ${what} has ${m} rows; the GEMM kernels handle at most ${MAX_GRID_YZ * GEMM_TILE}`);
  return [Math.ceil(n / GEMM_TILE), gy, Math.min(z, MAX_GRID_YZ)];
}

/**
 * The GEMM kernel of `family` on operands of `dtype`: its `<family>Tf32` variant on tensor
 * cores unless TF32 is off, with the block size of that tile loop.
 */
export function gemmKernel(launcher: Launcher, family: string, dtype: DType): { kernel: KernelRef; block: number } {
  return launcher.allowTF32()
    ? { kernel: { family: `${family}Tf32`, op: 0, dtype }, block: GEMM_TF32_THREADS }
    : { kernel: { family, op: 0, dtype }, block: GEMM_SIMT_THREADS };
}

export function matmul(launcher: Launcher, a: TensorView, b: TensorView, out: TensorView): void {
  const r = out.shape.length;
  const [M, N] = [out.shape[r - 2], out.shape[r - 1]];
  const K = a.shape[r - 1];
  const batchOf = (v: TensorView) => ({ strides: v.strides.slice(0, r - 2), offset: v.offset });
  const batch = planElementwise(out.shape.slice(0, r - 2), [batchOf(a), batchOf(b), batchOf(out)]);
  if (M === 0 || N === 0 || batch.size === 0) return;
  if (K === 0) return fill(launcher, out, 0);
  checkRank(batch.shape.length, 'matmul');
  const { kernel, block } = gemmKernel(launcher, 'matmul', a.dtype);
  const { splits, kChunk } = splitK(gemmTiles(M, N, batch.size), K, launcher.device.multiProcessorCount);
  if (splits > 1) fill(launcher, out, 0);
  const p = launcher.args('MatmulParams')
    .set('M', M).set('N', N).set('K', K).set('batch', batch.size).set('batchRank', batch.shape.length)
    .setAll('batchShape', batch.shape).setAll('aBatchStrides', batch.strides[0])
    .setAll('bBatchStrides', batch.strides[1]).setAll('cBatchStrides', batch.strides[2])
    .set('aOffset', a.offset).set('bOffset', b.offset).set('cOffset', out.offset)
    .set('aRowStride', a.strides[r - 2]).set('aColStride', a.strides[r - 1])
    .set('bRowStride', b.strides[r - 2]).set('bColStride', b.strides[r - 1])
    .set('cRowStride', out.strides[r - 2]).set('cColStride', out.strides[r - 1])
    .set('a', pointerOf(a)).set('b', pointerOf(b)).set('c', pointerOf(out))
    .set('kChunk', kChunk).set('splits', splits);
  launcher.launch(kernel, gemmGrid(M, N, batch.size * splits, 'matmul'), block, p);
}
