/**
 * The cuda backend: the kernel contract on an NVIDIA GPU. This class holds memory and reads;
 * every kernel call goes through its kernel table to its family in src/kernels/, which packs the
 * views into the kernel's argument struct (src/params.ts), chooses the launch geometry and
 * queues the launch on the addon's one stream. Kernel calls return at once; only `read`
 * waits, and it waits without blocking the event loop.
 */
import {
  bindKernels, contiguousStrides, CONTRACT_VERSION, isContiguous, KernelTableBackend, sizeOf,
  type AcceleratedOps, type Backend, type BackendMemoryInfo, type BufferHandle, type DType, type KernelTable,
  type TensorView, type TypedArrayFor,
} from '@tensile/core';
import { CachingAllocator, type AllocatorStats } from './allocator.js';
import { bufferOf, BYTES, CudaBuffer, pointerOf } from './buffer.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv.js';
import {
  ACCELERATED_BINARY, ACCELERATED_UNARY, binary, cast, copy, fill, unary, where, type CudaBinaryOp, type CudaUnaryOp,
} from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { Launcher } from './kernels/launch.js';
import { matmul } from './kernels/matmul.js';
import { pool2d, pool2dBackward } from './kernels/pool.js';
import { random } from './kernels/random.js';
import { argReduce, logSoftmax, reduce, softmax } from './kernels/reduce.js';
import { sort } from './kernels/sort.js';
import type { DeviceInfo, NativeModule } from './native.js';

/** Options of a backend instance. */
export interface CudaBackendOptions {
  /** Use TF32 tensor cores for matmul and convolutions (default: the module-wide setting). */
  allowTF32?: () => boolean;
}

export class CudaBackend extends KernelTableBackend<CudaUnaryOp, CudaBinaryOp> implements Backend {
  readonly name = 'cuda';
  readonly contractVersion = CONTRACT_VERSION;
  readonly accelerates: AcceleratedOps = { unary: ACCELERATED_UNARY, binary: ACCELERATED_BINARY };
  readonly allocator: CachingAllocator;
  protected readonly kernels: KernelTable<CudaUnaryOp, CudaBinaryOp>;

  constructor(
    readonly native: NativeModule,
    readonly device: DeviceInfo,
    options: CudaBackendOptions = {},
  ) {
    super();
    this.allocator = new CachingAllocator(native);
    // sort's key-index pairs are scratch buffers from this backend's allocator.
    const sortPairs = { alloc: (count: number) => this.alloc(count, 'int32') as CudaBuffer, free: (b: CudaBuffer) => this.free(b) };
    this.kernels = bindKernels(new Launcher(native, device, options.allowTF32 ?? (() => true)), {
      fill, copy, cast, unary, binary, where, reduce, argReduce, softmax, logSoftmax,
      matmul, conv2d, conv2dBackwardInput, conv2dBackwardWeight, pool2d, pool2dBackward,
      gather, scatterAdd, random,
      sort: (launcher, x, descending, values, indices) => sort(launcher, sortPairs, x, descending, values, indices),
    });
  }

  // ---- memory -------------------------------------------------------------------------------

  alloc(size: number, dtype: DType): BufferHandle {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`cuda backend: cannot allocate ${size} elements of ${dtype}; the size must be a non-negative integer`);
    }
    return new CudaBuffer(this.allocator.alloc(size * BYTES[dtype]), size, dtype);
  }

  free(buffer: BufferHandle): void {
    this.allocator.release(bufferOf(buffer).block);
  }

  write(buffer: BufferHandle, data: TypedArrayFor<DType>): void {
    const b = bufferOf(buffer);
    if (data.length > b.size) throw new RangeError(`cuda backend: cannot write ${data.length} elements into a buffer of ${b.size}`);
    if (data.length > 0) this.native.upload(b.pointer, data);
  }

  /**
   * Where a view's elements can be copied from in one piece: the view itself when dense,
   * else a contiguous copy made by a kernel (released by the caller with `done`).
   */
  private contiguousSource(view: TensorView): { pointer: number; bytes: number; done: () => void } {
    const n = sizeOf(view.shape);
    const bytes = n * BYTES[view.dtype];
    if (isContiguous(view.shape, view.strides)) {
      return { pointer: pointerOf(view) + view.offset * BYTES[view.dtype], bytes, done: () => {} };
    }
    const temp = this.alloc(n, view.dtype) as CudaBuffer;
    this.copy(view, { buffer: temp, dtype: view.dtype, shape: view.shape, strides: contiguousStrides(view.shape), offset: 0 });
    // Freeing right after queueing the download is safe: reuse is ordered on the stream.
    return { pointer: temp.pointer, bytes, done: () => this.free(temp) };
  }

  async read(view: TensorView): Promise<TypedArrayFor<DType>> {
    if (sizeOf(view.shape) === 0) return typedArray(view.dtype, new ArrayBuffer(0));
    const source = this.contiguousSource(view);
    let pending: Promise<ArrayBuffer>;
    try {
      pending = this.native.download(source.pointer, source.bytes);
    } finally {
      source.done();
    }
    return typedArray(view.dtype, await pending);
  }

  readSync(view: TensorView): TypedArrayFor<DType> {
    if (sizeOf(view.shape) === 0) return typedArray(view.dtype, new ArrayBuffer(0));
    const source = this.contiguousSource(view);
    try {
      return typedArray(view.dtype, this.native.downloadSync(source.pointer, source.bytes));
    } finally {
      source.done();
    }
  }

  memoryInfo(): BackendMemoryInfo {
    const s = this.allocator.stats();
    return { bytes: s.requestedBytes, buffers: s.liveBlocks, cachedBytes: s.cachedBytes };
  }

  /** The allocator's counters plus the device's and the pinned staging memory. */
  memoryStats(): AllocatorStats & { deviceFree: number; deviceTotal: number; pinnedBytes: number; pinnedCachedBytes: number } {
    return { ...this.allocator.stats(), ...this.native.memoryStats() };
  }

  sync(): Promise<void> {
    return this.native.synchronizeAsync();
  }

  emptyCache(): void {
    this.allocator.emptyCache();
    this.native.emptyCache();
  }
}

function typedArray(dtype: DType, bytes: ArrayBuffer): TypedArrayFor<DType> {
  switch (dtype) {
    case 'float32':
      return new Float32Array(bytes);
    case 'int32':
      return new Int32Array(bytes);
    case 'bool':
      return new Uint8Array(bytes);
  }
  throw new Error(`cuda backend: unknown dtype '${String(dtype)}'`);
}
