/**
 * DataLoader: samplers, batching, collation, prefetching and worker threads, as an async
 * iterable (PyTorch's `torch.utils.data.DataLoader`).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { defaultCollate, defaultConvert, type Batch } from './collate.js';
import { hasGetBatch, isIterableDataset, isMapDataset, type Dataset, type IterableDataset } from './dataset.js';
import { reviveTensors } from './host.js';
import { Rng } from './rng.js';
import { BatchSampler, RandomSampler, SequentialSampler, checkOptions, describe, type Sampler } from './sampler.js';
import { WorkerPool, type WorkerSettings } from './worker-pool.js';

/** A collate function (declared as a method so loaders stay assignable across item types). */
export type CollateFn<T, B> = { bivarianceHack(items: T[]): B }['bivarianceHack'];

export interface DataLoaderOptions<T = unknown, B = Batch<T>> {
  /**
   * Items per batch. Default 1. `null` turns automatic batching off: each item is passed on
   * alone (through `collateFn`, by default `defaultConvert`).
   */
  batchSize?: number | null;
  /** Visit items in a new random order each epoch (a seeded RandomSampler). Default false. */
  shuffle?: boolean;
  /** The order of indices (any iterable of indices: a Sampler, an array). Excludes `shuffle`. */
  sampler?: Iterable<number>;
  /** Lists of indices, one per batch. Excludes `batchSize`, `shuffle`, `sampler` and `dropLast`. */
  batchSampler?: Iterable<ArrayLike<number>>;
  /**
   * Load batches in this many worker threads (Node's worker_threads). Default 0: load on
   * the main thread, between the steps of the training loop. The dataset (and its
   * transforms) are rebuilt in each worker from their `workerRecipe()`; see the README.
   */
  numWorkers?: number;
  /** Turn a list of items into a batch. Default `defaultCollate` (or `defaultConvert` when `batchSize` is null). */
  collateFn?: CollateFn<T, B>;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * Seed for the shuffle and for random transforms; epoch `e` uses `seed + e`, and batch `b`
   * of an epoch its own stream, so a run is reproducible, the same with or without
   * workers, and independent of core's RNG (`tl.manualSeed`). Default 0.
   */
  seed?: number;
  /**
   * How many batches to prepare ahead of the one in use: `true` is 1 on the main thread and
   * `2 * numWorkers` with workers, `false` or 0 none. Default true.
   */
  prefetch?: boolean | number;
  /** With workers: batches prepared ahead per worker (PyTorch's `prefetch_factor`); sets `prefetch`. */
  prefetchFactor?: number;
  /** With workers: keep them alive from one epoch to the next instead of starting new ones. Default false. */
  persistentWorkers?: boolean;
  /** With workers: milliseconds to wait for a batch before failing. Default 0 (wait for ever). */
  timeout?: number;
  /** With workers: modules each worker imports first, and Node's resourceLimits. */
  worker?: WorkerSettings;
  /**
   * Dispose each batch when the loop moves on to the next one (and when it ends), so a
   * training loop leaks no tensors. Set false to own and dispose batches yourself; keep a
   * batch beyond its step with `t.clone()`. Default true.
   */
  disposeBatches?: boolean;
}

const KNOWN_OPTIONS = [
  'batchSize', 'shuffle', 'sampler', 'batchSampler', 'numWorkers', 'collateFn', 'dropLast', 'seed', 'prefetch',
  'prefetchFactor', 'persistentWorkers', 'timeout', 'worker', 'disposeBatches',
] as const;

const UNSUPPORTED: Readonly<Record<string, string>> = {
  pinMemory: 'Tensile has no pinned host memory: batches are written straight to the backend; remove it',
  pin_memory: 'Tensile has no pinned host memory: batches are written straight to the backend; remove it',
  pinMemoryDevice: 'Tensile has no pinned host memory; remove it',
  pin_memory_device: 'Tensile has no pinned host memory; remove it',
  generator: 'use seed: an integer',
  workerInitFn: 'functions cannot be sent to worker threads; put per-worker setup in a module listed in worker.imports, or call getWorkerInfo() in your dataset',
  worker_init_fn: 'functions cannot be sent to worker threads; put per-worker setup in a module listed in worker.imports, or call getWorkerInfo() in your dataset',
  multiprocessingContext: 'workers are threads (worker_threads); there is no multiprocessing context',
  multiprocessing_context: 'workers are threads (worker_threads); there is no multiprocessing context',
};

const defer: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

/** Every tensor in a batch (arrays, plain objects, Maps). */
function tensorsIn(value: unknown, into: Tensor[] = [], seen = new Set<unknown>()): Tensor[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return into;
  seen.add(value);
  if (value instanceof tl.Tensor) into.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, into, seen);
  else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, into, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) tensorsIn(v, into, seen);
  return into;
}

function disposeAll(value: unknown): void {
  for (const t of tensorsIn(value)) if (!t.isDisposed) t.dispose();
}

/** Run `fn` in a tidy scope and keep what it returns out of every enclosing scope. */
function built<R>(fn: () => R): R {
  return tl.noGrad(() =>
    tl.tidy(() => {
      const value = fn();
      for (const t of tensorsIn(value)) tl.keep(t);
      return value;
    }),
  );
}

function isPlainOptions(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`DataLoader: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

function checkIterable(name: string, value: unknown): void {
  if (value === null || typeof (value as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`DataLoader: ${name} must be an iterable of indices (a Sampler or an array), got ${describe(value)}`);
  }
}

function checkDataset(dataset: unknown): void {
  if (isMapDataset(dataset) || isIterableDataset(dataset) || Array.isArray(dataset)) return;
  let what = describe(dataset);
  const d = dataset as { get?: unknown; length?: unknown } | null;
  if (d && typeof d === 'object') {
    if (typeof d.get === 'function' && typeof d.length !== 'number') what += ' whose length is not a number';
    else if (typeof d.get !== 'function') what += ' with neither get(index) nor [Symbol.iterator]()';
  }
  throw new TypeError(
    `DataLoader: expected a dataset (an object with length and get(index), an IterableDataset, or an array), got ${what}`,
  );
}

function checkWorkerSettings(settings: unknown): void {
  checkOptions('DataLoader: worker', settings, ['imports', 'resourceLimits']);
  const { imports, resourceLimits } = settings as WorkerSettings;
  if (imports !== undefined) {
    if (!Array.isArray(imports)) throw new TypeError(`DataLoader: worker.imports must be an array of module specifiers or URLs, got ${describe(imports)}`);
    imports.forEach((m, i) => {
      if (!(m instanceof URL) && (typeof m !== 'string' || m === '')) {
        throw new TypeError(`DataLoader: worker.imports[${i}] must be a module specifier or URL, got ${describe(m)}`);
      }
    });
  }
  if (resourceLimits !== undefined) {
    checkOptions('DataLoader: worker.resourceLimits', resourceLimits, ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);
  }
}

function isOneShotIterator(dataset: unknown): boolean {
  const d = dataset as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  if (typeof d[Symbol.iterator] === 'function' && !(typeof (d as { next?: unknown }).next === 'function')) return false;
  return typeof (d as { next?: unknown }).next === 'function';
}

/** One unit of work: a batch of indices, one index (no automatic batching), or the next chunk of a stream. */
interface MapJob {
  kind: 'map';
  /** Position in the epoch (seeds the batch's random stream). */
  b: number;
  indices: number[] | null;
  index: number;
}

/**
 * Iterate a dataset in batches: `for await (const [x, y] of loader)`, as PyTorch's
 * DataLoader. A sampler (sequential, or a seeded `RandomSampler` with `shuffle`) orders the
 * indices, a batch sampler groups them, `collateFn` (default `defaultCollate`) makes each
 * batch. Datasets with a `getBatch(indices)` fast path (MNIST, CIFAR10, TensorDataset) build
 * each batch in one write when the collate function is the default. Iterable datasets are
 * batched as they stream. The next batches are prepared while the loop body runs: in
 * macrotasks on the main thread, or in worker threads with `numWorkers`.
 *
 * @example
 * ```ts
 * const train = await MNIST.load({ train: true });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1, numWorkers: 2 });
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for await (const [images, labels] of loader) {
 *     // images: [64, 1, 28, 28] float32, labels: [64] int32
 *   }
 * }
 * ```
 */
export class DataLoader<T = unknown, B = Batch<T>> implements AsyncIterable<B> {
  readonly dataset: Dataset<T> | IterableDataset<T>;
  /** Items per batch; null without automatic batching (and with a batchSampler). */
  readonly batchSize: number | null;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Batches prepared ahead of the one in use. */
  readonly prefetch: number;
  readonly numWorkers: number;
  readonly persistentWorkers: boolean;
  readonly timeout: number;
  readonly disposeBatches: boolean;
  /** The index sampler (map-style datasets), or null for an iterable dataset. */
  readonly sampler: Sampler<number> | null;
  /** What groups indices into batches, or null without automatic batching. */
  readonly batchSampler: Sampler<ArrayLike<number>> | null;
  /** The collate function: yours, or `defaultCollate` / `defaultConvert`. */
  readonly collateFn: CollateFn<T, B>;
  /** The epoch the next iteration will use; it advances each time a loop starts. */
  epoch = 0;
  private readonly iterable: boolean;
  private readonly customCollate: boolean;
  private readonly ownSampler: boolean;
  private readonly workerSettings: WorkerSettings;
  private pool: WorkerPool | null = null;

  constructor(dataset: Dataset<T> | IterableDataset<T> | readonly T[], options: DataLoaderOptions<T, B> = {}) {
    checkDataset(dataset);
    if (!isPlainOptions(options)) throw new TypeError(`DataLoader: options must be an object, got ${describe(options)}`);
    checkOptions('DataLoader', options, KNOWN_OPTIONS, UNSUPPORTED);
    const ds: Dataset<T> | IterableDataset<T> = Array.isArray(dataset)
      ? { get length() { return (dataset as T[]).length; }, get: (i: number) => (dataset as T[])[i] }
      : (dataset as Dataset<T> | IterableDataset<T>);
    this.iterable = isIterableDataset(ds);
    if (this.iterable && isOneShotIterator(ds)) {
      throw new TypeError('DataLoader: the dataset is an iterator that can only be iterated once (a generator object); wrap the function that makes it: IterableDataset.from(() => gen())');
    }

    const batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    if (batchSize !== null && (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)) {
      throw new TypeError(`DataLoader: batchSize must be a positive integer or null, got ${describe(batchSize)}`);
    }
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new TypeError(`DataLoader: seed must be an integer, got ${describe(seed)}`);
    const shuffle = checkBoolean('shuffle', options.shuffle);
    const dropLast = checkBoolean('dropLast', options.dropLast) ?? false;
    const persistentWorkers = checkBoolean('persistentWorkers', options.persistentWorkers) ?? false;
    const disposeBatches = checkBoolean('disposeBatches', options.disposeBatches) ?? true;
    const numWorkers = options.numWorkers ?? 0;
    if (typeof numWorkers !== 'number' || !Number.isInteger(numWorkers) || numWorkers < 0) {
      throw new TypeError(`DataLoader: numWorkers must be a non-negative integer, got ${describe(numWorkers)}`);
    }
    if (options.collateFn !== undefined && typeof options.collateFn !== 'function') {
      throw new TypeError(`DataLoader: collateFn must be a function (items) => batch, got ${describe(options.collateFn)}`);
    }
    if (options.sampler !== undefined) checkIterable('sampler', options.sampler);
    if (options.batchSampler !== undefined) checkIterable('batchSampler', options.batchSampler);
    if (options.worker !== undefined) checkWorkerSettings(options.worker);
    const timeout = options.timeout ?? 0;
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw new TypeError(`DataLoader: timeout must be a non-negative number of milliseconds, got ${describe(timeout)}`);

    // PyTorch's exclusions.
    if (this.iterable) {
      if (shuffle) throw new Error('DataLoader with an IterableDataset: expected unspecified shuffle option, but got shuffle=true (an iterable dataset has no indices to shuffle)');
      if (options.sampler !== undefined) throw new Error('DataLoader with an IterableDataset: expected unspecified sampler option, but got one');
      if (options.batchSampler !== undefined) throw new Error('DataLoader with an IterableDataset: expected unspecified batchSampler option, but got one');
    }
    if (options.sampler !== undefined && shuffle) throw new Error('DataLoader: sampler option is mutually exclusive with shuffle');
    if (options.batchSampler !== undefined) {
      if (options.batchSize !== undefined && options.batchSize !== 1) throw new Error('DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast (got batchSize)');
      if (shuffle || options.sampler !== undefined || dropLast) {
        throw new Error(`DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast (got ${shuffle ? 'shuffle' : options.sampler !== undefined ? 'sampler' : 'dropLast'})`);
      }
    }
    if (batchSize === null && dropLast) throw new Error('DataLoader: batchSize: null (no automatic batching) is mutually exclusive with dropLast');
    if (numWorkers === 0) {
      if (options.prefetchFactor !== undefined) throw new Error('DataLoader: prefetchFactor only applies with worker threads (numWorkers > 0); use prefetch on the main thread');
      if (persistentWorkers) throw new Error('DataLoader: persistentWorkers needs numWorkers > 0');
      if (timeout > 0) throw new Error('DataLoader: timeout only applies with worker threads (numWorkers > 0)');
      if (options.worker !== undefined) throw new Error('DataLoader: worker settings only apply with worker threads (numWorkers > 0)');
    }

    let prefetch: number;
    if (options.prefetchFactor !== undefined) {
      if (options.prefetch !== undefined) throw new Error('DataLoader: pass prefetch or prefetchFactor, not both');
      const f = options.prefetchFactor;
      if (typeof f !== 'number' || !Number.isInteger(f) || f < 1) throw new TypeError(`DataLoader: prefetchFactor must be a positive integer, got ${describe(f)}`);
      prefetch = f * numWorkers;
    } else {
      const p = options.prefetch ?? true;
      if (typeof p === 'boolean') prefetch = p ? (numWorkers > 0 ? 2 * numWorkers : 1) : 0;
      else if (typeof p === 'number' && Number.isInteger(p) && p >= 0) prefetch = p;
      else throw new TypeError(`DataLoader: prefetch must be a boolean or a non-negative integer (batches ahead), got ${describe(p)}`);
    }
    // Workers need at least one batch in flight each to run at all.
    if (numWorkers > 0) prefetch = Math.max(prefetch, numWorkers);

    this.dataset = ds;
    this.batchSize = options.batchSampler !== undefined ? null : batchSize;
    this.shuffle = shuffle ?? false;
    this.seed = seed;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.numWorkers = numWorkers;
    this.persistentWorkers = persistentWorkers;
    this.timeout = timeout;
    this.disposeBatches = disposeBatches;
    this.workerSettings = options.worker ?? {};
    this.customCollate = options.collateFn !== undefined;
    this.collateFn = (options.collateFn as CollateFn<T, B> | undefined) ?? ((batchSize === null && options.batchSampler === undefined ? defaultConvert : defaultCollate) as unknown as CollateFn<T, B>);

    if (this.iterable) {
      this.sampler = null;
      this.batchSampler = null;
      this.ownSampler = false;
    } else {
      const map = ds as Dataset<T>;
      this.ownSampler = options.sampler === undefined && options.batchSampler === undefined;
      this.sampler = (options.sampler as Sampler<number> | undefined) ?? (this.shuffle ? new RandomSampler(map, { seed }) : new SequentialSampler(map));
      if (options.batchSampler !== undefined) this.batchSampler = options.batchSampler as Sampler<ArrayLike<number>>;
      else this.batchSampler = batchSize === null ? null : new BatchSampler(this.sampler, batchSize, dropLast);
    }
  }

  /** Number of batches per epoch (items, without automatic batching). */
  get length(): number {
    if (this.iterable) {
      const n = (this.dataset as IterableDataset<T>).length;
      if (typeof n !== 'number') throw new TypeError('DataLoader.length: the IterableDataset has no length');
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    const source = this.batchSampler ?? this.sampler!;
    const n = source.length;
    if (typeof n !== 'number') throw new TypeError(`DataLoader.length: the ${this.batchSampler ? 'batchSampler' : 'sampler'} has no length`);
    return n;
  }

  /** Choose the epoch the next loop uses (e.g. when resuming training); samplers with `setEpoch` follow. */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader.setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
    // A BatchSampler passes it on to its sampler.
    if (!this.ownSampler) ((this.batchSampler ?? this.sampler) as Sampler<unknown> | null)?.setEpoch?.(epoch);
  }

  /** The order in which epoch `epoch` visits the items (map-style datasets). */
  order(epoch: number): Int32Array {
    if (!this.sampler) throw new Error('DataLoader.order: an iterable dataset has no index order');
    if (this.ownSampler && this.sampler instanceof RandomSampler) return this.sampler.indices(epoch);
    return Int32Array.from(this.sampler);
  }

  /** Stop the worker threads kept by `persistentWorkers` (they also stop when the process exits). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.terminate();
  }

  private itemsFor(job: MapJob, rng: Rng): T[] {
    const dataset = this.dataset as Dataset<T>;
    const items: T[] = [];
    for (const i of job.indices!) items.push(dataset.get(i, rng));
    return items;
  }

  /** Build one batch on this thread; on any error nothing it made survives. */
  private buildMap(job: MapJob, epoch: number): B {
    const rng = new Rng(this.seed + epoch, 0x7472, job.b);
    return built(() => {
      const dataset = this.dataset as Dataset<T>;
      if (job.indices === null) return this.collateFn(dataset.get(job.index, rng) as unknown as T[]);
      if (!this.customCollate && hasGetBatch(dataset)) return dataset.getBatch(job.indices, rng) as unknown as B;
      return this.collateFn(this.itemsFor(job, rng));
    });
  }

  private *mapJobs(): Generator<MapJob> {
    let b = 0;
    if (this.batchSampler) {
      for (const indices of this.batchSampler) {
        if (indices === null || typeof indices !== 'object' || typeof (indices as ArrayLike<number>).length !== 'number') {
          throw new TypeError(`DataLoader: the batchSampler yielded ${describe(indices)}; expected a list of indices`);
        }
        yield { kind: 'map', b: b++, indices: Array.from(indices), index: -1 };
      }
    } else {
      for (const index of this.sampler!) yield { kind: 'map', b: b++, indices: null, index };
    }
  }

  private async getPool(): Promise<WorkerPool> {
    if (this.pool && this.pool.alive) return this.pool;
    const pool = await WorkerPool.start({
      dataset: this.dataset,
      numWorkers: this.numWorkers,
      iterable: this.iterable,
      customCollate: this.customCollate,
      autoBatch: this.batchSize !== null || this.batchSampler !== null,
      batchSize: this.batchSize ?? 1,
      dropLast: this.dropLast,
      timeout: this.timeout,
      settings: this.workerSettings,
    });
    if (this.persistentWorkers) this.pool = pool;
    return pool;
  }

  /** Turn what a worker sent into the batch, on this thread. */
  private finish(value: unknown): B {
    return built(() => {
      const revived = reviveTensors(value);
      if (this.customCollate || (this.batchSize === null && this.batchSampler === null)) return this.collateFn(revived as T[]);
      return revived as B;
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    const epoch = this.epoch++;
    if (this.ownSampler) (this.sampler as Sampler<number>).setEpoch?.(epoch);
    const source =
      this.numWorkers > 0 ? await this.workerSource(epoch) : this.iterable ? this.streamSource() : this.mapSource(epoch);
    let current: B | null = null;
    try {
      for (;;) {
        const next = await source.next();
        if (next === null) break;
        if (current !== null && this.disposeBatches) disposeAll(current);
        current = next;
        yield next;
      }
    } finally {
      if (current !== null && this.disposeBatches) disposeAll(current);
      await source.close();
    }
  }

  /** Main-thread batches of a map-style dataset, `prefetch` ahead, each built in its own macrotask. */
  private mapSource(epoch: number): Source<B> {
    const jobs = this.mapJobs();
    const queue: Promise<B>[] = [];
    let exhausted = false;
    const schedule = (job: MapJob): Promise<B> => {
      const promise = new Promise<B>((resolve, reject) => {
        defer(() => {
          try {
            resolve(this.buildMap(job, epoch));
          } catch (error) {
            reject(error);
          }
        });
      });
      promise.catch(() => {}); // awaited later; not unhandled meanwhile
      return promise;
    };
    const fill = () => {
      while (!exhausted && queue.length < this.prefetch) {
        const job = jobs.next();
        if (job.done) exhausted = true;
        else queue.push(schedule(job.value));
      }
    };
    return {
      next: async () => {
        let value: B;
        if (queue.length > 0) {
          const head = queue.shift()!;
          fill();
          value = await head;
        } else {
          const job = exhausted ? undefined : jobs.next();
          if (!job || job.done) {
            exhausted = true;
            return null;
          }
          value = this.buildMap(job.value, epoch);
          fill();
        }
        return value;
      },
      close: async () => {
        exhausted = true;
        for (const p of queue.splice(0)) p.then(disposeAll, () => {});
      },
    };
  }

  /** Main-thread batches of an iterable dataset, read in order, `prefetch` ahead. */
  private streamSource(): Source<B> {
    const dataset = this.dataset as IterableDataset<T>;
    const asyncIt = typeof dataset[Symbol.asyncIterator] === 'function';
    const iterator = (asyncIt ? dataset[Symbol.asyncIterator]!() : dataset[Symbol.iterator]!()) as Iterator<T> | AsyncIterator<T>;
    const size = this.batchSize ?? 1;
    let ended = false;
    const take = async (): Promise<B | null> => {
      if (ended) return null;
      const items: T[] = [];
      try {
        while (items.length < size) {
          const r = asyncIt ? await (iterator as AsyncIterator<T>).next() : (iterator as Iterator<T>).next();
          if (r.done) {
            ended = true;
            break;
          }
          items.push(r.value);
        }
      } catch (error) {
        disposeAll(items);
        throw error;
      }
      if (items.length === 0 || (ended && items.length < size && this.dropLast)) {
        disposeAll(items);
        return null;
      }
      // The items' tensors are owned: kept by the batch, disposed otherwise (also when the
      // collate throws); the collate runs in its own scope.
      return tl.owned((own) => {
        for (const t of tensorsIn(items)) own(t);
        return built(() => this.collateFn((this.batchSize === null ? items[0] : items) as T[]));
      });
    };
    const queue: Promise<B | null>[] = [];
    let tail: Promise<unknown> = Promise.resolve();
    const enqueue = () => {
      const p = tail.then(() => take());
      p.catch(() => {});
      tail = p.catch(() => {});
      queue.push(p);
    };
    return {
      next: async () => {
        if (queue.length === 0) enqueue();
        const head = queue.shift()!;
        while (queue.length < this.prefetch && !ended) enqueue();
        const value = await head;
        if (value === null) ended = true;
        return value;
      },
      close: async () => {
        ended = true;
        for (const p of queue.splice(0)) p.then(disposeAll, () => {});
        const it = iterator as { return?: () => unknown };
        try {
          await it.return?.();
        } catch {
          // closing the stream is best effort
        }
      },
    };
  }

  /** Batches built by worker threads, delivered in order. */
  private async workerSource(epoch: number): Promise<Source<B>> {
    const pool = await this.getPool();
    const seed = this.seed + epoch;
    const owned = !this.persistentWorkers;
    const queue: Promise<unknown>[] = [];
    let closed = false;
    if (this.iterable) {
      await pool.startEpoch(seed);
      let t = 0;
      const fill = () => {
        while (!closed && queue.length < this.prefetch && pool.activeCount > 0) queue.push(pool.next(t++));
      };
      fill();
      return {
        next: async () => {
          for (;;) {
            if (queue.length === 0) return null;
            const result = await queue.shift()!;
            fill();
            if (result !== WorkerPool.END) return this.finish(result);
          }
        },
        close: async () => {
          closed = true;
          await Promise.allSettled(queue.splice(0));
          if (owned) await pool.terminate();
        },
      };
    }
    const jobs = this.mapJobs();
    let exhausted = false;
    const fill = () => {
      while (!closed && !exhausted && queue.length < this.prefetch) {
        const job = jobs.next();
        if (job.done) exhausted = true;
        else queue.push(pool.run(job.value.b, job.value.indices ?? job.value.index, seed));
      }
    };
    fill();
    return {
      next: async () => {
        if (queue.length === 0) return null;
        const head = queue.shift()!;
        fill();
        return this.finish(await head);
      },
      close: async () => {
        closed = true;
        await Promise.allSettled(queue.splice(0));
        if (owned) await pool.terminate();
      },
    };
  }
}

interface Source<B> {
  /** The next batch, or null at the end of the epoch. */
  next(): Promise<B | null>;
  /** Release what is still in flight. */
  close(): Promise<void>;
}
