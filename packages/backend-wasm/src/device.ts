/**
 * One instance of the kernel module and what the host planning in kernels/ needs around
 * it: the exports, the fixed areas at the bottom of linear memory, walk descriptors,
 * scratch blocks and the worker pool.
 */
import { contiguousStrides, sizeOf, type DType, type TensorView } from '@tensile/core';
import type { instantiate } from '../build/kernels.js';
import { Allocator } from './allocator.js';
import { elementBytes, WasmBuffer } from './buffer.js';
import { CONV, POOL, wordsOf } from './layouts.js';
import { CONTROL_BYTES, ThreadPool, workerFactory } from './threads.js';
import { walkBytes, writeWalk, type Walk } from './walk.js';

/** Exports of the kernel module, typed by the AssemblyScript compiler (scripts/build.mjs writes them). */
export type Kernels = Awaited<ReturnType<typeof instantiate>>;

/** Kernels that run on the worker pool: each takes (tid, nt) after its own arguments. */
const PARALLEL_KERNELS = [
  'matmul_f32', 'matmul_small_f32', 'conv2d_fwd', 'conv2d_bwd_input', 'conv2d_bwd_weight', 'pool2d_f32', 'pool2d_bwd_f32', 'softmax_rows_f32', 'reduce_line_f32',
  'unary_line_f32', 'binary_line_f32', 'sort_rows', 'scan_line_f32', 'attention_f32',
] as const satisfies readonly (keyof Kernels)[];
type ParallelKernel = (typeof PARALLEL_KERNELS)[number];
/** A parallel kernel's own arguments: its parameters less the (tid, nt) that each thread adds. */
type ParallelArgs<K extends ParallelKernel> = Kernels[K] extends (...args: [...infer A extends number[], number, number]) => void ? A : never;
/** Parallel kernels whose threads claim their work from a counter, so the caller can finish them alone. */
const CLAIMING_KERNELS: ReadonlySet<ParallelKernel> = new Set([
  'matmul_f32', 'matmul_small_f32', 'softmax_rows_f32', 'reduce_line_f32', 'unary_line_f32', 'binary_line_f32', 'scan_line_f32', 'attention_f32',
] as const);

// Fixed areas at the bottom of linear memory (the compiler's static data ends well below 64 KiB).
const CTRL = 65536;
/** Bytes reserved for each walk descriptor (enough for 169 dims; beyond that one is allocated). */
const DESC_BYTES = 4096;
const DESC0 = CTRL + CONTROL_BYTES;
const DESC1 = DESC0 + DESC_BYTES;
/** The conv or pool record of the current call. */
export const RECORD = DESC1 + DESC_BYTES;
const RECORD_BYTES = 128;
/** Matmul's list of PRODUCT records, when it fits. */
export const LIST = RECORD + RECORD_BYTES;
export const LIST_BYTES = 4096;
/** Counters that threads claim work from (GEMM: one per product, plus one). */
export const COUNTERS = LIST + LIST_BYTES;
export const COUNTER_SLOTS = 64;
/** f64 chunk results of a line reduction (reduce_line_f32: at most 64 chunks). */
export const PARTIALS = COUNTERS + COUNTER_SLOTS * 4;
const HEAP_BASE = 131072;

for (const [name, layout] of [['conv', CONV], ['pool', POOL]] as const) {
  if (wordsOf(layout).words * 4 > RECORD_BYTES) throw new Error(`wasm backend: the ${name} record outgrew its ${RECORD_BYTES}-byte area`);
}

/**
 * `error` itself, or for a trap in a kernel an error that names the call: a kernel traps
 * (RuntimeError: unreachable) when an op or dtype code reaches a switch without its case.
 */
export function kernelError(error: unknown, call: string, file: string): unknown {
  if (!(error instanceof WebAssembly.RuntimeError)) return error;
  return new Error(`wasm backend: ${call} trapped in its kernel (${error.message}); ${file} has no case for this op and dtype`, { cause: error });
}

/** A block of linear memory: byte address and capacity. */
export type Block = readonly [ptr: number, capacity: number];

export class Device {
  readonly k: Kernels;
  readonly allocator: Allocator;
  readonly pool: ThreadPool;
  private readonly gemmScratchBytes: number;
  private gemmScratch: { ptr: number; capacity: number; threads: number } | null = null;
  private heap: { length: number; i32: Int32Array } | null = null;
  /** Descriptor areas allocated for walks too large for the fixed ones, per slot. */
  private readonly bigDescriptors: (Block | null)[] = [null, null];

  constructor(
    module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    factory: Awaited<ReturnType<typeof workerFactory>>,
  ) {
    const instance = new WebAssembly.Instance(module, { env: { memory, hostLog: Math.log, hostCos: Math.cos } });
    const exports = instance.exports as unknown as Record<string, unknown>;
    this.k = exports as unknown as Kernels;
    this.gemmScratchBytes = this.k.gemmScratchBytes();
    this.allocator = new Allocator(memory, HEAP_BASE);
    this.pool = new ThreadPool(module, memory, CTRL, exports, PARALLEL_KERNELS, factory, CLAIMING_KERNELS);
  }

  /** An Int32Array over the whole memory (renewed after the memory grows). */
  i32(): Int32Array {
    const buffer = this.memory.buffer;
    if (!this.heap || this.heap.length !== buffer.byteLength) this.heap = { length: buffer.byteLength, i32: new Int32Array(buffer) };
    return this.heap.i32;
  }

  /** Threads for a parallel kernel: all available from `limit` units of work on, else one. */
  threadsFor(work: number, limit: number): number {
    return work >= limit ? this.pool.available() : 1;
  }

  /** Run a parallel kernel on `nt` threads (the calling one included). */
  run<K extends ParallelKernel>(name: K, args: ParallelArgs<K>, nt: number): void {
    this.pool.run(name, args, nt);
  }

  /** Zero the first `count` claim counters. */
  zeroCounters(count = 1): void {
    this.i32().fill(0, COUNTERS >> 2, (COUNTERS >> 2) + count);
  }

  /**
   * Write a walk descriptor into slot 0 or 1 and return its address: the fixed area at the
   * bottom of memory, or (for more dims than fit there) an area kept for later calls.
   */
  walk(slot: 0 | 1, walk: Walk, sizes: readonly number[]): number {
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
    writeWalk(this.i32(), at, walk, sizes);
    return at;
  }

  /** Scratch for one kernel call; `what` names it if memory runs out. */
  scratch(bytes: number, what: string): Block {
    return this.allocator.alloc(Math.max(16, bytes), () => `${what} scratch`);
  }

  release(block: Block): void {
    this.allocator.free(block[0], block[1]);
  }

  /** A contiguous view of `shape` in fresh scratch (the caller releases `block`). */
  temporary(shape: readonly number[], dtype: DType, what: string): { view: TensorView; block: Block } {
    const size = sizeOf(shape);
    const block = this.scratch(size * elementBytes(dtype), what);
    const buffer = new WasmBuffer(block[0], block[1], size, dtype, this.memory);
    return { view: { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 }, block };
  }

  /** Packing scratch for `threads` GEMMs, kept between calls. */
  gemmScratchFor(threads: number): number {
    const have = this.gemmScratch;
    if (have && have.threads >= threads) return have.ptr;
    if (have) this.allocator.free(have.ptr, have.capacity);
    const [ptr, capacity] = this.allocator.alloc(threads * this.gemmScratchBytes, () => 'GEMM packing scratch');
    this.gemmScratch = { ptr, capacity, threads };
    return ptr;
  }
}
