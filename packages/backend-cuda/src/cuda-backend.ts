/**
 * The cuda backend: the kernel contract on an NVIDIA GPU. This class holds memory and reads;
 * every kernel call is a one-line delegation to its family in src/kernels/, which packs the
 * views into the kernel's argument struct (src/params.ts), chooses the launch geometry and
 * queues the launch on the addon's one stream. Kernel calls return at once; only `read`
 * waits, and it waits without blocking the event loop.
 */
import {
  contiguousStrides, CONTRACT_VERSION, isContiguous, sizeOf,
  type AcceleratedOps, type ArgReduceOp, type Backend, type BackendMemoryInfo, type BufferHandle, type Conv2dParams,
  type DType, type Pool2dParams, type PoolOp, type RandomDistribution, type RandomKey, type ReduceOp,
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

export class CudaBackend implements Backend {
  readonly name = 'cuda';
  readonly contractVersion = CONTRACT_VERSION;
  readonly accelerates: AcceleratedOps = { unary: ACCELERATED_UNARY, binary: ACCELERATED_BINARY };
  readonly allocator: CachingAllocator;
  private readonly kernels: Launcher;

  constructor(
    readonly native: NativeModule,
    readonly device: DeviceInfo,
    options: CudaBackendOptions = {},
  ) {
    this.allocator = new CachingAllocator(native);
    this.kernels = new Launcher(native, device, options.allowTF32 ?? (() => true));
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

  // ---- data movement and elementwise --------------------------------------------------------

  fill(out: TensorView, value: number): void {
    fill(this.kernels, out, value);
  }

  copy(x: TensorView, out: TensorView): void {
    copy(this.kernels, x, out);
  }

  cast(x: TensorView, out: TensorView): void {
    cast(this.kernels, x, out);
  }

  unary(op: CudaUnaryOp, x: TensorView, out: TensorView): void {
    unary(this.kernels, op, x, out);
  }

  binary(op: CudaBinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
    binary(this.kernels, op, a, b, out);
  }

  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
    where(this.kernels, cond, a, b, out);
  }

  // ---- reductions ---------------------------------------------------------------------------

  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
    reduce(this.kernels, op, x, axes, out);
  }

  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
    argReduce(this.kernels, op, x, axis, out);
  }

  softmax(x: TensorView, axis: number, out: TensorView): void {
    softmax(this.kernels, x, axis, out);
  }

  logSoftmax(x: TensorView, axis: number, out: TensorView): void {
    logSoftmax(this.kernels, x, axis, out);
  }

  // ---- matmul, convolution, pooling ---------------------------------------------------------

  matmul(a: TensorView, b: TensorView, out: TensorView): void {
    matmul(this.kernels, a, b, out);
  }

  conv2d(x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
    conv2d(this.kernels, x, weight, out, params);
  }

  conv2dBackwardInput(dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
    conv2dBackwardInput(this.kernels, dy, weight, out, params);
  }

  conv2dBackwardWeight(x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void {
    conv2dBackwardWeight(this.kernels, x, dy, out, params);
  }

  pool2d(op: PoolOp, x: TensorView, out: TensorView, params: Pool2dParams): void {
    pool2d(this.kernels, op, x, out, params);
  }

  pool2dBackward(op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, params: Pool2dParams): void {
    pool2dBackward(this.kernels, op, x, dy, out, params);
  }

  // ---- indexing and random ------------------------------------------------------------------

  gather(x: TensorView, dim: number, index: TensorView, out: TensorView): void {
    gather(this.kernels, x, dim, index, out);
  }

  scatterAdd(dim: number, index: TensorView, src: TensorView, out: TensorView): void {
    scatterAdd(this.kernels, dim, index, src, out);
  }

  random(distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
    random(this.kernels, distribution, key, out);
  }

  // ---- sorting ------------------------------------------------------------------------------

  sort(x: TensorView, descending: boolean, values: TensorView, indices: TensorView): void {
    const pairs = { alloc: (count: number) => this.alloc(count, 'int32') as CudaBuffer, free: (b: CudaBuffer) => this.free(b) };
    sort(this.kernels, pairs, x, descending, values, indices);
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
