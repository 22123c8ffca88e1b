/**
 * Buffers of the wasm backend: a block of the one shared WebAssembly.Memory behind an
 * opaque handle. Core only ever sees `BufferHandle`.
 */
import type { BufferHandle, DType, TensorView, TypedArrayFor } from '@tensile/core';

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

/**
 * Arrays from this size on come straight from the OS as unmapped pages (glibc maps anything
 * over 32 MiB afresh; smaller ones are reused heap memory, where `slice` is the fastest copy).
 */
const FRESH_ARRAY_BYTES = 1 << 25;
/** Bytes of the smallest page size in use: writing one element per page faults the page in. */
const PAGE_BYTES = 4096;
/** Bytes faulted in and then copied at a time by copyOut. */
const COPY_CHUNK_BYTES = 1 << 22;

/**
 * A copy of `src` (a view of linear memory) in a fresh array. V8 copies out of a
 * SharedArrayBuffer with a word-by-word loop, which loses ~10% when the page faults of a
 * fresh large array land inside it, so there each chunk's pages are faulted in with one
 * write per page first, then the chunk is copied.
 */
export function copyOut(src: TypedArrayFor<DType>): TypedArrayFor<DType> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && src.buffer instanceof SharedArrayBuffer;
  if (!shared || src.byteLength < FRESH_ARRAY_BYTES) return src.slice();
  const n = src.length;
  const out = new (src.constructor as new (n: number) => TypedArrayFor<DType>)(n);
  const page = PAGE_BYTES / src.BYTES_PER_ELEMENT, chunk = COPY_CHUNK_BYTES / src.BYTES_PER_ELEMENT;
  for (let lo = 0; lo < n; lo += chunk) {
    const hi = Math.min(n, lo + chunk);
    for (let i = lo; i < hi; i += page) out[i] = 0;
    (out as Uint8Array).set(src.subarray(lo, hi), lo);
  }
  return out;
}
