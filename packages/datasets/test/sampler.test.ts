import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BatchSampler,
  DistributedSampler,
  RandomSampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from '../src/index.js';

interface DataFixtures {
  batchSampler: { n: number; batchSize: number; dropLast: boolean; batches: number[][]; length: number }[];
  distributedSampler: { n: number; numReplicas: number; dropLast: boolean; ranks: { indices: number[]; length: number }[] }[];
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/data.json', import.meta.url), 'utf8')) as DataFixtures;

const range = (n: number) => ({ length: n });
const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('SequentialSampler', () => {
  it('yields 0..n-1 and follows the dataset length', () => {
    const ds = { length: 4 };
    const s = new SequentialSampler(ds);
    expect([...s]).toEqual([0, 1, 2, 3]);
    expect(s.length).toBe(4);
    expect(() => new SequentialSampler(undefined as never)).toThrow(/SequentialSampler: expected a dataset.*got undefined/);
  });
});

describe('RandomSampler', () => {
  it('gives a new seeded permutation each pass, reproducibly', () => {
    const a = new RandomSampler(range(50), { seed: 3 });
    const b = new RandomSampler(range(50), { seed: 3 });
    const a0 = [...a];
    const a1 = [...a];
    expect(sorted(a0)).toEqual(iota(50));
    expect(a0).not.toEqual(iota(50));
    expect(a1).not.toEqual(a0);
    expect([...b]).toEqual(a0);
    expect([...b]).toEqual(a1);
    expect([...new RandomSampler(range(50), { seed: 4 })]).not.toEqual(a0);
    b.setEpoch(0);
    expect([...b]).toEqual(a0);
  });

  it('numSamples: fewer, or more than the length (whole permutations first)', () => {
    const few = [...new RandomSampler(range(10), { numSamples: 4, seed: 1 })];
    expect(few).toHaveLength(4);
    expect(new Set(few).size).toBe(4);
    const many = [...new RandomSampler(range(10), { numSamples: 25, seed: 1 })];
    expect(many).toHaveLength(25);
    expect(sorted(many.slice(0, 10))).toEqual(iota(10));
    expect(sorted(many.slice(10, 20))).toEqual(iota(10));
    expect(new Set(many.slice(20)).size).toBe(5);
    expect(new RandomSampler(range(10), { numSamples: 25 }).length).toBe(25);
  });

  it('with replacement draws uniformly', () => {
    const n = 8;
    const draws = [...new RandomSampler(range(n), { replacement: true, numSamples: 16000, seed: 2 })];
    const counts = new Array(n).fill(0);
    for (const d of draws) counts[d]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200); // ~4.7 sigma
    expect(new Set(draws.slice(0, 20)).size).toBeLessThan(20 + 1);
    // Repeats happen: 20 draws from 8.
    expect(new Set(draws.slice(0, 20)).size).toBeLessThan(20);
  });

  it('rejects bad options by name', () => {
    expect(() => new RandomSampler(range(3), { numSamples: 0 })).toThrow(/numSamples must be an integer >= 1, got 0/);
    expect(() => new RandomSampler(range(3), { replacement: 'yes' as never })).toThrow(/replacement must be a boolean/);
    expect(() => new RandomSampler(range(3), { num_samples: 2 } as never)).toThrow(/unsupported option 'num_samples' \(did you mean numSamples\?\)/);
    expect(() => new RandomSampler(range(3), { generator: {} } as never)).toThrow(/'generator' \(use seed/);
    expect(() => new RandomSampler(range(3), { seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});

describe('SubsetRandomSampler', () => {
  it('permutes the given indices each pass', () => {
    const s = new SubsetRandomSampler([10, 20, 30, 40, 50, 60], { seed: 0 });
    const p0 = [...s];
    const p1 = [...s];
    expect(sorted(p0)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(sorted(p1)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(p0).not.toEqual(p1);
    expect(s.length).toBe(6);
    expect(() => new SubsetRandomSampler([1, 2.5])).toThrow(/index 1 is 2.5, not an integer/);
  });
});

describe('WeightedRandomSampler', () => {
  it('draws each index in proportion to its weight, never a zero weight', () => {
    const weights = [1, 0, 2, 7];
    const draws = [...new WeightedRandomSampler(weights, 20000, { seed: 5 })];
    const counts = [0, 0, 0, 0];
    for (const d of draws) counts[d]++;
    expect(counts[1]).toBe(0);
    expect(counts[0] / 20000).toBeCloseTo(0.1, 1);
    expect(Math.abs(counts[0] - 2000)).toBeLessThan(200);
    expect(Math.abs(counts[2] - 4000)).toBeLessThan(280);
    expect(Math.abs(counts[3] - 14000)).toBeLessThan(330);
  });

  it('without replacement yields distinct indices; the first draw follows the weights', () => {
    const s = new WeightedRandomSampler([1, 3, 0, 6], 3, { replacement: false, seed: 1 });
    const firsts = [0, 0, 0, 0];
    for (let e = 0; e < 4000; e++) {
      const draw = [...s];
      expect(new Set(draw).size).toBe(3);
      expect(draw).not.toContain(2);
      firsts[draw[0]]++;
    }
    expect(Math.abs(firsts[0] - 400)).toBeLessThan(90);
    expect(Math.abs(firsts[1] - 1200)).toBeLessThan(140);
    expect(Math.abs(firsts[3] - 2400)).toBeLessThan(160);
  });

  it('rejects bad weights and counts', () => {
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow(/weight 1 is -1/);
    expect(() => new WeightedRandomSampler([0, 0], 2)).toThrow(/sum to 0/);
    expect(() => new WeightedRandomSampler([1, 1], 0)).toThrow(/numSamples must be an integer >= 1/);
    expect(() => new WeightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(/cannot draw 3 samples without replacement from 2/);
    expect(() => new WeightedRandomSampler(undefined as never, 3)).toThrow(/weights must be a list of numbers, got undefined/);
  });
});

describe('BatchSampler', () => {
  it("groups indices as PyTorch's BatchSampler (fixtures)", () => {
    for (const c of fixtures.batchSampler) {
      const s = new BatchSampler(new SequentialSampler(range(c.n)), c.batchSize, c.dropLast);
      expect([...s]).toEqual(c.batches);
      expect(s.length).toBe(c.length);
    }
  });

  it('wraps any iterable of indices and rejects bad arguments', () => {
    expect([...new BatchSampler([5, 1, 4], 2, false)]).toEqual([[5, 1], [4]]);
    expect(() => new BatchSampler(3 as never, 2, false)).toThrow(/sampler must be an iterable of indices/);
    expect(() => new BatchSampler([1], 0, false)).toThrow(/batchSize must be an integer >= 1, got 0/);
    expect(() => new BatchSampler([1], 2, 'no' as never)).toThrow(/dropLast must be a boolean/);
  });
});

describe('DistributedSampler', () => {
  it("splits the data between replicas as PyTorch's DistributedSampler (fixtures, no shuffle)", () => {
    for (const c of fixtures.distributedSampler) {
      c.ranks.forEach((r, rank) => {
        const s = new DistributedSampler(range(c.n), { numReplicas: c.numReplicas, rank, shuffle: false, dropLast: c.dropLast });
        expect([...s]).toEqual(r.indices);
        expect(s.length).toBe(r.length);
      });
    }
  });

  it('shuffles the same way on every replica, per epoch', () => {
    const make = (rank: number) => new DistributedSampler(range(20), { numReplicas: 4, rank, seed: 7 });
    const all = [0, 1, 2, 3].map((r) => [...make(r)]);
    expect(sorted(all.flat())).toEqual(iota(20));
    expect(all.flat()).not.toEqual(iota(20));
    const s = make(0);
    expect([...s]).toEqual(all[0]); // the epoch only changes with setEpoch
    s.setEpoch(1);
    expect([...s]).not.toEqual(all[0]);
    const others = [1, 2, 3].map((r) => {
      const x = make(r);
      x.setEpoch(1);
      return [...x];
    });
    expect(sorted([...s, ...others.flat()])).toEqual(iota(20));
  });

  it('needs numReplicas and a rank in range', () => {
    expect(() => new DistributedSampler(range(4), undefined as never)).toThrow(/expected options \{ numReplicas, rank \}/);
    expect(() => new DistributedSampler(range(4), { numReplicas: 2 } as never)).toThrow(/rank must be an integer >= 0, got undefined/);
    expect(() => new DistributedSampler(range(4), { numReplicas: 2, rank: 2 })).toThrow(/invalid rank 2/);
    expect(() => new DistributedSampler(range(4), { numReplicas: 2, rank: 0, drop_last: true } as never)).toThrow(/'drop_last' \(did you mean dropLast\?\)/);
  });
});
