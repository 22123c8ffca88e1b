/**
 * Raw kernel views on the backend under test: buffers written through the contract's
 * `alloc`/`write`, read back with the asynchronous `read`, so the kernel suite runs on
 * every backend (GPU ones included). Unused storage around a strided view holds a
 * sentinel, so a kernel that reads or writes outside its view shows.
 */
import * as tl from '@tensile/core';
import type { Suite } from '../context.js';

/** The host array of each dtype (float16 travels as a Float32Array, as every Tensile read returns it). */
export const HOST = { float32: Float32Array, float16: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** Element index of a row-major position under `strides` and `offset`. */
function at(i: number, shape: readonly number[], strides: readonly number[], offset: number): number {
  let pos = offset;
  for (let d = shape.length - 1; d >= 0; d--) {
    pos += (i % shape[d]) * strides[d];
    i = Math.floor(i / shape[d]);
  }
  return pos;
}

/** How a view lays its logical values out in storage. */
export type Layout =
  | { kind: 'contiguous' }
  /** Stored as the shape permuted by `perm`; the view undoes it (a transpose). */
  | { kind: 'permuted'; perm: readonly number[] }
  /** Explicit strides and offset (slices, broadcasts with stride 0). */
  | { kind: 'strided'; strides: readonly number[]; offset: number };

export const CONTIGUOUS: Layout = { kind: 'contiguous' };

/** A transposed layout for a shape of rank >= 2 (the two last dims swapped), else contiguous. */
export function transposed(rank: number): Layout {
  if (rank < 2) return CONTIGUOUS;
  const perm = Array.from({ length: rank }, (_, d) => d);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return { kind: 'permuted', perm };
}

/** Views made on one backend for one test; `release()` frees them all. */
export class Views {
  private readonly buffers: tl.BufferHandle[] = [];

  constructor(readonly backend: tl.Backend) {}

  /** Whether the backend holds `dtype` (float16 is optional). */
  supports(dtype: tl.DType): boolean {
    return dtype !== 'float16' || (this.backend.supportsDType?.('float16') ?? false);
  }

  /**
   * A view whose logical row-major values are `values`. With a stride of 0, `values` must
   * repeat along that dim (the elements share storage).
   */
  make(values: readonly number[], shape: readonly number[], dtype: tl.DType = 'float32', layout: Layout = CONTIGUOUS): tl.TensorView {
    let strides: readonly number[];
    let offset = 0;
    if (layout.kind === 'contiguous') {
      strides = tl.contiguousStrides(shape);
    } else if (layout.kind === 'permuted') {
      const storage = tl.contiguousStrides(layout.perm.map((p) => shape[p]));
      const s = new Array<number>(shape.length);
      layout.perm.forEach((p, i) => (s[p] = storage[i]));
      strides = s;
    } else {
      strides = layout.strides;
      offset = layout.offset;
    }
    const n = tl.sizeOf(shape);
    let extent = offset;
    for (let i = 0; i < n; i++) extent = Math.max(extent, at(i, shape, strides, offset) + 1);
    const host = new HOST[dtype](Math.max(extent, 1));
    host.fill(dtype === 'bool' ? 1 : 77);
    for (let i = 0; i < n; i++) host[at(i, shape, strides, offset)] = values[i];
    const buffer = this.alloc(host.length, dtype);
    this.backend.write(buffer, host as tl.TypedArrayFor<tl.DType>);
    return { buffer, dtype, shape, strides, offset };
  }

  /** A contiguous view of unspecified contents. */
  empty(shape: readonly number[], dtype: tl.DType = 'float32'): tl.TensorView {
    return { buffer: this.alloc(Math.max(tl.sizeOf(shape), 1), dtype), dtype, shape, strides: tl.contiguousStrides(shape), offset: 0 };
  }

  /** The view's values in row-major order. */
  async read(view: tl.TensorView): Promise<number[]> {
    return Array.from(await this.backend.read(view));
  }

  /** The whole storage behind `view` (to check what lies outside it). */
  async storage(view: tl.TensorView, length: number): Promise<number[]> {
    return this.read({ ...view, shape: [length], strides: [1], offset: 0 });
  }

  release(): void {
    for (const b of this.buffers.splice(0)) this.backend.free(b);
  }

  private alloc(size: number, dtype: tl.DType): tl.BufferHandle {
    const buffer = this.backend.alloc(size, dtype);
    this.buffers.push(buffer);
    return buffer;
  }
}

/** The value a kernel stores for an exact result `v` in `dtype`. */
export function stored(v: number, dtype: tl.DType): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(v);
    case 'float16':
      return tl.roundToFloat16(v);
    case 'int32':
      return v | 0;
    case 'bool':
      return v !== 0 ? 1 : 0;
  }
}

/**
 * Throw unless `actual` matches `expected` (NaN matches NaN; infinities exactly; others
 * within `rtol` of max(1, |expected|)), naming the first mismatch.
 */
export function expectNear(actual: readonly number[], expected: readonly number[], rtol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) ? Number.isNaN(a) : a === e || (Number.isFinite(e) && Math.abs(a - e) <= rtol * Math.max(1, Math.abs(e)))) continue;
    throw new Error(`${what}: element ${i} is ${a}, expected ${e} (relative tolerance ${rtol})`);
  }
}

/** `test(name, fn)` for kernel cases: `fn` gets fresh views on `backend`, released afterwards. */
export function kernelTest(suite: Suite, backend: tl.Backend): (name: string, fn: (v: Views) => Promise<void>) => void {
  return (name, fn) =>
    suite.test('kernel', name, async () => {
      const views = new Views(backend);
      try {
        await fn(views);
      } finally {
        views.release();
      }
    });
}
