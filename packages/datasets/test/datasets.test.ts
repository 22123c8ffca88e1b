import { readFileSync } from 'node:fs';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  ChainDataset,
  ConcatDataset,
  IterableDataset,
  Subset,
  TensorDataset,
  defaultCollate,
  defaultConvert,
  padSequence,
  randomSplit,
  type Dataset,
} from '../src/index.js';
import { scopeEachTest } from './helpers.js';

scopeEachTest();

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/data.json', import.meta.url), 'utf8')) as {
  randomSplit: { n: number; lengths: number[]; sizes: number[] }[];
};

function numbered(n: number, offset = 0): TensorDataset {
  return new TensorDataset(tl.arange(n).float().add(offset).reshape([n, 1]), tl.arange(n).add(offset));
}

const plain = (n: number, offset = 0): Dataset<[tl.Tensor, number]> => ({ length: n, get: (i) => [tl.full([2], i + offset), i + offset] });

describe('ConcatDataset', () => {
  it('indexes across the parts, negative indices included', () => {
    const both = new ConcatDataset([numbered(3), numbered(4, 100)]);
    expect(both.length).toBe(7);
    expect(both.cumulativeSizes).toEqual([3, 7]);
    expect(both.get(2)[1].itemSync()).toBe(2);
    expect(both.get(3)[1].itemSync()).toBe(100);
    expect(both.get(6)[1].itemSync()).toBe(103);
    expect(both.get(-1)[1].itemSync()).toBe(103);
    expect(both.get(-7)[1].itemSync()).toBe(0);
    expect(() => both.get(7)).toThrow(/ConcatDataset.get: index 7 is out of range for a dataset of 7 items/);
    expect(() => both.get(-8)).toThrow(/out of range/);
  });

  it('builds batches through the parts and keeps the requested order', () => {
    const both = new ConcatDataset([numbered(3), new Subset(numbered(4, 100), [3, 2, 1, 0])]);
    const [x, y] = both.getBatch([6, 0, 3, 2, 4]);
    expect(Array.from(y.dataSync())).toEqual([100, 0, 103, 2, 102]);
    expect(Array.from(x.dataSync())).toEqual([100, 0, 103, 2, 102]);
    expect(x.shape).toEqual([5, 1]);
  });

  it('leaves nothing behind when a batch fails', () => {
    const both = new ConcatDataset([numbered(3), numbered(4, 100)]);
    const before = tl.memory();
    expect(() => both.getBatch([0, 5, 9])).toThrow(/index 9 is out of range/);
    expect(tl.memory().numTensors).toBe(before.numTensors);
    expect(tl.memory().numBytes).toBe(before.numBytes);
  });

  it('rejects what it cannot concatenate', () => {
    expect(() => new ConcatDataset([])).toThrow(/should not be an empty list/);
    expect(() => new ConcatDataset(undefined as never)).toThrow(/expected an array of datasets, got undefined/);
    expect(() => new ConcatDataset([numbered(2), {} as never])).toThrow(/dataset 1 is an empty object \{\}, not a map-style dataset/);
    const stream = IterableDataset.from([1, 2]);
    expect(() => new ConcatDataset([stream as never])).toThrow(/dataset 0 is an IterableDataset; use ChainDataset/);
  });
});

describe('IterableDataset and ChainDataset', () => {
  class Count extends IterableDataset<number> {
    constructor(readonly n: number) {
      super();
    }
    override get length(): number {
      return this.n;
    }
    override *[Symbol.iterator](): Iterator<number> {
      for (let i = 0; i < this.n; i++) yield i;
    }
  }

  it('from() wraps re-iterable sources and factories, and refuses one-shot generators', async () => {
    function* gen() {
      yield 1;
      yield 2;
    }
    const ds = IterableDataset.from(() => gen(), { length: 2 });
    const read = async (d: AsyncIterable<number>) => {
      const out: number[] = [];
      for await (const v of d) out.push(v);
      return out;
    };
    expect(await read(ds as unknown as AsyncIterable<number>)).toEqual([1, 2]);
    expect(await read(ds as unknown as AsyncIterable<number>)).toEqual([1, 2]);
    expect(ds.length).toBe(2);
    expect(() => IterableDataset.from(gen() as never)).toThrow(/can only be iterated once\); pass the function/);
    expect(() => IterableDataset.from(5 as never)).toThrow(/expected an iterable or a function returning one, got 5/);
  });

  it('ChainDataset streams its parts in turn, sync and async', async () => {
    const chain = new ChainDataset<number>([new Count(2), new Count(3)]);
    expect([...(chain as Iterable<number>)]).toEqual([0, 1, 0, 1, 2]);
    expect(chain.length).toBe(5);
    const mixed = new ChainDataset<number>([new Count(1), IterableDataset.from(async function* () { yield 9; })]);
    const out: number[] = [];
    for await (const v of mixed as AsyncIterable<number>) out.push(v);
    expect(out).toEqual([0, 9]);
    expect(mixed.length).toBeUndefined();
    expect(() => [...(mixed as Iterable<number>)]).toThrow(/dataset 1 is asynchronous; iterate the chain with for await/);
    expect(() => new ChainDataset([numbered(2) as never])).toThrow(/dataset 0 is a TensorDataset, not an iterable dataset; use ConcatDataset/);
  });
});

describe('randomSplit', () => {
  it("sizes fractional splits with PyTorch's rounding (fixtures)", () => {
    for (const c of fixtures.randomSplit) {
      const parts = randomSplit({ length: c.n, get: (i: number) => i }, c.lengths, { seed: 0 });
      expect(parts.map((p) => p.length)).toEqual(c.sizes);
    }
  });

  it('splits into disjoint subsets covering the dataset, reproducibly per seed', () => {
    const ds = { length: 100, get: (i: number) => i };
    const [a, b, c] = randomSplit(ds, [50, 30, 20], { seed: 4 });
    const all = [...a.indices, ...b.indices, ...c.indices];
    expect([...all].sort((p, q) => p - q)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(all).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.get(0)).toBe(a.indices[0]);
    expect(Array.from(randomSplit(ds, [50, 30, 20], { seed: 4 })[1].indices)).toEqual(Array.from(b.indices));
    expect(Array.from(randomSplit(ds, [50, 30, 20], { seed: 5 })[1].indices)).not.toEqual(Array.from(b.indices));
    tl.manualSeed(1);
    expect(Array.from(randomSplit(ds, [0.5, 0.3, 0.2], { seed: 4 })[0].indices)).toEqual(Array.from(a.indices));
  });

  it('rejects lengths that do not fit', () => {
    const ds = { length: 10, get: (i: number) => i };
    expect(() => randomSplit(ds, [3, 3])).toThrow(/sum of input lengths \(6\) does not equal the length of the input dataset \(10\)/);
    expect(() => randomSplit(ds, [0.5, 0.6])).toThrow(/lengths must be integer counts, or fractions summing to 1/);
    expect(() => randomSplit(ds, [-1, 11])).toThrow(/length 0 is -1/);
    expect(() => randomSplit(undefined as never, [1])).toThrow(/randomSplit: expected a map-style dataset.*got undefined/);
    expect(() => randomSplit(ds, [5, 5], { generator: 1 } as never)).toThrow(/'generator' \(use seed/);
  });
});

describe('defaultCollate', () => {
  it('collates tensors, numbers, booleans, strings, typed arrays, tuples, objects and Maps', () => {
    const batch = defaultCollate([
      { x: tl.ones([3]), y: 1, w: 0.5, ok: true, name: 'a', raw: Float32Array.of(1, 2), pair: [tl.zeros([2]), 7], m: new Map([['k', 1]]) },
      { x: tl.zeros([3]), y: 0, w: 1, ok: false, name: 'b', raw: Float32Array.of(3, 4), pair: [tl.ones([2]), 8], m: new Map([['k', 2]]) },
    ]);
    expect(batch.x.shape).toEqual([2, 3]);
    expect(batch.y.dtype).toBe('int32');
    expect(Array.from(batch.y.dataSync())).toEqual([1, 0]);
    expect(batch.w.dtype).toBe('float32');
    expect(batch.ok.dtype).toBe('bool');
    expect(Array.from(batch.ok.dataSync())).toEqual([1, 0]);
    expect(batch.name).toEqual(['a', 'b']);
    expect(batch.raw.shape).toEqual([2, 2]);
    expect(Array.from(batch.raw.dataSync())).toEqual([1, 2, 3, 4]);
    expect(batch.pair[0].shape).toEqual([2, 2]);
    expect(Array.from(batch.pair[1].dataSync())).toEqual([7, 8]);
    expect(Array.from((batch.m.get('k') as tl.Tensor).dataSync())).toEqual([1, 2]);
  });

  it('names the field that cannot be collated, and leaves nothing allocated', () => {
    const items = [
      { a: tl.ones([2]), b: tl.ones([3]) },
      { a: tl.ones([2]), b: tl.ones([4]) },
    ];
    const before = tl.memory();
    expect(() => defaultCollate(items)).toThrow(/item 1 field \.b is float32 \[4\] but item 0 is float32 \[3\].*padSequence/);
    expect(tl.memory().numTensors).toBe(before.numTensors);
    expect(tl.memory().numBytes).toBe(before.numBytes);
    expect(() => defaultCollate([[1, 2], [1]])).toThrow(/same number of fields; item 0 has 2 and item 1 has 1/);
    expect(() => defaultCollate([1, tl.ones([1])])).toThrow(/item 1 is a tensor but item 0's is a number/);
    expect(() => defaultCollate([{ a: 1 }, { b: 1 }])).toThrow(/item 1 has no key 'a'/);
    expect(() => defaultCollate([null, null])).toThrow(/item 0 is null/);
    expect(() => defaultCollate([])).toThrow(/defaultCollate: no items/);
    expect(() => defaultCollate(undefined as never)).toThrow(/expected an array of items, got undefined/);
  });

  it('defaultConvert turns typed arrays into tensors and keeps the rest', () => {
    const out = defaultConvert({ pixels: Int32Array.of(1, 2), id: 7, nested: [Float32Array.of(0.5)] }) as { pixels: tl.Tensor; id: number; nested: tl.Tensor[] };
    expect(out.pixels.dtype).toBe('int32');
    expect(out.id).toBe(7);
    expect(Array.from(out.nested[0].dataSync())).toEqual([0.5]);
  });
});

describe('padSequence', () => {
  it("pads to the longest and stacks, as PyTorch's pad_sequence", () => {
    const a = tl.tensor([[1, 1], [2, 2], [3, 3]]);
    const b = tl.tensor([[4, 4]]);
    const timeFirst = padSequence([a, b]);
    expect(timeFirst.shape).toEqual([3, 2, 2]);
    expect(timeFirst.arraySync()).toEqual([[[1, 1], [4, 4]], [[2, 2], [0, 0]], [[3, 3], [0, 0]]]);
    const batchFirst = padSequence([a, b], { batchFirst: true, paddingValue: -1 });
    expect(batchFirst.arraySync()).toEqual([[[1, 1], [2, 2], [3, 3]], [[4, 4], [-1, -1], [-1, -1]]]);
    const ints = padSequence([tl.tensor(Int32Array.of(1, 2), { dtype: 'int32' }), tl.tensor(Int32Array.of(3), { dtype: 'int32' })], { batchFirst: true });
    expect(ints.dtype).toBe('int32');
    expect(ints.arraySync()).toEqual([[1, 2], [3, 0]]);
  });

  it('rejects mismatched sequences, leaving nothing allocated', () => {
    const before = tl.memory().numTensors;
    const a = tl.ones([2, 3]);
    const b = tl.ones([1, 4]);
    expect(() => padSequence([a, b])).toThrow(/sequence 1 is float32 \[1, 4\] but sequence 0 is float32 \[2, 3\]/);
    expect(() => padSequence([])).toThrow(/non-empty array of tensors/);
    expect(() => padSequence([a], { batch_first: true } as never)).toThrow(/unsupported option 'batch_first'/);
    a.dispose();
    b.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });
});

describe('Subset', () => {
  it('checks its arguments', () => {
    expect(() => new Subset(undefined as never, [0])).toThrow(/Subset: expected a map-style dataset/);
    expect(() => new Subset(plain(3), 2 as never)).toThrow(/indices must be a list of integers, got 2/);
  });
});
