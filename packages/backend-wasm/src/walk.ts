/**
 * Host side of strided walks: simplify a shape shared by several views (drop size-1 dims,
 * merge a dim into its inner neighbour where that is contiguous in every view), then write
 * the descriptor that assembly/walk.ts reads: ndim, shape, byte strides per view. Any rank
 * works: the descriptor grows with the number of dims left after merging.
 */

/** Views one walk carries (where: cond, a, b, out). */
export const MAX_WALK_VIEWS = 4;

/** Bytes of a descriptor for `nd` simplified dims (header, shape, strides, walk scratch). */
export function walkBytes(nd: number): number {
  return 32 + 24 * nd;
}

export interface Walk {
  shape: number[];
  /** strides[v][d], in elements. */
  strides: number[][];
}

/**
 * Simplified dims; `shape` is never empty (a scalar becomes [1] with stride 0). Works from
 * the innermost dim outward: a dim whose stride in every view equals the span of the dim
 * inside it (stride times size) extends that dim instead of adding one.
 */
export function simplify(shape: readonly number[], strides: readonly (readonly number[])[]): Walk {
  const nv = strides.length;
  const sizes: number[] = []; // innermost first
  const steps: number[][] = strides.map(() => []);
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    const inner = sizes.length - 1;
    let extends_ = inner >= 0;
    for (let v = 0; extends_ && v < nv; v++) extends_ = strides[v][d] === steps[v][inner] * sizes[inner];
    if (extends_) {
      sizes[inner] *= shape[d];
    } else {
      sizes.push(shape[d]);
      for (let v = 0; v < nv; v++) steps[v].push(strides[v][d]);
    }
  }
  if (sizes.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: sizes.reverse(), strides: steps.map((s) => s.reverse()) };
}

/** Write a walk at byte address `at` of `i32` (an Int32Array over memory); element sizes per view. */
export function writeWalk(i32: Int32Array, at: number, walk: Walk, sizes: readonly number[]): void {
  const nd = walk.shape.length;
  const base = at >> 2;
  i32[base] = nd;
  for (let i = 0; i < nd; i++) i32[base + 4 + i] = walk.shape[i];
  for (let v = 0; v < walk.strides.length; v++) {
    const row = base + 4 + nd + v * nd;
    for (let i = 0; i < nd; i++) i32[row + i] = walk.strides[v][i] * sizes[v];
  }
}
