// Uniform records (src/wgsl.ts): the host packs a record by field name and the WGSL reads it
// through accessors generated from the same layout. A kernel reads every field back, so a
// disagreement between the two sides (a slot, an array's row-major order, a scalar taken
// for an array of one) shows here rather than as a wrong convolution.
import * as tl from '@tensile/core';
import { describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import type { KernelSource } from '../src/runtime.js';
import { ENTRY_1D, headerWGSL, UniformRecord, walkFields, walkValues, walkWGSL } from '../src/wgsl.js';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();

const RECORD = UniformRecord.of('t', [
  ['count', 1], ['negative', 1], ['scale', 1, 'float'], ['single', [1]], ['triple', [3]], ['grid', [2, 3]],
  ...walkFields('walk', 2, 2),
]);

describe('uniform records: host side', () => {
  it('places fields in layout order, arrays as many slots as their dims hold', () => {
    expect(RECORD.words).toBe(1 + 1 + 1 + 1 + 3 + 6 + 2 + 4 + 2);
    expect(RECORD.places.grid).toMatchObject({ at: 7, count: 6, dims: [2, 3] });
    expect(RECORD.places.walkStrides).toMatchObject({ at: 15, count: 4, dims: [2, 2] });
  });

  it('rejects a value of the wrong length, naming the record and the field', () => {
    const values = {
      count: 1, negative: -1, scale: 1, single: [1], triple: [1, 2, 3], grid: [1, 2, 3, 4, 5, 6],
      walkShape: [2, 2], walkStrides: [1, 2, 3, 4], walkOffsets: [0, 0],
    };
    expect(() => RECORD.pack({ ...values, triple: [1, 2] })).toThrow("kernel record 't' field 'triple' takes 3 values, got 2");
  });

  it('rejects a record larger than the uniform block, and a walk read with the wrong number of views', () => {
    expect(() => UniformRecord.of('big', [['words', [65]]])).toThrow("kernel record 'big' takes 65 words, more than the 64");
    expect(() => walkWGSL(RECORD, 'walk', 'i', ['a', 'b', 'c'])).toThrow("walk 'walk' of 't' has 2 views, not 3");
    expect(() => walkWGSL(RECORD, 'other', 'i', ['a'])).toThrow("kernel record 't' has no field 'otherShape'");
  });
});

if (unavailable) {
  describe('uniform records on the device', () => {
    it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});
  });
}

describe.runIf(!unavailable)('uniform records on the device', () => {
  it('every accessor reads what pack wrote (scalars, an array of one, a row-major 2-D array, unsigned forms, a walk)', async () => {
    const backend = (await tl.ready('webgpu')) as unknown as WebGPUBackend;
    const rt = backend.runtime;
    const plan = { shape: [3, 5], strides: [[5, 1], [1, 3]], offsets: [7, 11] };
    const params = RECORD.pack({
      count: 42, negative: -5, scale: 1.5, single: [9], triple: [10, 20, 30], grid: [1, 2, 3, 4, 5, 6], ...walkValues('walk', plan),
    });
    // Out: the fields in layout order as read by the WGSL, then the walk's offsets at flat index 7 (row 1, column 2).
    const reads = [
      't_count()', 't_negative()', 'bitcast<i32>(t_scale())', 't_single(0u)',
      't_triple(0u)', 't_triple(1u)', 't_triple(2u)',
      't_grid(0u, 0u)', 't_grid(0u, 1u)', 't_grid(0u, 2u)', 't_grid(1u, 0u)', 't_grid(1u, 1u)', 't_grid(1u, 2u)',
      'i32(t_count_u() + 1u)', 'i32(t_negative_u() >> 28u)', 'a', 'b',
    ];
    const kernel: KernelSource = {
      key: 'test:records',
      writes: [true],
      wgsl: () => `${headerWGSL(RECORD, [{ name: 'out', type: 'i32', write: true }])}
${ENTRY_1D} {
  ${walkWGSL(RECORD, 'walk', '7u', ['a', 'b'])}
  ${reads.map((r, i) => `out[${i}] = ${r};`).join('\n  ')}
}`,
    };
    const out = rt.alloc(reads.length, 'int32');
    try {
      rt.dispatch(kernel, [out.buffer], params, [1]);
      const got = Array.from(await backend.read({ buffer: out, dtype: 'int32', shape: [reads.length], strides: [1], offset: 0 }));
      const scaleBits = new Int32Array(new Float32Array([1.5]).buffer)[0];
      expect(got).toEqual([42, -5, scaleBits, 9, 10, 20, 30, 1, 2, 3, 4, 5, 6, 43, 0xf, 7 + 1 * 5 + 2 * 1, 11 + 1 * 1 + 2 * 3]);
    } finally {
      rt.free(out);
    }
  });
});
