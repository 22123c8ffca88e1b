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
