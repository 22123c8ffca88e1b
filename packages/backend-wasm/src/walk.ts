/**
 * Host side of strided walks: simplify a shape shared by several views (drop size-1 dims,
 * merge a dim into its inner neighbour where that is contiguous in every view), then write
 * the descriptor that assembly/walk.ts reads: ndim, shape, byte strides per view.
 */

export const MAX_WALK_DIMS = 8;
export const MAX_WALK_VIEWS = 4;

export interface Walk {
  shape: number[];
  /** strides[v][d], in elements. */
  strides: number[][];
}

/** Simplified dims; `shape` is never empty (a scalar becomes [1] with stride 0). */
export function simplify(shape: readonly number[], strides: readonly (readonly number[])[]): Walk {
  const dims: number[] = [];
  const dimStrides: number[][] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const s = strides.map((st) => st[d]);
    const last = dims.length - 1;
    if (last >= 0 && s.every((sv, v) => dimStrides[last][v] === sv * shape[d])) {
      dims[last] *= shape[d];
      dimStrides[last] = s;
    } else {
      dims.push(shape[d]);
      dimStrides.push(s);
    }
  }
  if (dims.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: dims, strides: strides.map((_, v) => dimStrides.map((s) => s[v])) };
}

/** Write a walk at byte address `at` of `i32` (an Int32Array over memory); element sizes per view. */
export function writeWalk(i32: Int32Array, at: number, walk: Walk, sizes: readonly number[]): boolean {
  const nd = walk.shape.length;
  if (nd > MAX_WALK_DIMS) return false;
  const base = at >> 2;
  i32[base] = nd;
  for (let i = 0; i < nd; i++) i32[base + 1 + i] = walk.shape[i];
  for (let v = 0; v < walk.strides.length; v++) {
    for (let i = 0; i < nd; i++) i32[base + 9 + v * 8 + i] = walk.strides[v][i] * sizes[v];
  }
  return true;
}
