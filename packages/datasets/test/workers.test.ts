import { threadId } from 'node:worker_threads';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { ConcatDataset, DataLoader, ImageDataset, Subset, TensorDataset, colorJitter, compose, normalize, randomCrop, randomHorizontalFlip, randomResizedCrop } from '../src/index.js';
import { scopeEachTest } from './helpers.js';
import { Broken, Numbers, Squares } from './support/worker-datasets.js';

scopeEachTest();

// The tests import TypeScript sources; built packages need no hooks in their workers.
const worker = { imports: [new URL('./support/register-ts.mjs', import.meta.url).href] };

async function collect<B>(loader: AsyncIterable<B>, read: (b: B) => unknown): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of loader) out.push(read(b));
  return out;
}

function images(n: number, shape: [number, number, number] = [2, 3, 4]): ImageDataset {
  const bytes = Uint8Array.from({ length: n * shape[0] * shape[1] * shape[2] }, (_, i) => (i * 37) & 0xff);
  return new ImageDataset({ images: bytes, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), shape });
}

describe('DataLoader numWorkers', () => {
  it('loads in worker threads, giving the same batches as the main thread', async () => {
    const ds = new TensorDataset(tl.arange(40).float().reshape([20, 2]), tl.arange(20));
    const read = ([x, y]: tl.Tensor[]) => [Array.from(x.dataSync()), Array.from(y.dataSync())];
    const main = await collect(new DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5 }), read);
    const threaded = new DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5, numWorkers: 2, worker });
    expect(threaded.prefetch).toBe(4);
    expect(await collect(threaded, read)).toEqual(main);
    const img = images(9);
    const readImages = ([x, y]: tl.Tensor[]) => [x.shape, Array.from(x.dataSync()), Array.from(y.dataSync())];
    const concat = new ConcatDataset([img, new Subset(images(5), [4, 0, 2])]);
    expect(await collect(new DataLoader(concat, { batchSize: 4, shuffle: true, numWorkers: 3, worker }), readImages)).toEqual(
      await collect(new DataLoader(concat, { batchSize: 4, shuffle: true }), readImages),
    );
  });

  it('applies random transforms in the workers exactly as on the main thread', async () => {
    const ds = images(21, [3, 5, 6]);
    ds.transform = compose([randomCrop(5, 1), randomHorizontalFlip(), colorJitter({ brightness: 0.4, hue: 0.1 }), randomResizedCrop([3, 3]), normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])]);
    const read = ([x, y]: tl.Tensor[]) => [x.shape, Array.from(x.dataSync()), Array.from(y.dataSync())];
    const options = { batchSize: 4, shuffle: true, seed: 3 } as const;
    const main = await collect(new DataLoader(ds, options), read);
    expect(await collect(new DataLoader(ds, { ...options, numWorkers: 2, worker }), read)).toEqual(main);
    // The item path too (a custom collateFn reads items one by one).
    const items = { ...options, collateFn: (xs: [tl.Tensor, tl.Tensor][]) => xs.map(([x]) => Array.from(x.dataSync())) };
    expect(await collect(new DataLoader(ds, { ...items, numWorkers: 2, worker }), (b) => b)).toEqual(await collect(new DataLoader(ds, items), (b) => b));
  });

  it('really runs get() on other threads, in order, with collateFn on the main thread', async () => {
    const threads = new Set<number>();
    const order: number[] = [];
    let collated = 0;
    const loader = new DataLoader(new Squares(24, -1, 5), {
      batchSize: 2,
      numWorkers: 3,
      worker,
      collateFn: (items) => {
        collated++;
        for (const it of items) threads.add(it.thread);
        return items.map((it) => it.i);
      },
    });
    for await (const ids of loader) order.push(...ids);
    expect(order).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(collated).toBe(12);
    expect(threads.size).toBe(3);
    expect(threads.has(threadId)).toBe(false);
    // The default collate runs in the workers: tensors and numbers arrive stacked.
    const batches = await collect(new DataLoader(new Squares(5), { batchSize: 2, numWorkers: 2, worker }), (b) => [Array.from(b.x.dataSync()), Array.from(b.i.dataSync())]);
    expect(batches).toEqual([[[0, 1], [0, 1]], [[4, 9], [2, 3]], [[16], [4]]]);
  });

  it('reports an error in a worker with its message, leaving nothing allocated', async () => {
    const before = tl.memory();
    const loader = new DataLoader(new Squares(12, 7), { batchSize: 2, numWorkers: 2, worker });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const b of loader) seen.push(...Array.from(b.i.dataSync()));
      })(),
    ).rejects.toThrow(/DataLoader worker 1: item 7 cannot be read/);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tl.memory().numTensors).toBe(before.numTensors);
    expect(tl.memory().numBytes).toBe(before.numBytes);
  });

  it('refuses a dataset it cannot rebuild in a worker, and says why', async () => {
    const plain = { length: 3, get: (i: number) => i };
    await expect(collect(new DataLoader(plain, { numWorkers: 2 }), (b) => b)).rejects.toThrow(
      /numWorkers: 2 rebuilds the dataset in each worker thread, but the dataset \(an object with keys length, get\) cannot be rebuilt in a worker thread: it has no workerRecipe\(\)/,
    );
    await expect(collect(new DataLoader(new Broken(), { numWorkers: 1, worker }), (b) => b)).rejects.toThrow(
      /DataLoader worker 0: could not build the dataset: the data directory is missing/,
    );
    const transformed = images(3);
    transformed.transform = (img) => img;
    await expect(collect(new DataLoader(transformed, { numWorkers: 1, worker }), (b) => b)).rejects.toThrow(/the transform \(a function.*\) cannot be rebuilt in a worker thread/);
  });

  it('splits an IterableDataset between workers with getWorkerInfo', async () => {
    const loader = new DataLoader(new Numbers(11), { batchSize: 2, numWorkers: 2, worker });
    const batches = await collect(loader, ([n, id]: tl.Tensor[]) => [Array.from(n.dataSync()), Array.from(id.dataSync())]);
    // Worker 0 streams the even numbers, worker 1 the odd ones; batches alternate between them.
    expect(batches).toEqual([
      [[0, 2], [0, 0]],
      [[1, 3], [1, 1]],
      [[4, 6], [0, 0]],
      [[5, 7], [1, 1]],
      [[8, 10], [0, 0]],
      [[9], [1]],
    ]);
    const dropped = await collect(new DataLoader(new Numbers(11), { batchSize: 2, numWorkers: 2, worker, dropLast: true }), ([n]: tl.Tensor[]) => Array.from(n.dataSync()));
    expect(dropped).toEqual([[0, 2], [1, 3], [4, 6], [5, 7], [8, 10]]);
  });

  it('keeps persistent workers across epochs, and times out a slow batch', async () => {
    const loader = new DataLoader(new Squares(4), { batchSize: 2, numWorkers: 2, worker, persistentWorkers: true, collateFn: (items) => items.map((it) => it.thread) });
    const first = (await collect(loader, (b) => b)).flat();
    const second = (await collect(loader, (b) => b)).flat();
    expect(second).toEqual(first);
    await loader.close();
    const fresh = (await collect(loader, (b) => b)).flat();
    expect(fresh).not.toEqual(first); // new threads after close()
    await loader.close();
    const slow = new DataLoader(new Squares(4, -1, 400), { batchSize: 2, numWorkers: 1, worker, timeout: 100 });
    await expect(collect(slow, (b) => b)).rejects.toThrow(/timed out after 100 ms waiting for batch 0 from worker 0/);
  });

  it('rejects worker options that make no sense', () => {
    const ds = new Squares(2);
    expect(() => new DataLoader(ds, { numWorkers: 2, prefetch: 1, prefetchFactor: 2 })).toThrow(/pass prefetch or prefetchFactor, not both/);
    expect(new DataLoader(ds, { numWorkers: 2, prefetchFactor: 3 }).prefetch).toBe(6);
    expect(() => new DataLoader(ds, { numWorkers: 2, prefetchFactor: 0 })).toThrow(/prefetchFactor must be a positive integer/);
    expect(() => new DataLoader(ds, { numWorkers: 2, timeout: -1 })).toThrow(/timeout must be a non-negative number/);
    expect(() => new DataLoader(ds, { numWorkers: 1, worker: { imports: [3 as never] } })).toThrow(/worker.imports\[0\] must be a module specifier or URL, got 3/);
    expect(() => new DataLoader(ds, { numWorkers: 1, worker: { env: {} } as never })).toThrow(/DataLoader: worker: unsupported option 'env' \(the options are imports, resourceLimits\)/);
    expect(() => new DataLoader(ds, { worker })).toThrow(/worker settings only apply with worker threads/);
  });
});
