/** The cuda backend's buffers: a block of device memory behind an opaque handle. */
import type { BufferHandle, CoreDType, DType, TensorView } from '@tensile/core';
import type { Block } from './allocator.js';

/** Bytes per element. float16 never reaches this backend: without supportsDType, core refuses it before any kernel. */
export const BYTES = { float32: 4, int32: 4, bool: 1 } satisfies Record<CoreDType, number> as Record<DType, number>;

export class CudaBuffer implements BufferHandle {
  declare readonly __brand?: 'tensile.BufferHandle';
  constructor(
    readonly block: Block,
    readonly size: number,
    readonly dtype: DType,
  ) {}
  get pointer(): number {
    return this.block.pointer;
  }
}

export function bufferOf(handle: BufferHandle): CudaBuffer {
  if (!(handle instanceof CudaBuffer)) {
    throw new Error("cuda backend: received a buffer that belongs to another backend; move the tensor with t.to('cuda') first");
  }
  if (handle.block.released) throw new Error('cuda backend: buffer used after it was freed');
  return handle;
}

/** The device address of a view's buffer (its offset is passed apart, in elements). */
export function pointerOf(view: TensorView): number {
  return bufferOf(view.buffer).pointer;
}
