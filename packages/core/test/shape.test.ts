import { describe, expect, it } from 'vitest';
import { broadcastShapes, collapseDims, contiguousStrides, isContiguous, normalizeDim, promoteTypes, sizeOf } from '../src/index.js';
import { inferShape, toNested } from '../src/tensor/nested.js';

describe('shapes', () => {
  it('broadcasts as NumPy and names both shapes on failure', () => {
    expect(broadcastShapes([3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([0, 1], [1, 4])).toEqual([0, 4]);
    expect(() => broadcastShapes([2, 3], [4, 3], 'add')).toThrow('add: shapes [2,3] and [4,3] cannot be broadcast (dim -2: 2 vs 4)');
  });

  it('computes strides and recognises contiguity, ignoring size-1 dims', () => {
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(isContiguous([2, 3], [3, 1])).toBe(true);
    expect(isContiguous([3, 2], [1, 3])).toBe(false);
    expect(isContiguous([2, 1, 3], [3, 99, 1])).toBe(true);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 0])).toBe(0);
  });

  it('collapseDims merges contiguous dims, drops size-1 dims and keeps broadcasts apart', () => {
    expect(collapseDims([2, 3, 4], [[12, 4, 1]])).toEqual({ shape: [24], strides: [[1]] });
    expect(collapseDims([2, 1, 4], [[4, 4, 1], [0, 0, 1]])).toEqual({ shape: [2, 4], strides: [[4, 1], [0, 1]] });
    expect(collapseDims([3, 4], [[1, 3]])).toEqual({ shape: [3, 4], strides: [[1, 3]] }); // transposed: no merge
    expect(collapseDims([1, 1], [[1, 1]])).toEqual({ shape: [], strides: [[]] });
    expect(collapseDims([5, 6], [[0, 0], [6, 1]])).toEqual({ shape: [30], strides: [[0], [1]] });
  });

  it('normalises negative dims and rejects out-of-range ones', () => {
    expect(normalizeDim(-1, 3, 'sum')).toBe(2);
    expect(normalizeDim(0, 0, 'sum')).toBe(0);
    expect(() => normalizeDim(3, 3, 'softmax')).toThrow('softmax: dim 3 is out of range for a tensor of rank 3 (expected -3..2)');
  });

  it('promotes dtypes as PyTorch: bool < int32 < float16 < float32', () => {
    expect(promoteTypes('bool', 'int32')).toBe('int32');
    expect(promoteTypes('int32', 'float32')).toBe('float32');
    expect(promoteTypes('bool', 'bool')).toBe('bool');
    expect(promoteTypes('int32', 'float16')).toBe('float16');
    expect(promoteTypes('float16', 'float32')).toBe('float32');
  });
});

describe('nested arrays', () => {
  it('infers shapes and rejects ragged input naming the depth', () => {
    expect(inferShape([[1, 2, 3], [4, 5, 6]])).toEqual([2, 3]);
    expect(inferShape(7)).toEqual([]);
    expect(inferShape([])).toEqual([0]);
    expect(() => inferShape([[1, 2], [3]])).toThrow(/ragged nested array: expected length 2 at depth 1/);
    expect(() => inferShape([1, 'x'] as unknown as number[])).toThrow(/expected a number or boolean at depth 1, got string/);
  });

  it('rebuilds nested arrays, booleans for bool', () => {
    expect(toNested(new Float32Array([1, 2, 3, 4]), [2, 2], 'float32')).toEqual([[1, 2], [3, 4]]);
    expect(toNested(new Uint8Array([1, 0]), [2], 'bool')).toEqual([true, false]);
    expect(toNested(new Int32Array([5]), [], 'int32')).toBe(5);
  });
});
