/**
 * Shape and launch geometry on the host: merging dims so kernels index as few dims as
 * possible, and choosing grid/block sizes. Pure functions, unit-tested without a GPU.
 */
import { GEMM_TILE, GEMM_TILE_K, MAX_DIMS } from './params.js';

/** Threads per block of the elementwise and indexing kernels. */
export const BLOCK = 256;
/** Cap on blocks of a grid-stride loop (enough to fill any GPU; the loop covers the rest). */
export const MAX_GRID_BLOCKS = 1 << 20;
/** CUDA's limit on gridDim.y and gridDim.z. */
export const MAX_GRID_YZ = 65535;

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throw when a (coalesced) walk needs more dims than the kernels index. */
export function checkRank(rank: number, kernel: string): void {
  if (rank > MAX_DIMS) {
    throw new Error(`cuda backend: ${kernel} needs ${rank} non-mergeable dims; the kernels index at most ${MAX_DIMS}`);
  }
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** Whether a view's elements are dense and in row-major order (offset aside). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== s) return false;
    s *= shape[d];
  }
  return true;
}

/** Blocks for a grid-stride loop over `n` items with `block` threads each. */
export function gridFor(n: number, block = BLOCK): number {
  return Math.max(1, Math.min(Math.ceil(n / block), MAX_GRID_BLOCKS));
}

/** Smallest power of two >= n, clamped to [32, max]: a block size for one-block-per-row kernels. */
export function rowBlock(n: number, max = 256): number {
  let b = 32;
  while (b < n && b < max) b *= 2;
  return b;
}

/** Tile edge of the GEMM kernels and its K step. */
export const TILE = GEMM_TILE;
export const TILE_K = GEMM_TILE_K;

/**
 * Split-K for a GEMM with `tiles` output tiles over K: split only when the tiles alone
 * cannot fill the GPU and K is long; each split covers a multiple of TILE_K.
 */
export function splitK(tiles: number, k: number, multiprocessors: number): { splits: number; kChunk: number } {
  const full = { splits: 1, kChunk: Math.max(k, 1) };
  if (k < 1024 || tiles >= 2 * multiprocessors) return full;
  let splits = Math.min(Math.ceil((2 * multiprocessors) / tiles), Math.ceil(k / 256), 64);
  if (splits <= 1) return full;
  const kChunk = Math.ceil(k / splits / TILE_K) * TILE_K;
  splits = Math.ceil(k / kChunk);
  return splits > 1 ? { splits, kChunk } : full;
}
