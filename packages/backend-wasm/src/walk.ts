/**
 * Host side of strided walks: write the descriptor that assembly/walk.ts reads (a WALK
 * header, then one WALK_DIM record per dim; src/layouts.ts) for dims that core's
 * `collapseDims` (or a plan built on it) has already merged. Any rank works: the descriptor
 * grows with the number of dims left after merging.
 */
import { MAX_WALK_VIEWS, WALK, WALK_DIM, wordsOf } from './layouts.js';

const HEAD = wordsOf(WALK);
const DIM = wordsOf(WALK_DIM);

/** Merged dims and their strides per view, in elements (as `collapseDims` returns them). */
export interface Walk {
  readonly shape: readonly number[];
  /** strides[v][d] */
  readonly strides: readonly (readonly number[])[];
}

/** Bytes of a descriptor for a walk of `nd` merged dims (a 0-d walk is written as one dim). */
export function walkBytes(nd: number): number {
  return (HEAD.words + Math.max(1, nd) * DIM.words) * 4;
}

/**
 * Write `walk` at byte address `at` of `i32` (an Int32Array over memory); `sizes` are the
 * views' element sizes in bytes. The device walks at least one dim: a single element
 * (rank 0 after merging) is one dim of size 1.
 */
export function writeWalk(i32: Int32Array, at: number, walk: Walk, sizes: readonly number[]): void {
  const nv = walk.strides.length;
  if (nv > MAX_WALK_VIEWS) throw new Error(`wasm backend: a walk carries at most ${MAX_WALK_VIEWS} views, got ${nv}`);
  const scalar = walk.shape.length === 0;
  const nd = scalar ? 1 : walk.shape.length;
  const base = at >> 2;
  i32[base + HEAD.at.ndim] = nd;
  for (let i = 0; i < nd; i++) {
    const dim = base + HEAD.words + i * DIM.words;
    i32[dim + DIM.at.size] = scalar ? 1 : walk.shape[i];
    for (let v = 0; v < nv; v++) i32[dim + DIM.at.strides + v] = scalar ? 0 : walk.strides[v][i] * sizes[v];
  }
}
