/** The Dataset interface and TensorDataset. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import type { Rng } from './rng.js';

/**
 * A map-style dataset: `length` items, read by index (PyTorch's `Dataset` with `__len__` and
 * `__getitem__`). `rng` is passed by a DataLoader for datasets with random transforms.
 */
export interface Dataset<T> {
  readonly length: number;
  get(index: number, rng?: Rng): T;
}

/**
 * A dataset that can build a whole batch at once (a fast path the DataLoader prefers): it
 * returns one stacked tensor per item field, e.g. `[images [B, C, H, W], labels [B]]`.
 */
export interface BatchDataset<T> extends Dataset<T> {
  getBatch(indices: ArrayLike<number>, rng?: Rng): Tensor[];
}

export function hasGetBatch<T>(dataset: Dataset<T>): dataset is BatchDataset<T> {
  if (dataset instanceof Subset) return hasGetBatch(dataset.dataset);
  return typeof (dataset as Partial<BatchDataset<T>>).getBatch === 'function';
}

export function checkIndex(name: string, index: number, length: number): number {
  if (!Number.isInteger(index)) throw new TypeError(`${name}: index must be an integer, got ${index}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new RangeError(`${name}: index ${index} is out of range for a dataset of ${length} items`);
  return i;
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
}

/**
 * The items of `dataset` at `indices`, as PyTorch's `Subset`; keeps the batch fast path.
 *
 * @example
 * ```ts
 * const first10k = new Subset(train, Array.from({ length: 10000 }, (_, i) => i));
 * ```
 */
export class Subset<T> implements BatchDataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    this.dataset = dataset;
    this.indices = Int32Array.from(indices as ArrayLike<number>, (i) => checkIndex('Subset', i, dataset.length));
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number, rng?: Rng): T {
    return this.dataset.get(this.indices[checkIndex('Subset.get', index, this.length)], rng);
  }

  getBatch(indices: ArrayLike<number>, rng?: Rng): Tensor[] {
    const mapped = Int32Array.from(indices as ArrayLike<number>, (i) => this.indices[checkIndex('Subset.getBatch', i, this.length)]);
    if (hasGetBatch(this.dataset)) return this.dataset.getBatch(mapped, rng);
    throw new Error('Subset.getBatch: the wrapped dataset has no getBatch; the DataLoader reads it item by item');
  }
}
