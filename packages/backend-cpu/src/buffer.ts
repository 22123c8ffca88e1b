/**
 * Buffers of the cpu backend: host typed arrays behind an opaque handle. Core only ever
 * sees `BufferHandle`; kernels unwrap it with {@link dataOf}.
 */
import type { BufferHandle, DType, TensorView } from '@tensile/core';

/** The host arrays behind the three dtypes. */
export type HostArray = Float32Array | Int32Array | Uint8Array;

/** A cpu buffer: a typed array and whether it was freed. */
export class CpuBuffer implements BufferHandle {
  /** Type-only brand shared with core's handle type (no runtime field). */
  declare readonly __brand?: 'tensile.BufferHandle';
  freed = false;
  constructor(
    public data: HostArray,
    readonly dtype: DType,
  ) {}
}

function unwrap(buffer: BufferHandle): CpuBuffer {
  if (!(buffer instanceof CpuBuffer)) {
    throw new Error('cpu backend: received a buffer that belongs to another backend; move the tensor with t.to(\'cpu\') first');
  }
  if (buffer.freed) throw new Error('cpu backend: buffer used after it was freed');
  return buffer;
}

/** The live buffer behind a handle; throws for foreign or freed handles. */
export function bufferOf(buffer: BufferHandle): CpuBuffer {
  return unwrap(buffer);
}

/** The typed array a view reads from (indices are `view.offset` + strides). */
export function dataOf(view: TensorView): HostArray {
  return unwrap(view.buffer).data;
}

/** The float32 array behind a view, or an error naming the kernel. */
export function float32Of(view: TensorView, kernel: string): Float32Array {
  const data = dataOf(view);
  if (!(data instanceof Float32Array)) {
    throw new Error(`cpu backend: ${kernel} expects float32 tensors, got ${view.dtype}`);
  }
  return data;
}
