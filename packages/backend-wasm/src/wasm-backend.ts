/**
 * The wasm backend: the kernel contract on AssemblyScript kernels (SIMD128, relaxed SIMD
 * where the engine has it) over one shared WebAssembly.Memory, with a worker pool for the
 * heavy kernels. Every kernel, for every dtype and any rank of view, runs in wasm. This class
 * holds the memory; the host planning of each kernel family is in kernels/<family>.ts and its
 * device code in assembly/<family>.ts.
 */
import {
  bindKernels, CONTRACT_VERSION, isContiguous, KernelTableBackend, sizeOf,
  type AcceleratedOps, type AttentionParams, type Backend, type BackendMemoryInfo, type BufferHandle, type DType,
  type KernelTable, type ScanOp, type TensorView, type TypedArrayFor,
} from '@tensile/core';
import { bufferOf, copyOut, elementBytes, WasmBuffer } from './buffer.js';
import { Device } from './device.js';
import { attention } from './kernels/attention.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv.js';
import {
  ACCELERATED_BINARY, ACCELERATED_UNARY, binary, cast, copy, fill, unary, where, type WasmBinaryOp, type WasmUnaryOp,
} from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { pool2d, pool2dBackward } from './kernels/pool.js';
import { random } from './kernels/random.js';
import { argReduce, reduce, softmax } from './kernels/reduce.js';
import { sort } from './kernels/sort.js';
import { scan } from './kernels/scan.js';
import { hasSharedMemory, type WasmVariant } from './loader.js';
import { workerFactory } from './threads.js';

export interface WasmBackendOptions {
  /** Threads for the heavy kernels, the calling one included (default: the core count). */
  threads?: number;
}

export class WasmBackend extends KernelTableBackend<WasmUnaryOp, WasmBinaryOp> implements Backend {
  readonly name = 'wasm';
  readonly contractVersion = CONTRACT_VERSION;
  readonly accelerates: AcceleratedOps = { unary: ACCELERATED_UNARY, binary: ACCELERATED_BINARY };
  /** Which build runs: 'relaxed' (SIMD128 + relaxed SIMD) or 'simd'. */
  readonly variant: WasmVariant;
  readonly memory: WebAssembly.Memory;
  private readonly device: Device;
  protected readonly kernels: KernelTable<WasmUnaryOp, WasmBinaryOp>;
  private liveBuffers = 0;
  private liveBytes = 0;

  private constructor(
    module: WebAssembly.Module,
    variant: WasmVariant,
    memory: WebAssembly.Memory,
    factory: Awaited<ReturnType<typeof workerFactory>>,
    options: WasmBackendOptions,
  ) {
    super();
    this.variant = variant;
    this.memory = memory;
    this.device = new Device(module, memory, factory);
    this.device.pool.setThreads(options.threads ?? defaultThreads());
    this.kernels = bindKernels(this.device, {
      fill, copy, cast, unary, binary, where, reduce, argReduce,
      softmax: (device, x, axis, out) => softmax(device, false, x, axis, out),
      logSoftmax: (device, x, axis, out) => softmax(device, true, x, axis, out),
      matmul, conv2d, conv2dBackwardInput, conv2dBackwardWeight, pool2d, pool2dBackward,
      gather, scatterAdd, sort, random,
    });
  }

  /**
   * Instantiate over a fresh memory: shared (with a worker pool) when `module` imports a
   * shared memory, i.e. came from `loadModule(variant)` in an engine with SharedArrayBuffer.
   */
  static async create(module: WebAssembly.Module, variant: WasmVariant, options: WasmBackendOptions = {}): Promise<WasmBackend> {
    if (hasSharedMemory) {
      const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
      let backend: WasmBackend | undefined;
      const factory = await workerFactory(() => backend!.device.pool);
      try {
        backend = new WasmBackend(module, variant, memory, factory, options);
        return backend;
      } catch (e) {
        if (!(e instanceof WebAssembly.LinkError)) throw e;
        // An unshared build: fall through to a plain memory and no workers.
      }
    }
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
    return new WasmBackend(module, variant, memory, null, options);
  }

  // ---- threads ----------------------------------------------------------------------------

  /** Threads used by matmul, conv and pooling (the calling thread counts as one). */
  setThreads(n: number): void {
    this.device.pool.setThreads(n);
  }

  getThreads(): number {
    return this.device.pool.supported ? this.device.pool.threads : 1;
  }

  /**
   * Start the worker threads now and resolve once they run (or after `timeoutMs`) with the
   * number of threads available. Without this, workers start on the first large kernel
   * and join the calls that follow once they are up.
   */
  async startThreads(timeoutMs = 10_000): Promise<number> {
    const wanted = this.getThreads();
    const start = Date.now();
    while (this.device.pool.available() < wanted && Date.now() - start < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.device.pool.available();
  }

  /** Stop the worker threads (they restart on demand). */
  terminateWorkers(): void {
    this.device.pool.terminate();
  }

  // ---- memory -----------------------------------------------------------------------------

  private typedView(b: WasmBuffer, start = 0, count = b.size): TypedArrayFor<DType> {
    const buffer = this.memory.buffer;
    const at = b.ptr + start * elementBytes(b.dtype);
    switch (b.dtype) {
      case 'float32':
        return new Float32Array(buffer, at, count);
      case 'int32':
        return new Int32Array(buffer, at, count);
      default:
        return new Uint8Array(buffer, at, count);
    }
  }

  alloc(size: number, dtype: DType): BufferHandle {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`wasm backend: cannot allocate ${size} elements of ${dtype}; the size must be a non-negative integer`);
    }
    const bytes = size * elementBytes(dtype);
    const [ptr, capacity] = this.device.allocator.alloc(bytes, () => `a tensor of ${size} ${dtype} elements`);
    this.liveBuffers++;
    this.liveBytes += capacity;
    return new WasmBuffer(ptr, capacity, size, dtype, this.memory);
  }

  free(buffer: BufferHandle): void {
    const b = bufferOf(buffer); // throws on a double free
    b.freed = true;
    this.liveBuffers--;
    this.liveBytes -= b.capacity;
    this.device.allocator.free(b.ptr, b.capacity);
  }

  write(buffer: BufferHandle, data: TypedArrayFor<DType>): void {
    const b = bufferOf(buffer);
    if (data.length > b.size) {
      throw new RangeError(`wasm backend: cannot write ${data.length} elements into a buffer of ${b.size}`);
    }
    this.typedView(b, 0, data.length).set(data);
  }

  read(view: TensorView): Promise<TypedArrayFor<DType>> {
    return Promise.resolve(this.readSync(view));
  }

  readSync(view: TensorView): TypedArrayFor<DType> {
    const n = sizeOf(view.shape);
    const b = bufferOf(view.buffer);
    if (isContiguous(view.shape, view.strides)) return copyOut(this.typedView(b, view.offset, n));
    const tmp = this.device.temporary(view.shape, view.dtype, 'read');
    try {
      copy(this.device, view, tmp.view);
      return copyOut(this.typedView(bufferOf(tmp.view.buffer), 0, n));
    } finally {
      this.device.release(tmp.block);
    }
  }

  memoryInfo(): BackendMemoryInfo {
    return { bytes: this.liveBytes, buffers: this.liveBuffers, cachedBytes: this.device.allocator.cachedBytes };
  }

  emptyCache(): void {
    this.device.allocator.trim();
  }

  // ---- fused kernels (the contract's others come from the kernel table: see KernelTableBackend)

  attention(q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null, out: TensorView, lse: TensorView, params: AttentionParams): void {
    attention(this.device, q, k, v, mask, out, lse, params);
  }

  scan(op: ScanOp, x: TensorView, axis: number, out: TensorView, indices?: TensorView): void {
    scan(this.device, op, x, axis, out, indices);
  }
}

/** TENSILE_WASM_THREADS, else navigator.hardwareConcurrency, else 1 (index.ts passes Node's core count). */
export function defaultThreads(): number {
  const env = typeof process !== 'undefined' ? process.env?.TENSILE_WASM_THREADS : undefined;
  if (env && Number.isInteger(Number(env)) && Number(env) > 0) return Number(env);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  return 1;
}
