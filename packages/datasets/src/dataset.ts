/**
 * Datasets: the map-style `Dataset` interface, `TensorDataset`, `Subset`, `ConcatDataset`,
 * `randomSplit`, and the iterable-style `IterableDataset` and `ChainDataset`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { fromHost, hostTensor, toHost, type HostTensor } from './host.js';
import { nestedRecipe, type WorkerRecipe } from './recipe.js';
import { Rng } from './rng.js';
import { checkOptions, checkSeed, describe, firstAbove } from './sampler.js';

/**
 * A map-style dataset: `length` items, read by index (PyTorch's `Dataset` with `__len__` and
 * `__getitem__`). `rng` is passed by a DataLoader for datasets with random transforms.
 */
export interface Dataset<T> {
  readonly length: number;
  get(index: number, rng?: Rng): T;
}

/**
 * A dataset that can build a whole batch at once (a fast path the DataLoader prefers when it
 * collates by default): it returns one stacked tensor per item field, e.g.
 * `[images [B, C, H, W], labels [B]]`.
 */
export interface BatchDataset<T> extends Dataset<T> {
  getBatch(indices: ArrayLike<number>, rng?: Rng): Tensor[];
}

/**
 * The host forms a worker thread uses: items and batches as host tensors (typed arrays), so
 * a worker needs no backend. Optional; without them a worker calls `get()` and copies the
 * tensors it returns.
 */
export interface HostDataset {
  getHost?(index: number, rng?: Rng): unknown;
  getBatchHost?(indices: ArrayLike<number>, rng?: Rng): HostTensor[];
}

export function hasGetBatch<T>(dataset: Dataset<T>): dataset is BatchDataset<T> {
  if (dataset instanceof Subset) return hasGetBatch(dataset.dataset);
  if (dataset instanceof ConcatDataset) return dataset.datasets.every((d) => hasGetBatch(d));
  return typeof (dataset as Partial<BatchDataset<T>>).getBatch === 'function';
}

/** Whether `dataset` builds whole batches as host tensors. */
export function hasGetBatchHost(dataset: unknown): dataset is Required<Pick<HostDataset, 'getBatchHost'>> {
  if (dataset instanceof Subset) return hasGetBatchHost(dataset.dataset);
  if (dataset instanceof ConcatDataset) return dataset.datasets.every((d) => hasGetBatchHost(d));
  return typeof (dataset as HostDataset | null)?.getBatchHost === 'function';
}

/** Whether `dataset` reads items as host values. */
export function hasGetHost(dataset: unknown): dataset is Required<Pick<HostDataset, 'getHost'>> {
  if (dataset instanceof Subset) return hasGetHost(dataset.dataset);
  if (dataset instanceof ConcatDataset) return dataset.datasets.every((d) => hasGetHost(d));
  return typeof (dataset as HostDataset | null)?.getHost === 'function';
}

export function checkIndex(name: string, index: number, length: number): number {
  if (!Number.isInteger(index)) throw new TypeError(`${name}: index must be an integer, got ${describe(index)}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new RangeError(`${name}: index ${index} is out of range for a dataset of ${length} items`);
  return i;
}

/** Whether `value` looks like a map-style dataset (`length` and `get`). */
export function isMapDataset(value: unknown): value is Dataset<unknown> {
  const d = value as Partial<Dataset<unknown>> | null;
  return d !== null && typeof d === 'object' && typeof d.get === 'function' && typeof d.length === 'number';
}

/** Whether `value` is an iterable-style dataset (an `IterableDataset`, or any iterable without `get`). */
export function isIterableDataset(value: unknown): value is IterableDataset<unknown> {
  if (value instanceof IterableDataset) return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as Partial<Dataset<unknown>>).get === 'function') return false;
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function' || typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

function rowsOf(h: HostTensor, rows: ArrayLike<number>, name: string, length: number): HostTensor {
  const size = h.data.length / (h.shape[0] || 1);
  const Ctor = h.data.constructor as new (n: number) => Float32Array | Int32Array | Uint8Array;
  const out = new Ctor(rows.length * size);
  for (let k = 0; k < rows.length; k++) {
    const i = checkIndex(name, rows[k], length);
    out.set(h.data.subarray(i * size, (i + 1) * size), k * size);
  }
  return hostTensor(out, [rows.length, ...h.shape.slice(1)], h.dtype);
}

/**
 * Wraps tensors that share their first dim: item `i` is `[t0[i], t1[i], ...]`, as PyTorch's
 * `TensorDataset`. Items are views (dispose them when done); batches are gathered with one
 * `indexSelect` per tensor.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(tl.randn([100, 3]), tl.randint(0, 2, [100]));
 * const [x, y] = ds.get(0); // x: [3], y: []
 * ```
 */
export class TensorDataset implements BatchDataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof tl.Tensor)) throw new TypeError(`TensorDataset: argument ${i} is ${describe(t)}, not a tensor`);
    });
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.rank === 0) throw new Error(`TensorDataset: tensor ${i} is 0-d; every tensor needs a first (item) dim`);
      if (t.shape[0] !== n) {
        throw new Error(`TensorDataset: tensor ${i} has ${t.shape[0]} items (shape [${t.shape.join(', ')}]) but tensor 0 has ${n}`);
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    const i = checkIndex('TensorDataset.get', index, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }

  getBatch(indices: ArrayLike<number>): Tensor[] {
    const idx = Int32Array.from(indices as ArrayLike<number>, (v) => checkIndex('TensorDataset.getBatch', v, this.length));
    const index = tl.tensor(idx, { dtype: 'int32' });
    try {
      return tl.noGrad(() => this.tensors.map((t) => t.indexSelect(0, index)));
    } finally {
      index.dispose();
    }
  }

  /** Rebuilt in a worker from host copies of the tensors (read once per loader). */
  async workerRecipe(): Promise<WorkerRecipe> {
    const hosts = await Promise.all(this.tensors.map((t) => toHost(t)));
    // Shared memory, so every worker reads the same copy.
    const shared = hosts.map((h) => {
      const buffer = new SharedArrayBuffer(h.data.byteLength);
      const Ctor = h.data.constructor as new (b: SharedArrayBuffer) => Float32Array | Int32Array | Uint8Array;
      const data = new Ctor(buffer);
      data.set(h.data);
      return hostTensor(data, h.shape, h.dtype);
    });
    return { module: import.meta.url, export: 'createHostTensorDataset', args: [shared] };
  }
}

/**
 * A TensorDataset's worker-side twin over host tensors: items and batches as host values,
 * so a worker needs no backend. @internal
 */
export class HostTensorDataset implements HostDataset {
  constructor(readonly tensors: readonly HostTensor[]) {}

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    return this.getHost(index).map(fromHost);
  }

  getHost(index: number): HostTensor[] {
    return this.tensors.map((t) => {
      const row = rowsOf(t, [index], 'TensorDataset.get', this.length);
      return hostTensor(row.data, row.shape.slice(1), row.dtype);
    });
  }

  getBatchHost(indices: ArrayLike<number>): HostTensor[] {
    return this.tensors.map((t) => rowsOf(t, indices, 'TensorDataset.getBatch', this.length));
  }
}

/** @internal The worker recipe's factory for TensorDataset. */
export function createHostTensorDataset(tensors: HostTensor[]): HostTensorDataset {
  return new HostTensorDataset(tensors);
}

/**
 * The items of `dataset` at `indices`, as PyTorch's `Subset`; keeps the batch fast path.
 *
 * @example
 * ```ts
 * const first10k = new Subset(train, Array.from({ length: 10000 }, (_, i) => i));
 * ```
 */
export class Subset<T> implements BatchDataset<T>, HostDataset {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    if (!isMapDataset(dataset)) throw new TypeError(`Subset: expected a map-style dataset (length and get(index)), got ${describe(dataset)}`);
    if (indices === null || typeof indices !== 'object') throw new TypeError(`Subset: indices must be a list of integers, got ${describe(indices)}`);
    this.dataset = dataset;
    this.indices = Int32Array.from(Array.from(indices as ArrayLike<number>), (i) => checkIndex('Subset', i, dataset.length));
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number, rng?: Rng): T {
    return this.dataset.get(this.indices[checkIndex('Subset.get', index, this.length)], rng);
  }

  private mapped(name: string, indices: ArrayLike<number>): Int32Array {
    return Int32Array.from(indices as ArrayLike<number>, (i) => this.indices[checkIndex(name, i, this.length)]);
  }

  getBatch(indices: ArrayLike<number>, rng?: Rng): Tensor[] {
    const mapped = this.mapped('Subset.getBatch', indices);
    if (hasGetBatch(this.dataset)) return this.dataset.getBatch(mapped, rng);
    throw new Error('Subset.getBatch: the wrapped dataset has no getBatch; the DataLoader reads it item by item');
  }

  getHost(index: number, rng?: Rng): unknown {
    const inner = this.dataset as HostDataset;
    if (!hasGetHost(inner)) throw new Error('Subset.getHost: the wrapped dataset has no getHost');
    return inner.getHost(this.indices[checkIndex('Subset.get', index, this.length)], rng);
  }

  getBatchHost(indices: ArrayLike<number>, rng?: Rng): HostTensor[] {
    const inner = this.dataset as HostDataset;
    if (!hasGetBatchHost(inner)) throw new Error('Subset.getBatchHost: the wrapped dataset has no getBatchHost');
    return inner.getBatchHost(this.mapped('Subset.getBatch', indices), rng);
  }

  async workerRecipe(): Promise<WorkerRecipe> {
    const shared = new Int32Array(new SharedArrayBuffer(this.indices.byteLength));
    shared.set(this.indices);
    return { module: import.meta.url, export: 'createSubset', args: [await nestedRecipe(this.dataset, 'Subset: the wrapped dataset'), shared] };
  }
}

/** @internal The worker recipe's factory for Subset. */
export function createSubset<T>(dataset: Dataset<T>, indices: Int32Array): Subset<T> {
  return new Subset(dataset, indices);
}

/** Where item `index` of a concatenation lives: which dataset, and the index within it. */
function locate(cumulative: readonly number[], index: number): [number, number] {
  const lo = firstAbove(cumulative, index);
  return [lo, lo === 0 ? index : index - cumulative[lo - 1]];
}

/**
 * Several map-style datasets one after another, as PyTorch's `ConcatDataset`: item `i` of the
 * whole is item `i - cumulativeSizes[d - 1]` of dataset `d`. Batches use the parts' batch
 * fast paths when they all have one.
 *
 * @example
 * ```ts
 * const both = new ConcatDataset([mnistTrain, mnistTest]); // 70,000 items
 * both.cumulativeSizes; // [60000, 70000]
 * ```
 */
export class ConcatDataset<T> implements BatchDataset<T>, HostDataset {
  readonly datasets: readonly Dataset<T>[];
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: Iterable<Dataset<T>>) {
    if (datasets === null || typeof (datasets as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`ConcatDataset: expected an array of datasets, got ${describe(datasets)}`);
    }
    const list = [...datasets];
    if (list.length === 0) throw new Error('ConcatDataset: datasets should not be an empty list');
    list.forEach((d, i) => {
      if (isIterableDataset(d)) throw new TypeError(`ConcatDataset: dataset ${i} is an IterableDataset; use ChainDataset for those`);
      if (!isMapDataset(d)) throw new TypeError(`ConcatDataset: dataset ${i} is ${describe(d)}, not a map-style dataset (length and get(index))`);
    });
    this.datasets = list;
    let total = 0;
    this.cumulativeSizes = list.map((d) => (total += d.length));
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  get(index: number, rng?: Rng): T {
    const [d, local] = locate(this.cumulativeSizes, checkIndex('ConcatDataset.get', index, this.length));
    return this.datasets[d].get(local, rng);
  }

  /** Indices grouped by dataset, and where each batch row comes from in the concatenated parts. */
  private groups(name: string, indices: ArrayLike<number>): { parts: [number, number[]][]; order: Int32Array } {
    const byDataset = new Map<number, { rows: number[]; local: number[] }>();
    for (let k = 0; k < indices.length; k++) {
      const [d, local] = locate(this.cumulativeSizes, checkIndex(name, indices[k], this.length));
      let g = byDataset.get(d);
      if (!g) byDataset.set(d, (g = { rows: [], local: [] }));
      g.rows.push(k);
      g.local.push(local);
    }
    const order = new Int32Array(indices.length);
    let r = 0;
    for (const g of byDataset.values()) for (const k of g.rows) order[k] = r++;
    return { parts: [...byDataset].map(([d, g]) => [d, g.local]), order };
  }

  getBatch(indices: ArrayLike<number>, rng?: Rng): Tensor[] {
    if (!hasGetBatch(this)) throw new Error('ConcatDataset.getBatch: not every dataset has getBatch; the DataLoader reads them item by item');
    const { parts, order } = this.groups('ConcatDataset.getBatch', indices);
    if (parts.length === 1) return (this.datasets[parts[0][0]] as BatchDataset<T>).getBatch(parts[0][1], rng);
    return tl.noGrad(() =>
      tl.tidy(() => {
        const batches = parts.map(([d, local]) => (this.datasets[d] as BatchDataset<T>).getBatch(local, rng));
        checkFields(batches.map((b) => b.length));
        const index = tl.tensor(order, { dtype: 'int32' });
        return batches[0].map((_, f) => tl.cat(batches.map((b) => b[f]), 0).indexSelect(0, index));
      }),
    );
  }

  getHost(index: number, rng?: Rng): unknown {
    const [d, local] = locate(this.cumulativeSizes, checkIndex('ConcatDataset.get', index, this.length));
    const part = this.datasets[d] as HostDataset;
    if (!hasGetHost(part)) throw new Error(`ConcatDataset.getHost: dataset ${d} has no getHost`);
    return part.getHost(local, rng);
  }

  getBatchHost(indices: ArrayLike<number>, rng?: Rng): HostTensor[] {
    if (!hasGetBatchHost(this)) throw new Error('ConcatDataset.getBatchHost: not every dataset has getBatchHost');
    const { parts, order } = this.groups('ConcatDataset.getBatch', indices);
    const batches = parts.map(([d, local]) => (this.datasets[d] as unknown as Required<HostDataset>).getBatchHost(local, rng));
    if (batches.length === 1) return batches[0];
    checkFields(batches.map((b) => b.length));
    return batches[0].map((_, f) => {
      const pieces = batches.map((b) => b[f]);
      const whole = concatHost(pieces);
      return rowsOf(whole, order, 'ConcatDataset.getBatch', whole.shape[0]);
    });
  }

  async workerRecipe(): Promise<WorkerRecipe> {
    const parts = await Promise.all(this.datasets.map((d, i) => nestedRecipe(d, `ConcatDataset: dataset ${i}`)));
    return { module: import.meta.url, export: 'createConcatDataset', args: [parts] };
  }
}

function checkFields(counts: number[]): void {
  if (counts.some((c) => c !== counts[0])) throw new Error(`ConcatDataset.getBatch: the datasets' batches have different numbers of fields (${counts.join(', ')})`);
}

function concatHost(pieces: HostTensor[]): HostTensor {
  const first = pieces[0];
  for (const p of pieces) {
    if (p.dtype !== first.dtype || p.shape.length !== first.shape.length || p.shape.some((d, j) => j > 0 && d !== first.shape[j])) {
      throw new Error(`ConcatDataset.getBatch: the datasets' batches do not match: ${first.dtype} [${first.shape.join(', ')}] and ${p.dtype} [${p.shape.join(', ')}]`);
    }
  }
  const Ctor = first.data.constructor as new (n: number) => Float32Array | Int32Array | Uint8Array;
  const out = new Ctor(pieces.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of pieces) {
    out.set(p.data, offset);
    offset += p.data.length;
  }
  return hostTensor(out, [pieces.reduce((n, p) => n + p.shape[0], 0), ...first.shape.slice(1)], first.dtype);
}

/** @internal The worker recipe's factory for ConcatDataset. */
export function createConcatDataset<T>(datasets: Dataset<T>[]): ConcatDataset<T> {
  return new ConcatDataset(datasets);
}

/** What the DataLoader tells an iterable dataset running in a worker thread. */
export interface WorkerInfo {
  /** This worker's number, 0 .. numWorkers - 1. */
  id: number;
  numWorkers: number;
  /** The loader's seed for this epoch (`seed + epoch`). */
  seed: number;
  /** The dataset copy this worker built. */
  dataset: unknown;
}

const WORKER_INFO = Symbol.for('tensile.datasets.workerInfo');

/**
 * Inside a DataLoader worker thread, which worker this is (to split an IterableDataset's
 * stream between workers); `null` on the main thread. As PyTorch's `get_worker_info()`.
 *
 * @example
 * ```ts
 * *[Symbol.iterator]() {
 *   const info = getWorkerInfo();
 *   const [id, n] = info ? [info.id, info.numWorkers] : [0, 1];
 *   for (let i = id; i < this.total; i += n) yield this.read(i);
 * }
 * ```
 */
export function getWorkerInfo(): WorkerInfo | null {
  return ((globalThis as Record<symbol, unknown>)[WORKER_INFO] as WorkerInfo | undefined) ?? null;
}

/** @internal Set by the worker thread's entry. */
export function setWorkerInfo(info: WorkerInfo | null): void {
  (globalThis as Record<symbol, unknown>)[WORKER_INFO] = info ?? undefined;
}

/**
 * An iterable-style dataset: a stream of items with no random access (records read from a
 * file or a socket, generated samples), as PyTorch's `IterableDataset`. Subclass it and
 * implement `[Symbol.iterator]()` (or `[Symbol.asyncIterator]()` for a stream that awaits);
 * set `length` when the number of items is known. A DataLoader batches the stream in order;
 * with `numWorkers > 0` each worker iterates its own copy, so split the work with
 * `getWorkerInfo()`.
 *
 * @example
 * ```ts
 * class Counting extends IterableDataset<number> {
 *   *[Symbol.iterator]() {
 *     for (let i = 0; i < 10; i++) yield i;
 *   }
 * }
 * for await (const batch of new DataLoader(new Counting(), { batchSize: 4 })) {} // [0..3], [4..7], [8, 9]
 * const lines = IterableDataset.from(() => readLines('data.txt'));
 * ```
 */
export abstract class IterableDataset<T> {
  /** The number of items, when known (override it). */
  get length(): number | undefined {
    return undefined;
  }

  [Symbol.iterator]?(): Iterator<T>;
  [Symbol.asyncIterator]?(): AsyncIterator<T>;

  /**
   * An IterableDataset over `source`: a function returning a fresh iterable each pass (e.g. a
   * generator function), or an iterable that can be iterated again (an array, a Set). A
   * generator object can only be iterated once, so pass the function that makes it.
   */
  static from<T>(source: (() => Iterable<T> | AsyncIterable<T>) | Iterable<T> | AsyncIterable<T>, options: { length?: number } = {}): IterableDataset<T> {
    return new SourceDataset(source, options);
  }
}

function iteratorOf<T>(source: Iterable<T> | AsyncIterable<T>, what: string): Iterator<T> | AsyncIterator<T> {
  if (typeof (source as AsyncIterable<T>)?.[Symbol.asyncIterator] === 'function') return (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  if (typeof (source as Iterable<T>)?.[Symbol.iterator] === 'function') return (source as Iterable<T>)[Symbol.iterator]();
  throw new TypeError(`${what} is ${describe(source)}, not an iterable`);
}

function isOneShot(source: unknown): boolean {
  const s = source as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  if (typeof s[Symbol.iterator] === 'function') return s[Symbol.iterator]!() === source;
  if (typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!() === source;
  return false;
}

class SourceDataset<T> extends IterableDataset<T> {
  private readonly count?: number;
  private readonly source: (() => Iterable<T> | AsyncIterable<T>) | Iterable<T> | AsyncIterable<T>;

  constructor(source: (() => Iterable<T> | AsyncIterable<T>) | Iterable<T> | AsyncIterable<T>, options: { length?: number }) {
    super();
    checkOptions('IterableDataset.from', options, ['length']);
    if (typeof source !== 'function') {
      if (source === null || typeof source !== 'object' || (typeof (source as Iterable<T>)[Symbol.iterator] !== 'function' && typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] !== 'function')) {
        throw new TypeError(`IterableDataset.from: expected an iterable or a function returning one, got ${describe(source)}`);
      }
      if (isOneShot(source)) {
        throw new TypeError('IterableDataset.from: got a generator (an iterator that can only be iterated once); pass the function that makes it, e.g. IterableDataset.from(() => gen())');
      }
    }
    if (options.length !== undefined && (!Number.isInteger(options.length) || options.length < 0)) {
      throw new TypeError(`IterableDataset.from: length must be a non-negative integer, got ${describe(options.length)}`);
    }
    this.source = source;
    this.count = options.length;
  }

  override get length(): number | undefined {
    return this.count;
  }

  override [Symbol.asyncIterator](): AsyncIterator<T> {
    const iterable = typeof this.source === 'function' ? this.source() : this.source;
    const it = iteratorOf(iterable, 'IterableDataset.from: the function returned');
    return { next: async () => it.next() };
  }
}

/** Something a ChainDataset can stream: an IterableDataset or any (async) iterable. */
export type StreamSource<T> = Iterable<T> | AsyncIterable<T> | IterableDataset<T>;

/**
 * Several iterable datasets one after another, as PyTorch's `ChainDataset` (the streaming
 * counterpart of ConcatDataset). Iterate it with `for await`, or with `for ... of` when every
 * part is synchronous.
 *
 * @example
 * ```ts
 * const all = new ChainDataset([shard0, shard1, shard2]);
 * ```
 */
export class ChainDataset<T> extends IterableDataset<T> {
  readonly datasets: readonly StreamSource<T>[];

  constructor(datasets: Iterable<StreamSource<T>>) {
    super();
    if (datasets === null || typeof (datasets as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`ChainDataset: expected an array of iterable datasets, got ${describe(datasets)}`);
    }
    const list = [...datasets];
    list.forEach((d, i) => {
      if (!isIterableDataset(d)) throw new TypeError(`ChainDataset: dataset ${i} is ${describe(d)}, not an iterable dataset; use ConcatDataset for map-style datasets`);
    });
    this.datasets = list;
  }

  /** The total length, when every part knows its own. */
  override get length(): number | undefined {
    let total = 0;
    for (const d of this.datasets) {
      const n = (d as { length?: unknown }).length;
      if (typeof n !== 'number') return undefined;
      total += n;
    }
    return total;
  }

  override *[Symbol.iterator](): Iterator<T> {
    for (const [i, d] of this.datasets.entries()) {
      if (typeof (d as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
        throw new TypeError(`ChainDataset: dataset ${i} is asynchronous; iterate the chain with for await`);
      }
      yield* d as Iterable<T>;
    }
  }

  override async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (const d of this.datasets) {
      if (typeof (d as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function') yield* d as AsyncIterable<T>;
      else yield* d as Iterable<T>;
    }
  }

  async workerRecipe(): Promise<WorkerRecipe> {
    const parts = await Promise.all(this.datasets.map((d, i) => nestedRecipe(d, `ChainDataset: dataset ${i}`)));
    return { module: import.meta.url, export: 'createChainDataset', args: [parts] };
  }
}

/** @internal The worker recipe's factory for ChainDataset. */
export function createChainDataset<T>(datasets: StreamSource<T>[]): ChainDataset<T> {
  return new ChainDataset(datasets);
}

/**
 * Split `dataset` into non-overlapping random subsets of the given `lengths`, as PyTorch's
 * `random_split`. Lengths are counts summing to the dataset's length, or fractions summing
 * to 1: each gets `floor(n * fraction)` items and the remainder is handed out one by one,
 * round-robin from the first split (PyTorch's rule). Seeded: the same seed gives the same
 * split, independent of `tl.manualSeed`.
 *
 * @example
 * ```ts
 * const [trainSet, valSet] = randomSplit(train, [0.9, 0.1], { seed: 42 }); // 54000 and 6000 of MNIST
 * ```
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: { seed?: number } = {}): Subset<T>[] {
  if (!isMapDataset(dataset)) throw new TypeError(`randomSplit: expected a map-style dataset (length and get(index)), got ${describe(dataset)}`);
  if (!Array.isArray(lengths) || lengths.length === 0) throw new TypeError(`randomSplit: lengths must be a non-empty array of counts or fractions, got ${describe(lengths)}`);
  checkOptions('randomSplit', options, ['seed'], { generator: 'use seed: an integer' });
  const seed = checkSeed('randomSplit', options.seed);
  lengths.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`randomSplit: length ${i} is ${describe(v)}; lengths must be non-negative numbers`);
  });
  const n = dataset.length;
  const total = lengths.reduce((a, b) => a + b, 0);
  let counts = [...lengths];
  // math.isclose(sum, 1) with its default relative tolerance 1e-9, and sum <= 1.
  if (Math.abs(total - 1) <= 1e-9 * Math.max(1, Math.abs(total)) && total <= 1) {
    counts = lengths.map((frac, i) => {
      if (frac > 1) throw new RangeError(`randomSplit: fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) counts[i % counts.length] += 1;
  } else {
    counts.forEach((v, i) => {
      if (!Number.isInteger(v)) {
        throw new RangeError(`randomSplit: length ${i} is ${v}: lengths must be integer counts, or fractions summing to 1 (these sum to ${total})`);
      }
    });
  }
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== n) throw new RangeError(`randomSplit: sum of input lengths (${sum}) does not equal the length of the input dataset (${n})`);
  const perm = new Rng(seed, 0x73706c74).permutation(n);
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const count of counts) {
    out.push(new Subset(dataset, perm.subarray(offset, offset + count)));
    offset += count;
  }
  return out;
}
