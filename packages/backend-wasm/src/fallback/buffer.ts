/**
 * The JavaScript fallback kernels (copied from backend-cpu's reference kernels) read wasm
 * buffers through typed arrays over the shared linear memory: `dataOf` returns an array
 * that starts at the buffer's address, so their `view.offset`-based indexing holds as is.
 */
import type { TensorView } from '@tensile/core';
import { bufferOf } from '../buffer.js';

export type HostArray = Float32Array | Int32Array | Uint8Array;

export function dataOf(view: TensorView): HostArray {
  const b = bufferOf(view.buffer);
  const mem = b.memory.buffer;
  switch (b.dtype) {
    case 'float32':
      return new Float32Array(mem, b.ptr, b.size);
    case 'int32':
      return new Int32Array(mem, b.ptr, b.size);
    default:
      return new Uint8Array(mem, b.ptr, b.size);
  }
}

export function float32Of(view: TensorView, kernel: string): Float32Array {
  const data = dataOf(view);
  if (!(data instanceof Float32Array)) throw new Error(`wasm backend: ${kernel} expects float32 tensors, got ${view.dtype}`);
  return data;
}
