/**
 * The cuda backend: the kernel contract on an NVIDIA GPU. This class only marshals: it
 * picks a kernel by name (`<op>_<dtype>`), packs shapes, strides and device pointers into
 * the kernel's argument struct (src/params.ts), chooses the launch geometry and queues the
 * launch on the addon's one stream. Kernel calls return at once; only `read` waits, and it
 * waits without blocking the event loop.
 */
import {
  collapseDims, CONTRACT_VERSION, convGeometry, poolGeometry,
  type AcceleratedOps, type ArgReduceOp, type Backend, type BackendMemoryInfo, type BinaryOp, type BufferHandle, type Conv2dParams,
  type CoreDType, type DType, type Pool2dParams, type PoolOp, type RandomDistribution, type RandomKey, type ReduceOp,
  type TensorView, type TypedArrayFor, type UnaryOp,
} from '@tensile/core';
import { CachingAllocator, type AllocatorStats, type Block } from './allocator.js';
import {
  BLOCK, checkRank, contiguousStrides, gridFor, isContiguous, MAX_GRID_YZ, product, rowBlock, splitK, TILE,
} from './geometry.js';
import type { DeviceInfo, NativeModule } from './native.js';
import { ArgBlock, GEMM_SIMT_THREADS, GEMM_TF32_THREADS, MAX_DIMS, MAX_OPERANDS, type StructName } from './params.js';

/** Kernel-name suffix of each dtype. */
// float16 never reaches this backend: without supportsDType, core refuses it before any kernel.
export const DTYPE_SUFFIX = { float32: 'f32', int32: 'i32', bool: 'u8' } satisfies Record<CoreDType, string> as Record<DType, string>;
const BYTES = { float32: 4, int32: 4, bool: 1 } satisfies Record<CoreDType, number> as Record<DType, number>;

/** A buffer of the cuda backend: a block of device memory behind an opaque handle. */
export class CudaBuffer implements BufferHandle {
  declare readonly __brand?: 'tensile.BufferHandle';
  constructor(
    readonly block: Block,
    readonly size: number,
    readonly dtype: DType,
  ) {}
  get pointer(): number {
    return this.block.pointer;
  }
}

function bufferOf(handle: BufferHandle): CudaBuffer {
  if (!(handle instanceof CudaBuffer)) {
    throw new Error("cuda backend: received a buffer that belongs to another backend; move the tensor with t.to('cuda') first");
  }
  if (handle.block.released) throw new Error('cuda backend: buffer used after it was freed');
  return handle;
}

function pointerOf(view: TensorView): number {
  return bufferOf(view.buffer).pointer;
}

/** Unary ops whose int32 kernel is the identity (floor/ceil/round of an integer). */
const INT_IDENTITY: ReadonlySet<UnaryOp> = new Set(['floor', 'ceil', 'round']);
/** Unary ops with an int32 kernel. */
const INT_UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign', 'relu']);
/** Unary ops that map bool to bool unchanged, as on the cpu. */
const BOOL_IDENTITY: ReadonlySet<UnaryOp> = new Set(['abs', 'sign', 'relu', 'floor', 'ceil', 'round']);
const BOOL_RESULT: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

function requireFloat32(kernel: string, ...views: TensorView[]): void {
  for (const v of views) {
    if (v.dtype !== 'float32') throw new Error(`cuda backend: ${kernel} expects float32 tensors, got ${v.dtype}`);
  }
}

/** Options of a backend instance. */
export interface CudaBackendOptions {
  /** Use TF32 tensor cores for matmul and convolutions (default: the module-wide setting). */
  allowTF32?: () => boolean;
}

export class CudaBackend implements Backend {
  readonly name = 'cuda';
  readonly contractVersion = CONTRACT_VERSION;
  /** The op table's composites this backend has kernels for. */
  readonly accelerates: AcceleratedOps = { unary: ['rsqrt', 'reciprocal', 'sigmoid', 'relu'], binary: [] };
  readonly allocator: CachingAllocator;
  private readonly blocks = new Map<StructName, ArgBlock<StructName>>();
  private readonly allowTF32: () => boolean;

  constructor(
    readonly native: NativeModule,
    readonly device: DeviceInfo,
    options: CudaBackendOptions = {},
  ) {
    this.allocator = new CachingAllocator(native);
    this.allowTF32 = options.allowTF32 ?? (() => true);
  }

  /** The reusable argument block of a struct, zeroed. */
  private args<S extends StructName>(struct: S): ArgBlock<S> {
    let block = this.blocks.get(struct);
    if (!block) this.blocks.set(struct, (block = new ArgBlock(struct)));
    return (block as ArgBlock<S>).reset();
  }

  private launch(name: string, grid: readonly [number, number, number], block: number, args: ArgBlock<StructName>): void {
    this.native.launch(name, grid[0], grid[1], grid[2], block, 1, 1, 0, args.bytes);
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
    const n = product(view.shape);
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
    if (product(view.shape) === 0) return typedArray(view.dtype, new ArrayBuffer(0));
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
    if (product(view.shape) === 0) return typedArray(view.dtype, new ArrayBuffer(0));
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

  // ---- elementwise family ------------------------------------------------------------------

  /** Launch an ElementwiseParams kernel over `out`'s shape; operand 0 is `out`. */
  private elementwise(name: string, operands: readonly TensorView[], scalar?: { f: number; i: number }): void {
    const shape = operands[0].shape;
    const n = product(shape);
    if (n === 0) return;
    const merged = collapseDims(shape, operands.map((v) => v.strides));
    checkRank(merged.shape.length, name);
    const p = this.args('ElementwiseParams');
    p.set('n', n).set('rank', merged.shape.length).setAll('shape', merged.shape);
    operands.forEach((v, k) => {
      p.set('offset', v.offset, k).set('ptr', pointerOf(v), k).setAll('strides', merged.strides[k], k * MAX_DIMS);
    });
    if (scalar) p.set('scalar', scalar.f).set('iscalar', scalar.i);
    if (operands.length > MAX_OPERANDS) throw new Error(`cuda backend: ${name} has too many operands`);
    this.launch(name, [gridFor(n), 1, 1], BLOCK, p);
  }

  fill(out: TensorView, value: number): void {
    const i = out.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value | 0; // ToInt32, as an Int32Array store
    this.elementwise(`fill_${DTYPE_SUFFIX[out.dtype]}`, [out], { f: value, i });
  }

  copy(x: TensorView, out: TensorView): void {
    if (x.dtype !== out.dtype) throw new Error(`cuda backend: copy needs one dtype, got ${x.dtype} and ${out.dtype}; use cast`);
    this.elementwise(`copy_${DTYPE_SUFFIX[x.dtype]}`, [out, x]);
  }

  cast(x: TensorView, out: TensorView): void {
    if (x.dtype === out.dtype) return this.copy(x, out);
    const to = out.dtype === 'float32' ? 'F32' : out.dtype === 'int32' ? 'I32' : 'Bool';
    this.elementwise(`castTo${to}_${DTYPE_SUFFIX[x.dtype]}`, [out, x]);
  }

  /** The kernel for a unary op on `x` writing `out`. */
  static unaryKernel(op: UnaryOp, x: DType, out: DType): string {
    if (op === 'logicalNot') return `logicalNot_${DTYPE_SUFFIX[x]}`;
    if (out === 'bool') {
      if (!BOOL_IDENTITY.has(op)) throw new Error(`cuda backend: unary '${op}' does not take bool; cast to float32 or int32 first`);
      return 'copy_u8';
    }
    if (x === 'int32') {
      if (INT_IDENTITY.has(op)) return 'copy_i32';
      if (!INT_UNARY.has(op)) throw new Error(`cuda backend: unary '${op}' does not take int32; cast to float32 first`);
    }
    return `${op}_${DTYPE_SUFFIX[x]}`;
  }

  unary(op: UnaryOp, x: TensorView, out: TensorView): void {
    this.elementwise(CudaBackend.unaryKernel(op, x.dtype, out.dtype), [out, x]);
  }

  /** The kernel for a binary op on operands of dtype `x`. */
  static binaryKernel(op: BinaryOp, x: DType, out: DType): string {
    // Core turns bool arithmetic into logical ops; only comparisons and logic arrive as bool.
    if (x === 'bool' && !BOOL_RESULT.has(op)) throw new Error(`cuda backend: binary '${op}' does not take bool operands`);
    return `${op}_${DTYPE_SUFFIX[x]}`;
  }

  binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
    if (a.dtype !== b.dtype) throw new Error(`cuda backend: binary '${op}' needs one dtype, got ${a.dtype} and ${b.dtype}`);
    this.elementwise(CudaBackend.binaryKernel(op, a.dtype, out.dtype), [out, a, b]);
  }

  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
    if (cond.dtype !== 'bool') throw new Error(`cuda backend: where expects a bool condition, got ${cond.dtype}`);
    this.elementwise(`where_${DTYPE_SUFFIX[out.dtype]}`, [out, cond, a, b]);
  }

  // ---- reductions --------------------------------------------------------------------------

  /**
   * Fill a ReduceParams block: `outer` walks the kept dims (x and out strides), `inner` the
   * reduced ones (x strides, and out strides for softmax).
   */
  private reduceParams(
    x: TensorView, out: TensorView, reduced: readonly number[], name: string, outAlongReduced = false,
  ): { p: ArgBlock<'ReduceParams'>; outer: number; inner: number; outerLastStride: number } {
    const isReduced = (d: number) => reduced.includes(d);
    const kept = x.shape.map((_, d) => d).filter((d) => !isReduced(d));
    const outer = collapseDims(kept.map((d) => x.shape[d]), [kept.map((d) => x.strides[d]), kept.map((d) => out.strides[d])]);
    const innerDims = reduced.filter((d) => d < x.shape.length);
    const innerStrides = [innerDims.map((d) => x.strides[d])];
    if (outAlongReduced) innerStrides.push(innerDims.map((d) => out.strides[d]));
    const inner = outAlongReduced
      ? { shape: innerDims.map((d) => x.shape[d]), strides: innerStrides } // one axis: keep as is
      : collapseDims(innerDims.map((d) => x.shape[d]), innerStrides);
    checkRank(outer.shape.length, name);
    checkRank(inner.shape.length, name);
    const outerCount = product(outer.shape);
    const innerCount = product(inner.shape);
    const p = this.args('ReduceParams');
    p.set('outer', outerCount).set('inner', innerCount)
      .set('outerRank', outer.shape.length).set('innerRank', inner.shape.length)
      .setAll('outerShape', outer.shape).setAll('innerShape', inner.shape)
      .setAll('xOuterStrides', outer.strides[0]).setAll('outOuterStrides', outer.strides[1])
      .setAll('xInnerStrides', inner.strides[0])
      .set('xOffset', x.offset).set('outOffset', out.offset)
      .set('x', pointerOf(x)).set('out', pointerOf(out));
    if (outAlongReduced) p.setAll('outInnerStrides', inner.strides[1]);
    const outerLastStride = outer.shape.length > 0 ? outer.strides[0][outer.shape.length - 1] : 0;
    return { p, outer: outerCount, inner: innerCount, outerLastStride };
  }

  /** One block per output for long reductions; one thread per output for short ones or many outputs on a contiguous dim. */
  static reduceMode(outer: number, inner: number, outerLastStride: number): 0 | 1 {
    return inner <= 32 || (outerLastStride === 1 && outer >= 16384) ? 1 : 0;
  }

  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
    if (x.dtype === 'bool') throw new Error(`cuda backend: reduce '${op}' does not take bool; cast to int32 first`);
    const name = `${op}_${DTYPE_SUFFIX[x.dtype]}`;
    const { p, outer, inner, outerLastStride } = this.reduceParams(x, out, axes, name);
    if (outer === 0) return;
    const mode = CudaBackend.reduceMode(outer, inner, outerLastStride);
    p.set('mode', mode);
    if (mode === 1) this.launch(name, [gridFor(outer), 1, 1], BLOCK, p);
    else this.launch(name, [gridFor(outer, 1), 1, 1], rowBlock(inner), p);
  }

  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
    const name = `${op}_${DTYPE_SUFFIX[x.dtype]}`;
    const { p, outer, inner } = this.reduceParams(x, out, [axis], name, true);
    if (outer === 0) return;
    this.launch(name, [gridFor(outer, 1), 1, 1], rowBlock(inner), p);
  }

  private softmaxLike(name: string, x: TensorView, axis: number, out: TensorView): void {
    requireFloat32(name, x, out);
    const { p, outer, inner } = this.reduceParams(x, out, [axis], name, true);
    if (outer === 0 || inner === 0) return;
    this.launch(name, [gridFor(outer, 1), 1, 1], rowBlock(inner), p);
  }

  softmax(x: TensorView, axis: number, out: TensorView): void {
    this.softmaxLike('softmax_f32', x, axis, out);
  }

  logSoftmax(x: TensorView, axis: number, out: TensorView): void {
    this.softmaxLike('logSoftmax_f32', x, axis, out);
  }

  // ---- matmul and convolution ----------------------------------------------------------------

  /** `matmul` or `matmulTf32` etc., with the block size of that tile loop. */
  private gemmKernel(op: string): { name: string; block: number } {
    return this.allowTF32() ? { name: `${op}Tf32_f32`, block: GEMM_TF32_THREADS } : { name: `${op}_f32`, block: GEMM_SIMT_THREADS };
  }

  private gemmGrid(m: number, n: number, z: number, what: string): [number, number, number] {
    const gy = Math.ceil(m / TILE);
    if (gy > MAX_GRID_YZ) throw new Error(`cuda backend: ${what} has ${m} rows; the GEMM kernels handle at most ${MAX_GRID_YZ * TILE}`);
    return [Math.ceil(n / TILE), gy, Math.min(z, MAX_GRID_YZ)];
  }

  matmul(a: TensorView, b: TensorView, out: TensorView): void {
    requireFloat32('matmul', a, b, out);
    const r = out.shape.length;
    const [M, N] = [out.shape[r - 2], out.shape[r - 1]];
    const K = a.shape[r - 1];
    const batchShape = out.shape.slice(0, r - 2);
    const batch = product(batchShape);
    if (M === 0 || N === 0 || batch === 0) return;
    if (K === 0) return this.fill(out, 0);
    const merged = collapseDims(batchShape, [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2), out.strides.slice(0, r - 2)]);
    checkRank(merged.shape.length, 'matmul');
    const { name, block } = this.gemmKernel('matmul');
    const tiles = Math.ceil(M / TILE) * Math.ceil(N / TILE) * batch;
    const { splits, kChunk } = splitK(tiles, K, this.device.multiProcessorCount);
    if (splits > 1) this.fill(out, 0);
    const p = this.args('MatmulParams');
    p.set('M', M).set('N', N).set('K', K).set('batch', batch).set('batchRank', merged.shape.length)
      .setAll('batchShape', merged.shape).setAll('aBatchStrides', merged.strides[0])
      .setAll('bBatchStrides', merged.strides[1]).setAll('cBatchStrides', merged.strides[2])
      .set('aOffset', a.offset).set('bOffset', b.offset).set('cOffset', out.offset)
      .set('aRowStride', a.strides[r - 2]).set('aColStride', a.strides[r - 1])
      .set('bRowStride', b.strides[r - 2]).set('bColStride', b.strides[r - 1])
      .set('cRowStride', out.strides[r - 2]).set('cColStride', out.strides[r - 1])
      .set('a', pointerOf(a)).set('b', pointerOf(b)).set('c', pointerOf(out))
      .set('kChunk', kChunk).set('splits', splits);
    this.launch(name, this.gemmGrid(M, N, batch * splits, 'matmul'), block, p);
  }

  /** ConvParams for input-side `x`, weight `w` and output-side `y` views: core's geometry, then the views. */
  private convParams(x: TensorView, w: TensorView, y: TensorView, c: Conv2dParams): ArgBlock<'ConvParams'> {
    return this.args('ConvParams').setRecord(convGeometry(x.shape, w.shape, y.shape, c))
      .setAll('xStrides', x.strides).setAll('wStrides', w.strides).setAll('yStrides', y.strides)
      .set('xOffset', x.offset).set('wOffset', w.offset).set('yOffset', y.offset)
      .set('x', pointerOf(x)).set('w', pointerOf(w)).set('y', pointerOf(y))
      .set('kChunk', 1).set('splits', 1);
  }

  conv2d(x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
    requireFloat32('conv2d', x, weight, out);
    if (product(out.shape) === 0) return;
    const g = params.groups;
    const M = out.shape[1] / g, N = out.shape[0] * out.shape[2] * out.shape[3];
    const K = (x.shape[1] / g) * weight.shape[2] * weight.shape[3];
    if (K === 0) return this.fill(out, 0);
    const { name, block } = this.gemmKernel('conv2d');
    const p = this.convParams(x, weight, out, params).set('kChunk', K);
    this.launch(name, this.gemmGrid(M, N, g, 'conv2d'), block, p);
  }

  conv2dBackwardInput(dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
    requireFloat32('conv2dBackwardInput', dy, weight, out);
    if (product(out.shape) === 0) return;
    const g = params.groups;
    const M = out.shape[1] / g, N = out.shape[0] * out.shape[2] * out.shape[3];
    const K = (weight.shape[0] / g) * weight.shape[2] * weight.shape[3];
    if (K === 0 || product(dy.shape) === 0) return this.fill(out, 0);
    const { name, block } = this.gemmKernel('conv2dBackwardInput');
    const p = this.convParams(out, weight, dy, params).set('kChunk', K);
    this.launch(name, this.gemmGrid(M, N, g, 'conv2dBackwardInput'), block, p);
  }

  conv2dBackwardWeight(x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void {
    requireFloat32('conv2dBackwardWeight', x, dy, out);
    if (product(out.shape) === 0) return;
    const g = params.groups;
    const M = out.shape[0] / g, N = out.shape[1] * out.shape[2] * out.shape[3];
    const K = dy.shape[0] * dy.shape[2] * dy.shape[3];
    if (K === 0) return this.fill(out, 0);
    const { name, block } = this.gemmKernel('conv2dBackwardWeight');
    const tiles = Math.ceil(M / TILE) * Math.ceil(N / TILE) * g;
    const { splits, kChunk } = splitK(tiles, K, this.device.multiProcessorCount);
    if (splits > 1) this.fill(out, 0);
    const p = this.convParams(x, out, dy, params).set('kChunk', kChunk).set('splits', splits);
    this.launch(name, this.gemmGrid(M, N, g * splits, 'conv2dBackwardWeight'), block, p);
  }

  // ---- pooling -------------------------------------------------------------------------------

  private poolParams(x: TensorView, y: TensorView, g: TensorView | null, params: Pool2dParams): ArgBlock<'PoolParams'> {
    const p = this.args('PoolParams').setRecord(poolGeometry(x.shape, y.shape, params))
      .setAll('xStrides', x.strides).setAll('yStrides', y.strides)
      .set('xOffset', x.offset).set('yOffset', y.offset).set('x', pointerOf(x)).set('y', pointerOf(y));
    if (g) p.setAll('gStrides', g.strides).set('gOffset', g.offset).set('g', pointerOf(g));
    return p;
  }

  pool2d(op: PoolOp, x: TensorView, out: TensorView, params: Pool2dParams): void {
    requireFloat32('pool2d', x, out);
    const n = product(out.shape);
    if (n === 0) return;
    this.launch(`${op}Pool2d_f32`, [gridFor(n), 1, 1], BLOCK, this.poolParams(x, out, null, params));
  }

  pool2dBackward(op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, params: Pool2dParams): void {
    requireFloat32('pool2dBackward', x, dy, out);
    this.fill(out, 0);
    const n = product(dy.shape);
    if (n === 0) return;
    this.launch(`${op}Pool2dBackward_f32`, [gridFor(n), 1, 1], BLOCK, this.poolParams(x, dy, out, params));
  }

  // ---- indexing ------------------------------------------------------------------------------

  private indexParams(
    index: TensorView, src: TensorView, srcStrides: readonly number[], out: TensorView, outStrides: readonly number[],
    dimSize: number, dimStride: number, name: string,
  ): { p: ArgBlock<'IndexParams'>; n: number } {
    if (index.dtype !== 'int32') throw new Error(`cuda backend: ${name} expects an int32 index, got ${index.dtype}`);
    const merged = collapseDims(index.shape, [index.strides, srcStrides, outStrides]);
    checkRank(merged.shape.length, name);
    const n = product(index.shape);
    const p = this.args('IndexParams');
    p.set('n', n).set('rank', merged.shape.length).set('dimSize', dimSize).set('dimStride', dimStride)
      .setAll('shape', merged.shape).setAll('indexStrides', merged.strides[0])
      .setAll('srcStrides', merged.strides[1]).setAll('outStrides', merged.strides[2])
      .set('indexOffset', index.offset).set('srcOffset', src.offset).set('outOffset', out.offset)
      .set('index', pointerOf(index)).set('src', pointerOf(src)).set('out', pointerOf(out));
    return { p, n };
  }

  gather(x: TensorView, dim: number, index: TensorView, out: TensorView): void {
    const name = `gather_${DTYPE_SUFFIX[x.dtype]}`;
    const pinned = x.strides.map((s, d) => (d === dim ? 0 : s));
    const { p, n } = this.indexParams(index, x, pinned, out, out.strides, x.shape[dim], x.strides[dim], name);
    if (n > 0) this.launch(name, [gridFor(n), 1, 1], BLOCK, p);
  }

  scatterAdd(dim: number, index: TensorView, src: TensorView, out: TensorView): void {
    const name = `scatterAdd_${DTYPE_SUFFIX[out.dtype]}`;
    const pinned = out.strides.map((s, d) => (d === dim ? 0 : s));
    const { p, n } = this.indexParams(index, src, src.strides, out, pinned, out.shape[dim], out.strides[dim], name);
    if (n > 0) this.launch(name, [gridFor(n), 1, 1], BLOCK, p);
  }

  // ---- random --------------------------------------------------------------------------------

  random(distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
    requireFloat32('random', out);
    const n = product(out.shape);
    if (n === 0) return;
    const name = `${distribution}_f32`;
    const merged = collapseDims(out.shape, [out.strides]);
    checkRank(merged.shape.length, name);
    const p = this.args('RandomParams');
    p.set('n', n).set('rank', merged.shape.length).setAll('shape', merged.shape).setAll('strides', merged.strides[0])
      .set('offset', out.offset).set('out', pointerOf(out)).set('seed', key.seed >>> 0).set('counterOffset', key.offset);
    this.launch(name, [gridFor(n), 1, 1], BLOCK, p);
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
