/** The indexing (gather, scatterAdd) and random families. */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import type { Suite } from '../context.js';
import { unravel } from './reference.js';
import { CONTIGUOUS, expectNear, kernelTest, stored, transposed, Views } from './views.js';

export function indexingKernelTests(suite: Suite, backend: tl.Backend): void {
  const test = kernelTest(suite, backend);
  const dtypes = tl.DTYPES.filter((d) => new Views(backend).supports(d));

  describe('kernels: indexing', () => {
    for (const dtype of dtypes) {
      test(`gather ${dtype} along every dim, with strided x and index`, async (v) => {
        const shape = [3, 4, 5];
        const x = Array.from({ length: 60 }, (_, i) => stored(dtype === 'bool' ? +(i % 3 === 0) : i - 30, dtype));
        for (let dim = 0; dim < 3; dim++) {
          const indexShape = shape.map((d, i) => (i === dim ? 2 : d - 1));
          const count = tl.sizeOf(indexShape);
          const index = Array.from({ length: count }, (_, i) => (i * 7 + 3) % shape[dim]);
          const strides = tl.contiguousStrides(shape);
          const expected = index.map((at, i) => {
            const pos = unravel(i, indexShape);
            pos[dim] = at;
            return x[pos.reduce((s, p, d) => s + p * strides[d], 0)];
          });
          for (const layout of [CONTIGUOUS, { kind: 'permuted', perm: [2, 0, 1] } as const]) {
            const out = v.empty(indexShape, dtype);
            v.backend.gather(v.make(x, shape, dtype, layout), dim, v.make(index, indexShape, 'int32', transposed(3)), out);
            expect(await v.read(out), `gather along ${dim} of a ${layout.kind} x`).toEqual(expected);
          }
        }
      });
    }

    for (const dtype of dtypes.filter((d) => d !== 'bool')) {
      test(`scatterAdd ${dtype} accumulates repeated indices along each dim`, async (v) => {
        const out = v.make([1, 1, 1, 1, 1, 1], [2, 3], dtype);
        const index = v.make([0, 0, 2, 1, 1, 1], [2, 3], 'int32');
        const src = v.make([1, 2, 3, 4, 5, 6], [2, 3], dtype, transposed(2));
        v.backend.scatterAdd(1, index, src, out);
        // Row 0: 1 and 2 land on column 0, 3 on column 2; row 1: 4, 5 and 6 all on column 1.
        expect(await v.read(out)).toEqual([4, 1, 4, 1, 16, 1]);
        const out0 = v.make([0, 0, 0], [3], dtype);
        v.backend.scatterAdd(0, v.make([2, 2, 0], [3], 'int32'), v.make([5, 6, 7], [3], dtype), out0);
        expect(await v.read(out0)).toEqual([7, 0, 11]);
      });
    }
  });

  describe('kernels: random', () => {
    test("random fills with core's counter-based draws, in row-major order from the key offset", async (v) => {
      for (const distribution of ['uniform', 'normal'] as const) {
        const out = v.empty([3, 5]);
        v.backend.random(distribution, { seed: 42, offset: 100 }, out);
        const expected = Array.from({ length: 15 }, (_, i) => Math.fround(tl.randomElement(distribution, 42, 100 + i)));
        // Uniform draws are bit for bit; normal ones go through log and cos, which may differ in the last bits.
        expectNear(await v.read(out), expected, distribution === 'uniform' ? 0 : 1e-6, distribution);
      }
    });
  });
}
