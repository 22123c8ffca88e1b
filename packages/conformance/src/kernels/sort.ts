/** The sort kernel: stable order, NaN, signed zeros and ties, top-k, any row layout. */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { randoms } from '../compare.js';
import type { Suite } from '../context.js';
import { sortRows } from './reference.js';
import { CONTIGUOUS, kernelTest, stored, Views, type Layout } from './views.js';

/** Row data with ties, infinities, signed zeros and (for floats) NaN. */
function rowData(count: number, dtype: tl.DType, seed: number): number[] {
  const base = randoms(count, seed, -4, 4);
  return base.map((v, i) => {
    if (dtype === 'int32') return i % 11 === 3 ? (i % 2 ? 2147483647 : -2147483648) : Math.trunc(v) | 0;
    if (i % 13 === 5) return Number.NaN;
    if (i % 17 === 2) return i % 2 ? Infinity : -Infinity;
    if (i % 7 === 1) return i % 2 ? -0 : 0;
    // Every fifth value is rounded to a coarse grid, so rows hold many ties.
    return stored(i % 5 === 0 ? Math.round(v) : v, dtype);
  });
}

/** Layouts of a [rows, n] view: rows contiguous, columns contiguous (a transpose), a strided window. */
function layouts(rows: number, n: number): { name: string; layout: Layout }[] {
  const all: { name: string; layout: Layout }[] = [
    { name: 'contiguous', layout: CONTIGUOUS },
    { name: 'transposed', layout: { kind: 'permuted', perm: [1, 0] } },
    { name: 'strided', layout: { kind: 'strided', strides: [2 * n + 1, 2], offset: 3 } },
  ];
  return all.filter((l) => rows > 1 || l.name !== 'transposed');
}

export function sortKernelTests(suite: Suite, backend: tl.Backend): void {
  const test = kernelTest(suite, backend);
  const dtypes = (['float32', 'int32', 'float16'] as const).filter((d) => new Views(backend).supports(d));

  describe('kernels: sort', () => {
    for (const dtype of dtypes) {
      // Short rows, rows past one GPU workgroup's block, a long row, and enough rows for threads.
      for (const [rows, n] of [[3, 7], [4, 100], [2, 1500], [1, 5000], [9, 4000]] as const) {
        test(`sort ${dtype} [${rows}, ${n}]: stable, NaN last, every k and layout`, async (v) => {
          const data = rowData(rows * n, dtype, rows * 1000 + n);
          const counts = [...new Set([n, n - 1, 1, Math.min(5, n), Math.floor(n / 9) || 1])];
          for (const descending of [false, true]) {
            for (const k of counts) {
              const expected = sortRows(data, rows, n, descending, k);
              for (const { name, layout } of layouts(rows, n)) {
                const x = v.make(data, [rows, n], dtype, layout);
                const values = v.empty([rows, k], dtype);
                const indices = v.empty([rows, k], 'int32');
                v.backend.sort(x, descending, values, indices);
                const what = `${descending ? 'descending' : 'ascending'} k=${k} ${name}`;
                const got = await v.read(indices);
                expect(got, `indices, ${what}`).toEqual(expected);
                const want = expected.map((p, i) => data[Math.floor(i / k) * n + p]);
                const gotValues = await v.read(values);
                // The elements themselves: NaN as NaN, and -0 keeps its sign.
                gotValues.forEach((g, i) => {
                  if (!Object.is(g, want[i])) throw new Error(`values, ${what}: element ${i} is ${g}, expected ${want[i]}`);
                });
              }
            }
          }
        });
      }
    }
  });
}
