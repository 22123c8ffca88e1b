/**
 * The optional scan kernel (cumsum, cumprod, cummax, cummin, logcumsumexp) against plain
 * loops in float64, along each axis of contiguous and permuted views, and on long rows.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { randoms } from '../compare.js';
import type { Suite } from '../context.js';
import { CONTIGUOUS, expectNear, kernelTest, type Layout } from './views.js';

const OPS: tl.ScanOp[] = ['sum', 'prod', 'max', 'min', 'logsumexp'];

/** The scan of `data` (row-major `shape`) along `axis`, values and indices, as PyTorch. */
function reference(op: tl.ScanOp, data: readonly number[], shape: readonly number[], axis: number, int: boolean) {
  const values = new Array<number>(data.length);
  const indices = new Array<number>(data.length).fill(0);
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = data.length / Math.max(1, n * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let acc = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'logsumexp' ? -Infinity : Number.NaN;
      let at = 0;
      for (let i = 0; i < n; i++) {
        const p = (o * n + i) * inner + k;
        const v = data[p];
        if (op === 'sum') acc = int ? (acc + v) | 0 : acc + v;
        else if (op === 'prod') acc = int ? Math.imul(acc, v) : acc * v;
        else if (op === 'logsumexp') {
          const hi = Math.max(acc, v), lo = Math.min(acc, v);
          acc = v !== v ? v : lo === hi && !Number.isFinite(lo) ? lo : hi + Math.log1p(Math.exp(lo - hi));
        } else if (i === 0 || v !== v || (acc === acc && (op === 'max' ? v >= acc : v <= acc))) {
          acc = v;
          at = i;
        }
        values[p] = acc;
        indices[p] = at;
      }
    }
  }
  return { values, indices };
}

export function scanKernelTests(suite: Suite, backend: tl.Backend): void {
  if (!backend.scan) return;
  const test = kernelTest(suite, backend);
  const shape = [3, 4, 5];
  const layouts: { name: string; layout: Layout }[] = [
    { name: 'contiguous', layout: CONTIGUOUS },
    { name: 'permuted', layout: { kind: 'permuted', perm: [2, 0, 1] } },
  ];
  describe('kernels: scan', () => {
    for (const op of OPS) {
      for (const dtype of (op === 'logsumexp' ? ['float32'] : ['float32', 'int32']) as tl.DType[]) {
        test(`scan ${op} ${dtype} along each axis and layout`, async (v) => {
          const int = dtype === 'int32';
          // Ties on purpose for max/min (small ints), factors near 1 for prod.
          const data = int ? randoms(60, 11, -3, 4).map(Math.trunc)
            : op === 'prod' ? randoms(60, 12, 0.6, 1.4).map(Math.fround)
            : op === 'max' || op === 'min' ? randoms(60, 13, -3, 3).map((x) => Math.round(x * 2) / 2)
            : randoms(60, 14, -3, 3).map(Math.fround);
          for (let axis = 0; axis < 3; axis++) {
            const expected = reference(op, data, shape, axis, int);
            for (const { name, layout } of layouts) {
              const out = v.empty(shape, dtype);
              const idx = op === 'max' || op === 'min' ? v.empty(shape, 'int32') : undefined;
              v.backend.scan!(op, v.make(data, shape, dtype, layout), axis, out, idx);
              expectNear(await v.read(out), expected.values.map(Math.fround), int ? 0 : 1e-5, `${op} along ${axis} of a ${name} view`);
              if (idx) expect(Array.from(await v.read(idx)), `${op} indices along ${axis} of a ${name} view`).toEqual(expected.indices);
            }
          }
        });
      }
    }

    test('scan of long rows, with NaN, infinities and -Infinity', async (v) => {
      const n = 5000;
      const rows = [randoms(n, 21, -1, 1), randoms(n, 22, -1, 1).map((x, i) => (i === 3000 ? Number.NaN : i % 7 === 0 ? -Infinity : x))];
      const data = rows.flat().map(Math.fround);
      for (const op of OPS) {
        const expected = reference(op, data, [2, n], 1, false);
        const out = v.empty([2, n]);
        const idx = op === 'max' || op === 'min' ? v.empty([2, n], 'int32') : undefined;
        v.backend.scan!(op, v.make(data, [2, n]), 1, out, idx);
        expectNear(await v.read(out), expected.values.map(Math.fround), op === 'sum' ? 1e-4 : 1e-5, `${op} of long rows`);
        if (idx) expect(Array.from(await v.read(idx)), `${op} indices of long rows`).toEqual(expected.indices);
      }
    });

    test('scan sum of one line long enough for a backend to split it in chunks', async (v) => {
      const n = (1 << 20) + 37;
      const data = randoms(n, 23, -1, 1).map(Math.fround);
      const out = v.empty([n]);
      v.backend.scan!('sum', v.make(data, [n]), 0, out);
      expectNear(await v.read(out), reference('sum', data, [n], 0, false).values.map(Math.fround), 1e-4, 'sum of a long line');
    });
  });
}
