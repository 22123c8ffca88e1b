/**
 * Buffers of the wasm backend: a block of the one shared WebAssembly.Memory behind an
 * opaque handle. Core only ever sees `BufferHandle`.
 */
import type { BufferHandle, DType, TensorView } from '@tensile/core';

/** A block of linear memory: byte address, capacity and element count. */
export class WasmBuffer implements BufferHandle {
  /** Type-only brand shared with core's handle type (no runtime field). */
  declare readonly __brand?: 'tensile.BufferHandle';
  freed = false;
  constructor(
    /** Byte address in linear memory (16-byte aligned). */
    readonly ptr: number,
    /** Bytes reserved (the allocator's size class). */
    readonly capacity: number,
    /** Elements of `dtype` the buffer holds. */
    readonly size: number,
    readonly dtype: DType,
    /** The memory the block lives in (one per backend instance). */
    readonly memory: WebAssembly.Memory,
  ) {}
}

/** The live buffer behind a handle; throws for foreign or freed handles. */
export function bufferOf(buffer: BufferHandle): WasmBuffer {
  if (!(buffer instanceof WasmBuffer)) {
    throw new Error("wasm backend: received a buffer that belongs to another backend; move the tensor with t.to('wasm') first");
  }
  if (buffer.freed) throw new Error('wasm backend: buffer used after it was freed');
  return buffer;
}

/** Bytes per element of a dtype. */
export function elementBytes(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** Byte address of a view's first element. */
export function addressOf(view: TensorView): number {
  return bufferOf(view.buffer).ptr + view.offset * elementBytes(view.dtype);
}
