import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DataLoader, Rng, TensorDataset, collate, type Dataset } from '../src/index.js';
import { scopeEachTest } from './helpers.js';

scopeEachTest();

function numbered(n: number): TensorDataset {
  const x = tl.arange(n).float().reshape([n, 1]).mul(10);
  const y = tl.arange(n);
  return new TensorDataset(x, y);
}

async function labelsOf(loader: DataLoader<unknown>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const batch of loader) out.push(Array.from((batch as tl.Tensor[])[1].dataSync()));
  return out;
}

describe('TensorDataset', () => {
  it('indexes items and checks shapes', () => {
    const ds = numbered(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(x.shape).toEqual([1]);
    expect(x.itemSync()).toBe(30);
    expect(y.itemSync()).toBe(3);
    expect(ds.get(-1)[1].itemSync()).toBe(4);
    expect(() => ds.get(5)).toThrow(/out of range/);
    expect(() => new TensorDataset(tl.zeros([3]), tl.zeros([4]))).toThrow(/4 items/);
  });
});

describe('DataLoader', () => {
  it('batches in order, with the last batch short, and reports its length', async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches: { x: number[]; xs: readonly number[]; y: number[]; yd: string }[] = [];
    for await (const [x, y] of loader) batches.push({ x: Array.from(x.dataSync()), xs: x.shape, y: Array.from(y.dataSync()), yd: y.dtype });
    expect(batches.map((b) => b.y)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches[0].xs).toEqual([4, 1]);
    expect(batches[0].x).toEqual([0, 10, 20, 30]);
    expect(batches[0].yd).toBe('int32');
  });

  it('dropLast drops the short batch', async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(await labelsOf(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(numbered(8), { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('shuffles reproducibly per seed and epoch, covering every item once', async () => {
    const a = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 7 });
    const b = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 7 });
    const a0 = (await labelsOf(a)).flat();
    const a1 = (await labelsOf(a)).flat();
    tl.manualSeed(123);
    tl.rand([1000]).dispose(); // moving core's RNG must not change the order
    const b0 = (await labelsOf(b)).flat();
    const b1 = (await labelsOf(b)).flat();
    expect(a0).toEqual(b0);
    expect(a1).toEqual(b1);
    expect(a0).not.toEqual(a1); // a new order each epoch
    expect([...a0].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a0).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const c = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 8 });
    expect((await labelsOf(c)).flat()).not.toEqual(a0);
    // setEpoch replays an epoch.
    a.setEpoch(1);
    expect((await labelsOf(a)).flat()).toEqual(a1);
  });

  it('does not touch core RNG state', async () => {
    tl.manualSeed(5);
    const before = tl.getRngState();
    await labelsOf(new DataLoader(numbered(20), { batchSize: 3, shuffle: true }));
    expect(tl.getRngState()).toEqual(before);
  });

  it('prefetches the next batch while the current one is in use', async () => {
    const built: number[] = [];
    const events: string[] = [];
    const inner = numbered(12);
    const ds: Dataset<tl.Tensor[]> & { getBatch(i: ArrayLike<number>): tl.Tensor[] } = {
      length: 12,
      get: (i) => inner.get(i),
      getBatch: (indices) => {
        built.push(indices[0]);
        events.push(`build ${indices[0] / 4}`);
        return inner.getBatch(indices);
      },
    };
    const loader = new DataLoader(ds, { batchSize: 4 });
    let step = 0;
    for await (const [, y] of loader) {
      events.push(`train ${step} start`);
      await new Promise((r) => setTimeout(r, 5)); // a training step that awaits
      events.push(`train ${step} end`);
      expect(y.shape).toEqual([4]);
      step++;
    }
    expect(built).toEqual([0, 4, 8]);
    // Batch k+1 is built during step k, before step k ends.
    expect(events.indexOf('build 1')).toBeLessThan(events.indexOf('train 0 end'));
    expect(events.indexOf('build 1')).toBeGreaterThan(events.indexOf('train 0 start'));
    expect(events.indexOf('build 2')).toBeLessThan(events.indexOf('train 1 end'));
  });

  it('disposes batches as it goes, so memory is flat, and cleans up on break', async () => {
    const ds = numbered(100);
    const loader = new DataLoader(ds, { batchSize: 10, shuffle: true });
    const base = tl.memory().numTensors;
    const counts: number[] = [];
    let previous: tl.Tensor | null = null;
    for await (const [x] of loader) {
      counts.push(tl.memory().numTensors);
      if (previous) expect(previous.isDisposed).toBe(true);
      previous = x;
    }
    expect(new Set(counts.slice(0, -1)).size).toBe(1);
    expect(tl.memory().numTensors).toBe(base);
    for await (const [x] of loader) {
      expect(x.isDisposed).toBe(false);
      break;
    }
    await new Promise((r) => setImmediate(r));
    expect(tl.memory().numTensors).toBe(base);
  });

  it('survives an async tidy around each step', async () => {
    const loader = new DataLoader(numbered(30), { batchSize: 5 });
    const base = tl.memory().numTensors;
    for await (const [x, y] of loader) {
      await tl.tidy(async () => {
        await new Promise((r) => setTimeout(r, 1)); // the next batch is built inside this scope
        x.mul(2).sum();
        expect(y.isDisposed).toBe(false);
      });
    }
    expect(tl.memory().numTensors).toBe(base);
  });

  it('leaves batches to the caller with disposeBatches: false', async () => {
    const kept: tl.Tensor[][] = [];
    for await (const batch of new DataLoader(numbered(6), { batchSize: 3, disposeBatches: false })) kept.push(batch);
    expect(kept.every((b) => b.every((t) => !t.isDisposed))).toBe(true);
    expect(Array.from(kept[1][1].dataSync())).toEqual([3, 4, 5]);
    kept.flat().forEach((t) => t.dispose());
  });

  it('collates item-by-item datasets (tensors and numbers)', async () => {
    const ds: Dataset<[tl.Tensor, number]> = {
      length: 5,
      get: (i) => [tl.full([2], i), i * 2],
    };
    const base = tl.memory().numTensors;
    const seen: number[][] = [];
    for await (const [x, y] of new DataLoader(ds, { batchSize: 2 })) {
      expect(x.shape[1]).toBe(2);
      expect(y.dtype).toBe('int32');
      seen.push(Array.from(y.dataSync()));
    }
    expect(seen).toEqual([[0, 2], [4, 6], [8]]);
    expect(tl.memory().numTensors).toBe(base);
    const single = collate([tl.ones([3]), tl.zeros([3])]) as tl.Tensor;
    expect(single.shape).toEqual([2, 3]);
    expect((collate([0.5, 1]) as tl.Tensor).dtype).toBe('float32');
  });

  it('rejects bad options', () => {
    expect(() => new DataLoader(numbered(3), { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new DataLoader(numbered(3), { seed: 1.5 })).toThrow(/seed/);
  });
});

describe('Rng', () => {
  it('is deterministic per seed and stream and roughly uniform', () => {
    const a = new Rng(1, 2);
    const b = new Rng(1, 2);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(new Rng(1, 3).uint32()).not.toBe(xs[0]);
    const r = new Rng(9);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 10000; i++) counts[r.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    for (let i = 0; i < 1000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });
});

describe('Subset', () => {
  it('remaps indices and keeps the batch path', async () => {
    const { Subset } = await import('../src/index.js');
    const sub = new Subset(numbered(10), [9, 3, 5]);
    expect(sub.length).toBe(3);
    expect(sub.get(0)[1].itemSync()).toBe(9);
    expect(await labelsOf(new DataLoader(sub, { batchSize: 2 }))).toEqual([[9, 3], [5]]);
    const plain = new Subset({ length: 4, get: (i: number) => [tl.full([1], i), i] as [tl.Tensor, number] }, [2, 1]);
    expect(await labelsOf(new DataLoader(plain, { batchSize: 2 }))).toEqual([[2, 1]]);
    expect(() => new Subset(numbered(3), [3])).toThrow(/out of range/);
  });
});

describe('DataLoader: samplers, collateFn, iterable datasets', () => {
  it('passes the items to collateFn and yields what it returns', async () => {
    const calls: number[] = [];
    const loader = new DataLoader(numbered(5), {
      batchSize: 2,
      collateFn: (items) => {
        calls.push(items.length);
        return { ids: items.map(([, y]) => y.itemSync() as number), x: tl.stack(items.map(([x]) => x)) };
      },
    });
    const seen: number[][] = [];
    for await (const batch of loader) {
      seen.push(batch.ids);
      expect(batch.x.shape[0]).toBe(batch.ids.length);
    }
    expect(calls).toEqual([2, 2, 1]);
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('batches variable-length items with padSequence', async () => {
    const { padSequence } = await import('../src/index.js');
    const ds: Dataset<tl.Tensor> = { length: 3, get: (i) => tl.ones([i + 1]) };
    const shapes: number[][] = [];
    for await (const b of new DataLoader(ds, { batchSize: 3, collateFn: (items) => padSequence(items, { batchFirst: true }) })) shapes.push([...b.shape]);
    expect(shapes).toEqual([[3, 3]]);
  });

  it('follows a sampler or a batchSampler, and batchSize null yields items one by one', async () => {
    const { BatchSampler, SubsetRandomSampler, RandomSampler } = await import('../src/index.js');
    expect(await labelsOf(new DataLoader(numbered(10), { sampler: [9, 7, 5, 3], batchSize: 3 }))).toEqual([[9, 7, 5], [3]]);
    const sub = new DataLoader(numbered(10), { sampler: new SubsetRandomSampler([1, 2, 3], { seed: 2 }), batchSize: 3 });
    expect((await labelsOf(sub)).flat().sort()).toEqual([1, 2, 3]);
    const bs = new DataLoader(numbered(10), { batchSampler: [[4, 2], [8], [0, 1, 2]] });
    expect(await labelsOf(bs)).toEqual([[4, 2], [8], [0, 1, 2]]);
    expect(bs.length).toBe(3);
    expect(bs.batchSize).toBeNull();
    const viaBatchSampler = new DataLoader(numbered(7), { batchSampler: new BatchSampler(new RandomSampler({ length: 7 }, { seed: 1 }), 3, true) });
    expect(viaBatchSampler.length).toBe(2);
    expect((await labelsOf(viaBatchSampler)).map((b) => b.length)).toEqual([3, 3]);
    const single = new DataLoader(numbered(3), { batchSize: null });
    const items: number[] = [];
    for await (const [x, y] of single) {
      expect(x.shape).toEqual([1]); // no batch dim
      items.push(y.itemSync() as number);
    }
    expect(items).toEqual([0, 1, 2]);
    expect(single.length).toBe(3);
  });

  it('shuffle uses a RandomSampler with the loader seed, and setEpoch reaches a given sampler', async () => {
    const { RandomSampler } = await import('../src/index.js');
    const byShuffle = (await labelsOf(new DataLoader(numbered(20), { batchSize: 20, shuffle: true, seed: 3 }))).flat();
    const bySampler = (await labelsOf(new DataLoader(numbered(20), { batchSize: 20, sampler: new RandomSampler({ length: 20 }, { seed: 3 }) }))).flat();
    expect(bySampler).toEqual(byShuffle);
    const sampler = new RandomSampler({ length: 20 }, { seed: 3 });
    const loader = new DataLoader(numbered(20), { batchSize: 20, sampler });
    const e0 = (await labelsOf(loader)).flat();
    const e1 = (await labelsOf(loader)).flat();
    loader.setEpoch(0);
    expect(sampler.epoch).toBe(0);
    expect((await labelsOf(loader)).flat()).toEqual(e0);
    expect(e1).not.toEqual(e0);
  });

  it('accepts an array as a map-style dataset', async () => {
    const batches: number[][] = [];
    for await (const b of new DataLoader([1, 2, 3, 4, 5], { batchSize: 2 })) batches.push(Array.from(b.dataSync()));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('batches an IterableDataset as it streams (sync and async), with dropLast and length', async () => {
    const { IterableDataset } = await import('../src/index.js');
    const sync = IterableDataset.from(() => [0, 1, 2, 3, 4].values(), { length: 5 });
    const out: number[][] = [];
    for await (const b of new DataLoader(sync, { batchSize: 2 })) out.push(Array.from(b.dataSync()));
    expect(out).toEqual([[0, 1], [2, 3], [4]]);
    expect(new DataLoader(sync, { batchSize: 2 }).length).toBe(3);
    expect(new DataLoader(sync, { batchSize: 2, dropLast: true }).length).toBe(2);
    const dropped: number[][] = [];
    for await (const b of new DataLoader(sync, { batchSize: 2, dropLast: true })) dropped.push(Array.from(b.dataSync()));
    expect(dropped).toEqual([[0, 1], [2, 3]]);
    class Slow extends IterableDataset<[tl.Tensor, number]> {
      override async *[Symbol.asyncIterator](): AsyncIterator<[tl.Tensor, number]> {
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 1));
          yield [tl.full([2], i), i];
        }
      }
    }
    const base = tl.memory().numTensors;
    const labels: number[][] = [];
    for await (const [x, y] of new DataLoader(new Slow(), { batchSize: 3, prefetch: 2 })) {
      expect(x.shape[1]).toBe(2);
      labels.push(Array.from(y.dataSync()));
    }
    expect(labels).toEqual([[0, 1, 2], [3, 4]]);
    expect(tl.memory().numTensors).toBe(base);
    expect(() => new DataLoader(new Slow()).length).toThrow(/DataLoader.length: the IterableDataset has no length/);
  });

  it('frees what a failed batch assembly made: a collate failing on a later field, a streamed batch whose collateFn throws', async () => {
    const { IterableDataset, defaultCollate } = await import('../src/index.js');
    const before = tl.memory();
    // Field x stacks, field y does not: the stacked x goes with the error.
    const items = [{ x: tl.ones([2]), y: tl.ones([2]) }, { x: tl.zeros([2]), y: tl.zeros([3]) }];
    const mark = tl.memory();
    expect(() => defaultCollate(items)).toThrow(/collate: item 1 field \.y is float32 \[3\] but item 0 is float32 \[2\]/);
    expect(tl.memory().numTensors).toBe(mark.numTensors);
    expect(tl.memory().numBytes).toBe(mark.numBytes);
    for (const { x, y } of items) [x, y].forEach((t) => t.dispose());
    const made: tl.Tensor[] = [];
    const stream = IterableDataset.from(function* () {
      for (let i = 0; i < 4; i++) yield made[made.push(tl.full([2], i)) - 1];
    });
    const loader = new DataLoader(stream, { batchSize: 2, collateFn: () => { throw new Error('collate failed'); } });
    await expect((async () => { for await (const _ of loader) { /* nothing */ } })()).rejects.toThrow(/collate failed/);
    await new Promise((r) => setImmediate(r));
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((t) => t.isDisposed)).toBe(true);
    expect(tl.memory().numTensors).toBe(before.numTensors);
    expect(tl.memory().numBytes).toBe(before.numBytes);
  });

  it('rejects what PyTorch rejects, naming the option', async () => {
    const { IterableDataset } = await import('../src/index.js');
    const ds = numbered(4);
    const stream = IterableDataset.from([1, 2]);
    expect(() => new DataLoader(undefined as never)).toThrow(/DataLoader: expected a dataset \(an object with length and get\(index\), an IterableDataset, or an array\), got undefined/);
    expect(() => new DataLoader({} as never)).toThrow(/got an empty object \{\} with neither get\(index\) nor \[Symbol.iterator\]\(\)/);
    expect(() => new DataLoader({ get: () => 1 } as never)).toThrow(/whose length is not a number/);
    expect(() => new DataLoader(ds, 5 as never)).toThrow(/options must be an object, got 5/);
    expect(() => new DataLoader(ds, { batch_size: 2 } as never)).toThrow(/unsupported option 'batch_size' \(did you mean batchSize\?\)/);
    expect(() => new DataLoader(ds, { pinMemory: true } as never)).toThrow(/unsupported option 'pinMemory' \(Tensile has no pinned host memory/);
    expect(() => new DataLoader(ds, { workerInitFn: () => {} } as never)).toThrow(/unsupported option 'workerInitFn' \(functions cannot be sent to worker threads/);
    expect(() => new DataLoader(ds, { generator: 1 } as never)).toThrow(/'generator' \(use seed/);
    expect(() => new DataLoader(ds, { bogus: 1 } as never)).toThrow(/unsupported option 'bogus' \(the options are batchSize, shuffle/);
    expect(() => new DataLoader(ds, { collateFn: 3 } as never)).toThrow(/collateFn must be a function/);
    expect(() => new DataLoader(ds, { numWorkers: -1 })).toThrow(/numWorkers must be a non-negative integer, got -1/);
    expect(() => new DataLoader(ds, { numWorkers: 1.5 })).toThrow(/numWorkers must be a non-negative integer/);
    expect(() => new DataLoader(ds, { sampler: [0], shuffle: true })).toThrow(/sampler option is mutually exclusive with shuffle/);
    expect(() => new DataLoader(ds, { batchSampler: [[0]], batchSize: 2 })).toThrow(/batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast/);
    expect(() => new DataLoader(ds, { batchSampler: [[0]], dropLast: true })).toThrow(/mutually exclusive.*\(got dropLast\)/);
    expect(() => new DataLoader(ds, { sampler: 3 as never })).toThrow(/sampler must be an iterable of indices/);
    expect(() => new DataLoader(ds, { batchSize: null, dropLast: true })).toThrow(/batchSize: null .* mutually exclusive with dropLast/);
    expect(() => new DataLoader(ds, { shuffle: 1 as never })).toThrow(/shuffle must be a boolean, got 1/);
    expect(() => new DataLoader(ds, { prefetch: -1 })).toThrow(/prefetch must be a boolean or a non-negative integer/);
    expect(() => new DataLoader(ds, { prefetchFactor: 2 })).toThrow(/prefetchFactor only applies with worker threads/);
    expect(() => new DataLoader(ds, { persistentWorkers: true })).toThrow(/persistentWorkers needs numWorkers > 0/);
    expect(() => new DataLoader(ds, { timeout: 10 })).toThrow(/timeout only applies with worker threads/);
    expect(() => new DataLoader(stream, { shuffle: true })).toThrow(/IterableDataset: expected unspecified shuffle option/);
    expect(() => new DataLoader(stream, { sampler: [0] })).toThrow(/IterableDataset: expected unspecified sampler option/);
    function* gen() {
      yield 1;
    }
    expect(() => new DataLoader(gen() as never)).toThrow(/can only be iterated once.*IterableDataset.from/);
  });

  it('prefetches as many batches as asked', async () => {
    const built: number[] = [];
    const inner = numbered(12);
    const ds = { length: 12, get: (i: number) => inner.get(i), getBatch: (idx: ArrayLike<number>) => (built.push(idx[0] / 2), inner.getBatch(idx)) };
    const loader = new DataLoader(ds, { batchSize: 2, prefetch: 3 });
    const seenAt: number[] = [];
    for await (const _ of loader) {
      await new Promise((r) => setTimeout(r, 5));
      seenAt.push(built.length);
    }
    // While batch k is in use, batches up to k + 3 are built.
    expect(seenAt).toEqual([4, 5, 6, 6, 6, 6]);
    const none = new DataLoader(ds, { batchSize: 2, prefetch: false });
    built.length = 0;
    const counts: number[] = [];
    for await (const _ of none) {
      await new Promise((r) => setTimeout(r, 2));
      counts.push(built.length);
    }
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(none.prefetch).toBe(0);
  });

  it('leaves nothing allocated when get() throws in the middle of a batch', async () => {
    const made: tl.Tensor[] = [];
    const ds: Dataset<[tl.Tensor, tl.Tensor]> = {
      length: 10,
      get: (i) => {
        if (i === 6) throw new Error('item 6 is corrupt');
        const item: [tl.Tensor, tl.Tensor] = [tl.full([3], i), tl.tensor(i)];
        made.push(...item);
        return item;
      },
    };
    const before = tl.memory();
    const loader = new DataLoader(ds, { batchSize: 4 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const [, y] of loader) seen.push(...Array.from(y.dataSync()));
      })(),
    ).rejects.toThrow(/item 6 is corrupt/);
    expect(seen).toEqual([0, 1, 2, 3]);
    await new Promise((r) => setImmediate(r));
    expect(tl.memory().numTensors).toBe(before.numTensors);
    expect(tl.memory().numBytes).toBe(before.numBytes);
    expect(made.every((t) => t.isDisposed)).toBe(true);
    // The same with a custom collateFn that fails.
    const source = numbered(6);
    const before2 = tl.memory();
    const failing = new DataLoader(source, { batchSize: 3, collateFn: (items) => {
      tl.stack(items.map(([x]) => x));
      throw new Error('collate failed');
    } });
    await expect((async () => { for await (const _ of failing) { /* nothing */ } })()).rejects.toThrow(/collate failed/);
    await new Promise((r) => setImmediate(r));
    expect(tl.memory().numTensors).toBe(before2.numTensors);
    expect(tl.memory().numBytes).toBe(before2.numBytes);
  });

  it('keeps memory flat over many epochs, item by item and with workers off', async () => {
    const ds: Dataset<[tl.Tensor, number]> = { length: 37, get: (i) => [tl.full([4, 4], i), i] };
    const loader = new DataLoader(ds, { batchSize: 8, shuffle: true, prefetch: 2 });
    const before = tl.memory();
    const peaks: number[] = [];
    for (let epoch = 0; epoch < 30; epoch++) {
      let peak = 0;
      for await (const [x] of loader) {
        x.sum().dispose();
        peak = Math.max(peak, tl.memory().numTensors);
      }
      peaks.push(peak);
      expect(tl.memory().numTensors).toBe(before.numTensors);
      expect(tl.memory().numBytes).toBe(before.numBytes);
    }
    expect(new Set(peaks).size).toBe(1);
  });
});
