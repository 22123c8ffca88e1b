/**
 * The Tensor handle: a strided view onto reference-counted storage on one backend, plus its
 * place in the autograd graph. Every op is available as a method here and as a function in
 * `ops/`; the methods only forward.
 */
import type { Backend, TensorView } from '../backend/contract.js';
import { isFloating, type AnyTypedArray, type DType } from '../dtype.js';
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from '../backend/op-table.js';
import { keep, trackInScope } from '../memory.js';
import { contiguousStrides, formatShape, isContiguous, sizeOf, type Shape } from '../shape.js';
import { AccumulateGrad, type Node } from '../autograd/node.js';
import { backward, type BackwardOptions } from '../autograd/engine.js';
import { registerTensorHook, type RemovableHandle, retainGrad, retainsGrad, type TensorHook } from '../autograd/hooks.js';
import { countsFor, Storage } from './storage.js';
import * as ops from '../ops/index.js';
import { matrixTranspose, unfoldWindows } from '../ops/methods.js';
import type { NestedArray } from './nested.js';
import { toNested } from './nested.js';
import { formatTensor, formatTensorAsync } from './format.js';

/** A number or a tensor: ops accept plain numbers wherever a tensor operand is expected. */
export type TensorLike = Tensor | number | boolean;

/** A tensor whose type says it holds bools (comparisons, `bool()`): its `item()` is a boolean. */
export type BoolTensor = Tensor & { readonly dtype: 'bool' };

interface HandleRecord {
  storage: Storage;
  device: string;
}

// The net under forgotten handles: when a Tensor object is collected undisposed, drop its
// storage reference and its count.
const forgotten = new FinalizationRegistry<HandleRecord>(({ storage, device }) => {
  countsFor(device).tensors--;
  storage.release();
});

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
/** What Node's util.inspect (console.log, the REPL) calls; a registered symbol, so no import of node:util. */
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** A function's signature without its first (tensor) parameter: the method's. */
type MethodOf<F> = F extends (self: Tensor, ...args: infer A) => infer R ? (...args: A) => R : never;
type OpFunctions = typeof ops;
/** One method per op of the op table, `x.exp()` for `tl.exp(x)`: every table op must have a public function. */
type TableMethods = { [K in keyof Pick<OpFunctions, UnaryOp | BinaryOp>]: BoolResult<K, MethodOf<OpFunctions[K]>> };
/**
 * The table's compare and logical ops: they write bool. Listed by hand because deriving it
 * from the table's `kind` would make the table's types (whose composites call these
 * methods) circular; test/bool-methods.test-d.ts checks the list against the table.
 */
export type BoolOp =
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'logicalXor' | 'logicalNot'
  | 'isnan' | 'isinf' | 'isposinf' | 'isneginf' | 'isfinite';
/** A bool-writing op's method is typed to return `BoolTensor`, so `x.gt(0).item()` is a boolean. */
type BoolResult<K, M> = K extends BoolOp ? (M extends (...args: infer A) => Tensor ? (...args: A) => BoolTensor : M) : M;

// Declaration merging: the class below gets the table's methods, installed after it.
export interface Tensor extends TableMethods {}

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  private _storage: Storage | null;
  private _requiresGrad = false;
  private _gradFn: Node | null = null;
  private _grad: Tensor | null = null;
  private _accumulator: AccumulateGrad | null = null;
  /** For internal aliases of a leaf: the leaf whose `.grad` gradients belong to. */
  private _leaf: Tensor | null = null;
  /** Internal handles (saved for backward) are neither counted nor tracked by `tidy`. */
  private readonly internal: boolean;

  /** @internal Use the creation functions (`tl.tensor`, `tl.zeros`, ...) instead. */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, dtype: DType, internal = false) {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = dtype;
    this.internal = internal;
    if (!internal) {
      countsFor(storage.backend.name).tensors++;
      forgotten.register(this, { storage, device: storage.backend.name }, this);
      trackInScope(this);
    }
  }

  /** @internal A fresh contiguous tensor on `backend` taking ownership of `storage`. */
  static fromStorage(storage: Storage, shape: Shape, dtype: DType = storage.dtype): Tensor {
    return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  }

  // ---- identity -------------------------------------------------------------------------

  /** The backend this tensor lives on, e.g. `'cpu'`. */
  get device(): string {
    return this.storage.backend.name;
  }
  /** @internal */
  get backend(): Backend {
    return this.storage.backend;
  }
  /** @internal The storage; throws if this handle was disposed. */
  get storage(): Storage {
    if (!this._storage) {
      throw new Error(
        `tensor ${formatShape(this.shape)} ${this.dtype} was disposed and cannot be used; ` +
          `keep it alive with tl.keep(t), or return it from tidy()`,
      );
    }
    return this._storage;
  }
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Number of dims. */
  get rank(): number {
    return this.shape.length;
  }
  /** PyTorch's name for `rank`. */
  dim(): number {
    return this.shape.length;
  }
  /** Number of elements (PyTorch's `numel()`). */
  numel(): number {
    return this.size;
  }
  get isDisposed(): boolean {
    return this._storage === null;
  }
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  /** @internal The kernel-facing view. */
  get kernelView(): TensorView {
    const storage = this.storage;
    return { buffer: storage.buffer, dtype: this.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  // ---- autograd -------------------------------------------------------------------------

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  /** Mark a leaf as requiring grad (floating point only). */
  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new Error(`requiresGrad: only floating tensors (float32, float16) can require gradients, got ${this.dtype}`);
    }
    if (!value && this._gradFn) {
      throw new Error('requiresGrad: cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    }
    this._requiresGrad = value;
  }
  /** Set `requiresGrad` and return this tensor (PyTorch's `requires_grad_()`). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }
  /** The recorded op that produced this tensor, or null for a leaf. */
  get gradFn(): Node | null {
    return this._gradFn;
  }
  /** A leaf: made by the user rather than by a recorded op. */
  get isLeaf(): boolean {
    return this._gradFn === null;
  }
  /** Gradient accumulated by `backward()`; survives `tidy`. Set to null to drop it. */
  get grad(): Tensor | null {
    return this._grad;
  }
  set grad(value: Tensor | null) {
    if (value === this._grad) return;
    this._grad?.dispose();
    if (value) {
      if (value.device !== this.device) {
        throw new Error(`grad: gradient on '${value.device}' assigned to a tensor on '${this.device}'`);
      }
      keep(value);
    }
    this._grad = value;
  }
  /** @internal */
  setGradFn(node: Node): void {
    this._gradFn = node;
    this._requiresGrad = true;
  }
  /** @internal The node where gradients for this leaf accumulate. */
  accumulator(): AccumulateGrad {
    if (this._leaf) return this._leaf.accumulator();
    return (this._accumulator ??= new AccumulateGrad(this));
  }

  /**
   * Compute gradients of this tensor with respect to the graph's leaves, accumulating them in
   * their `.grad`. A one-element output needs no argument.
   *
   * @example
   * ```ts
   * const w = tl.tensor([1, 2], { requiresGrad: true });
   * w.mul(w).sum().backward();
   * await w.grad!.array(); // [2, 4]
   * ```
   */
  backward(grad?: Tensor, options?: BackwardOptions): void {
    backward(this, grad, options);
  }

  /**
   * Call `hook(grad)` whenever this tensor's gradient is computed; a returned tensor replaces
   * it. Returns a handle whose `remove()` unregisters the hook.
   *
   * @example
   * ```ts
   * const h = x.registerHook((g) => g.clamp(-1, 1)); // clip this gradient
   * loss.backward();
   * h.remove();
   * ```
   */
  registerHook(hook: TensorHook): RemovableHandle { return registerTensorHook(this, hook); }
  /** Keep this non-leaf tensor's gradient in `.grad` after backward (`y.retainGrad(); ...; y.grad`). */
  retainGrad(): void { retainGrad(this); }
  /** Whether `retainGrad()` was called on this (non-leaf) tensor. */
  get retainsGrad(): boolean { return retainsGrad(this); }

  /** A new handle on the same values, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage.retain(), this.shape, this.strides, this.offset, this.dtype);
  }

  /** @internal Cut this handle from the graph in place (used for accumulated grads). */
  detachInPlace(): this {
    this._gradFn = null;
    this._requiresGrad = false;
    return this;
  }

  /**
   * @internal Another handle on the same storage and graph position. Internal aliases (the
   * default) are what recorded nodes save; they are not counted or tracked by tidy.
   */
  internalAlias(internal = true): Tensor {
    const alias = new Tensor(this.storage.retain(), this.shape, this.strides, this.offset, this.dtype, internal);
    alias._gradFn = this._gradFn;
    alias._requiresGrad = this._requiresGrad;
    if (this._requiresGrad && !this._gradFn) alias._leaf = this._leaf ?? this;
    return alias;
  }

  /** @internal Ones shaped like this tensor, outside any graph (the implicit root gradient). */
  onesLikeInternal(): Tensor {
    return ops.onesLike(this);
  }

  /**
   * Replace this leaf's values with `value`'s (same shape and dtype), outside any graph.
   * This is how optimisers update parameters.
   */
  assign(value: Tensor): this {
    if (this._gradFn) throw new Error('assign: only leaf tensors can be assigned; this tensor was produced by an op');
    if (value.device !== this.device) {
      throw new Error(`assign: value is on '${value.device}' but the tensor is on '${this.device}'`);
    }
    if (value.dtype !== this.dtype || value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(
        `assign: value ${formatShape(value.shape)} ${value.dtype} does not match tensor ${formatShape(this.shape)} ${this.dtype}`,
      );
    }
    const source = value.isContiguous ? value : ops.contiguous(value);
    const old = this.storage;
    const fresh = source.storage.retain();
    forgotten.unregister(this);
    this._storage = fresh;
    (this as { strides: readonly number[] }).strides = source.strides;
    (this as { offset: number }).offset = source.offset;
    if (!this.internal) forgotten.register(this, { storage: fresh, device: fresh.backend.name }, this);
    old.release();
    if (source !== value) source.dispose();
    return this;
  }

  // ---- memory ---------------------------------------------------------------------------

  /** Release this handle's reference to its storage. Safe to call twice. */
  dispose(): void {
    const storage = this._storage;
    if (!storage) return;
    this._storage = null;
    if (!this.internal) {
      forgotten.unregister(this);
      countsFor(storage.backend.name).tensors--;
    }
    storage.release();
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  // ---- reading values -------------------------------------------------------------------

  /** Values in row-major order, as a typed array (Float32Array, Int32Array, or Uint8Array for bool). */
  async data(): Promise<AnyTypedArray> {
    return this.backend.read(this.kernelView);
  }
  /** Values as nested arrays (booleans for bool tensors). */
  async array(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape, this.dtype);
  }
  /**
   * The value of a one-element tensor: a boolean for bool tensors, else a number. Typed
   * `boolean` where the tensor's type says bool (`BoolTensor`: comparisons, `all`/`any`,
   * `bool()`, `cast('bool')`, boolean `tensor`/`full`), else `number`. A bool tensor whose
   * type lost that (a reshaped mask) still gives a boolean: `.bool()` (a free alias on bool
   * tensors) restores the type.
   */
  item(this: BoolTensor): Promise<boolean>;
  item(): Promise<number>;
  async item(): Promise<number | boolean> {
    this.checkItem();
    const data = await this.data();
    return this.dtype === 'bool' ? data[0] !== 0 : data[0];
  }
  /** Synchronous `data()`, on backends that can read synchronously (cpu, wasm, cuda). */
  dataSync(): AnyTypedArray {
    const backend = this.backend;
    if (!backend.readSync) {
      throw new Error(`dataSync: backend '${backend.name}' cannot read synchronously; use await t.data()`);
    }
    return backend.readSync(this.kernelView);
  }
  /** Synchronous `array()`; see `dataSync`. */
  arraySync(): NestedArray {
    if (!this.backend.readSync) throw new Error(`arraySync: backend '${this.device}' cannot read synchronously; use await t.array()`);
    return toNested(this.dataSync(), this.shape, this.dtype);
  }
  /** Synchronous `item()`; see `dataSync`. */
  itemSync(this: BoolTensor): boolean;
  itemSync(): number;
  itemSync(): number | boolean {
    if (!this.backend.readSync) throw new Error(`itemSync: backend '${this.device}' cannot read synchronously; use await t.item()`);
    this.checkItem();
    const value = this.dataSync()[0];
    return this.dtype === 'bool' ? value !== 0 : value;
  }
  private checkItem(): void {
    if (this.size !== 1) {
      throw new Error(`item: only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`);
    }
  }

  /**
   * PyTorch's format: `tensor([[1., 2.], [3., 4.]], requiresGrad=true)`, summarised past
   * 1000 elements (`tl.setPrintOptions`). Values appear where the backend reads synchronously
   * (cpu, wasm, cuda); elsewhere (webgpu) they print as `...`: use `await t.print()`.
   */
  toString(): string {
    return formatTensor(this);
  }
  /** `toString()` with the values read asynchronously, so it works on every backend. */
  toStringAsync(): Promise<string> {
    return formatTensorAsync(this);
  }
  /** Log `toStringAsync()` to the console (PyTorch's `print(t)`); works on every backend. */
  async print(): Promise<void> {
    console.log(await formatTensorAsync(this));
  }
  [inspectSymbol](): string {
    return formatTensor(this);
  }

  // ---- devices and dtypes ---------------------------------------------------------------

  /** Copy to another backend (synchronous where the source can read synchronously). */
  to(device: string): Tensor {
    return ops.toDevice(this, device);
  }
  /** Copy to another backend, waiting for the read; works from every backend. */
  toAsync(device: string): Promise<Tensor> {
    return ops.toDeviceAsync(this, device);
  }
  /** Convert to another dtype (a copy, or this tensor's alias when already of that dtype). */
  cast(dtype: 'bool'): BoolTensor;
  cast(dtype: DType): Tensor;
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  float(): Tensor {
    return ops.cast(this, 'float32');
  }
  /** Cast to float16 (on backends that support it, see `tl.isDTypeSupported`). */
  half(): Tensor {
    return ops.cast(this, 'float16');
  }
  int(): Tensor {
    return ops.cast(this, 'int32');
  }
  bool(): BoolTensor {
    return ops.cast(this, 'bool');
  }
  /** A contiguous tensor with the same values (this tensor's alias when already contiguous). */
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  /** A copy with its own storage, recorded in the graph. */
  clone(): Tensor {
    return ops.clone(this);
  }

  // ---- elementwise ----------------------------------------------------------------------

  // The op table's ops (x.exp(), x.add(y), ...) are installed below the class.
  square(): Tensor { return ops.square(this); }
  leakyRelu(negativeSlope?: number): Tensor { return ops.leakyRelu(this, negativeSlope); }
  gelu(approximate?: 'none' | 'tanh'): Tensor { return ops.gelu(this, approximate); }
  silu(): Tensor { return ops.silu(this); }
  softplus(): Tensor { return ops.softplus(this); }
  clamp(min?: Tensor | number | null, max?: Tensor | number | null): Tensor { return ops.clamp(this, min, max); }
  nanToNum(nan?: number, posinf?: number | null, neginf?: number | null): Tensor { return ops.nanToNum(this, nan, posinf, neginf); }
  lerp(end: Tensor, weight: Tensor | number): Tensor { return ops.lerp(this, end, weight); }
  logit(eps?: number | null): Tensor { return ops.logit(this, eps); }
  isclose(other: TensorLike, rtol?: number, atol?: number, equalNan?: boolean): Tensor { return ops.isclose(this, other, rtol, atol, equalNan); }
  /** Resolves to whether every element is close to `other` (see `tl.isclose`). */
  allclose(other: TensorLike, rtol?: number, atol?: number, equalNan?: boolean): Promise<boolean> { return ops.allclose(this, other, rtol, atol, equalNan); }
  /** Resolves to whether `other` has this shape and these values. */
  equal(other: Tensor): Promise<boolean> { return ops.equal(this, other); }
  where(condition: TensorLike, other: TensorLike): Tensor { return ops.where(condition, this, other); }

  // ---- reductions -----------------------------------------------------------------------

  sum(dim?: number | number[], keepdim?: boolean): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim?: boolean): Tensor { return ops.mean(this, dim, keepdim); }
  prod(dim?: number | number[], keepdim?: boolean): Tensor { return ops.prod(this, dim, keepdim); }
  max(dim?: number | number[], keepdim?: boolean): Tensor { return ops.max(this, dim, keepdim); }
  min(dim?: number | number[], keepdim?: boolean): Tensor { return ops.min(this, dim, keepdim); }
  argmax(dim?: number, keepdim?: boolean): Tensor { return ops.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim?: boolean): Tensor { return ops.argmin(this, dim, keepdim); }
  var(dim?: number | number[], keepdim?: boolean | ops.VarianceOptions, correction?: number): Tensor { return ops.variance(this, dim, keepdim, correction); }
  std(dim?: number | number[], keepdim?: boolean | ops.VarianceOptions, correction?: number): Tensor { return ops.std(this, dim, keepdim, correction); }
  all(dim?: number | number[], keepdim?: boolean): BoolTensor { return ops.all(this, dim, keepdim); }
  any(dim?: number | number[], keepdim?: boolean): BoolTensor { return ops.any(this, dim, keepdim); }
  countNonzero(dim?: number | number[]): Tensor { return ops.countNonzero(this, dim); }
  amax(dim?: number | number[], keepdim?: boolean): Tensor { return ops.amax(this, dim, keepdim); }
  amin(dim?: number | number[], keepdim?: boolean): Tensor { return ops.amin(this, dim, keepdim); }
  aminmax(options?: { dim?: number; keepdim?: boolean }): { min: Tensor; max: Tensor } { return ops.aminmax(this, options); }
  nansum(dim?: number | number[], keepdim?: boolean): Tensor { return ops.nansum(this, dim, keepdim); }
  nanmean(dim?: number | number[], keepdim?: boolean): Tensor { return ops.nanmean(this, dim, keepdim); }
  norm(p?: number | 'fro' | 'nuc', dim?: number | number[], keepdim?: boolean): Tensor { return ops.norm(this, p, dim, keepdim); }
  cov(options?: ops.CovOptions): Tensor { return ops.cov(this, options); }
  corrcoef(): Tensor { return ops.corrcoef(this); }
  diff(n?: number, dim?: number, options?: ops.DiffOptions): Tensor { return ops.diff(this, n, dim, options); }
  histc(bins?: number, min?: number, max?: number): Tensor { return ops.histc(this, bins, min, max); }
  /** Resolves to the counts of this 1-D int32 tensor's values (see `tl.bincount`). */
  bincount(weights?: Tensor | null, minlength?: number): Promise<Tensor> { return ops.bincount(this, weights, minlength); }
  logsumexp(dim: number | number[], keepdim?: boolean): Tensor { return ops.logsumexp(this, dim, keepdim); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }
  /** Running sums along `dim` (see `tl.cumsum`). */
  cumsum(dim: number, options?: ops.CumulativeOptions): Tensor { return ops.cumsum(this, dim, options); }
  /** Running products along `dim` (see `tl.cumprod`). */
  cumprod(dim: number, options?: ops.CumulativeOptions): Tensor { return ops.cumprod(this, dim, options); }
  /** Running maximum and its int32 positions along `dim` (see `tl.cummax`). */
  cummax(dim: number): ops.ScanResult { return ops.cummax(this, dim); }
  /** Running minimum and its int32 positions along `dim` (see `tl.cummin`). */
  cummin(dim: number): ops.ScanResult { return ops.cummin(this, dim); }
  /** `log(cumsum(exp(x)))` along `dim`, stably (see `tl.logcumsumexp`). */
  logcumsumexp(dim: number): Tensor { return ops.logcumsumexp(this, dim); }

  // ---- linear algebra and networks ------------------------------------------------------

  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  /** `this + value * t1 * t2` (see `tl.addcmul`). */
  addcmul(t1: TensorLike, t2: TensorLike, options?: ops.AddcOptions): Tensor { return ops.addcmul(this, t1, t2, options); }
  /** `this + value * t1 / t2` (see `tl.addcdiv`). */
  addcdiv(t1: TensorLike, t2: TensorLike, options?: ops.AddcOptions): Tensor { return ops.addcdiv(this, t1, t2, options); }
  /** Product of two 2-D tensors (see `tl.mm`). */
  mm(other: Tensor): Tensor { return ops.mm(this, other); }
  /** Product of two 3-D tensors with one batch size (see `tl.bmm`). */
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }
  /** This 2-D matrix times a 1-D vector (see `tl.mv`). */
  mv(vec: Tensor): Tensor { return ops.mv(this, vec); }
  dot(other: Tensor): Tensor { return ops.dot(this, other); }
  vdot(other: Tensor): Tensor { return ops.vdot(this, other); }
  outer(other: Tensor): Tensor { return ops.outer(this, other); }
  inner(other: Tensor): Tensor { return ops.inner(this, other); }
  kron(other: Tensor): Tensor { return ops.kron(this, other); }
  /** `beta * this + alpha * (a @ b)` (see `tl.addmm`). */
  addmm(a: Tensor, b: Tensor, options?: ops.AddmmOptions): Tensor { return ops.addmm(this, a, b, options); }
  /** `beta * this + alpha * bmm(a, b)` (see `tl.baddbmm`). */
  baddbmm(a: Tensor, b: Tensor, options?: ops.AddmmOptions): Tensor { return ops.baddbmm(this, a, b, options); }
  /** Cross product of 3-vectors along `dim` (default: the first dim of size 3; see `tl.cross`). */
  cross(other: Tensor, dim?: number): Tensor { return ops.cross(this, other, dim); }

  // ---- shape ----------------------------------------------------------------------------

  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  view(shape: readonly number[]): Tensor { return ops.view(this, shape); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** The transpose of a 2-D tensor; 0-d and 1-D tensors come back as they are (PyTorch's `t()`). */
  t(): Tensor { return matrixTranspose(this); }
  /** Sliding windows of `size` along `dim`, every `step`, as a new last dim (a view). */
  unfold(dim: number, size: number, step: number): Tensor { return unfoldWindows(this, dim, size, step); }
  flip(dims: number | readonly number[]): Tensor { return ops.flip(this, dims); }
  fliplr(): Tensor { return ops.fliplr(this); }
  flipud(): Tensor { return ops.flipud(this); }
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor { return ops.roll(this, shifts, dims); }
  rot90(k?: number, dims?: readonly number[]): Tensor { return ops.rot90(this, k, dims); }
  repeat(sizes: readonly number[]): Tensor { return ops.repeat(this, sizes); }
  tile(dims: readonly number[]): Tensor { return ops.tile(this, dims); }
  repeatInterleave(repeats?: number | Tensor, dim?: number, options?: ops.RepeatInterleaveOptions): Tensor { return ops.repeatInterleave(this, repeats, dim, options); }
  unbind(dim?: number): Tensor[] { return ops.unbind(this, dim); }
  tensorSplit(indicesOrSections: number | readonly number[], dim?: number): Tensor[] { return ops.tensorSplit(this, indicesOrSections, dim); }
  unflatten(dim: number, sizes: readonly number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  tril(diagonal?: number): Tensor { return ops.tril(this, diagonal); }
  triu(diagonal?: number): Tensor { return ops.triu(this, diagonal); }
  diag(diagonal?: number): Tensor { return ops.diag(this, diagonal); }
  diagonal(offset?: number, dim1?: number, dim2?: number): Tensor { return ops.diagonal(this, offset, dim1, dim2); }
  /** The sum of the main diagonal of a matrix (see `tl.trace`). */
  trace(): Tensor { return ops.trace(this); }
  diagEmbed(offset?: number, dim1?: number, dim2?: number): Tensor { return ops.diagEmbed(this, offset, dim1, dim2); }
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor { return ops.movedim(this, source, destination); }
  swapaxes(axis0: number, axis1: number): Tensor { return ops.swapaxes(this, axis0, axis1); }
  swapdims(dim0: number, dim1: number): Tensor { return ops.swapdims(this, dim0, dim1); }
  broadcastTo(shape: readonly number[]): Tensor { return ops.broadcastTo(this, shape); }
  permute(dims: readonly number[]): Tensor { return ops.permute(this, dims); }
  squeeze(dim?: number | number[]): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  expand(shape: readonly number[]): Tensor { return ops.expand(this, shape); }
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  flatten(startDim?: number, endDim?: number): Tensor { return ops.flatten(this, startDim, endDim); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  split(splitSize: number | number[], dim?: number): Tensor[] { return ops.split(this, splitSize, dim); }
  chunk(chunks: number, dim?: number): Tensor[] { return ops.chunk(this, chunks, dim); }
  /** NumPy-style indexing: a number selects, `[start, end, step?]` slices, null keeps a dim, `'newaxis'` inserts one. */
  index(...indices: (ops.IndexSpec | Tensor)[]): Tensor { return ops.index(this, ...indices); }
  /** `index` with bool masks too (PyTorch's `x[mask]`); resolves once the masks are read. */
  indexAsync(...indices: (ops.IndexSpec | Tensor)[]): Promise<Tensor> { return ops.indexAsync(this, ...indices); }
  /** `indexAsync` on backends that read synchronously. */
  indexSync(...indices: (ops.IndexSpec | Tensor)[]): Tensor { return ops.indexSync(this, ...indices); }
  /** Resolves to the indices of the non-zero elements (see `tl.nonzero`). */
  nonzero(options?: { asTuple?: boolean }): Promise<Tensor | Tensor[]> { return ops.nonzero(this, options); }
  nonzeroSync(options?: { asTuple?: boolean }): Tensor | Tensor[] { return ops.nonzeroSync(this, options); }
  /** Resolves to the elements where `mask` is true, as 1-D. */
  maskedSelect(mask: Tensor): Promise<Tensor> { return ops.maskedSelect(this, mask); }
  maskedFill(mask: Tensor, value: TensorLike): Tensor { return ops.maskedFill(this, mask, value); }
  /** `source`'s elements, in order, where `mask` is true (see `tl.maskedScatter`). */
  maskedScatter(mask: Tensor, source: Tensor): Tensor { return ops.maskedScatter(this, mask, source); }
  takeAlongDim(indices: Tensor, dim?: number): Tensor { return ops.takeAlongDim(this, indices, dim); }
  take(index: Tensor): Tensor { return ops.take(this, index); }
  asStrided(size: readonly number[], stride: readonly number[], storageOffset?: number): Tensor { return ops.asStrided(this, size, stride, storageOffset); }
  /** 0/1 samples with this tensor as the probabilities, or with probability `p` everywhere (see `tl.bernoulli`). */
  bernoulli(p?: number, options?: ops.RandomOptions): Tensor { return ops.bernoulli(this, p, options); }
  /** Poisson samples with this tensor as the rates (see `tl.poisson`). */
  poisson(options?: Pick<ops.RandomOptions, 'generator'>): Tensor { return ops.poisson(this, options); }
  /** Category indices drawn from the rows of these weights (see `tl.multinomial`). */
  multinomial(numSamples: number, replacement?: boolean, options?: Pick<ops.RandomOptions, 'generator'>): Tensor {
    return ops.multinomial(this, numSamples, replacement, options);
  }
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor { return ops.indexAdd(this, dim, index, source, options); }
  indexFill(dim: number, index: Tensor, value: TensorLike): Tensor { return ops.indexFill(this, dim, index, value); }
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor { return ops.scatter(this, dim, index, src); }
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: ops.ScatterReduction, options?: { includeSelf?: boolean }): Tensor {
    return ops.scatterReduce(this, dim, index, src, reduce, options);
  }
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor { return ops.indexCopy(this, dim, index, source); }
  indexPut(indices: readonly Tensor[], values: TensorLike, accumulate?: boolean): Tensor { return ops.indexPut(this, indices, values, accumulate); }
  /** A copy with `src` in the slice `start:end:step` of `dim` (see `tl.sliceScatter`). */
  sliceScatter(src: Tensor, dim?: number, start?: number | null, end?: number | null, step?: number): Tensor { return ops.sliceScatter(this, src, dim, start, end, step); }
  /** A copy with `src` at `index` of `dim` (see `tl.selectScatter`). */
  selectScatter(src: Tensor, dim: number, index: number): Tensor { return ops.selectScatter(this, src, dim, index); }
  /** A copy with `src` on a diagonal (see `tl.diagonalScatter`). */
  diagonalScatter(src: Tensor, offset?: number, dim1?: number, dim2?: number): Tensor { return ops.diagonalScatter(this, src, offset, dim1, dim2); }
  /** Sorted along `dim`, with each value's position (see `tl.sort`). */
  sort(dim?: number, descending?: boolean, options?: ops.SortOptions): ops.SortResult { return ops.sort(this, dim, descending, options); }
  /** The int32 indices that sort along `dim` (see `tl.argsort`). */
  argsort(dim?: number, descending?: boolean, options?: ops.SortOptions): Tensor { return ops.argsort(this, dim, descending, options); }
  /** Sorted ascending along dim 0 (see `tl.msort`). */
  msort(): Tensor { return ops.msort(this); }
  /** The `k` largest (or smallest) along `dim`, with their positions (see `tl.topk`). */
  topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): ops.SortResult { return ops.topk(this, k, dim, largest, sorted); }
  /** The `k`-th smallest along `dim`, with its position (see `tl.kthvalue`). */
  kthvalue(k: number, dim?: number, keepdim?: boolean): ops.SortResult { return ops.kthvalue(this, k, dim, keepdim); }
  /** The median of all elements (see `tl.median`). */
  median(): Tensor;
  /** The median along `dim`, with its position (see `tl.median`). */
  median(dim: number, keepdim?: boolean): ops.SortResult;
  median(dim?: number, keepdim?: boolean): Tensor | ops.SortResult { return dim === undefined ? ops.median(this) : ops.median(this, dim, keepdim); }
  /** The most frequent value along `dim`, with its position (see `tl.mode`). */
  mode(dim?: number, keepdim?: boolean): ops.SortResult { return ops.mode(this, dim, keepdim); }
  /** The median ignoring NaN (see `tl.nanmedian`). */
  nanmedian(): Tensor;
  nanmedian(dim: number, keepdim?: boolean): ops.SortResult;
  nanmedian(dim?: number, keepdim?: boolean): Tensor | ops.SortResult { return dim === undefined ? ops.nanmedian(this) : ops.nanmedian(this, dim, keepdim); }
  /** The `q`-quantiles along `dim`, or of all elements (see `tl.quantile`). */
  quantile(q: number | Tensor, dim?: number | null, keepdim?: boolean, options?: ops.QuantileOptions): Tensor { return ops.quantile(this, q, dim, keepdim, options); }
  /** The `q`-quantiles ignoring NaN (see `tl.nanquantile`). */
  nanquantile(q: number | Tensor, dim?: number | null, keepdim?: boolean, options?: ops.QuantileOptions): Tensor { return ops.nanquantile(this, q, dim, keepdim, options); }
  /** Resolves to the sorted unique values (see `tl.unique`). */
  unique(options?: ops.UniqueOptions): Promise<ops.UniqueResult> { return ops.unique(this, options); }
  /** Resolves to runs of equal consecutive values collapsed to one (see `tl.uniqueConsecutive`). */
  uniqueConsecutive(options?: ops.UniqueConsecutiveOptions): Promise<ops.UniqueResult> { return ops.uniqueConsecutive(this, options); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  pad(padding: readonly number[], value?: number): Tensor { return ops.pad(this, padding, value); }
}

for (const op of [...UNARY_OPS, ...BINARY_OPS]) {
  const fn = ops[op] as (self: Tensor, ...args: unknown[]) => Tensor;
  Object.defineProperty(Tensor.prototype, op, {
    value: function (this: Tensor, ...args: unknown[]): Tensor {
      return fn(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}
