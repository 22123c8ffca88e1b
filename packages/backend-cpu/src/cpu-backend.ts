/**
 * The cpu backend: the kernel contract in plain TypeScript on typed arrays. It is the
 * reference every other backend is checked against, so each kernel favours clear loops;
 * the hot ones (matmul, conv) are blocked for cache all the same.
 */
import {
  CONTRACT_VERSION, KernelTableBackend, sizeOf, typedArrayFor,
  type AcceleratedOps, type AttentionParams, type Backend, type BackendMemoryInfo, type BufferHandle, type DType,
  type KernelTable, type ScanOp, type TensorView, type TypedArrayFor,
} from '@tensile/core';
import { bufferOf, CpuBuffer, type HostArray } from './buffer.js';
import { attention } from './kernels/attention.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv.js';
import {
  ACCELERATED_BINARY, ACCELERATED_UNARY, binary, cast, copy, fill, unary, where, type CpuBinaryOp, type CpuUnaryOp,
} from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { pool2d, pool2dBackward } from './kernels/pool.js';
import { random } from './kernels/random.js';
import { argReduce, logSoftmax, reduce, softmax } from './kernels/reduce.js';
import { sort } from './kernels/sort.js';
import { scan } from './kernels/scan.js';
import { gatherInto } from './strided.js';

/** Freed arrays kept for reuse stay under this many bytes; beyond it they go to the GC. */
const POOL_LIMIT_BYTES = 256 * 1024 * 1024;
/** What a freed handle points at: one shared empty array, not a new one per free. */
const NO_DATA = new Float32Array(0);

/** The kernels, which need no context: plain functions on typed arrays. */
const CPU_KERNELS: KernelTable<CpuUnaryOp, CpuBinaryOp> = {
  fill, copy, cast, unary, binary, where, reduce, argReduce, softmax, logSoftmax,
  matmul, conv2d, conv2dBackwardInput, conv2dBackwardWeight, pool2d, pool2dBackward,
  gather, scatterAdd, sort, random,
};

export class CpuBackend extends KernelTableBackend<CpuUnaryOp, CpuBinaryOp> implements Backend {
  readonly name = 'cpu';
  readonly contractVersion = CONTRACT_VERSION;
  readonly accelerates: AcceleratedOps = { unary: ACCELERATED_UNARY, binary: ACCELERATED_BINARY };
  private liveBuffers = 0;
  private liveBytes = 0;
  /**
   * Freed arrays by dtype and length. A training loop allocates the same sizes every step;
   * reusing them spares V8 the megabytes of garbage (and the collections, ~9% of an MLP
   * step) that fresh arrays would cost.
   */
  private readonly pool = new Map<DType, Map<number, HostArray[]>>();
  private pooledBytes = 0;
  protected readonly kernels = CPU_KERNELS;

  // ---- memory ---------------------------------------------------------------------------

  alloc(size: number, dtype: DType): BufferHandle {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`cpu backend: cannot allocate ${size} elements of ${dtype}; the size must be a non-negative integer`);
    }
    let data = this.pool.get(dtype)?.get(size)?.pop();
    if (data) this.pooledBytes -= data.byteLength;
    else data = typedArrayFor(dtype, size);
    this.liveBuffers++;
    this.liveBytes += data.byteLength;
    return new CpuBuffer(data, dtype);
  }

  free(buffer: BufferHandle): void {
    const b = bufferOf(buffer); // throws on a double free
    b.freed = true;
    this.liveBuffers--;
    this.liveBytes -= b.data.byteLength;
    if (b.data.length > 0 && this.pooledBytes + b.data.byteLength <= POOL_LIMIT_BYTES) {
      let bySize = this.pool.get(b.dtype);
      if (!bySize) this.pool.set(b.dtype, (bySize = new Map()));
      let list = bySize.get(b.data.length);
      if (!list) bySize.set(b.data.length, (list = []));
      list.push(b.data);
      this.pooledBytes += b.data.byteLength;
    }
    b.data = NO_DATA; // a lingering handle must not reach the reused array
  }

  /** Let the garbage collector have every pooled array. */
  emptyCache(): void {
    this.pool.clear();
    this.pooledBytes = 0;
  }

  write(buffer: BufferHandle, data: TypedArrayFor<DType>): void {
    const b = bufferOf(buffer);
    if (data.length > b.data.length) {
      throw new RangeError(`cpu backend: cannot write ${data.length} elements into a buffer of ${b.data.length}`);
    }
    b.data.set(data);
  }

  read(view: TensorView): Promise<TypedArrayFor<DType>> {
    return Promise.resolve(this.readSync(view));
  }

  readSync(view: TensorView): TypedArrayFor<DType> {
    const result = typedArrayFor(view.dtype, sizeOf(view.shape));
    gatherInto(view, result);
    return result;
  }

  memoryInfo(): BackendMemoryInfo {
    return { bytes: this.liveBytes, buffers: this.liveBuffers, cachedBytes: this.pooledBytes };
  }

  // ---- fused kernels (the contract's others come from CPU_KERNELS: see KernelTableBackend) ----

  attention(q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null, out: TensorView, lse: TensorView, params: AttentionParams): void {
    attention(q, k, v, mask, out, lse, params);
  }

  scan(op: ScanOp, x: TensorView, axis: number, out: TensorView, indices?: TensorView): void {
    scan(op, x, axis, out, indices);
  }
}
