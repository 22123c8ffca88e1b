/** DataLoader: seeded shuffling, batching and one batch of prefetch, as an async iterable. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { hasGetBatch, type Dataset } from './dataset.js';
import { Rng } from './rng.js';

export interface DataLoaderOptions {
  /** Items per batch. Default 1. */
  batchSize?: number;
  /** Visit items in a new random order each epoch. Default false. */
  shuffle?: boolean;
  /**
   * Seed for the shuffle and for random transforms; epoch `e` uses `seed + e`, so a run is
   * reproducible and independent of core's RNG (`tl.manualSeed`). Default 0.
   */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Build the next batch while the current one is in use. Default true. */
  prefetch?: boolean;
  /**
   * Dispose each batch when the loop moves on to the next one (and when it ends), so a
   * training loop leaks no tensors. Set false to own and dispose batches yourself; keep a
   * batch beyond its step with `t.clone()`. Default true.
   */
  disposeBatches?: boolean;
}

/** What a batch of items of type `T` looks like: one stacked tensor per field. */
export type Batch<T> = T extends Tensor | number ? Tensor : T extends readonly unknown[] ? { -readonly [K in keyof T]: Tensor } : Tensor[];

type Item = Tensor | number | readonly (Tensor | number)[];

const defer: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

function collateField(values: readonly (Tensor | number)[], position: string): Tensor {
  const first = values[0];
  if (typeof first === 'number') {
    if (!values.every((v) => typeof v === 'number')) throw new TypeError(`DataLoader: item field ${position} mixes numbers and tensors`);
    const nums = values as number[];
    return nums.every(Number.isInteger) ? tl.tensor(Int32Array.from(nums), { dtype: 'int32' }) : tl.tensor(Float32Array.from(nums));
  }
  if (!values.every((v) => v instanceof tl.Tensor)) throw new TypeError(`DataLoader: item field ${position} mixes numbers and tensors`);
  return tl.stack(values as Tensor[], 0);
}

/** Stack items (tensors, numbers, or tuples of them) into one tensor per field, as PyTorch's default_collate. */
export function collate(items: readonly Item[]): Tensor | Tensor[] {
  if (items.length === 0) throw new Error('collate: no items');
  const first = items[0];
  if (Array.isArray(first)) {
    return first.map((_, f) => collateField(items.map((item) => (item as readonly (Tensor | number)[])[f]), `${f}`));
  }
  return collateField(items as (Tensor | number)[], '0');
}

function disposeAll(value: unknown): void {
  if (value instanceof tl.Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeAll);
}

/**
 * Iterate a dataset in batches: `for await (const [x, y] of loader)`. Datasets with a
 * `getBatch(indices)` fast path (MNIST, CIFAR10, TensorDataset) build each batch in one
 * write; others are read item by item and stacked. While the loop body runs, the next batch
 * is prepared in a macrotask, so it overlaps with any `await` in the body.
 *
 * @example
 * ```ts
 * const train = await MNIST.load({ train: true });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 });
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for await (const [images, labels] of loader) {
 *     // images: [64, 1, 28, 28] float32, labels: [64] int32
 *   }
 * }
 * ```
 */
export class DataLoader<T = unknown> implements AsyncIterable<Batch<T>> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: boolean;
  readonly disposeBatches: boolean;
  /** The epoch the next iteration will use; it advances each time a loop starts. */
  epoch = 0;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions = {}) {
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new Error(`DataLoader: seed must be an integer, got ${seed}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? false;
    this.seed = seed;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = options.prefetch ?? true;
    this.disposeBatches = options.disposeBatches ?? true;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Choose the epoch the next loop uses (e.g. when resuming training). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader.setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  /** The order in which epoch `epoch` visits the items. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return new Rng(this.seed + epoch, 0x5348).permutation(n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }

  private build(order: Int32Array, b: number, rng: Rng): Batch<T> {
    const indices = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
    return tl.noGrad(() => {
      const dataset = this.dataset;
      let batch: Tensor | Tensor[];
      if (hasGetBatch(dataset)) {
        batch = dataset.getBatch(indices, rng);
      } else {
        const items = Array.from(indices, (i) => dataset.get(i, rng) as unknown as Item);
        try {
          batch = collate(items);
        } finally {
          // Items are the caller's to dispose (datasets return new tensors or views).
          items.forEach(disposeAll);
        }
      }
      if (Array.isArray(batch)) batch.forEach((t) => tl.keep(t));
      else tl.keep(batch);
      return batch as Batch<T>;
    });
  }

  private schedule(order: Int32Array, b: number, rng: Rng): Promise<Batch<T>> {
    const promise = new Promise<Batch<T>>((resolve, reject) => {
      defer(() => {
        try {
          resolve(this.build(order, b, rng));
        } catch (error) {
          reject(error);
        }
      });
    });
    promise.catch(() => {}); // awaited later; do not report it as unhandled meanwhile
    return promise;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch<T>, void, undefined> {
    const epoch = this.epoch++;
    const order = this.order(epoch);
    const rng = new Rng(this.seed + epoch, 0x7472);
    const count = this.length;
    let pending: Promise<Batch<T>> | null = null;
    let current: Batch<T> | null = null;
    try {
      for (let b = 0; b < count; b++) {
        const batch = pending ? await pending : this.build(order, b, rng);
        pending = null;
        if (this.prefetch && b + 1 < count) pending = this.schedule(order, b + 1, rng);
        if (current && this.disposeBatches) disposeAll(current);
        current = batch;
        yield batch;
      }
    } finally {
      if (current && this.disposeBatches) disposeAll(current);
      if (pending) pending.then(disposeAll, () => {});
    }
  }
}
