/**
 * The webgpu backend: the kernel contract in WGSL. Kernels are recorded into a command
 * encoder and submitted in batches (see runtime.ts); only `read` waits for the GPU.
 */
import {
  bindKernels, CONTRACT_VERSION, contiguousStrides, isContiguous, KernelTableBackend, sizeOf, typedArrayFor,
  type AcceleratedOps, type AttentionParams, type Backend, type BackendMemoryInfo, type BufferHandle, type DType,
  type KernelTable, type TensorView, type TypedArrayFor,
} from '@tensile/core';
import { requestDevice } from './device.js';
import { fromHalfBits } from './half.js';
import { attention, attentionTiling } from './kernels/attention.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv.js';
import {
  ACCELERATED_BINARY, ACCELERATED_UNARY, binary, cast, copy, fill, unary, where, type WebGPUBinaryOp, type WebGPUUnaryOp,
} from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { chooseTiling, matmul, type GemmTiling } from './kernels/matmul.js';
import { pool2d, pool2dBackward } from './kernels/pool.js';
import { random } from './kernels/random.js';
import { argReduce, reduce, softmax } from './kernels/reduce.js';
import { sort } from './kernels/sort.js';
import { gpuBufferOf, Runtime } from './runtime.js';

export interface WebGPUBackendOptions {
  /** Use this device rather than requesting one. */
  device?: GPUDevice;
  /** Dispatches recorded before a submit is forced (default 128). */
  maxBatch?: number;
}

export class WebGPUBackend extends KernelTableBackend<WebGPUUnaryOp, WebGPUBinaryOp> implements Backend {
  readonly name = 'webgpu';
  readonly contractVersion = CONTRACT_VERSION;
  /** The op table's composites this backend has kernels for. */
  readonly accelerates: AcceleratedOps = { unary: ACCELERATED_UNARY, binary: ACCELERATED_BINARY };
  /** The execution engine: pipeline cache, buffer pool, command batching. */
  readonly runtime: Runtime;
  /** The matmul tiling chosen from the adapter (CPU or GPU) and its limits. */
  readonly tiling: GemmTiling;
  /**
   * The convolutions' tiling: always 'tiled'. Their loaders (im2col index arithmetic) inlined
   * into the unrolled 'rows' template make pipelines that llvmpipe took over a minute to
   * compile (the conformance conv fixture timed out).
   */
  readonly convTiling: GemmTiling;

  /** The smallest subgroup the device runs, 0 without the 'subgroups' feature. */
  readonly subgroupMin: number;

  protected readonly kernels: KernelTable<WebGPUUnaryOp, WebGPUBinaryOp>;

  private constructor(device: GPUDevice, description: string) {
    super();
    this.runtime = new Runtime(device, description);
    const info = (device as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
    this.subgroupMin = device.features.has('subgroups') ? (info?.subgroupMinSize ?? 0) : 0;
    this.tiling = chooseTiling(device.limits, this.runtime.cpu);
    this.convTiling = chooseTiling(device.limits, false);
    this.kernels = bindKernels(this.runtime, {
      fill, copy, cast, unary, binary, where, reduce, argReduce,
      softmax: (runtime, x, axis, out) => softmax(runtime, x, axis, out, false),
      logSoftmax: (runtime, x, axis, out) => softmax(runtime, x, axis, out, true),
      matmul: (runtime, a, b, out) => matmul(runtime, this.tiling, a, b, out),
      conv2d: (runtime, x, weight, out, params) => conv2d(runtime, this.convTiling, x, weight, out, params),
      conv2dBackwardInput: (runtime, dy, weight, out, params) => conv2dBackwardInput(runtime, this.convTiling, dy, weight, out, params),
      conv2dBackwardWeight: (runtime, x, dy, out, params) => conv2dBackwardWeight(runtime, this.convTiling, x, dy, out, params),
      pool2d, pool2dBackward, gather, scatterAdd, sort, random,
    });
  }

  /** Request an adapter and device (navigator.gpu, or Dawn from the `webgpu` package in Node). */
  static async create(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
    let device = options.device;
    // GPUDevice.adapterInfo (newer implementations) names the adapter of a caller's device.
    const given = (device as { adapterInfo?: GPUAdapterInfo } | undefined)?.adapterInfo;
    let description = given ? [given.vendor, given.architecture, given.device, given.description].filter(Boolean).join(' ') || 'a device given by the caller' : 'a device given by the caller';
    if (!device) {
      const found = await requestDevice();
      device = found.device;
      const info = found.adapter.info;
      description = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
    }
    const backend = new WebGPUBackend(device, description);
    if (options.maxBatch) backend.runtime.maxBatch = options.maxBatch;
    return backend;
  }

  /** The adapter this backend runs on, in words (e.g. 'mesa llvmpipe'). */
  get adapter(): string {
    return this.runtime.adapterDescription;
  }

  // ---- memory ---------------------------------------------------------------------------

  alloc(size: number, dtype: DType): BufferHandle {
    return this.runtime.alloc(size, dtype);
  }

  free(buffer: BufferHandle): void {
    this.runtime.free(buffer);
  }

  /** float16 needs an adapter with 'shader-f16' (requested with the device when the adapter has it). */
  supportsDType(dtype: DType): boolean {
    return dtype !== 'float16' || this.runtime.device.features.has('shader-f16');
  }

  write(buffer: BufferHandle, data: TypedArrayFor<DType>): void {
    const b = gpuBufferOf(buffer);
    const n = data.length;
    if (b.dtype === 'float16' && n % 2 === 1 && n < b.size) {
      // Writes move whole 4-byte words (two halves): the last half goes by a kernel, so
      // the element after it is kept.
      this.runtime.write(b, data.subarray(0, n - 1), b.dtype);
      fill(this.runtime, { buffer: b, dtype: b.dtype, shape: [1], strides: [1], offset: n - 1 }, data[n - 1]);
      return;
    }
    this.runtime.write(b, data, b.dtype);
  }

  async read(view: TensorView): Promise<TypedArrayFor<DType>> {
    const size = sizeOf(view.shape);
    const result = typedArrayFor(view.dtype, size);
    if (size === 0) return result;
    const source = gpuBufferOf(view.buffer);
    let buffer = source.buffer;
    let temp: ReturnType<Runtime['alloc']> | null = null;
    if (!(isContiguous(view.shape, view.strides) && view.offset === 0)) {
      // Pack the view into a contiguous scratch buffer first.
      temp = this.runtime.alloc(size, view.dtype);
      copy(this.runtime, view, { buffer: temp, dtype: view.dtype, shape: view.shape, strides: contiguousStrides(view.shape), offset: 0 });
      buffer = temp.buffer;
    }
    try {
      const bytes = await this.runtime.readBack(buffer, size, view.dtype);
      if (view.dtype === 'bool') (result as Uint8Array).set(new Uint32Array(bytes, 0, size));
      else if (view.dtype === 'float16') fromHalfBits(new Uint16Array(bytes, 0, size), result as Float32Array);
      else result.set(new (view.dtype === 'float32' ? Float32Array : Int32Array)(bytes, 0, size));
      return result;
    } finally {
      if (temp) this.runtime.free(temp);
    }
  }

  memoryInfo(): BackendMemoryInfo {
    const rt = this.runtime;
    return { bytes: rt.liveBytes, buffers: rt.liveBuffers, cachedBytes: rt.cachedBytes };
  }

  async sync(): Promise<void> {
    await this.runtime.sync();
  }

  emptyCache(): void {
    this.runtime.emptyCache();
  }

  // ---- fused kernels (the contract's others come from the kernel table: see KernelTableBackend)

  attention(q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null, out: TensorView, lse: TensorView, params: AttentionParams): void {
    const tiling = attentionTiling(this.runtime.cpu, this.runtime.device.limits, this.subgroupMin, q.shape[2], v.shape[2]);
    attention(this.runtime, tiling, q, k, v, mask, out, lse, params);
  }
}
