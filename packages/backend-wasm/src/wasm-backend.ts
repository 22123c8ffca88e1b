/**
 * The wasm backend: the kernel contract on AssemblyScript kernels (SIMD128, relaxed SIMD
 * where the engine has it) over one shared WebAssembly.Memory, with a worker pool for the
 * heavy kernels. Every kernel, for every dtype and any rank of view, runs in wasm.
 */
import {
  CONTRACT_VERSION, isContiguous, sizeOf, BINARY_OPS, UNARY_OPS,
  type AcceleratedOps, type ArgReduceOp, type Backend, type BackendMemoryInfo, type BinaryOp, type BufferHandle, type Conv2dParams,
  type CoreDType, type DType, type Pool2dParams, type PoolOp, type RandomDistribution, type RandomKey, type ReduceOp,
  type TensorView, type TypedArrayFor, type UnaryOp,
} from '@tensile/core';
import { Allocator } from './allocator.js';
import { addressOf, bufferOf, elementBytes, WasmBuffer } from './buffer.js';
import { hasSharedMemory, type WasmVariant } from './loader.js';
import { CONTROL_BYTES, ThreadPool, workerFactory } from './threads.js';
import { simplify, walkBytes, writeWalk, type Walk } from './walk.js';

/** Fixed areas at the bottom of linear memory (the compiler's static data ends well below 64 KiB). */
const CTRL = 65536;
/** Bytes reserved for each walk descriptor (enough for 168 dims; beyond that one is allocated). */
const DESC_BYTES = 4096;
const DESC0 = CTRL + CONTROL_BYTES;
const DESC1 = DESC0 + DESC_BYTES;
const GEOM = DESC1 + DESC_BYTES;
const RES = GEOM + 128;
const LIST = RES + 512;
const LIST_BYTES = 4096;
/** Block counters that threads claim GEMM work from (one per product, plus one). */
const COUNTERS = LIST + LIST_BYTES;
const COUNTER_SLOTS = 64;
/** f64 chunk results of a line reduction (reduce_line_f32: at most 64 chunks). */
const PARTIALS = COUNTERS + COUNTER_SLOTS * 4;
const HEAP_BASE = 131072;

/** Multiply-adds below which a GEMM or conv stays on the calling thread (a 128^3 product, 2M, ran slower on 2 threads than on 1). */
const PARALLEL_MACS = 1 << 22;
/** Output elements below which pooling stays on the calling thread. */
const PARALLEL_POOL = 1 << 15;
/** Elements below which softmax stays on the calling thread. */
const PARALLEL_SOFTMAX = 1 << 16;
/**
 * Elements below which a reduction to one value stays on the calling thread: a million
 * take ~0.1 ms, about what waking a sleeping worker can cost on a busy machine.
 */
const PARALLEL_REDUCE = 1 << 21;
/**
 * Elements from which a float32 unary or binary op whose views merge into one line (same
 * shape and contiguous, or a single value against a line) is split across threads: 128k
 * elements take ~15-30 µs, and a worker that is not awake in time is withdrawn, not waited for.
 */
const PARALLEL_ELEMENTWISE = 1 << 17;

/** Exports of the kernel module (see assembly/index.ts). */
interface Kernels {
  gemmScratchBytes(): number;
  unary_f32(op: number, d: number, x: number, o: number): void;
  binary_f32(op: number, d: number, a: number, b: number, o: number): void;
  where(size: number, d: number, c: number, a: number, b: number, o: number): void;
  unary_int(op: number, kin: number, kout: number, d: number, x: number, o: number): void;
  binary_int(op: number, kin: number, kout: number, d: number, a: number, b: number, o: number): void;
  matmul_i32(list: number, count: number, m: number, n: number, k: number, rsA: number, csA: number, rsB: number, csB: number, rsC: number): void;
  gather(size: number, d: number, index: number, x: number, o: number, dimSize: number, step: number): void;
  scatter_add(kind: number, d: number, index: number, src: number, o: number, dimSize: number, step: number): void;
  fill(d: number, o: number, bits: number, size: number): void;
  copy(d: number, x: number, o: number, size: number): void;
  cast(kin: number, kout: number, d: number, x: number, o: number): void;
  reduce_fold(op: number, kin: number, kout: number, dk: number, dr: number, x: number, o: number): void;
  reduce_acc(op: number, kin: number, kout: number, d: number, acc: number, count: number, x: number, o: number): void;
  reduce_line_f32(op: number, x: number, n: number, partials: number, counter: number, tid: number, nt: number): void;
  reduce_line_end(op: number, n: number, partials: number, o: number): void;
  arg_reduce(op: number, kin: number, d: number, x: number, o: number, n: number, sx: number): void;
  softmax_f32(log: number, d: number, x: number, o: number, n: number, sx: number, so: number): void;
  softmax_rows_f32(log: number, x: number, o: number, rows: number, n: number, rx: number, ro: number, counter: number, tid: number, nt: number): void;
  add_parts(out: number, parts: number, count: number, size: number): void;
  random_f32(normal: number, seed: number, offset: number, d: number, o: number): void;
}

const PARALLEL_KERNELS = [
  'matmul_f32', 'conv2d_fwd', 'conv2d_bwd_input', 'conv2d_bwd_weight', 'pool2d_f32', 'pool2d_bwd_f32', 'softmax_rows_f32', 'reduce_line_f32',
  'unary_line_f32', 'binary_line_f32',
] as const;
/** Parallel kernels whose threads claim their work from a counter, so the caller can finish them alone. */
const CLAIMING_KERNELS: ReadonlySet<string> = new Set(['matmul_f32', 'softmax_rows_f32', 'reduce_line_f32', 'unary_line_f32', 'binary_line_f32']);

const UNARY_INDEX = new Map<UnaryOp, number>(UNARY_OPS.map((op, i) => [op, i]));
const BINARY_INDEX = new Map<BinaryOp, number>(BINARY_OPS.map((op, i) => [op, i]));
const REDUCE_INDEX: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3 };
// float16 never reaches this backend: without supportsDType, core refuses it before any kernel.
const DTYPE_CODE = { float32: 0, int32: 1, bool: 2 } satisfies Record<CoreDType, number> as Record<DType, number>;

/** Unary ops that keep a bool a bool (|b|, sign(b), relu(b), rounding). */
const BOOL_UNARY: ReadonlySet<UnaryOp> = new Set(['abs', 'sign', 'relu', 'floor', 'ceil', 'round', 'logicalNot']);

/** Binary ops that take bool operands: core turns bool arithmetic into logical ops. */
const FOR_BOOL: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);
function floatBits(v: number): number {
  f32Bits[0] = v;
  return u32Bits[0] | 0;
}

/** What a reduction over no elements gives. */
const REDUCE_IDENTITY: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

function without<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

export interface WasmBackendOptions {
  /** Threads for the heavy kernels, the calling one included (default: the core count). */
  threads?: number;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly contractVersion = CONTRACT_VERSION;
  /** The op table's composites this backend has kernels for. */
  readonly accelerates: AcceleratedOps = { unary: ['rsqrt', 'reciprocal', 'sigmoid', 'relu'], binary: [] };
  /** Which build runs: 'relaxed' (SIMD128 + relaxed SIMD) or 'simd'. */
  readonly variant: WasmVariant;
  readonly memory: WebAssembly.Memory;
  private readonly k: Kernels;
  private readonly allocator: Allocator;
  private readonly pool: ThreadPool;
  private readonly gemmScratchBytes: number;
  private gemmScratch: { ptr: number; capacity: number; threads: number } | null = null;
  private liveBuffers = 0;
  private liveBytes = 0;
  private heap: { length: number; i32: Int32Array; u8: Uint8Array } | null = null;
  /** Descriptor areas allocated for walks too large for the fixed ones, per slot. */
  private readonly bigDescriptors: ([number, number] | null)[] = [null, null];

  private constructor(
    module: WebAssembly.Module,
    variant: WasmVariant,
    memory: WebAssembly.Memory,
    factory: Awaited<ReturnType<typeof workerFactory>>,
    options: WasmBackendOptions,
  ) {
    this.variant = variant;
    this.memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory, hostLog: Math.log, hostCos: Math.cos } });
    const exports = instance.exports as unknown as Record<string, unknown>;
    this.k = exports as unknown as Kernels;
    this.gemmScratchBytes = this.k.gemmScratchBytes();
    this.allocator = new Allocator(memory, HEAP_BASE);
    this.pool = new ThreadPool(module, memory, CTRL, exports, PARALLEL_KERNELS, factory, CLAIMING_KERNELS);
    this.pool.setThreads(options.threads ?? defaultThreads());
  }

  /**
   * Instantiate over a fresh memory: shared (with a worker pool) when `module` imports a
   * shared memory, i.e. came from `loadModule(variant)` in an engine with SharedArrayBuffer.
   */
  static async create(module: WebAssembly.Module, variant: WasmVariant, options: WasmBackendOptions = {}): Promise<WasmBackend> {
    if (hasSharedMemory) {
      const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
      let backend: WasmBackend | undefined;
      const factory = await workerFactory(() => backend!.pool);
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
    this.pool.setThreads(n);
  }

  getThreads(): number {
    return this.pool.supported ? this.pool.threads : 1;
  }

  /**
   * Start the worker threads now and resolve once they run (or after `timeoutMs`) with the
   * number of threads available. Without this, workers start on the first large kernel
   * and join the calls that follow once they are up.
   */
  async startThreads(timeoutMs = 10_000): Promise<number> {
    const wanted = this.getThreads();
    const start = Date.now();
    while (this.pool.available() < wanted && Date.now() - start < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.pool.available();
  }

  /** Stop the worker threads (they restart on demand). */
  terminateWorkers(): void {
    this.pool.terminate();
  }

  private threadsFor(work: number, limit: number): number {
    return work >= limit ? this.pool.available() : 1;
  }

  // ---- memory -----------------------------------------------------------------------------

  private views(): { i32: Int32Array; u8: Uint8Array } {
    const buffer = this.memory.buffer;
    if (!this.heap || this.heap.length !== buffer.byteLength) {
      this.heap = { length: buffer.byteLength, i32: new Int32Array(buffer), u8: new Uint8Array(buffer) };
    }
    return this.heap;
  }

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
    const [ptr, capacity] = this.allocator.alloc(bytes, () => `a tensor of ${size} ${dtype} elements`);
    this.liveBuffers++;
    this.liveBytes += capacity;
    return new WasmBuffer(ptr, capacity, size, dtype, this.memory);
  }

  free(buffer: BufferHandle): void {
    const b = bufferOf(buffer); // throws on a double free
    b.freed = true;
    this.liveBuffers--;
    this.liveBytes -= b.capacity;
    this.allocator.free(b.ptr, b.capacity);
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
    const tmp = this.alloc(n, view.dtype) as WasmBuffer;
    try {
      this.copy(view, { buffer: tmp, dtype: view.dtype, shape: view.shape, strides: contiguous(view.shape), offset: 0 });
      return copyOut(this.typedView(tmp, 0, n));
    } finally {
      this.free(tmp);
    }
  }

  memoryInfo(): BackendMemoryInfo {
    return { bytes: this.liveBytes, buffers: this.liveBuffers, cachedBytes: this.allocator.cachedBytes };
  }

  emptyCache(): void {
    this.allocator.trim();
  }

  /** Scratch allocated for one kernel call. */
  private scratch(bytes: number, what: string): [number, number] {
    return this.allocator.alloc(Math.max(16, bytes), () => `${what} scratch`);
  }

  private release(s: [number, number]): void {
    this.allocator.free(s[0], s[1]);
  }

  /** Packing scratch for `threads` GEMMs, kept between calls. */
  private gemmScratchFor(threads: number): number {
    const have = this.gemmScratch;
    if (have && have.threads >= threads) return have.ptr;
    if (have) this.allocator.free(have.ptr, have.capacity);
    const [ptr, capacity] = this.allocator.alloc(threads * this.gemmScratchBytes, () => 'GEMM packing scratch');
    this.gemmScratch = { ptr, capacity, threads };
    return ptr;
  }

  /**
   * Write a walk descriptor into slot 0 or 1 and return its address: the fixed area at the
   * bottom of memory, or (for more dims than fit there) an area kept for later calls.
   */
  private walk(slot: 0 | 1, shape: readonly number[], strides: readonly (readonly number[])[], sizes: readonly number[]): number {
    return this.describe(slot, simplify(shape, strides), sizes);
  }

  /** Write an already simplified walk (see walk). */
  private describe(slot: 0 | 1, walk: Walk, sizes: readonly number[]): number {
    const bytes = walkBytes(walk.shape.length);
    let at = slot === 0 ? DESC0 : DESC1;
    if (bytes > DESC_BYTES) {
      let area = this.bigDescriptors[slot];
      if (!area || area[1] < bytes) {
        if (area) this.allocator.free(area[0], area[1]);
        area = this.bigDescriptors[slot] = this.allocator.alloc(bytes, () => `a walk over ${walk.shape.length} dims`);
      }
      at = area[0];
    }
    writeWalk(this.views().i32, at, walk, sizes);
    return at;
  }

  // ---- data movement ----------------------------------------------------------------------

  fill(out: TensorView, value: number): void {
    if (sizeOf(out.shape) === 0) return;
    const size = elementBytes(out.dtype);
    const d = this.walk(0, out.shape, [out.strides], [size]);
    const bits = out.dtype === 'float32' ? floatBits(value) : out.dtype === 'int32' ? value | 0 : value !== 0 ? 1 : 0;
    this.k.fill(d, addressOf(out), bits, size);
  }

  copy(x: TensorView, out: TensorView): void {
    if (x.dtype !== out.dtype) throw new Error(`wasm backend: copy needs one dtype, got ${x.dtype} and ${out.dtype}; use cast`);
    if (sizeOf(out.shape) === 0) return;
    const size = elementBytes(out.dtype);
    const d = this.walk(0, out.shape, [x.strides, out.strides], [size, size]);
    this.k.copy(d, addressOf(x), addressOf(out), size);
  }

  cast(x: TensorView, out: TensorView): void {
    if (x.dtype === out.dtype) return this.copy(x, out);
    if (sizeOf(out.shape) === 0) return;
    const d = this.walk(0, out.shape, [x.strides, out.strides], [elementBytes(x.dtype), elementBytes(out.dtype)]);
    this.k.cast(DTYPE_CODE[x.dtype], DTYPE_CODE[out.dtype], d, addressOf(x), addressOf(out));
  }

  // ---- elementwise ------------------------------------------------------------------------

  unary(op: UnaryOp, x: TensorView, out: TensorView): void {
    if (sizeOf(out.shape) === 0) return;
    const walk = simplify(out.shape, [x.strides, out.strides]);
    const nt = x.dtype === 'float32' ? this.lineThreads(walk) : 1;
    if (nt > 1) {
      const [sx, so] = walk.strides;
      this.views().i32[COUNTERS >> 2] = 0;
      this.pool.run('unary_line_f32', [UNARY_INDEX.get(op)!, addressOf(x), addressOf(out), walk.shape[0], sx[0] * 4, so[0] * elementBytes(out.dtype), COUNTERS], nt);
      return;
    }
    const d = this.describe(0, walk, [elementBytes(x.dtype), elementBytes(out.dtype)]);
    if (x.dtype === 'float32') return this.k.unary_f32(UNARY_INDEX.get(op)!, d, addressOf(x), addressOf(out));
    if (x.dtype === 'bool' && !BOOL_UNARY.has(op)) {
      throw new Error(`wasm backend: unary '${op}' does not take bool; cast to float32 or int32 first`);
    }
    this.checkIntegerOut('unary', op, out);
    this.k.unary_int(UNARY_INDEX.get(op)!, DTYPE_CODE[x.dtype], DTYPE_CODE[out.dtype], d, addressOf(x), addressOf(out));
  }

  binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
    if (sizeOf(out.shape) === 0) return;
    const size = elementBytes(a.dtype);
    const walk = simplify(out.shape, [a.strides, b.strides, out.strides]);
    const nt = a.dtype === 'float32' ? this.lineThreads(walk) : 1;
    if (nt > 1) {
      const [sa, sb, so] = walk.strides;
      this.views().i32[COUNTERS >> 2] = 0;
      this.pool.run('binary_line_f32', [
        BINARY_INDEX.get(op)!, addressOf(a), addressOf(b), addressOf(out), walk.shape[0], sa[0] * 4, sb[0] * 4, so[0] * elementBytes(out.dtype), COUNTERS,
      ], nt);
      return;
    }
    const d = this.describe(0, walk, [size, size, elementBytes(out.dtype)]);
    if (a.dtype === 'float32') return this.k.binary_f32(BINARY_INDEX.get(op)!, d, addressOf(a), addressOf(b), addressOf(out));
    if (a.dtype === 'bool' && !FOR_BOOL.has(op)) {
      throw new Error(`wasm backend: binary '${op}' does not take bool operands; cast to float32 or int32 first`);
    }
    this.checkIntegerOut('binary', op, out);
    this.k.binary_int(BINARY_INDEX.get(op)!, DTYPE_CODE[a.dtype], DTYPE_CODE[out.dtype], d, addressOf(a), addressOf(b), addressOf(out));
  }

  /** Threads for a float32 elementwise walk: more than one only for one long line (see PARALLEL_ELEMENTWISE). */
  private lineThreads(walk: Walk): number {
    return walk.shape.length === 1 ? this.threadsFor(walk.shape[0], PARALLEL_ELEMENTWISE) : 1;
  }

  /** Integer kernels write int32 or bool, never float32 (core never asks for it). */
  private checkIntegerOut(kernel: string, op: string, out: TensorView): void {
    if (out.dtype === 'float32') throw new Error(`wasm backend: ${kernel} '${op}' of integer inputs cannot write float32; cast the inputs first`);
  }

  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
    if (sizeOf(out.shape) === 0) return;
    const size = elementBytes(out.dtype);
    const d = this.walk(0, out.shape, [cond.strides, a.strides, b.strides, out.strides], [1, size, size, size]);
    this.k.where(size, d, addressOf(cond), addressOf(a), addressOf(b), addressOf(out));
  }

  // ---- reductions -------------------------------------------------------------------------

  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
    const outCount = sizeOf(out.shape);
    if (outCount === 0) return;
    if (!isContiguous(out.shape, out.strides)) {
      // The contract promises a contiguous out; stay correct if it is not.
      const tmp = this.alloc(outCount, out.dtype) as WasmBuffer;
      try {
        const flat = { buffer: tmp, dtype: out.dtype, shape: out.shape, strides: contiguous(out.shape), offset: 0 };
        this.reduce(op, x, axes, flat);
        this.copy(flat, out);
      } finally {
        this.free(tmp);
      }
      return;
    }
    const rank = x.shape.length;
    const reduced = new Array<boolean>(rank).fill(false);
    for (const axis of axes) reduced[axis] = true;
    const keptShape: number[] = [], keptX: number[] = [], keptOut: number[] = [];
    const redShape: number[] = [], redX: number[] = [];
    for (let d = 0; d < rank; d++) {
      if (reduced[d]) {
        redShape.push(x.shape[d]);
        redX.push(x.strides[d]);
      } else {
        keptShape.push(x.shape[d]);
        keptX.push(x.strides[d]);
        keptOut.push(out.strides[d]);
      }
    }
    if (sizeOf(redShape) === 0) return this.fill(out, REDUCE_IDENTITY[op]);
    if (outCount === 1 && x.dtype === 'float32') {
      const line = simplify(x.shape, [x.strides]);
      if (line.shape.length === 1 && line.strides[0][0] === 1) {
        // One contiguous line to one value (x.sum(), x.max()): split in chunks across threads.
        const n = line.shape[0];
        this.views().i32[COUNTERS >> 2] = 0;
        this.pool.run('reduce_line_f32', [REDUCE_INDEX[op], addressOf(x), n, PARTIALS, COUNTERS], this.threadsFor(n, PARALLEL_REDUCE));
        this.k.reduce_line_end(REDUCE_INDEX[op], n, PARTIALS, addressOf(out));
        return;
      }
    }
    const kin = DTYPE_CODE[x.dtype], kout = DTYPE_CODE[out.dtype];
    const xSize = elementBytes(x.dtype), outSize = elementBytes(out.dtype);
    let innermost = rank - 1;
    while (innermost > 0 && x.shape[innermost] === 1) innermost--;
    if (rank === 0 || reduced[innermost]) {
      // Each output folds its reduced elements in a register.
      const dk = this.walk(0, keptShape, [keptX, keptOut], [xSize, outSize]);
      const dr = this.walk(1, redShape, [redX], [xSize]);
      this.k.reduce_fold(REDUCE_INDEX[op], kin, kout, dk, dr, addressOf(x), addressOf(out));
      return;
    }
    // x's innermost dim is kept: sweep x in memory order into 8-byte accumulators.
    const accStrides = new Array<number>(rank).fill(0);
    for (let d = rank - 1, s = 1; d >= 0; d--) {
      if (!reduced[d]) {
        accStrides[d] = s;
        s *= x.shape[d];
      }
    }
    const d = this.walk(0, x.shape, [accStrides, x.strides], [8, xSize]);
    const acc = this.scratch(outCount * 8, 'reduce');
    try {
      this.k.reduce_acc(REDUCE_INDEX[op], kin, kout, d, acc[0], outCount, addressOf(x), addressOf(out));
    } finally {
      this.release(acc);
    }
  }

  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
    if (sizeOf(out.shape) === 0) return;
    const size = elementBytes(x.dtype);
    const d = this.walk(0, without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)], [size, 4]);
    this.k.arg_reduce(op === 'argmax' ? 0 : 1, DTYPE_CODE[x.dtype], d, addressOf(x), addressOf(out), x.shape[axis], x.strides[axis] * size);
  }

  softmax(x: TensorView, axis: number, out: TensorView): void {
    this.softmaxLike(0, x, axis, out);
  }

  logSoftmax(x: TensorView, axis: number, out: TensorView): void {
    this.softmaxLike(1, x, axis, out);
  }

  private softmaxLike(log: number, x: TensorView, axis: number, out: TensorView): void {
    if (x.dtype !== 'float32' || out.dtype !== 'float32') {
      throw new Error(`wasm backend: ${log ? 'logSoftmax' : 'softmax'} expects float32 tensors, got ${x.dtype}`);
    }
    const size = sizeOf(out.shape);
    if (size === 0) return;
    const n = x.shape[axis];
    if ((x.strides[axis] === 1 && out.strides[axis] === 1) || n === 1) {
      // Contiguous lines: fast path when the other dims collapse to one row step.
      const outer = simplify(without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)]);
      if (outer.shape.length === 1 && n > 1) {
        const rows = outer.shape[0];
        const nt = Math.min(this.threadsFor(size, PARALLEL_SOFTMAX), rows);
        this.views().i32[COUNTERS >> 2] = 0;
        this.pool.run('softmax_rows_f32', [log, addressOf(x), addressOf(out), rows, n, outer.strides[0][0] * 4, outer.strides[1][0] * 4, COUNTERS], nt);
        return;
      }
    }
    const d = this.walk(0, without(x.shape, axis), [without(x.strides, axis), without(out.strides, axis)], [4, 4]);
    this.k.softmax_f32(log, d, addressOf(x), addressOf(out), x.shape[axis], x.strides[axis] * 4, out.strides[axis] * 4);
  }

  // ---- linear algebra and networks --------------------------------------------------------

  matmul(a: TensorView, b: TensorView, out: TensorView): void {
    if (out.dtype === 'bool') throw new Error('wasm backend: matmul takes float32 or int32 tensors, got bool');
    const rank = out.shape.length;
    const m = out.shape[rank - 2], n = out.shape[rank - 1], k = a.shape[rank - 1];
    const count = sizeOf(out.shape.slice(0, -2));
    if (m === 0 || n === 0 || count === 0) return;
    // Byte addresses of every product in the batch, in row-major batch order.
    const batch = simplify(out.shape.slice(0, -2), [a.strides.slice(0, -2), b.strides.slice(0, -2), out.strides.slice(0, -2)]);
    const listBytes = count * 12;
    const owned = listBytes > LIST_BYTES ? this.scratch(listBytes, 'matmul batch list') : null;
    const list = owned ? owned[0] : LIST;
    const i32 = this.views().i32;
    const base = [addressOf(a), addressOf(b), addressOf(out)];
    const dims = batch.shape, nd = dims.length;
    const counter = new Array<number>(nd).fill(0);
    const offs = [0, 0, 0];
    for (let i = 0, at = list >> 2; i < count; i++, at += 3) {
      i32[at] = base[0] + offs[0] * 4;
      i32[at + 1] = base[1] + offs[1] * 4;
      i32[at + 2] = base[2] + offs[2] * 4;
      for (let d = nd - 1; d >= 0; d--) {
        if (++counter[d] < dims[d]) {
          for (let v = 0; v < 3; v++) offs[v] += batch.strides[v][d];
          break;
        }
        counter[d] = 0;
        for (let v = 0; v < 3; v++) offs[v] -= batch.strides[v][d] * (dims[d] - 1);
      }
    }
    try {
      if (out.dtype === 'int32') {
        this.k.matmul_i32(list, count, m, n, k, a.strides[rank - 2], a.strides[rank - 1], b.strides[rank - 2], b.strides[rank - 1], out.strides[rank - 2]);
        return;
      }
      const nt = this.threadsFor(count * m * n * k, PARALLEL_MACS);
      const scratch = this.gemmScratchFor(nt);
      this.views().i32.fill(0, COUNTERS >> 2, (COUNTERS >> 2) + COUNTER_SLOTS);
      this.pool.run('matmul_f32', [
        list, count, m, n, k,
        a.strides[rank - 2], a.strides[rank - 1], b.strides[rank - 2], b.strides[rank - 1], out.strides[rank - 2],
        scratch, COUNTERS,
      ], nt);
    } finally {
      if (owned) this.release(owned);
    }
  }

  /** A contiguous float32 copy of `view` when it is not contiguous already (caller frees it). */
  private contiguousF32(view: TensorView): { ptr: number; owned: WasmBuffer | null } {
    if (isContiguous(view.shape, view.strides)) return { ptr: addressOf(view), owned: null };
    const n = sizeOf(view.shape);
    const tmp = this.alloc(n, 'float32') as WasmBuffer;
    this.copy(view, { buffer: tmp, dtype: 'float32', shape: view.shape, strides: contiguous(view.shape), offset: 0 });
    return { ptr: tmp.ptr, owned: tmp };
  }

  private writeConvGeometry(input: readonly number[], weight: readonly number[], output: readonly number[], p: Conv2dParams, xStrides: readonly number[]): void {
    const i32 = this.views().i32;
    const g = [
      input[0], input[1], input[2], input[3], weight[0], weight[1], weight[0] / p.groups, weight[2], weight[3], output[2], output[3],
      p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], p.groups,
      xStrides[0], xStrides[1], xStrides[2], xStrides[3],
    ];
    i32.set(g, GEOM >> 2);
  }

  conv2d(x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
    if (sizeOf(out.shape) === 0) return;
    this.writeConvGeometry(x.shape, weight.shape, out.shape, params, x.strides);
    const [N, O, oH, oW] = out.shape;
    const rows = weight.shape[1] * weight.shape[2] * weight.shape[3];
    const cols = oH * oW;
    const nt = Math.min(this.threadsFor(N * O * rows * cols, PARALLEL_MACS), 32);
    const w = this.contiguousF32(weight);
    const colBytes = Math.ceil((rows * cols * 4) / 16) * 16;
    const col = this.scratch(nt * colBytes, 'conv2d im2col');
    try {
      const scratch = this.gemmScratchFor(nt);
      this.pool.run('conv2d_fwd', [GEOM, addressOf(x), w.ptr, addressOf(out), col[0], colBytes, scratch, RES], nt);
    } finally {
      this.release(col);
      if (w.owned) this.free(w.owned);
    }
  }

  conv2dBackwardInput(dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
    if (sizeOf(out.shape) === 0) return;
    this.writeConvGeometry(out.shape, weight.shape, dy.shape, params, contiguous(out.shape));
    const [N, O, oH, oW] = dy.shape;
    const rows = weight.shape[1] * weight.shape[2] * weight.shape[3];
    const cols = oH * oW;
    if (sizeOf(dy.shape) === 0 || rows === 0) return this.fill(out, 0);
    const nt = Math.min(this.threadsFor(N * O * rows * cols, PARALLEL_MACS), N, 32);
    const w = this.contiguousF32(weight);
    const d = this.contiguousF32(dy);
    const colBytes = Math.ceil((rows * cols * 4) / 16) * 16;
    const col = this.scratch(nt * colBytes, 'conv2dBackwardInput col2im');
    try {
      const scratch = this.gemmScratchFor(nt);
      this.pool.run('conv2d_bwd_input', [GEOM, d.ptr, w.ptr, addressOf(out), col[0], colBytes, scratch], nt);
    } finally {
      this.release(col);
      if (w.owned) this.free(w.owned);
      if (d.owned) this.free(d.owned);
    }
  }

  conv2dBackwardWeight(x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void {
    if (sizeOf(out.shape) === 0) return;
    this.fill(out, 0);
    if (sizeOf(dy.shape) === 0) return;
    this.writeConvGeometry(x.shape, out.shape, dy.shape, params, x.strides);
    const [N, O, oH, oW] = dy.shape;
    const rows = out.shape[1] * out.shape[2] * out.shape[3];
    const cols = oH * oW;
    const nt = Math.min(this.threadsFor(N * O * rows * cols, PARALLEL_MACS), 32);
    const byImage = N >= nt;
    const d = this.contiguousF32(dy);
    const colBytes = Math.ceil((rows * cols * 4) / 16) * 16;
    const col = this.scratch(nt * colBytes, 'conv2dBackwardWeight im2col');
    const wSize = O * rows;
    const partial = byImage && nt > 1 ? this.scratch((nt - 1) * wSize * 4, 'conv2dBackwardWeight partial sums') : null;
    try {
      const scratch = this.gemmScratchFor(nt);
      this.pool.run('conv2d_bwd_weight', [GEOM, addressOf(x), d.ptr, addressOf(out), partial ? partial[0] : 0, col[0], colBytes, scratch, RES], nt);
      if (partial) this.k.add_parts(addressOf(out), partial[0], nt - 1, wSize);
    } finally {
      this.release(col);
      if (partial) this.release(partial);
      if (d.owned) this.free(d.owned);
    }
  }

  private writePoolGeometry(op: PoolOp, x: TensorView, outShape: readonly number[], p: Pool2dParams, dyStrides: readonly number[]): void {
    let isMax: number;
    switch (op) {
      case 'max':
        isMax = 1;
        break;
      case 'avg':
        isMax = 0;
        break;
      default:
        throw new Error(`wasm backend: unknown pool op '${op satisfies never}'`);
    }
    const i32 = this.views().i32;
    i32.set([
      x.shape[0], x.shape[1], x.shape[2], x.shape[3], outShape[2], outShape[3],
      p.kernelSize[0], p.kernelSize[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1],
      p.countIncludePad ? 1 : 0, isMax,
      x.strides[0], x.strides[1], x.strides[2], x.strides[3],
      dyStrides[0], dyStrides[1], dyStrides[2], dyStrides[3],
    ], GEOM >> 2);
  }

  pool2d(op: PoolOp, x: TensorView, out: TensorView, params: Pool2dParams): void {
    if (sizeOf(out.shape) === 0) return;
    this.writePoolGeometry(op, x, out.shape, params, [0, 0, 0, 0]);
    const nt = Math.min(this.threadsFor(sizeOf(out.shape) * params.kernelSize[0] * params.kernelSize[1], PARALLEL_POOL), 32);
    this.pool.run('pool2d_f32', [GEOM, addressOf(x), addressOf(out)], nt);
  }

  pool2dBackward(op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, params: Pool2dParams): void {
    if (sizeOf(out.shape) === 0) return;
    this.writePoolGeometry(op, x, dy.shape, params, dy.strides);
    const nt = Math.min(this.threadsFor(sizeOf(dy.shape) * params.kernelSize[0] * params.kernelSize[1], PARALLEL_POOL), 32);
    this.pool.run('pool2d_bwd_f32', [GEOM, addressOf(x), addressOf(dy), addressOf(out)], nt);
  }

  // ---- indexing ---------------------------------------------------------------------------

  gather(x: TensorView, dim: number, index: TensorView, out: TensorView): void {
    if (sizeOf(out.shape) === 0) return;
    const size = elementBytes(x.dtype);
    // Walk the index's shape; x's own position along `dim` comes from the index value.
    const d = this.walk(0, index.shape, [index.strides, pinned(x.strides, dim), out.strides], [4, size, size]);
    this.k.gather(size, d, addressOf(index), addressOf(x), addressOf(out), x.shape[dim], x.strides[dim] * size);
  }

  scatterAdd(dim: number, index: TensorView, src: TensorView, out: TensorView): void {
    if (sizeOf(index.shape) === 0) return;
    const size = elementBytes(out.dtype);
    const d = this.walk(0, index.shape, [index.strides, src.strides, pinned(out.strides, dim)], [4, size, size]);
    this.k.scatter_add(DTYPE_CODE[out.dtype], d, addressOf(index), addressOf(src), addressOf(out), out.shape[dim], out.strides[dim] * size);
  }

  // ---- random -----------------------------------------------------------------------------

  random(distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
    if (out.dtype !== 'float32') throw new Error(`wasm backend: random expects float32 tensors, got ${out.dtype}`);
    if (sizeOf(out.shape) === 0) return;
    const d = this.walk(0, out.shape, [out.strides], [4]);
    this.k.random_f32(distribution === 'normal' ? 1 : 0, key.seed >>> 0, key.offset, d, addressOf(out));
  }
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
function copyOut(src: TypedArrayFor<DType>): TypedArrayFor<DType> {
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

/** `strides` with `dim`'s set to 0: a walk over the index's shape, the index supplying `dim`. */
function pinned(strides: readonly number[], dim: number): number[] {
  return strides.map((s, d) => (d === dim ? 0 : s));
}

function contiguous(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** TENSILE_WASM_THREADS, else navigator.hardwareConcurrency, else 1 (index.ts passes Node's core count). */
export function defaultThreads(): number {
  const env = typeof process !== 'undefined' ? process.env?.TENSILE_WASM_THREADS : undefined;
  if (env && Number.isInteger(Number(env)) && Number(env) > 0) return Number(env);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  return 1;
}

