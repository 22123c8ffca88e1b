/**
 * Reference-counted device memory. Every Tensor handle (and every tensor saved for a
 * backward pass) holds one reference; the buffer goes back to its backend when the last
 * reference is released.
 */
import type { Backend, BufferHandle } from '../backend/contract.js';
import { BYTES_PER_ELEMENT, type DType } from '../dtype.js';

interface DeviceCounts {
  tensors: number;
  buffers: number;
  bytes: number;
}

/** Live counts per backend, read by `tl.memory()`. */
export const deviceCounts = new Map<string, DeviceCounts>();

export function countsFor(device: string): DeviceCounts {
  let counts = deviceCounts.get(device);
  if (!counts) {
    counts = { tensors: 0, buffers: 0, bytes: 0 };
    deviceCounts.set(device, counts);
  }
  return counts;
}

/** Whether `backend` holds tensors of `dtype` (float32, int32 and bool everywhere). */
export function supportsDType(backend: Backend, dtype: DType): boolean {
  return dtype !== 'float16' || (backend.supportsDType?.(dtype) ?? false);
}

/** Throw the clear error for a dtype `backend` does not hold. */
export function checkDType(backend: Backend, dtype: DType): void {
  if (!supportsDType(backend, dtype)) {
    throw new TypeError(
      `${dtype} tensors are not supported on the '${backend.name}' backend. ${dtype} needs a backend that ` +
        `supports it (webgpu on an adapter with the 'shader-f16' feature); use float32 on '${backend.name}'.`,
    );
  }
}

export class Storage {
  private refs = 1;
  readonly bytes: number;

  constructor(
    readonly backend: Backend,
    readonly buffer: BufferHandle,
    readonly size: number,
    readonly dtype: DType,
  ) {
    this.bytes = size * BYTES_PER_ELEMENT[dtype];
    const counts = countsFor(backend.name);
    counts.buffers++;
    counts.bytes += this.bytes;
  }

  /** Allocate `size` elements on `backend`; a dtype the backend lacks is a clear error. */
  static allocate(backend: Backend, size: number, dtype: DType): Storage {
    checkDType(backend, dtype);
    return new Storage(backend, backend.alloc(size, dtype), size, dtype);
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      this.backend.free(this.buffer);
      const counts = countsFor(this.backend.name);
      counts.buffers--;
      counts.bytes -= this.bytes;
    }
  }
}
