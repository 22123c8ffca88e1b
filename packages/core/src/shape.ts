/** Shape arithmetic shared by ops and backends. */

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Whether a view with these strides walks memory in row-major order with no gaps. */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** The broadcast of two shapes (NumPy/PyTorch rules), or an error naming both. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast ` +
          `(dim ${i - rank}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolve a possibly negative dim against `rank`, or throw naming the op. */
export function normalizeDim(dim: number, rank: number, op: string): number {
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of rank ${rank} (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/**
 * Simplify a walk shared by several views of one shape, for kernels: size-1 dims are
 * dropped, and a dim folds into its outer neighbour when it is contiguous with it in every
 * view. A contiguous tensor becomes rank 1; an all-ones shape becomes rank 0.
 *
 * @example
 * ```ts
 * collapseDims([2, 3, 4], [[12, 4, 1], [0, 0, 1]]); // { shape: [6, 4], strides: [[4, 1], [0, 1]] }
 * ```
 */
export function collapseDims(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * size)) {
      outShape[last] *= size;
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
      continue;
    }
    outShape.push(size);
    strides.forEach((s, k) => outStrides[k].push(s[d]));
  }
  return { shape: outShape, strides: outStrides };
}
