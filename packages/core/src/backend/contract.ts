/**
 * The kernel contract: what every backend implements.
 *
 * Core validates inputs, computes output shapes, allocates outputs and records gradients;
 * a backend only moves bytes and runs kernels. Every kernel writes into an `out` view that
 * core allocated, and reads its inputs through views (buffer, shape, strides, offset), so
 * transposes, broadcasts (stride 0) and slices cost nothing.
 *
 * Conventions shared by every kernel:
 * - `out` is contiguous, row-major, offset 0, unless a kernel's doc says otherwise
 *   (only {@link Backend.copy} accepts a strided `out`).
 * - Strides and offsets count elements, not bytes.
 * - Kernels return at once; a GPU backend may queue the work. Only `read` waits.
 * - Inputs never alias `out`, except where a kernel says so.
 *
 * The contract is versioned: a backend declares the {@link CONTRACT_VERSION} it was written
 * against, and registration rejects a mismatch with a message naming both versions.
 */
import type { DType, TypedArrayFor } from '../dtype.js';
// The ops themselves, with their codes, dtype rules and references, live in the op table.
import type { ArgReduceOp, BinaryComposite, BinaryOp, ReduceOp, UnaryComposite, UnaryOp } from './op-table.js';

/** The contract version this build of core speaks. Bump on any breaking change below. */
export const CONTRACT_VERSION = 3;

/**
 * An opaque handle to device memory: any object a backend chooses (a typed array wrapper, a
 * GPUBuffer, an integer slot in a native addon). Only the backend that made it looks inside.
 */
export type BufferHandle = object;

/** A strided window onto a buffer. */
export interface TensorView {
  readonly buffer: BufferHandle;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Elements to step per index, one per dim; 0 for a broadcast dim. */
  readonly strides: readonly number[];
  /** First element, in elements from the start of the buffer. */
  readonly offset: number;
}

/**
 * The elementwise ops with a composite that a backend runs as kernels ({@link
 * Backend.accelerates}). Ops without a composite are primitives: every backend runs them.
 */
export interface AcceleratedOps {
  readonly unary: readonly UnaryComposite[];
  readonly binary: readonly BinaryComposite[];
}

export type PoolOp = 'max' | 'avg';

/** The combining op of the optional {@link Backend.scan} kernel. */
export type ScanOp = 'sum' | 'prod' | 'max' | 'min' | 'logsumexp';

/** Distributions the counter-based RNG draws from. */
export type RandomDistribution = 'uniform' | 'normal';

/** Geometry of a 2-D convolution; all pairs are [height, width]. */
export interface Conv2dParams {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/** Geometry of a 2-D pooling window; all pairs are [height, width]. */
export interface Pool2dParams {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** Average pooling only: count padded cells in the divisor (PyTorch's default, true). */
  readonly countIncludePad: boolean;
}

/** Options of the optional fused {@link Backend.attention} kernel. */
export interface AttentionParams {
  /** Multiplies every score `q · k` before the mask is added. */
  readonly scale: number;
  /** Query `i` attends only to keys `j <= i` (the top-left-aligned lower triangle). */
  readonly causal: boolean;
}

/**
 * Key for the counter-based generator (Philox4x32-10). Element `i` of the output uses
 * counter `offset + i`, so any backend that implements Philox gives the same numbers.
 */
export interface RandomKey {
  readonly seed: number;
  readonly offset: number;
}

/** Memory a backend holds, as reported by {@link Backend.memoryInfo}. */
export interface BackendMemoryInfo {
  /** Bytes held in live buffers. */
  readonly bytes: number;
  /** Live buffers. */
  readonly buffers: number;
  /** Bytes held by a caching allocator for reuse, beyond `bytes`. */
  readonly cachedBytes?: number;
}

/**
 * A backend: about 30 primitives every backend implements, plus optional fused kernels.
 *
 * @example
 * ```ts
 * import { registerBackend, type Backend } from '@tensile/core';
 * class MyBackend implements Backend { ... }
 * registerBackend(new MyBackend(), { priority: 1 });
 * ```
 */
export interface Backend {
  /** Device name used in `t.device` and `t.to(name)`, e.g. `'cpu'`. */
  readonly name: string;
  /** The {@link CONTRACT_VERSION} this backend implements. */
  readonly contractVersion: number;

  // ---- memory -------------------------------------------------------------------------

  /** Allocate room for `size` elements of `dtype`. Contents are unspecified. */
  alloc(size: number, dtype: DType): BufferHandle;
  /** Release a buffer. Core calls this exactly once per buffer. */
  free(buffer: BufferHandle): void;
  /** Copy host data into the start of a buffer (`data.length` elements). */
  write(buffer: BufferHandle, data: TypedArrayFor<DType>): void;
  /** Read a view's elements, in row-major order, into a new host array. */
  read(view: TensorView): Promise<TypedArrayFor<DType>>;
  /** Synchronous read; backends whose memory is host-visible provide it. */
  readSync?(view: TensorView): TypedArrayFor<DType>;
  /** What the backend holds now. */
  memoryInfo(): BackendMemoryInfo;
  /**
   * The composite ops of the op table this backend runs as kernels; core runs the
   * composite for the others. Every op listed must have a case in {@link Backend.unary} or
   * {@link Backend.binary}: the shared kernel suite runs each one against its reference.
   */
  readonly accelerates: AcceleratedOps;
  /**
   * Whether tensors of `dtype` can live here. Optional: without it a backend supports
   * float32, int32 and bool, which every backend must; `float16` is opt-in. Kernels of a
   * backend that says yes take `float16` wherever they take `float32`.
   */
  supportsDType?(dtype: DType): boolean;

  // ---- data movement ------------------------------------------------------------------

  /** Set every element of `out` to `value`. */
  fill(out: TensorView, value: number): void;
  /**
   * Copy `x` into `out`, element by element in row-major order of the shared shape.
   * `out` may be any strided view (this is how `cat`, `pad` and slicing assignment write);
   * `x` and `out` have one dtype.
   */
  copy(x: TensorView, out: TensorView): void;
  /**
   * Convert `x` to `out.dtype`: float to int truncates toward zero (NaN gives 0; values
   * beyond int32 are unspecified, as in PyTorch); to bool is `!= 0` (NaN is true).
   */
  cast(x: TensorView, out: TensorView): void;

  // ---- elementwise --------------------------------------------------------------------

  /**
   * An elementwise op of one input (a primitive, or a composite listed in `accelerates`).
   * `x` has one of the dtypes the op table's rules send to the kernel (`kernelDTypes`);
   * `out` has `x`'s dtype for math ops and bool for logical ones.
   */
  unary(op: UnaryOp, x: TensorView, out: TensorView): void;
  /**
   * An elementwise op of two inputs, already broadcast to `out`'s shape (stride 0 on
   * broadcast dims) and of one dtype, one the op's rules send to the kernel: arithmetic
   * never receives bool (core turns bool add/maximum into `logicalOr`, mul/minimum into
   * `logicalAnd`), logical ops receive bool only. Comparisons and logical ops write bool.
   */
  binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void;
  /** `out[i] = cond[i] ? a[i] : b[i]`; all three already broadcast to `out`'s shape. */
  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void;

  // ---- reductions ---------------------------------------------------------------------

  /**
   * Reduce float or int32 `x` over `axes` (sorted, unique); `out` keeps those dims with
   * size 1 and has `x`'s dtype. See `planReduce` for the split into kept and reduced dims.
   */
  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void;
  /** Index (int32) of the extreme value along `axis`; `out` keeps that dim with size 1. */
  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void;

  // ---- linear algebra and networks ----------------------------------------------------

  /**
   * Batched matrix product: `a` is `[...batch, M, K]`, `b` is `[...batch, K, N]` (the same
   * batch shape, broadcast dims already stride 0), `out` is `[...batch, M, N]`. Transposed
   * operands arrive as views with swapped strides.
   */
  matmul(a: TensorView, b: TensorView, out: TensorView): void;
  /** `x` `[N, C, H, W]`, `weight` `[O, C / groups, kH, kW]`, `out` `[N, O, oH, oW]`. */
  conv2d(x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void;
  /** Gradient of conv2d with respect to its input; `out` has the input's shape. */
  conv2dBackwardInput(dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void;
  /** Gradient of conv2d with respect to its weight; `out` has the weight's shape. */
  conv2dBackwardWeight(x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void;
  /** `x` `[N, C, H, W]`, `out` `[N, C, oH, oW]`. Padding counts as -inf for max. */
  pool2d(op: PoolOp, x: TensorView, out: TensorView, params: Pool2dParams): void;
  /**
   * Gradient of pool2d with respect to its input (`out` has `x`'s shape). Max pooling sends
   * each window's gradient to its first maximum, as PyTorch.
   */
  pool2dBackward(op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, params: Pool2dParams): void;

  // ---- indexing -----------------------------------------------------------------------

  /** `out[..i..] = x[.. index[..i..] ..]` along `dim`; `index` is int32, shaped as `out`. */
  gather(x: TensorView, dim: number, index: TensorView, out: TensorView): void;
  /**
   * Accumulate `src` into `out` at `index` along `dim`: `out[.. index[i] ..] += src[i]`.
   * `out` holds the starting values (core copies them in first); `index` and `src` share a
   * shape. Indices were validated by core.
   */
  scatterAdd(dim: number, index: TensorView, src: TensorView, out: TensorView): void;

  // ---- sorting ------------------------------------------------------------------------

  /**
   * Sort each row of `x`, a 2-D view `[rows, n]` (any strides) of float32, float16 or int32
   * elements, and write the first `k` elements of each row's order: `values` (x's dtype) and
   * `indices` (int32, each element's position within its row), both contiguous `[rows, k]`,
   * with `1 <= k <= n` (core moves the sorted dim last and handles empty tensors and bool).
   *
   * The order is ascending, or descending with `descending`. NaN counts as larger than every
   * number (last ascending, first descending), -0 equals +0, and equal elements keep their
   * order (a stable sort): every row has one result, the same on every backend. `values`
   * holds the elements themselves (NaN payloads and the sign of zero survive). A `k` below
   * `n` is top-k selection: a backend may select the first `k` rather than sort the row.
   */
  sort(x: TensorView, descending: boolean, values: TensorView, indices: TensorView): void;

  // ---- random -------------------------------------------------------------------------

  /** Fill float32 `out` from Philox4x32-10 at `key` (uniform in [0, 1) or standard normal). */
  random(distribution: RandomDistribution, key: RandomKey, out: TensorView): void;

  // ---- optional fused kernels (core falls back to composites without them) ------------

  /** Softmax along `axis` of float32 `x`. */
  softmax?(x: TensorView, axis: number, out: TensorView): void;
  /** Log-softmax along `axis` of float32 `x`. */
  logSoftmax?(x: TensorView, axis: number, out: TensorView): void;

  /**
   * Fused attention over `B` independent heads: `out = softmax(q kᵀ · scale + mask) v` row by
   * row, without materialising the `[L, S]` scores. `q` `[B, L, E]`, `k` `[B, S, E]`, `v`
   * `[B, S, Ev]`, `out` `[B, L, Ev]` and `lse` `[B, L]` are float32 and contiguous, with
   * `L, S, E, Ev >= 1`. `mask` is null or a float32 `[B, L, S]` view (any strides, 0 on
   * broadcast dims) added to the scaled scores; `params.causal` (never together with a mask)
   * drops keys `j > i`. `lse` receives each row's log-sum-exp of the scaled, masked scores,
   * which core's gradient uses to rebuild the weights. A row whose scores are all `-inf`
   * gives NaN in `out` (as PyTorch's softmax) and `-inf` or NaN in `lse`. Core runs matmul
   * and softmax without this kernel.
   */
  attention?(q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null, out: TensorView, lse: TensorView, params: AttentionParams): void;

  // -- scan (cumsum, cumprod, cummax, cummin, logcumsumexp) --
  /**
   * Inclusive scan along `axis`: `out[..i..] = op(x[..0..], ..., x[..i..])`. `x` is float32 or
   * int32 (`logsumexp`: float32 only; int32 sums and products wrap); `out` has x's shape
   * and dtype. For `max` and `min`, `indices` (int32, x's shape) receives the position of
   * the value along `axis`: the latest on ties, and once a NaN is seen every later position
   * holds NaN with the latest NaN's index (PyTorch's rule). Float sums accumulate in at
   * least float32 along the line; core falls back to a log-step composite without this kernel.
   */
  scan?(op: ScanOp, x: TensorView, axis: number, out: TensorView, indices?: TensorView): void;

  /** Wait for queued work to finish (GPU backends); optional. */
  sync?(): Promise<void>;
  /** Release cached memory held for reuse; optional. */
  emptyCache?(): void;
}
